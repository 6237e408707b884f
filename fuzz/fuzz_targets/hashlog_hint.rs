//! hash-log hint files (`hash_log::hint::decode`): arbitrary bytes, and
//! bytes behind a valid file header so the fuzzer starts at the entries.
#![no_main]

use hash_log::hint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hint::decode(data);
    let mut b = engine_core::record::encode_file_header(hint::MAGIC, hint::VERSION).to_vec();
    b.extend_from_slice(data);
    let _ = hint::decode(&b);
});

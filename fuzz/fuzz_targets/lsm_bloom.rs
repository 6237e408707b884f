//! LSM bloom filter blocks (`lsm::bloom::Filter::parse`) and probes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lsm::bloom::{self, Filter};

fuzz_target!(|data: &[u8]| {
    let Some(f) = Filter::parse(data) else {
        return;
    };
    for key in [&b""[..], b"a", b"key00001", data] {
        let _ = f.may_contain(bloom::hash(key));
    }
    let _ = f.may_contain(u64::MAX);
    let _ = (f.bit_len(), f.probes());
});

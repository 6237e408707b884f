//! hash-log segments: a directory holding one segment (a valid file header
//! followed by the fuzzer's bytes) and a hint beside it, checked by
//! `hash_log::verify` and recovered by `hash_log::open` (header check,
//! hint use or record replay, torn-tail truncation). Both must return Ok
//! or Err.
#![no_main]

use std::path::Path;

use engine_core::Options;
use hash_log::{hint, segment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (seg_body, hint_bytes) = workbench_fuzz::split2(data);
    let mut seg =
        engine_core::record::encode_file_header(segment::MAGIC, segment::VERSION).to_vec();
    seg.extend_from_slice(seg_body);
    let mut hint_file =
        engine_core::record::encode_file_header(hint::MAGIC, hint::VERSION).to_vec();
    hint_file.extend_from_slice(hint_bytes);
    let mut files: Vec<(&str, &[u8])> = vec![("/d/0000000000000001.seg", &seg)];
    if !hint_bytes.is_empty() {
        files.push(("/d/0000000000000001.hint", &hint_file));
    }
    let (_sim, vfs) = workbench_fuzz::sim_owned("hash-log", &files);
    let dir = Path::new("/d");
    let _ = hash_log::verify(&vfs, dir, &Options::new());
    let opts = Options::new().with("background", "false");
    if let Ok(db) = hash_log::open(&vfs, dir, &opts) {
        let _ = db.scan(b"", 100);
    }
});

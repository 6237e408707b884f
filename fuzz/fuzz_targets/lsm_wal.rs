//! LSM write-ahead logs: the bytes as a WAL file, replayed by
//! `lsm::wal::replay` exactly as recovery does (header, records, close
//! trailer, torn tail vs corruption); then the same with a valid header in
//! front so the fuzzer starts at the records.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsm::wal;

fuzz_target!(|data: &[u8]| {
    let mut with_header =
        engine_core::record::encode_file_header(wal::MAGIC, wal::VERSION).to_vec();
    with_header.extend_from_slice(data);
    let (_sim, vfs) =
        workbench_fuzz::sim_with(&[("/d/000001.log", data), ("/d/000002.log", &with_header)]);
    // Both rules: an older WAL (damage is corruption) and the newest one
    // (a damaged tail may be torn).
    for n in [1, 2] {
        for newest in [false, true] {
            let _ = wal::replay(&vfs, &lsm::files::wal_path(Path::new("/d"), n), newest, |_, _, _| {});
        }
    }
});

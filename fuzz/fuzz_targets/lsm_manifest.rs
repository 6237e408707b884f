//! The LSM manifest: version edits (`lsm::manifest::VersionEdit::decode`)
//! on raw bytes, and the bytes as a whole `MANIFEST` file read by
//! `lsm::manifest::read` (header, records, torn tail vs corruption).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsm::manifest::{self, VersionEdit};

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = VersionEdit::decode(data) {
        // What decodes re-encodes to something that decodes the same.
        assert_eq!(VersionEdit::decode(&e.encode()), Ok(e));
    }
    let (_sim, vfs) = workbench_fuzz::sim_with(&[("/d/MANIFEST", data)]);
    let _ = manifest::read(&vfs, Path::new("/d"));
});

//! A whole LSM directory: the input is split into a `MANIFEST`, a table
//! (written under the number of every table the manifest names, so the
//! manifest's metadata is checked against it) and a WAL (under the
//! manifest's log number). `lsm::verify` walks it, then `lsm::open`
//! recovers it (manifest replay, table open, WAL replay, flush, manifest
//! rewrite). Both must return Ok or Err.
#![no_main]

use std::path::Path;

use engine_core::Options;
use libfuzzer_sys::fuzz_target;
use lsm::manifest;

fuzz_target!(|data: &[u8]| {
    let (manifest_bytes, rest) = workbench_fuzz::split2(data);
    let (table, wal) = workbench_fuzz::split2(rest);
    let dir = Path::new("/d");
    let mut files: Vec<(String, &[u8])> = vec![("/d/MANIFEST".into(), manifest_bytes)];
    let (sim, vfs) = workbench_fuzz::sim_with(&[("/d/MANIFEST", manifest_bytes)]);
    let mut log_number = 1;
    if let Ok(Some(edits)) = manifest::read(&vfs, dir) {
        for e in &edits {
            log_number = e.log_number.unwrap_or(log_number);
            for (_, _, meta) in e.added.iter().take(4) {
                files.push((format!("/d/{:06}.sst", meta.number), table));
            }
        }
    }
    files.push((format!("/d/{:06}.log", log_number.min(999_999)), wal));
    drop((sim, vfs));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), *b)).collect();
    let (_sim, vfs) = workbench_fuzz::sim_owned("lsm", &refs);
    let _ = lsm::verify(&vfs, dir, &Options::new());
    let opts = Options::new().with("background", "false");
    if let Ok(db) = lsm::open(&vfs, dir, &opts) {
        let _ = db.get(b"key0001");
        let _ = db.scan(b"", 50);
    }
});

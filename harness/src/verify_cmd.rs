//! `harness verify --engine SPEC --data-dir DIR`: check an engine directory
//! offline, without opening (and so without repairing) it.
//!
//! It runs the engine's own [`VerifyFn`](engine_core::VerifyFn), which
//! walks every file and record with its checksums, and prints what it found:
//! the files, the records and live keys, every corrupt spot (file, offset,
//! what) and every torn tail (which the next open would truncate). The exit
//! code is 0 for a clean directory (torn tails allowed), 1 when anything is
//! corrupt, 2 when the check could not run.

use std::fmt::Write as _;
use std::path::Path;

use engine_core::{VerifyReport, Vfs};

use crate::error::{Error, Result, Stage};
use crate::registry::EngineSpec;

/// Verify `dir` as an engine of kind `spec`; returns the report.
pub fn verify(spec: &str, dir: &Path) -> Result<VerifyReport> {
    let spec = EngineSpec::parse(spec)?;
    let Some(verify) = spec.info.verify else {
        return Err(Error::Usage(format!(
            "engine `{}` has no offline verifier (engines with one: {})",
            spec.info.name,
            crate::registry::builtin()
                .iter()
                .filter(|e| e.verify.is_some())
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "data directory {} does not exist",
            dir.display()
        )));
    }
    verify(&Vfs::os(), dir, &spec.options).map_err(|source| {
        Error::engine(
            &spec.spec,
            Stage::Verify {
                path: dir.to_path_buf(),
            },
            source,
        )
    })
}

/// The report as a person reads it.
pub fn render(report: &VerifyReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "{:<60} {:>10} {:>12} {:>10}",
        "file", "kind", "bytes", "records"
    );
    for f in &report.files {
        let _ = writeln!(
            out,
            "{:<60} {:>10} {:>12} {:>10}",
            f.path.display(),
            f.kind,
            f.bytes,
            f.records
        );
    }
    let _ = writeln!(
        out,
        "\n{} files, {} records, {} live keys",
        report.files.len(),
        report.records(),
        report.live_keys
    );
    for t in &report.torn_tails {
        let _ = writeln!(
            out,
            "torn tail: {} at offset {}: {} (recovery truncates it)",
            t.path.display(),
            t.offset,
            t.what
        );
    }
    for c in &report.corrupt {
        let _ = writeln!(
            out,
            "CORRUPT: {} at offset {}: {}",
            c.path.display(),
            c.offset,
            c.what
        );
    }
    let verdict = if report.is_clean() {
        "clean"
    } else {
        "CORRUPT"
    };
    let _ = writeln!(out, "verdict: {verdict}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_core::Options;

    fn filled(dir: &Path) {
        let db = naive_log::open(&Vfs::os(), dir, &Options::new()).expect("open");
        db.put(b"a", b"1").expect("put");
        db.put(b"b", b"2").expect("put");
    }

    #[test]
    fn clean_directory_reports_files_records_and_keys() {
        let tmp = tempfile::tempdir().expect("tempdir");
        filled(tmp.path());
        let report = verify("naive-log", tmp.path()).expect("verify");
        assert!(report.is_clean());
        assert_eq!(report.live_keys, 2);
        let text = render(&report);
        assert!(
            text.contains("naive.log") && text.contains("verdict: clean"),
            "{text}"
        );
    }

    #[test]
    fn corruption_is_named_with_file_and_offset() {
        let tmp = tempfile::tempdir().expect("tempdir");
        filled(tmp.path());
        let path = tmp.path().join("naive.log");
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[16 + 13] ^= 0x10; // the first record's key
        std::fs::write(&path, bytes).expect("write");
        let report = verify("naive-log", tmp.path()).expect("verify");
        assert!(!report.is_clean());
        let text = render(&report);
        assert!(
            text.contains("CORRUPT") && text.contains("at offset 16"),
            "{text}"
        );
    }

    #[test]
    fn lsm_directory_verifies_and_a_flipped_wal_byte_is_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db = lsm::open(&Vfs::os(), tmp.path(), &Options::new()).expect("open");
        db.put(b"a", b"1").expect("put");
        db.put(b"b", b"2").expect("put");
        db.delete(b"a").expect("delete");
        drop(db);
        let report = verify("lsm-leveled", tmp.path()).expect("verify");
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(report.live_keys, 1);
        let text = render(&report);
        assert!(
            text.contains("MANIFEST") && text.contains(".log") && text.contains("verdict: clean"),
            "{text}"
        );
        let wal = report
            .files
            .iter()
            .find(|f| f.kind == "wal")
            .expect("a wal")
            .path
            .clone();
        let mut bytes = std::fs::read(&wal).expect("read");
        bytes[16 + 13] ^= 0x10; // the first record's key
        std::fs::write(&wal, bytes).expect("write");
        let text = render(&verify("lsm-tiered", tmp.path()).expect("verify"));
        assert!(
            text.contains("CORRUPT") && text.contains(".log at offset 16"),
            "{text}"
        );
    }

    #[test]
    fn missing_directory_and_engine_without_verifier_are_errors() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("nope");
        let msg = verify("naive-log", &missing).unwrap_err().to_string();
        assert!(msg.contains("does not exist"), "{msg}");
        let msg = verify("mem", tmp.path()).unwrap_err().to_string();
        assert!(
            msg.contains("no offline verifier") && msg.contains("hash-log"),
            "{msg}"
        );
        let msg = verify("nosuch", tmp.path()).unwrap_err().to_string();
        assert!(msg.contains("nosuch"), "{msg}");
    }
}

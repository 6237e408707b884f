//! With one thread, a fixed seed and inline background work, two runs give
//! identical byte counters and amplification figures: what lets the gate
//! hold them exactly, with or without repetitions.

mod common;

use common::Toy;
use harness::registry::EngineSpec;
use harness::run::{execute, RunConfig};
use results::dir::ResultsDir;

/// Columns that must repeat exactly.
const DETERMINISTIC: &[&str] = &[
    "engine",
    "workload",
    "phase",
    "threads",
    "records",
    "operations",
    "user_bytes_written",
    "storage_bytes_written",
    "write_amp",
    "user_bytes_read",
    "query_bytes_read",
    "read_amp",
    "read_ios_per_op",
    "disk_bytes",
    "live_bytes",
    "space_amp",
    "fsyncs",
    "compaction_bytes_read",
    "compaction_bytes_written",
    "errors",
];

fn run_once(out: &std::path::Path, repeat: u32) -> Vec<Vec<String>> {
    let engines = [
        "mem",
        "lsm-leveled:memtable_bytes=32768,target_file_bytes=32768",
        "lsm-tiered-nobloom:memtable_bytes=32768,target_file_bytes=32768",
    ];
    let mut cfg = RunConfig::new(
        engines
            .iter()
            .map(|e| EngineSpec::parse(e).expect("spec"))
            .collect(),
        out,
    );
    cfg.deterministic = true;
    cfg.seed = 9;
    cfg.repeat = repeat;
    let out = execute(&cfg, &[Toy::new(3_000, 4_000)]).expect("run");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let r = ResultsDir::read(&out.run_dir).expect("read back");
    let s = &r.summary.table;
    let cols: Vec<usize> = DETERMINISTIC
        .iter()
        .map(|c| s.col(c).expect("col"))
        .collect();
    s.rows
        .iter()
        .map(|row| cols.iter().map(|&c| s.text(row, c).to_string()).collect())
        .collect()
}

#[test]
fn two_runs_give_identical_counters() {
    let (a, b) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let first = run_once(a.path(), 1);
    let second = run_once(b.path(), 1);
    assert_eq!(first.len(), 6);
    // The LSM really did flush and compact, so the check covers background work.
    let lsm_run = &first[3];
    let compaction_written: u64 = lsm_run[DETERMINISTIC
        .iter()
        .position(|c| *c == "compaction_bytes_written")
        .expect("col")]
    .parse()
    .expect("number");
    assert!(compaction_written > 0, "{lsm_run:?}");
    assert_eq!(first, second);

    // Repetitions run interleaved (every cell once, then again); each
    // starts from a fresh directory, so whichever is reported, its
    // counters are the single run's.
    let c = tempfile::tempdir().expect("tmp");
    assert_eq!(first, run_once(c.path(), 3));
}

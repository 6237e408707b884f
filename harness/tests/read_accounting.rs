//! Read accounting (issue 14, items 3 and 4): lookups and misses are
//! counted, a miss cannot pass for a cheap hit, and the reads a write makes
//! land in the write-path columns, not in read amplification.

mod common;

use std::path::Path;

use common::{Mix, Toy};
use harness::registry::EngineSpec;
use harness::run::{execute, RunConfig};
use results::dir::ResultsDir;
use results::table::Table;

/// Small pages and a cache far smaller than the tree, so descents miss.
const BTREE_SMALL: &str = "btree:page_size=1024,cache_pages=16,checkpoint_bytes=262144";

fn run(out: &Path, engines: &[&str], toy: Toy) -> ResultsDir {
    let specs = engines
        .iter()
        .map(|e| EngineSpec::parse(e).expect("valid spec"))
        .collect();
    let mut cfg = RunConfig::new(specs, out);
    cfg.deterministic = true;
    let out = execute(&cfg, &[toy]).expect("run succeeds");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    ResultsDir::read(&out.run_dir).expect("results read back")
}

/// The run-phase row of `engine`: a cell by column name.
fn cell<'a>(s: &'a Table, engine: &str, column: &str) -> &'a str {
    let (e, p, c) = (s.col("engine"), s.col("phase"), s.col(column));
    let (e, p, c) = (
        e.expect("summary.csv has an engine column"),
        p.expect("summary.csv has a phase column"),
        c.expect("column present"),
    );
    let row = s
        .rows
        .iter()
        .find(|r| s.text(r, e) == engine && s.text(r, p) == "run")
        .expect("run row");
    s.text(row, c)
}

fn num(s: &Table, engine: &str, column: &str) -> f64 {
    cell(s, engine, column).parse().expect("a number")
}

fn toy(mix: Mix) -> Toy {
    let mut t = Toy::new(5_000, 2_000);
    t.mix = mix;
    t
}

#[test]
fn a_miss_only_workload_counts_misses_and_leaves_read_amp_undefined() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = run(tmp.path(), &["mem", BTREE_SMALL], toy(Mix::Misses));
    let s = &r.summary.table;
    for engine in ["mem", BTREE_SMALL] {
        assert_eq!(num(s, engine, "lookups"), 2_000.0, "{engine}");
        assert_eq!(num(s, engine, "misses"), 2_000.0, "{engine}");
        assert_eq!(num(s, engine, "user_bytes_read"), 0.0, "{engine}");
        // Nothing was returned, so bytes read per byte returned is
        // undefined, not a finite figure that hides the misses' cost.
        assert_eq!(cell(s, engine, "read_amp"), "", "{engine}");
    }
    // A miss still descends the tree: its I/O shows per lookup.
    assert!(num(s, BTREE_SMALL, "read_ios_per_op") >= 1.0);
    assert!(num(s, BTREE_SMALL, "query_bytes_read") > 0.0);
}

#[test]
fn btree_update_descents_are_write_path_reads_not_lookups() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = run(tmp.path(), &[BTREE_SMALL], toy(Mix::Updates));
    let s = &r.summary.table;
    assert_eq!(num(s, BTREE_SMALL, "lookups"), 0.0);
    assert_eq!(num(s, BTREE_SMALL, "query_bytes_read"), 0.0);
    assert_eq!(cell(s, BTREE_SMALL, "read_ios_per_op"), "");
    // 2,000 scattered updates of a tree ~20x the cache miss on most leaves.
    assert!(num(s, BTREE_SMALL, "write_path_read_ios") >= 1_000.0);
    assert!(num(s, BTREE_SMALL, "write_path_bytes_read") >= 1_000.0 * 1024.0);
}

#[test]
fn a_read_only_workload_has_no_write_path_reads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = run(tmp.path(), &[BTREE_SMALL], toy(Mix::Reads));
    let s = &r.summary.table;
    assert_eq!(num(s, BTREE_SMALL, "lookups"), 2_000.0);
    assert_eq!(num(s, BTREE_SMALL, "misses"), 0.0);
    assert_eq!(num(s, BTREE_SMALL, "write_path_read_ios"), 0.0);
    // Scattered gets on a tree far larger than the cache: most miss the
    // leaf level, few miss more than the two levels above it.
    let per_lookup = num(s, BTREE_SMALL, "read_ios_per_op");
    assert!((0.5..=3.0).contains(&per_lookup), "{per_lookup}");
}

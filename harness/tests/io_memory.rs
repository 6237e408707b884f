//! `--io memory` counts what `--io buffered` counts: for each of our
//! persistent engines, a deterministic fill-random and ycsb-a cell run
//! once on real files and once on the in-memory filesystem give the same
//! summary.csv and engine_metrics.csv, cell for cell, except the columns
//! and metrics that are timings. And the combinations memory mode cannot
//! measure are refused with an error naming the option and the way out.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use harness::io_mode::IoMode;
use harness::registry::EngineSpec;
use harness::run::{execute, RunConfig};
use results::table::Table;
use workloads::{WorkloadArgs, YcsbWorkload};

/// Small enough to run in seconds, with options that make every engine do
/// its background work on this little data: the LSM flushes and compacts,
/// the B+tree evicts and checkpoints, the hash log rolls segments and
/// merges.
const ENGINES: &[&str] = &[
    "lsm-leveled:memtable_bytes=32768,target_file_bytes=32768",
    "btree:cache_pages=32,checkpoint_bytes=65536",
    "hash-log:segment_bytes=65536,merge_ratio=0.2",
    "naive-log",
];

/// summary.csv columns that time something or measure the process's
/// memory: the only ones allowed to differ.
const TIMING_COLUMNS: &[&str] = &[
    "duration_s",
    "ops_per_sec",
    "peak_rss_bytes",
    "client_cpu_s",
    "ops_per_sec_min",
    "ops_per_sec_median",
    "ops_per_sec_max",
];

fn workloads() -> Vec<YcsbWorkload> {
    let args = WorkloadArgs {
        workloads: vec!["fill-random".into(), "ycsb-a".into()],
        // 100-byte values keep the naive log's scanning gets cheap.
        properties: vec!["fieldcount=1".into(), "fieldlength=100".into()],
        records: Some(3_000),
        operations: Some(3_000),
        seed: 7,
        ..WorkloadArgs::default()
    };
    workloads::resolve(&args).expect("presets resolve").0
}

fn config(out: &Path, io: IoMode) -> RunConfig {
    let specs = ENGINES
        .iter()
        .map(|e| EngineSpec::parse(e).expect("spec parses"))
        .collect();
    let mut cfg = RunConfig::new(specs, out);
    cfg.deterministic = true;
    cfg.cache_mb = 1;
    cfg.io = io;
    cfg
}

/// summary.csv without its timing columns, one map per row, keyed by
/// engine, workload and phase.
fn summary_counters(run_dir: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let t = Table::read(&run_dir.join("summary.csv")).expect("summary.csv reads");
    t.rows
        .iter()
        .map(|row| {
            let cells: BTreeMap<String, String> = t
                .header
                .iter()
                .zip(&row.cells)
                .filter(|(c, _)| !TIMING_COLUMNS.contains(&c.as_str()))
                .map(|(c, v)| (c.clone(), v.clone()))
                .collect();
            // engine, workload and phase are required columns: the
            // reader refuses a file without them.
            let key = format!(
                "{} {} {}",
                cells["engine"], cells["workload"], cells["phase"]
            );
            (key, cells)
        })
        .collect()
}

/// engine_metrics.csv without the engines' timings (metrics in
/// milliseconds: `checkpoint_ms`, `stall_ms`, ...).
fn engine_counters(run_dir: &Path) -> BTreeMap<String, f64> {
    results::engine_metrics::read(&run_dir.join("engine_metrics.csv"))
        .expect("engine_metrics.csv reads")
        .into_iter()
        .filter(|r| !r.metric.ends_with("_ms"))
        .map(|r| {
            (
                format!(
                    "{} {} {} {}",
                    r.engine,
                    r.workload,
                    r.phase.name(),
                    r.metric
                ),
                r.value,
            )
        })
        .collect()
}

fn run_json(run_dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(run_dir.join("run.json")).expect("run.json reads");
    serde_json::from_str(&text).expect("run.json parses")
}

#[test]
fn memory_counters_equal_buffered_counters_exactly() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let w = workloads();

    let buffered = execute(&config(&tmp.path().join("buffered"), IoMode::Buffered), &w)
        .expect("the buffered run completes");
    assert!(buffered.failures.is_empty(), "{:?}", buffered.failures);

    let data = tmp.path().join("memory-data");
    let mut cfg = config(&tmp.path().join("memory"), IoMode::Memory);
    // Memory mode implies it: left off here to show that.
    cfg.deterministic = false;
    cfg.data_dir = Some(data.clone());
    let memory = execute(&cfg, &w).expect("the memory run completes");
    assert!(memory.failures.is_empty(), "{:?}", memory.failures);
    assert!(
        memory.warnings.iter().any(|w| w.contains("--io memory")),
        "the timings warning: {:?}",
        memory.warnings
    );

    // Every cell, both phases.
    let (b, m) = (
        summary_counters(&buffered.run_dir),
        summary_counters(&memory.run_dir),
    );
    assert_eq!(b.len(), ENGINES.len() * w.len() * 2, "{:?}", b.keys());
    assert_eq!(b.keys().collect::<Vec<_>>(), m.keys().collect::<Vec<_>>());
    for (cell, counters) in &b {
        assert_eq!(counters, &m[cell], "summary.csv differs for {cell}");
    }
    // The comparison has teeth: the engines did background work and the
    // run phases read.
    let n = |cell: &str, col: &str| -> f64 {
        b[cell][col]
            .parse()
            .unwrap_or_else(|_| panic!("{cell} {col}: not a number"))
    };
    assert!(
        n(
            "lsm-leveled:memtable_bytes=32768,target_file_bytes=32768 fill-random run",
            "compaction_bytes_written"
        ) > 0.0
    );
    assert!(
        n(
            "btree:cache_pages=32,checkpoint_bytes=65536 ycsb-a run",
            "query_bytes_read"
        ) > 0.0
    );

    let (be, me) = (
        engine_counters(&buffered.run_dir),
        engine_counters(&memory.run_dir),
    );
    assert!(!be.is_empty());
    assert_eq!(be.keys().collect::<Vec<_>>(), me.keys().collect::<Vec<_>>());
    for (metric, value) in &be {
        assert_eq!(
            value.to_bits(),
            me[metric].to_bits(),
            "engine_metrics.csv differs for {metric}: buffered {value}, memory {}",
            me[metric]
        );
    }
    let merges = be
        .iter()
        .filter(|(k, _)| k.starts_with("hash-log") && k.ends_with(" merges"))
        .map(|(_, v)| *v)
        .sum::<f64>();
    assert!(merges > 0.0, "the hash log never merged");
    assert!(be["naive-log ycsb-a run bytes_scanned"] > 0.0);
    let btree = "btree:cache_pages=32,checkpoint_bytes=65536 fill-random run";
    assert!(be[&format!("{btree} checkpoints")] > 0.0);
    assert!(be[&format!("{btree} cache_evictions")] > 0.0);

    // Recorded as the mode it ran in, deterministic; nothing on disk.
    let run = run_json(&memory.run_dir);
    assert_eq!(run["io"], "memory");
    assert_eq!(run["deterministic"], true);
    assert_eq!(run_json(&buffered.run_dir)["io"], "buffered");
    let left: Vec<_> = std::fs::read_dir(&data)
        .expect("the data root exists")
        .collect();
    assert!(left.is_empty(), "memory cells wrote to disk: {left:?}");
}

#[test]
fn memory_refuses_cold_and_keep_data_naming_the_way_out() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let w = workloads();
    let mut cfg = config(tmp.path(), IoMode::Memory);
    cfg.cold = true;
    let e = execute(&cfg, &w)
        .expect_err("--cold is refused")
        .to_string();
    assert!(
        e.contains("--cold") && e.contains("--io memory") && e.contains("--io buffered"),
        "{e}"
    );
    let mut cfg = config(tmp.path(), IoMode::Memory);
    cfg.keep_data = true;
    let e = execute(&cfg, &w)
        .expect_err("--keep-data is refused")
        .to_string();
    assert!(
        e.contains("--keep-data") && e.contains("--io buffered"),
        "{e}"
    );
    // Refused before anything was written.
    let made: Vec<_> = std::fs::read_dir(tmp.path()).expect("tmp").collect();
    assert!(made.is_empty(), "{made:?}");
}

/// The same refusal through the command line: the message on stderr, the
/// usage exit code.
#[test]
fn the_cli_refuses_memory_with_cold() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "--engine",
            "btree",
            "--workload",
            "ycsb-a",
            "--records",
            "10",
        ])
        .args([
            "--operations",
            "10",
            "--io",
            "memory",
            "--cold",
            "--no-plots",
        ])
        .arg("--out")
        .arg(tmp.path())
        .output()
        .expect("the harness binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--cold") && stderr.contains("--io memory"),
        "{stderr}"
    );
}

/// Engines that do their own file I/O cannot run on our Vfs's memory.
#[cfg(feature = "reference")]
#[test]
fn memory_refuses_reference_engines_naming_them() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let specs = ["btree", "fjall"]
        .iter()
        .map(|e| EngineSpec::parse(e).expect("spec parses"))
        .collect();
    let mut cfg = RunConfig::new(specs, tmp.path());
    cfg.io = IoMode::Memory;
    let e = execute(&cfg, &workloads())
        .expect_err("a reference engine is refused")
        .to_string();
    assert!(
        e.contains("fjall") && e.contains("--io memory") && e.contains("--io buffered"),
        "{e}"
    );
    assert!(
        !e.contains("btree"),
        "only the engines at fault are named: {e}"
    );
}

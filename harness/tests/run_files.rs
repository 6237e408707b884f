//! A small run end to end through the library: every output file is
//! written with the contract's columns, the numbers agree with each other,
//! and engine failures and time limits are reported, not hidden.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{custom, open_hooked, Call, Hooks, Toy};
use engine_core::{Engine, Error as EngineError, Options, Vfs};
use harness::registry::EngineSpec;
use harness::run::{execute, RunConfig};
use results::dir::ResultsDir;
use results::table::Table;

const LSM_SMALL: &str = "lsm-leveled:memtable_bytes=65536,target_file_bytes=65536";

fn config(out: &Path, engines: &[&str]) -> RunConfig {
    let specs = engines
        .iter()
        .map(|e| EngineSpec::parse(e).expect("valid spec"))
        .collect();
    let mut cfg = RunConfig::new(specs, out);
    cfg.deterministic = true;
    cfg
}

fn col(t: &Table, name: &str) -> usize {
    t.col(name).expect("column present")
}

#[test]
fn writes_every_file_with_the_contract_columns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = config(tmp.path(), &["mem", LSM_SMALL]);
    let out = execute(&cfg, &[Toy::new(2_000, 3_000)]).expect("run succeeds");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let dir = &out.run_dir;
    let latest = std::fs::canonicalize(tmp.path().join("latest")).expect("latest exists");
    assert_eq!(latest, std::fs::canonicalize(dir).expect("run dir"));

    let r = ResultsDir::read(dir).expect("results read back");
    let s = &r.summary.table;
    for c in [
        "engine",
        "workload",
        "phase",
        "threads",
        "records",
        "operations",
        "duration_s",
        "ops_per_sec",
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
        "peak_rss_bytes",
        "compaction_bytes_read",
        "compaction_bytes_written",
        "errors",
        "io_source",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(s.header[c.0], *c.1, "column {} out of order", c.0);
    }
    assert_eq!(s.rows.len(), 4, "engine x phase rows");
    let cells = r.summary_cells().expect("cells");
    let keys: Vec<(String, String)> = cells
        .iter()
        .map(|(k, _)| (k.0.clone(), k.2.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("mem".into(), "load".into()),
            ("mem".into(), "run".into()),
            (LSM_SMALL.into(), "load".into()),
            (LSM_SMALL.into(), "run".into())
        ]
    );
    let num = |row: usize, name: &str| -> Option<f64> {
        s.number(&s.rows[row], col(s, name)).expect("numeric cell")
    };
    // Load: 2000 inserts of 11-byte keys and 100-byte values.
    assert_eq!(num(0, "operations"), Some(2000.0));
    assert_eq!(num(0, "user_bytes_written"), Some(2000.0 * 111.0));
    assert_eq!(num(0, "live_bytes"), Some(2000.0 * 111.0));
    assert_eq!(num(1, "operations"), Some(3000.0));
    // mem does no I/O: nothing written, amplification 0, no disk.
    assert_eq!(num(0, "storage_bytes_written"), Some(0.0));
    assert_eq!(num(0, "write_amp"), Some(0.0));
    assert_eq!(num(0, "disk_bytes"), Some(0.0));
    assert_eq!(num(0, "read_amp"), None, "no reads in the load phase");
    // The LSM writes at least a WAL copy of every user byte.
    let wa = num(2, "write_amp").expect("defined");
    assert!(wa >= 1.0, "lsm load write_amp {wa}");
    assert!(num(2, "disk_bytes").expect("defined") > 0.0);
    // Both engines saw the same operations, so the live set agrees.
    assert_eq!(num(1, "live_bytes"), num(3, "live_bytes"));
    assert_eq!(num(1, "user_bytes_read"), num(3, "user_bytes_read"));
    assert_eq!(s.text(&s.rows[0], col(s, "io_source")), "vfs");

    // latency.csv: a row per op type that ran, each with its histogram.
    let l = &r.latency.table;
    let ops: Vec<&str> = l
        .rows
        .iter()
        .filter(|row| {
            l.text(row, col(l, "engine")) == "mem" && l.text(row, col(l, "phase")) == "run"
        })
        .map(|row| l.text(row, col(l, "op")))
        .collect();
    assert_eq!(ops, ["read", "update", "insert", "scan", "rmw", "delete"]);
    let (mut total, mut rmw) = (0.0, 0.0);
    for row in &l.rows {
        let file = dir.join(l.text(row, col(l, "hgrm_file")));
        let text = std::fs::read_to_string(&file).expect("histogram file exists");
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)"));
        let count = l
            .number(row, col(l, "count"))
            .expect("count")
            .expect("defined");
        assert!(
            text.contains(&format!("Total count    = {count:12}")),
            "{}",
            file.display()
        );
        if l.text(row, col(l, "engine")) == "mem" && l.text(row, col(l, "phase")) == "run" {
            total += count;
            if l.text(row, col(l, "op")) == "rmw" {
                rmw += count;
            }
        }
    }
    // An rmw is in three rows (rmw, and its parts under read and update).
    assert!(rmw > 0.0, "the mix has read-modify-writes");
    assert_eq!(
        total - 2.0 * rmw,
        3000.0,
        "every run operation is in a histogram"
    );

    // timeseries.csv: at least the final interval of each phase.
    let ts = Table::read(&dir.join("timeseries.csv")).expect("timeseries");
    assert_eq!(
        ts.header,
        [
            "engine",
            "workload",
            "phase",
            "t_s",
            "interval_s",
            "ops",
            "ops_per_sec",
            "storage_bytes_written",
            "user_bytes_written"
        ]
    );
    let ops_sum: f64 = ts
        .rows
        .iter()
        .filter(|row| ts.text(row, 0) == "mem" && ts.text(row, 2) == "run")
        .map(|row| ts.number(row, 5).expect("ops").expect("defined"))
        .sum();
    assert_eq!(ops_sum, 3000.0, "intervals add up to the phase");

    // engine_metrics.csv: each engine's own counters, per phase.
    let em = Table::read(&dir.join("engine_metrics.csv")).expect("engine_metrics");
    assert_eq!(
        em.header,
        ["engine", "workload", "phase", "metric", "value"]
    );
    let lsm_rows = em.rows.iter().filter(|row| em.text(row, 0) == LSM_SMALL);
    assert!(lsm_rows.clone().any(|row| em.text(row, 2) == "load"));
    assert!(lsm_rows.clone().any(|row| em.text(row, 2) == "run"));
    let mem_keys = em
        .rows
        .iter()
        .filter(|row| em.text(row, 0) == "mem" && em.text(row, 3) == "keys");
    assert_eq!(mem_keys.count(), 2, "mem's key count after each phase");

    // run.json: the documented fields.
    for key in [
        "run_id",
        "started_at",
        "git_commit",
        "seed",
        "threads",
        "sync",
        "cache_mb",
        "target_ops",
        "warmup_ops",
        "max_time_s",
        "engines",
        "workloads",
        "machine",
        "harness_version",
    ] {
        assert!(r.run.contains_key(key), "run.json lacks {key}");
    }
    let engines = r.run["engines"].as_array().expect("array");
    assert_eq!(
        engines[1]["options"]["background"], "false",
        "deterministic"
    );
    assert_eq!(
        engines[1]["options"]["compaction"], "leveled",
        "preset applied"
    );
    // Data directories are gone.
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir() && !p.ends_with("histograms"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Fails the 50th put.
#[derive(Default)]
struct Flaky {
    puts: AtomicU64,
}

impl Hooks for Flaky {
    fn before(&self, call: Call) -> engine_core::Result<()> {
        if call == Call::Put && self.puts.fetch_add(1, Ordering::Relaxed) == 49 {
            return Err(EngineError::Unsupported("the 50th put"));
        }
        Ok(())
    }
}

fn open_flaky(vfs: &Vfs, dir: &Path, o: &Options) -> engine_core::Result<Box<dyn Engine>> {
    open_hooked(vfs, dir, o, Flaky::default())
}

/// Sleeps on every get: far too slow to finish.
struct Slow;

impl Hooks for Slow {
    fn before(&self, call: Call) -> engine_core::Result<()> {
        if call == Call::Get {
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    }
}

fn open_slow(vfs: &Vfs, dir: &Path, o: &Options) -> engine_core::Result<Box<dyn Engine>> {
    open_hooked(vfs, dir, o, Slow)
}

#[test]
fn a_failed_operation_is_recorded_and_the_phase_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["mem"]);
    cfg.engines.insert(0, custom("flaky", open_flaky));
    let out = execute(&cfg, &[Toy::new(100, 200)]).expect("the run completes");
    assert!(
        out.failures.is_empty(),
        "one failed put is not fatal: {:?}",
        out.failures
    );
    let r = ResultsDir::read(&out.run_dir).expect("results");
    let s = &r.summary.table;
    let flaky: Vec<_> = s
        .rows
        .iter()
        .filter(|row| s.text(row, 0) == "flaky")
        .collect();
    assert_eq!(flaky.len(), 2, "both phases ran");
    let load = flaky[0];
    assert_eq!(s.text(load, col(s, "phase")), "load");
    assert_eq!(s.text(load, col(s, "errors")), "1");
    assert_eq!(
        s.text(load, col(s, "operations")),
        "99",
        "the other 99 inserts ran"
    );
    assert_eq!(s.text(load, col(s, "time_limited")), "0");
    let l = &r.latency.table;
    let failed: Vec<_> = l
        .rows
        .iter()
        .filter(|row| l.text(row, 0) == "flaky" && l.text(row, col(l, "op")) == "insert-failed")
        .collect();
    assert_eq!(failed.len(), 1, "the failed insert has its own latency row");
    assert_eq!(l.text(failed[0], col(l, "phase")), "load");
    assert_eq!(l.text(failed[0], col(l, "count")), "1");
    assert!(r.run["failures"].as_array().expect("listed").is_empty());
}

#[test]
fn a_poisoned_engine_ends_its_phase_with_the_error_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["mem"]);
    cfg.engines.insert(0, custom("poisoned", open_poisoned));
    let out = execute(&cfg, &[Toy::new(100, 200)]).expect("the run itself completes");
    assert_eq!(out.failures.len(), 1);
    let msg = out.failures[0].to_string();
    for part in ["poisoned", "toy", "load phase", "operation 50", "insert"] {
        assert!(msg.contains(part), "`{part}` missing from: {msg}");
    }
    let r = ResultsDir::read(&out.run_dir).expect("results written despite the failure");
    let s = &r.summary.table;
    let rows: Vec<_> = s
        .rows
        .iter()
        .filter(|row| s.text(row, 0) == "poisoned")
        .collect();
    assert_eq!(rows.len(), 1, "only the stopped load phase is reported");
    assert_eq!(s.text(rows[0], col(s, "errors")), "1");
    assert_eq!(s.text(rows[0], col(s, "operations")), "49");
    assert_eq!(s.text(rows[0], col(s, "time_limited")), "1");
    let mem_rows = s.rows.iter().filter(|row| s.text(row, 0) == "mem").count();
    assert_eq!(mem_rows, 2, "the other engine ran both phases");
    assert!(r.run["failures"][0]
        .as_str()
        .expect("listed")
        .contains("operation 50"));
}

/// From its 50th put on, every call fails as a poisoned engine's does.
#[derive(Default)]
struct Poisoned {
    puts: AtomicU64,
}

impl Hooks for Poisoned {
    fn before(&self, call: Call) -> engine_core::Result<()> {
        if call == Call::Put {
            self.puts.fetch_add(1, Ordering::Relaxed);
        }
        if self.puts.load(Ordering::Relaxed) >= 50 {
            return Err(EngineError::Poisoned {
                path: "/poisoned".into(),
            });
        }
        Ok(())
    }
}

fn open_poisoned(vfs: &Vfs, dir: &Path, o: &Options) -> engine_core::Result<Box<dyn Engine>> {
    open_hooked(vfs, dir, o, Poisoned::default())
}

#[test]
fn max_time_stops_a_phase_and_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &[]);
    cfg.engines.push(custom("slow", open_slow));
    cfg.max_time = Some(Duration::from_millis(300));
    let out = execute(&cfg, &[Toy::new(100, 1_000_000)]).expect("run completes");
    assert!(out.failures.is_empty());
    let run = out
        .results
        .iter()
        .find(|r| r.phase.name() == "run")
        .expect("run phase");
    assert!(run.time_limited);
    assert!(run.operations() < 1_000_000);
    let load = out
        .results
        .iter()
        .find(|r| r.phase.name() == "load")
        .expect("load");
    assert!(!load.time_limited, "the load has no gets and finishes");
}

#[test]
fn unwritable_out_dir_fails_before_any_work() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    let cfg = config(&file.join("sub"), &["mem"]);
    let err = execute(&cfg, &[Toy::new(10, 10)]).expect_err("cannot create under a file");
    assert!(matches!(err, harness::Error::OutDir { .. }), "{err}");
}

#[test]
fn bad_engine_option_value_fails_before_any_work() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = config(tmp.path(), &["mem", "lsm:bloom_bits=ten"]);
    let err = execute(&cfg, &[Toy::new(10, 10)]).expect_err("bad value");
    let msg = err.to_string();
    assert!(msg.contains("bloom_bits") && msg.contains("ten"), "{msg}");
    assert!(
        msg.contains("lsm:bloom_bits=ten") && msg.contains("opening"),
        "the spec and the stage are named: {msg}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("out").collect();
    assert!(left.is_empty(), "no run directory left behind: {left:?}");
}

#[test]
fn several_threads_share_one_engine() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["mem"]);
    cfg.threads = 3;
    let out = execute(&cfg, &[Toy::new(3_001, 3_000)]).expect("run");
    let load = &out.results[0];
    assert_eq!(load.operations(), 3_001);
    assert_eq!(load.live_bytes, 3_001 * 111);
    assert_eq!(load.threads, 3);
    let run = &out.results[1];
    assert_eq!(run.operations(), 3_000);
    let hist_total: u64 = run.latencies.service.iter().map(|h| h.len()).sum();
    assert_eq!(hist_total, 3_000, "per-thread histograms merged");
}

#[test]
fn target_rate_records_intended_latencies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["mem"]);
    cfg.target_ops = Some(5_000.0);
    let out = execute(&cfg, &[Toy::new(100, 500)]).expect("run");
    let run = &out.results[1];
    // 500 ops at 5000/s take about 0.1 s; paced, so not much less.
    assert!(run.duration_s >= 0.09, "{}", run.duration_s);
    let names: Vec<String> = run.latencies.named().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"read".to_string()) && names.contains(&"read_intended".to_string()));
    let l = Table::read(&out.run_dir.join("latency.csv")).expect("latency");
    assert!(l.rows.iter().any(|row| l.text(row, 3) == "update_intended"));
}

#[test]
fn repetitions_report_one_repetition_with_the_spread_of_all() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["mem"]);
    cfg.repeat = 3;
    let out = execute(&cfg, &[Toy::new(200, 3_000)]).expect("run completes");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let r = ResultsDir::read(&out.run_dir).expect("results");
    let s = &r.summary.table;
    assert_eq!(s.rows.len(), 2, "one load and one run row");
    let (load, run) = (&s.rows[0], &s.rows[1]);
    let num = |row, c: &str| s.number(row, col(s, c)).expect("number").expect("defined");
    assert_eq!(
        s.text(load, col(s, "repetition")),
        s.text(run, col(s, "repetition")),
        "load and run come from one repetition"
    );
    for row in [load, run] {
        assert_eq!(num(row, "repetitions"), 3.0);
        let (min, med, max) = (
            num(row, "ops_per_sec_min"),
            num(row, "ops_per_sec_median"),
            num(row, "ops_per_sec_max"),
        );
        assert!(min <= med && med <= max, "{min} {med} {max}");
        let ops = num(row, "ops_per_sec");
        assert!(min <= ops && ops <= max, "{ops} outside {min}..{max}");
    }
    // Every repetition's rows, in the summary's columns.
    let reps = Table::read(&out.run_dir.join("repetitions.csv")).expect("repetitions.csv");
    assert_eq!(reps.header, s.header);
    assert_eq!(reps.rows.len(), 6);
    let chosen = s.text(run, col(s, "repetition"));
    let same = reps
        .rows
        .iter()
        .find(|row| {
            reps.text(row, col(&reps, "phase")) == "run"
                && reps.text(row, col(&reps, "repetition")) == chosen
        })
        .expect("the chosen repetition is listed");
    assert_eq!(
        reps.text(same, col(&reps, "ops_per_sec")),
        s.text(run, col(s, "ops_per_sec"))
    );
    // Latencies are the chosen repetition's, not pooled over all three.
    let l = &r.latency.table;
    let run_count: f64 = l
        .rows
        .iter()
        .filter(|row| l.text(row, col(l, "phase")) == "run")
        .map(|row| l.number(row, col(l, "count")).expect("n").expect("defined"))
        .sum();
    let rmw: f64 = l
        .rows
        .iter()
        .filter(|row| l.text(row, col(l, "phase")) == "run" && l.text(row, col(l, "op")) == "rmw")
        .map(|row| l.number(row, col(l, "count")).expect("n").expect("defined"))
        .sum();
    assert_eq!(
        run_count - 2.0 * rmw,
        3_000.0,
        "one repetition's operations"
    );
    let lr = Table::read(&out.run_dir.join("latency_repetitions.csv")).expect("per repetition");
    let reps_seen: std::collections::BTreeSet<&str> = lr
        .rows
        .iter()
        .map(|row| lr.text(row, col(&lr, "repetition")))
        .collect();
    assert_eq!(reps_seen.into_iter().collect::<Vec<_>>(), ["0", "1", "2"]);
    for row in &lr.rows {
        assert!(out
            .run_dir
            .join(lr.text(row, col(&lr, "hgrm_file")))
            .is_file());
    }
}

/// Never settles: quiesce gives up as a reference engine's does.
struct Restless;

impl Hooks for Restless {
    fn quiesce(&self) -> engine_core::Result<()> {
        Err(EngineError::StillBusy {
            what: "compactions".into(),
            waited_s: 60,
        })
    }
}

fn open_restless(vfs: &Vfs, dir: &Path, o: &Options) -> engine_core::Result<Box<dyn Engine>> {
    open_hooked(vfs, dir, o, Restless)
}

#[test]
fn a_quiesce_that_gives_up_marks_its_rows_unsettled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["mem"]);
    cfg.engines.insert(0, custom("restless", open_restless));
    cfg.warmup_ops = 100;
    let out = execute(&cfg, &[Toy::new(100, 200)]).expect("run completes");
    assert!(out.failures.is_empty(), "not a failure: {:?}", out.failures);
    let r = ResultsDir::read(&out.run_dir).expect("results");
    let s = &r.summary.table;
    for row in &s.rows {
        let want = if s.text(row, 0) == "restless" {
            "1"
        } else {
            "0"
        };
        assert_eq!(
            s.text(row, col(s, "unsettled")),
            want,
            "{} {}",
            s.text(row, 0),
            s.text(row, col(s, "phase"))
        );
    }
}

/// The largest file under `dir`, read whole.
fn largest_file(dir: &Path) -> Vec<u8> {
    let mut best: Option<PathBuf> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if best.as_ref().map_or(true, |b| {
                b.metadata().expect("stat a listed file").len()
                    < p.metadata().expect("stat a listed file").len()
            }) {
                best = Some(p);
            }
        }
    }
    std::fs::read(best.expect("a data file")).expect("read")
}

fn stored_lz4_ratio(ratio: f64) -> f64 {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(tmp.path(), &["hash-log"]);
    cfg.data_dir = Some(tmp.path().join("data"));
    cfg.keep_data = true;
    cfg.compression_ratio = ratio;
    let mut toy = Toy::new(2_000, 0);
    toy.value_len = 1_000;
    let out = execute(&cfg, &[toy]).expect("run completes");
    let run = ResultsDir::read(&out.run_dir).expect("results").run;
    assert_eq!(run["compression_ratio"].as_f64(), Some(ratio));
    let bytes = largest_file(&tmp.path().join("data"));
    assert!(bytes.len() > 1 << 20, "{} bytes", bytes.len());
    lz4_flex::block::compress(&bytes).len() as f64 / bytes.len() as f64
}

#[test]
fn the_values_an_engine_stores_do_not_compress_unless_asked() {
    // Values were windows of one ~5 KiB buffer: LZ4 shrank a data file of
    // them to a few percent, so a compressing engine looked far better.
    let r = stored_lz4_ratio(1.0);
    assert!(
        r > 0.95,
        "a data file of incompressible values compressed to {r}"
    );
    let half = stored_lz4_ratio(0.5);
    assert!(
        (0.45..0.65).contains(&half),
        "asked 0.5, the file compressed to {half}"
    );
}

/// events.csv holds the engine's background work, each phase's events
/// timed from that phase's start, and over both phases they account for
/// every compaction byte the engine counted (no warm-up, so none is left
/// out).
#[test]
fn events_csv_accounts_for_the_engines_compactions() {
    use results::events;
    use results::Phase;
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = config(tmp.path(), &["mem", LSM_SMALL]);
    let out = execute(&cfg, &[Toy::new(4_000, 4_000)]).expect("run succeeds");
    let rows = events::read(&out.run_dir.join(results::names::EVENTS)).expect("events.csv");
    assert!(
        rows.iter().all(|r| r.engine == LSM_SMALL),
        "mem has no events"
    );
    let compactions: Vec<_> = rows.iter().filter(|r| r.kind == "compaction").collect();
    assert!(!compactions.is_empty(), "a 4k-record load compacts");
    assert!(rows
        .iter()
        .any(|r| r.kind == "flush" && r.phase == Phase::Load));
    assert!(rows.iter().all(|r| r.end_s >= r.start_s && r.end_s >= 0.0));
    let written: f64 = compactions.iter().map(|r| r.bytes_out).sum();
    let metrics = results::engine_metrics::read(&out.run_dir.join(results::names::ENGINE_METRICS))
        .expect("engine_metrics.csv");
    let counted = metrics
        .iter()
        .find(|m| {
            m.engine == LSM_SMALL && m.phase == Phase::Run && m.metric == "compaction_bytes_written"
        })
        .expect("the LSM reports compaction bytes")
        .value;
    assert_eq!(written, counted);
}

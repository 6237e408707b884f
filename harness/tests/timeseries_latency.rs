//! The latency time series end to end: a small deterministic run on `mem`
//! through `harness::run::execute`, read back through the `results` crate.
//! Counts are checked exactly (they do not depend on timing); latencies
//! only by the orderings every histogram obeys.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::Toy;
use harness::registry::EngineSpec;
use harness::run::{execute, RunConfig};
use results::hlog::{self, hlog_path};
use results::latency::Latency;
use results::names::{TIMESERIES, TIMESERIES_LATENCY};
use results::timeseries_latency::{self, TimeseriesLatencyRow};
use results::{LatencyOp, Op, Phase};

fn config(out: &Path, threads: usize, interval: Duration) -> RunConfig {
    let specs = vec![EngineSpec::parse("mem").expect("valid spec")];
    let mut cfg = RunConfig::new(specs, out);
    cfg.deterministic = true;
    cfg.threads = threads;
    cfg.interval = interval;
    cfg
}

/// latency.csv's count of each plain op per phase.
fn phase_counts(dir: &Path) -> BTreeMap<(Phase, Op), (f64, f64)> {
    let l = Latency::read(&dir.join("latency.csv")).expect("latency.csv");
    l.rows
        .iter()
        .filter_map(|r| {
            Op::ALL
                .into_iter()
                .find(|&o| r.op == LatencyOp::service(o))
                .map(|o| ((r.phase, o), (r.count, r.max_us)))
        })
        .collect()
}

fn sums(rows: &[TimeseriesLatencyRow]) -> BTreeMap<(Phase, Op), f64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry((r.phase, r.op)).or_insert(0.0) += r.count;
    }
    out
}

#[test]
fn interval_counts_sum_to_the_phase_counts_and_percentiles_are_ordered() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A 2 ms interval: several intervals per phase on any machine.
    let cfg = config(tmp.path(), 2, Duration::from_millis(2));
    let out = execute(&cfg, &[Toy::new(20_000, 40_000)]).expect("run");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let dir = &out.run_dir;
    let rows = timeseries_latency::read(&dir.join(TIMESERIES_LATENCY)).expect("read back");
    let phases = phase_counts(dir);

    // Every op type of latency.csv (the toy mix has all six, rmw's parts
    // folded into read and update) sums to its count, and nothing else.
    let got = sums(&rows);
    let want: BTreeMap<(Phase, Op), f64> = phases.iter().map(|(k, v)| (*k, v.0)).collect();
    assert_eq!(got, want);
    assert!(
        got.contains_key(&(Phase::Run, Op::Rmw)),
        "the toy mix has rmw"
    );

    for r in &rows {
        assert!(r.count > 0.0, "line {}: no empty rows", r.line);
        assert!(
            r.p50_us <= r.p99_us && r.p99_us <= r.p999_us && r.p999_us <= r.max_us,
            "line {}: {r:?}",
            r.line
        );
        let phase_max = phases[&(r.phase, r.op)].1;
        assert!(
            r.max_us <= phase_max,
            "line {}: {} > {phase_max}",
            r.line,
            r.max_us
        );
    }

    // Every row's t_s is a timeseries.csv row's of the same phase.
    let ts = results::timeseries::read(&dir.join(TIMESERIES)).expect("timeseries");
    for r in &rows {
        assert!(
            ts.iter()
                .any(|t| t.phase == r.phase && format!("{:.3}", t.t_s) == format!("{:.3}", r.t_s)),
            "line {}: t_s {} is no interval's end",
            r.line,
            r.t_s
        );
    }
}

#[test]
fn the_hlog_reads_back_with_the_phase_counts_per_op() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = config(tmp.path(), 3, Duration::from_millis(2));
    let out = execute(&cfg, &[Toy::new(10_000, 30_000)]).expect("run");
    let dir = &out.run_dir;
    let phases = phase_counts(dir);
    for phase in Phase::ALL {
        let path = dir.join(hlog_path("mem", "toy", phase));
        let intervals = hlog::read(&path).expect("the crate's interval log iterator reads it");
        let mut per_op: BTreeMap<Op, u64> = BTreeMap::new();
        for i in &intervals {
            *per_op.entry(i.op).or_insert(0) += i.histogram.len();
        }
        for (&(p, op), &(count, _)) in &phases {
            if p == phase {
                assert_eq!(
                    per_op.get(&op).copied(),
                    Some(count as u64),
                    "{phase} {op:?}"
                );
            }
        }
        assert_eq!(
            per_op.len(),
            phases.keys().filter(|(p, _)| *p == phase).count(),
            "{phase}: no op the phase did not run"
        );
        // Interval starts never go backwards.
        assert!(intervals.windows(2).all(|w| w[0].start <= w[1].start));
    }
}

#[test]
fn a_phase_shorter_than_an_interval_gets_its_one_final_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = config(tmp.path(), 1, Duration::from_secs(3_600));
    let out = execute(&cfg, &[Toy::new(500, 800)]).expect("run");
    let rows = timeseries_latency::read(&out.run_dir.join(TIMESERIES_LATENCY)).expect("read");
    let load: Vec<&TimeseriesLatencyRow> = rows.iter().filter(|r| r.phase == Phase::Load).collect();
    assert_eq!(load.len(), 1, "{load:?}");
    assert_eq!((load[0].op, load[0].count), (Op::Insert, 500.0));
    let run_t: Vec<f64> = rows
        .iter()
        .filter(|r| r.phase == Phase::Run)
        .map(|r| r.t_s)
        .collect();
    assert!(!run_t.is_empty());
    assert!(
        run_t.iter().all(|&t| t == run_t[0]),
        "one interval: {run_t:?}"
    );
    let total: f64 = rows
        .iter()
        .filter(|r| r.phase == Phase::Run)
        .map(|r| r.count)
        .sum();
    // Every run op once, plus rmw's get and put under read and update.
    let rmw = rows
        .iter()
        .find(|r| r.phase == Phase::Run && r.op == Op::Rmw)
        .map_or(0.0, |r| r.count);
    assert_eq!(total, 800.0 + 2.0 * rmw);
}

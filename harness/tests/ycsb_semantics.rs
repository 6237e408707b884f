//! YCSB's semantics where several client threads share one workload
//! (issue 14, item 5): a run-phase read never chooses a record whose
//! insert has not returned yet.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{custom, open_hooked, Call, Hooks};
use engine_core::{Engine, Options, Vfs};
use harness::run::{execute, RunConfig};
use results::dir::ResultsDir;
use workloads::WorkloadArgs;

/// An in-memory engine whose puts take a while, so inserts of several
/// threads are in flight together and a read can overtake one.
struct SlowPuts;

impl Hooks for SlowPuts {
    fn before(&self, call: Call) -> engine_core::Result<()> {
        if call == Call::Put {
            std::thread::sleep(Duration::from_micros(50));
        }
        Ok(())
    }
}

fn open_slow_puts(vfs: &Vfs, dir: &Path, o: &Options) -> engine_core::Result<Box<dyn Engine>> {
    open_hooked(vfs, dir, o, SlowPuts)
}

fn run_phase_misses(workload: &str, threads: usize) -> (f64, f64) {
    let r = run_phase(workload, threads, &[]);
    (r("misses"), r("lookups"))
}

/// The run-phase row of one run on slow-puts: a number by column name.
fn run_phase(workload: &str, threads: usize, props: &[&str]) -> impl Fn(&str) -> f64 {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cfg = RunConfig::new(vec![custom("slow-puts", open_slow_puts)], tmp.path());
    cfg.deterministic = true;
    cfg.threads = threads;
    let (workloads, _) = workloads::resolve(&WorkloadArgs {
        workloads: vec![workload.into()],
        properties: props.iter().map(|p| p.to_string()).collect(),
        records: Some(1_000),
        operations: Some(4_000),
        seed: 7,
        ..WorkloadArgs::default()
    })
    .expect("preset resolves");
    let out = execute(&cfg, &workloads).expect("run succeeds");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let r = ResultsDir::read(&out.run_dir).expect("results");
    let latency = r.latency.table;
    let s = r.summary.table;
    let p = s.col("phase").expect("summary.csv has a phase column");
    let row = s
        .rows
        .iter()
        .position(|r| s.text(r, p) == "run")
        .expect("run row");
    move |column: &str| {
        if let Some(op) = column.strip_prefix("count:") {
            let (p, o, c) = (
                latency.col("phase"),
                latency.col("op"),
                latency.col("count"),
            );
            let (p, o, c) = (
                p.expect("latency.csv has a phase column"),
                o.expect("latency.csv has an op column"),
                c.expect("latency.csv has a count column"),
            );
            return latency
                .rows
                .iter()
                .find(|r| latency.text(r, p) == "run" && latency.text(r, o) == op)
                .map_or(0.0, |r| latency.number(r, c).expect("n").expect("defined"));
        }
        let c = s.col(column).expect("column");
        s.number(&s.rows[row], c).expect("number").expect("defined")
    }
}

#[test]
fn ycsb_d_with_four_threads_reads_no_key_before_its_insert_is_acknowledged() {
    // ycsb-d reads the latest records (5 % inserts): with the bound moved
    // when an insert is handed out, a read often chose a record another
    // thread was still inserting, and found nothing.
    let (misses, lookups) = run_phase_misses("ycsb-d", 4);
    assert!(lookups > 3_000.0, "the run reads: {lookups}");
    assert_eq!(misses, 0.0, "{misses} of {lookups} reads found nothing");
}

#[test]
fn a_one_field_update_reads_the_record_and_writes_it_back_whole() {
    // YCSB's default writeallfields=false: its key-value bindings read the
    // record, replace the field and write the record back.
    let partial = run_phase("ycsb-a", 1, &[]);
    let (reads, updates) = (partial("count:read"), partial("count:update"));
    assert!(reads > 1_000.0 && updates > 1_000.0);
    assert_eq!(
        partial("lookups"),
        reads + updates,
        "one get per read and per update"
    );
    assert_eq!(partial("misses"), 0.0);
    // Each update writes a whole 1,000-byte record (plus its key).
    let written = partial("user_bytes_written");
    assert!(
        written >= updates * 1_000.0,
        "{written} for {updates} updates"
    );
    let whole = run_phase("ycsb-a", 1, &["writeallfields=true"]);
    assert_eq!(
        whole("lookups"),
        whole("count:read"),
        "no read before a whole write"
    );
}

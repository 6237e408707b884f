//! The gate on results directories with known regressions: each
//! deterministic metric, throughput and latency fail naming the metric;
//! identical runs and a uniformly slower machine pass; a missing cell, a
//! different configuration or a corrupt file is an error, never a pass.

mod common;

use std::path::{Path, PathBuf};

use common::Toy;
use harness::compare::{Tolerances, Verdict};
use harness::gate::{gate, GateOptions, GateReport};
use harness::registry::EngineSpec;
use harness::run::{execute, RunConfig};

const LSM: &str = "lsm-leveled:memtable_bytes=32768,target_file_bytes=32768";

/// One real run, shared by the tests (each copies it).
fn baseline(tmp: &Path) -> PathBuf {
    let specs = ["mem", LSM]
        .iter()
        .map(|e| EngineSpec::parse(e).expect("spec"))
        .collect();
    let mut cfg = RunConfig::new(specs, tmp.join("out"));
    cfg.deterministic = true;
    cfg.run_dir = Some(tmp.join("baseline"));
    let out = execute(&cfg, &[Toy::new(2_000, 3_000)]).expect("run");
    assert!(out.failures.is_empty());
    out.run_dir
}

fn copy(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to.join("histograms")).expect("mkdir");
    for f in ["summary.csv", "latency.csv", "timeseries.csv", "run.json"] {
        std::fs::copy(from.join(f), to.join(f)).expect("copy");
    }
    to.to_path_buf()
}

/// Rewrite one CSV file's cells: `edit(header, row)` may change the row.
fn edit_csv(path: &Path, edit: impl Fn(&[String], &mut Vec<String>)) {
    let mut r = csv::Reader::from_path(path).expect("read");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.expect("record").iter().map(String::from).collect())
        .collect();
    let mut w = csv::Writer::from_path(path).expect("write");
    w.write_record(&header).expect("header");
    for mut row in rows {
        edit(&header, &mut row);
        w.write_record(&row).expect("row");
    }
    w.flush().expect("flush");
}

/// Scale a summary cell of (engine, phase): `x -> x * factor + add`.
fn scale(dir: &Path, engine: &str, phase: &str, column: &str, factor: f64, add: f64) {
    edit_csv(&dir.join("summary.csv"), |h, row| {
        let c = h.iter().position(|x| x == column).expect("column");
        if row[0] == engine && row[2] == phase {
            let v: f64 = row[c].parse().expect("number");
            row[c] = format!("{}", v * factor + add);
        }
    });
}

fn run_gate(base: &Path, cand: &Path) -> harness::Result<GateReport> {
    gate(&GateOptions {
        baseline: base.to_path_buf(),
        candidate: cand.to_path_buf(),
        tolerances: Tolerances::default(),
        update_command: None,
    })
}

fn failed_metrics(report: &GateReport) -> Vec<String> {
    report.regressions().map(|c| c.metric.clone()).collect()
}

#[test]
fn identical_runs_pass() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());
    assert!(report.checks.len() > 20);
    assert!(report.render().contains("gate: PASS"));
    // Every metric of every cell is in the table.
    let rendered = report.render();
    for m in [
        "write_amp",
        "space_amp",
        "fsyncs",
        "ops_per_sec / mem",
        "cpu_ops_per_sec / mem",
        "p99_us read / mem",
    ] {
        assert!(rendered.contains(m), "{m} missing from the table");
    }
}

#[test]
fn each_deterministic_metric_fails_when_it_grows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    for metric in [
        "storage_bytes_written",
        "write_amp",
        "read_amp",
        "read_ios_per_op",
        "write_path_read_ios",
        "space_amp",
        "disk_bytes",
        "fsyncs",
        "errors",
    ] {
        let cand = copy(&base, &tmp.path().join(format!("cand-{metric}")));
        scale(&cand, LSM, "run", metric, 1.05, 1.0);
        let report = run_gate(&base, &cand).expect("comparable");
        assert_eq!(failed_metrics(&report), [metric], "{}", report.render());
        let text = report.render();
        assert!(text.contains("gate: FAIL") && text.contains(metric));
        assert!(
            text.contains("rm -rf") && text.contains("cp -rL"),
            "update command printed"
        );
    }
}

#[test]
fn a_small_increase_within_tolerance_passes_and_a_drop_is_better() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    scale(&cand, LSM, "load", "write_amp", 1.005, 0.0);
    scale(&cand, LSM, "run", "disk_bytes", 0.5, 0.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());
    let better = report
        .checks
        .iter()
        .find(|c| c.metric == "disk_bytes" && c.cell.2 == "run" && c.cell.0 == LSM)
        .expect("checked");
    assert_eq!(better.verdict, Verdict::Better);
}

/// Wall-clock throughput of (engine, phase) times `factor`, in the row and
/// in its spread over repetitions (a one-repetition run's spread is its
/// own value), as a run that really went at that pace would write it.
fn scale_wall(dir: &Path, engine: &str, phase: &str, factor: f64) {
    for column in [
        "ops_per_sec",
        "ops_per_sec_min",
        "ops_per_sec_median",
        "ops_per_sec_max",
    ] {
        scale(dir, engine, phase, column, factor, 0.0);
    }
}

/// A real slowdown of (engine, phase) by `factor`: wall-clock throughput
/// and CPU-time throughput both drop.
fn slow_down(dir: &Path, engine: &str, phase: &str, factor: f64) {
    scale_wall(dir, engine, phase, 1.0 / factor);
    scale(dir, engine, phase, "client_cpu_s", factor, 0.0);
}

#[test]
fn halved_throughput_fails_but_a_slower_machine_does_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("slow-engine"));
    slow_down(&cand, LSM, "run", 2.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["cpu_ops_per_sec / mem"]);

    // Everything (mem included) at half speed: the machine, not the engine.
    let cand = copy(&base, &tmp.path().join("slow-machine"));
    for engine in ["mem", LSM] {
        for phase in ["load", "run"] {
            slow_down(&cand, engine, phase, 2.0);
        }
    }
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());
}

#[test]
fn a_busy_machine_is_tolerated_but_an_engine_that_waits_is_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    // Other processes held the CPU: the wall clock says 45 % slower, the
    // CPU time is unchanged.
    let cand = copy(&base, &tmp.path().join("busy"));
    scale_wall(&cand, LSM, "run", 0.55);
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());
    // An engine that now sleeps or blocks: same CPU time, the wall clock
    // 3x slower.
    let cand = copy(&base, &tmp.path().join("waits"));
    scale_wall(&cand, LSM, "run", 1.0 / 3.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["ops_per_sec / mem"]);
}

/// The wall-clock check reads each cell's median over its repetitions
/// (summary.csv's `ops_per_sec_median`), not the row's own repetition: the
/// kept repetition 3x slower on the wall clock while the median stayed (one
/// disturbed repetition of three) passes; the median 3x slower too (two of
/// three) fails.
#[test]
fn the_wall_clock_check_takes_each_cells_median_repetition() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("one-waits"));
    scale(&cand, LSM, "run", "ops_per_sec", 1.0 / 3.0, 0.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());

    scale(&cand, LSM, "run", "ops_per_sec_median", 1.0 / 3.0, 0.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["ops_per_sec / mem"]);
}

#[test]
fn a_fluke_in_one_short_mem_cell_does_not_fail_the_others() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    // mem's run phase 40 % faster by chance: divided by mem's value in
    // that cell, the LSM's run throughput would drop 29 %; the reference
    // is the mean over all of mem's cells, which moves far less.
    slow_down(&cand, "mem", "run", 1.0 / 1.4);
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());
    // A real halving on top still fails.
    slow_down(&cand, LSM, "run", 2.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["cpu_ops_per_sec / mem"]);
}

/// The LSM's run-phase read p99 in `dir`'s latency.csv: `x -> 5x + 1`.
fn slow_lsm_reads_p99(dir: &Path) {
    edit_csv(&dir.join("latency.csv"), |h, row| {
        let c = h.iter().position(|x| x == "p99_us").expect("col");
        if row[0] == LSM && row[2] == "run" && row[3] == "read" {
            let v: f64 = row[c].parse().expect("number");
            row[c] = format!("{}", v * 5.0 + 1.0);
        }
    });
}

#[test]
fn latency_regression_fails_naming_the_op() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    slow_lsm_reads_p99(&cand);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["p99_us read / mem"]);
}

/// latency.csv with `repetition` appended, one copy per repetition number,
/// as latency_repetitions.csv (the repetitions' rows, in order).
fn latency_repetitions(dir: &Path, reps: &[&Path]) {
    let mut out = String::new();
    for (i, from) in reps.iter().enumerate() {
        let text = std::fs::read_to_string(from).expect("latency.csv");
        let mut lines = text.lines();
        let header = lines.next().expect("header");
        if i == 0 {
            out.push_str(&format!("{header},repetition\n"));
        }
        for line in lines {
            out.push_str(&format!("{line},{i}\n"));
        }
    }
    std::fs::write(dir.join("latency_repetitions.csv"), out).expect("write");
}

/// latency.csv keeps one repetition per cell (the run phase's median by
/// throughput); a p99 that only that repetition had is noise, and the gate
/// compares each side's median over repetitions instead. A slowdown in
/// most repetitions moves the median and still fails.
#[test]
fn latency_checks_take_each_cells_median_repetition() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("one-slow-rep"));
    slow_lsm_reads_p99(&cand);
    let (slow, pace) = (cand.join("latency.csv"), base.join("latency.csv"));
    latency_repetitions(&cand, &[&slow, &pace, &pace]);
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());

    latency_repetitions(&cand, &[&slow, &slow, &pace]);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["p99_us read / mem"]);
}

#[test]
fn a_phase_that_now_hits_the_time_limit_fails() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    scale(&cand, LSM, "run", "time_limited", 1.0, 1.0);
    scale(&cand, LSM, "run", "storage_bytes_written", 0.5, 0.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["time_limited"]);
}

#[test]
fn missing_cell_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    let text = std::fs::read_to_string(cand.join("summary.csv")).expect("read");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("mem,toy,run"))
        .collect();
    std::fs::write(cand.join("summary.csv"), kept.join("\n") + "\n").expect("write");
    let err = run_gate(&base, &cand).expect_err("missing cell");
    let msg = err.to_string();
    assert!(msg.contains("mem x toy x run"), "{msg}");
}

#[test]
fn different_configuration_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    for (field, value) in [
        ("seed", serde_json::json!(43)),
        ("threads", serde_json::json!(2)),
        (
            "workloads",
            serde_json::json!([{"name": "toy", "properties": {"recordcount": "9"}}]),
        ),
    ] {
        let cand = copy(&base, &tmp.path().join(format!("cand-{field}")));
        let path = cand.join("run.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        v[field] = value;
        std::fs::write(&path, v.to_string()).expect("write");
        let err = run_gate(&base, &cand).expect_err("different configuration");
        assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    }
}

#[test]
fn corrupt_files_are_errors_naming_file_and_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());

    let cand = copy(&base, &tmp.path().join("bad-number"));
    edit_csv(&cand.join("summary.csv"), |h, row| {
        let c = h.iter().position(|x| x == "write_amp").expect("col");
        if row[0] == LSM && row[2] == "load" {
            row[c] = "lots".into();
        }
    });
    let msg = run_gate(&base, &cand).expect_err("bad number").to_string();
    assert!(
        msg.contains("summary.csv") && msg.contains("line 4") && msg.contains("lots"),
        "{msg}"
    );

    let cand = copy(&base, &tmp.path().join("ragged"));
    let path = cand.join("latency.csv");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("mem,toy,run\n");
    std::fs::write(&path, text).expect("write");
    let msg = run_gate(&base, &cand).expect_err("ragged").to_string();
    assert!(msg.contains("latency.csv") && msg.contains("line"), "{msg}");

    let cand = copy(&base, &tmp.path().join("json"));
    std::fs::write(cand.join("run.json"), "{\"seed\": ").expect("write");
    let msg = run_gate(&base, &cand).expect_err("bad json").to_string();
    assert!(msg.contains("run.json"), "{msg}");

    let cand = copy(&base, &tmp.path().join("no-summary"));
    std::fs::remove_file(cand.join("summary.csv")).expect("rm");
    let msg = run_gate(&base, &cand)
        .expect_err("missing file")
        .to_string();
    assert!(msg.contains("summary.csv"), "{msg}");
}

/// Add a copy of `engine`'s rows (summary, latency, run.json) under the
/// name `new`, as if a newly registered engine had run.
fn add_engine(dir: &Path, engine: &str, new: &str) {
    for f in ["summary.csv", "latency.csv"] {
        let path = dir.join(f);
        let text = std::fs::read_to_string(&path).expect("read");
        let mut out = text.clone();
        for line in text
            .lines()
            .filter(|l| l.starts_with(&format!("{engine},")))
        {
            out.push_str(&line.replacen(engine, new, 1));
            out.push('\n');
        }
        std::fs::write(&path, out).expect("write");
    }
    let path = dir.join("run.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let list = v["engines"].as_array_mut().expect("engines");
    list.push(serde_json::json!({"spec": new, "options": {"sync": "never"}}));
    std::fs::write(&path, v.to_string()).expect("write");
}

#[test]
fn a_new_engine_in_the_candidate_is_listed_and_not_gated() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    add_engine(&cand, "mem", "btree");
    // Its numbers are terrible, and still cannot fail the gate.
    scale(&cand, "btree", "run", "write_amp", 10.0, 1.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());
    let text = report.render();
    assert!(
        text.contains("new, not gated: btree x toy x load"),
        "{text}"
    );
    assert!(text.contains("new, not gated: btree x toy x run"), "{text}");
    assert!(report.checks.iter().all(|c| c.cell.0 != "btree"));

    // The other way round, an engine the candidate lacks is an error.
    let err = run_gate(&cand, &base).expect_err("engine missing");
    assert!(err.to_string().contains("btree"), "{err}");
}

#[test]
fn changed_engine_options_are_noted_and_judged_by_the_metrics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    let cand = copy(&base, &tmp.path().join("cand"));
    let path = cand.join("run.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    for e in v["engines"].as_array_mut().expect("engines") {
        if e["spec"] == LSM {
            e["options"]["bloom_bits"] = serde_json::json!("0");
        }
    }
    std::fs::write(&path, v.to_string()).expect("write");
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "same numbers pass: {}", report.render());
    let text = report.render();
    assert!(
        text.contains("ran with other options") && text.contains("bloom_bits=0"),
        "{text}"
    );
    scale(&cand, LSM, "run", "read_ios_per_op", 1.5, 0.0);
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["read_ios_per_op"]);
}

/// With repetitions, the CPU check compares each cell's best repetition:
/// a summary row that happens to come from a disturbed repetition does
/// not fail the gate while another repetition ran at the baseline's pace;
/// every repetition slower does.
#[test]
fn the_cpu_check_takes_each_cells_best_repetition() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = baseline(tmp.path());
    std::fs::copy(base.join("summary.csv"), base.join("repetitions.csv")).expect("reps");
    let cand = copy(&base, &tmp.path().join("one-slow-rep"));
    slow_down(&cand, LSM, "load", 2.0);
    // The candidate's repetitions: the slowed row (the one summary.csv
    // kept) and one at the baseline's pace.
    let slowed = std::fs::read_to_string(cand.join("summary.csv")).expect("summary");
    let pace = std::fs::read_to_string(base.join("summary.csv")).expect("summary");
    let rows: Vec<&str> = pace.lines().skip(1).collect();
    std::fs::write(
        cand.join("repetitions.csv"),
        format!("{slowed}{}\n", rows.join("\n")),
    )
    .expect("reps");
    let report = run_gate(&base, &cand).expect("comparable");
    assert!(!report.failed(), "{}", report.render());

    // Every repetition slower: a regression.
    let cand = copy(&base, &tmp.path().join("all-slow"));
    slow_down(&cand, LSM, "load", 2.0);
    std::fs::copy(cand.join("summary.csv"), cand.join("repetitions.csv")).expect("reps");
    let report = run_gate(&base, &cand).expect("comparable");
    assert_eq!(failed_metrics(&report), ["cpu_ops_per_sec / mem"]);
}

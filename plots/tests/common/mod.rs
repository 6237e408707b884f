//! A small but realistic results directory written from code: what the
//! harness writes for 3 engines x 2 workloads x 2 phases.

#![allow(dead_code)]
// each test binary uses a different part
// Test fixture code: a failed write here should fail the test loudly, which
// is what unwrap does (clippy's allow-unwrap-in-tests covers only #[test]
// functions, not helpers shared by integration tests).
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// One engine's character in the fixture.
pub struct EngineSpec {
    pub name: &'static str,
    /// Median latency, µs.
    pub base_us: f64,
    /// Extra tail (compaction stalls) beyond 99.9 %.
    pub stall: f64,
    pub ops_per_sec: f64,
    pub write_amp: f64,
    pub read_amp: f64,
    pub read_ios: f64,
    pub space_amp: f64,
}

pub const ENGINES: [EngineSpec; 3] = [
    EngineSpec {
        name: "hash-log",
        base_us: 1.8,
        stall: 2.0,
        ops_per_sec: 410_000.0,
        write_amp: 1.08,
        read_amp: 1.02,
        read_ios: 1.0,
        space_amp: 2.3,
    },
    EngineSpec {
        name: "btree",
        base_us: 6.5,
        stall: 5.0,
        ops_per_sec: 72_000.0,
        write_amp: 9.6,
        read_amp: 4.1,
        read_ios: 0.35,
        space_amp: 1.45,
    },
    // A spec with `:`, `=` and `,` — quoted in CSV, sanitised in file names.
    EngineSpec {
        name: "lsm:bloom_bits=0,compaction=tiered",
        base_us: 3.2,
        stall: 60.0,
        ops_per_sec: 150_000.0,
        write_amp: 14.2,
        read_amp: 11.5,
        read_ios: 2.6,
        space_amp: 1.18,
    },
];

pub const WORKLOADS: [&str; 2] = ["ycsb-a", "ycsb-c"];
pub const PHASES: [&str; 2] = ["load", "run"];

/// Operation types measured in a workload's phase.
pub fn ops(workload: &str, phase: &str) -> &'static [&'static str] {
    match (workload, phase) {
        (_, "load") => &["insert"],
        ("ycsb-a", _) => &["read", "update"],
        _ => &["read"],
    }
}

pub const SUMMARY_HEADER: &str =
    "engine,workload,phase,threads,records,operations,duration_s,ops_per_sec,\
user_bytes_written,storage_bytes_written,write_amp,user_bytes_read,query_bytes_read,read_amp,\
read_ios_per_op,disk_bytes,live_bytes,space_amp,fsyncs,peak_rss_bytes,compaction_bytes_read,\
compaction_bytes_written,errors,io_source";

/// Quotes a CSV field if it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The harness's histogram file-name rule (the contract's, which the
/// harness writes with).
pub fn hgrm_name(engine: &str, workload: &str, phase: &str, op: &str) -> String {
    let phase = results::Phase::parse(phase).expect("fixture phases are load and run");
    let op = results::LatencyOp::parse(op).expect("fixture ops are the contract's");
    results::names::hgrm_file_name(engine, workload, phase, op)
}

/// Writes the whole fixture run into `dir` with every engine and workload.
pub fn write_run(dir: &Path) {
    write_run_with(dir, &ENGINES.iter().collect::<Vec<_>>(), &WORKLOADS);
}

/// Writes a fixture run with the given engines and workloads.
pub fn write_run_with(dir: &Path, engines: &[&EngineSpec], workloads: &[&str]) {
    fs::create_dir_all(dir.join("histograms")).unwrap();
    fs::write(dir.join("run.json"), run_json(engines, workloads)).unwrap();

    let records = 10_000.0;
    let mut summary = format!("{SUMMARY_HEADER}\n");
    let mut latency = String::from(
        "engine,workload,phase,op,count,mean_us,p50_us,p90_us,p99_us,p999_us,p9999_us,max_us,hgrm_file\n",
    );
    let mut timeseries = String::from(
        "engine,workload,phase,t_s,interval_s,ops,ops_per_sec,storage_bytes_written,user_bytes_written\n",
    );
    let mut timeseries_latency =
        String::from("engine,workload,phase,t_s,op,count,p50_us,p99_us,p999_us,max_us\n");
    for w in workloads {
        for phase in PHASES {
            for e in engines {
                let load = phase == "load";
                let read_only = *w == "ycsb-c" && !load;
                let ops_per_sec = if load {
                    e.ops_per_sec * 0.6
                } else {
                    e.ops_per_sec
                };
                let operations = records;
                let duration = operations / ops_per_sec;
                let user_written = if read_only { 0.0 } else { operations * 1024.0 };
                let storage_written = user_written * e.write_amp;
                let user_read = if load { 0.0 } else { operations * 0.5 * 1024.0 };
                let query_read = user_read * e.read_amp;
                let live = records * 1024.0;
                let disk = live * e.space_amp;
                // Undefined ratios are empty cells, as the contract says.
                let ratio = |num: f64, den: f64| {
                    if den > 0.0 {
                        format!("{:.4}", num / den)
                    } else {
                        String::new()
                    }
                };
                let read_ios = if load {
                    String::new()
                } else {
                    format!("{:.4}", e.read_ios)
                };
                let _ = writeln!(
                    summary,
                    "{},{w},{phase},1,{records},{operations},{duration:.6},{ops_per_sec:.3},{user_written},\
                     {storage_written},{},{user_read},{query_read},{},{read_ios},{disk},{live},{},{},{},0,0,0,vfs",
                    csv_field(e.name),
                    ratio(storage_written, user_written),
                    ratio(query_read, user_read),
                    ratio(disk, live),
                    if load { 12 } else { 3 },
                    50_000_000,
                );
                for op in ops(w, phase) {
                    let file = hgrm_name(e.name, w, phase, op);
                    let slow = if *op == "read" { 1.0 } else { 1.6 };
                    let (text, q) = hgrm_text(e.base_us * slow, e.stall, 10_000);
                    fs::write(dir.join("histograms").join(&file), text).unwrap();
                    let _ = writeln!(
                        latency,
                        "{},{w},{phase},{op},10000,{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},histograms/{file}",
                        csv_field(e.name),
                        q(0.5) * 1.1,
                        q(0.5),
                        q(0.9),
                        q(0.99),
                        q(0.999),
                        q(0.9999),
                        q(1.0),
                    );
                }
                // Ten intervals, the last one shorter; the LSM tree stalls for
                // a compaction at t = 6 s.
                let mut storage = 0.0;
                let mut user = 0.0;
                for i in 1..=10 {
                    let interval = if i == 10 { 0.6 } else { 1.0 };
                    let t = f64::from(i - 1) + interval;
                    let wobble = 1.0 + 0.06 * ((f64::from(i) * 1.7).sin());
                    let stalled = e.stall > 10.0 && i == 6;
                    let rate = ops_per_sec * wobble * if stalled { 0.08 } else { 1.0 };
                    let n = (rate * interval).round();
                    let per_op = if read_only { 0.0 } else { 1024.0 };
                    user += n * per_op;
                    storage += n * per_op * e.write_amp;
                    if stalled && !read_only {
                        // The compaction that caused the stall writes a burst.
                        storage += ops_per_sec * per_op * e.write_amp * 1.5;
                    }
                    let _ = writeln!(
                        timeseries,
                        "{},{w},{phase},{t:.3},{interval},{n},{:.3},{storage},{user}",
                        csv_field(e.name),
                        n / interval,
                    );
                    // The stall's interval has its p99 spike.
                    let p99 = e.base_us * 4.0 * if stalled { e.stall } else { 1.0 };
                    for op in ops(w, phase) {
                        let _ = writeln!(
                            timeseries_latency,
                            "{},{w},{phase},{t:.3},{op},{n},{:.3},{p99:.3},{:.3},{:.3}",
                            csv_field(e.name),
                            e.base_us,
                            p99 * 2.0,
                            p99 * 3.0,
                        );
                    }
                }
            }
        }
    }
    fs::write(dir.join("summary.csv"), summary).unwrap();
    fs::write(dir.join("latency.csv"), latency).unwrap();
    fs::write(dir.join("timeseries.csv"), timeseries).unwrap();
    fs::write(dir.join("timeseries_latency.csv"), timeseries_latency).unwrap();
}

fn run_json(engines: &[&EngineSpec], workloads: &[&str]) -> String {
    let engines: Vec<String> = engines
        .iter()
        .map(|e| {
            format!(
                "{{\"spec\": {:?}, \"options\": {{\"sync\": \"never\"}}}}",
                e.name
            )
        })
        .collect();
    let workloads: Vec<String> = workloads
        .iter()
        .map(|w| format!("{{\"name\": {w:?}, \"properties\": {{\"recordcount\": \"10000\", \"operationcount\": \"10000\"}}}}"))
        .collect();
    format!(
        r#"{{
  "run_id": "20261124-120000-42",
  "started_at": "2026-11-24T12:00:00Z",
  "git_commit": null,
  "seed": 42,
  "threads": 1,
  "sync": "never",
  "cache_mb": 64,
  "target_ops": null,
  "warmup_ops": 0,
  "max_time_s": 60,
  "engines": [{}],
  "workloads": [{}],
  "machine": {{"cpu": "Test CPU @ 3.0GHz", "cores": 2, "memory_bytes": 25769803776,
              "os": "Debian 12", "kernel": "6.1", "filesystem": "ext4"}},
  "harness_version": "0.1.0"
}}
"#,
        engines.join(", "),
        workloads.join(", ")
    )
}

/// HdrHistogram percentile output for a synthetic latency distribution with
/// median `base_us` and a tail growing past 99.9 % by `stall`; also returns
/// its quantile function.
pub fn hgrm_text(base_us: f64, stall: f64, count: u64) -> (String, impl Fn(f64) -> f64) {
    let q = move |p: f64| -> f64 {
        let p = p.min(1.0 - 0.5 / count as f64);
        let body = base_us * (0.55 + 0.65 * (-(1.0 - p).ln()).powf(1.3));
        let nines = -(1.0 - p).log10();
        let tail = 1.0 + stall * (nines - 3.0).max(0.0).powi(2);
        round3(body * tail)
    };
    let mut out = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
    let mut half = 0;
    'outer: loop {
        let start = 1.0 - 0.5f64.powi(half);
        let step = 0.5f64.powi(half + 1) / 5.0;
        for t in 0..5 {
            let p = start + step * f64::from(t);
            if 1.0 - p < 1.0 / count as f64 {
                break 'outer;
            }
            let _ = writeln!(
                out,
                "{:12.3} {:.12} {:10} {:14.2}",
                q(p),
                p,
                (p * count as f64).round() as u64,
                1.0 / (1.0 - p)
            );
        }
        half += 1;
    }
    let max = q(1.0);
    let _ = writeln!(out, "{max:12.3} {:.12} {count:10}", 1.0);
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        q(0.5) * 1.1,
        q(0.5) * 0.4
    );
    let _ = writeln!(out, "#[Max     = {max:12.3}, Total count    = {count:12}]");
    let _ = writeln!(out, "#[Buckets = {:12}, SubBuckets     = {:12}]", 27, 2048);
    (out, q)
}

/// Three significant digits, as an HdrHistogram with that precision reports.
fn round3(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor() - 2.0);
    (v / mag).round() * mag
}

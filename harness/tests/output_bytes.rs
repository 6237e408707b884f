//! The bytes of every output file are a contract (outside scripts read
//! them): a fixed set of phase results, written through the harness's
//! writers, must reproduce `tests/fixtures/output-v1/` exactly. That
//! directory was written by the writers as they were before the `results`
//! crate took them over (issue 13 item 1), so this test is what shows the
//! move changed no byte. Set `HARNESS_WRITE_OUTPUT_FIXTURE=1` to rewrite
//! it (a deliberate format change, to be reviewed in the diff).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::time::{Duration, UNIX_EPOCH};

use engine_core::EngineMetrics;
use harness::interval::compact_histogram;
use harness::kernel_io::{IoSource, KernelIo, KernelPhase};
use harness::machine::Machine;
use harness::measure::{Latencies, StorageIo, Tally};
use harness::output::run_json::{EngineEntry, WorkloadEntry};
use harness::output::{self, RunInfo};
use harness::result::{Phase, PhaseResult, Sample, Spread};
use hdrhistogram::Histogram;
use workloads::OpType;

const QUOTED: &str = "lsm:bloom_bits=0,compaction=tiered";

fn latencies(base_ns: u64, intended: bool) -> Latencies {
    let mut l = Latencies::new(intended);
    for i in 0..200u64 {
        l.record(OpType::Read, base_ns + i * 37);
        if i % 3 == 0 {
            l.record(OpType::Update, base_ns * 2 + i * 101);
        }
        if intended {
            l.record_intended(OpType::Read, base_ns * 3 + i * 53);
        }
    }
    l.record_failed(OpType::Insert, 12_345);
    l
}

/// One interval's histograms: reads and updates.
fn interval_latencies(base_ns: u64) -> Vec<(OpType, Histogram<u64>)> {
    let (mut read, mut update) = (compact_histogram(), compact_histogram());
    for i in 0..90u64 {
        read.record(base_ns + i * 41).expect("auto-resizing");
        if i % 3 == 0 {
            update.record(base_ns * 2 + i * 97).expect("auto-resizing");
        }
    }
    vec![(OpType::Read, read), (OpType::Update, update)]
}

fn phase(engine: &str, phase: Phase, rep: u32, kernel: bool) -> PhaseResult {
    let k = rep as u64 + 1;
    let source = if kernel {
        IoSource::Kernel
    } else {
        IoSource::Vfs
    };
    PhaseResult {
        engine: engine.into(),
        workload: "ycsb-a".into(),
        phase,
        threads: 1,
        records: 2_000,
        started_at: UNIX_EPOCH + Duration::from_millis(1_767_225_600_250),
        duration_s: 0.123_456_789 * k as f64,
        tally: Tally {
            ops: 2_000,
            user_bytes_written: 1_048_576 * k,
            user_bytes_read: if phase == Phase::Load { 0 } else { 524_288 },
            lookups: 1_000,
            misses: 7,
            errors: u64::from(kernel),
            cpu_ns: if kernel { 0 } else { 98_765_432 },
        },
        io: StorageIo {
            bytes_written: 3_333_333 * k,
            query_bytes_read: 777_777,
            query_read_ios: 1_234,
            write_path_bytes_read: 4_096,
            write_path_read_ios: 3,
            compaction_bytes_read: 55_555,
            compaction_bytes_written: 66_666,
            fsyncs: 12,
        },
        disk_bytes: 2_222_222,
        live_bytes: if phase == Phase::Load { 0 } else { 1_111_111 },
        peak_rss_bytes: 50_000_000,
        time_limited: kernel,
        latencies: latencies(1_000 * k, engine == "mem"),
        timeseries: vec![
            Sample {
                t_s: 0.1,
                interval_s: 0.1,
                ops: 900,
                storage_bytes_written: 1_500_000,
                user_bytes_written: 450_000,
                latencies: interval_latencies(1_000 * k),
            },
            Sample {
                t_s: 0.123_4,
                interval_s: 0.0,
                ops: 0,
                storage_bytes_written: 3_333_333,
                user_bytes_written: 1_048_576,
                latencies: Vec::new(),
            },
        ],
        kernel: KernelPhase {
            source,
            io: KernelIo {
                rchar: 10,
                wchar: 3_500_000,
                syscr: 5,
                syscw: 9,
                read_bytes: 0,
                write_bytes: 4_096_000,
                cancelled_write_bytes: 0,
            },
            available: !kernel || rep == 0,
        },
        engine_metrics: EngineMetrics::new()
            .with("compactions", 3u64)
            .with("bloom_fpr", 0.012_345_6),
        unsettled: rep == 1,
        repetition: rep,
        spread: Spread::of(vec![1_000.0, 2_500.5, 1_800.25]),
        events: if engine == QUOTED && phase == Phase::Run {
            vec![results::events::EventRow {
                engine: engine.into(),
                workload: "ycsb-a".into(),
                phase,
                start_s: -0.000_25,
                end_s: 0.123_456 * k as f64,
                kind: "compaction".into(),
                bytes_in: 65_536.0,
                bytes_out: 61_440.0,
                detail: "L0+L1->L1, \"quoted\"".into(),
            }]
        } else {
            Vec::new()
        },
    }
}

fn info() -> RunInfo {
    let props: BTreeMap<String, String> = [("recordcount", "2000"), ("readproportion", "0.5")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RunInfo {
        run_id: "20260101-000000-42".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        git_commit: Some("abc123".into()),
        seed: 42,
        threads: 1,
        sync: "none".into(),
        cache_mb: 8,
        target_ops: None,
        warmup_ops: 0,
        max_time_s: Some(60.0),
        engines: vec![EngineEntry {
            spec: QUOTED.into(),
            options: BTreeMap::from([("bloom_bits".to_string(), "0".to_string())]),
        }],
        workloads: vec![WorkloadEntry {
            name: "ycsb-a".into(),
            properties: props,
        }],
        machine: Machine {
            cpu: "Test CPU".into(),
            cores: 2,
            physical_cores: None,
            memory_bytes: 1 << 30,
            os: "TestOS".into(),
            kernel: "1.0".into(),
            filesystem: Some("ext4".into()),
        },
        harness_version: "0.1.0".into(),
        deterministic: true,
        repeat: 2,
        interval_s: 1.0,
        compression_ratio: 1.0,
        io: "buffered".into(),
        cold: false,
        command: vec!["harness".into(), "--workload".into(), "ycsb-a".into()],
        failures: vec!["flaky: injected".into()],
    }
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_output_file_keeps_its_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut every_rep = Vec::new();
    for rep in 0..2 {
        for (engine, kernel) in [("mem", false), (QUOTED, false), ("fjall", true)] {
            for p in [Phase::Load, Phase::Run] {
                every_rep.push(phase(engine, p, rep, kernel));
            }
        }
    }
    let chosen: Vec<PhaseResult> = every_rep
        .iter()
        .filter(|r| r.repetition == 1)
        .cloned()
        .collect();
    output::write_all(dir, &info(), &chosen).expect("write_all");
    output::write_repetitions(dir, &every_rep).expect("write_repetitions");

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/output-v1");
    if std::env::var_os("HARNESS_WRITE_OUTPUT_FIXTURE").is_some() {
        let _ = std::fs::remove_dir_all(&fixture);
        for f in files(dir) {
            let to = fixture.join(&f);
            std::fs::create_dir_all(to.parent().expect("has parent")).expect("mkdir");
            std::fs::copy(dir.join(&f), to).expect("copy");
        }
    }
    let written = files(dir);
    assert_eq!(written, files(&fixture), "the same files");
    assert!(written.len() > 20, "histograms included: {written:?}");
    for f in &written {
        let (got, want) = (
            std::fs::read(dir.join(f)).expect("written"),
            std::fs::read(fixture.join(f)).expect("fixture"),
        );
        assert!(
            got == want,
            "{} differs from the fixture:\n--- got\n{}\n--- want\n{}",
            f.display(),
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want)
        );
    }
}

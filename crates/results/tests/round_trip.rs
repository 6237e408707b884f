//! What each writer writes, its reader reads back as the same typed rows
//! (values at the precision the file keeps), and older files lacking the
//! appended columns still read, with those values `None`.

use std::path::Path;

use hdrhistogram::Histogram;
use results::engine_metrics::{self, EngineMetricRow};
use results::kernel_io::{self, KernelIoRow};
use results::latency::{Latency, LatencyRow};
use results::summary::{self, Summary, SummaryRow};
use results::timeseries::{self, TimeseriesRow};
use results::{IoSource, LatencyOp, Measured, Op, Phase};

const SPEC: &str = "lsm:bloom_bits=0,compaction=tiered";

fn summary_row(phase: Phase) -> SummaryRow {
    SummaryRow {
        engine: SPEC.into(),
        workload: "ycsb-a".into(),
        phase,
        threads: 1.0,
        records: 2000.0,
        operations: 2000.0,
        duration_s: 0.25,
        ops_per_sec: 8000.0,
        user_bytes_written: 2_097_152.0,
        storage_bytes_written: 6_666_666.0,
        write_amp: Some(3.178914),
        user_bytes_read: 0.0,
        query_bytes_read: 777_777.0,
        read_amp: None,
        read_ios_per_op: Some(1.234),
        disk_bytes: 2_222_222.0,
        live_bytes: 0.0,
        space_amp: None,
        fsyncs: 12.0,
        peak_rss_bytes: 50_000_000.0,
        compaction_bytes_read: 55_555.0,
        compaction_bytes_written: 66_666.0,
        errors: 0.0,
        io_source: Some(IoSource::Kernel),
        time_limited: Some(true),
        client_cpu_s: None,
        lookups: Some(1000.0),
        misses: Some(7.0),
        write_path_bytes_read: None,
        write_path_read_ios: None,
        unsettled: Some(false),
        repetition: Some(1.0),
        repetitions: Some(3.0),
        ops_per_sec_min: Some(1000.0),
        ops_per_sec_median: Some(1800.25),
        ops_per_sec_max: Some(2500.5),
        line: 0,
    }
}

#[test]
fn summary_rows_read_back_as_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("summary.csv");
    let rows = vec![summary_row(Phase::Load), summary_row(Phase::Run)];
    summary::write(&path, &rows).expect("write");
    let back = Summary::read(&path).expect("read");
    for (i, (got, want)) in back.rows.iter().zip(&rows).enumerate() {
        let want = SummaryRow {
            line: i as u64 + 2,
            ..want.clone()
        };
        assert_eq!(*got, want);
    }
    assert_eq!(back.table.header, summary::COLUMNS);
}

#[test]
fn a_summary_without_the_appended_columns_still_reads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("summary.csv");
    let full = summary_row(Phase::Run).record();
    let header = summary::COLUMNS[..summary::REQUIRED].join(",");
    let row = full[..summary::REQUIRED]
        .iter()
        .map(|c| {
            if c.contains(',') {
                format!("\"{c}\"")
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(&path, format!("{header}\n{row}\n")).expect("write");
    let back = Summary::read(&path).expect("old file reads");
    let r = &back.rows[0];
    assert_eq!((r.io_source, r.time_limited, r.lookups), (None, None, None));
    assert_eq!(r.storage_bytes_written, 6_666_666.0);
    // One column short of the contract is an error naming it.
    let header = summary::COLUMNS[..summary::REQUIRED - 1].join(",");
    std::fs::write(&path, format!("{header}\n")).expect("write");
    let e = Summary::read(&path).expect_err("errors column missing");
    assert!(e.to_string().contains("`errors`"), "{e}");
}

#[test]
fn latency_rows_and_their_histograms_read_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).expect("bounds");
    for ns in [1_000u64, 2_000, 3_000, 50_000] {
        h.record(ns).expect("in range");
    }
    let intended = LatencyOp {
        op: Op::Update,
        measured: Measured::Intended,
    };
    let rows: Vec<(LatencyRow, Histogram<u64>)> = [LatencyOp::service(Op::Read), intended]
        .into_iter()
        .map(|op| {
            let row = LatencyRow::of_histogram(SPEC, "ycsb-a", Phase::Run, op, &h, Some(2));
            (row, h.clone())
        })
        .collect();
    results::latency::write(tmp.path(), "latency_repetitions.csv", &rows, true).expect("write");
    let back = Latency::read(&tmp.path().join("latency_repetitions.csv")).expect("read");
    assert_eq!(back.rows.len(), 2);
    let (got, want) = (&back.rows[1], &rows[1].0);
    assert_eq!((got.op, got.repetition), (intended, Some(2)));
    assert_eq!(
        got.hgrm_file,
        "histograms/rep2/lsm_bloom_bits_0_compaction_tiered.ycsb-a.run.update_intended.hgrm"
    );
    assert_eq!((got.count, got.p50_us), (4.0, want.p50_us));
    assert!((got.mean_us - want.mean_us).abs() < 0.001);
    let hgrm = results::hgrm::Hgrm::read(&tmp.path().join(&got.hgrm_file)).expect("hgrm");
    assert_eq!(hgrm.total_count, Some(4));
}

#[test]
fn timeseries_engine_metrics_and_kernel_io_read_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir: &Path = tmp.path();
    let ts = vec![TimeseriesRow {
        engine: SPEC.into(),
        workload: "w".into(),
        phase: Phase::Load,
        t_s: 0.125,
        interval_s: 0.1,
        ops: 900.0,
        ops_per_sec: 9000.0,
        storage_bytes_written: 1_500_000.0,
        user_bytes_written: Some(450_000.0),
    }];
    timeseries::write(&dir.join("t.csv"), &ts).expect("write");
    assert_eq!(timeseries::read(&dir.join("t.csv")).expect("read"), ts);

    let em = vec![EngineMetricRow {
        engine: "btree".into(),
        workload: "w".into(),
        phase: Phase::Run,
        metric: "height".into(),
        value: 3.0,
    }];
    engine_metrics::write(&dir.join("e.csv"), &em).expect("write");
    assert_eq!(engine_metrics::read(&dir.join("e.csv")).expect("read"), em);

    let k = vec![KernelIoRow {
        engine: "fjall".into(),
        workload: "w".into(),
        phase: Phase::Run,
        io_source: IoSource::Kernel,
        vfs_bytes_written: None,
        vfs_query_bytes_read: None,
        vfs_compaction_bytes_read: None,
        rchar: Some(10.0),
        wchar: Some(20.0),
        syscr: Some(1.0),
        syscw: Some(2.0),
        read_bytes: Some(0.0),
        write_bytes: Some(4096.0),
        cancelled_write_bytes: Some(0.0),
        wchar_over_vfs_written: None,
        write_bytes_over_vfs_written: Some(0.5),
    }];
    kernel_io::write(&dir.join("k.csv"), &k).expect("write");
    assert_eq!(kernel_io::read(&dir.join("k.csv")).expect("read"), k);
}

//! `timeseries_latency.csv`: latency percentiles per interval and operation
//! type, so a throughput dip in `timeseries.csv` can be read beside the
//! latencies of the same interval.
//!
//! One row per engine x workload x phase x interval x operation type that
//! completed an operation in the interval. `t_s` is the end of the
//! interval, the same value as the matching `timeseries.csv` row's.
//! Latencies are service times of successful operations in microseconds
//! with 3 decimals, as in `latency.csv` (the histograms record nanoseconds
//! to 3 significant digits); an rmw's get and put are in the `read` and
//! `update` rows, as they are in `latency.csv`, so each op's `count` summed
//! over a phase's intervals is that op's `count` in `latency.csv`.

use std::path::Path;

use hdrhistogram::Histogram;

use crate::error::Result;
use crate::names::{Op, Phase};
use crate::table::{count, float, Cells, CsvOut, Table};

/// The column names.
pub mod col {
    /// `engine`: the engine spec, as in summary.csv.
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `t_s`: end of the interval in seconds since the phase started (3
    /// decimals), the same value as the timeseries.csv row of that interval.
    pub const T_S: &str = "t_s";
    /// `op`: the operation type, latency.csv's plain names only (no `_intended`
    /// or `-failed` rows).
    pub const OP: &str = "op";
    /// `count`: successful operations of the type completed in the interval.
    pub const COUNT: &str = "count";
    /// `p50_us`: median service time in microseconds (3 decimals).
    pub const P50_US: &str = "p50_us";
    /// `p99_us`: 99th percentile service time in microseconds (3 decimals).
    pub const P99_US: &str = "p99_us";
    /// `p999_us`: 99.9th percentile service time in microseconds (3 decimals).
    pub const P999_US: &str = "p999_us";
    /// `max_us`: largest service time in microseconds (3 decimals), the top of
    /// its histogram bucket.
    pub const MAX_US: &str = "max_us";
}

use col::*;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    ENGINE, WORKLOAD, PHASE, T_S, OP, COUNT, P50_US, P99_US, P999_US, MAX_US,
];

/// One operation type in one interval of one engine x workload x phase.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesLatencyRow {
    /// Engine spec, as in summary.csv.
    pub engine: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// End of the interval, seconds since the phase started.
    pub t_s: f64,
    /// The operation type (plain: no `_intended` or `-failed`).
    pub op: Op,
    /// Operations of this type completed in the interval.
    pub count: f64,
    /// Median service time of the interval's operations, microseconds.
    pub p50_us: f64,
    /// 99th percentile service time, microseconds.
    pub p99_us: f64,
    /// 99.9th percentile service time, microseconds.
    pub p999_us: f64,
    /// Largest service time, microseconds (the top of its bucket); never above
    /// latency.csv's `max_us` for the op.
    pub max_us: f64,
    /// Line of the row in its file (0 for a row not read from a file).
    pub line: u64,
}

impl TimeseriesLatencyRow {
    /// The row that summarises `h` (nanoseconds).
    pub fn of_histogram(
        engine: &str,
        workload: &str,
        phase: Phase,
        t_s: f64,
        op: Op,
        h: &Histogram<u64>,
    ) -> TimeseriesLatencyRow {
        let q = |q: f64| h.value_at_quantile(q) as f64 / 1_000.0;
        TimeseriesLatencyRow {
            engine: engine.to_string(),
            workload: workload.to_string(),
            phase,
            t_s,
            op,
            count: h.len() as f64,
            p50_us: q(0.5),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: h.max() as f64 / 1_000.0,
            line: 0,
        }
    }

    /// The cells, in [`COLUMNS`] order.
    pub fn record(&self) -> Vec<String> {
        let us = |x: f64| float(x, 3);
        vec![
            self.engine.clone(),
            self.workload.clone(),
            self.phase.name().to_string(),
            float(self.t_s, 3),
            self.op.name().to_string(),
            count(self.count),
            us(self.p50_us),
            us(self.p99_us),
            us(self.p999_us),
            us(self.max_us),
        ]
    }
}

/// Write `timeseries_latency.csv` into `path`.
pub fn write(path: &Path, rows: &[TimeseriesLatencyRow]) -> Result<()> {
    let mut w = CsvOut::create(path, COLUMNS)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    w.finish()
}

/// Read and check `timeseries_latency.csv`.
pub fn read(path: &Path) -> Result<Vec<TimeseriesLatencyRow>> {
    let t = Table::read(path)?;
    t.require(COLUMNS)?;
    t.rows
        .iter()
        .map(|row| parse_row(&t, &t.cells(row)))
        .collect()
}

fn parse_row(t: &Table, c: &Cells<'_>) -> Result<TimeseriesLatencyRow> {
    let n = |name: &str| c.number(t.col(name)?);
    Ok(TimeseriesLatencyRow {
        engine: c.text(t.col(ENGINE)?)?,
        workload: c.text(t.col(WORKLOAD)?)?,
        phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
        t_s: n(T_S)?,
        op: c.parsed(t.col(OP)?, "an operation type", Op::parse)?,
        count: n(COUNT)?,
        p50_us: n(P50_US)?,
        p99_us: n(P99_US)?,
        p999_us: n(P999_US)?,
        max_us: n(MAX_US)?,
        line: c.line(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn row(op: Op) -> TimeseriesLatencyRow {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).expect("bounds");
        for ns in [1_000, 2_000, 3_000, 40_000] {
            h.record(ns).expect("in range");
        }
        TimeseriesLatencyRow::of_histogram("mem", "ycsb-a", Phase::Run, 1.0, op, &h)
    }

    #[test]
    fn rows_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("timeseries_latency.csv");
        let rows = vec![row(Op::Read), row(Op::Update)];
        write(&path, &rows).expect("write");
        let back = read(&path).expect("read");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].op, Op::Read);
        assert_eq!(back[1].line, 3);
        assert_eq!(back[0].count, 4.0);
        assert_eq!(back[0].p50_us, 2.0);
        // The histogram's max is the top of 40 us's bucket (3 digits).
        assert_eq!(back[0].max_us, 40.031);
        let text = std::fs::read_to_string(&path).expect("text");
        assert_eq!(
            text.lines().next(),
            Some("engine,workload,phase,t_s,op,count,p50_us,p99_us,p999_us,max_us")
        );
    }

    #[test]
    fn a_malformed_row_names_file_line_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("timeseries_latency.csv");
        write(&path, &[row(Op::Read), row(Op::Scan)]).expect("write");
        let text = std::fs::read_to_string(&path).expect("text");
        let bad = text.replacen(",scan,", ",scna,", 1);
        std::fs::write(&path, &bad).expect("rewrite");
        let e = read(&path).expect_err("`scna` is no op");
        assert!(
            matches!(&e, Error::Malformed { line: 3, column, .. } if column == "op"),
            "{e}"
        );
        assert!(e.to_string().contains("timeseries_latency.csv"), "{e}");
        let bad = text.replacen(",2.000,", ",two,", 1);
        std::fs::write(&path, &bad).expect("rewrite");
        let e = read(&path).expect_err("`two` is no number");
        assert!(
            matches!(&e, Error::Malformed { line: 2, column, .. } if column == "p50_us"),
            "{e}"
        );
    }
}

//! `latency.csv` (and `latency_repetitions.csv`) with the
//! `histograms/*.hgrm` file behind each row.
//!
//! One row per engine x workload x phase x operation type that ran.
//! Latencies in microseconds with 3 decimals (the histograms record
//! nanoseconds to 3 significant digits). Under `--target`, each type also
//! gets a `<op>_intended` row (latency from the *scheduled* start, which
//! includes the wait behind a slow predecessor: coordinated omission
//! corrected); failed operations get `<op>-failed` rows.
//! `latency_repetitions.csv` appends a `repetition` column and keeps its
//! histograms under `histograms/rep<N>/`.

use std::path::Path;

use hdrhistogram::Histogram;

use crate::error::{Error, Result};
use crate::hgrm;
use crate::names::{hgrm_path, LatencyOp, Phase};
use crate::table::{count, float, Cells, CsvOut, Table};

/// The column names.
pub mod col {
    /// `engine`: the engine spec, as in summary.csv.
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `op`: the operation type (`read`, `update`, `insert`, `scan`, `rmw`,
    /// `delete`), with `_intended` under `--target` or `-failed` for failed
    /// operations.
    pub const OP: &str = "op";
    /// `count`: operations of this type recorded in the phase (an rmw's get and
    /// put also count under `read` and `update`).
    pub const COUNT: &str = "count";
    /// `mean_us`: mean latency in microseconds (3 decimals).
    pub const MEAN_US: &str = "mean_us";
    /// `p50_us`: median latency in microseconds (3 decimals).
    pub const P50_US: &str = "p50_us";
    /// `p90_us`: 90th percentile latency in microseconds (3 decimals).
    pub const P90_US: &str = "p90_us";
    /// `p99_us`: 99th percentile latency in microseconds (3 decimals).
    pub const P99_US: &str = "p99_us";
    /// `p999_us`: 99.9th percentile latency in microseconds (3 decimals).
    pub const P999_US: &str = "p999_us";
    /// `p9999_us`: 99.99th percentile latency in microseconds (3 decimals).
    pub const P9999_US: &str = "p9999_us";
    /// `max_us`: largest latency in microseconds (3 decimals), the top of its
    /// histogram bucket.
    pub const MAX_US: &str = "max_us";
    /// `hgrm_file`: path of the row's `.hgrm` histogram file, relative to the
    /// run directory.
    pub const HGRM_FILE: &str = "hgrm_file";
    /// Only in `latency_repetitions.csv`.
    pub const REPETITION: &str = "repetition";
}

use col::*;

/// Column names of latency.csv, in file order.
pub const COLUMNS: &[&str] = &[
    ENGINE, WORKLOAD, PHASE, OP, COUNT, MEAN_US, P50_US, P90_US, P99_US, P999_US, P9999_US, MAX_US,
    HGRM_FILE,
];

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRow {
    /// Engine spec, as in summary.csv.
    pub engine: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// The operation type, with its `_intended` or `-failed` variant.
    pub op: LatencyOp,
    /// Operations recorded (an rmw's get and put also count under `read` and
    /// `update`).
    pub count: f64,
    /// Mean latency, microseconds.
    pub mean_us: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 90th percentile latency, microseconds.
    pub p90_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// 99.9th percentile latency, microseconds.
    pub p999_us: f64,
    /// 99.99th percentile latency, microseconds.
    pub p9999_us: f64,
    /// Largest latency, microseconds (the top of the largest value's bucket).
    pub max_us: f64,
    /// Histogram file, relative to the run directory.
    pub hgrm_file: String,
    /// The repetition, in `latency_repetitions.csv` only.
    pub repetition: Option<u32>,
    /// Line of the row in its file (0 for a row not read from a file).
    pub line: u64,
}

impl LatencyRow {
    /// The row that summarises `h` (nanoseconds), with its file name.
    pub fn of_histogram(
        engine: &str,
        workload: &str,
        phase: Phase,
        op: LatencyOp,
        h: &Histogram<u64>,
        repetition: Option<u32>,
    ) -> LatencyRow {
        let q = |q: f64| h.value_at_quantile(q) as f64 / 1_000.0;
        LatencyRow {
            engine: engine.to_string(),
            workload: workload.to_string(),
            phase,
            op,
            count: h.len() as f64,
            mean_us: h.mean() / 1_000.0,
            p50_us: q(0.5),
            p90_us: q(0.9),
            p99_us: q(0.99),
            p999_us: q(0.999),
            p9999_us: q(0.9999),
            max_us: h.max() as f64 / 1_000.0,
            hgrm_file: hgrm_path(engine, workload, phase, op, repetition),
            repetition,
            line: 0,
        }
    }

    /// The cells, in file order.
    pub fn record(&self) -> Vec<String> {
        let us = |x: f64| float(x, 3);
        let mut cells = vec![
            self.engine.clone(),
            self.workload.clone(),
            self.phase.name().to_string(),
            self.op.to_string(),
            count(self.count),
            us(self.mean_us),
            us(self.p50_us),
            us(self.p90_us),
            us(self.p99_us),
            us(self.p999_us),
            us(self.p9999_us),
            us(self.max_us),
            self.hgrm_file.clone(),
        ];
        if let Some(n) = self.repetition {
            cells.push(n.to_string());
        }
        cells
    }
}

/// Write `file` (latency.csv, or latency_repetitions.csv when
/// `per_repetition`) into `run_dir`, and each row's histogram to its
/// `hgrm_file`.
pub fn write(
    run_dir: &Path,
    file: &str,
    rows: &[(LatencyRow, Histogram<u64>)],
    per_repetition: bool,
) -> Result<()> {
    let mut header = COLUMNS.to_vec();
    if per_repetition {
        header.push(REPETITION);
    }
    let mut w = CsvOut::create(&run_dir.join(file), &header)?;
    for (row, h) in rows {
        let path = run_dir.join(&row.hgrm_file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
        }
        std::fs::write(&path, hgrm::format(h)).map_err(|e| Error::io("cannot write", &path, e))?;
        w.write_record(row.record())?;
    }
    w.finish()
}

/// A latency file read back: typed rows and the table.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Typed rows, in file order.
    pub rows: Vec<LatencyRow>,
    /// Every column as written.
    pub table: Table,
}

impl Latency {
    /// Read and check a latency file.
    pub fn read(path: &Path) -> Result<Latency> {
        let table = Table::read(path)?;
        table.require(COLUMNS)?;
        let mut rows = Vec::with_capacity(table.rows.len());
        for row in &table.rows {
            rows.push(parse_row(&table, &table.cells(row))?);
        }
        Ok(Latency { rows, table })
    }
}

fn parse_row(t: &Table, c: &Cells<'_>) -> Result<LatencyRow> {
    let n = |name: &str| c.number(t.col(name)?);
    let repetition = match t.optional_col(REPETITION) {
        Some(col) => Some(c.parsed(col, "a repetition number", |s| s.parse().ok())?),
        None => None,
    };
    Ok(LatencyRow {
        engine: c.text(t.col(ENGINE)?)?,
        workload: c.text(t.col(WORKLOAD)?)?,
        phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
        op: c.parsed(t.col(OP)?, "an operation type", LatencyOp::parse)?,
        count: n(COUNT)?,
        mean_us: n(MEAN_US)?,
        p50_us: n(P50_US)?,
        p90_us: n(P90_US)?,
        p99_us: n(P99_US)?,
        p999_us: n(P999_US)?,
        p9999_us: n(P9999_US)?,
        max_us: n(MAX_US)?,
        hgrm_file: c.text(t.col(HGRM_FILE)?)?,
        repetition,
        line: c.line(),
    })
}

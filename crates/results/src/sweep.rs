//! `sweep.csv`: one row per cell x phase x metric of a design-space sweep
//! (`harness sweep PLAN`), the measured figure beside the model's
//! prediction.
//!
//! A sweep's results directory is an ordinary results directory (every
//! cell's rows are in `summary.csv` and the other files, each cell under
//! its own engine label) plus this file. Its columns:
//!
//! - `cell`: the cell's id, unique in the plan (also its directory under
//!   `cells/`).
//! - `engine`: the engine's base name (`lsm`, `btree`, ...); `spec`: the
//!   full engine spec the cell ran (`lsm:size_ratio=4,compaction=tiered`).
//! - `workload`, `phase` (`load` or `run`), `records`, `seed`.
//! - One column per parameter the plan varies, named by the parameter
//!   (`size_ratio`, `bloom_bits`, ...), in the plan's order; empty where
//!   the parameter does not apply to the cell's engine. The names are
//!   the header's columns between `seed` and `metric`.
//! - `metric`: a `summary.csv` column name (`write_amp`,
//!   `read_ios_per_op`, `space_amp`, ...).
//! - `measured`, `model`: the figure and the model's prediction; either
//!   may be empty (a model that does not cover the cell, a figure that is
//!   undefined for the phase).
//! - `gap_pct`: `100 * (measured - model) / model`, empty unless both are
//!   present and the model is not zero.
//! - `kind`: `count` for a figure derived from exact byte or call
//!   counters (repeatable for a fixed seed), `timing` for one that comes
//!   from a clock (throughput, latency).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::{float, optional, Cells, CsvOut, Table};

/// The fixed column names.
pub mod col {
    /// `cell`: the cell's id, unique in the plan (also its directory under
    /// `cells/`).
    pub const CELL: &str = "cell";
    /// `engine`: the engine's base name (`lsm`, `btree`, ...).
    pub const ENGINE: &str = "engine";
    /// `spec`: the full engine spec the cell ran
    /// (`lsm:size_ratio=4,compaction=tiered`).
    pub const SPEC: &str = "spec";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `records`: records the cell loaded (its `recordcount`), a whole number.
    pub const RECORDS: &str = "records";
    /// `seed`: the cell's seed, a whole number; the parameter columns follow
    /// it.
    pub const SEED: &str = "seed";
    /// `metric`: the summary.csv column the row's figures are (`write_amp`,
    /// `read_ios_per_op`, ...); the parameter columns end before it.
    pub const METRIC: &str = "metric";
    /// `measured`: the figure as measured (4 decimals); empty when undefined
    /// for the phase.
    pub const MEASURED: &str = "measured";
    /// `model`: the model's prediction of it (4 decimals); empty when no model
    /// covers the cell.
    pub const MODEL: &str = "model";
    /// `gap_pct`: `100 * (measured - model) / model` (1 decimal); empty unless
    /// both are present and the model is not zero.
    pub const GAP_PCT: &str = "gap_pct";
    /// `kind`: `count` or `timing`, see [`Kind`](super::Kind).
    pub const KIND: &str = "kind";
}

use col::*;

/// Columns before the parameter columns, in file order.
pub const LEADING: &[&str] = &[CELL, ENGINE, SPEC, WORKLOAD, PHASE, RECORDS, SEED];
/// Columns after the parameter columns, in file order.
pub const TRAILING: &[&str] = &[METRIC, MEASURED, MODEL, GAP_PCT, KIND];

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exact counters: the same for a fixed seed on any machine.
    Count,
    /// A clock: only comparable within one machine and one run.
    Timing,
}

impl Kind {
    /// The `kind` cell: `count` or `timing`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Count => "count",
            Kind::Timing => "timing",
        }
    }

    /// The kind whose cell is `s`; `None` for any other text.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "count" => Some(Kind::Count),
            "timing" => Some(Kind::Timing),
            _ => None,
        }
    }
}

/// One cell x phase x metric.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// The cell's id, unique in the plan (also its directory under `cells/`).
    pub cell: String,
    /// The engine's base name (`lsm`, `btree`, ...).
    pub engine: String,
    /// The full engine spec the cell ran.
    pub spec: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// `load` or `run`.
    pub phase: String,
    /// Records the cell loaded (`recordcount`).
    pub records: u64,
    /// The cell's seed.
    pub seed: u64,
    /// Parameter name -> value, for the parameters that apply to this
    /// cell (a missing name is written as an empty cell).
    pub params: BTreeMap<String, String>,
    /// The summary.csv column the figures are.
    pub metric: String,
    /// The figure as measured; `None` when undefined for the phase.
    pub measured: Option<f64>,
    /// The model's prediction; `None` when no model covers the cell.
    pub model: Option<f64>,
    /// Whether the figure comes from exact counters or from a clock.
    pub kind: Kind,
    /// Line of the row in its file (0 for a row not read from a file).
    pub line: u64,
}

impl SweepRow {
    /// `100 * (measured - model) / model`, when both exist and the model
    /// is not zero.
    pub fn gap_pct(&self) -> Option<f64> {
        match (self.measured, self.model) {
            (Some(m), Some(p)) if p != 0.0 => Some(100.0 * (m - p) / p),
            _ => None,
        }
    }

    fn record(&self, params: &[String]) -> Vec<String> {
        let mut r = vec![
            self.cell.clone(),
            self.engine.clone(),
            self.spec.clone(),
            self.workload.clone(),
            self.phase.clone(),
            self.records.to_string(),
            self.seed.to_string(),
        ];
        for p in params {
            r.push(self.params.get(p).cloned().unwrap_or_default());
        }
        r.push(self.metric.clone());
        // The gap is derived from the figures as written, so a reader that
        // derives it again from the file gets the same value.
        let written = |x: Option<f64>| x.map(|v| float(v, 4).parse::<f64>().unwrap_or(v));
        let as_read = SweepRow {
            measured: written(self.measured),
            model: written(self.model),
            ..self.clone()
        };
        r.push(optional(self.measured, 4));
        r.push(optional(self.model, 4));
        r.push(optional(as_read.gap_pct(), 1));
        r.push(self.kind.name().to_string());
        r
    }
}

/// Write `sweep.csv` into `path`, with `params` as the parameter columns
/// (in that order). A parameter named like a fixed column is refused.
pub fn write(path: &Path, params: &[String], rows: &[SweepRow]) -> Result<()> {
    if let Some(p) = params
        .iter()
        .find(|p| LEADING.contains(&p.as_str()) || TRAILING.contains(&p.as_str()))
    {
        return Err(Error::Malformed {
            path: path.to_path_buf(),
            line: 1,
            column: p.clone(),
            message: "a sweep parameter cannot share a fixed column's name".into(),
        });
    }
    let mut header: Vec<&str> = LEADING.to_vec();
    header.extend(params.iter().map(String::as_str));
    header.extend_from_slice(TRAILING);
    let mut w = CsvOut::create(path, &header)?;
    for r in rows {
        w.write_record(r.record(params))?;
    }
    w.finish()
}

/// Read and check `sweep.csv`: the parameter names (header order) and the
/// rows.
pub fn read(path: &Path) -> Result<(Vec<String>, Vec<SweepRow>)> {
    let t = Table::read(path)?;
    t.require(LEADING)?;
    t.require(TRAILING)?;
    let first = t.col(SEED)? + 1;
    let last = t.col(METRIC)?;
    let params: Vec<String> = t.header.get(first..last).unwrap_or_default().to_vec();
    let rows = t
        .rows
        .iter()
        .map(|row| parse_row(&t, &t.cells(row), &params, first))
        .collect::<Result<Vec<_>>>()?;
    Ok((params, rows))
}

fn parse_row(t: &Table, c: &Cells<'_>, params: &[String], first: usize) -> Result<SweepRow> {
    let int = |name: &str| -> Result<u64> {
        let col = t.col(name)?;
        c.parsed(col, "a whole number", |s| s.parse::<u64>().ok())
    };
    let mut values = BTreeMap::new();
    for (i, p) in params.iter().enumerate() {
        let v = c.raw(first + i);
        if !v.is_empty() {
            values.insert(p.clone(), v.to_string());
        }
    }
    let row = SweepRow {
        cell: c.text(t.col(CELL)?)?,
        engine: c.text(t.col(ENGINE)?)?,
        spec: c.text(t.col(SPEC)?)?,
        workload: c.text(t.col(WORKLOAD)?)?,
        phase: c.parsed(t.col(PHASE)?, "`load` or `run`", |s| {
            matches!(s, "load" | "run").then(|| s.to_string())
        })?,
        records: int(RECORDS)?,
        seed: int(SEED)?,
        params: values,
        metric: c.text(t.col(METRIC)?)?,
        measured: c.opt_number(t.col(MEASURED)?)?,
        model: c.opt_number(t.col(MODEL)?)?,
        kind: c.parsed(t.col(KIND)?, "`count` or `timing`", Kind::parse)?,
        line: c.line(),
    };
    // gap_pct is derived; a file whose gap disagrees with its own measured
    // and model columns has been edited or mis-written.
    let written = c.opt_signed(t.col(GAP_PCT)?)?;
    let derived = row
        .gap_pct()
        .map(|g| float(g, 1).parse::<f64>().unwrap_or(g));
    if written != derived {
        return Err(Error::Malformed {
            path: t.path.clone(),
            line: c.line(),
            column: GAP_PCT.into(),
            message: format!("gap_pct {written:?} does not match measured and model ({derived:?})"),
        });
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cell: &str, ratio: Option<&str>, measured: f64, model: Option<f64>) -> SweepRow {
        let mut params = BTreeMap::new();
        if let Some(r) = ratio {
            params.insert("size_ratio".to_string(), r.to_string());
        }
        SweepRow {
            cell: cell.into(),
            engine: "lsm".into(),
            spec: format!("lsm:size_ratio={}", ratio.unwrap_or("10")),
            workload: "fill-random".into(),
            phase: "load".into(),
            records: 1000,
            seed: 42,
            params,
            metric: "write_amp".into(),
            measured: Some(measured),
            model,
            kind: Kind::Count,
            line: 0,
        }
    }

    fn params() -> Vec<String> {
        vec!["size_ratio".into(), "bloom_bits".into()]
    }

    #[test]
    fn rows_round_trip_with_parameter_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sweep.csv");
        let rows = vec![
            row("c0", Some("4"), 6.0, Some(5.0)),
            row("c1", None, 2.5, None),
        ];
        write(&path, &params(), &rows).expect("write");
        let text = std::fs::read_to_string(&path).expect("text");
        assert_eq!(
            text.lines().next(),
            Some(
                "cell,engine,spec,workload,phase,records,seed,size_ratio,bloom_bits,\
                 metric,measured,model,gap_pct,kind"
            )
        );
        assert!(
            text.contains(",write_amp,6.0000,5.0000,20.0,count"),
            "{text}"
        );
        let (names, back) = read(&path).expect("read");
        assert_eq!(names, params());
        assert_eq!(
            back[0].params.get("size_ratio").map(String::as_str),
            Some("4")
        );
        assert!(back[1].params.is_empty());
        assert_eq!(back[0].gap_pct(), Some(20.0));
        assert_eq!(back[1].model, None);
        assert_eq!(back[1].line, 3);
    }

    #[test]
    fn figures_with_more_decimals_than_the_file_keeps_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sweep.csv");
        // Unrounded, the gap is 1.451% (1.5 at one decimal); from the
        // written 1.0145 and 1.0000 it is just under 1.45% (1.4).
        let rows = [
            row("c0", Some("4"), 1.014_51, Some(1.0)),
            row("c1", Some("8"), 2.0, Some(1.987_654_3)),
        ];
        write(&path, &params(), &rows).expect("write");
        read(&path).expect("the file agrees with itself");
    }

    #[test]
    fn a_measurement_below_its_model_reads_back_with_a_negative_gap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sweep.csv");
        write(&path, &params(), &[row("c0", Some("4"), 4.0, Some(5.0))]).expect("write");
        let (_, back) = read(&path).expect("a negative gap is a gap");
        assert_eq!(back[0].gap_pct(), Some(-20.0));
    }

    #[test]
    fn a_parameter_named_like_a_fixed_column_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sweep.csv");
        let e = write(&path, &["metric".to_string()], &[]).expect_err("clash");
        assert!(e.to_string().contains("metric"), "{e}");
    }

    #[test]
    fn a_gap_that_disagrees_with_its_figures_is_malformed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sweep.csv");
        write(&path, &params(), &[row("c0", Some("4"), 6.0, Some(5.0))]).expect("write");
        let text = std::fs::read_to_string(&path).expect("text");
        std::fs::write(&path, text.replace(",20.0,", ",2.0,")).expect("rewrite");
        let e = read(&path).expect_err("edited gap");
        assert!(
            matches!(&e, Error::Malformed { line: 2, column, .. } if column == "gap_pct"),
            "{e}"
        );
        std::fs::write(&path, text.replace(",count", ",cnt")).expect("rewrite");
        let e = read(&path).expect_err("bad kind");
        assert!(e.to_string().contains("kind"), "{e}");
    }
}

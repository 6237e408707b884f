//! A results directory read back for the gate: summary.csv, latency.csv and
//! run.json, each through its own reader, indexed by cell, and the
//! per-repetition files (repetitions.csv, latency_repetitions.csv) when the
//! run had repetitions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::latency::{Latency, LatencyRow};
use crate::names::{LATENCY, LATENCY_REPETITIONS, REPETITIONS, RUN_JSON, SUMMARY};
use crate::run_json;
use crate::summary::{Summary, SummaryRow};

/// (engine, workload, phase): the unit the gate compares.
pub type CellKey = (String, String, String);

/// The files of one results directory the gate needs.
#[derive(Debug, Clone)]
pub struct ResultsDir {
    /// The results directory read.
    pub dir: PathBuf,
    /// Its summary.csv.
    pub summary: Summary,
    /// Its latency.csv.
    pub latency: Latency,
    /// run.json's top-level object.
    pub run: Map<String, Value>,
    /// repetitions.csv, when the run had more than one repetition.
    pub repetitions: Option<Summary>,
    /// latency_repetitions.csv, when the run had more than one repetition.
    pub latency_repetitions: Option<Latency>,
}

impl ResultsDir {
    /// Read the three files; a missing one makes the directory
    /// incomparable, a malformed one is an error naming file and line.
    pub fn read(dir: &Path) -> Result<ResultsDir> {
        if !dir.is_dir() {
            return Err(Error::Incomparable(format!(
                "{} is not a results directory",
                dir.display()
            )));
        }
        let need = |name: &str| {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(Error::Incomparable(format!(
                    "{}: missing (not a complete results directory)",
                    p.display()
                )))
            }
        };
        let summary = Summary::read(&need(SUMMARY)?)?;
        let latency = Latency::read(&need(LATENCY)?)?;
        let run = run_json::read(&need(RUN_JSON)?)?;
        let optional = |name: &str| {
            let p = dir.join(name);
            p.is_file().then_some(p)
        };
        let repetitions = optional(REPETITIONS)
            .map(|p| Summary::read(&p))
            .transpose()?;
        let latency_repetitions = optional(LATENCY_REPETITIONS)
            .map(|p| Latency::read(&p))
            .transpose()?;
        Ok(ResultsDir {
            dir: dir.to_path_buf(),
            summary,
            latency,
            run,
            repetitions,
            latency_repetitions,
        })
    }

    /// summary.csv rows by cell, in file order; a duplicated cell is an
    /// error.
    pub fn summary_cells(&self) -> Result<Vec<(CellKey, &SummaryRow)>> {
        let mut seen: HashMap<CellKey, u64> = HashMap::new();
        let mut out = Vec::new();
        for row in &self.summary.rows {
            let key = cell_key(&row.engine, &row.workload, row.phase.name());
            if let Some(first) = seen.insert(key.clone(), row.line) {
                return Err(Error::Malformed {
                    path: self.summary.table.path.clone(),
                    line: row.line,
                    column: crate::summary::col::ENGINE.into(),
                    message: format!(
                        "duplicate row for {} x {} x {} (first on line {first})",
                        key.0, key.1, key.2
                    ),
                });
            }
            out.push((key, row));
        }
        Ok(out)
    }

    /// latency.csv rows by (cell, op); a duplicated row is an error.
    pub fn latency_cells(&self) -> Result<HashMap<(CellKey, String), &LatencyRow>> {
        let mut out = HashMap::new();
        for row in &self.latency.rows {
            let key = (
                cell_key(&row.engine, &row.workload, row.phase.name()),
                row.op.to_string(),
            );
            if out.insert(key.clone(), row).is_some() {
                return Err(Error::Malformed {
                    path: self.latency.table.path.clone(),
                    line: row.line,
                    column: crate::latency::col::OP.into(),
                    message: format!("duplicate latency row for op `{}`", key.1),
                });
            }
        }
        Ok(out)
    }
}

impl ResultsDir {
    /// latency.csv's rows by (cell, op), with `p50_us` and `p99_us` each
    /// replaced by its median over the cell's repetitions when the run has
    /// latency_repetitions.csv (the other columns stay latency.csv's).
    ///
    /// latency.csv holds one repetition per cell: the one whose *run*
    /// phase had the median throughput, so its load row, and the
    /// percentiles of any row, are whichever that repetition measured.
    /// A microsecond p99 on a shared machine is one sample's luck: in one
    /// gate run of unchanged code, lsm-leveled's ycsb-c load p99 was
    /// 7.3, 6.8, 5.0, 22.6 and 4.9 us over five repetitions and
    /// latency.csv kept the 22.6 (4x the baseline's, a false regression);
    /// the median, 6.8, was within the tolerance. A real regression moves
    /// most repetitions, and so the median.
    pub fn latency_medians(&self) -> Result<HashMap<(CellKey, String), LatencyRow>> {
        let mut out: HashMap<(CellKey, String), LatencyRow> = self
            .latency_cells()?
            .into_iter()
            .map(|(k, row)| (k, row.clone()))
            .collect();
        let Some(reps) = &self.latency_repetitions else {
            return Ok(out);
        };
        let mut samples: HashMap<(CellKey, String), (Vec<f64>, Vec<f64>)> = HashMap::new();
        for row in &reps.rows {
            let key = (
                cell_key(&row.engine, &row.workload, row.phase.name()),
                row.op.to_string(),
            );
            let slot = samples.entry(key).or_default();
            slot.0.push(row.p50_us);
            slot.1.push(row.p99_us);
        }
        for (key, (mut p50, mut p99)) in samples {
            if let Some(row) = out.get_mut(&key) {
                row.p50_us = crate::summary::median(&mut p50);
                row.p99_us = crate::summary::median(&mut p99);
            }
        }
        Ok(out)
    }
}

pub(crate) fn cell_key(engine: &str, workload: &str, phase: &str) -> CellKey {
    (engine.to_string(), workload.to_string(), phase.to_string())
}

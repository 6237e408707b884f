//! A results directory read back for the gate: summary.csv, latency.csv and
//! run.json, each through its own reader, indexed by cell.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::latency::{Latency, LatencyRow};
use crate::names::{LATENCY, REPETITIONS, RUN_JSON, SUMMARY};
use crate::run_json;
use crate::summary::{Summary, SummaryRow};

/// (engine, workload, phase): the unit the gate compares.
pub type CellKey = (String, String, String);

/// The files of one results directory the gate needs.
#[derive(Debug, Clone)]
pub struct ResultsDir {
    pub dir: PathBuf,
    pub summary: Summary,
    pub latency: Latency,
    /// run.json's top-level object.
    pub run: Map<String, Value>,
    /// repetitions.csv, when the run had more than one repetition.
    pub repetitions: Option<Summary>,
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
        let reps = dir.join(REPETITIONS);
        let repetitions = if reps.is_file() {
            Some(Summary::read(&reps)?)
        } else {
            None
        };
        Ok(ResultsDir {
            dir: dir.to_path_buf(),
            summary,
            latency,
            run,
            repetitions,
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

pub(crate) fn cell_key(engine: &str, workload: &str, phase: &str) -> CellKey {
    (engine.to_string(), workload.to_string(), phase.to_string())
}

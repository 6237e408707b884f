//! Reading a results directory back (for the gate and for tests).
//!
//! Cells are looked up by column name, so files with appended columns still
//! read; a missing column, a row with the wrong number of fields, a number
//! that does not parse or a duplicated cell is an [`Error::Malformed`]
//! naming the file and line. Nothing here trusts a file to be well formed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One CSV file: a header and rows of cells, each with its line number.
#[derive(Debug, Clone)]
pub struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line in the file.
    pub line: u64,
    cells: Vec<String>,
}

impl Table {
    /// Read a CSV file with a header row.
    pub fn read(path: &Path) -> Result<Table> {
        let bad = |line: u64, message: String| Error::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_path(path)
            .map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(io) => Error::io("cannot read", path, io),
                other => bad(0, format!("{other:?}")),
            })?;
        let header: Vec<String> = r
            .headers()
            .map_err(|e| bad(1, e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(bad(1, "empty file (no header row)".into()));
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                bad(line, e.to_string())
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push(Row {
                line,
                cells: rec.iter().map(str::to_string).collect(),
            });
        }
        Ok(Table {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// Index of a column, or an error naming it.
    pub fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Malformed {
                path: self.path.clone(),
                line: 1,
                message: format!("missing column `{name}`"),
            })
    }

    /// A cell as text.
    pub fn text<'a>(&self, row: &'a Row, col: usize) -> &'a str {
        // Rows have exactly the header's length (the reader is not
        // flexible), and `col` came from `Table::col`.
        &row.cells[col]
    }

    /// A cell as a number; empty is `None` (an undefined ratio).
    pub fn number(&self, row: &Row, col: usize) -> Result<Option<f64>> {
        let s = self.text(row, col);
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(Error::Malformed {
                path: self.path.clone(),
                line: row.line,
                message: format!("column `{}`: `{s}` is not a number", self.header[col]),
            }),
        }
    }
}

/// A results directory: summary.csv, latency.csv and run.json.
#[derive(Debug, Clone)]
pub struct ResultsDir {
    pub dir: PathBuf,
    pub summary: Table,
    pub latency: Table,
    pub run: serde_json::Map<String, serde_json::Value>,
}

/// (engine, workload, phase).
pub type CellKey = (String, String, String);

impl ResultsDir {
    /// Read the three files the gate needs.
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
        let summary = Table::read(&need("summary.csv")?)?;
        let latency = Table::read(&need("latency.csv")?)?;
        let run_path = need("run.json")?;
        let text = std::fs::read_to_string(&run_path)
            .map_err(|e| Error::io("cannot read", &run_path, e))?;
        let run = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                return Err(Error::Malformed {
                    path: run_path,
                    line: 1,
                    message: "expected a JSON object".into(),
                })
            }
            Err(e) => {
                return Err(Error::Malformed {
                    path: run_path,
                    line: e.line() as u64,
                    message: e.to_string(),
                })
            }
        };
        Ok(ResultsDir {
            dir: dir.to_path_buf(),
            summary,
            latency,
            run,
        })
    }

    /// summary.csv rows by cell, in file order; a duplicated cell is an error.
    pub fn summary_cells(&self) -> Result<Vec<(CellKey, &Row)>> {
        let t = &self.summary;
        let (e, w, p) = (t.col("engine")?, t.col("workload")?, t.col("phase")?);
        let mut seen: HashMap<CellKey, u64> = HashMap::new();
        let mut out = Vec::new();
        for row in &t.rows {
            let key = (
                t.text(row, e).to_string(),
                t.text(row, w).to_string(),
                t.text(row, p).to_string(),
            );
            if let Some(first) = seen.insert(key.clone(), row.line) {
                return Err(Error::Malformed {
                    path: t.path.clone(),
                    line: row.line,
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

    /// latency.csv rows by (cell, op).
    pub fn latency_cells(&self) -> Result<HashMap<(CellKey, String), &Row>> {
        let t = &self.latency;
        let (e, w, p, o) = (
            t.col("engine")?,
            t.col("workload")?,
            t.col("phase")?,
            t.col("op")?,
        );
        let mut out = HashMap::new();
        for row in &t.rows {
            let key = (
                (
                    t.text(row, e).to_string(),
                    t.text(row, w).to_string(),
                    t.text(row, p).to_string(),
                ),
                t.text(row, o).to_string(),
            );
            if out.insert(key.clone(), row).is_some() {
                return Err(Error::Malformed {
                    path: t.path.clone(),
                    line: row.line,
                    message: format!("duplicate latency row for op `{}`", key.1),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_row_and_bad_number_name_the_line() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("t.csv");
        std::fs::write(&p, "a,b\n1,2\n3\n").expect("write");
        let err = Table::read(&p).expect_err("ragged");
        assert!(matches!(err, Error::Malformed { line: 3, .. }), "{err}");
        std::fs::write(&p, "a,b\n1,2\n3,x\n").expect("write");
        let t = Table::read(&p).expect("parses");
        let b = t.col("b").expect("column");
        assert_eq!(t.number(&t.rows[0], b).expect("number"), Some(2.0));
        let err = t.number(&t.rows[1], b).expect_err("x");
        assert!(err.to_string().contains("line 3") && err.to_string().contains("`b`"));
        assert!(t.col("c").expect_err("no c").to_string().contains("`c`"));
    }

    #[test]
    fn empty_cell_is_undefined() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("t.csv");
        std::fs::write(&p, "a,b\n,2\n").expect("write");
        let t = Table::read(&p).expect("parses");
        assert_eq!(t.number(&t.rows[0], 0).expect("empty"), None);
    }
}

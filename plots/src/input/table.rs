//! Reading a CSV results file with the line and column of every value kept,
//! so that a bad value is reported where a person can find it.
//!
//! Columns are looked up by header name, not position: the contract only
//! ever appends columns, so an older file simply lacks the newer ones and a
//! newer file's extra columns are ignored by readers that don't know them.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A whole CSV file: its header and its data rows, with line numbers.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file read.
    pub path: PathBuf,
    /// Column names from the header row.
    pub headers: Vec<String>,
    /// Data rows, each with the 1-based line on which it starts.
    pub rows: Vec<(u64, Vec<String>)>,
}

/// A column that was found in the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    idx: usize,
    name: &'static str,
}

impl Table {
    /// Reads `path`. A missing file is reported as [`Error::MissingFile`].
    pub(crate) fn read(path: &Path) -> Result<Table> {
        if !path.exists() {
            return Err(Error::MissingFile {
                path: path.to_path_buf(),
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| csv_error(path, e))?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(path, e))?;
            let line = record.position().map_or(0, |p| p.line());
            let fields: Vec<String> = record.iter().map(str::to_owned).collect();
            // A blank line in the middle of the file comes back as one empty field.
            if fields.len() == 1 && fields[0].is_empty() {
                continue;
            }
            if fields.len() != headers.len() {
                let column = headers
                    .get(fields.len())
                    .cloned()
                    .unwrap_or_else(|| "(beyond the last header)".to_owned());
                return Err(Error::Malformed {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message: format!(
                        "row has {} fields but the header has {}",
                        fields.len(),
                        headers.len()
                    ),
                });
            }
            rows.push((line, fields));
        }
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// The column called `name`, which this reader cannot do without.
    pub(crate) fn col(&self, name: &'static str) -> Result<Col> {
        self.optional_col(name).ok_or_else(|| Error::MissingColumn {
            path: self.path.clone(),
            column: name.to_owned(),
        })
    }

    /// The column called `name`, if the file is new enough to have it.
    pub(crate) fn optional_col(&self, name: &'static str) -> Option<Col> {
        self.headers
            .iter()
            .position(|h| h == name)
            .map(|idx| Col { idx, name })
    }

    /// Iterates over the data rows as [`Row`]s.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, fields)| Row {
            path: &self.path,
            line: *line,
            fields,
        })
    }
}

/// One data row, able to say where it came from.
pub(crate) struct Row<'a> {
    path: &'a Path,
    /// 1-based line of the row in its file.
    pub line: u64,
    fields: &'a [String],
}

impl Row<'_> {
    fn malformed(&self, col: Col, message: String) -> Error {
        Error::Malformed {
            path: self.path.to_path_buf(),
            line: self.line,
            column: col.name.to_owned(),
            message,
        }
    }

    fn raw(&self, col: Col) -> &str {
        // Table::read rejects rows whose length differs from the header's,
        // and `col` indexes the header, so the index is in range.
        &self.fields[col.idx]
    }

    /// A text value that must not be empty.
    pub(crate) fn text(&self, col: Col) -> Result<String> {
        let v = self.raw(col);
        if v.is_empty() {
            return Err(self.malformed(col, "empty value".to_owned()));
        }
        Ok(v.to_owned())
    }

    /// A non-negative finite number; empty means "undefined" and gives `None`.
    pub(crate) fn opt_f64(&self, col: Col) -> Result<Option<f64>> {
        let v = self.raw(col);
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            Ok(_) => Err(self.malformed(col, format!("`{v}` is not a finite non-negative number"))),
            Err(_) => Err(self.malformed(col, format!("`{v}` is not a number"))),
        }
    }

    /// A non-negative finite number that must be present.
    pub(crate) fn f64(&self, col: Col) -> Result<f64> {
        self.opt_f64(col)?
            .ok_or_else(|| self.malformed(col, "empty value".to_owned()))
    }

    /// A number from an optional column: `None` if the column is absent or
    /// the cell empty.
    pub(crate) fn maybe_f64(&self, col: Option<Col>) -> Result<Option<f64>> {
        match col {
            Some(c) => self.opt_f64(c),
            None => Ok(None),
        }
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::io(path, source),
        kind => Error::Malformed {
            path: path.to_path_buf(),
            line,
            column: "(row)".to_owned(),
            message: format!("{kind:?}"),
        },
    }
}

//! CSV as every results file uses it: one writer and one strict reader.
//!
//! The files are RFC 4180 CSV with a header row (the `csv` crate's
//! defaults: comma separators, `\n` line ends, quotes only where a field
//! holds a comma, quote or newline). Readers find columns by header name,
//! because the contract only ever appends columns.
//!
//! The reading policy, the same for the gate, the charts and the tests:
//!
//! - a row must have exactly the header's number of fields; a short row is
//!   reported at the first column it lacks;
//! - cells are taken as written (no trimming: the harness writes none);
//! - a number is a finite, non-negative decimal (every number in these
//!   files is a count, a duration, a rate or a ratio of counts); an empty
//!   cell is "undefined", allowed only where the row type has an `Option`;
//! - every fault is an [`Error`] naming the file, the line and the column.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A CSV file being written, with its path for error messages.
pub struct CsvOut {
    w: csv::Writer<fs::File>,
    path: PathBuf,
}

impl CsvOut {
    /// Create (truncate) `path` and write the header row.
    pub fn create(path: &Path, header: &[&str]) -> Result<CsvOut> {
        let f = fs::File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
        let mut out = CsvOut {
            w: csv::Writer::from_writer(f),
            path: path.to_path_buf(),
        };
        out.write_record(header)?;
        Ok(out)
    }

    /// Append one record.
    pub fn write_record<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.w
            .write_record(record)
            .map_err(|e| Error::io("cannot write", &self.path, e.into()))
    }

    /// Flush to the file.
    pub fn finish(mut self) -> Result<()> {
        self.w
            .flush()
            .map_err(|e| Error::io("cannot write", &self.path, e))
    }
}

/// A whole CSV file read under the policy above.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file read.
    pub path: PathBuf,
    /// Column names from the header row.
    pub header: Vec<String>,
    /// Data rows, in file order.
    pub rows: Vec<Row>,
}

/// One data row and the line it starts on.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line in the file.
    pub line: u64,
    /// The cells, exactly as many as the header has columns.
    pub cells: Vec<String>,
}

/// A column's index in a [`Table`]'s header.
pub type Col = usize;

impl Table {
    /// Read `path`; a missing file is [`Error::MissingFile`].
    pub fn read(path: &Path) -> Result<Table> {
        if !path.is_file() {
            return Err(Error::MissingFile {
                path: path.to_path_buf(),
            });
        }
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            // Lengths are checked below, to name the column a row lacks.
            .flexible(true)
            .from_path(path)
            .map_err(|e| csv_error(path, e))?;
        let header: Vec<String> = r
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        if header.iter().all(String::is_empty) {
            return Err(malformed(path, 1, "(header)", "empty file (no header row)"));
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| csv_error(path, e))?;
            let line = rec.position().map_or(0, |p| p.line());
            let cells: Vec<String> = rec.iter().map(str::to_string).collect();
            if cells.len() != header.len() {
                let column = header
                    .get(cells.len())
                    .map_or("(beyond the last header)", String::as_str);
                let why = format!(
                    "row has {} fields but the header has {}",
                    cells.len(),
                    header.len()
                );
                return Err(malformed(path, line, column, &why));
            }
            rows.push(Row { line, cells });
        }
        Ok(Table {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// The column called `name`, or [`Error::MissingColumn`].
    pub fn col(&self, name: &str) -> Result<Col> {
        self.optional_col(name).ok_or_else(|| Error::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
        })
    }

    /// Every column in `names`, checked before any row is read, so that a
    /// file without rows is judged by its header too.
    pub fn require(&self, names: &[&str]) -> Result<()> {
        names.iter().try_for_each(|n| self.col(n).map(|_| ()))
    }

    /// The column called `name`, if the file is new enough to have it.
    pub fn optional_col(&self, name: &str) -> Option<Col> {
        self.header.iter().position(|h| h == name)
    }

    /// True when the header names `name`.
    pub fn has(&self, name: &str) -> bool {
        self.optional_col(name).is_some()
    }

    /// A reader of `row`'s cells that names this file in its errors.
    pub fn cells<'a>(&'a self, row: &'a Row) -> Cells<'a> {
        Cells { table: self, row }
    }

    /// A cell as written (`col` from [`Table::col`]).
    pub fn text<'a>(&self, row: &'a Row, col: Col) -> &'a str {
        // Table::read keeps only rows as long as the header.
        &row.cells[col]
    }

    /// A cell as a number under the policy above; empty is `None`.
    pub fn number(&self, row: &Row, col: Col) -> Result<Option<f64>> {
        self.cells(row).opt_number(col)
    }
}

/// One row's cells, typed on the way out.
pub struct Cells<'a> {
    table: &'a Table,
    row: &'a Row,
}

impl Cells<'_> {
    fn bad(&self, col: Col, message: String) -> Error {
        malformed(
            &self.table.path,
            self.row.line,
            &self.table.header[col],
            &message,
        )
    }

    /// 1-based line of the row.
    pub fn line(&self) -> u64 {
        self.row.line
    }

    /// The cell as written.
    pub fn raw(&self, col: Col) -> &str {
        // Table::read keeps only rows as long as the header, and `col`
        // came from the header.
        &self.row.cells[col]
    }

    /// Text that must not be empty.
    pub fn text(&self, col: Col) -> Result<String> {
        match self.raw(col) {
            "" => Err(self.bad(col, "empty value".into())),
            v => Ok(v.to_string()),
        }
    }

    /// A number; empty is `None` (undefined).
    pub fn opt_number(&self, col: Col) -> Result<Option<f64>> {
        let v = self.raw(col);
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            Ok(_) => Err(self.bad(col, format!("`{v}` is not a finite non-negative number"))),
            Err(_) => Err(self.bad(col, format!("`{v}` is not a number"))),
        }
    }

    /// A number that may be negative (a gap below a model, a time before a
    /// phase began); empty is `None`.
    pub fn opt_signed(&self, col: Col) -> Result<Option<f64>> {
        let v = self.raw(col);
        if v.is_empty() {
            return Ok(None);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            Ok(_) => Err(self.bad(col, format!("`{v}` is not a finite number"))),
            Err(_) => Err(self.bad(col, format!("`{v}` is not a number"))),
        }
    }

    /// A number that may be negative and must be present.
    pub fn signed(&self, col: Col) -> Result<f64> {
        self.opt_signed(col)?
            .ok_or_else(|| self.bad(col, "empty value".into()))
    }

    /// A number that must be present.
    pub fn number(&self, col: Col) -> Result<f64> {
        self.opt_number(col)?
            .ok_or_else(|| self.bad(col, "empty value".into()))
    }

    /// A number from a column older files lack: `None` when the column is
    /// absent or the cell empty.
    pub fn appended(&self, col: Option<Col>) -> Result<Option<f64>> {
        col.map_or(Ok(None), |c| self.opt_number(c))
    }

    /// A `0`/`1` flag from an appended column.
    pub fn flag(&self, col: Option<Col>) -> Result<Option<bool>> {
        let Some(c) = col else { return Ok(None) };
        match self.raw(c) {
            "0" => Ok(Some(false)),
            "1" => Ok(Some(true)),
            v => Err(self.bad(c, format!("`{v}` is not 0 or 1"))),
        }
    }

    /// A value parsed by `parse` (an enum's name), named in errors by `what`.
    pub fn parsed<T>(&self, col: Col, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let v = self.raw(col);
        parse(v).ok_or_else(|| self.bad(col, format!("`{v}` is not {what}")))
    }
}

fn malformed(path: &Path, line: u64, column: &str, message: &str) -> Error {
    Error::Malformed {
        path: path.to_path_buf(),
        line,
        column: column.to_string(),
        message: message.to_string(),
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::io("cannot read", path, source),
        kind => malformed(path, line, "(row)", &format!("{kind:?}")),
    }
}

/// `x` with `decimals` digits after the point.
pub fn float(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

/// An undefined ratio is an empty cell.
pub fn optional(x: Option<f64>, decimals: usize) -> String {
    x.map(|x| float(x, decimals)).unwrap_or_default()
}

/// A count: its integer digits. Counts travel as `f64` so that every
/// numeric cell reads the same way; a count below 2^53 (9 PiB) converts
/// exactly, and `f64`'s `Display` never uses an exponent.
pub fn count(x: f64) -> String {
    format!("{x}")
}

/// A count that may be undefined (empty).
pub fn optional_count(x: Option<f64>) -> String {
    x.map(count).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> (tempfile::TempDir, Result<Table>) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("t.csv");
        fs::write(&p, text).expect("write");
        let t = Table::read(&p);
        (tmp, t)
    }

    #[test]
    fn short_row_names_line_and_first_missing_column() {
        let (_d, t) = table("a,b,c\n1,2,3\n4\n");
        let e = t.expect_err("short row");
        assert!(
            matches!(&e, Error::Malformed { line: 3, column, .. } if column == "b"),
            "{e}"
        );
        assert!(e.to_string().contains("t.csv"), "{e}");
    }

    #[test]
    fn numbers_are_finite_non_negative_and_empty_is_undefined() {
        let (_d, t) = table("a,b\n,2\n-1,x\n");
        let t = t.expect("parses");
        let (a, b) = (t.col("a").expect("a"), t.col("b").expect("b"));
        let first = t.cells(&t.rows[0]);
        assert_eq!(first.opt_number(a).expect("empty"), None);
        assert!(
            first.number(a).is_err(),
            "a required number may not be empty"
        );
        assert_eq!(first.number(b).expect("2"), 2.0);
        let second = t.cells(&t.rows[1]);
        let e = second.number(a).expect_err("negative");
        assert!(matches!(&e, Error::Malformed { line: 3, column, .. } if column == "a"));
        let e = second.number(b).expect_err("x");
        assert!(e.to_string().contains("`x` is not a number"), "{e}");
        let e = t.col("c").expect_err("no c");
        assert!(matches!(&e, Error::MissingColumn { column, .. } if column == "c"));
    }

    #[test]
    fn cells_are_not_trimmed() {
        let (_d, t) = table("a\n 1\n");
        let t = t.expect("parses");
        let a = t.col("a").expect("a");
        assert!(t.cells(&t.rows[0]).number(a).is_err());
    }

    #[test]
    fn missing_file_and_empty_file_are_errors() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let e = Table::read(&tmp.path().join("none.csv")).expect_err("missing");
        assert!(matches!(e, Error::MissingFile { .. }));
        let (_d, t) = table("");
        assert!(t.is_err(), "no header row");
    }

    #[test]
    fn counts_print_their_digits() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(123_456_789_012.0), "123456789012");
        assert_eq!(count((1u64 << 53) as f64), "9007199254740992");
        assert_eq!(optional(None, 3), "");
        assert_eq!(optional(Some(1.23456), 3), "1.235");
    }
}

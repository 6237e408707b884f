//! The crate's one error type.
//!
//! Every variant names the file it is about and, where the file has rows,
//! the line and the column, so that a person can open it and see the fault.
//! The gate and the charts get the same errors for the same file.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong writing, reading or comparing results files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a read or a write.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`cannot read`, `cannot create`, ...).
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A file every results directory has (`summary.csv`, `run.json`) is
    /// not there.
    #[error("{}: required file is missing (is this a results directory?)", path.display())]
    MissingFile {
        /// The file looked for.
        path: PathBuf,
    },

    /// A CSV file lacks a column its reader needs.
    #[error("{}: line 1 (header): missing column `{column}`", path.display())]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The column that should be in the header.
        column: String,
    },

    /// A value (a CSV cell, a line of a histogram file) that does not parse.
    #[error("{}: line {line}, column `{column}`: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The column's header name (or the field's name in a histogram).
        column: String,
        /// What is wrong with the value.
        message: String,
    },

    /// `run.json` is not JSON, or not an object.
    #[error("{}: line {line}, column {column}: {message}", path.display())]
    Json {
        /// The run.json file.
        path: PathBuf,
        /// 1-based line (0 when the parser gives none).
        line: u64,
        /// 1-based column.
        column: u64,
        /// The parser's message.
        message: String,
    },

    /// Two results directories the gate refuses to compare.
    #[error("{0}")]
    Incomparable(String),
}

impl Error {
    /// An [`Error::Io`].
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

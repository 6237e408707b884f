//! The one error type of the crate.
//!
//! Every variant names the file it is about, and where a file has rows, the
//! line and the column, so that a person can open the file and see the fault.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while reading a results directory or drawing it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The run directory itself is not there.
    #[error("{}: no such run directory", path.display())]
    NoRunDir {
        /// The directory given.
        path: PathBuf,
    },

    /// A file every run writes (`summary.csv`, `run.json`) is not there.
    #[error("{}: required file is missing (is this a results directory?)", path.display())]
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
    },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file read or written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A CSV file is missing a column it must have.
    #[error("{}: line 1 (header): missing column `{column}`", path.display())]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The column that should be in the header.
        column: String,
    },

    /// A CSV row (or a line of a histogram file) could not be understood.
    #[error("{}: line {line}, column `{column}`: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// The column (header name, or the field's name in a histogram).
        column: String,
        /// What is wrong with the value.
        message: String,
    },

    /// `run.json` is not valid JSON or not an object.
    #[error("{}: {message}", path.display())]
    RunJson {
        /// The run.json file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },

    /// The embedded font could not be loaded by the text renderer.
    #[error("embedded font could not be loaded")]
    Font,

    /// A chart could not be drawn or written.
    #[error("{}: drawing failed: {message}", path.display())]
    Draw {
        /// The chart file being written.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

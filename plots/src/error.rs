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

    /// A results file that is missing or malformed (the `results`
    /// crate's reader, the one the gate uses, names file, line and column).
    #[error(transparent)]
    Results(#[from] results::Error),

    /// Writing a chart or the report failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
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

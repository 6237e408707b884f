//! The crate's one error type.
//!
//! Every variant says what the user can do about it: an unknown workload
//! comes with the valid names, a bad property file names the file and the
//! line, a bad value names the property and what was expected.

use std::path::PathBuf;

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a workload from resolving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--workload NAME` that is neither a preset nor a property file.
    #[error("unknown workload `{name}`; valid workloads: {valid}")]
    UnknownWorkload {
        /// The name as given (`(none given)` when there was none).
        name: String,
        /// The preset names, comma-separated, to pick from.
        valid: String,
    },

    /// A line of a property file (or a `-p`) that is not `name=value`.
    #[error("{file}, line {line}: {message}")]
    Syntax {
        /// The file's path, `preset NAME` or `-p NAME=VALUE`.
        file: String,
        /// 1-based line number in `file`.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },

    /// A property whose value is out of range or of the wrong kind, or a
    /// combination of properties that cannot run.
    #[error("{0}")]
    Property(String),

    /// A property file that cannot be read.
    #[error("cannot read property file {path}: {source}")]
    Io {
        /// The file as named on the command line.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
}

//! The one error type of the engine contract.
//!
//! Every engine returns [`Error`]; the variants carry enough context (file,
//! offset, option name) that a user can act on the message without a
//! debugger.

use std::path::PathBuf;

/// Result alias used throughout the engines.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong below the engine trait.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A storage call failed (real I/O error, injected fault or simulated crash).
    #[error("I/O error during {op} on {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Bytes on disk do not match their checksum or structure.
    #[error("corruption in {path} at offset {offset}: {what}")]
    Corruption {
        path: PathBuf,
        offset: u64,
        what: String,
    },

    /// An option key the engine does not know.
    #[error("unknown option `{key}` for engine `{engine}`; valid options: {valid}")]
    UnknownOption {
        engine: String,
        key: String,
        valid: String,
    },

    /// A known option with a value that does not parse or is out of range.
    #[error("bad value `{value}` for option `{key}`: expected {expected}")]
    BadOption {
        key: String,
        value: String,
        expected: String,
    },

    /// A key or value larger than the engine accepts.
    #[error("{what} of {len} bytes is larger than the limit of {max} bytes")]
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },

    /// The engine refuses writes after a failed fsync: the kernel may have
    /// dropped the dirty pages, so a retried fsync could falsely succeed.
    #[error("engine refuses writes after a failed sync of {path}; reopen it to recover")]
    Poisoned { path: PathBuf },

    /// The directory is already open, or holds files of another engine.
    #[error("cannot open {path}: {why}")]
    Unusable { path: PathBuf, why: String },

    /// The operation is not supported by this engine.
    #[error("{0} is not supported by this engine")]
    Unsupported(&'static str),

    /// `quiesce` gave up waiting: background work was still running when
    /// its time ran out. Nothing is wrong with the data; a measurement
    /// taken now would include that work.
    #[error("background work still running after {waited_s} s: {what}")]
    StillBusy { what: String, waited_s: u64 },
}

impl Error {
    /// Convenience constructor for [`Error::Corruption`].
    pub fn corruption(path: impl Into<PathBuf>, offset: u64, what: impl Into<String>) -> Self {
        Error::Corruption {
            path: path.into(),
            offset,
            what: what.into(),
        }
    }

    /// Convenience constructor for [`Error::Io`].
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True for [`Error::Corruption`].
    pub fn is_corruption(&self) -> bool {
        matches!(self, Error::Corruption { .. })
    }
}

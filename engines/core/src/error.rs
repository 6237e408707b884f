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
        /// The storage call that failed, as a phrase for the message
        /// (`read`, `sync directory`, `open with O_DIRECT`).
        op: &'static str,
        /// The file or directory the call was made on.
        path: PathBuf,
        /// What the backend reported.
        #[source]
        source: std::io::Error,
    },

    /// Bytes on disk do not match their checksum or structure.
    #[error("corruption in {path} at offset {offset}: {what}")]
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset in the file where the bad structure starts.
        offset: u64,
        /// What did not match (a checksum, a length, a magic), for the reader.
        what: String,
    },

    /// An option key the engine does not know.
    #[error("unknown option `{key}` for engine `{engine}`; valid options: {valid}")]
    UnknownOption {
        /// The engine that was asked.
        engine: String,
        /// The key as given.
        key: String,
        /// Every key the engine accepts, comma-separated, so the message
        /// alone is enough to fix the command line.
        valid: String,
    },

    /// A known option with a value that does not parse or is out of range.
    #[error("bad value `{value}` for option `{key}`: expected {expected}")]
    BadOption {
        /// The option's name.
        key: String,
        /// The value as given.
        value: String,
        /// The accepted form or range, as a phrase (`an integer >= 2`).
        expected: String,
    },

    /// A key or value larger than the engine accepts.
    #[error("{what} of {len} bytes is larger than the limit of {max} bytes")]
    TooLarge {
        /// Which of the two was too large (`key` or `value`).
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The engine's limit in bytes, inclusive.
        max: usize,
    },

    /// The engine refuses writes after a failed fsync: the kernel may have
    /// dropped the dirty pages, so a retried fsync could falsely succeed.
    #[error("engine refuses writes after a failed sync of {path}; reopen it to recover")]
    Poisoned {
        /// The file whose sync failed.
        path: PathBuf,
    },

    /// The directory is already open, or holds files of another engine.
    #[error("cannot open {path}: {why}")]
    Unusable {
        /// The directory that was to be opened.
        path: PathBuf,
        /// Why not: whose files it holds, or that another handle has it.
        why: String,
    },

    /// The operation is not supported by this engine.
    #[error("{0} is not supported by this engine")]
    Unsupported(&'static str),

    /// `quiesce` gave up waiting: background work was still running when
    /// its time ran out. Nothing is wrong with the data; a measurement
    /// taken now would include that work.
    #[error("background work still running after {waited_s} s: {what}")]
    StillBusy {
        /// The work still running or pending, as a phrase for the message.
        what: String,
        /// How long `quiesce` waited, in whole seconds.
        waited_s: u64,
    },
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

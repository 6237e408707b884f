//! The harness's one error type.
//!
//! Every variant says what the user can do about it: an unknown name comes
//! with the valid ones, a file problem names the file (and line, where there
//! is one), an engine failure names the engine, workload, phase and the
//! operation that failed.

use std::path::PathBuf;

/// Result alias for the harness.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a harness command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--engine NAME` that the registry does not know.
    #[error("unknown engine `{name}`; valid engines: {valid}")]
    UnknownEngine { name: String, valid: String },

    /// A bad engine spec or option (unknown key, unparsable value).
    #[error("engine `{spec}`: {source}")]
    EngineOption {
        spec: String,
        #[source]
        source: Box<engine_core::Error>,
    },

    /// An unknown workload, a bad property file, `-p` override or
    /// workload parameter (the `workloads` crate's error).
    #[error(transparent)]
    Workload(#[from] workloads::Error),

    /// A command-line value that does not make sense (e.g. `--threads 0`).
    #[error("{0}")]
    Usage(String),

    /// The output directory cannot be created or written.
    #[error("cannot write to output directory {path}: {source}")]
    OutDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Any other file-system failure of the harness itself.
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An engine call failed while a phase ran (or while opening/syncing).
    #[error("engine `{engine}`, workload `{workload}`, {phase} phase, {at}: {source}")]
    Engine {
        engine: String,
        workload: String,
        phase: String,
        /// Where in the phase: `operation 1234 (update, thread 0)`, `open`, `sync`.
        at: String,
        #[source]
        source: Box<engine_core::Error>,
    },

    /// A results file that cannot be written or read back, or two runs
    /// the gate refuses to compare (the `results` crate's error, which
    /// names the file, line and column).
    #[error(transparent)]
    Results(#[from] results::Error),

    /// A sweep plan that cannot be run: bad TOML, an unknown key (with the
    /// valid ones), engine, option or workload; names the file and line.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Plan {
        path: PathBuf,
        /// 1-based, where the TOML span or the offending table gives one.
        line: Option<usize>,
        message: String,
    },

    /// Sweep shards that cannot be merged (different plans, seeds or
    /// harness versions; a cell missing or run twice), or a results
    /// directory that is not a sweep shard.
    #[error("cannot merge sweep shards: {0}")]
    Merge(String),
}

impl Error {
    /// Convenience constructor for [`Error::Io`].
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

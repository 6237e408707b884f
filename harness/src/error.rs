//! The harness's one error type.
//!
//! Every variant says what the user can do about it: an unknown name comes
//! with the valid ones, a file problem names the file (and line, where there
//! is one), an engine failure names the engine and what was being done with
//! it ([`Stage`]): its spec parsed, opened in a directory, written, verified,
//! or a workload's phase at the operation that failed.

use std::fmt;
use std::path::PathBuf;

/// Result alias for the harness.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a harness command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--engine NAME` that the registry does not know.
    #[error("unknown engine `{name}`; valid engines: {valid}")]
    UnknownEngine {
        /// The engine name as given.
        name: String,
        /// The registry's engine names, comma-separated, for the message.
        valid: String,
    },

    /// An engine failed at one [`Stage`]: its spec (an unknown option
    /// name, with the valid ones), opening it (a bad option value, with the
    /// option named), a write, a verify, or a measured phase.
    #[error("engine `{spec}`, {stage}: {source}")]
    Engine {
        /// The spec as given (`lsm:bloom_bits=ten`).
        spec: String,
        /// What the harness was doing with the engine.
        stage: Stage,
        /// The engine's own error (boxed to keep `Error` small).
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
        /// The directory (the run directory or one under it).
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },

    /// Any other file-system failure of the harness itself.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done, the message's opening words
        /// (`cannot read`, `cannot create`).
        what: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
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
        /// The plan file.
        path: PathBuf,
        /// 1-based, where the TOML span or the offending table gives one.
        line: Option<usize>,
        /// What is wrong, with the valid choices where there is a list.
        message: String,
    },

    /// Sweep shards that cannot be merged (different plans, seeds or
    /// harness versions; a cell missing or run twice), or a results
    /// directory that is not a sweep shard.
    #[error("cannot merge sweep shards: {0}")]
    Merge(String),
}

/// What the harness was doing with an engine when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Parsing its spec: the options' syntax, and their names against the
    /// engine's option table (no engine is opened for that).
    Spec,
    /// Opening (or recovering) it in `path`. Option values are checked
    /// here: each engine parses its values when it opens.
    Open {
        /// The engine's directory.
        path: PathBuf,
    },
    /// Writing to it outside a measured phase (the crash child's puts,
    /// deletes and syncs).
    Write,
    /// Checking its files in `path` offline (`harness verify`).
    Verify {
        /// The engine's directory as given to `harness verify`.
        path: PathBuf,
    },
    /// A measured phase of a workload.
    Phase {
        /// The workload's name (`ycsb-a`).
        workload: String,
        /// `load` or `run`.
        phase: String,
        /// Where in the phase: `operation 1234 (update, thread 0)`,
        /// `quiesce`, `sync`.
        at: String,
    },
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Spec => write!(f, "parsing its spec"),
            Stage::Open { path } => write!(f, "opening {}", path.display()),
            Stage::Write => write!(f, "writing"),
            Stage::Verify { path } => write!(f, "verifying {}", path.display()),
            Stage::Phase {
                workload,
                phase,
                at,
            } => write!(f, "workload `{workload}`, {phase} phase, {at}"),
        }
    }
}

impl Error {
    /// An [`Error::Engine`] of `spec` at `stage`.
    pub fn engine(spec: impl Into<String>, stage: Stage, source: engine_core::Error) -> Self {
        Error::Engine {
            spec: spec.into(),
            stage,
            source: Box::new(source),
        }
    }

    /// Convenience constructor for [`Error::Io`].
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

//! What `harness run` was asked to do: [`RunConfig`], the settings the
//! harness gives every engine, and the checks of options that cannot go
//! together.

use std::path::PathBuf;
use std::time::Duration;

use engine_core::{Durability, Options};

use crate::error::{Error, Result};
use crate::io_mode::IoMode;
use crate::kernel_io::IoSource;
use crate::registry::EngineSpec;

/// Everything `harness run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// `--engine`: the engines to run, in order, each with its options.
    pub engines: Vec<EngineSpec>,
    /// `--threads`: client threads sharing one engine (resolved: the
    /// workload's `threadcount` if the flag is absent, else 1).
    pub threads: usize,
    /// `--seed`: seeds the value bytes and ends the run id
    /// (`<stamp>-<seed>`); the workloads took it when they were resolved.
    pub seed: u64,
    /// Per phase.
    pub max_time: Option<Duration>,
    /// `--sync`: when the engines make writes durable (always, never,
    /// every N bytes).
    pub sync: Durability,
    /// `--cache-mb`: each engine's memory budget in MiB (its `cache_mb`
    /// option).
    pub cache_mb: u64,
    /// `--target`: rate limit in operations per second over all threads;
    /// `None` runs flat out. With it, latency is also measured from each
    /// operation's intended start.
    pub target_ops: Option<f64>,
    /// `--warmup-ops`: unmeasured operations before the run phase.
    pub warmup_ops: u64,
    /// Results go to `<out>/<run-id>/`...
    pub out: PathBuf,
    /// ...unless this names the run directory itself.
    pub run_dir: Option<PathBuf>,
    /// Engine files; default a temporary directory under `out`.
    pub data_dir: Option<PathBuf>,
    /// `--keep-data`: leave the engine directories in place after the run.
    pub keep_data: bool,
    /// No progress bar or per-phase lines.
    pub quiet: bool,
    /// Draw charts and report.html after the run.
    pub plots: bool,
    /// `--deterministic`: background work inline (`background=false`), so
    /// one thread's byte counters repeat exactly on any machine.
    pub deterministic: bool,
    /// Run each engine x workload this many times; report the median
    /// repetition and the spread (see `combine_repetitions`).
    pub repeat: u32,
    /// Timeseries interval.
    pub interval: Duration,
    /// Compressed size / raw size of the values (1.0: incompressible).
    pub compression_ratio: f64,
    /// How our engines' files reach the device (`--io`).
    pub io: IoMode,
    /// Evict the engine's files from the page cache before each timed
    /// phase (`--cold`).
    pub cold: bool,
    /// The command line, for run.json.
    pub command: Vec<String>,
}

impl RunConfig {
    /// Defaults for everything but the engines.
    pub fn new(engines: Vec<EngineSpec>, out: impl Into<PathBuf>) -> RunConfig {
        RunConfig {
            engines,
            threads: 1,
            seed: 42,
            max_time: None,
            sync: Durability::Never,
            cache_mb: 64,
            target_ops: None,
            warmup_ops: 0,
            out: out.into(),
            run_dir: None,
            data_dir: None,
            keep_data: false,
            quiet: true,
            plots: false,
            deterministic: false,
            repeat: 1,
            interval: Duration::from_secs(1),
            compression_ratio: 1.0,
            io: IoMode::Buffered,
            cold: false,
            command: Vec::new(),
        }
    }

    pub(super) fn harness_options(&self) -> Options {
        harness_options(self.sync, self.cache_mb)
    }
}

/// The settings the harness gives every engine (`--sync`, `--cache-mb`),
/// under which each spec's own options are merged.
pub fn harness_options(sync: Durability, cache_mb: u64) -> Options {
    Options::new()
        .with("sync", sync.to_string())
        .with("cache_mb", cache_mb.to_string())
}

/// `--io memory` runs only what it can measure exactly: engines that go
/// through our Vfs, with no page cache to evict and no files to keep.
/// The error names the option and the way out.
pub fn check_io_mode(cfg: &RunConfig) -> Result<()> {
    if cfg.io != IoMode::Memory {
        return Ok(());
    }
    let own_io: Vec<&str> = cfg
        .engines
        .iter()
        .filter(|s| s.info.io_source == IoSource::Kernel)
        .map(|s| s.spec.as_str())
        .collect();
    if !own_io.is_empty() {
        return Err(Error::Usage(format!(
            "--io memory runs engines on the in-memory filesystem of our Vfs, \
             but {} do their own file I/O; run them with --io buffered, \
             or leave them out of this run",
            own_io.join(", ")
        )));
    }
    if cfg.cold {
        return Err(Error::Usage(
            "--cold evicts engine files from the page cache, and --io memory \
             keeps them in no page cache; drop --cold, or use --io buffered \
             (or direct) with it"
                .into(),
        ));
    }
    if cfg.keep_data {
        return Err(Error::Usage(
            "--keep-data keeps the engine directories, and --io memory writes \
             none to disk; drop --keep-data, or use --io buffered to keep them"
                .into(),
        ));
    }
    Ok(())
}

//! `harness run`: every workload against every engine, each on a fresh
//! directory, load phase then run phase, measured and written out.
//!
//! Per engine x workload (x repetition):
//!
//! 1. A fresh directory under the data root (`--io memory`: a fresh
//!    in-memory filesystem instead, and nothing on disk); the peak-RSS mark
//!    is reset so the engine's peak is its own; the engine opens through
//!    the `--io` mode's Vfs with the harness settings (`sync`, `cache_mb`,
//!    `background=false` under `--deterministic`, which `--io memory`
//!    implies) under its spec's options.
//! 2. **Load**: the load streams insert `recordcount` records. The phase's
//!    duration ends when the last thread finishes. Then `quiesce()` (the
//!    engine finishes due flushes and compactions) and `sync()`: neither is
//!    timed, but their I/O is counted in the load phase, so no byte falls
//!    between the phases. `disk_bytes` is measured after them.
//! 3. **Run**: `--warmup-ops` operations unmeasured, then the workload's
//!    operations, timed; then `sync()` (counted, not timed) and
//!    `disk_bytes`. No quiesce: compaction debt left by the run phase is
//!    part of what it measured.
//! 4. The engine is dropped and its directory removed (`--keep-data`
//!    keeps it).
//!
//! An engine error stops that engine's workload (the partial phase is
//! reported with its error count) and the run goes on with the next one;
//! [`RunOutcome::failures`] lists them and the CLI exits non-zero.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine_core::{Durability, Engine, Options, Vfs};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::driver::{self, split, OpFailure, PhaseRun, PhaseSpec};
use crate::error::{Error, Result};
use crate::io_mode::IoMode;
use crate::kernel_io::{self, IoSource, KernelIo, KernelPhase};
use crate::live::LiveSet;
use crate::machine;
use crate::measure::{peak_rss_bytes, reset_peak_rss, StorageIo};
use crate::output::run_json::{utc_stamps, EngineEntry, RunInfo, WorkloadEntry};
use crate::output::{self};
use crate::registry::EngineSpec;
use crate::result::{Phase, PhaseResult, Spread};
use crate::workload::Workload;
use results::names::sanitize;

/// Everything `harness run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub engines: Vec<EngineSpec>,
    pub threads: usize,
    pub seed: u64,
    /// Per phase.
    pub max_time: Option<Duration>,
    pub sync: Durability,
    pub cache_mb: u64,
    pub target_ops: Option<f64>,
    pub warmup_ops: u64,
    /// Results go to `<out>/<run-id>/`...
    pub out: PathBuf,
    /// ...unless this names the run directory itself.
    pub run_dir: Option<PathBuf>,
    /// Engine files; default a temporary directory under `out`.
    pub data_dir: Option<PathBuf>,
    pub keep_data: bool,
    /// No progress bar or per-phase lines.
    pub quiet: bool,
    /// Draw charts and report.html after the run.
    pub plots: bool,
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

    fn harness_options(&self) -> Options {
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

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub run_dir: PathBuf,
    pub results: Vec<PhaseResult>,
    /// Engine errors, each naming engine, workload, phase and operation.
    pub failures: Vec<Error>,
    /// Non-fatal problems (a chart that could not be drawn).
    pub warnings: Vec<String>,
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
        .filter(|s| kernel_io::io_source_for(&s.spec) == IoSource::Kernel)
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

/// Run every workload against every engine and write the results.
///
/// `--io memory` implies `--deterministic` (the run.json says so): its
/// counters are exact and its timings are the simulator's, so the one
/// thing it is for is the counters, repeated exactly.
pub fn execute<W: Workload>(cfg: &RunConfig, workloads: &[W]) -> Result<RunOutcome> {
    check_io_mode(cfg)?;
    let forced;
    let cfg = if cfg.io == IoMode::Memory && !cfg.deterministic {
        forced = RunConfig {
            deterministic: true,
            ..cfg.clone()
        };
        &forced
    } else {
        cfg
    };
    if cfg.threads == 0 {
        return Err(Error::Usage("--threads must be at least 1".into()));
    }
    if cfg.engines.is_empty() || workloads.is_empty() {
        return Err(Error::Usage(
            "nothing to run: no engine or no workload".into(),
        ));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (started_at, stamp) = utc_stamps(now);
    let run_id = format!("{stamp}-{}", cfg.seed);
    // Out dir first: an unwritable one fails before any work.
    let run_dir = output::prepare_run_dir(&cfg.out, &run_id, cfg.run_dir.as_deref())?;
    let harness_opts = cfg.harness_options();
    let data = match DataRoot::new(cfg, &run_dir)
        .and_then(|data| check_engines_open(cfg, &harness_opts, data.path()).map(|()| data))
    {
        Ok(data) => data,
        Err(e) => {
            // Nothing ran: leave no empty run directory behind.
            let _ = std::fs::remove_dir_all(&run_dir);
            return Err(e);
        }
    };

    // Repetitions are the outer loop: the repetitions of one cell run at
    // different times, so a burst of load from elsewhere on a shared
    // machine slows one of them, not all, and the median escapes it.
    let cells: Vec<(usize, usize)> = (0..workloads.len())
        .flat_map(|wi| (0..cfg.engines.len()).map(move |ei| (wi, ei)))
        .collect();
    let mut reps: Vec<Vec<Vec<PhaseResult>>> = vec![Vec::new(); cells.len()];
    let mut failed = vec![false; cells.len()];
    let mut failures = Vec::new();
    for rep in 0..cfg.repeat.max(1) {
        for (i, &(wi, ei)) in cells.iter().enumerate() {
            if failed[i] {
                continue;
            }
            let spec = &cfg.engines[ei];
            let cell = Cell {
                cfg,
                spec,
                options: spec.effective_options(&harness_opts, cfg.deterministic),
                data_root: data.path(),
                rep,
            };
            let (results, failure) = cell.run(&workloads[wi]);
            if let Some(f) = failure {
                failures.push(f);
                failed[i] = true;
                // Report the failing repetition as it stopped.
                reps[i] = vec![results];
            } else {
                reps[i].push(results);
            }
        }
    }
    let mut per_cell: Vec<(usize, usize, Combined)> = cells
        .iter()
        .zip(reps)
        .map(|(&(wi, ei), r)| (ei, wi, combine_repetitions(r)))
        .collect();
    per_cell.sort_by_key(|(ei, wi, _)| (*ei, *wi));
    let mut results = Vec::new();
    let mut every_rep = Vec::new();
    for (_, _, (chosen, all)) in per_cell {
        results.extend(chosen);
        every_rep.extend(all);
    }

    let info = RunInfo {
        run_id,
        started_at,
        git_commit: git_commit(),
        seed: cfg.seed,
        threads: cfg.threads,
        sync: cfg.sync.to_string(),
        cache_mb: cfg.cache_mb,
        target_ops: cfg.target_ops,
        warmup_ops: cfg.warmup_ops,
        max_time_s: cfg.max_time.map(|d| d.as_secs_f64()),
        engines: cfg
            .engines
            .iter()
            .map(|s| EngineEntry {
                spec: s.spec.clone(),
                options: s
                    .effective_options(&harness_opts, cfg.deterministic)
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            })
            .collect(),
        workloads: workloads
            .iter()
            .map(|w| WorkloadEntry {
                name: w.name().to_string(),
                properties: w.properties(),
            })
            .collect(),
        machine: machine::describe(data.path()),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        deterministic: cfg.deterministic,
        repeat: cfg.repeat.max(1),
        interval_s: cfg.interval.as_secs_f64(),
        compression_ratio: cfg.compression_ratio,
        io: cfg.io.name().to_string(),
        cold: cfg.cold,
        command: cfg.command.clone(),
        failures: failures.iter().map(|f| f.to_string()).collect(),
    };
    output::write_all(&run_dir, &info, &results)?;
    if cfg.repeat > 1 {
        output::write_repetitions(&run_dir, &every_rep)?;
    }
    if cfg.run_dir.is_none() {
        output::update_latest(&cfg.out, &run_dir)?;
    }
    data.finish(cfg.keep_data)?;

    let mut warnings = direct_io_warnings(cfg);
    warnings.extend(memory_io_warnings(cfg));
    if cfg.plots {
        match plots::render_run(&run_dir) {
            Ok(report) => {
                warnings.extend(report.warnings.into_iter().map(|w| format!("plots: {w}")))
            }
            Err(e) => warnings.push(format!("plots: charts not drawn: {e}")),
        }
    }
    // Last: what a later --run-dir of this directory may delete.
    output::file_list::record(&run_dir)?;
    Ok(RunOutcome {
        run_dir,
        results,
        failures,
        warnings,
    })
}

/// `--io direct` cannot reach engines that do their own file I/O: say so
/// for each, rather than let their rows pass for device measurements.
fn direct_io_warnings(cfg: &RunConfig) -> Vec<String> {
    if cfg.io != IoMode::Direct {
        return Vec::new();
    }
    let after = if cfg.cold {
        "; --cold evicted its files before each phase"
    } else {
        "; add --cold to start its phases from the device"
    };
    cfg.engines
        .iter()
        .filter(|s| kernel_io::io_source_for(&s.spec) == IoSource::Kernel)
        .map(|s| {
            format!(
                "{}: does its own file I/O, so --io direct does not apply: it ran through the page cache{after}",
                s.spec
            )
        })
        .collect()
}

/// `--io memory`: the throughput and latency columns time the simulator.
fn memory_io_warnings(cfg: &RunConfig) -> Vec<String> {
    if cfg.io != IoMode::Memory {
        return Vec::new();
    }
    vec![
        "--io memory: byte and I/O counters are exact, but duration, throughput and \
         latency time the in-memory filesystem, not a device; do not read them as \
         the engines' speed"
            .to_string(),
    ]
}

/// Open each engine once in a scratch directory, so a bad option value
/// fails before any workload runs.
fn check_engines_open(cfg: &RunConfig, harness: &Options, root: &Path) -> Result<()> {
    for (i, spec) in cfg.engines.iter().enumerate() {
        let dir = root.join(format!(".probe-{i}"));
        if !cfg.io.in_memory() {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        }
        let opened = spec.open(
            &cfg.io.vfs(&dir).map_err(|source| Error::EngineOption {
                spec: spec.spec.clone(),
                source: Box::new(source),
            })?,
            &dir,
            &spec.effective_options(harness, cfg.deterministic),
        );
        drop(opened?);
        if !cfg.io.in_memory() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot remove", &dir, e))?;
        }
    }
    Ok(())
}

/// Where engine directories live: `--data-dir`, or a temporary directory
/// under the run directory, removed at the end.
enum DataRoot {
    Given(PathBuf),
    Temp(tempfile::TempDir),
}

impl DataRoot {
    fn new(cfg: &RunConfig, run_dir: &Path) -> Result<DataRoot> {
        match &cfg.data_dir {
            Some(d) => {
                std::fs::create_dir_all(d)
                    .map_err(|e| Error::io("cannot create data directory", d, e))?;
                Ok(DataRoot::Given(d.clone()))
            }
            None => tempfile::Builder::new()
                .prefix("data-")
                .tempdir_in(run_dir)
                .map(DataRoot::Temp)
                .map_err(|e| Error::io("cannot create data directory in", run_dir, e)),
        }
    }

    fn path(&self) -> &Path {
        match self {
            DataRoot::Given(p) => p,
            DataRoot::Temp(t) => t.path(),
        }
    }

    fn finish(self, keep: bool) -> Result<()> {
        match self {
            DataRoot::Given(_) => Ok(()),
            DataRoot::Temp(t) if keep => {
                let _kept = t.keep();
                Ok(())
            }
            DataRoot::Temp(t) => {
                let p = t.path().to_path_buf();
                t.close().map_err(|e| Error::io("cannot remove", p, e))
            }
        }
    }
}

/// One engine x workload x repetition.
struct Cell<'a> {
    cfg: &'a RunConfig,
    spec: &'a EngineSpec,
    options: Options,
    data_root: &'a Path,
    rep: u32,
}

impl Cell<'_> {
    /// Both phases. On an engine error: the phases measured so far (the
    /// failed one partial) and the error.
    fn run<W: Workload>(&self, w: &W) -> (Vec<PhaseResult>, Option<Error>) {
        let mut results = Vec::new();
        let fail = |phase: Phase, at: String, source| Error::Engine {
            engine: self.spec.spec.clone(),
            workload: w.name().to_string(),
            phase: phase.name().to_string(),
            at,
            source: Box::new(source),
        };
        let dir = self.data_root.join(format!(
            "{}.{}.{}",
            sanitize(&self.spec.spec),
            sanitize(w.name()),
            self.rep
        ));
        // In memory the directory is made by the engine in its own fresh
        // filesystem; nothing is created on disk.
        let on_disk = !self.cfg.io.in_memory();
        if on_disk && dir.exists() {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                return (results, Some(Error::io("cannot clear", &dir, e)));
            }
        }
        if on_disk {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return (results, Some(Error::io("cannot create", &dir, e)));
            }
        }
        let vfs = match self.cfg.io.vfs(&dir) {
            Ok(v) => v,
            Err(e) => return (results, Some(fail(Phase::Load, "open".into(), e))),
        };
        reset_peak_rss();
        let engine = match self.spec.open(&vfs, &dir, &self.options) {
            Ok(e) => e,
            Err(e) => {
                let source = match e {
                    Error::EngineOption { source, .. } => *source,
                    other => return (results, Some(other)),
                };
                return (results, Some(fail(Phase::Load, "open".into(), source)));
            }
        };
        let live = LiveSet::new();
        let ctx = PhaseCtx {
            cell: self,
            engine: engine.as_ref(),
            vfs: &vfs,
            dir: &dir,
            live: &live,
            workload: w.name(),
            records: w.records(),
        };

        // Load.
        let mut loads = w.load_streams(self.cfg.threads);
        let counts: Vec<u64> = loads.iter().map(|(_, n)| *n).collect();
        let mut streams: Vec<W::Stream> = loads.drain(..).map(|(s, _)| s).collect();
        let (load, err) = ctx.phase(Phase::Load, &mut streams, counts, true, false);
        results.extend(load);
        if let Some((phase, at, e)) = err {
            return (results, Some(fail(phase, at, e)));
        }

        // Run, after an unmeasured warm-up.
        let mut streams = w.run_streams(self.cfg.threads);
        let mut unsettled = false;
        if self.cfg.warmup_ops > 0 {
            let ops = split(self.cfg.warmup_ops, streams.len());
            let spec = ctx.spec(ops, false);
            let warm = driver::drive(&spec, &mut streams);
            if let Some(f) = warm.first_error {
                ctx.warn_failed_ops("warm-up", warm.tally.errors, f);
            }
            if let Some(f) = warm.failure {
                let (at, e) = describe(f, "warm-up ");
                return (results, Some(fail(Phase::Run, at, e)));
            }
            // The warm-up's writes trigger flushes and compactions: let
            // them finish, or the run phase is billed for them.
            match ctx.settle("warm-up") {
                Ok(settled) => unsettled = !settled,
                Err(e) => return (results, Some(fail(Phase::Run, "warm-up quiesce".into(), e))),
            }
        }
        let ops = split(w.operations(), streams.len());
        let (run, err) = ctx.phase(Phase::Run, &mut streams, ops, false, unsettled);
        results.extend(run);
        if let Some((phase, at, e)) = err {
            return (results, Some(fail(phase, at, e)));
        }
        drop(engine);
        if on_disk && !self.cfg.keep_data {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                return (results, Some(Error::io("cannot remove", &dir, e)));
            }
        }
        (results, None)
    }
}

fn describe(f: OpFailure, what: &str) -> (String, engine_core::Error) {
    (
        format!(
            "{what}operation {} ({}, thread {})",
            f.op_number,
            f.kind.name(),
            f.thread
        ),
        f.error,
    )
}

/// The fixed parts of both phases of one cell.
struct PhaseCtx<'a> {
    cell: &'a Cell<'a>,
    engine: &'a dyn Engine,
    vfs: &'a Vfs,
    dir: &'a Path,
    live: &'a LiveSet,
    workload: &'a str,
    records: u64,
}

type PhaseError = (Phase, String, engine_core::Error);

impl<'a> PhaseCtx<'a> {
    /// Operations failed and the phase went on: say so on stderr even
    /// under `--quiet` (the count is the `errors` column, the latencies the
    /// `<op>-failed` rows), naming the first.
    fn warn_failed_ops(&self, phase: &str, errors: u64, first: OpFailure) {
        let (at, e) = describe(first, "");
        eprintln!(
            "warning: {} {} {phase}: {errors} operation(s) failed and the phase went on; first: {at}: {e}",
            self.cell.spec.spec, self.workload
        );
    }

    /// Wait for the engine's background work. Ok(false) when the engine
    /// gave up waiting with work still running: not an error in the data,
    /// but the phase's row is marked `unsettled` and a warning says so.
    fn settle(&self, after: &str) -> engine_core::Result<bool> {
        match self.engine.quiesce() {
            Ok(()) => Ok(true),
            Err(e @ engine_core::Error::StillBusy { .. }) => {
                eprintln!(
                    "warning: {} {} after {after}: {e}; the row is marked unsettled",
                    self.cell.spec.spec, self.workload
                );
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    fn spec(&self, ops_per_thread: Vec<u64>, record: bool) -> PhaseSpec<'a> {
        let cfg = self.cell.cfg;
        PhaseSpec {
            engine: self.engine,
            vfs: self.vfs,
            live: self.live,
            ops_per_thread,
            record,
            target_ops: cfg.target_ops,
            max_time: cfg.max_time,
            interval: cfg.interval,
            compression_ratio: cfg.compression_ratio,
            seed: cfg.seed,
            progress: None,
        }
    }

    /// `--cold`: everything the engine wrote reaches the device, then its
    /// files leave the page cache.
    fn evict(&self) -> engine_core::Result<()> {
        self.engine.sync()?;
        crate::io_mode::evict(self.dir)
            .map(drop)
            .map_err(|e| engine_core::Error::io("posix_fadvise(DONTNEED)", self.dir, e))
    }

    /// The engine's metrics, plus what the device transferred during the
    /// phase when the Vfs knows it (`--io direct`).
    fn metrics_with_device(&self, before: Option<(u64, u64)>) -> engine_core::EngineMetrics {
        let mut m = self.engine.metrics();
        if let (Some((r0, w0)), Some((r1, w1))) = (before, self.vfs.device_bytes()) {
            m.set("device_bytes_read", r1.saturating_sub(r0));
            m.set("device_bytes_written", w1.saturating_sub(w0));
        }
        m
    }

    /// Drive one measured phase and settle it (quiesce after load, sync).
    fn phase<S: driver::OpStream>(
        &self,
        phase: Phase,
        streams: &mut [S],
        ops_per_thread: Vec<u64>,
        quiesce: bool,
        unsettled_before: bool,
    ) -> (Option<PhaseResult>, Option<PhaseError>) {
        let cfg = self.cell.cfg;
        let total: u64 = ops_per_thread.iter().sum();
        let bar = progress_bar(cfg.quiet, total, &self.cell.spec.spec, self.workload, phase);
        let mut spec = self.spec(ops_per_thread, true);
        spec.progress = bar.as_ref();
        let source = kernel_io::io_source_for(&self.cell.spec.spec);
        if cfg.cold {
            if let Err(e) = self.evict() {
                return (
                    None,
                    Some((phase, "evicting the page cache (--cold)".into(), e)),
                );
            }
        }
        let kernel_before = KernelIo::now();
        let before = self.vfs.stats().snapshot();
        let device_before = self.vfs.device_bytes();
        // Work that ended before this phase (the warm-up's, or the load's
        // if its quiesce gave up) is nobody's phase: events.csv leaves it
        // out. Work still running now is drained at the end, starting
        // before 0.
        drop(self.engine.drain_events());
        let run: PhaseRun = driver::drive(&spec, streams);
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        if let Some(f) = run.first_error {
            self.warn_failed_ops(phase.name(), run.tally.errors, f);
        }
        let mut err = run.failure.map(|f| {
            let (at, e) = describe(f, "");
            (phase, at, e)
        });
        // Settle: counted in this phase, not timed.
        let mut unsettled = unsettled_before;
        if err.is_none() && quiesce {
            match self.settle(phase.name()) {
                Ok(settled) => unsettled |= !settled,
                Err(e) => err = Some((phase, "quiesce".into(), e)),
            }
        }
        if err.is_none() {
            if let Err(e) = self.engine.sync() {
                err = Some((phase, "sync".into(), e));
            }
        }
        let after = self.vfs.stats().snapshot();
        let kernel = KernelPhase::between(source, kernel_before, KernelIo::now());
        // Engines that bypass the Vfs (and keep subdirectories): the kernel's
        // counters and the real directory tree.
        let (io, disk) = match source {
            IoSource::Vfs => (
                StorageIo::between(&before, &after),
                self.vfs.dir_size(self.dir),
            ),
            IoSource::Kernel => (
                kernel.io.storage_io(),
                kernel_io::tree_size(self.dir)
                    .map_err(|e| engine_core::Error::io("measure size", self.dir, e)),
            ),
        };
        let disk_bytes = match disk {
            Ok(n) => n,
            Err(e) => {
                err.get_or_insert((phase, "measuring disk size".into(), e));
                0
            }
        };
        let result = PhaseResult {
            engine: self.cell.spec.spec.clone(),
            workload: self.workload.to_string(),
            phase,
            threads: streams.len(),
            records: self.records,
            started_at: run.started_at,
            duration_s: run.duration.as_secs_f64(),
            tally: run.tally,
            io,
            disk_bytes,
            live_bytes: self.live.bytes(),
            peak_rss_bytes: peak_rss_bytes(),
            time_limited: run.stopped_early,
            latencies: run.latencies,
            timeseries: run.samples,
            kernel,
            engine_metrics: self.metrics_with_device(device_before),
            unsettled,
            repetition: self.cell.rep,
            spread: Spread::default(),
            events: crate::output::events::rows_of(
                self.engine.drain_events(),
                &self.cell.spec.spec,
                self.workload,
                phase,
                run.start,
            ),
        };
        if !cfg.quiet {
            eprintln!(
                "{} {} {}: {} ops in {:.2} s ({:.0} ops/s){}",
                result.engine,
                result.workload,
                phase,
                result.operations(),
                result.duration_s,
                result.ops_per_sec(),
                if result.time_limited && err.is_none() {
                    " - stopped at --max-time"
                } else {
                    ""
                }
            );
        }
        (Some(result), err)
    }
}

fn progress_bar(
    quiet: bool,
    total: u64,
    engine: &str,
    workload: &str,
    phase: Phase,
) -> Option<ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>40} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(format!("{engine} {workload} {phase}"));
    Some(bar)
}

/// A cell's reported rows and every repetition's rows.
type Combined = (Vec<PhaseResult>, Vec<PhaseResult>);

/// Several repetitions of one cell, reported as one: every row of the
/// repetition whose *last* phase (the run, or the load of a load-only
/// workload) had the median throughput, so a cell's load and run rows, and
/// its latencies, come from one repetition, and each phase's row carries
/// the min, median and max throughput over all repetitions. The median,
/// not the fastest: best-of-N is optimistic by construction, and the
/// spread is there for a reader who wants the extremes. (An even count's
/// median repetition is the slower of the middle two, so no figure is
/// from a run that did not happen.) Returns the chosen rows and every
/// repetition's rows, both with `spread` filled in.
fn combine_repetitions(mut reps: Vec<Vec<PhaseResult>>) -> Combined {
    let phases = reps.iter().map(Vec::len).min().unwrap_or(0);
    let spreads: Vec<Spread> = (0..phases)
        .map(|p| Spread::of(reps.iter().map(|r| r[p].ops_per_sec()).collect()))
        .collect();
    for rep in &mut reps {
        for (p, row) in rep.iter_mut().enumerate().take(phases) {
            row.spread = spreads[p];
        }
        for row in rep.iter_mut().skip(phases) {
            row.spread = Spread::of(vec![row.ops_per_sec()]);
        }
    }
    let chosen = match phases {
        0 => reps.len().saturating_sub(1),
        _ => {
            let mut order: Vec<usize> = (0..reps.len()).collect();
            order.sort_by(|&a, &b| {
                let (x, y) = (&reps[a][phases - 1], &reps[b][phases - 1]);
                x.ops_per_sec().total_cmp(&y.ops_per_sec())
            });
            order[(order.len() - 1) / 2]
        }
    };
    let rows = reps.get(chosen).cloned().unwrap_or_default();
    (rows, reps.into_iter().flatten().collect())
}

/// The commit of the source tree the harness was built from (the run may
/// start from anywhere), if it is a git work tree.
pub(crate) fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

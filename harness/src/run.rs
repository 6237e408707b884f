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
//!
//! This file is the orchestration; each job has its module:
//! `config` (what was asked), `probe` (engines opened once before any
//! work), `datadir` (where engine files live), `cell` (one engine x
//! workload x repetition), `phase` (one measured phase, whose progress
//! and status lines go through a [`crate::report::Reporter`]),
//! `repetitions` (several repetitions reported as one) and `git` (the
//! commit run.json records).

mod cell;
mod config;
mod datadir;
mod git;
mod phase;
mod probe;
mod repetitions;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::io_mode::IoMode;
use crate::kernel_io::IoSource;
use crate::machine;
use crate::output::run_json::{utc_stamps, EngineEntry, RunInfo, WorkloadEntry};
use crate::output::{self};
use crate::result::PhaseResult;
use crate::workload::Workload;

use cell::Cell;
pub use config::{check_io_mode, harness_options, RunConfig};
use datadir::DataRoot;
pub(crate) use git::git_commit;
use probe::check_engines_open;
use repetitions::{combine_repetitions, Combined};

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The directory the results were written to (`<out>/<run-id>/`, or
    /// `--run-dir`).
    pub run_dir: PathBuf,
    /// Every phase measured, in run order (with `--repeat`, the median
    /// repetition's).
    pub results: Vec<PhaseResult>,
    /// Engine errors, each naming the engine and what failed: opening it
    /// (with its directory), or the workload, phase and operation.
    pub failures: Vec<Error>,
    /// Non-fatal problems (a chart that could not be drawn).
    pub warnings: Vec<String>,
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
                report: crate::report::for_quiet(cfg.quiet),
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
        .filter(|s| s.info.io_source == IoSource::Kernel)
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

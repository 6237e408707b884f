//! Running a plan's cells: each an ordinary run (`run::execute`) into
//! `DIR/cells/<cell-id>/`.
//!
//! Parallel where it is honest. A cell whose figures are exact counts
//! (`deterministic = true`, one client thread, an engine whose I/O our Vfs
//! counts) gives the same numbers whatever else runs beside it, so those
//! cells run on a rayon pool (`--jobs`, default the machine's cores) and
//! sweep.csv reports only their counts. Every other cell is *timed*: it
//! runs alone, after the parallel ones, and its timings are reported too.
//! (Engines counted by the kernel's per-process I/O accounting are timed
//! cells whatever the plan says: two of them in one process would share
//! the counters.)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use results::summary::IoSource;
use results::sweep::Kind;
use workloads::{WorkloadArgs, YcsbWorkload};

use crate::error::{Error, Result};
use crate::machine;
use crate::output::run_json::utc_stamps;
use crate::registry::EngineSpec;
use crate::run::{execute, RunConfig};
use crate::sweep::assemble;
use crate::sweep::expand::{self, Cell};
use crate::sweep::manifest::{CellEntry, Manifest, Shard};
use crate::sweep::plan::Plan;

/// Where a cell's results go.
pub const CELLS: &str = "cells";
/// The plan's copy in a sweep directory.
pub const PLAN_COPY: &str = "plan.toml";

/// What `harness sweep` was asked to do.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The plan file (`harness sweep PLAN`).
    pub plan: PathBuf,
    /// The sweep directory itself.
    pub out: PathBuf,
    /// `--shard I/N`: run only that slice of the cells; `None` runs all.
    pub shard: Option<Shard>,
    /// Count cells run at once (at least 1).
    pub jobs: usize,
    /// No per-cell lines on stderr.
    pub quiet: bool,
}

/// What a sweep produced.
#[derive(Debug)]
pub struct SweepOutcome {
    /// The sweep directory written (sweep.json, sweep.csv, `cells/`).
    pub dir: PathBuf,
    /// Cells this process ran (a shard's slice, or all of them).
    pub cells: usize,
    /// One line per failed cell.
    pub failures: Vec<String>,
    /// sweep.json's notes: time-limited cells, timings from different
    /// machines, cells with no model.
    pub notes: Vec<String>,
}

/// A cell's kind: may it run beside others? Only where its counters are
/// the Vfs's, which other processes' I/O cannot reach (an engine the
/// registry does not know cannot run, and would run alone).
pub fn kind_of(plan: &Plan, cell: &Cell) -> Kind {
    let vfs = crate::registry::find(&cell.engine).is_some_and(|e| e.io_source == IoSource::Vfs);
    if plan.deterministic && plan.threads == 1 && vfs {
        Kind::Count
    } else {
        Kind::Timing
    }
}

/// The workload a cell runs: its preset or file with the plan's sizes,
/// property overrides and the cell's seed.
pub fn workload_of(plan: &Plan, cell: &Cell) -> Result<YcsbWorkload> {
    let (mut w, _warnings) = workloads::resolve(&WorkloadArgs {
        workloads: vec![cell.workload.clone()],
        property_files: Vec::new(),
        properties: plan.properties.clone(),
        records: Some(plan.records),
        operations: Some(plan.operations),
        seed: cell.seed,
    })?;
    w.pop()
        .ok_or_else(|| Error::Usage(format!("workload `{}` resolved to nothing", cell.workload)))
}

/// Run `opts.plan` (or its shard) into `opts.out`.
pub fn sweep(opts: &SweepOptions) -> Result<SweepOutcome> {
    let plan = Plan::read(&opts.plan)?;
    let all = expand::cells(&plan)?;
    let total = all.len();
    let mine = match opts.shard {
        Some(s) => expand::shard(all, s.index, s.count),
        None => all,
    };
    let reporter = crate::report::for_quiet(opts.quiet);
    // Unknown property names are warned about once, before any cell.
    for w in &plan.warnings {
        reporter.warning(w);
    }
    prepare(&opts.out, &plan)?;
    let started = now_stamp();
    let here = serde_json::to_value(machine::describe(&opts.out))
        .map_err(|e| Error::io("cannot describe machine for", &opts.out, e.into()))?;

    let (count, timed): (Vec<&Cell>, Vec<&Cell>) =
        mine.iter().partition(|c| kind_of(&plan, c) == Kind::Count);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let report = |cell: &Cell, e: &CellEntry| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        reporter.cell_finished(n, mine.len(), &cell.id, e.failures.is_empty(), e.seconds);
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} sweep threads: {e}", opts.jobs)))?;
    let mut entries: Vec<CellEntry> = pool.install(|| {
        count
            .par_iter()
            .map(|c| {
                let e = run_cell(&plan, c, &opts.out, opts.shard, &here);
                report(c, &e);
                e
            })
            .collect()
    });
    for c in timed {
        let e = run_cell(&plan, c, &opts.out, opts.shard, &here);
        report(c, &e);
        entries.push(e);
    }
    entries.sort_by_key(|e| e.index);

    let mut manifest = Manifest {
        plan_name: plan.name.clone(),
        plan_hash: plan.hash(),
        seeds: plan.seeds.clone(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: crate::run::git_commit(),
        shard: opts.shard,
        cells_total: total,
        machine: here,
        started_at: started,
        finished_at: now_stamp(),
        cells: entries,
        notes: Vec::new(),
    };
    manifest.notes = assemble::write(&opts.out, &plan, &mine, &manifest)?;
    manifest.write(&opts.out)?;
    Ok(SweepOutcome {
        dir: opts.out.clone(),
        cells: mine.len(),
        failures: failures(&manifest),
        notes: manifest.notes,
    })
}

/// One line per failed cell of `m`.
pub fn failures(m: &Manifest) -> Vec<String> {
    m.cells
        .iter()
        .flat_map(|c| {
            c.failures
                .iter()
                .map(move |f| format!("cell {}: {f}", c.id))
        })
        .collect()
}

/// The sweep directory: created, empty of cells (a sweep never mixes its
/// cells with another's), holding a copy of the plan.
fn prepare(out: &Path, plan: &Plan) -> Result<()> {
    let bad = |source| Error::OutDir {
        path: out.to_path_buf(),
        source,
    };
    let cells = out.join(CELLS);
    if cells.exists() {
        let mut it = std::fs::read_dir(&cells).map_err(bad)?;
        if it.next().is_some() {
            return Err(Error::Usage(format!(
                "{} already holds cells of a sweep: give a new --out",
                out.display()
            )));
        }
    }
    std::fs::create_dir_all(&cells).map_err(bad)?;
    let copy = out.join(PLAN_COPY);
    std::fs::write(&copy, &plan.text).map_err(|e| Error::io("cannot write", &copy, e))
}

/// Run one cell; its failure is recorded, not returned: one bad cell
/// (an option value an engine refuses) does not stop the sweep.
fn run_cell(
    plan: &Plan,
    cell: &Cell,
    out: &Path,
    shard: Option<Shard>,
    machine: &serde_json::Value,
) -> CellEntry {
    let start = Instant::now();
    let failures = match run_cell_inner(plan, cell, out) {
        Ok(f) => f,
        Err(e) => vec![e.to_string()],
    };
    CellEntry {
        id: cell.id.clone(),
        index: cell.index,
        kind: kind_of(plan, cell).name().to_string(),
        shard: shard.map(|s| s.index),
        machine: machine.clone(),
        seconds: (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        failures,
    }
}

fn run_cell_inner(plan: &Plan, cell: &Cell, out: &Path) -> Result<Vec<String>> {
    let workload = workload_of(plan, cell)?;
    let spec = EngineSpec::parse(&cell.spec)?;
    let dir = out.join(CELLS).join(&cell.id);
    let mut cfg = RunConfig::new(vec![spec], &dir);
    cfg.run_dir = Some(dir);
    cfg.threads = plan.threads;
    cfg.seed = cell.seed;
    cfg.max_time = plan.max_time.map(Duration::from_secs_f64);
    cfg.sync = plan.sync;
    cfg.cache_mb = plan.cache_mb;
    cfg.io = plan.io;
    cfg.deterministic = plan.deterministic;
    cfg.quiet = true;
    cfg.plots = false;
    cfg.command = vec![
        "harness".into(),
        "sweep".into(),
        plan.path.display().to_string(),
        format!("# cell {}", cell.id),
    ];
    let outcome = execute(&cfg, &[workload])?;
    Ok(outcome.failures.iter().map(|f| f.to_string()).collect())
}

fn now_stamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_stamps(now).0
}

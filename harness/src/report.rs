//! What the harness tells a person while it works, behind one trait.
//!
//! Orchestration (`run`, `sweep`) says what happened; a [`Reporter`]
//! decides whether and how it is shown. [`Terminal`] draws a progress bar
//! per measured phase (only when stdout and stderr are terminals), a line
//! per finished phase and one per finished sweep cell, on stderr; [`Quiet`]
//! (`--quiet`) shows none of them. Warnings, which a
//! person must see even under `--quiet`, go to stderr from both. Every
//! method has a default (nothing, or the warning on stderr), so a reporter
//! implements only what it shows, as criterion's reporters do.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::result::{Phase, PhaseResult};

/// Where a run's or a sweep's progress and status lines go. `Sync`: a
/// sweep's cells finish on several threads.
pub trait Reporter: Sync {
    /// A measured phase of `total` operations starts. The bar returned,
    /// if any, is advanced by the driver and cleared when the phase ends.
    fn phase_started(
        &self,
        _engine: &str,
        _workload: &str,
        _phase: Phase,
        _total: u64,
    ) -> Option<ProgressBar> {
        None
    }

    /// A phase was measured; `stopped_at_max_time` when `--max-time` (and
    /// not an error) ended it.
    fn phase_finished(&self, _result: &PhaseResult, _stopped_at_max_time: bool) {}

    /// Sweep cell `id` finished, the `n`-th of `total`, in `seconds`.
    fn cell_finished(&self, _n: usize, _total: usize, _id: &str, _ok: bool, _seconds: f64) {}

    /// Something went wrong and the run went on (operations failed, an
    /// engine gave up settling): shown by every reporter.
    fn warning(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}

/// `--quiet`: warnings only.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Reporter for Quiet {}

/// A person at a terminal: progress bars and a line per phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal;

impl Reporter for Terminal {
    fn phase_started(
        &self,
        engine: &str,
        workload: &str,
        phase: Phase,
        total: u64,
    ) -> Option<ProgressBar> {
        if !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
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

    fn phase_finished(&self, result: &PhaseResult, stopped_at_max_time: bool) {
        eprintln!(
            "{} {} {}: {} ops in {:.2} s ({:.0} ops/s){}",
            result.engine,
            result.workload,
            result.phase,
            result.operations(),
            result.duration_s,
            result.ops_per_sec(),
            if stopped_at_max_time {
                " - stopped at --max-time"
            } else {
                ""
            }
        );
    }

    fn cell_finished(&self, n: usize, total: usize, id: &str, ok: bool, seconds: f64) {
        let status = if ok { "ok" } else { "FAILED" };
        eprintln!("[{n}/{total}] {id} {status} ({seconds:.1}s)");
    }
}

/// The reporter for `--quiet` or not.
pub fn for_quiet(quiet: bool) -> &'static dyn Reporter {
    if quiet {
        &Quiet
    } else {
        &Terminal
    }
}

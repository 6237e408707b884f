//! One engine x workload x repetition: a fresh directory, the engine
//! opened, the load phase, the warm-up, the run phase, the directory
//! removed.

use std::path::Path;

use engine_core::Options;

use super::phase::{describe, PhaseCtx};
use super::RunConfig;
use crate::driver::{self, split};
use crate::error::{Error, Stage};
use crate::live::LiveSet;
use crate::measure::reset_peak_rss;
use crate::registry::EngineSpec;
use crate::report::Reporter;
use crate::result::{Phase, PhaseResult};
use crate::workload::Workload;
use results::names::sanitize;

/// One engine x workload x repetition.
pub(super) struct Cell<'a> {
    pub(super) cfg: &'a RunConfig,
    pub(super) spec: &'a EngineSpec,
    pub(super) options: Options,
    pub(super) data_root: &'a Path,
    pub(super) rep: u32,
    /// Where its progress and status lines go.
    pub(super) report: &'a dyn Reporter,
}

impl Cell<'_> {
    /// Both phases. On an engine error: the phases measured so far (the
    /// failed one partial) and the error.
    pub(super) fn run<W: Workload>(&self, w: &W) -> (Vec<PhaseResult>, Option<Error>) {
        let mut results = Vec::new();
        let fail = |phase: Phase, at: String, source| {
            let stage = Stage::Phase {
                workload: w.name().to_string(),
                phase: phase.name().to_string(),
                at,
            };
            Error::engine(&self.spec.spec, stage, source)
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
            Err(e) => {
                let stage = Stage::Open { path: dir.clone() };
                return (results, Some(Error::engine(&self.spec.spec, stage, e)));
            }
        };
        reset_peak_rss();
        let engine = match self.spec.open(&vfs, &dir, &self.options) {
            Ok(e) => e,
            Err(e) => return (results, Some(e)),
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

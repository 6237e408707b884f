//! One measured phase: drive the streams, settle the engine, and measure
//! what the phase did (bytes, disk size, latencies, events).

use std::path::Path;

use engine_core::{Engine, Vfs};

use super::cell::Cell;
use crate::driver::{self, OpFailure, PhaseRun, PhaseSpec};
use crate::kernel_io::{self, IoSource, KernelIo, KernelPhase};
use crate::live::LiveSet;
use crate::measure::{peak_rss_bytes, StorageIo};
use crate::result::{Phase, PhaseResult, Spread};

pub(super) fn describe(f: OpFailure, what: &str) -> (String, engine_core::Error) {
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
pub(super) struct PhaseCtx<'a> {
    pub(super) cell: &'a Cell<'a>,
    pub(super) engine: &'a dyn Engine,
    pub(super) vfs: &'a Vfs,
    pub(super) dir: &'a Path,
    pub(super) live: &'a LiveSet,
    pub(super) workload: &'a str,
    pub(super) records: u64,
}

pub(super) type PhaseError = (Phase, String, engine_core::Error);

impl<'a> PhaseCtx<'a> {
    /// Operations failed and the phase went on: say so on stderr even
    /// under `--quiet` (the count is the `errors` column, the latencies the
    /// `<op>-failed` rows), naming the first.
    pub(super) fn warn_failed_ops(&self, phase: &str, errors: u64, first: OpFailure) {
        let (at, e) = describe(first, "");
        self.cell.report.warning(&format!(
            "{} {} {phase}: {errors} operation(s) failed and the phase went on; first: {at}: {e}",
            self.cell.spec.spec, self.workload
        ));
    }

    /// Wait for the engine's background work. Ok(false) when the engine
    /// gave up waiting with work still running: not an error in the data,
    /// but the phase's row is marked `unsettled` and a warning says so.
    pub(super) fn settle(&self, after: &str) -> engine_core::Result<bool> {
        match self.engine.quiesce() {
            Ok(()) => Ok(true),
            Err(e @ engine_core::Error::StillBusy { .. }) => {
                self.cell.report.warning(&format!(
                    "{} {} after {after}: {e}; the row is marked unsettled",
                    self.cell.spec.spec, self.workload
                ));
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) fn spec(&self, ops_per_thread: Vec<u64>, record: bool) -> PhaseSpec<'a> {
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
    pub(super) fn phase<S: driver::OpStream>(
        &self,
        phase: Phase,
        streams: &mut [S],
        ops_per_thread: Vec<u64>,
        quiesce: bool,
        unsettled_before: bool,
    ) -> (Option<PhaseResult>, Option<PhaseError>) {
        let cfg = self.cell.cfg;
        let total: u64 = ops_per_thread.iter().sum();
        let bar = self
            .cell
            .report
            .phase_started(&self.cell.spec.spec, self.workload, phase, total);
        let mut spec = self.spec(ops_per_thread, true);
        spec.progress = bar.as_ref();
        let source = self.cell.spec.info.io_source;
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
        self.cell
            .report
            .phase_finished(&result, result.time_limited && err.is_none());
        (Some(result), err)
    }
}

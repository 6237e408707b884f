//! The driver: client threads replaying operation streams against one
//! engine, and the sampler that watches them.
//!
//! The per-operation loop (`Worker::run`) is the harness's own cost in
//! every measurement, so it does as little as possible: the next operation
//! (drawn before the phase started where the stream allows it, see
//! [`crate::ahead`]; copied into a reused key buffer), two reads of the
//! TSC-based [`Clock`] around the engine call, one histogram increment, a
//! few integer adds, an append to the thread's live-set log for writes, and
//! two relaxed stores to the thread's own cache line for the sampler. No
//! allocation (beyond the log's amortised growth), no shared lock, no
//! dynamic dispatch but the engine call, no formatting. `harness overhead`
//! measures what it adds on the `mem` engine.
//!
//! Each operation is recorded once, into the thread's histograms of the
//! current interval, which the thread hands to the sampler at each interval
//! boundary (one relaxed load per operation to see whether it is asked; see
//! [`crate::interval`]). The phase's latencies are the sum of its
//! intervals', so they count every operation exactly once, as the
//! timeseries does (only `--target`'s intended-start times and failed
//! operations go straight into the thread's phase histograms).
//!
//! The calling thread is the sampler: every 100 ms it updates the progress
//! bar and checks `--max-time`; at each interval boundary (1 s) it records a
//! timeseries row from the threads' published counters and the Vfs, and the
//! interval's latencies from the histograms the threads handed over.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{mpsc, Barrier, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use engine_core::{Engine, Vfs};
use indicatif::ProgressBar;

use crate::ahead::Ahead;
use crate::clock::Clock;
use crate::interval::{merge_per_op, IntervalLatencies, IntervalRecorder, IntervalSlot};
use crate::live::{LiveLog, LiveSet};
use crate::measure::{thread_cpu_ns, Latencies, OpType, Progress, Tally};
use crate::result::Sample;
use crate::values::ValueGen;
pub use workloads::{split, Op, OpStream};

/// Failures in a row after which a thread gives up and ends the phase: an
/// engine that fails this often is not going to recover within the run,
/// and going on would only fill `<op>-failed` with noise.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 1_000;

/// How long the sampler waits at an interval boundary for the threads to
/// hand over their interval histograms; a thread that answers later has its
/// operations in the next interval.
const HANDOVER_PATIENCE: Duration = Duration::from_millis(20);

/// An engine call that failed: which thread, which of its operations.
#[derive(Debug)]
pub struct OpFailure {
    /// The client thread (0-based), which is also its stream's index.
    pub thread: usize,
    /// 1-based index of the operation in the thread's stream for the phase.
    pub op_number: u64,
    /// What the operation was (read, update, insert, scan, rmw, delete).
    pub kind: OpType,
    /// What the engine returned.
    pub error: engine_core::Error,
}

/// The schedule of a rate-limited thread, in clock nanoseconds.
#[derive(Debug, Clone, Copy)]
struct Pacer {
    /// Clock reading when the phase started, plus this thread's offset so
    /// threads interleave.
    start_ns: f64,
    /// Nanoseconds between this thread's intended starts.
    interval_ns: f64,
}

impl Pacer {
    /// The intended start of operation `n` (0-based); waits until then.
    #[inline]
    fn wait_for(&self, clock: &Clock, n: u64) -> u64 {
        let due = (self.start_ns + n as f64 * self.interval_ns) as u64;
        clock.wait_until(due);
        due
    }
}

/// What one client thread ran and measured.
pub struct Worker<'a> {
    engine: &'a dyn Engine,
    live: &'a LiveSet,
    progress: &'a Progress,
    slot: &'a IntervalSlot,
    stop: &'a AtomicBool,
    clock: Clock,
    values: ValueGen,
    key: Vec<u8>,
    /// Service times over the whole phase, per operation type (with
    /// `--target`, also from each operation's intended start).
    pub latencies: Latencies,
    /// This interval's latencies, handed to the sampler at its boundary.
    pub interval: IntervalRecorder,
    /// Operations, bytes, lookups, misses, errors and CPU time of this
    /// thread so far.
    pub tally: Tally,
    /// Live-set changes, applied when the phase ends (or when full).
    pub log: LiveLog,
    /// The first failed operation the thread went on after.
    pub first_error: Option<OpFailure>,
}

impl<'a> Worker<'a> {
    /// `sampler` is what the thread shares with the sampler: its published
    /// counters and its interval-histogram slot.
    fn new(
        engine: &'a dyn Engine,
        live: &'a LiveSet,
        (progress, slot): (&'a Progress, &'a IntervalSlot),
        stop: &'a AtomicBool,
        seed: u64,
        compression_ratio: f64,
        intended: bool,
    ) -> Self {
        Worker {
            engine,
            live,
            progress,
            slot,
            stop,
            clock: Clock::get(),
            values: ValueGen::new(seed, compression_ratio),
            key: Vec::with_capacity(64),
            latencies: Latencies::new(intended),
            interval: IntervalRecorder::default(),
            tally: Tally::default(),
            log: LiveLog::new(),
            first_error: None,
        }
    }

    /// Run up to `n` operations of `stream`. Returns whether all `n` ran
    /// (false when stopped), or the failure that ended the phase.
    ///
    /// A failed operation is counted (`tally.errors`), recorded under
    /// `<op>-failed`, and the thread goes on, as YCSB's client does; the
    /// first one is kept in `first_error` for the report. The phase ends
    /// only when the engine says it is poisoned (every later call would
    /// fail the same way) or after [`MAX_CONSECUTIVE_FAILURES`] in a row.
    fn run<S: OpStream + ?Sized>(
        &mut self,
        stream: &mut S,
        n: u64,
        record: bool,
        pacer: Option<Pacer>,
        thread: usize,
    ) -> Result<bool, OpFailure> {
        let mut consecutive = 0u32;
        for i in 0..n {
            if self.stop.load(Relaxed) {
                return Ok(false);
            }
            if record {
                self.interval.poll(self.slot);
            }
            // Pace before drawing the op: an insert's number is handed out
            // only when it is about to run, so the acknowledged bound other
            // threads read under lags by the inserts in flight, not by the
            // wait for their turn.
            let intended = pacer.map(|p| p.wait_for(&self.clock, i));
            let op = stream.next_op(&mut self.key);
            let t0 = self.clock.now_ns();
            let result = self.execute(op);
            let t1 = self.clock.now_ns();
            stream.acknowledge();
            let mid = match result {
                Ok(mid) => mid,
                Err(error) => {
                    self.tally.errors += 1;
                    self.progress.publish(&self.tally);
                    if record {
                        self.latencies.record_failed(op.kind, t1.saturating_sub(t0));
                    }
                    consecutive += 1;
                    let failure = OpFailure {
                        thread,
                        op_number: i + 1,
                        kind: op.kind,
                        error,
                    };
                    let fatal = matches!(failure.error, engine_core::Error::Poisoned { .. })
                        || consecutive >= MAX_CONSECUTIVE_FAILURES;
                    if fatal {
                        return Err(failure);
                    }
                    self.first_error.get_or_insert(failure);
                    continue;
                }
            };
            consecutive = 0;
            if record {
                // Service times go into the interval's histograms only;
                // the phase's are their sum (see `drive`).
                self.interval.current.record(op.kind, t1.saturating_sub(t0));
                if let Some(due) = intended {
                    self.latencies
                        .record_intended(op.kind, t1.saturating_sub(due));
                }
                if let Some(mid) = mid {
                    self.interval.current.record_rmw_parts(t0, mid, t1);
                    if let Some(due) = intended {
                        self.latencies.record_rmw_intended(mid, t1, due);
                    }
                }
            }
            match op.kind {
                OpType::Update | OpType::Insert | OpType::Rmw => {
                    self.log.put(t1, &self.key, op.value_len);
                }
                OpType::Delete => self.log.delete(t1, &self.key),
                OpType::Read | OpType::Scan => {}
            }
            if self.log.is_full() {
                self.live.apply(&mut self.log);
            }
            self.tally.ops += 1;
            self.progress.publish(&self.tally);
        }
        Ok(true)
    }

    /// One engine operation and its accounting. Returns, for an rmw, the
    /// clock reading between its get and its put.
    #[inline]
    fn execute(&mut self, op: Op) -> engine_core::Result<Option<u64>> {
        let (engine, key, t) = (self.engine, &self.key[..], &mut self.tally);
        let mut put = |t: &mut Tally, len: usize| -> engine_core::Result<()> {
            engine.put(key, self.values.value(len))?;
            t.user_bytes_written += (key.len() + len) as u64;
            Ok(())
        };
        match op.kind {
            OpType::Read => {
                lookup(engine, key, t)?;
            }
            OpType::Update if op.read_first => {
                // One field of a record held in one value: read it, write
                // it back whole (YCSB's key-value bindings). Not found, it
                // is not written, as YCSB's update returns NOT_FOUND.
                if let Some(len) = lookup(engine, key, t)? {
                    put(t, len)?;
                }
            }
            OpType::Update | OpType::Insert => put(t, op.value_len)?,
            OpType::Scan => {
                t.lookups += 1;
                let pairs = engine.scan(key, op.scan_len)?;
                t.misses += u64::from(pairs.is_empty());
                for (k, v) in pairs {
                    t.user_bytes_read += (k.len() + v.len()) as u64;
                }
            }
            OpType::Rmw => {
                lookup(engine, key, t)?;
                let mid = self.clock.now_ns();
                if op.read_first {
                    // The update half of a one-field rmw reads the record
                    // again inside the binding's update, as YCSB's does.
                    lookup(engine, key, t)?;
                }
                put(t, op.value_len)?;
                return Ok(Some(mid));
            }
            OpType::Delete => {
                engine.delete(key)?;
                t.user_bytes_written += key.len() as u64;
            }
        }
        Ok(None)
    }
}

/// One get and its accounting (a lookup; a hit's key and value bytes, or a
/// miss). Returns the value's length when found.
#[inline]
fn lookup(engine: &dyn Engine, key: &[u8], t: &mut Tally) -> engine_core::Result<Option<usize>> {
    t.lookups += 1;
    match engine.get(key)? {
        Some(v) => {
            t.user_bytes_read += (key.len() + v.len()) as u64;
            Ok(Some(v.len()))
        }
        None => {
            t.misses += 1;
            Ok(None)
        }
    }
}

/// How to drive one phase.
pub struct PhaseSpec<'a> {
    /// The engine under measurement, shared by every client thread.
    pub engine: &'a dyn Engine,
    /// The Vfs its files go through: the timeseries' written bytes are
    /// read from its counters.
    pub vfs: &'a Vfs,
    /// The keys present before the phase, which its reads draw on and its
    /// writes' changes are applied to when it ends.
    pub live: &'a LiveSet,
    /// Operations each thread runs (one entry per stream).
    pub ops_per_thread: Vec<u64>,
    /// Record latencies and timeseries (false for warm-up).
    pub record: bool,
    /// Total operations per second across threads, if rate-limited.
    pub target_ops: Option<f64>,
    /// Stop the phase after this long.
    pub max_time: Option<Duration>,
    /// Timeseries interval.
    pub interval: Duration,
    /// Seeds the value bytes (per thread).
    pub seed: u64,
    /// Compressed size / raw size of the values (1.0: incompressible; see
    /// [`crate::values`]).
    pub compression_ratio: f64,
    /// Progress bar to advance, if any.
    pub progress: Option<&'a ProgressBar>,
}

/// What a phase ran and measured (merged over threads).
pub struct PhaseRun {
    /// From the start until the last thread finished its last operation.
    pub duration: Duration,
    /// Wall-clock time the phase started (the hlog's StartTime).
    pub started_at: SystemTime,
    /// The same moment on the monotonic clock: interval times and engine
    /// events are measured from it.
    pub start: Instant,
    /// The threads' tallies summed (CPU time included).
    pub tally: Tally,
    /// The threads' latency histograms merged, per operation type.
    pub latencies: Latencies,
    /// The timeseries, one per interval (empty when not recording).
    pub samples: Vec<Sample>,
    /// Some thread did not run all its operations (time limit or failure).
    pub stopped_early: bool,
    /// The failure that ended the phase, if any.
    pub failure: Option<OpFailure>,
    /// The first failed operation the phase went on after, if any (the
    /// count is `tally.errors`).
    pub first_error: Option<OpFailure>,
}

/// Run one phase: one client thread per stream, the sampler on this thread.
pub fn drive<S: OpStream>(spec: &PhaseSpec<'_>, streams: &mut [S]) -> PhaseRun {
    debug_assert_eq!(streams.len(), spec.ops_per_thread.len());
    let threads = streams.len().max(1);
    let stop = AtomicBool::new(false);
    let progress: Vec<Progress> = (0..threads).map(|_| Progress::default()).collect();
    let slots: Vec<IntervalSlot> = (0..threads).map(|_| IntervalSlot::new()).collect();
    let intended = spec.target_ops.is_some();
    let io_start = spec.vfs.stats().snapshot().total().write_bytes;
    // Before the clock starts: operations that can be drawn now are (see
    // crate::ahead), so the timed loop does not pay for the generator.
    let mut streams: Vec<Ahead<'_, S>> = streams
        .iter_mut()
        .zip(&spec.ops_per_thread)
        .map(|(s, &n)| Ahead::draw(s, n))
        .collect();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let clock = Clock::get();
    // The clock starts once every client thread is up and has built its
    // worker (histograms, buffers): a thread's start-up is not the
    // engine's time. The threads wait at `ready` twice: when built, and
    // again for the start reading in `start_cell`.
    let ready = Barrier::new(streams.len() + 1);
    let start_cell = OnceLock::<f64>::new();
    let pacer_for = |t: usize, start_ns: f64| {
        spec.target_ops.filter(|r| *r > 0.0).map(|rate| {
            let interval_ns = 1e9 * threads as f64 / rate;
            Pacer {
                start_ns: start_ns + interval_ns * t as f64 / threads as f64,
                interval_ns,
            }
        })
    };

    let mut samples = Vec::new();
    let mut outcomes = Vec::with_capacity(threads);
    let mut duration = Duration::ZERO;
    // Every operation's service time, summed over the intervals (each
    // operation is recorded once, into its interval's histograms).
    let mut phase_service = IntervalLatencies::default();
    let mut interval_lat = IntervalLatencies::default();
    let mut started_at = SystemTime::now();
    let mut start = Instant::now();
    std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        for (t, stream) in streams.iter_mut().enumerate() {
            let done = done_tx.clone();
            let (stop, progress, slot) = (&stop, &progress[t], &slots[t]);
            let (ready, start_cell, pacer_for) = (&ready, &start_cell, &pacer_for);
            let n = spec.ops_per_thread[t];
            let seed = spec.seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            handles.push(s.spawn(move || {
                let mut w = Worker::new(
                    spec.engine,
                    spec.live,
                    (progress, slot),
                    stop,
                    seed,
                    spec.compression_ratio,
                    intended,
                );
                ready.wait();
                ready.wait();
                // The sampler sets it between the two waits, so it is
                // there; the fallback only keeps this total.
                let start_ns = start_cell
                    .get()
                    .copied()
                    .unwrap_or_else(|| clock.now_ns() as f64);
                let pacer = pacer_for(t, start_ns);
                let cpu_start = thread_cpu_ns();
                let outcome = w.run(stream, n, spec.record, pacer, t);
                let end = Instant::now();
                slot.finish();
                if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
                    w.tally.cpu_ns = b.saturating_sub(a);
                }
                if outcome.is_err() {
                    // One failed thread stops the phase for all.
                    stop.store(true, Relaxed);
                }
                drop(done);
                (
                    (w.latencies, w.interval.current),
                    w.tally,
                    w.log,
                    w.first_error,
                    (outcome, end),
                )
            }));
        }
        drop(done_tx);
        ready.wait();
        started_at = SystemTime::now();
        start = Instant::now();
        // Set once, here, before any thread reads it.
        let _ = start_cell.set(clock.now_ns() as f64);
        ready.wait();

        // The sampler.
        let tick = Duration::from_millis(100).min(spec.interval);
        let mut next_sample = spec.interval;
        let (mut last_t, mut last_ops) = (Duration::ZERO, 0u64);
        let (mut user_written, mut ops_now);
        let mut epoch = 0u64;
        loop {
            let finished = matches!(
                done_rx.recv_timeout(tick),
                Err(mpsc::RecvTimeoutError::Disconnected)
            );
            let now = start.elapsed();
            if finished {
                duration = now;
            }
            (ops_now, user_written) = Progress::sum(&progress);
            if let Some(pb) = spec.progress {
                pb.set_position(ops_now);
            }
            if let Some(limit) = spec.max_time {
                if now >= limit {
                    stop.store(true, Relaxed);
                }
            }
            if spec.record && (now >= next_sample || finished) {
                let interval = now - last_t;
                // Skip an empty sliver at the very end.
                if !(finished && interval < Duration::from_millis(1) && ops_now == last_ops) {
                    let written = spec.vfs.stats().snapshot().total().write_bytes - io_start;
                    // The last interval's latencies are collected when
                    // the threads are back (below).
                    let latencies = if finished {
                        Vec::new()
                    } else {
                        epoch += 1;
                        IntervalSlot::collect_all(
                            &slots,
                            epoch,
                            HANDOVER_PATIENCE,
                            &mut interval_lat,
                        );
                        let rows = interval_lat.per_op();
                        phase_service.add(&interval_lat);
                        interval_lat.clear();
                        rows
                    };
                    samples.push(Sample {
                        t_s: now.as_secs_f64(),
                        interval_s: interval.as_secs_f64(),
                        ops: ops_now - last_ops,
                        storage_bytes_written: written,
                        user_bytes_written: user_written,
                        latencies,
                    });
                    (last_t, last_ops) = (now, ops_now);
                }
                while next_sample <= now {
                    next_sample += spec.interval;
                }
            }
            if finished {
                break;
            }
        }
        for h in handles {
            // A panicking engine is a bug in the engine: let it propagate.
            outcomes.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
    });

    let mut latencies = Latencies::new(intended);
    let mut tally = Tally::default();
    let mut failure = None;
    let mut first_error = None;
    let mut stopped_early = false;
    let mut logs = Vec::with_capacity(outcomes.len());
    // The last interval: what threads handed over late, and what each
    // thread still held when it finished.
    let mut last_interval = IntervalLatencies::default();
    IntervalSlot::drain_all(&slots, &mut last_interval);
    // The phase ends when its last thread finished its last operation, not
    // when the sampler next woke up to see it.
    if let Some(end) = outcomes.iter().map(|o| o.4 .1).max() {
        duration = end.saturating_duration_since(start);
    }
    for ((lat, current), t, log, first, (outcome, _)) in outcomes {
        if first_error.is_none() {
            first_error = first;
        }
        latencies.merge(&lat);
        last_interval.add(&current);
        tally = tally.plus(t);
        logs.push(log);
        match outcome {
            Ok(true) => {}
            Ok(false) => stopped_early = true,
            Err(f) => {
                stopped_early = true;
                failure.get_or_insert(f);
            }
        }
    }
    spec.live.apply_all(&mut logs);
    phase_service.add(&last_interval);
    phase_service.add_into(&mut latencies);
    if let Some(last) = samples.last_mut() {
        merge_per_op(&mut last.latencies, last_interval.per_op());
    }
    PhaseRun {
        duration,
        started_at,
        start,
        tally,
        latencies,
        samples,
        stopped_early,
        failure,
        first_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use workloads::{Workload, WorkloadArgs};

    /// Run `preset`'s run phase on `mem` with `threads` threads and 1 ms
    /// intervals; the phase and the per-type counts its streams hold.
    fn run_counted(preset: &str, threads: usize) -> (PhaseRun, [u64; 6]) {
        let args = WorkloadArgs {
            workloads: vec![preset.to_string()],
            records: Some(300),
            operations: Some(6_000),
            ..WorkloadArgs::default()
        };
        let (mut w, _) = workloads::resolve(&args).expect("a built-in preset");
        let w = w.remove(0);
        let mut want = [0u64; 6];
        let mut key = Vec::new();
        for (mut s, n) in w
            .run_streams(threads)
            .into_iter()
            .zip(split(6_000, threads))
        {
            for _ in 0..n {
                want[s.next_op(&mut key).kind.index()] += 1;
                s.acknowledge();
            }
        }
        let vfs = Vfs::os();
        let engine = mem::MemEngine::open_boxed(
            &vfs,
            std::path::Path::new("."),
            &engine_core::Options::new(),
        )
        .expect("mem opens without touching the file system");
        let live = LiveSet::new();
        let spec = PhaseSpec {
            engine: engine.as_ref(),
            vfs: &vfs,
            live: &live,
            ops_per_thread: split(6_000, threads),
            record: true,
            target_ops: None,
            max_time: None,
            interval: Duration::from_millis(1),
            seed: 1,
            compression_ratio: 1.0,
            progress: None,
        };
        let run = drive(&spec, &mut w.run_streams(threads));
        assert!(run.failure.is_none() && !run.stopped_early);
        (run, want)
    }

    /// Each operation is in its type's histogram exactly once, in the
    /// phase's and summed over the intervals' (an rmw also once under
    /// `read` and once under `update`, as YCSB records it). ycsb-e runs
    /// on one thread: with two, which keys a thread draws depends on when
    /// the other acknowledges its inserts, so its mix is not known ahead.
    #[test]
    fn every_operation_is_recorded_once_per_type() {
        for (preset, threads) in [("ycsb-a", 1), ("ycsb-f", 2), ("ycsb-e", 1)] {
            let (run, want) = run_counted(preset, threads);
            let got: Vec<u64> = run.latencies.service.iter().map(|h| h.len()).collect();
            assert_eq!(got, want, "{preset}: phase histograms");
            assert_eq!(run.tally.ops, 6_000, "{preset}");
            let rmw = want[OpType::Rmw.index()];
            let named: Vec<(String, u64)> = run
                .latencies
                .named()
                .into_iter()
                .map(|(n, h)| (n, h.len()))
                .collect();
            for op in OpType::ALL {
                let extra = match op {
                    OpType::Read | OpType::Update => rmw,
                    _ => 0,
                };
                let n = want[op.index()] + extra;
                let row = named.iter().find(|(name, _)| name == op.name());
                assert_eq!(row.map_or(0, |r| r.1), n, "{preset}: {} row", op.name());
                let in_intervals: u64 = run
                    .samples
                    .iter()
                    .flat_map(|s| &s.latencies)
                    .filter(|(o, _)| *o == op)
                    .map(|(_, h)| h.len())
                    .sum();
                assert_eq!(in_intervals, n, "{preset}: {} over intervals", op.name());
            }
        }
    }

    #[test]
    fn split_is_even_and_complete() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split(7, 1), vec![7]);
    }
}

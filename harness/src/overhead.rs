//! `harness overhead`: what share of an operation's time on `mem` is the
//! harness's own (generator + clock + histogram + accounting).
//!
//! A `mem` engine is loaded, and the run phase's operations are generated
//! once into a list. Three loops then take turns on that engine, 20 000
//! operations each, in rotating order:
//!
//! - the **bare loop**: the engine calls from the list (keys in one flat
//!   buffer, values from the same generator), nothing else;
//! - the **replay loop**: the harness's own loop ([`crate::driver::drive`])
//!   fed from the list: engine + clock + histogram + tallies + live-set log;
//! - the **full loop**: the harness's loop with the live generator, exactly
//!   what every measurement runs.
//!
//! `(full - bare) / full` is the harness's share of an operation's time
//! (target: under 5 %), `replay - bare` the loop's cost and `full - replay`
//! the generator's. Taking turns on one engine in small chunks makes
//! machine noise, allocator state and memory layout weigh on all three
//! alike; separate engines measured one after the other differed by more
//! than the effect being measured.
//!
//! For the breakdown it also times, in isolation, the generator (`next_op`
//! in a loop), the clock + histogram and the live-set log, keeping the
//! fastest of the repetitions (the least disturbed by other processes).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use engine_core::{Engine, Options, Vfs};

use crate::clock::Clock;
use crate::driver::{self, split, Op, OpStream, PhaseSpec};
use crate::error::{Error, Result};
use crate::live::{LiveLog, LiveSet};
use crate::measure::{Latencies, OpType};
use crate::registry::EngineSpec;
use crate::values::ValueGen;
use crate::workload::Workload;

/// Nanoseconds per operation of each loop, and the harness's share.
#[derive(Debug, Clone, Copy)]
pub struct Overhead {
    /// Operations each loop ran per repetition: the workload's run phase
    /// (`--operations`).
    pub operations: u64,
    /// Engine calls only.
    pub bare_ns: f64,
    /// The harness loop replaying pre-generated operations: engine +
    /// clock + histogram + tallies + live-set log, no generator.
    pub replay_ns: f64,
    /// The harness's full loop.
    pub full_ns: f64,
    /// `next_op` alone.
    pub generator_ns: f64,
    /// Two clock reads and a histogram record alone.
    pub timing_ns: f64,
    /// Live-set logging alone (averaged over all operations; the log is
    /// applied after the phase, outside its duration).
    pub live_ns: f64,
}

impl Overhead {
    /// (full - bare) / full.
    pub fn share(&self) -> f64 {
        if self.full_ns > 0.0 {
            ((self.full_ns - self.bare_ns) / self.full_ns).max(0.0)
        } else {
            0.0
        }
    }

    /// Operations per second of the full loop.
    pub fn ops_per_sec(&self) -> f64 {
        1e9 / self.full_ns
    }

    /// A few lines for the terminal.
    pub fn render(&self) -> String {
        format!(
            "mem, 1 thread, {} operations per repetition\n\
             full harness loop : {:8.1} ns/op ({:.0} ops/s)\n\
             replayed ops      : {:8.1} ns/op (harness loop without the generator)\n\
             bare engine calls : {:8.1} ns/op\n\
             harness share     : {:8.1} % of an operation's time\n\
             of which generator: {:8.1} ns/op, clock + histogram: {:.1} ns/op, live set: {:.1} ns/op\n",
            self.operations,
            self.full_ns,
            self.ops_per_sec(),
            self.replay_ns,
            self.bare_ns,
            self.share() * 100.0,
            self.generator_ns,
            self.timing_ns,
            self.live_ns,
        )
    }
}

/// Operations per turn of each loop.
const CHUNK: usize = 20_000;

/// One pre-generated operation; its key is `keys[key_at..key_at + key_len]`.
struct Planned {
    kind: OpType,
    key_at: usize,
    key_len: usize,
    value_len: usize,
    scan_len: usize,
    read_first: bool,
}

/// Pre-generated operations fed through the driver.
struct Replay<'a> {
    plan: &'a [Planned],
    keys: &'a [u8],
    next: usize,
}

impl OpStream for Replay<'_> {
    #[inline]
    fn next_op(&mut self, key: &mut Vec<u8>) -> Op {
        let p = &self.plan[self.next % self.plan.len()];
        self.next += 1;
        key.clear();
        key.extend_from_slice(&self.keys[p.key_at..p.key_at + p.key_len]);
        Op {
            kind: p.kind,
            value_len: p.value_len,
            scan_len: p.scan_len,
            read_first: p.read_first,
        }
    }
}

fn open_loaded<W: Workload>(w: &W, vfs: &Vfs) -> Result<(Box<dyn Engine>, LiveSet)> {
    let engine = EngineSpec::parse("mem")?.open(vfs, Path::new("."), &Options::new())?;
    let live = LiveSet::new();
    let mut loads = w.load_streams(1);
    let counts: Vec<u64> = loads.iter().map(|(_, n)| *n).collect();
    let mut streams: Vec<W::Stream> = loads.drain(..).map(|(s, _)| s).collect();
    let spec = plain_spec(engine.as_ref(), vfs, &live, counts, false);
    let run = driver::drive(&spec, &mut streams);
    if let Some(f) = run.failure {
        return Err(Error::Usage(format!(
            "mem failed while loading: {}",
            f.error
        )));
    }
    Ok((engine, live))
}

fn plain_spec<'a>(
    engine: &'a dyn Engine,
    vfs: &'a Vfs,
    live: &'a LiveSet,
    ops_per_thread: Vec<u64>,
    record: bool,
) -> PhaseSpec<'a> {
    PhaseSpec {
        engine,
        vfs,
        live,
        ops_per_thread,
        record,
        target_ops: None,
        max_time: None,
        interval: Duration::from_secs(3600),
        seed: 1,
        compression_ratio: 1.0,
        progress: None,
    }
}

/// The harness loop over `n` operations; total nanoseconds.
fn timed_drive<S: OpStream>(
    engine: &dyn Engine,
    vfs: &Vfs,
    live: &LiveSet,
    n: usize,
    streams: &mut [S],
) -> Result<u128> {
    let spec = plain_spec(engine, vfs, live, split(n as u64, 1), true);
    let run = driver::drive(&spec, streams);
    if let Some(f) = run.failure {
        return Err(Error::Usage(format!(
            "mem failed in the harness loop: {}",
            f.error
        )));
    }
    Ok(run.duration.as_nanos())
}

fn bare_loop(
    engine: &dyn Engine,
    plan: &[Planned],
    keys: &[u8],
    values: &mut ValueGen,
) -> Result<Duration> {
    let t0 = Instant::now();
    for op in plan {
        let key = &keys[op.key_at..op.key_at + op.key_len];
        let r = match op.kind {
            OpType::Read => engine.get(key).map(|v| drop(black_box(v))),
            // A one-field update reads the record first, as the driver does.
            OpType::Update if op.read_first => engine.get(key).and_then(|v| match v {
                Some(v) => engine.put(key, values.value(v.len())),
                None => Ok(()),
            }),
            OpType::Update | OpType::Insert => engine.put(key, values.value(op.value_len)),
            OpType::Scan => engine.scan(key, op.scan_len).map(|v| drop(black_box(v))),
            OpType::Rmw => engine.get(key).and_then(|v| {
                drop(black_box(v));
                if op.read_first {
                    drop(black_box(engine.get(key)?));
                }
                engine.put(key, values.value(op.value_len))
            }),
            OpType::Delete => engine.delete(key),
        };
        r.map_err(|e| Error::Usage(format!("mem failed in the bare loop: {e}")))?;
    }
    Ok(t0.elapsed())
}

/// Measure the harness's overhead on `mem` with `w`'s run phase.
pub fn measure<W: Workload>(w: &W, repeat: u32) -> Result<Overhead> {
    let n = w.operations();
    if n == 0 {
        return Err(Error::Usage(
            "overhead: --operations must be at least 1".into(),
        ));
    }
    let vfs = Vfs::os();
    // The plan: the same operations the full loop will replay.
    let mut keys = Vec::new();
    let mut plan = Vec::with_capacity(n as usize);
    let mut key = Vec::new();
    let mut stream = w
        .run_streams(1)
        .into_iter()
        .next()
        .ok_or_else(|| Error::Usage("no stream".into()))?;
    let per_op = |total_ns: u128| total_ns as f64 / (n as f64 * f64::from(repeat.max(1)));
    for _ in 0..n {
        let op = stream.next_op(&mut key);
        stream.acknowledge();
        plan.push(Planned {
            kind: op.kind,
            key_at: keys.len(),
            key_len: key.len(),
            value_len: op.value_len,
            scan_len: op.scan_len,
            read_first: op.read_first,
        });
        keys.extend_from_slice(&key);
    }

    // The three loops take turns on one loaded engine, a chunk of the
    // same operations each, in rotating order: machine noise, allocator
    // state and the engine's layout then weigh on all three alike. (The
    // same operations run three times; for YCSB's read/update mixes that
    // leaves the engine's state unchanged.)
    let (mut bare, mut replay, mut full) = (0u128, 0u128, 0u128);
    let (mut generator, mut timing, mut live_ns) = (f64::MAX, f64::MAX, f64::MAX);
    let chunk = CHUNK.min(n as usize);
    for rep in 0..repeat.max(1) {
        let (engine, live) = open_loaded(w, &vfs)?;
        let engine = engine.as_ref();
        let mut stream = w.run_streams(1);
        for (c, ops) in plan.chunks(chunk).enumerate() {
            let start = c * chunk;
            for turn in 0..3 {
                match (turn + c + rep as usize) % 3 {
                    0 => {
                        // On a fresh thread, as the harness's client
                        // threads are (each gets its own allocator arena).
                        let d = std::thread::scope(|s| {
                            s.spawn(|| {
                                let mut values = ValueGen::new(1, 1.0);
                                bare_loop(engine, ops, &keys, &mut values)
                            })
                            .join()
                            .unwrap_or_else(|p| std::panic::resume_unwind(p))
                        })?;
                        bare += d.as_nanos();
                    }
                    1 => {
                        let mut streams = [Replay {
                            plan: &plan,
                            keys: &keys,
                            next: start,
                        }];
                        replay += timed_drive(engine, &vfs, &live, ops.len(), &mut streams)?;
                    }
                    _ => {
                        full += timed_drive(engine, &vfs, &live, ops.len(), &mut stream)?;
                    }
                }
            }
        }
        drop(live);

        let mut stream = w
            .run_streams(1)
            .into_iter()
            .next()
            .ok_or_else(|| Error::Usage("no stream".into()))?;
        let t0 = Instant::now();
        for _ in 0..n {
            black_box(stream.next_op(&mut key));
            stream.acknowledge();
        }
        generator = generator.min(t0.elapsed().as_nanos() as f64 / n as f64);

        let mut lat = Latencies::new(false);
        let clock = Clock::get();
        let t0 = Instant::now();
        for _ in 0..n {
            let a = clock.now_ns();
            let b = clock.now_ns();
            lat.record(OpType::Read, black_box(b.saturating_sub(a)));
        }
        timing = timing.min(t0.elapsed().as_nanos() as f64 / n as f64);

        let mut log = LiveLog::new();
        let t0 = Instant::now();
        for (i, op) in plan.iter().enumerate() {
            let key = &keys[op.key_at..op.key_at + op.key_len];
            match op.kind {
                OpType::Update | OpType::Insert | OpType::Rmw => {
                    log.put(i as u64, key, op.value_len)
                }
                OpType::Delete => log.delete(i as u64, key),
                OpType::Read | OpType::Scan => {}
            }
        }
        black_box(&log);
        live_ns = live_ns.min(t0.elapsed().as_nanos() as f64 / n as f64);
    }
    Ok(Overhead {
        operations: n,
        bare_ns: per_op(bare),
        replay_ns: per_op(replay),
        full_ns: per_op(full),
        generator_ns: generator,
        timing_ns: timing,
        live_ns,
    })
}

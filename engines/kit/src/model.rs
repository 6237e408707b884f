//! Model checks: random operation sequences against a `BTreeMap`, from one
//! thread and from several, and across clean reopens.
//!
//! Also home of [`drive`], the loop every check uses to run a workload
//! against an engine while keeping the oracle and a live model up to date.

use std::path::Path;
use std::sync::Arc;

use super::oracle::{expected_scan, read_state, show, show_val, Oracle, State};
use super::workload::{plan, Mix, Plan, Step};
use super::{guarded, long_mode, KitConfig, KitFailure, Report};
use engine_core::engine::Engine;
use engine_core::error::Error;
use engine_core::vfs::{CrashMode, SimFs, Vfs};

/// How a workload run ended.
#[derive(Debug)]
pub(crate) enum Driven {
    /// Every step succeeded.
    Done,
    /// Step `.0` returned an error; the run stopped there.
    Failed(usize, Error),
}

/// Run `plan` against `db`. Writes are issued to `oracle` before the call
/// and made durable when the engine says so (`always`: every `Ok` write;
/// otherwise every `Ok` sync). Reads are checked against `live`, the state
/// with every issued write applied (so a read may only be checked while no
/// write has failed). A wrong answer is `Err`; an engine error stops the run.
pub(crate) fn drive(
    db: &dyn Engine,
    plan: &Plan,
    oracle: &mut Oracle,
    live: &mut State,
    always: bool,
    ops: &mut u64,
) -> Result<Driven, String> {
    for (i, step) in plan.steps.iter().enumerate() {
        *ops += 1;
        let result = match step {
            Step::Put(k, v) => {
                oracle.issue(k, Some(v));
                live.insert(k.clone(), v.clone());
                db.put(k, v)
            }
            Step::Delete(k) => {
                oracle.issue(k, None);
                live.remove(k);
                db.delete(k)
            }
            Step::Get(k) => match db.get(k) {
                Ok(got) => {
                    if got.as_ref() != live.get(k) {
                        return Err(format!(
                            "step {i}: get {} returned {}, expected {}",
                            show(k),
                            show_val(got.as_deref()),
                            show_val(live.get(k).map(Vec::as_slice))
                        ));
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Step::Scan(start, limit) => match db.scan(start, *limit) {
                Ok(got) => {
                    let want = expected_scan(live, start, *limit);
                    if got != want {
                        return Err(format!(
                            "step {i}: scan from {} limit {limit} returned {} pairs{}, expected {}{}",
                            show(start),
                            got.len(),
                            first_key(&got),
                            want.len(),
                            first_difference(&got, &want)
                        ));
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Step::Sync => db.sync(),
        };
        match result {
            Ok(()) => {
                let write = matches!(step, Step::Put(..) | Step::Delete(..));
                if matches!(step, Step::Sync) || (always && write) {
                    oracle.all_durable();
                }
            }
            Err(e) => return Ok(Driven::Failed(i, e)),
        }
    }
    Ok(Driven::Done)
}

fn first_key(got: &[(Vec<u8>, Vec<u8>)]) -> String {
    match got.first() {
        Some((k, _)) => format!(" starting at {}", show(k)),
        None => String::new(),
    }
}

fn first_difference(got: &[(Vec<u8>, Vec<u8>)], want: &[(Vec<u8>, Vec<u8>)]) -> String {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            return format!(
                "; first difference at {i}: got {}={}, expected {}={}",
                show(&g.0),
                show_val(Some(&g.1)),
                show(&w.0),
                show_val(Some(&w.1))
            );
        }
    }
    String::new()
}

/// Compare an engine's whole state with `want`.
pub(crate) fn verify(db: &dyn Engine, want: &State, context: &str) -> Result<(), String> {
    verify_gets(db, want, context, usize::MAX)
}

/// [`verify`] with point reads of at most `max_gets` keys.
pub(crate) fn verify_gets(
    db: &dyn Engine,
    want: &State,
    context: &str,
    max_gets: usize,
) -> Result<(), String> {
    let got = read_state(db, want.keys(), max_gets)?;
    if &got == want {
        return Ok(());
    }
    for (k, v) in want {
        if got.get(k) != Some(v) {
            return Err(format!(
                "{context}: key {} is {}, expected {}",
                show(k),
                show_val(got.get(k).map(Vec::as_slice)),
                show_val(Some(v))
            ));
        }
    }
    let extra = got
        .keys()
        .find(|k| !want.contains_key(*k))
        .cloned()
        .unwrap_or_default();
    Err(format!("{context}: key {} should be absent", show(&extra)))
}

/// Open or fail with the engine's error in the message.
pub(crate) fn open(
    cfg: &KitConfig,
    vfs: &Vfs,
    dir: &Path,
    extra: &str,
    context: &str,
) -> Result<Box<dyn Engine>, String> {
    cfg.open_with(vfs, dir, extra)
        .map_err(|e| format!("{context}: open failed: {e}"))
}

fn model_run(
    cfg: &KitConfig,
    vfs: &Vfs,
    dir: &Path,
    seed: u64,
    report: &mut Report,
) -> Result<(), String> {
    let steps = if long_mode() { 20_000 } else { 4_000 };
    let sync = if cfg.persistent { "sync=never" } else { "" };
    let db = open(cfg, vfs, dir, sync, "model")?;
    let mut oracle = Oracle::new();
    let mut live = State::new();
    // Several rounds, each checked in full, so a bug is caught near its step.
    for round in 0..4u64 {
        let p = plan(seed * 10 + round, b"", &Mix::model(steps / 4));
        match drive(&*db, &p, &mut oracle, &mut live, false, &mut report.ops)
            .map_err(|e| format!("seed {seed} round {round}: {e}"))?
        {
            Driven::Done => {}
            Driven::Failed(i, e) => return Err(format!("seed {seed} round {round} step {i}: {e}")),
        }
        verify(&*db, &live, &format!("seed {seed} after round {round}"))?;
        report.points += 1;
    }
    Ok(())
}

/// Random operations against a `BTreeMap` on the simulated filesystem.
pub fn check_model_sim(cfg: &KitConfig) -> Result<Report, KitFailure> {
    guarded("model_sim", |report| {
        for seed in 1..=2 {
            let sim = SimFs::new(seed);
            model_run(cfg, &sim.vfs(), Path::new("/db"), seed, report)?;
        }
        Ok(())
    })
}

/// Random operations against a `BTreeMap` on the real filesystem.
pub fn check_model_os(cfg: &KitConfig) -> Result<Report, KitFailure> {
    guarded("model_os", |report| {
        let tmp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        model_run(cfg, &Vfs::os(), &tmp.path().join("db"), 3, report)
    })
}

/// Random operations against a `BTreeMap` on real files opened with
/// `O_DIRECT` (the harness's `--io direct`): the engine must not depend on
/// the page cache's byte granularity (its reads and writes become whole
/// aligned blocks underneath), and a reopen must read back what it wrote.
/// Where the temporary directory's filesystem refuses `O_DIRECT`, the
/// check reports itself skipped, with the reason, instead of passing.
pub fn check_model_direct(cfg: &KitConfig) -> Result<Report, KitFailure> {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => return Ok(Report::skipped("model_direct", &format!("tempdir: {e}"))),
    };
    let vfs = match Vfs::direct(tmp.path()) {
        Ok(v) => v,
        Err(e) => return Ok(Report::skipped("model_direct", &e.to_string())),
    };
    guarded("model_direct", |report| {
        model_run(cfg, &vfs, &tmp.path().join("db"), 4, report)
    })
}

/// Several threads on disjoint key ranges, each checking its own reads,
/// then the union checked as a whole. Persistent engines run it twice:
/// with `sync=never` and a `sync()` before a clean close, and with
/// `sync=always` and a power loss instead of a close, which proves that
/// concurrent durable writes (group commit) are durable each.
pub fn check_threads(cfg: &KitConfig) -> Result<Report, KitFailure> {
    guarded("threads", |report| {
        if cfg.persistent {
            threads_round(cfg, "sync=never", false, report)?;
            threads_round(cfg, "sync=always", true, report)
        } else {
            threads_round(cfg, "", false, report)
        }
    })
}

fn threads_round(
    cfg: &KitConfig,
    extra: &'static str,
    always: bool,
    report: &mut Report,
) -> Result<(), String> {
    const THREADS: u8 = 4;
    let steps = match (long_mode(), always) {
        (true, _) => 5_000,
        (false, false) => 800,
        (false, true) => 300,
    };
    let sim = SimFs::new(4);
    let vfs = sim.vfs();
    let dir = Path::new("/db");
    let db: Arc<dyn Engine> = Arc::from(open(cfg, &vfs, dir, extra, "threads")?);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || -> Result<(State, u64), String> {
                let prefix = [b'T', t];
                let mut mix = Mix::model(steps);
                // Scans here cross into other threads' ranges, which a
                // per-thread model cannot predict: gets only.
                mix.read_pct = 30;
                let mut p = plan(100 + u64::from(t), &prefix, &mix);
                p.steps.retain(|s| !matches!(s, Step::Scan(..)));
                let (mut oracle, mut live, mut ops) = (Oracle::new(), State::new(), 0);
                match drive(&*db, &p, &mut oracle, &mut live, always, &mut ops)
                    .map_err(|e| format!("{extra} thread {t}: {e}"))?
                {
                    Driven::Done => Ok((live, ops)),
                    Driven::Failed(i, e) => Err(format!("{extra} thread {t} step {i}: {e}")),
                }
            })
        })
        .collect();
    let mut all = State::new();
    for h in handles {
        let (live, ops) = h
            .join()
            .map_err(|p| format!("a writer thread panicked: {}", super::panic_message(&*p)))??;
        report.ops += ops;
        all.extend(live);
    }
    verify(&*db, &all, &format!("{extra} after all threads joined"))?;
    report.points += u64::from(THREADS);
    if cfg.persistent {
        if always {
            // Every write was acknowledged durable: pull the plug.
            sim.crash(CrashMode::DropUnsynced);
        } else {
            db.sync().map_err(|e| format!("sync: {e}"))?;
        }
        drop(db);
        let db = open(cfg, &vfs, dir, extra, "threads, reopen")?;
        verify(&*db, &all, &format!("{extra} threads, after reopen"))?;
    }
    Ok(())
}

/// Several cycles of writes, `sync`, clean close and reopen; each reopen
/// must see exactly the state, and reopening without writes changes nothing.
pub fn check_reopen(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("reopen", "not persistent"));
    }
    guarded("reopen", |report| {
        let cycles = if long_mode() { 20 } else { 6 };
        let sim = SimFs::new(5);
        let vfs = sim.vfs();
        let dir = Path::new("/db");
        let mut oracle = Oracle::new();
        let mut live = State::new();
        for cycle in 0..cycles {
            let db = open(cfg, &vfs, dir, "sync=never", &format!("cycle {cycle}"))?;
            verify(&*db, &live, &format!("reopen cycle {cycle}"))?;
            let p = plan(200 + cycle, b"", &Mix::model(500));
            match drive(&*db, &p, &mut oracle, &mut live, false, &mut report.ops)
                .map_err(|e| format!("cycle {cycle}: {e}"))?
            {
                Driven::Done => {}
                Driven::Failed(i, e) => return Err(format!("cycle {cycle} step {i}: {e}")),
            }
            db.sync().map_err(|e| format!("cycle {cycle}: sync: {e}"))?;
            drop(db);
            if cycle % 2 == 1 {
                // A reopen with no writes must not change anything either.
                let db = open(
                    cfg,
                    &vfs,
                    dir,
                    "sync=never",
                    &format!("cycle {cycle}, idle"),
                )?;
                verify(&*db, &live, &format!("idle reopen in cycle {cycle}"))?;
            }
            report.points += 1;
        }
        Ok(())
    })
}

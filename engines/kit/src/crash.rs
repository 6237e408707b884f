//! Crash sweeps: crash at the N-th storage mutation of a workload, recover,
//! check the oracle; crash again during recovery; tear unsynced tails.

use std::path::Path;

use super::model::{drive, open, verify, verify_gets, Driven};
use super::oracle::{Oracle, State, SAMPLED_GETS};
use super::workload::{plan, rng, Mix, Plan, Step, MARKER_KEY};
use super::{guarded, long_mode, KitConfig, KitFailure, Report};
use engine_core::vfs::{CrashMode, SimFs};
use rand::Rng;

const DIR: &str = "/db";

/// Crash points visited densely at the start of every sweep (the first
/// open: creating files, writing headers, syncing the directory).
const DENSE_POINTS: u64 = 24;

/// Crash points spread over the rest of a sweep in normal mode. Chosen so
/// that the LSM's four presets each sweep in well under a minute at
/// opt-level 2; `KIT_CRASH_POINTS` overrides it, `KIT_LONG=1` visits all.
const SPREAD_POINTS: u64 = 500;

/// The crash mode for crash number `i` of a sweep: the four in rotation,
/// seeded by `i` so torn and garbage tails differ from point to point.
pub(crate) fn mode(i: u64) -> CrashMode {
    match i % 4 {
        0 => CrashMode::DropUnsynced,
        1 => CrashMode::TornWrite { seed: i },
        2 => CrashMode::ZeroTail,
        _ => CrashMode::Garbage { seed: i },
    }
}

/// Which of the mutation points `1..=total` a sweep visits.
fn crash_points(total: u64, spread: u64) -> Vec<u64> {
    if long_mode() {
        return (1..=total).collect();
    }
    let spread = std::env::var("KIT_CRASH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(spread)
        .max(1);
    let mut points: Vec<u64> = (1..=DENSE_POINTS.min(total)).collect();
    if total > DENSE_POINTS {
        let rest = total - DENSE_POINTS;
        let stride = (rest / spread).max(1);
        // An odd offset keeps the points off any period the engine's writes
        // might have (every other call a sync, and so on).
        let mut n = DENSE_POINTS + 1 + stride / 3;
        while n <= total {
            points.push(n);
            n += stride;
        }
        if points.last() != Some(&total) {
            points.push(total);
        }
    }
    points
}

/// One sweep's workload and durability mode.
struct Sweep<'a> {
    cfg: &'a KitConfig,
    extra: &'a str,
    always: bool,
    plan: Plan,
    seed: u64,
    /// The crash mode at point `n`.
    modes: fn(u64) -> CrashMode,
    /// Crash points spread over the workload in normal mode.
    spread: u64,
}

/// What page-drop crashes of a sweep did (see [`engine_core::vfs::CrashStats`]).
#[derive(Default)]
struct PageFigures {
    dirty: u64,
    dropped: u64,
    holes: u64,
}

impl Sweep<'_> {
    /// Replay the workload on a fresh filesystem armed to crash at mutation
    /// `n` (0: never). Returns the filesystem (not yet crashed) and the
    /// oracle of what was acknowledged.
    fn replay(&self, n: u64, ops: &mut u64) -> Result<(SimFs, Oracle, State), String> {
        let sim = SimFs::new(self.seed.wrapping_mul(1_000_003).wrapping_add(n));
        if n > 0 {
            sim.crash_at_mutation(n);
        }
        let mut oracle = Oracle::new();
        let mut live = State::new();
        // An open that fails on the crash leaves nothing acknowledged.
        if let Ok(db) = self.cfg.open_with(&sim.vfs(), Path::new(DIR), self.extra) {
            let ran = drive(&*db, &self.plan, &mut oracle, &mut live, self.always, ops)
                .map_err(|e| format!("crash point {n}, before the crash: {e}"))?;
            if n == 0 {
                if let Driven::Failed(i, e) = ran {
                    return Err(format!(
                        "the workload failed without a crash at step {i}: {e}"
                    ));
                }
            }
            drop(db);
        } else if n == 0 {
            let e = self
                .cfg
                .open_with(&sim.vfs(), Path::new(DIR), self.extra)
                .err();
            return Err(format!("open on an empty filesystem failed: {e:?}"));
        }
        Ok((sim, oracle, live))
    }

    /// Mutations of the whole workload, counted by a replay without a crash.
    fn total_mutations(&self, report: &mut Report) -> Result<u64, String> {
        let sim = SimFs::new(self.seed);
        let db = open(self.cfg, &sim.vfs(), Path::new(DIR), self.extra, "dry run")?;
        let (mut oracle, mut live) = (Oracle::new(), State::new());
        match drive(
            &*db,
            &self.plan,
            &mut oracle,
            &mut live,
            self.always,
            &mut report.ops,
        )? {
            Driven::Done => {}
            Driven::Failed(i, e) => return Err(format!("dry run, step {i}: {e}")),
        }
        verify(&*db, &live, "dry run")?;
        Ok(sim.mutations())
    }
}

/// After a successful recovery: the engine takes a write, syncs, and a
/// further reopen sees exactly the recovered state plus that write.
fn accepts_writes(
    cfg: &KitConfig,
    sim: &SimFs,
    extra: &str,
    recovered: State,
    ctx: &str,
) -> Result<(), String> {
    let dir = Path::new(DIR);
    let db = open(cfg, &sim.vfs(), dir, extra, ctx)?;
    db.put(MARKER_KEY, b"after")
        .and_then(|_| db.sync())
        .map_err(|e| format!("{ctx}: the recovered engine refused a write: {e}"))?;
    drop(db);
    let mut want = recovered;
    want.insert(MARKER_KEY.to_vec(), b"after".to_vec());
    let db = open(
        cfg,
        &sim.vfs(),
        dir,
        extra,
        &format!("{ctx}, second reopen"),
    )?;
    verify_gets(&*db, &want, &format!("{ctx}, second reopen"), SAMPLED_GETS)
}

/// Recover after a crash and check the oracle; then check that the engine
/// accepts writes. Returns nothing; every problem is an `Err` naming `ctx`.
fn recover_and_check(
    cfg: &KitConfig,
    sim: &SimFs,
    extra: &str,
    oracle: &Oracle,
    ctx: &str,
) -> Result<(), String> {
    let db = open(
        cfg,
        &sim.vfs(),
        Path::new(DIR),
        extra,
        &format!("{ctx}: recovery"),
    )?;
    let got = oracle.check(&*db).map_err(|e| format!("{ctx}: {e}"))?;
    drop(db);
    accepts_writes(cfg, sim, extra, got, ctx)
}

fn sweep(
    cfg: &KitConfig,
    s: &Sweep,
    report: &mut Report,
    pages: &mut PageFigures,
) -> Result<Vec<u64>, String> {
    let total = s.total_mutations(report)?;
    let writes = s
        .plan
        .steps
        .iter()
        .filter(|st| matches!(st, Step::Put(..) | Step::Delete(..)))
        .count() as u64;
    if s.always && total < writes {
        // One thread, every write durable before the next: each needs at
        // least one storage call that changes something.
        return Err(format!(
            "{writes} sync=always writes made only {total} storage mutations: writes acknowledged without reaching storage"
        ));
    }
    let points = crash_points(total, s.spread);
    let mut visited = Vec::new();
    for &n in &points {
        let mode = (s.modes)(n);
        let (sim, oracle, _) = s.replay(n, &mut report.ops)?;
        if !sim.has_crashed() {
            // Engines with background threads need not repeat the dry run's
            // calls exactly; a point past their end is simply not reached.
            continue;
        }
        sim.crash(mode);
        let stats = sim.crash_stats();
        pages.dirty += stats.dirty_pages;
        pages.dropped += stats.dropped_pages;
        pages.holes += stats.files_with_holes;
        let mut ctx = format!(
            "{} crash at mutation {n} of {total} ({mode:?}, seed {})",
            s.extra, s.seed
        );
        if let CrashMode::DropPages { .. } = mode {
            ctx.push_str(&format!(
                " dropping {} of {} unsynced pages, {} files with a dropped page before a kept one",
                stats.dropped_pages, stats.dirty_pages, stats.files_with_holes
            ));
        }
        recover_and_check(cfg, &sim, s.extra, &oracle, &ctx)?;
        visited.push(n);
    }
    report.points += visited.len() as u64;
    let _ = write_detail(report, s.extra, total, visited.len());
    if (visited.len() as u64) < (points.len() as u64) / 2 {
        return Err(format!(
            "only {} of {} planned crash points were reached (of {total} mutations)",
            visited.len(),
            points.len()
        ));
    }
    Ok(visited)
}

fn write_detail(report: &mut Report, extra: &str, total: u64, visited: usize) -> std::fmt::Result {
    use std::fmt::Write;
    if !report.detail.is_empty() {
        report.detail.push_str("; ");
    }
    write!(
        report.detail,
        "{extra}: {visited} of {total} mutation points crashed and recovered"
    )
}

/// Steps of the sweep workloads. The same in both modes: `KIT_LONG=1`
/// visits every crash point of the same workload rather than a longer one,
/// which keeps the long run (quadratic in this) within minutes per engine.
const STEPS: usize = 3_000;

/// Crash at each mutation point of a `sync=always` workload.
pub fn check_crash_sync_always(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("crash_sync_always", "not persistent"));
    }
    guarded("crash_sync_always", |report| {
        let s = Sweep {
            cfg,
            extra: "sync=always",
            always: true,
            plan: plan(11, b"", &Mix::writes(STEPS, 0)),
            seed: 11,
            modes: mode,
            spread: SPREAD_POINTS,
        };
        sweep(cfg, &s, report, &mut PageFigures::default()).map(|_| ())
    })
}

/// Crash at each mutation point of a `sync=never` workload with a `sync()`
/// every few dozen writes.
pub fn check_crash_sync_never(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("crash_sync_never", "not persistent"));
    }
    guarded("crash_sync_never", |report| {
        let s = Sweep {
            cfg,
            extra: "sync=never",
            always: false,
            plan: plan(12, b"", &Mix::writes(STEPS, 25)),
            seed: 12,
            modes: mode,
            spread: SPREAD_POINTS,
        };
        sweep(cfg, &s, report, &mut PageFigures::default()).map(|_| ())
    })
}

/// Crash points per page-drop sweep in normal mode (two sweeps per engine).
const PAGE_DROP_POINTS: u64 = 200;

/// Crash at spread mutation points of a `sync=always` and of a `sync=never`
/// workload, every crash dropping a random subset of the unsynced 4 KiB
/// pages of every file ([`CrashMode::DropPages`]): a file may then hold
/// zeros, or old bytes, before later pages that survived. Synced data is
/// never touched by this mode, so nothing acknowledged durable may be lost
/// and recovery must succeed: a power loss at `sync=never` loses unsynced
/// writes, it does not make the database unopenable. The oracle's prefix
/// rule holds too: a write that survived beyond a dropped one is a hole.
pub fn check_page_drops(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("page_drops", "not persistent"));
    }
    guarded("page_drops", |report| {
        let mut pages = PageFigures::default();
        for (extra, always, sync_every, seed) in
            [("sync=always", true, 0, 15), ("sync=never", false, 25, 16)]
        {
            let s = Sweep {
                cfg,
                extra,
                always,
                plan: plan(seed, b"", &Mix::writes(STEPS, sync_every)),
                seed,
                modes: |n| CrashMode::DropPages { seed: n },
                spread: PAGE_DROP_POINTS,
            };
            sweep(cfg, &s, report, &mut pages)?;
        }
        report.detail.push_str(&format!(
            "; {} of {} unsynced pages dropped, {} files left with a dropped page before a kept one",
            pages.dropped, pages.dirty, pages.holes
        ));
        // Whether a hole (a dropped page before a kept one) arises depends
        // on the engine's unsynced data spanning pages (a WAL rotated at
        // 4 KiB rarely does); the simulator's own tests prove the mode makes
        // holes. A sweep that dropped nothing at all proved nothing.
        if pages.dropped == 0 {
            return Err("no crash dropped an unsynced page: the sweep proved nothing".into());
        }
        Ok(())
    })
}

/// The crash sweeps again with the engine's background work on
/// ([`KitConfig::background`]): flushes, compactions, merges or
/// checkpoints on their own threads, so several logs are alive at once and
/// crashes land while one thread appends and another rewrites. Replays are
/// not deterministic then: a crash point names a different instant in each,
/// points past a replay's end are skipped, and a failure's message gives
/// the mode and seed but may not replay exactly.
pub fn check_crash_background(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent || cfg.background.is_empty() {
        return Ok(Report::skipped(
            "crash_background",
            "no background options declared",
        ));
    }
    guarded("crash_background", |report| {
        for (sync, always, sync_every, seed) in [("always", true, 0, 17), ("never", false, 25, 18)]
        {
            let extra = format!("{},sync={sync}", cfg.background);
            let s = Sweep {
                cfg,
                extra: &extra,
                always,
                plan: plan(seed, b"", &Mix::writes(STEPS, sync_every)),
                seed,
                modes: mode,
                spread: PAGE_DROP_POINTS,
            };
            sweep(cfg, &s, report, &mut PageFigures::default())?;
        }
        Ok(())
    })
}

/// Crash in the workload, then at mutation points of the recovery, then
/// recover again.
pub fn check_double_crash(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("double_crash", "not persistent"));
    }
    guarded("double_crash", |report| {
        let s = Sweep {
            cfg,
            extra: "sync=never",
            always: false,
            plan: plan(
                13,
                b"",
                &Mix::writes(if long_mode() { 2_000 } else { 600 }, 20),
            ),
            seed: 13,
            modes: mode,
            spread: SPREAD_POINTS,
        };
        let total = s.total_mutations(report)?;
        let firsts = if long_mode() { 60 } else { 16 };
        let mut r = rng(13);
        for j in 0..firsts {
            let n = r.gen_range(1..=total);
            // How many mutations does recovery from this crash make?
            let (sim, _, _) = s.replay(n, &mut report.ops)?;
            sim.crash(mode(j));
            let db = open(
                cfg,
                &sim.vfs(),
                Path::new(DIR),
                s.extra,
                &format!("double crash {n}: plain recovery"),
            )?;
            let recovery = sim.mutations();
            drop(db);
            let seconds: Vec<u64> = if long_mode() || recovery <= 10 {
                (1..=recovery).collect()
            } else {
                let mut v: Vec<u64> = (1..=4).collect();
                v.extend((0..6).map(|_| r.gen_range(5..=recovery)));
                v.push(recovery);
                v
            };
            for m in seconds {
                let (sim, oracle, _) = s.replay(n, &mut report.ops)?;
                if !sim.has_crashed() {
                    continue;
                }
                sim.crash(mode(j));
                sim.crash_at_mutation(m);
                let first = cfg.open_with(&sim.vfs(), Path::new(DIR), s.extra);
                drop(first);
                let second = mode(j + 1 + m);
                sim.crash(second);
                let ctx = format!(
                    "crash at workload mutation {n} ({:?}), then at recovery mutation {m} of {recovery} ({second:?})",
                    mode(j)
                );
                recover_and_check(cfg, &sim, s.extra, &oracle, &ctx)?;
                report.points += 1;
            }
        }
        Ok(())
    })
}

/// Power loss at the end of `sync=never` workloads of random lengths, with
/// the unsynced tail torn (most often), zero-filled or garbage.
pub fn check_torn_tail(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("torn_tail", "not persistent"));
    }
    guarded("torn_tail", |report| {
        let rounds = if long_mode() { 1_000 } else { 200 };
        let mut r = rng(14);
        for t in 0..rounds {
            let steps = r.gen_range(20..400);
            let sync_every = r.gen_range(5..60);
            let p = plan(1000 + t, b"", &Mix::writes(steps, sync_every));
            let sim = SimFs::new(t);
            let db = open(cfg, &sim.vfs(), Path::new(DIR), "sync=never", "torn tail")?;
            let (mut oracle, mut live) = (Oracle::new(), State::new());
            if let Driven::Failed(i, e) =
                drive(&*db, &p, &mut oracle, &mut live, false, &mut report.ops)?
            {
                return Err(format!("round {t}: step {i} failed without a crash: {e}"));
            }
            // Power goes out with the engine still open.
            let mode = match t % 4 {
                0 | 1 => CrashMode::TornWrite { seed: t },
                2 => CrashMode::ZeroTail,
                _ => CrashMode::Garbage { seed: t },
            };
            sim.crash(mode);
            drop(db);
            let ctx = format!(
                "round {t} ({steps} steps, {} pending, {mode:?})",
                oracle.pending()
            );
            recover_and_check(cfg, &sim, "sync=never", &oracle, &ctx)?;
            report.points += 1;
        }
        Ok(())
    })
}

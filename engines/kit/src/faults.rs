//! Media and device faults: bit flips in every file, I/O errors at chosen
//! calls, and a failed fsync.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::Rng;

use super::crash::mode;
use super::model::{drive, open, verify, Driven};
use super::oracle::{expected_scan, show, show_val, Oracle, State, SAMPLED_GETS};
use super::workload::{plan, rng, Mix, Step};
use super::{guarded, long_mode, panic_message, KitConfig, KitFailure, Report};
use engine_core::engine::Engine;
use engine_core::error::Error;
use engine_core::vfs::SimFs;

const DIR: &str = "/db";

/// Storage calls one flip trial may make before it counts as a hang.
pub(super) const FLIP_OP_BUDGET: u64 = 200_000;

/// Put the filesystem back to `snapshot` (uncounted fixture writes; files
/// the engine created since are removed).
pub(super) fn restore(sim: &SimFs, snapshot: &BTreeMap<PathBuf, Vec<u8>>) -> Result<(), String> {
    let vfs = sim.vfs();
    for (path, _) in sim.files() {
        if !snapshot.contains_key(&path) {
            vfs.remove_file(&path)
                .map_err(|e| format!("restore: {e}"))?;
        }
    }
    for (path, bytes) in snapshot {
        sim.write_file(path, bytes)
            .map_err(|e| format!("restore {}: {e}", path.display()))?;
    }
    Ok(())
}

/// An error from a read of flipped data: only a corruption error naming a
/// file is acceptable.
pub(super) fn acceptable(e: &Error) -> bool {
    matches!(e, Error::Corruption { path, .. } if !path.as_os_str().is_empty())
}

/// Open and read everything after a flip; right data or corruption errors.
fn flip_trial(cfg: &KitConfig, sim: &SimFs, want: &State, ctx: &str) -> Result<u64, String> {
    let db = match cfg.open_with(&sim.vfs(), Path::new(DIR), "sync=never") {
        Ok(db) => db,
        Err(e) if acceptable(&e) => return Ok(1),
        Err(e) => {
            return Err(format!(
                "{ctx}: open failed with a non-corruption error: {e}"
            ))
        }
    };
    let mut errors = 0;
    let mut check = |what: &str, e: Error| {
        if acceptable(&e) {
            errors += 1;
            Ok(())
        } else {
            Err(format!(
                "{ctx}: {what} failed with a non-corruption error: {e}"
            ))
        }
    };
    for (k, v) in want {
        match db.get(k) {
            Ok(got) if got.as_ref() == Some(v) => {}
            Ok(got) => {
                return Err(format!(
                    "{ctx}: WRONG DATA: get {} returned {}, expected {}",
                    show(k),
                    show_val(got.as_deref()),
                    show_val(Some(v))
                ))
            }
            Err(e) => check("get", e)?,
        }
    }
    for start in [&b""[..], b"a", b"\x80"] {
        match db.scan(start, usize::MAX) {
            Ok(got) if got == expected_scan(want, start, usize::MAX) => {}
            Ok(got) => {
                let bad = got
                    .iter()
                    .find(|(k, v)| want.get(k) != Some(v))
                    .map(|(k, v)| format!("{}={}", show(k), show_val(Some(v))))
                    .unwrap_or_else(|| format!("{} pairs instead of {}", got.len(), want.len()));
                return Err(format!(
                    "{ctx}: WRONG DATA: scan from {} returned {bad}",
                    show(start)
                ));
            }
            Err(e) => check("scan", e)?,
        }
    }
    drop(db);
    Ok(errors)
}

/// Flip bits all over every file of a cleanly closed engine.
pub fn check_bit_flips(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("bit_flips", "not persistent"));
    }
    guarded("bit_flips", |report| {
        let sim = SimFs::new(21);
        let dir = Path::new(DIR);
        // Two sessions, so there are files from a previous open too.
        let (mut oracle, mut live) = (Oracle::new(), State::new());
        for session in 0..2 {
            let db = open(cfg, &sim.vfs(), dir, "sync=never", "bit flips: setup")?;
            let mut p = plan(21 + session, b"", &Mix::writes(400, 50));
            p.steps.push(Step::Sync);
            if let Driven::Failed(i, e) =
                drive(&*db, &p, &mut oracle, &mut live, false, &mut report.ops)?
            {
                return Err(format!("setup step {i}: {e}"));
            }
            drop(db);
        }
        let snapshot: BTreeMap<PathBuf, Vec<u8>> = sim
            .files()
            .into_iter()
            .map(|(path, _)| {
                let bytes = sim.read_file(&path).map_err(|e| format!("snapshot: {e}"))?;
                Ok((path, bytes))
            })
            .collect::<Result<_, String>>()?;
        // Every file: its first and last bytes (headers, footers, the last
        // record), then random offsets in proportion to the budget.
        let per_file = if long_mode() { 1_000 } else { 120 };
        let mut r = rng(22);
        let mut corrupt_seen = 0;
        for (path, bytes) in &snapshot {
            let len = bytes.len() as u64;
            if len == 0 {
                continue;
            }
            let mut offsets: Vec<u64> = (0..len.min(16)).collect();
            offsets.extend((len.saturating_sub(16)..len).filter(|o| *o >= 16));
            offsets.extend((0..per_file).map(|_| r.gen_range(0..len)));
            offsets.sort_unstable();
            offsets.dedup();
            for off in offsets {
                let bit = r.gen_range(0..8u8);
                restore(&sim, &snapshot)?;
                sim.flip_bit(path, off, bit)
                    .map_err(|e| format!("flip: {e}"))?;
                let ctx = format!(
                    "bit {bit} of byte {off} of {} ({len} bytes) flipped",
                    path.display()
                );
                let ops_before = sim.ops();
                sim.fail_op(FLIP_OP_BUDGET, true);
                let trial = catch_unwind(AssertUnwindSafe(|| flip_trial(cfg, &sim, &live, &ctx)));
                let runaway = sim.ops() - ops_before >= FLIP_OP_BUDGET;
                sim.clear_faults();
                let errors = match trial {
                    Ok(r) => r?,
                    Err(p) => return Err(format!("{ctx}: PANIC: {}", panic_message(&*p))),
                };
                if runaway {
                    return Err(format!(
                        "{ctx}: more than {FLIP_OP_BUDGET} storage calls: a loop?"
                    ));
                }
                corrupt_seen += u64::from(errors > 0);
                report.points += 1;
            }
        }
        report.detail = format!(
            "{} files, {corrupt_seen} flips reported as corruption, the rest read right",
            snapshot.len()
        );
        Ok(())
    })
}

/// Fail the n-th storage call once during a `sync=always` workload.
pub fn check_io_errors(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("io_errors", "not persistent"));
    }
    guarded("io_errors", |report| {
        let p = plan(
            31,
            b"",
            &Mix::writes(if long_mode() { 1_000 } else { 300 }, 0),
        );
        let dir = Path::new(DIR);
        // Calls the workload makes, from a run without faults.
        let total = {
            let sim = SimFs::new(31);
            let db = open(cfg, &sim.vfs(), dir, "sync=always", "io errors: dry run")?;
            let before = sim.ops();
            let (mut o, mut l) = (Oracle::new(), State::new());
            if let Driven::Failed(i, e) = drive(&*db, &p, &mut o, &mut l, true, &mut report.ops)? {
                return Err(format!("dry run step {i}: {e}"));
            }
            sim.ops() - before
        };
        let count = if long_mode() { total } else { 400.min(total) };
        let stride = (total / count.max(1)).max(1);
        let mut hits = 0;
        let mut n = 1;
        while n <= total {
            let sim = SimFs::new(31 + n);
            let db = open(
                cfg,
                &sim.vfs(),
                dir,
                "sync=always",
                &format!("io error at call {n}"),
            )?;
            sim.fail_op(n, false);
            let (allowed, failed) = faulty_run(&*db, &p, n, &mut report.ops)?;
            hits += u64::from(failed > 0);
            drop(db);
            sim.clear_faults();
            if n % 2 == 1 {
                // Acknowledged writes are durable: a power loss on top of
                // the fault must not lose them either.
                sim.crash(mode(n));
            }
            let db = open(
                cfg,
                &sim.vfs(),
                dir,
                "sync=always",
                &format!("reopen after an io error at call {n}"),
            )?;
            let got = super::oracle::read_state(&*db, allowed.keys(), SAMPLED_GETS)?;
            for (k, ok) in &allowed {
                let have = got.get(k);
                if !ok.iter().any(|v| v.as_ref() == have) {
                    return Err(format!(
                        "io error at call {n}, after reopen: key {} is {}, expected {}",
                        show(k),
                        show_val(have.map(Vec::as_slice)),
                        show_val(ok[0].as_deref())
                    ));
                }
            }
            if let Some(k) = got.keys().find(|k| !allowed.contains_key(*k)) {
                return Err(format!(
                    "io error at call {n}: never-written key {} appeared",
                    show(k)
                ));
            }
            report.points += 1;
            n += stride;
        }
        report.detail = format!(
            "{hits} of {} injected errors reached the caller ({total} calls)",
            report.points
        );
        if hits == 0 {
            return Err("no injected error ever reached the caller".into());
        }
        Ok(())
    })
}

/// Run `p` with one fault armed. Returns, per key, the values it may hold
/// after a reopen (the last acknowledged one first, then values of failed
/// writes after it) and how many operations failed.
#[allow(clippy::type_complexity)]
fn faulty_run(
    db: &dyn Engine,
    p: &super::workload::Plan,
    n: u64,
    ops: &mut u64,
) -> Result<(BTreeMap<Vec<u8>, Vec<Option<Vec<u8>>>>, u64), String> {
    let mut allowed: BTreeMap<Vec<u8>, Vec<Option<Vec<u8>>>> = BTreeMap::new();
    let mut failed = 0;
    for (i, step) in p.steps.iter().enumerate() {
        *ops += 1;
        let (k, v) = match step {
            Step::Put(k, v) => (k, Some(v.clone())),
            Step::Delete(k) => (k, None),
            Step::Get(k) => {
                if let Ok(got) = db.get(k) {
                    let ok = allowed.get(k).map_or(got.is_none(), |a| a.contains(&got));
                    if !ok {
                        return Err(format!(
                            "io error at call {n}, step {i}: get {} returned {}",
                            show(k),
                            show_val(got.as_deref())
                        ));
                    }
                }
                continue;
            }
            _ => continue,
        };
        let entry = allowed.entry(k.clone()).or_insert_with(|| vec![None]);
        match if let Some(v) = &v {
            db.put(k, v)
        } else {
            db.delete(k)
        } {
            Ok(()) => *entry = vec![v],
            Err(e) => {
                if matches!(e, Error::Corruption { .. }) {
                    return Err(format!(
                        "io error at call {n}, step {i}: reported as corruption: {e}"
                    ));
                }
                failed += 1;
                entry.push(v);
            }
        }
    }
    Ok((allowed, failed))
}

/// After a failed fsync the engine refuses writes until reopened, and the
/// reopen loses nothing acknowledged.
pub fn check_failed_sync(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("failed_sync", "not persistent"));
    }
    guarded("failed_sync", |report| {
        let dir = Path::new(DIR);
        for extra in ["sync=never", "sync=always"] {
            let sim = SimFs::new(41);
            let db = open(cfg, &sim.vfs(), dir, extra, "failed sync")?;
            let w = |r: engine_core::Result<()>, what: &str| {
                r.map_err(|e| format!("{extra}: {what}: {e}"))
            };
            w(db.put(b"a", b"1"), "put a")?;
            w(db.sync(), "sync")?;
            sim.fail_syncs(false);
            let failed = if extra == "sync=never" {
                w(db.put(b"b", b"2"), "put b")?;
                db.sync()
            } else {
                db.put(b"b", b"2")
            };
            if failed.is_ok() {
                return Err(format!(
                    "{extra}: the write or sync whose fsync failed returned Ok"
                ));
            }
            let refused = db.put(b"c", b"3");
            let e = match refused {
                Ok(()) => {
                    return Err(format!(
                        "{extra}: a write after a failed fsync was accepted"
                    ))
                }
                Err(e) => e,
            };
            if extra == "sync=never" && db.sync().is_ok() {
                return Err(format!(
                    "{extra}: a retried sync after a failed fsync returned Ok"
                ));
            }
            match db.get(b"a") {
                Ok(Some(v)) if v == b"1" => {}
                Ok(other) => {
                    return Err(format!("{extra}: after a failed fsync get a = {other:?}"))
                }
                Err(_) => {} // refusing reads too is allowed
            }
            drop(db);
            sim.crash(engine_core::vfs::CrashMode::DropUnsynced);
            let db = open(
                cfg,
                &sim.vfs(),
                dir,
                extra,
                &format!("{extra}: reopen after a failed fsync"),
            )?;
            let a = db
                .get(b"a")
                .map_err(|e| format!("{extra}: get a after reopen: {e}"))?;
            if a.as_deref() != Some(&b"1"[..]) {
                return Err(format!(
                    "{extra}: acknowledged write lost after a failed fsync and reopen: a = {a:?}"
                ));
            }
            w(db.put(b"d", b"4"), "put after reopen")?;
            w(db.sync(), "sync after reopen")?;
            let mut want = State::new();
            want.insert(b"a".to_vec(), b"1".to_vec());
            want.insert(b"d".to_vec(), b"4".to_vec());
            for k in [&b"b"[..], b"c"] {
                if let Some(v) = db.get(k).map_err(|e| format!("{extra}: get: {e}"))? {
                    want.insert(k.to_vec(), v);
                }
            }
            verify(&*db, &want, extra)?;
            report.points += 1;
            if !report.detail.is_empty() {
                report.detail.push_str("; ");
            }
            report
                .detail
                .push_str(&format!("{extra}: refused with: {e}"));
        }
        Ok(())
    })
}

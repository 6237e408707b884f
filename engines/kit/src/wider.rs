//! The wider nets: reopening with each option changed, and bit flips in
//! directories a crash left behind (issue 15).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::Rng;

use super::faults::{acceptable, restore, FLIP_OP_BUDGET};
use super::model::{drive, open, verify, verify_gets, Driven};
use super::oracle::{show, show_val, Oracle, State, SAMPLED_GETS};
use super::workload::{plan, rng, Mix, Plan, Step, MARKER_KEY};
use super::{guarded, long_mode, panic_message, KitConfig, KitFailure, Report};
use engine_core::error::Error;
use engine_core::options::COMMON_OPTIONS;
use engine_core::vfs::{CrashMode, SimFs};

const DIR: &str = "/db";

/// Other values worth trying for an option whose value is `current`: a bool
/// flipped, an integer doubled and halved (`0`, often "derive it", becomes
/// small and large), a fraction halved and moved towards one. Empty when
/// the kit cannot tell (enums, empty defaults).
fn derived_values(current: &str) -> Vec<String> {
    match current {
        "true" => return vec!["false".into()],
        "false" => return vec!["true".into()],
        _ => {}
    }
    if let Ok(n) = current.parse::<u64>() {
        return match n {
            0 => vec!["1".into(), "64".into()],
            n => [n.checked_mul(2), Some(n / 2)]
                .into_iter()
                .flatten()
                .filter(|m| *m != n)
                .map(|m| m.to_string())
                .collect(),
        };
    }
    match current.parse::<f64>() {
        Ok(f) if f.is_finite() => vec![(f / 2.0).to_string(), ((1.0 + f) / 2.0).to_string()],
        _ => Vec::new(),
    }
}

/// Every `(key, value)` change the option-reopen check tries: each option
/// of [`COMMON_OPTIONS`] (but `sync`, which the kit sets itself) and of the
/// engine's table, with derived and listed values different from the
/// configured one.
fn option_changes(cfg: &KitConfig) -> Result<Vec<(String, String)>, String> {
    let configured = cfg.options_with("");
    let specs: Vec<_> = COMMON_OPTIONS.iter().chain(cfg.option_table).collect();
    let mut listed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for entry in cfg.option_values {
        let (k, v) = entry
            .split_once('=')
            .ok_or_else(|| format!("option_values entry {entry:?} is not key=value"))?;
        if !specs.iter().any(|s| s.name == k) {
            return Err(format!("option_values entry {entry:?} names no option"));
        }
        listed.entry(k).or_default().push(v);
    }
    let mut changes = Vec::new();
    for spec in specs.iter().filter(|s| s.name != "sync") {
        let current = configured.get(spec.name).unwrap_or(spec.default);
        let mut values = derived_values(current);
        values.extend(
            listed
                .get(spec.name)
                .into_iter()
                .flatten()
                .map(|v| v.to_string()),
        );
        values.retain(|v| v != current);
        values.dedup();
        if values.is_empty() {
            return Err(format!(
                "option {} (now {current:?}): the kit cannot derive another value; list one in KitConfig.option_values",
                spec.name
            ));
        }
        changes.extend(values.into_iter().map(|v| (spec.name.to_string(), v)));
    }
    Ok(changes)
}

/// Run `p` on `db`; a failure is a failure of the check.
fn run_plan(
    db: &dyn engine_core::engine::Engine,
    p: &Plan,
    live: &mut State,
    ops: &mut u64,
    ctx: &str,
) -> Result<(), String> {
    let mut oracle = Oracle::new();
    match drive(db, p, &mut oracle, live, false, ops)? {
        Driven::Done => Ok(()),
        Driven::Failed(i, e) => Err(format!("{ctx}: step {i} failed: {e}")),
    }
}

/// How a reopen with one option changed went.
enum Reopened {
    Accepted,
    Refused,
}

/// Write with the configured options, reopen with `key=value`, then reopen
/// with the configured options again.
fn option_trial(
    cfg: &KitConfig,
    key: &str,
    value: &str,
    ops: &mut u64,
) -> Result<Reopened, String> {
    let ctx = format!("reopen with {key}={value}");
    let sim = SimFs::new(61);
    let (vfs, dir) = (sim.vfs(), Path::new(DIR));
    let mut live = State::new();
    let mut setup = plan(61, b"", &Mix::writes(600, 50));
    setup.steps.push(Step::Sync);
    let db = open(cfg, &vfs, dir, "sync=never", &format!("{ctx}: setup"))?;
    run_plan(&*db, &setup, &mut live, ops, &format!("{ctx}: setup"))?;
    drop(db);
    let outcome = match cfg.open_with(&vfs, dir, &format!("sync=never,{key}={value}")) {
        Ok(db) => {
            verify(&*db, &live, &format!("{ctx}: the data as opened"))?;
            let mut more = plan(62, b"", &Mix::writes(300, 50));
            more.steps.push(Step::Sync);
            run_plan(&*db, &more, &mut live, ops, &format!("{ctx}: writes"))?;
            verify(&*db, &live, &format!("{ctx}: after writes"))?;
            Reopened::Accepted
        }
        Err(e) if e.to_string().contains(key) => Reopened::Refused,
        Err(e) => {
            return Err(format!(
                "{ctx}: refused with an error not naming {key}: {e}"
            ))
        }
    };
    let back = format!("{ctx}, then the configured options again");
    let db = open(cfg, &vfs, dir, "sync=never", &back)?;
    verify(&*db, &live, &back)?;
    db.put(MARKER_KEY, b"after")
        .and_then(|_| db.sync())
        .map_err(|e| format!("{back}: a write failed: {e}"))?;
    drop(db);
    live.insert(MARKER_KEY.to_vec(), b"after".to_vec());
    let db = open(cfg, &vfs, dir, "sync=never", &format!("{back}, reopened"))?;
    verify_gets(&*db, &live, &format!("{back}, reopened"), SAMPLED_GETS)?;
    Ok(outcome)
}

/// Reopen a persistent engine with each of its options changed, one at a
/// time: it must open and serve the same data (and take writes), or refuse
/// with an error naming the option; either way a reopen with the original
/// options must show the data intact and take writes.
pub fn check_option_reopen(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("option_reopen", "not persistent"));
    }
    guarded("option_reopen", |report| {
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for (key, value) in option_changes(cfg)? {
            match option_trial(cfg, &key, &value, &mut report.ops)? {
                Reopened::Accepted => accepted.push(format!("{key}={value}")),
                Reopened::Refused => refused.push(format!("{key}={value}")),
            }
            report.points += 1;
        }
        report.detail = format!(
            "{} changes accepted, {} refused naming the option ({})",
            accepted.len(),
            refused.len(),
            refused.join(" ")
        );
        Ok(())
    })
}

/// Open and read a crashed directory after a flip: `None` if the engine
/// refused with a corruption error (at open or in the full scan), else the
/// scanned state and how many point reads reported corruption. Point reads
/// that answer must agree with the scan; any other error fails the check.
fn read_crashed(
    cfg: &KitConfig,
    sim: &SimFs,
    keys: &[&Vec<u8>],
    ctx: &str,
) -> Result<Option<(State, u64)>, String> {
    let not_corruption =
        |what: &str, e: Error| format!("{ctx}: {what} failed with a non-corruption error: {e}");
    let db = match cfg.open_with(&sim.vfs(), Path::new(DIR), "sync=never") {
        Ok(db) => db,
        Err(e) if acceptable(&e) => return Ok(None),
        Err(e) => return Err(not_corruption("open", e)),
    };
    let got: State = match db.scan(b"", usize::MAX) {
        Ok(all) => all.into_iter().collect(),
        Err(e) if acceptable(&e) => return Ok(None),
        Err(e) => return Err(not_corruption("scan", e)),
    };
    let stride = keys.len().div_ceil(SAMPLED_GETS).max(1);
    let mut errors = 0;
    for k in keys.iter().step_by(stride) {
        match db.get(k) {
            Ok(v) if v.as_ref() == got.get(*k) => {}
            Ok(v) => {
                return Err(format!(
                    "{ctx}: WRONG DATA: get {} returned {} but a scan shows {}",
                    show(k),
                    show_val(v.as_deref()),
                    show_val(got.get(*k).map(Vec::as_slice))
                ))
            }
            Err(e) if acceptable(&e) => errors += 1,
            Err(e) => return Err(not_corruption("get", e)),
        }
    }
    Ok(Some((got, errors)))
}

/// One flip: where, and the directory it damages.
struct Flip<'a> {
    sim: &'a SimFs,
    snap: &'a BTreeMap<PathBuf, Vec<u8>>,
    path: &'a Path,
    off: u64,
}

/// Whether a flip that cost acknowledged writes is one no engine can tell
/// from a torn tail: a damaged last record of a log, with nothing valid
/// after it, looks exactly like an unsynced write the crash cut. Tolerated
/// only if (a) what was lost is at most the last completed `sync()` batch
/// (`lagging` allows the state) and (b) the engine reads the same state
/// when the file is instead cut at the flipped byte, i.e. it took the
/// damage for a torn tail there, not for the end of everything after it.
fn tail_ambiguous(
    cfg: &KitConfig,
    flip: &Flip,
    got: &State,
    crashed: &Crashed,
    keys: &[&Vec<u8>],
    ctx: &str,
) -> Result<(), String> {
    crashed
        .lagging
        .check_state(got)
        .map_err(|e| format!("more than the last sync batch is lost: {e}"))?;
    restore(flip.sim, flip.snap)?;
    let bytes = &flip.snap[flip.path];
    let cut = usize::try_from(flip.off).map_err(|e| format!("offset: {e}"))?;
    flip.sim
        .write_file(flip.path, &bytes[..cut])
        .map_err(|e| format!("cut: {e}"))?;
    match read_crashed(cfg, flip.sim, keys, &format!("{ctx}, file cut there instead"))? {
        Some((state, _)) if &state == got => Ok(()),
        _ => Err("the file cut at the flipped byte reads differently: the damage was not read as a torn tail".into()),
    }
}

/// Check one flip: `Ok(true)` if reported as corruption, `Ok(false)` if
/// read right (or as an indistinguishable torn tail, counted in `ambiguous`).
fn crashed_flip_trial(
    cfg: &KitConfig,
    flip: &Flip,
    crashed: &Crashed,
    ambiguous: &mut u64,
    ctx: &str,
) -> Result<bool, String> {
    let keys: Vec<&Vec<u8>> = crashed.oracle.keys().collect();
    let Some((got, errors)) = read_crashed(cfg, flip.sim, &keys, ctx)? else {
        return Ok(true);
    };
    if let Err(wrong) = crashed.oracle.check_state(&got) {
        tail_ambiguous(cfg, flip, &got, crashed, &keys, ctx)
            .map_err(|why| format!("{ctx}: WRONG DATA: {wrong} ({why})"))?;
        *ambiguous += 1;
    }
    Ok(errors > 0)
}

/// The files of `sim` and their bytes.
fn snapshot(sim: &SimFs) -> Result<BTreeMap<PathBuf, Vec<u8>>, String> {
    sim.files()
        .into_iter()
        .map(|(path, _)| {
            let bytes = sim.read_file(&path).map_err(|e| format!("snapshot: {e}"))?;
            Ok((path, bytes))
        })
        .collect()
}

/// What a crashed directory must hold: `oracle` for every write acknowledged
/// durable, and `lagging`, the same with the writes of the last completed
/// `sync()` batch counted as pending (see [`tail_ambiguous`]).
struct Crashed {
    oracle: Oracle,
    lagging: Oracle,
}

/// `p` cut after each `Sync` step.
fn batches(p: &Plan) -> Vec<Plan> {
    let mut out = vec![Plan {
        steps: Vec::new(),
        keys: p.keys.clone(),
    }];
    for step in &p.steps {
        // Invariant: `out` starts non-empty and only grows.
        let last = out.last_mut().expect("out is never empty");
        last.steps.push(step.clone());
        if matches!(step, Step::Sync) {
            out.push(Plan {
                steps: Vec::new(),
                keys: p.keys.clone(),
            });
        }
    }
    out
}

/// Writes of `steps`, as the oracle is told of them.
fn issue_writes(oracle: &mut Oracle, steps: &[Step]) {
    for step in steps {
        match step {
            Step::Put(k, v) => oracle.issue(k, Some(v)),
            Step::Delete(k) => oracle.issue(k, None),
            _ => {}
        }
    }
}

/// Run the workload, a sync batch at a time, until a crash at mutation `n`
/// kills the process ([`CrashMode::ProcessKill`]: every write survives,
/// synced or not, and nothing was closed). `None` if `n` was not reached.
fn crashed_dir(
    cfg: &KitConfig,
    sim: &SimFs,
    p: &Plan,
    n: u64,
    ops: &mut u64,
) -> Result<Option<Crashed>, String> {
    sim.crash_at_mutation(n);
    let (mut oracle, mut live) = (Oracle::new(), State::new());
    // The last two batches run: the oracle at their start, the steps issued.
    let mut last_two: Vec<(Oracle, Vec<Step>)> = Vec::new();
    if let Ok(db) = cfg.open_with(&sim.vfs(), Path::new(DIR), "sync=never") {
        for batch in batches(p) {
            let start = oracle.clone();
            let ran = drive(&*db, &batch, &mut oracle, &mut live, false, ops)
                .map_err(|e| format!("crash at {n}, before the crash: {e}"))?;
            let failed = match ran {
                Driven::Done => None,
                Driven::Failed(i, _) => Some(i),
            };
            let issued = failed.map_or(batch.steps.len(), |i| i + 1);
            last_two.push((start, batch.steps[..issued].to_vec()));
            if last_two.len() > 2 {
                last_two.remove(0);
            }
            if failed.is_some() {
                break;
            }
        }
    }
    if !sim.has_crashed() {
        return Ok(None);
    }
    sim.crash(CrashMode::ProcessKill);
    let mut lagging = last_two.first().map(|(o, _)| o.clone()).unwrap_or_default();
    for (_, steps) in &last_two {
        issue_writes(&mut lagging, steps);
    }
    Ok(Some(Crashed { oracle, lagging }))
}

/// Flip bits all over every file of directories left by a crash at spread
/// points of a `sync=never` workload (synced data followed by an unsynced
/// tail, no clean close): every flip is reported as corruption, or the
/// engine reads a state the crash oracle allows. Never wrong data, never a
/// panic, never an endless loop of I/O.
pub fn check_crashed_bit_flips(cfg: &KitConfig) -> Result<Report, KitFailure> {
    if !cfg.persistent {
        return Ok(Report::skipped("crashed_bit_flips", "not persistent"));
    }
    guarded("crashed_bit_flips", |report| {
        let p = plan(71, b"", &Mix::writes(800, 40));
        let total = {
            let sim = SimFs::new(71);
            let db = open(cfg, &sim.vfs(), Path::new(DIR), "sync=never", "dry run")?;
            run_plan(&*db, &p, &mut State::new(), &mut report.ops, "dry run")?;
            sim.mutations()
        };
        // Many crash points with few flips each: the damage that matters sits
        // in directories crashed mid-checkpoint, mid-flush or mid-merge.
        let (crashes, per_file) = if long_mode() { (24, 100) } else { (8, 12) };
        let mut r = rng(72);
        let (mut corrupt_seen, mut files, mut ambiguous) = (0, 0, 0);
        for c in 1..=crashes {
            let n = total * c / (crashes + 1);
            let sim = SimFs::new(71 + c);
            let Some(crashed) = crashed_dir(cfg, &sim, &p, n, &mut report.ops)? else {
                continue;
            };
            let snap = snapshot(&sim)?;
            files += snap.len();
            for (path, bytes) in &snap {
                let len = bytes.len() as u64;
                let mut offsets: Vec<u64> = (0..len.min(16)).collect();
                // The end of every file densely: a log's last records, a
                // manifest's last edit, the part a crash leaves ambiguous.
                offsets.extend(len.saturating_sub(48)..len);
                offsets.extend(
                    (0..per_file)
                        .filter(|_| len > 0)
                        .map(|_| r.gen_range(0..len)),
                );
                offsets.sort_unstable();
                offsets.dedup();
                for off in offsets {
                    let bit = r.gen_range(0..8u8);
                    restore(&sim, &snap)?;
                    sim.flip_bit(path, off, bit)
                        .map_err(|e| format!("flip: {e}"))?;
                    let ctx = format!(
                        "crash at mutation {n} of {total} (ProcessKill, seed {}), then bit {bit} of byte {off} of {} ({len} bytes) flipped",
                        71 + c,
                        path.display()
                    );
                    let before = sim.ops();
                    sim.fail_op(FLIP_OP_BUDGET, true);
                    let flip = Flip {
                        sim: &sim,
                        snap: &snap,
                        path,
                        off,
                    };
                    let trial = catch_unwind(AssertUnwindSafe(|| {
                        crashed_flip_trial(cfg, &flip, &crashed, &mut ambiguous, &ctx)
                    }));
                    let runaway = sim.ops() - before >= FLIP_OP_BUDGET;
                    sim.clear_faults();
                    let corrupt = match trial {
                        Ok(r) => r?,
                        Err(p) => return Err(format!("{ctx}: PANIC: {}", panic_message(&*p))),
                    };
                    if runaway {
                        return Err(format!(
                            "{ctx}: more than {FLIP_OP_BUDGET} storage calls: a loop?"
                        ));
                    }
                    corrupt_seen += u64::from(corrupt);
                    report.points += 1;
                }
            }
        }
        if report.points == 0 {
            return Err("no crash point was reached: nothing was flipped".into());
        }
        report.detail = format!(
            "{files} files in crashed directories, {corrupt_seen} flips reported as corruption, {ambiguous} read as a torn last record (indistinguishable), the rest read a state the oracle allows"
        );
        Ok(())
    })
}

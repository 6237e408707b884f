//! Crash sweeps on the simulated filesystem: crash at every mutating call
//! of a workload (and again during recovery), in every crash mode, for all
//! four presets with tiny memtables and files, so crash points fall inside
//! WAL appends, rotations, flushes, compactions and manifest edits. After
//! recovery every acknowledged-durable write must be there and nothing but
//! durable or in-flight values may appear.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use engine_core::vfs::sim::{CrashMode, SimFs};
use engine_core::Options;

fn key(i: u64) -> Vec<u8> {
    format!("k{:04}", i).into_bytes()
}

fn sweep(opts: &str, mode: CrashMode, ops: u64, sync_every: u64, double: bool) -> u64 {
    let dir = Path::new("/db");
    let opts = Options::parse(opts).unwrap();
    for n in 1.. {
        let sim = SimFs::new(n);
        let vfs = sim.vfs();
        sim.crash_at_mutation(n);
        let mut durable: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut pending: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        let mut completed = false;
        if let Ok(db) = lsm::open(&vfs, dir, &opts) {
            completed = true;
            for i in 0..ops {
                let k = key((i * 7919) % 97);
                let v = if i % 5 == 4 {
                    None
                } else {
                    Some(format!("v{i}-{}", "x".repeat((i % 40) as usize)).into_bytes())
                };
                pending.push((k.clone(), v.clone()));
                let r = match &v {
                    Some(v) => db.put(&k, v),
                    None => db.delete(&k),
                };
                let r = r.and_then(|_| {
                    if i % sync_every == sync_every - 1 {
                        db.sync()
                    } else {
                        Ok(())
                    }
                });
                if r.is_err() {
                    completed = false;
                    break;
                }
                if i % sync_every == sync_every - 1 {
                    for (k, v) in pending.drain(..) {
                        match v {
                            Some(v) => durable.insert(k, v),
                            None => durable.remove(&k),
                        };
                    }
                }
            }
        }
        if completed && !sim.has_crashed() {
            // Every earlier mutation was a crash point.
            return n - 1;
        }
        sim.crash(mode);
        if double {
            sim.crash_at_mutation(1 + n % 7);
            let r = lsm::open(&vfs, dir, &opts);
            drop(r);
            sim.crash(mode);
        }
        let db = lsm::open(&vfs, dir, &opts)
            .unwrap_or_else(|e| panic!("crash point {n}: reopen failed: {e}"));
        for i in 0..97 {
            let k = key(i);
            let got = db.get(&k).unwrap();
            let want = durable.get(&k).cloned();
            let ok = got == want || pending.iter().any(|(pk, pv)| *pk == k && got == *pv);
            assert!(
                ok,
                "crash point {n} mode {mode:?}: key {i}: got {got:?}, want {want:?}"
            );
        }
    }
    unreachable!()
}

#[test]
fn failed_sync_poisons_until_reopen() {
    let sim = SimFs::new(1);
    let vfs = sim.vfs();
    let dir = Path::new("/db");
    let opts = Options::parse("sync=never").unwrap();
    let db = lsm::open(&vfs, dir, &opts).unwrap();
    db.put(b"a", b"1").unwrap();
    db.sync().unwrap();
    db.put(b"b", b"2").unwrap();
    sim.fail_syncs(false);
    assert!(db.sync().is_err());
    let e = db.put(b"c", b"3").unwrap_err();
    assert!(matches!(e, engine_core::Error::Poisoned { .. }), "{e}");
    assert!(db.sync().is_err(), "a retried sync must not report success");
    assert_eq!(
        db.get(b"a").unwrap(),
        Some(b"1".to_vec()),
        "reads still work"
    );
    drop(db);
    let db = lsm::open(&vfs, dir, &opts).unwrap();
    assert_eq!(db.get(b"a").unwrap(), Some(b"1".to_vec()));
    db.put(b"c", b"3").unwrap();
}

#[test]
fn crash_sweep_all_presets() {
    for (name, preset) in lsm::PRESETS {
        for mode in [
            CrashMode::DropUnsynced,
            CrashMode::TornWrite { seed: 3 },
            CrashMode::ZeroTail,
            CrashMode::Garbage { seed: 5 },
        ] {
            let opts = format!("{preset},sync=always,background=false,memtable_bytes=1024,target_file_bytes=1024,block_bytes=256,l0_trigger=2,size_ratio=3");
            let p = sweep(&opts, mode, 300, 1, false);
            eprintln!("{name} {mode:?}: {p} crash points");
            assert!(
                p > 500,
                "the sweep must reach flushes and compactions: {p} points"
            );
            let opts = opts.replace("sync=always", "sync=never");
            let p = sweep(&opts, mode, 300, 10, true);
            eprintln!("{name} {mode:?} sync=never, double crash: {p} crash points");
            assert!(p > 300, "{p} points");
        }
    }
}

/// Fail the n-th storage call once, for every n the workload reaches: the
/// error reaches the caller (or the engine poisons itself), and a reopen,
/// with no crash, sees every acknowledged write.
#[test]
fn injected_io_error_at_every_call() {
    let dir = Path::new("/db");
    for (_, preset) in lsm::PRESETS {
        let opts = format!("{preset},sync=always,background=false,memtable_bytes=1024,target_file_bytes=1024,block_bytes=256,l0_trigger=2,size_ratio=3");
        let opts = Options::parse(&opts).unwrap();
        let (mut n, mut hits) = (1, 0);
        loop {
            let sim = SimFs::new(n);
            let vfs = sim.vfs();
            let db = lsm::open(&vfs, dir, &opts).unwrap();
            sim.fail_op(n, false);
            let mut acked = BTreeMap::new();
            let mut failed = Vec::new();
            for i in 0..150u64 {
                let k = key((i * 7919) % 61);
                let v = format!("v{i}").into_bytes();
                match db.put(&k, &v) {
                    Ok(()) => {
                        acked.insert(k, v);
                    }
                    Err(_) => failed.push((k, v)),
                }
            }
            let hit = !failed.is_empty();
            hits += usize::from(hit);
            drop(db);
            sim.clear_faults();
            let db = lsm::open(&vfs, dir, &opts)
                .unwrap_or_else(|e| panic!("call {n}: reopen failed: {e}"));
            for (k, v) in &acked {
                let got = db.get(k).unwrap();
                let ok = got.as_ref() == Some(v)
                    || failed
                        .iter()
                        .any(|(fk, fv)| fk == k && got.as_ref() == Some(fv));
                assert!(ok, "call {n}: {k:?} = {got:?}, acknowledged {v:?}");
            }
            if !hit && sim.ops() > 0 && n > 2000 {
                break;
            }
            n += if n < 300 { 1 } else { 37 };
            if n > 6000 {
                break;
            }
        }
        eprintln!("{preset}: {hits} injected errors reached a write");
        assert!(hits > 200, "{hits}");
    }
}

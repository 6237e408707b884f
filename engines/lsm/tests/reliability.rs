//! Regression tests for issue 15 (reliability), one per failure as filed:
//! each reproduces the failure on the simulated filesystem and checks the
//! behaviour the contract asks for instead.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use engine_core::ownership;
use engine_core::record::{self, FILE_HEADER_LEN};
use engine_core::vfs::sim::{CrashMode, SimFs};
use engine_core::{Error, Options};

const DIR: &str = "/db";

fn opts(s: &str) -> Options {
    Options::parse(s).unwrap()
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

/// The WAL files in `dir`, oldest first.
fn wals(sim: &SimFs) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = sim
        .files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    out.sort();
    out
}

/// Offset and length of the last whole data record of a log (sync markers
/// are not data).
fn last_record(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut at = FILE_HEADER_LEN;
    let mut last = None;
    while let Ok((r, n)) = record::decode(&bytes[at..]) {
        if r.kind != record::RecordKind::Marker {
            last = Some((at, n));
        }
        at += n;
    }
    last
}

/// Crash at each mutation of a workload that rotates WALs, until the crash
/// leaves two WALs, the older one holding records (a rotated WAL whose
/// memtable was not flushed yet). Returns the filesystem after the crash.
fn crash_with_a_rotated_wal() -> SimFs {
    let o = opts("sync=always,background=false,memtable_bytes=1024,target_file_bytes=1024");
    for n in 1..2000 {
        let sim = SimFs::new(n);
        sim.crash_at_mutation(n);
        if let Ok(db) = lsm::open(&sim.vfs(), Path::new(DIR), &o) {
            for i in 0..100 {
                if db.put(&key(i), &[b'v'; 40]).is_err() {
                    break;
                }
            }
        }
        sim.crash(CrashMode::DropUnsynced);
        let logs = wals(&sim);
        if logs.len() >= 2 && last_record(&sim.read_file(&logs[0]).unwrap()).is_some() {
            return sim;
        }
    }
    panic!("no crash point left a rotated, unflushed WAL");
}

/// Item 2: a flipped bit in the last record of a rotated WAL was taken for
/// a torn tail: the record vanished and every later WAL was deleted.
#[test]
fn a_damaged_last_record_of_a_rotated_wal_is_corruption() {
    let sim = crash_with_a_rotated_wal();
    let logs = wals(&sim);
    let older = &logs[0];
    let (at, n) = last_record(&sim.read_file(older).unwrap()).unwrap();
    sim.flip_bit(older, (at + n - 1) as u64, 3).unwrap();
    let before = wals(&sim);
    let r = lsm::open(&sim.vfs(), Path::new(DIR), &opts("background=false"));
    let e = r
        .err()
        .expect("a damaged durable record must not open silently");
    assert!(e.is_corruption(), "{e}");
    let Error::Corruption { path, offset, .. } = &e else {
        unreachable!()
    };
    assert_eq!((path, *offset), (older, at as u64), "{e}");
    assert_eq!(wals(&sim), before, "no WAL may be deleted");
}

/// Item 2: a rotated WAL whose seal is damaged is corruption too (it was
/// sealed before the next WAL was created).
#[test]
fn a_damaged_seal_of_a_rotated_wal_is_corruption() {
    let sim = crash_with_a_rotated_wal();
    let older = wals(&sim)[0].clone();
    let len = sim.read_file(&older).unwrap().len() as u64;
    sim.flip_bit(&older, len - 2, 0).unwrap();
    let r = lsm::open(&sim.vfs(), Path::new(DIR), &opts("background=false"));
    let e = r
        .err()
        .expect("a damaged rotated WAL must not open silently");
    assert!(e.is_corruption() && e.to_string().contains(".log"), "{e}");
}

/// Item 4: deeper levels than `max_levels` were folded into the last one,
/// whose compaction then dropped tombstones over older live versions.
#[test]
fn reopening_with_fewer_max_levels_never_brings_deleted_keys_back() {
    let sim = SimFs::new(4);
    let vfs = sim.vfs();
    let small = "background=false,memtable_bytes=2048,target_file_bytes=2048,block_bytes=256,l0_trigger=2,size_ratio=2,base_mb=0";
    let deep = opts(&format!("{small},max_levels=6"));
    let db = lsm::open(&vfs, Path::new(DIR), &deep).unwrap();
    for round in 0..3u8 {
        for i in 0..400 {
            db.put(&key(i), &[b'a' + round; 30]).unwrap();
        }
    }
    db.quiesce().unwrap();
    for i in (0..400).step_by(3) {
        db.delete(&key(i)).unwrap();
    }
    db.quiesce().unwrap();
    let levels = db.metrics();
    drop(db);
    let shallow = opts(&format!("{small},max_levels=2"));
    match lsm::open(&vfs, Path::new(DIR), &shallow) {
        Err(e) => assert!(
            matches!(e, Error::BadOption { ref key, .. } if key == "max_levels"),
            "{e}"
        ),
        Ok(db) => {
            for i in 400..1200 {
                db.put(&key(i), b"x").unwrap();
            }
            db.quiesce().unwrap();
            for i in (0..400).step_by(3) {
                assert_eq!(db.get(&key(i)).unwrap(), None, "deleted {i} came back");
            }
            panic!("opened with max_levels=2 over {levels:?}");
        }
    }
    // The database itself is untouched: the old setting still opens it.
    let db = lsm::open(&vfs, Path::new(DIR), &deep).unwrap();
    for i in 0..400 {
        let want = (i % 3 != 0).then(|| vec![b'c'; 30]);
        assert_eq!(db.get(&key(i)).unwrap(), want, "key {i}");
    }
}

/// Item 5: with `background=false`, `quiesce()` after a failed manifest
/// sync flushed again, appended a new edit after the failed one, and
/// returned Ok.
#[test]
fn quiesce_on_an_engine_poisoned_by_a_manifest_sync_refuses() {
    let o = opts("sync=never,background=false,memtable_bytes=1024");
    for n in 1..400 {
        let sim = SimFs::new(n);
        let vfs = sim.vfs();
        let db = lsm::open(&vfs, Path::new(DIR), &o).unwrap();
        sim.fail_op(n, false);
        let mut acked = Vec::new();
        let mut failed = None;
        for i in 0..60 {
            match db.put(&key(i), &[b'v'; 40]) {
                Ok(()) => acked.push(i),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let Some(Error::Io { op, path, .. }) = failed else {
            continue;
        };
        if op != "sync" || !path.ends_with("MANIFEST") {
            continue;
        }
        let manifest_len = sim.read_file(&path).unwrap().len();
        let e = db.quiesce().unwrap_err();
        assert!(matches!(e, Error::Poisoned { .. }), "quiesce: {e}");
        let e = db.put(b"later", b"1").unwrap_err();
        assert!(matches!(e, Error::Poisoned { .. }), "put: {e}");
        assert_eq!(
            sim.read_file(&path).unwrap().len(),
            manifest_len,
            "nothing may be appended after the failed edit"
        );
        drop(db);
        let db = lsm::open(&vfs, Path::new(DIR), &o).unwrap();
        for i in acked {
            assert_eq!(db.get(&key(i)).unwrap(), Some(vec![b'v'; 40]), "key {i}");
        }
        return;
    }
    panic!("no injected fault hit the manifest's sync");
}

/// Item 9: the LSM opened on a user's directory deleted `20240101.log`
/// and `000001.sst`.
#[test]
fn opening_a_users_directory_is_refused_and_deletes_nothing() {
    let sim = SimFs::new(9);
    let mine: [(&str, &[u8]); 3] = [
        ("20240101.log", b"my log"),
        ("000001.sst", b"my table"),
        ("notes.txt", b"my notes"),
    ];
    for (name, bytes) in mine {
        sim.write_file(&Path::new(DIR).join(name), bytes).unwrap();
    }
    let e = lsm::open(&sim.vfs(), Path::new(DIR), &Options::new())
        .err()
        .expect("a user's directory must be refused");
    assert!(matches!(e, Error::Unusable { .. }), "{e}");
    for (name, bytes) in mine {
        assert_eq!(sim.read_file(&Path::new(DIR).join(name)).unwrap(), bytes);
    }
    assert_eq!(sim.files().len(), 3, "nothing was created either");
}

/// Item 9: `verify` on another engine's directory said "clean".
#[test]
fn verify_refuses_another_engines_or_a_users_directory() {
    let sim = SimFs::new(9);
    let vfs = sim.vfs();
    let other = Path::new("/btree");
    ownership::claim(&vfs, other, "btree").unwrap();
    sim.write_file(&other.join("pages"), &[0u8; 4096]).unwrap();
    let e = lsm::verify(&vfs, other, &Options::new()).unwrap_err();
    assert!(e.to_string().contains("btree"), "{e}");
    let user = Path::new("/user");
    sim.write_file(&user.join("000001.sst"), b"x").unwrap();
    let e = lsm::verify(&vfs, user, &Options::new()).unwrap_err();
    assert!(matches!(e, Error::Unusable { .. }), "{e}");
}

/// Item 9: the owner file is part of an LSM directory, never an orphan,
/// and survives every open.
#[test]
fn the_owner_file_is_kept_and_not_reported_as_an_orphan() {
    let sim = SimFs::new(9);
    let vfs = sim.vfs();
    let dir = Path::new(DIR);
    drop(lsm::open(&vfs, dir, &Options::new()).unwrap());
    let db = lsm::open(&vfs, dir, &Options::new()).unwrap();
    db.put(b"k", b"v").unwrap();
    drop(db);
    assert!(vfs.exists(&dir.join(ownership::OWNER_FILE)).unwrap());
    let r = lsm::verify(&vfs, dir, &Options::new()).unwrap();
    assert!(r.is_clean(), "{:?}", r.corrupt);
    assert!(r.files.iter().all(|f| f.kind != "orphan"), "{:?}", r.files);
}

/// Issue 15 item 6: a flush commits its edit, then deletes the WAL it
/// retired. A crash right after, then a flipped bit in that edit: read as a
/// torn tail, the edit vanished and with it the table holding the WAL's
/// writes, silently. The manifest is marked before the WAL goes, so the
/// flip is corruption.
#[test]
fn a_damaged_last_manifest_edit_after_its_wal_was_deleted_is_corruption() {
    let sim = SimFs::new(3);
    let o = opts("sync=always,background=false,memtable_bytes=1024");
    let db = lsm::open(&sim.vfs(), Path::new(DIR), &o).unwrap();
    let mut i = 0;
    while db.metrics().get("flushes") != Some(1.0) {
        db.put(&key(i), &[b'v'; 40]).unwrap();
        i += 1;
    }
    sim.crash(CrashMode::DropUnsynced);
    drop(db);
    let manifest = Path::new(DIR).join("MANIFEST");
    let (at, n) = last_record(&sim.read_file(&manifest).unwrap()).unwrap();
    sim.flip_bit(&manifest, (at + n - 1) as u64, 5).unwrap();
    let e = lsm::open(&sim.vfs(), Path::new(DIR), &opts("background=false"))
        .err()
        .expect("the flushed writes are in no WAL: the open must fail");
    let Error::Corruption { path, offset, .. } = &e else {
        panic!("expected corruption, got {e}")
    };
    assert_eq!((path.as_path(), *offset), (manifest.as_path(), at as u64));
}

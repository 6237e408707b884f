//! Random operations checked against a `BTreeMap` model, with reopens, for
//! every configuration, with memtables and files small enough that flushes
//! and compactions of every kind happen many times.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use engine_core::{Engine, Options, Vfs};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const SMALL: &str = "memtable_bytes=3000,target_file_bytes=2048,block_bytes=256,l0_trigger=2,size_ratio=3,base_mb=0";

fn open(vfs: &Vfs, dir: &Path, opts: &str) -> Box<dyn Engine> {
    lsm::open(vfs, dir, &Options::parse(opts).unwrap()).unwrap()
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

fn check_scan(db: &dyn Engine, model: &BTreeMap<Vec<u8>, Vec<u8>>, start: &[u8], limit: usize) {
    let got = db.scan(start, limit).unwrap();
    let want: Vec<(Vec<u8>, Vec<u8>)> = model
        .range(start.to_vec()..)
        .take(limit)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(
        got,
        want,
        "scan from {:?} limit {limit}",
        String::from_utf8_lossy(start)
    );
}

fn run_model(preset: &str, extra: &str, seed: u64, ops: usize) {
    let opts = format!("{preset},{SMALL},{extra}");
    let tmp = tempfile::tempdir().unwrap();
    let vfs = Vfs::os();
    let mut db = open(&vfs, tmp.path(), &opts);
    let mut model = BTreeMap::new();
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut flushes, mut compactions) = (0.0, 0.0);
    for i in 0..ops {
        let k = key(rng.gen_range(0..400));
        match rng.gen_range(0..100) {
            0..=49 => {
                let len = rng.gen_range(0..60);
                let v: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
                db.put(&k, &v).unwrap();
                model.insert(k, v);
            }
            50..=64 => {
                db.delete(&k).unwrap();
                model.remove(&k);
            }
            65..=94 => assert_eq!(
                db.get(&k).unwrap(),
                model.get(&k).cloned(),
                "op {i} get {k:?}"
            ),
            95..=97 => check_scan(db.as_ref(), &model, &k, rng.gen_range(0..30)),
            _ => {
                if rng.gen_bool(0.3) {
                    db.quiesce().unwrap();
                }
                db.sync().unwrap();
                let m = db.metrics();
                flushes += m.get("flushes").unwrap();
                compactions += m.get("compactions").unwrap();
                drop(db);
                db = open(&vfs, tmp.path(), &opts);
            }
        }
    }
    db.quiesce().unwrap();
    check_scan(db.as_ref(), &model, b"", usize::MAX);
    for i in 0..400 {
        assert_eq!(db.get(&key(i)).unwrap(), model.get(&key(i)).cloned());
    }
    let m = db.metrics();
    flushes += m.get("flushes").unwrap();
    compactions += m.get("compactions").unwrap();
    assert!(
        flushes > 10.0 && compactions > 3.0,
        "{flushes} flushes, {compactions} compactions"
    );
}

#[test]
fn model_every_preset_inline() {
    for (name, preset) in lsm::PRESETS {
        for seed in 0..3 {
            eprintln!("{name} seed {seed}");
            run_model(preset, "background=false", seed, 6000);
        }
    }
}

#[test]
fn model_every_preset_background() {
    for (name, preset) in lsm::PRESETS {
        eprintln!("{name}");
        run_model(preset, "background=true", 7, 6000);
    }
}

/// Four writers (sync=always, so group commit is exercised) and two
/// readers at once, with background flushes and compactions; afterwards,
/// and after a reopen, every write is there.
#[test]
fn concurrent_writers_and_readers() {
    for (_, preset) in lsm::PRESETS {
        let opts = format!("{preset},{SMALL},sync=always,memtable_bytes=20000");
        let tmp = tempfile::tempdir().unwrap();
        let vfs = Vfs::os();
        let db: std::sync::Arc<dyn Engine> = open(&vfs, tmp.path(), &opts).into();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..300u32 {
                        db.put(&key(t * 1000 + i), &i.to_le_bytes()).unwrap();
                    }
                });
            }
            for _ in 0..2 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..600u32 {
                        // A value, once seen, must be the one written.
                        if let Some(v) = db.get(&key((i % 4) * 1000 + i % 300)).unwrap() {
                            assert_eq!(v, (i % 300).to_le_bytes());
                        }
                        let _ = db.scan(&key(i), 5).unwrap();
                    }
                });
            }
        });
        db.quiesce().unwrap();
        let check = |db: &dyn Engine| {
            for t in 0..4u32 {
                for i in 0..300u32 {
                    assert_eq!(
                        db.get(&key(t * 1000 + i)).unwrap(),
                        Some(i.to_le_bytes().to_vec())
                    );
                }
            }
            assert_eq!(db.scan(b"", usize::MAX).unwrap().len(), 1200);
        };
        check(db.as_ref());
        drop(db);
        check(open(&vfs, tmp.path(), &opts).as_ref());
    }
}

/// Edge cases of keys and values survive memtable, flush and reopen.
#[test]
fn empty_and_large_keys_and_values() {
    let tmp = tempfile::tempdir().unwrap();
    let vfs = Vfs::os();
    let opts = format!("{SMALL},background=false");
    let big = vec![7u8; 100_000];
    let long_key = vec![b'k'; engine_core::record::MAX_KEY_LEN];
    let db = open(&vfs, tmp.path(), &opts);
    db.put(b"", b"empty key").unwrap();
    db.put(b"empty value", b"").unwrap();
    db.put(b"big", &big).unwrap();
    db.put(&long_key, b"long").unwrap();
    let too_long = vec![0u8; engine_core::record::MAX_KEY_LEN + 1];
    assert!(matches!(
        db.put(&too_long, b""),
        Err(engine_core::Error::TooLarge { .. })
    ));
    assert!(matches!(
        db.get(&too_long),
        Err(engine_core::Error::TooLarge { .. })
    ));
    // Force the big value through a flush to a table and back.
    db.quiesce().unwrap();
    db.sync().unwrap();
    drop(db);
    let db = open(&vfs, tmp.path(), &opts);
    assert_eq!(db.get(b"").unwrap(), Some(b"empty key".to_vec()));
    assert_eq!(db.get(b"empty value").unwrap(), Some(Vec::new()));
    assert_eq!(db.get(b"big").unwrap(), Some(big));
    assert_eq!(db.get(&long_key).unwrap(), Some(b"long".to_vec()));
    assert_eq!(
        db.scan(b"", 1).unwrap(),
        vec![(Vec::new(), b"empty key".to_vec())]
    );
}

//! The hash log's own promises, from the counters: one read per get, merge
//! reclaims dead bytes, open reads hints instead of values, damage is
//! reported with file and offset.

use std::path::{Path, PathBuf};

use engine_core::vfs::SimFs;
use engine_core::{Engine, Error, Options, Purpose, Vfs};

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(9);
    let vfs = fs.vfs();
    (fs, vfs, PathBuf::from("/db"))
}

fn open(vfs: &Vfs, dir: &Path, opts: &str) -> Box<dyn Engine> {
    hash_log::open(
        vfs,
        dir,
        &Options::parse(opts).expect("the tests pass well-formed options"),
    )
    .expect("open")
}

const SMALL: &str = "segment_bytes=65536,merge_ratio=0.5,background=false";

fn key(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

#[test]
fn a_get_costs_exactly_one_read() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir, SMALL);
    for i in 0..3000 {
        db.put(&key(i), &[i as u8; 200]).unwrap();
    }
    db.sync().unwrap();
    drop(db);
    // Reopened, so nothing is served from a write buffer.
    let db = open(&vfs, &dir, SMALL);
    for i in [0, 1500, 2999] {
        let before = vfs.stats().snapshot();
        assert_eq!(db.get(&key(i)).unwrap(), Some(vec![i as u8; 200]));
        let q = vfs
            .stats()
            .snapshot()
            .since(&before)
            .purpose(Purpose::Query);
        assert_eq!((q.read_calls, q.read_bytes), (1, 13 + 9 + 200), "get {i}");
    }
    let before = vfs.stats().snapshot();
    assert_eq!(db.get(b"absent").unwrap(), None);
    assert_eq!(vfs.stats().snapshot().since(&before).total().read_calls, 0);
}

#[test]
fn merge_reclaims_overwritten_bytes() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir, SMALL);
    let live = 500u64 * (13 + 9 + 100);
    for round in 0..20u8 {
        for i in 0..500 {
            db.put(&key(i), &[round; 100]).unwrap();
        }
    }
    db.quiesce().unwrap();
    let m = db.metrics();
    assert!(m.get("merges").unwrap() >= 1.0, "{m:?}");
    let disk = vfs.dir_size(&dir).unwrap();
    // Written: 20x the live data. Merge keeps the disk within
    // 1 / (1 - merge_ratio) = 2x of live plus the unsealed active segment
    // and the hint files.
    assert!(
        disk < 2 * live + 2 * 65536,
        "disk {disk} for {live} live bytes"
    );
    for i in (0..500).step_by(50) {
        assert_eq!(db.get(&key(i)).unwrap(), Some(vec![19u8; 100]));
    }
}

#[test]
fn open_after_merge_reads_hints_not_values() {
    let (_fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir, SMALL);
        for round in 0..6u8 {
            for i in 0..400 {
                db.put(&key(i), &[round; 1000]).unwrap();
            }
        }
        db.quiesce().unwrap();
        assert!(db.metrics().get("merges").unwrap() >= 1.0);
    }
    let disk = vfs.dir_size(&dir).unwrap();
    let before = vfs.stats().snapshot();
    let db = open(&vfs, &dir, SMALL);
    let read = vfs
        .stats()
        .snapshot()
        .since(&before)
        .purpose(Purpose::Recovery)
        .read_bytes;
    // Merged segments are known from their hints (keys only); only the
    // segments written since the merge are read whole.
    assert!(read < disk / 2, "open read {read} of {disk} bytes");
    assert_eq!(db.get(&key(7)).unwrap(), Some(vec![5u8; 1000]));
}

#[test]
fn damage_is_corruption_naming_file_and_offset() {
    let (fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir, SMALL);
        db.put(b"a", b"first value").unwrap();
        db.put(b"b", b"second value").unwrap();
    }
    let seg = dir.join("0000000000100000.seg");
    fs.flip_bit(&seg, 16 + 13 + 3, 1).unwrap();
    match hash_log::open(&vfs, &dir, &Options::new()).err() {
        Some(Error::Corruption { path, offset, .. }) => {
            assert_eq!((path, offset), (seg.clone(), 16));
        }
        other => panic!("expected corruption, got {other:?}"),
    }
    let report = hash_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert_eq!(report.corrupt.len(), 1);
    assert_eq!(report.corrupt[0].path, seg);
}

#[test]
fn bad_options_name_the_option() {
    let (_fs, vfs, dir) = setup();
    for (opts, needle) in [
        ("segment_size=1", "segment_size"),
        ("merge_ratio=1.5", "merge_ratio"),
        ("background=maybe", "background"),
    ] {
        let err = hash_log::open(&vfs, &dir, &Options::parse(opts).unwrap())
            .err()
            .expect(opts);
        assert!(err.to_string().contains(needle), "{err}");
    }
}

/// Every merge is one event carrying the sealed bytes it read and the
/// bytes it wrote, as the merge counters say.
#[test]
fn merge_events_agree_with_the_merge_counters() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir, SMALL);
    for round in 0..8u8 {
        for i in 0..1000 {
            db.put(&key(i), &[round; 200]).unwrap();
        }
    }
    let events = db.drain_events();
    let m = db.metrics();
    assert!(!events.is_empty(), "overwrites past merge_ratio merge");
    assert_eq!(events.len() as f64, m.get("merges").unwrap());
    assert!(events
        .iter()
        .all(|e| e.kind == engine_core::EventKind::Merge && e.end >= e.start && e.bytes_in > 0));
    let written: u64 = events.iter().map(|e| e.bytes_out).sum();
    assert_eq!(written as f64, m.get("merge_bytes_written").unwrap());
}

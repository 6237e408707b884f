//! Issue 15 (reliability): damage in sealed segments is corruption, never a
//! torn tail; the engine only touches directories it owns; hostile lengths
//! and offsets read from files are refused, never trusted.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use engine_core::ownership::OWNER_FILE;
use engine_core::vfs::SimFs;
use engine_core::{Engine, Error, Options, Vfs};
use hash_log::hint::{self, HintEntry};

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(15);
    let vfs = fs.vfs();
    (fs, vfs, PathBuf::from("/db"))
}

fn opts(s: &str) -> Options {
    Options::parse(s).unwrap()
}

fn open(vfs: &Vfs, dir: &Path, o: &str) -> Box<dyn Engine> {
    hash_log::open(vfs, dir, &opts(o)).expect("open")
}

fn expect_corruption(got: engine_core::Result<Box<dyn Engine>>, path: &Path, offset: u64) {
    match got {
        Err(Error::Corruption {
            path: p, offset: o, ..
        }) => {
            assert_eq!((p.as_path(), o), (path, offset))
        }
        Err(e) => panic!("expected corruption at {path:?}:{offset}, got {e}"),
        Ok(_) => panic!("expected corruption at {path:?}:{offset}, the open succeeded"),
    }
}

const FIRST: &str = "0000000000100000.seg";

/// Item 3: the tombstone is the last record of a sealed segment. A flip in
/// it must not be truncated away as a torn tail (that resurrects `k`).
#[test]
fn a_damaged_tombstone_at_the_end_of_a_sealed_segment_is_corruption_not_a_resurrection() {
    let (fs, vfs, dir) = setup();
    // 16-byte header + two puts (13 + 1 + 100 each) = 244; the tombstone
    // (13 + 1) takes the segment to 258 >= 256, which seals it (a 33-byte
    // seal marker follows). Half of it is live (`a`), so no merge runs.
    let o = "segment_bytes=256,merge_ratio=0.9,background=false";
    {
        let db = open(&vfs, &dir, o);
        db.put(b"a", &[1u8; 100]).unwrap();
        db.put(b"k", &[7u8; 100]).unwrap();
        db.delete(b"k").unwrap();
        assert_eq!(db.metrics().get("segments"), Some(2.0), "the delete rolled");
    }
    let seg = dir.join(FIRST);
    let sealed_len = 258 + engine_core::record::MARKER_LEN;
    assert_eq!(fs.read_file(&seg).unwrap().len(), sealed_len);
    fs.flip_bit(&seg, 244 + 13, 0).unwrap(); // the tombstone's key byte
    expect_corruption(hash_log::open(&vfs, &dir, &opts(o)), &seg, 244);
    assert_eq!(
        fs.read_file(&seg).unwrap().len(),
        sealed_len,
        "nothing truncated"
    );
    let report = hash_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(report.torn_tails.is_empty(), "{report:?}");
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
    assert_eq!(
        (&report.corrupt[0].path, report.corrupt[0].offset),
        (&seg, 244)
    );
}

/// The newest segment can still lose a torn tail to a crash: that stays a
/// truncation, not an error.
#[test]
fn a_torn_tail_of_the_newest_segment_is_still_truncated() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=256,background=false,sync=always";
    {
        let db = open(&vfs, &dir, o);
        db.put(b"k", &[7u8; 220]).unwrap();
        db.delete(b"k").unwrap();
        db.put(b"j", b"v").unwrap();
        std::mem::forget(db); // no clean-close marker
    }
    let active = dir.join("0000000000200000.seg");
    let mut bytes = fs.read_file(&active).unwrap();
    bytes.extend_from_slice(&[0xAB; 9]); // a torn partial record
    fs.write_file(&active, &bytes).unwrap();
    let db = open(&vfs, &dir, o);
    assert_eq!(db.get(b"k").unwrap(), None);
    assert_eq!(db.get(b"j").unwrap(), Some(b"v".to_vec()));
}

/// A merge into many outputs, each with a hint; returns the output ids.
fn merged(fs: &SimFs, vfs: &Vfs, dir: &Path, o: &str) -> Vec<PathBuf> {
    {
        let db = open(vfs, dir, o);
        for round in 0..6u8 {
            for i in 0..40u32 {
                db.put(format!("key{i:03}").as_bytes(), &[round; 100])
                    .unwrap();
            }
        }
        // Fill the active segment with another key, so every key above is
        // in a sealed segment and the merge's outputs hold its newest value.
        for _ in 0..40 {
            db.put(b"zfill", &[0u8; 100]).unwrap();
        }
        db.quiesce().unwrap();
        assert!(db.metrics().get("merges").unwrap() >= 1.0);
    }
    let mut hints: Vec<PathBuf> = fs
        .files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e == "hint"))
        .collect();
    hints.sort();
    assert!(!hints.is_empty());
    hints
}

/// Item 3, hint side: a merge output is sealed once merged. With its hint
/// damaged, open replays it, and a flip in its last record must be
/// corruption, not a torn tail that silently drops the newest value.
#[test]
fn a_damaged_last_record_of_a_merged_segment_with_a_damaged_hint_is_corruption() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=2048,merge_ratio=0.3,background=false";
    let hints = merged(&fs, &vfs, &dir, o);
    let hint_file = &hints[0];
    let seg = hint_file.with_extension("seg");
    let entries = hint::decode(&fs.read_file(hint_file).unwrap()).unwrap();
    let last = entries.iter().max_by_key(|e| e.offset).unwrap().clone();
    fs.flip_bit(hint_file, 16 + 4, 0).unwrap(); // the hint's first entry
    fs.flip_bit(&seg, last.offset + 13, 0).unwrap(); // the last record's key
    expect_corruption(hash_log::open(&vfs, &dir, &opts(o)), &seg, last.offset);
}

/// Item 9: a file the engine did not create survives open, and a directory
/// that is not a hash-log database is refused.
#[test]
fn a_users_file_in_the_directory_is_refused_and_never_deleted() {
    let (fs, vfs, dir) = setup();
    fs.write_file(&dir.join("draft.tmp"), b"my draft").unwrap();
    let err = hash_log::open(&vfs, &dir, &Options::new())
        .err()
        .expect("refused");
    assert!(matches!(err, Error::Unusable { .. }), "{err}");
    assert!(err.to_string().contains("draft.tmp"), "{err}");
    assert_eq!(fs.read_file(&dir.join("draft.tmp")).unwrap(), b"my draft");
}

#[test]
fn a_users_tmp_file_in_an_owned_directory_survives_open() {
    let (fs, vfs, dir) = setup();
    drop(open(&vfs, &dir, ""));
    fs.write_file(&dir.join("draft.tmp"), b"my draft").unwrap();
    // A leftover of the engine's own is still cleaned up.
    fs.write_file(&dir.join("0000000000300000.seg.tmp"), b"half")
        .unwrap();
    drop(open(&vfs, &dir, ""));
    assert_eq!(fs.read_file(&dir.join("draft.tmp")).unwrap(), b"my draft");
    assert!(!vfs.exists(&dir.join("0000000000300000.seg.tmp")).unwrap());
    assert!(vfs.exists(&dir.join(OWNER_FILE)).unwrap());
}

#[test]
fn verify_refuses_another_engines_directory() {
    let (fs, vfs, dir) = setup();
    other_engines_db(&fs, &dir);
    let err = hash_log::verify(&vfs, &dir, &Options::new()).expect_err("not clean");
    assert!(matches!(err, Error::Unusable { .. }), "{err}");
    let err = hash_log::open(&vfs, &dir, &Options::new())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("lsm"), "{err}");
}

/// Another engine's directory: its owner file and a data file.
fn other_engines_db(fs: &SimFs, dir: &Path) {
    engine_core::ownership::claim(&fs.vfs(), dir, "lsm").unwrap();
    fs.write_file(&dir.join("000001.sst"), b"sstable").unwrap();
}

/// Item 10: a hint with valid checksums whose entry's offset + length
/// overflows u64. It must be refused (open falls back to the segment, verify
/// reports the hint's file and entry offset), never added up.
#[test]
fn a_hint_entry_whose_offset_plus_length_overflows_is_refused_not_a_panic() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=2048,merge_ratio=0.3,background=false";
    let hints = merged(&fs, &vfs, &dir, o);
    let hint_file = &hints[0];
    let mut entries = hint::decode(&fs.read_file(hint_file).unwrap()).unwrap();
    entries[0] = HintEntry {
        offset: u64::MAX - 8,
        ..entries[0].clone()
    };
    fs.write_file(hint_file, &hint::encode(&entries)).unwrap();
    let db = open(&vfs, &dir, o);
    for i in 0..40u32 {
        let k = format!("key{i:03}");
        assert_eq!(db.get(k.as_bytes()).unwrap(), Some(vec![5u8; 100]), "{k}");
    }
    drop(db);
    let report = hash_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
    assert_eq!(
        (&report.corrupt[0].path, report.corrupt[0].offset),
        (hint_file, 16)
    );
}

/// Item 10: an entry pointing inside the file header, or with a length too
/// short for a record, is refused the same way.
#[test]
fn a_hint_entry_pointing_into_the_header_is_refused() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=2048,merge_ratio=0.3,background=false";
    let hints = merged(&fs, &vfs, &dir, o);
    let hint_file = &hints[0];
    let mut entries = hint::decode(&fs.read_file(hint_file).unwrap()).unwrap();
    entries[0].offset = 0;
    fs.write_file(hint_file, &hint::encode(&entries)).unwrap();
    let db = open(&vfs, &dir, o);
    let k = entries[0].key.clone();
    assert_eq!(db.get(&k).unwrap(), Some(vec![5u8; 100]));
    drop(db);
    let report = hash_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
    assert_eq!(
        (&report.corrupt[0].path, report.corrupt[0].offset),
        (hint_file, 16)
    );
}

/// Item 3, the write side: once a roll has failed after sealing its
/// segment, the next segment may exist on disk, so the sealed segment must
/// take no more writes (a torn one there would read as corruption).
#[test]
fn after_a_failed_roll_writes_are_refused_and_acknowledged_ones_survive() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=256,merge_ratio=0.9,background=false,sync=always";
    let db = open(&vfs, &dir, o);
    db.put(b"a", &[1u8; 100]).unwrap();
    fs.set_dir_writable(&dir, false);
    // This put fills the segment; the roll cannot create the next one.
    assert!(db.put(b"b", &[2u8; 150]).is_err());
    fs.set_dir_writable(&dir, true);
    let err = db
        .put(b"c", b"3")
        .expect_err("a sealed segment takes no writes");
    assert!(matches!(err, Error::Poisoned { .. }), "{err}");
    drop(db);
    let db = open(&vfs, &dir, o);
    assert_eq!(db.get(b"a").unwrap(), Some(vec![1u8; 100]));
    assert_eq!(db.get(b"c").unwrap(), None);
    db.put(b"d", b"4").unwrap();
}

/// Item 3, merge side: merge reads sealed segments too. A damaged last
/// record there must stop the merge (corruption), not end the segment as a
/// torn tail, after which the merge would delete the segment and the
/// record with it.
#[test]
fn a_merge_of_a_sealed_segment_with_a_damaged_last_record_keeps_the_segment() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=256,merge_ratio=0.3,background=false";
    let db = open(&vfs, &dir, o);
    // 16 + 114 + 114 = 244, and `c` (15 bytes) seals the segment at 259.
    db.put(b"a", &[1u8; 100]).unwrap();
    db.put(b"b", &[2u8; 100]).unwrap();
    db.put(b"c", b"3").unwrap();
    let seg = dir.join(FIRST);
    fs.flip_bit(&seg, 244 + 13, 0).unwrap(); // c's key byte, on the medium
                                             // Overwriting a and b makes the first segment mostly dead: the third
                                             // put seals the second segment and starts a merge.
    let results: Vec<_> = (0..3)
        .map(|i| db.put(if i % 2 == 0 { b"a" } else { b"b" }, &[9u8; 100]))
        .collect();
    assert!(
        vfs.exists(&seg).unwrap(),
        "the damaged segment was merged away"
    );
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().is_err_and(Error::is_corruption)),
        "{results:?}"
    );
    match db.get(b"c") {
        Err(Error::Corruption { path, offset, .. }) => assert_eq!((path, offset), (seg, 244)),
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn a_cache_mb_that_is_not_a_size_is_refused_naming_it() {
    // Found by the kit's option-reopen check: the engine ignored cache_mb,
    // so `cache_mb=lots` opened without a word.
    let sim = engine_core::vfs::SimFs::new(1);
    let opts = engine_core::Options::new().with("cache_mb", "lots");
    let err = hash_log::open(&sim.vfs(), std::path::Path::new("/db"), &opts)
        .err()
        .expect("refused");
    assert!(
        matches!(&err, engine_core::Error::BadOption { key, .. } if key == "cache_mb"),
        "{err}"
    );
}

/// A sealed segment cut at a record boundary (its seal and its tombstone
/// gone) reads clean record by record; only the missing seal shows that
/// records were lost, and the tombstone with them.
#[test]
fn a_sealed_segment_that_lost_its_seal_is_corruption() {
    let (fs, vfs, dir) = setup();
    let o = "segment_bytes=256,merge_ratio=0.9,background=false";
    {
        let db = open(&vfs, &dir, o);
        db.put(b"a", &[1u8; 100]).unwrap();
        db.put(b"k", &[7u8; 100]).unwrap();
        db.delete(b"k").unwrap();
    }
    let seg = dir.join(FIRST);
    // Back to the two puts: the tombstone and the seal are gone.
    let bytes = fs.read_file(&seg).unwrap();
    fs.write_file(&seg, &bytes[..244]).unwrap();
    expect_corruption(hash_log::open(&vfs, &dir, &opts(o)), &seg, 244);
    let report = hash_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
}

#[test]
fn a_version_1_segment_is_refused_naming_the_file_and_both_versions() {
    let (fs, vfs, dir) = setup();
    drop(open(&vfs, &dir, ""));
    let seg = dir.join(FIRST);
    let mut bytes = engine_core::record::encode_file_header(hash_log::segment::MAGIC, 1).to_vec();
    engine_core::record::encode(&mut bytes, engine_core::record::RecordKind::Put, b"k", b"v");
    fs.write_file(&seg, &bytes).unwrap();
    let msg = hash_log::open(&vfs, &dir, &Options::new())
        .err()
        .expect("an old format must be refused")
        .to_string();
    assert!(
        msg.contains(FIRST) && msg.contains("version 1") && msg.contains("version 2"),
        "{msg}"
    );
}

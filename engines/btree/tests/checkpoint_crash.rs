//! Crashes at exact steps of a checkpoint (issue 15): a background
//! checkpoint stopped between its steps by the [`gate`] backend while the
//! test writes, then a power loss.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

mod gate;

use std::path::{Path, PathBuf};

use btree::checkpoint::DW_HEADER;
use engine_core::record::{self, RecordKind};
use engine_core::vfs::{CrashMode, SimFs};
use engine_core::{Engine, Options, Vfs};
use gate::{Call, Gate};

fn open(vfs: &Vfs, dir: &Path, opts: &str) -> engine_core::Result<btree::BTree> {
    btree::open_btree(vfs, dir, &Options::parse(opts).unwrap())
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:07}").into_bytes()
}

fn val(i: u32) -> Vec<u8> {
    i.to_le_bytes().repeat(10)
}

/// Background checkpoints, never due by themselves: the test starts them.
const BACKGROUND: &str = "background=true,checkpoint_bytes=1073741824,cache_pages=4096";

// ---- item 8: nothing reaches wal.(g+1) before wal.g is durable --------

/// Drive one checkpoint from `wal.1` to `wal.2` and crash while it syncs
/// the tail of `wal.1`, right after a put too large for the log buffer.
/// Returns the directory; keys `0..100` were synced before.
fn crash_while_the_old_log_syncs(fs: &SimFs, mode: CrashMode) -> PathBuf {
    let dir = PathBuf::from("/db");
    let (vfs, gate) = Gate::vfs(fs);
    let db = open(&vfs, &dir, BACKGROUND).unwrap();
    for i in 0..100 {
        db.put(&key(i), &val(i)).unwrap();
    }
    db.sync().unwrap();
    std::thread::scope(|s| {
        gate.arm(Call::RenameTo, "wal.2");
        let ck = s.spawn(|| db.checkpoint());
        // The checkpoint synced wal.1 and is creating wal.2: these puts
        // still go to wal.1, and become its unsynced tail.
        gate.wait_held();
        for i in 100..200 {
            db.put(&key(i), &val(i)).unwrap();
        }
        gate.arm(Call::Sync, "wal.1");
        gate.release();
        // Writers have switched to wal.2; wal.1's tail is being synced.
        gate.wait_held();
        db.put(b"big", &vec![7u8; 300 << 10]).unwrap();
        fs.crash(mode);
        gate.release();
        assert!(
            ck.join().unwrap().is_err(),
            "the crash fails the checkpoint"
        );
    });
    drop(db);
    dir
}

/// The state: wal.1 torn by the crash, wal.2 holding bytes of the
/// large put. Nothing acknowledged was lost (`sync=never`, and the puts
/// after the sync were never synced), so the database must open, with
/// what was synced, and verify must agree with open.
#[test]
fn a_torn_old_wal_beside_a_started_new_one_recovers() {
    for mode in [
        CrashMode::Garbage { seed: 3 },
        CrashMode::ZeroTail,
        CrashMode::TornWrite { seed: 5 },
    ] {
        let fs = SimFs::new(8);
        let dir = crash_while_the_old_log_syncs(&fs, mode);
        let vfs = fs.vfs();
        let report = btree::verify(&vfs, &dir, &Options::new()).unwrap();
        let db = open(&vfs, &dir, BACKGROUND)
            .unwrap_or_else(|e| panic!("{mode:?}: open failed: {e}; verify said {report:?}"));
        assert!(report.is_clean(), "{mode:?}: {report:?}");
        for i in 0..100 {
            assert_eq!(db.get(&key(i)).unwrap(), Some(val(i)), "{mode:?}: key {i}");
        }
        // What survived of the unsynced tail is a prefix of it.
        let survived = (100..200)
            .take_while(|&i| db.get(&key(i)).unwrap() == Some(val(i)))
            .count() as u32;
        for i in 100 + survived..200 {
            assert_eq!(db.get(&key(i)).unwrap(), None, "{mode:?}: hole at {i}");
        }
    }
}

/// The same state crafted by hand: a torn log that a log with records
/// follows can only be damage, and verify must say so, as open does
/// (verify used to report it as a harmless torn tail: "clean").
#[test]
fn verify_reports_a_torn_log_that_a_log_with_records_follows() {
    let fs = SimFs::new(9);
    let vfs = fs.vfs();
    let dir = PathBuf::from("/db");
    drop(open(&vfs, &dir, "background=false").unwrap());
    // A clean close leaves the header naming the newest (empty) log.
    let gens: Vec<u64> = fs
        .files()
        .iter()
        .filter_map(|(p, _)| p.file_name()?.to_str()?.strip_prefix("wal.")?.parse().ok())
        .collect();
    let [g] = gens[..] else {
        panic!("one log expected: {gens:?}")
    };
    let wal = |gen: u64| dir.join(format!("wal.{gen}"));
    let mut old = fs.read_file(&wal(g)).unwrap();
    record::encode(&mut old, RecordKind::Put, b"a", b"1");
    let mut torn = Vec::new();
    record::encode(&mut torn, RecordKind::Put, b"b", b"2");
    old.extend_from_slice(&torn[..torn.len() - 1]);
    fs.write_file(&wal(g), &old).unwrap();
    let mut new =
        record::encode_file_header(btree::wal::WAL_MAGIC, btree::wal::WAL_VERSION).to_vec();
    record::encode(&mut new, RecordKind::Put, b"c", b"3");
    fs.write_file(&wal(g + 1), &new).unwrap();

    let err = open(&vfs, &dir, "").err().expect("open refuses it");
    assert!(err.to_string().contains(&format!("wal.{g}")), "{err}");
    let report = btree::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(
        report
            .corrupt
            .iter()
            .any(|c| c.path == wal(g) && c.offset == (old.len() - torn.len() + 1) as u64),
        "{report:?}"
    );
}

// ---- a damaged doublewrite file after in-place writes began -----------

const SMALL: &str = "page_size=512,background=false,checkpoint_bytes=1073741824,cache_pages=4096";
const KEYS: u32 = 300;

fn val2(i: u32) -> Vec<u8> {
    (i + 7).to_le_bytes().repeat(10)
}

/// A checkpoint of `KEYS` updated keys (all synced in the log first), held
/// at the sync of `held` (a file name) and crashed there in `mode`.
fn crash_in_checkpoint(fs: &SimFs, held: &str, mode: CrashMode) -> PathBuf {
    let dir = PathBuf::from("/db");
    let (vfs, gate) = Gate::vfs(fs);
    let db = open(&vfs, &dir, SMALL).unwrap();
    for i in 0..KEYS {
        db.put(&key(i), &val(i)).unwrap();
    }
    db.checkpoint().unwrap();
    // Same-size values: the pages exist, so all go through pages.dw.
    for i in 0..KEYS {
        db.put(&key(i), &val2(i)).unwrap();
    }
    db.sync().unwrap();
    std::thread::scope(|s| {
        gate.arm(Call::Sync, held);
        let ck = s.spawn(|| db.checkpoint());
        gate.wait_held();
        fs.crash(mode);
        gate.release();
        assert!(
            ck.join().unwrap().is_err(),
            "the crash fails the checkpoint"
        );
    });
    drop(db);
    dir
}

/// What a reopen found: every key with its synced value, or an error.
fn reopen_and_read(fs: &SimFs, dir: &Path) -> Result<(), engine_core::Error> {
    let db = open(&fs.vfs(), dir, SMALL)?;
    for i in 0..KEYS {
        let got = db.get(&key(i))?;
        assert_eq!(
            got,
            Some(val2(i)),
            "key {i}: acknowledged data lost or wrong"
        );
    }
    Ok(())
}

/// The kit's "bit flips in crashed directories" finding: the checkpoint
/// died while writing pages in place, so the doublewrite copy was the only
/// good one; a flipped bit in it made recovery ignore it as "torn" and
/// trust the half-written pages (wrong values, or a new header naming a
/// log whose predecessor it then deleted). It must be corruption naming
/// pages.dw, or, when nothing had reached the page file, a clean recovery.
#[test]
fn a_damaged_doublewrite_after_in_place_writes_began_is_corruption() {
    let mut refused = 0;
    for seed in 0..6 {
        // A flip in an image, and one in the header's sequence number.
        for flip_at in [DW_HEADER as u64 + 3 * 512 + 100, 20] {
            let fs = SimFs::new(20 + seed);
            let dir = crash_in_checkpoint(&fs, "pages", CrashMode::TornWrite { seed });
            fs.flip_bit(&dir.join(btree::DW_FILE), flip_at, 3).unwrap();
            let report = btree::verify(&fs.vfs(), &dir, &Options::new()).unwrap();
            match reopen_and_read(&fs, &dir) {
                Ok(()) => assert!(report.is_clean(), "seed {seed}: {report:?}"),
                Err(engine_core::Error::Corruption { path, .. }) => {
                    assert_eq!(path, dir.join(btree::DW_FILE), "seed {seed} at {flip_at}");
                    assert!(!report.is_clean(), "seed {seed}: verify said clean");
                    refused += 1;
                }
                Err(e) => panic!("seed {seed}: {e}"),
            }
        }
    }
    assert!(refused > 0, "no crash left in-place writes behind");
}

/// The other side of the rule: a doublewrite file torn before its fsync
/// (no page was written in place) is still ignored, and nothing is lost.
#[test]
fn a_doublewrite_torn_before_its_sync_is_still_ignored() {
    for (seed, mode) in [
        CrashMode::TornWrite { seed: 1 },
        CrashMode::TornWrite { seed: 2 },
        CrashMode::Garbage { seed: 3 },
        CrashMode::ZeroTail,
    ]
    .into_iter()
    .enumerate()
    {
        let fs = SimFs::new(40 + seed as u64);
        let dir = crash_in_checkpoint(&fs, "pages.dw", mode);
        let report = btree::verify(&fs.vfs(), &dir, &Options::new()).unwrap();
        assert!(report.is_clean(), "{mode:?}: {report:?}");
        reopen_and_read(&fs, &dir).unwrap_or_else(|e| panic!("{mode:?}: {e}"));
    }
}

/// A new database whose first checkpoint died after its doublewrite was
/// durable and before any page was: open completes it, and verify, which
/// reads the images instead, must not call the pages they hold missing.
#[test]
fn verify_of_a_creation_crashed_before_in_place_writes_is_clean() {
    let fs = SimFs::new(50);
    let dir = PathBuf::from("/db");
    let (vfs, gate) = Gate::vfs(&fs);
    std::thread::scope(|s| {
        gate.arm(Call::Sync, "pages");
        let opening = s.spawn(|| open(&vfs, &dir, SMALL).map(drop));
        gate.wait_held();
        fs.crash(CrashMode::DropUnsynced);
        gate.release();
        assert!(opening.join().unwrap().is_err(), "the crash fails the open");
    });
    assert_eq!(fs.read_file(&dir.join(btree::PAGE_FILE)).unwrap().len(), 0);
    let report = btree::verify(&fs.vfs(), &dir, &Options::new()).unwrap();
    assert!(report.is_clean(), "{report:?}");
    let db = open(&fs.vfs(), &dir, SMALL).unwrap();
    db.put(b"k", b"v").unwrap();
    assert_eq!(db.get(b"k").unwrap(), Some(b"v".to_vec()));
}

//! Crashes at exact steps of a checkpoint (issue 15): a background
//! checkpoint stopped between its steps by the [`gate`] backend while the
//! test writes, then a power loss.

mod gate;

use std::path::{Path, PathBuf};

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

//! The simulated filesystem's counters, crash triggers, injected faults,
//! permissions and POSIX-like errors, and counting through the Vfs.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::io::ErrorKind;
use std::path::PathBuf;

use engine_core::vfs::sim::{CRASH_MESSAGE, FAULT_MESSAGE};
use engine_core::vfs::{CrashMode, SimFs};
use engine_core::{Error, OpenMode, Purpose, Vfs};

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

fn setup() -> (SimFs, Vfs) {
    let fs = SimFs::new(1);
    let vfs = fs.vfs();
    vfs.create_dir_all(&p("/db")).unwrap();
    (fs, vfs)
}

fn io_error(result: Result<impl std::fmt::Debug, Error>) -> (ErrorKind, String) {
    match result {
        Err(Error::Io { source, .. }) => (source.kind(), source.to_string()),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

fn kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ErrorKind {
    io_error(result).0
}

fn crashed<T: std::fmt::Debug>(result: Result<T, Error>) -> bool {
    io_error(result) == (ErrorKind::Other, CRASH_MESSAGE.to_string())
}

fn faulted<T: std::fmt::Debug>(result: Result<T, Error>) -> bool {
    io_error(result) == (ErrorKind::Other, FAULT_MESSAGE.to_string())
}

/// Run `call` and check it counted as one op, and as one mutation iff
/// `mutates`.
fn step(fs: &SimFs, mutates: bool, what: &str, call: impl FnOnce()) {
    let (ops, mutations) = (fs.ops(), fs.mutations());
    call();
    let expected = (ops + 1, mutations + u64::from(mutates));
    assert_eq!((fs.ops(), fs.mutations()), expected, "{what}");
}

#[test]
fn counters_classify_every_call() {
    let (fs, vfs) = setup();
    assert_eq!(
        (fs.ops(), fs.mutations()),
        (1, 0),
        "create_dir_all inspects"
    );
    let a = p("/db/a");
    let f = vfs.open(&a, OpenMode::Create).unwrap();
    assert_eq!((fs.ops(), fs.mutations()), (2, 1), "open creating");
    step(&fs, false, "open existing with Create", || {
        drop(vfs.open(&a, OpenMode::Create).unwrap())
    });
    step(&fs, false, "open existing", || {
        drop(vfs.open(&a, OpenMode::Existing).unwrap())
    });
    step(&fs, true, "open truncating", || {
        drop(vfs.open(&a, OpenMode::Truncate).unwrap())
    });
    step(&fs, true, "write", || {
        f.write_at(b"abc", 0, Purpose::Wal).unwrap()
    });
    step(&fs, true, "set_len", || f.set_len(2).unwrap());
    step(&fs, true, "file sync", || f.sync(Purpose::Wal).unwrap());
    step(&fs, true, "directory sync", || {
        vfs.sync_dir(&p("/db")).unwrap()
    });
    step(&fs, false, "read", || {
        f.read_at(&mut [0; 4], 0, Purpose::Query).unwrap();
    });
    step(&fs, false, "len", || assert_eq!(f.len().unwrap(), 2));
    step(&fs, false, "list_dir", || {
        vfs.list_dir(&p("/db")).unwrap();
    });
    step(&fs, false, "exists", || assert!(vfs.exists(&a).unwrap()));
    step(&fs, false, "create_dir_all", || {
        vfs.create_dir_all(&p("/db/sub")).unwrap()
    });
    step(&fs, true, "rename", || vfs.rename(&a, &p("/db/b")).unwrap());
    step(&fs, true, "remove", || {
        vfs.remove_file(&p("/db/b")).unwrap()
    });
    // A failed mutation is still a mutating call.
    step(&fs, true, "failed remove", || {
        assert!(vfs.remove_file(&p("/db/b")).is_err())
    });
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!((fs.ops(), fs.mutations()), (0, 0));
}

#[test]
fn crash_at_mutation_fails_exactly_the_nth_and_everything_after() {
    let (fs, vfs) = setup();
    fs.crash_at_mutation(3);
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap(); // 1
    f.write_at(b"one", 0, Purpose::Wal).unwrap(); // 2
    f.read_at(&mut [0; 3], 0, Purpose::Query).unwrap(); // not a mutation
    assert!(!fs.has_crashed());
    assert!(crashed(f.write_at(b"two", 3, Purpose::Wal))); // 3
    assert!(fs.has_crashed());
    assert_eq!(fs.read_file(&p("/db/log")).unwrap(), b"one", "no effect");
    // Every later call fails, reads and other handles included.
    assert!(crashed(f.read_at(&mut [0; 3], 0, Purpose::Query)));
    assert!(crashed(f.len()));
    assert!(crashed(vfs.open(&p("/db/log"), OpenMode::Existing)));
    assert!(crashed(vfs.list_dir(&p("/db"))));
    assert!(crashed(vfs.create_dir_all(&p("/x"))));
    assert!(crashed(vfs.sync_dir(&p("/db"))));
    fs.crash(CrashMode::DropUnsynced);
    assert!(!fs.has_crashed());
    // The file's name was never made durable.
    assert_eq!(fs.files(), vec![]);
    assert!(vfs.open(&p("/db/log"), OpenMode::CreateNew).is_ok());
}

#[test]
fn crash_trigger_counts_from_the_last_crash() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    f.write_at(b"x", 0, Purpose::Wal).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    fs.crash_at_mutation(1);
    assert!(crashed(vfs.open(&p("/db/log"), OpenMode::CreateNew)));
}

#[test]
fn fail_op_once_fails_one_call_without_effect() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    fs.fail_op(2, false);
    f.write_at(b"a", 0, Purpose::Wal).unwrap();
    assert!(faulted(f.write_at(b"b", 1, Purpose::Wal)));
    f.write_at(b"c", 1, Purpose::Wal).unwrap();
    f.read_at(&mut [0; 2], 0, Purpose::Query).unwrap();
    assert_eq!(fs.read_file(&p("/db/log")).unwrap(), b"ac");
    assert!(!fs.has_crashed());
}

#[test]
fn fail_op_persistent_fails_everything_until_cleared() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    fs.fail_op(2, true);
    f.write_at(b"a", 0, Purpose::Wal).unwrap();
    assert!(faulted(f.write_at(b"b", 1, Purpose::Wal)));
    assert!(faulted(f.read_at(&mut [0; 1], 0, Purpose::Query)));
    assert!(faulted(vfs.exists(&p("/db/log"))));
    assert!(faulted(f.sync(Purpose::Wal)));
    fs.clear_faults();
    f.write_at(b"c", 1, Purpose::Wal).unwrap();
    assert_eq!(fs.read_file(&p("/db/log")).unwrap(), b"ac");
}

#[test]
fn crash_clears_faults() {
    let (fs, vfs) = setup();
    fs.fail_op(1, true);
    fs.fail_syncs(true);
    assert!(faulted(vfs.exists(&p("/db"))));
    fs.crash(CrashMode::DropUnsynced);
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    f.sync(Purpose::Wal).unwrap();
}

#[test]
fn fail_syncs_once_fails_only_the_next_file_sync() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    vfs.sync_dir(&p("/db")).unwrap();
    f.write_at(b"data", 0, Purpose::Wal).unwrap();
    fs.fail_syncs(false);
    vfs.sync_dir(&p("/db")).unwrap();
    f.write_at(b"more", 4, Purpose::Wal).unwrap();
    assert!(faulted(f.sync(Purpose::Wal)));
    f.sync(Purpose::Wal).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.read_file(&p("/db/log")).unwrap(), b"datamore");
}

#[test]
fn failed_sync_leaves_data_unsynced() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    vfs.sync_dir(&p("/db")).unwrap();
    f.write_at(b"data", 0, Purpose::Wal).unwrap();
    fs.fail_syncs(false);
    assert!(faulted(f.sync(Purpose::Wal)));
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.read_file(&p("/db/log")).unwrap(), b"");
}

#[test]
fn fail_syncs_persistent_until_cleared() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    fs.fail_syncs(true);
    for _ in 0..3 {
        assert!(faulted(f.sync(Purpose::Wal)));
        f.write_at(b"w", 0, Purpose::Wal).unwrap();
    }
    fs.clear_faults();
    f.sync(Purpose::Wal).unwrap();
}

#[test]
fn read_only_directory_refuses_names_but_not_contents() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/old"), OpenMode::CreateNew).unwrap();
    fs.set_dir_writable(&p("/db"), false);
    let denied = |r: Result<_, Error>| io_error(r).0 == ErrorKind::PermissionDenied;
    assert!(denied(vfs.open(&p("/db/new"), OpenMode::Create).map(drop)));
    assert!(denied(
        vfs.open(&p("/db/new"), OpenMode::CreateNew).map(drop)
    ));
    assert!(denied(vfs.rename(&p("/db/old"), &p("/db/new"))));
    assert!(denied(vfs.remove_file(&p("/db/old"))));
    assert!(denied(vfs.create_dir_all(&p("/db/sub"))));
    // Existing files stay usable.
    f.write_at(b"ok", 0, Purpose::Wal).unwrap();
    f.sync(Purpose::Wal).unwrap();
    drop(vfs.open(&p("/db/old"), OpenMode::Existing).unwrap());
    assert_eq!(vfs.list_dir(&p("/db")).unwrap(), vec!["old".to_string()]);
    fs.set_dir_writable(&p("/db"), true);
    drop(vfs.open(&p("/db/new"), OpenMode::Create).unwrap());
}

#[test]
fn errors_follow_posix() {
    let (fs, vfs) = setup();
    assert_eq!(
        kind(vfs.open(&p("/db/none"), OpenMode::Existing).map(drop)),
        ErrorKind::NotFound
    );
    drop(vfs.open(&p("/db/a"), OpenMode::CreateNew).unwrap());
    assert_eq!(
        kind(vfs.open(&p("/db/a"), OpenMode::CreateNew).map(drop)),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(vfs.open(&p("/nodir/a"), OpenMode::Create).map(drop)),
        ErrorKind::NotFound
    );
    assert_eq!(kind(vfs.list_dir(&p("/nodir"))), ErrorKind::NotFound);
    assert_eq!(kind(vfs.sync_dir(&p("/nodir"))), ErrorKind::NotFound);
    assert_eq!(
        kind(vfs.rename(&p("/db/a"), &p("/nodir/a"))),
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(vfs.rename(&p("/db/none"), &p("/db/b"))),
        ErrorKind::NotFound
    );
    assert_eq!(kind(vfs.remove_file(&p("/db/none"))), ErrorKind::NotFound);
    assert!(!vfs.exists(&p("/db/none")).unwrap());
    assert!(vfs.exists(&p("/db")).unwrap());
    // Only files directly in the directory, sorted.
    vfs.create_dir_all(&p("/db/sub")).unwrap();
    drop(vfs.open(&p("/db/sub/deep"), OpenMode::Create).unwrap());
    drop(vfs.open(&p("/db/0"), OpenMode::Create).unwrap());
    assert_eq!(vfs.list_dir(&p("/db")).unwrap(), vec!["0", "a"]);
    assert_eq!(
        fs.files(),
        vec![(p("/db/0"), 0), (p("/db/a"), 0), (p("/db/sub/deep"), 0)]
    );
    // Reads past the end return what there is.
    let f = vfs.open(&p("/db/a"), OpenMode::Existing).unwrap();
    f.write_at(b"xy", 3, Purpose::Wal).unwrap();
    let mut buf = [9u8; 8];
    assert_eq!(f.read_at(&mut buf, 1, Purpose::Query).unwrap(), 4);
    assert_eq!(&buf[..4], b"\0\0xy");
    assert_eq!(f.read_at(&mut buf, 10, Purpose::Query).unwrap(), 0);
    // A wild offset is an error, not an attempt to allocate it.
    assert_eq!(
        kind(f.write_at(b"z", u64::MAX - 1, Purpose::Wal)),
        ErrorKind::InvalidInput
    );
    assert_eq!(kind(f.set_len(1 << 50)), ErrorKind::InvalidInput);
}

#[test]
fn vfs_counts_io_on_the_simulator() {
    let (fs, vfs) = setup();
    let f = vfs.open(&p("/db/log"), OpenMode::CreateNew).unwrap();
    f.write_at(&[1; 100], 0, Purpose::Wal).unwrap();
    f.write_at(&[2; 50], 100, Purpose::Flush).unwrap();
    f.sync(Purpose::Wal).unwrap();
    vfs.sync_dir(&p("/db")).unwrap();
    let mut buf = [0u8; 40];
    f.read_exact_at(&mut buf, 0, Purpose::Query).unwrap();
    assert_eq!(f.read_at(&mut buf, 130, Purpose::Query).unwrap(), 20);
    let s = vfs.stats().snapshot();
    let wal = s.purpose(Purpose::Wal);
    assert_eq!((wal.write_bytes, wal.write_calls, wal.syncs), (100, 1, 1));
    assert_eq!(s.purpose(Purpose::Flush).write_bytes, 50);
    assert_eq!(s.purpose(Purpose::Meta).syncs, 1);
    let q = s.purpose(Purpose::Query);
    assert_eq!((q.read_bytes, q.read_calls), (60, 2));
    assert_eq!(vfs.dir_size(&p("/db")).unwrap(), 150);
    // A second Vfs over the same filesystem has its own counters.
    assert_eq!(fs.vfs().stats().snapshot().total().write_bytes, 0);
}

#[test]
fn threads_share_one_filesystem() {
    let (fs, vfs) = setup();
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let vfs = vfs.clone();
            s.spawn(move || {
                let f = vfs
                    .open(&p(&format!("/db/t{t}")), OpenMode::CreateNew)
                    .unwrap();
                for i in 0..100u64 {
                    f.write_at(&[t; 10], i * 10, Purpose::Wal).unwrap();
                }
                f.sync(Purpose::Wal).unwrap();
            });
        }
    });
    vfs.sync_dir(&p("/db")).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    for t in 0..4u8 {
        assert_eq!(
            fs.read_file(&p(&format!("/db/t{t}"))).unwrap(),
            vec![t; 1000]
        );
    }
    assert_eq!(fs.ops(), 0);
}

//! The simulated filesystem's definition of a crash: what survives, what is
//! lost, and what each crash mode does to unsynced bytes.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use engine_core::vfs::sim::DEAD_HANDLE_MESSAGE;
use engine_core::vfs::{CrashMode, SimFs};
use engine_core::{Error, File, OpenMode, Purpose, Vfs};

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

/// A filesystem with `/db` created, and a Vfs over it.
fn setup(seed: u64) -> (SimFs, Vfs) {
    let fs = SimFs::new(seed);
    let vfs = fs.vfs();
    vfs.create_dir_all(&p("/db")).unwrap();
    (fs, vfs)
}

/// Create `path` with `bytes`, sync it and its directory: fully durable.
fn durable_file(vfs: &Vfs, path: &str, bytes: &[u8]) -> File {
    let f = vfs.open(&p(path), OpenMode::CreateNew).unwrap();
    f.write_at(bytes, 0, Purpose::Wal).unwrap();
    f.sync(Purpose::Wal).unwrap();
    vfs.sync_dir(Path::new(path).parent().unwrap()).unwrap();
    f
}

fn content(fs: &SimFs, path: &str) -> Option<Vec<u8>> {
    fs.read_file(&p(path)).ok()
}

fn io_message(e: &Error) -> String {
    match e {
        Error::Io { source, .. } => source.to_string(),
        other => panic!("expected an I/O error, got {other}"),
    }
}

const ALL_MODES: [CrashMode; 4] = [
    CrashMode::DropUnsynced,
    CrashMode::TornWrite { seed: 3 },
    CrashMode::ZeroTail,
    CrashMode::Garbage { seed: 3 },
];

#[test]
fn unsynced_write_is_lost_on_drop_unsynced() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/log", b"hello");
    f.write_at(b" world", 5, Purpose::Wal).unwrap();
    assert_eq!(content(&fs, "/db/log").unwrap(), b"hello world");
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(content(&fs, "/db/log").unwrap(), b"hello");
}

#[test]
fn synced_write_survives_every_crash_mode() {
    for mode in ALL_MODES {
        let (fs, vfs) = setup(1);
        let f = durable_file(&vfs, "/db/log", b"hello");
        f.write_at(b" world", 5, Purpose::Wal).unwrap();
        f.sync(Purpose::Wal).unwrap();
        fs.crash(mode);
        assert_eq!(content(&fs, "/db/log").unwrap(), b"hello world", "{mode:?}");
    }
}

#[test]
fn created_file_is_lost_without_a_directory_sync() {
    for mode in ALL_MODES {
        let (fs, vfs) = setup(1);
        let f = vfs.open(&p("/db/new"), OpenMode::CreateNew).unwrap();
        f.write_at(b"data", 0, Purpose::Flush).unwrap();
        f.sync(Purpose::Flush).unwrap();
        fs.crash(mode);
        assert_eq!(fs.files(), vec![], "{mode:?}");
        let err = vfs.open(&p("/db/new"), OpenMode::Existing).unwrap_err();
        assert!(
            matches!(err, Error::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound)
        );
    }
}

#[test]
fn created_file_survives_with_a_directory_sync() {
    let (fs, vfs) = setup(1);
    let f = vfs.open(&p("/db/new"), OpenMode::CreateNew).unwrap();
    f.write_at(b"data", 0, Purpose::Flush).unwrap();
    f.sync(Purpose::Flush).unwrap();
    vfs.sync_dir(&p("/db")).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.files(), vec![(p("/db/new"), 4)]);
    assert_eq!(content(&fs, "/db/new").unwrap(), b"data");
}

#[test]
fn rename_without_directory_sync_is_undone() {
    let (fs, vfs) = setup(1);
    durable_file(&vfs, "/db/a", b"AAA");
    durable_file(&vfs, "/db/b", b"BB");
    vfs.rename(&p("/db/a"), &p("/db/b")).unwrap();
    assert_eq!(fs.files(), vec![(p("/db/b"), 3)]);
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.files(), vec![(p("/db/a"), 3), (p("/db/b"), 2)]);
    assert_eq!(content(&fs, "/db/a").unwrap(), b"AAA");
    assert_eq!(content(&fs, "/db/b").unwrap(), b"BB");
}

#[test]
fn rename_with_directory_sync_is_kept() {
    let (fs, vfs) = setup(1);
    durable_file(&vfs, "/db/a", b"AAA");
    durable_file(&vfs, "/db/b", b"BB");
    vfs.rename(&p("/db/a"), &p("/db/b")).unwrap();
    vfs.sync_dir(&p("/db")).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.files(), vec![(p("/db/b"), 3)]);
    assert_eq!(content(&fs, "/db/b").unwrap(), b"AAA");
}

#[test]
fn removed_file_reappears_with_its_durable_content_unless_directory_synced() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/old", b"kept");
    f.write_at(b"XXXXXXXX", 0, Purpose::Wal).unwrap();
    vfs.remove_file(&p("/db/old")).unwrap();
    assert_eq!(fs.files(), vec![]);
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(content(&fs, "/db/old").unwrap(), b"kept");

    vfs.remove_file(&p("/db/old")).unwrap();
    vfs.sync_dir(&p("/db")).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(fs.files(), vec![]);
}

#[test]
fn open_handle_outlives_rename_and_remove() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/a", b"12");
    vfs.rename(&p("/db/a"), &p("/db/b")).unwrap();
    f.write_at(b"34", 2, Purpose::Wal).unwrap();
    assert_eq!(content(&fs, "/db/b").unwrap(), b"1234");
    vfs.remove_file(&p("/db/b")).unwrap();
    f.write_at(b"5", 4, Purpose::Wal).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(f.read_at(&mut buf, 0, Purpose::Query).unwrap(), 5);
    assert_eq!(&buf[..5], b"12345");
    assert_eq!(fs.files(), vec![]);
}

#[test]
fn handles_opened_before_a_crash_are_dead_and_uncounted() {
    let (fs, vfs) = setup(1);
    let old = durable_file(&vfs, "/db/log", b"durable");
    old.write_at(b"+lost", 7, Purpose::Wal).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    let mut buf = [0u8; 4];
    let err = old.read_at(&mut buf, 0, Purpose::Query).unwrap_err();
    assert_eq!(io_message(&err), DEAD_HANDLE_MESSAGE);
    assert!(old.write_at(b"x", 0, Purpose::Wal).is_err());
    assert!(old.sync(Purpose::Wal).is_err());
    assert!(old.len().is_err());
    assert_eq!((fs.ops(), fs.mutations()), (0, 0));

    let new = vfs.open(&p("/db/log"), OpenMode::Existing).unwrap();
    assert_eq!(new.len().unwrap(), 7);
    drop(old);
    // Dropping the dead handle does not disturb the live one.
    let mut all = [0u8; 7];
    new.read_exact_at(&mut all, 0, Purpose::Recovery).unwrap();
    assert_eq!(&all, b"durable");
}

/// Four unsynced 100-byte writes, one after the other, each filled with its
/// own byte value; the file was durable and empty before them.
fn torn(seed: u64) -> Vec<u8> {
    let (fs, vfs) = setup(seed);
    let f = durable_file(&vfs, "/db/log", b"");
    for i in 0..4u8 {
        f.write_at(&[i + 1; 100], u64::from(i) * 100, Purpose::Wal)
            .unwrap();
    }
    fs.crash(CrashMode::TornWrite { seed: seed * 31 });
    content(&fs, "/db/log").unwrap()
}

#[test]
fn torn_write_keeps_a_prefix_and_cuts_the_last_survivor() {
    let full: Vec<u8> = (1..=4u8).flat_map(|i| [i; 100]).collect();
    let mut cut_inside_a_write = 0;
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..300 {
        let got = torn(seed);
        // A prefix of the issue order: never a later write without every
        // earlier one, never a hole.
        assert_eq!(got[..], full[..got.len()], "seed {seed}");
        if !matches!(got.len(), 0 | 100 | 200 | 300 | 400) {
            cut_inside_a_write += 1;
        }
        lengths.insert(got.len() / 100);
    }
    assert!(
        cut_inside_a_write > 60,
        "the last survivor is cut: {cut_inside_a_write}"
    );
    // Every number of surviving writes, from none to all, occurs.
    assert_eq!(lengths.into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn zero_tail_zero_fills_extensions_and_drops_overwrites() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/log", b"AAAA");
    f.write_at(b"BB", 0, Purpose::Wal).unwrap();
    f.write_at(b"CCCC", 4, Purpose::Wal).unwrap();
    fs.crash(CrashMode::ZeroTail);
    assert_eq!(content(&fs, "/db/log").unwrap(), b"AAAA\0\0\0\0");
}

#[test]
fn zero_tail_zero_fills_what_was_truncated_and_regrown() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/log", b"AAAA");
    f.set_len(1).unwrap();
    f.write_at(b"CCC", 1, Purpose::Wal).unwrap();
    fs.crash(CrashMode::ZeroTail);
    assert_eq!(content(&fs, "/db/log").unwrap(), b"A\0\0\0");
}

#[test]
fn garbage_changes_bytes_only_in_unsynced_ranges() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/log", &[0x11; 1000]);
    f.write_at(&[0x22; 100], 100, Purpose::Wal).unwrap();
    f.write_at(&[0x33; 100], 1000, Purpose::Wal).unwrap();
    fs.crash(CrashMode::Garbage { seed: 9 });
    let got = content(&fs, "/db/log").unwrap();
    assert_eq!(got.len(), 1100);
    assert!(got[..100].iter().all(|&b| b == 0x11));
    assert!(got[200..1000].iter().all(|&b| b == 0x11));
    // Random bytes match the written value about once in 256.
    let same = got[100..200].iter().filter(|&&b| b == 0x22).count()
        + got[1000..].iter().filter(|&&b| b == 0x33).count();
    assert!(
        same < 20,
        "{same} of 200 garbage bytes equal the written ones"
    );
}

#[test]
fn flip_bit_changes_exactly_one_bit_visible_and_durable() {
    let (fs, vfs) = setup(1);
    let original: Vec<u8> = (0..64).collect();
    durable_file(&vfs, "/db/sst", &original);
    fs.flip_bit(&p("/db/sst"), 10, 3).unwrap();
    let diff = |got: &[u8]| -> u32 {
        got.iter()
            .zip(&original)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    };
    let got = content(&fs, "/db/sst").unwrap();
    assert_eq!((diff(&got), got[10] ^ original[10]), (1, 8));
    fs.crash(CrashMode::DropUnsynced);
    assert_eq!(content(&fs, "/db/sst").unwrap(), got);

    assert!(fs.flip_bit(&p("/db/sst"), 64, 0).is_err());
    assert!(fs.flip_bit(&p("/db/sst"), 0, 8).is_err());
    assert!(fs.flip_bit(&p("/db/none"), 0, 0).is_err());
}

#[test]
fn flip_bit_on_unsynced_bytes_survives_a_later_sync() {
    let (fs, vfs) = setup(1);
    let f = durable_file(&vfs, "/db/log", &[0; 8]);
    f.write_at(&[0; 8], 8, Purpose::Wal).unwrap();
    fs.flip_bit(&p("/db/log"), 12, 0).unwrap();
    f.sync(Purpose::Wal).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    let mut expected = [0u8; 16];
    expected[12] = 1;
    assert_eq!(content(&fs, "/db/log").unwrap(), expected);
}

#[test]
fn directories_are_durable_at_once() {
    let fs = SimFs::new(1);
    let vfs = fs.vfs();
    vfs.create_dir_all(&p("/a/b/c")).unwrap();
    fs.crash(CrashMode::DropUnsynced);
    assert!(vfs.exists(&p("/a/b/c")).unwrap());
    assert!(vfs.open(&p("/a/b/c/f"), OpenMode::Create).is_ok());
}

#[test]
fn fixtures_are_durable_at_once() {
    let fs = SimFs::new(1);
    fs.write_file(&p("/fix/data"), b"fixture").unwrap();
    fs.crash(CrashMode::Garbage { seed: 1 });
    assert_eq!(content(&fs, "/fix/data").unwrap(), b"fixture");
    assert_eq!((fs.ops(), fs.mutations()), (0, 0));
}

/// A scripted run with two crashes whose outcome depends on the seeds.
fn scripted(seed: u64) -> Vec<(PathBuf, Vec<u8>)> {
    let (fs, vfs) = setup(seed);
    for round in 0..2u8 {
        for name in ["a", "b", "c"] {
            let f = vfs
                .open(&p(&format!("/db/{name}")), OpenMode::Create)
                .unwrap();
            let end = f.len().unwrap();
            f.write_at(&[round; 40], end, Purpose::Wal).unwrap();
            if name != "c" {
                f.sync(Purpose::Wal).unwrap();
            }
            f.write_at(&[round + 10; 30], end + 40, Purpose::Wal)
                .unwrap();
        }
        vfs.sync_dir(&p("/db")).unwrap();
        let mode = if round == 0 {
            CrashMode::TornWrite { seed: 5 }
        } else {
            CrashMode::Garbage { seed: 5 }
        };
        fs.crash(mode);
    }
    fs.files()
        .into_iter()
        .map(|(path, _)| {
            let bytes = fs.read_file(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

#[test]
fn same_seed_same_calls_same_result() {
    assert_eq!(scripted(42), scripted(42));
    let distinct: std::collections::BTreeSet<_> = (0..8).map(scripted).collect();
    assert!(distinct.len() > 1, "the seed must matter");
}

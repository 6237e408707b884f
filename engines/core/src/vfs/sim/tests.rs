//! Model checks of the simulator's internals: random call sequences against
//! a plain `Vec` model of one file, and the torn-write outcome against every
//! outcome the definition allows.

use std::path::Path;

use proptest::prelude::*;

use super::crash::{survivor, Change, CrashMode, SplitMix64};
use super::SimFs;
use crate::vfs::{Backend, OpenMode};

#[derive(Debug, Clone)]
enum Op {
    Write { offset: u16, len: u8, byte: u8 },
    SetLen(u16),
    Sync,
    Flip { offset: u16, bit: u8 },
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..600u16, 0..64u8, any::<u8>()).prop_map(|(offset, len, byte)| Op::Write { offset, len, byte }),
        1 => (0..600u16).prop_map(Op::SetLen),
        2 => Just(Op::Sync),
        1 => (0..600u16, 0..8u8).prop_map(|(offset, bit)| Op::Flip { offset, bit }),
        1 => Just(Op::Crash),
    ]
}

proptest! {
    /// Whatever the calls, reads see the model, pending changes replay to
    /// what reads see, and a DropUnsynced crash goes back to the last sync.
    #[test]
    fn one_file_matches_its_model(ops in proptest::collection::vec(op(), 1..60)) {
        let fs = SimFs::new(5);
        let path = Path::new("/f");
        let mut file = fs.open(path, OpenMode::CreateNew).unwrap();
        fs.sync_dir(Path::new("/")).unwrap();
        let (mut visible, mut durable) = (Vec::new(), Vec::new());
        for op in ops {
            match op {
                Op::Write { offset, len, byte } => {
                    let data = vec![byte; usize::from(len)];
                    file.write_at(&data, u64::from(offset)).unwrap();
                    let end = usize::from(offset) + data.len();
                    if visible.len() < end {
                        visible.resize(end, 0);
                    }
                    visible[usize::from(offset)..end].copy_from_slice(&data);
                }
                Op::SetLen(len) => {
                    file.set_len(u64::from(len)).unwrap();
                    visible.resize(usize::from(len), 0);
                }
                Op::Sync => {
                    file.sync().unwrap();
                    durable = visible.clone();
                }
                Op::Flip { offset, bit } => {
                    let flipped = fs.flip_bit(path, u64::from(offset), bit);
                    prop_assert_eq!(flipped.is_ok(), usize::from(offset) < visible.len());
                    if flipped.is_ok() {
                        visible[usize::from(offset)] ^= 1 << bit;
                        if usize::from(offset) < durable.len() {
                            durable[usize::from(offset)] ^= 1 << bit;
                        }
                    }
                }
                Op::Crash => {
                    fs.crash(CrashMode::DropUnsynced);
                    visible = durable.clone();
                    file = fs.open(path, OpenMode::Existing).unwrap();
                }
            }
            fs.state.lock().check_invariants();
            prop_assert_eq!(&fs.read_file(path).unwrap(), &visible);
            let mut buf = vec![0u8; visible.len() + 1];
            let n = file.read_at(&mut buf, 0).unwrap();
            prop_assert_eq!(&buf[..n], &visible[..]);
        }
    }

    /// A torn crash leaves exactly one of the outcomes the definition
    /// allows: the first `k` changes replayed, the k-th cut if a write.
    #[test]
    fn torn_write_is_an_allowed_outcome(
        base in proptest::collection::vec(any::<u8>(), 0..40),
        changes in proptest::collection::vec(
            prop_oneof![
                (0..80u64, proptest::collection::vec(any::<u8>(), 0..20))
                    .prop_map(|(offset, data)| Change::Write { offset, data }),
                (0..80u64).prop_map(Change::SetLen),
            ],
            0..8,
        ),
        seed in any::<u64>(),
    ) {
        let mut rng = SplitMix64::new(seed);
        let mode = CrashMode::TornWrite { seed };
        let got = survivor(&base, &changes, 0, mode, &mut rng, &mut Default::default());
        let mut allowed = vec![base.clone()];
        let mut prefix = base.clone();
        for change in &changes {
            if let Change::Write { offset, data } = change {
                for cut in 0..data.len() {
                    let mut torn = prefix.clone();
                    Change::Write { offset: *offset, data: data[..cut].to_vec() }.apply(&mut torn);
                    allowed.push(torn);
                }
            }
            change.apply(&mut prefix);
            allowed.push(prefix.clone());
        }
        prop_assert!(allowed.contains(&got));
    }
}

#[test]
fn freed_inodes_do_not_accumulate() {
    let fs = SimFs::new(1);
    for i in 0..100 {
        let path = format!("/f{i}");
        let f = fs.open(Path::new(&path), OpenMode::CreateNew).unwrap();
        f.write_at(&[1; 100], 0).unwrap();
        fs.sync_dir(Path::new("/")).unwrap();
        drop(f);
        fs.remove_file(Path::new(&path)).unwrap();
        fs.sync_dir(Path::new("/")).unwrap();
    }
    assert_eq!(fs.state.lock().inode_count(), 0);
    // A removed file stays alive while a handle has it open.
    let f = fs.open(Path::new("/open"), OpenMode::CreateNew).unwrap();
    fs.remove_file(Path::new("/open")).unwrap();
    assert_eq!(fs.state.lock().inode_count(), 1);
    drop(f);
    assert_eq!(fs.state.lock().inode_count(), 0);
}

/// Eight unsynced pages, each filled with its own non-zero byte, over a file
/// whose first two pages were durable (byte 0xEE): what DropPages left.
fn drop_pages_outcome(seed: u64) -> (Vec<u8>, super::CrashStats) {
    let page = super::PAGE as usize;
    let fs = SimFs::new(9);
    let path = Path::new("/f");
    let file = fs.open(path, OpenMode::CreateNew).unwrap();
    file.write_at(&vec![0xEE; 2 * page], 0).unwrap();
    file.sync().unwrap();
    fs.sync_dir(Path::new("/")).unwrap();
    for p in 0..8u8 {
        file.write_at(&vec![p + 1; page], u64::from(p) * page as u64)
            .unwrap();
    }
    fs.crash(CrashMode::DropPages { seed });
    (fs.read_file(path).unwrap(), fs.crash_stats())
}

/// DropPages drops whole pages independently: every page is either what
/// was written or what was durable (0xEE, or zeros past the durable length);
/// the length is kept; and over a few seeds some file holds a dropped page
/// before a kept one, which suffix loss (every other mode) never produces.
#[test]
fn drop_pages_drops_pages_independently_not_as_a_suffix() {
    let page = super::PAGE as usize;
    let mut holes = 0;
    for seed in 0..32 {
        let (bytes, stats) = drop_pages_outcome(seed);
        assert_eq!(bytes.len(), 8 * page, "seed {seed}: length not kept");
        assert_eq!(stats.dirty_pages, 8);
        let mut dropped = Vec::new();
        for (p, chunk) in bytes.chunks(page).enumerate() {
            let old = if p < 2 { 0xEE } else { 0 };
            let new = p as u8 + 1;
            assert!(
                chunk.iter().all(|&b| b == new) || chunk.iter().all(|&b| b == old),
                "seed {seed}: page {p} is neither whole-new nor whole-durable"
            );
            dropped.push(chunk[0] == old);
        }
        let n = dropped.iter().filter(|d| **d).count() as u64;
        assert_eq!(stats.dropped_pages, n, "seed {seed}");
        let hole = dropped.windows(2).any(|w| w[0] && !w[1]);
        assert_eq!(stats.files_with_holes, u64::from(hole), "seed {seed}");
        holes += u64::from(hole);
    }
    assert!(
        holes > 8,
        "only {holes} of 32 crashes left a dropped page before a kept one"
    );
    // Deterministic: the same seed gives the same bytes.
    assert_eq!(drop_pages_outcome(5).0, drop_pages_outcome(5).0);
}

/// ProcessKill keeps every write, synced or not, and kills handles.
#[test]
fn process_kill_keeps_unsynced_writes() {
    let fs = SimFs::new(3);
    let path = Path::new("/f");
    let file = fs.open(path, OpenMode::CreateNew).unwrap();
    fs.sync_dir(Path::new("/")).unwrap();
    file.write_at(b"synced", 0).unwrap();
    file.sync().unwrap();
    file.write_at(b" and not", 6).unwrap();
    fs.crash(CrashMode::ProcessKill);
    assert_eq!(fs.read_file(path).unwrap(), b"synced and not");
    assert!(
        file.write_at(b"x", 0).is_err(),
        "a handle survived the kill"
    );
}

/// Bytes a filesystem holds after 64 KiB of unsynced 1 KiB appends, a
/// sync, and a second file written, left unsynced, then removed.
fn held_after_appends(fs: &SimFs) -> (usize, usize) {
    let dir = Path::new("/d");
    fs.create_dir_all(dir).expect("mkdir");
    let f = fs
        .open(&dir.join("log"), OpenMode::CreateNew)
        .expect("create log");
    for i in 0..64u64 {
        f.write_at(&[7; 1024], i * 1024).expect("append");
    }
    let unsynced = fs.state.lock().held_bytes();
    f.sync().expect("sync");
    fs.sync_dir(dir).expect("sync dir");
    let tmp = fs
        .open(&dir.join("tmp"), OpenMode::CreateNew)
        .expect("create tmp");
    tmp.write_at(&[1; 4096], 0).expect("write tmp");
    drop(tmp);
    fs.sync_dir(dir).expect("sync dir");
    fs.remove_file(&dir.join("tmp")).expect("remove tmp");
    fs.state.lock().check_invariants();
    // Bound first: a guard in the tail expression would outlive `f`, whose
    // drop takes the same lock.
    let held = fs.state.lock().held_bytes();
    (unsynced, held)
}

/// Without crash history a file is held once, whatever was synced, and a
/// removed file is freed at once; with it, unsynced writes are held twice,
/// synced bytes twice, and a removed file until its directory is synced.
#[test]
fn memory_filesystem_holds_each_file_once() {
    let (unsynced, after) = held_after_appends(&SimFs::memory());
    assert_eq!((unsynced, after), (64 * 1024, 64 * 1024));
    let (unsynced, after) = held_after_appends(&SimFs::new(1));
    assert_eq!(unsynced, 2 * 64 * 1024, "visible + pending");
    assert_eq!(
        after,
        2 * 64 * 1024 + 2 * 4096,
        "durable copies, removed file kept"
    );
}

/// A memory filesystem reads, lists and errs like the simulator, and its
/// crash keeps everything (there is no older state) but kills handles.
#[test]
fn memory_filesystem_behaves_like_the_simulator_but_keeps_all_on_crash() {
    let fs = SimFs::memory();
    let dir = Path::new("/d");
    assert_eq!(
        fs.open(&dir.join("f"), OpenMode::Create)
            .err()
            .map(|e| e.kind()),
        Some(std::io::ErrorKind::NotFound),
        "no directory yet"
    );
    fs.create_dir_all(dir).expect("mkdir");
    let f = fs
        .open(&dir.join("f"), OpenMode::CreateNew)
        .expect("create");
    f.write_at(b"never synced", 0).expect("write");
    f.set_len(5).expect("truncate");
    assert_eq!(fs.list_dir(dir).expect("list"), vec!["f".to_string()]);
    fs.crash(CrashMode::DropUnsynced);
    assert!(f.len().is_err(), "a handle survived the crash");
    assert_eq!(fs.read_file(&dir.join("f")).expect("read"), b"never");
    fs.state.lock().check_invariants();
}

/// A memory filesystem hands back what growth reserved past a file's end
/// when the file is synced: many written-out files must not cost twice
/// their size.
#[test]
fn memory_filesystem_trims_reserved_space_at_sync() {
    let fs = SimFs::memory();
    let path = Path::new("/table");
    let f = fs.open(path, OpenMode::CreateNew).expect("create");
    // 1.1 MiB in 4 KiB appends: doubling reserves up to 2 MiB.
    for i in 0..282u64 {
        f.write_at(&[3; 4096], i * 4096).expect("append");
    }
    let len = 282 * 4096;
    let slack = |fs: &SimFs| fs.state.lock().peek(path).expect("the file").slack();
    assert!(slack(&fs) > len / 4, "growth reserved {} bytes", slack(&fs));
    f.sync().expect("sync");
    assert!(slack(&fs) <= len / 4, "{} bytes still reserved", slack(&fs));
    assert_eq!(fs.read_file(path).expect("read").len(), len);
}

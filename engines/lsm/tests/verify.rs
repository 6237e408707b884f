//! `lsm::verify`: a clean directory reports its files, records and live
//! keys; a flipped byte in a table, the manifest or a WAL is reported with
//! the file and the offset of the damaged structure; garbage files never
//! make it panic.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use engine_core::{Options, VerifyReport, Vfs};
use lsm::sstable::{Footer, Index, FOOTER_LEN};
use rand::{Rng, SeedableRng};

/// 300 keys written, 40 deleted, 50 overwritten, with a tiny memtable so
/// that flushes and compactions leave several tables, and the last writes
/// in the WAL. Returns the live key count.
fn fill(dir: &Path) -> u64 {
    let opts = Options::parse(
        "memtable_bytes=4096,target_file_bytes=4096,block_bytes=256,background=false,sync=never",
    )
    .unwrap();
    let db = lsm::open(&Vfs::os(), dir, &opts).unwrap();
    for i in 0..300u32 {
        db.put(format!("key{i:05}").as_bytes(), &[b'v'; 40])
            .unwrap();
    }
    for i in 0..40u32 {
        db.delete(format!("key{:05}", i * 7).as_bytes()).unwrap();
    }
    for i in 0..50u32 {
        db.put(format!("key{:05}", i * 3).as_bytes(), b"new")
            .unwrap();
    }
    // The last few writes stay in the WAL.
    db.put(b"zzz-in-wal", b"1").unwrap();
    db.delete(b"key00299").unwrap();
    drop(db);
    // Deleted: i*7 for i<40 (40 keys), minus those rewritten (multiples of
    // 21 below 150: 0,21,...,147 = 8), plus key00299.
    300 - 40 + 8 - 1 + 1
}

fn verify(dir: &Path) -> VerifyReport {
    lsm::verify(&Vfs::os(), dir, &Options::new()).expect("verify runs")
}

fn files(r: &VerifyReport, kind: &str) -> Vec<PathBuf> {
    r.files
        .iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.path.clone())
        .collect()
}

fn flip(path: &Path, offset: u64) {
    let mut b = std::fs::read(path).unwrap();
    b[offset as usize] ^= 0x20;
    std::fs::write(path, b).unwrap();
}

fn assert_spot(r: &VerifyReport, path: &Path, offset: u64) {
    assert!(
        r.corrupt
            .iter()
            .any(|c| c.path == path && c.offset == offset),
        "no corrupt spot at {}:{offset}: {:?}",
        path.display(),
        r.corrupt
    );
}

#[test]
fn a_clean_directory_verifies_with_its_live_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let live = fill(tmp.path());
    let r = verify(tmp.path());
    assert!(r.is_clean(), "{:?}", r.corrupt);
    assert!(r.torn_tails.is_empty(), "{:?}", r.torn_tails);
    assert_eq!(r.live_keys, live);
    assert_eq!(files(&r, "manifest").len(), 1);
    assert!(files(&r, "sstable").len() > 1, "{:?}", r.files);
    assert_eq!(files(&r, "wal").len(), 1);
    let wal = r.files.iter().find(|f| f.kind == "wal").unwrap();
    assert!(wal.records >= 2, "{wal:?}");
    // The same count after a reopen (which flushes the WAL to a table).
    drop(lsm::open(&Vfs::os(), tmp.path(), &Options::new()).unwrap());
    let again = verify(tmp.path());
    assert!(again.is_clean(), "{:?}", again.corrupt);
    assert_eq!(again.live_keys, live);
}

#[test]
fn an_empty_or_new_directory_is_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let r = verify(tmp.path());
    assert!(r.is_clean() && r.files.is_empty() && r.live_keys == 0);
    drop(lsm::open(&Vfs::os(), tmp.path(), &Options::new()).unwrap());
    let r = verify(tmp.path());
    assert!(r.is_clean(), "{:?}", r.corrupt);
    assert_eq!(r.live_keys, 0);
}

#[test]
fn a_flipped_byte_in_a_data_block_names_the_table_and_block() {
    let tmp = tempfile::tempdir().unwrap();
    fill(tmp.path());
    let table = files(&verify(tmp.path()), "sstable")[0].clone();
    // The second data block, found through the table's own footer and index.
    let bytes = std::fs::read(&table).unwrap();
    let len = bytes.len() as u64;
    let footer = Footer::decode(&table, &bytes[bytes.len() - FOOTER_LEN..], len).unwrap();
    let ix = footer.index;
    let body = &bytes[ix.offset as usize..(ix.offset + ix.len - 4) as usize];
    let data_end = if footer.filter.len == 0 {
        ix.offset
    } else {
        footer.filter.offset
    };
    let index = Index::decode(&table, ix.offset, body, data_end).unwrap();
    assert!(index.len() > 2, "want several blocks, got {}", index.len());
    let block = index.handle(1);
    flip(&table, block.offset + 3);
    let r = verify(tmp.path());
    assert_spot(&r, &table, block.offset);
    // Only that block: the walk goes on past it.
    assert!(
        r.corrupt
            .iter()
            .filter(|c| c.offset != block.offset)
            .all(|c| c.offset >= data_end),
        "{:?}",
        r.corrupt
    );
}

#[test]
fn a_flipped_byte_in_the_manifest_names_it_and_the_edit() {
    let tmp = tempfile::tempdir().unwrap();
    fill(tmp.path());
    let manifest = tmp.path().join("MANIFEST");
    // Inside the first edit, past its 13-byte record header.
    flip(&manifest, 16 + 13 + 2);
    let r = verify(tmp.path());
    assert_spot(&r, &manifest, 16);
    // The file set is unknown, so every table is still checked.
    assert!(!files(&r, "sstable").is_empty(), "{:?}", r.files);
}

#[test]
fn a_flipped_byte_in_the_manifest_header_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    fill(tmp.path());
    let manifest = tmp.path().join("MANIFEST");
    flip(&manifest, 2);
    assert_spot(&verify(tmp.path()), &manifest, 0);
}

#[test]
fn a_flipped_byte_in_a_wal_names_it_and_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    fill(tmp.path());
    let wal = files(&verify(tmp.path()), "wal")[0].clone();
    // The first record's key (record header is 13 bytes).
    flip(&wal, 16 + 13);
    let r = verify(tmp.path());
    assert_spot(&r, &wal, 16);
}

#[test]
fn a_missing_table_is_reported_against_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    fill(tmp.path());
    let table = files(&verify(tmp.path()), "sstable")[0].clone();
    std::fs::remove_file(&table).unwrap();
    let r = verify(tmp.path());
    let name = table.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        r.corrupt
            .iter()
            .any(|c| c.path.ends_with("MANIFEST") && c.what.contains(&name)),
        "{:?}",
        r.corrupt
    );
}

/// Garbage of every size in place of each file kind: a report, never a
/// panic, and corruption is found.
#[test]
fn garbage_files_are_reported_never_panic() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
    let tmp = tempfile::tempdir().unwrap();
    fill(tmp.path());
    let clean = verify(tmp.path());
    let table = files(&clean, "sstable")[0].clone();
    let wal = files(&clean, "wal")[0].clone();
    let manifest = tmp.path().join("MANIFEST");
    let originals: Vec<(PathBuf, Vec<u8>)> = [&table, &wal, &manifest]
        .iter()
        .map(|p| (p.to_path_buf(), std::fs::read(p).unwrap()))
        .collect();
    for round in 0..60 {
        let (path, good) = &originals[round % 3];
        let mut bad = good.clone();
        let cut = round % 4 == 2;
        match round % 4 {
            // Random bytes over a random stretch.
            0 | 1 => {
                let at = rng.gen_range(0..bad.len());
                let end = (at + rng.gen_range(1..64)).min(bad.len());
                rng.fill(&mut bad[at..end]);
            }
            // Cut short.
            2 => bad.truncate(rng.gen_range(0..bad.len())),
            // All garbage.
            _ => {
                bad = vec![0; rng.gen_range(0..200)];
                rng.fill(&mut bad[..]);
            }
        }
        std::fs::write(path, &bad).unwrap();
        let r = verify(tmp.path());
        // A log cut short at a record boundary is what a crash before the
        // later appends leaves: clean. Any other change is noticed.
        if &bad != good && !cut {
            assert!(!r.is_clean() || !r.torn_tails.is_empty(), "round {round}");
        }
        std::fs::write(path, good).unwrap();
    }
    assert!(verify(tmp.path()).is_clean());
}

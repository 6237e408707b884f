//! Issue 15: options fixed at creation, directory ownership, hostile
//! lengths in files with valid checksums, and the order of two logs'
//! syncs around a background checkpoint.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use engine_core::vfs::SimFs;
use engine_core::{Engine, Error, Options, Vfs};

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(15);
    let vfs = fs.vfs();
    (fs, vfs, PathBuf::from("/db"))
}

fn try_open(vfs: &Vfs, dir: &Path, opts: &str) -> engine_core::Result<btree::BTree> {
    btree::open_btree(vfs, dir, &Options::parse(opts).unwrap())
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:07}").into_bytes()
}

fn fill(db: &btree::BTree, n: u32) {
    for i in 0..n {
        db.put(&key(i), &i.to_le_bytes().repeat(10)).unwrap();
    }
    db.sync().unwrap();
}

fn check_all(db: &btree::BTree, n: u32) {
    for i in 0..n {
        assert_eq!(
            db.get(&key(i)).unwrap(),
            Some(i.to_le_bytes().repeat(10)),
            "key {i}"
        );
    }
}

// ---- item 1: page_size is fixed at creation --------------------------

/// The reproduction: reopening with a larger page_size must not
/// write pages of that size into the file.
#[test]
fn reopening_with_a_larger_page_size_is_refused_and_leaves_the_database_intact() {
    let (_fs, vfs, dir) = setup();
    fill(&try_open(&vfs, &dir, "page_size=4096").unwrap(), 2_000);
    let err = try_open(&vfs, &dir, "page_size=8192")
        .err()
        .expect("refused");
    assert!(
        matches!(&err, Error::BadOption { key, .. } if key == "page_size"),
        "{err}"
    );
    assert!(err.to_string().contains("4096"), "{err}");
    let db = try_open(&vfs, &dir, "page_size=4096").unwrap();
    db.put(b"one more", b"x").unwrap();
    drop(db);
    let db = try_open(&vfs, &dir, "").unwrap();
    check_all(&db, 2_000);
    assert_eq!(db.get(b"one more").unwrap().as_deref(), Some(&b"x"[..]));
}

/// A smaller option used to panic in `Node::encode` at the checkpoint.
#[test]
fn reopening_with_a_smaller_page_size_is_refused_not_a_panic() {
    let (_fs, vfs, dir) = setup();
    fill(&try_open(&vfs, &dir, "page_size=4096").unwrap(), 2_000);
    let err = try_open(&vfs, &dir, "page_size=512")
        .err()
        .expect("refused");
    assert!(
        matches!(&err, Error::BadOption { key, .. } if key == "page_size"),
        "{err}"
    );
}

/// Without the option, the file's page size applies (the default does not
/// override it), including the key-size limit it sets.
#[test]
fn reopening_without_page_size_uses_the_files() {
    let (_fs, vfs, dir) = setup();
    fill(&try_open(&vfs, &dir, "page_size=512").unwrap(), 500);
    let db = try_open(&vfs, &dir, "").unwrap();
    // At 4 KiB pages a 200-byte key fits; at 512-byte pages it does not.
    assert!(matches!(
        db.put(&[b'k'; 200], b"v"),
        Err(Error::TooLarge { what: "key", .. })
    ));
    for i in 500..1_500 {
        db.put(&key(i), &i.to_le_bytes().repeat(10)).unwrap();
    }
    drop(db);
    check_all(&try_open(&vfs, &dir, "page_size=512").unwrap(), 1_500);
}

// ---- item 9: the directory must be the B+tree's -----------------------

/// A user's non-empty directory is refused, and nothing in it is touched
/// (a stray `wal.0` would have been deleted as an obsolete log).
#[test]
fn a_users_non_empty_directory_is_refused_and_left_alone() {
    let (fs, vfs, dir) = setup();
    fs.write_file(&dir.join("notes.txt"), b"mine").unwrap();
    fs.write_file(&dir.join("wal.0"), b"also mine").unwrap();
    let err = try_open(&vfs, &dir, "").err().expect("refused");
    assert!(matches!(err, Error::Unusable { .. }), "{err}");
    let names: Vec<_> = fs.files().into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, vec![dir.join("notes.txt"), dir.join("wal.0")]);
    assert!(btree::verify(&vfs, &dir, &Options::new()).is_err());
}

/// Another engine's database: refused by open, and not "clean" to verify.
#[test]
fn another_engines_directory_is_refused_and_never_verifies_clean() {
    let (fs, vfs, dir) = setup();
    // A B+tree's files under another engine's owner file.
    fill(&try_open(&vfs, &dir, "").unwrap(), 100);
    let other = PathBuf::from("/other");
    engine_core::ownership::claim(&vfs, &other, "lsm").unwrap();
    for (path, _) in fs.files() {
        if path.starts_with(&dir) && !path.ends_with(engine_core::ownership::OWNER_FILE) {
            let bytes = fs.read_file(&path).unwrap();
            fs.write_file(&other.join(path.file_name().unwrap()), &bytes)
                .unwrap();
        }
    }
    let err = try_open(&vfs, &other, "").err().expect("refused");
    assert!(matches!(err, Error::Unusable { .. }), "{err}");
    match btree::verify(&vfs, &other, &Options::new()) {
        Ok(report) => assert!(!report.is_clean(), "{report:?}"),
        Err(e) => assert!(e.to_string().contains("lsm"), "{e}"),
    }
    // Its own directory still verifies clean and reopens.
    assert!(btree::verify(&vfs, &dir, &Options::new())
        .unwrap()
        .is_clean());
    check_all(&try_open(&vfs, &dir, "").unwrap(), 100);
}

//! Issue 15 (reliability), item 9: the naive log only opens, creates files
//! in, and verifies a directory that is its own.

use std::path::PathBuf;

use engine_core::ownership::{self, OWNER_FILE};
use engine_core::vfs::SimFs;
use engine_core::{Error, Options, Vfs};

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(15);
    let vfs = fs.vfs();
    (fs, vfs, PathBuf::from("/db"))
}

#[test]
fn a_users_directory_is_refused_and_left_untouched() {
    let (fs, vfs, dir) = setup();
    fs.write_file(&dir.join("draft.tmp"), b"my draft").unwrap();
    let err = naive_log::open(&vfs, &dir, &Options::new())
        .err()
        .expect("refused");
    assert!(matches!(err, Error::Unusable { .. }), "{err}");
    assert!(err.to_string().contains("draft.tmp"), "{err}");
    assert_eq!(vfs.list_dir(&dir).unwrap(), ["draft.tmp"]);
    assert_eq!(fs.read_file(&dir.join("draft.tmp")).unwrap(), b"my draft");
}

#[test]
fn another_engines_directory_is_refused_by_open_and_verify() {
    let (fs, vfs, dir) = setup();
    ownership::claim(&vfs, &dir, "hash-log").unwrap();
    fs.write_file(&dir.join("0000000000100000.seg"), b"segment")
        .unwrap();
    let err = naive_log::verify(&vfs, &dir, &Options::new()).expect_err("not clean");
    assert!(matches!(err, Error::Unusable { .. }), "{err}");
    let err = naive_log::open(&vfs, &dir, &Options::new())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("hash-log"), "{err}");
    assert!(!vfs.exists(&dir.join(naive_log::LOG_FILE)).unwrap());
}

#[test]
fn an_owned_directory_reopens_and_keeps_its_owner_file_and_other_files() {
    let (fs, vfs, dir) = setup();
    {
        let db = naive_log::open(&vfs, &dir, &Options::new()).unwrap();
        db.put(b"k", b"v").unwrap();
    }
    fs.write_file(&dir.join("notes.txt"), b"mine").unwrap();
    let db = naive_log::open(&vfs, &dir, &Options::new()).unwrap();
    assert_eq!(db.get(b"k").unwrap(), Some(b"v".to_vec()));
    drop(db);
    assert!(vfs.exists(&dir.join(OWNER_FILE)).unwrap());
    assert_eq!(fs.read_file(&dir.join("notes.txt")).unwrap(), b"mine");
    let report = naive_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(report.corrupt.is_empty() && report.torn_tails.is_empty());
}

#[test]
fn a_cache_mb_that_is_not_a_size_is_refused_naming_it() {
    // Found by the kit's option-reopen check: the engine ignored cache_mb,
    // so `cache_mb=lots` opened without a word.
    let sim = engine_core::vfs::SimFs::new(1);
    let opts = engine_core::Options::new().with("cache_mb", "lots");
    let err = naive_log::open(&sim.vfs(), std::path::Path::new("/db"), &opts)
        .err()
        .expect("refused");
    assert!(
        matches!(&err, engine_core::Error::BadOption { key, .. } if key == "cache_mb"),
        "{err}"
    );
}

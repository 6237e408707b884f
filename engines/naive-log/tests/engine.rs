//! The naive log's own promises: exact byte counts, a get that reads the
//! whole log, torn tails truncated, damage reported with file and offset,
//! clear errors for bad options and unwritable directories, and `verify`.

use std::path::{Path, PathBuf};

use engine_core::record::{self, FILE_HEADER_LEN, RECORD_HEADER_LEN};
use engine_core::vfs::SimFs;
use engine_core::{Engine, Error, Options, Purpose, Vfs};

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(3);
    let vfs = fs.vfs();
    (fs, vfs, PathBuf::from("/db"))
}

fn open(vfs: &Vfs, dir: &Path) -> Box<dyn Engine> {
    naive_log::open(vfs, dir, &Options::new()).expect("open")
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join(naive_log::LOG_FILE)
}

#[test]
fn counted_bytes_equal_the_encoded_records() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir);
    let before = vfs.stats().snapshot();
    let mut expected = 0u64;
    for i in 0..500u32 {
        let key = format!("k{i}");
        let value = vec![b'v'; (i % 50) as usize];
        db.put(key.as_bytes(), &value).unwrap();
        expected += (RECORD_HEADER_LEN + key.len() + value.len()) as u64;
    }
    db.delete(b"k7").unwrap();
    expected += (RECORD_HEADER_LEN + 2) as u64;
    db.sync().unwrap();
    let io = vfs.stats().snapshot().since(&before);
    assert_eq!(io.purpose(Purpose::Wal).write_bytes, expected);
    assert_eq!(io.total().write_bytes, expected);
}

#[test]
fn a_get_reads_the_whole_log() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir);
    for i in 0..2000u32 {
        db.put(format!("key{i}").as_bytes(), &[1u8; 100]).unwrap();
    }
    db.sync().unwrap();
    // The log's own length: the directory also holds the owner file.
    let log_len = vfs
        .open(&log_path(&dir), engine_core::OpenMode::Existing)
        .unwrap()
        .len()
        .unwrap();
    let records_bytes = log_len - FILE_HEADER_LEN as u64;
    for key in ["key0", "key1999", "absent"] {
        let before = vfs.stats().snapshot();
        db.get(key.as_bytes()).unwrap();
        let q = vfs
            .stats()
            .snapshot()
            .since(&before)
            .purpose(Purpose::Query);
        assert_eq!(q.read_bytes, records_bytes, "get({key})");
        // 256 KiB reads: the log is read in a handful of calls.
        assert_eq!(
            q.read_calls,
            records_bytes.div_ceil(256 << 10),
            "get({key})"
        );
    }
}

#[test]
fn last_record_wins_and_tombstones_hide() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir);
    db.put(b"a", b"1").unwrap();
    db.put(b"b", b"2").unwrap();
    db.put(b"a", b"3").unwrap();
    db.delete(b"b").unwrap();
    db.put(b"c", b"").unwrap();
    assert_eq!(db.get(b"a").unwrap(), Some(b"3".to_vec()));
    assert_eq!(db.get(b"b").unwrap(), None);
    assert_eq!(db.get(b"c").unwrap(), Some(Vec::new()));
    assert_eq!(
        db.scan(b"", 10).unwrap(),
        vec![(b"a".to_vec(), b"3".to_vec()), (b"c".to_vec(), Vec::new())]
    );
}

#[test]
fn a_torn_tail_is_truncated_at_open() {
    let (fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir);
        db.put(b"durable", b"yes").unwrap();
    }
    let closed = fs.read_file(&log_path(&dir)).unwrap();
    // The writer died halfway through a 5000-byte record.
    let mut rec = Vec::new();
    record::encode(&mut rec, record::RecordKind::Put, b"lost", &[9u8; 5000]);
    let mut torn = closed.clone();
    torn.extend_from_slice(&rec[..2500]);
    fs.write_file(&log_path(&dir), &torn).unwrap();

    let db = open(&vfs, &dir);
    assert_eq!(db.get(b"durable").unwrap(), Some(b"yes".to_vec()));
    assert_eq!(db.get(b"lost").unwrap(), None);
    drop(db);
    // Truncated back to the closed log, then closed again (one more seal).
    let now = fs.read_file(&log_path(&dir)).unwrap();
    assert_eq!(&now[..closed.len()], &closed[..]);
    assert_eq!(now.len(), closed.len() + record::MARKER_LEN);
}

#[test]
fn damage_mid_log_is_corruption_with_file_and_offset() {
    let (fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir);
        db.put(b"first", b"value one").unwrap();
        db.put(b"second", b"value two").unwrap();
        db.sync().unwrap();
    }
    // Flip a bit in the first record's value.
    let first = FILE_HEADER_LEN as u64;
    fs.flip_bit(&log_path(&dir), first + RECORD_HEADER_LEN as u64 + 7, 2)
        .unwrap();
    let err = naive_log::open(&fs.vfs(), &dir, &Options::new())
        .err()
        .expect("a damaged log must not open");
    match &err {
        Error::Corruption { path, offset, .. } => {
            assert_eq!(path, &log_path(&dir));
            assert_eq!(*offset, first);
        }
        other => panic!("expected corruption, got {other}"),
    }
    let report = naive_log::verify(&fs.vfs(), &dir, &Options::new()).unwrap();
    assert!(!report.is_clean());
    assert_eq!(report.corrupt[0].offset, first);
}

#[test]
fn a_damaged_last_record_of_a_closed_log_is_not_a_torn_tail() {
    let (fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir);
        db.put(b"only", b"record").unwrap();
    } // clean close: marker appended and synced
    fs.flip_bit(&log_path(&dir), FILE_HEADER_LEN as u64 + 14, 0)
        .unwrap();
    assert!(matches!(
        naive_log::open(&fs.vfs(), &dir, &Options::new()),
        Err(Error::Corruption { .. })
    ));
}

#[test]
fn verify_reports_records_live_keys_and_torn_tails() {
    let (fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir);
        db.put(b"a", b"1").unwrap();
        db.put(b"b", b"2").unwrap();
        db.delete(b"a").unwrap();
    }
    let report = naive_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(report.is_clean() && report.torn_tails.is_empty());
    assert_eq!(report.live_keys, 1);
    assert_eq!(
        report.records(),
        3,
        "three writes (markers are not records)"
    );
    // A half-written record at the end is a torn tail, not corruption.
    let mut bytes = fs.read_file(&log_path(&dir)).unwrap();
    let mut rec = Vec::new();
    record::encode(&mut rec, record::RecordKind::Put, b"c", b"333");
    bytes.extend_from_slice(&rec[..rec.len() - 2]);
    fs.write_file(&log_path(&dir), &bytes).unwrap();
    let report = naive_log::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(report.is_clean());
    assert_eq!(report.torn_tails.len(), 1);
}

#[test]
fn a_version_1_log_is_refused_naming_the_file_and_both_versions() {
    let (fs, vfs, dir) = setup();
    drop(open(&vfs, &dir));
    let mut bytes = record::encode_file_header(naive_log::MAGIC, 1).to_vec();
    record::encode(&mut bytes, record::RecordKind::Put, b"k", b"v");
    fs.write_file(&log_path(&dir), &bytes).unwrap();
    let msg = naive_log::open(&vfs, &dir, &Options::new())
        .err()
        .expect("an old format must be refused")
        .to_string();
    assert!(
        msg.contains("naive.log") && msg.contains("version 1") && msg.contains("version 2"),
        "{msg}"
    );
}

#[test]
fn unknown_option_and_unwritable_directory_are_clear_errors() {
    let (fs, vfs, _dir) = setup();
    let opts = Options::parse("sync=always,page_size=4096").unwrap();
    let msg = naive_log::open(&vfs, Path::new("/x"), &opts)
        .err()
        .expect("unknown option")
        .to_string();
    assert!(msg.contains("page_size") && msg.contains("sync"), "{msg}");

    vfs.create_dir_all(Path::new("/ro")).unwrap();
    fs.set_dir_writable(Path::new("/ro"), false);
    let err = naive_log::open(&vfs, Path::new("/ro"), &Options::new())
        .err()
        .expect("unwritable directory");
    assert!(err.to_string().contains("/ro"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
    /// Any bytes after a valid header: open and verify return data or an
    /// error, never panic.
    #[test]
    fn arbitrary_log_bytes_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let fs = SimFs::new(1);
        let vfs = fs.vfs();
        let dir = PathBuf::from("/db");
        engine_core::ownership::claim(&vfs, &dir, naive_log::ENGINE_NAME).unwrap();
        let mut bytes = record::encode_file_header(naive_log::MAGIC, naive_log::VERSION).to_vec();
        bytes.extend_from_slice(&tail);
        fs.write_file(&log_path(&dir), &bytes).unwrap();
        let _ = naive_log::verify(&vfs, &dir, &Options::new());
        if let Ok(db) = naive_log::open(&vfs, &dir, &Options::new()) {
            let _ = db.scan(b"", 100);
        }
    }
}

//! Every persistent engine's on-disk format, pinned by a committed fixture
//! (issue 13 item 8): `tests/fixtures/formats/<engine>/` is a directory
//! written by the engine as it is today (the same deterministic puts and
//! deletes for each, then a clean close). Open must read it back exactly and
//! `verify` must call it clean; a copy with one byte flipped must be
//! reported as corruption by `verify`, and never read back as other data by
//! open. A change that makes today's code unable to read yesterday's files
//! fails here, so a format change is a decision (bump the version, say so,
//! regenerate with `HARNESS_WRITE_FORMAT_FIXTURES=1 cargo test -p harness
//! --test format_fixtures -- --test-threads 1`: one thread, so the damage
//! test does not copy a fixture being rewritten), not an accident.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use engine_core::{Options, Vfs};
use harness::registry::EngineSpec;

/// Engines with files to pin (mem keeps none). The options keep the files
/// small and push the LSM through flushes and a compaction and the hash log
/// through a segment roll.
const ENGINES: &[(&str, &str)] = &[
    ("naive-log", ""),
    ("hash-log", "segment_bytes=4096,background=false"),
    ("btree", "background=false"),
    (
        "lsm-leveled",
        "background=false,memtable_bytes=4096,target_file_bytes=4096",
    ),
    (
        "lsm-tiered",
        "background=false,memtable_bytes=4096,target_file_bytes=4096",
    ),
];

fn fixture_dir(engine: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(engine)
}

/// The writes every fixture holds, in order: 300 puts over 120 keys, then
/// every 7th key deleted (`None`).
fn writes() -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let puts = (0..300u32).map(|i| {
        let key = format!("key{:04}", i % 120).into_bytes();
        let value = format!("value {i} {}", "x".repeat((i % 37) as usize)).into_bytes();
        (key, Some(value))
    });
    let deletes = (0..120u32)
        .step_by(7)
        .map(|k| (format!("key{k:04}").into_bytes(), None));
    puts.chain(deletes).collect()
}

/// What the writes leave.
fn expected() -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut want = BTreeMap::new();
    for (key, value) in writes() {
        match value {
            Some(v) => want.insert(key, v),
            None => want.remove(&key),
        };
    }
    want
}

fn write_fixture(spec: &EngineSpec, options: &Options, dir: &Path) {
    let db = spec
        .open(&Vfs::os(), dir, options)
        .expect("open a new directory");
    for (key, value) in writes() {
        match value {
            Some(v) => db.put(&key, &v).expect("put"),
            None => db.delete(&key).expect("delete"),
        }
    }
    db.sync().expect("sync");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("list fixture") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

fn largest_file(dir: &Path) -> PathBuf {
    let mut best: Option<(u64, PathBuf)> = None;
    for e in std::fs::read_dir(dir).expect("list") {
        let e = e.expect("entry");
        let len = e.metadata().expect("stat").len();
        // The ownership marker is the engines' shared file, not their format.
        let data = e.file_name() != "ENGINE";
        if data
            && e.file_type().expect("type").is_file()
            && best.as_ref().map_or(true, |b| len > b.0)
        {
            best = Some((len, e.path()));
        }
    }
    best.expect("a file").1
}

fn regenerate(engine: &str, spec: &EngineSpec, options: &Options) {
    let dir = fixture_dir(engine);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove the old fixture");
    }
    write_fixture(spec, options, &dir);
}

#[test]
fn every_engine_reads_its_committed_files_and_verify_agrees() {
    for (engine, opts) in ENGINES {
        let spec = EngineSpec::parse(engine).expect("registered");
        let options = Options::parse(opts).expect("options");
        if std::env::var_os("HARNESS_WRITE_FORMAT_FIXTURES").is_some() {
            regenerate(engine, &spec, &options);
        }
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("db");
        copy_dir(&fixture_dir(engine), &dir);

        let report = harness::verify_cmd::verify(engine, &dir).expect("verify runs");
        assert!(
            report.corrupt.is_empty() && report.torn_tails.is_empty(),
            "{engine}: the committed fixture verifies dirty: {:?} {:?}",
            report.corrupt,
            report.torn_tails
        );
        let db = spec
            .open(&Vfs::os(), &dir, &options)
            .unwrap_or_else(|e| panic!("{engine}: today's code cannot open the fixture: {e}"));
        let got: BTreeMap<_, _> = db
            .scan(b"", usize::MAX)
            .expect("scan")
            .into_iter()
            .collect();
        assert_eq!(
            got,
            expected(),
            "{engine}: the fixture reads back differently"
        );
    }
}

#[test]
fn a_damaged_copy_of_every_fixture_is_reported_never_read_as_data() {
    for (engine, opts) in ENGINES {
        let spec = EngineSpec::parse(engine).expect("registered");
        let options = Options::parse(opts).expect("options");
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("db");
        copy_dir(&fixture_dir(engine), &dir);
        // One bit, in the middle of the largest file (data, not padding).
        let victim = largest_file(&dir);
        let mut bytes = std::fs::read(&victim).expect("read");
        let at = bytes.len() / 2;
        bytes[at] ^= 0x10;
        std::fs::write(&victim, &bytes).expect("write");

        let report = harness::verify_cmd::verify(engine, &dir).expect("verify runs");
        assert!(
            !report.corrupt.is_empty(),
            "{engine}: a flipped byte at {} offset {at} verified clean",
            victim.display()
        );
        // Open may refuse (corruption) or, for data it reads lazily, open;
        // what it returns must never be other data than was written.
        if let Ok(db) = spec.open(&Vfs::os(), &dir, &options) {
            let want = expected();
            for (k, v) in &want {
                match db.get(k) {
                    Ok(Some(got)) => assert_eq!(&got, v, "{engine}: wrong data for {k:?}"),
                    Ok(None) => panic!("{engine}: {k:?} silently missing"),
                    Err(e) => assert!(e.is_corruption(), "{engine}: {e}"),
                }
            }
        }
    }
}

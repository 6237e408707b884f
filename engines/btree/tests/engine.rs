//! The B+tree's own promises, checked from the I/O counters and the
//! engine's metrics: a lookup reads one page per uncached level, freed
//! pages are reused, values too large for a page round-trip through
//! overflow chains, damage is corruption naming the file and offset, and
//! bad options are named.

use std::path::{Path, PathBuf};

use btree::BTree;
use engine_core::vfs::SimFs;
use engine_core::{Engine, Error, Options, Purpose, Vfs};

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(11);
    let vfs = fs.vfs();
    (fs, vfs, PathBuf::from("/db"))
}

fn open(vfs: &Vfs, dir: &Path, opts: &str) -> BTree {
    btree::open_btree(
        vfs,
        dir,
        &Options::parse(opts).expect("the tests pass well-formed options"),
    )
    .expect("open")
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:07}").into_bytes()
}

/// A value that tells which key and which round wrote it.
fn value(i: u32, round: u8, len: usize) -> Vec<u8> {
    let mut v = vec![round; len];
    v[..4].copy_from_slice(&i.to_le_bytes());
    v
}

/// A fixed pseudo-random permutation step, so key order is scattered.
fn scatter(i: u32, n: u32) -> u32 {
    ((i as u64 * 7_919) % n as u64) as u32
}

const SMALL_PAGES: &str = "page_size=512,checkpoint_bytes=65536,background=false";

#[test]
fn a_lookup_reads_one_page_per_uncached_level() {
    let (_fs, vfs, dir) = setup();
    let n = 20_000;
    {
        let db = open(&vfs, &dir, &format!("{SMALL_PAGES},cache_pages=4096"));
        for i in 0..n {
            db.put(&key(scatter(i, n)), &value(i, 1, 40)).unwrap();
        }
    }
    // 64 pages hold the upper levels but a small share of the leaves.
    let db = open(&vfs, &dir, &format!("{SMALL_PAGES},cache_pages=64"));
    let pages = db.metrics().get("pages").unwrap();
    assert!(pages > 640.0, "data ({pages} pages) must be 10x the cache");
    let height = db.height();
    assert!(
        height >= 3,
        "height {height}: too shallow to show the bound"
    );

    // Cold: nothing is cached, so the first lookup reads the whole path,
    // one page per level.
    assert_eq!(db.cached_levels(), 0);
    let before = vfs.stats().snapshot();
    db.get(&key(0)).unwrap().expect("present");
    let q = vfs
        .stats()
        .snapshot()
        .since(&before)
        .purpose(Purpose::Query);
    assert_eq!(
        (q.read_calls, q.read_bytes),
        (height as u64, 512 * height as u64)
    );

    let mut reads = 0;
    let lookups = 4_000;
    for j in 0..lookups {
        let i = scatter(j * 13 + 5, n);
        let cached = db.cached_levels();
        let before = vfs.stats().snapshot();
        assert_eq!(db.get(&key(i)).unwrap().unwrap()[4..], [1u8; 36]);
        let got = vfs
            .stats()
            .snapshot()
            .since(&before)
            .purpose(Purpose::Query);
        assert!(
            got.read_calls <= (height - cached) as u64,
            "lookup {j}: {} reads with {cached} of {height} levels cached",
            got.read_calls
        );
        reads += got.read_calls;
    }
    // Warm, the root and the level below it stay cached (CLOCK keeps the
    // pages every lookup touches), so lookups average under height - 1.
    assert!(
        db.cached_levels() >= 2,
        "{} levels cached",
        db.cached_levels()
    );
    let per_lookup = reads as f64 / lookups as f64;
    assert!(
        per_lookup < (height - 1) as f64,
        "{per_lookup} reads per lookup"
    );
    // And the cache stayed within its bound.
    assert!(db.metrics().get("cached_pages").unwrap() <= 64.0);
}

#[test]
fn deleting_and_refilling_reuses_freed_pages() {
    let (_fs, vfs, dir) = setup();
    let n = 20_000;
    let db = open(&vfs, &dir, SMALL_PAGES);
    for j in 0..n {
        let i = scatter(j, n);
        db.put(&key(i), &value(i, 1, 60)).unwrap();
    }
    db.checkpoint().unwrap();
    let first_fill = db.metrics().get("pages").unwrap();

    for i in 0..n {
        if i % 10 != 0 {
            db.delete(&key(i)).unwrap();
        }
    }
    db.checkpoint().unwrap();
    let m = db.metrics();
    assert!(m.get("merges").unwrap() > 0.0, "deletes merged no pages");
    // The tree shrank: most pages went to the free list.
    assert!(m.get("free_pages").unwrap() > first_fill * 0.6, "{m:?}");

    for i in 0..n {
        if i % 10 != 0 {
            db.put(&key(i), &value(i, 2, 60)).unwrap();
        }
    }
    db.checkpoint().unwrap();
    let refill = db.metrics().get("pages").unwrap();
    // The refill builds the same tree shape from the free list; the bound
    // allows for leaves split at other points the second time.
    assert!(
        refill <= first_fill * 1.25,
        "file grew from {first_fill} to {refill} pages"
    );
    for i in (0..n).step_by(97) {
        let round = if i % 10 == 0 { 1 } else { 2 };
        assert_eq!(db.get(&key(i)).unwrap(), Some(value(i, round, 60)), "{i}");
    }
}

#[test]
fn large_values_live_in_overflow_pages_and_are_given_back() {
    let (_fs, vfs, dir) = setup();
    let big: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    {
        let db = open(&vfs, &dir, SMALL_PAGES);
        for i in 0..20 {
            db.put(&key(i), &big[..1000 * (i as usize + 1)]).unwrap();
        }
        db.put(b"small", b"v").unwrap();
    }
    let db = open(&vfs, &dir, SMALL_PAGES);
    for i in 0..20 {
        assert_eq!(
            db.get(&key(i)).unwrap().unwrap(),
            &big[..1000 * (i as usize + 1)]
        );
    }
    let pages = db.metrics().get("pages").unwrap();
    // Overwritten by small values, the chains go to the free list...
    for i in 0..20 {
        db.put(&key(i), b"short").unwrap();
    }
    db.checkpoint().unwrap();
    let free = db.metrics().get("free_pages").unwrap();
    assert!(free > pages * 0.8, "{free} of {pages} pages free");
    // ... and writing the values again takes them back without growing.
    for i in 0..20 {
        db.put(&key(i), &big[..1000 * (i as usize + 1)]).unwrap();
    }
    db.checkpoint().unwrap();
    assert!(db.metrics().get("pages").unwrap() <= pages);
    let scanned = db.scan(b"", 100).unwrap();
    assert_eq!(scanned.len(), 21);
    assert_eq!(scanned[3], (key(3), big[..4000].to_vec()));
}

#[test]
fn a_key_longer_than_a_quarter_page_is_refused_by_name() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir, SMALL_PAGES);
    let max = btree::tree::max_key(512);
    db.put(&vec![b'k'; max], b"fits").unwrap();
    match db.put(&vec![b'k'; max + 1], b"v") {
        Err(Error::TooLarge {
            what: "key",
            len,
            max: m,
        }) => assert_eq!((len, m), (max + 1, max)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(
        db.get(&vec![b'k'; max]).unwrap().as_deref(),
        Some(&b"fits"[..])
    );
}

#[test]
fn a_damaged_page_is_corruption_naming_file_and_offset() {
    let (fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir, SMALL_PAGES);
        for i in 0..2_000 {
            db.put(&key(i), &value(i, 1, 40)).unwrap();
        }
    }
    let pages = dir.join(btree::PAGE_FILE);
    // Page 5 is some page of the tree; damage one byte in its body.
    fs.flip_bit(&pages, 5 * 512 + 100, 3).unwrap();
    let db = open(&vfs, &dir, SMALL_PAGES);
    let mut seen = None;
    for i in 0..2_000 {
        match db.get(&key(i)) {
            Ok(Some(v)) => assert_eq!(v, value(i, 1, 40), "wrong data for {i}"),
            Ok(None) => panic!("key {i} lost without an error"),
            Err(Error::Corruption { path, offset, .. }) => {
                seen = Some((path, offset));
                break;
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(seen, Some((pages.clone(), 5 * 512)));
    drop(db);
    let report = btree::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(
        report
            .corrupt
            .iter()
            .any(|c| c.path == pages && c.offset == 5 * 512),
        "{report:?}"
    );
}

#[test]
fn a_clean_directory_verifies_with_its_live_keys() {
    let (_fs, vfs, dir) = setup();
    {
        let db = open(&vfs, &dir, SMALL_PAGES);
        for i in 0..3_000 {
            db.put(&key(i), &value(i, 1, 40)).unwrap();
        }
        for i in 0..1_000 {
            db.delete(&key(i)).unwrap();
        }
        db.checkpoint().unwrap();
        // Some writes only in the log, as after a crash.
        for i in 3_000..3_100 {
            db.put(&key(i), &value(i, 1, 40)).unwrap();
        }
        db.sync().unwrap();
        std::mem::forget(db);
    }
    let report = btree::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(report.corrupt.is_empty(), "{report:?}");
    assert_eq!(report.live_keys, 2_100);
}

#[test]
fn bad_options_name_the_option() {
    let (_fs, vfs, dir) = setup();
    for (opts, needle) in [
        ("page_size=1000", "page_size"),
        ("page_size=256", "page_size"),
        ("cache_pages=lots", "cache_pages"),
        ("background=perhaps", "background"),
        ("pagesize=4096", "pagesize"),
    ] {
        let err = btree::open(&vfs, &dir, &Options::parse(opts).unwrap())
            .err()
            .expect(opts);
        assert!(err.to_string().contains(needle), "{opts}: {err}");
    }
}

#[test]
fn a_checkpoint_writes_each_dirty_page_twice_and_nothing_else() {
    let (_fs, vfs, dir) = setup();
    let db = open(
        &vfs,
        &dir,
        &format!("{SMALL_PAGES},checkpoint_bytes=100000000"),
    );
    for i in 0..5_000 {
        db.put(&key(i), &value(i, 1, 40)).unwrap();
    }
    db.checkpoint().unwrap();
    // Ten updates to keys in ten different leaves dirty ten leaves.
    for i in (0..5_000).step_by(500) {
        db.put(&key(i), &value(i, 2, 40)).unwrap();
    }
    let dirty = db.metrics().get("dirty_pages").unwrap() as u64;
    assert_eq!(dirty, 10);
    let before = vfs.stats().snapshot();
    db.checkpoint().unwrap();
    let d = vfs.stats().snapshot().since(&before);
    // Doublewrite: the pages and the header page once to pages.dw (plus
    // its 64-byte header), then once in place.
    let images = (dirty + 1) * 512;
    assert_eq!(d.purpose(Purpose::Compaction).write_bytes, 64 + images);
    assert_eq!(d.purpose(Purpose::Flush).write_bytes, images);
    assert_eq!(d.purpose(Purpose::Query).read_calls, 0);
    assert_eq!(d.purpose(Purpose::WritePath).read_calls, 0);
}

/// Issue 14, item 3: the pages an update reads on its way to the leaf are
/// the write's cost, not a lookup's. Before `Purpose::WritePath` they were
/// billed as `Query` and inflated read amplification.
#[test]
fn write_path_reads_are_not_billed_as_queries() {
    let (_fs, vfs, dir) = setup();
    let n = 20_000;
    {
        let db = open(&vfs, &dir, &format!("{SMALL_PAGES},cache_pages=4096"));
        for i in 0..n {
            db.put(&key(scatter(i, n)), &value(i, 1, 40)).unwrap();
        }
    }
    let db = open(&vfs, &dir, &format!("{SMALL_PAGES},cache_pages=64"));
    let height = db.height() as u64;
    assert!(height >= 3, "height {height}");
    // Cold: the first update reads the whole path, one page per level,
    // and all of it as write-path reads.
    let before = vfs.stats().snapshot();
    db.put(&key(7), &value(7, 2, 40)).unwrap();
    let d = vfs.stats().snapshot().since(&before);
    assert_eq!(d.purpose(Purpose::Query).read_calls, 0);
    assert_eq!(d.purpose(Purpose::WritePath).read_calls, height);
    // Many scattered updates and deletes: still no query reads at all,
    // and write-path reads that a cold cache makes necessary.
    let before = vfs.stats().snapshot();
    for j in 0..2_000 {
        let i = scatter(j * 13 + 5, n);
        if j % 4 == 0 {
            db.delete(&key(i)).unwrap();
        } else {
            db.put(&key(i), &value(i, 3, 40)).unwrap();
        }
    }
    let d = vfs.stats().snapshot().since(&before);
    assert_eq!(d.purpose(Purpose::Query).read_calls, 0);
    assert!(d.purpose(Purpose::WritePath).read_calls > 1_000);
    // A lookup is still a query, and the same page count as before.
    let before = vfs.stats().snapshot();
    db.get(&key(scatter(99, n))).unwrap();
    let d = vfs.stats().snapshot().since(&before);
    assert_eq!(d.purpose(Purpose::WritePath).read_calls, 0);
    assert!(d.purpose(Purpose::Query).read_calls <= height);
}

#[test]
fn random_writes_near_the_inline_limit_match_a_model() {
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;
    let (_fs, vfs, dir) = setup();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut model = BTreeMap::new();
    let db = open(&vfs, &dir, SMALL_PAGES);
    // 512-byte pages: entries up to 163 bytes stay inline, so values of
    // 0..200 bytes mix three-to-a-leaf entries with overflow chains, and
    // deletes force merges and redistributions between them.
    for step in 0..30_000u32 {
        let k = key(rng.gen_range(0..2_000));
        if rng.gen_bool(0.3) {
            db.delete(&k).unwrap();
            model.remove(&k);
        } else {
            let v = value(step, rng.gen(), rng.gen_range(4..200));
            db.put(&k, &v).unwrap();
            model.insert(k, v);
        }
    }
    let m = db.metrics();
    assert!(m.get("merges").unwrap() > 0.0 && m.get("redistributions").unwrap() > 0.0);
    drop(db);
    let db = open(&vfs, &dir, SMALL_PAGES);
    let all = db.scan(b"", usize::MAX).unwrap();
    assert_eq!(all, model.into_iter().collect::<Vec<_>>());
    let report = btree::verify(&vfs, &dir, &Options::new()).unwrap();
    assert!(report.corrupt.is_empty(), "{report:?}");
}

#[test]
fn pages_new_to_the_file_skip_the_doublewrite() {
    let (_fs, vfs, dir) = setup();
    let db = open(
        &vfs,
        &dir,
        &format!("{SMALL_PAGES},checkpoint_bytes=100000000"),
    );
    for i in 0..2_000 {
        db.put(&key(i * 2), &value(i, 1, 40)).unwrap();
    }
    db.checkpoint().unwrap();
    let before_pages = db.metrics().get("pages").unwrap() as u64;
    // Inserting between the keys splits leaves: new pages past the file's
    // end, and the old leaves and parents they came from.
    for i in 0..2_000 {
        db.put(&key(i * 2 + 1), &value(i, 2, 40)).unwrap();
    }
    let dirty = db.metrics().get("dirty_pages").unwrap() as u64;
    let before = vfs.stats().snapshot();
    db.checkpoint().unwrap();
    let d = vfs.stats().snapshot().since(&before);
    let fresh = db.metrics().get("pages").unwrap() as u64 - before_pages;
    assert!(fresh > 0 && fresh < dirty, "fresh {fresh} of {dirty} dirty");
    // Every dirty page and the header once in place; only the pages that
    // existed before (and the header) also through pages.dw.
    assert_eq!(d.purpose(Purpose::Flush).write_bytes, (dirty + 1) * 512);
    assert_eq!(
        d.purpose(Purpose::Compaction).write_bytes,
        64 + (dirty - fresh + 1) * 512
    );
    drop(db);
    let db = open(&vfs, &dir, SMALL_PAGES);
    for i in (0..4_000).step_by(7) {
        assert!(db.get(&key(i)).unwrap().is_some(), "{i}");
    }
}

/// Every checkpoint is one event, and together they carry exactly the
/// bytes the page file and the doublewrite file were written (the WAL is
/// the only other writer, under its own purpose).
#[test]
fn checkpoint_events_carry_the_page_writes() {
    let (_fs, vfs, dir) = setup();
    let db = open(&vfs, &dir, &format!("{SMALL_PAGES},cache_pages=4096"));
    let before = vfs.stats().snapshot();
    let n = 20_000;
    for i in 0..n {
        db.put(&key(scatter(i, n)), &value(i, 1, 40)).unwrap();
    }
    let io = vfs.stats().snapshot().since(&before);
    let events = db.drain_events();
    assert!(events.len() > 2, "{} checkpoints", events.len());
    assert_eq!(
        events.len() as f64,
        db.metrics().get("checkpoints").unwrap()
    );
    assert!(events
        .iter()
        .all(|e| e.kind == engine_core::EventKind::Checkpoint && e.end >= e.start));
    let page_writes =
        io.purpose(Purpose::Flush).write_bytes + io.purpose(Purpose::Compaction).write_bytes;
    assert_eq!(events.iter().map(|e| e.bytes_out).sum::<u64>(), page_writes);
}

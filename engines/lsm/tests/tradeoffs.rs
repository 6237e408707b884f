//! The textbook trade-offs, measured with deterministic counters (one
//! thread, fixed seeds, `background=false`): bloom filters save reads on
//! misses; tiered compaction writes less than leveled; leveled takes less
//! space. These are the claims the harness's charts make, checked small.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use engine_core::{Engine, IoSnapshot, Options, Purpose, Vfs};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const SHAPE: &str =
    "memtable_bytes=65536,target_file_bytes=65536,block_bytes=1024,background=false,cache_mb=0";

fn open(vfs: &Vfs, dir: &Path, opts: &str) -> Box<dyn Engine> {
    lsm::open(
        vfs,
        dir,
        &Options::parse(&format!("{opts},{SHAPE}")).unwrap(),
    )
    .unwrap()
}

fn key(i: u64) -> Vec<u8> {
    format!("user{i:010}").into_bytes()
}

/// Load `n` keys in random order with 100-byte values.
fn load(db: &dyn Engine, n: u64, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut v = [0u8; 100];
    for _ in 0..n {
        rng.fill(&mut v[..]);
        db.put(&key(rng.gen_range(0..n)), &v).unwrap();
    }
    db.quiesce().unwrap();
}

/// Reads issued by `n` lookups of keys that are not there.
fn miss_reads(opts: &str) -> (IoSnapshot, engine_core::EngineMetrics) {
    let tmp = tempfile::tempdir().unwrap();
    let vfs = Vfs::os();
    let db = open(&vfs, tmp.path(), opts);
    load(db.as_ref(), 20_000, 1);
    let before = vfs.stats().snapshot();
    for i in 0..5_000 {
        // Interleaved with present keys, so every run's range covers them.
        let mut k = key(i * 4);
        k.push(b'x');
        assert_eq!(db.get(&k).unwrap(), None);
    }
    (vfs.stats().snapshot().since(&before), db.metrics())
}

#[test]
fn bloom_filters_cut_reads_on_misses() {
    for style in ["leveled", "tiered"] {
        let (with, m) = miss_reads(&format!("compaction={style},bloom_bits=10"));
        let (without, _) = miss_reads(&format!("compaction={style},bloom_bits=0"));
        let (w, wo) = (
            with.purpose(Purpose::Query).read_calls,
            without.purpose(Purpose::Query).read_calls,
        );
        assert!(
            wo >= 5_000,
            "{style}: without filters every miss reads a block ({wo})"
        );
        assert!(
            w * 20 < wo,
            "{style}: {w} reads with filters vs {wo} without"
        );
        // Per-table false-positive rate at 10 bits/key: theory 0.82%.
        let fp = m.get("bloom_fp_rate").unwrap();
        let theory = lsm::bloom::theoretical_fp_rate(1000, 10_000, 7);
        assert!(
            fp < 3.0 * theory,
            "{style}: measured fp rate {fp}, theory {theory}"
        );
        assert!(m.get("bloom_negatives").unwrap() > 4_000.0);
    }
}

/// Overwrite-heavy work: 4000 keys written 15 times over.
fn overwrite(opts: &str) -> (u64, u64, IoSnapshot) {
    let tmp = tempfile::tempdir().unwrap();
    let vfs = Vfs::os();
    let db = open(&vfs, tmp.path(), opts);
    let mut rng = SmallRng::seed_from_u64(9);
    let mut v = [0u8; 100];
    let mut user = 0u64;
    for _ in 0..60_000 {
        rng.fill(&mut v[..]);
        let k = key(rng.gen_range(0..4_000));
        user += (k.len() + v.len()) as u64;
        db.put(&k, &v).unwrap();
    }
    db.quiesce().unwrap();
    db.sync().unwrap();
    let io = vfs.stats().snapshot();
    let disk = vfs.dir_size(tmp.path()).unwrap();
    (user, disk, io)
}

#[test]
fn tiered_writes_less_leveled_takes_less_space() {
    let (user, disk_l, io_l) = overwrite("compaction=leveled,l0_trigger=2,size_ratio=4,base_mb=0");
    let (_, disk_t, io_t) = overwrite("compaction=tiered,size_ratio=4");
    let (wl, wt) = (io_l.total().write_bytes, io_t.total().write_bytes);
    eprintln!(
        "write amp leveled {:.2} tiered {:.2}; disk leveled {disk_l} tiered {disk_t}",
        wl as f64 / user as f64,
        wt as f64 / user as f64
    );
    assert!(wt < wl, "tiered wrote {wt} bytes, leveled {wl}");
    assert!(
        disk_l < disk_t,
        "leveled uses {disk_l} bytes on disk, tiered {disk_t}"
    );
}

#[test]
fn single_thread_counters_repeat_exactly() {
    let run = |style: &str| {
        let (_, disk, io) = overwrite(&format!("compaction={style}"));
        (disk, io)
    };
    for style in ["leveled", "tiered"] {
        assert_eq!(run(style), run(style), "{style}");
    }
}

/// Every byte lands under the purpose that caused it, and the metrics
/// report the tree's shape.
#[test]
fn io_is_counted_under_its_purpose() {
    let tmp = tempfile::tempdir().unwrap();
    let vfs = Vfs::os();
    let db = open(&vfs, tmp.path(), "compaction=leveled,l0_trigger=2");
    let s0 = vfs.stats().snapshot();
    load(db.as_ref(), 20_000, 3);
    let w = vfs.stats().snapshot().since(&s0);
    assert!(
        w.purpose(Purpose::Wal).write_bytes > 20_000 * 110,
        "every put is logged"
    );
    assert!(w.purpose(Purpose::Flush).write_bytes > 0);
    assert!(
        w.purpose(Purpose::Compaction).write_bytes > 0
            && w.purpose(Purpose::Compaction).read_bytes > 0
    );
    assert!(w.purpose(Purpose::Meta).write_bytes > 0 && w.purpose(Purpose::Meta).syncs > 0);
    assert_eq!(
        w.purpose(Purpose::Query).read_bytes,
        0,
        "no query, no query reads"
    );
    let s1 = vfs.stats().snapshot();
    for i in 0..100 {
        db.get(&key(i)).unwrap();
    }
    let r = vfs.stats().snapshot().since(&s1);
    assert!(r.purpose(Purpose::Query).read_calls > 0);
    assert_eq!(r.total().read_calls, r.purpose(Purpose::Query).read_calls);
    let m = db.metrics();
    for name in [
        "l0_files",
        "l1_bytes",
        "flushes",
        "compactions",
        "compaction_bytes_written",
        "bloom_probes",
        "bloom_fp_rate",
        "stalls",
        "stall_ms",
        "cache_hits",
        "cache_misses",
        "memtable_bytes",
        "pinned_bytes",
    ] {
        assert!(m.get(name).is_some(), "metric {name} missing: {m:?}");
    }
    assert!(m.get("l1_bytes").unwrap() > 0.0);
    drop(db);
    let s2 = vfs.stats().snapshot();
    let db = open(&vfs, tmp.path(), "compaction=leveled,l0_trigger=2");
    let o = vfs.stats().snapshot().since(&s2);
    assert!(o.purpose(Purpose::Recovery).read_bytes > 0);
    assert_eq!(o.purpose(Purpose::Query).read_bytes, 0);
    assert_eq!(db.scan(b"", usize::MAX).unwrap().len() as f64, {
        let mut keys = std::collections::BTreeSet::new();
        let mut rng = SmallRng::seed_from_u64(3);
        let mut v = [0u8; 100];
        for _ in 0..20_000 {
            rng.fill(&mut v[..]);
            keys.insert(rng.gen_range(0..20_000u64));
        }
        keys.len() as f64
    });
}

/// The events a load reports agree with the counters: one flush event per
/// flush carrying the table's bytes, one compaction event per compaction
/// carrying its bytes read and written, each ending after it started.
#[test]
fn events_account_for_every_flush_and_compaction() {
    for style in ["compaction=leveled", "compaction=tiered"] {
        let tmp = tempfile::tempdir().unwrap();
        let db = open(&Vfs::os(), tmp.path(), style);
        load(db.as_ref(), 20_000, 3);
        let events = db.drain_events();
        let m = db.metrics();
        let of = |kind: engine_core::EventKind| -> (f64, f64, f64) {
            events
                .iter()
                .filter(|e| e.kind == kind)
                .fold((0.0, 0.0, 0.0), |(n, i, o), e| {
                    assert!(e.end >= e.start, "{style}: {e:?}");
                    (n + 1.0, i + e.bytes_in as f64, o + e.bytes_out as f64)
                })
        };
        let metric = |name: &str| m.get(name).unwrap();
        let (flushes, _, flushed) = of(engine_core::EventKind::Flush);
        assert!(flushes > 0.0, "{style}: a 20k-key load flushes");
        assert_eq!(flushes, metric("flushes"), "{style}");
        assert_eq!(flushed, metric("flush_bytes"), "{style}");
        let (compactions, read, written) = of(engine_core::EventKind::Compaction);
        assert!(compactions > 0.0, "{style}: a 20k-key load compacts");
        assert_eq!(compactions, metric("compactions"), "{style}");
        assert_eq!(read, metric("compaction_bytes_read"), "{style}");
        assert_eq!(written, metric("compaction_bytes_written"), "{style}");
        assert!(db.drain_events().is_empty(), "{style}: drained once");
    }
}

/// A compaction's inputs leave the disk when it commits, not at the next
/// compaction: otherwise every space figure taken between two compactions
/// (the end of a run phase, which does not quiesce) counts one compaction's
/// worth of dead tables. With nothing else holding the old version, the
/// tables on disk after a sync are exactly the live ones.
#[test]
fn replaced_tables_are_deleted_when_their_compaction_commits() {
    for style in ["compaction=leveled", "compaction=tiered"] {
        let tmp = tempfile::tempdir().unwrap();
        let db = open(&Vfs::os(), tmp.path(), style);
        let mut rng = SmallRng::seed_from_u64(5);
        let mut v = [0u8; 100];
        for _ in 0..20_000 {
            rng.fill(&mut v[..]);
            db.put(&key(rng.gen_range(0..20_000)), &v).unwrap();
        }
        db.sync().unwrap();
        let m = db.metrics();
        assert!(m.get("compactions").unwrap() > 0.0, "{style}");
        let on_disk: u64 = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".sst"))
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert_eq!(on_disk as f64, m.get("table_bytes").unwrap(), "{style}");
    }
}

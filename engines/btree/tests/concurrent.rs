//! Readers in parallel with a writer, checked against a model.
//!
//! One writer thread puts new versions of a fixed set of keys (and inserts
//! and deletes a second set, so pages split, merge and go to the free
//! list), while reader threads get and scan the same engine. Every value
//! encodes its key and version and is a function of both, so a reader can
//! tell a torn value, another key's value or an invented one apart from a
//! real version. The pages are small and the cache tiny, so readers miss,
//! evict each other's pages and read through background checkpoints'
//! pending pages all the time; a value past a third of a page lives in an
//! overflow chain, which readers follow while the writer frees and reuses
//! chains.
//!
//! What the readers assert: every value seen is one the writer issued for
//! that key (the version is at most what the writer had announced when the
//! read returned), and per key the versions one reader sees never go
//! backwards (each get or scan sees the tree between two writes). After
//! the threads join, every acknowledged write is visible, and again after
//! a reopen.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use btree::BTree;
use engine_core::vfs::SimFs;
use engine_core::{Engine, Options, Vfs};

/// Keys loaded before the readers start and never deleted.
const STABLE: u64 = 150;
/// Keys the writer inserts and deletes.
const CHURN: u64 = 150;
const WRITES: u64 = 12_000;
const READERS: usize = 3;
const OPTS: &str = "page_size=512,cache_pages=24,checkpoint_bytes=32768,background=true";

fn open(vfs: &Vfs) -> BTree {
    btree::open_btree(vfs, Path::new("/db"), &Options::parse(OPTS).unwrap()).expect("open")
}

fn key(i: u64) -> Vec<u8> {
    let kind = if i < STABLE { "s" } else { "c" };
    format!("{kind}{i:05}").into_bytes()
}

fn key_index(k: &[u8]) -> u64 {
    std::str::from_utf8(&k[1..]).unwrap().parse().unwrap()
}

/// The value of version `v` of key `i`: both numbers, then bytes that are a
/// function of both, at a length that varies with the version (every
/// fifth one past a 512-byte page's inline limit, into overflow pages).
fn value(i: u64, v: u64) -> Vec<u8> {
    let len = if v % 5 == 4 {
        700 + (v % 3) as usize * 300
    } else {
        20 + (v % 40) as usize
    };
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&i.to_le_bytes());
    out.extend_from_slice(&v.to_le_bytes());
    for j in 16..len as u64 {
        out.push((i * 31 + v * 7 + j) as u8);
    }
    out
}

/// The version a value says it is, after checking it is exactly the value
/// of that version of key `i`.
fn version_of(i: u64, val: &[u8]) -> u64 {
    assert!(val.len() >= 16, "key {i}: value of {} bytes", val.len());
    let owner = u64::from_le_bytes(val[..8].try_into().unwrap());
    let v = u64::from_le_bytes(val[8..16].try_into().unwrap());
    assert_eq!(owner, i, "key {i} holds key {owner}'s value");
    assert!(
        val == value(i, v).as_slice(),
        "key {i} version {v}: torn value"
    );
    v
}

/// What the writer has told the readers: per key, the newest version it
/// has started to write (a reader may see it, never anything newer).
struct Announced {
    version: Vec<AtomicU64>,
}

/// One reader's view: the newest version seen per key.
struct View<'a> {
    announced: &'a Announced,
    seen: Vec<u64>,
}

impl View<'_> {
    fn check(&mut self, i: u64, val: &[u8]) {
        let v = version_of(i, val);
        let announced = self.announced.version[i as usize].load(Ordering::Acquire);
        assert!(
            v <= announced,
            "key {i}: version {v} was never written ({announced} announced)"
        );
        let seen = &mut self.seen[i as usize];
        assert!(v >= *seen, "key {i}: version {v} after version {}", *seen);
        *seen = v;
    }
}

#[test]
fn readers_in_parallel_with_a_writer_see_only_written_versions_in_order() {
    let fs = SimFs::new(23);
    let vfs = fs.vfs();
    let db = Arc::new(open(&vfs));
    for i in 0..STABLE {
        db.put(&key(i), &value(i, 0)).unwrap();
    }
    let announced = Arc::new(Announced {
        version: (0..STABLE + CHURN).map(|_| AtomicU64::new(0)).collect(),
    });
    let done = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..READERS)
        .map(|r| {
            let (db, announced, done) = (db.clone(), announced.clone(), done.clone());
            thread::spawn(move || {
                let mut view = View {
                    announced: &announced,
                    seen: vec![0; (STABLE + CHURN) as usize],
                };
                let mut reads = 0u64;
                let mut n = r as u64;
                // At least a few hundred reads even if the writer is quick.
                while !done.load(Ordering::Acquire) || reads < 300 {
                    n = n
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let i = (n >> 33) % (STABLE + CHURN);
                    if n % 16 == 0 {
                        let pairs = db.scan(&key(i), 12).unwrap();
                        for w in pairs.windows(2) {
                            assert!(w[0].0 < w[1].0, "scan out of order");
                        }
                        for (k, v) in &pairs {
                            assert!(k.as_slice() >= key(i).as_slice(), "scan before its start");
                            view.check(key_index(k), v);
                        }
                    } else {
                        match db.get(&key(i)).unwrap() {
                            Some(v) => view.check(i, &v),
                            None => assert!(i >= STABLE, "stable key {i} missing"),
                        }
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();

    // The writer: the model of what is acknowledged.
    let mut model: Vec<Option<u64>> = (0..STABLE + CHURN)
        .map(|i| (i < STABLE).then_some(0))
        .collect();
    let mut next = vec![1u64; (STABLE + CHURN) as usize];
    let mut n = 99u64;
    for _ in 0..WRITES {
        n = n
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let i = (n >> 33) % (STABLE + CHURN);
        if i >= STABLE && model[i as usize].is_some() && n % 3 == 0 {
            db.delete(&key(i)).unwrap();
            model[i as usize] = None;
            continue;
        }
        let v = next[i as usize];
        next[i as usize] += 1;
        announced.version[i as usize].store(v, Ordering::Release);
        db.put(&key(i), &value(i, v)).unwrap();
        model[i as usize] = Some(v);
    }
    done.store(true, Ordering::Release);
    for r in readers {
        assert!(r.join().expect("a reader panicked") >= 300);
    }

    let check = |db: &BTree, when: &str| {
        for (i, want) in model.iter().enumerate() {
            let got = db.get(&key(i as u64)).unwrap();
            assert_eq!(got, want.map(|v| value(i as u64, v)), "key {i} {when}");
        }
    };
    check(&db, "after the threads joined");
    let m = db.metrics();
    assert!(
        m.get("checkpoints").unwrap_or(0.0) > 0.0,
        "no checkpoint ran meanwhile"
    );
    assert!(
        m.get("cache_evictions").unwrap_or(0.0) > 0.0,
        "nothing was evicted"
    );
    db.sync().unwrap();
    drop(Arc::try_unwrap(db).ok().expect("readers are gone"));
    check(&open(&vfs), "after a reopen");
    let report = btree::verify(&vfs, Path::new("/db"), &Options::new()).unwrap();
    assert!(report.corrupt.is_empty(), "{report:?}");
}

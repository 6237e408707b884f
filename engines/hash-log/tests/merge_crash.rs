//! Issue 15 (kit finding `crash_background`): a merge that runs while
//! writes land in the active segment must not delete a durable record
//! whose only newer version is not durable yet.
//!
//! Merge decides what is dead from the keydir, and the keydir already
//! points at writes still buffered (or written but not synced) in the
//! active segment. With merges on their own thread that is the normal case
//! at `sync=never`: a merge ran while the writer appended. Deleting the
//! inputs then dropped the only durable copy of every key those unsynced
//! writes overwrote; a crash lost both versions (a synced write lost) or
//! left the key at an older value while later writes survived (a hole).
//!
//! The test makes the racy moment deterministic: `background=false` and
//! [`Engine::quiesce`] run the merge inline, right after an unsynced
//! overwrite.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use engine_core::vfs::{CrashMode, SimFs};
use engine_core::{Engine, Options, Vfs};

fn open(vfs: &Vfs, o: &str) -> Box<dyn Engine> {
    hash_log::open(vfs, Path::new("/db"), &Options::parse(o).unwrap()).expect("open")
}

const OPTS: &str = "segment_bytes=1024,merge_ratio=0.3,background=false,sync=never";

/// `k`'s synced value lives in a sealed segment; an unsynced overwrite in
/// the active segment makes it dead in the keydir; the merge runs; power
/// goes out. `k` must hold one of its two values, never neither.
fn merge_after_unsynced_overwrite(mode: CrashMode) {
    let sim = SimFs::new(7);
    let vfs = sim.vfs();
    let db = open(&vfs, OPTS);
    let v1 = vec![1u8; 600];
    let filler = vec![2u8; 400];
    // 16-byte header + 614 + 414 passes 1024: `f` seals the first segment.
    // Nothing is dead yet, so no merge runs at that roll.
    db.put(b"k", &v1).unwrap();
    db.put(b"f", &filler).unwrap();
    db.sync().unwrap();
    assert_eq!(db.metrics().get("merges"), Some(0.0));
    // Unsynced: only the keydir and the active segment's buffer know it.
    db.put(b"k", b"v2").unwrap();
    // 614 of the sealed segment's bytes are dead now: the merge is due,
    // copies `f` and deletes the first segment.
    db.quiesce().unwrap();
    assert_eq!(db.metrics().get("merges"), Some(1.0));
    sim.crash(mode);
    drop(db);

    let db = open(&vfs, OPTS);
    let got = db.get(b"k").unwrap();
    assert!(
        got.as_deref() == Some(&v1[..]) || got.as_deref() == Some(&b"v2"[..]),
        "{mode:?}: k lost its synced value and its pending one: {:?}",
        got.map(|v| v.len())
    );
    assert_eq!(db.get(b"f").unwrap(), Some(filler), "{mode:?}");
}

#[test]
fn a_merge_never_deletes_the_durable_value_of_a_key_overwritten_by_an_unsynced_write() {
    for mode in [
        CrashMode::DropUnsynced,
        CrashMode::ZeroTail,
        CrashMode::TornWrite { seed: 3 },
    ] {
        merge_after_unsynced_overwrite(mode);
    }
}

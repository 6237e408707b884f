//! The store: the keydir and the segments it points into, shared by the
//! writer ([`crate::engine`]), readers and merge ([`crate::merge`]).
//!
//! Both the engine and merge work on this state, so it lives apart from
//! both: neither module needs the other to reach it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use engine_core::record::{self, RecordKind, RECORD_HEADER_LEN};
use engine_core::{Durability, Error, EventLog, Purpose, Result, Vfs};

use crate::keydir::Keydir;
use crate::segment::{self, Segment, WRITE_STEP};

/// Settings from the options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub durability: Durability,
    pub segment_bytes: u64,
    pub merge_ratio: f64,
    pub background: bool,
}

/// The keydir and the segments: the state the writer, readers and merge
/// share.
pub(crate) struct Store {
    pub vfs: Vfs,
    pub dir: PathBuf,
    pub cfg: Config,
    pub keydir: RwLock<Keydir>,
    /// Every segment by id; readers hold the read lock across their read, so
    /// merge removes a segment only when no read is using it.
    pub segs: RwLock<BTreeMap<u64, Arc<Segment>>>,
    /// The segment writes append to. Held while a write appends and updates
    /// the keydir, so the two orders agree; never held across a commit.
    pub active: Mutex<Arc<Segment>>,
    /// One merge at a time.
    pub merge_lock: Mutex<()>,
    pub merges: AtomicU64,
    pub merge_bytes_written: AtomicU64,
    pub merge_errors: AtomicU64,
    /// A roll failed after its segment was synced: the next segment may
    /// exist on disk, so appending to the old one would put unsynced
    /// records in a segment that is no longer the newest (which open
    /// reports as corruption). Writes are refused until a reopen.
    pub roll_failed: AtomicBool,
    /// Merges as they end (see `Engine::drain_events`).
    pub events: EventLog,
}

impl Store {
    /// Seal `old` (synced and vouched for by its seal marker, so a later
    /// segment never holds data while an earlier one lost its tail, and
    /// damage to its last record is corruption) and start the next write
    /// segment.
    pub(crate) fn roll(&self, old: &Arc<Segment>) -> Result<Arc<Segment>> {
        old.log.seal()?;
        let id = (old.id / WRITE_STEP + 1) * WRITE_STEP;
        let seg = Arc::new(segment::create(
            &self.vfs,
            &self.dir,
            id,
            self.cfg.durability,
            Purpose::Wal,
        )?);
        self.segs.write().insert(id, Arc::clone(&seg));
        Ok(seg)
    }

    /// Dead bytes over all sealed segments pass `merge_ratio` of their size,
    /// and at least half a segment's worth (so merge never runs for crumbs).
    pub(crate) fn merge_due(&self) -> bool {
        let active = self.active.lock().id;
        // Keydir before segments, the order every other path takes (merge's
        // switch holds the keydir while it waits for the segments): the
        // other order deadlocked check_threads.
        let kd = self.keydir.read();
        let segs = self.segs.read();
        let (mut total, mut live) = (0u64, 0u64);
        for (id, s) in segs.range(..active) {
            total += s.log.len();
            live += kd.live_bytes(*id);
        }
        let dead = total.saturating_sub(live);
        total > 0
            && dead as f64 >= self.cfg.merge_ratio * total as f64
            && dead >= self.cfg.segment_bytes / 2
    }

    pub(crate) fn read_value(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        // A merge can move the key between the two lookups; the retry
        // finds the new location.
        for _ in 0..4 {
            let Some(loc) = self.keydir.read().get(key) else {
                return Ok(None);
            };
            let segs = self.segs.read();
            let Some(seg) = segs.get(&loc.seg) else {
                continue;
            };
            let mut buf = vec![0u8; loc.len as usize];
            seg.log.read_at(&mut buf, loc.offset, Purpose::Query)?;
            let corrupt = |what: String| Error::corruption(seg.log.file().path(), loc.offset, what);
            match record::decode(&buf) {
                Ok((r, n)) if n == buf.len() && r.key == key && r.kind == RecordKind::Put => {
                    buf.drain(..RECORD_HEADER_LEN + key.len());
                    return Ok(Some(buf));
                }
                Ok(_) => return Err(corrupt("record does not match the keydir entry".into())),
                Err(e) => return Err(corrupt(format!("{e:?}"))),
            }
        }
        Err(Error::Unusable {
            path: self.dir.clone(),
            why: "a key kept moving between segments during a get".into(),
        })
    }
}

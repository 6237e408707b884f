//! The engine: writes append to the active segment and update the keydir;
//! gets are one keydir lookup and one read.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use engine_core::record::{self, RecordKind, RECORD_HEADER_LEN};
use engine_core::{Durability, Engine, EngineMetrics, Error, Purpose, Result, Vfs};

use crate::keydir::{Keydir, Loc};
use crate::merge::Merger;
use crate::segment::{self, Segment, WRITE_STEP};

/// Settings from the options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub durability: Durability,
    pub segment_bytes: u64,
    pub merge_ratio: f64,
    pub background: bool,
}

/// State shared with the merge thread.
pub(crate) struct Inner {
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
}

/// The Bitcask engine.
pub struct HashLog {
    pub(crate) inner: Arc<Inner>,
    merger: Option<Merger>,
}

impl HashLog {
    pub(crate) fn new(inner: Inner) -> HashLog {
        let inner = Arc::new(inner);
        let merger = inner
            .cfg
            .background
            .then(|| Merger::start(Arc::clone(&inner)));
        HashLog { inner, merger }
    }

    fn write(&self, kind: RecordKind, key: &[u8], value: &[u8]) -> Result<()> {
        let inner = &self.inner;
        let (seg, appended, rolled) = {
            let mut active = inner.active.lock();
            let seg = Arc::clone(&active);
            if inner.roll_failed.load(Relaxed) {
                return Err(Error::Poisoned {
                    path: seg.log.file().path().to_path_buf(),
                });
            }
            let a = seg.log.append_buffered(kind, key, value)?;
            {
                let mut kd = inner.keydir.write();
                match kind {
                    RecordKind::Put => kd.insert(
                        key,
                        Loc {
                            seg: seg.id,
                            offset: a.offset,
                            len: a.len,
                        },
                    ),
                    _ => kd.remove(key),
                }
            }
            let rolled = seg.log.len() >= inner.cfg.segment_bytes;
            if rolled {
                match inner.roll(&seg) {
                    Ok(next) => *active = next,
                    Err(e) => {
                        inner.roll_failed.store(true, Relaxed);
                        return Err(e);
                    }
                }
            }
            (seg, a, rolled)
        };
        seg.log.settle(appended)?;
        if rolled {
            self.merge_if_due()?;
        }
        Ok(())
    }

    fn merge_if_due(&self) -> Result<()> {
        match &self.merger {
            Some(m) => {
                m.wake();
                Ok(())
            }
            None if self.inner.merge_due() => self.inner.merge().map(|_| ()),
            None => Ok(()),
        }
    }
}

impl Inner {
    /// Seal `old` (synced and vouched for by its seal marker, so a later
    /// segment never holds data while an earlier one lost its tail, and
    /// damage to its last record is corruption) and start the next write
    /// segment.
    fn roll(&self, old: &Arc<Segment>) -> Result<Arc<Segment>> {
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

    fn read_value(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
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

impl Engine for HashLog {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.read_value(key)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write(RecordKind::Put, key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        // Always a tombstone, even for a key the keydir lacks: after a failed
        // write the keydir can be ahead of the disk (the key's removal is in
        // memory, its tombstone is not), and only a write can tell the
        // caller that the engine now refuses writes.
        self.write(RecordKind::Delete, key, b"")
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let keys: Vec<Vec<u8>> = self
            .inner
            .keydir
            .read()
            .keys_from(start, limit)
            .into_iter()
            .map(|(k, _)| k.to_vec())
            .collect();
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            // A key deleted since the keydir was read is skipped.
            if let Some(v) = self.inner.read_value(&k)? {
                out.push((k, v));
            }
        }
        Ok(out)
    }

    fn sync(&self) -> Result<()> {
        let active = Arc::clone(&self.inner.active.lock());
        active.log.sync()
    }

    fn quiesce(&self) -> Result<()> {
        if self.inner.merge_due() {
            self.inner.merge()?;
        }
        Ok(())
    }

    fn metrics(&self) -> EngineMetrics {
        let inner = &self.inner;
        let kd = inner.keydir.read();
        let segs = inner.segs.read();
        let total: u64 = segs.values().map(|s| s.log.len()).sum();
        let live: u64 = segs.keys().map(|id| kd.live_bytes(*id)).sum();
        EngineMetrics::new()
            .with("keydir_keys", kd.len())
            .with("keydir_bytes", kd.memory_bytes())
            .with("segments", segs.len())
            .with("segment_bytes", total)
            .with("live_bytes", live)
            .with("dead_bytes", total.saturating_sub(live))
            .with("merges", inner.merges.load(Relaxed))
            .with(
                "merge_bytes_written",
                inner.merge_bytes_written.load(Relaxed),
            )
            .with("merge_errors", inner.merge_errors.load(Relaxed))
    }
}

impl Drop for HashLog {
    fn drop(&mut self) {
        if let Some(m) = self.merger.take() {
            m.stop();
        }
        // A clean close seals the active segment, so a damaged last record
        // is reported rather than taken for a torn tail; the next open
        // appends after the seal. Best effort: a drop has no caller for the
        // error, and the next open checks everything.
        let active = Arc::clone(&self.inner.active.lock());
        let _ = active.log.seal();
    }
}

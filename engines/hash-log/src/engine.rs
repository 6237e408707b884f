//! The engine: writes append to the active segment and update the keydir
//! (both held by the [`Store`]); gets are one keydir lookup and one read.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use engine_core::record::RecordKind;
use engine_core::{Engine, EngineMetrics, Error, Event, Result};

use crate::keydir::Loc;
use crate::merge::Merger;
use crate::store::Store;

/// The Bitcask engine.
pub struct HashLog {
    pub(crate) inner: Arc<Store>,
    merger: Option<Merger>,
}

impl HashLog {
    pub(crate) fn new(inner: Store) -> HashLog {
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

    fn drain_events(&self) -> Vec<Event> {
        self.inner.events.drain()
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

//! The write path: WAL append, memtable insert, group commit, rotation,
//! stalls.
//!
//! A write appends its record to the WAL buffer and inserts into the active
//! memtable under the `write` lock, a few hundred nanoseconds, then leaves
//! the lock before any fsync. With `sync=always` it then waits for its
//! log position to be durable: the first waiter to take `sync_lock` writes
//! out the buffer and fsyncs for everyone whose records are in it (group
//! commit), so N concurrent writers share one fsync rather than queueing N.
//!
//! When the memtable reaches `memtable_bytes`, the writer that filled it
//! *rotates*: a new WAL and memtable take over, and the full memtable joins
//! the immutable list for the flusher. The old WAL is closed first: its
//! buffer written, a close trailer appended, fsynced, all before the new
//! WAL exists. That costs one fsync per rotation (creating the new WAL
//! already costs two), and buys the rule recovery relies on: a torn tail
//! can only be in the newest WAL, so damage in an older one is reported as
//! corruption instead of silently ending the replay. It also means a sync
//! only ever has the current WAL to fsync.
//!
//! Writers *stall* before taking the lock while `max_imm` memtables await a
//! flush or level 0 is at `l0_stop` with a compaction due; each stall and
//! its duration are counted.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine_core::record::RecordKind;
use engine_core::{Durability, Result};

use super::{Shared, SuperVersion, WriteState};
use crate::memtable::Memtable;
use crate::wal::WalWriter;

impl Shared {
    /// Apply one put (`Some`) or delete (`None`).
    pub(crate) fn write_record(&self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.check_poisoned()?;
        if self.opts.background {
            self.maybe_stall()?;
        }
        let sync_to = {
            let mut w = self.write.lock();
            self.check_poisoned()?;
            let (kind, v) = match value {
                Some(v) => (RecordKind::Put, v),
                None => (RecordKind::Delete, &b""[..]),
            };
            let n = match w.wal.append(kind, key, v) {
                Ok(n) => n,
                Err(e) => {
                    self.poison(w.wal.path());
                    return Err(e);
                }
            };
            w.seq += 1;
            let seq = w.seq;
            w.mem.insert(key, seq, value);
            w.lsn += n;
            if w.mem.size() >= self.opts.memtable_bytes {
                self.rotate(&mut w)?;
            }
            match self.opts.durability {
                Durability::Always => Some(w.lsn),
                Durability::Bytes(b) if w.lsn - self.synced_lsn.load(Ordering::Acquire) >= b => {
                    Some(w.lsn)
                }
                _ => None,
            }
        };
        if let Some(lsn) = sync_to {
            self.sync_to(lsn)?;
        }
        Ok(())
    }

    /// Make every record up to log position `lsn` durable (group commit).
    pub(crate) fn sync_to(&self, lsn: u64) -> Result<()> {
        if self.synced_lsn.load(Ordering::Acquire) >= lsn {
            return Ok(());
        }
        let _leader = self.sync_lock.lock();
        if self.synced_lsn.load(Ordering::Acquire) >= lsn {
            return Ok(());
        }
        self.check_poisoned()?;
        // Rotation synced every older WAL, and creating a WAL synced its
        // name, so the current WAL is all there is to fsync.
        let (file, target) = {
            let mut w = self.write.lock();
            if let Err(e) = w.wal.write_out() {
                self.poison(w.wal.path());
                return Err(e);
            }
            (w.wal.file(), w.lsn)
        };
        if let Err(e) = file.sync(engine_core::Purpose::Wal) {
            self.poison(file.path());
            return Err(e);
        }
        self.synced_lsn.fetch_max(target, Ordering::AcqRel);
        Ok(())
    }

    /// `Engine::sync`: everything acknowledged so far becomes durable.
    pub(crate) fn sync_all(&self) -> Result<()> {
        self.check_poisoned()?;
        let lsn = self.write.lock().lsn;
        self.sync_to(lsn)
    }

    /// Close the full WAL, swap in a new WAL and memtable; the full
    /// memtable goes to the flusher.
    fn rotate(&self, w: &mut WriteState) -> Result<()> {
        // Synced whole, trailer included, before the next WAL exists (see
        // the module comment). A failure poisons: the closed state of the
        // file is unknown, and nothing may be appended after a trailer.
        if let Err(e) = w.wal.close() {
            self.poison(w.wal.path());
            return Err(e);
        }
        // Every record appended so far is in the file just fsynced.
        self.synced_lsn.fetch_max(w.lsn, Ordering::AcqRel);
        let number = self.alloc_file();
        let wal = match WalWriter::create(&self.vfs, &self.dir, number) {
            Ok(wal) => wal,
            Err(e) => {
                self.poison(&crate::wal::path(&self.dir, number));
                return Err(e);
            }
        };
        let mem = Arc::new(Memtable::new(number));
        let old = std::mem::replace(&mut w.mem, mem.clone());
        w.wal = wal;
        {
            let mut sv = self.sv.write();
            let mut imm = Vec::with_capacity(sv.imm.len() + 1);
            imm.push(old);
            imm.extend(sv.imm.iter().cloned());
            self.imm_count.store(imm.len(), Ordering::Release);
            *sv = Arc::new(SuperVersion {
                mem,
                imm,
                version: sv.version.clone(),
            });
        }
        if self.opts.background {
            self.bg_cv.notify_all();
            Ok(())
        } else {
            self.flush_pending()?;
            self.compact_until_done()
        }
    }

    /// Wait while flushes or level 0 are behind.
    fn maybe_stall(&self) -> Result<()> {
        let behind = || {
            self.imm_count.load(Ordering::Acquire) >= self.opts.max_imm
                || self.l0_stall.load(Ordering::Acquire)
        };
        if !behind() {
            return Ok(());
        }
        let start = Instant::now();
        self.stats.stalls.fetch_add(1, Ordering::Relaxed);
        let mut bg = self.bg.lock();
        while behind() && !bg.shutdown {
            self.check_poisoned()?;
            self.bg_cv.wait_for(&mut bg, Duration::from_millis(50));
        }
        drop(bg);
        self.stats
            .stall_nanos
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.check_poisoned()
    }
}

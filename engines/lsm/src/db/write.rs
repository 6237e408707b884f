//! The write path: WAL append, memtable insert, group commit, rotation,
//! stalls.
//!
//! A write appends its record to the WAL buffer
//! ([`LogWriter::append_buffered`](engine_core::log::LogWriter::append_buffered))
//! and inserts into the active memtable under the `write` lock, a few
//! hundred nanoseconds, then leaves the lock before any I/O and *settles*
//! the record in the shared log writer: with `sync=always` the first waiter
//! becomes the leader, takes the whole buffer, writes it and fsyncs once
//! for everyone whose records are in it (group commit), so N concurrent
//! writers share one fsync rather than queueing N; `sync=bytes:N` commits
//! once N bytes are pending; `sync=never` only writes out a large buffer.
//!
//! When the memtable reaches `memtable_bytes`, the writer that filled it
//! *rotates*: a new WAL and memtable take over, and the full memtable joins
//! the immutable list for the flusher. The old WAL is sealed first: its
//! buffer written and fsynced, a sync marker vouching for all of it
//! appended and fsynced, all before the new WAL exists. That costs up to
//! two fsyncs per rotation (creating the new WAL already costs two), and
//! buys the rule recovery relies on: a torn tail can only be in the newest
//! WAL, so damage in an older one is reported as corruption instead of
//! silently ending the replay. It also means a sync only ever has the
//! current WAL to fsync.
//!
//! Writers *stall* before taking the lock while `max_imm` memtables await a
//! flush or level 0 is at `l0_stop` with a compaction due; each stall and
//! its duration are counted.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine_core::record::RecordKind;
use engine_core::{EventKind, Result};

use super::{Shared, SuperVersion, WriteState};
use crate::files;
use crate::memtable::Memtable;
use crate::wal;

impl Shared {
    /// Apply one put (`Some`) or delete (`None`).
    pub(crate) fn write_record(&self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.check_poisoned()?;
        if self.opts.background {
            self.maybe_stall()?;
        }
        let (wal, appended) = {
            let mut w = self.write.lock();
            self.check_poisoned()?;
            let (kind, v) = match value {
                Some(v) => (RecordKind::Put, v),
                None => (RecordKind::Delete, &b""[..]),
            };
            let appended = match w.wal.append_buffered(kind, key, v) {
                Ok(a) => a,
                Err(e) => {
                    self.poison(w.wal.file().path());
                    return Err(e);
                }
            };
            let wal = w.wal.clone();
            w.seq += 1;
            let seq = w.seq;
            w.mem.insert(key, seq, value);
            if w.mem.size() >= self.opts.memtable_bytes {
                self.rotate(&mut w)?;
            }
            (wal, appended)
        };
        // The commit the durability mode asks for, outside the lock (group
        // commit in the shared writer). After a rotation `wal` is sealed,
        // which made the record durable already.
        wal.settle(appended)
            .inspect_err(|_| self.poison(wal.file().path()))
    }

    /// `Engine::sync`: everything acknowledged so far becomes durable.
    /// Rotation sealed every older WAL before its successor existed, so the
    /// current WAL is all there is to sync.
    pub(crate) fn sync_all(&self) -> Result<()> {
        self.check_poisoned()?;
        let wal = self.write.lock().wal.clone();
        wal.sync().inspect_err(|_| self.poison(wal.file().path()))
    }

    /// Seal the full WAL, swap in a new WAL and memtable; the full memtable
    /// goes to the flusher.
    fn rotate(&self, w: &mut WriteState) -> Result<()> {
        // Sealed before the next WAL exists (see the module comment). A
        // failure poisons: the state of the file is unknown, and nothing
        // may be appended after a seal.
        if let Err(e) = w.wal.seal() {
            self.poison(w.wal.file().path());
            return Err(e);
        }
        let number = self.alloc_file();
        let wal = match wal::create(&self.vfs, &self.dir, number, self.opts.durability) {
            Ok(wal) => Arc::new(wal),
            Err(e) => {
                self.poison(&files::wal_path(&self.dir, number));
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
        let cause = if self.imm_count.load(Ordering::Acquire) >= self.opts.max_imm {
            "memtables awaiting flush"
        } else {
            "level 0 at l0_stop"
        };
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
        self.events
            .record_since(EventKind::WriteStall, start, (0, 0), cause.into());
        self.check_poisoned()
    }
}

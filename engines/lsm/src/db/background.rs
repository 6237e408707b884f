//! Flushes and compactions, on background threads or inline.
//!
//! Both end in a *commit*: under the `versions` lock, append the edit to the
//! manifest (fsynced), build the next version, publish a new super version,
//! and only then delete what the edit made obsolete: WALs below the new log
//! number, and replaced tables once no reader still holds them.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use engine_core::{Error, EventKind, Purpose, Result};

use super::{Shared, SuperVersion, VersionSet};
use crate::compaction::exec::{self, Ctx};
use crate::compaction::{self, PolicyState};
use crate::files::{self, table_path};
use crate::manifest::{self, ManifestWriter, VersionEdit};
use crate::memtable::Memtable;
use crate::sstable::block::Kind;
use crate::sstable::builder::{TableBuilder, TableShape};
use crate::sstable::reader::Table;
use crate::version::Version;

impl Shared {
    pub(crate) fn shape(&self) -> TableShape {
        TableShape {
            block_bytes: self.opts.block_bytes,
            restart_interval: self.opts.restart_interval,
            bloom_bits: self.opts.bloom_bits,
        }
    }

    /// Write a memtable as one table (none if it is empty).
    pub(crate) fn write_memtable(
        &self,
        mem: &Memtable,
        purpose: Purpose,
    ) -> Result<Option<Arc<Table>>> {
        if mem.is_empty() {
            return Ok(None);
        }
        let n = self.alloc_file();
        write_memtable(
            &self.vfs,
            &self.dir,
            n,
            self.shape(),
            &self.cache,
            mem,
            purpose,
        )
    }

    /// Flush the oldest immutable memtable; false if there is none.
    fn flush_one(&self) -> Result<bool> {
        self.check_poisoned()?;
        let Some(mem) = self.current_sv().imm.last().cloned() else {
            return Ok(false);
        };
        let started = Instant::now();
        let table = self.write_memtable(&mem, Purpose::Flush)?;
        let mut vs = self.versions.lock();
        let sv = self.current_sv();
        // The oldest memtable still unflushed after this one owns the
        // oldest WAL that must be replayed.
        let log_number = sv.imm.iter().rev().nth(1).unwrap_or(&sv.mem).wal_number;
        let mut edit = VersionEdit {
            log_number: Some(log_number),
            next_file: Some(self.next_file.load(Ordering::SeqCst)),
            last_seq: Some(vs.last_seq.max(mem.max_seq())),
            ..VersionEdit::default()
        };
        let mut opened = HashMap::new();
        if let Some(t) = table {
            edit.added.push((0, t.meta.number, t.meta.clone()));
            self.stats
                .flush_bytes
                .fetch_add(t.meta.size, Ordering::Relaxed);
            opened.insert(t.meta.number, t);
        }
        self.commit(&mut vs, &edit, &opened, |imm| {
            imm.retain(|m| !Arc::ptr_eq(m, &mem))
        })?;
        vs.log_number = log_number;
        self.log_number.store(log_number, Ordering::Release);
        // Before the WAL goes: a marker vouching for the edit, so that a
        // flip in it reads as corruption, never as an edit that did not
        // commit (its writes would then be in no file at all).
        if let Err(e) = vs.manifest.mark() {
            self.poison(&manifest::path(&self.dir));
            return Err(e);
        }
        drop(vs);
        self.stats.flushes.fetch_add(1, Ordering::Relaxed);
        let out = edit.added.first().map_or(0, |(_, _, meta)| meta.size);
        let detail = format!("memtable of WAL {} to L0", mem.wal_number);
        let io = (mem.size(), out);
        self.events
            .record_since(EventKind::Flush, started, io, detail);
        // The WAL is obsolete now; if the delete is lost in a crash, the
        // next open deletes it (it is below the log number).
        let _ = self
            .vfs
            .remove_file(&files::wal_path(&self.dir, mem.wal_number));
        self.bg_cv.notify_all();
        Ok(true)
    }

    /// Append `edit` to the manifest and publish the version it makes;
    /// `imm` adjusts the immutable memtable list in the same swap.
    fn commit(
        &self,
        vs: &mut VersionSet,
        edit: &VersionEdit,
        opened: &HashMap<u64, Arc<Table>>,
        imm: impl FnOnce(&mut Vec<Arc<Memtable>>),
    ) -> Result<()> {
        // After a failed manifest sync nothing may follow the failed edit:
        // whether it is durable is unknown until a reopen reads it back.
        // Checked under the `versions` lock, which every commit holds, so a
        // flush and a compaction racing a failure cannot slip past it.
        self.check_poisoned()?;
        if let Err(e) = vs.manifest.append(edit) {
            self.poison(&manifest::path(&self.dir));
            return Err(e);
        }
        if let Some(s) = edit.last_seq {
            vs.last_seq = s;
        }
        let version = Arc::new(vs.current.apply(edit, opened));
        vs.current = version.clone();
        {
            let mut sv = self.sv.write();
            let mut list = sv.imm.clone();
            imm(&mut list);
            self.imm_count.store(list.len(), Ordering::Release);
            *sv = Arc::new(SuperVersion {
                mem: sv.mem.clone(),
                imm: list,
                version: version.clone(),
            });
        }
        self.update_stall_flag(&version, &vs.policy);
        if vs.manifest.len() > manifest::REWRITE_BYTES {
            self.rewrite_manifest(vs)?;
        }
        Ok(())
    }

    /// Replace a grown manifest with a snapshot of the current state.
    fn rewrite_manifest(&self, vs: &mut VersionSet) -> Result<()> {
        let snapshot = VersionEdit {
            log_number: Some(vs.log_number),
            next_file: Some(self.next_file.load(Ordering::SeqCst)),
            last_seq: Some(vs.last_seq),
            added: vs.current.snapshot_files(),
            deleted: Vec::new(),
        };
        match ManifestWriter::rewrite(&self.vfs, &self.dir, &snapshot) {
            Ok(m) => {
                vs.manifest = m;
                Ok(())
            }
            Err(e) => {
                self.poison(&manifest::path(&self.dir));
                Err(e)
            }
        }
    }

    pub(crate) fn update_stall_flag(&self, v: &Version, policy: &PolicyState) {
        let stall = v.l0_runs() >= self.opts.l0_stop
            && compaction::pick(&v.view(), &self.opts, &mut policy.clone()).is_some();
        self.l0_stall.store(stall, Ordering::Release);
    }

    /// Run one due compaction; false if none is due.
    pub(crate) fn compact_once(&self) -> Result<bool> {
        self.check_poisoned()?;
        let (task, version) = {
            let mut vs = self.versions.lock();
            let v = vs.current.clone();
            match compaction::pick(&v.view(), &self.opts, &mut vs.policy) {
                Some(t) => (t, v),
                None => return Ok(false),
            }
        };
        let ctx = Ctx {
            vfs: &self.vfs,
            dir: &self.dir,
            shape: self.shape(),
            target_file_bytes: self.opts.target_file_bytes,
            cache: &self.cache,
        };
        let started = Instant::now();
        let out = exec::run(&task, &version, &ctx, &|| self.alloc_file())?;
        let mut edit = out.edit;
        edit.next_file = Some(self.next_file.load(Ordering::SeqCst));
        let mut vs = self.versions.lock();
        self.commit(&mut vs, &edit, &out.added, |_| {})?;
        if !task.trivial_move {
            vs.obsolete.extend(out.removed);
        }
        // The version the compaction read is the inputs' last holder once
        // the commit published its successor (unless a reader still has
        // it): let go of it first, or the inputs stay on disk until the
        // next compaction and every space figure in between counts them.
        drop(version);
        self.purge_obsolete(&mut vs);
        drop(vs);
        let s = &self.stats;
        s.compactions.fetch_add(1, Ordering::Relaxed);
        if task.trivial_move {
            s.trivial_moves.fetch_add(1, Ordering::Relaxed);
        }
        s.compact_read.fetch_add(out.bytes_read, Ordering::Relaxed);
        s.compact_written
            .fetch_add(out.bytes_written, Ordering::Relaxed);
        let io = (out.bytes_read, out.bytes_written);
        self.events
            .record_since(EventKind::Compaction, started, io, describe(&task));
        self.bg_cv.notify_all();
        Ok(true)
    }

    /// Delete replaced tables that no reader holds any more.
    pub(crate) fn purge_obsolete(&self, vs: &mut VersionSet) {
        vs.obsolete.retain(|t| {
            if Arc::strong_count(t) > 1 {
                return true;
            }
            // A failed delete leaves an orphan the next open removes.
            let _ = self.vfs.remove_file(t.path());
            false
        });
    }

    pub(crate) fn flush_pending(&self) -> Result<()> {
        while self.flush_one()? {}
        Ok(())
    }

    pub(crate) fn compact_until_done(&self) -> Result<()> {
        while self.compact_once()? {}
        Ok(())
    }

    /// Wait until no flush is pending and no compaction is due.
    pub(crate) fn quiesce(&self) -> Result<()> {
        // A poisoned engine refuses everything until reopened (quiescing
        // would flush and commit again after the failed edit).
        self.check_poisoned()?;
        if !self.opts.background {
            self.flush_pending()?;
            self.compact_until_done()?;
        } else {
            let mut bg = self.bg.lock();
            loop {
                self.check_poisoned()?;
                let due = {
                    let vs = self.versions.lock();
                    compaction::pick(&vs.current.view(), &self.opts, &mut vs.policy.clone())
                        .is_some()
                };
                let idle = !bg.flushing && !bg.compacting;
                if idle && !due && self.imm_count.load(Ordering::Acquire) == 0 {
                    break;
                }
                self.bg_cv.notify_all();
                self.bg_cv.wait_for(&mut bg, Duration::from_millis(20));
            }
        }
        let mut vs = self.versions.lock();
        self.purge_obsolete(&mut vs);
        Ok(())
    }

    fn record_bg_error(&self, e: &Error) {
        let path = match e {
            Error::Io { path, .. } | Error::Corruption { path, .. } => path.clone(),
            _ => self.dir.clone(),
        };
        self.poison(&path);
    }
}

/// Write `mem` as table `n`, synced, with its directory entry synced.
pub(crate) fn write_memtable(
    vfs: &engine_core::Vfs,
    dir: &std::path::Path,
    n: u64,
    shape: TableShape,
    cache: &Arc<crate::cache::BlockCache>,
    mem: &Memtable,
    purpose: Purpose,
) -> Result<Option<Arc<Table>>> {
    let mut b = TableBuilder::create(vfs, table_path(dir, n), n, shape, purpose)?;
    mem.for_each(|k, v| match &v.value {
        Some(val) => b.add(k, v.seq, Kind::Put, val),
        None => b.add(k, v.seq, Kind::Delete, b""),
    })?;
    let t = b.finish(vfs, cache.clone())?;
    vfs.sync_dir(dir)?;
    Ok(t)
}

/// A background loop: wait until there is work, mark the thread busy, do
/// it; an error poisons the engine (writes refuse until a reopen).
fn spawn_loop(
    shared: Arc<Shared>,
    name: &str,
    has_work: fn(&Shared) -> bool,
    set_busy: fn(&mut super::BgState, bool),
    work: fn(&Shared) -> Result<()>,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || loop {
            {
                let mut bg = shared.bg.lock();
                while !bg.shutdown
                    && (shared.poisoned.load(Ordering::Acquire) || !has_work(&shared))
                {
                    shared.bg_cv.wait_for(&mut bg, Duration::from_millis(100));
                }
                if bg.shutdown {
                    return;
                }
                set_busy(&mut bg, true);
            }
            let r = work(&shared);
            set_busy(&mut shared.bg.lock(), false);
            if let Err(e) = r {
                shared.record_bg_error(&e);
            }
            shared.bg_cv.notify_all();
        })
        .expect("spawning a thread fails only when the OS is out of resources")
}

pub(crate) fn spawn_flusher(shared: Arc<Shared>) -> JoinHandle<()> {
    spawn_loop(
        shared,
        "lsm-flush",
        |s| s.imm_count.load(Ordering::Acquire) > 0,
        |b, v| b.flushing = v,
        |s| s.flush_pending(),
    )
}

pub(crate) fn spawn_compactor(shared: Arc<Shared>) -> JoinHandle<()> {
    spawn_loop(
        shared,
        "lsm-compact",
        |s| {
            let vs = s.versions.lock();
            compaction::pick(&vs.current.view(), &s.opts, &mut vs.policy.clone()).is_some()
        },
        |b, v| b.compacting = v,
        |s| s.compact_until_done(),
    )
}

/// A compaction as the timeline shows it: where its inputs came from and
/// where its output went (`L1->L2`, `tier 0->1`), and whether it only moved
/// a table.
fn describe(task: &compaction::Task) -> String {
    let mut from: Vec<u32> = task.inputs.iter().map(|&(level, _)| level).collect();
    from.dedup();
    let from: Vec<String> = from.iter().map(|l| format!("L{l}")).collect();
    let mut s = format!("{}->L{}", from.join("+"), task.output_level);
    if task.trivial_move {
        s.push_str(" (trivial move)");
    }
    s
}

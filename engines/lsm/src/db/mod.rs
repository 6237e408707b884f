//! The engine: how the parts are wired together and locked.
//!
//! ## Shared state and its locks
//!
//! - `write` (mutex): the active WAL and memtable and the sequence counter.
//!   Writers hold it to append a record to the WAL's buffer and insert it;
//!   memtable rotation happens under it. Commits (write-out and fsync) run
//!   after it is released, in the WAL's shared [`LogWriter`], whose group
//!   commit lets one fsync cover every write waiting at that moment.
//! - `sv` (rwlock around an `Arc`): the *super version*, an immutable
//!   snapshot of {active memtable, immutable memtables, version}. A read
//!   clones the `Arc` and then runs without any lock.
//! - `versions` (mutex): the manifest writer, the current version, the
//!   compaction policy's state, tables waiting to be deleted. Held while a
//!   flush or compaction commits its edit.
//!
//! Lock order: `write` -> `versions` -> `sv`; the log writers' internal
//! locks are innermost and never held across I/O.
//!
//! ## Background work
//!
//! One flush thread turns immutable memtables into level-0 tables, oldest
//! first; one compaction thread runs the policy until nothing is due. Both
//! sleep on one condition variable, which also wakes stalled writers. With
//! `background=false` both run inline, on the writer that filled the
//! memtable, so a single-threaded run does identical I/O every time.

mod background;
mod recovery;
mod stats;
mod write;

pub(crate) use recovery::OWNER;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, RwLock};

use engine_core::record::check_sizes;
use engine_core::{Engine, EngineMetrics, Error, Event, EventLog, Options, Result, Vfs};

use crate::bloom;
use crate::cache::BlockCache;
use crate::compaction::PolicyState;
use crate::iterator::{MemIter, MergeIter, RunIter, Source};
use crate::manifest::ManifestWriter;
use crate::memtable::{MemLookup, Memtable};
use crate::options::LsmOptions;
use crate::sstable::block::{untag, Kind};
use crate::sstable::reader::{Probe, Table};
use crate::version::Version;
use engine_core::log::LogWriter;
use stats::Stats;

/// What a reader needs, captured at once.
pub(crate) struct SuperVersion {
    pub mem: Arc<Memtable>,
    /// Newest first.
    pub imm: Vec<Arc<Memtable>>,
    pub version: Arc<Version>,
}

pub(crate) struct WriteState {
    /// The active WAL; shared so a writer can commit after releasing the
    /// `write` lock, even if a rotation replaced (and sealed) it meanwhile.
    pub wal: Arc<LogWriter>,
    pub mem: Arc<Memtable>,
    pub seq: u64,
}

pub(crate) struct VersionSet {
    pub manifest: ManifestWriter,
    pub current: Arc<Version>,
    pub log_number: u64,
    pub last_seq: u64,
    pub policy: PolicyState,
    /// Replaced tables, deleted once no reader holds them.
    pub obsolete: Vec<Arc<Table>>,
}

#[derive(Default)]
pub(crate) struct BgState {
    pub shutdown: bool,
    pub compacting: bool,
    pub flushing: bool,
}

pub(crate) struct Shared {
    pub vfs: Vfs,
    pub dir: PathBuf,
    pub opts: LsmOptions,
    pub cache: Arc<BlockCache>,
    pub write: Mutex<WriteState>,
    pub sv: RwLock<Arc<SuperVersion>>,
    pub versions: Mutex<VersionSet>,
    pub next_file: AtomicU64,
    /// The manifest's log number: WALs below it are flushed and obsolete.
    pub log_number: AtomicU64,
    pub poisoned: AtomicBool,
    pub poison_path: Mutex<Option<PathBuf>>,
    pub bg: Mutex<BgState>,
    pub bg_cv: Condvar,
    /// Immutable memtables not yet flushed (mirrors `sv.imm.len()`).
    pub imm_count: AtomicUsize,
    /// Set when level 0 is at the stop trigger and a compaction is due.
    pub l0_stall: AtomicBool,
    pub stats: Stats,
    /// Flushes, compactions and stalls as they end (see `drain_events`).
    pub events: EventLog,
}

/// The LSM engine.
pub struct Lsm {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

thread_local! {
    /// Reused key buffer for block lookups: a get allocates nothing but
    /// the value it returns.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Shared {
    pub fn current_sv(&self) -> Arc<SuperVersion> {
        self.sv.read().clone()
    }

    pub fn alloc_file(&self) -> u64 {
        self.next_file.fetch_add(1, Ordering::SeqCst)
    }

    /// Refuse writes from now on: a sync or a file-set change failed, and
    /// only a reopen can tell what is durable.
    pub fn poison(&self, path: &Path) {
        let mut p = self.poison_path.lock();
        if p.is_none() {
            *p = Some(path.to_path_buf());
        }
        self.poisoned.store(true, Ordering::SeqCst);
        self.bg_cv.notify_all();
    }

    pub fn check_poisoned(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            let path = self
                .poison_path
                .lock()
                .clone()
                .unwrap_or_else(|| self.dir.clone());
            return Err(Error::Poisoned { path });
        }
        Ok(())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let sv = self.current_sv();
        for m in std::iter::once(&sv.mem).chain(sv.imm.iter()) {
            match m.get(key) {
                MemLookup::Found(v) => return Ok(Some(v)),
                MemLookup::Deleted => return Ok(None),
                MemLookup::Missing => {}
            }
        }
        let h = bloom::hash(key);
        SCRATCH.with(|s| {
            let mut scratch = s.borrow_mut();
            for run in &sv.version.runs {
                let Some(t) = run.table_for(key) else {
                    continue;
                };
                let probe = t.get(key, h, &mut scratch)?;
                let filtered = t.has_filter();
                if filtered {
                    self.stats.bloom_probes.fetch_add(1, Ordering::Relaxed);
                }
                match probe {
                    Probe::Filtered => {
                        self.stats.bloom_negatives.fetch_add(1, Ordering::Relaxed);
                    }
                    Probe::Absent => {
                        if filtered {
                            self.stats
                                .bloom_false_positives
                                .fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Probe::Found(tag, v) => {
                        return Ok(match untag(tag).1 {
                            Kind::Put => Some(v),
                            Kind::Delete => None,
                        })
                    }
                }
            }
            Ok(None)
        })
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let sv = self.current_sv();
        let mut sources: Vec<Box<dyn Source + Send>> = Vec::new();
        for m in std::iter::once(&sv.mem).chain(sv.imm.iter()) {
            sources.push(Box::new(MemIter::new(m.clone(), start)));
        }
        for run in &sv.version.runs {
            let from = run.first_at_or_after(start);
            let mut it = RunIter::new(run.tables[from..].to_vec(), engine_core::Purpose::Query, 0);
            it.seek(start)?;
            sources.push(Box::new(it));
        }
        let mut merge = MergeIter::new(sources);
        while merge.valid() && out.len() < limit {
            if merge.entry().1 == Kind::Put {
                out.push((merge.key().to_vec(), merge.value().to_vec()));
            }
            merge.advance()?;
        }
        Ok(out)
    }
}

/// Open (or create, or recover) the LSM in `dir`.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    Ok(Box::new(Lsm::open(vfs, dir, options)?))
}

impl Lsm {
    /// Open (or create, or recover) the LSM in `dir`.
    pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Lsm> {
        let opts = LsmOptions::parse(options)?;
        let shared = Arc::new(recovery::recover(vfs, dir, opts)?);
        let mut threads = Vec::new();
        if shared.opts.background {
            threads.push(background::spawn_flusher(shared.clone()));
            threads.push(background::spawn_compactor(shared.clone()));
        }
        Ok(Lsm { shared, threads })
    }
}

impl Drop for Lsm {
    fn drop(&mut self) {
        self.shared.bg.lock().shutdown = true;
        self.shared.bg_cv.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // A clean close seals the WAL (synced, then a marker vouching for
        // every byte before it), so that recovery reads a damaged last
        // record as corruption instead of an unsynced tail (see
        // engine_core::log); the manifest is sealed for the same reason.
        // If that fails (a poisoned engine, a crashed disk), at least hand
        // buffered records to the OS; durability was only promised for
        // synced ones.
        let wal = self.shared.write.lock().wal.clone();
        if self.shared.check_poisoned().is_ok() && wal.seal().is_ok() {
            let _ = self.shared.versions.lock().manifest.close();
        } else {
            let _ = wal.flush();
        }
    }
}

impl Engine for Lsm {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_sizes(key, b"")?;
        self.shared.get(key)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        check_sizes(key, value)?;
        self.shared.write_record(key, Some(value))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        check_sizes(key, b"")?;
        self.shared.write_record(key, None)
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.shared.scan(start, limit)
    }

    fn sync(&self) -> Result<()> {
        self.shared.sync_all()
    }

    fn metrics(&self) -> EngineMetrics {
        self.shared.metrics()
    }

    fn quiesce(&self) -> Result<()> {
        self.shared.quiesce()
    }

    fn drain_events(&self) -> Vec<Event> {
        self.shared.events.drain()
    }
}

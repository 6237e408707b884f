//! The engine: the tree, its log and its checkpoints behind the `Engine`
//! trait.
//!
//! Two locks, taken in this order when both are: a mutex over the writers'
//! state ([`Inner`]: the log, its generation, the checkpoint machinery),
//! and a readers-writer lock over the [`Tree`] (the pages readers need).
//!
//! - A get or scan takes the tree shared, once, for the whole call, and
//!   never the writers' mutex: readers run in parallel with each other and
//!   with a checkpoint's writes, and each sees the tree between two writes.
//!   Inside, the page cache is sharded and a miss reads with no lock held
//!   (see [`crate::cache`], [`crate::pager`]).
//! - A put or delete takes the mutex (which orders the log's appends as the
//!   tree's changes), and takes the tree exclusively only to change the
//!   pages and copy the record into the log's buffer: readers wait for that
//!   in-memory work, never for the log's I/O, and never see a write the log
//!   does not have. The mutex is released before a `sync=always` writer
//!   waits for its fsync, so concurrent durable writers share one fsync
//!   (the log writer's group commit).
//! - A checkpoint takes both only to switch logs and take the dirty pages,
//!   and again to end; its writes and fsyncs hold neither.
//!
//! A failure that may have left the pages half-changed sets a flag that
//! every operation checks first (`Shared::poisoned`): an atomic, so that
//! readers need no lock to see it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use engine_core::log::LogWriter;
use engine_core::ownership;
use engine_core::record::{RecordKind, FILE_HEADER_LEN, MAX_VALUE_LEN};
use engine_core::{
    Durability, Engine, EngineMetrics, Error, Event, EventLog, File, OpenMode, Options, Result,
    Vfs, COMMON_OPTIONS,
};

use crate::checkpoint::{self, Snapshot, Target};
use crate::page::{Leaf, Meta, Node, MAX_PAGE, MIN_PAGE};
use crate::pager::{read_meta, Pager};
use crate::tree::{max_key, Tree};
use crate::{wal, DW_FILE, ENGINE_NAME, OPTIONS, PAGE_FILE};

/// Settings from the options.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The page size of a new database; an existing one keeps its file's
    /// (see [`Config::for_file`]).
    pub page_size: usize,
    /// Whether `page_size` was given, not defaulted: a given one must match
    /// an existing file's.
    page_size_given: bool,
    /// `cache_pages` as given (0: derive it from `cache_bytes`).
    cache_pages_option: u64,
    cache_bytes: u64,
    pub cache_pages: usize,
    pub checkpoint_bytes: u64,
    pub background: bool,
    pub durability: Durability,
}

impl Config {
    pub fn from_options(options: &Options) -> Result<Config> {
        options.check("btree", &[COMMON_OPTIONS, OPTIONS])?;
        let page_size = options.u64_in("page_size", 4096, MIN_PAGE as u64, MAX_PAGE as u64)?;
        if !page_size.is_power_of_two() {
            return Err(Error::BadOption {
                key: "page_size".into(),
                value: page_size.to_string(),
                expected: "a power of two".into(),
            });
        }
        let mut config = Config {
            page_size: page_size as usize,
            page_size_given: options.get("page_size").is_some(),
            cache_pages_option: options.u64("cache_pages", 0)?,
            cache_bytes: options.cache_bytes()?,
            cache_pages: 0,
            checkpoint_bytes: options.u64_in("checkpoint_bytes", 16 << 20, 1, 1 << 40)?,
            background: options.bool("background", true)?,
            durability: options.durability()?,
        };
        config.derive_cache_pages();
        Ok(config)
    }

    fn derive_cache_pages(&mut self) {
        let pages = match self.cache_pages_option {
            0 => self.cache_bytes / self.page_size as u64,
            n => n,
        };
        self.cache_pages = pages.clamp(8, 1 << 30) as usize;
    }

    /// The settings for an existing page file of `file_page_size` bytes per
    /// page. The page size is fixed when the file is created: the file's
    /// applies, and a `page_size` option that says otherwise is refused by
    /// name rather than applied to pages of another size. (It is the only
    /// option fixed at creation; the others apply to each open.)
    pub fn for_file(mut self, file_page_size: usize) -> Result<Config> {
        if self.page_size_given && self.page_size != file_page_size {
            return Err(Error::BadOption {
                key: "page_size".into(),
                value: self.page_size.to_string(),
                expected: format!(
                    "{file_page_size}, the page size this database was created with \
                     (it is fixed at creation; omit the option to use the file's)"
                ),
            });
        }
        self.page_size = file_page_size;
        self.derive_cache_pages();
        Ok(self)
    }
}

/// The writers' state, under [`Shared::inner`].
pub(crate) struct Inner {
    pub(crate) wal: Arc<LogWriter>,
    /// The generation `wal` appends to.
    pub(crate) wal_gen: u64,
    /// The previous log while a checkpoint that switched away from it has
    /// not yet made it durable: whoever syncs `wal` syncs this one first,
    /// and meanwhile appends to `wal` are not written to its file, so no
    /// byte of the new log is on disk before all of the older one.
    pub(crate) prev_wal: Option<Arc<LogWriter>>,
    /// The page count of the header on disk (see [`Snapshot`]).
    pub(crate) durable_pages: u64,
    pub(crate) since_sync: u64,
    pub(crate) checkpoints: u64,
    /// Wall time spent in checkpoints, and the part of it writers spent
    /// waiting for one (inline or behind a running one).
    pub(crate) checkpoint_time: Duration,
    pub(crate) writer_wait: Duration,
    /// A checkpoint is running (at most one at a time).
    pub(crate) checkpointing: bool,
    /// Set when the background checkpointer should stop.
    pub(crate) closing: bool,
}

pub(crate) struct Shared {
    pub(crate) vfs: Vfs,
    pub(crate) dir: PathBuf,
    /// A second handle on the page file, for checkpoints' writes (the
    /// pager's own stays with the cache, under the lock).
    pub(crate) pages: File,
    pub(crate) dw: File,
    pub(crate) config: Config,
    pub(crate) inner: Mutex<Inner>,
    /// The pages: shared by readers, exclusive to a writer changing them.
    /// Taken after `inner` when both are.
    pub(crate) tree: RwLock<Tree>,
    /// After a failed write, sync or checkpoint: the cached pages may be
    /// half-changed, or a failed fsync may have dropped dirty pages, so
    /// everything is refused until a reopen.
    pub(crate) poisoned: AtomicBool,
    /// Wakes the background checkpointer.
    pub(crate) wake: Condvar,
    /// Signalled when a checkpoint ends.
    pub(crate) done: Condvar,
    /// Checkpoints as they end (see `Engine::drain_events`).
    pub(crate) events: EventLog,
}

/// The B+tree engine.
pub struct BTree {
    shared: Arc<Shared>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// Open or create the engine in `dir`.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<BTree> {
    let config = Config::from_options(options)?;
    // Before any file is created or removed: a user's directory or another
    // engine's database is refused, never written to.
    ownership::claim(vfs, dir, ENGINE_NAME)?;
    let page_path = dir.join(PAGE_FILE);
    let pages = vfs.open(&page_path, OpenMode::Create)?;
    let dw = vfs.open(&dir.join(DW_FILE), OpenMode::Create)?;
    let ck_pages = vfs.open(&page_path, OpenMode::Existing)?;
    checkpoint::recover(&pages, &dw)?;
    let (config, (tree, inner)) = if pages.len()? == 0 {
        let opened = create(vfs, dir, &config, pages, &ck_pages, &dw)?;
        (config, opened)
    } else {
        let meta = read_meta(&pages)?;
        let config = config.for_file(meta.page_size as usize)?;
        let opened = recover(vfs, dir, &config, pages, meta)?;
        (config, opened)
    };
    let background = config.background;
    let shared = Arc::new(Shared {
        vfs: vfs.clone(),
        dir: dir.to_path_buf(),
        pages: ck_pages,
        dw,
        config,
        inner: Mutex::new(inner),
        tree: RwLock::new(tree),
        poisoned: AtomicBool::new(false),
        wake: Condvar::new(),
        done: Condvar::new(),
        events: EventLog::new(),
    });
    let worker = if background {
        let s = Arc::clone(&shared);
        Some(std::thread::spawn(move || s.background_loop()))
    } else {
        None
    };
    Ok(BTree { shared, worker })
}

/// A new database: an empty root leaf and log generation 1, written by a
/// first checkpoint.
fn create(
    vfs: &Vfs,
    dir: &Path,
    config: &Config,
    pages: File,
    ck_pages: &File,
    dw: &File,
) -> Result<(Tree, Inner)> {
    // Both files' directory entries are durable before the first
    // checkpoint writes anything that depends on them.
    vfs.sync_dir(dir)?;
    let meta = Meta {
        page_size: config.page_size as u32,
        seq: 1,
        root: 1,
        height: 1,
        page_count: 2,
        free_head: 0,
        free_count: 0,
        wal_gen: 1,
    };
    let wal = wal::create(vfs, dir, 1)?;
    let mut pager = Pager::new(pages, meta, config.cache_pages);
    pager.set(1, Node::Leaf(Leaf::default()));
    let snap = Snapshot {
        images: pager.take_images(meta),
        page_size: config.page_size,
        seq: 1,
        wal_gen: 1,
        // Both pages go through pages.dw: an empty page file is what says
        // "new database", so nothing may reach it before the doublewrite
        // that repairs it is complete.
        durable_pages: meta.page_count,
        page_count: meta.page_count,
    };
    let target = Target {
        vfs,
        dir,
        pages: ck_pages,
        dw,
    };
    checkpoint::write_images(&target, &snap)?;
    pager.finish_checkpoint();
    Ok((Tree::new(pager), new_inner(wal, 1, meta.page_count)))
}

/// An existing database: the last checkpoint's tree, and the logs since
/// replayed onto it.
fn recover(
    vfs: &Vfs,
    dir: &Path,
    config: &Config,
    pages: File,
    meta: Meta,
) -> Result<(Tree, Inner)> {
    let mut tree = Tree::new(Pager::new(pages, meta, config.cache_pages));
    let (log, gen) = wal::replay(vfs, dir, meta.wal_gen, |rec| match rec.kind {
        RecordKind::Put => tree.put(&rec.key, &rec.value),
        RecordKind::Delete => tree.delete(&rec.key).map(|_| ()),
        RecordKind::Marker => Ok(()),
    })?;
    Ok((tree, new_inner(log, gen, meta.page_count)))
}

fn new_inner(wal: LogWriter, wal_gen: u64, durable_pages: u64) -> Inner {
    Inner {
        wal: Arc::new(wal),
        wal_gen,
        prev_wal: None,
        durable_pages,
        since_sync: 0,
        checkpoints: 0,
        checkpoint_time: Duration::ZERO,
        writer_wait: Duration::ZERO,
        checkpointing: false,
        closing: false,
    }
}

/// A counter of the header page that cannot go one further.
pub(crate) fn exhausted(dir: &Path) -> Error {
    Error::corruption(dir.join(PAGE_FILE), 0, "header page: counter exhausted")
}

impl Shared {
    /// Apply one write and log it, fsync when the durability mode asks,
    /// and checkpoint inline when one is due and nobody else will.
    fn write(&self, kind: RecordKind, key: &[u8], value: &[u8]) -> Result<()> {
        let max = max_key(self.config.page_size);
        if key.len() > max {
            return Err(Error::TooLarge {
                what: "key",
                len: key.len(),
                max,
            });
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::TooLarge {
                what: "value",
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        let (to_sync, settle, inline_checkpoint) = {
            let mut g = self.inner.lock();
            self.check_poisoned()?;
            let g = &mut *g;
            // The tree is exclusive for the change to the pages and the
            // buffered append (a copy into memory, no I/O), so a reader
            // never sees a write the log does not have.
            let (logged, dirty) = {
                let mut tree = self.tree.write();
                let applied = match kind {
                    RecordKind::Put => tree.put(key, value),
                    _ => tree.delete(key).map(|_| ()),
                };
                let logged = applied.and_then(|()| g.wal.append_buffered(kind, key, value));
                (logged, tree.pager.dirty_pages())
            };
            let appended = match logged {
                Ok(a) => a,
                Err(e) => {
                    self.poison();
                    return Err(e);
                }
            };
            g.since_sync += (13 + key.len() + value.len()) as u64;
            let sync_now = match self.config.durability {
                Durability::Always => true,
                Durability::Never => false,
                Durability::Bytes(n) => g.since_sync >= n,
            };
            if sync_now {
                g.since_sync = 0;
            }
            let due = self.checkpoint_due(g, dirty);
            let inline = due && (!self.config.background || self.checkpoint_urgent(g, dirty));
            if due && !inline {
                self.wake.notify_one();
            }
            // While the previous log is not durable, no byte may reach this
            // one's file (a crash could keep it and tear the previous one):
            // the record waits in the buffer for the next settle or sync.
            let settle = g.prev_wal.is_none().then(|| (Arc::clone(&g.wal), appended));
            (sync_now.then(|| self.logs_to_sync(g)), settle, inline)
        };
        if let Some(logs) = to_sync {
            // Outside the lock: writers arriving meanwhile join this fsync.
            self.sync_logs(logs)?;
        } else if let Some((wal, appended)) = settle {
            // Writes the buffer out once it is large (never an fsync: the
            // writer's durability is `never`, the engine decides syncs).
            if let Err(e) = wal.settle(appended) {
                self.poison();
                return Err(e);
            }
        }
        if inline_checkpoint {
            let started = Instant::now();
            let result = self.checkpoint(true);
            self.inner.lock().writer_wait += started.elapsed();
            result?;
        }
        Ok(())
    }

    /// The logs a sync must make durable, oldest first.
    fn logs_to_sync(&self, g: &Inner) -> [Option<Arc<LogWriter>>; 2] {
        [g.prev_wal.clone(), Some(Arc::clone(&g.wal))]
    }

    fn sync_logs(&self, logs: [Option<Arc<LogWriter>>; 2]) -> Result<()> {
        for log in logs.iter().flatten() {
            if let Err(e) = log.sync() {
                self.poison();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Refuse everything from now until a reopen.
    pub(crate) fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// `Err(Poisoned)` once [`Shared::poison`] was called.
    pub(crate) fn check_poisoned(&self) -> Result<()> {
        if self.is_poisoned() {
            return Err(Error::Poisoned {
                path: self.dir.join(PAGE_FILE),
            });
        }
        Ok(())
    }
}

impl BTree {
    /// Run a checkpoint now (tests use it to place crash points inside one).
    pub fn checkpoint(&self) -> Result<()> {
        self.shared.checkpoint(false)
    }

    /// Tree height (1 = the root is a leaf).
    pub fn height(&self) -> u32 {
        self.shared.tree.read().pager.meta().height
    }

    /// Levels from the root down that are wholly cached (see
    /// [`Tree::cached_levels`]).
    pub fn cached_levels(&self) -> u32 {
        self.shared.tree.read().cached_levels()
    }
}

impl Engine for BTree {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.shared.check_poisoned()?;
        self.shared.tree.read().get(key)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.shared.write(RecordKind::Put, key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.shared.write(RecordKind::Delete, key, b"")
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.shared.check_poisoned()?;
        self.shared.tree.read().scan(start, limit)
    }

    fn sync(&self) -> Result<()> {
        let logs = {
            let g = self.shared.inner.lock();
            self.shared.check_poisoned()?;
            self.shared.logs_to_sync(&g)
        };
        self.shared.sync_logs(logs)
    }

    fn metrics(&self) -> EngineMetrics {
        let g = self.shared.inner.lock();
        let tree = self.shared.tree.read();
        let p = &tree.pager;
        let meta = p.meta();
        let s = tree.stats;
        let cache = p.stats();
        EngineMetrics::new()
            .with("height", meta.height)
            .with("cached_levels", tree.cached_levels())
            .with("pages", meta.page_count)
            .with("free_pages", meta.free_count)
            .with("splits", s.splits)
            .with("merges", s.merges)
            .with("redistributions", s.redistributions)
            .with("cache_hits", cache.hits)
            .with("cache_misses", cache.misses)
            .with("cache_evictions", cache.evictions)
            .with("cached_pages", p.cached_pages() as u64)
            .with("dirty_pages", p.dirty_pages() as u64)
            .with("checkpoints", g.checkpoints)
            .with("checkpoint_ms", g.checkpoint_time.as_millis() as u64)
            .with(
                "writer_checkpoint_wait_ms",
                g.writer_wait.as_millis() as u64,
            )
            .with(
                "wal_bytes",
                g.wal.len().saturating_sub(FILE_HEADER_LEN as u64),
            )
    }

    fn drain_events(&self) -> Vec<Event> {
        self.shared.events.drain()
    }

    fn quiesce(&self) -> Result<()> {
        // Waits for a running checkpoint, then runs one if still due.
        self.shared.checkpoint(true)
    }
}

impl Drop for BTree {
    fn drop(&mut self) {
        self.shared.inner.lock().closing = true;
        self.shared.wake.notify_all();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        // A clean close leaves an empty log and the whole tree in the page
        // file. After a failure nothing is written: recovery replays the
        // log instead.
        let nothing_to_write = {
            let g = self.shared.inner.lock();
            self.shared.is_poisoned()
                || (self.shared.tree.read().pager.dirty_pages() == 0 && g.wal.is_empty())
        };
        if !nothing_to_write {
            let _ = self.shared.checkpoint(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_core::vfs::SimFs;

    /// The concurrency design's two promises to readers, made structural:
    /// a get or scan needs neither the writers' mutex nor the tree alone.
    /// Here one thread holds the writers' mutex and a shared hold on the
    /// tree, as a writer appending to the log and another reader would,
    /// and still reads. (Were a reader to take the mutex, or the tree
    /// exclusively, this would not fail but hang: neither lock is
    /// reentrant.)
    #[test]
    fn readers_need_neither_the_writers_mutex_nor_the_tree_alone() {
        let vfs = SimFs::new(3).vfs();
        let db = open(
            &vfs,
            Path::new("/db"),
            &Options::parse("background=false").unwrap(),
        )
        .unwrap();
        db.put(b"k", b"v").unwrap();
        let _writers = db.shared.inner.lock();
        let _reader = db.shared.tree.read();
        assert_eq!(db.get(b"k").unwrap(), Some(b"v".to_vec()));
        assert_eq!(
            db.scan(b"", 10).unwrap(),
            vec![(b"k".to_vec(), b"v".to_vec())]
        );
    }
}

//! The engine: the tree, its log and its checkpoints behind the `Engine`
//! trait.
//!
//! One mutex guards the tree, the pager and the log's append order; it is
//! held for the in-memory work of an operation and the buffered append, and
//! released before a `sync=always` writer waits for its fsync, so concurrent
//! durable writers share one fsync (the log writer's group commit). Cache
//! misses do read under the mutex: simple and correct first; a sharded cache
//! with page latches is the next step if profiles show readers queueing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use engine_core::log::LogWriter;
use engine_core::record::{RecordKind, FILE_HEADER_LEN, MAX_VALUE_LEN};
use engine_core::{
    Durability, Engine, EngineMetrics, Error, File, OpenMode, Options, Purpose, Result, Vfs,
    COMMON_OPTIONS,
};

use crate::checkpoint::{self, Checkpointer};
use crate::page::{decode_at, Leaf, Meta, Node, MAX_PAGE, MIN_PAGE, PAGE_HEADER};
use crate::pager::Pager;
use crate::tree::{max_key, Tree};
use crate::{wal, DW_FILE, OPTIONS, PAGE_FILE};

/// Settings from the options.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub page_size: usize,
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
        let by_budget = options.cache_bytes()? / page_size;
        let cache_pages = match options.u64("cache_pages", 0)? {
            0 => by_budget,
            n => n,
        };
        Ok(Config {
            page_size: page_size as usize,
            cache_pages: cache_pages.clamp(8, 1 << 30) as usize,
            checkpoint_bytes: options.u64_in("checkpoint_bytes", 16 << 20, 1, 1 << 40)?,
            background: options.bool("background", true)?,
            durability: options.durability()?,
        })
    }
}

struct Inner {
    tree: Tree,
    wal: Arc<LogWriter>,
    /// After a failed write, sync or checkpoint: the cached pages may be
    /// half-changed, so everything is refused until a reopen.
    poisoned: bool,
    since_sync: u64,
    checkpoints: u64,
    /// Set when the background checkpointer should stop.
    closing: bool,
}

struct Shared {
    vfs: Vfs,
    dir: PathBuf,
    dw: File,
    config: Config,
    inner: Mutex<Inner>,
    /// Wakes the background checkpointer.
    wake: Condvar,
}

/// The B+tree engine.
pub struct BTree {
    shared: Arc<Shared>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// Open or create the engine in `dir`.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<BTree> {
    let config = Config::from_options(options)?;
    vfs.create_dir_all(dir)?;
    let pages = vfs.open(&dir.join(PAGE_FILE), OpenMode::Create)?;
    let dw = vfs.open(&dir.join(DW_FILE), OpenMode::Create)?;
    checkpoint::recover(&pages, &dw)?;
    let fresh = pages.len()? == 0;
    let mut inner;
    if fresh {
        // Both files' directory entries are durable before the first
        // checkpoint writes anything that depends on them.
        vfs.sync_dir(dir)?;
        let meta = Meta {
            page_size: config.page_size as u32,
            seq: 0,
            root: 1,
            height: 1,
            page_count: 2,
            free_head: 0,
            free_count: 0,
            wal_gen: 0,
        };
        let mut pager = Pager::new(pages, meta, config.cache_pages);
        pager.set(1, Node::Leaf(Leaf::default()));
        let ck = Checkpointer { vfs, dir, dw: &dw };
        let wal = ck.run(&mut pager, None)?;
        inner = new_inner(pager, wal);
    } else {
        let meta = read_meta(&pages)?;
        let pager = Pager::new(pages, meta, config.cache_pages);
        for gen in wal::list_gens(vfs, dir)? {
            if gen != meta.wal_gen {
                // Older: superseded by the checkpoint. Newer: created by a
                // checkpoint that died before its header was written.
                vfs.remove_file(&wal::wal_path(dir, gen))?;
            }
        }
        let mut tree = Tree {
            pager,
            stats: Default::default(),
        };
        let log = wal::replay(vfs, dir, meta.wal_gen, |rec| match rec.kind {
            RecordKind::Put => tree.put(&rec.key, &rec.value),
            RecordKind::Delete => tree.delete(&rec.key).map(|_| ()),
            RecordKind::Marker => Ok(()),
        })?;
        inner = new_inner(tree.pager, log);
        inner.tree.stats = tree.stats;
    }
    let background = config.background;
    let shared = Arc::new(Shared {
        vfs: vfs.clone(),
        dir: dir.to_path_buf(),
        dw,
        config,
        inner: Mutex::new(inner),
        wake: Condvar::new(),
    });
    let worker = if background {
        let s = Arc::clone(&shared);
        Some(std::thread::spawn(move || s.background_loop()))
    } else {
        None
    };
    Ok(BTree { shared, worker })
}

fn new_inner(pager: Pager, wal: LogWriter) -> Inner {
    Inner {
        tree: Tree {
            pager,
            stats: Default::default(),
        },
        wal: Arc::new(wal),
        poisoned: false,
        since_sync: 0,
        checkpoints: 0,
        closing: false,
    }
}

/// Read and check the header page. Its page size is read first from a
/// minimal page, then the whole page is checked.
pub fn read_meta(pages: &File) -> Result<Meta> {
    let path = pages.path();
    let len = pages.len()?;
    if len < MIN_PAGE as u64 {
        return Err(Error::corruption(
            path,
            0,
            "page file shorter than a header page",
        ));
    }
    let mut first = vec![0u8; MIN_PAGE];
    pages.read_exact_at(&mut first, 0, Purpose::Recovery)?;
    let at = PAGE_HEADER + 12;
    let ps = u32::from_le_bytes(first[at..at + 4].try_into().expect("4 bytes")) as usize;
    if !(MIN_PAGE..=MAX_PAGE).contains(&ps) || !ps.is_power_of_two() || len < ps as u64 {
        return Err(Error::corruption(
            path,
            0,
            format!("header page: bad page size {ps}"),
        ));
    }
    let mut page = vec![0u8; ps];
    pages.read_exact_at(&mut page, 0, Purpose::Recovery)?;
    match decode_at(path, 0, &page)? {
        Node::Header(m) if m.page_size as usize == ps && m.root != 0 && m.root < m.page_count => {
            Ok(m)
        }
        _ => Err(Error::corruption(
            path,
            0,
            "page 0 is not a valid header page",
        )),
    }
}

impl Shared {
    fn checkpoint_due(&self, g: &Inner) -> bool {
        g.wal.len() >= self.config.checkpoint_bytes
            || g.tree.pager.dirty_pages() * 2 >= g.tree.pager.capacity()
    }

    /// Past this the writer checkpoints itself even with a background
    /// checkpointer: the cache bound and the log length must hold.
    fn checkpoint_urgent(&self, g: &Inner) -> bool {
        g.wal.len() >= 2 * self.config.checkpoint_bytes
            || g.tree.pager.dirty_pages() >= g.tree.pager.capacity()
    }

    fn checkpoint(&self, g: &mut Inner) -> Result<()> {
        let ck = Checkpointer {
            vfs: &self.vfs,
            dir: &self.dir,
            dw: &self.dw,
        };
        match ck.run(&mut g.tree.pager, Some(&g.wal)) {
            Ok(w) => {
                g.wal = Arc::new(w);
                g.checkpoints += 1;
                g.since_sync = 0;
                Ok(())
            }
            Err(e) => {
                g.poisoned = true;
                Err(e)
            }
        }
    }

    fn background_loop(&self) {
        let mut g = self.inner.lock();
        loop {
            if g.closing {
                return;
            }
            if !g.poisoned && self.checkpoint_due(&g) {
                // A failure poisons the engine; writers report it.
                let _ = self.checkpoint(&mut g);
                continue;
            }
            self.wake.wait(&mut g);
        }
    }

    /// Apply one write and log it; returns the log to fsync, if the
    /// durability mode asks for it now.
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
        let to_sync = {
            let mut g = self.inner.lock();
            if g.poisoned {
                return Err(self.poisoned());
            }
            let g = &mut *g;
            let applied = match kind {
                RecordKind::Put => g.tree.put(key, value),
                _ => g.tree.delete(key).map(|_| ()),
            };
            let logged = applied.and_then(|()| g.wal.append(kind, key, value));
            if let Err(e) = logged {
                g.poisoned = true;
                return Err(e);
            }
            g.since_sync += (13 + key.len() + value.len()) as u64;
            let sync_now = match self.config.durability {
                Durability::Always => true,
                Durability::Never => false,
                Durability::Bytes(n) => g.since_sync >= n,
            };
            if sync_now {
                g.since_sync = 0;
            }
            let wal = sync_now.then(|| Arc::clone(&g.wal));
            if !self.config.background || self.checkpoint_urgent(g) {
                if self.checkpoint_due(g) {
                    // The checkpoint syncs the log this write is in.
                    self.checkpoint(g)?;
                }
            } else if self.checkpoint_due(g) {
                self.wake.notify_one();
            }
            wal
        };
        if let Some(w) = to_sync {
            // Outside the lock: writers arriving meanwhile join this fsync.
            if let Err(e) = w.sync() {
                self.inner.lock().poisoned = true;
                return Err(e);
            }
        }
        Ok(())
    }

    fn poisoned(&self) -> Error {
        Error::Poisoned {
            path: self.dir.join(PAGE_FILE),
        }
    }
}

impl BTree {
    /// Run a checkpoint now (tests use it to place crash points inside one).
    pub fn checkpoint(&self) -> Result<()> {
        let mut g = self.shared.inner.lock();
        if g.poisoned {
            return Err(self.shared.poisoned());
        }
        self.shared.checkpoint(&mut g)
    }

    /// Tree height (1 = the root is a leaf).
    pub fn height(&self) -> u32 {
        self.shared.inner.lock().tree.pager.meta.height
    }

    /// Levels from the root down that are wholly cached (see
    /// [`Tree::cached_levels`]).
    pub fn cached_levels(&self) -> u32 {
        self.shared.inner.lock().tree.cached_levels()
    }
}

impl Engine for BTree {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut g = self.shared.inner.lock();
        if g.poisoned {
            return Err(self.shared.poisoned());
        }
        g.tree.get(key)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.shared.write(RecordKind::Put, key, value)
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.shared.write(RecordKind::Delete, key, b"")
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut g = self.shared.inner.lock();
        if g.poisoned {
            return Err(self.shared.poisoned());
        }
        g.tree.scan(start, limit)
    }

    fn sync(&self) -> Result<()> {
        let w = {
            let g = self.shared.inner.lock();
            if g.poisoned {
                return Err(self.shared.poisoned());
            }
            Arc::clone(&g.wal)
        };
        if let Err(e) = w.sync() {
            self.shared.inner.lock().poisoned = true;
            return Err(e);
        }
        Ok(())
    }

    fn metrics(&self) -> EngineMetrics {
        let g = self.shared.inner.lock();
        let p = &g.tree.pager;
        let s = g.tree.stats;
        EngineMetrics::new()
            .with("height", p.meta.height)
            .with("cached_levels", g.tree.cached_levels())
            .with("pages", p.meta.page_count)
            .with("free_pages", p.meta.free_count)
            .with("splits", s.splits)
            .with("merges", s.merges)
            .with("redistributions", s.redistributions)
            .with("cache_hits", p.stats.hits)
            .with("cache_misses", p.stats.misses)
            .with("cache_evictions", p.stats.evictions)
            .with("cached_pages", p.cached_pages() as u64)
            .with("dirty_pages", p.dirty_pages() as u64)
            .with("checkpoints", g.checkpoints)
            .with(
                "wal_bytes",
                g.wal.len().saturating_sub(FILE_HEADER_LEN as u64),
            )
    }

    fn quiesce(&self) -> Result<()> {
        let mut g = self.shared.inner.lock();
        if g.poisoned {
            return Err(self.shared.poisoned());
        }
        if self.shared.checkpoint_due(&g) {
            self.shared.checkpoint(&mut g)?;
        }
        Ok(())
    }
}

impl Drop for BTree {
    fn drop(&mut self) {
        {
            let mut g = self.shared.inner.lock();
            g.closing = true;
            // A clean close leaves an empty log and the whole tree in the
            // page file. After a failure nothing is written: recovery
            // replays the log instead.
            if !g.poisoned && (g.tree.pager.dirty_pages() > 0 || !g.wal.is_empty()) {
                let _ = self.shared.checkpoint(&mut g);
            }
        }
        self.shared.wake.notify_all();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

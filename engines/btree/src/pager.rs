//! The pager: the page file behind a bounded cache of decoded pages.
//!
//! The cache holds decoded [`Node`]s, so a hit costs a hash lookup and no
//! parsing. Replacement is CLOCK: every frame has a reference bit set on
//! access; the hand sweeps the frames, clearing bits, and evicts the first
//! clean frame whose bit is already clear. Pages touched on every lookup
//! (the root, the upper internal levels) keep their bit set and stay, which
//! is what makes a point lookup cost about one read per uncached level.
//!
//! **Dirty pages are never evicted** ("no steal"): the page file must hold
//! exactly the last checkpoint until the next one writes it atomically (see
//! [`crate::checkpoint`]), so a changed page waits in memory for it. The
//! engine runs a checkpoint once dirty pages fill half the cache, so the
//! bound holds except within the one operation that crosses it (a 100 KB
//! value dirties 25 overflow pages at once): the cache then grows past its
//! capacity until that operation's checkpoint, and says so in `evictions`
//! staying flat.
//!
//! Frames hold their node behind an `Arc`, so a checkpoint takes the dirty
//! pages ([`Pager::take_images`]) by cloning pointers under the engine's
//! lock, marks them clean, and encodes and writes them without the lock. A
//! page changed meanwhile is copied first (`Arc::make_mut`), leaving the
//! checkpoint its version. Until the checkpoint is done the page file still
//! holds the old versions, so a page evicted meanwhile is taken back from
//! the checkpoint's set, never read from the file; those pages count
//! against the cache's capacity while they are held.
//!
//! The free list lives in the free pages themselves (each links to the next;
//! the header keeps the head), so freeing and reusing a page costs no extra
//! structure, and a freed page is reusable at once: nothing reaches the file
//! before the checkpoint, which writes the tree and the list together.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine_core::{Error, File, Purpose, Result};

use crate::page::{corrupt, decode_at, page_offset, Meta, Node, MAX_PAGE, MIN_PAGE, PAGE_HEADER};

struct Frame {
    node: Arc<Node>,
    dirty: bool,
    referenced: bool,
    /// Index in `Pager::clock`.
    slot: usize,
}

/// Cache counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
}

/// The page file and its cache.
pub struct Pager {
    file: File,
    path: PathBuf,
    page_size: usize,
    capacity: usize,
    frames: HashMap<u64, Frame>,
    clock: Vec<u64>,
    hand: usize,
    dirty: usize,
    /// The header as of the last change (written at checkpoints). The tree
    /// changes its root, height and page count here; everyone else reads
    /// it through [`Pager::meta`].
    pub(crate) meta: Meta,
    pub stats: CacheStats,
    buf: Vec<u8>,
    /// The pages a running checkpoint is writing (see the module docs).
    pending: Option<Arc<Images>>,
}

/// Pages by id, in id order (the order a checkpoint writes them).
pub type Images = BTreeMap<u64, Arc<Node>>;

impl Pager {
    /// A pager over `file` whose header says `meta`, caching `capacity` pages.
    pub fn new(file: File, meta: Meta, capacity: usize) -> Pager {
        let page_size = meta.page_size as usize;
        Pager {
            path: file.path().to_path_buf(),
            file,
            page_size,
            capacity: capacity.max(8),
            frames: HashMap::new(),
            clock: Vec::new(),
            hand: 0,
            dirty: 0,
            meta,
            stats: CacheStats::default(),
            buf: vec![0; page_size],
            pending: None,
        }
    }

    pub fn page_size(&self) -> usize {
        self.page_size
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn dirty_pages(&self) -> usize {
        self.dirty
    }

    pub fn cached_pages(&self) -> usize {
        self.frames.len()
    }

    /// The cached node in page `id`, if cached, without counting a hit or
    /// setting its reference bit (for introspection, not for the tree).
    pub fn peek(&self, id: u64) -> Option<&Node> {
        self.frames.get(&id).map(|f| &*f.node)
    }

    /// The node in page `id`, read with `purpose` on a miss.
    pub fn node(&mut self, id: u64, purpose: Purpose) -> Result<&Node> {
        self.load(id, purpose)?;
        let f = self.frames.get_mut(&id).expect("load just cached it");
        f.referenced = true;
        Ok(&f.node)
    }

    /// The node in page `id`, to change: the page becomes dirty.
    pub fn node_mut(&mut self, id: u64) -> Result<&mut Node> {
        self.load(id, Purpose::WritePath)?;
        let f = self.frames.get_mut(&id).expect("load just cached it");
        f.referenced = true;
        if !f.dirty {
            f.dirty = true;
            self.dirty += 1;
        }
        // Copied here if a running checkpoint still holds this version.
        Ok(Arc::make_mut(&mut f.node))
    }

    /// Replace the content of page `id` (a new or reused page) without
    /// reading what was there.
    pub fn set(&mut self, id: u64, node: Node) {
        if let Some(f) = self.frames.get_mut(&id) {
            f.node = Arc::new(node);
            f.referenced = true;
            if !f.dirty {
                f.dirty = true;
                self.dirty += 1;
            }
            return;
        }
        self.make_room();
        self.insert_frame(id, Arc::new(node), true);
    }

    fn load(&mut self, id: u64, purpose: Purpose) -> Result<()> {
        if self.frames.contains_key(&id) {
            self.stats.hits += 1;
            return Ok(());
        }
        if id == 0 || id >= self.meta.page_count {
            return Err(corrupt(
                &self.path,
                id,
                self.page_size,
                format!(
                    "link to page {id} outside the file's {} pages",
                    self.meta.page_count
                ),
            ));
        }
        self.make_room();
        let pending = self.pending.as_ref().and_then(|p| p.get(&id));
        let node = match pending {
            // Newer than the file, and in memory: no read.
            Some(node) => {
                self.stats.hits += 1;
                Arc::clone(node)
            }
            None => {
                self.stats.misses += 1;
                // The header's check bounds the page count by the file, so
                // this has an offset; checked all the same, as it is a
                // product of values read from the file.
                let Some(at) = page_offset(id, self.page_size) else {
                    return Err(corrupt(
                        &self.path,
                        id,
                        self.page_size,
                        format!("page {id} has no offset"),
                    ));
                };
                self.file.read_exact_at(&mut self.buf, at, purpose)?;
                Arc::new(decode_at(&self.path, id, &self.buf)?)
            }
        };
        if matches!(*node, Node::Header(_)) {
            return Err(corrupt(
                &self.path,
                id,
                self.page_size,
                "a header page inside the tree".into(),
            ));
        }
        self.insert_frame(id, node, false);
        Ok(())
    }

    fn insert_frame(&mut self, id: u64, node: Arc<Node>, dirty: bool) {
        self.clock.push(id);
        if dirty {
            self.dirty += 1;
        }
        self.frames.insert(
            id,
            Frame {
                node,
                dirty,
                referenced: true,
                slot: self.clock.len() - 1,
            },
        );
    }

    /// Evict one clean page if the cache is full. Two sweeps of the hand
    /// without a victim mean every page is dirty: the cache then grows
    /// until the next checkpoint cleans it.
    fn make_room(&mut self) {
        let held = self.pending.as_ref().map_or(0, |p| p.len());
        if self.frames.len() + held < self.capacity {
            return;
        }
        let n = self.clock.len();
        for _ in 0..2 * n {
            if self.hand >= self.clock.len() {
                self.hand = 0;
            }
            let id = self.clock[self.hand];
            let f = self.frames.get_mut(&id).expect("clock and frames agree");
            if f.dirty {
                self.hand += 1;
            } else if f.referenced {
                f.referenced = false;
                self.hand += 1;
            } else {
                self.evict(id);
                self.stats.evictions += 1;
                return;
            }
        }
    }

    fn evict(&mut self, id: u64) {
        let f = self.frames.remove(&id).expect("evicting a cached page");
        self.clock.swap_remove(f.slot);
        if let Some(&moved) = self.clock.get(f.slot) {
            self.frames
                .get_mut(&moved)
                .expect("clock and frames agree")
                .slot = f.slot;
        }
    }

    /// A page for new content: the head of the free list, or a new page at
    /// the end of the file. The caller fills it with [`Pager::set`].
    pub fn alloc(&mut self) -> Result<u64> {
        let head = self.meta.free_head;
        if head == 0 {
            let id = self.meta.page_count;
            self.meta.page_count += 1;
            return Ok(id);
        }
        let next = match self.node(head, Purpose::Meta)? {
            Node::Free { next } => *next,
            _ => {
                return Err(corrupt(
                    &self.path,
                    head,
                    self.page_size,
                    "free list links to a page in use".into(),
                ))
            }
        };
        self.meta.free_head = next;
        self.meta.free_count = self.meta.free_count.saturating_sub(1);
        Ok(head)
    }

    /// Put page `id` on the free list.
    pub fn free(&mut self, id: u64) {
        let next = self.meta.free_head;
        self.set(id, Node::Free { next });
        self.meta.free_head = id;
        self.meta.free_count += 1;
    }

    /// The header as of the last change.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Start the checkpoint whose header names log generation `wal_gen`:
    /// the header's sequence number moves one on, and the dirty pages and
    /// that header are taken (see [`Pager::take_images`]). `None`, changing
    /// nothing, when the sequence number cannot go one further.
    pub fn begin_checkpoint(&mut self, wal_gen: u64) -> Option<(Meta, Arc<Images>)> {
        self.meta.seq = self.meta.seq.checked_add(1)?;
        self.meta.wal_gen = wal_gen;
        let meta = self.meta;
        Some((meta, self.take_images(meta)))
    }

    /// Start a checkpoint: every dirty page and a header page saying `meta`.
    /// Costs a pointer copy per page; the pages count as clean from here on
    /// (a change makes them dirty again, for the next checkpoint), and stay
    /// readable through the cache until [`Pager::finish_checkpoint`].
    pub fn take_images(&mut self, meta: Meta) -> Arc<Images> {
        let mut images = Images::new();
        for (&id, f) in self.frames.iter_mut().filter(|(_, f)| f.dirty) {
            images.insert(id, Arc::clone(&f.node));
            f.dirty = false;
        }
        self.dirty = 0;
        images.insert(0, Arc::new(Node::Header(meta)));
        let images = Arc::new(images);
        self.pending = Some(Arc::clone(&images));
        images
    }

    /// The checkpoint's images are in the page file: drop them, and pages
    /// over the capacity can go.
    pub fn finish_checkpoint(&mut self) {
        self.pending = None;
        while self.frames.len() > self.capacity {
            let before = self.frames.len();
            self.make_room();
            if self.frames.len() == before {
                break;
            }
        }
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
    let Node::Header(meta) = decode_at(path, 0, &page)? else {
        return Err(Error::corruption(
            path,
            0,
            "page 0 is not a valid header page",
        ));
    };
    if meta.page_size as usize != ps {
        return Err(Error::corruption(
            path,
            0,
            "header page: page size changed between reads",
        ));
    }
    meta.check(Some(len))
        .map_err(|what| Error::corruption(path, 0, what))?;
    Ok(meta)
}

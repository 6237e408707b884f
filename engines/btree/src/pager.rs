//! The pager: the page file behind a bounded cache of decoded pages
//! ([`crate::cache`]), the header as it changes, and the free list.
//!
//! Readers reach pages through [`Pager::load`] with a shared borrow: any
//! number at once, each hit one shard lock, each miss read from the file
//! with no lock held (into a per-thread buffer, so a miss allocates only
//! the decoded page). Writers hold the tree alone and reach pages through
//! [`Pager::node`] and [`Pager::node_mut`], which borrow the cache mutably
//! and take no lock to hand out a reference.
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
//! pages ([`Pager::take_images`]) by cloning pointers while it holds the
//! tree, marks them clean, and encodes and writes them without it. A page
//! changed meanwhile is copied first (`Arc::make_mut`), leaving the
//! checkpoint its version. Until the checkpoint is done the page file still
//! holds the old versions, so a page evicted meanwhile is taken back from
//! the checkpoint's set, never read from the file; those pages count
//! against the cache's capacity while they are held. Starting and ending a
//! checkpoint take the tree exclusively, so a reader's miss, which checks
//! that set before it reads the file without any lock, can never read a
//! page the checkpoint is writing in place.
//!
//! The free list lives in the free pages themselves (each links to the next;
//! the header keeps the head), so freeing and reusing a page costs no extra
//! structure, and a freed page is reusable at once: nothing reaches the file
//! before the checkpoint, which writes the tree and the list together.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine_core::{Error, File, Purpose, Result};

use crate::cache::{Cache, Miss};
use crate::page::{corrupt, decode_at, page_offset, Meta, Node, MAX_PAGE, MIN_PAGE, PAGE_HEADER};

pub use crate::cache::{CacheStats, Images};

thread_local! {
    /// The buffer a miss reads a page into: per thread, so readers miss in
    /// parallel without sharing one or allocating one per read.
    static PAGE_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The page file and its cache.
pub struct Pager {
    file: File,
    path: PathBuf,
    page_size: usize,
    cache: Cache,
    /// The header as of the last change (written at checkpoints). The tree
    /// changes its root, height and page count here; everyone else reads
    /// it through [`Pager::meta`].
    pub(crate) meta: Meta,
}

impl Pager {
    /// A pager over `file` whose header says `meta`, caching `capacity` pages.
    pub fn new(file: File, meta: Meta, capacity: usize) -> Pager {
        let page_size = meta.page_size as usize;
        Pager {
            path: file.path().to_path_buf(),
            file,
            page_size,
            cache: Cache::new(capacity.max(8)),
            meta,
        }
    }

    /// Bytes per page, the header's `page_size` (fixed for the file's life).
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// The page file handle misses read through (checkpoints write
    /// through a second handle of the engine's).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The page file's path, for the errors that name it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cache's capacity in pages (the `capacity` given, at least 8).
    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Pages changed since the last checkpoint took them: the next
    /// checkpoint writes them, and they stay cached until then.
    pub fn dirty_pages(&self) -> usize {
        self.cache.dirty_pages()
    }

    /// Pages cached now, dirty ones included.
    pub fn cached_pages(&self) -> usize {
        self.cache.cached_pages()
    }

    /// Hits, misses and evictions so far.
    pub fn stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The cached node in page `id`, if cached, without counting a hit or
    /// setting its reference bit (for introspection, not for the tree).
    pub fn peek(&self, id: u64) -> Option<Arc<Node>> {
        self.cache.peek(id)
    }

    /// The node in page `id`, read with `purpose` on a miss: the readers'
    /// way in, through a shared borrow (see the module docs).
    pub fn load(&self, id: u64, purpose: Purpose) -> Result<Arc<Node>> {
        match self.cache.get(id) {
            Some(node) => Ok(node),
            None => self.load_missed(id, purpose),
        }
    }

    /// `f` of the node in page `id`: as [`Pager::load`], but a hit runs `f`
    /// under the cache's shard lock instead of cloning the node's `Arc`
    /// (for short `f`s on hot pages: a descent's step). `f` must not reach
    /// the pager: the shard's lock is not reentrant.
    pub fn with_node<R>(&self, id: u64, purpose: Purpose, f: impl FnOnce(&Node) -> R) -> Result<R> {
        match self.cache.with(id, f) {
            Ok(r) => Ok(r),
            Err(f) => Ok(f(&*self.load_missed(id, purpose)?)),
        }
    }

    /// Page `id` was not cached: from a checkpoint's pages or the file.
    fn load_missed(&self, id: u64, purpose: Purpose) -> Result<Arc<Node>> {
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
        if let Miss::Pending(node) = self.cache.miss(id) {
            return Ok(node);
        }
        // The header's check bounds the page count by the file, so this
        // has an offset; checked all the same, as it is a product of values
        // read from the file.
        let Some(at) = page_offset(id, self.page_size) else {
            return Err(corrupt(
                &self.path,
                id,
                self.page_size,
                format!("page {id} has no offset"),
            ));
        };
        let node = PAGE_BUF.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.resize(self.page_size, 0);
            self.file.read_exact_at(&mut buf, at, purpose)?;
            decode_at(&self.path, id, &buf)
        })?;
        if matches!(node, Node::Header(_)) {
            return Err(corrupt(
                &self.path,
                id,
                self.page_size,
                "a header page inside the tree".into(),
            ));
        }
        Ok(self.cache.insert(id, Arc::new(node)))
    }

    /// The node in page `id`, read with `purpose` on a miss (a writer's
    /// way in: the tree is borrowed mutably, so no lock is held after).
    pub fn node(&mut self, id: u64, purpose: Purpose) -> Result<&Node> {
        // The clone is dropped at once: a writer's `Arc::make_mut` must
        // see only the frame's reference and a checkpoint's.
        drop(self.load(id, purpose)?);
        Ok(self.cache.node_ref(id).expect("load just cached it"))
    }

    /// The node in page `id`, to change: the page becomes dirty.
    pub fn node_mut(&mut self, id: u64) -> Result<&mut Node> {
        drop(self.load(id, Purpose::WritePath)?);
        Ok(self.cache.node_mut(id).expect("load just cached it"))
    }

    /// Replace the content of page `id` (a new or reused page) without
    /// reading what was there.
    pub fn set(&mut self, id: u64, node: Node) {
        self.cache.set(id, node);
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
        self.cache.take_images(meta)
    }

    /// The checkpoint's images are in the page file: drop them, and pages
    /// over the capacity can go.
    pub fn finish_checkpoint(&mut self) {
        self.cache.finish_checkpoint();
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

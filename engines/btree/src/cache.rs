//! The page cache: decoded pages in sharded maps, replaced by one CLOCK.
//!
//! The cache holds decoded [`Node`]s, so a hit costs a hash lookup and no
//! parsing. Replacement is CLOCK: every frame has a reference bit set on
//! access; the hand sweeps the frames, clearing bits, and evicts the first
//! clean frame whose bit is already clear. Pages touched on every lookup
//! (the root, the upper internal levels) keep their bit set and stay, which
//! is what makes a point lookup cost about one read per uncached level.
//!
//! **Concurrency.** Readers share the cache (the engine lets any number of
//! them in at once, and writers only alone; see the `engine` module). The
//! frames live in [`SHARDS`] maps, each behind its own mutex and chosen by a
//! hash of the page id, so two readers' hits take the same lock only when
//! their pages share a shard. A hit takes one shard lock and nothing else:
//! it sets the bit and runs the caller's step on the node under that lock
//! ([`Cache::with`]: no copy, no allocation, no reference count touched).
//!
//! The replacement state (the clock of every cached id, its hand, the dirty
//! count) is one more mutex, taken only to insert a page, that is, once
//! per miss, and never across the read or while a victim is freed. The
//! pages a running checkpoint holds need no lock: they change only while
//! the tree is held exclusively. Keeping one clock
//! rather than one per shard costs that lock per miss, and buys behaviour
//! that does not depend on the sharding: with one thread the same pages are
//! evicted in the same order as with a single map, so the deterministic
//! runs' read counters are the same whatever [`SHARDS`] is. Lock order:
//! clock, then one shard at a time; a hit takes a shard alone.
//!
//! **Dirty pages are never evicted** ("no steal"): see [`crate::pager`].

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::page::{Meta, Node};

/// How many maps the frames are spread over. A power of two (the shard is
/// the top bits of a multiplicative hash). Sixteen make two readers' hits
/// on different pages meet on a lock one time in sixteen; more would only
/// add empty maps on a machine of a few cores.
pub const SHARDS: usize = 16;

/// Pages by id, in id order (the order a checkpoint writes them).
pub type Images = BTreeMap<u64, Arc<Node>>;

struct Frame {
    node: Arc<Node>,
    dirty: bool,
    referenced: bool,
}

#[derive(Default)]
struct Shard {
    frames: HashMap<u64, Frame>,
    /// Hits on this shard's frames (counted under its lock).
    hits: u64,
}

/// The replacement state, shared by all shards.
#[derive(Default)]
struct Clock {
    /// Every cached page id, in the order the hand visits them.
    ids: Vec<u64>,
    hand: usize,
    dirty: usize,
    /// Evictions, and hits served from a checkpoint's pages.
    evictions: u64,
    pending_hits: u64,
}

/// Cache counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct CacheStats {
    /// Lookups served from memory: a cached frame, or a page a running
    /// checkpoint still holds (which is then cached again).
    pub hits: u64,
    /// Pages read from the file, counted before the read; two readers
    /// missing the same page count two.
    pub misses: u64,
    /// Clean pages the CLOCK dropped to make room (dirty pages never go).
    pub evictions: u64,
}

/// The bounded cache of decoded pages.
pub struct Cache {
    shards: Box<[Mutex<Shard>]>,
    clock: Mutex<Clock>,
    capacity: usize,
    /// The pages a running checkpoint is writing (see [`crate::pager`]).
    /// Set and cleared only through `&mut self` (a writer or checkpoint
    /// holding the tree alone), so readers consult it with no lock.
    pending: Option<Arc<Images>>,
    /// Pages read from the file (counted before the read, with no lock).
    misses: AtomicU64,
}

/// Where a miss goes next (see [`Cache::miss`]).
pub enum Miss {
    /// A running checkpoint holds the page: newer than the file, no read.
    Pending(Arc<Node>),
    /// Read it from the file, then [`Cache::insert`] it.
    Read,
}

impl Cache {
    /// An empty cache of `capacity` pages. The bound holds for clean pages
    /// only: dirty ones stay past it until a checkpoint cleans them.
    pub fn new(capacity: usize) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            clock: Mutex::default(),
            capacity,
            pending: None,
            misses: AtomicU64::new(0),
        }
    }

    fn shard(&self, id: u64) -> &Mutex<Shard> {
        &self.shards[shard_index(id)]
    }

    /// The page count the cache keeps itself to when it can evict.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Cached pages changed since the last checkpoint took them; they are
    /// never evicted.
    pub fn dirty_pages(&self) -> usize {
        self.clock.lock().dirty
    }

    /// Pages cached now, dirty ones included (not those only a running
    /// checkpoint still holds); may exceed [`Cache::capacity`] while dirty
    /// pages fill it.
    pub fn cached_pages(&self) -> usize {
        self.clock.lock().ids.len()
    }

    /// Hits, misses and evictions since the cache was made (the engine's
    /// open).
    pub fn stats(&self) -> CacheStats {
        let clock = self.clock.lock();
        let hits: u64 = self.shards.iter().map(|s| s.lock().hits).sum();
        CacheStats {
            hits: hits + clock.pending_hits,
            misses: self.misses.load(Ordering::Relaxed),
            evictions: clock.evictions,
        }
    }

    /// The cached page `id`, counted as a hit, if cached.
    pub fn get(&self, id: u64) -> Option<Arc<Node>> {
        let mut shard = self.shard(id).lock();
        let shard = &mut *shard;
        let f = shard.frames.get_mut(&id)?;
        shard.hits += 1;
        f.referenced = true;
        Some(Arc::clone(&f.node))
    }

    /// `f` of the cached page `id`, counted as a hit, under its shard's
    /// lock (so that a hit on a page every reader touches, the root,
    /// moves no reference count between cores); `f` back when not cached.
    /// `f` must not touch the cache (the lock is not reentrant).
    pub fn with<R, F: FnOnce(&Node) -> R>(&self, id: u64, f: F) -> Result<R, F> {
        let mut shard = self.shard(id).lock();
        let shard = &mut *shard;
        let Some(frame) = shard.frames.get_mut(&id) else {
            return Err(f);
        };
        shard.hits += 1;
        frame.referenced = true;
        Ok(f(&frame.node))
    }

    /// The cached page `id` without counting a hit or setting its bit.
    pub fn peek(&self, id: u64) -> Option<Arc<Node>> {
        self.shard(id)
            .lock()
            .frames
            .get(&id)
            .map(|f| Arc::clone(&f.node))
    }

    /// Page `id` was not cached: take it from a running checkpoint's pages
    /// (cached, a hit), or count a miss for the caller to read. The
    /// checkpoint's pages cannot change while any reader or writer holds
    /// the tree (starting and ending one takes the tree exclusively), so
    /// what this says holds until the caller's read is done.
    pub fn miss(&self, id: u64) -> Miss {
        match self.pending.as_ref().and_then(|p| p.get(&id)) {
            Some(node) => {
                let mut clock = self.clock.lock();
                clock.pending_hits += 1;
                let (node, victim) = self.insert_locked(&mut clock, id, Arc::clone(node), false);
                drop(clock);
                drop(victim);
                Miss::Pending(node)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Miss::Read
            }
        }
    }

    /// Cache clean page `id` just read. Another reader may have cached it
    /// meanwhile: then that copy stays and is returned.
    pub fn insert(&self, id: u64, node: Arc<Node>) -> Arc<Node> {
        let (node, victim) = self.insert_locked(&mut self.clock.lock(), id, node, false);
        // Freed (a page's worth of allocations) with no lock held.
        drop(victim);
        node
    }

    /// Cache `node` in page `id` unless cached; returns the cached node
    /// and the page evicted to make room, for the caller to drop once it
    /// has released the clock: freeing a decoded page is the costliest
    /// part of an eviction, and every miss waits for this lock.
    fn insert_locked(
        &self,
        clock: &mut Clock,
        id: u64,
        node: Arc<Node>,
        dirty: bool,
    ) -> (Arc<Node>, Option<Arc<Node>>) {
        if let Some(f) = self.shard(id).lock().frames.get_mut(&id) {
            f.referenced = true;
            return (Arc::clone(&f.node), None);
        }
        let victim = self.make_room(clock);
        clock.ids.push(id);
        if dirty {
            clock.dirty += 1;
        }
        let frame = Frame {
            node: Arc::clone(&node),
            dirty,
            referenced: true,
        };
        self.shard(id).lock().frames.insert(id, frame);
        (node, victim)
    }

    /// Evict one clean page if the cache is full. Two sweeps of the hand
    /// without a victim mean every page is dirty: the cache then grows
    /// until the next checkpoint cleans it.
    fn make_room(&self, clock: &mut Clock) -> Option<Arc<Node>> {
        let held = self.pending.as_ref().map_or(0, |p| p.len());
        if clock.ids.len() + held < self.capacity {
            return None;
        }
        for _ in 0..2 * clock.ids.len() {
            if clock.hand >= clock.ids.len() {
                clock.hand = 0;
            }
            let id = clock.ids[clock.hand];
            let mut shard = self.shard(id).lock();
            let f = shard.frames.get_mut(&id).expect("clock and frames agree");
            if f.dirty {
                clock.hand += 1;
            } else if f.referenced {
                f.referenced = false;
                clock.hand += 1;
            } else {
                let victim = shard.frames.remove(&id).expect("found just above");
                clock.ids.swap_remove(clock.hand);
                clock.evictions += 1;
                return Some(victim.node);
            }
        }
        None
    }

    /// The cached node in page `id` for a writer (who holds the tree
    /// alone, so no lock is taken), not counted: the writer's
    /// [`Cache::get`] or miss counted the access. `None` when not cached.
    pub fn node_ref(&mut self, id: u64) -> Option<&Node> {
        let shard = self.shards[shard_index(id)].get_mut();
        shard.frames.get(&id).map(|f| &*f.node)
    }

    /// As [`Cache::node_ref`], to change: the page becomes dirty.
    pub fn node_mut(&mut self, id: u64) -> Option<&mut Node> {
        let shard = self.shards[shard_index(id)].get_mut();
        let f = shard.frames.get_mut(&id)?;
        f.referenced = true;
        if !f.dirty {
            f.dirty = true;
            self.clock.get_mut().dirty += 1;
        }
        // Copied here if a running checkpoint still holds this version.
        Some(Arc::make_mut(&mut f.node))
    }

    /// Replace the content of page `id` (a new or reused page), dirty.
    pub fn set(&mut self, id: u64, node: Node) {
        let shard = self.shards[shard_index(id)].get_mut();
        if let Some(f) = shard.frames.get_mut(&id) {
            f.node = Arc::new(node);
            f.referenced = true;
            if !f.dirty {
                f.dirty = true;
                self.clock.get_mut().dirty += 1;
            }
            return;
        }
        // Uncontended: a writer holds the tree alone.
        let mut clock = self.clock.lock();
        let _ = self.insert_locked(&mut clock, id, Arc::new(node), true);
    }

    /// Take every dirty page and `meta` as a checkpoint's images (see
    /// [`crate::pager::Pager::take_images`]).
    pub fn take_images(&mut self, meta: Meta) -> Arc<Images> {
        let mut images = Images::new();
        for shard in self.shards.iter_mut() {
            for (&id, f) in shard.get_mut().frames.iter_mut().filter(|(_, f)| f.dirty) {
                images.insert(id, Arc::clone(&f.node));
                f.dirty = false;
            }
        }
        images.insert(0, Arc::new(Node::Header(meta)));
        let images = Arc::new(images);
        self.clock.get_mut().dirty = 0;
        self.pending = Some(Arc::clone(&images));
        images
    }

    /// The checkpoint's images are in the page file: drop them, and pages
    /// over the capacity can go.
    pub fn finish_checkpoint(&mut self) {
        self.pending = None;
        let mut clock = self.clock.lock();
        while clock.ids.len() > self.capacity {
            if self.make_room(&mut clock).is_none() {
                break;
            }
        }
    }
}

/// The shard of page `id`: the top bits of a multiplicative (Fibonacci)
/// hash, so ids allocated in sequence spread evenly.
fn shard_index(id: u64) -> usize {
    (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARDS.trailing_zeros())) as usize
}

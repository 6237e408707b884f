//! Checkpoints: the page file moves from one consistent tree to the next,
//! atomically, through a doublewrite file.
//!
//! Between checkpoints the page file is never written (the pager keeps
//! changed pages in memory), so it always holds the tree of the last
//! checkpoint. A checkpoint writes every dirty page and the header page in
//! place, which a crash could tear halfway: some pages new, some old, one
//! page half of each. So first it writes the same page images to the
//! doublewrite file `pages.dw` and fsyncs it; only then does it write in
//! place. Recovery finds a complete, checksummed doublewrite file and copies
//! it in place again (idempotent), which completes an interrupted
//! checkpoint and repairs any torn page; an incomplete one means the
//! in-place writes never started, and it is ignored, unless the page file
//! shows they had (then the doublewrite was damaged afterwards, and that is
//! corruption: see [`crate::doublewrite`]). The cost is every
//! checkpointed page written twice (InnoDB's doublewrite buffer makes the
//! same trade).
//!
//! The order of one checkpoint, the log being at generation `g`:
//!
//! 1. create `wal.(g+1)` and make it durable (no lock held);
//! 2. under the writers' lock, with the tree held exclusively: take the
//!    dirty pages (pointer copies) and a header page naming `g+1`, and
//!    switch writers to `wal.(g+1)`: every operation is in the log of the
//!    generation it was applied in, and the pages hold exactly the
//!    operations of generations `<= g`;
//! 3. without the locks, while readers and writers go on: fsync `wal.g` (until it is
//!    done, any fsync of `wal.(g+1)` is preceded by one of `wal.g`, and
//!    appends to `wal.(g+1)` stay in its buffer, never written to its file:
//!    a crash could keep those bytes and tear `wal.g`'s tail); write
//!    the pages new to the file (past the durable header's page count) in
//!    place and fsync (Flush): no tree on disk refers to them yet; encode
//!    the others and the header into `pages.dw`, fsync it (Compaction);
//! 4. write those in place, runs of adjacent pages in one write each, fsync
//!    the page file (Flush);
//! 5. truncate `pages.dw` and fsync it, remove the logs older than `g+1`.
//!
//! Recovery replays every log from the generation the header names upward,
//! in order, so a crash anywhere in 3-5 loses nothing written to `wal.(g+1)`
//! meanwhile. Nothing of `wal.(g+1)` becomes durable before all of `wal.g`
//! is, so the logs on disk always hold a prefix of the operations.
//!
//! The truncation of `pages.dw` that ends a checkpoint (and a recovery)
//! is synced, so that a later torn doublewrite can never be mistaken for
//! a complete one, or sit on a stale one. Its format, and what recovery
//! concludes from it, are in [`crate::doublewrite`].
//!
//! When a checkpoint runs (the log's length, the dirty share of the cache),
//! who runs it (the background checkpointer, or a writer when it is urgent)
//! and how it takes the engine's lock are here too, as methods on the
//! engine's shared state; the engine only asks for one.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use engine_core::log::LogWriter;
use engine_core::{Error, EventKind, File, Purpose, Result, Vfs};

use crate::doublewrite::{judge, Doublewrite};
use crate::engine::{exhausted, Inner, Shared};
use crate::page::{page_offset, Node};
use crate::pager::read_meta;
use crate::pager::Images;
use crate::wal;

pub use crate::doublewrite::{decode_dw, encode_dw, DwImages, DW_HEADER};

/// A page to write: its id and content.
type PageRef<'a> = (u64, &'a Node);

/// Encode `pages` one after another into `out`.
fn encode_pages(pages: &[(u64, &Node)], out: &mut [u8], page_size: usize) {
    for ((id, node), slot) in pages.iter().zip(out.chunks_mut(page_size)) {
        node.encode(*id, slot);
    }
}

/// Write encoded `pages` (in id order, `bytes` holding their images one
/// after another) in place, each run of adjacent ids in one write. The ids
/// come from the tree, bounded by the page count that open checked against
/// the file; the offsets are still computed checked, so no id can wrap to a
/// write over another page.
fn write_in_place(
    file: &File,
    pages: &[(u64, &Node)],
    bytes: &[u8],
    page_size: usize,
) -> Result<()> {
    let mut i = 0;
    while i < pages.len() {
        let mut j = i + 1;
        while j < pages.len() && pages[i].0.checked_add((j - i) as u64) == Some(pages[j].0) {
            j += 1;
        }
        let Some(at) = page_offset(pages[i].0, page_size) else {
            return Err(Error::corruption(
                file.path(),
                0,
                format!("page {} has no offset in this file", pages[i].0),
            ));
        };
        file.write_at(&bytes[i * page_size..j * page_size], at, Purpose::Flush)?;
        i = j;
    }
    Ok(())
}

/// Finish an interrupted checkpoint: copy a complete doublewrite file in
/// place (see [`crate::doublewrite`] for what is checked first, and when a
/// damaged one is corruption). Returns how many pages were copied.
pub fn recover(pages: &File, dw: &File) -> Result<usize> {
    let len = dw.len()?;
    if len == 0 {
        return Ok(0);
    }
    let mut bytes = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    dw.read_exact_at(&mut bytes, 0, Purpose::Recovery)?;
    let disk = match pages.len()? {
        0 => None,
        _ => Some(read_meta(pages)),
    };
    let copied = match judge(dw.path(), &bytes, pages, disk)? {
        Doublewrite::Unused => 0,
        Doublewrite::Complete((_, images)) => {
            for &(id, img) in &images {
                // decode_dw bounded every id by a checked page count.
                let Some(at) = page_offset(id, img.len()) else {
                    return Err(Error::corruption(dw.path(), 0, "image without an offset"));
                };
                pages.write_at(img, at, Purpose::Recovery)?;
            }
            pages.sync(Purpose::Recovery)?;
            images.len()
        }
    };
    truncate(dw, Purpose::Recovery)?;
    Ok(copied)
}

/// Empty the doublewrite file, durably (see the module docs for why).
fn truncate(dw: &File, purpose: Purpose) -> Result<()> {
    dw.set_len(0)?;
    dw.sync(purpose)
}

/// The files a checkpoint writes.
pub struct Target<'a> {
    /// The file system the engine's files are on.
    pub vfs: &'a Vfs,
    /// The engine's directory, where the logs the checkpoint makes
    /// obsolete are removed from.
    pub dir: &'a Path,
    /// The page file.
    pub pages: &'a File,
    /// The doublewrite file.
    pub dw: &'a File,
}

/// What one checkpoint writes: the pages (the header page among them) of
/// checkpoint `seq`, whose header names log generation `wal_gen`.
pub struct Snapshot {
    /// The pages to write, by id: every page dirtied since the last
    /// checkpoint and the new header (page 0), which the doublewrite
    /// always carries.
    pub images: Arc<Images>,
    /// The page file's page size, the length of every encoded image.
    pub page_size: usize,
    /// The new header's checkpoint sequence number, which the doublewrite
    /// file's header carries too.
    pub seq: u64,
    /// The log generation the new header names: once the pages are in
    /// place, logs below it are removed.
    pub wal_gen: u64,
    /// The page count of the header on disk (the last checkpoint's): pages
    /// from here on are new to the file.
    pub durable_pages: u64,
    /// The page count of this checkpoint's header.
    pub page_count: u64,
}

/// The rest of steps 3-5 of a checkpoint: make the snapshot's pages the
/// page file's content atomically, then remove the logs older than the
/// generation the new header names. Runs without the engine's lock; on
/// error the page file is still one consistent tree, or `pages.dw` repairs
/// it at the next open.
///
/// Pages at or past the durable page count belong to no tree or free list
/// on disk, so a torn one harms nothing until a header naming them is
/// durable: they skip the doublewrite and are written (and fsynced) in
/// place first. A growing tree (a load) writes its new pages once.
///
/// Returns the bytes written to the page file and `pages.dw`.
pub fn write_images(to: &Target, snap: &Snapshot) -> Result<u64> {
    let Target {
        vfs,
        dir,
        pages,
        dw,
    } = *to;
    let page_size = snap.page_size;
    let (fresh, old): (Vec<PageRef>, Vec<PageRef>) = snap
        .images
        .iter()
        .map(|(&id, node)| (id, &**node))
        // The header (page 0) always goes through pages.dw.
        .partition(|(id, _)| *id != 0 && *id >= snap.durable_pages);
    if !fresh.is_empty() {
        let mut bytes = vec![0u8; fresh.len() * page_size];
        encode_pages(&fresh, &mut bytes, page_size);
        write_in_place(pages, &fresh, &bytes, page_size)?;
        pages.sync(Purpose::Flush)?;
    }

    let dw_bytes = encode_dw(page_size, snap.seq, &old);
    dw.write_at(&dw_bytes, 0, Purpose::Compaction)?;
    dw.sync(Purpose::Compaction)?;
    write_in_place(pages, &old, &dw_bytes[DW_HEADER..], page_size)?;
    pages.sync(Purpose::Flush)?;

    truncate(dw, Purpose::Compaction)?;
    for gen in wal::list_gens(vfs, dir)? {
        if gen < snap.wal_gen {
            vfs.remove_file(&wal::wal_path(dir, gen))?;
        }
    }
    Ok(((fresh.len() + old.len()) * page_size + dw_bytes.len()) as u64)
}

/// When and how the engine checkpoints: the orchestration around the
/// steps above, on the engine's shared state.
impl Shared {
    /// `dirty_pages`: the tree's, read by the caller, who holds it or
    /// has just released it under `g`'s lock (only writers dirty pages,
    /// and they hold that lock).
    pub(crate) fn checkpoint_due(&self, g: &Inner, dirty_pages: usize) -> bool {
        g.wal.len() >= self.config.checkpoint_bytes || dirty_pages * 2 >= self.cache_capacity()
    }

    /// Past this the writer checkpoints itself even with a background
    /// checkpointer: the cache bound and the log length must hold.
    pub(crate) fn checkpoint_urgent(&self, g: &Inner, dirty_pages: usize) -> bool {
        g.wal.len() >= 2 * self.config.checkpoint_bytes || dirty_pages >= self.cache_capacity()
    }

    /// The dirty pages now (taking the tree shared: lock order `inner`,
    /// then the tree).
    fn dirty_pages(&self) -> usize {
        self.tree.read().pager.dirty_pages()
    }

    fn cache_capacity(&self) -> usize {
        self.config.cache_pages.max(8)
    }

    /// Run one checkpoint (the steps are in [`crate::checkpoint`]), after
    /// the one already running, if any; with `only_if_due`, only when one
    /// is still due then. Called without the lock; it holds the lock only
    /// to switch logs and take the images, never for the page writes.
    pub(crate) fn checkpoint(&self, only_if_due: bool) -> Result<()> {
        let (old, gen) = {
            let mut g = self.inner.lock();
            while g.checkpointing {
                self.done.wait(&mut g);
            }
            self.check_poisoned()?;
            if only_if_due && !self.checkpoint_due(&g, self.dirty_pages()) {
                return Ok(());
            }
            // Checked at open to be below the maximum; one per checkpoint.
            let Some(gen) = g.wal_gen.checked_add(1) else {
                return Err(exhausted(&self.dir));
            };
            g.checkpointing = true;
            (Arc::clone(&g.wal), gen)
        };
        let started = Instant::now();
        let result = self.run_checkpoint(&old, gen);
        let mut g = self.inner.lock();
        g.checkpoint_time += started.elapsed();
        g.checkpointing = false;
        match &result {
            Ok((pages, written)) => {
                g.checkpoints += 1;
                let detail = format!("{pages} pages, log generation {gen}");
                self.events
                    .record_since(EventKind::Checkpoint, started, (0, *written), detail);
            }
            Err(_) => self.poison(),
        }
        self.done.notify_all();
        result.map(|_| ())
    }

    /// Steps 1-5; returns the pages written and the bytes it took.
    fn run_checkpoint(&self, old: &Arc<LogWriter>, gen: u64) -> Result<(usize, u64)> {
        // Most of the old log's fsync, and the new log, without the lock.
        old.sync()?;
        let new_wal = wal::create(&self.vfs, &self.dir, gen)?;
        let snap = {
            let mut g = self.inner.lock();
            self.check_poisoned()?;
            let g = &mut *g;
            // Exclusive: no reader is between its check of the pending
            // pages and its read of the file (see `crate::pager`).
            let mut tree = self.tree.write();
            let (meta, images) = tree
                .pager
                .begin_checkpoint(gen)
                .ok_or_else(|| exhausted(&self.dir))?;
            g.prev_wal = Some(Arc::clone(old));
            g.wal = Arc::new(new_wal);
            g.wal_gen = gen;
            g.since_sync = 0;
            Snapshot {
                images,
                // The file's page size, which `open` made the config's.
                page_size: tree.pager.page_size(),
                seq: meta.seq,
                wal_gen: gen,
                durable_pages: g.durable_pages,
                page_count: meta.page_count,
            }
        };
        // What was appended since the first sync, now without the lock; the
        // header naming the new log must not be written before it is done.
        old.sync()?;
        self.inner.lock().prev_wal = None;
        let target = Target {
            vfs: &self.vfs,
            dir: &self.dir,
            pages: &self.pages,
            dw: &self.dw,
        };
        let written = write_images(&target, &snap)?;
        let mut g = self.inner.lock();
        self.tree.write().pager.finish_checkpoint();
        g.durable_pages = snap.page_count;
        Ok((snap.images.len(), written))
    }

    pub(crate) fn background_loop(&self) {
        loop {
            {
                let mut g = self.inner.lock();
                while !g.closing
                    && (self.is_poisoned()
                        || g.checkpointing
                        || !self.checkpoint_due(&g, self.dirty_pages()))
                {
                    self.wake.wait(&mut g);
                }
                if g.closing {
                    return;
                }
            }
            // A failure poisons the engine; writers report it.
            let _ = self.checkpoint(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_core::vfs::SimFs;
    use engine_core::OpenMode;

    /// The ids come from the tree, but a product of values read from a
    /// file is checked all the same: this used to overflow (a panic in
    /// debug, a write at a wrapped offset in release).
    #[test]
    fn write_in_place_refuses_a_page_without_an_offset() {
        let vfs = SimFs::new(1).vfs();
        let file = vfs.open(Path::new("/pages"), OpenMode::Create).unwrap();
        let free = Node::Free { next: 0 };
        let wild = u64::MAX / 256;
        let bytes = vec![0u8; 2 * 512];
        let err =
            write_in_place(&file, &[(wild, &free), (wild + 1, &free)], &bytes, 512).unwrap_err();
        assert!(err.to_string().contains(&wild.to_string()), "{err}");
        assert_eq!(file.len().unwrap(), 0, "nothing written");
        let err = write_in_place(&file, &[(u64::MAX, &free)], &bytes[..512], 512).unwrap_err();
        assert!(matches!(err, Error::Corruption { .. }), "{err}");
    }
}

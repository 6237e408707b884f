//! # btree: an update-in-place B+tree
//!
//! The classic page-based design, to set against the log-structured
//! engines. Data lives in one file of fixed-size pages (`page_size`, 4 KiB
//! by default): a header page, internal pages of separator keys and child
//! ids, leaf pages of sorted keys and values linked left to right for scans,
//! overflow pages for values too large to share a leaf, and free pages
//! chained into a free list that the tree reuses before it grows the file.
//! Its costs are the textbook ones the harness should show: a point read
//! costs one page per tree level not in the cache, and a small update
//! eventually rewrites a whole page.
//!
//! ## Crash safety: a logical WAL plus atomic checkpoints
//!
//! Of the two classic designs (a write-ahead log with checkpoints, or
//! copy-on-write shadow paging) this engine takes the log, because the
//! benchmark measures small updates: a put changes cached pages and appends
//! one record (key and value) to `wal.<gen>`, so with `sync=never` it costs
//! one buffered append, and with `sync=always` one share of a group-commit
//! fsync. Shadow paging would rewrite the whole root-to-leaf path per
//! commit. Changed pages wait in the cache ("no steal") until a checkpoint,
//! triggered by log length (`checkpoint_bytes`) or by dirty pages reaching
//! half the cache, writes them all at once; many updates to one page then
//! cost one page write.
//!
//! A checkpoint must move the page file from one consistent tree to the
//! next even if it dies halfway, or the logical log would be replayed onto
//! a broken tree. It does so with a doublewrite file ([`checkpoint`]): the
//! images of pages the file already had go to `pages.dw` and are fsynced
//! before any is written in place, and recovery copies a complete
//! doublewrite file in place again. Pages new to the file (past the page
//! count on disk) need no such copy, since no tree on disk refers to them:
//! they are written and fsynced first, once.
//! That also repairs a torn page; a page damaged any other way fails its
//! CRC-32 or names the wrong page id, and reads report
//! [`Error::Corruption`](engine_core::Error::Corruption) with the file and
//! offset. Next-leaf links need page ids that never change, which is one
//! more reason not to use copy-on-write here.
//!
//! ## Files
//!
//! - `ENGINE`: the owner file ([`engine_core::ownership`]) naming `btree`,
//!   written before any other; open refuses a non-empty directory without
//!   it, and verify one that another engine owns.
//! - `pages`: page 0 is the header ([`page::Meta`]: magic `BTREEPG1`,
//!   version, page size, checkpoint sequence, root, height, page count, free
//!   list head and length, log generation); every page's layout is in
//!   [`page`].
//! - `pages.dw`: durably empty between checkpoints ([`checkpoint`]; format
//!   and recovery rules in [`doublewrite`]).
//! - `wal.<gen>`: the log since the last checkpoint ([`wal`]); two while a
//!   checkpoint runs (the one it covers and the one writers moved on to).
//!
//! ## Limits
//!
//! A key may be at most a quarter of a page's body less 16 bytes (1002 bytes
//! at 4 KiB pages) so that an internal page always splits with a key on
//! each side; a longer key is [`Error::TooLarge`](engine_core::Error::TooLarge).
//! Values up to the log record limit (64 MiB) are accepted; a value whose
//! leaf entry would exceed a third of a page's body (1357 bytes at 4 KiB) is
//! stored in a chain of overflow pages, whole pages each.
//!
//! Log replay at open applies the logs since the last checkpoint without
//! checkpointing, so the cache may hold more dirty pages than its bound
//! until the first checkpoint after the open (at most the pages that
//! `2 x checkpoint_bytes` of log can touch).
//!
//! ## Concurrency: readers in parallel, one writer at a time
//!
//! The engine's state is split by who needs it (`engine.rs` has the
//! details): the tree's pages behind a readers-writer lock, the writers'
//! state (the log, its generation, the checkpoint machinery) behind a
//! mutex, taken first when both are. A get or scan takes the tree shared,
//! once, and nothing else of the engine: readers run in parallel with each
//! other, with a checkpoint's writes and with a writer's log append and
//! fsync, and each call sees the tree between two writes. A writer holds
//! the tree exclusively only while it changes pages in memory.
//!
//! Under the shared lock the page cache ([`cache`]) must take its own
//! locks: frames are spread over 16 mutex-guarded shards by page id, so a
//! hit takes one shard lock and clones an `Arc`; a miss reads the page with
//! no lock held and takes one more mutex, the CLOCK's, to insert it. One
//! CLOCK for all shards, rather than one each, costs that lock per miss and
//! keeps replacement exactly what it was with one map, so one-thread runs
//! (the gate's) read the same pages as before. A failed fsync or write
//! sets an atomic poisoned flag every operation checks first.
//!
//! What it trades: readers and writers still exclude each other for the
//! in-memory part of a write (no latch coupling), so a write-heavy mix
//! scales less than a read-only one; two readers missing the same page may
//! both read it (the second copy is dropped, both reads are counted); and
//! every reader's hit on the root and upper levels touches the same shard
//! lock and reference counts, which caps scaling well below linear on many
//! cores (a lock-free root, or optimistic latches, would be the next
//! step).
//!
//! ## Checkpoints and the cache bound
//!
//! A checkpoint holds the writers' mutex and the tree only to switch logs
//! and copy the dirty pages out as images (and to end);
//! its writes and fsyncs run without them, on a helper thread with
//! `background=true` (the default) or in the write that made one due with
//! `background=false` (deterministic, for tests and the gate). A writer
//! that finds twice the due amount pending checkpoints itself, so the log
//! length and the cache bound hold under any write rate. The cache bound
//! holds except inside one operation that dirties more pages than fit, and
//! dirty pages never leave the cache before a checkpoint. The doublewrite
//! doubles checkpoint writes.

pub mod cache;
pub mod checkpoint;
pub mod doublewrite;
mod engine;
pub mod page;
pub mod pager;
pub mod tree;
mod verify;
pub mod wal;

pub use engine::BTree;
pub use verify::verify;

use std::path::Path;

use engine_core::{Engine, OptionSpec, Options, Result, Vfs};

/// The name in the directory's owner file
/// ([`engine_core::ownership::OWNER_FILE`]).
pub const ENGINE_NAME: &str = "btree";
/// The page file's name.
pub const PAGE_FILE: &str = "pages";
/// The doublewrite file's name.
pub const DW_FILE: &str = "pages.dw";

/// The engine's own options (beside the common `sync` and `cache_mb`).
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "page_size",
        default: "4096",
        help: "bytes per page, a power of two in 512..=65536 (fixed when the file is created)",
    },
    OptionSpec {
        name: "cache_pages",
        default: "0",
        help: "page cache capacity in pages; 0 derives it from cache_mb",
    },
    OptionSpec {
        name: "checkpoint_bytes",
        default: "16777216",
        help: "log bytes after which a checkpoint writes dirty pages back and starts a new log",
    },
    OptionSpec {
        name: "background",
        default: "true",
        help: "checkpoint on a helper thread (false: inline in the write that makes one due, deterministic)",
    },
];

/// Open (or recover) a B+tree in `dir`.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    Ok(Box::new(engine::open(vfs, dir, options)?))
}

/// Open as the concrete type (tests and benches reach `checkpoint()`).
pub fn open_btree(vfs: &Vfs, dir: &Path, options: &Options) -> Result<BTree> {
    engine::open(vfs, dir, options)
}

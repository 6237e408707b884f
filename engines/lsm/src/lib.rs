//! # lsm: a log-structured merge tree
//!
//! Writes go to memory and to a sequential log; sorted files are written in
//! big sequential passes and merged in the background. That is the whole
//! trade: random writes become sequential ones, paid for with rewriting
//! (write amplification), with reads that may consult several files (read
//! amplification), and with garbage that waits for a merge (space
//! amplification). This crate builds one LSM with two knobs that move those
//! costs around: bloom filters on or off, and leveled or tiered compaction.
//!
//! ## The path of a write
//!
//! 1. [`wal`]: the record is appended to the write-ahead log (buffered;
//!    fsynced per `sync=always|never|bytes:N` by the shared log writer,
//!    whose group commit shares one fsync among concurrent writers; a WAL
//!    is sealed before the next one exists, so a sync has only the current
//!    WAL to fsync and durable writes are always a prefix).
//! 2. [`memtable`]: inserted into a lock-free skip list. Readers never wait
//!    for writers.
//! 3. When the memtable reaches `memtable_mb` it becomes immutable, a new
//!    WAL and memtable take over, and a background thread *flushes* it into
//!    an [`sstable`] in level 0. Writers stall (counted) only when
//!    `max_imm` memtables wait, or level 0 reaches `l0_stop`.
//! 4. [`compaction`] merges tables in the background: [`compaction::leveled`]
//!    or [`compaction::tiered`] decides which (a pure function of the
//!    [`version`]), [`compaction::exec`] merges them through the
//!    [`iterator`] module's heap merge.
//! 5. Every change of the file set is an edit appended to the [`manifest`]
//!    and fsynced before the replaced files are deleted.
//!
//! ## The path of a read
//!
//! A get looks in the active memtable, the immutable ones, then each sorted
//! run newest first, and stops at the first version it finds (a tombstone
//! means "absent"). In a run it binary-searches the tables by key range,
//! asks the table's [`bloom`] filter, binary-searches the table's pinned
//! index, and reads one data block through the [`cache`]: at most one
//! storage read per run, and none for a run whose filter says no. A scan
//! merges iterators over all memtables and runs, newest version winning.
//!
//! ## Files in the directory
//!
//! | file | written by | format |
//! |---|---|---|
//! | `NNNNNN.log` | writers | [`wal`]: shared-layer log, magic `LSMWAL\0\0`, version 2 |
//! | `NNNNNN.sst` | flush, compaction | [`sstable`]: blocks + filter + index + footer, magic `LSMTABLE` |
//! | `MANIFEST` | flush, compaction, open | [`manifest`]: shared-layer log of version edits, magic `LSMMANIF`, version 2 |
//!
//! [`verify()`] walks all three offline, read-only (`harness verify`).
//!
//! One counter numbers WALs and tables alike, so names never repeat. Data
//! blocks use prefix compression with a restart point every
//! `restart_interval` keys; every block, the footer and every log record
//! carry a CRC-32, and every decoder checks lengths against the bytes it has
//! (corruption is an `Error::Corruption` naming file and offset).
//!
//! Both logs (WAL and manifest) are written and read through the shared
//! log layer of [`engine_core::log`], one writer and one torn-tail rule for
//! every engine: the writer puts a sync marker after each fsync (and seals
//! a log at rotation and clean close), and at the first bad record the
//! reader looks, in one linear pass, for a later marker vouching that the
//! record was durable. If there is one, the damage is corruption and fails
//! the open; if not, the log ends there, which is what a crash leaves of
//! unsynced appends (cut short, zero-filled, garbage, or a lost page
//! followed by kept ones). Every WAL but the newest must end in its seal
//! (rotation seals a WAL before the next one is created), so any damage
//! there is corruption; before a flush deletes a WAL, the manifest is
//! marked so that its edit is vouched for too. Only damage to records
//! written after the newest log's last marker (its last group of writes
//! before a crash) cannot be told from an unsynced tail, and is dropped
//! like one.

//! ## Recovery
//!
//! Open replays the manifest, opens its tables, replays the WALs at or
//! after the manifest's log number (only the newest may end torn), flushes
//! what it replayed to a table, rewrites the manifest as a snapshot, starts
//! a fresh WAL and deletes everything the snapshot does not name. See
//! `db::recovery`.
//!
//! ## Compaction and its cost model
//!
//! Let `T` be `size_ratio`, `L` the number of levels (or tiers) the data
//! spans (about `log_T(data / memtable)`), and count write amplification
//! as storage bytes written per user byte; the WAL always adds 1 and the
//! flush 1.
//!
//! - **Leveled** (`compaction=leveled`): each level is one sorted run `T`
//!   times larger than the one above. A file pushed from level `i` to `i+1`
//!   is merged with the ~`T` files it overlaps, so each byte is rewritten
//!   about `T / 2` times per level on average (between 1 and `T`, depending
//!   on where in the next level's range it lands and how full that level is)
//!   — **write amp ~ 2 + L x T / 2**. Space amp is ~`1 + 1/T` (only the
//!   upper levels can hold stale versions); a get reads at most one block
//!   per level plus one per L0 file.
//! - **Tiered** (`compaction=tiered`): `tier_runs` (default `T`) runs of
//!   similar size merge into one run of the next tier, so each byte is
//!   rewritten once per tier — **write amp ~ 2 + L**. Space amp is bounded
//!   by `max_space_amp` (default 200%, i.e. up to 3x); a get may consult up
//!   to `T - 1` runs per tier, which is where bloom filters matter most.
//!
//! With bloom filters (`bloom_bits=b`, `k = round(b ln 2)` probes) a get for
//! an absent key costs about `runs x (1 - e^(-k/b))^k` block reads instead
//! of one per run whose key range covers it: 0.8% at `b = 10`.
//!
//! ## Memory
//!
//! `cache_mb` bounds the block cache. Index and filter blocks are pinned per
//! open table and reported apart (`pinned_bytes`), as are memtables
//! (`memtable_bytes`, up to `memtable_mb x (1 + max_imm)`), mirroring how
//! RocksDB accounts its block cache and write buffers.
//!
//! ## Determinism
//!
//! With `background=false`, flushes and compactions run inline on the
//! writer that filled the memtable, at the same operation every run, so a
//! single-threaded workload's byte counters repeat exactly (the CI gate
//! relies on it). The default runs them on two background threads.

mod coding;
mod db;
mod verify;

pub mod bloom;
pub mod cache;
pub mod compaction;
pub mod files;
pub mod iterator;
pub mod manifest;
pub mod memtable;
pub mod options;
pub mod sstable;
pub mod version;
pub mod wal;

pub use db::{open, Lsm};
pub use options::{LsmOptions, Style, OPTIONS};
pub use verify::verify;

/// The four configurations the harness registers, as (name, options).
pub const PRESETS: &[(&str, &str)] = &[
    ("lsm-leveled", "compaction=leveled,bloom_bits=10"),
    ("lsm-tiered", "compaction=tiered,bloom_bits=10"),
    ("lsm-leveled-nobloom", "compaction=leveled,bloom_bits=0"),
    ("lsm-tiered-nobloom", "compaction=tiered,bloom_bits=0"),
];

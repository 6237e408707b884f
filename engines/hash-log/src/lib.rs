//! # hash-log: Bitcask, a log with a hash index in memory
//!
//! Bitcask (Sheehy and Smith, Basho, 2010) keeps the naive log's cheap
//! writes and fixes its reads with one idea: remember, in memory, where the
//! newest record of every key is.
//!
//! - **Writes** append a checksummed record to the *active segment* through
//!   the shared [`LogWriter`](engine_core::log::LogWriter) (buffered, group
//!   commit under `sync=always`) and point the **keydir**, a hash map
//!   `key -> (segment, offset, length)`, at it. When the active segment
//!   reaches `segment_bytes` it is sealed (synced, then a sync marker
//!   vouching for all of it) and a new one started.
//! - **Gets** are one keydir lookup and exactly one storage read of the
//!   whole record, whose checksum is verified before the value is returned.
//! - **Deletes** append a tombstone and drop the key from the keydir.
//! - **Scans** have no order to use: they collect the keys >= start from
//!   the keydir, select and sort the smallest `limit`, and read each one.
//!   O(n) per scan in the number of keys; that is the hash index's price.
//! - **Merge** rewrites the live records of all sealed segments into new
//!   segments, each with a **hint file** listing its keys and locations,
//!   then deletes the old segments. It runs when dead bytes reach
//!   `merge_ratio` of the sealed segments, on a background thread
//!   (`background=true`) or on the writer's thread (`background=false`,
//!   which makes every counter deterministic). See [`merge`] for the
//!   crash-safe order.
//! - **Open** rebuilds the keydir oldest segment first, from the hint when
//!   a segment has a complete one (keys only, no values read) and from the
//!   records otherwise; a torn tail of the newest segment is truncated,
//!   damage elsewhere (including the end of a sealed segment) is reported
//!   as corruption with file and offset.
//!
//! ## What it trades
//!
//! Reads cost one I/O whatever the data size, and writes are sequential
//! appends: write amplification is the record header plus what merge
//! copies. The price is memory: every key lives in RAM (`keydir_bytes` in
//! the metrics), so the number of keys, not the data size, is the limit;
//! and range scans are as slow as a hash index makes them. Space
//! amplification rises with overwrites until merge reclaims it, so it
//! oscillates between 1 and about `1 / (1 - merge_ratio)`.
//!
//! ## On-disk format
//!
//! - `{id:016x}.seg`: segments, logs of the shared log layer with magic
//!   `HASHSEG\0`, version 2 (see [`segment`], [`engine_core::log`] and
//!   [`engine_core::record`]);
//! - `{id:016x}.hint`: hint files of merge outputs (see [`hint`]);
//! - `{id:016x}.seg.tmp`, `{id:016x}.hint.tmp`: files being created;
//!   removed at open (no other file is ever deleted but merged segments
//!   and their hints);
//! - `ENGINE`: the owner file ([`engine_core::ownership`]), naming
//!   `hash-log`; open refuses a non-empty directory without it.

mod engine;
pub mod hint;
mod keydir;
pub mod merge;
mod recovery;
pub mod segment;
mod store;
mod verify;

pub use engine::HashLog;
pub use verify::verify;

use std::path::Path;

use engine_core::{Engine, OptionSpec, Options, Result, Vfs, COMMON_OPTIONS};

/// The name in the directory's owner file ([`engine_core::ownership`]).
pub const ENGINE_NAME: &str = "hash-log";

/// The engine's options beyond `sync` and `cache_mb`.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "segment_bytes",
        default: "67108864",
        help: "size at which the active segment is sealed and a new one started",
    },
    OptionSpec {
        name: "merge_ratio",
        default: "0.5",
        help: "merge when dead bytes reach this fraction of the sealed segments (0..1)",
    },
    OptionSpec {
        name: "background",
        default: "true",
        help: "merge on a background thread (false: on the writer's thread, deterministic)",
    },
];

/// Open (or recover) a hash log in `dir`.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    options.check("hash-log", &[COMMON_OPTIONS, OPTIONS])?;
    // No cache to size (the keydir holds every key; values are read from
    // the segments), but a value that is not a size is still refused.
    options.cache_bytes()?;
    let cfg = store::Config {
        durability: options.durability()?,
        segment_bytes: options.u64_in("segment_bytes", 64 << 20, 256, 1 << 40)?,
        merge_ratio: options.f64("merge_ratio", 0.5)?,
        background: options.bool("background", true)?,
    };
    if !(0.0..1.0).contains(&cfg.merge_ratio) || cfg.merge_ratio <= 0.0 {
        return Err(engine_core::Error::BadOption {
            key: "merge_ratio".into(),
            value: cfg.merge_ratio.to_string(),
            expected: "a fraction between 0 and 1 (exclusive)".into(),
        });
    }
    let inner = recovery::recover(vfs, dir, cfg)?;
    Ok(Box::new(HashLog::new(inner)))
}

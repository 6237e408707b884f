//! # naive-log: the simplest database there is
//!
//! Two shell functions, as the saying goes: `db_set` appends `key,value` to
//! a file, `db_get` greps the file for the last line with that key. This
//! crate is that design, done honestly:
//!
//! - **put / delete** append one checksummed record (a put, or a tombstone)
//!   to the single log file `naive.log`, through the shared
//!   [`LogWriter`](engine_core::log::LogWriter): buffered, group-committed
//!   under `sync=always`.
//! - **get** reads the whole log from the start, in large sequential reads,
//!   and the last record for the key wins. There is no index.
//! - **scan** reads the whole log, keeps the last version of every key in a
//!   sorted map and returns the range asked for.
//! - **open** reads the log once to check it: a torn tail (the writer died
//!   mid-append) is truncated; damage anywhere else is reported as
//!   corruption with the file and offset, never skipped.
//!
//! ## What it trades
//!
//! Writes are as cheap as writes get: write amplification is the record
//! header over the key and value (13 bytes per record), and there is no
//! background work at all. Reads pay for it: a get costs the size of the
//! *whole log* in bytes read, so read amplification grows without bound as
//! the log grows, and overwritten or deleted data is never reclaimed, so
//! space amplification grows with every overwrite. That is the point of the
//! engine: it is the baseline every other design improves on by adding an
//! index (hash-log), by sorting (btree, lsm), or by reclaiming space
//! (merge, compaction). In the harness it cannot finish large runs, which is
//! why `--max-time` exists.
//!
//! ## On-disk format
//!
//! One file, `naive.log`: the record codec's 16-byte file header with magic
//! `NAIVELOG` and version 2, then records back to back (13-byte header with
//! CRC-32, kind, key length, value length; then key and value), among them
//! the 33-byte sync markers the shared writer puts after each fsync and at a
//! clean close (the seal). The layout is documented byte by byte in
//! [`engine_core::record`], the torn-tail rule in [`engine_core::log`]. A
//! version 1 log (before sync markers) is refused with an error naming the
//! file and both versions.
//!
//! Beside it, `ENGINE`, the owner file ([`engine_core::ownership`]) naming
//! `naive-log`: open refuses a non-empty directory without it, and creates
//! nothing in it then. Open never deletes a file; the only change it makes
//! to an existing one is truncating a torn tail off `naive.log`. With a
//! single log there is no sealed file whose tail could be mistaken for a
//! torn one; a clean close seals the log, so damage to its last record is
//! corruption, and the next open appends after the seal.

mod engine;
mod verify;

pub use engine::NaiveLog;
pub use verify::verify;

use std::path::Path;

use engine_core::{Engine, OptionSpec, Options, Result, Vfs, COMMON_OPTIONS};

/// The log file's name inside the engine directory.
pub const LOG_FILE: &str = "naive.log";
/// The name in the directory's owner file ([`engine_core::ownership`]).
pub const ENGINE_NAME: &str = "naive-log";
/// File-header magic.
pub const MAGIC: &[u8; 8] = b"NAIVELOG";
/// Format version. 2: sync markers (kind 4, 33 bytes) replace version 1's
/// empty close marker (kind 3); version 1 logs are refused.
pub const VERSION: u32 = 2;

/// The engine's own options: none beyond the common `sync` and `cache_mb`
/// (it keeps no cache: every get reads the log).
pub const OPTIONS: &[OptionSpec] = &[];

/// Open (or recover) a naive log in `dir`.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    options.check("naive-log", &[COMMON_OPTIONS, OPTIONS])?;
    Ok(Box::new(NaiveLog::open(vfs, dir, options)?))
}

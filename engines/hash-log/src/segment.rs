//! Segments: the log files that hold every record.
//!
//! A segment is a log of the shared log layer ([`engine_core::log`], bytes
//! in [`engine_core::record`]): a 16-byte file header with magic `HASHSEG\0`
//! and version 2, then records (put, tombstone) and the 33-byte sync
//! markers the shared writer puts after each fsync and in a seal. It is
//! named after its id, `{id:016x}.seg`, and ids order the history: a record
//! in a higher segment is newer than any record in a lower one. Version 1
//! (an empty close-marker record, kind 3, instead of sync markers) is
//! refused with an error naming the file and both versions.
//!
//! Two kinds of segment share the id space:
//!
//! - **write segments**, appended by puts and deletes, take ids that are
//!   multiples of [`WRITE_STEP`];
//! - **merge outputs** take the ids just above the merged segments (below
//!   the active write segment), because they hold copies of records from
//!   those segments and nothing newer.
//!
//! A segment is created under a temporary name with its header synced, then
//! renamed into place, so a segment file never exists without a durable
//! header. Every byte of a write segment is counted under `Purpose::Wal`,
//! every byte of a merge output under `Purpose::Compaction`, header
//! included.
//!
//! ## Sealed segments have no torn tail
//!
//! A crash can only tear what was not synced. A write segment is sealed
//! ([`LogWriter::seal`]: synced, then a marker vouching for every byte
//! before it, synced) when it stops being the active one, before its
//! successor is created, and no write reaches it after that. So only the
//! newest segment can end in a torn tail; an older write segment must end
//! in its seal, and damage anywhere in it, its last record included, is
//! corruption (a flipped tombstone truncated away would bring its key
//! back). A merge output is sealed once complete, so damage to its last
//! record is corruption too; a merge output that still ends in a torn tail
//! was never completed (the merge died, and its inputs, which hold every
//! record it copied, are still on disk), or only its seal was hit. A clean
//! close seals the active segment as well; the next open appends after it.

use std::path::{Path, PathBuf};

use engine_core::log::LogWriter;
use engine_core::record::{self, FILE_HEADER_LEN};
use engine_core::{Durability, Error, Purpose, Result, Vfs};

/// Segment file magic.
pub const MAGIC: &[u8; 8] = b"HASHSEG\0";
/// Segment format version (2: sync markers and seals).
pub const VERSION: u32 = 2;
/// Write segments take multiples of this id; merge outputs fill the gaps.
pub const WRITE_STEP: u64 = 1 << 20;

/// One segment file and its writer (which also serves reads of bytes it
/// still buffers).
pub struct Segment {
    /// The id in the file name; a higher id holds newer records.
    pub id: u64,
    /// Appends to the segment and reads it back, buffered bytes included;
    /// sealed once the segment stops being written.
    pub log: LogWriter,
}

impl Segment {
    /// Whether puts and deletes wrote this segment (as opposed to a merge).
    pub fn is_write_segment(&self) -> bool {
        is_write_id(self.id)
    }
}

/// Whether `id` belongs to a write segment (a multiple of [`WRITE_STEP`])
/// rather than a merge output.
pub fn is_write_id(id: u64) -> bool {
    id % WRITE_STEP == 0
}

/// Where segment `id` lives in `dir`: `{id:016x}.seg`, so names sort by id.
pub fn seg_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.seg"))
}

/// Whether a damaged tail of segment `id` may be a torn tail (truncated at
/// open) rather than corruption, when `newest` is the highest segment id in
/// the directory. See the module documentation.
pub fn tail_may_be_torn(id: u64, newest: u64) -> bool {
    id == newest || !is_write_id(id)
}

/// Whether `name` is a temporary file this engine creates (a segment or hint
/// that was never renamed into place): the only files open deletes.
pub fn is_own_tmp(name: &str) -> bool {
    parse_name(name, ".seg.tmp").is_some() || parse_name(name, ".hint.tmp").is_some()
}

/// Where the hint file of merge output `id` lives in `dir`: `{id:016x}.hint`.
pub fn hint_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.hint"))
}

/// The id in a `{id:016x}.seg` or `.hint` name.
pub fn parse_name(name: &str, ext: &str) -> Option<u64> {
    let stem = name.strip_suffix(ext)?;
    if stem.len() != 16 {
        return None;
    }
    u64::from_str_radix(stem, 16).ok()
}

/// Create segment `id` durably (header synced, renamed into place, directory
/// synced) and return a writer positioned after the header.
pub fn create(
    vfs: &Vfs,
    dir: &Path,
    id: u64,
    durability: Durability,
    purpose: Purpose,
) -> Result<Segment> {
    let log = LogWriter::create(vfs, &seg_path(dir, id), MAGIC, VERSION, durability, purpose)?;
    Ok(Segment { id, log })
}

/// Check a segment's file header.
pub fn check_header(file: &engine_core::File, purpose: Purpose) -> Result<()> {
    let len = file.len()?;
    if len < FILE_HEADER_LEN as u64 {
        return Err(Error::corruption(
            file.path(),
            0,
            format!("segment of {len} bytes is shorter than its header"),
        ));
    }
    let mut header = [0u8; FILE_HEADER_LEN];
    file.read_exact_at(&mut header, 0, purpose)?;
    record::check_file_header(file.path(), &header, MAGIC, VERSION)
}

//! The write-ahead log: logical records, one file per checkpoint interval.
//!
//! A put or delete is applied to cached pages and appended to the log as
//! one record of the shared codec ([`engine_core::record`]: CRC-32, kind,
//! key and value lengths, key, value) through the shared
//! [`LogWriter`], which buffers appends and
//! group-commits fsyncs. So a small update costs one buffered append, and
//! under `sync=always` concurrent writers share one fsync.
//!
//! The log is *logical* (keys and values, not page images) because the page
//! file changes only at checkpoints, atomically (see [`crate::checkpoint`]):
//! recovery starts from a consistent tree and replays whole operations on
//! it. Replaying a log over a state that already contains some of its
//! operations gives the same result (the last write per key wins), so the
//! log need not be precisely aligned with the checkpoint.
//!
//! File `wal.<gen>`: the codec's 16-byte file header (magic `BTREEWAL`,
//! version 2), then records, with the log writer's 33-byte sync markers
//! among them (version 1 had none; see [`engine_core::log`] for the marker
//! and the torn-tail rule it decides). The header page names the oldest generation
//! to replay; a checkpoint creates the next generation's file (durably)
//! before writers switch to it, and removes the older ones once the header
//! naming the new one is in place.

use std::path::{Path, PathBuf};

use engine_core::log::LogWriter;
use engine_core::record::{self, LogEnd, LogReader, OwnedRecord, FILE_HEADER_LEN};
use engine_core::{Durability, Error, OpenMode, Purpose, Result, Vfs};

/// File-header magic of the log.
pub const WAL_MAGIC: &[u8; 8] = b"BTREEWAL";
/// Log format version (2: sync markers among the records).
pub const WAL_VERSION: u32 = 2;

/// Path of generation `gen`'s log.
pub fn wal_path(dir: &Path, gen: u64) -> PathBuf {
    dir.join(format!("wal.{gen}"))
}

/// Generations of the log files present in `dir`.
pub fn list_gens(vfs: &Vfs, dir: &Path) -> Result<Vec<u64>> {
    let mut gens: Vec<u64> = vfs
        .list_dir(dir)?
        .iter()
        .filter_map(|n| n.strip_prefix("wal.")?.parse().ok())
        .collect();
    gens.sort_unstable();
    Ok(gens)
}

/// A new, empty log for `gen`, durable (file header and directory entry)
/// before it returns, so a header that names it never names a missing file.
pub fn create(vfs: &Vfs, dir: &Path, gen: u64) -> Result<LogWriter> {
    // The engine decides when to sync (group commit outside its lock), so
    // the writer itself never syncs on append.
    let w = LogWriter::create(
        vfs,
        &wal_path(dir, gen),
        WAL_MAGIC,
        WAL_VERSION,
        Durability::Never,
        Purpose::Wal,
    )?;
    w.sync()?;
    Ok(w)
}

/// Replay the logs from generation `from` (the one the header page names)
/// upward, in order, handing every record to `apply`; returns a writer
/// appending to the newest and its generation. A checkpoint that was
/// running at the crash leaves two logs, the second written while it ran;
/// older logs were superseded by the checkpoint that the header records,
/// and are removed. Only the newest log with records may end in a torn
/// tail (it is cut): an older one was synced before its successor got a
/// record, so a torn older log is damage.
pub fn replay(
    vfs: &Vfs,
    dir: &Path,
    from: u64,
    mut apply: impl FnMut(OwnedRecord) -> Result<()>,
) -> Result<(LogWriter, u64)> {
    let mut gens = Vec::new();
    for gen in list_gens(vfs, dir)? {
        if gen < from {
            vfs.remove_file(&wal_path(dir, gen))?;
        } else {
            gens.push(gen);
        }
    }
    if gens.first() != Some(&from) {
        return Err(Error::corruption(
            wal_path(dir, from),
            0,
            "the log named by the header page is missing",
        ));
    }
    // Logs after the last one holding records are empty: a checkpoint
    // created them and died before writers switched (the log before may
    // then end torn), or before anything was appended. Dropped; appending
    // resumes on the last log with records.
    while gens.len() > 1 {
        let gen = *gens.last().expect("len > 1");
        let path = wal_path(dir, gen);
        if vfs.open(&path, OpenMode::Existing)?.len()? > FILE_HEADER_LEN as u64 {
            break;
        }
        vfs.remove_file(&path)?;
        gens.pop();
    }
    let last = *gens.last().expect("holds at least `from`");
    for &gen in &gens {
        let (file, len) = replay_one(vfs, dir, gen, gen == last, &mut apply)?;
        if gen == last {
            let w = LogWriter::resume(vfs, file, len, Durability::Never, Purpose::Wal);
            return Ok((w, gen));
        }
    }
    unreachable!("the loop returns at the last generation")
}

/// Replay one log; returns the file and the length of its whole records.
fn replay_one(
    vfs: &Vfs,
    dir: &Path,
    gen: u64,
    newest: bool,
    apply: &mut impl FnMut(OwnedRecord) -> Result<()>,
) -> Result<(engine_core::File, u64)> {
    let path = wal_path(dir, gen);
    let file = vfs.open(&path, OpenMode::Existing)?;
    let mut head = [0u8; FILE_HEADER_LEN];
    if file.len()? < FILE_HEADER_LEN as u64 {
        return Err(Error::corruption(
            &path,
            0,
            "log shorter than its file header",
        ));
    }
    file.read_exact_at(&mut head, 0, Purpose::Recovery)?;
    record::check_file_header(&path, &head, WAL_MAGIC, WAL_VERSION)?;
    let mut reader = LogReader::new(&file, FILE_HEADER_LEN as u64, Purpose::Recovery)?;
    while let Some(rec) = reader.next_record()? {
        apply(rec)?;
    }
    let len = match reader.end() {
        Some(LogEnd::TornTail { valid_len, .. }) if newest => {
            // The writer died mid-append: nothing past here was acknowledged.
            file.set_len(valid_len)?;
            file.sync(Purpose::Recovery)?;
            valid_len
        }
        Some(LogEnd::TornTail { valid_len, .. }) => {
            return Err(Error::corruption(
                &path,
                valid_len,
                "torn tail in a log that a newer log follows",
            ))
        }
        Some(LogEnd::Clean { len }) => len,
        None => {
            return Err(Error::corruption(
                &path,
                0,
                "log reader stopped without an end",
            ))
        }
    };
    Ok((file, len))
}

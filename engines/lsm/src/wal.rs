//! The write-ahead log: every write is appended here before it is applied
//! to the memtable, so that a crash loses no acknowledged write.
//!
//! One WAL file per memtable, named `<number>.log`. When the memtable
//! fills, the engine *rotates*: it ends the full WAL with a close trailer
//! and fsyncs it ([`WalWriter::close`]), and only then creates the next
//! WAL (its header and name fsynced) for a new memtable, handing the full
//! memtable to the flusher. So a WAL exists only once every older one was
//! synced whole: a torn tail is possible in the newest WAL alone, and in
//! any older one damage of any kind is corruption (see [`replay`]). Once
//! the full memtable's table is recorded in the manifest, the manifest's
//! *log number* moves past its WAL and the file is deleted.
//!
//! ## Format
//!
//! The shared record codec of `engine_core::record`: a 16-byte file header
//! (magic `b"LSMWAL\0\0"`, version 1, CRC) followed by records (CRC, kind
//! put/delete, key length, value length, key, value). Sequence numbers are
//! not stored: records are numbered by their order, continuing from the
//! manifest's last sequence number on replay. Every flushed table holds
//! sequence numbers below that, so replayed writes are newer than
//! anything on disk, which is all the numbering has to guarantee.
//!
//! Rotation, and a clean close (dropping the engine after a successful
//! sync), end the WAL with a 16-byte *close trailer*: magic `b"LSMWEND\0"`,
//! version 1 (u32 LE), CRC-32 of the first 12 bytes (u32 LE), the layout of
//! the codec's file header. Recovery never appends to an old WAL, so the
//! trailer is always the last thing in its file. It is what lets a reader
//! tell a damaged last record from an unsynced tail (see [`read_records`]).
//!
//! Appends go to a memory buffer and reach the file in large writes; a
//! sync writes the buffer and fsyncs. The group commit that shares one
//! fsync among concurrent writers lives in the engine (`db`), which owns
//! the locks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine_core::record::{
    self, check_file_header, encode_file_header, LogEnd, LogReader, OwnedRecord, RecordKind,
    FILE_HEADER_LEN,
};
use engine_core::{Error, File, OpenMode, Purpose, Result, Vfs};

/// WAL file magic.
pub const MAGIC: &[u8; 8] = b"LSMWAL\0\0";
/// WAL format version.
pub const VERSION: u32 = 1;
/// Magic of the close trailer a clean close appends.
pub const CLOSE_MAGIC: &[u8; 8] = b"LSMWEND\0";

const WRITE_CHUNK: usize = 64 << 10;

/// Path of WAL number `n`.
pub fn path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:06}.log"))
}

/// The open WAL a writer appends to.
pub struct WalWriter {
    file: Arc<File>,
    number: u64,
    buf: Vec<u8>,
    file_len: u64,
}

impl WalWriter {
    /// Create WAL `number`, its header durable and its name in the directory.
    pub fn create(vfs: &Vfs, dir: &Path, number: u64) -> Result<WalWriter> {
        let file = vfs.open(&path(dir, number), OpenMode::CreateNew)?;
        file.write_at(&encode_file_header(MAGIC, VERSION), 0, Purpose::Wal)?;
        file.sync(Purpose::Wal)?;
        vfs.sync_dir(dir)?;
        Ok(WalWriter {
            file: Arc::new(file),
            number,
            buf: Vec::with_capacity(WRITE_CHUNK * 2),
            file_len: FILE_HEADER_LEN as u64,
        })
    }

    pub fn number(&self) -> u64 {
        self.number
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Buffer one record; returns its encoded length. Sizes were checked.
    pub fn append(&mut self, kind: RecordKind, key: &[u8], value: &[u8]) -> Result<u64> {
        let before = self.buf.len();
        record::encode(&mut self.buf, kind, key, value);
        let n = (self.buf.len() - before) as u64;
        if self.buf.len() >= WRITE_CHUNK {
            self.write_out()?;
        }
        Ok(n)
    }

    /// Hand buffered records to the file (not yet durable).
    pub fn write_out(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file.write_at(&self.buf, self.file_len, Purpose::Wal)?;
            self.file_len += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// End the WAL (a rotation or a clean close): write out what is
    /// buffered, append the close trailer and fsync. Nothing may be
    /// appended afterwards.
    pub fn close(&mut self) -> Result<()> {
        self.write_out()?;
        self.file.write_at(
            &encode_file_header(CLOSE_MAGIC, VERSION),
            self.file_len,
            Purpose::Wal,
        )?;
        self.file_len += FILE_HEADER_LEN as u64;
        self.file.sync(Purpose::Wal)
    }

    /// The file, shared so that group commit can fsync it outside the
    /// write lock.
    pub fn file(&self) -> Arc<File> {
        self.file.clone()
    }
}

/// How replaying one WAL ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// Every byte was a whole record.
    Clean,
    /// The writer died mid-record; records after `valid_len` are lost, and
    /// so must be everything in later WALs (they would leave a hole).
    Torn { valid_len: u64 },
}

/// Replay WAL `path`, calling `apply` for each record in order. `newest`
/// says whether it is the newest WAL: only that one can end torn. An older
/// one was closed and synced whole before the next was created, so a
/// damaged or missing header, a damaged record or trailer, or a missing
/// trailer is corruption there (reported with the path and offset), and
/// the WALs after it are left alone.
pub fn replay(
    vfs: &Vfs,
    path: &Path,
    newest: bool,
    mut apply: impl FnMut(RecordKind, &[u8], &[u8]),
) -> Result<Replayed> {
    let file = vfs.open(path, OpenMode::Existing)?;
    let len = file.len()?;
    // A header that is cut short or does not check out, with no valid
    // record after it, is a newest WAL that died before its first sync.
    let mut h = [0u8; FILE_HEADER_LEN];
    if len < FILE_HEADER_LEN as u64 {
        if !newest {
            return Err(Error::corruption(
                path,
                0,
                "a rotated WAL is shorter than its header",
            ));
        }
        return Ok(Replayed::Torn { valid_len: 0 });
    }
    file.read_exact_at(&mut h, 0, Purpose::Recovery)?;
    if let Err(e) = check_file_header(path, &h, MAGIC, VERSION) {
        if !newest || valid_record_after(&file, FILE_HEADER_LEN as u64)? {
            return Err(e);
        }
        return Ok(Replayed::Torn { valid_len: 0 });
    }
    read_records(&file, FILE_HEADER_LEN as u64, !newest, |rec| {
        apply(rec.kind, &rec.key, &rec.value);
        Ok(())
    })
}

/// Read the records of a log from `start`, telling the writer's unsynced
/// tail apart from corruption of durable bytes.
///
/// A crash damages only what was not synced, and appends are synced in
/// order, so crash damage is a tail: cut short, zero-filled, or garbage
/// (sectors allocated, never written). A damaged record with a valid record
/// anywhere after it cannot be such a tail: it is corruption, reported with
/// file and offset. That covers a bad checksum and also a flipped length
/// that makes a record seem to run past the end of the file, which the
/// codec's reader alone takes for a torn tail.
///
/// The last record of a log has nothing after it, so a flip in it would
/// look like an unsynced tail and a durable write would vanish silently.
/// That is what the close trailer is for: a log that ends in a valid
/// trailer was closed cleanly with everything synced, so any damaged
/// record in it is corruption. (After a crash, a flip in the last synced
/// record still cannot be told from garbage by any reader.)
///
/// `sealed` says the log must have been closed: it is a rotated WAL, which
/// was synced whole, trailer included, before the next one was created.
/// Then any damage is corruption, and so is a missing trailer.
pub(crate) fn read_records(
    file: &File,
    start: u64,
    sealed: bool,
    apply: impl FnMut(OwnedRecord) -> Result<()>,
) -> Result<Replayed> {
    let len = file.len()?;
    let closed = has_close_trailer(file, start, len)?;
    let end = read_to_end(file, start, closed, sealed || closed, apply)?;
    if sealed && !closed {
        // `read_to_end` reports every damaged record of a sealed log, so
        // what is left is a log cut at a record boundary.
        return Err(Error::corruption(
            file.path(),
            len,
            "a rotated WAL ends without its close trailer (it was synced whole \
             before the next WAL was created, so records are missing)",
        ));
    }
    Ok(end)
}

/// The reading loop of [`read_records`]. `closed`: the log ends in a valid
/// trailer; `strict`: a damaged record is corruption without looking
/// further (the log was closed or sealed).
fn read_to_end(
    file: &File,
    start: u64,
    closed: bool,
    strict: bool,
    mut apply: impl FnMut(OwnedRecord) -> Result<()>,
) -> Result<Replayed> {
    let len = file.len()?;
    let trailer_at = len.saturating_sub(FILE_HEADER_LEN as u64);
    let damaged =
        |offset: u64| -> Result<bool> { Ok(strict || valid_record_after(file, offset + 1)?) };
    let mut r = LogReader::new(file, start, Purpose::Recovery)?;
    loop {
        match r.next_record() {
            Ok(Some(rec)) => apply(rec)?,
            Ok(None) => break,
            Err(Error::Corruption { offset, .. }) if closed && offset == trailer_at => {
                return Ok(Replayed::Clean);
            }
            Err(Error::Corruption { path, offset, what }) => {
                if damaged(offset)? {
                    return Err(Error::Corruption { path, offset, what });
                }
                return Ok(Replayed::Torn { valid_len: offset });
            }
            Err(e) => return Err(e),
        }
    }
    match r.end() {
        // The reader stops at the trailer (it is not a record); whether it
        // calls that a torn tail or corruption (above) depends on how hard
        // it looks for valid records after it, so both are handled.
        Some(LogEnd::TornTail { valid_len, .. }) if closed && valid_len == trailer_at => {
            Ok(Replayed::Clean)
        }
        Some(LogEnd::TornTail { valid_len, .. }) => {
            if damaged(valid_len)? {
                let what = if strict {
                    "damaged record at the end of a log that was synced whole \
                     (closed, or a rotated WAL)"
                } else {
                    "record runs past the end of the log, but valid data follows it"
                };
                return Err(Error::corruption(file.path(), valid_len, what));
            }
            Ok(Replayed::Torn { valid_len })
        }
        Some(LogEnd::Clean { .. }) => Ok(Replayed::Clean),
        None => Err(Error::corruption(
            file.path(),
            start,
            "log reader stopped without an end",
        )),
    }
}

/// Whether the log ends in a valid close trailer.
fn has_close_trailer(file: &File, start: u64, len: u64) -> Result<bool> {
    let trailer = FILE_HEADER_LEN as u64;
    if len < start + trailer {
        return Ok(false);
    }
    let mut t = [0u8; FILE_HEADER_LEN];
    file.read_exact_at(&mut t, len - trailer, Purpose::Recovery)?;
    Ok(check_file_header(file.path(), &t, CLOSE_MAGIC, VERSION).is_ok())
}

/// Whether a whole, checksum-valid record starts anywhere at or after `from`.
fn valid_record_after(file: &File, from: u64) -> Result<bool> {
    let len = file.len()?;
    if from >= len {
        return Ok(false);
    }
    let mut rest = vec![0u8; (len - from) as usize];
    file.read_exact_at(&mut rest, from, Purpose::Recovery)?;
    Ok((0..rest.len()).any(|i| record::decode(&rest[i..]).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_core::vfs::SimFs;

    /// A WAL of `n` small records at `/w/000001.log`; closed cleanly or not.
    fn wal(n: u8, close: bool) -> (SimFs, PathBuf) {
        let sim = SimFs::new(1);
        let vfs = sim.vfs();
        vfs.create_dir_all(Path::new("/w")).unwrap();
        let mut w = WalWriter::create(&vfs, Path::new("/w"), 1).unwrap();
        for i in 0..n {
            w.append(RecordKind::Put, &[b'k', i], b"value bytes")
                .unwrap();
        }
        w.write_out().unwrap();
        w.file().sync(Purpose::Wal).unwrap();
        if close {
            w.close().unwrap();
        }
        (sim, path(Path::new("/w"), 1))
    }

    fn replay_count(sim: &SimFs, p: &Path) -> Result<(usize, Replayed)> {
        let mut n = 0;
        let end = replay(&sim.vfs(), p, true, |_, _, _| n += 1)?;
        Ok((n, end))
    }

    #[test]
    fn a_closed_wal_replays_clean() {
        let (sim, p) = wal(5, true);
        assert!(matches!(replay_count(&sim, &p), Ok((5, Replayed::Clean))));
    }

    #[test]
    fn a_flip_in_the_last_record_of_a_closed_wal_is_corruption() {
        let (sim, p) = wal(5, true);
        let len = sim.read_file(&p).unwrap().len() as u64;
        // The last byte of the last record's value, just before the trailer.
        sim.flip_bit(&p, len - FILE_HEADER_LEN as u64 - 1, 0)
            .unwrap();
        let e = replay_count(&sim, &p).unwrap_err();
        assert!(e.is_corruption(), "{e}");
        assert!(e.to_string().contains("000001.log"), "{e}");
    }

    #[test]
    fn a_flip_in_the_trailer_loses_nothing() {
        let (sim, p) = wal(5, true);
        let len = sim.read_file(&p).unwrap().len() as u64;
        sim.flip_bit(&p, len - 3, 2).unwrap();
        assert!(matches!(
            replay_count(&sim, &p),
            Ok((5, Replayed::Torn { .. }))
        ));
    }

    #[test]
    fn a_length_running_past_the_end_mid_log_is_corruption() {
        let (sim, p) = wal(20, false);
        // Key length of the first record (offset 16 + 5), raised by 4096:
        // the record now seems to run past the end of the file, which alone
        // would read as a torn tail. The valid records after it say not.
        sim.flip_bit(&p, 16 + 5 + 1, 4).unwrap();
        let e = replay_count(&sim, &p).unwrap_err();
        assert!(e.is_corruption(), "{e}");
    }

    #[test]
    fn an_unsynced_garbage_tail_of_an_open_wal_is_torn() {
        let (sim, p) = wal(3, false);
        let vfs = sim.vfs();
        let f = vfs.open(&p, OpenMode::Existing).unwrap();
        let len = f.len().unwrap();
        let mut more = Vec::new();
        record::encode(&mut more, RecordKind::Put, b"late", b"never synced");
        f.write_at(&more, len, Purpose::Wal).unwrap();
        drop(f);
        sim.crash(engine_core::vfs::CrashMode::Garbage { seed: 9 });
        assert!(matches!(
            replay_count(&sim, &p),
            Ok((3, Replayed::Torn { .. }))
        ));
    }
}

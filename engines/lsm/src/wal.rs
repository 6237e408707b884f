//! The write-ahead log: every write is appended here before it is applied
//! to the memtable, so that a crash loses no acknowledged write.
//!
//! One WAL file per memtable, named `<number>.log`. When the memtable
//! fills, the engine starts a new WAL with a new memtable and hands the
//! full memtable to the flusher. Rotation itself syncs nothing: the next
//! sync (a `sync()` call, a `sync=always` write) fsyncs the directory (for
//! the new name) and every WAL written since the last sync, oldest first,
//! so durable writes always form a prefix of the write order. Once the
//! full memtable's table is recorded in the manifest, the manifest's *log
//! number* moves past its WAL and the file is deleted; once its SSTable is recorded
//! in the manifest, the manifest's *log number* moves past the WAL and the
//! file is deleted.
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

/// Replay WAL `path`, calling `apply` for each record in order.
pub fn replay(
    vfs: &Vfs,
    path: &Path,
    mut apply: impl FnMut(RecordKind, &[u8], &[u8]),
) -> Result<Replayed> {
    let file = vfs.open(path, OpenMode::Existing)?;
    let len = file.len()?;
    // A header that is cut short or does not check out, with no valid
    // record after it, is a WAL that died before its first sync.
    let mut h = [0u8; FILE_HEADER_LEN];
    if len < FILE_HEADER_LEN as u64 {
        return Ok(Replayed::Torn { valid_len: 0 });
    }
    file.read_exact_at(&mut h, 0, Purpose::Recovery)?;
    if let Err(e) = check_file_header(path, &h, MAGIC, VERSION) {
        if valid_record_after(&file, FILE_HEADER_LEN as u64)? {
            return Err(e);
        }
        return Ok(Replayed::Torn { valid_len: 0 });
    }
    read_records(&file, FILE_HEADER_LEN as u64, |rec| {
        apply(rec.kind, &rec.key, &rec.value);
        Ok(())
    })
}

/// Read the records of a log from `start`, telling the writer's unsynced
/// tail apart from corruption of durable bytes.
///
/// `LogReader` already treats a cut-short or zero-filled tail as torn. A
/// crash can also leave an unsynced tail as garbage (sectors allocated,
/// never written), which decodes as a bad record. What tells it from a bit
/// flip in a durable record is what follows: a flipped record is followed by
/// the valid records written after it, a garbage tail by nothing valid. So
/// a bad record with no valid record anywhere after it ends the log like a
/// torn tail; one followed by a valid record is corruption, reported with
/// file and offset. (A flip in the very last record cannot be told from
/// garbage by any reader; it is dropped like an unsynced tail.)
pub(crate) fn read_records(
    file: &File,
    start: u64,
    mut apply: impl FnMut(OwnedRecord) -> Result<()>,
) -> Result<Replayed> {
    let mut r = LogReader::new(file, start, Purpose::Recovery)?;
    loop {
        match r.next_record() {
            Ok(Some(rec)) => apply(rec)?,
            Ok(None) => break,
            Err(Error::Corruption { path, offset, what }) => {
                if valid_record_after(file, offset + 1)? {
                    return Err(Error::Corruption { path, offset, what });
                }
                return Ok(Replayed::Torn { valid_len: offset });
            }
            Err(e) => return Err(e),
        }
    }
    match r.end() {
        Some(LogEnd::TornTail { valid_len, .. }) => Ok(Replayed::Torn { valid_len }),
        Some(LogEnd::Clean { .. }) => Ok(Replayed::Clean),
        None => Err(Error::corruption(
            file.path(),
            start,
            "log reader stopped without an end",
        )),
    }
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

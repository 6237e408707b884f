//! The write-ahead log: every write is appended here before it is applied
//! to the memtable, so that a crash loses no acknowledged write.
//!
//! One WAL file per memtable, named `<number>.log`, written through the
//! shared [`LogWriter`] (buffered appends, group commit, poisoning; see
//! [`engine_core::log`]). When the memtable fills, the engine *rotates*: it
//! seals the full WAL ([`LogWriter::seal`]: synced, then a sync marker
//! vouching for every byte before it, synced), and only then creates the
//! next WAL (its header and name fsynced) for a new memtable, handing the
//! full memtable to the flusher. So a WAL exists only once every older one
//! was sealed: a torn tail is possible in the newest WAL alone, and an
//! older one that is damaged anywhere, or does not end in its seal, is
//! corruption (see [`replay`]). Once the full memtable's table is recorded
//! in the manifest, the manifest's *log number* moves past its WAL and the
//! file is deleted. A clean close seals the newest WAL too.
//!
//! ## Format (version 2)
//!
//! A log of the shared log layer, bytes in [`engine_core::record`]: a
//! 16-byte file header (magic `b"LSMWAL\0\0"`, version 2, CRC) followed by
//! records (CRC, kind put/delete, key length, value length, key, value) and
//! the 33-byte sync markers the writer puts after each fsync and in the
//! seal. Version 1 (no markers; a 16-byte close trailer, magic
//! `b"LSMWEND\0"`, at rotation and clean close) is refused with an error
//! naming the file and both versions. Every byte and fsync of a WAL is
//! counted under `Purpose::Wal`, header included.
//!
//! Sequence numbers are not stored: records are numbered by their order,
//! continuing from the manifest's last sequence number on replay. Every
//! flushed table holds sequence numbers below that, so replayed writes are
//! newer than anything on disk, which is all the numbering has to
//! guarantee.

use std::path::Path;

use engine_core::log::{LogEnd, LogReader, LogWriter, OwnedRecord};
use engine_core::record::{check_file_header, RecordKind, FILE_HEADER_LEN};
use engine_core::{Durability, Error, File, OpenMode, Purpose, Result, Vfs};

/// WAL file magic.
pub const MAGIC: &[u8; 8] = b"LSMWAL\0\0";
/// WAL format version (2: sync markers and seals).
pub const VERSION: u32 = 2;

/// Create WAL `number` durably (header synced under `<name>.tmp`, renamed,
/// directory synced), committing as `durability` asks.
pub fn create(vfs: &Vfs, dir: &Path, number: u64, durability: Durability) -> Result<LogWriter> {
    LogWriter::create(
        vfs,
        &crate::files::wal_path(dir, number),
        MAGIC,
        VERSION,
        durability,
        Purpose::Wal,
    )
}

/// How replaying one WAL ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// Every byte was a whole record.
    Clean,
    /// The writer died mid-record; records after `valid_len` are lost, and
    /// so must be everything in later WALs (they would leave a hole).
    Torn {
        /// End of the last whole record: the length the WAL is cut to.
        valid_len: u64,
    },
}

/// Replay WAL `path`, calling `apply` for each record in order. `newest`
/// says whether it is the newest WAL: only that one can end torn. An older
/// one was sealed before the next was created, so any damage in it, or a
/// missing seal, is corruption (reported with the path and offset), and
/// the WALs after it are left alone. A WAL is renamed into place only once
/// its header is durable, so a bad header is corruption in any WAL.
pub fn replay(
    vfs: &Vfs,
    path: &Path,
    newest: bool,
    mut apply: impl FnMut(RecordKind, &[u8], &[u8]),
) -> Result<Replayed> {
    let file = vfs.open(path, OpenMode::Existing)?;
    check_header(&file, MAGIC, VERSION, "WAL")?;
    read_records(&file, !newest, |rec| {
        apply(rec.kind, &rec.key, &rec.value);
        Ok(())
    })
}

/// Check the file header of a log of this engine (a WAL or the manifest).
pub(crate) fn check_header(file: &File, magic: &[u8; 8], version: u32, what: &str) -> Result<()> {
    let len = file.len()?;
    if len < FILE_HEADER_LEN as u64 {
        return Err(Error::corruption(
            file.path(),
            0,
            format!("{what} of {len} bytes is shorter than its header"),
        ));
    }
    let mut h = [0u8; FILE_HEADER_LEN];
    file.read_exact_at(&mut h, 0, Purpose::Recovery)?;
    check_file_header(file.path(), &h, magic, version)
}

/// Read the records of a log (WAL or manifest) after its header through
/// the shared reader, which tells the unsynced tail from corruption (see
/// [`engine_core::log`]). `sealed` says the log must have been sealed (a
/// rotated WAL): then a torn tail, or an end without the seal, is
/// corruption too.
pub(crate) fn read_records(
    file: &File,
    sealed: bool,
    mut apply: impl FnMut(OwnedRecord) -> Result<()>,
) -> Result<Replayed> {
    let mut r = LogReader::new(file, FILE_HEADER_LEN as u64, Purpose::Recovery)?;
    while let Some(rec) = r.next_record()? {
        apply(rec)?;
    }
    match r.end() {
        Some(LogEnd::Clean { .. }) if !sealed || r.sealed() => Ok(Replayed::Clean),
        Some(LogEnd::Clean { len }) => Err(Error::corruption(
            file.path(),
            len,
            "a rotated WAL ends without its seal (it was sealed before the next \
             WAL was created, so records are missing)",
        )),
        Some(LogEnd::TornTail { valid_len, .. }) if sealed => Err(Error::corruption(
            file.path(),
            valid_len,
            "damaged record at the end of a rotated WAL (it was sealed before the \
             next WAL was created, so this is not a torn tail)",
        )),
        Some(LogEnd::TornTail { valid_len, .. }) => Ok(Replayed::Torn { valid_len }),
        None => Err(Error::corruption(
            file.path(),
            FILE_HEADER_LEN as u64,
            "log reader stopped without an end",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_core::record::{self, MARKER_LEN};
    use engine_core::vfs::SimFs;
    use std::path::PathBuf;

    /// A WAL of `n` small records at `/w/000001.log`, synced; sealed or not.
    fn wal(n: u8, seal: bool) -> (SimFs, PathBuf) {
        let sim = SimFs::new(1);
        let vfs = sim.vfs();
        vfs.create_dir_all(Path::new("/w")).unwrap();
        let w = create(&vfs, Path::new("/w"), 1, Durability::Never).unwrap();
        for i in 0..n {
            w.append(RecordKind::Put, &[b'k', i], b"value bytes")
                .unwrap();
        }
        w.sync().unwrap();
        if seal {
            w.seal().unwrap();
        }
        (sim, crate::files::wal_path(Path::new("/w"), 1))
    }

    fn replay_count(sim: &SimFs, p: &Path, newest: bool) -> Result<(usize, Replayed)> {
        let mut n = 0;
        let end = replay(&sim.vfs(), p, newest, |_, _, _| n += 1)?;
        Ok((n, end))
    }

    #[test]
    fn a_sealed_wal_replays_clean() {
        let (sim, p) = wal(5, true);
        assert!(matches!(
            replay_count(&sim, &p, false),
            Ok((5, Replayed::Clean))
        ));
    }

    #[test]
    fn a_flip_in_the_last_record_of_a_sealed_wal_is_corruption() {
        let (sim, p) = wal(5, true);
        let len = sim.read_file(&p).unwrap().len() as u64;
        // The last byte of the last record's value, just before the seal.
        sim.flip_bit(&p, len - MARKER_LEN as u64 - 1, 0).unwrap();
        for newest in [true, false] {
            let e = replay_count(&sim, &p, newest).unwrap_err();
            assert!(e.is_corruption(), "{e}");
            assert!(e.to_string().contains("000001.log"), "{e}");
        }
    }

    #[test]
    fn a_flip_in_the_seal_loses_nothing_in_the_newest_wal() {
        let (sim, p) = wal(5, true);
        let len = sim.read_file(&p).unwrap().len() as u64;
        sim.flip_bit(&p, len - 3, 2).unwrap();
        assert!(matches!(
            replay_count(&sim, &p, true),
            Ok((5, Replayed::Torn { .. }))
        ));
        // A rotated WAL must end in its seal.
        assert!(replay_count(&sim, &p, false).unwrap_err().is_corruption());
    }

    #[test]
    fn a_rotated_wal_without_its_seal_is_corruption() {
        let (sim, p) = wal(5, false);
        let e = replay_count(&sim, &p, false).unwrap_err();
        assert!(e.is_corruption() && e.to_string().contains("seal"), "{e}");
    }

    #[test]
    fn a_length_running_past_the_end_mid_log_is_corruption() {
        let (sim, p) = wal(20, true);
        // Key length of the first record (offset 16 + 5), raised by 4096:
        // the record now seems to run past the end of the file; the seal
        // vouches that it was durable.
        sim.flip_bit(&p, 16 + 5 + 1, 4).unwrap();
        let e = replay_count(&sim, &p, true).unwrap_err();
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
            replay_count(&sim, &p, true),
            Ok((3, Replayed::Torn { .. }))
        ));
    }

    #[test]
    fn a_version_1_wal_is_refused_naming_the_file_and_both_versions() {
        let sim = SimFs::new(1);
        let p = PathBuf::from("/w/000001.log");
        let mut bytes = record::encode_file_header(MAGIC, 1).to_vec();
        record::encode(&mut bytes, RecordKind::Put, b"k", b"v");
        sim.write_file(&p, &bytes).unwrap();
        let msg = replay_count(&sim, &p, true).unwrap_err().to_string();
        assert!(
            msg.contains("000001.log") && msg.contains("version 1") && msg.contains("version 2"),
            "{msg}"
        );
    }
}

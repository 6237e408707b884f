//! The manifest: which tables make up the tree, changed atomically.
//!
//! Every change to the file set (a flush adds a table, a compaction swaps
//! inputs for outputs) is one *version edit*, appended to the manifest as
//! one checksummed record and fsynced before the change takes effect. A
//! crash either keeps the whole edit or none of it: a torn last record is
//! an edit that never happened, and the tables it would have added are
//! orphans that the next open deletes.
//!
//! ## Crash-safe ordering of a file-set change
//!
//! 1. write the new table(s), fsync them, fsync the directory;
//! 2. append the edit to the manifest and fsync it (the commit point);
//! 3. before deleting a WAL the edit retired, *mark* the manifest (a sync
//!    marker vouching for the edit, fsynced): from then on damage to the
//!    edit is corruption, not an edit that never committed, which matters
//!    because the writes it made durable in a table are no longer in any
//!    WAL;
//! 4. only then delete the replaced tables and WALs.
//!
//! ## One file, rewritten on open
//!
//! The manifest is a single file, `MANIFEST`. Opening the engine replays
//! it and then replaces it with a snapshot (one edit listing the whole
//! current state): write `MANIFEST.tmp`, fsync it, rename it over
//! `MANIFEST`, fsync the directory. Rename is atomic, so a crash leaves
//! either the old manifest or the new one; a leftover `MANIFEST.tmp` is
//! deleted. The same rewrite runs when the manifest has grown past
//! [`REWRITE_BYTES`], so it never grows without bound.
//!
//! ## Format
//!
//! A log of the shared log layer ([`engine_core::log`], bytes in
//! [`engine_core::record`]): file header magic `b"LSMMANIF"`, version 2;
//! each record is a put with an empty key and the edit as its value; the
//! snapshot a rewrite starts with is followed by a sync marker, as is every
//! edit after the next one's fsync, a mark, and a clean close (the seal).
//! Every byte and fsync is counted under `Purpose::Meta`, header included.
//! Version 1 (no markers; the WAL's close trailer at clean close) is
//! refused with an error naming the file and both versions. An edit is a
//! sequence of tagged fields, varints unless noted:
//!
//! ```text
//! tag 1  log_number          oldest WAL still needed
//! tag 2  next_file           next file number to allocate
//! tag 3  last_seq            every table holds sequence numbers <= this
//! tag 4  add file:  level, run, number, size, entries, max_seq,
//!                   smallest (len + bytes), largest (len + bytes)
//! tag 5  delete file: level, number
//! ```

use std::path::{Path, PathBuf};

use engine_core::log::LogWriter;
use engine_core::record::{RecordKind, FILE_HEADER_LEN};
use engine_core::{Durability, Error, File, OpenMode, Purpose, Result, Vfs};

use crate::coding::{put_varint, Reader, Short};
use crate::sstable::FileMeta;
use crate::wal::{self, Replayed};
use engine_core::record::MAX_KEY_LEN;

/// Manifest file magic.
pub const MAGIC: &[u8; 8] = b"LSMMANIF";
/// Manifest format version (2: sync markers, seal at clean close).
pub const VERSION: u32 = 2;
/// Rewrite the manifest as a snapshot when it grows past this.
pub const REWRITE_BYTES: u64 = 8 << 20;

/// The manifest's file name in the engine directory.
pub const NAME: &str = "MANIFEST";
/// A rewrite's file until it is renamed over [`NAME`]; one left over from a
/// crash is deleted at open.
pub const TMP_NAME: &str = "MANIFEST.tmp";

/// One atomic change to the file set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// The oldest WAL still needed: older ones hold only writes already in
    /// tables. `None` leaves it as it was.
    pub log_number: Option<u64>,
    /// The next file number to allocate. `None` leaves it as it was.
    pub next_file: Option<u64>,
    /// Every table holds sequence numbers at most this. `None` leaves it
    /// as it was.
    pub last_seq: Option<u64>,
    /// (level, run, table)
    pub added: Vec<(u32, u64, FileMeta)>,
    /// (level, file number)
    pub deleted: Vec<(u32, u64)>,
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

impl VersionEdit {
    /// The edit's bytes in the tagged format of the module docs: the value
    /// of its manifest record.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (tag, v) in [
            (1u8, self.log_number),
            (2, self.next_file),
            (3, self.last_seq),
        ] {
            if let Some(v) = v {
                out.push(tag);
                put_varint(&mut out, v);
            }
        }
        for (level, run, f) in &self.added {
            out.push(4);
            for v in [
                u64::from(*level),
                *run,
                f.number,
                f.size,
                f.entries,
                f.max_seq,
            ] {
                put_varint(&mut out, v);
            }
            put_bytes(&mut out, &f.smallest);
            put_bytes(&mut out, &f.largest);
        }
        for (level, number) in &self.deleted {
            out.push(5);
            put_varint(&mut out, u64::from(*level));
            put_varint(&mut out, *number);
        }
        out
    }

    /// Decode an edit; any malformed input is an error, never a panic.
    pub fn decode(b: &[u8]) -> std::result::Result<VersionEdit, Short> {
        let mut r = Reader::new(b);
        let mut e = VersionEdit::default();
        // A level no configuration writes is refused here: trusted, it
        // would size per-level arrays (`Version::level_stats`) by it.
        let level = |r: &mut Reader| -> std::result::Result<u32, Short> {
            let limit = crate::options::MAX_LEVELS_LIMIT as usize - 1;
            Ok(r.len(limit)? as u32)
        };
        while !r.is_empty() {
            match r.u8()? {
                1 => e.log_number = Some(r.varint()?),
                2 => e.next_file = Some(r.varint()?),
                3 => e.last_seq = Some(r.varint()?),
                4 => {
                    let lv = level(&mut r)?;
                    let run = r.varint()?;
                    let (number, size, entries, max_seq) =
                        (r.varint()?, r.varint()?, r.varint()?, r.varint()?);
                    let n = r.len(MAX_KEY_LEN)?;
                    let smallest = r.bytes(n)?.to_vec();
                    let n = r.len(MAX_KEY_LEN)?;
                    let largest = r.bytes(n)?.to_vec();
                    if smallest > largest {
                        return Err(Short);
                    }
                    e.added.push((
                        lv,
                        run,
                        FileMeta {
                            number,
                            size,
                            entries,
                            smallest,
                            largest,
                            max_seq,
                        },
                    ));
                }
                5 => {
                    let lv = level(&mut r)?;
                    e.deleted.push((lv, r.varint()?));
                }
                _ => return Err(Short),
            }
        }
        Ok(e)
    }
}

/// The open manifest that edits are appended to, through the shared log
/// writer (every append is a commit: written and fsynced before it
/// returns).
pub struct ManifestWriter {
    log: LogWriter,
}

impl ManifestWriter {
    /// Replace the manifest with one holding just `snapshot`, vouched for by
    /// a marker: written and synced as `MANIFEST.tmp`, renamed over
    /// `MANIFEST`, directory synced.
    pub fn rewrite(vfs: &Vfs, dir: &Path, snapshot: &VersionEdit) -> Result<ManifestWriter> {
        let snap = snapshot.encode();
        let log = LogWriter::create_with_records(
            vfs,
            &path(dir),
            MAGIC,
            VERSION,
            Durability::Always,
            Purpose::Meta,
            &[(RecordKind::Put, b"", &snap)],
        )?;
        Ok(ManifestWriter { log })
    }

    /// Append one edit and make it durable: the commit point of a change.
    pub fn append(&mut self, edit: &VersionEdit) -> Result<()> {
        self.log.append(RecordKind::Put, b"", &edit.encode())?;
        Ok(())
    }

    /// Make every edit so far vouched for by a durable sync marker, so that
    /// damage to the last edit reads as corruption, not as an edit that
    /// never committed. Called before deleting a WAL that the last edit
    /// retired: once the WAL is gone, dropping that edit would lose the
    /// writes the WAL held.
    pub fn mark(&mut self) -> Result<()> {
        self.log.mark()
    }

    /// A clean close: seal the manifest (see [`engine_core::log`]). Every
    /// open rewrites the manifest, so nothing is appended after the seal.
    pub fn close(&mut self) -> Result<()> {
        self.log.seal()
    }

    /// Bytes appended so far, header included, written or buffered:
    /// compared with [`REWRITE_BYTES`].
    pub fn len(&self) -> u64 {
        self.log.len()
    }

    /// True when nothing past the file header was appended.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }
}

/// Path of the manifest in `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(NAME)
}

/// Every committed edit of the manifest in `dir`, or `None` if there is no
/// manifest (a new database).
pub fn read(vfs: &Vfs, dir: &Path) -> Result<Option<Vec<VersionEdit>>> {
    let path = path(dir);
    if !vfs.exists(&path)? {
        return Ok(None);
    }
    let file = vfs.open(&path, OpenMode::Existing)?;
    let mut edits = Vec::new();
    read_edits(&file, |_, e| edits.push(e))?;
    if edits.is_empty() {
        return Err(Error::corruption(
            &path,
            FILE_HEADER_LEN as u64,
            "manifest holds no snapshot",
        ));
    }
    Ok(Some(edits))
}

/// Check the manifest's header and call `each(offset, edit)` for every
/// edit. A torn or garbage tail is an edit whose fsync never returned: it
/// never happened ([`Replayed::Torn`]). Damage that a sync marker after it
/// vouches for (every edit before the last, an edit before a WAL deletion,
/// and everything in a cleanly closed manifest) is corruption.
pub fn read_edits(file: &File, mut each: impl FnMut(u64, VersionEdit)) -> Result<Replayed> {
    wal::check_header(file, MAGIC, VERSION, "manifest")?;
    wal::read_records(file, false, |rec| {
        let e = VersionEdit::decode(&rec.value)
            .map_err(|_| Error::corruption(file.path(), rec.offset, "malformed version edit"))?;
        each(rec.offset, e);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(n: u64) -> FileMeta {
        FileMeta {
            number: n,
            size: 100 + n,
            entries: 3,
            smallest: b"a".to_vec(),
            largest: b"z".to_vec(),
            max_seq: 9,
        }
    }

    #[test]
    fn edit_roundtrip() {
        let e = VersionEdit {
            log_number: Some(7),
            next_file: Some(12),
            last_seq: Some(u64::MAX >> 1),
            added: vec![(0, 5, meta(5)), (2, 0, meta(6))],
            deleted: vec![(1, 3), (0, 4)],
        };
        assert_eq!(VersionEdit::decode(&e.encode()), Ok(e));
        assert_eq!(VersionEdit::decode(&[]), Ok(VersionEdit::default()));
    }

    #[test]
    fn an_edit_naming_a_level_no_configuration_writes_is_refused() {
        let deepest = crate::options::MAX_LEVELS_LIMIT as u32 - 1;
        let ok = VersionEdit {
            added: vec![(deepest, 0, meta(1))],
            deleted: vec![(deepest, 1)],
            ..Default::default()
        };
        assert_eq!(VersionEdit::decode(&ok.encode()), Ok(ok));
        for level in [deepest + 1, u32::MAX] {
            let added = VersionEdit {
                added: vec![(level, 0, meta(1))],
                ..Default::default()
            };
            assert!(VersionEdit::decode(&added.encode()).is_err(), "{level}");
            let deleted = VersionEdit {
                deleted: vec![(level, 1)],
                ..Default::default()
            };
            assert!(VersionEdit::decode(&deleted.encode()).is_err(), "{level}");
        }
    }

    #[test]
    fn every_truncation_and_bad_tag_is_an_error() {
        let e = VersionEdit {
            added: vec![(1, 0, meta(1))],
            ..Default::default()
        };
        let b = e.encode();
        for cut in 1..b.len() {
            assert!(VersionEdit::decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        assert!(VersionEdit::decode(&[9]).is_err());
    }
}

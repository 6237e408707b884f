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
//! 3. only then delete the replaced tables and WALs.
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
//! The shared record codec (file header magic `b"LSMMANIF"`, version 1;
//! each record is a put with an empty key and the edit as its value). An
//! edit is a sequence of tagged fields, varints unless noted:
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

use engine_core::record::{
    self, check_file_header, encode_file_header, RecordKind, FILE_HEADER_LEN,
};
use engine_core::{Error, File, OpenMode, Purpose, Result, Vfs};

use crate::coding::{put_varint, Reader, Short};
use crate::sstable::FileMeta;
use engine_core::record::MAX_KEY_LEN;

pub const MAGIC: &[u8; 8] = b"LSMMANIF";
pub const VERSION: u32 = 1;
/// Rewrite the manifest as a snapshot when it grows past this.
pub const REWRITE_BYTES: u64 = 8 << 20;

pub const NAME: &str = "MANIFEST";
pub const TMP_NAME: &str = "MANIFEST.tmp";

/// One atomic change to the file set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    pub log_number: Option<u64>,
    pub next_file: Option<u64>,
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
        let level = |r: &mut Reader| -> std::result::Result<u32, Short> {
            Ok(r.len(u32::MAX as usize)? as u32)
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

/// The open manifest that edits are appended to.
pub struct ManifestWriter {
    file: File,
    len: u64,
}

impl ManifestWriter {
    /// Replace the manifest with one holding just `snapshot`.
    pub fn rewrite(vfs: &Vfs, dir: &Path, snapshot: &VersionEdit) -> Result<ManifestWriter> {
        let tmp = dir.join(TMP_NAME);
        let file = vfs.open(&tmp, OpenMode::Truncate)?;
        let mut buf = encode_file_header(MAGIC, VERSION).to_vec();
        record::encode(&mut buf, RecordKind::Put, b"", &snapshot.encode());
        file.write_at(&buf, 0, Purpose::Meta)?;
        file.sync(Purpose::Meta)?;
        drop(file);
        let path = dir.join(NAME);
        vfs.rename(&tmp, &path)?;
        vfs.sync_dir(dir)?;
        let file = vfs.open(&path, OpenMode::Existing)?;
        Ok(ManifestWriter {
            file,
            len: buf.len() as u64,
        })
    }

    /// Append one edit and make it durable: the commit point of a change.
    pub fn append(&mut self, edit: &VersionEdit) -> Result<()> {
        let mut buf = Vec::new();
        record::encode(&mut buf, RecordKind::Put, b"", &edit.encode());
        self.file.write_at(&buf, self.len, Purpose::Meta)?;
        self.len += buf.len() as u64;
        self.file.sync(Purpose::Meta)
    }

    /// A clean close: end the manifest with the close trailer the WAL
    /// uses, so that a damaged last edit reads as corruption rather than as
    /// an edit that never became durable (see `wal::read_records`). Every
    /// open rewrites the manifest, so the trailer stays last.
    pub fn close(&mut self) -> Result<()> {
        let trailer = encode_file_header(crate::wal::CLOSE_MAGIC, crate::wal::VERSION);
        self.file.write_at(&trailer, self.len, Purpose::Meta)?;
        self.len += trailer.len() as u64;
        self.file.sync(Purpose::Meta)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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
    let mut h = [0u8; FILE_HEADER_LEN];
    if file.len()? < FILE_HEADER_LEN as u64 {
        return Err(Error::corruption(
            &path,
            0,
            "manifest shorter than its header",
        ));
    }
    file.read_exact_at(&mut h, 0, Purpose::Recovery)?;
    check_file_header(&path, &h, MAGIC, VERSION)?;
    let mut edits = Vec::new();
    // A torn or garbage tail is an edit whose fsync never returned: it
    // never happened.
    crate::wal::read_records(&file, FILE_HEADER_LEN as u64, false, |rec| {
        let e = VersionEdit::decode(&rec.value)
            .map_err(|_| Error::corruption(&path, rec.offset, "malformed version edit"))?;
        edits.push(e);
        Ok(())
    })?;
    if edits.is_empty() {
        return Err(Error::corruption(
            &path,
            FILE_HEADER_LEN as u64,
            "manifest holds no snapshot",
        ));
    }
    Ok(Some(edits))
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

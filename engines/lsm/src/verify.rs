//! `verify`: a read-only walk of the manifest, every table and every WAL.
//!
//! It checks what opening checks, and more, without changing a byte:
//!
//! 1. **Manifest**: its header, then every edit (checksum and decoding), so
//!    the file set is known. A torn last edit is a torn tail (an edit whose
//!    fsync never returned); a bad edit with valid data after it is
//!    corruption, and the file set is then taken from the edits before it.
//! 2. **Tables** the manifest names, oldest number first: footer, index and
//!    filter blocks (checksums, handles inside the file), then *every* data
//!    block (checksum, trailer, each entry), keys strictly increasing and
//!    each block's last key equal to its index entry, every key admitted by
//!    the bloom filter, and the entry count, size and key range the
//!    manifest recorded. A bad block is reported and the walk goes on with
//!    the next one, so one report lists every damaged block.
//! 3. **WALs** at or after the manifest's log number, oldest first, read as
//!    recovery reads them ([`crate::wal::replay`]): a torn tail of the
//!    newest WAL is reported as one; a damaged record that a later sync
//!    marker vouches for, and any damage in an older WAL (or a missing
//!    seal), as corruption.
//!
//! Files that open would delete (tables no edit names, WALs below the log
//! number, `MANIFEST.tmp`, anything at all when there is no manifest) are
//! listed as `orphan` and not read: a crash mid-flush or mid-compaction
//! leaves half-written orphans, which are not corruption. When the manifest
//! itself is damaged, which tables are orphans is unknown, so every table
//! is checked.
//!
//! Live keys are counted as a reader would see them: for each key the
//! version with the highest sequence number over all live tables, then the
//! WAL records in order (newer than any table); tombstones are not live.
//! WAL records after a torn tail are not counted, since recovery does not
//! replay them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine_core::ownership;
use engine_core::record::{RecordKind, FILE_HEADER_LEN};
use engine_core::{
    CorruptSpot, Error, File, FileReport, OpenMode, Options, Purpose, Result, VerifyReport, Vfs,
};

use crate::bloom::{self, Filter};
use crate::files::{self, table_path, FileName};
use crate::manifest::{self, VersionEdit};
use crate::sstable::block::{untag, Block, BlockIter, Kind};
use crate::sstable::{check_block, FileMeta, Footer, Handle, Index, FOOTER_LEN};
use crate::wal::{self, Replayed};

/// The newest version of each key seen so far: (sequence number, is a put).
type Versions = HashMap<Vec<u8>, (u64, bool)>;

/// Check every file of the LSM in `dir` without changing anything.
pub fn verify(vfs: &Vfs, dir: &Path, _options: &Options) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    // An absent or empty directory is a new database. Anything else must
    // be an LSM's (its owner file says so): another engine's files or a
    // user's are refused, never called clean.
    if !vfs.exists(dir)? || vfs.list_dir(dir)?.is_empty() {
        return Ok(report);
    }
    ownership::check(vfs, dir, crate::db::OWNER)?;
    let mut tables = Vec::new();
    let mut wals = Vec::new();
    let mut orphans = Vec::new();
    for name in vfs.list_dir(dir)? {
        match FileName::parse(&name) {
            Some(FileName::Table(n)) => tables.push(n),
            Some(FileName::Wal(n)) => wals.push(n),
            Some(FileName::Tmp) => orphans.push(dir.join(name)),
            None => {}
        }
    }
    tables.sort_unstable();
    wals.sort_unstable();

    let Some(state) = check_manifest(vfs, dir, &mut report)? else {
        // A new database: open deletes whatever a first open left behind.
        orphans.extend(tables.iter().map(|&n| table_path(dir, n)));
        orphans.extend(wals.iter().map(|&n| files::wal_path(dir, n)));
        list_orphans(vfs, orphans, &mut report)?;
        return Ok(report);
    };

    let mut versions = Versions::new();
    for (&n, named) in &state.files {
        if !tables.contains(&n) {
            report.corrupt.push(CorruptSpot {
                path: manifest::path(dir),
                offset: named.added_at,
                what: format!(
                    "manifest names table {} (level {}), which is missing",
                    table_path(dir, n).display(),
                    named.level
                ),
            });
        }
    }
    for &n in &tables {
        let path = table_path(dir, n);
        match state.files.get(&n) {
            Some(named) => {
                check_table(vfs, &path, Some(&named.meta), &mut report, &mut versions)?;
            }
            None if !state.intact => {
                check_table(vfs, &path, None, &mut report, &mut Versions::new())?;
            }
            None => orphans.push(path),
        }
    }

    let mut live: HashMap<Vec<u8>, bool> = versions.into_iter().map(|(k, (_, p))| (k, p)).collect();
    let mut replaying = true;
    let newest = wals.iter().copied().max();
    for &n in &wals {
        let path = files::wal_path(dir, n);
        if n < state.log_number {
            orphans.push(path);
            continue;
        }
        let wal = WalCheck {
            newest: Some(n) == newest,
            replaying,
        };
        replaying &= check_wal(vfs, &path, wal, &mut report, &mut live)?;
    }
    list_orphans(vfs, orphans, &mut report)?;
    report.live_keys = live.values().filter(|&&put| put).count() as u64;
    Ok(report)
}

/// A table the manifest names, and where the edit that added it starts.
struct NamedTable {
    level: u32,
    meta: FileMeta,
    added_at: u64,
}

/// What the manifest says, as far as it could be read.
struct ManifestState {
    files: BTreeMap<u64, NamedTable>,
    log_number: u64,
    /// No corruption: tables it does not name are orphans.
    intact: bool,
}

/// Push a corruption error as a spot; any other error is returned.
fn spot(report: &mut VerifyReport, e: Error) -> Result<()> {
    match e {
        Error::Corruption { path, offset, what } => {
            report.corrupt.push(CorruptSpot { path, offset, what });
            Ok(())
        }
        e => Err(e),
    }
}

/// Read the manifest's edits; `None` when there is no manifest.
fn check_manifest(
    vfs: &Vfs,
    dir: &Path,
    report: &mut VerifyReport,
) -> Result<Option<ManifestState>> {
    let path = manifest::path(dir);
    if !vfs.exists(&path)? {
        return Ok(None);
    }
    let file = vfs.open(&path, OpenMode::Existing)?;
    let bytes = file.len()?;
    let mut edits: Vec<(u64, VersionEdit)> = Vec::new();
    let corrupt_before = report.corrupt.len();
    let walked = walk_manifest(&file, &mut edits);
    match walked {
        Ok(Replayed::Clean) => {}
        Ok(Replayed::Torn { valid_len }) => report.torn_tails.push(CorruptSpot {
            path: path.clone(),
            offset: valid_len,
            what: format!(
                "{} bytes of torn tail (an edit that never committed)",
                bytes - valid_len
            ),
        }),
        Err(e) => spot(report, e)?,
    }
    if edits.is_empty() && report.corrupt.len() == corrupt_before {
        report.corrupt.push(CorruptSpot {
            path: path.clone(),
            offset: FILE_HEADER_LEN as u64,
            what: "manifest holds no snapshot".into(),
        });
    }
    report.files.push(FileReport {
        path,
        kind: "manifest",
        bytes,
        records: edits.len() as u64,
    });
    let mut state = ManifestState {
        files: BTreeMap::new(),
        log_number: 0,
        intact: report.corrupt.len() == corrupt_before,
    };
    for (at, e) in edits {
        for (_, n) in &e.deleted {
            state.files.remove(n);
        }
        for (level, _, meta) in e.added {
            let named = NamedTable {
                level,
                meta,
                added_at: at,
            };
            state.files.insert(named.meta.number, named);
        }
        state.log_number = e.log_number.unwrap_or(state.log_number);
    }
    Ok(Some(state))
}

/// The manifest's header and edits, each with the offset of its record.
fn walk_manifest(file: &File, edits: &mut Vec<(u64, VersionEdit)>) -> Result<Replayed> {
    manifest::read_edits(file, |at, e| edits.push((at, e)))
}

/// How to read one WAL.
#[derive(Clone, Copy)]
struct WalCheck {
    /// The newest WAL, the only one that may end torn.
    newest: bool,
    /// Apply its records to the live keys.
    replaying: bool,
}

/// Replay one WAL as recovery would; records are applied to `live` while
/// `replaying`. Returns false when the WAL ends torn (recovery replays
/// nothing after it).
fn check_wal(
    vfs: &Vfs,
    path: &Path,
    how: WalCheck,
    report: &mut VerifyReport,
    live: &mut HashMap<Vec<u8>, bool>,
) -> Result<bool> {
    let bytes = vfs.open(path, OpenMode::Existing)?.len()?;
    let mut records = 0u64;
    let replayed = wal::replay(vfs, path, how.newest, |kind, key, _| {
        records += 1;
        if how.replaying {
            live.insert(key.to_vec(), kind == RecordKind::Put);
        }
    });
    let whole = match replayed {
        Ok(Replayed::Clean) => true,
        Ok(Replayed::Torn { valid_len }) => {
            report.torn_tails.push(CorruptSpot {
                path: path.to_path_buf(),
                offset: valid_len,
                what: format!("{} bytes of torn tail", bytes - valid_len),
            });
            false
        }
        Err(e) => {
            spot(report, e)?;
            true
        }
    };
    report.files.push(FileReport {
        path: path.to_path_buf(),
        kind: "wal",
        bytes,
        records,
    });
    Ok(whole)
}

/// List files that open would delete, without reading them.
fn list_orphans(vfs: &Vfs, mut orphans: Vec<PathBuf>, report: &mut VerifyReport) -> Result<()> {
    orphans.sort();
    for path in orphans {
        let bytes = vfs.open(&path, OpenMode::Existing)?.len()?;
        report.files.push(FileReport {
            path,
            kind: "orphan",
            bytes,
            records: 0,
        });
    }
    Ok(())
}

/// Check one table; `meta` is what the manifest recorded (none when the
/// manifest is damaged). Its entries update `versions`.
fn check_table(
    vfs: &Vfs,
    path: &Path,
    meta: Option<&FileMeta>,
    report: &mut VerifyReport,
    versions: &mut Versions,
) -> Result<()> {
    let file = vfs.open(path, OpenMode::Existing)?;
    let bytes = file.len()?;
    let mut records = 0;
    if let Err(e) = walk_table(&file, path, meta, report, versions, &mut records) {
        spot(report, e)?;
    }
    report.files.push(FileReport {
        path: path.to_path_buf(),
        kind: "sstable",
        bytes,
        records,
    });
    Ok(())
}

/// The structural part of a table walk: an error here (footer, index or
/// filter unreadable) ends the walk; a bad data block is pushed to
/// `report` and the walk goes on.
fn walk_table(
    file: &File,
    path: &Path,
    meta: Option<&FileMeta>,
    report: &mut VerifyReport,
    versions: &mut Versions,
    records: &mut u64,
) -> Result<()> {
    let len = file.len()?;
    let bad = |offset: u64, what: String| Error::corruption(path, offset, what);
    if let Some(m) = meta {
        if m.size != len {
            report.corrupt.push(CorruptSpot {
                path: path.to_path_buf(),
                offset: len.min(m.size),
                what: format!("table is {len} bytes, the manifest says {}", m.size),
            });
        }
    }
    if len < FOOTER_LEN as u64 {
        return Err(bad(0, "table shorter than its footer".into()));
    }
    let footer_at = len - FOOTER_LEN as u64;
    let mut fb = [0u8; FOOTER_LEN];
    file.read_exact_at(&mut fb, footer_at, Purpose::Recovery)?;
    let footer = Footer::decode(path, &fb, len)?;
    let raw = read_block(file, footer.index)?;
    let data_end = if footer.filter.len == 0 {
        footer.index.offset
    } else {
        footer.filter.offset
    };
    let index = Index::decode(
        path,
        footer.index.offset,
        check_block(path, footer.index, &raw)?,
        data_end,
    )?;
    if index.is_empty() {
        return Err(bad(footer.index.offset, "index lists no data block".into()));
    }
    let filter = if footer.filter.len == 0 {
        None
    } else {
        let raw = read_block(file, footer.filter)?;
        let body = check_block(path, footer.filter, &raw)?.to_vec();
        if Filter::parse(&body).is_none() {
            return Err(bad(footer.filter.offset, "malformed filter block".into()));
        }
        Some(body)
    };
    let filter = filter.as_deref().and_then(Filter::parse);

    let mut prev: Option<Vec<u8>> = None;
    let (mut smallest, mut max_seq, mut filter_missed) = (None, 0u64, false);
    let blocks_bad = report.corrupt.len();
    for i in 0..index.len() {
        let h = index.handle(i);
        let block_bad = |what: &str| CorruptSpot {
            path: path.to_path_buf(),
            offset: h.offset,
            what: format!("data block {i}: {what}"),
        };
        let raw = read_block(file, h)?;
        let body = match check_block(path, h, &raw) {
            Ok(body) => body.to_vec(),
            Err(_) => {
                report.corrupt.push(block_bad("checksum mismatch"));
                continue;
            }
        };
        let Ok(block) = Block::parse(body) else {
            report.corrupt.push(block_bad("malformed trailer"));
            continue;
        };
        let mut it = BlockIter::new(Arc::new(block));
        let mut last: Option<Vec<u8>> = None;
        loop {
            if it.advance().is_err() {
                report.corrupt.push(block_bad("malformed entry"));
                break;
            }
            if !it.valid() {
                break;
            }
            let key = it.key();
            if prev.as_deref().is_some_and(|p| p >= key) {
                report.corrupt.push(block_bad("keys out of order"));
                break;
            }
            prev = Some(key.to_vec());
            let (seq, kind) = untag(it.tag());
            *records += 1;
            max_seq = max_seq.max(seq);
            if smallest.is_none() {
                smallest = Some(key.to_vec());
            }
            if let Some(f) = &filter {
                filter_missed |= !f.may_contain(bloom::hash(key));
            }
            let put = kind == Kind::Put;
            match versions.get_mut(key) {
                Some(v) if v.0 >= seq => {}
                Some(v) => *v = (seq, put),
                None => {
                    versions.insert(key.to_vec(), (seq, put));
                }
            }
            last = Some(key.to_vec());
        }
        if last.as_deref().is_some_and(|l| l != index.key(i)) {
            report
                .corrupt
                .push(block_bad("last key differs from its index entry"));
        }
    }
    if filter_missed {
        report.corrupt.push(CorruptSpot {
            path: path.to_path_buf(),
            offset: footer.filter.offset,
            what: "the bloom filter rules out a key the table holds".into(),
        });
    }
    // Counts and key ranges after a damaged block would only repeat it.
    if blocks_bad != report.corrupt.len() {
        return Ok(());
    }
    let mut at_footer = |what: String| {
        report.corrupt.push(CorruptSpot {
            path: path.to_path_buf(),
            offset: footer_at,
            what,
        })
    };
    if footer.entries != *records {
        at_footer(format!(
            "footer counts {} entries, the blocks hold {records}",
            footer.entries
        ));
    }
    if let Some(m) = meta {
        if m.entries != *records {
            at_footer(format!(
                "manifest counts {} entries, the blocks hold {records}",
                m.entries
            ));
        }
        if smallest
            .as_deref()
            .is_some_and(|s| s != m.smallest.as_slice())
            || prev.as_deref().is_some_and(|l| l != m.largest.as_slice())
        {
            at_footer("key range differs from the manifest's".into());
        }
        if max_seq > m.max_seq {
            at_footer(format!(
                "holds sequence number {max_seq}, above the manifest's {}",
                m.max_seq
            ));
        }
    }
    Ok(())
}

/// Read a whole block; handles were checked against the file's length by
/// the footer and index decoders, so the allocation is bounded by it.
fn read_block(file: &File, h: Handle) -> Result<Vec<u8>> {
    let mut raw = vec![0u8; h.len as usize];
    file.read_exact_at(&mut raw, h.offset, Purpose::Recovery)?;
    Ok(raw)
}

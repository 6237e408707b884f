//! Opening: replay the manifest, open the tables, replay the WALs.
//!
//! 0. Claim the directory (`engine_core::ownership`): an empty one gets
//!    an `ENGINE` owner file naming `lsm`; one that is not empty and not
//!    an LSM database is refused, untouched. The owner file is never
//!    deleted: it is not a name this engine parses.
//! 1. Read `MANIFEST` (no manifest: a new database; leftovers of a first
//!    open that crashed before its manifest existed are deleted; they can
//!    hold no acknowledged write).
//! 2. Open every table it lists (footer, index and filter checked).
//! 3. Replay the WALs numbered at or above the log number, oldest first,
//!    into one memtable, numbering records after the manifest's last
//!    sequence number. Only the newest WAL may end torn (its records after
//!    the tear were never durable): a later WAL is created only after the
//!    earlier one was closed and synced whole, so damage in an older WAL
//!    is corruption and opening fails, deleting nothing.
//! 4. Flush the replayed memtable to a level-0 table, rewrite the manifest
//!    as a snapshot naming it and a fresh WAL number, then create that WAL.
//! 5. Delete what the snapshot does not name: older WALs, orphan tables
//!    (written by a flush or compaction whose edit never committed).
//!
//! A crash at any step leaves the previous manifest in charge with its
//! WALs intact, so recovery can simply run again.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};

use engine_core::ownership;
use engine_core::record::RecordKind;
use engine_core::{Error, EventLog, Purpose, Result, Vfs};

use super::background::write_memtable;
use super::{BgState, Shared, SuperVersion, VersionSet, WriteState};
use crate::cache::BlockCache;
use crate::compaction::PolicyState;
use crate::files::{self, table_path, FileName};
use crate::manifest::{self, ManifestWriter, VersionEdit};
use crate::memtable::Memtable;
use crate::options::LsmOptions;
use crate::sstable::builder::TableShape;
use crate::sstable::reader::Table;
use crate::sstable::FileMeta;
use crate::version::Version;
use crate::wal;

/// The name every LSM preset writes in its directory's owner file.
pub(crate) const OWNER: &str = "lsm";

/// Leveled compaction keeps levels `0..max_levels`. A database with tables
/// on a deeper level (written with a larger `max_levels`) is refused rather
/// than folded into the last level: that level would then hold several
/// overlapping runs, and its compactions, written for one, would drop
/// tombstones over older live versions. Refusing loses nothing (the old
/// setting still opens the database); RocksDB refuses the same way.
fn check_max_levels(opts: &LsmOptions, files: &BTreeMap<u64, (u32, u64, FileMeta)>) -> Result<()> {
    if opts.style != crate::options::Style::Leveled {
        return Ok(());
    }
    let Some(deepest) = files.values().map(|(level, _, _)| *level).max() else {
        return Ok(());
    };
    if (deepest as usize) < opts.max_levels {
        return Ok(());
    }
    Err(Error::BadOption {
        key: "max_levels".into(),
        value: opts.max_levels.to_string(),
        expected: format!(
            "at least {} for this database (it has tables on level {deepest}); \
             reopen it with the max_levels it was written with",
            deepest + 1
        ),
    })
}

pub(crate) fn recover(vfs: &Vfs, dir: &Path, opts: LsmOptions) -> Result<Shared> {
    // Before anything is read or deleted: a directory that is not empty and
    // not ours (a user's files, another engine's database) is refused, so
    // the cleanup below only ever sees files this engine created.
    ownership::claim(vfs, dir, OWNER)?;
    let cache = Arc::new(BlockCache::new(opts.cache_bytes));
    let names = vfs.list_dir(dir)?;
    let (mut log_number, mut next_file, mut last_seq) = (0u64, 1u64, 0u64);
    let mut files: BTreeMap<u64, (u32, u64, FileMeta)> = BTreeMap::new();
    match manifest::read(vfs, dir)? {
        Some(edits) => {
            for e in edits {
                for (_, n) in &e.deleted {
                    files.remove(n);
                }
                for (level, run, meta) in e.added {
                    files.insert(meta.number, (level, run, meta));
                }
                log_number = e.log_number.unwrap_or(log_number);
                next_file = e.next_file.unwrap_or(next_file);
                last_seq = e.last_seq.unwrap_or(last_seq);
            }
        }
        None => {
            for name in &names {
                if FileName::parse(name).is_some() {
                    vfs.remove_file(&dir.join(name))?;
                }
            }
        }
    }
    check_max_levels(&opts, &files)?;
    let names = vfs.list_dir(dir)?;
    let mut opened = HashMap::new();
    for (n, (_, _, meta)) in &files {
        let path = table_path(dir, *n);
        if !vfs.exists(&path)? {
            return Err(Error::corruption(
                manifest::path(dir),
                0,
                format!("manifest names missing table {}", path.display()),
            ));
        }
        opened.insert(
            *n,
            Arc::new(Table::open(
                vfs,
                &path,
                meta.clone(),
                cache.clone(),
                Purpose::Recovery,
            )?),
        );
    }
    let snapshot = VersionEdit {
        added: files.values().cloned().collect(),
        ..VersionEdit::default()
    };
    let mut version = Version::default().apply(&snapshot, &opened);

    let mut wals = Vec::new();
    for name in &names {
        match FileName::parse(name) {
            Some(FileName::Wal(n)) => {
                next_file = next_file.max(n + 1);
                if n >= log_number {
                    wals.push(n);
                }
            }
            Some(FileName::Table(n)) => next_file = next_file.max(n + 1),
            _ => {}
        }
    }
    wals.sort_unstable();
    let replayed = Memtable::new(0);
    let mut seq = last_seq;
    // Only the newest WAL can end torn; `replay` reports damage in an older
    // one as corruption, so no WAL after a damaged one is ever skipped (or
    // deleted below).
    for (i, &n) in wals.iter().enumerate() {
        let newest = i + 1 == wals.len();
        wal::replay(vfs, &files::wal_path(dir, n), newest, |kind, k, v| {
            seq += 1;
            replayed.insert(k, seq, (kind == RecordKind::Put).then_some(v));
        })?;
    }
    last_seq = seq;
    let shape = TableShape {
        block_bytes: opts.block_bytes,
        restart_interval: opts.restart_interval,
        bloom_bits: opts.bloom_bits,
    };
    if !replayed.is_empty() {
        let n = next_file;
        next_file += 1;
        if let Some(t) = write_memtable(vfs, dir, n, shape, &cache, &replayed, Purpose::Flush)? {
            let edit = VersionEdit {
                added: vec![(0, n, t.meta.clone())],
                ..VersionEdit::default()
            };
            version = version.apply(&edit, &HashMap::from([(n, t)]));
        }
    }
    let wal_number = next_file;
    next_file += 1;
    let snapshot = VersionEdit {
        log_number: Some(wal_number),
        next_file: Some(next_file),
        last_seq: Some(last_seq),
        added: version.snapshot_files(),
        deleted: Vec::new(),
    };
    let manifest = ManifestWriter::rewrite(vfs, dir, &snapshot)?;
    // Created only once the manifest's log number has moved past every old
    // WAL: a crash in between must not leave the old newest WAL (unclosed,
    // maybe torn) followed by a newer one, which would read as corruption.
    // Without its WAL the snapshot replays nothing, which is right.
    let wal = Arc::new(wal::create(vfs, dir, wal_number, opts.durability)?);
    let live: std::collections::HashSet<u64> = version.tables().map(|t| t.meta.number).collect();
    for name in vfs.list_dir(dir)? {
        let stale = match FileName::parse(&name) {
            Some(FileName::Wal(n)) => n < wal_number,
            Some(FileName::Table(n)) => !live.contains(&n),
            Some(FileName::Tmp) => true,
            None => false,
        };
        if stale {
            vfs.remove_file(&dir.join(&name))?;
        }
    }

    let version = Arc::new(version);
    let mem = Arc::new(Memtable::new(wal_number));
    let shared = Shared {
        vfs: vfs.clone(),
        dir: dir.to_path_buf(),
        cache,
        write: Mutex::new(WriteState {
            wal,
            mem: mem.clone(),
            seq: last_seq,
        }),
        sv: RwLock::new(Arc::new(SuperVersion {
            mem,
            imm: Vec::new(),
            version: version.clone(),
        })),
        versions: Mutex::new(VersionSet {
            manifest,
            current: version.clone(),
            log_number: wal_number,
            last_seq,
            policy: PolicyState::default(),
            obsolete: Vec::new(),
        }),
        next_file: AtomicU64::new(next_file),
        log_number: AtomicU64::new(wal_number),
        poisoned: AtomicBool::new(false),
        poison_path: Mutex::new(None),
        bg: Mutex::new(BgState::default()),
        bg_cv: Condvar::new(),
        imm_count: AtomicUsize::new(0),
        l0_stall: AtomicBool::new(false),
        stats: Default::default(),
        events: EventLog::new(),
        opts,
    };
    shared.update_stall_flag(&version, &PolicyState::default());
    Ok(shared)
}

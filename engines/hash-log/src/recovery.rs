//! Open: rebuild the keydir from hint files and segments, oldest first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use engine_core::log::LogWriter;
use engine_core::record::{LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::{ownership, Error, EventLog, File, OpenMode, Purpose, Result, Vfs};
use parking_lot::{Mutex, RwLock};

use crate::hint;
use crate::keydir::{Keydir, Loc};
use crate::segment::{self, is_write_id, Segment, WRITE_STEP};
use crate::store::{Config, Store};

/// Recover the engine state in `dir` (claiming it if empty or absent).
pub(crate) fn recover(vfs: &Vfs, dir: &Path, cfg: Config) -> Result<Store> {
    // Refuses a directory holding anything but a hash-log database, before
    // anything in it is deleted or truncated.
    ownership::claim(vfs, dir, crate::ENGINE_NAME)?;
    let mut ids = BTreeSet::new();
    for name in vfs.list_dir(dir)? {
        if segment::is_own_tmp(&name) {
            // A segment or hint that never got renamed into place.
            vfs.remove_file(&dir.join(&name))?;
        } else if let Some(id) = segment::parse_name(&name, ".seg") {
            ids.insert(id);
        }
    }
    let mut keydir = Keydir::default();
    let mut segs = BTreeMap::new();
    let newest = ids.last().copied().unwrap_or(0);
    for &id in &ids {
        let torn_ok = segment::tail_may_be_torn(id, newest);
        let seg = load_segment(vfs, dir, id, cfg, torn_ok, &mut keydir)?;
        segs.insert(id, Arc::new(seg));
    }
    let active = match segs.last_key_value() {
        Some((&id, seg)) if is_write_id(id) => Arc::clone(seg),
        last => {
            let id = last.map_or(WRITE_STEP, |(&id, _)| (id / WRITE_STEP + 1) * WRITE_STEP);
            let seg = Arc::new(segment::create(vfs, dir, id, cfg.durability, Purpose::Wal)?);
            segs.insert(id, Arc::clone(&seg));
            seg
        }
    };
    Ok(Store {
        vfs: vfs.clone(),
        dir: dir.to_path_buf(),
        cfg,
        keydir: RwLock::new(keydir),
        segs: RwLock::new(segs),
        active: Mutex::new(active),
        merge_lock: Mutex::new(()),
        merges: AtomicU64::new(0),
        merge_bytes_written: AtomicU64::new(0),
        events: EventLog::new(),
        merge_errors: AtomicU64::new(0),
        roll_failed: AtomicBool::new(false),
    })
}

/// Load one segment into the keydir: from its hint when it has a usable
/// one, else by reading every record (truncating a torn tail when `torn_ok`,
/// see [`segment::tail_may_be_torn`]).
fn load_segment(
    vfs: &Vfs,
    dir: &Path,
    id: u64,
    cfg: Config,
    torn_ok: bool,
    keydir: &mut Keydir,
) -> Result<Segment> {
    let file = vfs.open(&segment::seg_path(dir, id), OpenMode::Existing)?;
    segment::check_header(&file, Purpose::Recovery)?;
    let len = file.len()?;
    // Only merge outputs have hints; a hint is checked against the
    // segment's length, and an unusable one is ignored (verify reports it).
    let hinted = match is_write_id(id) {
        false => hint::read(vfs, dir, id, len, Purpose::Recovery)?.and_then(|h| h.ok()),
        true => None,
    };
    let valid = match hinted {
        Some(entries) => {
            for e in entries {
                keydir.insert(
                    &e.key,
                    Loc {
                        seg: id,
                        offset: e.offset,
                        len: e.len,
                    },
                );
            }
            len
        }
        None => replay(&file, id, torn_ok, keydir)?,
    };
    let purpose = if is_write_id(id) {
        Purpose::Wal
    } else {
        Purpose::Compaction
    };
    let log = LogWriter::resume(vfs, file, valid, cfg.durability, purpose);
    Ok(Segment { id, log })
}

/// Apply every record of a segment to the keydir; returns its valid length.
fn replay(file: &File, id: u64, torn_ok: bool, keydir: &mut Keydir) -> Result<u64> {
    let mut reader = LogReader::new(file, FILE_HEADER_LEN as u64, Purpose::Recovery)?;
    while let Some(r) = reader.next_record()? {
        match r.kind {
            RecordKind::Put => {
                let len = engine_core::record::encoded_len(&r.key, &r.value) as u32;
                keydir.insert(
                    &r.key,
                    Loc {
                        seg: id,
                        offset: r.offset,
                        len,
                    },
                );
            }
            RecordKind::Delete => keydir.remove(&r.key),
            RecordKind::Marker => {}
        }
    }
    // next_record returned None, so the reader recorded how the log ended.
    match reader
        .end()
        .expect("LogReader sets its end before returning None")
    {
        LogEnd::Clean { len } if !torn_ok && !reader.sealed() => Err(Error::corruption(
            file.path(),
            len,
            "a sealed segment does not end in its seal (it was sealed before its \
             successor existed, so records are missing)",
        )),
        LogEnd::Clean { len } => Ok(len),
        LogEnd::TornTail { valid_len, .. } if !torn_ok => Err(Error::corruption(
            file.path(),
            valid_len,
            "damaged record at the end of a sealed segment (it was synced before \
             its successor existed, so this is not a torn tail)",
        )),
        LogEnd::TornTail { valid_len, .. } => {
            file.set_len(valid_len)?;
            file.sync(Purpose::Recovery)?;
            Ok(valid_len)
        }
    }
}

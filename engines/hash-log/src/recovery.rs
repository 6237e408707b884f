//! Open: rebuild the keydir from hint files and segments, oldest first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use engine_core::log::LogWriter;
use engine_core::record::{LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::{OpenMode, Purpose, Result, Vfs};
use parking_lot::{Mutex, RwLock};

use crate::engine::{Config, Inner};
use crate::hint;
use crate::keydir::{Keydir, Loc};
use crate::segment::{self, is_write_id, Segment, WRITE_STEP};

/// Recover the engine state in `dir` (creating it if empty).
pub(crate) fn recover(vfs: &Vfs, dir: &Path, cfg: Config) -> Result<Inner> {
    vfs.create_dir_all(dir)?;
    let mut ids = BTreeSet::new();
    for name in vfs.list_dir(dir)? {
        if name.ends_with(".tmp") {
            // A segment or hint that never got renamed into place.
            vfs.remove_file(&dir.join(&name))?;
        } else if let Some(id) = segment::parse_name(&name, ".seg") {
            ids.insert(id);
        }
    }
    let mut keydir = Keydir::default();
    let mut segs = BTreeMap::new();
    for &id in &ids {
        let seg = load_segment(vfs, dir, id, cfg, &mut keydir)?;
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
    Ok(Inner {
        vfs: vfs.clone(),
        dir: dir.to_path_buf(),
        cfg,
        keydir: RwLock::new(keydir),
        segs: RwLock::new(segs),
        active: Mutex::new(active),
        merge_lock: Mutex::new(()),
        merges: AtomicU64::new(0),
        merge_bytes_written: AtomicU64::new(0),
        merge_errors: AtomicU64::new(0),
    })
}

/// Load one segment into the keydir: from its hint when it has a usable
/// one, else by reading every record (truncating a torn tail).
fn load_segment(
    vfs: &Vfs,
    dir: &Path,
    id: u64,
    cfg: Config,
    keydir: &mut Keydir,
) -> Result<Segment> {
    let file = vfs.open(&segment::seg_path(dir, id), OpenMode::Existing)?;
    segment::check_header(&file, Purpose::Recovery)?;
    let len = file.len()?;
    let hinted = match hint::read(vfs, dir, id, Purpose::Recovery)? {
        Some(Ok(entries)) if entries.iter().all(|e| e.offset + e.len as u64 <= len) => {
            Some(entries)
        }
        _ => None,
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
        None => replay(&file, id, keydir)?,
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
fn replay(file: &engine_core::File, id: u64, keydir: &mut Keydir) -> Result<u64> {
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
        LogEnd::Clean { len } => Ok(len),
        LogEnd::TornTail { valid_len, .. } => {
            file.set_len(valid_len)?;
            file.sync(Purpose::Recovery)?;
            Ok(valid_len)
        }
    }
}

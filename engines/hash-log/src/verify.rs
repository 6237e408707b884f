//! `verify`: a read-only walk of every segment and hint file.

use std::collections::HashMap;
use std::path::Path;

use engine_core::record::{LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::{
    ownership, CorruptSpot, Error, FileReport, OpenMode, Options, Purpose, Result, VerifyReport,
    Vfs,
};

use crate::hint;
use crate::segment::{self, hint_path, seg_path};

/// Check every record of every segment and every hint in `dir`, oldest
/// first, without changing anything. A damaged hint is reported as
/// corruption even though open would fall back to its segment.
pub fn verify(vfs: &Vfs, dir: &Path, _options: &Options) -> Result<VerifyReport> {
    // Another engine's directory (or a user's) is not "clean": it is not a
    // hash-log database at all.
    ownership::check(vfs, dir, crate::ENGINE_NAME)?;
    let mut report = VerifyReport::default();
    let mut live: HashMap<Vec<u8>, bool> = HashMap::new();
    let mut seg_ids = Vec::new();
    let mut hint_ids = Vec::new();
    for name in vfs.list_dir(dir)? {
        if let Some(id) = segment::parse_name(&name, ".seg") {
            seg_ids.push(id);
        } else if let Some(id) = segment::parse_name(&name, ".hint") {
            hint_ids.push(id);
        }
    }
    seg_ids.sort_unstable();
    let newest = seg_ids.last().copied().unwrap_or(0);
    for &id in &seg_ids {
        let torn_ok = segment::tail_may_be_torn(id, newest);
        check_segment(vfs, dir, id, torn_ok, &mut report, &mut live)?;
    }
    for id in hint_ids {
        let path = hint_path(dir, id);
        let bytes = vfs.open(&path, OpenMode::Existing)?.len()?;
        // A hint without its segment points at nothing (length 0).
        let seg_len = match seg_ids.binary_search(&id) {
            Ok(_) => vfs.open(&seg_path(dir, id), OpenMode::Existing)?.len()?,
            Err(_) => 0,
        };
        let records = match hint::read(vfs, dir, id, seg_len, Purpose::Recovery)? {
            Some(Ok(entries)) => entries.len() as u64,
            Some(Err(bad)) => {
                report.corrupt.push(CorruptSpot {
                    path: path.clone(),
                    offset: bad.offset,
                    what: format!(
                        "hint unusable ({}); open reads the segment instead",
                        bad.what
                    ),
                });
                0
            }
            None => 0,
        };
        report.files.push(FileReport {
            path,
            kind: "hint",
            bytes,
            records,
        });
    }
    report.live_keys = live.values().filter(|&&l| l).count() as u64;
    Ok(report)
}

fn check_segment(
    vfs: &Vfs,
    dir: &Path,
    id: u64,
    torn_ok: bool,
    report: &mut VerifyReport,
    live: &mut HashMap<Vec<u8>, bool>,
) -> Result<()> {
    let path = seg_path(dir, id);
    let file = vfs.open(&path, OpenMode::Existing)?;
    let bytes = file.len()?;
    let mut records = 0u64;
    let mut walk = || -> Result<(LogEnd, bool)> {
        segment::check_header(&file, Purpose::Recovery)?;
        let mut reader = LogReader::new(&file, FILE_HEADER_LEN as u64, Purpose::Recovery)?;
        while let Some(r) = reader.next_record()? {
            records += 1;
            live.insert(r.key, r.kind == RecordKind::Put);
        }
        let end = reader
            .end()
            .expect("LogReader sets its end before returning None");
        Ok((end, reader.sealed()))
    };
    match walk() {
        Ok((LogEnd::Clean { len }, false)) if !torn_ok => report.corrupt.push(CorruptSpot {
            path: path.clone(),
            offset: len,
            what: "a sealed segment does not end in its seal".into(),
        }),
        Ok((LogEnd::Clean { .. }, _)) => {}
        Ok((LogEnd::TornTail { valid_len, .. }, _)) if !torn_ok => {
            report.corrupt.push(CorruptSpot {
                path: path.clone(),
                offset: valid_len,
                what: "damaged record at the end of a sealed segment".into(),
            })
        }
        Ok((
            LogEnd::TornTail {
                valid_len,
                file_len,
            },
            _,
        )) => report.torn_tails.push(CorruptSpot {
            path: path.clone(),
            offset: valid_len,
            what: format!("{} bytes of torn tail", file_len - valid_len),
        }),
        Err(Error::Corruption { path, offset, what }) => {
            report.corrupt.push(CorruptSpot { path, offset, what })
        }
        Err(e) => return Err(e),
    }
    report.files.push(FileReport {
        path,
        kind: "segment",
        bytes,
        records,
    });
    Ok(())
}

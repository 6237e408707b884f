//! Reading the log back: recovery at open (truncates a torn tail) and the
//! read-only `verify` walk (reports, never repairs).

use std::collections::HashMap;
use std::path::Path;

use engine_core::record::{self, LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::{
    ownership, CorruptSpot, Error, File, FileReport, OpenMode, Options, Purpose, Result,
    VerifyReport, Vfs,
};

use crate::{LOG_FILE, MAGIC, VERSION};

/// Check the header and every record; truncate a torn tail. Returns the
/// valid length the writer continues from.
pub(crate) fn recover(file: &File) -> Result<u64> {
    let (valid, end) = read_log(file, Purpose::Recovery, |_, _| {})?;
    if let LogEnd::TornTail { valid_len, .. } = end {
        file.set_len(valid_len)?;
        file.sync(Purpose::Recovery)?;
    }
    Ok(valid)
}

/// Read the header and every record, calling `each(kind, key)`.
fn read_log(
    file: &File,
    purpose: Purpose,
    mut each: impl FnMut(RecordKind, &[u8]),
) -> Result<(u64, LogEnd)> {
    let len = file.len()?;
    if len < FILE_HEADER_LEN as u64 {
        // A crash before the header was synced leaves a short (or empty)
        // file; nothing in it was ever acknowledged.
        return Err(Error::corruption(
            file.path(),
            0,
            format!("log of {len} bytes is shorter than its {FILE_HEADER_LEN}-byte header"),
        ));
    }
    let mut header = [0u8; FILE_HEADER_LEN];
    file.read_exact_at(&mut header, 0, purpose)?;
    record::check_file_header(file.path(), &header, MAGIC, VERSION)?;
    let mut reader = LogReader::new(file, FILE_HEADER_LEN as u64, purpose)?;
    while let Some(r) = reader.next_record()? {
        each(r.kind, &r.key);
    }
    // next_record returned None, so the reader recorded how the log ended.
    let end = reader
        .end()
        .expect("LogReader sets its end before returning None");
    let valid = match end {
        LogEnd::Clean { len } => len,
        LogEnd::TornTail { valid_len, .. } => valid_len,
    };
    Ok((valid, end))
}

/// Walk `dir/naive.log` read-only: records, live keys, a torn tail, or the
/// first corrupt spot (records after it cannot be framed, so the walk stops
/// there).
pub fn verify(vfs: &Vfs, dir: &Path, _options: &Options) -> Result<VerifyReport> {
    // Another engine's (or a user's) directory is not a clean naive log.
    ownership::check(vfs, dir, crate::ENGINE_NAME)?;
    let path = dir.join(LOG_FILE);
    let file = vfs.open(&path, OpenMode::Existing)?;
    let mut report = VerifyReport::default();
    let mut live: HashMap<Vec<u8>, bool> = HashMap::new();
    let mut records = 0u64;
    let result = read_log(&file, Purpose::Recovery, |kind, key| {
        records += 1;
        if kind != RecordKind::Marker {
            live.insert(key.to_vec(), kind == RecordKind::Put);
        }
    });
    match result {
        Ok((
            _,
            LogEnd::TornTail {
                valid_len,
                file_len,
            },
        )) => report.torn_tails.push(CorruptSpot {
            path: path.clone(),
            offset: valid_len,
            what: format!("{} bytes of torn tail", file_len - valid_len),
        }),
        Ok((_, LogEnd::Clean { .. })) => {}
        Err(Error::Corruption { path, offset, what }) => {
            report.corrupt.push(CorruptSpot { path, offset, what })
        }
        Err(e) => return Err(e),
    }
    report.files.push(FileReport {
        path,
        kind: "log",
        bytes: file.len()?,
        records,
    });
    report.live_keys = live.values().filter(|&&l| l).count() as u64;
    Ok(report)
}

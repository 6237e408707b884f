//! The engine: one log writer, and readers that scan the log from the start.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use engine_core::log::LogWriter;
use engine_core::record::{self, RecordKind, FILE_HEADER_LEN, RECORD_HEADER_LEN};
use engine_core::{
    ownership, Engine, EngineMetrics, Error, OpenMode, Options, Purpose, Result, Vfs,
};

use crate::{LOG_FILE, MAGIC, VERSION};

/// Bytes read per storage call while scanning the log.
const CHUNK: usize = 256 << 10;

/// The naive log engine.
pub struct NaiveLog {
    log: LogWriter,
    puts: AtomicU64,
    deletes: AtomicU64,
    log_scans: AtomicU64,
    bytes_scanned: AtomicU64,
}

impl NaiveLog {
    /// Open `dir/naive.log`, creating it if absent, checking every record
    /// and truncating a torn tail.
    pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<NaiveLog> {
        let durability = options.durability()?;
        // Nothing to cache (every get scans the log), but a value that is
        // not a size is still refused, as the contract asks.
        options.cache_bytes()?;
        // Refuses a non-empty directory that is not a naive-log database,
        // before naive.log is created or truncated in it.
        ownership::claim(vfs, dir, crate::ENGINE_NAME)?;
        let path = dir.join(LOG_FILE);
        let log = if vfs.exists(&path)? {
            let file = vfs.open(&path, OpenMode::Existing)?;
            let valid = crate::verify::recover(&file)?;
            LogWriter::resume(vfs, file, valid, durability, Purpose::Wal)
        } else {
            LogWriter::create(vfs, &path, MAGIC, VERSION, durability, Purpose::Wal)?
        };
        Ok(NaiveLog {
            log,
            puts: AtomicU64::new(0),
            deletes: AtomicU64::new(0),
            log_scans: AtomicU64::new(0),
            bytes_scanned: AtomicU64::new(0),
        })
    }

    /// Call `each(kind, key, value)` for every record up to the log's
    /// current end, oldest first.
    fn for_each_record(&self, mut each: impl FnMut(RecordKind, &[u8], &[u8])) -> Result<()> {
        let end = self.log.len();
        let mut pos = FILE_HEADER_LEN as u64;
        let mut buf: Vec<u8> = Vec::new();
        let mut buf_pos = pos; // file offset of buf[0]
        while pos < end {
            let at = (pos - buf_pos) as usize;
            match record::decode(&buf[at..]) {
                Ok((r, n)) => {
                    each(r.kind, r.key, r.value);
                    pos += n as u64;
                }
                Err(record::DecodeError::Incomplete { .. }) => {
                    // Refill from `pos`: at least a chunk, or the whole
                    // record when it is larger than one.
                    let need = match record::decode_header(&buf[at..]) {
                        Ok(h) => h.record_len().max(CHUNK),
                        Err(_) => CHUNK.max(RECORD_HEADER_LEN),
                    };
                    let n = (need as u64).min(end - pos) as usize;
                    if n <= buf.len() - at {
                        return Err(self.corrupt(pos, "record runs past the log's end"));
                    }
                    buf.clear();
                    buf.resize(n, 0);
                    self.log.read_at(&mut buf, pos, Purpose::Query)?;
                    self.bytes_scanned.fetch_add(n as u64, Relaxed);
                    buf_pos = pos;
                }
                Err(record::DecodeError::Checksum) => {
                    return Err(self.corrupt(pos, "record checksum mismatch"))
                }
                Err(record::DecodeError::Invalid(what)) => return Err(self.corrupt(pos, what)),
            }
        }
        self.log_scans.fetch_add(1, Relaxed);
        Ok(())
    }

    fn corrupt(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::corruption(self.log.file().path(), offset, what)
    }
}

impl Engine for NaiveLog {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut found: Option<Vec<u8>> = None;
        self.for_each_record(|kind, k, v| {
            if k == key {
                found = match kind {
                    RecordKind::Put => {
                        let mut out = found.take().unwrap_or_default();
                        out.clear();
                        out.extend_from_slice(v);
                        Some(out)
                    }
                    RecordKind::Delete => None,
                    RecordKind::Marker => found.take(),
                };
            }
        })?;
        Ok(found)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.log.append(RecordKind::Put, key, value)?;
        self.puts.fetch_add(1, Relaxed);
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.log.append(RecordKind::Delete, key, b"")?;
        self.deletes.fetch_add(1, Relaxed);
        Ok(())
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut latest: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        self.for_each_record(|kind, k, v| {
            if k >= start && kind != RecordKind::Marker {
                let value = (kind == RecordKind::Put).then(|| v.to_vec());
                latest.insert(k.to_vec(), value);
            }
        })?;
        Ok(latest
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .take(limit)
            .collect())
    }

    fn sync(&self) -> Result<()> {
        self.log.sync()
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics::new()
            .with("log_bytes", self.log.len())
            .with("puts", self.puts.load(Relaxed))
            .with("deletes", self.deletes.load(Relaxed))
            .with("log_scans", self.log_scans.load(Relaxed))
            .with("bytes_scanned", self.bytes_scanned.load(Relaxed))
            .with("fsyncs", self.log.fsyncs())
    }
}

impl Drop for NaiveLog {
    fn drop(&mut self) {
        // A clean close seals the log (synced, then a marker vouching for
        // every byte before it), so that damage to any record, the last one
        // included, is reported as corruption rather than truncated as a
        // torn tail (see engine_core::log). The next open appends after the
        // seal. Best effort: a drop has no caller to return an error to, and
        // the next open checks the log either way.
        let _ = self.log.seal();
    }
}

//! The one log layer of the workbench: [`LogWriter`] appends, [`LogReader`]
//! reads back, and one rule tells a torn tail from corruption. naive-log,
//! hash-log, the LSM's WAL and MANIFEST (and the B+tree's WAL) all use it.
//!
//! A log file is the record codec's file header followed by records (see
//! [`crate::record`] for every byte). [`LogWriter`] appends records with
//! these properties:
//!
//! - **Buffered appends.** A record is encoded into an in-memory buffer and
//!   the buffer reaches the file in large writes (when it passes
//!   [`FLUSH_BYTES`], or at a sync). A small put is then one `memcpy`, not a
//!   system call. [`LogWriter::read_at`] serves bytes still in the buffer, so
//!   readers never force a write.
//! - **Group commit.** With `sync=always`, a writer appends under a short
//!   lock, then either finds a commit already in flight (and waits for it,
//!   or for the next one) or becomes the leader: it takes the whole buffer,
//!   drops the lock, writes and fsyncs once for every record in the batch,
//!   and wakes the others. N concurrent synced writers share far fewer than
//!   N fsyncs, and no lock is held across the I/O.
//! - **Caller-led commits.** An engine that must order the append with its
//!   own state (the hash-log's keydir, the LSM's memtable) calls
//!   [`LogWriter::append_buffered`] under its lock and [`LogWriter::settle`]
//!   after releasing it; with `sync=never` nothing is synced until the
//!   caller's [`LogWriter::sync`] (how the B+tree and the manifest lead).
//! - **Poisoning.** After a failed write or fsync the writer refuses every
//!   later append and sync with [`Error::Poisoned`]: a failed fsync may have
//!   dropped dirty pages, so a retry that succeeds would be a lie. Reopening
//!   the engine (which reads the log back) is the way out.
//!
//! Durability follows the engine's `sync` option ([`Durability`]): `always`
//! commits before an append returns; `never` only at [`LogWriter::sync`];
//! `bytes:N` commits once N bytes were appended since the last commit. A
//! new log is created durably (header synced, renamed into place, directory
//! synced) before the first append. Every byte of a log file (header,
//! records, markers) and its fsyncs are counted under the one [`Purpose`]
//! the engine gives the file kind (`Wal` for logs that take writes,
//! `Compaction` for merge outputs, `Meta` for the LSM's manifest), so a file
//! kind's I/O is all in one column.
//!
//! ## Sync markers
//!
//! Once an fsync of *this writer* returned with the log durable up to D,
//! the next append starts with a 33-byte *sync marker* record saying
//! "everything before D is durable" (layout in [`crate::record`]). A marker
//! is only ever written after the fsync that made its D durable, so no
//! marker on disk claims more than was durable, whatever a crash kept.
//! [`LogWriter::seal`] ends a log for good: it syncs, appends a marker whose
//! D is its own offset, and syncs again; engines seal at a clean close and
//! when a log stops being the active one (rotation). [`LogWriter::mark`]
//! does the same without ending the log.
//!
//! ## Torn tail or corruption? (one linear pass)
//!
//! A crash damages only bytes that were not yet durable. At the first bad
//! record, at offset P (bad checksum, impossible header, cut short by the
//! end of the file), [`LogReader`] scans the rest of the file byte by byte
//! for a sync marker: its fixed bytes (kind, lengths, magic), then its
//! checksum (a constant 29 bytes), then its own-offset field equal to its
//! position. If a valid marker has D > P, the bad record was durable: that
//! is corruption, reported with the file and P. Otherwise the log ends at P
//! (the torn tail), including when valid records follow garbage or zeros,
//! which is what a crash that kept a later page and lost an earlier one
//! leaves. The cost is O(file size) with a bounded number of checksummed
//! bytes per candidate (candidates' 13 fixed bytes cannot overlap, so at
//! most one per 13 bytes), whatever the claimed lengths in the damage.
//!
//! What the rule cannot see: damage to records written after the last
//! marker's D (the last batch before a crash, or records whose fsync
//! returned just before it) reads as a torn tail. A sealed log has no such
//! records, which is why engines seal. A marker's bytes inside a value (a
//! log file stored as a value) name the offset they had in their own file,
//! so they do not count; only a value crafted to hold a marker naming the
//! exact offset it will land at, with a valid checksum, would. It can only
//! make the reader report corruption for a real torn tail (refuse to open
//! after a crash, a loud failure asking for a look), never hide damage,
//! and writing it needs the file offset the value lands at, which the
//! workbench's clients cannot know; so it is accepted rather than closed
//! with a per-log secret.

use std::mem;
use std::path::{Path, PathBuf};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::options::Durability;
use crate::record::{self, RecordKind, FILE_HEADER_LEN, MARKER_LEN};
use crate::vfs::{File, OpenMode, Purpose, Vfs};

mod reader;

pub use reader::{LogEnd, LogReader, OwnedRecord};

/// Buffered bytes that trigger a write to the file (without fsync).
pub const FLUSH_BYTES: usize = 256 << 10;

/// Where an appended record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// File offset of the record's first byte.
    pub offset: u64,
    /// Encoded length of the record (header, key and value).
    pub len: u32,
}

/// A buffered, group-committing writer of one log file.
pub struct LogWriter {
    file: File,
    durability: Durability,
    purpose: Purpose,
    state: Mutex<State>,
    /// Signalled when a write or commit finishes.
    done: Condvar,
}

struct State {
    /// Bytes appended but not yet handed to a write; file offset `buf_start`.
    buf: Vec<u8>,
    buf_start: u64,
    /// Bytes below this offset are in the file (written, maybe not synced).
    written: u64,
    /// Bytes below this offset were made durable by this writer's own
    /// fsync (or its create): what a sync marker may vouch for.
    durable: u64,
    /// Bytes below this offset are vouched for by a marker already
    /// appended; a marker is due when `durable` passes it.
    marked: u64,
    /// [`LogWriter::seal`] was called: appends are refused.
    sealed: bool,
    /// Bytes appended since the last commit, for `bytes:N`.
    since_commit: u64,
    /// A leader is writing (and maybe fsyncing) `[written, buf_start)`.
    in_flight: bool,
    poisoned: bool,
    /// A spare buffer, swapped in when a leader takes `buf`, so steady
    /// state appends allocate nothing.
    spare: Vec<u8>,
    fsyncs: u64,
}

impl LogWriter {
    /// Create a new log at `path` (replacing any file there) with the given
    /// file header, durably: the header is written and synced under
    /// `<path>.tmp`, renamed into place and the directory synced, so the log
    /// never exists without a durable header and a crash mid-create leaves
    /// only the temporary file (which the engine may delete at open).
    pub fn create(
        vfs: &Vfs,
        path: &Path,
        magic: &[u8; 8],
        version: u32,
        durability: Durability,
        purpose: Purpose,
    ) -> Result<LogWriter> {
        Self::create_with_records(vfs, path, magic, version, durability, purpose, &[])
    }

    /// [`LogWriter::create`] with `first` records in the file before it
    /// appears under its name (the LSM's manifest snapshot), followed by a
    /// marker vouching for them: the whole temporary file is synced before
    /// the rename makes it visible, so no reader ever sees the marker
    /// before what it vouches for is durable. One write, one fsync.
    pub fn create_with_records(
        vfs: &Vfs,
        path: &Path,
        magic: &[u8; 8],
        version: u32,
        durability: Durability,
        purpose: Purpose,
        first: &[(RecordKind, &[u8], &[u8])],
    ) -> Result<LogWriter> {
        let mut bytes = record::encode_file_header(magic, version).to_vec();
        for (kind, key, value) in first {
            record::check_sizes(key, value)?;
            if *kind == RecordKind::Marker {
                return Err(Error::Unsupported(
                    "appending a sync marker by hand (the log writer writes them)",
                ));
            }
            record::encode(&mut bytes, *kind, key, value);
        }
        if !first.is_empty() {
            let at = bytes.len() as u64;
            record::encode_marker(&mut bytes, at, at);
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = vfs.open(&tmp, OpenMode::Truncate)?;
        file.write_at(&bytes, 0, purpose)?;
        file.sync(purpose)?;
        drop(file);
        vfs.rename(&tmp, path)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        vfs.sync_dir(dir)?;
        let file = vfs.open(path, OpenMode::Existing)?;
        let len = bytes.len() as u64;
        // Everything was synced above, and the marker (if any) vouches for it.
        Ok(LogWriter::new(file, len, len, durability, purpose))
    }

    /// Continue a log whose first `len` bytes are valid (the caller has
    /// read it back and truncated any torn tail). `vfs` is the one the file
    /// was opened through. This writer has not synced those bytes itself
    /// (a process that died without a power loss leaves them in the page
    /// cache only), so its first sync fsyncs even with nothing appended,
    /// and no marker vouches for them before that.
    pub fn resume(
        _vfs: &Vfs,
        file: File,
        len: u64,
        durability: Durability,
        purpose: Purpose,
    ) -> LogWriter {
        LogWriter::new(file, len, 0, durability, purpose)
    }

    fn new(file: File, len: u64, durable: u64, durability: Durability, purpose: Purpose) -> Self {
        LogWriter {
            file,
            durability,
            purpose,
            state: Mutex::new(State {
                buf: Vec::with_capacity(FLUSH_BYTES * 2),
                buf_start: len,
                written: len,
                durable,
                marked: durable,
                sealed: false,
                since_commit: 0,
                in_flight: false,
                poisoned: false,
                spare: Vec::with_capacity(FLUSH_BYTES * 2),
                fsyncs: 0,
            }),
            done: Condvar::new(),
        }
    }

    /// The file being written.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Logical length: every byte appended so far, written or buffered.
    pub fn len(&self) -> u64 {
        let st = self.state.lock();
        st.buf_start + st.buf.len() as u64
    }

    /// True when nothing past the file header was appended.
    pub fn is_empty(&self) -> bool {
        self.len() <= FILE_HEADER_LEN as u64
    }

    /// Bytes known durable (by this writer's own fsyncs).
    pub fn durable_len(&self) -> u64 {
        self.state.lock().durable
    }

    /// Fsyncs this writer issued (group commit shares them).
    pub fn fsyncs(&self) -> u64 {
        self.state.lock().fsyncs
    }

    /// Append one record; returns where it landed once it is as durable as
    /// the durability mode asks.
    pub fn append(&self, kind: RecordKind, key: &[u8], value: &[u8]) -> Result<Appended> {
        let a = self.append_buffered(kind, key, value)?;
        self.settle(a)?;
        Ok(a)
    }

    /// The first half of [`LogWriter::append`]: encode the record into the
    /// buffer and return where it landed, without waiting for anything.
    /// Engines that must order the append with an in-memory update (the
    /// hash-log's keydir) call this under their own lock and
    /// [`LogWriter::settle`] after releasing it, so that the commit's I/O
    /// never runs under their lock.
    pub fn append_buffered(&self, kind: RecordKind, key: &[u8], value: &[u8]) -> Result<Appended> {
        record::check_sizes(key, value)?;
        if kind == RecordKind::Marker {
            return Err(Error::Unsupported(
                "appending a sync marker by hand (the log writer writes them)",
            ));
        }
        let len = record::encoded_len(key, value);
        let mut st = self.state.lock();
        if st.poisoned {
            return Err(self.poisoned());
        }
        if st.sealed {
            return Err(Error::Unsupported("appending to a sealed log"));
        }
        if st.durable > st.marked {
            // The first append after an fsync vouches for what it made
            // durable (see "Sync markers" above).
            let at = st.buf_start + st.buf.len() as u64;
            let durable = st.durable;
            record::encode_marker(&mut st.buf, at, durable);
            st.marked = durable;
            st.since_commit += MARKER_LEN as u64;
        }
        let at = st.buf_start + st.buf.len() as u64;
        record::encode(&mut st.buf, kind, key, value);
        st.since_commit += len as u64;
        Ok(Appended {
            offset: at,
            // check_sizes bounds key + value far below u32::MAX.
            len: len as u32,
        })
    }

    /// The second half of [`LogWriter::append`]: make `appended` as durable
    /// as the durability mode asks, and write the buffer out when it is
    /// large.
    pub fn settle(&self, appended: Appended) -> Result<()> {
        let end = appended.offset + appended.len as u64;
        let (commit, flush) = {
            let st = self.state.lock();
            let commit = match self.durability {
                Durability::Always => true,
                Durability::Never => false,
                Durability::Bytes(n) => st.since_commit >= n,
            };
            (commit, st.buf.len() >= FLUSH_BYTES)
        };
        if commit {
            self.commit(end, true)
        } else if flush {
            self.commit(end, false)
        } else {
            Ok(())
        }
    }

    /// Make every appended byte durable.
    pub fn sync(&self) -> Result<()> {
        let end = self.len();
        self.commit(end, true)
    }

    /// End the log for good: make everything appended durable, then append
    /// a marker vouching for every byte before it, and make that durable
    /// too. Later appends are refused. A damaged record anywhere in a
    /// sealed log reads as corruption, never as a torn tail. Idempotent.
    pub fn seal(&self) -> Result<()> {
        {
            let mut st = self.state.lock();
            if st.poisoned {
                return Err(self.poisoned());
            }
            if st.sealed && st.marked >= st.buf_start + st.buf.len() as u64 {
                return Ok(());
            }
            st.sealed = true;
        }
        self.vouch_for_all()
    }

    /// Make everything appended so far durable and vouched for by a
    /// durable marker, without ending the log: after it returns, damage to
    /// any record appended before the call is reported as corruption. The
    /// LSM marks its manifest before deleting a WAL the last edit retired.
    pub fn mark(&self) -> Result<()> {
        self.vouch_for_all()
    }

    /// Sync, append a marker whose durable length is its own offset, sync.
    fn vouch_for_all(&self) -> Result<()> {
        loop {
            self.sync()?;
            let mut st = self.state.lock();
            if st.poisoned {
                return Err(self.poisoned());
            }
            let end = st.buf_start + st.buf.len() as u64;
            if st.durable < end {
                continue; // appended meanwhile: sync that too
            }
            if st.marked >= end {
                return Ok(()); // nothing new since the last marker
            }
            record::encode_marker(&mut st.buf, end, end);
            st.marked = end + MARKER_LEN as u64;
            drop(st);
            return self.commit(end + MARKER_LEN as u64, true);
        }
    }

    /// Hand every appended byte to the file, without fsync (before the file
    /// is read by something other than [`LogWriter::read_at`]).
    pub fn flush(&self) -> Result<()> {
        let end = self.len();
        self.commit(end, false)
    }

    /// Wait until `[.., upto)` is written (and durable, with `fsync`),
    /// leading the write when no one else is.
    fn commit(&self, upto: u64, fsync: bool) -> Result<()> {
        let mut st = self.state.lock();
        loop {
            let reached = if fsync { st.durable } else { st.written };
            if reached >= upto {
                return Ok(());
            }
            if st.poisoned {
                return Err(self.poisoned());
            }
            if st.in_flight {
                self.done.wait(&mut st);
                continue;
            }
            // Lead: take everything buffered so far, ours and others'.
            let spare = mem::take(&mut st.spare);
            let batch = mem::replace(&mut st.buf, spare);
            let start = st.buf_start;
            let end = start + batch.len() as u64;
            st.buf_start = end;
            st.in_flight = true;
            drop(st);

            let result = self.write_batch(&batch, start, fsync);

            st = self.state.lock();
            st.in_flight = false;
            let mut batch = batch;
            batch.clear();
            st.spare = batch;
            match result {
                Ok(()) => {
                    st.written = end;
                    if fsync {
                        st.durable = end;
                        st.since_commit = 0;
                        st.fsyncs += 1;
                    }
                    self.done.notify_all();
                }
                Err(e) => {
                    st.poisoned = true;
                    self.done.notify_all();
                    return Err(e);
                }
            }
        }
    }

    fn write_batch(&self, batch: &[u8], start: u64, fsync: bool) -> Result<()> {
        if !batch.is_empty() {
            self.file.write_at(batch, start, self.purpose)?;
        }
        if fsync {
            self.file.sync(self.purpose)?;
        }
        Ok(())
    }

    fn poisoned(&self) -> Error {
        Error::Poisoned {
            path: self.file.path().to_path_buf(),
        }
    }

    /// Read `buf.len()` bytes at `offset`, which must lie below
    /// [`LogWriter::len`]; bytes still buffered are copied from memory (and
    /// not counted as storage reads, since they never touch storage).
    pub fn read_at(&self, buf: &mut [u8], offset: u64, purpose: Purpose) -> Result<()> {
        let end = offset + buf.len() as u64;
        let mut st = self.state.lock();
        loop {
            let logical = st.buf_start + st.buf.len() as u64;
            if end > logical {
                return Err(Error::corruption(
                    self.file.path(),
                    offset,
                    format!("read of {} bytes past the log's end {logical}", buf.len()),
                ));
            }
            if end <= st.written {
                drop(st);
                return self.file.read_exact_at(buf, offset, purpose);
            }
            if offset >= st.buf_start {
                let from = (offset - st.buf_start) as usize;
                buf.copy_from_slice(&st.buf[from..from + buf.len()]);
                return Ok(());
            }
            if st.written == st.buf_start {
                // Straddles the file and the buffer, nothing in flight.
                let split = (st.buf_start - offset) as usize;
                let (head, tail) = buf.split_at_mut(split);
                tail.copy_from_slice(&st.buf[..tail.len()]);
                drop(st);
                return self.file.read_exact_at(head, offset, purpose);
            }
            if st.poisoned {
                // The failed batch is neither buffered nor in the file.
                return Err(self.poisoned());
            }
            // Part of the range is being written by a leader right now.
            self.done.wait(&mut st);
        }
    }
}

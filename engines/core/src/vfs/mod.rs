//! The storage layer every engine goes through: the Vfs.
//!
//! Engines never touch `std::fs`. They open [`File`]s through a [`Vfs`], and
//! every read, write and sync names its [`Purpose`]. The Vfs counts bytes and
//! calls per purpose in [`IoStats`]; that is where the harness gets write,
//! read and space amplification, exactly and deterministically.
//!
//! Below the counting sits a deliberately narrow [`Backend`] (open, read at,
//! write at, set length, sync, rename, remove, list, sync a directory). Two
//! backends exist:
//!
//! - [`os`]: real files, positional `pread`/`pwrite` calls, no mmap (mapped
//!   reads cannot be counted);
//! - [`sim`]: an in-memory filesystem that knows which bytes and which
//!   directory entries are durable, and can crash, tear writes, flip bits and
//!   fail chosen calls. The crash kit runs every engine on it.
//!
//! Counting lives here, above the backends, so both count identically.

#[cfg(target_os = "linux")]
pub mod direct;
pub mod os;
pub mod sim;
mod stats;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

pub use sim::{CrashMode, CrashStats, SimFs};
pub use stats::{IoSnapshot, IoStats, PurposeSnapshot};

/// Why a storage call was made. The harness reports amplification per
/// purpose: `Query` reads are read amplification, the rest is background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Write-ahead / append log writes (and their syncs).
    Wal,
    /// Memtable flushes and page write-back.
    Flush,
    /// Compaction, merge and checkpoint work (reads and writes).
    Compaction,
    /// Reads made to answer gets and scans.
    Query,
    /// Reads made on a write's behalf: a B+tree descent to the leaf an
    /// insert or delete changes, the pages a split or merge rebalances, a
    /// read inside an engine's read-modify-write. Kept apart from `Query` so
    /// read amplification counts only what lookups cost, and a write-only
    /// workload's reads still show up somewhere.
    WritePath,
    /// Manifests, headers, hint files, directory syncs.
    Meta,
    /// Reads made while opening and recovering.
    Recovery,
}

impl Purpose {
    /// Every purpose, in report order.
    pub const ALL: [Purpose; 7] = [
        Purpose::Wal,
        Purpose::Flush,
        Purpose::Compaction,
        Purpose::Query,
        Purpose::WritePath,
        Purpose::Meta,
        Purpose::Recovery,
    ];

    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Wal => "wal",
            Purpose::Flush => "flush",
            Purpose::Compaction => "compaction",
            Purpose::Query => "query",
            Purpose::WritePath => "write_path",
            Purpose::Meta => "meta",
            Purpose::Recovery => "recovery",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to open a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Open an existing file; error if absent.
    Existing,
    /// Open, creating an empty file if absent.
    Create,
    /// Create a new empty file; error if it exists.
    CreateNew,
    /// Create or truncate to empty.
    Truncate,
}

/// The narrow interface a storage backend implements.
pub trait Backend: Send + Sync + 'static {
    /// Open `path` as `mode` says; `NotFound` for a missing file opened
    /// [`OpenMode::Existing`], `AlreadyExists` for an existing one opened
    /// [`OpenMode::CreateNew`].
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>>;
    /// Unlink a file; the removal is durable only after `sync_dir`.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Atomically replace `to` with `from`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Create `path` and any missing parents; an existing directory is fine.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Make creations, renames and removals in `path` durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Names of the files (not directories) in `path`, sorted.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// Whether a file or directory is at `path`; an error only when that
    /// cannot be told (a permission denied on the way).
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Bytes the device was asked to transfer (read, written), for a
    /// backend that knows them (the direct one); `None` when the kernel's
    /// page cache stands between the engine and the device.
    fn device_bytes(&self) -> Option<(u64, u64)> {
        None
    }
}

/// One open file of a backend.
// `len` is an I/O call that can fail, not a container's size, so an
// `is_empty` beside it would only be a second way to make the same call.
#[allow(clippy::len_without_is_empty)]
pub trait BackendFile: Send + Sync {
    /// Read up to `buf.len()` bytes at `offset`; fewer only at end of file.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Write all of `buf` at `offset`, extending the file if needed.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// The file's current length, written but unsynced bytes included.
    fn len(&self) -> io::Result<u64>;
    /// Truncate or zero-extend the file to `len` bytes (durable at `sync`).
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Make the file's contents and length durable.
    fn sync(&self) -> io::Result<()>;
}

/// A counted handle to a storage backend. Cheap to clone.
#[derive(Clone)]
pub struct Vfs {
    backend: Arc<dyn Backend>,
    stats: Arc<IoStats>,
}

impl fmt::Debug for Vfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vfs").finish_non_exhaustive()
    }
}

impl Vfs {
    /// Real files on the operating system's filesystem.
    pub fn os() -> Vfs {
        Vfs::with_backend(Arc::new(os::OsBackend))
    }

    /// Real files with the page cache bypassed (`O_DIRECT`, see
    /// [`direct`]), after checking that `dir`'s filesystem supports it.
    /// The error names the directory and the ways out.
    pub fn direct(dir: &Path) -> Result<Vfs> {
        #[cfg(target_os = "linux")]
        {
            let backend = direct::DirectBackend::probe(dir)
                .map_err(|e| Error::io("open with O_DIRECT", dir, e))?;
            Ok(Vfs::with_backend(Arc::new(backend)))
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(Error::io(
                "open with O_DIRECT",
                dir,
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "direct I/O is built for Linux only; run with `--io buffered`",
                ),
            ))
        }
    }

    /// Bytes the device was asked to transfer (read, written) by every
    /// file of this Vfs, where the backend knows them (direct I/O).
    pub fn device_bytes(&self) -> Option<(u64, u64)> {
        self.backend.device_bytes()
    }

    /// A Vfs over any backend, with fresh counters.
    pub fn with_backend(backend: Arc<dyn Backend>) -> Vfs {
        Vfs {
            backend,
            stats: Arc::new(IoStats::default()),
        }
    }

    /// The counters of every file opened through this Vfs (and its clones).
    pub fn stats(&self) -> &IoStats {
        &self.stats
    }

    /// Open a file.
    pub fn open(&self, path: &Path, mode: OpenMode) -> Result<File> {
        let inner = self
            .backend
            .open(path, mode)
            .map_err(|e| Error::io("open", path, e))?;
        Ok(File {
            inner,
            path: path.into(),
            stats: self.stats.clone(),
        })
    }

    /// Remove a file (durable only after [`Vfs::sync_dir`]).
    pub fn remove_file(&self, path: &Path) -> Result<()> {
        self.backend
            .remove_file(path)
            .map_err(|e| Error::io("remove", path, e))
    }

    /// Atomically rename (durable only after [`Vfs::sync_dir`]).
    pub fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.backend
            .rename(from, to)
            .map_err(|e| Error::io("rename", from, e))
    }

    /// Create a directory and its parents.
    pub fn create_dir_all(&self, path: &Path) -> Result<()> {
        self.backend
            .create_dir_all(path)
            .map_err(|e| Error::io("create directory", path, e))
    }

    /// Make the directory's entries durable. Counted as a `meta` sync.
    pub fn sync_dir(&self, path: &Path) -> Result<()> {
        self.stats.record_sync(Purpose::Meta);
        self.backend
            .sync_dir(path)
            .map_err(|e| Error::io("sync directory", path, e))
    }

    /// File names in a directory, sorted.
    pub fn list_dir(&self, path: &Path) -> Result<Vec<String>> {
        self.backend
            .list_dir(path)
            .map_err(|e| Error::io("list directory", path, e))
    }

    /// Whether a file or directory exists.
    pub fn exists(&self, path: &Path) -> Result<bool> {
        self.backend
            .exists(path)
            .map_err(|e| Error::io("stat", path, e))
    }

    /// Total length of the files directly in `dir` (engines keep their files
    /// flat in one directory): the `disk_bytes` of space amplification.
    pub fn dir_size(&self, dir: &Path) -> Result<u64> {
        let mut total = 0;
        for name in self.list_dir(dir)? {
            let path = dir.join(&name);
            let f = self
                .backend
                .open(&path, OpenMode::Existing)
                .map_err(|e| Error::io("open", &path, e))?;
            total += f.len().map_err(|e| Error::io("stat", &path, e))?;
        }
        Ok(total)
    }
}

/// An open file. Every call is counted under the purpose it names.
pub struct File {
    inner: Box<dyn BackendFile>,
    path: PathBuf,
    stats: Arc<IoStats>,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("path", &self.path).finish()
    }
}

impl File {
    /// The path this file was opened with (for error messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read up to `buf.len()` bytes; returns how many (fewer only at EOF).
    pub fn read_at(&self, buf: &mut [u8], offset: u64, purpose: Purpose) -> Result<usize> {
        let n = self
            .inner
            .read_at(buf, offset)
            .map_err(|e| Error::io("read", &self.path, e))?;
        self.stats.record_read(purpose, n as u64);
        Ok(n)
    }

    /// Read exactly `buf.len()` bytes. Reading past the end is reported as
    /// corruption: callers only read ranges their own metadata promised.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64, purpose: Purpose) -> Result<()> {
        let n = self.read_at(buf, offset, purpose)?;
        if n < buf.len() {
            return Err(Error::corruption(
                &self.path,
                offset,
                format!("expected {} bytes, file ends after {n}", buf.len()),
            ));
        }
        Ok(())
    }

    /// Write all of `buf` at `offset`.
    pub fn write_at(&self, buf: &[u8], offset: u64, purpose: Purpose) -> Result<()> {
        self.inner
            .write_at(buf, offset)
            .map_err(|e| Error::io("write", &self.path, e))?;
        self.stats.record_write(purpose, buf.len() as u64);
        Ok(())
    }

    /// Current length of the file.
    pub fn len(&self) -> Result<u64> {
        self.inner
            .len()
            .map_err(|e| Error::io("stat", &self.path, e))
    }

    /// True when the file is empty.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Truncate or extend (with zeros).
    pub fn set_len(&self, len: u64) -> Result<()> {
        self.inner
            .set_len(len)
            .map_err(|e| Error::io("set length", &self.path, e))
    }

    /// Make contents and length durable.
    pub fn sync(&self, purpose: Purpose) -> Result<()> {
        self.stats.record_sync(purpose);
        self.inner
            .sync()
            .map_err(|e| Error::io("sync", &self.path, e))
    }
}

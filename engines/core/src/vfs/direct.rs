//! Real files with the kernel's page cache bypassed (`O_DIRECT`).
//!
//! Every read the engines make through [`OsBackend`](super::os::OsBackend)
//! may be served from the page cache: on a machine with gigabytes of free
//! memory a benchmark's data set never leaves it, and a "random read" costs
//! a memory copy (about 2 us) instead of a device access (about 70 us on
//! the development machine's disk). This backend makes every read and
//! write reach the device, so I/O counts cost what I/O costs. Engines do
//! not know which backend they run on.
//!
//! `O_DIRECT` wants the file offset, the length and the memory buffer of
//! every transfer aligned to the device's logical block; [`BLOCK`] (4 KiB)
//! is a multiple of every logical block size in use (512 B or 4 KiB).
//! The engines' I/O is not aligned (a log appends records of any length),
//! so each file translates:
//!
//! - **Reads** cover the whole blocks around the requested range, into an
//!   aligned bounce buffer, and copy the requested bytes out.
//! - **Writes** cover whole blocks too. A block the write covers only in
//!   part is first filled with the file's current bytes: for the file's
//!   last, partial block they are kept in memory (the *tail*), so an
//!   append rewrites the tail block with the new bytes after the old ones
//!   and never reads it back, as RocksDB's direct-I/O writer does; any
//!   other partly written block is read from the device first.
//! - **Length.** A rewritten tail block extends the file on disk to the
//!   block boundary, with zeros past the logical end. The logical length
//!   is kept in memory (what [`BackendFile::len`] returns) and made the
//!   file's real length by `sync` (`ftruncate`, then `fdatasync`, which
//!   makes a size change durable). A crash between the two leaves up to
//!   one block of zeros after a log's last record: the torn tail every
//!   log reader already accepts.
//!
//! The device counters ([`DeviceStats`]) are what this backend asks the
//! device to transfer: whole blocks, including a tail block rewritten by
//! every append and the blocks read to fill a partial write. They sit
//! beside the Vfs's own counters, which count the bytes the engines asked
//! for; the difference is the price of block granularity.
//!
//! A filesystem that refuses `O_DIRECT` (tmpfs, some overlay filesystems)
//! makes [`DirectBackend::probe`] fail with an error that names the
//! directory and the ways out.

use std::alloc::{self, Layout};
use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::os::{self, OsBackend};
use super::{Backend, BackendFile, OpenMode};

/// The transfer unit: offsets, lengths and buffers of every direct I/O are
/// multiples of it.
pub const BLOCK: usize = 4096;

/// Bytes the device was asked to transfer, for every file of one backend.
#[derive(Debug, Default)]
pub struct DeviceStats {
    read_bytes: AtomicU64,
    write_bytes: AtomicU64,
}

impl DeviceStats {
    /// (bytes read from the device, bytes written to it).
    pub fn get(&self) -> (u64, u64) {
        (
            self.read_bytes.load(Relaxed),
            self.write_bytes.load(Relaxed),
        )
    }
}

/// The operating system's filesystem, page cache bypassed.
pub struct DirectBackend {
    device: Arc<DeviceStats>,
    /// Every file open through this backend, by path: a second `open` of
    /// the same path shares the first one's descriptor and, above all, its
    /// in-memory length and tail block. (Each handle with its own would
    /// not see the other's appends: the kernel's length includes block
    /// padding, so it cannot be asked.)
    open_files: Mutex<HashMap<PathBuf, Weak<DirectFile>>>,
}

impl DirectBackend {
    /// A direct backend, after checking that `dir`'s filesystem accepts
    /// `O_DIRECT` (by writing and reading one block of a probe file, which
    /// is removed again).
    pub fn probe(dir: &Path) -> io::Result<DirectBackend> {
        fs::create_dir_all(dir)?;
        if let Some(kind) = memory_filesystem(dir)? {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "{} is on {kind}, which is memory with no device behind it: direct I/O \
                     there would time memory copies and report them as the disk's; run with \
                     `--io buffered` (or `--io memory`), or give a `--data-dir` on a real disk",
                    dir.display()
                ),
            ));
        }
        let path = dir.join(".direct-io-probe");
        let result = probe_file(&path);
        let _ = fs::remove_file(&path);
        result.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "direct I/O (O_DIRECT) does not work in {}: {e}; run with `--io buffered`, \
                     or give a `--data-dir` on a filesystem that supports it (ext4, xfs; \
                     not tmpfs or overlayfs)",
                    dir.display()
                ),
            )
        })?;
        Ok(DirectBackend {
            device: Arc::new(DeviceStats::default()),
            open_files: Mutex::new(HashMap::new()),
        })
    }

    /// The device counters of every file this backend opened.
    pub fn device_stats(&self) -> Arc<DeviceStats> {
        Arc::clone(&self.device)
    }
}

/// The name of `dir`'s filesystem if it keeps files in memory. Linux 6.6
/// and later accept `O_DIRECT` on tmpfs, so the probe write alone would let
/// a "direct" run measure RAM.
fn memory_filesystem(dir: &Path) -> io::Result<Option<&'static str>> {
    use std::os::unix::ffi::OsStrExt;
    // f_type values from Linux's include/uapi/linux/magic.h.
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `st` is plain old data that statfs fills in; `c_path` is a
    // NUL-terminated path that outlives the call.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c_path.as_ptr(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // f_type's integer type differs between libc targets.
    #[allow(clippy::unnecessary_cast)]
    let kind = match st.f_type as i64 {
        TMPFS_MAGIC => Some("tmpfs"),
        RAMFS_MAGIC => Some("ramfs"),
        _ => None,
    };
    Ok(kind)
}

fn probe_file(path: &Path) -> io::Result<()> {
    let f = open_direct(path, OpenMode::Truncate)?;
    let mut buf = AlignedBuf::zeroed(BLOCK);
    buf.as_mut_slice()[0] = 0xA5;
    f.write_all_at(buf.as_slice(), 0)?;
    buf.as_mut_slice()[0] = 0;
    let n = f.read_at(buf.as_mut_slice(), 0)?;
    if n != BLOCK || buf.as_slice()[0] != 0xA5 {
        return Err(io::Error::other("a direct write did not read back"));
    }
    Ok(())
}

fn open_direct(path: &Path, mode: OpenMode) -> io::Result<fs::File> {
    os::open_options(mode)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

impl Backend for DirectBackend {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let mut files = self.open_files.lock();
        if let Some(shared) = files.get(path).and_then(Weak::upgrade) {
            match mode {
                OpenMode::CreateNew => {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("{} exists", path.display()),
                    ))
                }
                OpenMode::Truncate => shared.set_len(0)?,
                OpenMode::Existing | OpenMode::Create => {}
            }
            return Ok(Box::new(Handle(shared)));
        }
        let shared = Arc::new(DirectFile::open(path, mode, &self.device)?);
        files.retain(|_, f| f.strong_count() > 0);
        files.insert(path.to_path_buf(), Arc::downgrade(&shared));
        Ok(Box::new(Handle(shared)))
    }

    // Directory operations are metadata: the same as the buffered backend,
    // with the table of open files kept in step.
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut files = self.open_files.lock();
        OsBackend.remove_file(path)?;
        files.remove(path);
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut files = self.open_files.lock();
        OsBackend.rename(from, to)?;
        // Handles of a replaced `to` keep the unlinked file, as with the OS.
        files.remove(to);
        if let Some(moved) = files.remove(from) {
            files.insert(to.to_path_buf(), moved);
        }
        Ok(())
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        OsBackend.create_dir_all(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        OsBackend.sync_dir(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        OsBackend.list_dir(path)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        OsBackend.exists(path)
    }

    fn device_bytes(&self) -> Option<(u64, u64)> {
        Some(self.device.get())
    }
}

/// A block-aligned heap buffer (`O_DIRECT` needs aligned memory too).
struct AlignedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// The buffer is plain bytes owned by this value.
unsafe impl Send for AlignedBuf {}
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// `len` zero bytes (`len` a positive multiple of [`BLOCK`]).
    fn zeroed(len: usize) -> AlignedBuf {
        debug_assert!(len > 0 && len % BLOCK == 0);
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| alloc::handle_alloc_error(layout));
        AlignedBuf { ptr, len }
    }

    fn layout(len: usize) -> Layout {
        // Size and alignment are multiples of BLOCK, a power of two: the
        // only ways from_size_align can fail do not apply.
        Layout::from_size_align(len, BLOCK).expect("block-aligned layout")
    }

    fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr points to len initialised bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and &mut self makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this same layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}

/// What a direct file keeps in memory.
struct State {
    /// The logical length: what the engine wrote.
    len: u64,
    /// The length on disk: `len` rounded up to a block after a tail
    /// rewrite, until `sync` truncates it back.
    disk_len: u64,
    /// The block at `tail_start()`, holding bytes `tail_start()..len`
    /// (zeros after them).
    tail: AlignedBuf,
}

impl State {
    fn tail_start(&self) -> u64 {
        self.len - self.len % BLOCK as u64
    }
}

struct DirectFile {
    file: fs::File,
    state: Mutex<State>,
    device: Arc<DeviceStats>,
}

fn round_down(x: u64) -> u64 {
    x - x % BLOCK as u64
}

fn round_up(x: u64) -> u64 {
    round_down(x + BLOCK as u64 - 1)
}

/// Read whole blocks at `offset` into `buf` until it is full or the file
/// ends; returns the bytes read (a multiple of a block but for the last).
fn read_blocks(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if done % BLOCK != 0 {
            // A short read ends at the end of the file: nothing follows.
            break;
        }
    }
    Ok(done)
}

impl DirectFile {
    fn open(path: &Path, mode: OpenMode, device: &Arc<DeviceStats>) -> io::Result<DirectFile> {
        let file = open_direct(path, mode)?;
        let len = file.metadata()?.len();
        let mut state = State {
            len,
            disk_len: len,
            tail: AlignedBuf::zeroed(BLOCK),
        };
        // The partial last block, so the first append need not read it.
        let tail_at = state.tail_start();
        if tail_at < len {
            let n = read_blocks(&file, state.tail.as_mut_slice(), tail_at)?;
            device.read_bytes.fetch_add(round_up(n as u64), Relaxed);
        }
        Ok(DirectFile {
            file,
            state: Mutex::new(state),
            device: Arc::clone(device),
        })
    }

    /// Fill `block` (the file's block at `at`) with its current content:
    /// the in-memory tail, zeros past the end, or the device's bytes.
    fn current_block(&self, state: &State, at: u64, block: &mut [u8]) -> io::Result<()> {
        if at == state.tail_start() {
            block.copy_from_slice(state.tail.as_slice());
        } else if at >= state.len {
            block.fill(0);
        } else {
            let n = read_blocks(&self.file, block, at)?;
            block[n..].fill(0);
            self.device
                .read_bytes
                .fetch_add(round_up(n as u64), Relaxed);
        }
        Ok(())
    }
}

/// One open of a file: a share of its [`DirectFile`].
struct Handle(Arc<DirectFile>);

impl BackendFile for Handle {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.write_at(buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.0.state.lock().len)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.0.sync()
    }
}

impl DirectFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let len = self.state.lock().len;
        if offset >= len || buf.is_empty() {
            return Ok(0);
        }
        let end = len.min(offset + buf.len() as u64);
        let (from, to) = (round_down(offset), round_up(end));
        let mut bounce = AlignedBuf::zeroed((to - from) as usize);
        let n = read_blocks(&self.file, bounce.as_mut_slice(), from)?;
        self.device
            .read_bytes
            .fetch_add(round_up(n as u64), Relaxed);
        let skip = (offset - from) as usize;
        let want = (end - offset) as usize;
        let got = n.saturating_sub(skip).min(want);
        buf[..got].copy_from_slice(&bounce.as_slice()[skip..skip + got]);
        Ok(got)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let mut state = self.state.lock();
        let end = offset + buf.len() as u64;
        let (from, to) = (round_down(offset), round_up(end));
        let mut bounce = AlignedBuf::zeroed((to - from) as usize);
        let out = bounce.as_mut_slice();
        // Only the first and last blocks can be partly covered.
        if offset != from {
            self.current_block(&state, from, &mut out[..BLOCK])?;
        }
        let last = to - BLOCK as u64;
        if end != to && (last != from || offset == from) {
            let at = out.len() - BLOCK;
            self.current_block(&state, last, &mut out[at..])?;
        }
        out[(offset - from) as usize..(end - from) as usize].copy_from_slice(buf);
        self.file.write_all_at(out, from)?;
        self.device.write_bytes.fetch_add(out.len() as u64, Relaxed);

        let old_len = state.len;
        state.len = old_len.max(end);
        state.disk_len = state.disk_len.max(to);
        let tail_at = state.tail_start();
        if tail_at >= from && tail_at < to {
            let i = (tail_at - from) as usize;
            let keep = (state.len - tail_at) as usize;
            let tail = state.tail.as_mut_slice();
            tail.copy_from_slice(&out[i..i + BLOCK]);
            tail[keep..].fill(0);
        } else if end >= old_len {
            // The file now ends on a block boundary: the tail is empty.
            state.tail.as_mut_slice().fill(0);
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.state.lock();
        self.file.set_len(len)?;
        let old = state.len;
        state.len = len;
        state.disk_len = len;
        // The new tail block: zeros past `len`, the old bytes before it.
        let tail_at = state.tail_start();
        let mut tail = AlignedBuf::zeroed(BLOCK);
        if tail_at < len.min(old) {
            let n = read_blocks(&self.file, tail.as_mut_slice(), tail_at)?;
            self.device
                .read_bytes
                .fetch_add(round_up(n as u64), Relaxed);
            tail.as_mut_slice()[(len - tail_at) as usize..].fill(0);
        }
        state.tail = tail;
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.state.lock();
        if state.disk_len != state.len {
            self.file.set_len(state.len)?;
            state.disk_len = state.len;
        }
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(dir: &Path) -> Option<DirectBackend> {
        match DirectBackend::probe(dir) {
            Ok(b) => Some(b),
            Err(e) => {
                // Said, not passed silently: the test did not run.
                eprintln!("SKIPPED (no direct I/O here): {e}");
                None
            }
        }
    }

    #[test]
    fn a_memory_filesystem_is_refused_by_name() {
        // /dev/shm is tmpfs on every Linux with a standard layout; where it
        // is not, the refusal has nothing to be shown on.
        let shm = Path::new("/dev/shm");
        if memory_filesystem(shm).ok().flatten() != Some("tmpfs") {
            eprintln!("SKIPPED: /dev/shm is not a tmpfs here");
            return;
        }
        let dir = tempfile::tempdir_in(shm).expect("temp dir in /dev/shm");
        let e = DirectBackend::probe(dir.path())
            .err()
            .expect("tmpfs must be refused");
        let msg = e.to_string();
        assert!(
            msg.contains("tmpfs") && msg.contains(&dir.path().display().to_string()),
            "{msg}"
        );
        assert!(!dir.path().join(".direct-io-probe").exists());
        // A directory on another filesystem is not mistaken for memory:
        // statfs must agree with the mount table (a second, independent
        // source) about the checkout's filesystem.
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mounted = mount_type(here).expect("the checkout is mounted somewhere");
        let in_memory = mounted == "tmpfs" || mounted == "ramfs";
        assert_eq!(
            memory_filesystem(here).expect("statfs").is_some(),
            in_memory,
            "{} is on {mounted}",
            here.display()
        );
    }

    /// The filesystem type of the longest mount point above `path`, from
    /// /proc/self/mounts.
    fn mount_type(path: &Path) -> Option<String> {
        let path = path.canonicalize().ok()?;
        let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
        mounts
            .lines()
            .filter_map(|l| {
                let mut f = l.split(' ');
                let (_dev, point, kind) = (f.next()?, f.next()?, f.next()?);
                path.starts_with(point)
                    .then(|| (point.len(), kind.to_string()))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, kind)| kind)
    }

    #[test]
    fn unaligned_appends_and_overwrites_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(b) = backend(dir.path()) else { return };
        let path = dir.path().join("f");
        let f = b.open(&path, OpenMode::CreateNew).expect("open");
        let mut model = Vec::new();
        // Appends of awkward sizes across block boundaries, then writes
        // into the middle, then a read of every byte.
        for (i, n) in [1usize, 13, 4095, 4097, 100, 9000, 3]
            .into_iter()
            .enumerate()
        {
            let chunk: Vec<u8> = (0..n).map(|j| (i * 31 + j) as u8).collect();
            f.write_at(&chunk, model.len() as u64).expect("append");
            model.extend_from_slice(&chunk);
        }
        f.write_at(b"middle", 4090)
            .expect("overwrite across a boundary");
        model[4090..4096].copy_from_slice(b"middle");
        assert_eq!(f.len().expect("len"), model.len() as u64);
        let mut got = vec![0; model.len() + 50];
        let n = f.read_at(&mut got, 0).expect("read");
        assert_eq!(&got[..n], &model[..]);
        let mut part = vec![0; 10];
        assert_eq!(f.read_at(&mut part, 4093).expect("read"), 10);
        assert_eq!(&part[..], &model[4093..4103]);

        // sync makes the logical length the real one; a reopen sees it.
        f.sync().expect("sync");
        drop(f);
        assert_eq!(fs::metadata(&path).expect("stat").len(), model.len() as u64);
        let f = b.open(&path, OpenMode::Existing).expect("reopen");
        f.write_at(b"more", model.len() as u64)
            .expect("append after reopen");
        model.extend_from_slice(b"more");
        let mut got = vec![0; model.len()];
        assert_eq!(f.read_at(&mut got, 0).expect("read"), model.len());
        assert_eq!(got, model);
    }

    #[test]
    fn two_opens_of_one_file_see_each_others_appends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(b) = backend(dir.path()) else { return };
        let path = dir.path().join("f");
        let a = b.open(&path, OpenMode::Create).expect("open");
        let c = b.open(&path, OpenMode::Existing).expect("second open");
        a.write_at(b"hello", 0).expect("write");
        assert_eq!(c.len().expect("len"), 5);
        c.write_at(b" world", 5).expect("append through the other");
        let mut buf = [0; 11];
        assert_eq!(a.read_at(&mut buf, 0).expect("read"), 11);
        assert_eq!(&buf, b"hello world");
        b.rename(&path, &dir.path().join("g")).expect("rename");
        let g = b
            .open(&dir.path().join("g"), OpenMode::Existing)
            .expect("open g");
        assert_eq!(g.len().expect("len"), 11, "the renamed file's length");
    }

    #[test]
    fn device_counters_count_whole_blocks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(b) = backend(dir.path()) else { return };
        let f = b
            .open(&dir.path().join("f"), OpenMode::CreateNew)
            .expect("open");
        // Three 100-byte appends in one block: each rewrites the tail block
        // and none reads it back.
        for i in 0..3u64 {
            f.write_at(&[7; 100], i * 100).expect("append");
        }
        assert_eq!(b.device_bytes(), Some((0, 3 * BLOCK as u64)));
        let mut buf = [0; 10];
        f.read_at(&mut buf, 4090).expect("read");
        assert_eq!(buf, [0; 10], "past the end reads nothing");
        f.read_at(&mut buf, 95).expect("read");
        assert_eq!(b.device_bytes(), Some((BLOCK as u64, 3 * BLOCK as u64)));
    }

    #[test]
    fn truncation_keeps_the_bytes_before_the_new_end() {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(b) = backend(dir.path()) else { return };
        let f = b
            .open(&dir.path().join("f"), OpenMode::CreateNew)
            .expect("open");
        let data: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        f.write_at(&data, 0).expect("write");
        f.set_len(5_000).expect("truncate");
        f.write_at(b"xy", 5_000).expect("append after truncate");
        let mut got = vec![0; 6_000];
        assert_eq!(f.read_at(&mut got, 0).expect("read"), 5_002);
        assert_eq!(&got[..5_000], &data[..5_000]);
        assert_eq!(&got[5_000..5_002], b"xy");
    }
}

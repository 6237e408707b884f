//! How the engines' files reach the device: `--io buffered|direct|memory`
//! and `--cold`.
//!
//! - **buffered** (the default): our engines go through the kernel's page
//!   cache (`Vfs::os`). On a machine with more free memory than the data
//!   set, reads after the first are memory copies.
//! - **direct**: our engines' files are opened with `O_DIRECT`
//!   (`Vfs::direct`, see `engine_core::vfs::direct`): every read and write
//!   reaches the device, in whole 4 KiB blocks, and engine_metrics.csv
//!   gains `device_bytes_read` and `device_bytes_written` per phase (what
//!   the device was asked to transfer, beside the Vfs's counters of what
//!   the engine asked for). Engines that do their own file I/O (the
//!   reference engines) cannot be switched: they run buffered and the
//!   harness says so; `--cold` is their way to start from the device.
//! - **`--cold`**: before each timed phase the engine is synced and every
//!   file in its directory is evicted from the page cache
//!   (`posix_fadvise(POSIX_FADV_DONTNEED)`), so the phase's first read of
//!   each block comes from the device, for every engine alike. The engine's
//!   own cache (its `cache_mb`) is left as it is: that memory is part of
//!   the engine's budget.
//! - **memory**: our engines' files live in a fresh in-memory filesystem
//!   per engine cell ([`SimFs::memory`]: the crash simulator without its
//!   crash history, so it holds each file once, at its current size). No
//!   byte reaches a disk and nothing is created under the data directory.
//!   The Vfs counts exactly as over real files (counting sits above the
//!   backends), so every byte and I/O counter equals a buffered run's,
//!   which makes amplification at many times `make bench`'s data size a
//!   matter of seconds. Timings are of the simulator, not of a device:
//!   the run is forced `--deterministic` and its timing columns are not
//!   to be read as the engine's speed. Engines that do their own file I/O
//!   (the reference ones) cannot run there, and `--cold` has no page
//!   cache to evict: both are refused (see `run::check_io_mode`).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use engine_core::vfs::SimFs;
use engine_core::Vfs;

/// `--io`: how our engines' files are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IoMode {
    /// Through the kernel's page cache (the default).
    #[default]
    Buffered,
    /// `O_DIRECT`: every read and write goes to the device in whole 4 KiB
    /// blocks; engine_metrics.csv gains `device_bytes_read`/`_written`.
    Direct,
    /// An in-memory filesystem per cell, nothing on disk: the same byte
    /// and I/O counters as buffered, timings not the engines' speed.
    Memory,
}

impl IoMode {
    /// The name on the command line and in the output files.
    pub fn name(self) -> &'static str {
        match self {
            IoMode::Buffered => "buffered",
            IoMode::Direct => "direct",
            IoMode::Memory => "memory",
        }
    }

    /// Every mode, in `--help` order.
    pub const ALL: [IoMode; 3] = [IoMode::Buffered, IoMode::Direct, IoMode::Memory];

    /// Whether engine files stay off the disk (nothing to create, evict or
    /// keep under the data directory).
    pub fn in_memory(self) -> bool {
        self == IoMode::Memory
    }

    /// The Vfs for an engine directory `dir` in this mode. In memory
    /// mode each call is a new, empty filesystem: one per engine cell, so
    /// a cell's files are dropped with its engine.
    pub fn vfs(self, dir: &Path) -> engine_core::Result<Vfs> {
        match self {
            IoMode::Buffered => Ok(Vfs::os()),
            IoMode::Direct => Vfs::direct(dir),
            IoMode::Memory => Ok(SimFs::memory().vfs()),
        }
    }
}

impl fmt::Display for IoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IoMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IoMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let valid: Vec<&str> = IoMode::ALL.iter().map(|m| m.name()).collect();
                format!("unknown I/O mode `{s}`; valid: {}", valid.join(", "))
            })
    }
}

/// `--io auto`: direct where `dir`'s filesystem takes it, else buffered
/// with the reason (for the caller to print). The decision is
/// [`Vfs::direct`]'s own probe, so `auto` refuses exactly what an explicit
/// `--io direct` would (tmpfs included: memory is not a device).
pub fn auto(dir: &Path) -> (IoMode, Option<String>) {
    match Vfs::direct(dir) {
        Ok(_) => (IoMode::Direct, None),
        Err(e) => (
            IoMode::Buffered,
            Some(format!(
                "--io auto: running buffered, so reads may come from the page cache: {e}"
            )),
        ),
    }
}

/// Drop every file under `dir` from the page cache (after `fdatasync`, so
/// no dirty page is left that the kernel would keep). Returns the files
/// evicted.
pub fn evict(dir: &Path) -> std::io::Result<u64> {
    let mut files = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            files += evict(&entry.path())?;
        } else if kind.is_file() {
            evict_file(&entry.path())?;
            files += 1;
        }
    }
    Ok(files)
}

#[cfg(target_os = "linux")]
fn evict_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::File::open(path)?;
    f.sync_data()?;
    // SAFETY: a valid open descriptor; offset 0, length 0 means the
    // whole file. The call only drops clean cached pages.
    let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn evict_file(_path: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "--cold needs posix_fadvise (Linux)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_name_the_valid_ones() {
        assert_eq!("direct".parse::<IoMode>(), Ok(IoMode::Direct));
        assert_eq!("buffered".parse::<IoMode>(), Ok(IoMode::Buffered));
        assert_eq!("memory".parse::<IoMode>(), Ok(IoMode::Memory));
        for m in IoMode::ALL {
            assert_eq!(m.name().parse::<IoMode>(), Ok(m));
            assert_eq!(m.to_string(), m.name());
        }
        let e = "odirect".parse::<IoMode>().unwrap_err();
        assert!(
            e.contains("odirect") && e.contains("buffered, direct, memory"),
            "{e}"
        );
    }

    #[test]
    fn memory_mode_gives_each_cell_its_own_empty_filesystem() {
        let dir = Path::new("/nowhere/on/disk");
        let a = IoMode::Memory.vfs(dir).expect("memory vfs");
        a.create_dir_all(dir).expect("mkdir in memory");
        a.open(&dir.join("f"), engine_core::OpenMode::CreateNew)
            .expect("create in memory");
        let b = IoMode::Memory.vfs(dir).expect("memory vfs");
        assert!(
            !b.exists(&dir.join("f")).expect("stat"),
            "a fresh filesystem"
        );
        assert!(!dir.exists(), "nothing on the real disk");
    }

    #[test]
    fn auto_falls_back_to_buffered_on_memory_and_names_why() {
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("temp dir");
        let (mode, why) = auto(dir.path());
        assert_eq!(mode == IoMode::Direct, why.is_none(), "{why:?}");
        if Path::new("/dev/shm").is_dir() {
            let shm = tempfile::tempdir_in("/dev/shm").expect("temp dir in /dev/shm");
            let (mode, why) = auto(shm.path());
            let why = why.expect("tmpfs is not a device");
            assert_eq!(mode, IoMode::Buffered);
            assert!(why.contains(&shm.path().display().to_string()), "{why}");
        }
    }

    #[test]
    fn evict_visits_every_file_below_the_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a"), b"x").expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/b"), b"y").expect("write");
        assert_eq!(evict(dir.path()).expect("evict"), 2);
    }
}

//! What the three adapters share: finding the real directory behind the
//! [`Vfs`], the size limits of the contract, the `sync=bytes:N` counter and
//! measuring a directory tree.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use engine_core::record::{MAX_KEY_LEN, MAX_VALUE_LEN};
use engine_core::{Durability, Error, OpenMode, Result, Vfs};

/// The directory `dir` names on the operating system, created if absent.
///
/// The reference engines open their files themselves, so they can only run
/// where `dir` *is* a real directory. A [`Vfs`] does not say which backend it
/// wraps, so this asks it directly: a probe file is created through the Vfs
/// and looked for with `std::fs`. On the simulated filesystem the probe
/// exists only in memory, nothing touches the real disk, and the open is
/// refused with [`Error::Unsupported`].
pub fn os_dir(vfs: &Vfs, dir: &Path) -> Result<PathBuf> {
    vfs.create_dir_all(dir)?;
    let probe = dir.join(format!(".reference-probe-{}", std::process::id()));
    // A stale probe from a crashed process with the same pid is harmless.
    drop(vfs.open(&probe, OpenMode::Truncate)?);
    let real = fs::metadata(&probe).is_ok();
    vfs.remove_file(&probe)?;
    if !real {
        return Err(Error::Unsupported(
            "a simulated Vfs (reference engines do their own I/O on the real filesystem)",
        ));
    }
    Ok(dir.to_path_buf())
}

/// Refuse keys and values beyond the workbench's record limits (and the
/// engine's own, when lower), so every engine rejects the same inputs.
pub fn check_sizes(key: &[u8], value: &[u8], max_key: usize) -> Result<()> {
    let max_key = max_key.min(MAX_KEY_LEN);
    if key.len() > max_key {
        return Err(Error::TooLarge {
            what: "key",
            len: key.len(),
            max: max_key,
        });
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::TooLarge {
            what: "value",
            len: value.len(),
            max: MAX_VALUE_LEN,
        });
    }
    Ok(())
}

/// When a write must be followed by the engine's synced mode.
///
/// `always` syncs every write; `never` leaves it to [`Engine::sync`];
/// `bytes:N` counts key+value bytes written since the last sync and syncs
/// once they reach `N` (the same trigger our engines use, counted on user
/// bytes because the adapters cannot see the engine's own file writes).
///
/// [`Engine::sync`]: engine_core::Engine::sync
#[derive(Debug)]
pub struct SyncPolicy {
    mode: Durability,
    pending: AtomicU64,
}

impl SyncPolicy {
    pub fn new(mode: Durability) -> Self {
        SyncPolicy {
            mode,
            pending: AtomicU64::new(0),
        }
    }

    /// The durability mode.
    pub fn mode(&self) -> Durability {
        self.mode
    }

    /// Record a write of `bytes`; true when it must be synced before the
    /// write returns.
    pub fn after_write(&self, bytes: usize) -> bool {
        match self.mode {
            Durability::Always => true,
            Durability::Never => false,
            Durability::Bytes(n) => {
                let before = self.pending.fetch_add(bytes as u64, Ordering::Relaxed);
                if before + bytes as u64 >= n {
                    // Whoever crosses the threshold syncs; concurrent writers
                    // below it are covered by that sync or the next one.
                    self.pending.store(0, Ordering::Relaxed);
                    true
                } else {
                    false
                }
            }
        }
    }
}

/// Total size of the regular files under `dir`, recursively (fjall and
/// RocksDB keep subdirectories, which [`Vfs::dir_size`] does not walk).
pub fn tree_size(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

/// An error of an adapted engine that is not one of ours, as an I/O error
/// naming the engine's directory and the operation.
pub fn foreign(op: &'static str, dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(op, dir, io::Error::other(e.to_string()))
}

/// How long `quiesce` waits for a reference engine's background work
/// before it gives up with `Error::StillBusy` (and the harness marks the
/// phase unsettled).
pub const QUIESCE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_policy_syncs_when_threshold_is_crossed() {
        let p = SyncPolicy::new(Durability::Bytes(100));
        assert!(!p.after_write(60));
        assert!(p.after_write(40));
        // The counter restarted at the sync.
        assert!(!p.after_write(99));
        assert!(p.after_write(1));
        assert!(SyncPolicy::new(Durability::Always).after_write(0));
        assert!(!SyncPolicy::new(Durability::Never).after_write(1 << 30));
    }

    #[test]
    fn sizes_beyond_the_limits_are_too_large() {
        assert!(check_sizes(b"k", b"v", usize::MAX).is_ok());
        let key = vec![0u8; 11];
        assert!(matches!(
            check_sizes(&key, b"", 10),
            Err(Error::TooLarge {
                what: "key",
                len: 11,
                max: 10
            })
        ));
        let big = vec![0u8; MAX_KEY_LEN + 1];
        assert!(matches!(
            check_sizes(&big, b"", usize::MAX),
            Err(Error::TooLarge { what: "key", .. })
        ));
    }

    #[test]
    fn simulated_vfs_is_refused_and_os_accepted() {
        let sim = engine_core::vfs::SimFs::new(1);
        let e = os_dir(&sim.vfs(), Path::new("/reference-sim-db")).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
        assert!(!Path::new("/reference-sim-db").exists());
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("db");
        assert_eq!(os_dir(&Vfs::os(), &dir).expect("os"), dir);
        // The probe is gone again.
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 0);
    }

    #[test]
    fn tree_size_counts_nested_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(tmp.path().join("a/b")).expect("mkdir");
        fs::write(tmp.path().join("x"), [0u8; 10]).expect("write");
        fs::write(tmp.path().join("a/b/y"), [0u8; 7]).expect("write");
        assert_eq!(tree_size(tmp.path()).expect("size"), 17);
    }
}

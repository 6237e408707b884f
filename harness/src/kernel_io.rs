//! The kernel's own I/O accounting, for engines that bypass our Vfs.
//!
//! The reference engines (fjall, redb, RocksDB; crate `reference`) open
//! their files themselves, so the Vfs counters see nothing of their I/O.
//! For them the harness reads `/proc/self/io` before and after each phase
//! and reports the difference instead: `wchar` (bytes passed to write
//! calls) as `storage_bytes_written`, `rchar` (bytes returned by read
//! calls) as `query_bytes_read`, `syscr` as the read calls behind
//! `read_ios_per_op`, and `disk_bytes` by walking their directory tree.
//! `summary.csv` says which accounting a row used (`io_source`).
//!
//! For our own engines both accountings run in the same phase and
//! `kernel_io.csv` puts them side by side (written by
//! `output::kernel_io`): the cross-check of the two methods. Why they differ (the harness's own I/O, background threads,
//! the page cache, syscalls versus device writes) is explained in the
//! `reference` crate's documentation and in docs/output-format.md.

use std::fs;
use std::io;
use std::path::Path;

use crate::measure::StorageIo;

/// Which accounting a summary row's storage figures come from (the
/// `io_source` cell, part of the output contract).
pub use results::IoSource;

/// The counters of `/proc/self/io`, or their difference over a phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelIo {
    /// Bytes returned by read-like system calls (page cache hits included).
    pub rchar: u64,
    /// Bytes passed to write-like system calls.
    pub wchar: u64,
    /// Read-like system calls.
    pub syscr: u64,
    /// Write-like system calls.
    pub syscw: u64,
    /// Bytes the process caused to be read from the block layer.
    pub read_bytes: u64,
    /// Bytes the process caused to be written to the block layer (counted
    /// when a page is dirtied, whole pages).
    pub write_bytes: u64,
    /// Dirty bytes dropped before write-back (truncated or deleted files).
    pub cancelled_write_bytes: u64,
}

impl KernelIo {
    /// The process's counters now; `None` where `/proc/self/io` is not
    /// readable (not Linux, or a kernel without task I/O accounting).
    pub fn now() -> Option<KernelIo> {
        fs::read_to_string("/proc/self/io")
            .ok()
            .and_then(|text| KernelIo::parse(&text))
    }

    /// Parse the `name: value` lines of `/proc/<pid>/io`. Every field above
    /// must be present; unknown lines are ignored.
    pub fn parse(text: &str) -> Option<KernelIo> {
        let mut k = KernelIo::default();
        let mut seen = 0u8;
        for line in text.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let slot = match name.trim() {
                "rchar" => &mut k.rchar,
                "wchar" => &mut k.wchar,
                "syscr" => &mut k.syscr,
                "syscw" => &mut k.syscw,
                "read_bytes" => &mut k.read_bytes,
                "write_bytes" => &mut k.write_bytes,
                "cancelled_write_bytes" => &mut k.cancelled_write_bytes,
                _ => continue,
            };
            *slot = value.trim().parse().ok()?;
            seen += 1;
        }
        (seen == 7).then_some(k)
    }

    /// What happened between `before` and `self` (counters only grow; a
    /// smaller value is clamped to 0).
    pub fn since(&self, before: &KernelIo) -> KernelIo {
        KernelIo {
            rchar: self.rchar.saturating_sub(before.rchar),
            wchar: self.wchar.saturating_sub(before.wchar),
            syscr: self.syscr.saturating_sub(before.syscr),
            syscw: self.syscw.saturating_sub(before.syscw),
            read_bytes: self.read_bytes.saturating_sub(before.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(before.write_bytes),
            cancelled_write_bytes: self
                .cancelled_write_bytes
                .saturating_sub(before.cancelled_write_bytes),
        }
    }

    /// The summary's storage figures from kernel counters. Purposes cannot
    /// be told apart, so every read counts as a query read and the
    /// compaction and fsync columns stay 0 (not measured).
    pub fn storage_io(&self) -> StorageIo {
        StorageIo {
            bytes_written: self.wchar,
            query_bytes_read: self.rchar,
            query_read_ios: self.syscr,
            ..StorageIo::default()
        }
    }
}

/// The kernel side of one phase, kept for every engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelPhase {
    /// Which accounting the summary row used.
    pub source: IoSource,
    /// The counters' difference over the phase (zero when unavailable).
    pub io: KernelIo,
    /// `/proc/self/io` could be read before and after the phase.
    pub available: bool,
}

impl KernelPhase {
    /// The difference between two readings.
    pub fn between(source: IoSource, before: Option<KernelIo>, after: Option<KernelIo>) -> Self {
        match (before, after) {
            (Some(b), Some(a)) => KernelPhase {
                source,
                io: a.since(&b),
                available: true,
            },
            _ => KernelPhase {
                source,
                ..KernelPhase::default()
            },
        }
    }
}

/// Total size of the regular files under `dir`, recursively.
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

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "rchar: 6976\nwchar: 120\nsyscr: 10\nsyscw: 2\n\
        read_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";

    #[test]
    fn parses_every_field_and_subtracts() {
        let k = KernelIo::parse(SAMPLE).expect("complete sample");
        assert_eq!((k.rchar, k.wchar, k.syscr, k.syscw), (6976, 120, 10, 2));
        assert_eq!((k.read_bytes, k.write_bytes), (4096, 8192));
        let later = KernelIo { wchar: 1120, ..k };
        let d = later.since(&k);
        assert_eq!(d.wchar, 1000);
        assert_eq!(d.rchar, 0);
        // Counters never go backwards; if they seem to, the delta is 0.
        assert_eq!(k.since(&later).wchar, 0);
        assert_eq!(d.storage_io().bytes_written, 1000);
    }

    #[test]
    fn incomplete_or_garbled_text_is_none() {
        assert_eq!(KernelIo::parse("rchar: 1\nwchar: 2\n"), None);
        assert_eq!(KernelIo::parse(&SAMPLE.replace("120", "x")), None);
    }

    #[test]
    fn own_writes_show_in_wchar() {
        // Linux only: where /proc/self/io is missing there is nothing to check.
        let Some(before) = KernelIo::now() else {
            return;
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::write(tmp.path().join("f"), vec![0u8; 100_000]).expect("write");
        let d = KernelIo::now().expect("readable once").since(&before);
        assert!(d.wchar >= 100_000, "wchar grew by {}", d.wchar);
        assert!(d.syscw >= 1);
    }

    #[test]
    fn tree_size_walks_subdirectories() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(tmp.path().join("a/b")).expect("mkdir");
        fs::write(tmp.path().join("x"), [0u8; 10]).expect("write");
        fs::write(tmp.path().join("a/b/y"), [0u8; 5]).expect("write");
        assert_eq!(tree_size(tmp.path()).expect("size"), 15);
    }
}

//! The offline check every persistent engine offers: walk every file of an
//! engine directory, check every checksum, and report what is there and what
//! is broken, without changing a byte.
//!
//! Users run it after a crash (`harness verify --engine SPEC --data-dir DIR`)
//! and the kill-loop tests run it after every kill. It differs from opening
//! the engine in two ways: it never repairs (no torn tail is truncated, no
//! log is replayed into a new file), and it does not stop at the first
//! problem, so one report lists every corrupt spot.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::options::Options;
use crate::vfs::Vfs;

/// How to verify an engine directory; one per engine crate, next to its
/// [`OpenFn`](crate::OpenFn).
pub type VerifyFn = fn(vfs: &Vfs, dir: &Path, options: &Options) -> Result<VerifyReport>;

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    /// Every file the engine owns, in the order they were checked.
    pub files: Vec<FileReport>,
    /// Keys that a reader would see (after tombstones and overwrites).
    pub live_keys: u64,
    /// Every spot where a checksum, a length or a structure was wrong.
    pub corrupt: Vec<CorruptSpot>,
    /// Tails that a crash explains (an incomplete last record, unsynced
    /// zeros): recovery truncates them; they are not corruption.
    pub torn_tails: Vec<CorruptSpot>,
}

/// One file of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReport {
    /// Path of the file.
    pub path: PathBuf,
    /// What the file is to the engine: `wal`, `segment`, `hint`, `sstable`,
    /// `manifest`, `pages`, ...
    pub kind: &'static str,
    /// Its length in bytes.
    pub bytes: u64,
    /// Records (or pages, blocks) checked in it.
    pub records: u64,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct CorruptSpot {
    /// File it is in.
    pub path: PathBuf,
    /// Byte offset where the bad structure starts.
    pub offset: u64,
    /// What was wrong, for a person.
    pub what: String,
}

impl VerifyReport {
    /// True when no corruption was found (torn tails are allowed).
    pub fn is_clean(&self) -> bool {
        self.corrupt.is_empty()
    }

    /// Total records checked over every file.
    pub fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }
}

//! # lsm: a log-structured merge tree
//!
//! (The design notes are written at the end of the build; see the modules.)

pub mod bloom;
pub mod cache;
mod coding;
pub mod compaction;
mod db;
pub mod iterator;
pub mod manifest;
pub mod memtable;
pub mod options;
pub mod sstable;
pub mod version;
pub mod wal;

pub use db::{open, Lsm};
pub use options::{LsmOptions, Style, OPTIONS};

/// The four configurations the harness registers, as (name, options).
pub const PRESETS: &[(&str, &str)] = &[
    ("lsm-leveled", "compaction=leveled,bloom_bits=10"),
    ("lsm-tiered", "compaction=tiered,bloom_bits=10"),
    ("lsm-leveled-nobloom", "compaction=leveled,bloom_bits=0"),
    ("lsm-tiered-nobloom", "compaction=tiered,bloom_bits=0"),
];

//! Whole LSM tables: the bytes as a `.sst` file, opened with
//! `lsm::sstable::reader::Table::open` (footer, index, filter) and read
//! whole (every block through `TableIter`, point lookups), as recovery and
//! queries would. With the first byte odd, the target rewrites every
//! checksum first, so mutated blocks reach the decoders behind them.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use engine_core::Purpose;
use libfuzzer_sys::fuzz_target;
use lsm::cache::BlockCache;
use lsm::sstable::iter::TableIter;
use lsm::sstable::reader::Table;
use lsm::sstable::{FileMeta, Footer, FOOTER_LEN};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let mut data = data.to_vec();
    if mode & 1 == 1 {
        workbench_fuzz::fix_table_checksums(&mut data);
    }
    let data = &data[..];
    let path = Path::new("/d/000001.sst");
    let len = data.len() as u64;
    // The entry count the manifest would have recorded: the footer's.
    let entries = match data.len().checked_sub(FOOTER_LEN) {
        Some(at) => match Footer::decode(path, &data[at..], len) {
            Ok(f) => f.entries,
            Err(_) => 0,
        },
        None => 0,
    };
    let (_sim, vfs) = workbench_fuzz::sim_with(&[("/d/000001.sst", data)]);
    let meta = FileMeta {
        number: 1,
        size: len,
        entries,
        smallest: Vec::new(),
        largest: Vec::new(),
        max_seq: u64::MAX,
    };
    let cache = Arc::new(BlockCache::new(1 << 20));
    let Ok(table) = Table::open(&vfs, path, meta, cache, Purpose::Recovery) else {
        return;
    };
    let table = Arc::new(table);
    let mut keys = Vec::new();
    let mut it = TableIter::new(table.clone(), Purpose::Query, 0);
    if it.seek_first().is_ok() {
        while it.valid() && keys.len() < 10_000 {
            keys.push(it.key().to_vec());
            if it.advance().is_err() {
                break;
            }
        }
    }
    let mut ra = TableIter::new(table.clone(), Purpose::Compaction, 4096);
    let _ = ra.seek(b"");
    let mut scratch = Vec::new();
    for k in keys.iter().take(8).chain([&b"zzzz".to_vec()]) {
        let _ = table.get(k, lsm::bloom::hash(k), &mut scratch);
    }
});

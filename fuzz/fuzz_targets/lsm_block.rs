//! LSM data blocks (`lsm::sstable::block`): parse the trailer, then point
//! lookups, a full iteration and a seek over whatever entries it holds.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use lsm::sstable::block::{Block, BlockIter};

fuzz_target!(|data: &[u8]| {
    let Ok(block) = Block::parse(data.to_vec()) else {
        return;
    };
    let block = Arc::new(block);
    let mut scratch = Vec::new();
    let mut it = BlockIter::new(block.clone());
    let mut keys = Vec::new();
    // Each entry takes at least four bytes, so this ends.
    while it.advance().is_ok() && it.valid() {
        keys.push(it.key().to_vec());
        let _ = it.value();
    }
    for k in keys.iter().take(8).chain([&Vec::new(), &vec![0xff; 4]]) {
        let _ = block.get(k, &mut scratch);
        let mut it = BlockIter::new(block.clone());
        let _ = it.seek(k);
    }
});

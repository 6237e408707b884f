//! B+tree pages (`btree::page::Node::decode`). With the first byte odd the
//! target writes the page's own id and CRC into it first, so the fuzzer
//! reaches the body decoders instead of stopping at the checksum.
#![no_main]

use btree::page::Node;
use engine_core::record::checksum;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, page)) = data.split_first() else {
        return;
    };
    let mut page = page.to_vec();
    let id = 7;
    if mode & 1 == 1 && page.len() >= 12 {
        page[4..12].copy_from_slice(&u64::to_le_bytes(id));
        let crc = checksum(&page[4..]);
        page[0..4].copy_from_slice(&crc.to_le_bytes());
    }
    if let Ok(node) = Node::decode(id, &page) {
        let _ = format!("{node:?}");
    }
});

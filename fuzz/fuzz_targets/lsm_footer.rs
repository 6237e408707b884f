//! LSM table footers (`lsm::sstable::Footer::decode`): the first 8 bytes
//! give the file length, the rest is the footer. Accepted handles must lie
//! inside the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsm::sstable::{Footer, FOOTER_LEN};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let file_len = u64::from_le_bytes(data[..8].try_into().unwrap());
    if let Ok(f) = Footer::decode(Path::new("fuzz.sst"), &data[8..], file_len) {
        let body = file_len - FOOTER_LEN as u64;
        assert!(f.index.offset + f.index.len <= body);
        assert!(f.filter.offset + f.filter.len <= body);
    }
});

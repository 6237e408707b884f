//! LSM index blocks (`lsm::sstable::Index::decode`): the first 8 bytes give
//! the data end the handles are checked against, the rest is the body.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsm::sstable::Index;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let data_end = u64::from_le_bytes(data[..8].try_into().unwrap());
    let Ok(index) = Index::decode(Path::new("fuzz.sst"), 0, &data[8..], data_end) else {
        return;
    };
    for i in 0..index.len() {
        let h = index.handle(i);
        assert!(h.offset + h.len <= data_end);
        let key = index.key(i).to_vec();
        assert_eq!(index.find(&key), Some(i));
    }
    let _ = index.find(b"");
});

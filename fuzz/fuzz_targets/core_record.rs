//! The shared record codec (`engine_core::record`): header and record
//! decoding on a byte slice, the file header check, and `LogReader`
//! walking the bytes as a whole log file (torn tail vs corruption).
#![no_main]

use std::path::Path;

use engine_core::record::{self, LogReader, FILE_HEADER_LEN};
use engine_core::{OpenMode, Purpose};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = record::decode_header(data);
    let mut at = 0;
    while let Ok((_, len)) = record::decode(&data[at..]) {
        at += len;
    }
    if data.len() >= FILE_HEADER_LEN {
        let _ =
            record::check_file_header(Path::new("f"), &data[..FILE_HEADER_LEN], b"FUZZLOG\0", 1);
    }
    let (_sim, vfs) = workbench_fuzz::sim_with(&[("/d/log", data)]);
    let file = vfs.open(Path::new("/d/log"), OpenMode::Existing).unwrap();
    for start in [0, FILE_HEADER_LEN as u64] {
        let mut r = LogReader::new(&file, start, Purpose::Recovery).unwrap();
        // Every record consumes at least its header, so this ends.
        while let Ok(Some(_)) = r.next_record() {}
    }
});

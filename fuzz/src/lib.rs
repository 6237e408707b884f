//! Helpers shared by the fuzz targets.

use std::path::Path;

use engine_core::vfs::SimFs;
use engine_core::Vfs;

/// A simulated filesystem holding `files` (path, bytes), durable, with
/// their directories; nothing touches the real disk.
pub fn sim_with(files: &[(&str, &[u8])]) -> (SimFs, Vfs) {
    let sim = SimFs::new(1);
    for (path, bytes) in files {
        sim.write_file(Path::new(path), bytes)
            .expect("the simulated filesystem accepts any fixture");
    }
    let vfs = sim.vfs();
    (sim, vfs)
}

/// Like [`sim_with`], with `/d` first claimed by `engine` (its `ENGINE`
/// owner file), so an engine's open and verify accept the directory and
/// the fuzzer reaches the files instead of the ownership check.
pub fn sim_owned(engine: &str, files: &[(&str, &[u8])]) -> (SimFs, Vfs) {
    let sim = SimFs::new(1);
    let vfs = sim.vfs();
    engine_core::ownership::claim(&vfs, Path::new("/d"), engine)
        .expect("an empty simulated directory can be claimed");
    for (path, bytes) in files {
        sim.write_file(Path::new(path), bytes)
            .expect("the simulated filesystem accepts any fixture");
    }
    (sim, vfs)
}

/// Split `data` in two at a point chosen by its first two bytes, so one
/// input can feed two files (a segment and its hint, ...).
pub fn split2(data: &[u8]) -> (&[u8], &[u8]) {
    if data.len() < 2 {
        return (data, &[]);
    }
    let at = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let rest = &data[2..];
    rest.split_at(at.min(rest.len()))
}

/// Rewrite every checksum of a table image (footer, index, filter and the
/// data blocks the index names) so that mutated contents get past them
/// and reach the decoders behind. Leaves what it cannot frame alone.
pub fn fix_table_checksums(t: &mut [u8]) {
    use engine_core::record::checksum;
    use lsm::sstable::{Footer, Handle, Index, FOOTER_LEN};
    let path = Path::new("fix.sst");
    let len = t.len();
    let Some(at) = len.checked_sub(FOOTER_LEN) else {
        return;
    };
    let crc = checksum(&t[at..at + 44]);
    t[at + 44..at + 48].copy_from_slice(&crc.to_le_bytes());
    let Ok(footer) = Footer::decode(path, &t[at..], len as u64) else {
        return;
    };
    let seal = |t: &mut [u8], h: Handle| {
        let (start, end) = (h.offset as usize, (h.offset + h.len) as usize);
        if h.len >= 4 {
            let crc = checksum(&t[start..end - 4]);
            t[end - 4..end].copy_from_slice(&crc.to_le_bytes());
        }
    };
    seal(t, footer.index);
    seal(t, footer.filter);
    let data_end = if footer.filter.len == 0 {
        footer.index.offset
    } else {
        footer.filter.offset
    };
    let ix = footer.index;
    let body = &t[ix.offset as usize..(ix.offset + ix.len - 4) as usize];
    if let Ok(index) = Index::decode(path, ix.offset, body, data_end) {
        for i in 0..index.len() {
            seal(t, index.handle(i));
        }
    }
}

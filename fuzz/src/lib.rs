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

//! What a power loss leaves of a file: the unsynced changes of an inode and
//! the ways the simulator lets them survive.
//!
//! Every inode keeps its durable bytes plus the ordered list of [`Change`]s
//! made since its last successful sync. Applying the whole list to the
//! durable bytes gives exactly what readers see; a crash applies *some* of it,
//! as chosen by the [`CrashMode`].

/// How unsynced data fares when the simulated power goes out.
///
/// Only file *contents* differ between modes. The namespace always falls back
/// to what the last directory sync made durable, whatever the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Everything not synced is lost: each file is exactly as of its last
    /// successful sync.
    DropUnsynced,
    /// Per file, a random prefix (in issue order) of the unsynced changes
    /// survives; the last surviving write is whole half of the time, and the
    /// other half is cut after a random number of its bytes (possibly none,
    /// never all). The prefix length is uniform. A later write never
    /// survives without every earlier write to the same file. Files are torn
    /// independently of each other: without a sync between them, nothing
    /// orders writes to different files.
    TornWrite {
        /// Picks the prefixes and cut points; the same seed, the same crash.
        seed: u64,
    },
    /// Unsynced writes that extended a file leave the extension zero-filled:
    /// the file keeps its current length (its size reached the journal, its
    /// data blocks did not, as ext4 can leave it), while unsynced overwrites
    /// of bytes that were already durable are dropped.
    ZeroTail,
    /// Every unsynced write survives with its length, but its bytes are
    /// random: the sectors were allocated and never written.
    Garbage {
        /// Picks the random bytes; the same seed, the same crash.
        seed: u64,
    },
    /// Writeback in no particular order: the file keeps its current length,
    /// and each 4 KiB page ([`PAGE`]) that an unsynced change touched is
    /// independently kept (as readers saw it) or dropped (as it was durable,
    /// zeros past the old durable length), with probability one half each.
    /// Unlike every other mode, a later page can survive while an earlier
    /// one is lost: a file can hold zeros followed by valid records.
    DropPages {
        /// Picks which pages are kept; the same seed, the same crash.
        seed: u64,
    },
    /// The process dies, the machine does not: every write reached the
    /// page cache and survives, synced or not. Only handles die (no clean
    /// close, no close marker). Models `kill -9`.
    ProcessKill,
}

/// The page size of [`CrashMode::DropPages`].
pub const PAGE: u64 = 4096;

/// What the last crash did to unsynced pages (counted only by
/// [`CrashMode::DropPages`]; zero for the other modes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrashStats {
    /// Pages some unsynced change touched, over all surviving files.
    pub dirty_pages: u64,
    /// Of those, pages that went back to their durable content.
    pub dropped_pages: u64,
    /// Files in which a dropped page lies before a kept one: the outcomes
    /// no suffix loss can produce.
    pub files_with_holes: u64,
}

/// One unsynced change to a file, in the order it was issued.
#[derive(Debug, Clone)]
pub(super) enum Change {
    /// Bytes written at an offset (extending the file with zeros if needed).
    Write { offset: u64, data: Vec<u8> },
    /// A truncation or zero-extension to this length.
    SetLen(u64),
}

impl Change {
    /// Replay this change onto `content`.
    pub(super) fn apply(&self, content: &mut Vec<u8>) {
        match self {
            Change::Write { offset, data } => write_into(content, *offset, data),
            Change::SetLen(len) => content.resize(to_index(*len), 0),
        }
    }
}

/// Write `data` at `offset` in `content`, zero-filling any gap. Costs the
/// length of `data` (plus the gap), never the length of the file.
pub(super) fn write_into(content: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let start = to_index(offset);
    let end = start + data.len();
    if end > content.len() {
        content.resize(end, 0);
    }
    content[start..end].copy_from_slice(data);
}

/// Offsets are checked against [`super::inode::MAX_FILE_LEN`] before any
/// change is recorded, so they always fit in memory's index type.
pub(super) fn to_index(offset: u64) -> usize {
    usize::try_from(offset).expect("offsets are bounded by MAX_FILE_LEN before use")
}

/// The bytes a file holds after a crash in `mode`, given its durable bytes,
/// the changes since its last sync and its current (visible) length.
pub(super) fn survivor(
    durable: &[u8],
    pending: &[Change],
    visible_len: usize,
    mode: CrashMode,
    rng: &mut SplitMix64,
    stats: &mut CrashStats,
) -> Vec<u8> {
    let mut out = durable.to_vec();
    match mode {
        CrashMode::DropUnsynced => {}
        CrashMode::ProcessKill => {
            for change in pending {
                change.apply(&mut out);
            }
        }
        CrashMode::DropPages { .. } => return drop_pages(durable, pending, rng, stats),
        CrashMode::TornWrite { .. } => {
            // `keep` whole changes survive; if the last of them is a write it
            // is cut, which keeps the survivors a prefix of the issue order.
            let keep = rng.below(pending.len() as u64 + 1) as usize;
            for (i, change) in pending[..keep].iter().enumerate() {
                match change {
                    Change::Write { offset, data } if i + 1 == keep => {
                        // Half the time the last survivor is whole, so that
                        // "every unsynced write made it" is a common outcome
                        // too, not a 1-in-(length+1) chance.
                        let cut = if data.is_empty() || rng.below(2) == 0 {
                            data.len()
                        } else {
                            rng.below(data.len() as u64) as usize
                        };
                        write_into(&mut out, *offset, &data[..cut]);
                    }
                    other => other.apply(&mut out),
                }
            }
        }
        CrashMode::ZeroTail => {
            // Bytes below the shortest length the file had since its sync
            // were durable and never cut off: they keep their durable value.
            // Everything above was (re)grown while unsynced: zeros.
            let mut floor = durable.len();
            for change in pending {
                if let Change::SetLen(len) = change {
                    floor = floor.min(to_index(*len));
                }
            }
            out.truncate(floor.min(visible_len));
            out.resize(visible_len, 0);
        }
        CrashMode::Garbage { .. } => {
            for change in pending {
                match change {
                    Change::Write { offset, data } => {
                        let noise: Vec<u8> = data.iter().map(|_| rng.next_u64() as u8).collect();
                        write_into(&mut out, *offset, &noise);
                    }
                    set_len => set_len.apply(&mut out),
                }
            }
        }
    }
    out
}

/// [`CrashMode::DropPages`]: replay everything, then put each touched page
/// back to its durable content (zeros past the durable length) or not, by a
/// coin per page in page order.
fn drop_pages(
    durable: &[u8],
    pending: &[Change],
    rng: &mut SplitMix64,
    stats: &mut CrashStats,
) -> Vec<u8> {
    let mut visible = durable.to_vec();
    let mut touched = std::collections::BTreeSet::new();
    for change in pending {
        // Bytes a change alters: a write's range, or what a set_len cuts
        // off or zero-extends (between the old and the new length).
        let (from, to) = match change {
            Change::Write { offset, data } => (*offset, offset + data.len() as u64),
            Change::SetLen(len) => {
                let old = visible.len() as u64;
                (old.min(*len), old.max(*len))
            }
        };
        touched.extend((from / PAGE)..to.div_ceil(PAGE));
        change.apply(&mut visible);
    }
    let mut dropped_before = false;
    let mut hole = false;
    for page in touched {
        let start = to_index(page * PAGE);
        if start >= visible.len() {
            break;
        }
        stats.dirty_pages += 1;
        if rng.below(2) == 1 {
            hole |= dropped_before;
            continue;
        }
        stats.dropped_pages += 1;
        dropped_before = true;
        let end = visible.len().min(start + to_index(PAGE));
        for (at, byte) in visible[start..end].iter_mut().enumerate() {
            *byte = durable.get(start + at).copied().unwrap_or(0);
        }
    }
    stats.files_with_holes += u64::from(hole);
    visible
}

/// A tiny, fully specified generator (Steele, Lea and Flood's SplitMix64), so
/// that a seed means the same crash on every platform and every version of
/// the `rand` crate.
#[derive(Debug, Clone)]
pub(super) struct SplitMix64(u64);

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`). The modulo bias is below 2^-40 for the
    /// small ranges used here, far under anything a test could notice.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

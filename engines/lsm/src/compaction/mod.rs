//! Compaction: which tables to merge (policy) and merging them (execution).
//!
//! A policy is a pure function from a version's metadata ([`RunView`]s)
//! and the options to an optional [`Task`]: no I/O, no locks, so it can be
//! unit-tested and simulated on made-up trees. [`leveled`] and [`tiered`]
//! are the two policies; [`exec`] carries a task out.

pub mod exec;
pub mod leveled;
pub mod tiered;

use crate::options::{LsmOptions, Style};
use crate::version::RunView;

/// Why a task was chosen (reported in metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Leveled: too many L0 files.
    L0Files,
    /// Leveled: a level is over its target size.
    LevelSize,
    /// Tiered: a tier holds enough runs.
    TierFull,
    /// Tiered: newer runs outweigh the oldest by more than the bound.
    SpaceAmp,
}

/// One compaction to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Input tables as (level, file number), newest run first.
    pub inputs: Vec<(u32, u64)>,
    /// Input runs as (level, run id), newest first: the merge order.
    pub input_runs: Vec<(u32, u64)>,
    /// The level the output tables go to.
    pub output_level: u32,
    /// The run id in that level: 0 for levels 1 and below (one run each);
    /// tiered, the largest input run id, so the output sorts where its
    /// inputs did.
    pub output_run: u64,
    /// No older run can hold any input key: tombstones can be dropped.
    pub bottommost: bool,
    /// A single table moves down a level unchanged (no overlap below).
    pub trivial_move: bool,
    /// Which rule of the policy chose the task.
    pub reason: Reason,
}

/// State a policy keeps between decisions (leveled round-robin pointers).
#[derive(Debug, Clone, Default)]
pub struct PolicyState {
    /// Per level: the largest key of the table last compacted out of it.
    pub pointers: Vec<Vec<u8>>,
}

/// Pick the next compaction for `runs` under `opts`, if one is due.
pub fn pick(runs: &[RunView<'_>], opts: &LsmOptions, state: &mut PolicyState) -> Option<Task> {
    match opts.style {
        Style::Leveled => leveled::pick(runs, opts, state),
        Style::Tiered => tiered::pick(runs, opts),
    }
}

/// True when the key ranges [a0, a1] and [b0, b1] intersect.
pub fn overlaps(a0: &[u8], a1: &[u8], b0: &[u8], b1: &[u8]) -> bool {
    a0 <= b1 && b0 <= a1
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::sstable::FileMeta;

    /// A table description with keys `lo..=hi` and `size` bytes.
    pub fn meta(number: u64, lo: &str, hi: &str, size: u64) -> FileMeta {
        FileMeta {
            number,
            size,
            entries: 1,
            smallest: lo.as_bytes().to_vec(),
            largest: hi.as_bytes().to_vec(),
            max_seq: number,
        }
    }
}

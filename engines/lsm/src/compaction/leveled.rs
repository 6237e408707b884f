//! Leveled compaction (LevelDB / RocksDB style).
//!
//! Level 0 holds whole memtable flushes, which overlap each other. Levels
//! 1, 2, ... each hold one sorted run, level `i` targeting
//! `base_bytes x size_ratio^(i-1)` bytes. Each level gets a score:
//!
//! - level 0: number of files / `l0_trigger`;
//! - level `i >= 1`: bytes / target bytes;
//!
//! and the highest score at or above 1 is compacted:
//!
//! - **L0 -> L1**: every L0 file plus the L1 files they overlap;
//! - **Li -> Li+1**: one file of level `i`, chosen round-robin by key (the
//!   first file after the one compacted last, so the whole level is swept
//!   evenly), plus the files of level `i+1` it overlaps. A file that
//!   overlaps nothing below moves down without being rewritten.
//!
//! Write amplification: a byte is rewritten roughly `size_ratio / 2` times
//! per level it descends (each time a file of level `i` merges into ~ratio
//! times as much data below, of which on average half is rewritten per
//! byte arriving), so about `1 + levels x size_ratio / 2` in total (the 1
//! is the flush; the WAL adds one more).

use super::{overlaps, PolicyState, Reason, Task};
use crate::options::LsmOptions;
use crate::sstable::FileMeta;
use crate::version::RunView;

/// Target size of level `level >= 1`.
pub fn target_bytes(opts: &LsmOptions, level: usize) -> u64 {
    let mut t = opts.base_bytes;
    for _ in 1..level {
        t = t.saturating_mul(opts.size_ratio);
    }
    t
}

fn range_of<'a>(files: impl Iterator<Item = &'a FileMeta>) -> Option<(&'a [u8], &'a [u8])> {
    files.fold(None, |acc, f| match acc {
        None => Some((&f.smallest[..], &f.largest[..])),
        Some((lo, hi)) => Some((lo.min(&f.smallest[..]), hi.max(&f.largest[..]))),
    })
}

/// The next leveled compaction, if any level is over its trigger.
pub fn pick(runs: &[RunView<'_>], opts: &LsmOptions, state: &mut PolicyState) -> Option<Task> {
    let max = opts.max_levels;
    let mut levels: Vec<Vec<&FileMeta>> = vec![Vec::new(); max];
    let mut l0_runs = Vec::new();
    for r in runs {
        let l = (r.level as usize).min(max - 1);
        levels[l].extend(r.files.iter().copied());
        if r.level == 0 {
            l0_runs.push((0u32, r.id));
        }
    }
    let mut best = (levels[0].len() as f64 / opts.l0_trigger as f64, 0usize);
    for (l, files) in levels.iter().enumerate().take(max - 1).skip(1) {
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        let score = bytes as f64 / target_bytes(opts, l) as f64;
        if score > best.0 {
            best = (score, l);
        }
    }
    if best.0 < 1.0 {
        return None;
    }
    let level = best.1;
    let below = |l: usize, lo: &[u8], hi: &[u8]| -> Vec<&FileMeta> {
        levels[l]
            .iter()
            .copied()
            .filter(|f| overlaps(lo, hi, &f.smallest, &f.largest))
            .collect()
    };
    let (inputs_upper, input_runs_upper): (Vec<&FileMeta>, Vec<(u32, u64)>) = if level == 0 {
        (levels[0].clone(), l0_runs)
    } else {
        let files = &levels[level];
        if state.pointers.len() <= level {
            state.pointers.resize(level + 1, Vec::new());
        }
        let ptr = &state.pointers[level];
        let f = files
            .iter()
            .find(|f| ptr.is_empty() || f.smallest.as_slice() > ptr.as_slice())
            .or(files.first())?;
        state.pointers[level] = f.largest.clone();
        (vec![*f], vec![(level as u32, 0)])
    };
    let (lo, hi) = range_of(inputs_upper.iter().copied())?;
    let lower = below(level + 1, lo, hi);
    let (lo, hi) = range_of(inputs_upper.iter().chain(lower.iter()).copied())?;
    let bottommost = ((level + 2)..max).all(|l| below(l, lo, hi).is_empty());
    let trivial_move = inputs_upper.len() == 1 && lower.is_empty();
    let mut inputs: Vec<(u32, u64)> = Vec::new();
    for f in &inputs_upper {
        inputs.push((level as u32, f.number));
    }
    for f in &lower {
        inputs.push((level as u32 + 1, f.number));
    }
    let mut input_runs = input_runs_upper;
    if !lower.is_empty() {
        input_runs.push((level as u32 + 1, 0));
    }
    Some(Task {
        inputs,
        input_runs,
        output_level: level as u32 + 1,
        output_run: 0,
        bottommost,
        trivial_move,
        reason: if level == 0 {
            Reason::L0Files
        } else {
            Reason::LevelSize
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::test_util::meta;
    use engine_core::Options;

    fn opts() -> LsmOptions {
        LsmOptions::parse(
            &Options::parse("memtable_bytes=1000,l0_trigger=2,size_ratio=10,base_mb=1").unwrap(),
        )
        .unwrap()
    }

    fn view(level: u32, id: u64, files: &[&FileMeta]) -> RunView<'static> {
        let files: Vec<&'static FileMeta> = files
            .iter()
            .map(|f| &*Box::leak(Box::new((*f).clone())))
            .collect();
        RunView { level, id, files }
    }

    #[test]
    fn nothing_due_below_triggers() {
        let a = meta(5, "a", "m", 100);
        let runs = [view(0, 5, &[&a])];
        assert!(pick(&runs, &opts(), &mut PolicyState::default()).is_none());
    }

    #[test]
    fn l0_trigger_merges_all_l0_with_overlapping_l1() {
        let (a, b) = (meta(7, "c", "f", 100), meta(6, "a", "d", 100));
        let (x, y, z) = (
            meta(1, "a", "b", 100),
            meta(2, "e", "g", 100),
            meta(3, "p", "q", 100),
        );
        let deep = meta(4, "x", "z", 100);
        let runs = [
            view(0, 7, &[&a]),
            view(0, 6, &[&b]),
            view(1, 0, &[&x, &y, &z]),
            view(2, 0, &[&deep]),
        ];
        let t = pick(&runs, &opts(), &mut PolicyState::default()).unwrap();
        assert_eq!(t.inputs, vec![(0, 7), (0, 6), (1, 1), (1, 2)]);
        assert_eq!(t.input_runs, vec![(0, 7), (0, 6), (1, 0)]);
        assert_eq!(
            (t.output_level, t.reason, t.trivial_move),
            (1, Reason::L0Files, false)
        );
        assert!(t.bottommost, "L2 holds only x..z, outside a..g");
    }

    #[test]
    fn oversized_level_compacts_round_robin_and_moves_trivially() {
        let mb = 1 << 20;
        let (x, y) = (meta(1, "a", "b", mb), meta(2, "e", "g", mb));
        let under = meta(3, "f", "f", 10);
        let runs = [view(1, 0, &[&x, &y]), view(2, 0, &[&under])];
        let mut st = PolicyState::default();
        let t = pick(&runs, &opts(), &mut st).unwrap();
        assert_eq!(
            (t.inputs.clone(), t.trivial_move, t.reason),
            (vec![(1, 1)], true, Reason::LevelSize)
        );
        let t = pick(&runs, &opts(), &mut st).unwrap();
        assert_eq!(t.inputs, vec![(1, 2), (2, 3)]);
        assert!(!t.trivial_move && t.bottommost);
        let t = pick(&runs, &opts(), &mut st).unwrap();
        assert_eq!(t.inputs, vec![(1, 1)], "the pointer wraps around");
    }

    #[test]
    fn level_targets_grow_by_ratio() {
        let o = opts();
        assert_eq!(target_bytes(&o, 1), 1 << 20);
        assert_eq!(target_bytes(&o, 3), 100 << 20);
    }
}

//! Tiered compaction (size-tiered, in the spirit of RocksDB's universal
//! compaction).
//!
//! Every flush adds a sorted run; runs are never merged into a bigger
//! level, only with runs of similar size. A run of `s` bytes belongs to tier
//! `floor(log_T(s / u))`, where `T` is `size_ratio` and `u` is a quarter of
//! the memtable size, so a fresh flush sits inside tier 0 rather than on a
//! boundary. Two rules, checked in this order:
//!
//! 1. **Space amplification.** If the runs newer than the oldest together
//!    exceed `max_space_amp` percent of the oldest, merge *all* runs. This
//!    bounds the garbage an overwrite workload can pile up.
//! 2. **Tier full.** Scanning from the newest, consecutive runs of the same
//!    tier form a group; the lowest-tier group with at least `tier_runs`
//!    runs (default `size_ratio`) is merged into one run, which lands about
//!    one tier up.
//!
//! Only consecutive runs are ever merged, so the merged run keeps its place
//! in the newest-first order (its id is the largest input id).
//!
//! Write amplification: a byte is rewritten once per tier it climbs, about
//! `1 + log_T(data / flush size)` times, against leveled's
//! `size_ratio / 2` per level; the price is space (up to
//! `1 + max_space_amp / 100` times the live data) and reads that consult
//! up to `(T - 1)` runs per tier.

use super::{Reason, Task};
use crate::options::LsmOptions;
use crate::version::RunView;

/// The tier of a run of `bytes`.
pub fn tier_of(bytes: u64, opts: &LsmOptions) -> u32 {
    let unit = (opts.memtable_bytes / 4).max(1) as f64;
    let x = (bytes as f64 / unit).max(1.0);
    (x.ln() / (opts.size_ratio as f64).ln()).floor() as u32
}

/// The next tiered compaction, if any.
pub fn pick(runs: &[RunView<'_>], opts: &LsmOptions) -> Option<Task> {
    if runs.len() < 2 {
        return None;
    }
    let sizes: Vec<u64> = runs.iter().map(|r| r.bytes()).collect();
    let oldest = *sizes.last()?;
    let newer: u64 = sizes[..sizes.len() - 1].iter().sum();
    if u128::from(newer) * 100 > u128::from(opts.max_space_amp_pct) * u128::from(oldest) {
        return Some(task(runs, 0, runs.len(), Reason::SpaceAmp));
    }
    let tiers: Vec<u32> = sizes.iter().map(|&s| tier_of(s, opts)).collect();
    let mut best: Option<(u32, usize, usize)> = None;
    let mut start = 0;
    while start < runs.len() {
        let mut end = start + 1;
        while end < runs.len() && tiers[end] == tiers[start] {
            end += 1;
        }
        if end - start >= opts.tier_runs && !matches!(best, Some((t, _, _)) if t <= tiers[start]) {
            best = Some((tiers[start], start, end));
        }
        start = end;
    }
    let (_, s, e) = best?;
    Some(task(runs, s, e, Reason::TierFull))
}

fn task(runs: &[RunView<'_>], start: usize, end: usize, reason: Reason) -> Task {
    let group = &runs[start..end];
    Task {
        inputs: group
            .iter()
            .flat_map(|r| r.files.iter().map(move |f| (r.level, f.number)))
            .collect(),
        input_runs: group.iter().map(|r| (r.level, r.id)).collect(),
        output_level: 0,
        output_run: group.iter().map(|r| r.id).max().unwrap_or(0),
        bottommost: end == runs.len(),
        trivial_move: false,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::test_util::meta;
    use crate::sstable::FileMeta;
    use engine_core::Options;

    fn opts(extra: &str) -> LsmOptions {
        let s = format!("compaction=tiered,memtable_bytes=4000,size_ratio=4{extra}");
        LsmOptions::parse(&Options::parse(&s).unwrap()).unwrap()
    }

    /// Runs newest first with the given sizes; ids count down.
    fn runs(sizes: &[u64]) -> Vec<RunView<'static>> {
        let n = sizes.len() as u64;
        sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let id = n - i as u64 + 10;
                let f: &'static FileMeta = Box::leak(Box::new(meta(id, "a", "z", s)));
                RunView {
                    level: 0,
                    id,
                    files: vec![f],
                }
            })
            .collect()
    }

    #[test]
    fn tiers_are_log_ratio_of_size() {
        let o = opts("");
        assert_eq!(tier_of(3000, &o), 0);
        assert_eq!(tier_of(4000, &o), 1);
        assert_eq!(tier_of(12_000, &o), 1);
        assert_eq!(tier_of(16_000, &o), 2);
    }

    #[test]
    fn full_tier_merges_its_runs_only() {
        let o = opts(",max_space_amp=100000");
        assert!(pick(&runs(&[3000, 3000, 3000, 50_000]), &o).is_none());
        let t = pick(&runs(&[3000, 3000, 3000, 3000, 50_000]), &o).unwrap();
        assert_eq!(t.reason, Reason::TierFull);
        assert_eq!(t.input_runs.len(), 4);
        assert_eq!(
            t.output_run, 15,
            "largest input id keeps the merged run in place"
        );
        assert!(!t.bottommost);
    }

    #[test]
    fn space_amp_forces_a_full_merge() {
        let o = opts(",max_space_amp=200");
        assert!(pick(&runs(&[3000, 3000, 10_000]), &o).is_none());
        let t = pick(&runs(&[3000, 3000, 3000, 4000]), &o).unwrap();
        assert_eq!(
            (t.reason, t.input_runs.len(), t.bottommost),
            (Reason::SpaceAmp, 4, true)
        );
    }

    #[test]
    fn lowest_full_tier_wins() {
        let o = opts(",max_space_amp=100000,tier_runs=2");
        let t = pick(&runs(&[3000, 3000, 20_000, 20_000, 500_000]), &o).unwrap();
        assert_eq!(
            t.input_runs.iter().map(|r| r.1).collect::<Vec<_>>(),
            vec![15, 14]
        );
    }
}

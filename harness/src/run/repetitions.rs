//! `--repeat N`: the repetitions of one cell reported as one.

use crate::result::{PhaseResult, Spread};

/// A cell's reported rows and every repetition's rows.
pub(super) type Combined = (Vec<PhaseResult>, Vec<PhaseResult>);

/// Several repetitions of one cell, reported as one: every row of the
/// repetition whose *last* phase (the run, or the load of a load-only
/// workload) had the median throughput, so a cell's load and run rows, and
/// its latencies, come from one repetition, and each phase's row carries
/// the min, median and max throughput over all repetitions. The median,
/// not the fastest: best-of-N is optimistic by construction, and the
/// spread is there for a reader who wants the extremes. (An even count's
/// median repetition is the slower of the middle two, so no figure is
/// from a run that did not happen.) Returns the chosen rows and every
/// repetition's rows, both with `spread` filled in.
pub(super) fn combine_repetitions(mut reps: Vec<Vec<PhaseResult>>) -> Combined {
    let phases = reps.iter().map(Vec::len).min().unwrap_or(0);
    let spreads: Vec<Spread> = (0..phases)
        .map(|p| Spread::of(reps.iter().map(|r| r[p].ops_per_sec()).collect()))
        .collect();
    for rep in &mut reps {
        for (p, row) in rep.iter_mut().enumerate().take(phases) {
            row.spread = spreads[p];
        }
        for row in rep.iter_mut().skip(phases) {
            row.spread = Spread::of(vec![row.ops_per_sec()]);
        }
    }
    let chosen = match phases {
        0 => reps.len().saturating_sub(1),
        _ => {
            let mut order: Vec<usize> = (0..reps.len()).collect();
            order.sort_by(|&a, &b| {
                let (x, y) = (&reps[a][phases - 1], &reps[b][phases - 1]);
                x.ops_per_sec().total_cmp(&y.ops_per_sec())
            });
            order[(order.len() - 1) / 2]
        }
    };
    let rows = reps.get(chosen).cloned().unwrap_or_default();
    (rows, reps.into_iter().flatten().collect())
}

//! `latency.csv` / `latency_repetitions.csv` rows and their histograms
//! from phase results; the format is [`results::latency`]'s.

use std::path::Path;

use hdrhistogram::Histogram;
use results::latency::LatencyRow;
use results::names::{LATENCY, LATENCY_REPETITIONS};
use results::LatencyOp;

use crate::error::Result;
use crate::result::PhaseResult;

/// Every histogram of `results` with its row; `per_repetition` names the
/// repetition (and files the histogram under `histograms/rep<N>/`).
pub fn rows(results: &[PhaseResult], per_repetition: bool) -> Vec<(LatencyRow, Histogram<u64>)> {
    let mut out = Vec::new();
    for r in results {
        let rep = per_repetition.then_some(r.repetition);
        for (name, h) in r.latencies.named() {
            // Invariant: `Latencies::named` builds every name from
            // `OpType::name` and the intended/failed suffixes, which
            // `the_harness_op_names_are_the_contracts` below holds equal to
            // the contract's table, so each parses.
            let op = LatencyOp::parse(&name).expect("latency op names are the contract's");
            let row = LatencyRow::of_histogram(&r.engine, &r.workload, r.phase, op, &h, rep);
            out.push((row, h));
        }
    }
    out
}

/// Write `latency.csv` and the histogram files into the run directory.
pub fn write(run_dir: &Path, results: &[PhaseResult]) -> Result<()> {
    let rows = rows(results, false);
    Ok(results::latency::write(run_dir, LATENCY, &rows, false)?)
}

/// Write `latency_repetitions.csv`: every repetition's histograms, with a
/// `repetition` column, under `histograms/rep<N>/`.
pub fn write_repetitions(run_dir: &Path, results: &[PhaseResult]) -> Result<()> {
    let rows = rows(results, true);
    Ok(results::latency::write(
        run_dir,
        LATENCY_REPETITIONS,
        &rows,
        true,
    )?)
}

#[cfg(test)]
mod tests {
    use results::{Measured, Op};
    use workloads::OpType;

    use crate::measure::{FAILED_SUFFIX, INTENDED_SUFFIX};

    /// The harness names latencies from `workloads::OpType`; the files'
    /// vocabulary is `results::Op`. They must be the same table.
    #[test]
    fn the_harness_op_names_are_the_contracts() {
        let ours: Vec<&str> = OpType::ALL.iter().map(|o| o.name()).collect();
        let contract: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(ours, contract);
        assert_eq!(INTENDED_SUFFIX, Measured::Intended.suffix());
        assert_eq!(FAILED_SUFFIX, Measured::Failed.suffix());
    }
}

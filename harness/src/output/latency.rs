//! `latency.csv` and the `histograms/*.hgrm` file behind each of its rows.
//!
//! One row per engine x workload x phase x operation type that ran. Under
//! `--target`, each type also gets a `<op>_intended` row: latency measured
//! from the time the operation was *scheduled* to start, which includes the
//! time it waited behind a slow predecessor (coordinated omission
//! corrected); the plain row is the service time alone.

use std::path::Path;

use hdrhistogram::Histogram;

use super::{csv_writer, float, hgrm};
use crate::error::{Error, Result};
use crate::result::PhaseResult;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    "engine",
    "workload",
    "phase",
    "op",
    "count",
    "mean_us",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "p9999_us",
    "max_us",
    "hgrm_file",
];

/// Replace every character outside `[A-Za-z0-9_-]` with `_`.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `histograms/<engine>.<workload>.<phase>.<op>.hgrm`, relative to the run
/// directory.
pub fn hgrm_path(engine: &str, workload: &str, phase: &str, op: &str) -> String {
    format!(
        "histograms/{}.{}.{}.{}.hgrm",
        sanitize(engine),
        sanitize(workload),
        sanitize(phase),
        sanitize(op)
    )
}

fn us(ns: f64) -> String {
    float(ns / 1_000.0, 3)
}

fn quantile_us(h: &Histogram<u64>, q: f64) -> String {
    us(h.value_at_quantile(q) as f64)
}

/// Write `latency.csv` and the histogram files into the run directory.
pub fn write(run_dir: &Path, results: &[PhaseResult]) -> Result<()> {
    let hist_dir = run_dir.join("histograms");
    std::fs::create_dir_all(&hist_dir).map_err(|e| Error::io("cannot create", &hist_dir, e))?;
    let mut w = csv_writer(&run_dir.join("latency.csv"))?;
    w.write_record(COLUMNS)?;
    for r in results {
        let phase = r.phase.name();
        for (op, h) in r.latencies.named() {
            let rel = hgrm_path(&r.engine, &r.workload, phase, &op);
            let path = run_dir.join(&rel);
            std::fs::write(&path, hgrm::format(&h))
                .map_err(|e| Error::io("cannot write", &path, e))?;
            w.write_record([
                r.engine.clone(),
                r.workload.clone(),
                phase.to_string(),
                op,
                h.len().to_string(),
                us(h.mean()),
                quantile_us(&h, 0.5),
                quantile_us(&h, 0.9),
                quantile_us(&h, 0.99),
                quantile_us(&h, 0.999),
                quantile_us(&h, 0.9999),
                us(h.max() as f64),
                rel,
            ])?;
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_the_contract() {
        assert_eq!(
            hgrm_path(
                "lsm:bloom_bits=0,compaction=tiered",
                "ycsb-a",
                "run",
                "read"
            ),
            "histograms/lsm_bloom_bits_0_compaction_tiered.ycsb-a.run.read.hgrm"
        );
    }
}

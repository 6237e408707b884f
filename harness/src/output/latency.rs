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
    write_file(run_dir, "latency.csv", "histograms", results, false)
}

/// Write `latency_repetitions.csv`: every repetition's histograms, with a
/// `repetition` column, under `histograms/rep<N>/`.
pub fn write_repetitions(run_dir: &Path, results: &[PhaseResult]) -> Result<()> {
    write_file(
        run_dir,
        "latency_repetitions.csv",
        "histograms",
        results,
        true,
    )
}

fn write_file(
    run_dir: &Path,
    name: &str,
    hist: &str,
    results: &[PhaseResult],
    per_repetition: bool,
) -> Result<()> {
    let mut w = csv_writer(&run_dir.join(name))?;
    let mut header: Vec<&str> = COLUMNS.to_vec();
    if per_repetition {
        header.push("repetition");
    }
    w.write_record(&header)?;
    for r in results {
        let phase = r.phase.name();
        for (op, h) in r.latencies.named() {
            let mut rel = hgrm_path(&r.engine, &r.workload, phase, &op);
            if per_repetition {
                rel = rel.replacen(hist, &format!("{hist}/rep{}", r.repetition), 1);
            }
            let path = run_dir.join(&rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io("cannot create", parent, e))?;
            }
            std::fs::write(&path, hgrm::format(&h))
                .map_err(|e| Error::io("cannot write", &path, e))?;
            let mut row = vec![
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
            ];
            if per_repetition {
                row.push(r.repetition.to_string());
            }
            w.write_record(&row)?;
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

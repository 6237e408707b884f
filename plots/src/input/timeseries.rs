//! `timeseries.csv` as the charts see it: [`results::timeseries`] reads
//! and checks the file; this is the charts' projection.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;

/// One interval of one engine x workload x phase.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesRow {
    /// Engine spec.
    pub engine: String,
    /// Workload name.
    pub workload: String,
    /// `load` or `run`.
    pub phase: String,
    /// End of the interval, seconds since the phase started.
    pub t_s: f64,
    /// Operations per second in the interval.
    pub ops_per_sec: f64,
    /// Storage bytes written since the phase started.
    pub storage_bytes_written: f64,
    /// User bytes written since the phase started, if the file has them.
    pub user_bytes_written: Option<f64>,
    /// The highest p99 of any operation type in the interval, microseconds
    /// (`timeseries_latency.csv`), if the run has it and the interval ran
    /// an operation.
    pub p99_us: Option<f64>,
}

/// Reads and checks `timeseries.csv`, and `timeseries_latency.csv` beside
/// it when there is one (older runs have none).
pub fn read(path: &Path) -> Result<Vec<TimeseriesRow>> {
    let lat_path = path.with_file_name(results::names::TIMESERIES_LATENCY);
    // (engine, workload, phase, t_s as written) -> worst p99.
    let mut p99: HashMap<(String, String, &'static str, String), f64> = HashMap::new();
    if lat_path.exists() {
        for r in results::timeseries_latency::read(&lat_path)? {
            let key = (
                r.engine,
                r.workload,
                r.phase.name(),
                format!("{:.3}", r.t_s),
            );
            let v = p99.entry(key).or_insert(r.p99_us);
            *v = v.max(r.p99_us);
        }
    }
    Ok(results::timeseries::read(path)?
        .into_iter()
        .map(|r| TimeseriesRow {
            p99_us: p99
                .get(&(
                    r.engine.clone(),
                    r.workload.clone(),
                    r.phase.name(),
                    format!("{:.3}", r.t_s),
                ))
                .copied(),
            engine: r.engine,
            workload: r.workload,
            phase: r.phase.name().to_owned(),
            t_s: r.t_s,
            ops_per_sec: r.ops_per_sec,
            storage_bytes_written: r.storage_bytes_written,
            user_bytes_written: r.user_bytes_written,
        })
        .collect())
}

//! `timeseries_latency.csv` rows and the `histograms/*.hlog` interval logs
//! from phase results; the formats are [`results::timeseries_latency`]'s
//! and [`results::hlog`]'s.

use std::path::Path;
use std::time::Duration;

use results::hlog::{hlog_path, HlogInterval};
use results::timeseries_latency::TimeseriesLatencyRow;
use results::Op;

use crate::error::Result;
use crate::measure::OpType;
use crate::result::PhaseResult;

/// The contract's name for a harness op type (the same table, held equal
/// by `output::latency`'s test).
fn contract_op(op: OpType) -> Op {
    Op::ALL[op.index()]
}

/// One row per interval x op type that completed an operation in it.
pub fn rows(results: &[PhaseResult]) -> Vec<TimeseriesLatencyRow> {
    let mut out = Vec::new();
    for r in results {
        for s in &r.timeseries {
            for (op, h) in &s.latencies {
                out.push(TimeseriesLatencyRow::of_histogram(
                    &r.engine,
                    &r.workload,
                    r.phase,
                    s.t_s,
                    contract_op(*op),
                    h,
                ));
            }
        }
    }
    out
}

/// The interval histograms of one phase, for its hlog.
pub fn intervals(r: &PhaseResult) -> Vec<HlogInterval> {
    let mut out = Vec::new();
    for s in &r.timeseries {
        let start = Duration::from_secs_f64((s.t_s - s.interval_s).max(0.0));
        for (op, h) in &s.latencies {
            out.push(HlogInterval {
                start,
                duration: Duration::from_secs_f64(s.interval_s),
                op: contract_op(*op),
                histogram: h.clone(),
            });
        }
    }
    out
}

/// Write `timeseries_latency.csv` and one hlog per phase that has
/// interval latencies into the run directory.
pub fn write(run_dir: &Path, results: &[PhaseResult]) -> Result<()> {
    results::timeseries_latency::write(
        &run_dir.join(results::names::TIMESERIES_LATENCY),
        &rows(results),
    )?;
    for r in results {
        let intervals = intervals(r);
        if intervals.is_empty() {
            continue;
        }
        let path = run_dir.join(hlog_path(&r.engine, &r.workload, r.phase));
        results::hlog::write(&path, r.started_at, &intervals)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_types_map_to_the_contracts_by_index() {
        for op in OpType::ALL {
            assert_eq!(contract_op(op).name(), op.name());
        }
    }
}

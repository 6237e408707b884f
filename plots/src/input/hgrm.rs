//! HdrHistogram percentile-distribution files (`histograms/*.hgrm`): the
//! reader and the file-name rule are [`results::hgrm`]'s and
//! [`results::names`]'s, the same the harness writes with.

pub use results::hgrm::Hgrm;
pub use results::names::sanitize;

/// The histogram file name the harness uses for a latency row:
/// `<engine>.<workload>.<phase>.<op>.hgrm`, sanitized; `None` for a phase
/// or op the contract does not know (no such file is ever written).
pub fn file_name(engine: &str, workload: &str, phase: &str, op: &str) -> Option<String> {
    let phase = results::Phase::parse(phase)?;
    let op = results::LatencyOp::parse(op)?;
    Some(results::names::hgrm_file_name(engine, workload, phase, op))
}

//! What the driver needs from a workload, as a trait: a name, its sizes,
//! its properties for run.json, and per-thread operation streams for the
//! load and the run phase.
//!
//! The `workloads` crate's YCSB and db_bench presets implement it in
//! that crate; tests and `harness overhead` implement it directly.

pub use workloads::Workload;

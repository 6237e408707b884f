//! What the driver needs from a workload, as a trait: a name, its sizes,
//! its properties for run.json, and per-thread operation streams for the
//! load and the run phase.
//!
//! The `workloads` crate's YCSB and db_bench presets are adapted to it in
//! [`crate::ycsb`]; tests and `harness overhead` implement it directly.

use std::collections::BTreeMap;

use crate::driver::OpStream;

/// A workload the harness can run.
pub trait Workload {
    /// The stream type of one client thread.
    type Stream: OpStream;

    /// The name in the output files (`ycsb-a`, or a property file's stem).
    fn name(&self) -> &str;

    /// `recordcount`: records inserted by the load phase.
    fn records(&self) -> u64;

    /// `operationcount`: operations of the run phase.
    fn operations(&self) -> u64;

    /// Every resolved property, for run.json.
    fn properties(&self) -> BTreeMap<String, String>;

    /// The load phase split over `threads`: each thread's stream and how
    /// many operations it runs. The counts sum to [`Workload::records`].
    fn load_streams(&self, threads: usize) -> Vec<(Self::Stream, u64)>;

    /// The run phase's streams, one per thread; each continues after the
    /// load (inserts take the next key numbers). The warm-up operations
    /// come from the same streams, before the measured ones.
    fn run_streams(&self, threads: usize) -> Vec<Self::Stream>;
}

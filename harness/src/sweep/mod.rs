//! `harness sweep PLAN` and `harness merge`: a design-space sweep.
//!
//! A [`plan`] (TOML) names engines, option grids, workloads, sizes and
//! seeds; [`expand`] turns it into cells, one engine spec x workload x
//! seed each, with ids that depend only on the plan. Each cell is an
//! ordinary run ([`crate::run::execute`]) into `DIR/cells/<cell-id>/`.
//! Then [`assemble`] reads every cell's summary.csv back and writes
//! `DIR/sweep.csv` (each cell x phase x metric, the parameters as
//! columns, the measured figure beside [`models::predict`]'s), merged
//! `summary.csv`, `latency.csv` and `run.json` (so the gate and charts
//! read a sweep like a run), `cells.csv` (each cell's kind, shard and
//! machine) and `plan.toml`, a copy of the plan.
//!
//! Cells whose figures are exact counts (`deterministic = true`, one
//! thread, an engine counted by our Vfs) run in parallel ([`execute`]);
//! any other cell is timed and runs alone, after them.
//!
//! `--shard I/N` runs the cells whose index mod N is I and writes a
//! manifest ([`manifest`]: plan hash, seeds, harness version, machine);
//! [`merge`] combines the shard directories of one plan into one, the
//! same files an unsharded run writes, refusing shards that do not fit.
//! docs/sweep.md is the user's guide.

pub mod assemble;
pub mod execute;
pub mod expand;
pub mod manifest;
pub mod merge;
pub mod metrics;
pub mod plan;

pub use execute::{sweep, SweepOptions, SweepOutcome};
pub use expand::Cell;
pub use manifest::Shard;
pub use merge::merge;
pub use plan::Plan;

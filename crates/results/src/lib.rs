//! # results: the workbench's output contract
//!
//! A run of the harness writes a results directory (docs/output-format.md);
//! the gate compares two of them and the plots draw one; outside scripts
//! read them too. This crate is the one place that knows those files: for
//! each, a typed row, its column names as constants, its writer and its
//! reader, side by side in one module. The harness writes through it, the
//! gate and the charts read through it, so a file cannot pass one and fail
//! the other: every reader follows the policy of [`table`] (a malformed
//! file is an [`Error`] naming the file, the line and the column).
//!
//! The gate's comparison ([`gate`], [`compare`]) lives here too, so that
//! comparing two directories builds without any engine.
//!
//! ## Modules, one per file
//!
//! - [`summary`]: `summary.csv` and `repetitions.csv`.
//! - [`latency`]: `latency.csv`, `latency_repetitions.csv`.
//! - [`hgrm`]: the `histograms/*.hgrm` files; [`hlog`]: the
//!   `histograms/*.hlog` interval logs.
//! - [`timeseries`], [`timeseries_latency`], [`engine_metrics`], [`kernel_io`]: the other CSVs.
//! - [`run_json`]: the `run.json` file.
//! - [`sweep`]: `sweep.csv`, a design-space sweep's measured and modelled figures.
//! - [`names`]: file names, phases, operation types, [`names::sanitize`].
//! - [`table`]: the CSV writer and strict reader every module uses.
//! - [`dir`], [`compare`], [`gate`]: reading two runs back and judging.

pub mod compare;
pub mod dir;
pub mod engine_metrics;
pub mod error;
pub mod events;
pub mod gate;
pub mod hgrm;
pub mod hlog;
pub mod kernel_io;
pub mod latency;
pub mod names;
pub mod run_json;
pub mod summary;
pub mod sweep;
pub mod table;
pub mod timeseries;
pub mod timeseries_latency;

pub use error::{Error, Result};
pub use names::{LatencyOp, Measured, Op, Phase};
pub use summary::IoSource;

//! # harness: the workbench's measuring instrument
//!
//! `harness run` replays workloads (YCSB A-F, db_bench-style presets, YCSB
//! property files) against storage engines and writes what it measured:
//! throughput, latency distributions and write, read and space
//! amplification, per engine x workload x phase. `harness gate` compares
//! two such runs and fails on a regression. The output files are a
//! contract (`docs/output-format.md`); the metric definitions are
//! DESIGN.md's and live in one place, [`result`].
//!
//! ## How a run is measured
//!
//! Each engine x workload gets a fresh directory and a fresh counted
//! [`engine_core::Vfs`]. The **load phase** inserts the records; the
//! engine is then told to [`quiesce`](engine_core::Engine::quiesce) (finish
//! due flushes and compactions) and to sync, untimed but with their I/O
//! counted in the load phase, so that no byte falls between the phases and
//! the **run phase** starts on a settled engine. The run phase may start
//! with unmeasured warm-up operations. After each phase a sync makes the
//! files complete before `disk_bytes` is taken. See [`run`].
//!
//! Storage bytes come from Vfs snapshots before and after each phase:
//! every engine byte goes through the Vfs tagged with a purpose, so
//! `storage_bytes_written` is exact and query reads are told apart from
//! compaction reads. User bytes are counted by the client threads; the
//! live set (for `space_amp`) is tracked by the harness in [`live`], not
//! taken from the engine.
//!
//! ## The driver and its overhead
//!
//! Client threads ([`driver`]) share one engine (`&dyn Engine` in scoped
//! threads), each replaying its own operation stream, recording latencies
//! into its own HdrHistograms (nanoseconds, 3 significant digits, one per
//! operation type) and tallies, merged when the phase ends. The calling
//! thread samples published counters every 100 ms for the progress bar,
//! `--max-time` and the per-second timeseries. The loop per operation
//! allocates nothing, takes no shared lock, formats nothing and makes one
//! dynamic call, the engine's; latencies are read from the CPU's
//! time-stamp counter where it is invariant ([`clock`]), and live-set
//! changes are logged per thread and applied after the phase ([`live`]).
//! `harness overhead` measures what it costs against a bare loop of engine
//! calls on `mem`.
//!
//! With `--target OPS` each thread follows a schedule of intended start
//! times; besides the service time (`read`), the latency from the
//! intended start (`read_intended`) is recorded, which includes the time
//! an operation waited behind a slow predecessor: the coordinated-omission
//! correction. Both appear in latency.csv and as histogram files.
//!
//! `--repeat N` (`--repetitions`) runs each engine x workload N times,
//! the repetitions as the outer loop so they happen at different times,
//! and reports each cell from one repetition, the one whose run phase had
//! the median throughput (load and run rows and latencies all from it),
//! with the min, median and max throughput of every phase over all
//! repetitions in the row; every repetition's rows are in
//! `repetitions.csv` and `latency_repetitions.csv`.

//! ## Determinism
//!
//! Given a seed, the workload's streams are identical run to run. With one
//! client thread and `--deterministic` (which opens engines that have
//! background threads with `background=false`, so flushes and compactions
//! happen inline at the same operation every time), every byte counter and
//! amplification repeats exactly; `tests/determinism.rs` checks it. That is
//! what lets the gate hold them to 1 %.
//!
//! ## The gate
//!
//! [`gate`] (the `results` crate's, which needs no engine) checks that two runs are comparable (same seed, threads,
//! settings, engines and workload properties; every baseline cell present),
//! then [`compare`] applies the rules: deterministic metrics may not grow
//! by more than 1 %; timings are normalised by the `mem` engine's in the
//! same run (the geometric mean over all of `mem`'s cells, which cancels a
//! slower or busier machine without importing one short cell's noise) and
//! may not drop (throughput, 40 %) or rise (p50, p99) by more than
//! tolerances set between measured noise and a 2x slowdown. Cells only the
//! candidate has (a newly registered engine) are listed, not gated. Exit
//! status 0 is a pass, 1 a regression, 2 runs that cannot be compared.
//!
//! ## Modules
//!
//! - [`registry`]: engine names -> open functions and option tables.
//! - [`workload`]: what the driver needs from a workload (the `workloads`
//!   crate's trait, which its YCSB and db_bench workloads implement).
//! - [`driver`], [`clock`], [`live`], [`measure`]: the hot loop and what it
//!   records.
//! - [`run`], [`result`]: orchestration and the per-phase metrics.
//! - [`output`]: phase results to the rows of each output file (the
//!   `results` crate owns the formats, writers and readers), the run
//!   directory and the stdout table; [`machine`] for run.json's machine
//!   block.
//! - [`gate`], [`compare`]: the `results` crate's comparison of two runs.
//! - [`sweep`]: `harness sweep PLAN` (a design-space sweep: cells, shards)
//!   and `harness merge` (shards into one results directory).
//! - [`report`]: where progress and status lines go (terminal or quiet).
//! - [`list`], [`ops_cmd`], [`overhead`]: the other subcommands.

pub mod ahead;
pub mod clock;
pub mod compare;
pub mod crash_child;
pub mod driver;
pub mod error;
pub mod gate;
pub mod interval;
pub mod io_mode;
pub mod kernel_io;
pub mod list;
pub mod live;
pub mod machine;
pub mod measure;
pub mod ops_cmd;
pub mod output;
pub mod overhead;
pub mod registry;
pub mod report;
pub mod result;
pub mod run;
pub mod sweep;
pub mod values;
pub mod verify_cmd;
pub mod workload;

pub use error::{Error, Result, Stage};

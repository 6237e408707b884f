//! # engine-core: the contract every engine in the workbench builds on
//!
//! The workbench compares storage engines of different designs on the same
//! work. For the comparison to mean anything, the engines must share three
//! things, and this crate is those three things:
//!
//! 1. **One contract.** [`Engine`] is the key-value interface (get, put,
//!    delete, scan, sync, metrics) that the harness drives from several client
//!    threads; [`Options`] are the `key=value` settings an engine is opened
//!    with, checked against the engine's own table of [`OptionSpec`]s, with the
//!    durability mode ([`Durability`]) every engine honours.
//! 2. **One storage layer.** Engines do all I/O through a [`Vfs`], naming
//!    the [`Purpose`] of each call. The Vfs counts bytes and calls per purpose,
//!    which is what makes write, read and space amplification exact. Under it
//!    sits either the real filesystem ([`vfs::os`]) or an in-memory
//!    filesystem that simulates crashes and faults ([`vfs::sim`]).
//! 3. **One definition of correct.** The `engine-kit` crate (engines/kit, a
//!    dev-dependency only, so rand and tempfile stay out of production
//!    builds) is the conformance and crash test kit: a model-checked random workload, reopen-and-verify,
//!    a crash at every I/O point, torn writes, bit flips and injected I/O
//!    errors. Every engine runs all of it with one line in its tests.
//!
//! The [`record`] codec (a checksummed key/value record) and the [`log`]
//! layer on it (one writer with group commit and sync markers, one reader,
//! one linear rule telling a torn tail from corruption) are shared by every
//! engine that keeps a log: naive-log, hash-log, the LSM's WAL and MANIFEST,
//! the B+tree's WAL.

pub mod engine;
pub mod error;
pub mod events;
pub mod log;
pub mod options;
pub mod ownership;
pub mod record;
pub mod verify;
pub mod vfs;

pub use engine::{Engine, EngineMetrics, MetricValue, OpenFn};
pub use error::{Error, Result};
pub use events::{Event, EventKind, EventLog};
pub use options::{Durability, OptionSpec, Options, COMMON_OPTIONS};
pub use verify::{CorruptSpot, FileReport, VerifyFn, VerifyReport};
pub use vfs::{File, IoSnapshot, IoStats, OpenMode, Purpose, Vfs};

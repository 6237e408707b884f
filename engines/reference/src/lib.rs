//! # reference: production engines behind the workbench's trait
//!
//! A table that says "our LSM writes 12x" invites the question "and
//! RocksDB?". This crate puts engines people run in production behind the
//! same [`Engine`](engine_core::Engine) trait, so the harness replays the
//! same workloads against them and reports them in the same table:
//!
//! - [`fjall_engine`]: fjall, a log-structured merge tree in pure Rust;
//! - [`redb_engine`]: redb, a copy-on-write B+tree in pure Rust;
//! - `rocksdb_engine` (cargo feature `rocksdb`, off by default because it
//!   compiles RocksDB's C++ sources and needs libclang): RocksDB.
//!
//! Each adapter's module documents every setting it changes from the
//! engine's defaults. The rules are the same for all three: `cache_mb` goes
//! to the engine's block or page cache; `sync=always` maps to the engine's
//! synced write or commit for every operation; `sync=never` to its
//! unsynced mode, with [`Engine::sync`](engine_core::Engine::sync) forcing
//! durability; `sync=bytes:N` syncs once N key+value bytes were written
//! since the last sync, since none of them has the same trigger.
//!
//! ## They do their own I/O
//!
//! The open functions have the workbench's [`OpenFn`](engine_core::OpenFn)
//! shape, but the engines open files themselves, so the `dir` they get must
//! be a real directory: given a simulated [`Vfs`](engine_core::Vfs) they
//! refuse with [`Error::Unsupported`](engine_core::Error::Unsupported)
//! (see [`common::os_dir`]). Nothing they do passes through our counted
//! storage layer, which has two consequences:
//!
//! 1. The simulated crash, torn-write and fault checks of the kit cannot run
//!    on them; the OS-level model checks can, and do (`tests/kit.rs`).
//! 2. The harness measures their I/O with the kernel's per-process
//!    accounting instead (`harness/src/kernel_io.rs`, `io_source=kernel` in
//!    `summary.csv`), and their disk usage by walking the directory.
//!
//! ## Kernel accounting versus ours
//!
//! `/proc/self/io` gives, for the whole process, `rchar`/`wchar` (bytes
//! passed to read- and write-like system calls), `syscr`/`syscw` (their
//! number) and `read_bytes`/`write_bytes` (bytes the process caused to be
//! fetched from, or sent to, the block layer). The harness uses
//! `wchar` as `storage_bytes_written` and `rchar` as `query_bytes_read`,
//! because those count what our Vfs counts: bytes handed to the kernel,
//! whether or not a device ever sees them. They differ from a Vfs count in
//! known ways, which the cross-check (both accountings for our own engines,
//! `kernel_io.csv`) makes visible:
//!
//! - **Everything in the process is counted.** The harness's own writes
//!   during a phase (progress output on stderr) and reads (the
//!   `/proc/self/io` file itself, a few hundred bytes) are included. They
//!   are small next to a phase's storage I/O but make a kernel count never
//!   exactly equal to a Vfs count.
//! - **Background threads are included**, whichever phase they run in:
//!   a compaction that the load phase started and the run phase finished is
//!   charged to the run phase (the harness quiesces between phases, which
//!   bounds this). And `rchar` during a run phase includes compaction reads,
//!   so `query_bytes_read` (and read amplification) of a kernel row
//!   over-counts by the background reads: the kernel cannot tell purposes
//!   apart. `compaction_bytes_*` and `fsyncs` are not measured for kernel
//!   rows and are reported as 0.
//! - **`wchar` counts system calls, not device writes.** A byte written
//!   twice to the same page before write-back counts twice in `wchar` and
//!   once in `write_bytes`; a file deleted before write-back reaches the
//!   device not at all (`cancelled_write_bytes`). Conversely `write_bytes`
//!   counts whole 4 KiB pages: a 100-byte synced append dirties and writes
//!   a full page, so for `sync=always` the block-layer figure is far larger.
//! - **The page cache hides reads.** `read_bytes` counts only reads that
//!   missed the page cache; `rchar` counts every read call. Our Vfs counts
//!   like `rchar`. A data set that fits in the page cache shows near-zero
//!   `read_bytes` however many reads the engine makes.
//! - **Memory-mapped I/O is invisible to `rchar`/`wchar`.** None of the
//!   adapted engines maps its files for reading or writing in the
//!   configurations used here (fjall and redb use positional reads and
//!   writes; RocksDB's `allow_mmap_reads` is off by default).

pub mod common;
pub mod fjall_engine;
pub mod redb_engine;
#[cfg(feature = "rocksdb")]
pub mod rocksdb_engine;

/// Names of the engines this crate provides (as built), for the harness's
/// registry and its choice of I/O accounting.
#[cfg(not(feature = "rocksdb"))]
pub const ENGINES: &[&str] = &["fjall", "redb"];
/// Names of the engines this crate provides (as built), for the harness's
/// registry and its choice of I/O accounting.
#[cfg(feature = "rocksdb")]
pub const ENGINES: &[&str] = &["fjall", "redb", "rocksdb"];

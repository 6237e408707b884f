//! `summary.csv` (and `repetitions.csv`, the same columns): one row per
//! engine x workload x phase.
//!
//! The columns up to `errors` are the documented contract and every reader
//! needs them; the ones after were appended over time, so a reader takes
//! them as `None` in a file written before they existed:
//!
//! - `io_source`: `vfs` (our counted Vfs) or `kernel` (`/proc/self/io`, for
//!   engines that bypass the Vfs);
//! - `time_limited`: 1 when `--max-time` or an engine error stopped the
//!   phase early (its counters are not comparable with a complete run's);
//! - `client_cpu_s`: CPU seconds of the client threads, empty where the
//!   platform does not report it (the gate's throughput measure);
//! - `lookups`, `misses`: gets and scans, and those that found nothing;
//! - `write_path_bytes_read`, `write_path_read_ios`: reads made on a
//!   write's behalf, in neither read metric; empty on kernel-counted rows;
//! - `unsettled`: the engine's quiesce gave up with work still running;
//! - `repetition`, `repetitions`, `ops_per_sec_min|median|max`: which
//!   repetition the row is from and the throughput over all of them.
//!
//! Numbers: `duration_s`, the amplifications and `client_cpu_s` with 6
//! decimals, throughputs with 2, counts as integers; an undefined ratio is
//! an empty cell. New columns go at the end.

use std::path::Path;

use crate::error::Result;
use crate::names::Phase;
use crate::table::{count, float, optional, optional_count, Cells, CsvOut, Table};

/// The column names.
pub mod col {
    /// `engine`: the engine spec as given on the command line (`lsm-leveled`,
    /// `lsm:bloom_bits=0,compaction=tiered`).
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name (`ycsb-a`, `fill-random`, or the property
    /// file's stem).
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `threads`: client threads driving the engine.
    pub const THREADS: &str = "threads";
    /// `records`: records loaded (the workload's `recordcount`).
    pub const RECORDS: &str = "records";
    /// `operations`: operations executed in this phase, failed ones excluded.
    pub const OPERATIONS: &str = "operations";
    /// `duration_s`: wall time of the phase in seconds (6 decimals).
    pub const DURATION_S: &str = "duration_s";
    /// `ops_per_sec`: `operations / duration_s` (2 decimals).
    pub const OPS_PER_SEC: &str = "ops_per_sec";
    /// `user_bytes_written`: key+value bytes of puts, inserts and updates, plus
    /// key bytes of deletes.
    pub const USER_BYTES_WRITTEN: &str = "user_bytes_written";
    /// `storage_bytes_written`: bytes the engine wrote to storage, all purposes
    /// (`wchar` on kernel rows).
    pub const STORAGE_BYTES_WRITTEN: &str = "storage_bytes_written";
    /// `write_amp`: `storage_bytes_written / user_bytes_written` (6 decimals);
    /// empty when there were no user writes.
    pub const WRITE_AMP: &str = "write_amp";
    /// `user_bytes_read`: key+value bytes returned by gets and scans.
    pub const USER_BYTES_READ: &str = "user_bytes_read";
    /// `query_bytes_read`: storage bytes read to answer gets and scans
    /// (`Purpose::Query`), never a write's reads (`rchar`, every purpose, on
    /// kernel rows).
    pub const QUERY_BYTES_READ: &str = "query_bytes_read";
    /// `read_amp`: `query_bytes_read / user_bytes_read`, bytes read per byte
    /// returned (6 decimals); empty when nothing was returned.
    pub const READ_AMP: &str = "read_amp";
    /// `read_ios_per_op`: query read calls per lookup, hits and misses alike (6
    /// decimals); empty when there were no lookups.
    pub const READ_IOS_PER_OP: &str = "read_ios_per_op";
    /// `disk_bytes`: total size in bytes of the engine's files after the phase
    /// and a sync.
    pub const DISK_BYTES: &str = "disk_bytes";
    /// `live_bytes`: key+value bytes of the live data, as tracked by the
    /// harness.
    pub const LIVE_BYTES: &str = "live_bytes";
    /// `space_amp`: `disk_bytes / live_bytes` (6 decimals); empty when
    /// `live_bytes` is 0.
    pub const SPACE_AMP: &str = "space_amp";
    /// `fsyncs`: file and directory syncs in the phase (0 on kernel rows: not
    /// measured).
    pub const FSYNCS: &str = "fsyncs";
    /// `peak_rss_bytes`: peak resident set size of the process so far, in
    /// bytes.
    pub const PEAK_RSS_BYTES: &str = "peak_rss_bytes";
    /// `compaction_bytes_read`: storage bytes read for background work (flush,
    /// compaction, merge); 0 on kernel rows (not measured).
    pub const COMPACTION_BYTES_READ: &str = "compaction_bytes_read";
    /// `compaction_bytes_written`: storage bytes written by flush and
    /// compaction (and merge); 0 on kernel rows (not measured).
    pub const COMPACTION_BYTES_WRITTEN: &str = "compaction_bytes_written";
    /// `errors`: operations that returned an error; not counted in
    /// `operations`.
    pub const ERRORS: &str = "errors";
    /// `io_source` (appended): `vfs` or `kernel`, see
    /// [`IoSource`](super::IoSource).
    pub const IO_SOURCE: &str = "io_source";
    /// `time_limited` (appended): 1 when `--max-time` or a fatal engine error
    /// stopped the phase early, else 0.
    pub const TIME_LIMITED: &str = "time_limited";
    /// `client_cpu_s` (appended): CPU seconds of the client threads in the
    /// phase (6 decimals); empty where not reported.
    pub const CLIENT_CPU_S: &str = "client_cpu_s";
    /// `lookups` (appended): gets (an rmw's get included) and scans.
    pub const LOOKUPS: &str = "lookups";
    /// `misses` (appended): lookups that found nothing (a get of an absent key,
    /// a scan that returned no pair).
    pub const MISSES: &str = "misses";
    /// `write_path_bytes_read` (appended): storage bytes read on a write's
    /// behalf (`Purpose::WritePath`), in no read metric; empty on kernel rows.
    pub const WRITE_PATH_BYTES_READ: &str = "write_path_bytes_read";
    /// `write_path_read_ios` (appended): read calls made on a write's behalf;
    /// empty on kernel rows.
    pub const WRITE_PATH_READ_IOS: &str = "write_path_read_ios";
    /// `unsettled` (appended): 1 when the engine's `quiesce` gave up with
    /// background work still running, else 0.
    pub const UNSETTLED: &str = "unsettled";
    /// `repetition` (appended): the 0-based repetition this row was measured
    /// in.
    pub const REPETITION: &str = "repetition";
    /// `repetitions` (appended): how many repetitions the cell ran
    /// (`--repetitions`).
    pub const REPETITIONS: &str = "repetitions";
    /// `ops_per_sec_min` (appended): the lowest throughput of this phase over
    /// all repetitions (2 decimals).
    pub const OPS_PER_SEC_MIN: &str = "ops_per_sec_min";
    /// `ops_per_sec_median` (appended): the median throughput of this phase
    /// over all repetitions (2 decimals).
    pub const OPS_PER_SEC_MEDIAN: &str = "ops_per_sec_median";
    /// `ops_per_sec_max` (appended): the highest throughput of this phase over
    /// all repetitions (2 decimals).
    pub const OPS_PER_SEC_MAX: &str = "ops_per_sec_max";
}

use col::*;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    ENGINE,
    WORKLOAD,
    PHASE,
    THREADS,
    RECORDS,
    OPERATIONS,
    DURATION_S,
    OPS_PER_SEC,
    USER_BYTES_WRITTEN,
    STORAGE_BYTES_WRITTEN,
    WRITE_AMP,
    USER_BYTES_READ,
    QUERY_BYTES_READ,
    READ_AMP,
    READ_IOS_PER_OP,
    DISK_BYTES,
    LIVE_BYTES,
    SPACE_AMP,
    FSYNCS,
    PEAK_RSS_BYTES,
    COMPACTION_BYTES_READ,
    COMPACTION_BYTES_WRITTEN,
    ERRORS,
    IO_SOURCE,
    TIME_LIMITED,
    CLIENT_CPU_S,
    LOOKUPS,
    MISSES,
    WRITE_PATH_BYTES_READ,
    WRITE_PATH_READ_IOS,
    UNSETTLED,
    REPETITION,
    REPETITIONS,
    OPS_PER_SEC_MIN,
    OPS_PER_SEC_MEDIAN,
    OPS_PER_SEC_MAX,
];

/// How many leading [`COLUMNS`] every file has (through `errors`).
pub const REQUIRED: usize = 23;

/// Which accounting a row's storage figures come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IoSource {
    /// Our Vfs counters (exact, per purpose).
    #[default]
    Vfs,
    /// `/proc/self/io` over the phase.
    Kernel,
}

impl IoSource {
    /// The `io_source` cell.
    pub fn name(self) -> &'static str {
        match self {
            IoSource::Vfs => "vfs",
            IoSource::Kernel => "kernel",
        }
    }

    /// The source called `name`.
    pub fn parse(name: &str) -> Option<IoSource> {
        [IoSource::Vfs, IoSource::Kernel]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// One row. Counts are `f64` (see [`crate::table::count`]); `Option`s
/// are undefined ratios, or columns an older file lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Engine spec as given on the command line.
    pub engine: String,
    /// Workload name (`ycsb-a`, `fill-random`, or a property file's stem).
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// Client threads.
    pub threads: f64,
    /// Records loaded (`recordcount`).
    pub records: f64,
    /// Operations executed in the phase; failed ones are in
    /// [`errors`](Self::errors) instead.
    pub operations: f64,
    /// Wall time of the phase, seconds.
    pub duration_s: f64,
    /// Throughput: `operations / duration_s`.
    pub ops_per_sec: f64,
    /// Key+value bytes of puts, inserts and updates, plus key bytes of deletes.
    pub user_bytes_written: f64,
    /// Bytes the engine wrote to storage, all purposes (the kernel's `wchar` on
    /// a kernel-counted row).
    pub storage_bytes_written: f64,
    /// `storage_bytes_written / user_bytes_written`; `None` when there were no
    /// user writes.
    pub write_amp: Option<f64>,
    /// Key+value bytes returned by gets and scans.
    pub user_bytes_read: f64,
    /// Storage bytes read to answer gets and scans, never a write's reads (the
    /// kernel's `rchar`, every purpose, on a kernel-counted row).
    pub query_bytes_read: f64,
    /// `query_bytes_read / user_bytes_read`; `None` when nothing was returned
    /// (a miss-only run).
    pub read_amp: Option<f64>,
    /// Query read calls per lookup, hits and misses alike; `None` when there
    /// were no lookups.
    pub read_ios_per_op: Option<f64>,
    /// Total size in bytes of the engine's files after the phase and a sync.
    pub disk_bytes: f64,
    /// Key+value bytes of the live data, tracked by the harness.
    pub live_bytes: f64,
    /// `disk_bytes / live_bytes`; `None` when `live_bytes` is 0.
    pub space_amp: Option<f64>,
    /// File and directory syncs in the phase (0 on a kernel-counted row: not
    /// measured).
    pub fsyncs: f64,
    /// Peak resident set size of the process so far, bytes.
    pub peak_rss_bytes: f64,
    /// Storage bytes read for flush, compaction and merge (0 on a
    /// kernel-counted row: not measured).
    pub compaction_bytes_read: f64,
    /// Storage bytes written by flush, compaction and merge (0 on a
    /// kernel-counted row: not measured).
    pub compaction_bytes_written: f64,
    /// Operations that returned an error (each also in latency.csv under
    /// `<op>-failed`).
    pub errors: f64,
    /// Which accounting the storage figures come from; `None` in a file older
    /// than the column.
    pub io_source: Option<IoSource>,
    /// Whether `--max-time` or a fatal engine error stopped the phase early;
    /// `None` in a file older than the column.
    pub time_limited: Option<bool>,
    /// CPU seconds of the client threads; `None` where the platform does not
    /// report it or the file predates the column.
    pub client_cpu_s: Option<f64>,
    /// Gets (an rmw's get included) and scans; `None` in a file older than the
    /// column.
    pub lookups: Option<f64>,
    /// Lookups that found nothing; `None` in a file older than the column.
    pub misses: Option<f64>,
    /// Storage bytes read on a write's behalf, in no read metric; `None` on a
    /// kernel-counted row or in an older file.
    pub write_path_bytes_read: Option<f64>,
    /// Read calls made on a write's behalf; `None` on a kernel-counted row or
    /// in an older file.
    pub write_path_read_ios: Option<f64>,
    /// Whether the engine's quiesce gave up with background work still running,
    /// so its counters spill into or out of the phase; `None` in an older file.
    pub unsettled: Option<bool>,
    /// The 0-based repetition the row was measured in (a cell's load and run
    /// rows share it); `None` in an older file.
    pub repetition: Option<f64>,
    /// How many repetitions the cell ran; `None` in an older file.
    pub repetitions: Option<f64>,
    /// Lowest throughput of this phase over the cell's repetitions; `None` in
    /// an older file.
    pub ops_per_sec_min: Option<f64>,
    /// Median throughput of this phase over the cell's repetitions; `None` in
    /// an older file.
    pub ops_per_sec_median: Option<f64>,
    /// Highest throughput of this phase over the cell's repetitions; `None` in
    /// an older file.
    pub ops_per_sec_max: Option<f64>,
    /// Line of the row in its file (0 for a row not read from a file).
    pub line: u64,
}

fn flag(x: Option<bool>) -> String {
    x.map(|b| u8::from(b).to_string()).unwrap_or_default()
}

impl SummaryRow {
    /// The cells, in [`COLUMNS`] order.
    pub fn record(&self) -> Vec<String> {
        vec![
            self.engine.clone(),
            self.workload.clone(),
            self.phase.name().to_string(),
            count(self.threads),
            count(self.records),
            count(self.operations),
            float(self.duration_s, 6),
            float(self.ops_per_sec, 2),
            count(self.user_bytes_written),
            count(self.storage_bytes_written),
            optional(self.write_amp, 6),
            count(self.user_bytes_read),
            count(self.query_bytes_read),
            optional(self.read_amp, 6),
            optional(self.read_ios_per_op, 6),
            count(self.disk_bytes),
            count(self.live_bytes),
            optional(self.space_amp, 6),
            count(self.fsyncs),
            count(self.peak_rss_bytes),
            count(self.compaction_bytes_read),
            count(self.compaction_bytes_written),
            count(self.errors),
            self.io_source
                .map(|s| s.name().to_string())
                .unwrap_or_default(),
            flag(self.time_limited),
            optional(self.client_cpu_s, 6),
            optional_count(self.lookups),
            optional_count(self.misses),
            optional_count(self.write_path_bytes_read),
            optional_count(self.write_path_read_ios),
            flag(self.unsettled),
            optional_count(self.repetition),
            optional_count(self.repetitions),
            optional(self.ops_per_sec_min, 2),
            optional(self.ops_per_sec_median, 2),
            optional(self.ops_per_sec_max, 2),
        ]
    }

    /// The (engine, workload, phase) the row is about.
    pub fn key(&self) -> (String, String, Phase) {
        (self.engine.clone(), self.workload.clone(), self.phase)
    }

    /// True when the figures are the kernel's (no per-interval Vfs bytes).
    pub fn kernel_counted(&self) -> bool {
        self.io_source == Some(IoSource::Kernel)
    }

    /// True when `--max-time` or an error cut the phase short.
    pub fn is_time_limited(&self) -> bool {
        self.time_limited == Some(true)
    }
}

/// The median of a non-empty sample, the rule of `ops_per_sec_median`:
/// the middle value, or the mean of the middle two for an even count
/// (NaNs sort last). The gate takes latency medians by the same rule.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Write rows to `path` (summary.csv or repetitions.csv).
pub fn write(path: &Path, rows: &[SummaryRow]) -> Result<()> {
    let mut w = CsvOut::create(path, COLUMNS)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    w.finish()
}

/// A summary file read back: typed rows and the table they came from
/// (the report prints every column, the gate checks which exist).
#[derive(Debug, Clone)]
pub struct Summary {
    /// Typed rows, in file order.
    pub rows: Vec<SummaryRow>,
    /// Every column as written, including ones this crate does not know.
    pub table: Table,
}

impl Summary {
    /// Read and check a summary file.
    pub fn read(path: &Path) -> Result<Summary> {
        let table = Table::read(path)?;
        table.require(&COLUMNS[..REQUIRED])?;
        let mut rows = Vec::with_capacity(table.rows.len());
        for row in &table.rows {
            rows.push(parse_row(&table, &table.cells(row))?);
        }
        Ok(Summary { rows, table })
    }

    /// The row for one engine, workload and phase, if the file has it.
    pub fn get(&self, engine: &str, workload: &str, phase: Phase) -> Option<&SummaryRow> {
        self.rows
            .iter()
            .find(|r| r.engine == engine && r.workload == workload && r.phase == phase)
    }
}

fn parse_row(t: &Table, c: &Cells<'_>) -> Result<SummaryRow> {
    let n = |name: &str| c.number(t.col(name)?);
    let opt = |name: &str| c.opt_number(t.col(name)?);
    let app = |name: &str| c.appended(t.optional_col(name));
    let io_source = match t.optional_col(IO_SOURCE) {
        Some(col) => Some(c.parsed(col, "`vfs` or `kernel`", IoSource::parse)?),
        None => None,
    };
    Ok(SummaryRow {
        engine: c.text(t.col(ENGINE)?)?,
        workload: c.text(t.col(WORKLOAD)?)?,
        phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
        threads: n(THREADS)?,
        records: n(RECORDS)?,
        operations: n(OPERATIONS)?,
        duration_s: n(DURATION_S)?,
        ops_per_sec: n(OPS_PER_SEC)?,
        user_bytes_written: n(USER_BYTES_WRITTEN)?,
        storage_bytes_written: n(STORAGE_BYTES_WRITTEN)?,
        write_amp: opt(WRITE_AMP)?,
        user_bytes_read: n(USER_BYTES_READ)?,
        query_bytes_read: n(QUERY_BYTES_READ)?,
        read_amp: opt(READ_AMP)?,
        read_ios_per_op: opt(READ_IOS_PER_OP)?,
        disk_bytes: n(DISK_BYTES)?,
        live_bytes: n(LIVE_BYTES)?,
        space_amp: opt(SPACE_AMP)?,
        fsyncs: n(FSYNCS)?,
        peak_rss_bytes: n(PEAK_RSS_BYTES)?,
        compaction_bytes_read: n(COMPACTION_BYTES_READ)?,
        compaction_bytes_written: n(COMPACTION_BYTES_WRITTEN)?,
        errors: n(ERRORS)?,
        io_source,
        time_limited: c.flag(t.optional_col(TIME_LIMITED))?,
        client_cpu_s: app(CLIENT_CPU_S)?,
        lookups: app(LOOKUPS)?,
        misses: app(MISSES)?,
        write_path_bytes_read: app(WRITE_PATH_BYTES_READ)?,
        write_path_read_ios: app(WRITE_PATH_READ_IOS)?,
        unsettled: c.flag(t.optional_col(UNSETTLED))?,
        repetition: app(REPETITION)?,
        repetitions: app(REPETITIONS)?,
        ops_per_sec_min: app(OPS_PER_SEC_MIN)?,
        ops_per_sec_median: app(OPS_PER_SEC_MEDIAN)?,
        ops_per_sec_max: app(OPS_PER_SEC_MAX)?,
        line: c.line(),
    })
}

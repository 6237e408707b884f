//! `run.json`: everything needed to reproduce or compare a run: seed,
//! engine options, workload properties, git commit and the machine.
//!
//! Written pretty-printed (serde_json's two-space indent) with a final
//! newline, fields in [`RunInfo`]'s order. Fields up to `harness_version`
//! are the documented contract; `deterministic`, `repeat`, `interval_s`,
//! `compression_ratio`, `io`, `cold`, `command` (the argument list, so a baseline can be
//! regenerated) and `failures` (engine errors, one line each) were
//! appended.
//!
//! It is read back as a JSON object, not as [`RunInfo`]: the gate must
//! name a field an older file lacks rather than fail to deserialize, and
//! the report shows every field it finds.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One engine as run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EngineEntry {
    /// Spec as given on the command line.
    pub spec: String,
    /// The options it was opened with (preset, harness settings, spec).
    pub options: BTreeMap<String, String>,
}

/// One workload as run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkloadEntry {
    /// Workload name (`ycsb-a`, `fill-random`, or the property file's stem), as
    /// in summary.csv.
    pub name: String,
    /// Every resolved property (defaults included), as YCSB names them.
    pub properties: BTreeMap<String, String>,
}

/// CPU, memory, OS and the filesystem under the data directory: numbers
/// from two machines are not comparable, and the gate says so.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Machine {
    /// CPU brand string of the first CPU (`unknown` where the OS gives none).
    pub cpu: String,
    /// Logical CPUs the process can use.
    pub cores: usize,
    /// Physical cores, where the OS says.
    pub physical_cores: Option<usize>,
    /// Total physical memory, bytes.
    pub memory_bytes: u64,
    /// Operating system name and version (`Debian 12`; `unknown` where not
    /// reported).
    pub os: String,
    /// Kernel version (`6.1`; `unknown` where not reported).
    pub kernel: String,
    /// Filesystem type of the data directory (from /proc/mounts), if known.
    pub filesystem: Option<String>,
}

/// The content of run.json, in file order.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The run directory's name, `YYYYMMDD-HHMMSS-<seed>` (UTC).
    pub run_id: String,
    /// When the run started, RFC 3339 in UTC (`2026-11-24T12:00:00Z`).
    pub started_at: String,
    /// The workbench's `git rev-parse HEAD`; `None` (null) where git could
    /// not tell (no checkout, no git).
    pub git_commit: Option<String>,
    /// Seed of every workload generator: the same seed replays the same
    /// operations.
    pub seed: u64,
    /// Client threads per phase (`--threads`).
    pub threads: usize,
    /// Durability every engine was opened with (`--sync`): `always`, `never` or
    /// `bytes:N`.
    pub sync: String,
    /// Memory budget of each engine in MiB (`--cache-mb`, the engines'
    /// `cache_mb` option).
    pub cache_mb: u64,
    /// Rate limit in operations per second over all threads (`--target`);
    /// `None` (null) when not set.
    pub target_ops: Option<f64>,
    /// Unmeasured operations run before the run phase (`--warmup-ops`).
    pub warmup_ops: u64,
    /// Per-phase time limit in seconds (`--max-time`); `None` (null) for no
    /// limit.
    pub max_time_s: Option<f64>,
    /// The engines run, in command-line order.
    pub engines: Vec<EngineEntry>,
    /// The workloads run, in command-line order.
    pub workloads: Vec<WorkloadEntry>,
    /// The machine the run was measured on.
    pub machine: Machine,
    /// The harness crate's version.
    pub harness_version: String,
    /// Whether engines ran background work inline (`--deterministic`, always
    /// under `io = memory`), so one thread's counters repeat exactly.
    pub deterministic: bool,
    /// Repetitions per engine x workload cell (`--repeat`/`--repetitions`), at
    /// least 1.
    pub repeat: u32,
    /// Length of a timeseries interval in seconds (`--interval`).
    pub interval_s: f64,
    /// Compressed size / raw size of the values written (1.0: fresh
    /// random bytes, incompressible).
    pub compression_ratio: f64,
    /// How our engines' files reached the device (`--io`): `buffered`
    /// (through the page cache), `direct` (O_DIRECT) or `memory` (an
    /// in-memory filesystem per cell: the same counters as buffered,
    /// timings not meaningful); engines doing their own I/O (the reference
    /// ones) always run buffered and are refused under `memory`.
    pub io: String,
    /// Whether every timed phase started with the engine's files evicted
    /// from the page cache (`--cold`).
    pub cold: bool,
    /// The harness's argument list, so a baseline can be regenerated.
    pub command: Vec<String>,
    /// The engine errors that stopped a cell, one line each naming engine,
    /// workload, phase and operation; empty when none.
    pub failures: Vec<String>,
}

/// Write run.json, pretty-printed.
pub fn write(path: &Path, info: &RunInfo) -> Result<()> {
    let text = serde_json::to_string_pretty(info).map_err(|e| {
        // Strings, numbers and string maps always serialize; should that
        // ever change, say so as a write failure of this file.
        Error::io("cannot serialize", path, e.into())
    })?;
    std::fs::write(path, text + "\n").map_err(|e| Error::io("cannot write", path, e))
}

/// Read run.json: it must exist and hold a JSON object.
pub fn read(path: &Path) -> Result<Map<String, Value>> {
    if !path.is_file() {
        return Err(Error::MissingFile {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(Error::Json {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "expected a JSON object at the top level".to_owned(),
        }),
        Err(e) => Err(Error::Json {
            path: path.to_path_buf(),
            line: e.line() as u64,
            column: e.column() as u64,
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_json_names_file_line_and_column() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("run.json");
        std::fs::write(&p, "{\n  \"seed\": ").expect("write");
        let e = read(&p).expect_err("truncated");
        assert!(matches!(e, Error::Json { line: 2, .. }), "{e}");
        assert!(e.to_string().contains("run.json"), "{e}");
        std::fs::write(&p, "[1]").expect("write");
        assert!(read(&p)
            .expect_err("not an object")
            .to_string()
            .contains("object"));
        std::fs::write(&p, "{\"seed\": 1}").expect("write");
        assert_eq!(read(&p).expect("object")["seed"], 1);
    }
}

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
    pub name: String,
    /// Every resolved property (defaults included), as YCSB names them.
    pub properties: BTreeMap<String, String>,
}

/// CPU, memory, OS and the filesystem under the data directory: numbers
/// from two machines are not comparable, and the gate says so.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Machine {
    pub cpu: String,
    /// Logical CPUs the process can use.
    pub cores: usize,
    /// Physical cores, where the OS says.
    pub physical_cores: Option<usize>,
    pub memory_bytes: u64,
    pub os: String,
    pub kernel: String,
    /// Filesystem type of the data directory (from /proc/mounts), if known.
    pub filesystem: Option<String>,
}

/// The content of run.json, in file order.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub run_id: String,
    pub started_at: String,
    pub git_commit: Option<String>,
    pub seed: u64,
    pub threads: usize,
    pub sync: String,
    pub cache_mb: u64,
    pub target_ops: Option<f64>,
    pub warmup_ops: u64,
    pub max_time_s: Option<f64>,
    pub engines: Vec<EngineEntry>,
    pub workloads: Vec<WorkloadEntry>,
    pub machine: Machine,
    pub harness_version: String,
    pub deterministic: bool,
    pub repeat: u32,
    pub interval_s: f64,
    /// Compressed size / raw size of the values written (1.0: fresh
    /// random bytes, incompressible).
    pub compression_ratio: f64,
    /// How our engines' files reached the device: `buffered` (through
    /// the page cache) or `direct` (O_DIRECT); engines doing their own
    /// I/O (the reference ones) always run buffered.
    pub io: String,
    /// Whether every timed phase started with the engine's files evicted
    /// from the page cache (`--cold`).
    pub cold: bool,
    pub command: Vec<String>,
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

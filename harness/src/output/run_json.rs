//! `run.json`: everything needed to reproduce or compare a run: seed,
//! engine options, workload properties, git commit and the machine.
//!
//! Fields up to `harness_version` are the documented contract; the rest are
//! appended: `deterministic`, `repeat`, `interval_s`, `records`,
//! `operations`, `command` (the argument list, so a baseline can be
//! regenerated) and `failures` (engine errors, one line each).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::machine::Machine;

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

/// The content of run.json.
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
    pub command: Vec<String>,
    pub failures: Vec<String>,
}

/// Write run.json, pretty-printed.
pub fn write(path: &Path, info: &RunInfo) -> Result<()> {
    // Serializing plain structs of strings and numbers cannot fail.
    let text = serde_json::to_string_pretty(info).expect("run info serializes");
    std::fs::write(path, text + "\n").map_err(|e| Error::io("cannot write", path, e))
}

/// `YYYY-MM-DDTHH:MM:SSZ` and `YYYYMMDD-HHMMSS` for a Unix time (UTC).
pub fn utc_stamps(unix_secs: u64) -> (String, String) {
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let (y, mo, d) = civil_from_days(days as i64);
    (
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z"),
        format!("{y:04}{mo:02}{d:02}-{h:02}{m:02}{s:02}"),
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days` algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps_are_calendar_dates() {
        assert_eq!(
            utc_stamps(0),
            ("1970-01-01T00:00:00Z".into(), "19700101-000000".into())
        );
        // 2024-02-29 12:34:56 UTC, a leap day.
        assert_eq!(
            utc_stamps(1_709_210_096),
            ("2024-02-29T12:34:56Z".into(), "20240229-123456".into())
        );
        // 2000-03-01 (century leap-year rule).
        assert_eq!(utc_stamps(951_868_800).1, "20000301-000000");
    }
}

//! `sweep.json`: what a sweep directory holds and where it came from.
//!
//! Every sweep directory has one: an unsharded run's, each shard's and a
//! merge's. It records the plan's hash and seeds, the harness version,
//! which shard of how many ran (none for a whole or merged sweep), and
//! per cell its kind (`count` or `timing`), the shard that ran it and the
//! machine it ran on, so that a merge can refuse what does not belong
//! together and say which timings are not comparable.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// The file name.
pub const MANIFEST: &str = "sweep.json";

/// `--shard I/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// `I`: this shard runs the cells whose index mod `count` is `index`.
    pub index: usize,
    /// `N`: how many shards the plan is split into (at least 1).
    pub count: usize,
}

impl Shard {
    /// Parse `I/N` with `0 <= I < N`.
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard `{s}`: expected I/N with 0 <= I < N (e.g. 0/3, 1/3, 2/3)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One cell as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellEntry {
    /// The cell's id, also its directory under `cells/`
    /// (`003-lsm-size_ratio=4-fill-random-s1`).
    pub id: String,
    /// Position in the plan's expansion, what `--shard I/N` slices on.
    pub index: usize,
    /// `count` (ran in parallel, only exact counters reported) or `timing`
    /// (ran alone, timings reported too).
    pub kind: String,
    /// The shard that ran it (`None`: an unsharded run).
    pub shard: Option<usize>,
    /// The machine it ran on (run.json's `machine` object).
    pub machine: Value,
    /// Wall seconds the cell took.
    pub seconds: f64,
    /// Engine errors, or why the cell could not run; empty when it ran.
    pub failures: Vec<String>,
}

/// The content of sweep.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The plan's `name` (default: its file's stem).
    pub plan_name: String,
    /// [`crate::sweep::Plan::hash`].
    pub plan_hash: String,
    /// The plan's seeds; shards must agree on them to merge.
    pub seeds: Vec<u64>,
    /// The harness's crate version; shards must agree on it to merge.
    pub harness_version: String,
    /// The commit the harness was built from; `None` outside a git work
    /// tree.
    pub git_commit: Option<String>,
    /// Which slice ran; `None` for an unsharded or merged sweep.
    pub shard: Option<Shard>,
    /// Cells in the whole plan (this directory may hold a slice).
    pub cells_total: usize,
    /// The machine of this process (a merge: of the first shard).
    pub machine: Value,
    /// When the sweep started, UTC (`YYYY-MM-DDTHH:MM:SSZ`).
    pub started_at: String,
    /// When its last cell finished, UTC, in the same form.
    pub finished_at: String,
    /// The cells in this directory, by index.
    pub cells: Vec<CellEntry>,
    /// What a reader should know: time-limited cells, timings from
    /// different machines, cells with no model.
    pub notes: Vec<String>,
}

impl Manifest {
    /// Write `dir/sweep.json`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(self).map_err(|e| {
            // Strings, numbers and JSON values always serialize.
            Error::io("cannot serialize", &path, e.into())
        })?;
        std::fs::write(&path, text + "\n").map_err(|e| Error::io("cannot write", &path, e))
    }

    /// Read `dir/sweep.json`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        if !path.is_file() {
            return Err(Error::Merge(format!(
                "{} has no {MANIFEST}: not a sweep directory (run `harness sweep PLAN --shard I/N --out DIR`)",
                dir.display()
            )));
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::Merge(format!("{}: {e}", path.display())))
    }
}

/// One line for a machine (cells.csv): CPU, cores, memory, OS, kernel, filesystem.
pub fn machine_line(m: &Value) -> String {
    let s = |k: &str| match m.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "?".into(),
        Some(v) => v.to_string(),
    };
    let gib = m
        .get("memory_bytes")
        .and_then(Value::as_u64)
        .map_or("?".into(), |b| {
            format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
        });
    format!(
        "{}; {} cores; {gib}; {}; {}; {}",
        s("cpu"),
        s("cores"),
        s("os"),
        s("kernel"),
        s("filesystem")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!(
            Shard::parse("1/3").expect("valid"),
            Shard { index: 1, count: 3 }
        );
        for bad in ["3/3", "0/0", "1", "a/b", "-1/3"] {
            let e = Shard::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(bad) && e.contains("I/N"), "{e}");
        }
    }
}

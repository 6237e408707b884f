//! A sweep plan: the TOML file `harness sweep PLAN` reads.
//!
//! ```toml
//! workloads = ["fill-random"]     # presets or property files, as --workload
//! records = 20000
//! operations = 20000
//! seeds = [1, 2]                  # every cell runs once per seed
//! io = "buffered"                 # as --io
//! deterministic = true            # one thread, inline background work
//!
//! [[grid]]
//! engine = "lsm"
//! options = { size_ratio = [2, 4, 8], compaction = ["leveled", "tiered"], memtable_bytes = 65536 }
//! ```
//!
//! A grid's option given as an array is an axis of the grid (a column of
//! sweep.csv); a scalar is fixed for every cell of that grid. See
//! docs/sweep.md for every key.
//!
//! Parsing checks everything a cell needs before any cell runs: the
//! engines and their option names (the registry's tables), the workloads,
//! the I/O mode and the durability. Every error names the plan file and
//! the line (from the TOML span of the offending key or table).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use engine_core::Durability;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::io_mode::IoMode;
use crate::registry::EngineSpec;
use crate::sweep::metrics;

/// The top-level keys of a plan, in the order docs/sweep.md lists them.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "description",
    "workloads",
    "records",
    "operations",
    "seeds",
    "properties",
    "io",
    "deterministic",
    "threads",
    "cache_mb",
    "sync",
    "max_time",
    "metrics",
    "grid",
];

/// The keys of one `[[grid]]` table.
pub const GRID_KEYS: &[&str] = &["engine", "options", "workloads"];

/// One `[[grid]]`: an engine and its option axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// A registry name: `lsm`, `btree`, `hash-log`, `lsm-tiered`, ...
    pub engine: String,
    /// Option name -> values, in the plan's order. One value and
    /// `axis == false` for a scalar (fixed) option.
    pub options: Vec<GridOption>,
    /// The workloads of this grid (the plan's unless the grid names its own).
    pub workloads: Vec<String>,
    /// Line of the `[[grid]]` header.
    pub line: usize,
}

/// One option of a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridOption {
    /// The engine option's name (`size_ratio`), as `harness list` shows it.
    pub name: String,
    /// Its values as written, in order; one for a fixed option.
    pub values: Vec<String>,
    /// Given as an array: a parameter the plan varies (a sweep.csv column).
    pub axis: bool,
}

/// A checked plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file it was read from (for messages and plan.toml).
    pub path: PathBuf,
    /// The file's text, as read (copied to `plan.toml`, hashed).
    pub text: String,
    /// `name`: the sweep's name in sweep.json (default: the file's stem).
    pub name: String,
    /// `description`: free text for the reader; the harness parses it and
    /// keeps it only in the plan.toml copy.
    pub description: String,
    /// `workloads`: presets or YCSB property files, for every grid that
    /// does not name its own.
    pub workloads: Vec<String>,
    /// `records`: the workloads' `recordcount`.
    pub records: u64,
    /// `operations`: the workloads' `operationcount`.
    pub operations: u64,
    /// `seeds`: every cell runs once per seed (default `[42]`).
    pub seeds: Vec<u64>,
    /// YCSB property overrides (`-p NAME=VALUE`), applied to every workload.
    pub properties: Vec<String>,
    /// What resolving the workloads warned about (unknown property names).
    pub warnings: Vec<String>,
    /// `io`, as `--io`: buffered, direct or memory.
    pub io: IoMode,
    /// The `io` string as written (kept for run.json and the manifest).
    pub io_name: String,
    /// `deterministic`, as `--deterministic` (default true): background
    /// work inline, so a cell's counters repeat exactly.
    pub deterministic: bool,
    /// `threads`: client threads per cell (default 1).
    pub threads: usize,
    /// `cache_mb`: each engine's memory budget in MiB (default 64).
    pub cache_mb: u64,
    /// `sync`: always, never or bytes:N (default never).
    pub sync: Durability,
    /// Seconds per phase; `None`: no limit.
    pub max_time: Option<f64>,
    /// summary.csv columns that go into sweep.csv.
    pub metrics: Vec<String>,
    /// The `[[grid]]` tables, in the plan's order.
    pub grids: Vec<Grid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    name: Option<String>,
    description: Option<String>,
    workloads: Option<Spanned<Vec<String>>>,
    records: u64,
    operations: u64,
    seeds: Option<Spanned<Vec<u64>>>,
    properties: Option<Spanned<Vec<String>>>,
    io: Option<Spanned<String>>,
    deterministic: Option<bool>,
    threads: Option<Spanned<usize>>,
    cache_mb: Option<u64>,
    sync: Option<Spanned<String>>,
    max_time: Option<Spanned<f64>>,
    metrics: Option<Spanned<Vec<String>>>,
    grid: Option<Vec<Spanned<RawGrid>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    engine: Spanned<String>,
    #[serde(default)]
    options: toml::Table,
    workloads: Option<Spanned<Vec<String>>>,
}

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> usize {
    let end = at.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

impl Plan {
    /// Read and check the plan in `path`.
    pub fn read(path: &Path) -> Result<Plan> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io("cannot read plan", path, e))?;
        Plan::parse(path, &text)
    }

    /// Check the plan `text` (read from `path`, named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Plan> {
        let err = |span: Option<Range<usize>>, message: String| Error::Plan {
            path: path.to_path_buf(),
            line: span.map(|s| line_of(text, s.start)),
            message,
        };
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            err(e.span(), explain_unknown(&message))
        })?;

        let workloads = match raw.workloads {
            Some(w) if w.get_ref().is_empty() => {
                return Err(err(Some(w.span()), "`workloads` is empty".into()))
            }
            Some(w) => {
                check_workloads(w.get_ref()).map_err(|m| err(Some(w.span()), m))?;
                w.into_inner()
            }
            None => Vec::new(),
        };
        let seeds = match raw.seeds {
            Some(s) if s.get_ref().is_empty() => {
                return Err(err(Some(s.span()), "`seeds` is empty".into()))
            }
            Some(s) => {
                let mut seen = std::collections::BTreeSet::new();
                if let Some(d) = s.get_ref().iter().find(|x| !seen.insert(**x)) {
                    return Err(err(Some(s.span()), format!("seed {d} is listed twice")));
                }
                s.into_inner()
            }
            None => vec![42],
        };
        let (io, io_name) = match raw.io {
            Some(s) => (
                IoMode::from_str(s.get_ref())
                    .map_err(|m| err(Some(s.span()), format!("io: {m}")))?,
                s.into_inner(),
            ),
            None => (IoMode::Buffered, IoMode::Buffered.name().to_string()),
        };
        let threads = match raw.threads {
            Some(t) if *t.get_ref() == 0 => {
                return Err(err(Some(t.span()), "`threads` must be at least 1".into()))
            }
            Some(t) => t.into_inner(),
            None => 1,
        };
        let sync = match raw.sync {
            Some(s) => s
                .get_ref()
                .parse::<Durability>()
                .map_err(|e| err(Some(s.span()), format!("sync: {e}")))?,
            None => Durability::Never,
        };
        let max_time = match raw.max_time {
            Some(t) if !(t.get_ref().is_finite() && *t.get_ref() >= 0.0) => {
                return Err(err(
                    Some(t.span()),
                    "`max_time` must be seconds >= 0 (0: no limit)".into(),
                ))
            }
            Some(t) if *t.get_ref() == 0.0 => None,
            Some(t) => Some(t.into_inner()),
            None => None,
        };
        let metrics = match raw.metrics {
            Some(m) => {
                if let Some(bad) = m.get_ref().iter().find(|x| metrics::find(x).is_none()) {
                    return Err(err(
                        Some(m.span()),
                        format!(
                            "unknown metric `{bad}`; valid metrics: {}",
                            metrics::names().join(", ")
                        ),
                    ));
                }
                m.into_inner()
            }
            None => metrics::names().iter().map(|s| s.to_string()).collect(),
        };

        let raw_grids = raw.grid.unwrap_or_default();
        if raw_grids.is_empty() {
            return Err(err(
                None,
                "the plan has no [[grid]] table: name at least one engine".into(),
            ));
        }
        let mut grids = Vec::with_capacity(raw_grids.len());
        for g in raw_grids {
            let span = g.span();
            let g = g.into_inner();
            let at = |s: Range<usize>| Some(s);
            let grid_workloads = match g.workloads {
                Some(w) if w.get_ref().is_empty() => {
                    return Err(err(at(w.span()), "the grid's `workloads` is empty".into()))
                }
                Some(w) => {
                    check_workloads(w.get_ref()).map_err(|m| err(at(w.span()), m))?;
                    w.into_inner()
                }
                None if workloads.is_empty() => {
                    return Err(err(
                        at(span.clone()),
                        "no workloads: give `workloads` at the top of the plan or in this grid"
                            .into(),
                    ))
                }
                None => workloads.clone(),
            };
            let engine_span = g.engine.span();
            let engine = g.engine.into_inner();
            let mut options = Vec::with_capacity(g.options.len());
            for (name, value) in &g.options {
                let (values, axis) = option_values(value)
                    .map_err(|m| err(at(span.clone()), format!("option `{name}`: {m}")))?;
                if metrics::is_fixed_column(name) {
                    return Err(err(
                        at(span.clone()),
                        format!("option `{name}` has the name of a fixed sweep.csv column"),
                    ));
                }
                options.push(GridOption {
                    name: name.clone(),
                    values,
                    axis,
                });
            }
            // The engine and every option name, checked against the
            // registry's tables with the first value of each option (the
            // values themselves are checked when each cell's engine opens).
            let probe: Vec<(String, String)> = options
                .iter()
                // option_values never returns an empty list.
                .map(|o| (o.name.clone(), o.values[0].clone()))
                .collect();
            EngineSpec::parse(&spec_string(&engine, &probe))
                .map_err(|e| err(at(engine_span.clone()), e.to_string()))?;
            grids.push(Grid {
                engine,
                options,
                workloads: grid_workloads,
                line: line_of(text, span.start),
            });
        }

        // Every workload of the plan, resolved once with the plan's sizes
        // and overrides: a bad property fails here, not in every cell.
        let (properties, props_span) = match raw.properties {
            Some(p) => {
                let span = p.span();
                (p.into_inner(), Some(span))
            }
            None => (Vec::new(), None),
        };
        let mut names: Vec<String> = Vec::new();
        for g in &grids {
            for w in &g.workloads {
                if !names.contains(w) {
                    names.push(w.clone());
                }
            }
        }
        let (_, warnings) = workloads::resolve(&workloads::WorkloadArgs {
            workloads: names,
            property_files: Vec::new(),
            properties: properties.clone(),
            records: Some(raw.records),
            operations: Some(raw.operations),
            seed: seeds[0],
        })
        .map_err(|e| err(props_span, e.to_string()))?;

        Ok(Plan {
            path: path.to_path_buf(),
            text: text.to_string(),
            name: raw.name.unwrap_or_else(|| {
                path.file_stem()
                    .map_or("sweep".into(), |s| s.to_string_lossy().into_owned())
            }),
            description: raw.description.unwrap_or_default(),
            workloads,
            records: raw.records,
            operations: raw.operations,
            seeds,
            properties,
            warnings,
            io,
            io_name,
            deterministic: raw.deterministic.unwrap_or(true),
            threads,
            cache_mb: raw.cache_mb.unwrap_or(64),
            sync,
            max_time,
            metrics,
            grids,
        })
    }

    /// The hash that shards of one plan share: FNV-1a (64 bit) of the
    /// plan file's bytes, as 16 hex digits. Any edit, a comment included,
    /// makes another plan: shards are only merged when they ran the same
    /// file.
    pub fn hash(&self) -> String {
        format!("{:016x}", fnv1a(self.text.as_bytes()))
    }

    /// The parameter columns of sweep.csv: every axis option's name, in
    /// order of first appearance over the grids.
    pub fn params(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for o in self.grids.iter().flat_map(|g| &g.options) {
            if o.axis && !out.contains(&o.name) {
                out.push(o.name.clone());
            }
        }
        out
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `NAME` or `NAME:k=v,...`.
pub fn spec_string(engine: &str, options: &[(String, String)]) -> String {
    if options.is_empty() {
        return engine.to_string();
    }
    let opts: Vec<String> = options.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{engine}:{}", opts.join(","))
}

/// serde's unknown-field message, in the harness's words: the valid keys
/// are the plan's (top level) or a grid's.
fn explain_unknown(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let key = rest.split('`').next().unwrap_or(rest);
    let valid = if message.contains("`grid`") {
        TOP_LEVEL_KEYS
    } else {
        GRID_KEYS
    };
    let wher = if valid == TOP_LEVEL_KEYS {
        "top-level key"
    } else {
        "key in [[grid]]"
    };
    format!("unknown {wher} `{key}`; valid keys: {}", valid.join(", "))
}

/// Each workload name must be a preset or an existing property file.
fn check_workloads(names: &[String]) -> std::result::Result<(), String> {
    for n in names {
        let known = workloads::presets::find(n).is_some() || Path::new(n).is_file();
        if !known {
            let valid: Vec<String> = workloads::catalogue().into_iter().map(|(n, _)| n).collect();
            return Err(format!(
                "unknown workload `{n}`; valid workloads: {} (or a property file)",
                valid.join(", ")
            ));
        }
    }
    Ok(())
}

/// A grid option's values: an array is an axis, a scalar one fixed value.
fn option_values(v: &toml::Value) -> std::result::Result<(Vec<String>, bool), String> {
    match v {
        toml::Value::Array(items) if items.is_empty() => Err("an empty list of values".into()),
        toml::Value::Array(items) => {
            let values = items
                .iter()
                .map(scalar)
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let mut seen = std::collections::BTreeSet::new();
            if let Some(d) = values.iter().find(|x| !seen.insert(x.as_str())) {
                return Err(format!("value `{d}` is listed twice"));
            }
            Ok((values, true))
        }
        other => Ok((vec![scalar(other)?], false)),
    }
}

fn scalar(v: &toml::Value) -> std::result::Result<String, String> {
    let s = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => {
            return Err(format!(
                "values are strings, numbers or booleans, not {}",
                other.type_str()
            ))
        }
    };
    if s.is_empty() || s.contains([',', ':', '=']) {
        return Err(format!(
            "value `{s}` cannot be part of an engine spec (empty, or holds `,` `:` `=`)"
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn scalars_become_fixed_options_and_arrays_axes() {
        let v: toml::Table = "a = 1\nb = [\"x\", \"y\"]".parse().expect("toml");
        assert_eq!(
            option_values(&v["a"]).expect("scalar"),
            (vec!["1".into()], false)
        );
        assert_eq!(
            option_values(&v["b"]).expect("array"),
            (vec!["x".into(), "y".into()], true)
        );
    }
}

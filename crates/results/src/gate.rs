//! The gate (`harness gate`): compare a candidate run with a baseline, cell by cell
//! (engine x workload x phase), and fail on a regression.
//!
//! Before any metric is compared the two runs must be comparable: the same
//! seed, threads, durability, memory budget, rate target, warm-up, time
//! limit and determinism, and every baseline workload run with exactly the
//! same properties. A difference is an error naming the field, never a
//! pass. So is a baseline engine or cell the candidate lacks, and any file
//! that does not parse.
//!
//! Two differences are allowed, because they are what engine authors do:
//! a candidate may run *more* (a newly registered engine or workload: its
//! cells are listed as "new, not gated" and cannot fail), and an engine's
//! options may differ (a changed preset is a change to the engine, so it is
//! reported as a note and judged by its metrics like any other change).
//! The rules for the metrics themselves are in [`crate::compare`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::compare::{compare, Check, Tolerances, Verdict};
use crate::dir::ResultsDir;
use crate::error::{Error, Result};

/// run.json fields that must be equal for two runs to be compared.
pub const CONFIG_FIELDS: &[&str] = &[
    "seed",
    "threads",
    "sync",
    "cache_mb",
    "target_ops",
    "warmup_ops",
    "max_time_s",
    "deterministic",
    "compression_ratio",
    "io",
    "cold",
];

/// What the gate compares and how strictly.
#[derive(Debug, Clone)]
pub struct GateOptions {
    /// The results directory compared against (e.g. the committed baseline).
    pub baseline: PathBuf,
    /// The results directory being judged.
    pub candidate: PathBuf,
    /// How far each kind of metric may move before it counts.
    pub tolerances: Tolerances,
    /// Printed when the gate fails; default: copy the candidate over the
    /// baseline.
    pub update_command: Option<String>,
}

/// The gate's findings.
#[derive(Debug, Clone)]
pub struct GateReport {
    /// Every comparison made, baseline cells in order; a failed gate has at
    /// least one [`Verdict::Regression`].
    pub checks: Vec<Check>,
    /// Things worth knowing that do not fail the gate.
    pub notes: Vec<String>,
    /// The command that makes the candidate the new baseline:
    /// [`GateOptions::update_command`] or the default copy.
    pub update_command: String,
}

impl GateReport {
    /// The checks that failed.
    pub fn regressions(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| c.verdict == Verdict::Regression)
    }

    /// True when any check failed.
    pub fn failed(&self) -> bool {
        self.regressions().next().is_some()
    }

    /// The full table, the notes and the verdict.
    pub fn render(&self) -> String {
        let header = [
            "engine",
            "workload",
            "phase",
            "metric",
            "baseline",
            "candidate",
            "change",
            "verdict",
        ];
        let rows: Vec<[String; 8]> = self
            .checks
            .iter()
            .map(|c| {
                [
                    c.cell.0.clone(),
                    c.cell.1.clone(),
                    c.cell.2.clone(),
                    c.metric.clone(),
                    value(c.baseline),
                    value(c.candidate),
                    c.change()
                        .map_or_else(|| "-".into(), |x| format!("{:+.1}%", x * 100.0)),
                    c.verdict.label(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut l = String::new();
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                let _ = if (4..7).contains(&i) {
                    write!(l, "{cell:>w$}  ")
                } else {
                    write!(l, "{cell:<w$}  ")
                };
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&header.map(String::from));
        for r in &rows {
            line(r);
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        let failed: Vec<&Check> = self.regressions().collect();
        if failed.is_empty() {
            let _ = writeln!(out, "gate: PASS ({} checks)", self.checks.len());
        } else {
            let _ = writeln!(out, "gate: FAIL, {} regression(s):", failed.len());
            for c in failed {
                let _ = writeln!(
                    out,
                    "  {} x {} x {}: {} {} -> {}",
                    c.cell.0,
                    c.cell.1,
                    c.cell.2,
                    c.metric,
                    value(c.baseline),
                    value(c.candidate)
                );
            }
            let _ = writeln!(
                out,
                "If the change is intended, accept the candidate as the new baseline:\n  {}",
                self.update_command
            );
        }
        out
    }
}

fn value(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(x) if x == x.trunc() && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) => format!("{x:.4}"),
    }
}

/// Run the gate. `Err` means the runs could not be compared (that is a
/// failure too, reported differently); `Ok` carries the verdicts.
pub fn gate(opts: &GateOptions) -> Result<GateReport> {
    let base = ResultsDir::read(&opts.baseline)?;
    let cand = ResultsDir::read(&opts.candidate)?;
    check_config(&base, &cand)?;
    check_workloads(&base, &cand)?;
    let mut notes = check_engines(&base, &cand)?;

    let base_cells = base.summary_cells()?;
    let cand_cells = cand.summary_cells()?;
    if base_cells.is_empty() {
        return Err(Error::Incomparable(format!(
            "{}: the baseline has no rows; nothing to gate",
            base.summary.table.path.display()
        )));
    }
    let missing: Vec<String> = base_cells
        .iter()
        .filter(|(k, _)| !cand_cells.iter().any(|(c, _)| c == k))
        .map(|(k, _)| format!("{} x {} x {}", k.0, k.1, k.2))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Incomparable(format!(
            "the candidate {} lacks {} cell(s) of the baseline: {}",
            cand.dir.display(),
            missing.len(),
            missing.join(", ")
        )));
    }
    for (k, _) in &cand_cells {
        if !base_cells.iter().any(|(b, _)| b == k) {
            notes.push(format!("new, not gated: {} x {} x {}", k.0, k.1, k.2));
        }
    }
    for (side, dir) in [("baseline", &base), ("candidate", &cand)] {
        let threads = dir.run.get("threads").and_then(|v| v.as_u64());
        let det = dir.run.get("deterministic").and_then(|v| v.as_bool());
        if threads != Some(1) || det != Some(true) {
            notes.push(format!(
                "the {side} ran with threads={} deterministic={}: byte counters may vary run to run",
                threads.map_or("?".into(), |t| t.to_string()),
                det.map_or("?".into(), |d| d.to_string())
            ));
        }
    }
    if base.run.get("machine") != cand.run.get("machine") {
        notes.push("baseline and candidate ran on different machines; timings are compared relative to mem".into());
    }

    let checks = compare(&base, &cand, &opts.tolerances)?;
    let update_command = opts
        .update_command
        .clone()
        .unwrap_or_else(|| default_update_command(&opts.baseline, &opts.candidate));
    Ok(GateReport {
        checks,
        notes,
        update_command,
    })
}

/// Every [`CONFIG_FIELDS`] entry must be present and equal.
fn check_config(base: &ResultsDir, cand: &ResultsDir) -> Result<()> {
    for field in CONFIG_FIELDS {
        let (b, c) = (base.run.get(*field), cand.run.get(*field));
        if b.is_none() {
            return Err(Error::Incomparable(format!(
                "{}: run.json has no `{field}`",
                base.dir.display()
            )));
        }
        if b != c {
            let show = |v: Option<&serde_json::Value>| {
                v.map_or("(missing)".to_string(), |v| {
                    let s = v.to_string();
                    if s.chars().count() > 200 {
                        format!("{}...", s.chars().take(200).collect::<String>())
                    } else {
                        s
                    }
                })
            };
            return Err(Error::Incomparable(format!(
                "baseline and candidate ran different configurations: `{field}` is {} in {} but {} in {}",
                show(b),
                base.dir.display(),
                show(c),
                cand.dir.display()
            )));
        }
    }
    Ok(())
}

/// A named entry of a run.json list (`engines` by `spec`, `workloads` by
/// `name`): `(name, the entry's other field)`, or an error when the list is
/// missing or malformed.
fn entries<'a>(
    dir: &'a ResultsDir,
    list: &str,
    name: &str,
    field: &str,
) -> Result<Vec<(&'a str, &'a serde_json::Value)>> {
    let bad = |why: String| {
        Error::Incomparable(format!("{}: run.json `{list}` {why}", dir.dir.display()))
    };
    let items = dir
        .run
        .get(list)
        .and_then(|v| v.as_array())
        .ok_or_else(|| bad("is missing or not a list".into()))?;
    items
        .iter()
        .map(|item| {
            let n = item
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| bad(format!("has an entry without `{name}`")))?;
            let f = item
                .get(field)
                .ok_or_else(|| bad(format!("entry {n} has no `{field}`")))?;
            Ok((n, f))
        })
        .collect()
}

/// Every baseline workload must have run in the candidate with the same
/// properties (the operation stream is what the numbers are about);
/// workloads only the candidate ran are new cells.
fn check_workloads(base: &ResultsDir, cand: &ResultsDir) -> Result<()> {
    let theirs = entries(cand, "workloads", "name", "properties")?;
    for (name, props) in entries(base, "workloads", "name", "properties")? {
        match theirs.iter().find(|(n, _)| *n == name) {
            None => {
                return Err(Error::Incomparable(format!(
                    "`workloads`: the baseline ran {name} but the candidate {} did not",
                    cand.dir.display()
                )))
            }
            Some((_, p)) if *p != props => {
                return Err(Error::Incomparable(format!(
                    "baseline and candidate ran different configurations: `workloads` entry {name} has properties {} in {} but {} in {}",
                    differing(props, p),
                    base.dir.display(),
                    differing(p, props),
                    cand.dir.display()
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Every baseline engine must have run in the candidate; changed options
/// are notes (the metrics judge them), extra engines are new cells.
fn check_engines(base: &ResultsDir, cand: &ResultsDir) -> Result<Vec<String>> {
    let theirs = entries(cand, "engines", "spec", "options")?;
    let mut notes = Vec::new();
    for (spec, opts) in entries(base, "engines", "spec", "options")? {
        match theirs.iter().find(|(s, _)| *s == spec) {
            None => {
                return Err(Error::Incomparable(format!(
                    "`engines`: the baseline ran {spec} but the candidate {} did not",
                    cand.dir.display()
                )))
            }
            Some((_, o)) if *o != opts => notes.push(format!(
                "{spec} ran with other options: {} in the baseline, {} in the candidate (gated on its metrics)",
                differing(opts, o),
                differing(o, opts)
            )),
            Some(_) => {}
        }
    }
    Ok(notes)
}

/// The keys of object `a` whose values differ in `b`, as `k=v` pairs (the
/// whole value when either is not an object).
fn differing(a: &serde_json::Value, b: &serde_json::Value) -> String {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => {
            let pairs: Vec<String> = a
                .iter()
                .filter(|(k, v)| b.get(k.as_str()) != Some(*v))
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), String::from)
                    )
                })
                .collect();
            if pairs.is_empty() {
                "{}".into()
            } else {
                format!("{{{}}}", pairs.join(","))
            }
        }
        _ => a.to_string(),
    }
}

fn default_update_command(baseline: &Path, candidate: &Path) -> String {
    let cand = std::fs::canonicalize(candidate).unwrap_or_else(|_| candidate.to_path_buf());
    format!(
        "rm -rf {b} && cp -rL {c} {b}",
        b = baseline.display(),
        c = cand.display()
    )
}

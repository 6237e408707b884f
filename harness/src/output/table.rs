//! The comparison table printed on stdout after a run.
//!
//! One line per engine x workload x phase: throughput, its ratio to `mem`
//! on the same workload and phase (when `mem` ran), median and 99th
//! percentile latency over all operation types, and the three
//! amplifications. Undefined values print as `-`.

use std::fmt::Write as _;

use crate::result::PhaseResult;

const HEADER: [&str; 10] = [
    "engine",
    "workload",
    "phase",
    "ops/s",
    "x mem",
    "p50 us",
    "p99 us",
    "write amp",
    "read amp",
    "space amp",
];

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "-".to_string(), |x| format!("{x:.decimals$}"))
}

/// The table for `results`, as text.
pub fn render(results: &[PhaseResult]) -> String {
    let mut rows: Vec<[String; 10]> = Vec::with_capacity(results.len());
    for r in results {
        let mem = results
            .iter()
            .find(|m| m.engine == "mem" && m.workload == r.workload && m.phase == r.phase)
            .map(|m| m.ops_per_sec())
            .filter(|&m| m > 0.0);
        let all = r.latencies.all_ops();
        let (p50, p99) = if all.is_empty() {
            (None, None)
        } else {
            (
                Some(all.value_at_quantile(0.5) as f64 / 1e3),
                Some(all.value_at_quantile(0.99) as f64 / 1e3),
            )
        };
        let mut ops = format!("{:.0}", r.ops_per_sec());
        if r.time_limited {
            ops.push('*');
        }
        rows.push([
            r.engine.clone(),
            r.workload.clone(),
            r.phase.name().to_string(),
            ops,
            opt(mem.map(|m| r.ops_per_sec() / m), 3),
            opt(p50, 1),
            opt(p99, 1),
            opt(r.write_amp(), 2),
            opt(r.read_amp(), 2),
            opt(r.space_amp(), 2),
        ]);
    }
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            // Text columns left-aligned, numbers right-aligned.
            let _ = if i < 3 {
                write!(out, "{cell:<w$}  ")
            } else {
                write!(out, "{cell:>w$}  ")
            };
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    };
    line(&mut out, &HEADER.map(String::from));
    for row in &rows {
        line(&mut out, row);
    }
    if results.iter().any(|r| r.time_limited) {
        out.push_str("* stopped early (--max-time or an engine error): counts cover what ran\n");
    }
    out
}

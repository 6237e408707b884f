//! A sweep directory's combined files, from its cells' own results.
//!
//! Every file here is derived from `cells/<cell-id>/` (read back through
//! the `results` crate's readers) and the plan, nothing else: an
//! unsharded sweep and a merge of its shards run this same code over the
//! same cell files, so their outputs agree byte for byte in every count.
//!
//! - `sweep.csv`: each cell x phase x metric (results::sweep), the
//!   measured figure beside `models::predict`'s. Timing metrics only for
//!   timed cells (a count cell ran beside others: its clock is not its own).
//! - `summary.csv`, `latency.csv`, `run.json`: every cell's rows under one
//!   engine label per cell (its spec, plus `@seed=N` when the plan has
//!   several seeds), histograms left in the cell directories (the
//!   `hgrm_file` column points there). run.json is the first cell's with
//!   the engine and workload lists of all cells and a `sweep` object.
//! - `cells.csv`: per cell its kind, shard, machine, and whether its
//!   timings are comparable with the sweep's other timed cells.

use std::collections::BTreeMap;
use std::path::Path;

use results::latency::{self, Latency};
use results::names::{LATENCY, RUN_JSON, SUMMARY};
use results::summary::{self, Summary};
use results::sweep::{self, Kind, SweepRow};
use results::table::CsvOut;
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::registry::EngineSpec;
use crate::sweep::execute::{kind_of, workload_of, CELLS};
use crate::sweep::expand::Cell;
use crate::sweep::manifest::{machine_line, Manifest};
use crate::sweep::metrics;
use crate::sweep::plan::Plan;

/// The sweep's table of cells.
pub const CELLS_CSV: &str = "cells.csv";
/// The sweep's figures.
pub const SWEEP_CSV: &str = "sweep.csv";

/// The engine label of a cell in the combined files.
pub fn label(plan: &Plan, cell: &Cell) -> String {
    if plan.seeds.len() > 1 {
        format!("{}@seed={}", cell.spec, cell.seed)
    } else {
        cell.spec.clone()
    }
}

/// Write the combined files of `dir` for `cells`; returns the notes.
pub fn write(dir: &Path, plan: &Plan, cells: &[Cell], manifest: &Manifest) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let mut sweep_rows = Vec::new();
    let mut summary_rows = Vec::new();
    let mut latency_rows = Vec::new();
    let mut run: Option<Map<String, Value>> = None;
    let mut engines = Vec::new();
    let mut workloads: Vec<Value> = Vec::new();
    let mut failures = Vec::new();
    let mut no_model = 0usize;

    for cell in cells {
        let cdir = dir.join(CELLS).join(&cell.id);
        if !cdir.join(SUMMARY).is_file() {
            notes.push(format!("cell {}: no results (it failed to run)", cell.id));
            continue;
        }
        let s = Summary::read(&cdir.join(SUMMARY))?;
        let lat = Latency::read(&cdir.join(LATENCY))?;
        let r = results::run_json::read(&cdir.join(RUN_JSON))?;
        let kind = kind_of(plan, cell);
        let label = label(plan, cell);
        let estimates = predictions(plan, cell, &mut notes)?;
        if estimates.is_empty() {
            no_model += 1;
        }
        for row in &s.rows {
            if row.is_time_limited() {
                notes.push(format!(
                    "cell {}: the {} phase was cut short (max_time or an error); its counts depend on the machine's speed",
                    cell.id,
                    row.phase.name()
                ));
            }
            for name in &plan.metrics {
                let Some(m) = metrics::find(name) else {
                    // Plan::parse refuses unknown metric names.
                    continue;
                };
                if m.kind == Kind::Timing && kind == Kind::Count {
                    continue;
                }
                sweep_rows.push(SweepRow {
                    cell: cell.id.clone(),
                    engine: base_engine(&cell.engine).to_string(),
                    spec: cell.spec.clone(),
                    workload: row.workload.clone(),
                    phase: row.phase.name().to_string(),
                    records: plan.records,
                    seed: cell.seed,
                    params: cell.params.clone(),
                    metric: m.name.to_string(),
                    measured: (m.get)(row).map(as_written),
                    model: estimates
                        .iter()
                        .find(|e| e.phase == row.phase.name() && e.metric == m.name)
                        .map(|e| as_written(e.value)),
                    kind: m.kind,
                    line: 0,
                });
            }
            let mut merged = row.clone();
            merged.engine = label.clone();
            summary_rows.push(merged);
        }
        for row in &lat.rows {
            let mut merged = row.clone();
            merged.engine = label.clone();
            merged.hgrm_file = format!("{CELLS}/{}/{}", cell.id, row.hgrm_file);
            latency_rows.push(merged);
        }
        let options = r
            .get("engines")
            .and_then(|e| e.get(0))
            .and_then(|e| e.get("options"))
            .cloned()
            .unwrap_or(Value::Null);
        engines.push(json!({ "spec": label, "options": options }));
        for w in r
            .get("workloads")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = w.get("name");
            match workloads.iter().find(|x| x.get("name") == name) {
                None => workloads.push(w.clone()),
                Some(x) if x != w => notes.push(format!(
                    "cell {}: workload {} ran with other properties than in earlier cells; run.json lists the first",
                    cell.id,
                    name.map_or("?".into(), Value::to_string)
                )),
                Some(_) => {}
            }
        }
        if let Some(f) = r.get("failures").and_then(Value::as_array) {
            failures.extend(f.iter().cloned());
        }
        run.get_or_insert(r);
    }
    if no_model > 0 {
        notes.push(format!(
            "{no_model} cell(s) have no model prediction: the model column is empty there"
        ));
    }
    notes.extend(timing_notes(manifest));

    sweep::write(&dir.join(SWEEP_CSV), &plan.params(), &sweep_rows)?;
    summary::write(&dir.join(SUMMARY), &summary_rows)?;
    let mut w = CsvOut::create(&dir.join(LATENCY), latency::COLUMNS)?;
    for r in &latency_rows {
        w.write_record(r.record())?;
    }
    w.finish()?;
    if let Some(mut r) = run {
        r.insert("run_id".into(), json!(format!("sweep-{}", plan.name)));
        // Plan::parse refuses an empty `seeds`.
        r.insert("seed".into(), json!(plan.seeds[0]));
        r.insert("engines".into(), Value::Array(engines));
        r.insert("workloads".into(), Value::Array(workloads));
        r.insert("failures".into(), Value::Array(failures));
        r.insert(
            "command".into(),
            json!(["harness", "sweep", plan.path.display().to_string()]),
        );
        r.insert(
            "sweep".into(),
            json!({
                "plan": plan.name,
                "plan_hash": plan.hash(),
                "seeds": plan.seeds,
                "cells": cells.len(),
            }),
        );
        let path = dir.join(RUN_JSON);
        let text = serde_json::to_string_pretty(&Value::Object(r))
            .map_err(|e| Error::io("cannot serialize", &path, e.into()))?;
        std::fs::write(&path, text + "\n").map_err(|e| Error::io("cannot write", &path, e))?;
    }
    write_cells_csv(dir, plan, cells, manifest)?;
    Ok(notes)
}

/// `x` as sweep.csv writes it (4 decimals). The writer derives `gap_pct`
/// from the figures it is given and the reader checks it against the
/// figures it reads back, so both must see the same, written, values: a
/// gap computed from unrounded figures can differ in its last decimal.
fn as_written(x: f64) -> f64 {
    format!("{x:.4}").parse().unwrap_or(x)
}

/// The registry's LSM presets are one engine, `lsm`, to the models and
/// in sweep.csv's `engine` column: the registry entry's `model`.
fn base_engine(name: &str) -> &str {
    crate::registry::find(name).map_or(name, |e| e.model)
}

fn predictions(plan: &Plan, cell: &Cell, notes: &mut Vec<String>) -> Result<Vec<models::Estimate>> {
    let spec = EngineSpec::parse(&cell.spec)?;
    let w = workload_of(plan, cell)?;
    let ws = w.spec();
    let sample = ws.insert_count.clamp(1, 1000);
    let mut key = Vec::new();
    let mut total = 0u64;
    for i in 0..sample {
        workloads::stream::key_name(ws, ws.insert_start + i, &mut key);
        total += key.len() as u64;
    }
    // The options the cell's engine was opened with, harness-wide ones
    // (`cache_mb`, `sync`, `background=false` when deterministic) included:
    // the spec alone left the models assuming the default 64 MiB cache.
    let opened = spec.effective_options(
        &crate::run::harness_options(plan.sync, plan.cache_mb),
        plan.deterministic,
    );
    let input = models::Cell {
        engine: base_engine(&cell.engine).to_string(),
        options: opened
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        workload: cell.workload.clone(),
        records: plan.records,
        operations: plan.operations,
        key_bytes: total / sample,
        value_bytes: ws.field_count * ws.field_len,
    };
    match models::predict(&input) {
        Ok(e) => Ok(e),
        Err(e) => {
            notes.push(format!("cell {}: no model prediction: {e}", cell.id));
            Ok(Vec::new())
        }
    }
}

/// Timed cells from more than one machine cannot be compared with each
/// other; counts can.
fn timing_notes(m: &Manifest) -> Vec<String> {
    let machines = timing_machines(m);
    if machines.len() > 1 {
        vec![format!(
            "timed cells ran on {} different machines: their timings are not comparable with each other (cells.csv, timing_comparable = 0)",
            machines.len()
        )]
    } else {
        Vec::new()
    }
}

fn timing_machines(m: &Manifest) -> Vec<&Value> {
    let mut out: Vec<&Value> = Vec::new();
    for c in m.cells.iter().filter(|c| c.kind == Kind::Timing.name()) {
        if !out.contains(&&c.machine) {
            out.push(&c.machine);
        }
    }
    out
}

fn write_cells_csv(dir: &Path, plan: &Plan, cells: &[Cell], m: &Manifest) -> Result<()> {
    let comparable = timing_machines(m).len() <= 1;
    let mut w = CsvOut::create(
        &dir.join(CELLS_CSV),
        &[
            "cell",
            "index",
            "label",
            "workload",
            "seed",
            "kind",
            "shard",
            "seconds",
            "failed",
            "timing_comparable",
            "machine",
        ],
    )?;
    for c in cells {
        let Some(e) = m.cells.iter().find(|e| e.id == c.id) else {
            continue;
        };
        let timing = e.kind == Kind::Timing.name();
        w.write_record([
            c.id.clone(),
            c.index.to_string(),
            label(plan, c),
            c.workload.clone(),
            c.seed.to_string(),
            e.kind.clone(),
            e.shard.map(|s| s.to_string()).unwrap_or_default(),
            format!("{:.3}", e.seconds),
            u8::from(!e.failures.is_empty()).to_string(),
            if timing {
                u8::from(comparable).to_string()
            } else {
                String::new()
            },
            machine_line(&e.machine),
        ])?;
    }
    Ok(w.finish()?)
}

//! A plan expanded into cells: for each `[[grid]]` in file order, the
//! cartesian product of its axis options (the first option the outermost
//! loop, each option's values in the order written), then each workload,
//! then each seed.
//!
//! A cell's id is `<index>-<engine>[-<option>=<value>...]-<workload>-s<seed>`
//! with the axis options only, the index zero-padded to the width of the
//! cell count (at least 3 digits), every character outside
//! `[A-Za-z0-9_.=-]` replaced by `_`. It depends on nothing but the plan,
//! so the same plan gives the same ids on every machine and every shard.
//! Two cells that would run the same spec, workload and seed are a plan
//! error.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::sweep::plan::{spec_string, Plan};

/// One run of the sweep: one engine spec x workload x seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Position in the expansion (what `--shard I/N` slices on).
    pub index: usize,
    /// The index, zero-padded, then engine, axis options, workload and
    /// seed (`003-lsm-size_ratio=4-fill-random-s1`): the cell's directory
    /// name and its row in sweep.csv.
    pub id: String,
    /// The grid's engine name (`lsm`, `lsm-tiered`, `btree`, ...).
    pub engine: String,
    /// Every option of the grid for this cell, fixed ones included, in
    /// the plan's order.
    pub options: Vec<(String, String)>,
    /// The axis options only: sweep.csv's parameter columns.
    pub params: BTreeMap<String, String>,
    /// `engine:k=v,...`: what the cell runs, and its engine label in its
    /// own results directory.
    pub spec: String,
    /// The workload as the plan names it (a preset or a property file).
    pub workload: String,
    /// The seed of this run, one of the plan's `seeds`.
    pub seed: u64,
    /// Line of the grid in the plan.
    pub grid_line: usize,
}

/// Every cell of `plan`, in expansion order.
pub fn cells(plan: &Plan) -> Result<Vec<Cell>> {
    let mut out = Vec::new();
    for grid in &plan.grids {
        // Odometer over the options' values, the last option fastest.
        let sizes: Vec<usize> = grid.options.iter().map(|o| o.values.len()).collect();
        let combos: usize = sizes.iter().product();
        for combo in 0..combos {
            let mut rest = combo;
            let mut picks = vec![0; sizes.len()];
            // picks has one slot per option and each pick is < its
            // option's value count (Plan::parse refuses empty lists), so
            // the indexing below is in bounds.
            for (i, n) in sizes.iter().enumerate().rev() {
                picks[i] = rest % n;
                rest /= n;
            }
            let options: Vec<(String, String)> = grid
                .options
                .iter()
                .zip(&picks)
                .map(|(o, &p)| (o.name.clone(), o.values[p].clone()))
                .collect();
            let params: BTreeMap<String, String> = grid
                .options
                .iter()
                .zip(&options)
                .filter(|(o, _)| o.axis)
                .map(|(_, kv)| kv.clone())
                .collect();
            let axis_opts: Vec<&(String, String)> = grid
                .options
                .iter()
                .zip(&options)
                .filter(|(o, _)| o.axis)
                .map(|(_, kv)| kv)
                .collect();
            for workload in &grid.workloads {
                for &seed in &plan.seeds {
                    let mut id = grid.engine.clone();
                    for (k, v) in &axis_opts {
                        id.push_str(&format!("-{k}={v}"));
                    }
                    id.push_str(&format!("-{}-s{seed}", workload_label(workload)));
                    out.push(Cell {
                        index: out.len(),
                        id,
                        engine: grid.engine.clone(),
                        spec: spec_string(&grid.engine, &options),
                        options: options.clone(),
                        params: params.clone(),
                        workload: workload.clone(),
                        seed,
                        grid_line: grid.line,
                    });
                }
            }
        }
    }
    let width = out.len().to_string().len().max(3);
    for c in &mut out {
        c.id = format!("{:0width$}-{}", c.index, safe(&c.id));
    }
    check_unique(plan, &out)?;
    Ok(out)
}

/// The cells of shard `index` of `count`: those whose position mod
/// `count` is `index`.
pub fn shard(cells: Vec<Cell>, index: usize, count: usize) -> Vec<Cell> {
    cells
        .into_iter()
        .filter(|c| c.index % count == index)
        .collect()
}

/// A property file's workload is named by its stem, as `harness run` does.
fn workload_label(w: &str) -> String {
    if workloads::presets::find(w).is_some() {
        return w.to_string();
    }
    std::path::Path::new(w)
        .file_stem()
        .map_or_else(|| w.to_string(), |s| s.to_string_lossy().into_owned())
}

fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '=' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn check_unique(plan: &Plan, cells: &[Cell]) -> Result<()> {
    let mut seen: HashMap<(&str, &str, u64), &Cell> = HashMap::new();
    for c in cells {
        if let Some(first) = seen.insert((&c.spec, &c.workload, c.seed), c) {
            return Err(Error::Plan {
                path: plan.path.clone(),
                line: Some(c.grid_line),
                message: format!(
                    "cells {} and {} are the same run ({} x {} x seed {}): \
                     remove the repeated grid or value",
                    first.id, c.id, c.spec, c.workload, c.seed
                ),
            });
        }
    }
    Ok(())
}

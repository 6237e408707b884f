//! `harness merge OUT DIR...`: the shards of one sweep into one directory.
//!
//! The shards must be of one plan (the same plan hash, checked against
//! each shard's own plan.toml too), the same seeds and harness version,
//! and the same shard count; together they must hold every cell of the
//! plan exactly once. Anything else is refused with the directories
//! named. The cells' directories are copied (the shards are left as they
//! were) and the combined files are written by the same code an unsharded
//! sweep uses ([`crate::sweep::assemble`]), so the merge of a plan's
//! shards has the same counts as the plan run whole. Each cell keeps the
//! machine it ran on (cells.csv, sweep.json); timed cells from different
//! machines are flagged as not comparable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sweep::assemble;
use crate::sweep::execute::{failures, SweepOutcome, CELLS, PLAN_COPY};
use crate::sweep::expand;
use crate::sweep::manifest::{CellEntry, Manifest};
use crate::sweep::plan::Plan;

/// How many missing cells an error lists before "and N more".
const LIST: usize = 8;

/// Merge the shard directories `dirs` into `out`.
pub fn merge(out: &Path, dirs: &[PathBuf]) -> Result<SweepOutcome> {
    let first_dir = dirs
        .first()
        .ok_or_else(|| Error::Usage("merge needs at least one shard directory".into()))?;
    let mut shards: Vec<(&PathBuf, Manifest)> = Vec::with_capacity(dirs.len());
    for d in dirs {
        shards.push((d, Manifest::read(d)?));
    }
    // `dirs` is not empty (first_dir above), so neither is `shards`.
    let (_, first) = &shards[0];
    let mut plan = Plan::read(&first_dir.join(PLAN_COPY))?;
    // plan.toml's stem is not the plan's name; the manifest has it.
    plan.name = first.plan_name.clone();
    for (d, m) in &shards {
        let shown = d.display();
        let Some(shard) = m.shard else {
            return Err(Error::Merge(format!(
                "{shown} is a whole sweep, not a shard (it ran without --shard)"
            )));
        };
        let text_hash = Plan::read(&d.join(PLAN_COPY))?.hash();
        if text_hash != m.plan_hash {
            return Err(Error::Merge(format!(
                "{shown}: its plan.toml (hash {text_hash}) is not the plan its sweep.json says it ran ({})",
                m.plan_hash
            )));
        }
        let differs = |what: &str, a: String, b: String| {
            Error::Merge(format!(
                "{} and {shown} ran different {what}: {a} in {}, {b} in {shown}",
                first_dir.display(),
                first_dir.display()
            ))
        };
        if m.plan_hash != first.plan_hash {
            return Err(differs(
                "plans",
                format!("`{}` (hash {})", first.plan_name, first.plan_hash),
                format!("`{}` (hash {})", m.plan_name, m.plan_hash),
            ));
        }
        if m.seeds != first.seeds {
            return Err(differs(
                "seeds",
                format!("{:?}", first.seeds),
                format!("{:?}", m.seeds),
            ));
        }
        if m.harness_version != first.harness_version {
            return Err(differs(
                "harness versions",
                first.harness_version.clone(),
                m.harness_version.clone(),
            ));
        }
        if Some(shard.count) != first.shard.map(|s| s.count) {
            return Err(differs(
                "shard counts",
                first.shard.map_or("?".into(), |s| s.to_string()),
                shard.to_string(),
            ));
        }
    }

    // Every cell of the plan exactly once.
    let cells = expand::cells(&plan)?;
    let mut owner: BTreeMap<&str, (&PathBuf, &CellEntry)> = BTreeMap::new();
    for (d, m) in &shards {
        for e in &m.cells {
            if !cells.iter().any(|c| c.id == e.id && c.index == e.index) {
                return Err(Error::Merge(format!(
                    "{}: cell {} is not a cell of plan `{}`",
                    d.display(),
                    e.id,
                    plan.name
                )));
            }
            if let Some((other, _)) = owner.insert(&e.id, (d, e)) {
                return Err(Error::Merge(format!(
                    "cell {} is in both {} and {}: give each shard once",
                    e.id,
                    other.display(),
                    d.display()
                )));
            }
        }
    }
    let missing: Vec<&str> = cells
        .iter()
        .filter(|c| !owner.contains_key(c.id.as_str()))
        .map(|c| c.id.as_str())
        .collect();
    if !missing.is_empty() {
        let count = first.shard.map_or(1, |s| s.count);
        let have: Vec<usize> = shards
            .iter()
            .filter_map(|(_, m)| m.shard.map(|s| s.index))
            .collect();
        let absent: Vec<String> = (0..count)
            .filter(|i| !have.contains(i))
            .map(|i| format!("{i}/{count}"))
            .collect();
        let more = missing.len().saturating_sub(LIST);
        return Err(Error::Merge(format!(
            "{} cell(s) of plan `{}` are in no shard given (missing shards: {}): {}{}",
            missing.len(),
            plan.name,
            if absent.is_empty() {
                "none; a shard lost cells".to_string()
            } else {
                absent.join(", ")
            },
            missing
                .iter()
                .take(LIST)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
    }

    // The merged directory: the plan, every cell's directory, the
    // combined files.
    let cells_dir = out.join(CELLS);
    if cells_dir.exists()
        && std::fs::read_dir(&cells_dir)
            .map_err(|e| Error::io("cannot read", &cells_dir, e))?
            .next()
            .is_some()
    {
        return Err(Error::Usage(format!(
            "{} already holds cells of a sweep: give a new OUT",
            out.display()
        )));
    }
    std::fs::create_dir_all(&cells_dir).map_err(|source| Error::OutDir {
        path: out.to_path_buf(),
        source,
    })?;
    let copy = out.join(PLAN_COPY);
    std::fs::write(&copy, &plan.text).map_err(|e| Error::io("cannot write", &copy, e))?;
    let mut entries = Vec::with_capacity(cells.len());
    for c in &cells {
        // Every cell has an owner: the missing list above was empty.
        let Some((d, e)) = owner.get(c.id.as_str()) else {
            continue;
        };
        let from = d.join(CELLS).join(&c.id);
        if from.is_dir() {
            copy_tree(&from, &cells_dir.join(&c.id))?;
        }
        entries.push((*e).clone());
    }
    let mut manifest = Manifest {
        plan_name: first.plan_name.clone(),
        plan_hash: first.plan_hash.clone(),
        seeds: first.seeds.clone(),
        harness_version: first.harness_version.clone(),
        git_commit: first.git_commit.clone(),
        shard: None,
        cells_total: cells.len(),
        machine: first.machine.clone(),
        started_at: shards
            .iter()
            .map(|(_, m)| m.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: shards
            .iter()
            .map(|(_, m)| m.finished_at.clone())
            .max()
            .unwrap_or_default(),
        cells: entries,
        notes: Vec::new(),
    };
    let commits: std::collections::BTreeSet<_> =
        shards.iter().map(|(_, m)| m.git_commit.clone()).collect();
    let mut notes = Vec::new();
    if commits.len() > 1 {
        notes.push(format!(
            "the shards were built from {} different commits (same harness version)",
            commits.len()
        ));
    }
    notes.extend(assemble::write(out, &plan, &cells, &manifest)?);
    manifest.notes = notes;
    manifest.write(out)?;
    Ok(SweepOutcome {
        dir: out.to_path_buf(),
        cells: cells.len(),
        failures: failures(&manifest),
        notes: manifest.notes,
    })
}

/// Copy the directory `from` to `to` (files and subdirectories).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io("cannot create", to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io("cannot read", from, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| Error::io("cannot stat", &src, e))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| Error::io("cannot copy", &src, e))?;
        }
    }
    Ok(())
}

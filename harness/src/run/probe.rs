//! Each engine opened once before any work, so a bad option value fails
//! the run before a workload starts.
//!
//! Why a probe open and not the registry's option table: the table
//! ([`engine_core::OptionSpec`]: name, default, help) knows option *names*,
//! and [`EngineSpec::parse`](crate::registry::EngineSpec::parse) already
//! rejects an unknown name, listing the valid ones, without opening
//! anything. Option *values* (`bloom_bits=ten`, a page size out of range, a
//! combination the engine refuses) are parsed by each engine's open
//! function, the only value check the engine crates offer; and whether the
//! `--io` mode's Vfs can be made on the data root (`--io direct` on tmpfs)
//! is only known by trying. Both can only fail at open, so every engine is
//! probed: without it such a spec would fail in its first cell, after the
//! cells before it had run.

use std::path::Path;

use engine_core::Options;

use super::RunConfig;
use crate::error::{Error, Result, Stage};

/// Open each engine once in a scratch directory, so a bad option value
/// fails before any workload runs.
pub(super) fn check_engines_open(cfg: &RunConfig, harness: &Options, root: &Path) -> Result<()> {
    for (i, spec) in cfg.engines.iter().enumerate() {
        let dir = root.join(format!(".probe-{i}"));
        if !cfg.io.in_memory() {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        }
        let opened = spec.open(
            &cfg.io.vfs(&dir).map_err(|source| {
                Error::engine(&spec.spec, Stage::Open { path: dir.clone() }, source)
            })?,
            &dir,
            &spec.effective_options(harness, cfg.deterministic),
        );
        drop(opened?);
        if !cfg.io.in_memory() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot remove", &dir, e))?;
        }
    }
    Ok(())
}

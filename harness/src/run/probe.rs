//! Each engine opened once before any work, so a bad option value fails
//! the run before a workload starts.

use std::path::Path;

use engine_core::Options;

use super::RunConfig;
use crate::error::{Error, Result};

/// Open each engine once in a scratch directory, so a bad option value
/// fails before any workload runs.
pub(super) fn check_engines_open(cfg: &RunConfig, harness: &Options, root: &Path) -> Result<()> {
    for (i, spec) in cfg.engines.iter().enumerate() {
        let dir = root.join(format!(".probe-{i}"));
        if !cfg.io.in_memory() {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        }
        let opened = spec.open(
            &cfg.io.vfs(&dir).map_err(|source| Error::EngineOption {
                spec: spec.spec.clone(),
                source: Box::new(source),
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

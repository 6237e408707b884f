//! The data root: where the engine directories of a run live, and what
//! happens to it at the end.

use std::path::{Path, PathBuf};

use super::RunConfig;
use crate::error::{Error, Result};

/// Where engine directories live: `--data-dir`, or a temporary directory
/// under the run directory, removed at the end.
pub(super) enum DataRoot {
    Given(PathBuf),
    Temp(tempfile::TempDir),
}

impl DataRoot {
    pub(super) fn new(cfg: &RunConfig, run_dir: &Path) -> Result<DataRoot> {
        match &cfg.data_dir {
            Some(d) => {
                std::fs::create_dir_all(d)
                    .map_err(|e| Error::io("cannot create data directory", d, e))?;
                Ok(DataRoot::Given(d.clone()))
            }
            None => tempfile::Builder::new()
                .prefix("data-")
                .tempdir_in(run_dir)
                .map(DataRoot::Temp)
                .map_err(|e| Error::io("cannot create data directory in", run_dir, e)),
        }
    }

    pub(super) fn path(&self) -> &Path {
        match self {
            DataRoot::Given(p) => p,
            DataRoot::Temp(t) => t.path(),
        }
    }

    pub(super) fn finish(self, keep: bool) -> Result<()> {
        match self {
            DataRoot::Given(_) => Ok(()),
            DataRoot::Temp(t) if keep => {
                let _kept = t.keep();
                Ok(())
            }
            DataRoot::Temp(t) => {
                let p = t.path().to_path_buf();
                t.close().map_err(|e| Error::io("cannot remove", p, e))
            }
        }
    }
}

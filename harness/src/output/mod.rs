//! The output files of a run (docs/output-format.md): one module per file
//! turning phase results into that file's rows, which the `results` crate
//! formats and writes; and the run directory's lifecycle, here.
//!
//! A run writes `<out>/<run-id>/` (`<run-id>` = `YYYYMMDD-HHMMSS-<seed>`,
//! UTC) and points `<out>/latest` at it: a relative symlink, replaced
//! atomically by renaming a fresh link over it, or a copy of the directory
//! where links cannot be made. `--run-dir DIR` writes into DIR itself
//! instead (how the committed baseline is produced).
//!
//! The directory is created and probed for writability before any engine
//! runs, so a read-only `--out` fails in a second, not after the benchmark.

pub mod engine_metrics;
pub mod events;
pub mod file_list;
pub mod kernel_io;
pub mod latency;
pub mod run_json;
pub mod summary;
pub mod table;
pub mod timeseries;
pub mod timeseries_latency;

use std::fs;
use std::path::{Path, PathBuf};

use results::names::{
    ENGINE_METRICS, EVENTS, KERNEL_IO, REPETITIONS, RUN_JSON, SUMMARY, TIMESERIES,
};

use crate::error::{Error, Result};
use crate::result::PhaseResult;

pub use run_json::RunInfo;

/// Create the run directory (and the out dir) and check it is writable.
pub fn prepare_run_dir(out: &Path, run_id: &str, explicit: Option<&Path>) -> Result<PathBuf> {
    let dir = match explicit {
        Some(dir) => {
            clear_previous_run(dir)?;
            dir.to_path_buf()
        }
        None => unique_dir(out, run_id),
    };
    let bad = |source| Error::OutDir {
        path: dir.clone(),
        source,
    };
    fs::create_dir_all(&dir).map_err(bad)?;
    let probe = dir.join(".write-probe");
    fs::write(&probe, b"probe").map_err(bad)?;
    fs::remove_file(&probe).map_err(bad)?;
    Ok(dir)
}

/// `out/run_id`, or `out/run_id-2`, ... when a run started in the same
/// second with the same seed.
fn unique_dir(out: &Path, run_id: &str) -> PathBuf {
    let mut dir = out.join(run_id);
    let mut n = 2;
    while dir.exists() {
        dir = out.join(format!("{run_id}-{n}"));
        n += 1;
    }
    dir
}

/// `--run-dir` may name an old run (its files replaced, see
/// [`file_list`]) or a new/empty directory; anything else is refused
/// rather than clobbered.
fn clear_previous_run(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let mut entries = fs::read_dir(dir).map_err(|source| Error::OutDir {
        path: dir.to_path_buf(),
        source,
    })?;
    if entries.next().is_none() {
        return Ok(());
    }
    file_list::clear(dir)
}

/// Write summary.csv, latency.csv + histograms, timeseries.csv,
/// timeseries_latency.csv + interval logs, events.csv, engine_metrics.csv
/// and run.json.
pub fn write_all(run_dir: &Path, info: &RunInfo, results: &[PhaseResult]) -> Result<()> {
    summary::write(&run_dir.join(SUMMARY), results)?;
    kernel_io::write(&run_dir.join(KERNEL_IO), results)?;
    latency::write(run_dir, results)?;
    timeseries::write(&run_dir.join(TIMESERIES), results)?;
    timeseries_latency::write(run_dir, results)?;
    events::write(&run_dir.join(EVENTS), results)?;
    engine_metrics::write(&run_dir.join(ENGINE_METRICS), results)?;
    Ok(results::run_json::write(&run_dir.join(RUN_JSON), info)?)
}

/// Write every repetition's rows (`--repetitions` > 1): `repetitions.csv`
/// (summary.csv's columns) and `latency_repetitions.csv` with its
/// histograms under `histograms/rep<N>/`.
pub fn write_repetitions(run_dir: &Path, every_rep: &[PhaseResult]) -> Result<()> {
    summary::write(&run_dir.join(REPETITIONS), every_rep)?;
    latency::write_repetitions(run_dir, every_rep)
}

/// Point `<out>/latest` at `run_dir`: a relative symlink, or a copy.
pub fn update_latest(out: &Path, run_dir: &Path) -> Result<()> {
    let latest = out.join("latest");
    let name = run_dir
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{} has no file name", run_dir.display())))?;
    let tmp = out.join(format!(".latest-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    #[cfg(unix)]
    {
        if std::os::unix::fs::symlink(name, &tmp).is_ok() {
            if latest.is_dir() && !is_symlink(&latest) {
                fs::remove_dir_all(&latest).map_err(|e| Error::io("cannot replace", &latest, e))?;
            }
            return fs::rename(&tmp, &latest).map_err(|e| Error::io("cannot replace", &latest, e));
        }
    }
    // No symlinks here: copy the run.
    if is_symlink(&latest) || latest.is_file() {
        fs::remove_file(&latest).map_err(|e| Error::io("cannot replace", &latest, e))?;
    } else if latest.is_dir() {
        fs::remove_dir_all(&latest).map_err(|e| Error::io("cannot replace", &latest, e))?;
    }
    copy_dir(run_dir, &latest)
}

fn is_symlink(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| Error::io("cannot create", to, e))?;
    for entry in fs::read_dir(from).map_err(|e| Error::io("cannot read", from, e))? {
        let entry = entry.map_err(|e| Error::io("cannot read", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| Error::io("cannot copy", &src, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dir_is_unique_and_latest_follows() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = prepare_run_dir(tmp.path(), "20260101-000000-1", None).expect("first");
        let b = prepare_run_dir(tmp.path(), "20260101-000000-1", None).expect("second");
        assert_ne!(a, b);
        assert!(b.ends_with("20260101-000000-1-2"));
        update_latest(tmp.path(), &a).expect("link a");
        update_latest(tmp.path(), &b).expect("link b");
        let target = fs::canonicalize(tmp.path().join("latest")).expect("resolves");
        assert_eq!(target, fs::canonicalize(&b).expect("exists"));
    }

    #[test]
    fn unwritable_out_dir_is_a_clear_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("not-a-dir");
        fs::write(&file, b"x").expect("write");
        let err = prepare_run_dir(&file, "r", None).expect_err("a file is not a directory");
        assert!(matches!(err, Error::OutDir { .. }), "{err}");
        assert!(err.to_string().contains("not-a-dir"));
    }

    #[test]
    fn explicit_run_dir_replaces_only_a_previous_run() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("baseline");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("notes.txt"), b"mine").expect("write");
        let err = prepare_run_dir(tmp.path(), "r", Some(&dir)).expect_err("foreign dir");
        assert!(err.to_string().contains("refusing"), "{err}");
        assert!(dir.join("notes.txt").exists(), "nothing deleted");
        fs::remove_file(dir.join("notes.txt")).expect("rm");
        fs::write(dir.join("run.json"), b"{}").expect("write");
        file_list::record(&dir).expect("listed");
        let got = prepare_run_dir(tmp.path(), "r", Some(&dir)).expect("old run replaced");
        assert_eq!(got, dir);
        assert!(!dir.join("run.json").exists());
    }
}

//! Which files of a run directory the harness wrote, so that replacing a
//! run (`--run-dir D`, `make baseline`) deletes those and nothing else.
//!
//! When a run is complete, every file under its directory is listed in
//! [`FILE_LIST`], one path per line, relative to the directory. The run
//! directory was new, empty, or a previous run cleared this same way, so
//! everything in it then is the harness's. Replacing a run removes the
//! listed files, plus what `make plots` may have added since (`charts/`'s
//! images and pages, `report.html`), then the directories left empty. A
//! file the list does not name (a user's `thesis.tex`) stops the
//! replacement before anything is removed: the harness never deletes what
//! it did not write.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The list's file name in a run directory.
pub const FILE_LIST: &str = ".harness-files";

/// List every file now under `run_dir` in its [`FILE_LIST`].
pub fn record(run_dir: &Path) -> Result<()> {
    let mut files = walk(run_dir)?;
    files.remove(Path::new(FILE_LIST));
    let mut text = String::new();
    for f in &files {
        text.push_str(&f.to_string_lossy());
        text.push('\n');
    }
    let path = run_dir.join(FILE_LIST);
    fs::write(&path, text).map_err(|e| Error::io("cannot write", &path, e))
}

/// Remove a previous run's files from `dir`, or refuse (removing nothing)
/// when `dir` holds anything the harness did not write there.
pub fn clear(dir: &Path) -> Result<()> {
    let list_path = dir.join(FILE_LIST);
    let listed: BTreeSet<PathBuf> = match fs::read_to_string(&list_path) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Usage(format!(
                "--run-dir {}: the directory is not empty and has no {FILE_LIST} list of files \
                 a previous run wrote; refusing to delete anything in it (remove it yourself, \
                 or pick another directory)",
                dir.display()
            )))
        }
        Err(e) => return Err(Error::io("cannot read", &list_path, e)),
    };
    let present = walk(dir)?;
    let foreign: Vec<&PathBuf> = present
        .iter()
        .filter(|p| p.as_path() != Path::new(FILE_LIST) && !listed.contains(*p) && !is_chart(p))
        .collect();
    if !foreign.is_empty() {
        let names: Vec<String> = foreign
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        return Err(Error::Usage(format!(
            "--run-dir {}: holds {} file(s) no run wrote ({}{}); refusing to replace it",
            dir.display(),
            foreign.len(),
            names.join(", "),
            if foreign.len() > 5 { ", ..." } else { "" }
        )));
    }
    for rel in &present {
        let path = dir.join(rel);
        fs::remove_file(&path).map_err(|e| Error::io("cannot remove", &path, e))?;
    }
    remove_empty_dirs(dir, dir)
}

/// What `plots` writes into a run directory after the run (`make plots`).
fn is_chart(rel: &Path) -> bool {
    if rel == Path::new("report.html") {
        return true;
    }
    let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
    rel.starts_with("charts") && matches!(ext, "svg" | "png" | "html")
}

/// Every file (or symlink, not followed) under `root`, relative to it.
fn walk(root: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io("cannot list", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("cannot list", &dir, e))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| Error::io("cannot stat", &path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.insert(rel.to_path_buf());
            }
        }
    }
    Ok(out)
}

/// Remove the directories under `dir` that are now empty (not `root`).
fn remove_empty_dirs(root: &Path, dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("cannot list", dir, e))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_dirs(root, &entry.path())?;
        }
    }
    if dir != root && fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none()) {
        fs::remove_dir(dir).map_err(|e| Error::io("cannot remove", dir, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_dir() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("run");
        fs::create_dir_all(dir.join("histograms")).expect("mkdir");
        fs::write(dir.join("run.json"), b"{}").expect("write");
        fs::write(dir.join("histograms/a.hgrm"), b"h").expect("write");
        record(&dir).expect("listed");
        (tmp, dir)
    }

    #[test]
    fn a_previous_run_is_removed_file_by_file() {
        let (_tmp, dir) = run_dir();
        fs::create_dir_all(dir.join("charts")).expect("mkdir");
        fs::write(dir.join("charts/x.svg"), b"<svg/>").expect("drawn later by make plots");
        clear(&dir).expect("cleared");
        assert!(dir.is_dir(), "the directory itself stays");
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 0);
    }

    #[test]
    fn a_users_file_beside_a_run_stops_the_replacement_and_nothing_is_deleted() {
        let (_tmp, dir) = run_dir();
        fs::write(dir.join("thesis.tex"), b"mine").expect("write");
        let e = clear(&dir).expect_err("refused");
        assert!(e.to_string().contains("thesis.tex"), "{e}");
        for f in ["thesis.tex", "run.json", "histograms/a.hgrm", FILE_LIST] {
            assert!(dir.join(f).exists(), "{f} was deleted");
        }
    }

    #[test]
    fn a_run_json_alone_does_not_make_a_directory_ours() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("d");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("run.json"), b"{}").expect("write");
        fs::write(dir.join("thesis.tex"), b"mine").expect("write");
        let e = clear(&dir).expect_err("no list");
        assert!(e.to_string().contains(FILE_LIST), "{e}");
        assert!(dir.join("thesis.tex").exists());
    }
}

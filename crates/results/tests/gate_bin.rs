//! `results-gate`, the engine-free gate binary: the committed baseline
//! passes against itself, and a bad command line exits 2 (harness gate's
//! status for "cannot compare").

use std::path::Path;
use std::process::Command;

fn gate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_results-gate"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn the_baseline_passes_against_itself() {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../results/baseline");
    let b = baseline.to_str().expect("utf-8 path");
    let out = gate(&["--baseline", b, "--candidate", b]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("gate: PASS"), "{stdout}");
}

#[test]
fn a_missing_directory_or_flag_exits_2() {
    let out = gate(&[
        "--baseline",
        "/nonexistent/a",
        "--candidate",
        "/nonexistent/b",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/a"));
    let out = gate(&["--baseline", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--candidate"));
}

//! The charts and the gate read a results directory through the same
//! readers (the `results` crate), so a file cannot pass one and fail the
//! other: for each kind of damage, both refuse it with the same message
//! naming the file, the line and the column.

mod common;

use std::fs;
use std::path::Path;

use plots::{render_run, Error};

/// Replace the `n`-th (0-based) cell of data line `line` (1-based, counting
/// the header as line 1) in `file`. The fixture's first engine names need
/// no quoting, so splitting on commas is exact on the rows edited here.
fn set_cell(dir: &Path, file: &str, line: usize, n: usize, value: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).expect("fixture file");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[line - 1].split(',').map(str::to_owned).collect();
    cells[n] = value.to_owned();
    lines[line - 1] = cells.join(",");
    fs::write(&path, lines.join("\n") + "\n").expect("write");
}

fn both_refuse(dir: &Path) -> String {
    let gate = results::dir::ResultsDir::read(dir).expect_err("the gate's reader refuses it");
    let charts = render_run(dir).expect_err("the charts refuse it");
    assert!(
        matches!(charts, Error::Results(_)),
        "the charts' error comes from the shared reader: {charts:?}"
    );
    assert_eq!(gate.to_string(), charts.to_string());
    gate.to_string()
}

#[test]
fn damaged_files_fail_the_charts_and_the_gate_alike() {
    // (file, line, cell, value, what the message must name)
    let cases: [(&str, usize, usize, &str, &str); 5] = [
        ("summary.csv", 2, 7, "-5", "ops_per_sec"),
        ("summary.csv", 3, 10, " 1.2", "write_amp"),
        ("summary.csv", 2, 2, "warmup", "phase"),
        ("latency.csv", 2, 3, "reads", "op"),
        ("latency.csv", 3, 8, "", "p99_us"),
    ];
    for (file, line, cell, value, column) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        common::write_run(dir.path());
        set_cell(dir.path(), file, line, cell, value);
        let msg = both_refuse(dir.path());
        assert!(
            msg.contains(file) && msg.contains(&format!("line {line}")) && msg.contains(column),
            "{msg}"
        );
    }
}

#[test]
fn an_undamaged_fixture_reads_for_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_run(dir.path());
    results::dir::ResultsDir::read(dir.path()).expect("the gate reads it");
    render_run(dir.path()).expect("the charts draw it");
}

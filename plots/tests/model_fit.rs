//! A sweep's directory (an ordinary run plus `sweep.csv`, written by the
//! results crate's writer) gets measured-against-model charts and a table
//! of the cells whose measured figure is more than 20% from the model.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::write_run;
use plots::{render_run, ChartKind};
use results::sweep::{self, Kind, SweepRow};

fn row(
    cell: &str,
    params: &[(&str, &str)],
    metric: &str,
    measured: f64,
    model: Option<f64>,
) -> SweepRow {
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let spec = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    SweepRow {
        cell: cell.into(),
        engine: "lsm".into(),
        spec: format!("lsm:{spec}"),
        workload: "fill-random".into(),
        phase: "run".into(),
        records: 0,
        seed: 42,
        params,
        metric: metric.into(),
        measured: Some(measured),
        model,
        kind: Kind::Count,
        line: 0,
    }
}

/// Size ratio 2..8 under both compaction styles: write amp within the
/// limit except c1 (+25%) and c5 (+30%); c3 is exactly 20% (not over);
/// space amp all close; one cell without a model.
///
/// Every gap here is positive: `results::sweep::read` currently refuses a
/// negative `gap_pct` (it reads the column as a non-negative number), so
/// a sweep whose measured figure falls below its model cannot be read
/// back yet; that is the results crate's to fix.
fn write_sweep(dir: &Path) {
    let rows = vec![
        row(
            "c0",
            &[("size_ratio", "2"), ("compaction", "leveled")],
            "write_amp",
            5.5,
            Some(5.0),
        ),
        row(
            "c1",
            &[("size_ratio", "4"), ("compaction", "leveled")],
            "write_amp",
            10.0,
            Some(8.0),
        ),
        row(
            "c2",
            &[("size_ratio", "8"), ("compaction", "leveled")],
            "write_amp",
            14.0,
            Some(13.0),
        ),
        row(
            "c3",
            &[("size_ratio", "2"), ("compaction", "tiered")],
            "write_amp",
            3.6,
            Some(3.0),
        ),
        row(
            "c4",
            &[("size_ratio", "4"), ("compaction", "tiered")],
            "write_amp",
            2.6,
            Some(2.5),
        ),
        row(
            "c5",
            &[("size_ratio", "8"), ("compaction", "tiered")],
            "write_amp",
            2.6,
            Some(2.0),
        ),
        row(
            "c0",
            &[("size_ratio", "2"), ("compaction", "leveled")],
            "space_amp",
            1.1,
            Some(1.05),
        ),
        row(
            "c1",
            &[("size_ratio", "4"), ("compaction", "leveled")],
            "space_amp",
            1.2,
            Some(1.1),
        ),
        row(
            "c2",
            &[("size_ratio", "8"), ("compaction", "leveled")],
            "space_amp",
            1.2,
            None,
        ),
    ];
    let params = vec!["size_ratio".to_string(), "compaction".to_string()];
    sweep::write(&dir.join("sweep.csv"), &params, &rows).expect("sweep.csv written");
}

#[test]
fn a_sweep_gets_model_charts_and_names_the_large_gaps() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_run(dir.path());
    write_sweep(dir.path());
    let report = render_run(dir.path()).expect("sweep renders");

    let fits: Vec<String> = report
        .charts
        .iter()
        .filter(|c| c.kind == ChartKind::ModelFit)
        .map(|c| {
            c.svg
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    // compaction is not numeric: it splits the series, it is no axis.
    assert_eq!(
        fits,
        [
            "model-lsm-write_amp-size_ratio.svg",
            "model-lsm-space_amp-size_ratio.svg"
        ]
    );
    for c in report
        .charts
        .iter()
        .filter(|c| c.kind == ChartKind::ModelFit)
    {
        assert!(c.svg.is_file() && c.png.is_file(), "{}", c.svg.display());
        let svg = fs::read_to_string(&c.svg).expect("svg");
        assert!(svg.contains(&c.title), "{}", c.svg.display());
    }
    let write_chart =
        fs::read_to_string(dir.path().join("charts/model-lsm-write_amp-size_ratio.svg"))
            .expect("svg");
    assert!(
        write_chart.contains("compaction=leveled") && write_chart.contains("compaction=tiered")
    );

    let html = fs::read_to_string(&report.html).expect("report");
    assert!(
        html.contains("href=\"#model\""),
        "contents link the section"
    );
    let table = &html[html.find("<table id=\"model-gaps\">").expect("gap table")..];
    let table = &table[..table.find("</table>").expect("table ends")];
    let cells: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("<tr><td>"))
        .filter_map(|l| l.split("</td>").next())
        .collect();
    // Largest gap first: c5 (+30%), then c1 (+25%); c3 (20%) is not over.
    assert_eq!(cells, ["c5", "c1"]);
    assert!(
        table.contains("+30.0") && table.contains("+25.0"),
        "{table}"
    );
}

#[test]
fn a_sweep_within_the_limit_says_so_and_a_plain_run_has_no_section() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_run(dir.path());
    let rows = vec![
        row(
            "c0",
            &[("bloom_bits", "0")],
            "read_ios_per_op",
            1.0,
            Some(1.0),
        ),
        row(
            "c1",
            &[("bloom_bits", "10")],
            "read_ios_per_op",
            0.02,
            Some(0.0195),
        ),
    ];
    sweep::write(
        &dir.path().join("sweep.csv"),
        &["bloom_bits".to_string()],
        &rows,
    )
    .expect("written");
    let report = render_run(dir.path()).expect("renders");
    let html = fs::read_to_string(&report.html).expect("report");
    assert!(html.contains("no cell's measured figure is more than 20% from its model"));
    assert!(!html.contains("model-gaps"));
    assert_eq!(
        report
            .charts
            .iter()
            .filter(|c| c.kind == ChartKind::ModelFit)
            .count(),
        1
    );

    let plain = tempfile::tempdir().expect("temp dir");
    write_run(plain.path());
    let report = render_run(plain.path()).expect("renders");
    let html = fs::read_to_string(&report.html).expect("report");
    assert!(!html.contains("id=\"model\""));
    assert!(report.charts.iter().all(|c| c.kind != ChartKind::ModelFit));
}

#[test]
fn a_malformed_sweep_names_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_run(dir.path());
    write_sweep(dir.path());
    let path = dir.path().join("sweep.csv");
    let text = fs::read_to_string(&path).expect("sweep");
    fs::write(&path, text.replace(",count", ",cnt")).expect("rewrite");
    let e = render_run(dir.path()).expect_err("malformed sweep");
    assert!(e.to_string().contains("sweep.csv"), "{e}");
}

/// `PLOTS_FIXTURE_DIR=/tmp/x cargo test -p plots --test model_fit -- --ignored`
/// leaves a rendered sweep there to look at.
#[test]
#[ignore]
fn write_sweep_fixture_for_inspection() {
    let dir = std::env::var("PLOTS_FIXTURE_DIR").expect("set PLOTS_FIXTURE_DIR");
    let dir = Path::new(&dir);
    write_run(dir);
    write_sweep(dir);
    render_run(dir).expect("renders");
}

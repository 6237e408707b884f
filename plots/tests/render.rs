//! Renders the fixture run and checks every chart, the report and the
//! errors a broken run gives.

mod common;

use std::fs;
use std::path::Path;

use common::{write_run, write_run_with, ENGINES};
use plots::{render_run, ChartKind, Error};

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_run(dir.path());
    dir
}

fn assert_png(path: &Path) {
    let bytes = fs::read(path).expect("png readable");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} lacks the PNG signature",
        path.display()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().expect("png decodes");
    let info = reader.info();
    assert!(
        info.width >= 800 && info.height >= 500,
        "{}: {}x{}",
        path.display(),
        info.width,
        info.height
    );
}

fn assert_svg(path: &Path, title: &str) {
    let text = fs::read_to_string(path).expect("svg readable");
    let head = text.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "{} is not SVG",
        path.display()
    );
    assert!(
        text.trim_end().ends_with("</svg>"),
        "{} is not closed",
        path.display()
    );
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        text.contains(&escaped),
        "{} lacks its title {title:?}",
        path.display()
    );
}

#[test]
fn renders_every_chart_as_svg_and_png() {
    let dir = fixture();
    let report = render_run(dir.path()).expect("fixture renders");

    let mut names: Vec<String> = report
        .charts
        .iter()
        .map(|c| c.svg.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "amplification-ycsb-a.svg",
            "amplification-ycsb-c.svg",
            "latency-ycsb-a-load.svg",
            "latency-ycsb-a-run.svg",
            "latency-ycsb-c-load.svg",
            "latency-ycsb-c-run.svg",
            "rum-ycsb-a.svg",
            "throughput-load.svg",
            "throughput-run.svg",
            "timeline-ycsb-a-load.svg",
            "timeline-ycsb-a-run.svg",
            "timeline-ycsb-c-load.svg",
            "timeline-ycsb-c-run.svg",
        ]
    );
    for chart in &report.charts {
        assert_eq!(
            chart.svg.parent(),
            Some(dir.path().join("charts").as_path())
        );
        assert_svg(&chart.svg, &chart.title);
        assert_png(&chart.png);
        assert!(!chart.caption.is_empty());
    }
    // Every kind but the sweep's (the fixture is an ordinary run, with no
    // sweep.csv; tests/model_fit.rs draws those).
    for kind in ChartKind::ALL {
        assert!(
            kind == ChartKind::ModelFit || report.charts.iter().any(|c| c.kind == kind),
            "no {kind:?} chart"
        );
    }
}

#[test]
fn report_links_every_chart_and_has_the_summary_table() {
    let dir = fixture();
    let report = render_run(dir.path()).expect("fixture renders");
    let html = fs::read_to_string(&report.html).expect("report written");
    assert_eq!(report.html, dir.path().join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "the report needs no JavaScript");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the report needs no network"
    );
    for chart in &report.charts {
        let svg = format!(
            "charts/{}",
            chart.svg.file_name().unwrap().to_string_lossy()
        );
        let png = format!(
            "charts/{}",
            chart.png.file_name().unwrap().to_string_lossy()
        );
        assert!(
            html.contains(&format!("<img src=\"{svg}\"")),
            "report does not embed {svg}"
        );
        assert!(
            html.contains(&format!("href=\"{png}\"")),
            "report does not link {png}"
        );
        assert!(html.contains(&plots::report::esc(&chart.caption)));
    }
    let summary = &html[html.find("id=\"summary\"").expect("summary section")..];
    for e in &ENGINES {
        assert!(
            summary.contains(&format!("<td>{}</td>", e.name)),
            "summary table lacks {}",
            e.name
        );
    }
    // Parameters and machine from run.json.
    assert!(html.contains("20261124-120000-42"));
    assert!(html.contains("Test CPU @ 3.0GHz"));
    assert!(html.contains("24 GiB"));
}

#[test]
fn empty_amplification_cells_are_left_out_not_drawn_as_zero() {
    let dir = fixture();
    let report = render_run(dir.path()).expect("fixture renders");
    // ycsb-c's run phase writes nothing: no write bar for it, and no zeros.
    let amp_c = fs::read_to_string(dir.path().join("charts/amplification-ycsb-c.svg")).unwrap();
    assert!(amp_c.contains("read (run)"));
    assert!(!amp_c.contains("write (run)"));
    assert!(!amp_c.contains(">0×<"));
    // The load phase reads nothing: no read bars for it.
    assert!(!amp_c.contains("read (load)"));
    // Without write amplification there is no RUM point; the chart says so.
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("RUM chart for ycsb-c skipped")));
}

#[test]
fn one_engine_and_one_workload_still_render() {
    let dir = tempfile::tempdir().unwrap();
    write_run_with(dir.path(), &[&ENGINES[1]], &["ycsb-a"]);
    let report = render_run(dir.path()).expect("renders");
    assert_eq!(report.charts.len(), 8);
    for chart in &report.charts {
        assert_png(&chart.png);
        assert_svg(&chart.svg, &chart.title);
    }
}

#[test]
fn missing_optional_files_skip_their_charts_with_a_warning() {
    let dir = fixture();
    fs::remove_file(dir.path().join("timeseries.csv")).unwrap();
    fs::remove_file(dir.path().join("latency.csv")).unwrap();
    fs::remove_dir_all(dir.path().join("histograms")).unwrap();
    let report = render_run(dir.path()).expect("renders without optional files");
    assert!(report
        .charts
        .iter()
        .all(|c| c.kind != ChartKind::Timeline && c.kind != ChartKind::LatencySpectrum));
    assert!(report.warnings.iter().any(|w| w.contains("timeseries.csv")));
    assert!(report.warnings.iter().any(|w| w.contains("histogram")));
    let html = fs::read_to_string(&report.html).unwrap();
    assert!(html.contains("timeseries.csv: not found"));
}

#[test]
fn histograms_are_found_by_name_without_latency_csv() {
    let dir = fixture();
    fs::remove_file(dir.path().join("latency.csv")).unwrap();
    let report = render_run(dir.path()).expect("renders");
    let spectra = report
        .charts
        .iter()
        .filter(|c| c.kind == ChartKind::LatencySpectrum)
        .count();
    assert_eq!(spectra, 4);
}

#[test]
fn missing_summary_names_the_file() {
    let dir = fixture();
    fs::remove_file(dir.path().join("summary.csv")).unwrap();
    let err = render_run(dir.path()).expect_err("summary.csv is required");
    assert!(
        matches!(err, Error::Results(results::Error::MissingFile { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("summary.csv"), "{err}");
}

#[test]
fn missing_run_json_names_the_file() {
    let dir = fixture();
    fs::remove_file(dir.path().join("run.json")).unwrap();
    let err = render_run(dir.path()).expect_err("run.json is required");
    assert!(err.to_string().contains("run.json"), "{err}");
}

#[test]
fn malformed_value_names_file_line_and_column() {
    let dir = fixture();
    let path = dir.path().join("summary.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Line 4 of the file: the third data row. ops_per_sec is the 8th column
    // (the engine name may be quoted and contain commas, so edit from the end).
    let fields: Vec<&str> = lines[3].rsplitn(17, ',').collect();
    assert_eq!(fields.len(), 17);
    let ops_per_sec = fields[16].rsplit_once(',').unwrap();
    lines[3] = format!(
        "{},fast,{}",
        ops_per_sec.0,
        fields[..16]
            .iter()
            .rev()
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    );
    fs::write(&path, lines.join("\n") + "\n").unwrap();

    let err = render_run(dir.path()).expect_err("`fast` is not a number");
    let msg = err.to_string();
    assert!(
        matches!(&err, Error::Results(results::Error::Malformed { line: 4, column, .. }) if column == "ops_per_sec"),
        "{err:?}"
    );
    assert!(
        msg.contains("summary.csv") && msg.contains("line 4") && msg.contains("ops_per_sec"),
        "{msg}"
    );
}

#[test]
fn short_row_names_the_first_missing_column() {
    let dir = fixture();
    let path = dir.path().join("timeseries.csv");
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("btree,ycsb-a,run,11\n");
    fs::write(&path, &text).unwrap();
    let line = text.lines().count() as u64;
    let err = render_run(dir.path()).expect_err("short row");
    assert!(
        matches!(&err, Error::Results(results::Error::Malformed { line: l, column, .. }) if *l == line && column == "interval_s"),
        "{err:?}"
    );
    assert!(err.to_string().contains("timeseries.csv"));
}

#[test]
fn missing_column_is_named() {
    let dir = fixture();
    let path = dir.path().join("latency.csv");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replacen("p99_us", "p99", 1);
    fs::write(&path, text).unwrap();
    let err = render_run(dir.path()).expect_err("no p99_us");
    assert!(
        matches!(&err, Error::Results(results::Error::MissingColumn { column, .. }) if column == "p99_us"),
        "{err:?}"
    );
    assert!(err.to_string().contains("latency.csv"));
}

#[test]
fn malformed_histogram_names_file_and_line() {
    let dir = fixture();
    let path = dir.path().join("histograms/btree.ycsb-a.run.read.hgrm");
    let mut lines: Vec<String> = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines[4] = "   12.5 not-a-percentile 3 4".to_owned();
    fs::write(&path, lines.join("\n")).unwrap();
    let err = render_run(dir.path()).expect_err("bad histogram");
    let msg = err.to_string();
    assert!(
        msg.contains("btree.ycsb-a.run.read.hgrm")
            && msg.contains("line 5")
            && msg.contains("Percentile"),
        "{msg}"
    );
}

/// `PLOTS_FIXTURE_DIR=/tmp/x cargo test -p plots -- --ignored` leaves a
/// rendered fixture there to look at.
#[test]
#[ignore]
fn write_fixture_for_inspection() {
    let dir = std::env::var("PLOTS_FIXTURE_DIR").expect("set PLOTS_FIXTURE_DIR");
    let dir = Path::new(&dir);
    write_run(dir);
    let report = render_run(dir).expect("renders");
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
}

#[test]
fn many_engines_with_long_names_render() {
    let names = [
        "mem",
        "naive-log",
        "hash-log",
        "btree",
        "lsm-leveled",
        "lsm-tiered",
        "lsm:bloom_bits=0,compaction=leveled,memtable_mb=64,level0_files=8",
        "fjall",
        "redb",
        "rocksdb",
        "lsm:compaction=tiered,size_ratio=4",
    ];
    let specs: Vec<common::EngineSpec> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let f = i as f64 + 1.0;
            common::EngineSpec {
                name,
                base_us: 0.5 * f,
                stall: f * 3.0,
                ops_per_sec: 2_000_000.0 / f.powi(3),
                write_amp: 1.0 + f * 1.5,
                read_amp: 1.0 + 50.0 / f,
                read_ios: 0.2 * f,
                space_amp: 1.0 + 0.2 * f,
            }
        })
        .collect();
    let refs: Vec<&common::EngineSpec> = specs.iter().collect();
    let dir = tempfile::tempdir().unwrap();
    write_run_with(dir.path(), &refs, &["ycsb-a"]);
    let report = render_run(dir.path()).expect("renders");
    for chart in &report.charts {
        assert_png(&chart.png);
        assert_svg(&chart.svg, &chart.title);
    }
    if let Ok(keep) = std::env::var("PLOTS_FIXTURE_DIR") {
        let keep = Path::new(&keep).join("many");
        let _ = fs::remove_dir_all(&keep);
        fs::create_dir_all(&keep).unwrap();
        for chart in &report.charts {
            fs::copy(&chart.png, keep.join(chart.png.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn missing_run_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("20260101-000000-1");
    let err = render_run(&gone).expect_err("no such directory");
    assert!(matches!(err, Error::NoRunDir { .. }), "{err:?}");
    assert!(err.to_string().contains("20260101-000000-1"));
}

#[test]
fn each_engine_keeps_its_colour_in_every_chart() {
    let dir = fixture();
    let report = render_run(dir.path()).expect("fixture renders");
    // Colours by order of first appearance in summary.csv: hash-log,
    // btree, lsm. Every fixture chart shows all three engines.
    for chart in &report.charts {
        let svg = fs::read_to_string(&chart.svg).unwrap();
        for colour in ["#1F77B4", "#FF7F0E", "#2CA02C"] {
            assert!(
                svg.contains(colour),
                "{} lacks {colour}",
                chart.svg.display()
            );
        }
    }
}

#[test]
fn an_engine_without_files_is_left_out_of_the_rum_chart_and_named() {
    // mem writes no files: no disk bytes, so space amplification 0.
    let mem = common::EngineSpec {
        name: "mem",
        base_us: 0.5,
        stall: 1.0,
        ops_per_sec: 1_000_000.0,
        write_amp: 0.0,
        read_amp: 0.0,
        read_ios: 0.0,
        space_amp: 0.0,
    };
    let dir = tempfile::tempdir().unwrap();
    write_run_with(dir.path(), &[&mem, &ENGINES[0]], &["ycsb-a"]);
    render_run(dir.path()).expect("renders");
    let svg = fs::read_to_string(dir.path().join("charts/rum-ycsb-a.svg")).unwrap();
    assert!(
        svg.contains("not shown: mem (no storage)"),
        "no note for mem"
    );
    assert!(!svg.contains("mem · space"), "mem drawn as a point");
    assert!(svg.contains("hash-log · space"), "hash-log missing");
}

#[test]
fn kernel_counted_engines_are_left_out_of_the_bytes_panel_and_named() {
    // Reference engines bypass the Vfs: their per-interval Vfs bytes are 0,
    // which drawn as a line would read as "wrote nothing".
    let dir = tempfile::tempdir().unwrap();
    write_run_with(dir.path(), &[&ENGINES[0], &ENGINES[1]], &["ycsb-a"]);
    let path = dir.path().join("summary.csv");
    let summary = fs::read_to_string(&path).unwrap();
    let kernel: String = summary
        .lines()
        .map(|l| match l.strip_suffix(",vfs") {
            Some(rest) if l.starts_with("btree,") => format!("{rest},kernel\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    assert_ne!(kernel, summary, "the fixture has btree rows ending in vfs");
    fs::write(&path, kernel).unwrap();
    render_run(dir.path()).expect("renders");
    let svg = fs::read_to_string(dir.path().join("charts/timeline-ycsb-a-load.svg")).unwrap();
    assert!(
        svg.contains("no bytes per interval for btree (kernel-counted)"),
        "kernel-counted engine not named"
    );
}

#[test]
fn the_timeline_draws_p99_per_interval_when_the_run_has_it() {
    let dir = tempfile::tempdir().unwrap();
    write_run_with(dir.path(), &[&ENGINES[0], &ENGINES[1]], &["ycsb-a"]);
    render_run(dir.path()).expect("renders");
    let timeline = dir.path().join("charts/timeline-ycsb-a-run.svg");
    let svg = fs::read_to_string(&timeline).unwrap();
    assert!(svg.contains("p99 latency per interval"), "no p99 panel");

    // An older run, without timeseries_latency.csv: no p99 panel, no error.
    fs::remove_file(dir.path().join("timeseries_latency.csv")).unwrap();
    render_run(dir.path()).expect("renders without the file");
    let svg = fs::read_to_string(&timeline).unwrap();
    assert!(
        !svg.contains("p99 latency per interval"),
        "p99 panel from nothing"
    );
    assert!(svg.contains("throughput per interval"));
}

#[test]
fn the_timeline_draws_engine_events_in_lanes_under_their_phase() {
    use results::events::{write, EventRow};
    use results::Phase;
    let dir = tempfile::tempdir().unwrap();
    write_run_with(dir.path(), &[&ENGINES[0], &ENGINES[1]], &["ycsb-a"]);
    let event = |engine: &str, kind: &str, start_s: f64| EventRow {
        engine: engine.into(),
        workload: "ycsb-a".into(),
        phase: Phase::Run,
        start_s,
        end_s: start_s + 0.05,
        kind: kind.into(),
        bytes_in: 1e6,
        bytes_out: 9e5,
        detail: "3 segments -> 1".into(),
    };
    let rows = [
        event("hash-log", "merge", 0.2),
        event("btree", "checkpoint", 0.4),
    ];
    write(&dir.path().join(results::names::EVENTS), &rows).unwrap();
    render_run(dir.path()).expect("renders");
    let svg = |phase: &str| {
        fs::read_to_string(
            dir.path()
                .join(format!("charts/timeline-ycsb-a-{phase}.svg")),
        )
        .unwrap()
    };
    let run = svg("run");
    assert!(run.contains("engine events (events.csv)"), "no lanes");
    // The merge's purple and the checkpoint's green spans.
    assert!(run.contains("#8E24AA"), "no merge span");
    assert!(run.contains("#34A853"), "no checkpoint span");
    assert!(
        !svg("load").contains("engine events"),
        "lanes without events"
    );
}

//! `report.html`: one self-contained page per run. No scripts, no network:
//! a style block, the run's parameters and machine, the summary table and
//! every chart (the SVGs by relative path, each linking its PNG too).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::charts::{model_fit, ChartFile, ChartKind};
use crate::draw::format;
use crate::error::{Error, Result};
use crate::input::run_info::scalar_text;
use crate::input::RunData;

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1250px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; margin-top: 0.3em; }
.warn { color: #8a5300; }
.muted { color: #777; }
.params { display: flex; gap: 2em; flex-wrap: wrap; }
";

/// run.json's top-level fields in the order docs/output-format.md lists them.
const RUN_FIELDS: [&str; 11] = [
    "run_id",
    "started_at",
    "git_commit",
    "seed",
    "threads",
    "sync",
    "cache_mb",
    "target_ops",
    "warmup_ops",
    "max_time_s",
    "harness_version",
];

/// Writes `<run>/report.html` and returns its path.
pub fn write(run: &RunData, charts: &[ChartFile], warnings: &[String]) -> Result<PathBuf> {
    let path = run.dir.join("report.html");
    let html = render(run, charts, warnings);
    std::fs::write(&path, html).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// The page as a string.
pub fn render(run: &RunData, charts: &[ChartFile], warnings: &[String]) -> String {
    let run_id = run.info.text("run_id").unwrap_or_else(|| {
        run.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut h = String::new();
    // Writing to a String cannot fail; the results of write! are ignored below.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Workbench run {id}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Workbench run {id}</h1>\n<p class=\"muted\">{engines}, {workloads}. \
         Charts are in <code>charts/</code> as SVG and PNG.</p>\n",
        id = esc(&run_id),
        engines = crate::charts::count(run.engines.len(), "engine"),
        workloads = crate::charts::count(run.workloads.len(), "workload"),
    );
    h.push_str(&contents(charts, run.sweep.is_some()));
    parameters(&mut h, run);
    summary_table(&mut h, run);
    latency_table(&mut h, run);
    if !warnings.is_empty() {
        h.push_str("<h2 id=\"warnings\">Warnings</h2>\n<ul>\n");
        for w in warnings {
            let _ = writeln!(h, "<li class=\"warn\">{}</li>", esc(w));
        }
        h.push_str("</ul>\n");
    }
    for kind in ChartKind::ALL {
        let of_kind: Vec<&ChartFile> = charts.iter().filter(|c| c.kind == kind).collect();
        let sweep_section = kind == ChartKind::ModelFit && run.sweep.is_some();
        if of_kind.is_empty() && !sweep_section {
            continue;
        }
        let _ = writeln!(
            h,
            "<h2 id=\"{}\">{}</h2>",
            anchor(kind),
            esc(kind.heading())
        );
        if sweep_section {
            gap_table(&mut h, run);
        }
        for c in of_kind {
            let svg = rel(&c.svg);
            let png = rel(&c.png);
            let _ = writeln!(
                h,
                "<figure>\n<a href=\"{svg}\"><img src=\"{svg}\" alt=\"{title}\"></a>\n\
                 <figcaption>{caption} <a href=\"{png}\">PNG</a></figcaption>\n</figure>",
                svg = esc(&svg),
                png = esc(&png),
                title = esc(&c.title),
                caption = esc(&c.caption),
            );
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn anchor(kind: ChartKind) -> &'static str {
    match kind {
        ChartKind::Throughput => "throughput",
        ChartKind::LatencySpectrum => "latency",
        ChartKind::Amplification => "amplification",
        ChartKind::Rum => "rum",
        ChartKind::Timeline => "timeline",
        ChartKind::ModelFit => "model",
    }
}

fn contents(charts: &[ChartFile], has_sweep: bool) -> String {
    let mut links = vec![
        "<a href=\"#parameters\">Parameters</a>".to_owned(),
        "<a href=\"#summary\">Summary</a>".to_owned(),
    ];
    for kind in ChartKind::ALL {
        let sweep_section = kind == ChartKind::ModelFit && has_sweep;
        if sweep_section || charts.iter().any(|c| c.kind == kind) {
            links.push(format!(
                "<a href=\"#{}\">{}</a>",
                anchor(kind),
                esc(kind.heading())
            ));
        }
    }
    format!("<p>{}</p>\n", links.join(" · "))
}

/// A chart path relative to the run directory: charts/<file>.
fn rel(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("charts/{name}")
}

fn parameters(h: &mut String, run: &RunData) {
    h.push_str("<h2 id=\"parameters\">Parameters</h2>\n<div class=\"params\">\n<div>\n<h3>Run</h3>\n<table>\n");
    // The contract's fields in its order, then any others by name.
    let mut keys: Vec<&String> = run.info.fields.keys().collect();
    keys.sort_by_key(|k| {
        let known = RUN_FIELDS.iter().position(|f| f == k);
        (known.unwrap_or(RUN_FIELDS.len()), k.as_str())
    });
    for k in keys {
        let v = &run.info.fields[k];
        if matches!(v, Value::Object(_) | Value::Array(_)) {
            continue;
        }
        let _ = writeln!(
            h,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(k),
            esc(&scalar_text(v))
        );
    }
    h.push_str("</table>\n</div>\n");
    if let Some(Value::Object(machine)) = run.info.fields.get("machine") {
        h.push_str("<div>\n<h3>Machine</h3>\n<table>\n");
        for (k, v) in machine {
            let shown = match (k.as_str(), v.as_f64()) {
                ("memory_bytes", Some(b)) => format::bytes(b),
                _ => scalar_text(v),
            };
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&shown));
        }
        h.push_str("</table>\n</div>\n");
    }
    h.push_str("</div>\n");
    for (key, name_key, inner_key, heading) in [
        ("engines", "spec", "options", "Engines"),
        ("workloads", "name", "properties", "Workloads"),
    ] {
        let Some(Value::Array(items)) = run.info.fields.get(key) else {
            continue;
        };
        let _ = writeln!(h, "<h3>{heading}</h3>\n<table>");
        for item in items {
            let name = item.get(name_key).map(scalar_text).unwrap_or_default();
            let inner = match item.get(inner_key) {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| format!("{}={}", esc(k), esc(&scalar_text(v))))
                    .collect::<Vec<_>>()
                    .join(", "),
                Some(other) => esc(&scalar_text(other)),
                None => String::new(),
            };
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(&name), inner);
        }
        h.push_str("</table>\n");
    }
    // Anything else nested that a newer harness added.
    for (k, v) in &run.info.fields {
        if matches!(k.as_str(), "machine" | "engines" | "workloads") {
            continue;
        }
        if matches!(v, Value::Object(_) | Value::Array(_)) {
            let _ = writeln!(h, "<h3>{}</h3>\n<pre>{}</pre>", esc(k), esc(&v.to_string()));
        }
    }
}

/// How an empty (undefined) ratio is shown.
const UNDEFINED: &str = "<span class=\"muted\" title=\"undefined\">—</span>";

fn summary_table(h: &mut String, run: &RunData) {
    h.push_str(
        "<h2 id=\"summary\">Summary</h2>\n<p class=\"muted\">From summary.csv. \
         Empty amplification cells are undefined (no user writes, nothing read, or no live data).</p>\n\
         <table>\n<tr><th>engine</th><th>workload</th><th>phase</th><th>ops/s</th>\
         <th>write amp</th><th>read amp</th><th>read I/Os per op</th><th>space amp</th></tr>\n",
    );
    let amp = |v: Option<f64>| match v {
        Some(x) => format::sig(x, 3),
        None => UNDEFINED.to_owned(),
    };
    for r in &run.summary.rows {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.engine),
            esc(&r.workload),
            esc(&r.phase),
            format::si(r.ops_per_sec),
            amp(r.write_amp),
            amp(r.read_amp),
            amp(r.read_ios_per_op),
            amp(r.space_amp),
        );
    }
    h.push_str(
        "</table>\n<details>\n<summary>Every column of summary.csv</summary>\n<table>\n<tr>",
    );
    for c in &run.summary.table.headers {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>\n");
    for (_, fields) in &run.summary.table.rows {
        h.push_str("<tr>");
        for f in fields {
            let class = if f.parse::<f64>().is_ok() {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(h, "<td{class}>{}</td>", esc(f));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</details>\n");
}

/// The sweep's cells whose measured figure is more than
/// [`model_fit::GAP_LIMIT_PCT`] from its model, largest gap first.
fn gap_table(h: &mut String, run: &RunData) {
    let Some(sweep) = &run.sweep else { return };
    let limit = model_fit::GAP_LIMIT_PCT;
    let gaps = model_fit::large_gaps(&sweep.rows);
    if gaps.is_empty() {
        let _ = writeln!(
            h,
            "<p>From sweep.csv: no cell's measured figure is more than {limit}% from its model.</p>"
        );
        return;
    }
    let _ = writeln!(
        h,
        "<p>From sweep.csv: the cells whose measured figure is more than {limit}% from \
         the model's (<code>gap_pct = 100 (measured - model) / model</code>), largest first. \
         Either the engine does not behave as its design predicts, or the workload breaks \
         one of the model's assumptions (see the models crate).</p>\n<table id=\"model-gaps\">\n\
         <tr><th>cell</th><th>engine</th><th>workload</th><th>phase</th><th>parameters</th>\
         <th>metric</th><th>measured</th><th>model</th><th>gap %</th></tr>"
    );
    for r in gaps {
        let params = r
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let num = |v: Option<f64>| v.map(|x| format::sig(x, 4)).unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.cell),
            esc(&r.engine),
            esc(&r.workload),
            esc(&r.phase),
            esc(&params),
            esc(&r.metric),
            num(r.measured),
            num(r.model),
            r.gap_pct().map(|g| format!("{g:+.1}")).unwrap_or_default(),
        );
    }
    h.push_str("</table>\n");
}

fn latency_table(h: &mut String, run: &RunData) {
    let Some(rows) = &run.latency else { return };
    h.push_str(
        "<details>\n<summary>Latency percentiles from latency.csv (µs)</summary>\n<table>\n\
         <tr><th>engine</th><th>workload</th><th>phase</th><th>op</th><th>count</th>\
         <th>p50</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n",
    );
    for r in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&r.engine),
            esc(&r.workload),
            esc(&r.phase),
            esc(&r.op),
        );
        let _ = write!(h, "<td class=\"num\">{}</td>", format::si(r.count));
        for v in [r.p50_us, r.p99_us, r.p999_us, r.max_us] {
            let _ = write!(h, "<td class=\"num\">{}</td>", format::sig(v, 3));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</details>\n");
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

//! Throughput over time: for one workload and phase, operations per second
//! in each interval (top), the interval's p99 latency (middle, the worst
//! operation type's, when the run has `timeseries_latency.csv`) and
//! cumulative storage bytes written, one line per engine; beneath them, when
//! the run has `events.csv`, one lane per engine with the background work
//! it reported (flushes, compactions, checkpoints, merges, write stalls) as
//! spans. A flush or compaction that blocks writers shows as a dip on top
//! and a spike in the middle above its span in the lanes.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{count, legend_for, ChartKind, Output};
use crate::draw::{engine_colour, format, header, legend, text, Axis, DrawResult, Figure};
use crate::error::Result;
use crate::input::{RunData, TimeseriesRow};
use results::events::EventRow;

/// Series with at most this many points also get a marker at each point.
const MARKED_POINTS: usize = 40;

struct TimelineFigure {
    title: String,
    subtitle: String,
    /// (engine index, rows in time order).
    series: Vec<(usize, Vec<TimeseriesRow>)>,
    /// Engines measured by the kernel's accounting: their Vfs byte counts
    /// are zero, not their writes, so the bytes panel leaves them out.
    kernel_counted: Vec<usize>,
    t_max: f64,
    legend: Vec<legend::Entry>,
    /// (lane, event) for the events panel; lanes are `lanes`' engines.
    events: Vec<(usize, EventRow)>,
    lanes: Vec<String>,
}

/// Each event kind's colour in the lanes, and its legend text.
const KIND_COLOURS: &[(&str, RGBColor)] = &[
    ("flush", RGBColor(66, 133, 244)),
    ("compaction", RGBColor(234, 134, 0)),
    ("checkpoint", RGBColor(52, 168, 83)),
    ("merge", RGBColor(142, 36, 170)),
    ("write_stall", RGBColor(219, 50, 54)),
];

fn kind_colour(kind: &str) -> RGBColor {
    KIND_COLOURS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(RGBColor(120, 120, 120), |(_, c)| *c)
}

type Series = Vec<(usize, Vec<(f64, f64)>)>;

impl Figure for TimelineFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 820)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, &self.title, &self.subtitle)?;
        let plot = legend::beside(&body, "engine", &self.legend)?;
        let plot = if self.events.is_empty() {
            plot
        } else {
            let h = plot.dim_in_pixel().1;
            let lanes_h = (70 + 26 * self.lanes.len() as u32).min(h / 3);
            let (rest, lanes) = plot.split_vertically(h - lanes_h);
            self.lanes_panel(&lanes)?;
            rest
        };
        let max = self
            .series
            .iter()
            .filter(|(i, _)| !self.kernel_counted.contains(i))
            .flat_map(|(_, rows)| rows.iter().map(|r| r.storage_bytes_written))
            .fold(0.0, f64::max);
        // A phase that wrote nothing (read-only) gets no bytes panel.
        let h = plot.dim_in_pixel().1;
        let (top, bottom) = if max > 0.0 {
            plot.split_vertically(h * 62 / 100)
        } else {
            plot.split_vertically(h)
        };
        let mut p99 = self.points(|r| r.p99_us.unwrap_or(f64::NAN));
        for (_, points) in &mut p99 {
            points.retain(|(_, v)| v.is_finite());
        }
        p99.retain(|(_, points)| !points.is_empty());
        let (top, middle) = if p99.is_empty() {
            (top, None)
        } else {
            let th = top.dim_in_pixel().1;
            let (a, b) = top.split_vertically(th / 2);
            (a, Some(b))
        };

        let ops = self.points(|r| r.ops_per_sec);
        let y = Axis::for_values(
            ops.iter().flat_map(|(_, p)| p.iter().map(|(_, v)| *v)),
            1.08,
        );
        let desc = if y.is_log() {
            "throughput (ops/s, log)"
        } else {
            "throughput (ops/s)"
        };
        self.panel(&top, "throughput per interval", desc, &ops, y)?;

        if let Some(middle) = middle {
            let y = Axis::for_values(
                p99.iter().flat_map(|(_, p)| p.iter().map(|(_, v)| *v)),
                1.08,
            );
            let desc = if y.is_log() {
                "p99 (µs, log)"
            } else {
                "p99 (µs)"
            };
            self.panel(
                &middle,
                "p99 latency per interval (worst operation type)",
                desc,
                &p99,
                y,
            )?;
        }

        if max <= 0.0 {
            return Ok(());
        }
        // Cumulative bytes on a linear axis in one binary unit, so a
        // compaction's burst shows as a step.
        let (div, unit) = format::byte_unit(max);
        let mut written = self.points(|r| r.storage_bytes_written / div);
        written.retain(|(i, _)| !self.kernel_counted.contains(i));
        let y = Axis::linear(0.0, max / div * 1.08);
        self.panel(
            &bottom,
            "storage bytes written since the phase started (cumulative)",
            &format!("written ({unit})"),
            &written,
            y,
        )
    }
}

impl TimelineFigure {
    /// One lane per engine, each event a span from its start to its end
    /// (at least 2 px wide, so a short stall is still seen), coloured by
    /// kind.
    fn lanes_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let n = self.lanes.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .margin_left(24)
            .caption(
                "engine events (events.csv): flush blue, compaction orange, checkpoint green, merge purple, write stall red",
                text(15.0, BLACK),
            )
            .x_label_area_size(30)
            .y_label_area_size(80)
            .build_cartesian_2d(Axis::linear(0.0, self.t_max * 1.03), Axis::linear(0.0, n))?;
        let lane_name = |y: &f64| {
            let i = y.floor() as usize;
            match self.lanes.get(i) {
                Some(name) if (y - i as f64 - 0.5).abs() < 0.01 => name.clone(),
                _ => String::new(),
            }
        };
        let x_fmt = |x: &f64| format::sig(*x, 3);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&lane_name)
            .y_labels(2 * self.lanes.len() + 1)
            .x_labels(12)
            .label_style(text(13.0, BLACK))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        let px = self.t_max * 1.03 / f64::from(area.dim_in_pixel().0.max(1));
        chart.draw_series(self.events.iter().map(|(lane, e)| {
            let y = *lane as f64;
            let end = e.end_s.max(e.start_s + 2.0 * px);
            Rectangle::new(
                [(e.start_s, y + 0.15), (end, y + 0.85)],
                kind_colour(&e.kind).filled(),
            )
        }))?;
        Ok(())
    }

    fn points(&self, value: impl Fn(&TimeseriesRow) -> f64) -> Series {
        self.series
            .iter()
            .map(|(e, rows)| (*e, rows.iter().map(|r| (r.t_s, value(r))).collect()))
            .collect()
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        y_desc: &str,
        series: &Series,
        y: Axis,
    ) -> DrawResult<(), DB> {
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .margin_left(24)
            .caption(caption, text(17.0, BLACK))
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(Axis::linear(0.0, self.t_max * 1.03), y)?;
        let x_fmt = |x: &f64| format::sig(*x, 3);
        let y_fmt = |v: &f64| format::si(*v);
        chart
            .configure_mesh()
            .x_desc("time since phase start (s)")
            .y_desc(y_desc)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_labels(12)
            .y_labels(7)
            .label_style(text(14.0, BLACK))
            .axis_desc_style(text(15.0, BLACK))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        for (engine, points) in series {
            let colour = engine_colour(*engine);
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?;
            if points.len() <= MARKED_POINTS {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
            }
        }
        Ok(())
    }
}

/// Writes `timeline-<workload>-<phase>` for each workload and phase in
/// timeseries.csv.
pub fn render(run: &RunData, out: &mut Output) -> Result<()> {
    let Some(rows) = &run.timeseries else {
        // RunData::load already warned that the file is missing.
        return Ok(());
    };
    // Runs before events.csv existed have none; an empty lane panel is
    // left out rather than drawn.
    let events_path = run.dir.join(results::names::EVENTS);
    let all_events = if events_path.exists() {
        results::events::read(&events_path)?
    } else {
        Vec::new()
    };
    for workload in &run.workloads {
        for phase in run.phases() {
            let mut series: Vec<(usize, Vec<TimeseriesRow>)> = Vec::new();
            for (index, engine) in run.engines.iter().enumerate() {
                let mut mine: Vec<TimeseriesRow> = rows
                    .iter()
                    .filter(|r| &r.engine == engine && &r.workload == workload && r.phase == phase)
                    .cloned()
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                mine.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
                series.push((index, mine));
            }
            if series.is_empty() {
                continue;
            }
            let drawn: Vec<usize> = series.iter().map(|(i, _)| *i).collect();
            let (lanes, events) = lanes_of(run, &drawn, &all_events, workload, &phase);
            // Work that ran while the engine settled after the phase's last
            // interval is drawn too.
            let t_max = series
                .iter()
                .flat_map(|(_, r)| r.iter().map(|r| r.t_s))
                .chain(events.iter().map(|(_, e)| e.end_s))
                .fold(0.0, f64::max);
            let wrote = series
                .iter()
                .any(|(_, rows)| rows.iter().any(|r| r.storage_bytes_written > 0.0));
            let kernel_counted: Vec<usize> = drawn
                .iter()
                .copied()
                .filter(|&i| {
                    run.summary
                        .get(&run.engines[i], workload, &phase)
                        .is_some_and(|r| r.kernel_counted())
                })
                .collect();
            let mut lower = if wrote {
                "dips on top with steps below are flushes or compactions".to_string()
            } else {
                "no storage writes in this phase".to_string()
            };
            if !kernel_counted.is_empty() {
                let names: Vec<&str> = kernel_counted
                    .iter()
                    .map(|&i| run.engines[i].as_str())
                    .collect();
                lower = format!(
                    "{lower} · no bytes per interval for {} (kernel-counted)",
                    names.join(", ")
                );
            }
            let title = format!("Throughput over time: {workload}, {phase} phase");
            let subtitle = format!(
                "per interval (timeseries.csv) · {lower} · {}",
                count(drawn.len(), "engine")
            );
            let caption = format!(
                "Operations per second and p99 latency (of the worst operation type) in each interval, and cumulative storage bytes written, {workload} ({phase} phase); dips and spikes show stalls."
            );
            let fig = TimelineFigure {
                title: title.clone(),
                subtitle,
                series,
                kernel_counted,
                t_max,
                legend: legend_for(run, |e| drawn.contains(&run.engine_index(e))),
                events,
                lanes,
            };
            out.write(
                &fig,
                ChartKind::Timeline,
                &["timeline", workload, &phase],
                &title,
                caption,
            )?;
        }
    }
    Ok(())
}

/// The lanes (engines drawn that reported events in this workload and
/// phase, in the run's engine order) and each event with its lane.
fn lanes_of(
    run: &RunData,
    drawn: &[usize],
    events: &[EventRow],
    workload: &str,
    phase: &str,
) -> (Vec<String>, Vec<(usize, EventRow)>) {
    let mine: Vec<&EventRow> = events
        .iter()
        .filter(|e| e.workload == workload && e.phase.name() == phase)
        .collect();
    let lanes: Vec<String> = drawn
        .iter()
        .map(|&i| run.engines[i].clone())
        .filter(|name| mine.iter().any(|e| &e.engine == name))
        .collect();
    let placed = mine
        .into_iter()
        .filter_map(|e| {
            let lane = lanes.iter().position(|l| *l == e.engine)?;
            Some((lane, e.clone()))
        })
        .collect();
    (lanes, placed)
}

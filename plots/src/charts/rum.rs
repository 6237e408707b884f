//! The RUM view (Read, Update, Memory overheads; Athanassoulis et al.): each
//! engine is one point, write amplification across, read I/Os per get or
//! scan up, marker area growing with space amplification. No design wins on
//! all three; the chart shows which corner each engine chose. A log has
//! write amplification near 1 and many reads; a B+tree few reads and more
//! writes; an LSM tree sits between, moved by its compaction policy.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ChartKind, Output};
use crate::draw::{engine_colour, format, header, legend, text, Axis, DrawResult, Figure, GREY};
use crate::error::Result;
use crate::input::RunData;

struct Point {
    engine: usize,
    name: String,
    write_amp: f64,
    read_ios: f64,
    space_amp: Option<f64>,
}

struct RumFigure {
    title: String,
    subtitle: String,
    points: Vec<Point>,
    note: Option<String>,
    legend: Vec<legend::Entry>,
}

/// Engine specs longer than this are shortened in point labels (the legend
/// has them in full).
const LABEL_CHARS: usize = 32;

fn short(name: &str) -> String {
    if name.chars().count() <= LABEL_CHARS {
        name.to_owned()
    } else {
        name.chars()
            .take(LABEL_CHARS - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// A point as drawn: its data and pixel position, marker radius and label.
struct Mark {
    at: (f64, f64),
    x: i32,
    y: i32,
    r: i32,
    label: String,
}

/// Indices of `marks` grouped so that marks whose centres lie within
/// `tolerance` pixels of a group's first mark share its label; groups keep
/// the order of their first mark, members their own order.
fn group_marks(marks: &[Mark], tolerance: i32) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, m) in marks.iter().enumerate() {
        let near = |g: &&mut Vec<usize>| {
            let f = &marks[g[0]];
            (f.x - m.x).abs() <= tolerance && (f.y - m.y).abs() <= tolerance
        };
        match groups.iter_mut().find(|g| near(g)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Marker radius in pixels for a space amplification.
fn radius(space_amp: Option<f64>) -> i32 {
    match space_amp {
        Some(s) if s > 1.0 => (7.0 + 6.0 * s.log2()).clamp(7.0, 28.0) as i32,
        _ => 7,
    }
}

impl RumFigure {
    /// Under the engine legend: what marker sizes mean.
    fn size_key<DB: DrawingBackend>(
        &self,
        body: &DrawingArea<DB, Shift>,
        plot: &DrawingArea<DB, Shift>,
    ) -> DrawResult<(), DB> {
        let x0 = plot.dim_in_pixel().0 as i32 + 8;
        let mut y = legend::bottom(&self.legend) + 24;
        body.draw_text("marker size: space amp", &text(16.0, GREY), (x0, y))?;
        y += 28;
        for s in [1.0, 2.0, 4.0] {
            let r = radius(Some(s));
            body.draw(&Circle::new((x0 + 28, y + r), r, GREY.mix(0.4).filled()))?;
            body.draw(&Circle::new((x0 + 28, y + r), r, GREY.stroke_width(1)))?;
            body.draw_text(&format!("{s}×"), &text(15.0, BLACK), (x0 + 64, y + r - 8))?;
            y += 2 * r + 10;
        }
        Ok(())
    }
}

impl Figure for RumFigure {
    fn size(&self) -> (u32, u32) {
        (1200, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, &self.title, &self.subtitle)?;
        let plot = legend::beside(&body, "engine", &self.legend)?;
        self.size_key(&body, &plot)?;
        let (plot, foot) = plot.split_vertically(plot.dim_in_pixel().1.saturating_sub(34));
        // Wide headroom: the labels sit right of and above the markers.
        let x = Axis::for_values(self.points.iter().map(|p| p.write_amp), 1.25);
        let y = Axis::for_values(self.points.iter().map(|p| p.read_ios), 1.25);
        // Zero has no place on a log axis: such a point sits on its floor
        // (every read served from memory shows as the lowest value drawn).
        let (x_floor, y_floor) = (x.is_log().then(|| x.floor()), y.is_log().then(|| y.floor()));
        let drawn = move |p: &Point| {
            let on = |v: f64, floor: Option<f64>| match floor {
                Some(f) if v < f => f,
                _ => v,
            };
            (on(p.write_amp, x_floor), on(p.read_ios, y_floor))
        };
        let floored: Vec<&str> = self
            .points
            .iter()
            .filter(|p| y_floor.is_some_and(|f| p.read_ios < f))
            .map(|p| p.name.as_str())
            .collect();
        let mut foot_lines: Vec<String> = self.note.iter().cloned().collect();
        if !floored.is_empty() {
            foot_lines.push(format!(
                "on the floor of the log axis: 0 read I/Os ({})",
                floored.join(", ")
            ));
        }
        foot.draw_text(&foot_lines.join(" · "), &text(14.0, GREY), (90, 8))?;
        let x_desc = if x.is_log() {
            "write amplification (×, log)"
        } else {
            "write amplification (×)"
        };
        let y_desc = if y.is_log() {
            "read I/Os per get or scan (log)"
        } else {
            "read I/Os per get or scan"
        };
        let mut chart = ChartBuilder::on(&plot)
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x, y)?;
        let fmt = |v: &f64| format::si(*v);
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .label_style(text(14.0, BLACK))
            .axis_desc_style(text(16.0, BLACK))
            .bold_line_style(RGBColor(215, 215, 215))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;

        // Largest first, so small markers stay visible on top.
        let mut order: Vec<&Point> = self.points.iter().collect();
        order.sort_by_key(|p| std::cmp::Reverse(radius(p.space_amp)));
        for p in &order {
            let colour = engine_colour(p.engine);
            let r = radius(p.space_amp);
            chart.draw_series(std::iter::once(Circle::new(
                drawn(p),
                r,
                colour.mix(0.55).filled(),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                drawn(p),
                r,
                colour.stroke_width(2),
            )))?;
        }

        // Labels: try a few places around each marker and take the first
        // that overlaps no label already placed and stays inside the plot.
        // Points that land on (nearly) the same pixel share one label, a
        // line per engine: separate labels could only cover each other.
        let style = text(14.0, BLACK);
        let (px_range, py_range) = chart.plotting_area().get_pixel_range();
        let marks: Vec<Mark> = self
            .points
            .iter()
            .map(|p| {
                let (x, y) = chart.backend_coord(&drawn(p));
                let name = short(&p.name);
                let label = match p.space_amp {
                    Some(s) => format!("{name} · space {}×", format::sig(s, 3)),
                    None => name,
                };
                Mark {
                    at: drawn(p),
                    x,
                    y,
                    r: radius(p.space_amp),
                    label,
                }
            })
            .collect();
        // Markers are obstacles too, so a label never covers another point.
        let mut placed: Vec<(i32, i32, i32, i32)> = marks
            .iter()
            .map(|m| (m.x - m.r, m.y - m.r, m.x + m.r, m.y + m.r))
            .collect();
        for group in group_marks(&marks, 6) {
            let first = &marks[group[0]];
            let mut w = 0;
            let mut line_h = 0;
            for &i in &group {
                let (lw, lh) = plot.estimate_text_size(&marks[i].label, &style)?;
                w = w.max(lw as i32);
                line_h = line_h.max(lh as i32 + 2);
            }
            let h = line_h * group.len() as i32;
            let (cx, cy) = (first.x, first.y);
            let r = group.iter().map(|&i| marks[i].r).max().unwrap_or(first.r) + 4;
            let candidates = [
                (r, -h / 2),
                (-r - w, -h / 2),
                (-w / 2, -r - h),
                (-w / 2, r),
                (r, -h - r / 2),
                (r, r / 2),
                (-r - w, r / 2),
                (-r - w, -h - r / 2),
            ];
            let fits = |(dx, dy): (i32, i32)| {
                let rect = (cx + dx, cy + dy, cx + dx + w, cy + dy + h);
                let inside = rect.0 >= px_range.start
                    && rect.2 <= px_range.end
                    && rect.1 >= py_range.start
                    && rect.3 <= py_range.end;
                let free = placed
                    .iter()
                    .all(|o| rect.2 < o.0 || rect.0 > o.2 || rect.3 < o.1 || rect.1 > o.3);
                inside && free
            };
            // With no free place, the first one, moved inside the plot (a
            // point on the floor of the axis must not push its label off).
            let (dx, dy) = candidates
                .iter()
                .copied()
                .find(|c| fits(*c))
                .unwrap_or_else(|| {
                    let (dx, dy) = candidates[0];
                    let dx = dx.min(px_range.end - w - cx).max(px_range.start - cx);
                    let dy = dy.min(py_range.end - h - cy).max(py_range.start - cy);
                    (dx, dy)
                });
            placed.push((cx + dx, cy + dy, cx + dx + w, cy + dy + h));
            for (line, &i) in group.iter().enumerate() {
                let label = marks[i].label.clone();
                let offset = (dx, dy + line as i32 * line_h);
                chart.draw_series(std::iter::once(
                    EmptyElement::at(first.at)
                        + Text::new(label, offset, style.pos(Pos::new(HPos::Left, VPos::Top))),
                ))?;
            }
        }
        Ok(())
    }
}

/// Writes `rum-<workload>` for each workload, from its run phase (or its
/// only phase if it has no run phase).
pub fn render(run: &RunData, out: &mut Output) -> Result<()> {
    for workload in &run.workloads {
        let phases = run.phases();
        let phase = if phases.iter().any(|p| p == "run") {
            "run".to_owned()
        } else {
            match phases.last() {
                Some(p) => p.clone(),
                None => continue,
            }
        };
        let mut points = Vec::new();
        let mut left_out = Vec::new();
        for (engine, name) in run.engines.iter().enumerate() {
            let Some(row) = run.summary.get(name, workload, &phase) else {
                continue;
            };
            // An engine with no files (mem) has nothing to trade: drawn at
            // the origin it would read as the best design, which it is not.
            if row.space_amp == Some(0.0) {
                left_out.push(format!("{name} (no storage)"));
                continue;
            }
            match (row.write_amp, row.read_ios_per_op) {
                (Some(w), Some(r)) => points.push(Point {
                    engine,
                    name: name.clone(),
                    write_amp: w,
                    read_ios: r,
                    space_amp: row.space_amp,
                }),
                (w, _) => left_out.push(format!(
                    "{name} ({})",
                    if w.is_none() { "no writes" } else { "no reads" }
                )),
            }
        }
        if points.is_empty() {
            out.skip(format!(
                "RUM chart for {workload} skipped: no engine has both write amplification and read I/Os per op in the {phase} phase"
            ));
            continue;
        }
        let note = (!left_out.is_empty()).then(|| format!("not shown: {}", left_out.join(", ")));
        let title = format!("RUM trade-off: {workload}, {phase} phase");
        let subtitle =
            "nearer the origin is better on both axes · bigger marker = more space amplification (disk bytes per live byte)"
                .to_owned();
        let drawn: Vec<usize> = points.iter().map(|p| p.engine).collect();
        let caption = format!(
            "Each engine's write amplification against read I/Os per get or scan on {workload} ({phase} phase); marker size is space amplification."
        );
        let fig = RumFigure {
            title: title.clone(),
            subtitle,
            points,
            note,
            legend: super::legend_for(run, |e| drawn.contains(&run.engine_index(e))),
        };
        out.write(&fig, ChartKind::Rum, &["rum", workload], &title, caption)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(x: i32, y: i32, label: &str) -> Mark {
        Mark {
            at: (0.0, 0.0),
            x,
            y,
            r: 7,
            label: label.into(),
        }
    }

    #[test]
    fn coincident_points_share_one_label_and_apart_ones_do_not() {
        // Four LSM presets at one spot (every read served by the memtable),
        // one a pixel off, and two engines elsewhere.
        let marks = [
            mark(100, 300, "lsm-leveled"),
            mark(400, 50, "btree"),
            mark(100, 300, "lsm-tiered"),
            mark(101, 299, "lsm-leveled-nobloom"),
            mark(100, 300, "lsm-tiered-nobloom"),
            mark(120, 300, "hash-log"),
        ];
        assert_eq!(
            group_marks(&marks, 6),
            vec![vec![0, 2, 3, 4], vec![1], vec![5]]
        );
        assert_eq!(
            group_marks(&marks, 0),
            vec![vec![0, 2, 4], vec![1], vec![3], vec![5]]
        );
    }
}

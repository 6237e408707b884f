//! Throughput: operations per second of every engine on every workload, one
//! chart per phase (run first: it is the workload's mix; load is inserts).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{Bars, Group};
use super::{count, legend_for, ChartKind, Output};
use crate::draw::{format, header, legend, Axis, DrawResult, Figure};
use crate::error::Result;
use crate::input::RunData;

struct ThroughputFigure {
    title: String,
    subtitle: String,
    bars: Bars,
    legend: Vec<legend::Entry>,
}

impl Figure for ThroughputFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let body = header(root, &self.title, &self.subtitle)?;
        let plot = legend::beside(&body, "engine", &self.legend)?;
        self.bars.draw(&plot)
    }
}

/// Writes `throughput-<phase>` for each phase, run first.
pub fn render(run: &RunData, out: &mut Output) -> Result<()> {
    let mut phases = run.phases();
    phases.sort_by_key(|p| p != "run");
    for phase in phases {
        let workloads: Vec<&String> = run
            .workloads
            .iter()
            .filter(|w| {
                run.engines
                    .iter()
                    .any(|e| run.summary.get(e, w, &phase).is_some())
            })
            .collect();
        let engines: Vec<usize> = (0..run.engines.len())
            .filter(|&i| {
                workloads
                    .iter()
                    .any(|w| run.summary.get(&run.engines[i], w, &phase).is_some())
            })
            .collect();
        let groups: Vec<Group> = workloads
            .iter()
            .map(|w| Group {
                label: (*w).clone(),
                values: engines
                    .iter()
                    .map(|&i| {
                        run.summary
                            .get(&run.engines[i], w, &phase)
                            .map(|r| r.ops_per_sec)
                    })
                    .collect(),
            })
            .collect();
        let values = groups
            .iter()
            .flat_map(|g| g.values.iter().flatten().copied());
        let axis = Axis::for_values(values, 1.12);
        let scale = if axis.is_log() {
            "log scale"
        } else {
            "linear scale"
        };
        let title = format!("Throughput, {phase} phase");
        let subtitle = format!(
            "operations per second over the whole phase · higher is better · {scale} · {}, {}",
            count(engines.len(), "engine"),
            count(workloads.len(), "workload")
        );
        let fig = ThroughputFigure {
            title: title.clone(),
            subtitle,
            bars: Bars {
                groups,
                slots: engines,
                axis,
                y_desc: "throughput (ops/s)".to_owned(),
                x_desc: "workload".to_owned(),
                label: format::si,
                reference: None,
            },
            legend: legend_for(run, |e| {
                workloads
                    .iter()
                    .any(|w| run.summary.get(e, w, &phase).is_some())
            }),
        };
        let caption = format!(
            "Operations per second of each engine on each workload in the {phase} phase (summary.csv); taller is faster."
        );
        out.write(
            &fig,
            ChartKind::Throughput,
            &["throughput", &phase],
            &title,
            caption,
        )?;
    }
    Ok(())
}

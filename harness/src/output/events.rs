//! `events.csv` rows from phase results; the format is
//! [`results::events`]'s.

use std::path::Path;
use std::time::Instant;

use results::events::EventRow;
use results::Phase;

use crate::error::Result;
use crate::result::PhaseResult;

/// An engine's events as rows of `phase`, timed from `phase_start`. Work
/// that began before the phase (during the warm-up, say) has a negative
/// `start_s`.
pub fn rows_of(
    events: Vec<engine_core::Event>,
    engine: &str,
    workload: &str,
    phase: Phase,
    phase_start: Instant,
) -> Vec<EventRow> {
    let since = |t: Instant| match t.checked_duration_since(phase_start) {
        Some(d) => d.as_secs_f64(),
        None => -phase_start.duration_since(t).as_secs_f64(),
    };
    events
        .into_iter()
        .map(|e| EventRow {
            engine: engine.to_string(),
            workload: workload.to_string(),
            phase,
            start_s: since(e.start),
            end_s: since(e.end),
            kind: e.kind.name().to_string(),
            bytes_in: e.bytes_in as f64,
            bytes_out: e.bytes_out as f64,
            detail: e.detail,
        })
        .collect()
}

/// Write `events.csv` into `path`: every phase's events, in phase order.
pub fn write(path: &Path, results: &[PhaseResult]) -> Result<()> {
    let rows: Vec<EventRow> = results.iter().flat_map(|r| r.events.clone()).collect();
    Ok(results::events::write(path, &rows)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine_core::{Event, EventKind};
    use std::time::Duration;

    #[test]
    fn times_are_seconds_from_the_phase_start_and_may_be_negative() {
        let t0 = Instant::now();
        let e = Event {
            kind: EventKind::Compaction,
            start: t0,
            end: t0 + Duration::from_millis(1500),
            bytes_in: 10,
            bytes_out: 20,
            detail: "L0->L1".into(),
        };
        let start = t0 + Duration::from_millis(500);
        let rows = rows_of(vec![e], "lsm", "ycsb-a", Phase::Run, start);
        assert_eq!(rows.len(), 1);
        assert!((rows[0].start_s + 0.5).abs() < 1e-9, "{}", rows[0].start_s);
        assert!((rows[0].end_s - 1.0).abs() < 1e-9, "{}", rows[0].end_s);
        assert_eq!(rows[0].kind, "compaction");
        assert_eq!((rows[0].bytes_in, rows[0].bytes_out), (10.0, 20.0));
    }
}

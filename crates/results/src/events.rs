//! `events.csv`: the background work each engine reported, one row per
//! flush, compaction, checkpoint, merge or write stall, so the timeline can
//! draw it under the latency curve it explains.
//!
//! `start_s` and `end_s` are seconds since the start of the phase the row
//! names, on the same clock as `timeseries.csv`'s `t_s`; work that ran
//! after a phase ended (while the harness let the engine settle before the
//! next phase) keeps its phase, so an `end_s` past the phase's last
//! interval is expected. `kind` is one of [`KINDS`]; `detail` is free text
//! from the engine (`L1->L2`, `3 segments -> 1`, `120 pages, ...`).

use std::path::Path;

use crate::error::Result;
use crate::names::Phase;
use crate::table::{count, float, Cells, CsvOut, Table};

/// The column names.
pub mod col {
    /// `engine`: the engine spec, as in summary.csv.
    pub const ENGINE: &str = "engine";
    /// `workload`: the workload name, as in summary.csv.
    pub const WORKLOAD: &str = "workload";
    /// `phase`: `load` or `run`.
    pub const PHASE: &str = "phase";
    /// `start_s`: when the work began, seconds since the phase started (6
    /// decimals); negative for work begun before the phase.
    pub const START_S: &str = "start_s";
    /// `end_s`: when the work ended, seconds since the phase started (6
    /// decimals); can be past the phase's last interval (work done while it
    /// settled).
    pub const END_S: &str = "end_s";
    /// `kind`: one of [`KINDS`](super::KINDS).
    pub const KIND: &str = "kind";
    /// `bytes_in`: bytes the work read or consumed (a flush: the memtable's
    /// bytes; a compaction or merge: its input files' bytes); 0 for a stall or
    /// a checkpoint.
    pub const BYTES_IN: &str = "bytes_in";
    /// `bytes_out`: bytes the work wrote to storage (a checkpoint: page file
    /// and doublewrite bytes together).
    pub const BYTES_OUT: &str = "bytes_out";
    /// `detail`: free text from the engine (`L1->L2`, `3 segments -> 1`),
    /// quoted when it holds a comma.
    pub const DETAIL: &str = "detail";
}

use col::*;

/// Column names, in file order.
pub const COLUMNS: &[&str] = &[
    ENGINE, WORKLOAD, PHASE, START_S, END_S, KIND, BYTES_IN, BYTES_OUT, DETAIL,
];

/// The values `kind` takes (engine-core's `EventKind` names).
pub const KINDS: &[&str] = &["flush", "compaction", "checkpoint", "merge", "write_stall"];

/// One event of one engine x workload x phase.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Engine spec, as in summary.csv.
    pub engine: String,
    /// Workload name, as in summary.csv.
    pub workload: String,
    /// The phase measured.
    pub phase: Phase,
    /// Seconds since the phase started.
    pub start_s: f64,
    /// When the work ended, seconds since the phase started; may be past the
    /// phase's last interval (work done while it settled).
    pub end_s: f64,
    /// One of [`KINDS`].
    pub kind: String,
    /// Bytes the work read or consumed (a flush's memtable bytes, a
    /// compaction's or merge's input file bytes); 0 for a stall or a
    /// checkpoint.
    pub bytes_in: f64,
    /// Bytes the work wrote to storage.
    pub bytes_out: f64,
    /// Free text from the engine: the levels or tiers of a compaction, the
    /// pages of a checkpoint, what a stall waited for.
    pub detail: String,
}

impl EventRow {
    /// The cells, in [`COLUMNS`] order. Times keep microseconds: a stall
    /// can be that short.
    pub fn record(&self) -> Vec<String> {
        vec![
            self.engine.clone(),
            self.workload.clone(),
            self.phase.name().to_string(),
            float(self.start_s, 6),
            float(self.end_s, 6),
            self.kind.clone(),
            count(self.bytes_in),
            count(self.bytes_out),
            self.detail.clone(),
        ]
    }
}

/// Write `events.csv` into `path`.
pub fn write(path: &Path, rows: &[EventRow]) -> Result<()> {
    let mut w = CsvOut::create(path, COLUMNS)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    w.finish()
}

/// Read and check `events.csv`.
pub fn read(path: &Path) -> Result<Vec<EventRow>> {
    let t = Table::read(path)?;
    t.require(COLUMNS)?;
    t.rows
        .iter()
        .map(|row| parse_row(&t, &t.cells(row)))
        .collect()
}

fn parse_row(t: &Table, c: &Cells<'_>) -> Result<EventRow> {
    let n = |name: &str| c.number(t.col(name)?);
    // Work that began before its phase (in the warm-up) starts below 0.
    let signed = |name: &str| c.signed(t.col(name)?);
    let kind = |s: &str| KINDS.contains(&s).then(|| s.to_string());
    Ok(EventRow {
        engine: c.text(t.col(ENGINE)?)?,
        workload: c.text(t.col(WORKLOAD)?)?,
        phase: c.parsed(t.col(PHASE)?, "`load` or `run`", Phase::parse)?,
        start_s: signed(START_S)?,
        end_s: signed(END_S)?,
        kind: c.parsed(t.col(KIND)?, &KINDS.join(", "), kind)?,
        bytes_in: n(BYTES_IN)?,
        bytes_out: n(BYTES_OUT)?,
        detail: c.raw(t.col(DETAIL)?).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, detail: &str) -> EventRow {
        EventRow {
            engine: "lsm-leveled".into(),
            workload: "ycsb-a".into(),
            phase: Phase::Run,
            start_s: 0.25,
            end_s: 0.312_5,
            kind: kind.into(),
            bytes_in: 4096.0,
            bytes_out: 8192.0,
            detail: detail.into(),
        }
    }

    #[test]
    fn rows_round_trip_with_commas_in_the_detail() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.csv");
        let mut early = row("compaction", "L0->L1");
        early.start_s = -0.125;
        let rows = vec![
            early,
            row("compaction", "L1->L2, 3 tables"),
            row("write_stall", ""),
        ];
        write(&path, &rows).expect("write");
        assert_eq!(read(&path).expect("read"), rows);
    }

    #[test]
    fn an_unknown_kind_is_refused_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.csv");
        write(&path, &[row("flush", ""), row("nap", "")]).expect("write");
        let err = read(&path).expect_err("nap is no kind").to_string();
        assert!(err.contains("line 3") && err.contains("nap"), "{err}");
    }
}

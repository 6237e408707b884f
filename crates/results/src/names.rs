//! The names the files share: file names, phases, operation types and the
//! rule that turns an engine spec into a file name.

use std::fmt;

/// `summary.csv`: one row per engine x workload x phase.
pub const SUMMARY: &str = "summary.csv";
/// `repetitions.csv`: summary.csv's columns, every repetition's rows.
pub const REPETITIONS: &str = "repetitions.csv";
/// `latency.csv`: one row per engine x workload x phase x op.
pub const LATENCY: &str = "latency.csv";
/// `latency_repetitions.csv`: latency.csv plus `repetition`.
pub const LATENCY_REPETITIONS: &str = "latency_repetitions.csv";
/// `timeseries.csv`: one row per interval.
pub const TIMESERIES: &str = "timeseries.csv";
/// `timeseries_latency.csv`: one row per interval x op.
pub const TIMESERIES_LATENCY: &str = "timeseries_latency.csv";
/// `engine_metrics.csv`: one row per engine counter.
pub const ENGINE_METRICS: &str = "engine_metrics.csv";
/// `kernel_io.csv`: the Vfs and the kernel's accounting side by side.
pub const KERNEL_IO: &str = "kernel_io.csv";
/// `events.csv`: one row per engine event (flush, compaction, ...).
pub const EVENTS: &str = "events.csv";
/// `run.json`: the run's parameters and machine.
pub const RUN_JSON: &str = "run.json";
/// The directory of the `.hgrm` files.
pub const HISTOGRAMS: &str = "histograms";

/// The two phases of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Inserting `recordcount` records into an empty engine.
    Load,
    /// The workload's operation mix over the loaded records.
    Run,
}

impl Phase {
    /// Both phases, in file order.
    pub const ALL: [Phase; 2] = [Phase::Load, Phase::Run];

    /// The name in the `phase` column.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Load => "load",
            Phase::Run => "run",
        }
    }

    /// The phase called `name`.
    pub fn parse(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The operation types, in report order (the order charts show them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `read`: a get of one existing record (YCSB `readproportion`).
    Read,
    /// `update`: a put over an existing record (`updateproportion`).
    Update,
    /// `insert`: a put of a record not loaded yet (`insertproportion`).
    Insert,
    /// `scan`: a range read from a key (`scanproportion`).
    Scan,
    /// `rmw`: a get then a put of the same record
    /// (`readmodifywriteproportion`); its get and put are also recorded under
    /// `read` and `update`.
    Rmw,
    /// `delete`: a removal of an existing record (`deleteproportion`).
    Delete,
}

impl Op {
    /// Every type, in report order.
    pub const ALL: [Op; 6] = [
        Op::Read,
        Op::Update,
        Op::Insert,
        Op::Scan,
        Op::Rmw,
        Op::Delete,
    ];

    /// The name in latency.csv's `op` column.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Update => "update",
            Op::Insert => "insert",
            Op::Scan => "scan",
            Op::Rmw => "rmw",
            Op::Delete => "delete",
        }
    }

    /// The type called `name`.
    pub fn parse(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// What a latency row measured of its operation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measured {
    /// Service time of operations that succeeded: `<op>`.
    Service,
    /// Time since the intended start under `--target`: `<op>_intended`.
    Intended,
    /// Operations the engine failed: `<op>-failed`.
    Failed,
}

impl Measured {
    /// The suffix after the operation's name.
    pub fn suffix(self) -> &'static str {
        match self {
            Measured::Service => "",
            Measured::Intended => "_intended",
            Measured::Failed => "-failed",
        }
    }
}

/// A latency row's `op` cell: an operation type and what was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LatencyOp {
    /// The operation type.
    pub op: Op,
    /// Service time, time from the intended start, or a failure.
    pub measured: Measured,
}

impl LatencyOp {
    /// Service time of `op`.
    pub fn service(op: Op) -> LatencyOp {
        LatencyOp {
            op,
            measured: Measured::Service,
        }
    }

    /// The op called `name` (`read`, `read_intended`, `read-failed`, ...).
    pub fn parse(name: &str) -> Option<LatencyOp> {
        for measured in [Measured::Intended, Measured::Failed] {
            if let Some(op) = name.strip_suffix(measured.suffix()) {
                return Op::parse(op).map(|op| LatencyOp { op, measured });
            }
        }
        Op::parse(name).map(LatencyOp::service)
    }
}

impl fmt::Display for LatencyOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.op.name(), self.measured.suffix())
    }
}

/// Replace every character outside `[A-Za-z0-9_-]` with `_`: an engine
/// spec (`lsm:bloom_bits=0`) or workload name as part of a file name.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `<engine>.<workload>.<phase>.<op>.hgrm`, each part sanitized.
pub fn hgrm_file_name(engine: &str, workload: &str, phase: Phase, op: LatencyOp) -> String {
    format!(
        "{}.{}.{}.{}.hgrm",
        sanitize(engine),
        sanitize(workload),
        phase.name(),
        op
    )
}

/// The `hgrm_file` cell: `histograms/` (or `histograms/rep<N>/` for a
/// repetition's row) and [`hgrm_file_name`], relative to the run directory.
pub fn hgrm_path(
    engine: &str,
    workload: &str,
    phase: Phase,
    op: LatencyOp,
    repetition: Option<u32>,
) -> String {
    let name = hgrm_file_name(engine, workload, phase, op);
    match repetition {
        Some(n) => format!("{HISTOGRAMS}/rep{n}/{name}"),
        None => format!("{HISTOGRAMS}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_the_contract() {
        let read = LatencyOp::service(Op::Read);
        assert_eq!(
            hgrm_path(
                "lsm:bloom_bits=0,compaction=tiered",
                "ycsb-a",
                Phase::Run,
                read,
                None
            ),
            "histograms/lsm_bloom_bits_0_compaction_tiered.ycsb-a.run.read.hgrm"
        );
        assert_eq!(
            hgrm_path("mem", "w x", Phase::Load, read, Some(2)),
            "histograms/rep2/mem.w_x.load.read.hgrm"
        );
    }

    #[test]
    fn every_op_name_round_trips() {
        for op in Op::ALL {
            for measured in [Measured::Service, Measured::Intended, Measured::Failed] {
                let l = LatencyOp { op, measured };
                assert_eq!(LatencyOp::parse(&l.to_string()), Some(l));
            }
        }
        assert_eq!(
            LatencyOp::parse("update_intended").map(|l| l.to_string()),
            Some("update_intended".into())
        );
        assert_eq!(LatencyOp::parse("reads"), None);
        assert_eq!(LatencyOp::parse("-failed"), None);
        assert_eq!(Phase::parse("run"), Some(Phase::Run));
        assert_eq!(Phase::parse("Run"), None);
    }
}

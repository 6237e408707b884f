//! Which summary.csv figures a sweep reports, and what kind each is.
//!
//! A `count` figure is derived from exact byte or call counters: with one
//! client thread and `deterministic = true` it is the same for a fixed
//! seed on any machine, so cells that report only counts may run in
//! parallel. A `timing` figure comes from a clock: it is reported only for
//! cells that ran one at a time, and only compares within one machine.

use results::summary::SummaryRow;
use results::sweep::{self, Kind};

/// One reportable figure.
pub struct Metric {
    /// The summary.csv column.
    pub name: &'static str,
    pub kind: Kind,
    /// The figure of a row, `None` where it is undefined.
    pub get: fn(&SummaryRow) -> Option<f64>,
}

/// Every figure a sweep can report, in sweep.csv order.
pub const METRICS: &[Metric] = &[
    Metric {
        name: "write_amp",
        kind: Kind::Count,
        get: |r| r.write_amp,
    },
    Metric {
        name: "read_amp",
        kind: Kind::Count,
        get: |r| r.read_amp,
    },
    Metric {
        name: "read_ios_per_op",
        kind: Kind::Count,
        get: |r| r.read_ios_per_op,
    },
    Metric {
        name: "space_amp",
        kind: Kind::Count,
        get: |r| r.space_amp,
    },
    Metric {
        name: "user_bytes_written",
        kind: Kind::Count,
        get: |r| Some(r.user_bytes_written),
    },
    Metric {
        name: "storage_bytes_written",
        kind: Kind::Count,
        get: |r| Some(r.storage_bytes_written),
    },
    Metric {
        name: "user_bytes_read",
        kind: Kind::Count,
        get: |r| Some(r.user_bytes_read),
    },
    Metric {
        name: "query_bytes_read",
        kind: Kind::Count,
        get: |r| Some(r.query_bytes_read),
    },
    Metric {
        name: "disk_bytes",
        kind: Kind::Count,
        get: |r| Some(r.disk_bytes),
    },
    Metric {
        name: "live_bytes",
        kind: Kind::Count,
        get: |r| Some(r.live_bytes),
    },
    Metric {
        name: "fsyncs",
        kind: Kind::Count,
        get: |r| Some(r.fsyncs),
    },
    Metric {
        name: "compaction_bytes_read",
        kind: Kind::Count,
        get: |r| Some(r.compaction_bytes_read),
    },
    Metric {
        name: "compaction_bytes_written",
        kind: Kind::Count,
        get: |r| Some(r.compaction_bytes_written),
    },
    Metric {
        name: "lookups",
        kind: Kind::Count,
        get: |r| r.lookups,
    },
    Metric {
        name: "misses",
        kind: Kind::Count,
        get: |r| r.misses,
    },
    Metric {
        name: "write_path_bytes_read",
        kind: Kind::Count,
        get: |r| r.write_path_bytes_read,
    },
    Metric {
        name: "ops_per_sec",
        kind: Kind::Timing,
        get: |r| Some(r.ops_per_sec),
    },
    Metric {
        name: "duration_s",
        kind: Kind::Timing,
        get: |r| Some(r.duration_s),
    },
    Metric {
        name: "client_cpu_s",
        kind: Kind::Timing,
        get: |r| r.client_cpu_s,
    },
];

/// The metric called `name`.
pub fn find(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// Every metric's name.
pub fn names() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.name).collect()
}

/// A name sweep.csv uses for a fixed column (a parameter may not have it).
pub fn is_fixed_column(name: &str) -> bool {
    sweep::LEADING.contains(&name) || sweep::TRAILING.contains(&name)
}

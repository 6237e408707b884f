//! Which summary.csv figures a sweep reports, and what kind each is.
//!
//! A `count` figure is derived from exact byte or call counters: with one
//! client thread and `deterministic = true` it is the same for a fixed
//! seed on any machine, so cells that report only counts may run in
//! parallel. A `timing` figure comes from a clock: it is reported only for
//! cells that ran one at a time, and only compares within one machine.

use results::summary::{col, SummaryRow};
use results::sweep::{self, Kind};

/// One reportable figure.
pub struct Metric {
    /// The summary.csv column.
    pub name: &'static str,
    /// A count (exact for a fixed seed, comparable anywhere) or a timing
    /// (comparable within one machine).
    pub kind: Kind,
    /// The figure of a row, `None` where it is undefined.
    pub get: fn(&SummaryRow) -> Option<f64>,
}

/// Every figure a sweep can report, in sweep.csv order.
pub const METRICS: &[Metric] = &[
    Metric {
        name: col::WRITE_AMP,
        kind: Kind::Count,
        get: |r| r.write_amp,
    },
    Metric {
        name: col::READ_AMP,
        kind: Kind::Count,
        get: |r| r.read_amp,
    },
    Metric {
        name: col::READ_IOS_PER_OP,
        kind: Kind::Count,
        get: |r| r.read_ios_per_op,
    },
    Metric {
        name: col::SPACE_AMP,
        kind: Kind::Count,
        get: |r| r.space_amp,
    },
    Metric {
        name: col::USER_BYTES_WRITTEN,
        kind: Kind::Count,
        get: |r| Some(r.user_bytes_written),
    },
    Metric {
        name: col::STORAGE_BYTES_WRITTEN,
        kind: Kind::Count,
        get: |r| Some(r.storage_bytes_written),
    },
    Metric {
        name: col::USER_BYTES_READ,
        kind: Kind::Count,
        get: |r| Some(r.user_bytes_read),
    },
    Metric {
        name: col::QUERY_BYTES_READ,
        kind: Kind::Count,
        get: |r| Some(r.query_bytes_read),
    },
    Metric {
        name: col::DISK_BYTES,
        kind: Kind::Count,
        get: |r| Some(r.disk_bytes),
    },
    Metric {
        name: col::LIVE_BYTES,
        kind: Kind::Count,
        get: |r| Some(r.live_bytes),
    },
    Metric {
        name: col::FSYNCS,
        kind: Kind::Count,
        get: |r| Some(r.fsyncs),
    },
    Metric {
        name: col::COMPACTION_BYTES_READ,
        kind: Kind::Count,
        get: |r| Some(r.compaction_bytes_read),
    },
    Metric {
        name: col::COMPACTION_BYTES_WRITTEN,
        kind: Kind::Count,
        get: |r| Some(r.compaction_bytes_written),
    },
    Metric {
        name: col::LOOKUPS,
        kind: Kind::Count,
        get: |r| r.lookups,
    },
    Metric {
        name: col::MISSES,
        kind: Kind::Count,
        get: |r| r.misses,
    },
    Metric {
        name: col::WRITE_PATH_BYTES_READ,
        kind: Kind::Count,
        get: |r| r.write_path_bytes_read,
    },
    Metric {
        name: col::OPS_PER_SEC,
        kind: Kind::Timing,
        get: |r| Some(r.ops_per_sec),
    },
    Metric {
        name: col::DURATION_S,
        kind: Kind::Timing,
        get: |r| Some(r.duration_s),
    },
    Metric {
        name: col::CLIENT_CPU_S,
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

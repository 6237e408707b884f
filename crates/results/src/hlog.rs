//! The `histograms/<engine>.<workload>.<phase>.hlog` files: HdrHistogram
//! interval logs, the format HdrHistogram's own tools read (the Java
//! `HistogramLogProcessor`, `HistogramLogReader`, the Rust crate's
//! `IntervalLogIterator`).
//!
//! One file per engine x workload x phase; one interval histogram per
//! operation type per `timeseries_latency.csv` row, tagged with the op name
//! (`Tag=read,...`), in interval order and, within an interval, in report
//! order. Histograms are V2 with deflate (the `HISTFAAA...` lines the Java
//! tools read), values in nanoseconds; the max column of each line is in
//! milliseconds (`MaxValueDivisor` 1e6, as the Java writer prints it).
//! `#[StartTime: ...]` is the wall-clock start of the phase; each line's
//! start timestamp is seconds since then.

use std::path::Path;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

use crate::error::{Error, Result};
use crate::names::{sanitize, Op, Phase, HISTOGRAMS};

/// Nanoseconds per unit of an interval line's max column (milliseconds).
const MAX_VALUE_DIVISOR: f64 = 1e6;

/// One interval histogram of one operation type.
#[derive(Debug, Clone)]
pub struct HlogInterval {
    /// Start of the interval, since the phase started.
    pub start: Duration,
    /// Length of the interval.
    pub duration: Duration,
    /// The tag.
    pub op: Op,
    /// Service times, nanoseconds.
    pub histogram: Histogram<u64>,
}

/// `histograms/<engine>.<workload>.<phase>.hlog`, each part sanitized,
/// relative to the run directory.
pub fn hlog_path(engine: &str, workload: &str, phase: Phase) -> String {
    format!(
        "{HISTOGRAMS}/{}.{}.{}.hlog",
        sanitize(engine),
        sanitize(workload),
        phase.name()
    )
}

/// The bytes of an interval log of `intervals`, the phase having started
/// at `started_at`.
pub fn format(started_at: SystemTime, intervals: &[HlogInterval]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut log = IntervalLogWriterBuilder::new()
        .add_comment("workbench interval log: service times in nanoseconds, tagged by op")
        .with_start_time(started_at)
        .with_max_value_divisor(MAX_VALUE_DIVISOR)
        .begin_log_with(&mut out, &mut serializer)
        .expect("writing to a Vec cannot fail");
    for i in intervals {
        // Invariant: op names are lowercase letters, which a tag allows.
        let tag = Tag::new(i.op.name()).expect("op names are valid tags");
        log.write_histogram(&i.histogram, i.start, i.duration, Some(tag))
            .expect("a histogram serializes into a Vec");
    }
    out
}

/// Write an interval log into `path` (creating its directory).
pub fn write(path: &Path, started_at: SystemTime, intervals: &[HlogInterval]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("cannot create", parent, e))?;
    }
    std::fs::write(path, format(started_at, intervals))
        .map_err(|e| Error::io("cannot write", path, e))
}

/// Read an interval log back: its interval histograms, in file order.
/// Every interval must carry an op tag; `line` in an error counts log
/// entries (StartTime, BaseTime, intervals), not comment lines.
pub fn read(path: &Path) -> Result<Vec<HlogInterval>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let bad = |line: usize, column: &str, message: String| Error::Malformed {
        path: path.to_path_buf(),
        line: line as u64 + 1,
        column: column.to_string(),
        message,
    };
    let mut deserializer = Deserializer::new();
    let mut out = Vec::new();
    for (n, entry) in IntervalLogIterator::new(&bytes).enumerate() {
        let entry = entry.map_err(|e| bad(n, "(entry)", format!("{e:?}")))?;
        let LogEntry::Interval(i) = entry else {
            continue;
        };
        let tag = i.tag().map(|t| t.as_str()).unwrap_or("");
        let op = Op::parse(tag).ok_or_else(|| bad(n, "Tag", format!("`{tag}` is not an op")))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(i.encoded_histogram())
            .map_err(|e| bad(n, "histogram", e.to_string()))?;
        let histogram: Histogram<u64> = deserializer
            .deserialize(&mut raw.as_slice())
            .map_err(|e| bad(n, "histogram", format!("{e:?}")))?;
        out.push(HlogInterval {
            start: i.start_timestamp(),
            duration: i.duration(),
            op,
            histogram,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("bounds");
        for &v in values {
            h.record(v).expect("in range");
        }
        h
    }

    #[test]
    fn intervals_round_trip_with_their_tags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir
            .path()
            .join(hlog_path("lsm:bloom_bits=0", "ycsb-a", Phase::Run));
        assert!(path.ends_with("histograms/lsm_bloom_bits_0.ycsb-a.run.hlog"));
        let second = Duration::from_secs(1);
        let intervals = vec![
            HlogInterval {
                start: Duration::ZERO,
                duration: second,
                op: Op::Read,
                histogram: hist(&[1_000, 2_000, 3_000]),
            },
            HlogInterval {
                start: Duration::ZERO,
                duration: second,
                op: Op::Update,
                histogram: hist(&[50_000]),
            },
            HlogInterval {
                start: second,
                duration: Duration::from_millis(250),
                op: Op::Read,
                histogram: hist(&[7_000, 9_000_000]),
            },
        ];
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        write(&path, start, &intervals).expect("write");
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(text.contains("#[StartTime: 1700000000.000"), "{text}");
        assert!(text.contains("Tag=read,"), "{text}");
        let back = read(&path).expect("read");
        assert_eq!(back.len(), 3);
        for (a, b) in back.iter().zip(&intervals) {
            assert_eq!(a.op, b.op);
            assert_eq!(a.start, b.start);
            assert_eq!(a.histogram, b.histogram);
        }
        assert_eq!(back[2].duration, Duration::from_millis(250));
    }

    #[test]
    fn an_untagged_interval_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.hlog");
        let mut bytes = format(
            SystemTime::UNIX_EPOCH,
            &[HlogInterval {
                start: Duration::ZERO,
                duration: Duration::from_secs(1),
                op: Op::Scan,
                histogram: hist(&[10]),
            }],
        );
        let text = String::from_utf8(bytes.clone()).expect("ascii");
        bytes = text.replace("Tag=scan,", "Tag=scna,").into_bytes();
        std::fs::write(&path, bytes).expect("write");
        let e = read(&path).expect_err("`scna` is no op");
        assert!(
            matches!(&e, Error::Malformed { column, .. } if column == "Tag"),
            "{e}"
        );
    }
}

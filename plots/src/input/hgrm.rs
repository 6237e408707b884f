//! HdrHistogram percentile-distribution files (`histograms/*.hgrm`).
//!
//! The format, values in microseconds:
//!
//! ```text
//!        Value     Percentile TotalCount 1/(1-Percentile)
//!
//!        1.023 0.000000000000          1           1.00
//!        ...
//!       95.231 1.000000000000     100000
//! #[Mean    =        2.345, StdDeviation   =        0.456]
//! #[Max     =       95.231, Total count    =       100000]
//! #[Buckets =           27, SubBuckets     =         2048]
//! ```
//!
//! Only the Value and Percentile columns are used. The last data line (100 %)
//! has no 1/(1-Percentile) column because that value is infinite.

use std::path::Path;

use crate::error::{Error, Result};

/// One histogram: (latency µs, percentile as a fraction in [0, 1]) points in
/// file order, plus the total count from the footer if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Hgrm {
    /// (value in µs, percentile in [0, 1]).
    pub points: Vec<(f64, f64)>,
    /// `Total count` from the footer.
    pub total_count: Option<u64>,
}

impl Hgrm {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<Hgrm> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Hgrm::parse(path, &text)
    }

    /// Parses the text of a histogram file; `path` is only used in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Hgrm> {
        let mut points = Vec::new();
        let mut total_count = None;
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with("Value") {
                continue;
            }
            if let Some(footer) = trimmed.strip_prefix('#') {
                if let Some(n) = footer_value(footer, "Total count") {
                    total_count = n.parse::<u64>().ok();
                }
                continue;
            }
            let bad = |column: &str, message: String| Error::Malformed {
                path: path.to_path_buf(),
                line: line_no,
                column: column.to_owned(),
                message,
            };
            let mut fields = trimmed.split_whitespace();
            let value = fields.next().unwrap_or_default();
            let percentile = fields
                .next()
                .ok_or_else(|| bad("Percentile", "missing value".to_owned()))?;
            let value: f64 = value
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| bad("Value", format!("`{value}` is not a latency")))?;
            let percentile: f64 = percentile
                .parse()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| {
                    bad(
                        "Percentile",
                        format!("`{percentile}` is not a fraction between 0 and 1"),
                    )
                })?;
            points.push((value, percentile));
        }
        if points.is_empty() {
            return Err(Error::Malformed {
                path: path.to_path_buf(),
                line: text.lines().count() as u64,
                column: "Value".to_owned(),
                message: "no data lines".to_owned(),
            });
        }
        Ok(Hgrm {
            points,
            total_count,
        })
    }
}

/// Finds `key = value` in a footer line like `[Max = 95.2, Total count = 100]`.
fn footer_value<'a>(footer: &'a str, key: &str) -> Option<&'a str> {
    let inner = footer.trim().trim_start_matches('[').trim_end_matches(']');
    inner.split(',').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// The histogram file name the harness uses for a latency row:
/// `<engine>.<workload>.<phase>.<op>.hgrm`, every character outside
/// `[A-Za-z0-9_-]` replaced by `_`.
pub fn file_name(engine: &str, workload: &str, phase: &str, op: &str) -> String {
    format!(
        "{}.{}.{}.{}.hgrm",
        sanitize(engine),
        sanitize(workload),
        sanitize(phase),
        sanitize(op)
    )
}

/// Replaces every character outside `[A-Za-z0-9_-]` with `_`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hdrhistogram_output() {
        let text = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n\
                    \x20      1.023 0.000000000000          1           1.00\n\
                    \x20      2.047 0.500000000000         50           2.00\n\
                    \x20     95.231 1.000000000000        100\n\
                    #[Mean    =        2.345, StdDeviation   =        0.456]\n\
                    #[Max     =       95.231, Total count    =          100]\n";
        let h = Hgrm::parse(Path::new("x.hgrm"), text).expect("valid file");
        assert_eq!(h.points, vec![(1.023, 0.0), (2.047, 0.5), (95.231, 1.0)]);
        assert_eq!(h.total_count, Some(100));
    }

    #[test]
    fn bad_percentile_names_line_and_column() {
        let text = "Value Percentile TotalCount 1/(1-Percentile)\n1.0 0.0 1 1.0\n2.0 1.7 2 3\n";
        let err = Hgrm::parse(Path::new("h.hgrm"), text).expect_err("1.7 is not a percentile");
        let msg = err.to_string();
        assert!(msg.contains("h.hgrm") && msg.contains("line 3") && msg.contains("Percentile"));
    }

    #[test]
    fn file_names_follow_the_contract() {
        assert_eq!(
            file_name(
                "lsm:bloom_bits=0,compaction=tiered",
                "ycsb-a",
                "run",
                "read"
            ),
            "lsm_bloom_bits_0_compaction_tiered.ycsb-a.run.read.hgrm"
        );
    }
}

//! `histograms/*.hgrm`: HdrHistogram's percentile-distribution text format,
//! the one its `outputPercentileDistribution` prints and its online plotter
//! reads. Values are scaled from the histograms' nanoseconds to
//! microseconds:
//!
//! ```text
//!        Value     Percentile TotalCount 1/(1-Percentile)
//!
//!        1.023 0.000000000000          1           1.00
//!        ...                                            <- 5 ticks per half-distance to 100 %
//!       95.231 1.000000000000     100000                <- last line: no 1/(1-p), it is infinite
//! #[Mean    =        2.345, StdDeviation   =        0.456]
//! #[Max     =       95.231, Total count    =       100000]
//! #[Buckets =           27, SubBuckets     =         2048]
//! ```
//!
//! Columns are `%12.3f %2.12f %10d %14.2f` (three decimals: the histograms'
//! three significant digits). The reader uses the Value and Percentile
//! columns and the footer's total count.

use std::fmt::Write as _;
use std::path::Path;

use hdrhistogram::Histogram;

use crate::error::{Error, Result};

/// Ticks per half-distance to 100 %, as HdrHistogram's default output.
const TICKS_PER_HALF_DISTANCE: u32 = 5;
/// Nanoseconds per output unit (microseconds).
const SCALE: f64 = 1_000.0;

/// The percentile distribution of `h` (nanoseconds) in microseconds.
pub fn format(h: &Histogram<u64>) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail; `let _` keeps that explicit.
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    if !h.is_empty() {
        for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            total += v.count_since_last_iteration();
            let value = h.highest_equivalent(v.value_iterated_to()) as f64 / SCALE;
            let q = v.quantile_iterated_to();
            if q < 1.0 {
                let _ = writeln!(
                    out,
                    "{value:12.3} {q:2.12} {total:10} {:14.2}",
                    1.0 / (1.0 - q)
                );
            } else {
                let _ = writeln!(out, "{value:12.3} {q:2.12} {total:10}");
            }
        }
    }
    let (mean, stdev, max) = if h.is_empty() {
        (0.0, 0.0, 0.0)
    } else {
        (h.mean() / SCALE, h.stdev() / SCALE, h.max() as f64 / SCALE)
    };
    let _ = writeln!(
        out,
        "#[Mean    = {mean:12.3}, StdDeviation   = {stdev:12.3}]"
    );
    let _ = writeln!(
        out,
        "#[Max     = {max:12.3}, Total count    = {:12}]",
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_bucket_count(h.sigfig())
    );
    out
}

/// HdrHistogram's sub-bucket count for a precision: the power of two that
/// resolves `2 x 10^sigfig` distinct values (2048 for 3 digits).
fn sub_bucket_count(sigfig: u8) -> u64 {
    let single_unit = 2 * 10u64.pow(u32::from(sigfig));
    single_unit.next_power_of_two()
}

/// One histogram file read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Hgrm {
    /// (value in µs, percentile as a fraction in [0, 1]), in file order.
    pub points: Vec<(f64, f64)>,
    /// `Total count` from the footer.
    pub total_count: Option<u64>,
}

impl Hgrm {
    /// Read and parse the file at `path`.
    pub fn read(path: &Path) -> Result<Hgrm> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
        Hgrm::parse(path, &text)
    }

    /// Parse the text of a histogram file; `path` is only used in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Hgrm> {
        let mut points = Vec::new();
        let mut total_count = None;
        for (i, line) in text.lines().enumerate() {
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
            points.push(data_line(path, i as u64 + 1, trimmed)?);
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

/// `(value, percentile)` of one data line.
fn data_line(path: &Path, line: u64, text: &str) -> Result<(f64, f64)> {
    let bad = |column: &str, message: String| Error::Malformed {
        path: path.to_path_buf(),
        line,
        column: column.to_owned(),
        message,
    };
    let mut fields = text.split_whitespace();
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
    Ok((value, percentile))
}

/// Finds `key = value` in a footer line like `[Max = 95.2, Total count = 100]`.
fn footer_value<'a>(footer: &'a str, key: &str) -> Option<&'a str> {
    let inner = footer.trim().trim_start_matches('[').trim_end_matches(']');
    inner.split(',').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim() == key).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram() -> Histogram<u64> {
        Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("constant bounds")
    }

    #[test]
    fn format_matches_the_hdrhistogram_layout() {
        let mut h = histogram();
        for us in 1..=100u64 {
            h.record(us * 1_000).expect("in range");
        }
        let text = format(&h);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "       Value     Percentile TotalCount 1/(1-Percentile)"
        );
        assert_eq!(lines[1], "");
        let first: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(first, ["1.000", "0.000000000000", "1", "1.00"]);
        // Last data line: the max at 100 %, without the infinite column.
        let last: Vec<&str> = lines[lines.len() - 4].split_whitespace().collect();
        assert_eq!(last.len(), 3);
        assert_eq!((last[1], last[2]), ("1.000000000000", "100"));
        assert!(lines[lines.len() - 2].ends_with("Total count    =          100]"));
        assert!(lines[lines.len() - 1].contains("SubBuckets     =         2048"));
    }

    #[test]
    fn what_is_written_reads_back() {
        let mut h = histogram();
        for us in 1..=100u64 {
            h.record(us * 1_000).expect("in range");
        }
        let back = Hgrm::parse(Path::new("x.hgrm"), &format(&h)).expect("own output parses");
        assert_eq!(back.total_count, Some(100));
        assert_eq!(back.points.first(), Some(&(1.0, 0.0)));
        assert_eq!(back.points.last().map(|p| p.1), Some(1.0));
        assert!(back.points.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn empty_histogram_has_header_and_footer_only_and_reads_as_an_error() {
        let text = format(&histogram());
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("Total count    =            0"));
        let e = Hgrm::parse(Path::new("e.hgrm"), &text).expect_err("no data");
        assert!(e.to_string().contains("no data lines"), "{e}");
    }

    #[test]
    fn bad_percentile_names_line_and_column() {
        let text = "Value Percentile TotalCount 1/(1-Percentile)\n1.0 0.0 1 1.0\n2.0 1.7 2 3\n";
        let e = Hgrm::parse(Path::new("h.hgrm"), text).expect_err("1.7 is not a percentile");
        assert!(
            matches!(&e, Error::Malformed { line: 3, column, .. } if column == "Percentile"),
            "{e}"
        );
        assert!(e.to_string().contains("h.hgrm"));
    }

    #[test]
    fn sub_buckets_for_three_digits() {
        assert_eq!(sub_bucket_count(3), 2048);
        assert_eq!(sub_bucket_count(2), 256);
    }
}

//! `histograms/*.hgrm`: HdrHistogram's percentile-distribution text format.
//!
//! The format is the one HdrHistogram's `outputPercentileDistribution`
//! prints and its online plotter reads. Values are scaled from the
//! histogram's nanoseconds to microseconds:
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
//! three significant digits).

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use crate::measure::SIGFIG;

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
        sub_bucket_count(SIGFIG)
    );
    out
}

/// HdrHistogram's sub-bucket count for a precision: the power of two that
/// resolves `2 x 10^sigfig` distinct values (2048 for 3 digits).
fn sub_bucket_count(sigfig: u8) -> u64 {
    let single_unit = 2 * 10u64.pow(u32::from(sigfig));
    single_unit.next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::new_histogram;

    #[test]
    fn format_matches_the_hdrhistogram_layout() {
        let mut h = new_histogram();
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
        // First data line: the smallest value at percentile 0.
        let first: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(first, ["1.000", "0.000000000000", "1", "1.00"]);
        // Last data line: the max at 100 %, without the infinite column,
        // and the running count reaches the total.
        let last_data = lines[lines.len() - 4];
        let last: Vec<&str> = last_data.split_whitespace().collect();
        assert_eq!(last.len(), 3, "{last_data}");
        assert_eq!(last[1], "1.000000000000");
        assert_eq!(last[2], "100");
        assert!((last[0].parse::<f64>().expect("number") - 100.0).abs() < 0.1);
        assert!(lines[lines.len() - 3].starts_with("#[Mean    ="));
        assert!(lines[lines.len() - 2].ends_with("Total count    =          100]"));
        assert!(lines[lines.len() - 1].contains("SubBuckets     =         2048"));
        // Percentiles never decrease and the median is about 50 us.
        let mut prev = -1.0;
        for l in &lines[2..lines.len() - 3] {
            let q: f64 = l
                .split_whitespace()
                .nth(1)
                .expect("col")
                .parse()
                .expect("q");
            assert!(q >= prev);
            prev = q;
        }
    }

    #[test]
    fn empty_histogram_has_header_and_footer_only() {
        let text = format(&new_histogram());
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("Total count    =            0"));
    }

    #[test]
    fn sub_buckets_for_three_digits() {
        assert_eq!(sub_bucket_count(3), 2048);
        assert_eq!(sub_bucket_count(2), 256);
    }
}

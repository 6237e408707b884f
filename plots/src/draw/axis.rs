//! One axis type for every chart: linear or log10, chosen at run time from
//! the data, with tick positions that read well (1-2-5 steps, decades) or
//! given explicitly (category centres, percentile ticks).
//!
//! Plotters' own log coordinate is a different type from its linear one,
//! which would force every chart to be written twice; this type keeps the
//! choice a value.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Data spanning at least this ratio (max / smallest positive) gets a log axis.
const LOG_RATIO: f64 = 30.0;

/// A numeric axis, linear or logarithmic.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Option<Vec<f64>>,
}

impl Axis {
    /// A linear axis over `lo..hi` (widened if empty).
    pub fn linear(lo: f64, hi: f64) -> Axis {
        let hi = if hi > lo { hi } else { lo + 1.0 };
        Axis {
            lo,
            hi,
            log: false,
            ticks: None,
        }
    }

    /// A log10 axis over `lo..hi`; both must be positive (fixed up if not).
    pub fn log(lo: f64, hi: f64) -> Axis {
        let lo = if lo > 0.0 { lo } else { 1e-3 };
        let hi = if hi > lo { hi } else { lo * 10.0 };
        Axis {
            lo,
            hi,
            log: true,
            ticks: None,
        }
    }

    /// An axis for `values` (amounts, so never below zero): log when the
    /// positive values span 30x or more, else linear from zero.
    /// `headroom` > 1 leaves space above the largest value (for labels).
    pub fn for_values(values: impl IntoIterator<Item = f64>, headroom: f64) -> Axis {
        let positive: Vec<f64> = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let Some(max) = positive.iter().copied().reduce(f64::max) else {
            return Axis::linear(0.0, 1.0);
        };
        let min = positive.iter().copied().fold(max, f64::min);
        if max / min >= LOG_RATIO {
            // Whole decades below, so the smallest bar or point is clearly above the floor.
            let lo = 10f64.powf((min.log10() - 0.3).floor());
            Axis::log(lo, max * headroom.powi(2))
        } else {
            Axis::linear(0.0, nice_ceil(max * headroom))
        }
    }

    /// Same axis, ticks exactly at `ticks` (those inside the range).
    pub fn with_ticks(mut self, ticks: Vec<f64>) -> Axis {
        self.ticks = Some(ticks);
        self
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(&self) -> bool {
        self.log
    }

    /// Where bars start: zero on a linear axis, the bottom on a log one.
    pub fn floor(&self) -> f64 {
        if self.log {
            self.lo
        } else {
            self.lo.max(0.0)
        }
    }

    fn to_unit(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo * 1e-3);
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    fn linear_ticks(&self, max_points: usize, light: bool) -> Vec<f64> {
        let max_points = max_points.clamp(2, 12);
        let mut step = nice_step((self.hi - self.lo) / max_points as f64);
        if light {
            step /= 2.0;
        }
        let first = (self.lo / step).ceil() as i64;
        let last = (self.hi / step + 1e-9).floor() as i64;
        (first..=last).map(|k| k as f64 * step).collect()
    }

    fn log_ticks(&self, max_points: usize, light: bool) -> Vec<f64> {
        let first = self.lo.log10().ceil() as i32;
        let last = (self.hi.log10() + 1e-9).floor() as i32;
        let decades = (last - first + 1).max(0) as usize;
        let mults: &[f64] = if light {
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        } else if decades <= 3 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let every = if light {
            1
        } else {
            decades.div_ceil(max_points.max(1)).max(1)
        };
        let mut out = Vec::new();
        for e in (first - 1)..=last {
            if !light && (e - first).rem_euclid(every as i32) != 0 {
                continue;
            }
            for m in mults {
                let v = m * 10f64.powi(e);
                if v >= self.lo * (1.0 - 1e-9) && v <= self.hi * (1.0 + 1e-9) {
                    out.push(v);
                }
            }
        }
        out
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (self.to_unit(*value) * span).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let light =
            hint.weight().allow_light_points() && hint.bold_points() < hint.max_num_points();
        if let Some(ticks) = &self.ticks {
            if light {
                return Vec::new();
            }
            return ticks
                .iter()
                .copied()
                .filter(|t| *t >= self.lo - 1e-9 && *t <= self.hi + 1e-9)
                .collect();
        }
        if self.log {
            self.log_ticks(hint.bold_points(), light)
        } else {
            self.linear_ticks(hint.bold_points(), light)
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// The 1-2-5 step at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let base = 10f64.powf(raw.log10().floor());
    let m = raw / base;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * base
}

/// A round number at or above `v` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 x 10^k).
fn nice_ceil(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let base = 10f64.powf(v.log10().floor());
    let m = v / base;
    let nice = [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .find(|n| *n >= m - 1e-9)
        .unwrap_or(10.0);
    nice * base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_log_only_when_values_span_decades() {
        assert!(!Axis::for_values([1.0, 3.0, 9.0], 1.1).is_log());
        assert!(Axis::for_values([100.0, 5_000_000.0], 1.1).is_log());
        // Zeros and undefined values do not decide the scale.
        assert!(!Axis::for_values([0.0, 2.0, 4.0], 1.1).is_log());
    }

    #[test]
    fn linear_ticks_are_round() {
        let a = Axis::linear(0.0, 1000.0);
        let t = a.key_points(6usize);
        assert_eq!(t, vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
    }

    #[test]
    fn log_ticks_are_decades() {
        let a = Axis::log(1.0, 1e6);
        let t = a.key_points(10usize);
        assert_eq!(t, vec![1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]);
    }
}

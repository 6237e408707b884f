//! Number formatting for tick labels, bar labels and tables.

/// `v` with about three significant digits and an SI suffix: `950`, `1.2k`,
/// `34M`, `0.25`.
pub fn si(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", sig(scaled, 3))
}

/// `v` rounded to `digits` significant digits, without trailing zeros.
pub fn sig(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_owned();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A byte count in binary units: `512 B`, `1.5 KiB`, `20 MiB`.
pub fn bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = v;
    let mut unit = 0;
    while x.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        x /= 1024.0;
        unit += 1;
    }
    format!("{} {}", sig(x, 3), UNITS[unit])
}

/// The binary unit to show amounts up to `max` bytes in: (divisor, name).
pub fn byte_unit(max: f64) -> (f64, &'static str) {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut div = 1.0;
    let mut unit = 0;
    while max / div >= 1024.0 && unit + 1 < UNITS.len() {
        div *= 1024.0;
        unit += 1;
    }
    (div, UNITS[unit])
}

/// The percentile at x = log10(1 / (1 - p)): `0%`, `90%`, `99%`, `99.9%`.
pub fn percentile_tick(x: f64) -> String {
    let nines = x.round() as i32;
    if nines <= 0 {
        return "0%".to_owned();
    }
    let p = 100.0 * (1.0 - 10f64.powi(-nines));
    let decimals = (nines - 2).max(0) as usize;
    format!("{p:.decimals$}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(si(950.0), "950");
        assert_eq!(si(1234.0), "1.23k");
        assert_eq!(si(34_000_000.0), "34M");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(percentile_tick(0.0), "0%");
        assert_eq!(percentile_tick(1.0), "90%");
        assert_eq!(percentile_tick(2.0), "99%");
        assert_eq!(percentile_tick(4.0), "99.99%");
    }
}

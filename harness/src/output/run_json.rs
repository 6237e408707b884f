//! `run.json`: the struct and its writer are [`results::run_json`]'s (the
//! field list and order are documented there); the harness fills it in
//! and stamps the run with [`utc_stamps`].

pub use results::run_json::{EngineEntry, RunInfo, WorkloadEntry};

/// `YYYY-MM-DDTHH:MM:SSZ` and `YYYYMMDD-HHMMSS` for a Unix time (UTC).
pub fn utc_stamps(unix_secs: u64) -> (String, String) {
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let (y, mo, d) = civil_from_days(days as i64);
    (
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z"),
        format!("{y:04}{mo:02}{d:02}-{h:02}{m:02}{s:02}"),
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days` algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps_are_calendar_dates() {
        assert_eq!(
            utc_stamps(0),
            ("1970-01-01T00:00:00Z".into(), "19700101-000000".into())
        );
        // 2024-02-29 12:34:56 UTC, a leap day.
        assert_eq!(
            utc_stamps(1_709_210_096),
            ("2024-02-29T12:34:56Z".into(), "20240229-123456".into())
        );
        // 2000-03-01 (century leap-year rule).
        assert_eq!(utc_stamps(951_868_800).1, "20000301-000000");
    }
}

//! RFC 3339 timestamps as Harbor writes them, turned into [`Millis`].
//!
//! A tiny parser instead of `chrono`: the dashboard only needs "milliseconds since the
//! epoch" and the wasm bundle should not pay for a calendar library.

use crate::slim::Millis;

/// Parses an RFC 3339 timestamp (`2024-03-18T05:35:37.352Z`, `...+02:00`, any number of
/// fraction digits) into milliseconds since the Unix epoch.
///
/// Returns `None` for Harbor's "never" (`0001-01-01T00:00:00Z`, any year below 1970
/// really) and for anything that is not a valid timestamp: a bad time is shown as
/// "unknown", it never fails a whole page.
///
/// ```
/// use harbor_client::time::parse_rfc3339;
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1500));
/// assert_eq!(parse_rfc3339("0001-01-01T00:00:00.000Z"), None);
/// ```
pub fn parse_rfc3339(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if year < 1970
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut pos = 19;
    let mut millis = 0i64;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            if pos - start < 3 {
                millis = millis * 10 + i64::from(b[pos] - b'0');
            }
            pos += 1;
        }
        let len = pos - start;
        if len == 0 {
            return None;
        }
        for _ in len..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(pos)? {
        b'Z' | b'z' if pos + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if pos + 6 == b.len() && b[pos + 3] == b':' => {
            let oh = digits(b, pos + 1, 2)?;
            let om = digits(b, pos + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 60 + om;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

/// Reads `len` ASCII digits at `at` as a number.
fn digits(b: &[u8], at: usize, len: usize) -> Option<i64> {
    let slice = b.get(at..at + len)?;
    slice.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
///
/// ```
/// use harbor_client::time::{civil_from_days, days_from_civil};
/// assert_eq!(days_from_civil(2024, 2, 29), 19_782);
/// assert_eq!(civil_from_days(19_782), (2024, 2, 29));
/// assert_eq!(civil_from_days(days_from_civil(1, 1, 1)), (1, 1, 1));
/// ```
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a count of days since 1970-01-01
/// (H. Hinnant's `civil_from_days`, the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats milliseconds since the epoch as UTC ISO 8601 with seconds (`2026-11-22T08:01:56Z`).
///
/// ```
/// assert_eq!(harbor_client::time::iso8601(0), "1970-01-01T00:00:00Z");
/// assert_eq!(harbor_client::time::iso8601(1_700_000_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn iso8601(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Formats an optional time; `None` (Harbor's "never") becomes an empty string.
pub fn iso8601_opt(ms: Option<Millis>) -> String {
    ms.map(iso8601).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (-1000, "1969-12-31T23:59:59Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (1_709_164_800_000, "2024-02-29T00:00:00Z"),
            (1_798_761_599_999, "2026-12-31T23:59:59Z"),
            (-62_135_596_800_000, "0001-01-01T00:00:00Z"),
        ];
        for (ms, want) in cases {
            assert_eq!(iso8601(ms), want, "iso8601({ms})");
            if ms >= 0 {
                assert_eq!(parse_rfc3339(want), Some(ms - ms % 1000), "{want}");
            }
        }
        assert_eq!(iso8601_opt(None), "");
    }

    #[test]
    fn parses_harbor_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-03-18T05:35:37.352Z"),
            Some(1_710_740_137_352)
        );
        // Nanoseconds are cut to milliseconds, not rounded.
        assert_eq!(
            parse_rfc3339("2023-09-08T00:19:11.258693685Z"),
            Some(1_694_132_351_258)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00.1Z"),
            Some(1_709_208_000_100)
        );
    }

    #[test]
    fn applies_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T02:00:00+02:00"), Some(0));
        assert_eq!(
            parse_rfc3339("1969-12-31T22:00:00-02:00"),
            None,
            "year before 1970"
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00-01:30"), Some(5_400_000));
    }

    #[test]
    fn never_and_garbage_are_none() {
        for text in [
            "0001-01-01T00:00:00.000Z",
            "0001-01-01T00:00:00Z",
            "",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-03-18T05:35:37",
            "2024-03-18T05:35:37.Z",
            "2024-03-18T05:35:37ZZ",
            "2024-03-18T25:00:00Z",
            "2024-03-18T05:35:37+0200",
            "２０２４-03-18T05:35:37Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }
}

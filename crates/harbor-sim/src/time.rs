//! Harbor's time format without a date library: RFC 3339 UTC with milliseconds. The
//! calendar conversion is the client's (`harbor_client::time`), so there is one copy.

use harbor_client::time::{civil_from_days, days_from_civil};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// What Harbor prints for a time that was never set (e.g. a never-pulled artifact).
pub const NEVER: &str = "0001-01-01T00:00:00.000Z";

/// Milliseconds of `0001-01-01T00:00:00Z`: a never-set time sorts and compares as this.
pub const NEVER_MS: Millis = -62_135_596_800_000;

/// Formats like Harbor: `2024-03-18T05:35:37.352Z`; `None` gives [`NEVER`].
pub fn format(ms: Option<Millis>) -> String {
    match ms {
        None => NEVER.to_string(),
        Some(ms) => format_millis(ms),
    }
}

/// Formats a set time like Harbor: `2024-03-18T05:35:37.352Z`.
pub fn format_millis(ms: Millis) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// Formats with nanoseconds, as Harbor passes an image config's `created` through:
/// `2018-11-13T00:22:52.621679073Z`. The six digits below the millisecond come from
/// `salt`, so they are stable per artifact.
pub fn format_nanos(ms: Millis, salt: u64) -> String {
    let millis = format_millis(ms);
    let stem = millis.strip_suffix('Z').unwrap_or(&millis);
    format!("{stem}{:06}Z", salt % 1_000_000)
}

/// Parses the one time layout Harbor's `q` accepts: `2006-01-02T15:04:05` (UTC).
pub fn parse_q_time(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_710_740_137_352), "2024-03-18T05:35:37.352Z");
        assert_eq!(format_millis(NEVER_MS), NEVER);
        assert_eq!(format(None), NEVER);
        assert_eq!(
            format_nanos(1_710_740_137_352, 1_679_073),
            "2024-03-18T05:35:37.352679073Z"
        );
    }

    #[test]
    fn parses_q_times() {
        assert_eq!(parse_q_time("2024-03-18T05:35:37"), Some(1_710_740_137_000));
        assert_eq!(parse_q_time("2020-04-09 02:36:00"), None);
        assert_eq!(parse_q_time("2020-13-09T02:36:00"), None);
    }
}

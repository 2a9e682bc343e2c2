//! Calendar conversion for timestamps, without a date crate: the dashboard only needs
//! UTC ISO 8601 strings (exports, hover titles), and the algorithm is twenty lines.

use harbor_client::time::civil_from_days;

use crate::Millis;

/// Formats milliseconds since the epoch as UTC ISO 8601 with seconds (`2026-11-22T08:01:56Z`).
///
/// ```
/// assert_eq!(inventory::time::iso8601(0), "1970-01-01T00:00:00Z");
/// assert_eq!(inventory::time::iso8601(1_700_000_000_000), "2023-11-14T22:13:20Z");
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
    fn iso_table() {
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
        }
        assert_eq!(iso8601_opt(None), "");
    }
}

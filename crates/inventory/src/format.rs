//! Pure display helpers for the table and the details panel, so no `format!` logic has
//! to live inside a `view!`.

use harbor_client::slim::{ArtifactRow, Millis, ScanStatus, ScanSummary, Severity, TagRow};

use crate::DAY_MS;

/// A byte count in binary units with one decimal (`512 B`, `1.5 KiB`, `3.2 GiB`).
///
/// ```
/// assert_eq!(inventory::format::human_size(1536), "1.5 KiB");
/// ```
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    // Move up while the rounded value would print as 1024.0 or more.
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// How long ago `at` was, relative to `now`: `just now`, `5 minutes ago`, `1 hour ago`,
/// `3 days ago`, `2 months ago`, `1 year ago`; `never` for `None`. Times after `now`
/// (clock skew) read `just now`.
///
/// ```
/// use inventory::format::relative_time;
/// let day = 86_400_000;
/// assert_eq!(relative_time(Some(0), 3 * day), "3 days ago");
/// assert_eq!(relative_time(None, 0), "never");
/// ```
pub fn relative_time(at: impl Into<Option<Millis>>, now: Millis) -> String {
    let Some(at) = at.into() else {
        return "never".to_string();
    };
    let secs = now.saturating_sub(at) / 1000;
    let (n, unit) = match secs {
        s if s < 60 => return "just now".to_string(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 30 * 86_400 => (s / 86_400, "day"),
        s if s < 365 * 86_400 => (s / (30 * 86_400), "month"),
        s => (s / (365 * 86_400), "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// The exact time for a hover title: ISO 8601 UTC, or `never`.
pub fn exact_time(at: impl Into<Option<Millis>>) -> String {
    at.into()
        .map_or_else(|| "never".to_string(), crate::time::iso8601)
}

/// Whole days between `at` and `now` (0 for future times); `None` for never.
pub fn age_days(at: Option<Millis>, now: Millis) -> Option<i64> {
    at.map(|t| (now.saturating_sub(t) / DAY_MS).max(0))
}

/// The short digest the table shows: algorithm, colon and the first 12 hex digits
/// (`sha256:0123456789ab`). Shorter or odd digests are returned whole.
///
/// ```
/// let d = "sha256:0123456789abcdef0123";
/// assert_eq!(inventory::format::short_digest(d), "sha256:0123456789ab");
/// ```
pub fn short_digest(digest: &str) -> &str {
    let hex_start = digest.find(':').map_or(0, |i| i + 1);
    let end = hex_start + 12;
    if digest.len() > end && digest.is_char_boundary(end) {
        &digest[..end]
    } else {
        digest
    }
}

/// A repository's name inside its project (`api` for `library/api`), for the table's
/// Repository column beside the Project column; the full name when it does not start
/// with the project.
///
/// ```
/// use inventory::format::name_in_project;
/// assert_eq!(name_in_project("library/tools/api", "library"), "tools/api");
/// assert_eq!(name_in_project("library-x/api", "library"), "library-x/api");
/// ```
pub fn name_in_project<'a>(repository: &'a str, project: &str) -> &'a str {
    repository
        .strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(repository)
}

/// The first 12 hex digits of a digest, without the algorithm (`0123456789ab`), as
/// short image ids are written; for a one-line table cell whose title holds the digest.
///
/// ```
/// assert_eq!(inventory::format::short_id("sha256:0123456789abcdef"), "0123456789ab");
/// ```
pub fn short_id(digest: &str) -> &str {
    let short = short_digest(digest);
    short.split_once(':').map_or(short, |(_, hex)| hex)
}

/// The name of a severity as Harbor shows it (`Critical`, `High`, ...).
pub fn severity_name(s: Severity) -> &'static str {
    s.name()
}

/// The choices of a "minimum severity" filter, lowest first: `any`, then the levels a
/// scanner's counts distinguish. The label is also the choice's value.
pub const MIN_SEVERITY_CHOICES: [Option<Severity>; 5] = [
    None,
    Some(Severity::Low),
    Some(Severity::Medium),
    Some(Severity::High),
    Some(Severity::Critical),
];

/// The label (and value) of a minimum-severity choice: `any`, `low`, ... `critical`.
pub fn min_severity_label(choice: Option<Severity>) -> &'static str {
    choice.map_or("any", Severity::key)
}

/// The minimum-severity choice of a label; `any` and unknown labels are no minimum.
pub fn min_severity_choice(label: &str) -> Option<Severity> {
    MIN_SEVERITY_CHOICES
        .into_iter()
        .flatten()
        .find(|s| s.key() == label)
}

/// The badge text of the Vulnerabilities column: the overall severity of a finished scan
/// (`No vulnerabilities` when it found none), or `not scanned`, `scan failed`, `scanning`.
pub fn severity_badge(scan: &ScanSummary) -> &'static str {
    match scan.status {
        ScanStatus::NotScanned => "not scanned",
        ScanStatus::Failed => "scan failed",
        ScanStatus::Scanning => "scanning",
        ScanStatus::Success => match scan.severity {
            None | Some(Severity::None) if scan.total == 0 => "No vulnerabilities",
            None => "Unknown",
            Some(s) => severity_name(s),
        },
    }
}

/// A stable CSS class suffix for the badge colour (`critical`, `high`, ..., `none`,
/// `not-scanned`, `failed`, `scanning`).
pub fn severity_class(scan: &ScanSummary) -> &'static str {
    match scan.status {
        ScanStatus::NotScanned => "not-scanned",
        ScanStatus::Failed => "failed",
        ScanStatus::Scanning => "scanning",
        ScanStatus::Success => match scan.severity {
            Some(Severity::Negligible) => Severity::Unknown.key(),
            Some(s) => s.key(),
            None => Severity::None.key(),
        },
    }
}

/// The counts line next to the badge: `C 1 · H 2 · M 0 · L 5`, empty unless scanned.
pub fn severity_counts(scan: &ScanSummary) -> String {
    if scan.status != ScanStatus::Success {
        return String::new();
    }
    let [c, h, m, l] = scan.counts;
    format!("C {c} · H {h} · M {m} · L {l}")
}

/// The table's narrow counts, `C1 H2 M0 L5`, empty unless scanned; the cell's title
/// spells them out with [`severity_counts_long`].
pub fn severity_counts_short(scan: &ScanSummary) -> String {
    if scan.status != ScanStatus::Success {
        return String::new();
    }
    let [c, h, m, l] = scan.counts;
    format!("C{c} H{h} M{m} L{l}")
}

/// `Critical 1, High 2, Medium 0, Low 5`, empty unless scanned.
pub fn severity_counts_long(scan: &ScanSummary) -> String {
    if scan.status != ScanStatus::Success {
        return String::new();
    }
    let [c, h, m, l] = scan.counts;
    format!("Critical {c}, High {h}, Medium {m}, Low {l}")
}

/// Tags to show before collapsing, and how many are hidden behind "+N more".
///
/// ```
/// use inventory::format::{collapse_tags, more_label};
/// let row = inventory::synthetic::row(
///     &inventory::synthetic::RowSpec::new("p", "p/r").tags(&["a", "b", "c", "d"]));
/// let (shown, hidden) = collapse_tags(&row.tags, 3);
/// assert_eq!((shown.len(), hidden), (3, 1));
/// assert_eq!(more_label(hidden), "+1 more");
/// ```
pub fn collapse_tags(tags: &[TagRow], max_shown: usize) -> (&[TagRow], usize) {
    let shown = tags.len().min(max_shown);
    (&tags[..shown], tags.len() - shown)
}

/// `+N more` (empty for 0).
pub fn more_label(hidden: usize) -> String {
    if hidden == 0 {
        String::new()
    } else {
        format!("+{hidden} more")
    }
}

/// The registry host a pull command needs, from the Harbor URL: scheme, path, user info
/// and trailing slashes dropped (`https://harbor.example.com:8443/` →
/// `harbor.example.com:8443`). An empty URL (same origin) gives an empty host; the UI
/// then passes `location.host`.
pub fn registry_host(harbor_url: &str) -> &str {
    let rest = harbor_url.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// `docker pull <host>/<project>/<repo>@<digest>`.
///
/// ```
/// let row = inventory::synthetic::row(
///     &inventory::synthetic::RowSpec::new("library", "library/nginx").digest("sha256:ab"));
/// assert_eq!(inventory::format::pull_by_digest("harbor.local", &row),
///            "docker pull harbor.local/library/nginx@sha256:ab");
/// ```
pub fn pull_by_digest(host: &str, row: &ArtifactRow) -> String {
    format!("docker pull {}@{}", image_ref(host, row), row.digest)
}

/// `docker pull <host>/<project>/<repo>:<tag>`.
pub fn pull_by_tag(host: &str, row: &ArtifactRow, tag: &str) -> String {
    format!("docker pull {}:{tag}", image_ref(host, row))
}

/// `<host>/<project>/<repo>`; the repository name already includes the project.
fn image_ref(host: &str, row: &ArtifactRow) -> String {
    let host = host.trim_end_matches('/');
    if host.is_empty() {
        row.repository.to_string()
    } else {
        format!("{host}/{}", row.repository)
    }
}

/// A count with thousands separators (`1,204`), as the banner and counters show.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec};

    #[test]
    fn human_size_table() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (1_048_575, "1.0 MiB"),
            (1_048_576, "1.0 MiB"),
            (5_347_737, "5.1 MiB"),
            (3_435_973_837, "3.2 GiB"),
            (1 << 40, "1.0 TiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (bytes, want) in cases {
            assert_eq!(human_size(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn relative_time_table() {
        let now = 10_000 * DAY_MS;
        let cases = [
            (None, "never"),
            (Some(now), "just now"),
            (Some(now + 5000), "just now"),
            (Some(now - 59_000), "just now"),
            (Some(now - 60_000), "1 minute ago"),
            (Some(now - 150_000), "2 minutes ago"),
            (Some(now - 3_600_000), "1 hour ago"),
            (Some(now - DAY_MS + 1), "23 hours ago"),
            (Some(now - DAY_MS), "1 day ago"),
            (Some(now - 3 * DAY_MS), "3 days ago"),
            (Some(now - 29 * DAY_MS), "29 days ago"),
            (Some(now - 30 * DAY_MS), "1 month ago"),
            (Some(now - 364 * DAY_MS), "12 months ago"),
            (Some(now - 365 * DAY_MS), "1 year ago"),
            (Some(now - 1000 * DAY_MS), "2 years ago"),
            (Some(i64::MIN), "292471208 years ago"),
        ];
        for (at, want) in cases {
            assert_eq!(relative_time(at, now), want, "{at:?}");
        }
        assert_eq!(exact_time(None), "never");
        assert_eq!(exact_time(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(age_days(Some(now - 3 * DAY_MS - 5), now), Some(3));
        assert_eq!(age_days(Some(now + DAY_MS), now), Some(0));
    }

    #[test]
    fn short_id_table() {
        let cases = [
            ("sha256:0123456789abcdef", "0123456789ab"),
            ("sha512:ffffffffffffffffff", "ffffffffffff"),
            ("0123456789abcdef", "0123456789ab"),
            ("sha256:0123", "0123"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(short_id(input), want, "{input}");
        }
    }

    #[test]
    fn name_in_project_table() {
        let cases = [
            ("library/api", "library", "api"),
            ("library/team/api", "library", "team/api"),
            // Another project whose name starts the same way.
            ("lib/api", "library", "lib/api"),
            ("library2/api", "library", "library2/api"),
            // Nothing after the project: keep what Harbor sent.
            ("library/", "library", "library/"),
            ("library", "library", "library"),
            ("api", "", "api"),
        ];
        for (repository, project, want) in cases {
            assert_eq!(name_in_project(repository, project), want, "{repository}");
        }
    }

    #[test]
    fn short_digest_table() {
        let cases = [
            ("sha256:0123456789abcdef", "sha256:0123456789ab"),
            ("sha256:0123456789ab", "sha256:0123456789ab"),
            ("sha256:0123", "sha256:0123"),
            ("sha512:ffffffffffffffffff", "sha512:ffffffffffff"),
            ("0123456789abcdef", "0123456789ab"),
            ("", ""),
            ("sha256:ééééééééééééé", "sha256:éééééé"),
            ("sha256:aéééééééééééé", "sha256:aéééééééééééé"),
        ];
        for (input, want) in cases {
            assert_eq!(short_digest(input), want, "{input}");
        }
    }

    #[test]
    fn badge_table() {
        let scanned = |s: Option<Severity>, total| ScanSummary {
            status: ScanStatus::Success,
            severity: s,
            total,
            ..ScanSummary::NOT_SCANNED
        };
        let with = |status| ScanSummary {
            status,
            ..ScanSummary::NOT_SCANNED
        };
        let cases = [
            (with(ScanStatus::NotScanned), "not scanned", "not-scanned"),
            (with(ScanStatus::Failed), "scan failed", "failed"),
            (with(ScanStatus::Scanning), "scanning", "scanning"),
            (
                scanned(Some(Severity::None), 0),
                "No vulnerabilities",
                "none",
            ),
            (scanned(None, 0), "No vulnerabilities", "none"),
            (scanned(None, 3), "Unknown", "none"),
            (scanned(Some(Severity::Critical), 3), "Critical", "critical"),
            (
                scanned(Some(Severity::Negligible), 1),
                "Negligible",
                "unknown",
            ),
        ];
        for (scan, badge, class) in cases {
            assert_eq!(severity_badge(&scan), badge, "{scan:?}");
            assert_eq!(severity_class(&scan), class, "{scan:?}");
        }
        let mut s = scanned(Some(Severity::High), 8);
        s.counts = [1, 2, 0, 5];
        assert_eq!(severity_counts(&s), "C 1 · H 2 · M 0 · L 5");
        assert_eq!(severity_counts(&with(ScanStatus::Failed)), "");
        assert_eq!(severity_counts_short(&s), "C1 H2 M0 L5");
        assert_eq!(severity_counts_short(&with(ScanStatus::NotScanned)), "");
        assert_eq!(
            severity_counts_long(&s),
            "Critical 1, High 2, Medium 0, Low 5"
        );
        assert_eq!(severity_counts_long(&with(ScanStatus::Scanning)), "");
    }

    #[test]
    fn tags_collapse_table() {
        let r = row(&RowSpec::new("p", "p/r").tags(&["a", "b", "c"]));
        let cases = [(0, 0, 3), (2, 2, 1), (3, 3, 0), (9, 3, 0)];
        for (max, shown, hidden) in cases {
            let (s, h) = collapse_tags(&r.tags, max);
            assert_eq!((s.len(), h), (shown, hidden), "max {max}");
        }
        assert_eq!(more_label(0), "");
        assert_eq!(more_label(12), "+12 more");
    }

    #[test]
    fn pull_commands() {
        let r = row(&RowSpec::new("team", "team/app/api").digest("sha256:ff"));
        let hosts = [
            ("https://harbor.example.com/", "harbor.example.com"),
            ("http://user:pw@h.local:8443/sub/path?x#y", "h.local:8443"),
            ("harbor.local", "harbor.local"),
            ("", ""),
        ];
        for (url, host) in hosts {
            assert_eq!(registry_host(url), host, "{url}");
        }
        assert_eq!(
            pull_by_digest("h:1", &r),
            "docker pull h:1/team/app/api@sha256:ff"
        );
        assert_eq!(pull_by_tag("h/", &r, "v1"), "docker pull h/team/app/api:v1");
        assert_eq!(pull_by_tag("", &r, "v1"), "docker pull team/app/api:v1");
    }

    #[test]
    fn thousands_table() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1_204, "1,204"),
            (12_345_678, "12,345,678"),
        ];
        for (n, want) in cases {
            assert_eq!(thousands(n), want);
        }
    }
}

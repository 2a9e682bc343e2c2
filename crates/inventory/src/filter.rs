//! Filters applied instantly to the loaded rows.
//!
//! [`Filters`] is the plain, serialisable description (what the filter bar and the URL
//! hold). [`filter_indices`] compiles it once — lowercased needles, time cut-offs — and
//! then runs one allocation-free pass over the rows. Project and repository names are
//! shared `Arc<str>`s and rows of one repository arrive together, so the name checks are
//! memoised on the pointer of the previous row: most rows skip the string search entirely.
//!
//! Text filters match case-insensitively as substrings; a value in double quotes
//! (`"library"`) must match the whole name instead, which is what a click on a chart bar
//! sets.

use std::sync::Arc;

use harbor_client::slim::{ArtifactRow, Millis, ScanStatus, Severity};

pub use crate::index::RowIndex;
use crate::DAY_MS;

/// Every filter the table offers. The default filters nothing.
///
/// Text fields are kept as typed; surrounding whitespace is ignored when matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Project name: substring, or the exact name when quoted (`"library"`).
    pub project: String,
    /// Full repository name (`library/nginx`): substring, or exact when quoted (the full
    /// name or the name without the project).
    pub repository: String,
    /// A tag name substring (exact when quoted); `*` means "has at least one tag".
    pub tag: String,
    /// Only artifacts without any tag.
    pub untagged: bool,
    /// Digest prefix, with or without the `sha256:` algorithm part.
    pub digest: String,
    /// A label name: substring, or exact when quoted.
    pub label: String,
    /// Artifact type (`IMAGE`, `CHART`, `CNAI` for AI models from Harbor 2.13, ...),
    /// exact, case-insensitive.
    pub kind: String,
    /// Only successfully scanned artifacts whose overall severity is at least this.
    pub min_severity: Option<Severity>,
    /// Only artifacts whose scan found at least one vulnerability with a fix available.
    pub fixable: bool,
    /// Scan state (any of the chosen states).
    pub scan: ScanFilter,
    /// Not pulled in the last N days; never pulled counts as not pulled.
    pub unpulled_days: Option<u32>,
    /// Only artifacts whose digest also appears in another repository.
    pub duplicate_digest: bool,
    /// Only artifacts of repositories holding more than N artifacts.
    pub repo_artifacts_over: Option<u32>,
    /// Only artifacts whose full vulnerability report lists this id (`CVE-2024-1234`),
    /// chosen in the CVE roll-up. Rows are matched against the roll-up's affected set
    /// by [`crate::view::matching`]; the row filters here ignore it.
    pub cve: String,
    /// `Some(true)`: only artifacts with a cosign or notation signature (inherited from
    /// an index counts); `Some(false)`: only artifacts without one.
    pub signed: Option<bool>,
    /// `Some(true)`: only artifacts with an SBOM accessory; `Some(false)`: only without.
    pub sbom: Option<bool>,
}

impl Filters {
    /// True when no filter is set, i.e. every row matches.
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// True when matching needs the whole-inventory [`RowIndex`] (cross-row filters).
    pub fn needs_index(&self) -> bool {
        self.duplicate_digest || self.repo_artifacts_over.is_some()
    }

    /// True when every row these filters match is also matched by `before`: the user
    /// typed more of a needle, or ticked a checkbox. Then the new matches can be found
    /// among the old ones instead of among all rows. Conservative: anything it cannot
    /// prove (a quoted or `*` needle, non-ASCII text, a changed threshold) says false.
    ///
    /// ```
    /// let mut before = inventory::Filters::default();
    /// before.repository = "ngi".into();
    /// let mut after = before.clone();
    /// after.repository = "nginx".into();
    /// assert!(after.narrows(&before));
    /// assert!(!before.narrows(&after));
    /// ```
    pub fn narrows(&self, before: &Filters) -> bool {
        let text = |new: &str, old: &str, prefix: bool| {
            let (new, old) = (new.trim(), old.trim());
            if new == old || old.is_empty() && !prefix {
                return true;
            }
            let plain = |s: &str| s.is_ascii() && !s.contains(['"', '*']);
            if !plain(new) || !plain(old) {
                return false;
            }
            let (new, old) = (new.to_ascii_lowercase(), old.to_ascii_lowercase());
            if prefix {
                // With and without `sha256:` compare different parts of the digest.
                (old.is_empty() || new.contains(':') == old.contains(':')) && new.starts_with(&old)
            } else {
                new.contains(&old)
            }
        };
        let flag = |new: bool, old: bool| new || !old;
        text(&self.project, &before.project, false)
            && text(&self.repository, &before.repository, false)
            && text(&self.tag, &before.tag, false)
            && text(&self.label, &before.label, false)
            && text(&self.digest, &before.digest, true)
            && self.kind.trim().eq_ignore_ascii_case(before.kind.trim())
            && flag(self.untagged, before.untagged)
            && flag(self.fixable, before.fixable)
            && flag(self.duplicate_digest, before.duplicate_digest)
            && self.min_severity == before.min_severity
            && self.scan == before.scan
            && self.unpulled_days == before.unpulled_days
            && self.repo_artifacts_over == before.repo_artifacts_over
            && (self.cve.trim() == before.cve.trim() || before.cve.trim().is_empty())
            && (self.signed == before.signed || before.signed.is_none())
            && (self.sbom == before.sbom || before.sbom.is_none())
    }
}

/// The filter value that matches `name` exactly rather than as a substring (it quotes
/// it), e.g. for a click on a project's bar in the overview chart.
///
/// ```
/// let mut f = inventory::Filters::default();
/// f.project = inventory::filter::exact("library");
/// assert_eq!(f.project, "\"library\"");
/// ```
pub fn exact(name: &str) -> String {
    format!("\"{name}\"")
}

/// Which scan states pass. A row passes when it is in any chosen state; nothing chosen
/// means no scan filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanFilter {
    /// No scan overview at all.
    pub not_scanned: bool,
    /// Pending, running or scheduled.
    pub scanning: bool,
    /// Error or stopped.
    pub failed: bool,
    /// Finished successfully (any age).
    pub success: bool,
    /// A successful scan that ended more than N days ago (or whose end time is unknown,
    /// since its freshness cannot be shown).
    pub stale_days: Option<u32>,
}

impl ScanFilter {
    /// True when no state is chosen.
    pub fn is_empty(&self) -> bool {
        *self == ScanFilter::default()
    }

    /// Whether a row with this scan passes, given the stale cut-off (`now - N days`).
    fn accepts(
        &self,
        scan: &harbor_client::slim::ScanSummary,
        stale_before: Option<Millis>,
    ) -> bool {
        let by_state = match scan.status {
            ScanStatus::NotScanned => self.not_scanned,
            ScanStatus::Scanning => self.scanning,
            ScanStatus::Failed => self.failed,
            ScanStatus::Success => self.success,
        };
        by_state
            || (scan.status == ScanStatus::Success
                && stale_before.is_some_and(|cut| scan.end_time.get().is_none_or(|t| t < cut)))
    }
}

/// Indices (ascending, i.e. in load order) of the rows that pass every filter.
///
/// `index` is used for the cross-row filters when it was built for these rows; otherwise
/// it is computed here when those filters are set. `now` anchors the "N days" filters.
///
/// ```
/// use inventory::{filter::filter_indices, Filters};
/// let rows = inventory::synthetic::rows(10, 1);
/// let all = filter_indices(&rows, &Filters::default(), None, inventory::synthetic::NOW);
/// assert_eq!(all, (0..10).collect::<Vec<u32>>());
/// ```
pub fn filter_indices(
    rows: &[ArtifactRow],
    filters: &Filters,
    index: Option<&RowIndex>,
    now: Millis,
) -> Vec<u32> {
    filter_among(rows, 0..rows.len() as u32, filters, index, now)
}

/// [`filter_indices`] over `candidates` only, keeping their order: filtering rows that
/// are already sorted leaves them sorted, so a keystroke never sorts again.
pub fn filter_among(
    rows: &[ArtifactRow],
    candidates: impl ExactSizeIterator<Item = u32>,
    filters: &Filters,
    index: Option<&RowIndex>,
    now: Millis,
) -> Vec<u32> {
    let local;
    let index = match index {
        Some(ix) if ix.len() == rows.len() => Some(ix),
        _ if filters.needs_index() => {
            local = RowIndex::new(rows);
            Some(&local)
        }
        _ => None,
    };
    let compiled = Compiled::new(filters, now);
    let mut project_memo = Memo::default();
    let mut repo_memo = Memo::default();
    let len = candidates.len();
    let mut out = Vec::with_capacity(if filters.is_empty() { len } else { len / 4 });
    for i in candidates {
        let Some(row) = rows.get(i as usize) else {
            continue;
        };
        if let Some(needle) = &compiled.project {
            if !project_memo.check(&row.project, |p| needle.matches(p)) {
                continue;
            }
        }
        if let Some(needle) = &compiled.repository {
            // The name without its project: everything after the first `/`.
            let short = row
                .repository
                .split_once('/')
                .map_or(&*row.repository, |(_, r)| r);
            if !repo_memo.check(&row.repository, |r| {
                needle.matches(r) || needle.exact_matches(short)
            }) {
                continue;
            }
        }
        if compiled.row_passes(row) && compiled.index_passes(index, i as usize) {
            out.push(i);
        }
    }
    out
}

/// Remembers the verdict for the last shared name, keyed by its `Arc` pointer.
#[derive(Default)]
struct Memo {
    last: Option<(usize, bool)>,
}

impl Memo {
    fn check(&mut self, name: &Arc<str>, test: impl FnOnce(&str) -> bool) -> bool {
        let key = Arc::as_ptr(name) as *const u8 as usize;
        match self.last {
            Some((k, verdict)) if k == key => verdict,
            _ => {
                let verdict = test(name);
                self.last = Some((key, verdict));
                verdict
            }
        }
    }
}

/// A text filter prepared once per query.
#[derive(Debug)]
struct Needle {
    /// Lowercased needle.
    text: String,
    /// Whole-name match (the value was quoted).
    exact: bool,
    /// Plain ASCII needle: matched byte-wise with no allocation.
    ascii: bool,
}

impl Needle {
    /// `None` for an empty (or whitespace-only) filter.
    fn new(raw: &str) -> Option<Needle> {
        let trimmed = raw.trim();
        let (body, exact) = match trimmed.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(inner) => (inner, true),
            None => (trimmed, false),
        };
        if body.is_empty() && !exact {
            return None;
        }
        Some(Needle {
            text: body.to_lowercase(),
            exact,
            ascii: body.is_ascii(),
        })
    }

    fn matches(&self, hay: &str) -> bool {
        if self.exact {
            self.exact_matches(hay)
        } else if self.ascii {
            contains_ignore_ascii_case(hay.as_bytes(), self.text.as_bytes())
        } else {
            hay.to_lowercase().contains(&self.text)
        }
    }

    /// Whole-name comparison; false for substring needles.
    fn exact_matches(&self, hay: &str) -> bool {
        self.exact
            && if self.ascii {
                hay.eq_ignore_ascii_case(&self.text)
            } else {
                hay.to_lowercase() == self.text
            }
    }
}

/// Case-insensitive (ASCII) substring search; `needle` must already be lowercase.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w[0].to_ascii_lowercase() == first && w.eq_ignore_ascii_case(needle))
}

/// How the tag filter reads.
#[derive(Debug)]
enum TagNeedle {
    /// `*`: at least one tag.
    AnyTag,
    Name(Needle),
}

/// The per-row checks of a [`Filters`], prepared once.
#[derive(Debug)]
struct Compiled {
    project: Option<Needle>,
    repository: Option<Needle>,
    tag: Option<TagNeedle>,
    untagged: bool,
    /// Lowercased digest prefix and whether it includes the algorithm (`sha256:`).
    digest: Option<(String, bool)>,
    label: Option<Needle>,
    kind: Option<String>,
    min_severity: Option<Severity>,
    fixable: bool,
    scan: Option<ScanFilter>,
    stale_before: Option<Millis>,
    pulled_before: Option<Millis>,
    duplicate_digest: bool,
    repo_artifacts_over: Option<u32>,
    signed: Option<bool>,
    sbom: Option<bool>,
}

impl Compiled {
    fn new(f: &Filters, now: Millis) -> Compiled {
        let days_before = |days: u32| now.saturating_sub(i64::from(days).saturating_mul(DAY_MS));
        let tag = match f.tag.trim() {
            "*" => Some(TagNeedle::AnyTag),
            other => Needle::new(other).map(TagNeedle::Name),
        };
        let digest = Some(f.digest.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .map(|d| {
                let with_algorithm = d.contains(':');
                (d, with_algorithm)
            });
        let kind = Some(f.kind.trim().trim_matches('"').to_string()).filter(|k| !k.is_empty());
        Compiled {
            project: Needle::new(&f.project),
            repository: Needle::new(&f.repository),
            tag,
            untagged: f.untagged,
            digest,
            label: Needle::new(&f.label),
            kind,
            min_severity: f.min_severity,
            fixable: f.fixable,
            scan: Some(f.scan).filter(|s| !s.is_empty()),
            stale_before: f.scan.stale_days.map(days_before),
            pulled_before: f.unpulled_days.map(days_before),
            duplicate_digest: f.duplicate_digest,
            repo_artifacts_over: f.repo_artifacts_over,
            signed: f.signed,
            sbom: f.sbom,
        }
    }

    /// Every check that looks at the row alone (project and repository are done by the
    /// caller, memoised).
    fn row_passes(&self, row: &ArtifactRow) -> bool {
        if self.untagged && !row.tags.is_empty() {
            return false;
        }
        match &self.tag {
            Some(TagNeedle::AnyTag) if row.tags.is_empty() => return false,
            Some(TagNeedle::Name(n)) if !row.tags.iter().any(|t| n.matches(&t.name)) => {
                return false
            }
            _ => {}
        }
        if let Some((prefix, with_algorithm)) = &self.digest {
            let text = row.digest.text();
            let hay = if *with_algorithm {
                &text[..]
            } else {
                text.split_once(':').map_or(&text[..], |(_, hex)| hex)
            };
            let head = hay.as_bytes().get(..prefix.len());
            if !head.is_some_and(|h| h.eq_ignore_ascii_case(prefix.as_bytes())) {
                return false;
            }
        }
        if let Some(n) = &self.label {
            if !row.labels.iter().any(|l| n.matches(&l.name)) {
                return false;
            }
        }
        if let Some(kind) = &self.kind {
            if !row.kind.eq_ignore_ascii_case(kind) {
                return false;
            }
        }
        if let Some(min) = self.min_severity {
            let severe = row.scan.status == ScanStatus::Success
                && row.scan.severity.is_some_and(|s| s >= min);
            if !severe {
                return false;
            }
        }
        if self.fixable && row.scan.fixable == 0 {
            return false;
        }
        if let Some(scan) = &self.scan {
            if !scan.accepts(&row.scan, self.stale_before) {
                return false;
            }
        }
        if let Some(cut) = self.pulled_before {
            if row.pull_time.get().is_some_and(|t| t >= cut) {
                return false;
            }
        }
        if self.signed.is_some_and(|want| row.signed() != want) {
            return false;
        }
        if self.sbom.is_some_and(|want| row.has_sbom() != want) {
            return false;
        }
        true
    }

    fn index_passes(&self, index: Option<&RowIndex>, i: usize) -> bool {
        let Some(index) = index else {
            return true;
        };
        (!self.duplicate_digest || index.shared_digest(i))
            && self
                .repo_artifacts_over
                .is_none_or(|n| index.repo_artifacts(i) > n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec};

    const NOW: Millis = 1_800_000_000_000;

    fn fixture() -> Vec<ArtifactRow> {
        let lib = RowSpec::new("library", "library/nginx");
        let app = RowSpec::new("Team-App", "team-app/api");
        vec![
            // 0: tagged, pulled yesterday, critical, fixable, label prod
            row(&lib
                .clone()
                .digest("sha256:aaaa1111")
                .tags(&["1.25", "latest"])
                .pulled(Some(NOW - DAY_MS))
                .scanned(Severity::Critical, [2, 1, 0, 0], 3, Some(NOW - 2 * DAY_MS))
                .labels(&["prod"])),
            // 1: untagged, never pulled, not scanned
            row(&lib.clone().digest("sha256:bbbb2222").tags(&[]).pulled(None)),
            // 2: same digest as 0 in another repo, chart, pulled 100 days ago, scan failed
            row(&app
                .clone()
                .digest("sha256:aaaa1111")
                .kind("CHART")
                .tags(&["v2-Beta"])
                .pulled(Some(NOW - 100 * DAY_MS))
                .status(ScanStatus::Failed)),
            // 3: scanning, label non-prod, pulled 10 days ago
            row(&app
                .clone()
                .digest("sha256:cccc3333")
                .tags(&["dev"])
                .pulled(Some(NOW - 10 * DAY_MS))
                .status(ScanStatus::Scanning)
                .labels(&["non-prod"])),
            // 4: success, low, old scan (40 days), not fixable
            row(&app
                .clone()
                .digest("sha256:dddd4444")
                .tags(&["ünïcode"])
                .pulled(Some(NOW - 89 * DAY_MS))
                .scanned(Severity::Low, [0, 0, 0, 1], 0, Some(NOW - 40 * DAY_MS))),
        ]
    }

    fn run(f: Filters) -> Vec<u32> {
        filter_indices(&fixture(), &f, None, NOW)
    }

    #[test]
    fn filter_table() {
        let scan = |s: ScanFilter| Filters {
            scan: s,
            ..Filters::default()
        };
        let cases: Vec<(&str, Filters, Vec<u32>)> = vec![
            ("none", Filters::default(), vec![0, 1, 2, 3, 4]),
            (
                "project substring",
                Filters {
                    project: "LIB".into(),
                    ..Default::default()
                },
                vec![0, 1],
            ),
            (
                "project exact miss",
                Filters {
                    project: "\"lib\"".into(),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "project exact ci",
                Filters {
                    project: "\"team-app\"".into(),
                    ..Default::default()
                },
                vec![2, 3, 4],
            ),
            (
                "project whitespace",
                Filters {
                    project: "   ".into(),
                    ..Default::default()
                },
                vec![0, 1, 2, 3, 4],
            ),
            (
                "repo substring",
                Filters {
                    repository: "y/ng".into(),
                    ..Default::default()
                },
                vec![0, 1],
            ),
            (
                "repo exact short",
                Filters {
                    repository: "\"api\"".into(),
                    ..Default::default()
                },
                vec![2, 3, 4],
            ),
            (
                "repo exact full",
                Filters {
                    repository: "\"library/nginx\"".into(),
                    ..Default::default()
                },
                vec![0, 1],
            ),
            (
                "tag substring ci",
                Filters {
                    tag: "BETA".into(),
                    ..Default::default()
                },
                vec![2],
            ),
            (
                "tag star",
                Filters {
                    tag: "*".into(),
                    ..Default::default()
                },
                vec![0, 2, 3, 4],
            ),
            (
                "tag exact",
                Filters {
                    tag: "\"latest\"".into(),
                    ..Default::default()
                },
                vec![0],
            ),
            (
                "tag unicode",
                Filters {
                    tag: "ÜNÏ".into(),
                    ..Default::default()
                },
                vec![4],
            ),
            (
                "untagged",
                Filters {
                    untagged: true,
                    ..Default::default()
                },
                vec![1],
            ),
            (
                "untagged and tag",
                Filters {
                    untagged: true,
                    tag: "*".into(),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "digest hex",
                Filters {
                    digest: "AAAA".into(),
                    ..Default::default()
                },
                vec![0, 2],
            ),
            (
                "digest full",
                Filters {
                    digest: "sha256:cc".into(),
                    ..Default::default()
                },
                vec![3],
            ),
            (
                "digest not infix",
                Filters {
                    digest: "1111".into(),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "digest too long",
                Filters {
                    digest: "aaaa11111".into(),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "label substring",
                Filters {
                    label: "prod".into(),
                    ..Default::default()
                },
                vec![0, 3],
            ),
            (
                "label exact",
                Filters {
                    label: "\"prod\"".into(),
                    ..Default::default()
                },
                vec![0],
            ),
            (
                "type",
                Filters {
                    kind: "chart".into(),
                    ..Default::default()
                },
                vec![2],
            ),
            (
                "min high",
                Filters {
                    min_severity: Some(Severity::High),
                    ..Default::default()
                },
                vec![0],
            ),
            (
                "min low",
                Filters {
                    min_severity: Some(Severity::Low),
                    ..Default::default()
                },
                vec![0, 4],
            ),
            (
                "fixable",
                Filters {
                    fixable: true,
                    ..Default::default()
                },
                vec![0],
            ),
            (
                "not scanned",
                scan(ScanFilter {
                    not_scanned: true,
                    ..Default::default()
                }),
                vec![1],
            ),
            (
                "failed+scanning",
                scan(ScanFilter {
                    failed: true,
                    scanning: true,
                    ..Default::default()
                }),
                vec![2, 3],
            ),
            (
                "success",
                scan(ScanFilter {
                    success: true,
                    ..Default::default()
                }),
                vec![0, 4],
            ),
            (
                "stale 30",
                scan(ScanFilter {
                    stale_days: Some(30),
                    ..Default::default()
                }),
                vec![4],
            ),
            (
                "stale 50",
                scan(ScanFilter {
                    stale_days: Some(50),
                    ..Default::default()
                }),
                vec![],
            ),
            (
                "stale 1",
                scan(ScanFilter {
                    stale_days: Some(1),
                    ..Default::default()
                }),
                vec![0, 4],
            ),
            (
                "unpulled 90",
                Filters {
                    unpulled_days: Some(90),
                    ..Default::default()
                },
                vec![1, 2],
            ),
            (
                "unpulled 89",
                Filters {
                    unpulled_days: Some(89),
                    ..Default::default()
                },
                vec![1, 2],
            ),
            (
                "unpulled 88",
                Filters {
                    unpulled_days: Some(88),
                    ..Default::default()
                },
                vec![1, 2, 4],
            ),
            (
                "unpulled 0",
                Filters {
                    unpulled_days: Some(0),
                    ..Default::default()
                },
                vec![0, 1, 2, 3, 4],
            ),
            (
                "dup digest",
                Filters {
                    duplicate_digest: true,
                    ..Default::default()
                },
                vec![0, 2],
            ),
            (
                "repo over 2",
                Filters {
                    repo_artifacts_over: Some(2),
                    ..Default::default()
                },
                vec![2, 3, 4],
            ),
            (
                "repo over 3",
                Filters {
                    repo_artifacts_over: Some(3),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "combined",
                Filters {
                    project: "team".into(),
                    tag: "*".into(),
                    unpulled_days: Some(30),
                    ..Default::default()
                },
                vec![2, 4],
            ),
        ];
        for (name, filters, want) in cases {
            assert_eq!(run(filters), want, "{name}");
        }
    }

    #[test]
    fn index_counts() {
        let rows = fixture();
        let ix = RowIndex::new(&rows);
        assert_eq!(ix.len(), 5);
        assert_eq!(
            (0..5).map(|i| ix.repo_artifacts(i)).collect::<Vec<_>>(),
            [2, 2, 3, 3, 3]
        );
        assert_eq!(
            (0..5).map(|i| ix.shared_digest(i)).collect::<Vec<_>>(),
            [true, false, true, false, false]
        );
        assert_eq!(ix.repo_artifacts(99), 0);
    }

    #[test]
    fn stale_index_is_rebuilt() {
        let rows = fixture();
        let wrong = RowIndex::new(&rows[..2]);
        let f = Filters {
            duplicate_digest: true,
            ..Default::default()
        };
        assert_eq!(filter_indices(&rows, &f, Some(&wrong), NOW), vec![0, 2]);
    }

    #[test]
    fn same_digest_in_same_repo_is_not_shared() {
        let spec = RowSpec::new("p", "p/r").digest("sha256:ee");
        let rows = vec![row(&spec), row(&spec)];
        let f = Filters {
            duplicate_digest: true,
            ..Default::default()
        };
        assert!(filter_indices(&rows, &f, None, NOW).is_empty());
    }

    #[test]
    fn memo_does_not_leak_between_distinct_names() {
        // Consecutive rows with different project Arcs must each be checked.
        let a = RowSpec::new("alpha", "alpha/x");
        let b = RowSpec::new("beta", "beta/x");
        let rows = vec![row(&a), row(&b), row(&a), row(&b)];
        let f = Filters {
            project: "alp".into(),
            ..Default::default()
        };
        assert_eq!(filter_indices(&rows, &f, None, NOW), vec![0, 2]);
    }

    #[test]
    fn the_type_filter_knows_model_artifacts() {
        let rows = vec![
            row(&RowSpec::new("p", "p/models")
                .digest("sha256:1")
                .kind("CNAI")),
            row(&RowSpec::new("p", "p/old")
                .digest("sha256:2")
                .kind("UNKNOWN")),
            row(&RowSpec::new("p", "p/app").digest("sha256:3")),
        ];
        let only = |kind: &str| {
            let f = Filters {
                kind: kind.into(),
                ..Default::default()
            };
            filter_indices(&rows, &f, None, crate::synthetic::NOW)
        };
        assert_eq!(only("cnai"), vec![0]);
        assert_eq!(only("\"CNAI\""), vec![0]);
        assert_eq!(only("unknown"), vec![1]);
        assert_eq!(only("image"), vec![2]);
    }
}

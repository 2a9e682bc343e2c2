//! The whole table state in one plain struct, and its URL form.
//!
//! [`TableQuery`] keeps its fields private so its methods can keep the invariants: a
//! filter or sort change returns to page 1, the page is never below 1 and is clamped to
//! the page count whenever one is known, and a second click on the sorted column
//! reverses it. The UI keeps one `TableQuery` in a signal, mirrors
//! [`TableQuery::to_query_string`] into the URL and rebuilds it with
//! [`TableQuery::from_query_string`] on load and on Back/Forward.
//!
//! URL parameters (names of the first six are fixed by the UI contract):
//!
//! | parameter | meaning | example |
//! | --- | --- | --- |
//! | `project`, `repo`, `tag` | text filters (quoted = exact; `tag=*` = tagged) | `project=%22library%22` |
//! | `page`, `per_page` | page (1-based), rows per page (25/50/100/250) | `page=3&per_page=100` |
//! | `sort` | column, `-` prefix for descending | `sort=-size` |
//! | `digest`, `label`, `type` | digest prefix, label name, artifact type | `digest=sha256:ab12` |
//! | `severity` | minimum severity | `severity=high` |
//! | `fixable` | only with fixable vulnerabilities | `fixable=1` |
//! | `scan` | scan states, comma separated; `staleN` = success older than N days | `scan=not_scanned,failed,stale30` |
//! | `unpulled_days` | not pulled for N days (or never) | `unpulled_days=90` |
//! | `untagged` | only untagged | `untagged=1` |
//! | `dup_digest` | digest also in another repository | `dup_digest=1` |
//! | `repo_over` | repository holds more than N artifacts | `repo_over=100` |
//! | `cve` | only artifacts affected by this vulnerability (from the CVE roll-up) | `cve=CVE-2024-1234` |
//! | `signed` | signed (`yes`) or unsigned (`no`) artifacts only | `signed=no` |
//! | `sbom` | with (`yes`) or without (`no`) an SBOM only | `sbom=no` |
//! | `rows` | `tags`: one row per tag (an untagged artifact is one row) | `rows=tags` |
//! | `preset` | the audit preset this view was opened from | `preset=untagged` |
//!
//! Parsing is lenient: unknown parameters and bad values are ignored, the last of a
//! repeated parameter wins, nothing panics.

use harbor_client::slim::Severity;

use crate::filter::{Filters, ScanFilter};
use crate::page::{clamp_page, PerPage};
use crate::presets::Preset;
use crate::sort::{Column, SortSpec};
use crate::tagrows::RowMode;
use crate::urlenc::{build_query, parse_query};

/// Every URL parameter [`TableQuery`] reads and writes; the rest of a URL belongs to
/// others (the app's own settings) and is left alone.
pub const PARAMS: &[&str] = &[
    "project",
    "repo",
    "tag",
    "page",
    "per_page",
    "sort",
    "digest",
    "label",
    "type",
    "cve",
    "severity",
    "fixable",
    "scan",
    "unpulled_days",
    "untagged",
    "dup_digest",
    "repo_over",
    "signed",
    "sbom",
    "rows",
    "preset",
];

/// Filters, sort, page and rows per page: everything a link must reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableQuery {
    filters: Filters,
    sort: Option<SortSpec>,
    /// Requested page, 1-based; clamped to the page count by [`crate::view()`].
    page: u32,
    per_page: PerPage,
    /// The preset the user chose, kept only while the query still matches it.
    preset: Option<Preset>,
    /// One row per artifact or per tag.
    rows: RowMode,
}

impl Default for TableQuery {
    fn default() -> Self {
        TableQuery {
            filters: Filters::default(),
            sort: None,
            page: 1,
            per_page: PerPage::DEFAULT,
            preset: None,
            rows: RowMode::Artifacts,
        }
    }
}

impl TableQuery {
    /// The current filters.
    pub fn filters(&self) -> &Filters {
        &self.filters
    }

    /// Replaces the filters; returns to page 1 if they changed.
    pub fn set_filters(&mut self, filters: Filters) {
        if filters != self.filters {
            self.filters = filters;
            self.page = 1;
            self.revalidate_preset();
        }
    }

    /// Changes the filters in place; returns to page 1 if anything changed.
    ///
    /// ```
    /// let mut q = inventory::TableQuery::default();
    /// q.set_page(4, 10);
    /// q.update_filters(|f| f.tag = "latest".into());
    /// assert_eq!(q.page(), 1);
    /// ```
    pub fn update_filters(&mut self, change: impl FnOnce(&mut Filters)) {
        let mut next = self.filters.clone();
        change(&mut next);
        self.set_filters(next);
    }

    /// Removes every filter (keeps sort and page size).
    pub fn clear_filters(&mut self) {
        self.set_filters(Filters::default());
    }

    /// The current sort, `None` for load order.
    pub fn sort(&self) -> Option<SortSpec> {
        self.sort
    }

    /// Sets or clears the sort; returns to page 1 if it changed.
    pub fn set_sort(&mut self, sort: Option<SortSpec>) {
        if sort != self.sort {
            self.sort = sort;
            self.page = 1;
            self.revalidate_preset();
        }
    }

    /// A click on a column header: the same column again reverses the direction, another
    /// column starts in its [`Column::first_direction`]. Returns to page 1.
    ///
    /// ```
    /// use inventory::{Column, Direction, TableQuery};
    /// let mut q = TableQuery::default();
    /// q.click_sort(Column::Project);
    /// q.click_sort(Column::Project);
    /// assert_eq!(q.sort().map(|s| s.direction), Some(Direction::Descending));
    /// ```
    pub fn click_sort(&mut self, column: Column) {
        let direction = match self.sort {
            Some(s) if s.column == column => s.direction.reversed(),
            _ => column.first_direction(),
        };
        self.set_sort(Some(SortSpec { column, direction }));
    }

    /// The `aria-sort` value for a column header: `ascending`, `descending` or `none`.
    pub fn aria_sort(&self, column: Column) -> &'static str {
        match self.sort {
            Some(s) if s.column == column => s.direction.aria(),
            _ => "none",
        }
    }

    /// The requested page (1-based). [`crate::view()`] reports the clamped page actually shown.
    pub fn page(&self) -> u32 {
        self.page
    }

    /// Goes to `page`, clamped to `1..=page_count`.
    pub fn set_page(&mut self, page: u32, page_count: u32) {
        self.page = clamp_page(page, page_count);
    }

    /// Clamps the stored page to `1..=page_count` (e.g. after new rows arrived or a link
    /// asked for a page past the end).
    pub fn clamp_page(&mut self, page_count: u32) {
        self.page = clamp_page(self.page, page_count);
    }

    /// `Next page`, never past the last page.
    pub fn next_page(&mut self, page_count: u32) {
        self.set_page(self.page.saturating_add(1), page_count);
    }

    /// `Previous page`, never before page 1.
    pub fn previous_page(&mut self) {
        self.page = self.page.saturating_sub(1).max(1);
    }

    /// `First page`.
    pub fn first_page(&mut self) {
        self.page = 1;
    }

    /// `Last page`.
    pub fn last_page(&mut self, page_count: u32) {
        self.page = page_count.max(1);
    }

    /// Rows per page.
    pub fn per_page(&self) -> PerPage {
        self.per_page
    }

    /// Changes rows per page, staying on the page that holds the first row shown before.
    ///
    /// ```
    /// use inventory::{PerPage, TableQuery};
    /// let mut q = TableQuery::default();
    /// q.set_page(3, 10); // rows 100..150 at 50 per page
    /// q.set_per_page(PerPage::new(25).unwrap());
    /// assert_eq!(q.page(), 5); // rows 100..125
    /// ```
    pub fn set_per_page(&mut self, per_page: PerPage) {
        let first_row = u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page.get());
        let page = first_row / u64::from(per_page.get()) + 1;
        self.page = u32::try_from(page).unwrap_or(u32::MAX);
        self.per_page = per_page;
    }

    /// What a row stands for: an artifact or a tag.
    pub fn row_mode(&self) -> RowMode {
        self.rows
    }

    /// Switches between one row per artifact and one row per tag; returns to page 1 if
    /// it changed (filters, sort and preset stay).
    pub fn set_row_mode(&mut self, mode: RowMode) {
        if mode != self.rows {
            self.rows = mode;
            self.page = 1;
        }
    }

    /// The audit preset this view came from, while the filters still match it.
    pub fn preset(&self) -> Option<Preset> {
        self.preset
    }

    /// Applies a preset: its filters replace the current ones, its sort (if it has one)
    /// replaces the current sort, and the page returns to 1.
    pub fn apply_preset(&mut self, preset: Preset) {
        self.filters = preset.filters();
        if let Some(sort) = preset.sort() {
            self.sort = Some(sort);
        }
        self.page = 1;
        self.preset = Some(preset);
    }

    fn revalidate_preset(&mut self) {
        self.preset = self.preset.filter(|p| p.matches(&self.filters, self.sort));
    }

    /// The URL query string (without `?`) for this state; defaults are left out, so the
    /// default view is the empty string.
    ///
    /// ```
    /// use inventory::{Column, TableQuery};
    /// let mut q = TableQuery::default();
    /// q.update_filters(|f| f.project = "library".into());
    /// q.click_sort(Column::Size);
    /// assert_eq!(q.to_query_string(), "project=library&sort=-size");
    /// assert_eq!(TableQuery::from_query_string("?project=library&sort=-size"), q);
    /// ```
    pub fn to_query_string(&self) -> String {
        let f = &self.filters;
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(p) = self.preset {
            pairs.push(("preset", p.param().to_string()));
        }
        let texts = [
            ("project", &f.project),
            ("repo", &f.repository),
            ("tag", &f.tag),
            ("digest", &f.digest),
            ("label", &f.label),
            ("type", &f.kind),
            ("cve", &f.cve),
        ];
        for (name, value) in texts {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        if let Some(s) = f.min_severity {
            pairs.push(("severity", severity_param(s).to_string()));
        }
        if f.fixable {
            pairs.push(("fixable", "1".into()));
        }
        if !f.scan.is_empty() {
            pairs.push(("scan", scan_param(&f.scan)));
        }
        if let Some(d) = f.unpulled_days {
            pairs.push(("unpulled_days", d.to_string()));
        }
        if f.untagged {
            pairs.push(("untagged", "1".into()));
        }
        if f.duplicate_digest {
            pairs.push(("dup_digest", "1".into()));
        }
        if let Some(n) = f.repo_artifacts_over {
            pairs.push(("repo_over", n.to_string()));
        }
        for (name, value) in [("signed", f.signed), ("sbom", f.sbom)] {
            if let Some(v) = value {
                pairs.push((name, if v { "yes" } else { "no" }.into()));
            }
        }
        if self.rows != RowMode::Artifacts {
            pairs.push(("rows", self.rows.param().to_string()));
        }
        if let Some(s) = self.sort {
            pairs.push(("sort", s.to_param()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if self.per_page != PerPage::DEFAULT {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        build_query(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// Rebuilds a state from a URL query string (with or without `?`). Unknown
    /// parameters and unparsable values are ignored; never fails.
    ///
    /// ```
    /// let q = inventory::TableQuery::from_query_string("page=0&per_page=7&sort=bogus&x=1");
    /// assert_eq!(q, inventory::TableQuery::default());
    /// ```
    pub fn from_query_string(query: &str) -> TableQuery {
        let pairs = parse_query(query);
        let mut q = TableQuery::default();
        let preset = pairs.iter().rev().find(|(k, _)| k == "preset");
        if let Some(p) = preset.and_then(|(_, v)| Preset::from_param(v)) {
            q.apply_preset(p);
        }
        let mut page = 1;
        let f = &mut q.filters;
        for (key, value) in &pairs {
            match key.as_str() {
                "project" => f.project = value.clone(),
                "repo" => f.repository = value.clone(),
                "tag" => f.tag = value.clone(),
                "digest" => f.digest = value.clone(),
                "label" => f.label = value.clone(),
                "type" => f.kind = value.clone(),
                "cve" => f.cve = value.clone(),
                "severity" => set_some(&mut f.min_severity, parse_severity(value)),
                "fixable" => set_some(&mut f.fixable, parse_bool(value)),
                "scan" => set_some(&mut f.scan, parse_scan(value)),
                "unpulled_days" => set_some(&mut f.unpulled_days, parse_u32(value).map(Some)),
                "untagged" => set_some(&mut f.untagged, parse_bool(value)),
                "dup_digest" => set_some(&mut f.duplicate_digest, parse_bool(value)),
                "repo_over" => set_some(&mut f.repo_artifacts_over, parse_u32(value).map(Some)),
                "signed" => set_some(&mut f.signed, parse_bool(value).map(Some)),
                "sbom" => set_some(&mut f.sbom, parse_bool(value).map(Some)),
                "sort" => set_some(&mut q.sort, SortSpec::from_param(value).map(Some)),
                "rows" => set_some(&mut q.rows, RowMode::from_param(value)),
                "page" => set_some(&mut page, parse_u32(value).filter(|p| *p >= 1)),
                "per_page" => set_some(&mut q.per_page, parse_u32(value).and_then(PerPage::new)),
                _ => {}
            }
        }
        q.page = page;
        q.revalidate_preset();
        q
    }
}

/// Overwrites `slot` only when the parameter parsed.
fn set_some<T>(slot: &mut T, parsed: Option<T>) {
    if let Some(v) = parsed {
        *slot = v;
    }
}

fn parse_u32(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The URL name of a severity (`high`).
pub fn severity_param(s: Severity) -> &'static str {
    s.key()
}

/// Parses a severity name, any case; `None` when unknown. The outer `Option` is for
/// [`set_some`]: a valid name sets the minimum.
fn parse_severity(s: &str) -> Option<Option<Severity>> {
    Severity::parse(s).map(Some)
}

fn scan_param(scan: &ScanFilter) -> String {
    let mut parts: Vec<String> = [
        (scan.not_scanned, "not_scanned"),
        (scan.scanning, "scanning"),
        (scan.failed, "failed"),
        (scan.success, "success"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name.to_string())
    .collect();
    if let Some(days) = scan.stale_days {
        parts.push(format!("stale{days}"));
    }
    parts.join(",")
}

/// Parses `not_scanned,failed,stale30`; unknown parts are skipped, and a value with no
/// known part at all is ignored.
fn parse_scan(s: &str) -> Option<ScanFilter> {
    let mut scan = ScanFilter::default();
    let mut any = false;
    for part in s.split(',').map(|p| p.trim().to_ascii_lowercase()) {
        let known = match part.as_str() {
            "not_scanned" => {
                scan.not_scanned = true;
                true
            }
            "scanning" => {
                scan.scanning = true;
                true
            }
            "failed" => {
                scan.failed = true;
                true
            }
            "success" => {
                scan.success = true;
                true
            }
            other => match other.strip_prefix("stale").and_then(parse_u32) {
                Some(days) => {
                    scan.stale_days = Some(days);
                    true
                }
                None => false,
            },
        };
        any |= known;
    }
    any.then_some(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_parameter_is_listed_and_cve_round_trips() {
        let mut q = TableQuery::from_query_string(
            "project=p&repo=r&tag=t&digest=d&label=l&type=IMAGE&cve=CVE-2024-1&severity=high\
             &fixable=1&scan=failed&unpulled_days=9&untagged=1&dup_digest=1&repo_over=3&sort=-size\
             &per_page=50&signed=no&sbom=yes&rows=tags",
        );
        q.set_page(2, 10);
        assert_eq!(q.filters().cve, "CVE-2024-1");
        assert_eq!(
            (q.filters().signed, q.filters().sbom),
            (Some(false), Some(true))
        );
        assert_eq!(q.row_mode(), RowMode::Tags);
        let written = q.to_query_string();
        for (key, _) in parse_query(&written) {
            assert!(PARAMS.contains(&key.as_str()), "{key} is not in PARAMS");
        }
        assert_eq!(TableQuery::from_query_string(&written), q);
        let preset = TableQuery::from_query_string("preset=untagged").to_query_string();
        assert!(parse_query(&preset)
            .iter()
            .all(|(k, _)| PARAMS.contains(&k.as_str())));
    }

    #[test]
    fn filter_change_resets_page() {
        let mut q = TableQuery::default();
        q.set_page(5, 10);
        assert_eq!(q.page(), 5);
        q.update_filters(|_| {});
        assert_eq!(q.page(), 5, "no change, no reset");
        q.update_filters(|f| f.min_severity = Some(Severity::High));
        assert_eq!(q.page(), 1);
        q.set_page(3, 10);
        q.click_sort(Column::Size);
        assert_eq!(q.page(), 1, "sort change resets");
    }

    #[test]
    fn page_navigation_is_clamped() {
        let mut q = TableQuery::default();
        q.set_page(0, 3);
        assert_eq!(q.page(), 1);
        q.set_page(9, 3);
        assert_eq!(q.page(), 3);
        q.next_page(3);
        assert_eq!(q.page(), 3);
        q.previous_page();
        q.previous_page();
        q.previous_page();
        assert_eq!(q.page(), 1);
        q.last_page(0);
        assert_eq!(q.page(), 1);
        q.last_page(7);
        q.clamp_page(4);
        assert_eq!(q.page(), 4);
        q.first_page();
        assert_eq!(q.page(), 1);
    }

    #[test]
    fn click_sort_sequence() {
        let mut q = TableQuery::default();
        let seq = [
            (Column::Project, "project"),
            (Column::Project, "-project"),
            (Column::Project, "project"),
            (Column::Size, "-size"),
            (Column::Size, "size"),
            (Column::Pulled, "-pulled"),
        ];
        for (column, want) in seq {
            q.click_sort(column);
            assert_eq!(q.sort().map(|s| s.to_param()).as_deref(), Some(want));
        }
        assert_eq!(q.aria_sort(Column::Pulled), "descending");
        assert_eq!(q.aria_sort(Column::Size), "none");
    }

    #[test]
    fn per_page_keeps_first_row() {
        let cases = [
            (1, 50, 250, 1),
            (3, 50, 25, 5),
            (6, 25, 100, 2),
            (2, 250, 50, 6),
        ];
        for (page, from, to, want) in cases {
            let mut q = TableQuery::default();
            q.set_per_page(PerPage::new(from).unwrap());
            q.set_page(page, u32::MAX);
            q.set_per_page(PerPage::new(to).unwrap());
            assert_eq!(q.page(), want, "page {page} at {from} -> {to}");
        }
    }

    #[test]
    fn to_query_table() {
        let build = |change: &dyn Fn(&mut TableQuery)| {
            let mut q = TableQuery::default();
            change(&mut q);
            q.to_query_string()
        };
        type Change = Box<dyn Fn(&mut TableQuery)>;
        let cases: Vec<(&str, Change)> = vec![
            ("", Box::new(|_| {})),
            (
                "repo=library/nginx",
                Box::new(|q| q.update_filters(|f| f.repository = "library/nginx".into())),
            ),
            (
                "tag=v1%20beta%26x",
                Box::new(|q| q.update_filters(|f| f.tag = "v1 beta&x".into())),
            ),
            (
                "project=%22lib%22",
                Box::new(|q| q.update_filters(|f| f.project = "\"lib\"".into())),
            ),
            (
                "severity=high&fixable=1",
                Box::new(|q| {
                    q.update_filters(|f| {
                        f.min_severity = Some(Severity::High);
                        f.fixable = true;
                    })
                }),
            ),
            (
                "scan=not_scanned,failed,stale30",
                Box::new(|q| {
                    q.update_filters(|f| {
                        f.scan = ScanFilter {
                            not_scanned: true,
                            failed: true,
                            stale_days: Some(30),
                            ..Default::default()
                        };
                    })
                }),
            ),
            (
                "unpulled_days=90&untagged=1&dup_digest=1&repo_over=5",
                Box::new(|q| {
                    q.update_filters(|f| {
                        f.unpulled_days = Some(90);
                        f.untagged = true;
                        f.duplicate_digest = true;
                        f.repo_artifacts_over = Some(5);
                    })
                }),
            ),
            (
                "page=4&per_page=100",
                Box::new(|q| {
                    q.set_per_page(PerPage::new(100).unwrap());
                    q.set_page(4, 9);
                }),
            ),
            (
                "preset=untagged&untagged=1",
                Box::new(|q| q.apply_preset(Preset::Untagged)),
            ),
            (
                "preset=unsigned&signed=no",
                Box::new(|q| q.apply_preset(Preset::Unsigned)),
            ),
            (
                "preset=no_sbom&sbom=no",
                Box::new(|q| q.apply_preset(Preset::NoSbom)),
            ),
            (
                "rows=tags&preset=untagged&untagged=1",
                Box::new(|q| {
                    q.apply_preset(Preset::Untagged);
                    q.set_row_mode(RowMode::Tags);
                }),
            ),
            (
                "signed=yes&sbom=no",
                Box::new(|q| {
                    q.update_filters(|f| {
                        f.signed = Some(true);
                        f.sbom = Some(false);
                    })
                }),
            ),
            (
                "preset=largest&sort=-size",
                Box::new(|q| q.apply_preset(Preset::Largest)),
            ),
            (
                "untagged=1&tag=x",
                Box::new(|q| {
                    q.apply_preset(Preset::Untagged);
                    q.update_filters(|f| f.tag = "x".into());
                }),
            ),
        ];
        for (want, change) in cases {
            let got = build(&*change);
            assert_eq!(
                got.split('&').collect::<std::collections::BTreeSet<_>>(),
                want.split('&').collect(),
                "{want}"
            );
            let mut direct = TableQuery::default();
            change(&mut direct);
            assert_eq!(
                TableQuery::from_query_string(&got),
                direct,
                "round trip {want}"
            );
        }
    }

    #[test]
    fn parse_is_lenient() {
        let cases: Vec<(&str, TableQuery)> = vec![
            (
                "page=abc&per_page=51&sort=&severity=extreme&scan=bogus&fixable=maybe",
                TableQuery::default(),
            ),
            (
                "page=-3&unpulled_days=-1&repo_over=1e3",
                TableQuery::default(),
            ),
            ("preset=nope", TableQuery::default()),
            ("%ZZ=%&&==&project", TableQuery::default()),
        ];
        for (input, want) in cases {
            assert_eq!(TableQuery::from_query_string(input), want, "{input}");
        }
    }

    #[test]
    fn parse_values() {
        let q = TableQuery::from_query_string(
            "?project=a+b&tag=*&severity=CRITICAL&scan=Failed,junk,stale7&sort=-vulns&page=3\
             &per_page=250&untagged=true&tag=%C3%BC",
        );
        let f = q.filters();
        assert_eq!(f.project, "a b");
        assert_eq!(f.tag, "ü", "last wins");
        assert_eq!(f.min_severity, Some(Severity::Critical));
        assert_eq!(
            f.scan,
            ScanFilter {
                failed: true,
                stale_days: Some(7),
                ..Default::default()
            }
        );
        assert!(f.untagged);
        assert_eq!(q.sort(), SortSpec::from_param("-vulns"));
        assert_eq!((q.page(), q.per_page().get()), (3, 250));
    }

    #[test]
    fn preset_link_overlays_explicit_params() {
        let q = TableQuery::from_query_string("preset=scan_gaps&project=lib");
        assert_eq!(
            q.preset(),
            None,
            "an extra filter means the view is no longer the preset"
        );
        assert_eq!(q.filters().project, "lib");
        assert!(q.filters().scan.not_scanned);
        let q = TableQuery::from_query_string("preset=big_repos&repo_over=7");
        assert_eq!(q.preset(), Some(Preset::BigRepositories));
        assert_eq!(q.filters().repo_artifacts_over, Some(7));
    }
}

//! Vulnerability roll-up: one row per CVE across every artifact whose full report was
//! fetched, answering "where is CVE-X?" and "what can we fix today?".
//!
//! [`build`] joins the loaded rows with the reports by repository and digest; each
//! [`CveRow`] keeps the indices of the affected rows, so selecting a CVE filters the
//! artifact table ([`Rollup::affected`]). [`CveFilter`] and [`CveSort`] work like the
//! artifact table's filter and sort; [`to_csv`] / [`to_json`] use the artifact export's
//! header record, cell neutralisation and quoting.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use harbor_client::model::VulnReport;
use harbor_client::slim::{ArtifactRow, Digest, ScanStatus, Severity};
use serde::Serialize;

use crate::export::{json_header, write_header_records, write_record, ExportError, ExportHeader};
use crate::format::severity_name;
use crate::sort::Direction;

/// One CVE (or GHSA, ...) across the inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CveRow {
    /// The vulnerability id as the scanner reported it.
    pub id: Box<str>,
    /// The highest severity any report gave it.
    pub severity: Severity,
    /// The highest CVSS v3 score any report gave it.
    pub cvss_v3: Option<f64>,
    /// Affected packages, sorted, without duplicates.
    pub packages: Vec<Box<str>>,
    /// Versions that fix it, sorted, without duplicates and without empty ones.
    pub fixed_versions: Vec<Box<str>>,
    /// Indices (into the loaded rows) of the affected artifacts, ascending.
    pub artifacts: Vec<u32>,
    /// Number of distinct repositories among the affected artifacts.
    pub repositories: usize,
    /// Whether any report names a fix version.
    pub fixable: bool,
}

/// The roll-up of a set of reports over the loaded rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rollup {
    /// One row per vulnerability id, sorted by id.
    pub cves: Vec<CveRow>,
    /// Reports that matched a loaded row (each artifact counted once).
    pub reports_used: usize,
    /// Reports whose repository and digest are not among the rows (ignored).
    pub reports_unmatched: usize,
}

/// Builds the roll-up. A report is joined to the row with the same repository and
/// digest; reports of unknown artifacts are counted and ignored, and a second report of
/// the same artifact is ignored too, so no artifact is counted twice.
///
/// ```
/// use harbor_client::model::VulnReport;
/// let rows = inventory::synthetic::rows(2, 1);
/// let report = VulnReport {
///     repository: rows[1].repository.clone(),
///     digest: rows[1].digest.to_string().into(),
///     mime: None,
///     scanner: None,
///     generated_at: None,
///     vulnerabilities: vec![],
/// };
/// let rollup = inventory::rollup::build(&rows, [&report]);
/// assert_eq!((rollup.reports_used, rollup.cves.len()), (1, 0));
/// ```
pub fn build<'a>(
    rows: &[ArtifactRow],
    reports: impl IntoIterator<Item = &'a VulnReport>,
) -> Rollup {
    let index: HashMap<(&str, &Digest), u32> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key(), i as u32))
        .collect();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut acc: HashMap<&str, Acc<'_>> = HashMap::new();
    let mut out = Rollup::default();
    for report in reports {
        let Some(&row) = index.get(&(&*report.repository, &Digest::new(&report.digest))) else {
            out.reports_unmatched += 1;
            continue;
        };
        if !seen.insert(row) {
            continue;
        }
        out.reports_used += 1;
        for v in &report.vulnerabilities {
            acc.entry(&v.id).or_default().add(row, v);
        }
    }
    out.cves = acc.into_iter().map(|(id, a)| a.finish(id, rows)).collect();
    harbor_client::order::sort_by(&mut out.cves, |a, b| a.id.cmp(&b.id));
    out
}

/// The roll-up from Security Hub items (`/security/vul`) instead of per-artifact
/// reports: the items are grouped into one report per artifact
/// ([`harbor_client::audit::reports_from_items`]) and joined with the rows as
/// [`build`] does, so for the same artifacts both give the same CVE rows. Items of
/// artifacts not among the rows count as unmatched reports.
pub fn build_from_hub(
    rows: &[ArtifactRow],
    items: &[harbor_client::audit::VulnerabilityItem],
) -> Rollup {
    let reports = harbor_client::audit::reports_from_items(items);
    build(rows, &reports)
}

/// What [`build`] gathers per id before it becomes a [`CveRow`].
#[derive(Default)]
struct Acc<'a> {
    severity: Option<Severity>,
    cvss_v3: Option<f64>,
    packages: BTreeSet<&'a str>,
    fixed: BTreeSet<&'a str>,
    artifacts: BTreeSet<u32>,
}

impl<'a> Acc<'a> {
    fn add(&mut self, row: u32, v: &'a harbor_client::model::VulnRow) {
        self.severity = self.severity.max(Some(v.severity));
        // NaN scores are dropped so one bad report cannot poison the maximum.
        if let Some(score) = v.cvss_v3.filter(|s| !s.is_nan()) {
            self.cvss_v3 = Some(self.cvss_v3.map_or(score, |m| m.max(score)));
        }
        self.packages.insert(&v.package);
        if !v.fix_version.trim().is_empty() {
            self.fixed.insert(&v.fix_version);
        }
        self.artifacts.insert(row);
    }

    fn finish(self, id: &str, rows: &[ArtifactRow]) -> CveRow {
        let repositories: HashSet<&str> = self
            .artifacts
            .iter()
            .filter_map(|&i| rows.get(i as usize))
            .map(|r| &*r.repository)
            .collect();
        CveRow {
            id: id.into(),
            severity: self.severity.unwrap_or(Severity::Unknown),
            cvss_v3: self.cvss_v3,
            packages: self.packages.into_iter().map(Into::into).collect(),
            fixable: !self.fixed.is_empty(),
            fixed_versions: self.fixed.into_iter().map(Into::into).collect(),
            artifacts: self.artifacts.into_iter().collect(),
            repositories: repositories.len(),
        }
    }
}

impl Rollup {
    /// The row indices of the artifacts affected by `id` (exact id), or `None` for an
    /// id not in the roll-up. This is what filters the artifact table on selection.
    pub fn affected(&self, id: &str) -> Option<&[u32]> {
        self.cves
            .binary_search_by(|c| (*c.id).cmp(id))
            .ok()
            .map(|i| &*self.cves[i].artifacts)
    }

    /// Indices into [`Rollup::cves`] of the rows `filter` keeps, in `sort` order.
    pub fn view(&self, filter: &CveFilter, sort: CveSort) -> Vec<u32> {
        let mut out: Vec<u32> = (0..self.cves.len() as u32)
            .filter(|&i| filter.matches(&self.cves[i as usize]))
            .collect();
        harbor_client::order::sort_by(&mut out, |&a, &b| {
            sort.compare(&self.cves[a as usize], &self.cves[b as usize])
        });
        out
    }
}

/// The roll-up table's filters; the default keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CveFilter {
    /// Case-insensitive substring of the id (`2024-` finds every CVE of 2024).
    pub id: String,
    /// Case-insensitive substring of any affected package.
    pub package: String,
    /// Keep only ids at least this severe.
    pub min_severity: Option<Severity>,
    /// Keep only ids with a fix version.
    pub fixable_only: bool,
}

impl CveFilter {
    /// Whether `cve` passes every filter.
    pub fn matches(&self, cve: &CveRow) -> bool {
        contains_ci(&cve.id, &self.id)
            && (self.package.trim().is_empty()
                || cve.packages.iter().any(|p| contains_ci(p, &self.package)))
            && self.min_severity.is_none_or(|m| cve.severity >= m)
            && (!self.fixable_only || cve.fixable)
    }
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    let needle = needle.trim();
    needle.is_empty() || haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// The roll-up table's sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CveColumn {
    /// Vulnerability id.
    Id,
    /// Highest severity.
    Severity,
    /// Highest CVSS v3 score (no score sorts below every score).
    Cvss,
    /// First affected package.
    Package,
    /// Number of affected artifacts.
    Artifacts,
    /// Number of affected repositories.
    Repositories,
    /// Fixable before not fixable when descending.
    Fixable,
}

/// A sort of the roll-up table; ties are broken by id ascending so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CveSort {
    /// The column.
    pub column: CveColumn,
    /// The direction.
    pub direction: Direction,
}

impl Default for CveSort {
    /// Worst first: severity descending.
    fn default() -> Self {
        CveSort {
            column: CveColumn::Severity,
            direction: Direction::Descending,
        }
    }
}

impl CveColumn {
    /// The direction a first click sorts by: names A to Z, numbers and severity worst
    /// or most first.
    pub fn first_direction(self) -> Direction {
        match self {
            CveColumn::Id | CveColumn::Package => Direction::Ascending,
            _ => Direction::Descending,
        }
    }
}

impl CveSort {
    /// A click on `column`'s header: the same column reverses, another starts at its
    /// first direction (as the artifact table's `TableQuery::click_sort`).
    pub fn click(&mut self, column: CveColumn) {
        if self.column == column {
            self.direction = self.direction.reversed();
        } else {
            self.column = column;
            self.direction = column.first_direction();
        }
    }

    /// The `aria-sort` value of `column`'s header: `ascending`, `descending` or `none`.
    pub fn aria(&self, column: CveColumn) -> &'static str {
        if self.column == column {
            self.direction.aria()
        } else {
            "none"
        }
    }

    /// Compares two rows in this sort's order.
    pub fn compare(&self, a: &CveRow, b: &CveRow) -> Ordering {
        let primary = match self.column {
            CveColumn::Id => Ordering::Equal,
            CveColumn::Severity => a.severity.cmp(&b.severity),
            CveColumn::Cvss => match (a.cvss_v3, b.cvss_v3) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
            CveColumn::Package => a.packages.first().cmp(&b.packages.first()),
            CveColumn::Artifacts => a.artifacts.len().cmp(&b.artifacts.len()),
            CveColumn::Repositories => a.repositories.cmp(&b.repositories),
            CveColumn::Fixable => a.fixable.cmp(&b.fixable),
        };
        let primary = match self.direction {
            Direction::Ascending => primary,
            Direction::Descending => primary.reverse(),
        };
        let by_id = a.id.cmp(&b.id);
        match (self.column, self.direction) {
            (CveColumn::Id, Direction::Descending) => by_id.reverse(),
            _ => primary.then(by_id),
        }
    }
}

/// The matching artifacts with findings whose full report is not loaded yet (`loaded`
/// holds `(repository, digest)` keys), in table order: the first `limit` of them, and
/// how many there are in all. What a bulk report run fetches next.
pub fn without_report<'a>(
    rows: &'a [ArtifactRow],
    matching: &[u32],
    loaded: &HashSet<(&str, &str)>,
    limit: usize,
) -> (Vec<&'a ArtifactRow>, usize) {
    let mut picked = Vec::new();
    let mut count = 0;
    let wanted = matching
        .iter()
        .filter_map(|&i| rows.get(i as usize))
        .filter(|r| r.scan.status == ScanStatus::Success && r.scan.total > 0)
        .filter(|r| !loaded.contains(&(&*r.repository, &*r.digest.text())));
    for row in wanted {
        count += 1;
        if picked.len() < limit {
            picked.push(row);
        }
    }
    (picked, count)
}

impl Rollup {
    /// What the CVE filter `id` keeps, in words: `Affected by CVE-1: 3 artifacts with a
    /// report listing it`, or why it keeps nothing.
    pub fn filter_note(&self, id: &str) -> String {
        let id = id.trim();
        match self.affected(id).map(<[u32]>::len) {
            Some(n) => {
                let noun = if n == 1 { "artifact" } else { "artifacts" };
                format!(
                    "Affected by {id}: {} {noun} with a report listing it",
                    crate::format::thousands(n as u64)
                )
            }
            None if self.reports_used == 0 => format!(
                "Affected by {id}: no vulnerability report loaded yet, so nothing matches \
                 (Fetch vulnerability reports first)"
            ),
            None => format!("Affected by {id}: no loaded report lists it"),
        }
    }
}

/// Column names of the roll-up CSV records.
pub const CSV_COLUMNS: [&str; 8] = [
    "id",
    "severity",
    "cvss_v3",
    "packages",
    "fixed_versions",
    "artifacts",
    "repositories",
    "fixable",
];

/// The CSV export of `rollup.cves[order[..]]` (out-of-range indices skipped), with the
/// artifact export's header record (its count field named `cves`).
pub fn to_csv(rollup: &Rollup, order: &[u32], header: &ExportHeader) -> String {
    let picked: Vec<&CveRow> = pick(rollup, order);
    let mut out = String::with_capacity(256 + picked.len() * 96);
    write_header_records(&mut out, header, "cves", picked.len());
    write_record(&mut out, CSV_COLUMNS);
    for c in picked {
        let numbers = [
            c.cvss_v3.map_or(String::new(), |s| s.to_string()),
            c.packages.join("; "),
            c.fixed_versions.join("; "),
            c.artifacts.len().to_string(),
            c.repositories.to_string(),
        ];
        write_record(
            &mut out,
            [
                &*c.id,
                severity_name(c.severity),
                &numbers[0],
                &numbers[1],
                &numbers[2],
                &numbers[3],
                &numbers[4],
                if c.fixable { "yes" } else { "no" },
            ],
        );
    }
    out
}

/// The JSON export: `{"header": {...}, "cves": [...]}`; `header.artifacts` counts the
/// distinct artifacts affected by the exported CVEs. Each CVE lists its affected
/// artifacts by repository and digest (row indices mean nothing outside the page).
pub fn to_json(
    rollup: &Rollup,
    rows: &[ArtifactRow],
    order: &[u32],
    header: &ExportHeader,
) -> Result<String, ExportError> {
    #[derive(Serialize)]
    struct Cve<'a> {
        id: &'a str,
        severity: &'static str,
        cvss_v3: Option<f64>,
        packages: &'a [Box<str>],
        fixed_versions: &'a [Box<str>],
        fixable: bool,
        repositories: usize,
        artifacts: Vec<Artifact<'a>>,
    }
    #[derive(Serialize)]
    struct Artifact<'a> {
        repository: &'a str,
        digest: &'a Digest,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        header: crate::export::JsonHeader,
        cves: Vec<Cve<'a>>,
    }
    let picked = pick(rollup, order);
    let distinct: HashSet<u32> = picked
        .iter()
        .flat_map(|c| c.artifacts.iter().copied())
        .collect();
    let cves = picked
        .into_iter()
        .map(|c| Cve {
            id: &c.id,
            severity: severity_name(c.severity),
            cvss_v3: c.cvss_v3,
            packages: &c.packages,
            fixed_versions: &c.fixed_versions,
            fixable: c.fixable,
            repositories: c.repositories,
            artifacts: c
                .artifacts
                .iter()
                .filter_map(|&i| rows.get(i as usize))
                .map(|r| Artifact {
                    repository: &r.repository,
                    digest: &r.digest,
                })
                .collect(),
        })
        .collect();
    let out = Out {
        header: json_header(header, distinct.len()),
        cves,
    };
    serde_json::to_string(&out).map_err(|e| ExportError::Json(e.to_string()))
}

fn pick<'a>(rollup: &'a Rollup, order: &[u32]) -> Vec<&'a CveRow> {
    order
        .iter()
        .filter_map(|&i| rollup.cves.get(i as usize))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::parse_csv;
    use crate::synthetic::{row, RowSpec, NOW};
    use harbor_client::model::VulnRow;

    fn vuln(id: &str, sev: Severity, pkg: &str, fix: &str, cvss: Option<f64>) -> VulnRow {
        VulnRow {
            id: id.into(),
            severity: sev,
            package: pkg.into(),
            version: "1.0".into(),
            fix_version: fix.into(),
            cvss_v3: cvss,
            description: "".into(),
            links: vec![],
        }
    }

    fn report(row: &ArtifactRow, vulns: Vec<VulnRow>) -> VulnReport {
        VulnReport {
            repository: row.repository.clone(),
            digest: row.digest.to_string().into(),
            mime: None,
            scanner: None,
            generated_at: None,
            vulnerabilities: vulns,
        }
    }

    #[test]
    fn says_what_a_cve_filter_keeps() {
        let (rows, reports) = fixture();
        let rollup = build(&rows, &reports);
        let id = &*rollup.cves[0].id;
        let n = rollup.affected(id).map_or(0, <[u32]>::len);
        assert!(rollup
            .filter_note(id)
            .starts_with(&format!("Affected by {id}: {n} artifact")));
        assert!(rollup
            .filter_note("CVE-0000-0")
            .ends_with("no loaded report lists it"));
        assert!(Rollup::default()
            .filter_note("CVE-1")
            .contains("no vulnerability report loaded yet"));
    }

    #[test]
    fn clicks_sort_like_the_artifact_table() {
        let mut sort = CveSort::default();
        assert_eq!(sort.aria(CveColumn::Severity), "descending");
        sort.click(CveColumn::Severity);
        assert_eq!(sort.aria(CveColumn::Severity), "ascending");
        sort.click(CveColumn::Id);
        assert_eq!(
            (sort.aria(CveColumn::Id), sort.aria(CveColumn::Severity)),
            ("ascending", "none")
        );
        sort.click(CveColumn::Artifacts);
        assert_eq!(sort.direction, Direction::Descending);
    }

    #[test]
    fn picks_scanned_rows_without_a_report_in_table_order() {
        let found = |d: &str| {
            row(&RowSpec::new("p", "p/a").digest(d).scanned(
                Severity::High,
                [0, 2, 0, 0],
                1,
                Some(NOW),
            ))
        };
        let rows = vec![
            found("sha256:1"),
            row(&RowSpec::new("p", "p/a").digest("sha256:2")), // not scanned
            row(&RowSpec::new("p", "p/a").digest("sha256:3").scanned(
                Severity::None,
                [0; 4],
                0,
                Some(NOW),
            )), // nothing found
            found("sha256:4"),
            found("sha256:5"),
        ];
        let order = [4, 3, 2, 1, 0];
        let (all, count) = without_report(&rows, &order, &HashSet::new(), 10);
        let digests: Vec<String> = all.iter().map(|r| r.digest.to_string()).collect();
        assert_eq!(
            (digests, count),
            (
                vec!["sha256:5".to_owned(), "sha256:4".into(), "sha256:1".into()],
                3
            )
        );
        let loaded = HashSet::from([("p/a", "sha256:5")]);
        let (next, left) = without_report(&rows, &order, &loaded, 1);
        assert_eq!((next[0].digest.to_string(), left), ("sha256:4".into(), 2));
        // Only the matching rows count.
        assert_eq!(without_report(&rows, &[0], &loaded, 0), (vec![], 1));
    }

    /// Four artifacts in three repositories; reports for 0, 1, 2 (twice for 2), one
    /// stray report; artifact 3 has no report.
    fn fixture() -> (Vec<ArtifactRow>, Vec<VulnReport>) {
        use Severity::{Critical, High, Low, Medium, Unknown};
        let rows = vec![
            row(&RowSpec::new("p", "p/a").digest("sha256:1")),
            row(&RowSpec::new("p", "p/a").digest("sha256:2")),
            row(&RowSpec::new("q", "q/b").digest("sha256:1")),
            row(&RowSpec::new("q", "q/c").digest("sha256:3")),
        ];
        let stray = row(&RowSpec::new("x", "x/gone").digest("sha256:9"));
        let reports = vec![
            report(
                &rows[0],
                vec![
                    vuln("CVE-2024-0001", High, "openssl", "", Some(7.5)),
                    vuln("CVE-2024-0001", Critical, "libssl3", "3.0.9", Some(9.8)),
                    vuln("CVE-2023-1111", Low, "zlib", "", None),
                ],
            ),
            report(
                &rows[1],
                vec![vuln("CVE-2024-0001", Medium, "openssl", "", Some(f64::NAN))],
            ),
            report(
                &rows[2],
                vec![
                    vuln("CVE-2024-0001", High, "openssl", "3.0.8", Some(8.1)),
                    vuln("GHSA-xxxx", Unknown, "=evil", "", None),
                ],
            ),
            report(
                &rows[2],
                vec![vuln("CVE-9999-0000", Critical, "dup", "1", None)],
            ),
            report(
                &stray,
                vec![vuln("CVE-9999-0001", Critical, "stray", "1", None)],
            ),
        ];
        (rows, reports)
    }

    #[test]
    fn build_counts_exactly() {
        let (rows, reports) = fixture();
        let r = build(&rows, &reports);
        assert_eq!((r.reports_used, r.reports_unmatched), (3, 1));
        let ids: Vec<&str> = r.cves.iter().map(|c| &*c.id).collect();
        assert_eq!(ids, ["CVE-2023-1111", "CVE-2024-0001", "GHSA-xxxx"]);
        let c = &r.cves[1];
        assert_eq!(c.severity, Severity::Critical);
        assert_eq!(c.cvss_v3, Some(9.8));
        assert_eq!(c.packages, ["libssl3".into(), "openssl".into()]);
        assert_eq!(c.fixed_versions, ["3.0.8".into(), "3.0.9".into()]);
        assert_eq!(c.artifacts, [0, 1, 2]);
        assert_eq!(c.repositories, 2);
        assert!(c.fixable);
        let low = &r.cves[0];
        assert_eq!(
            (
                low.severity,
                low.cvss_v3,
                &*low.artifacts,
                low.repositories,
                low.fixable
            ),
            (Severity::Low, None, &[0u32][..], 1, false)
        );
        assert_eq!(r.affected("CVE-2024-0001"), Some(&[0, 1, 2][..]));
        assert_eq!(r.affected("GHSA-xxxx"), Some(&[2][..]));
        assert_eq!(r.affected("CVE-9999-0001"), None, "stray report ignored");
        assert_eq!(r.affected("CVE-9999-0000"), None, "second report ignored");
        assert_eq!(build(&rows, &[]), Rollup::default());
    }

    #[test]
    fn filters_table() {
        let (rows, reports) = fixture();
        let r = build(&rows, &reports);
        let f = |id: &str, pkg: &str, min: Option<Severity>, fix: bool| CveFilter {
            id: id.into(),
            package: pkg.into(),
            min_severity: min,
            fixable_only: fix,
        };
        let by_id = CveSort {
            column: CveColumn::Id,
            direction: Direction::Ascending,
        };
        let cases: [(CveFilter, &[u32]); 8] = [
            (CveFilter::default(), &[0, 1, 2]),
            (f("cve-2024", "", None, false), &[1]),
            (f(" 2023 ", "", None, false), &[0]),
            (f("", "SSL", None, false), &[1]),
            (f("", "", Some(Severity::Low), false), &[0, 1]),
            (f("", "", Some(Severity::High), false), &[1]),
            (f("", "", None, true), &[1]),
            (f("nope", "", None, false), &[]),
        ];
        for (filter, want) in cases {
            assert_eq!(r.view(&filter, by_id), want, "{filter:?}");
        }
    }

    #[test]
    fn sorts_table() {
        let (rows, reports) = fixture();
        let r = build(&rows, &reports);
        let s = |column, direction| CveSort { column, direction };
        use CveColumn::*;
        use Direction::*;
        let all = CveFilter::default();
        let cases: [(CveSort, [u32; 3]); 9] = [
            (CveSort::default(), [1, 0, 2]),
            (s(Id, Descending), [2, 1, 0]),
            (s(Severity, Ascending), [2, 0, 1]),
            (s(Cvss, Descending), [1, 0, 2]),
            (s(Cvss, Ascending), [0, 2, 1]),
            (s(Package, Ascending), [2, 1, 0]),
            (s(Artifacts, Descending), [1, 0, 2]),
            (s(Repositories, Ascending), [0, 2, 1]),
            (s(Fixable, Descending), [1, 0, 2]),
        ];
        for (sort, want) in cases {
            assert_eq!(r.view(&all, sort), want, "{sort:?}");
        }
    }

    #[test]
    fn csv_and_json_export() {
        let (rows, reports) = fixture();
        let r = build(&rows, &reports);
        let header = ExportHeader {
            harbor_url: "https://admin:Harbor12345@h.example/".into(),
            exported_at: NOW,
            ..Default::default()
        };
        let csv = to_csv(&r, &[1, 2, 99], &header);
        assert!(!csv.contains("Harbor12345"));
        let rec = parse_csv(&csv).unwrap();
        assert_eq!(rec.len(), 5);
        assert_eq!(rec[0][6], "cves");
        assert_eq!(
            (rec[1][0].as_str(), rec[1][6].as_str()),
            ("https://h.example/", "2")
        );
        assert_eq!(rec[2], CSV_COLUMNS);
        assert_eq!(
            rec[3],
            [
                "CVE-2024-0001",
                "Critical",
                "9.8",
                "libssl3; openssl",
                "3.0.8; 3.0.9",
                "3",
                "2",
                "yes"
            ]
        );
        assert_eq!(
            rec[4],
            ["GHSA-xxxx", "Unknown", "", "'=evil", "", "1", "1", "no"]
        );

        let json = to_json(&r, &rows, &[1, 2], &header).unwrap();
        assert!(!json.contains("Harbor12345"));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["header"]["artifacts"], 3);
        assert_eq!(v["cves"][0]["artifacts"][2]["repository"], "q/b");
        assert_eq!(v["cves"][1]["packages"][0], "=evil");
    }
}

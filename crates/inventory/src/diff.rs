//! Snapshot diff: what changed between an earlier inventory (the cached one, or an
//! export read back with [`crate::export::parse_json`]) and the current one.
//!
//! Artifacts are matched by repository and digest ([`ArtifactRow::key`]): a digest that
//! is new to a repository is *added*, one that left it is *removed*, one whose tag set
//! changed is *re-tagged*. Vulnerabilities are compared per artifact present on both
//! sides: by counts per severity from the scan summaries, and by id when both sides
//! have a full report of that artifact.

use std::collections::{BTreeSet, HashMap};

use harbor_client::model::VulnReport;
use harbor_client::slim::{ArtifactRow, Digest, ScanStatus};
use serde::Serialize;

use crate::export::{json_header, write_header_records, write_record, ExportError, ExportHeader};
use crate::format::thousands;

/// Tags that appeared on or left an artifact present in both snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retag {
    /// Index into the old rows.
    pub old: u32,
    /// Index into the new rows.
    pub new: u32,
    /// Tag names only in the new snapshot, sorted.
    pub tags_added: Vec<Box<str>>,
    /// Tag names only in the old snapshot, sorted.
    pub tags_removed: Vec<Box<str>>,
}

/// How the vulnerabilities of an artifact present in both snapshots changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VulnChange {
    /// Index into the old rows.
    pub old: u32,
    /// Index into the new rows.
    pub new: u32,
    /// Increase of the Critical, High, Medium, Low counts (0 where they fell). Only set
    /// when both scans succeeded.
    pub new_counts: [u32; 4],
    /// Decrease of the Critical, High, Medium, Low counts (0 where they rose).
    pub fixed_counts: [u32; 4],
    /// Vulnerability ids only in the new report, sorted (both reports needed).
    pub new_ids: Vec<Box<str>>,
    /// Vulnerability ids only in the old report, sorted (both reports needed).
    pub fixed_ids: Vec<Box<str>>,
}

impl VulnChange {
    fn is_empty(&self) -> bool {
        self.new_counts == [0; 4]
            && self.fixed_counts == [0; 4]
            && self.new_ids.is_empty()
            && self.fixed_ids.is_empty()
    }
}

/// The difference between two snapshots. Every list is in ascending index order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Indices into the new rows of artifacts not in the old snapshot.
    pub added: Vec<u32>,
    /// Indices into the old rows of artifacts not in the new snapshot.
    pub removed: Vec<u32>,
    /// Artifacts in both whose tag set changed, by new index.
    pub retagged: Vec<Retag>,
    /// Artifacts in both whose vulnerabilities changed, by new index.
    pub vulns: Vec<VulnChange>,
    /// Across the whole inventory, ids in some report now and in none before: brought
    /// by pushes or new scans. Sorted; empty unless both sides carry reports.
    pub ids_new: Vec<Box<str>>,
    /// Across the whole inventory, ids in some report before and in none now: gone with
    /// deleted or fixed artifacts. Sorted; empty unless both sides carry reports.
    pub ids_fixed: Vec<Box<str>>,
}

/// One side of a diff: rows and, optionally, full reports of some of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot<'a> {
    /// The inventory rows.
    pub rows: &'a [ArtifactRow],
    /// Full reports, matched to rows by repository and digest; may be empty.
    pub reports: &'a [&'a VulnReport],
}

impl<'a> Snapshot<'a> {
    /// A snapshot without reports.
    pub fn rows(rows: &'a [ArtifactRow]) -> Self {
        Snapshot { rows, reports: &[] }
    }
}

/// Diffs two snapshots without reports (see [`diff_snapshots`]).
///
/// ```
/// let a = inventory::synthetic::rows(5, 1);
/// let d = inventory::diff::diff(&a[..3], &a);
/// assert_eq!((d.added, d.removed.len()), (vec![3, 4], 0));
/// ```
pub fn diff(old: &[ArtifactRow], new: &[ArtifactRow]) -> Diff {
    diff_snapshots(Snapshot::rows(old), Snapshot::rows(new))
}

/// Diffs two snapshots. A key listed twice on one side counts once (first row wins).
pub fn diff_snapshots(old: Snapshot<'_>, new: Snapshot<'_>) -> Diff {
    let old_index = key_index(old.rows);
    let new_index = key_index(new.rows);
    let old_reports = report_index(old.reports);
    let new_reports = report_index(new.reports);
    let mut out = Diff::default();
    for (j, row) in new.rows.iter().enumerate() {
        let j = j as u32;
        if new_index.get(&row.key()) != Some(&j) {
            continue; // a duplicate of an earlier row
        }
        let Some(&i) = old_index.get(&row.key()) else {
            out.added.push(j);
            continue;
        };
        let before = &old.rows[i as usize];
        if let Some(retag) = retag(i, before, j, row) {
            out.retagged.push(retag);
        }
        let mut change = count_change(before, row);
        let report_key = (&*row.repository, row.digest.clone());
        if let (Some(a), Some(b)) = (old_reports.get(&report_key), new_reports.get(&report_key)) {
            (change.new_ids, change.fixed_ids) = id_change(a, b);
        }
        if !change.is_empty() {
            out.vulns.push(VulnChange {
                old: i,
                new: j,
                ..change
            });
        }
    }
    out.removed = old
        .rows
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            old_index.get(&r.key()) == Some(&(*i as u32)) && !new_index.contains_key(&r.key())
        })
        .map(|(i, _)| i as u32)
        .collect();
    if !old_reports.is_empty() && !new_reports.is_empty() {
        let before = inventory_ids(&old_index, &old_reports);
        let after = inventory_ids(&new_index, &new_reports);
        out.ids_new = after.difference(&before).map(|&t| t.into()).collect();
        out.ids_fixed = before.difference(&after).map(|&t| t.into()).collect();
    }
    out
}

/// Every id in the reports of the rows of one side (reports of other artifacts ignored).
fn inventory_ids<'a>(
    rows: &HashMap<(&str, &Digest), u32>,
    reports: &HashMap<(&str, Digest), &'a VulnReport>,
) -> BTreeSet<&'a str> {
    reports
        .iter()
        .filter(|((repository, digest), _)| rows.contains_key(&(repository, digest)))
        .flat_map(|(_, r)| r.vulnerabilities.iter().map(|v| &*v.id))
        .collect()
}

fn key_index(rows: &[ArtifactRow]) -> HashMap<(&str, &Digest), u32> {
    let mut index = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        index.entry(r.key()).or_insert(i as u32);
    }
    index
}

fn report_index<'a>(reports: &[&'a VulnReport]) -> HashMap<(&'a str, Digest), &'a VulnReport> {
    let mut index = HashMap::with_capacity(reports.len());
    for &r in reports {
        index
            .entry((&*r.repository, Digest::new(&r.digest)))
            .or_insert(r);
    }
    index
}

fn retag(i: u32, before: &ArtifactRow, j: u32, after: &ArtifactRow) -> Option<Retag> {
    let a: BTreeSet<&str> = before.tags.iter().map(|t| &*t.name).collect();
    let b: BTreeSet<&str> = after.tags.iter().map(|t| &*t.name).collect();
    if a == b {
        return None;
    }
    Some(Retag {
        old: i,
        new: j,
        tags_added: b.difference(&a).map(|&t| t.into()).collect(),
        tags_removed: a.difference(&b).map(|&t| t.into()).collect(),
    })
}

fn count_change(before: &ArtifactRow, after: &ArtifactRow) -> VulnChange {
    let mut change = VulnChange::default();
    if before.scan.status != ScanStatus::Success || after.scan.status != ScanStatus::Success {
        return change;
    }
    for k in 0..4 {
        let (a, b) = (before.scan.counts[k], after.scan.counts[k]);
        change.new_counts[k] = b.saturating_sub(a);
        change.fixed_counts[k] = a.saturating_sub(b);
    }
    change
}

fn id_change(before: &VulnReport, after: &VulnReport) -> (Vec<Box<str>>, Vec<Box<str>>) {
    let a: BTreeSet<&str> = before.vulnerabilities.iter().map(|v| &*v.id).collect();
    let b: BTreeSet<&str> = after.vulnerabilities.iter().map(|v| &*v.id).collect();
    (
        b.difference(&a).map(|&t| t.into()).collect(),
        a.difference(&b).map(|&t| t.into()).collect(),
    )
}

impl Diff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.retagged.is_empty()
            && self.vulns.is_empty()
            && self.ids_new.is_empty()
            && self.ids_fixed.is_empty()
    }

    /// Sums of [`VulnChange::new_counts`] and [`VulnChange::fixed_counts`].
    pub fn count_totals(&self) -> ([u64; 4], [u64; 4]) {
        let mut new = [0u64; 4];
        let mut fixed = [0u64; 4];
        for v in &self.vulns {
            for k in 0..4 {
                new[k] += u64::from(v.new_counts[k]);
                fixed[k] += u64::from(v.fixed_counts[k]);
            }
        }
        (new, fixed)
    }

    /// Distinct vulnerability ids new anywhere and fixed anywhere, sorted. An id new on
    /// one artifact and fixed on another is in both lists.
    pub fn id_totals(&self) -> (Vec<&str>, Vec<&str>) {
        let new: BTreeSet<&str> = self
            .vulns
            .iter()
            .flat_map(|v| &v.new_ids)
            .map(|s| &**s)
            .collect();
        let fixed: BTreeSet<&str> = self
            .vulns
            .iter()
            .flat_map(|v| &v.fixed_ids)
            .map(|s| &**s)
            .collect();
        (new.into_iter().collect(), fixed.into_iter().collect())
    }

    /// One line for the diff banner, e.g.
    /// `3 added, 1 removed, 2 re-tagged; vulnerabilities: 5 new, 2 fixed`, where the
    /// vulnerability figures are the per-severity count totals.
    pub fn summary(&self) -> String {
        let (new, fixed) = self.count_totals();
        let n = |v: usize| thousands(v as u64);
        format!(
            "{} added, {} removed, {} re-tagged; vulnerabilities: {} new, {} fixed",
            n(self.added.len()),
            n(self.removed.len()),
            n(self.retagged.len()),
            thousands(new.iter().sum()),
            thousands(fixed.iter().sum()),
        )
    }
}

/// A diff as lines of text, one list per kind of change, for the page to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffLines {
    /// `library/nginx 1a2b3c4d5e6f (latest, 1.27)` per added artifact.
    pub added: Vec<String>,
    /// The same per removed artifact.
    pub removed: Vec<String>,
    /// `library/nginx 1a2b3c4d5e6f: +stable -old` per re-tagged artifact.
    pub retagged: Vec<String>,
    /// `library/nginx 1a2b3c4d5e6f: +2 critical, -1 high, new CVE-1` per artifact.
    pub vulns: Vec<String>,
    /// Vulnerability ids new across the inventory.
    pub ids_new: Vec<String>,
    /// Vulnerability ids fixed across the inventory.
    pub ids_fixed: Vec<String>,
}

/// The tags of a row, or `untagged`.
fn tag_list(row: &ArtifactRow) -> String {
    if row.tags.is_empty() {
        "untagged".to_owned()
    } else {
        let names: Vec<&str> = row.tags.iter().map(|t| &*t.name).collect();
        names.join(", ")
    }
}

/// `repository short-digest`, how each line names its artifact.
fn artifact_name(row: &ArtifactRow) -> String {
    format!(
        "{} {}",
        row.repository,
        crate::format::short_digest(&row.digest.text())
    )
}

/// Describes `d`, made from `old` and `new`, as lines (one walk over each list).
pub fn describe(d: &Diff, old: &[ArtifactRow], new: &[ArtifactRow]) -> DiffLines {
    fn at(rows: &[ArtifactRow], i: u32) -> Option<(&ArtifactRow, String)> {
        rows.get(i as usize).map(|r| (r, artifact_name(r)))
    }
    let with_tags = |(r, name): (&ArtifactRow, String)| format!("{name} ({})", tag_list(r));
    const LEVELS: [&str; 4] = ["critical", "high", "medium", "low"];
    let vulns = d
        .vulns
        .iter()
        .filter_map(|v| {
            let (_, name) = at(new, v.new)?;
            let counts = LEVELS.iter().enumerate().flat_map(|(k, level)| {
                let new = (v.new_counts[k] > 0).then(|| format!("+{} {level}", v.new_counts[k]));
                let fixed =
                    (v.fixed_counts[k] > 0).then(|| format!("-{} {level}", v.fixed_counts[k]));
                new.into_iter().chain(fixed)
            });
            let ids = |word: &str, ids: &[Box<str>]| {
                (!ids.is_empty()).then(|| format!("{word} {}", ids.join(" ")))
            };
            let parts: Vec<String> = counts
                .chain(ids("new", &v.new_ids))
                .chain(ids("fixed", &v.fixed_ids))
                .collect();
            Some(format!("{name}: {}", parts.join(", ")))
        })
        .collect();
    let retagged = d
        .retagged
        .iter()
        .filter_map(|r| {
            let (_, name) = at(new, r.new)?;
            let plus = r.tags_added.iter().map(|t| format!("+{t}"));
            let minus = r.tags_removed.iter().map(|t| format!("-{t}"));
            let tags: Vec<String> = plus.chain(minus).collect();
            Some(format!("{name}: {}", tags.join(" ")))
        })
        .collect();
    let strings = |ids: &[Box<str>]| ids.iter().map(ToString::to_string).collect();
    DiffLines {
        added: d
            .added
            .iter()
            .filter_map(|&i| at(new, i))
            .map(with_tags)
            .collect(),
        removed: d
            .removed
            .iter()
            .filter_map(|&i| at(old, i))
            .map(with_tags)
            .collect(),
        retagged,
        vulns,
        ids_new: strings(&d.ids_new),
        ids_fixed: strings(&d.ids_fixed),
    }
}

/// Column names of the diff CSV records.
pub const CSV_COLUMNS: [&str; 16] = [
    "change",
    "repository",
    "digest",
    "tags",
    "tags_added",
    "tags_removed",
    "new_critical",
    "new_high",
    "new_medium",
    "new_low",
    "fixed_critical",
    "fixed_high",
    "fixed_medium",
    "fixed_low",
    "new_ids",
    "fixed_ids",
];

/// The CSV export of a diff: one record per change (`added`, `removed`, `retagged`,
/// `vulnerabilities`, in that order), after the artifact export's header record (its
/// count field named `changes`). `old` and `new` are the rows the diff was made from.
pub fn to_csv(d: &Diff, old: &[ArtifactRow], new: &[ArtifactRow], header: &ExportHeader) -> String {
    let records = records(d, old, new);
    let mut out = String::with_capacity(256 + records.len() * 128);
    write_header_records(&mut out, header, "changes", records.len());
    write_record(&mut out, CSV_COLUMNS);
    for r in &records {
        let join = |v: &[Box<str>]| v.join("; ");
        let nums: Vec<String> = r
            .new_counts
            .iter()
            .chain(&r.fixed_counts)
            .map(|n| n.to_string())
            .collect();
        let texts = [
            r.tags.join("; "),
            join(r.tags_added),
            join(r.tags_removed),
            join(r.new_ids),
            join(r.fixed_ids),
        ];
        let digest = r.digest.text();
        let mut fields: Vec<&str> = vec![r.change, r.repository, &digest];
        fields.extend(texts[..3].iter().map(String::as_str));
        fields.extend(nums.iter().map(String::as_str));
        fields.extend(texts[3..].iter().map(String::as_str));
        write_record(&mut out, fields);
    }
    out
}

/// The JSON export: `{"header": {...}, "changes": [...], "vulnerability_ids": {"new":
/// [...], "fixed": [...]}}` with one object per CSV record; `header.artifacts` counts
/// the changes.
pub fn to_json(
    d: &Diff,
    old: &[ArtifactRow],
    new: &[ArtifactRow],
    header: &ExportHeader,
) -> Result<String, ExportError> {
    #[derive(Serialize)]
    struct Out<'a> {
        header: crate::export::JsonHeader,
        changes: Vec<Record<'a>>,
        vulnerability_ids: Ids<'a>,
    }
    #[derive(Serialize)]
    struct Ids<'a> {
        new: &'a [Box<str>],
        fixed: &'a [Box<str>],
    }
    let changes = records(d, old, new);
    let out = Out {
        header: json_header(header, changes.len()),
        changes,
        vulnerability_ids: Ids {
            new: &d.ids_new,
            fixed: &d.ids_fixed,
        },
    };
    serde_json::to_string(&out).map_err(|e| ExportError::Json(e.to_string()))
}

/// One exported change.
#[derive(Serialize)]
struct Record<'a> {
    change: &'static str,
    repository: &'a str,
    digest: &'a Digest,
    tags: Vec<&'a str>,
    tags_added: &'a [Box<str>],
    tags_removed: &'a [Box<str>],
    new_counts: [u32; 4],
    fixed_counts: [u32; 4],
    new_ids: &'a [Box<str>],
    fixed_ids: &'a [Box<str>],
}

fn records<'a>(d: &'a Diff, old: &'a [ArtifactRow], new: &'a [ArtifactRow]) -> Vec<Record<'a>> {
    let base = |change, row: &'a ArtifactRow| Record {
        change,
        repository: &row.repository,
        digest: &row.digest,
        tags: row.tags.iter().map(|t| &*t.name).collect(),
        tags_added: &[],
        tags_removed: &[],
        new_counts: [0; 4],
        fixed_counts: [0; 4],
        new_ids: &[],
        fixed_ids: &[],
    };
    let at = |rows: &'a [ArtifactRow], i: u32| rows.get(i as usize);
    let mut out = Vec::new();
    out.extend(
        d.added
            .iter()
            .filter_map(|&j| at(new, j))
            .map(|r| base("added", r)),
    );
    out.extend(
        d.removed
            .iter()
            .filter_map(|&i| at(old, i))
            .map(|r| base("removed", r)),
    );
    for t in &d.retagged {
        if let Some(r) = at(new, t.new) {
            out.push(Record {
                tags_added: &t.tags_added,
                tags_removed: &t.tags_removed,
                ..base("retagged", r)
            });
        }
    }
    for v in &d.vulns {
        if let Some(r) = at(new, v.new) {
            out.push(Record {
                new_counts: v.new_counts,
                fixed_counts: v.fixed_counts,
                new_ids: &v.new_ids,
                fixed_ids: &v.fixed_ids,
                ..base("vulnerabilities", r)
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{parse_csv, parse_json, to_json as export_json};
    use crate::synthetic::{row, RowSpec, NOW};
    use harbor_client::model::VulnRow;
    use harbor_client::slim::Severity;
    use proptest::prelude::*;

    fn r(repo: &str, digest: &str, tags: &[&str]) -> ArtifactRow {
        row(&RowSpec::new("p", repo).digest(digest).tags(tags))
    }

    fn scanned(repo: &str, digest: &str, counts: [u32; 4]) -> ArtifactRow {
        row(&RowSpec::new("p", repo)
            .digest(digest)
            .scanned(Severity::High, counts, 0, Some(NOW)))
    }

    fn report(repo: &str, digest: &str, ids: &[&str]) -> VulnReport {
        VulnReport {
            repository: repo.into(),
            digest: digest.into(),
            mime: None,
            scanner: None,
            generated_at: None,
            vulnerabilities: ids
                .iter()
                .map(|id| VulnRow {
                    id: (*id).into(),
                    severity: Severity::High,
                    package: "pkg".into(),
                    version: "1".into(),
                    fix_version: "".into(),
                    cvss_v3: None,
                    description: "".into(),
                    links: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn describes_each_change_as_a_line() {
        let old = vec![
            r("p/a", "sha256:aaaaaaaaaaaaaaaa", &["v1"]),
            r("p/b", "sha256:bbbbbbbbbbbbbbbb", &[]),
            scanned("p/c", "sha256:cccccccccccccccc", [0, 1, 0, 0]),
        ];
        let new = vec![
            r("p/a", "sha256:aaaaaaaaaaaaaaaa", &["v2"]),
            scanned("p/c", "sha256:cccccccccccccccc", [2, 0, 0, 0]),
            r("p/d", "sha256:dddddddddddddddd", &["x", "y"]),
        ];
        let d = diff(&old, &new);
        let lines = describe(&d, &old, &new);
        assert_eq!(lines.added, ["p/d sha256:dddddddddddd (x, y)"]);
        assert_eq!(lines.removed, ["p/b sha256:bbbbbbbbbbbb (untagged)"]);
        assert_eq!(lines.retagged, ["p/a sha256:aaaaaaaaaaaa: +v2 -v1"]);
        assert_eq!(
            lines.vulns,
            ["p/c sha256:cccccccccccc: +2 critical, -1 high"]
        );
        assert!(lines.ids_new.is_empty() && lines.ids_fixed.is_empty());
    }

    fn boxes(v: &[&str]) -> Vec<Box<str>> {
        v.iter().map(|s| (*s).into()).collect()
    }

    #[test]
    fn added_removed_retagged() {
        let old = vec![
            r("p/a", "sha256:1", &["v1", "latest"]),
            r("p/a", "sha256:2", &["v0"]),
            r("p/b", "sha256:1", &[]),
            r("p/a", "sha256:1", &["dup"]),
        ];
        let new = vec![
            r("p/b", "sha256:1", &[]),
            r("p/a", "sha256:1", &["v1", "stable"]),
            r("p/c", "sha256:1", &["x"]),
            r("p/a", "sha256:3", &[]),
        ];
        let d = diff(&old, &new);
        assert_eq!(d.added, [2, 3]);
        assert_eq!(d.removed, [1]);
        assert_eq!(
            d.retagged,
            [Retag {
                old: 0,
                new: 1,
                tags_added: boxes(&["stable"]),
                tags_removed: boxes(&["latest"]),
            }]
        );
        assert!(d.vulns.is_empty());
        assert_eq!(
            d.summary(),
            "2 added, 1 removed, 1 re-tagged; vulnerabilities: 0 new, 0 fixed"
        );
        assert!(diff(&old, &old).is_empty());
        assert!(diff(&[], &[]).is_empty());
    }

    #[test]
    fn vulnerabilities_by_counts_and_ids() {
        let old = vec![
            scanned("p/a", "sha256:1", [1, 2, 0, 5]),
            scanned("p/a", "sha256:2", [0, 0, 0, 0]),
            row(&RowSpec::new("p", "p/a").digest("sha256:3")),
        ];
        let new = vec![
            scanned("p/a", "sha256:1", [0, 4, 0, 5]),
            scanned("p/a", "sha256:2", [0, 0, 0, 0]),
            scanned("p/a", "sha256:3", [9, 9, 9, 9]),
        ];
        let old_reports = [
            report("p/a", "sha256:1", &["CVE-1", "CVE-2", "CVE-3"]),
            report("p/a", "sha256:2", &["CVE-1"]),
        ];
        let new_reports = [
            report("p/a", "sha256:1", &["CVE-2", "CVE-3", "CVE-4", "CVE-5"]),
            report("p/a", "sha256:2", &["CVE-1"]),
            report("p/a", "sha256:3", &["CVE-9"]),
        ];
        let old_reports: Vec<&VulnReport> = old_reports.iter().collect();
        let new_reports: Vec<&VulnReport> = new_reports.iter().collect();
        let d = diff_snapshots(
            Snapshot {
                rows: &old,
                reports: &old_reports,
            },
            Snapshot {
                rows: &new,
                reports: &new_reports,
            },
        );
        assert_eq!(
            d.vulns,
            [VulnChange {
                old: 0,
                new: 0,
                new_counts: [0, 2, 0, 0],
                fixed_counts: [1, 0, 0, 0],
                new_ids: boxes(&["CVE-4", "CVE-5"]),
                fixed_ids: boxes(&["CVE-1"]),
            }],
            "artifact 3 was not scanned before: no change is claimed for it"
        );
        assert_eq!(d.count_totals(), ([0, 2, 0, 0], [1, 0, 0, 0]));
        assert_eq!(d.id_totals(), (vec!["CVE-4", "CVE-5"], vec!["CVE-1"]));
        // Inventory-wide, CVE-1 is still in artifact 2; CVE-9 came with artifact 3's scan.
        assert_eq!(d.ids_new, boxes(&["CVE-4", "CVE-5", "CVE-9"]));
        assert!(d.ids_fixed.is_empty());
        let gone = diff_snapshots(
            Snapshot {
                rows: &old,
                reports: &old_reports,
            },
            Snapshot {
                rows: &new[..1],
                reports: &new_reports,
            },
        );
        assert_eq!(gone.ids_fixed, boxes(&["CVE-1"]), "artifact 2 is gone");
        assert_eq!(
            gone.ids_new,
            boxes(&["CVE-4", "CVE-5"]),
            "a report of a row not listed counts not"
        );
        assert_eq!(
            d.summary(),
            "0 added, 0 removed, 0 re-tagged; vulnerabilities: 2 new, 1 fixed"
        );
        // Without reports only the counts are compared.
        let plain = diff(&old, &new);
        assert_eq!(plain.vulns[0].new_ids, Vec::<Box<str>>::new());
        assert_eq!(plain.count_totals(), d.count_totals());
    }

    #[test]
    fn diff_against_a_json_export() {
        let rows = crate::synthetic::rows(40, 3);
        let order: Vec<u32> = (0..30).collect();
        let json = export_json(&rows, &order, &ExportHeader::default()).unwrap();
        let earlier = parse_json(&json).unwrap().artifacts;
        let d = diff(&earlier, &rows);
        assert_eq!(d.added, (30..40).collect::<Vec<u32>>());
        assert!(d.removed.is_empty() && d.retagged.is_empty() && d.vulns.is_empty());
    }

    #[test]
    fn csv_and_json_export() {
        let old = vec![
            r("p/a", "sha256:1", &["v1"]),
            r("p/gone", "sha256:2", &["=x"]),
        ];
        let new = vec![
            r("p/a", "sha256:1", &["v2"]),
            r("p/new", "sha256:3", &["a", "b"]),
        ];
        let d = diff(&old, &new);
        let header = ExportHeader {
            harbor_url: "https://u:secret@h/".into(),
            ..Default::default()
        };
        let csv = to_csv(&d, &old, &new, &header);
        assert!(!csv.contains("secret"));
        let rec = parse_csv(&csv).unwrap();
        assert_eq!(rec.len(), 6);
        assert_eq!((rec[0][6].as_str(), rec[1][6].as_str()), ("changes", "3"));
        assert_eq!(rec[2], CSV_COLUMNS);
        assert_eq!(&rec[3][..4], ["added", "p/new", "sha256:3", "a; b"]);
        assert_eq!(&rec[4][..4], ["removed", "p/gone", "sha256:2", "'=x"]);
        assert_eq!(
            &rec[5][..6],
            ["retagged", "p/a", "sha256:1", "v2", "v2", "v1"]
        );
        assert!(rec[3..].iter().all(|x| x.len() == CSV_COLUMNS.len()));

        let json = to_json(&d, &old, &new, &header).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["header"]["artifacts"], 3);
        assert_eq!(v["changes"][2]["tags_removed"][0], "v1");
        assert_eq!(v["changes"][0]["tags"][1], "b");
    }

    fn arb_rows() -> impl Strategy<Value = Vec<ArtifactRow>> {
        let one = (
            0..4u8,
            0..6u8,
            prop::sample::subsequence(vec!["a", "b", "c"], 0..=3),
        )
            .prop_map(|(repo, digest, tags)| {
                r(&format!("p/r{repo}"), &format!("sha256:{digest}"), &tags)
            });
        prop::collection::vec(one, 0..20)
    }

    proptest! {
        #[test]
        fn diff_is_symmetric(a in arb_rows(), b in arb_rows()) {
            prop_assert!(diff(&a, &a).is_empty());
            let ab = diff(&a, &b);
            let ba = diff(&b, &a);
            let keys = |rows: &[ArtifactRow], idx: &[u32]| -> Vec<(String, String)> {
                let mut k: Vec<_> = idx
                    .iter()
                    .map(|&i| {
                        let (r, d) = rows[i as usize].key();
                        (r.to_owned(), d.to_string())
                    })
                    .collect();
                k.sort();
                k
            };
            prop_assert_eq!(keys(&b, &ab.added), keys(&b, &ba.removed));
            prop_assert_eq!(keys(&a, &ab.removed), keys(&a, &ba.added));
            prop_assert_eq!(ab.retagged.len(), ba.retagged.len());
            for x in &ab.retagged {
                let back = ba.retagged.iter().find(|t| t.new == x.old).unwrap();
                prop_assert_eq!(&x.tags_added, &back.tags_removed);
                prop_assert_eq!(&x.tags_removed, &back.tags_added);
            }
        }
    }
}

//! Stable sorting by any column, as a permutation of row indices (rows are never cloned).
//!
//! Equal keys keep their load order in both directions, so a descending sort is not the
//! ascending one reversed: it is the reversed comparison, stably applied.

use std::cmp::Ordering;
use std::sync::Arc;

use harbor_client::slim::{ArtifactRow, ScanStatus, Severity};

/// A sortable table column. The order of [`Column::ALL`] is the table's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// Project name.
    Project,
    /// Full repository name.
    Repository,
    /// The first tag's name; untagged rows come first when ascending.
    Tags,
    /// Digest text.
    Digest,
    /// Artifact type.
    Type,
    /// Size in bytes.
    Size,
    /// Push time; unknown first when ascending.
    Pushed,
    /// Pull time; "never" is the oldest.
    Pulled,
    /// Scan state, then overall severity, then Critical, High, Medium, Low counts.
    Vulnerabilities,
    /// Label names, compared as a list.
    Labels,
    /// Whether a cosign or notation signature is attached; unsigned first ascending.
    Signed,
    /// Whether an SBOM is attached; none first ascending.
    Sbom,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 12] = [
        Column::Project,
        Column::Repository,
        Column::Tags,
        Column::Digest,
        Column::Type,
        Column::Size,
        Column::Pushed,
        Column::Pulled,
        Column::Vulnerabilities,
        Column::Signed,
        Column::Sbom,
        Column::Labels,
    ];

    /// The column header text (the accessible name the UI contract fixes).
    pub fn header(self) -> &'static str {
        match self {
            Column::Project => "Project",
            Column::Repository => "Repository",
            Column::Tags => "Tags",
            Column::Digest => "Digest",
            Column::Type => "Type",
            Column::Size => "Size",
            Column::Pushed => "Pushed",
            Column::Pulled => "Pulled",
            Column::Vulnerabilities => "Vulnerabilities",
            Column::Labels => "Labels",
            Column::Signed => "Signed",
            Column::Sbom => "SBOM",
        }
    }

    /// The name used in the `sort` URL parameter.
    pub fn param(self) -> &'static str {
        match self {
            Column::Project => "project",
            Column::Repository => "repo",
            Column::Tags => "tags",
            Column::Digest => "digest",
            Column::Type => "type",
            Column::Size => "size",
            Column::Pushed => "pushed",
            Column::Pulled => "pulled",
            Column::Vulnerabilities => "vulns",
            Column::Labels => "labels",
            Column::Signed => "signed",
            Column::Sbom => "sbom",
        }
    }

    /// Parses a `sort` parameter name, accepting a few obvious aliases, any case.
    pub fn from_param(s: &str) -> Option<Column> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "project" => Column::Project,
            "repo" | "repository" => Column::Repository,
            "tags" | "tag" => Column::Tags,
            "digest" => Column::Digest,
            "type" | "kind" => Column::Type,
            "size" => Column::Size,
            "pushed" | "push_time" => Column::Pushed,
            "pulled" | "pull_time" => Column::Pulled,
            "vulns" | "vulnerabilities" | "severity" => Column::Vulnerabilities,
            "labels" | "label" => Column::Labels,
            "signed" | "signature" => Column::Signed,
            "sbom" => Column::Sbom,
            _ => return None,
        })
    }

    /// The direction of a first click: largest, newest and worst first for the numeric
    /// columns (what an auditor looks for), A→Z for text.
    pub fn first_direction(self) -> Direction {
        match self {
            Column::Size | Column::Pushed | Column::Pulled | Column::Vulnerabilities => {
                Direction::Descending
            }
            _ => Direction::Ascending,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Smallest, oldest, A first.
    Ascending,
    /// Largest, newest, Z first.
    Descending,
}

impl Direction {
    /// The other direction.
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Ascending => Direction::Descending,
            Direction::Descending => Direction::Ascending,
        }
    }

    /// The `aria-sort` attribute value for a header sorted this way.
    pub fn aria(self) -> &'static str {
        match self {
            Direction::Ascending => "ascending",
            Direction::Descending => "descending",
        }
    }
}

/// A column and a direction: `sort=size` (ascending) or `sort=-size` (descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortSpec {
    /// The column sorted by.
    pub column: Column,
    /// Its direction.
    pub direction: Direction,
}

impl SortSpec {
    /// The `sort` URL parameter value.
    ///
    /// ```
    /// use inventory::{Column, Direction, SortSpec};
    /// let s = SortSpec { column: Column::Size, direction: Direction::Descending };
    /// assert_eq!(s.to_param(), "-size");
    /// assert_eq!(SortSpec::from_param("-size"), Some(s));
    /// ```
    pub fn to_param(self) -> String {
        match self.direction {
            Direction::Ascending => self.column.param().to_string(),
            Direction::Descending => format!("-{}", self.column.param()),
        }
    }

    /// Parses `column` or `-column` (a leading `+` is accepted too); `None` when unknown.
    pub fn from_param(s: &str) -> Option<SortSpec> {
        let s = s.trim();
        let (direction, name) = match s.strip_prefix('-') {
            Some(rest) => (Direction::Descending, rest),
            None => (Direction::Ascending, s.strip_prefix('+').unwrap_or(s)),
        };
        Column::from_param(name).map(|column| SortSpec { column, direction })
    }
}

/// Sorts `indices` (into `rows`) stably by `spec`. Out-of-range indices sort last and
/// keep their order rather than panicking.
///
/// Each row's key is read once into a compact `(key, position)` vector that is then
/// sorted in cache; ties are broken by the position, which makes the fast unstable sort
/// behave exactly like a stable one in both directions.
///
/// ```
/// use inventory::{sort::sort_indices, Column, Direction, SortSpec};
/// let rows = inventory::synthetic::rows(50, 3);
/// let mut ix: Vec<u32> = (0..50).collect();
/// sort_indices(&rows, &mut ix, SortSpec { column: Column::Size, direction: Direction::Descending });
/// assert!(ix.windows(2).all(|w| rows[w[0] as usize].size >= rows[w[1] as usize].size));
/// ```
pub fn sort_indices(rows: &[ArtifactRow], indices: &mut [u32], spec: SortSpec) {
    let d = spec.direction;
    match spec.column {
        Column::Project => sort_shared(rows, indices, d, |r| &r.project),
        Column::Repository => sort_shared(rows, indices, d, |r| &r.repository),
        Column::Type => sort_shared(rows, indices, d, |r| &r.kind),
        Column::Size => sort_keyed(rows, indices, d, &|_, r| {
            i64::try_from(r.size).unwrap_or(i64::MAX)
        }),
        // `None` ("never") first, as `Option` orders it.
        Column::Pushed => sort_keyed(rows, indices, d, &|_, r| {
            r.push_time.get().unwrap_or(i64::MIN)
        }),
        Column::Pulled => sort_keyed(rows, indices, d, &|_, r| {
            r.pull_time.get().unwrap_or(i64::MIN)
        }),
        Column::Signed => sort_keyed(rows, indices, d, &|_, r| i64::from(r.signed())),
        Column::Sbom => sort_keyed(rows, indices, d, &|_, r| i64::from(r.has_sbom())),
        column @ (Column::Tags | Column::Digest | Column::Vulnerabilities | Column::Labels) => {
            sort_compared(rows, indices, d, column)
        }
    }
}

/// Sorts by a shared name (project, repository, type). Consecutive rows usually hold the
/// very same `Arc`, so the distinct names are ranked once (a few thousand string
/// comparisons) and the rows are then sorted by a `u32` rank.
fn sort_shared(
    rows: &[ArtifactRow],
    indices: &mut [u32],
    direction: Direction,
    name: impl Fn(&ArtifactRow) -> &Arc<str>,
) {
    // One entry per run of the same `Arc`; equal names in different `Arc`s are merged
    // when ranking.
    let mut runs: Vec<&Arc<str>> = Vec::new();
    let mut run_of: Vec<u32> = Vec::with_capacity(indices.len());
    for &i in indices.iter() {
        let Some(row) = rows.get(i as usize) else {
            run_of.push(u32::MAX);
            continue;
        };
        let n = name(row);
        if !runs.last().is_some_and(|last| Arc::ptr_eq(last, n)) {
            runs.push(n);
        }
        run_of.push(runs.len() as u32 - 1);
    }
    let mut by_name: Vec<u32> = (0..runs.len() as u32).collect();
    by_name.sort_unstable_by(|&a, &b| runs[a as usize].cmp(runs[b as usize]));
    let mut rank = vec![0u32; runs.len()];
    let mut current = 0;
    for (k, &run) in by_name.iter().enumerate() {
        if k > 0 && runs[by_name[k - 1] as usize] != runs[run as usize] {
            current += 1;
        }
        rank[run as usize] = current;
    }
    sort_keyed(rows, indices, direction, &|pos, _| {
        i64::from(rank[run_of[pos] as usize])
    });
}

/// Sorts by a number read from each row once; see [`sort_indices`]. Every numeric column
/// goes through this one sort (and [`sort_compared`] takes the others): each sort the
/// compiler copies costs the download a few kilobytes.
fn sort_keyed(
    rows: &[ArtifactRow],
    indices: &mut [u32],
    direction: Direction,
    key: &dyn Fn(usize, &ArtifactRow) -> i64,
) {
    // (key, position in `indices`); rows out of range go to a tail in input order.
    let mut keyed: Vec<(i64, u32)> = Vec::with_capacity(indices.len());
    let mut missing: Vec<u32> = Vec::new();
    for (pos, &i) in indices.iter().enumerate() {
        match rows.get(i as usize) {
            Some(row) => keyed.push((key(pos, row), pos as u32)),
            None => missing.push(i),
        }
    }
    keyed.sort_unstable_by(|a, b| directed(a.0.cmp(&b.0), direction).then(a.1.cmp(&b.1)));
    reorder(indices, keyed.iter().map(|&(_, pos)| pos), missing);
}

/// Sorts by a column that is not a number (tags, digest, vulnerabilities, labels),
/// comparing the rows themselves ([`compare`]); ties keep their order.
fn sort_compared(rows: &[ArtifactRow], indices: &mut [u32], direction: Direction, column: Column) {
    let (mut present, missing): (Vec<(&ArtifactRow, u32)>, Vec<u32>) = (
        indices
            .iter()
            .enumerate()
            .filter_map(|(pos, &i)| rows.get(i as usize).map(|r| (r, pos as u32)))
            .collect(),
        indices
            .iter()
            .copied()
            .filter(|&i| rows.get(i as usize).is_none())
            .collect(),
    );
    present.sort_unstable_by(|a, b| {
        directed(compare(a.0, b.0, column), direction).then(a.1.cmp(&b.1))
    });
    reorder(indices, present.iter().map(|&(_, pos)| pos), missing);
}

/// An ascending order turned the way `direction` says.
fn directed(ascending: Ordering, direction: Direction) -> Ordering {
    match direction {
        Direction::Ascending => ascending,
        Direction::Descending => ascending.reverse(),
    }
}

/// Puts `indices` in the order of `positions` (into `indices`), then `missing` (the rows
/// out of range) in their order.
fn reorder(indices: &mut [u32], positions: impl Iterator<Item = u32>, missing: Vec<u32>) {
    let sorted: Vec<u32> = positions
        .map(|pos| indices[pos as usize])
        .chain(missing)
        .collect();
    indices.copy_from_slice(&sorted);
}

/// Ascending order of two rows by one column.
pub fn compare(a: &ArtifactRow, b: &ArtifactRow, column: Column) -> Ordering {
    match column {
        Column::Project => cmp_shared(&a.project, &b.project),
        Column::Repository => cmp_shared(&a.repository, &b.repository),
        Column::Tags => first_tag(a).cmp(&first_tag(b)),
        Column::Digest => a.digest.cmp(&b.digest),
        Column::Type => cmp_shared(&a.kind, &b.kind),
        Column::Size => a.size.cmp(&b.size),
        Column::Pushed => a.push_time.cmp(&b.push_time),
        Column::Pulled => a.pull_time.cmp(&b.pull_time),
        Column::Vulnerabilities => vuln_key(a).cmp(&vuln_key(b)),
        Column::Labels => a
            .labels
            .iter()
            .map(|l| &l.name)
            .cmp(b.labels.iter().map(|l| &l.name)),
        Column::Signed => a.signed().cmp(&b.signed()),
        Column::Sbom => a.has_sbom().cmp(&b.has_sbom()),
    }
}

/// Shared names are usually the very same allocation: skip the byte comparison then.
fn cmp_shared(a: &Arc<str>, b: &Arc<str>) -> Ordering {
    if Arc::ptr_eq(a, b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

fn first_tag(row: &ArtifactRow) -> Option<&str> {
    row.tags.first().map(|t| &*t.name)
}

/// Not scanned < failed < scanning < scanned; scanned rows by severity, then counts.
fn vuln_key(row: &ArtifactRow) -> (u8, Option<Severity>, [u32; 4]) {
    let s = &row.scan;
    match s.status {
        ScanStatus::NotScanned => (0, None, [0; 4]),
        ScanStatus::Failed => (1, None, [0; 4]),
        ScanStatus::Scanning => (2, None, [0; 4]),
        ScanStatus::Success => (3, s.severity, s.counts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec, NOW};
    use crate::DAY_MS;
    use harbor_client::slim::Moment;

    fn fixture() -> Vec<ArtifactRow> {
        let a = RowSpec::new("alpha", "alpha/web");
        let b = RowSpec::new("beta", "beta/api");
        vec![
            row(&b
                .clone()
                .digest("sha256:03")
                .size(300)
                .tags(&["v2"])
                .pulled(Some(NOW))
                .scanned(Severity::High, [0, 2, 0, 0], 0, None)
                .labels(&["prod"])),
            row(&a
                .clone()
                .digest("sha256:01")
                .size(100)
                .tags(&[])
                .pulled(None)
                .kind("CHART")),
            row(&b
                .clone()
                .digest("sha256:02")
                .size(300)
                .tags(&["v1", "z"])
                .pulled(Some(NOW - DAY_MS))
                .pushed(Some(NOW - 20 * DAY_MS))
                .scanned(Severity::High, [0, 5, 0, 0], 0, None)),
            row(&a
                .clone()
                .digest("sha256:04")
                .size(200)
                .tags(&["a"])
                .pulled(None)
                .status(ScanStatus::Failed)
                .labels(&["dev", "prod"])
                .pushed(None)),
            row(&a
                .clone()
                .digest("sha256:05")
                .size(100)
                .tags(&["v1"])
                .pulled(Some(NOW - 5 * DAY_MS))
                .scanned(Severity::Critical, [1, 0, 0, 0], 1, None)),
        ]
    }

    fn sorted(column: Column, direction: Direction) -> Vec<u32> {
        let rows = fixture();
        let mut ix: Vec<u32> = (0..rows.len() as u32).collect();
        sort_indices(&rows, &mut ix, SortSpec { column, direction });
        ix
    }

    #[test]
    fn sort_table() {
        use Direction::{Ascending as Up, Descending as Down};
        let cases = [
            (Column::Project, Up, vec![1, 3, 4, 0, 2]),
            (Column::Project, Down, vec![0, 2, 1, 3, 4]),
            (Column::Repository, Up, vec![1, 3, 4, 0, 2]),
            (Column::Tags, Up, vec![1, 3, 2, 4, 0]),
            (Column::Tags, Down, vec![0, 2, 4, 3, 1]),
            (Column::Digest, Up, vec![1, 2, 0, 3, 4]),
            (Column::Type, Up, vec![1, 0, 2, 3, 4]),
            (Column::Size, Up, vec![1, 4, 3, 0, 2]),
            (Column::Size, Down, vec![0, 2, 3, 1, 4]),
            (Column::Pushed, Up, vec![3, 2, 0, 1, 4]),
            (Column::Pulled, Up, vec![1, 3, 4, 2, 0]),
            (Column::Pulled, Down, vec![0, 2, 4, 1, 3]),
            (Column::Vulnerabilities, Up, vec![1, 3, 0, 2, 4]),
            (Column::Vulnerabilities, Down, vec![4, 2, 0, 3, 1]),
            (Column::Labels, Up, vec![1, 2, 4, 3, 0]),
        ];
        for (column, direction, want) in cases {
            assert_eq!(sorted(column, direction), want, "{column:?} {direction:?}");
        }
    }

    #[test]
    fn unsigned_and_sbom_less_rows_come_first_ascending() {
        use harbor_client::slim::{AccessoryKind, AccessoryRow};
        let attach = |kind: AccessoryKind| AccessoryRow {
            kind,
            digest: "sha256:acc".into(),
            size: 1,
            push_time: Moment::NEVER,
            inherited: false,
        };
        let mut rows = fixture();
        rows[1].accessories = vec![attach(AccessoryKind::Notation)].into();
        rows[3].accessories =
            vec![attach(AccessoryKind::Sbom), attach(AccessoryKind::Cosign)].into();
        let order = |column, direction| {
            let mut ix: Vec<u32> = (0..5).collect();
            sort_indices(&rows, &mut ix, SortSpec { column, direction });
            assert!(ix.windows(2).all(|w| {
                compare(&rows[w[0] as usize], &rows[w[1] as usize], column)
                    != if direction == Direction::Ascending {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
            }));
            ix
        };
        assert_eq!(order(Column::Signed, Direction::Ascending), [0, 2, 4, 1, 3]);
        assert_eq!(
            order(Column::Signed, Direction::Descending),
            [1, 3, 0, 2, 4]
        );
        assert_eq!(order(Column::Sbom, Direction::Ascending), [0, 1, 2, 4, 3]);
    }

    #[test]
    fn out_of_range_indices_go_last() {
        let rows = fixture();
        let mut ix = vec![99, 2, 1];
        sort_indices(
            &rows,
            &mut ix,
            SortSpec {
                column: Column::Size,
                direction: Direction::Ascending,
            },
        );
        assert_eq!(ix, vec![1, 2, 99]);
    }

    #[test]
    fn shared_names_in_separate_arcs_rank_equal() {
        // Same project name in two distinct allocations, interleaved with another name.
        let a1 = RowSpec::new("same", "same/x");
        let b = RowSpec::new("other", "other/y");
        let a2 = RowSpec::new("same", "same/x");
        let rows = vec![row(&a1), row(&b), row(&a2), row(&a1)];
        for (direction, want) in [
            (Direction::Ascending, vec![1, 0, 2, 3]),
            (Direction::Descending, vec![0, 2, 3, 1]),
        ] {
            let mut ix = vec![0, 1, 2, 3];
            sort_indices(
                &rows,
                &mut ix,
                SortSpec {
                    column: Column::Project,
                    direction,
                },
            );
            assert_eq!(ix, want, "{direction:?}");
        }
        let mut ix = vec![7, 2, 1, 0];
        sort_indices(
            &rows,
            &mut ix,
            SortSpec {
                column: Column::Repository,
                direction: Direction::Ascending,
            },
        );
        assert_eq!(ix, vec![1, 2, 0, 7]);
    }

    #[test]
    fn param_table() {
        for column in Column::ALL {
            for direction in [Direction::Ascending, Direction::Descending] {
                let spec = SortSpec { column, direction };
                assert_eq!(SortSpec::from_param(&spec.to_param()), Some(spec));
            }
        }
        let asc = |c| {
            Some(SortSpec {
                column: c,
                direction: Direction::Ascending,
            })
        };
        assert_eq!(SortSpec::from_param("+Size"), asc(Column::Size));
        assert_eq!(SortSpec::from_param("repository"), asc(Column::Repository));
        assert_eq!(SortSpec::from_param("--size"), None);
        assert_eq!(SortSpec::from_param(""), None);
        assert_eq!(SortSpec::from_param("-"), None);
    }
}

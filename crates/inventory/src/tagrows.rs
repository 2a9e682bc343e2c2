//! One row per tag (goharbor/harbor#17704): each tag of an artifact becomes a row of its
//! own, and an artifact without tags stays one row.
//!
//! A tag row is the artifact's row with `tags` narrowed to that one tag, so every filter,
//! sort, preset, page and export works on tag rows unchanged. Artifact facts (size, push
//! and pull time, scan, accessories) stay the artifact's: the tag's own push and pull
//! times are in `tags[0]`. The rows of one artifact stay next to each other, which
//! [`crate::RowIndex`] relies on to count artifacts, not tags, per repository.

use std::borrow::Cow;

use harbor_client::slim::ArtifactRow;

/// What a table row stands for (`rows=tags` in the URL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RowMode {
    /// One row per artifact (the default).
    #[default]
    Artifacts,
    /// One row per tag; an untagged artifact is one row.
    Tags,
}

impl RowMode {
    /// The `rows` URL value (`artifacts` is the default and is left out of URLs).
    pub fn param(self) -> &'static str {
        match self {
            RowMode::Artifacts => "artifacts",
            RowMode::Tags => "tags",
        }
    }

    /// Parses a `rows` URL value (any case); `None` when unknown.
    pub fn from_param(s: &str) -> Option<RowMode> {
        [RowMode::Artifacts, RowMode::Tags]
            .into_iter()
            .find(|m| m.param().eq_ignore_ascii_case(s.trim()))
    }

    /// The rows the table shows in this mode: borrowed as they are for artifacts,
    /// expanded by [`tag_rows`] for tags. Memoise the result on the rows and the mode.
    pub fn rows(self, rows: &[ArtifactRow]) -> Cow<'_, [ArtifactRow]> {
        match self {
            RowMode::Artifacts => Cow::Borrowed(rows),
            RowMode::Tags => Cow::Owned(tag_rows(rows)),
        }
    }
}

/// One row per tag, in load order (an artifact's tags in Harbor's order), and one row for
/// each untagged artifact.
///
/// ```
/// let rows = inventory::synthetic::rows(200, 3);
/// let tags: usize = rows.iter().map(|r| r.tags.len().max(1)).sum();
/// assert_eq!(inventory::tagrows::tag_rows(&rows).len(), tags);
/// ```
pub fn tag_rows(rows: &[ArtifactRow]) -> Vec<ArtifactRow> {
    TagRows::new(rows).rows
}

/// Tag rows together with the artifact row each came from, for what is computed on
/// artifact rows: the CVE roll-up's affected set ([`crate::rollup::Rollup::affected`])
/// holds artifact-row indices, which [`TagRows::rows_of`] turns into tag-row indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagRows {
    /// The tag rows.
    pub rows: Vec<ArtifactRow>,
    /// Per tag row, the index of its artifact row (ascending).
    pub source: Vec<u32>,
}

impl TagRows {
    /// Expands `rows` (see [`tag_rows`]).
    pub fn new(rows: &[ArtifactRow]) -> TagRows {
        let count = rows.iter().map(|r| r.tags.len().max(1)).sum();
        let mut out = TagRows {
            rows: Vec::with_capacity(count),
            source: Vec::with_capacity(count),
        };
        for (i, row) in rows.iter().enumerate() {
            let i = i as u32;
            if row.tags.len() <= 1 {
                out.rows.push(row.clone());
                out.source.push(i);
                continue;
            }
            for tag in &row.tags {
                let mut one = row.clone();
                one.tags = vec![tag.clone()];
                out.rows.push(one);
                out.source.push(i);
            }
        }
        out
    }

    /// The tag rows (ascending) of the artifact rows `artifacts` (ascending, as
    /// [`crate::rollup::Rollup::affected`] gives them).
    ///
    /// ```
    /// use inventory::tagrows::TagRows;
    /// let rows = inventory::synthetic::rows(30, 3);
    /// let t = TagRows::new(&rows);
    /// let all: Vec<u32> = (0..30).collect();
    /// assert_eq!(t.rows_of(&all).len(), t.rows.len());
    /// ```
    pub fn rows_of(&self, artifacts: &[u32]) -> Vec<u32> {
        self.source
            .iter()
            .enumerate()
            .filter(|(_, a)| artifacts.binary_search(a).is_ok())
            .map(|(j, _)| j as u32)
            .collect()
    }
}

/// The tag a tag row stands for (`None` for an untagged artifact).
pub fn tag_of(row: &ArtifactRow) -> Option<&str> {
    row.tags.first().map(|t| &*t.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec};
    use crate::{view, Filters, RowIndex, TableQuery};

    #[test]
    fn tags_become_rows_and_untagged_stay_one() {
        let a = RowSpec::new("p", "p/a");
        let rows = vec![
            row(&a
                .clone()
                .digest("sha256:01")
                .tags(&["v1", "latest", "v1.0"])),
            row(&a.clone().digest("sha256:02")),
            row(&a.clone().digest("sha256:03").tags(&["v2"])),
        ];
        let got = tag_rows(&rows);
        let names: Vec<(String, Option<&str>)> = got
            .iter()
            .map(|r| (r.digest.to_string(), tag_of(r)))
            .collect();
        let want = [
            ("sha256:01", Some("v1")),
            ("sha256:01", Some("latest")),
            ("sha256:01", Some("v1.0")),
            ("sha256:02", None),
            ("sha256:03", Some("v2")),
        ];
        assert_eq!(names, want.map(|(d, t)| (d.to_owned(), t)));
        // The repository still holds three artifacts, not five rows.
        let index = RowIndex::new(&got);
        assert_eq!(index.repo_artifacts(0), 3);
        let mut q = TableQuery::default();
        q.set_filters(Filters {
            tag: "\"latest\"".into(),
            ..Filters::default()
        });
        let (matching, _) = view(&got, Some(&index), &q, 0);
        assert_eq!(matching, vec![1]);
        // The roll-up's artifact indices map onto their tag rows.
        let t = TagRows::new(&rows);
        assert_eq!(t.rows, got);
        assert_eq!(t.source, [0, 0, 0, 1, 2]);
        assert_eq!(t.rows_of(&[0, 2]), [0, 1, 2, 4]);
        assert_eq!(t.rows_of(&[]), Vec::<u32>::new());
    }

    #[test]
    fn count_is_tags_plus_untagged_on_generated_rows() {
        let rows = crate::synthetic::rows(3_000, 11);
        let tags: usize = rows.iter().map(|r| r.tags.len()).sum();
        let untagged = rows.iter().filter(|r| r.tags.is_empty()).count();
        let expanded = RowMode::Tags.rows(&rows);
        assert_eq!(expanded.len(), tags + untagged);
        assert!(
            expanded.len() > rows.len(),
            "generated rows have multi-tag artifacts"
        );
        assert_eq!(RowMode::Artifacts.rows(&rows).len(), rows.len());
        // Repository sizes count artifacts in both modes.
        let (by_artifact, by_tag) = (RowIndex::new(&rows), RowIndex::new(&expanded));
        let first_of_last = expanded.len() - 1;
        assert_eq!(
            by_tag.repo_artifacts(first_of_last),
            by_artifact.repo_artifacts(rows.len() - 1)
        );
    }

    #[test]
    fn params_round_trip() {
        for m in [RowMode::Artifacts, RowMode::Tags] {
            assert_eq!(RowMode::from_param(m.param()), Some(m));
        }
        assert_eq!(RowMode::from_param("TAGS"), Some(RowMode::Tags));
        assert_eq!(RowMode::from_param("x"), None);
    }
}

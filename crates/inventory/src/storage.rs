//! Storage per project, two ways, each labelled for what it is: the sum of the loaded
//! artifacts' sizes (a layer shared by several artifacts counts once per artifact) and
//! Harbor's quota figures from `/projects/{project}/summary` (every blob once, index
//! children and accessories included), where the caller may read them.

use std::collections::HashMap;
use std::sync::Arc;

use harbor_client::audit::ProjectSummary;
use harbor_client::slim::ArtifactRow;

use crate::stats::per_project;

/// What [`ProjectStorage::size_sum`] is, for a chart legend or a column header.
pub const SIZE_SUM_LABEL: &str = "Sum of artifact sizes (shared layers counted per artifact)";
/// What [`ProjectStorage::quota_used`] is.
pub const QUOTA_USED_LABEL: &str = "Quota used (Harbor counts each layer once)";
/// What [`ProjectStorage::quota_hard`] is.
pub const QUOTA_HARD_LABEL: &str = "Quota limit";

/// One project's storage figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectStorage {
    /// Project name.
    pub project: Arc<str>,
    /// Artifacts counted in [`ProjectStorage::size_sum`].
    pub artifacts: u64,
    /// Sum of the artifacts' sizes in bytes.
    pub size_sum: u64,
    /// The quota's `used.storage` in bytes; `None` when the caller may not see it (or
    /// the summary was not fetched).
    pub quota_used: Option<u64>,
    /// The quota's `hard.storage`: `Some(None)` for no limit, `None` when not visible.
    pub quota_hard: Option<Option<u64>>,
}

/// Storage per project of the rows at `indices`, with the summaries fetched for them
/// (by project name; summaries of other projects are ignored). Order: most artifacts
/// first, as [`per_project`].
///
/// ```
/// use harbor_client::audit::ProjectSummary;
/// let rows = inventory::synthetic::rows(50, 1);
/// let all: Vec<u32> = (0..50).collect();
/// let summary: ProjectSummary = serde_json::from_str(
///     r#"{"quota":{"hard":{"storage":-1},"used":{"storage":123}}}"#).unwrap();
/// let s = inventory::storage::per_project_storage(&rows, &all, &[("proj-0".into(), summary)]);
/// assert_eq!(s[0].quota_used, Some(123));
/// assert_eq!(s[0].quota_hard, Some(None));
/// ```
pub fn per_project_storage(
    rows: &[ArtifactRow],
    indices: &[u32],
    summaries: &[(String, ProjectSummary)],
) -> Vec<ProjectStorage> {
    let by_name: HashMap<&str, &ProjectSummary> =
        summaries.iter().map(|(n, s)| (n.as_str(), s)).collect();
    per_project(rows, indices)
        .into_iter()
        .map(|stat| {
            let summary = by_name.get(&*stat.project);
            ProjectStorage {
                artifacts: stat.artifacts,
                size_sum: stat.bytes,
                quota_used: summary.and_then(|s| s.storage_used()),
                quota_hard: summary.and_then(|s| s.storage_hard()),
                project: stat.project,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec};

    #[test]
    fn figures_side_by_side() {
        let a = RowSpec::new("a", "a/x");
        let b = RowSpec::new("b", "b/y");
        let rows = vec![
            row(&a.clone().digest("sha256:1").size(100)),
            row(&a.clone().digest("sha256:2").size(50)),
            row(&b.clone().digest("sha256:3").size(7)),
        ];
        let summary = |json: &str| serde_json::from_str::<ProjectSummary>(json).unwrap();
        let got = per_project_storage(
            &rows,
            &[0, 1, 2],
            &[
                (
                    "a".into(),
                    summary(r#"{"quota":{"hard":{"storage":1000},"used":{"storage":120}}}"#),
                ),
                ("b".into(), summary(r#"{"repo_count":1}"#)),
                ("c".into(), summary(r#"{"quota":{"used":{"storage":5}}}"#)),
            ],
        );
        assert_eq!(got.len(), 2);
        assert_eq!(
            (
                &*got[0].project,
                got[0].size_sum,
                got[0].quota_used,
                got[0].quota_hard
            ),
            ("a", 150, Some(120), Some(Some(1000)))
        );
        assert_eq!(
            (
                &*got[1].project,
                got[1].size_sum,
                got[1].quota_used,
                got[1].quota_hard
            ),
            ("b", 7, None, None)
        );
    }
}

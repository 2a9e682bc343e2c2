//! The loaded artifacts, keyed so that nothing is ever counted twice.

use std::collections::HashMap;
use std::sync::Arc;

use crate::slim::{ArtifactRow, Digest};

/// Artifact rows keyed by repository and digest: merging a retry's rows adds the new
/// ones and replaces the ones already there, never duplicating.
#[derive(Debug, Clone, Default)]
pub struct RowSet {
    rows: Vec<ArtifactRow>,
    index: HashMap<(Arc<str>, Digest), usize>,
}

impl RowSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces rows; returns how many were new.
    pub fn merge(&mut self, rows: impl IntoIterator<Item = ArtifactRow>) -> usize {
        let mut added = 0;
        for row in rows {
            let key = (row.repository.clone(), row.digest.clone());
            match self.index.get(&key) {
                Some(&i) => self.rows[i] = row,
                None => {
                    self.index.insert(key, self.rows.len());
                    self.rows.push(row);
                    added += 1;
                }
            }
        }
        added
    }

    /// Empties the set but keeps its memory for the next crawl, which is usually as
    /// large: in wasm, linear memory never shrinks, so reusing it keeps reloads flat.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.index.clear();
    }

    /// Moves every row out (the set is left empty, its memory kept, as by
    /// [`RowSet::clear`]), e.g. to fold them into a refreshed inventory and merge the
    /// result back without copying them.
    pub fn take_rows(&mut self) -> Vec<ArtifactRow> {
        self.index.clear();
        self.rows.drain(..).collect()
    }

    /// The rows, in first-seen order.
    pub fn rows(&self) -> &[ArtifactRow] {
        &self.rows
    }

    /// Number of distinct artifacts.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the artifact is there.
    pub fn contains(&self, repository: &str, digest: &str) -> bool {
        self.index
            .contains_key(&(Arc::from(repository), Digest::new(digest)))
    }

    /// Takes the rows out.
    pub fn into_rows(self) -> Vec<ArtifactRow> {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slim::ScanSummary;

    fn row(repo: &str, digest: &str, size: u64) -> ArtifactRow {
        ArtifactRow {
            project: Arc::from("p"),
            repository: Arc::from(repo),
            digest: digest.into(),
            kind: Arc::from("IMAGE"),
            media_type: Arc::from("m"),
            size,
            push_time: None,
            pull_time: None,
            tags: Vec::new(),
            labels: Vec::new(),
            scan: ScanSummary::NOT_SCANNED,
            references: 0,
            project_id: 1,
            accessories: Box::default(),
        }
    }

    #[test]
    fn merge_never_duplicates() {
        let mut set = RowSet::new();
        assert_eq!(
            set.merge([row("p/a", "sha256:1", 1), row("p/a", "sha256:2", 1)]),
            2
        );
        assert_eq!(
            set.merge([row("p/a", "sha256:2", 9), row("p/b", "sha256:2", 1)]),
            1
        );
        assert_eq!(set.len(), 3);
        assert_eq!(set.rows()[1].size, 9, "replaced in place");
        assert!(set.contains("p/b", "sha256:2"));
        assert!(!set.contains("p/b", "sha256:1"));
    }
}

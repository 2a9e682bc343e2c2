//! The one function the table UI calls: rows + query + now → what to render.

use harbor_client::slim::{ArtifactRow, Millis};

use crate::filter::{filter_among, Filters, RowIndex};
use crate::page::{page_label, paginate, PerPage};
use crate::query::TableQuery;
use crate::sort::{sort_indices, SortSpec};

/// Filters, sorts and paginates `rows` by `query` at once: every match in table order,
/// and the page the query asks for. `index` is used for the cross-row filters when it
/// was built for these rows (otherwise they build their own); `now` anchors the
/// "N days" filters. The app runs the same three stages ([`order`], [`matching`],
/// [`page_of`]) in memos of their own; this is the whole pipeline, for tests and benches.
///
/// ```
/// use inventory::{view, TableQuery};
/// let rows = inventory::synthetic::rows(130, 9);
/// let mut q = TableQuery::default();
/// q.set_page(3, u32::MAX);
/// let (matching, page) = view(&rows, None, &q, inventory::synthetic::NOW);
/// assert_eq!((page.page, page.page_count, matching.len()), (3, 3, 130));
/// assert_eq!(page.indices.len(), 30);
/// assert_eq!(page.page_label(), "Page 3 of 3");
/// ```
pub fn view(
    rows: &[ArtifactRow],
    index: Option<&RowIndex>,
    query: &TableQuery,
    now: Millis,
) -> (Vec<u32>, Page) {
    let order = order(rows, query.sort());
    let matching = matching(rows, &order, query.filters(), index, None, now);
    let page = page_of(&matching, query.per_page(), query.page());
    (matching, page)
}

// The three stages of [`view`], for a UI that memoises each on what it depends on: the
// order changes with the rows or the sort, the matches with the order or the filters,
// the page with the matches or the paging. A filter keystroke then never sorts, and a
// page change neither sorts nor filters.

/// Stage 1: every row index in table order (load order without a sort).
pub fn order(rows: &[ArtifactRow], sort: Option<SortSpec>) -> Vec<u32> {
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    if let Some(spec) = sort {
        sort_indices(rows, &mut order, spec);
    }
    order
}

/// Stage 2: the rows of `order` that pass `filters`, in that order.
///
/// `affected` is the CVE roll-up's set for `filters.cve` (row indices, ascending):
/// with a CVE filter only those rows can match, and without the set (no report lists
/// the id) none do.
///
/// ```
/// let rows = inventory::synthetic::rows(6, 1);
/// let order: Vec<u32> = (0..6).rev().collect();
/// let mut f = inventory::Filters::default();
/// f.cve = "CVE-2024-1".into();
/// let m = inventory::view::matching(&rows, &order, &f, None, Some(&[1, 4]), 0);
/// assert_eq!(m, vec![4, 1]);
/// assert!(inventory::view::matching(&rows, &order, &f, None, None, 0).is_empty());
/// ```
pub fn matching(
    rows: &[ArtifactRow],
    order: &[u32],
    filters: &Filters,
    index: Option<&RowIndex>,
    affected: Option<&[u32]>,
    now: Millis,
) -> Vec<u32> {
    if filters.cve.trim().is_empty() {
        return filter_among(rows, order.iter().copied(), filters, index, now);
    }
    let affected = affected.unwrap_or_default();
    let candidates: Vec<u32> = order
        .iter()
        .copied()
        .filter(|i| affected.binary_search(i).is_ok())
        .collect();
    filter_among(rows, candidates.into_iter(), filters, index, now)
}

/// One page of the matches without the matches themselves: what a table and its pager
/// render. A UI that keeps the matches in a memo of their own builds this with
/// [`page_of`], so a page change copies one page of indices, not every match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// Row indices on the page, in table order.
    pub indices: Vec<u32>,
    /// The page shown (clamped to `1..=page_count`).
    pub page: u32,
    /// Number of pages, at least 1.
    pub page_count: u32,
    /// Number of matching rows (the `Matching artifacts` count).
    pub total_matching: usize,
}

impl Page {
    /// `Page X of Y`.
    pub fn page_label(&self) -> String {
        page_label(self.page, self.page_count)
    }
}

/// Stage 3 for a UI that holds the matches elsewhere: page `page` of `matching`.
///
/// ```
/// use inventory::PerPage;
/// let matching: Vec<u32> = (0..60).rev().collect();
/// let p = inventory::view::page_of(&matching, PerPage::new(25).unwrap(), 9);
/// assert_eq!((p.page, p.page_count, p.total_matching), (3, 3, 60));
/// assert_eq!(p.indices, (0..10).rev().collect::<Vec<u32>>());
/// assert_eq!(p.page_label(), "Page 3 of 3");
/// ```
pub fn page_of(matching: &[u32], per_page: PerPage, page: u32) -> Page {
    let info = paginate(matching.len(), per_page.get(), page);
    Page {
        indices: matching
            .get(info.start..info.end)
            .unwrap_or_default()
            .to_vec(),
        page: info.page,
        page_count: info.page_count,
        total_matching: matching.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{rows, NOW};
    use crate::{Column, PerPage};
    use harbor_client::slim::Digest;

    #[test]
    fn empty_table_is_page_1_of_1() {
        let (_, t) = view(&[], None, &TableQuery::default(), NOW);
        assert_eq!((t.page, t.page_count, t.total_matching), (1, 1, 0));
        assert!(t.indices.is_empty());
        assert_eq!(t.page_label(), "Page 1 of 1");
    }

    #[test]
    fn pages_cover_matching_exactly_once() {
        let data = rows(1234, 5);
        for per in PerPage::CHOICES {
            let mut q = TableQuery::default();
            q.update_filters(|f| f.tag = "*".into());
            q.click_sort(Column::Size);
            q.set_per_page(per);
            let (all, first) = view(&data, None, &q, NOW);
            let mut seen = Vec::new();
            for page in 1..=first.page_count {
                q.set_page(page, first.page_count);
                let (_, t) = view(&data, None, &q, NOW);
                assert_eq!(t.page, page);
                seen.extend_from_slice(&t.indices);
            }
            assert_eq!(seen, all, "per page {per}");
            assert!(seen
                .windows(2)
                .all(|w| data[w[0] as usize].size >= data[w[1] as usize].size));
            let tagged = data.iter().filter(|r| !r.tags.is_empty()).count();
            assert_eq!(first.total_matching, tagged);
            assert_eq!(
                first.page_count as usize,
                tagged.div_ceil(per.get() as usize)
            );
        }
    }

    #[test]
    fn page_past_end_is_clamped() {
        let data = rows(60, 2);
        let q = TableQuery::from_query_string("page=99");
        let (_, t) = view(&data, None, &q, NOW);
        assert_eq!((t.page, t.indices.len()), (2, 10));
        let digests: Vec<&Digest> = t
            .indices
            .iter()
            .map(|&i| &data[i as usize].digest)
            .collect();
        let want: Vec<&Digest> = data[50..].iter().map(|r| &r.digest).collect();
        assert_eq!(digests, want);
    }

    #[test]
    fn prebuilt_index_gives_same_result() {
        let data = rows(3000, 8);
        let q = TableQuery::from_query_string("dup_digest=1&sort=digest");
        let ix = RowIndex::new(&data);
        let a = view(&data, None, &q, NOW);
        let b = view(&data, Some(&ix), &q, NOW);
        assert_eq!(a, b);
        assert!(a.1.total_matching > 0);
    }
}

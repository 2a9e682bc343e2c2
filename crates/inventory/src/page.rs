//! Pagination maths as plain functions: page count, clamping, slice bounds and the
//! `Page X of Y` text. An empty table is "Page 1 of 1", never "Page 1 of 0".

use std::fmt;

/// Rows per page: one of the four sizes the pager offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PerPage(u32);

impl PerPage {
    /// The choices of the `Rows per page` select, in order.
    pub const CHOICES: [PerPage; 4] = [PerPage(25), PerPage(50), PerPage(100), PerPage(250)];

    /// The default, 50.
    pub const DEFAULT: PerPage = PerPage(50);

    /// `Some` only for 25, 50, 100 or 250.
    pub fn new(n: u32) -> Option<PerPage> {
        PerPage::CHOICES.into_iter().find(|c| c.0 == n)
    }

    /// The number of rows.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PerPage {
    fn default() -> Self {
        PerPage::DEFAULT
    }
}

impl fmt::Display for PerPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where one page lies in the matching rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    /// The current page, 1-based, clamped to `1..=page_count`.
    pub page: u32,
    /// Number of pages; at least 1.
    pub page_count: u32,
    /// First row of the page (index into the matching rows).
    pub start: usize,
    /// One past the last row of the page; `start == end` only for an empty table.
    pub end: usize,
}

impl PageInfo {
    /// `Page X of Y`, the text the UI contract fixes.
    pub fn label(&self) -> String {
        page_label(self.page, self.page_count)
    }

    /// Whether a `Previous page` button should be enabled.
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    /// Whether a `Next page` button should be enabled.
    pub fn has_next(&self) -> bool {
        self.page < self.page_count
    }
}

/// Number of pages for `total` rows: `ceil(total / per_page)`, at least 1.
pub fn page_count(total: usize, per_page: u32) -> u32 {
    let per = per_page.max(1) as usize;
    u32::try_from(total.div_ceil(per))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// Clamps a requested page (possibly 0 or past the end) to `1..=page_count`.
pub fn clamp_page(page: u32, page_count: u32) -> u32 {
    page.clamp(1, page_count.max(1))
}

/// The page of `total` rows shown for a requested page.
///
/// ```
/// use inventory::paginate;
/// let p = paginate(101, 50, 9);
/// assert_eq!((p.page, p.page_count, p.start, p.end), (3, 3, 100, 101));
/// assert_eq!(p.label(), "Page 3 of 3");
/// ```
pub fn paginate(total: usize, per_page: u32, requested: u32) -> PageInfo {
    let per = per_page.max(1);
    let page_count = page_count(total, per);
    let page = clamp_page(requested, page_count);
    let start = ((page - 1) as usize)
        .saturating_mul(per as usize)
        .min(total);
    let end = start.saturating_add(per as usize).min(total);
    PageInfo {
        page,
        page_count,
        start,
        end,
    }
}

/// `Page X of Y`.
pub fn page_label(page: u32, page_count: u32) -> String {
    format!("Page {page} of {page_count}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paginate_table() {
        // (total, per_page, requested) -> (page, page_count, start, end)
        let cases = [
            ((0, 50, 1), (1, 1, 0, 0)),
            ((0, 50, 0), (1, 1, 0, 0)),
            ((0, 50, 7), (1, 1, 0, 0)),
            ((1, 25, 1), (1, 1, 0, 1)),
            ((25, 25, 1), (1, 1, 0, 25)),
            ((25, 25, 2), (1, 1, 0, 25)),
            ((26, 25, 2), (2, 2, 25, 26)),
            ((100, 50, 2), (2, 2, 50, 100)),
            ((101, 50, 3), (3, 3, 100, 101)),
            ((101, 50, 0), (1, 3, 0, 50)),
            ((101, 50, u32::MAX), (3, 3, 100, 101)),
            ((1000, 250, 4), (4, 4, 750, 1000)),
            ((1000, 100, 5), (5, 10, 400, 500)),
            ((7, 0, 3), (3, 7, 2, 3)),
        ];
        for ((total, per, req), (page, count, start, end)) in cases {
            let got = paginate(total, per, req);
            assert_eq!(
                (got.page, got.page_count, got.start, got.end),
                (page, count, start, end),
                "paginate({total}, {per}, {req})"
            );
        }
    }

    #[test]
    fn labels_and_buttons() {
        let empty = paginate(0, 50, 1);
        assert_eq!(empty.label(), "Page 1 of 1");
        assert!(!empty.has_previous() && !empty.has_next());
        let mid = paginate(120, 50, 2);
        assert_eq!(mid.label(), "Page 2 of 3");
        assert!(mid.has_previous() && mid.has_next());
    }

    #[test]
    fn per_page_choices() {
        let cases = [
            (25, true),
            (50, true),
            (100, true),
            (250, true),
            (0, false),
            (10, false),
        ];
        for (n, ok) in cases {
            assert_eq!(PerPage::new(n).is_some(), ok, "{n}");
        }
        assert_eq!(PerPage::default().get(), 50);
    }

    #[test]
    fn page_count_table() {
        let cases = [
            (0, 50, 1),
            (1, 50, 1),
            (50, 50, 1),
            (51, 50, 2),
            (100_000, 25, 4000),
        ];
        for (total, per, want) in cases {
            assert_eq!(page_count(total, per), want, "page_count({total}, {per})");
        }
    }
}

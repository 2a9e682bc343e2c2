//! Filter, sort and paginate 100,000 synthetic slim rows, the dashboard's worst case.
//!
//! Run with `cargo bench -p inventory --bench table` (or `--profile host`); divan prints
//! the median and spread of each step. The goal is "well under 50 ms" for a filter pass
//! natively, so the browser (a few times slower) stays interactive on every keystroke.

use divan::{black_box, Bencher};
use inventory::filter::{filter_indices, RowIndex};
use inventory::sort::sort_indices;
use inventory::synthetic::{rows, NOW};
use inventory::{view, ArtifactRow, Column, Direction, Filters, SortSpec, TableQuery};
use std::sync::OnceLock;

const N: usize = 100_000;

fn data() -> &'static [ArtifactRow] {
    static ROWS: OnceLock<Vec<ArtifactRow>> = OnceLock::new();
    ROWS.get_or_init(|| rows(N, 42))
}

fn main() {
    divan::main();
}

/// Named filter sets, from a single keystroke to everything at once.
fn filter_case(name: &str) -> Filters {
    let mut f = Filters::default();
    match name {
        "none" => {}
        "project_substring" => f.project = "proj-1".into(),
        "repo_substring" => f.repository = "repo-12".into(),
        "tag_substring" => f.tag = "v1".into(),
        "digest_prefix" => f.digest = "sha256:ab".into(),
        "unicode_tag" => f.tag = "ü".into(),
        "unpulled_90" => f.unpulled_days = Some(90),
        "severity_high_fixable" => {
            f.min_severity = Some(inventory::Severity::High);
            f.fixable = true;
        }
        _ => {
            f.project = "proj".into();
            f.tag = "*".into();
            f.label = "prod".into();
            f.unpulled_days = Some(30);
        }
    }
    f
}

#[divan::bench(args = [
    "none", "project_substring", "repo_substring", "tag_substring", "digest_prefix",
    "unicode_tag", "unpulled_90", "severity_high_fixable", "combined",
])]
fn filter(bencher: Bencher, case: &str) {
    let rows = data();
    let f = filter_case(case);
    bencher.bench(|| filter_indices(black_box(rows), black_box(&f), None, NOW));
}

#[divan::bench(args = [Column::Project, Column::Repository, Column::Tags, Column::Size,
                       Column::Pushed, Column::Vulnerabilities, Column::Labels])]
fn sort_all(bencher: Bencher, column: Column) {
    let rows = data();
    let all: Vec<u32> = (0..rows.len() as u32).collect();
    let spec = SortSpec {
        column,
        direction: Direction::Descending,
    };
    bencher
        .with_inputs(|| all.clone())
        .bench_local_refs(|ix| sort_indices(black_box(rows), ix, spec));
}

#[divan::bench]
fn row_index_build(bencher: Bencher) {
    let rows = data();
    bencher.bench(|| RowIndex::new(black_box(rows)));
}

/// The full `view()` the UI calls: filter, sort by size, paginate to page 3.
#[divan::bench]
fn view_filter_sort_page(bencher: Bencher) {
    let rows = data();
    let q = TableQuery::from_query_string("project=proj&tag=*&sort=-size&page=3&per_page=100");
    bencher.bench(|| view(black_box(rows), None, black_box(&q), NOW));
}

/// A cross-row preset with a prebuilt index, as the UI would call it.
#[divan::bench]
fn view_shared_digest_with_index(bencher: Bencher) {
    let rows = data();
    let ix = RowIndex::new(rows);
    let q = TableQuery::from_query_string("preset=shared_digest&sort=digest");
    bencher.bench(|| view(black_box(rows), Some(&ix), black_box(&q), NOW));
}

/// Switching to one row per tag: expanding the whole inventory (done once per rows and
/// mode, then memoised by the UI).
#[divan::bench]
fn tag_rows_expand(bencher: Bencher) {
    let rows = data();
    bencher.bench(|| inventory::tagrows::tag_rows(black_box(rows)));
}

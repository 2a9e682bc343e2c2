//! The table: its query (mirrored in the URL) and the memos derived from the inventory.

use std::collections::HashMap;
use std::sync::Arc;

use harbor_client::crawl::RowSet;
use harbor_client::slim::ArtifactRow;
use inventory::presets::Tally;
use inventory::recent::RecentMatches;
use inventory::rollup::Rollup;
use inventory::tagrows::TagRows;
use inventory::{Filters, Page, Preset, PresetSummary, RowIndex, RowMode, SortSpec, TableQuery};
use leptos::prelude::*;

use super::{Inventory, ReportState};

/// Every audit preset's count and total size over the loaded rows (see
/// [`preset_counts`]); `None` before rows are loaded.
pub type PresetCounts = RwSignal<Option<Vec<(Preset, PresetSummary)>>>;

/// A built roll-up and which build it is (0: no report loaded), so a change is seen
/// without comparing thousands of CVE rows.
#[derive(Debug, Default, PartialEq)]
pub struct CveRollup {
    pub generation: u64,
    pub data: Rollup,
}

/// The tag rows of the loaded artifacts, while the table shows one row per tag. Compared
/// by identity: a new expansion is a new value.
#[derive(Debug, Clone, Default)]
pub struct TagView(pub Option<Arc<TagRows>>);

impl PartialEq for TagView {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// The rows the table's indices point into: the loaded artifacts, or one row per tag
/// ([`RowMode::Tags`]). Everything that reads table indices (the page, the details,
/// the charts, the exports) reads rows through this.
#[derive(Debug, Clone, Copy)]
pub struct TableRows {
    artifacts: RwSignal<RowSet>,
    tags: Memo<TagView>,
}

impl TableRows {
    /// Runs `f` over the rows shown (tracked).
    pub fn with<R>(&self, f: impl FnOnce(&[ArtifactRow]) -> R) -> R {
        self.tags.with(|t| match &t.0 {
            Some(tags) => f(&tags.rows),
            None => self.artifacts.with(|set| f(set.rows())),
        })
    }

    /// [`TableRows::with`], untracked.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&[ArtifactRow]) -> R) -> R {
        self.tags.with_untracked(|t| match &t.0 {
            Some(tags) => f(&tags.rows),
            None => self.artifacts.with_untracked(|set| f(set.rows())),
        })
    }

    /// Whether the table shows one row per tag.
    pub fn per_tag(&self) -> bool {
        self.tags.with(|t| t.0.is_some())
    }

    /// [`TableRows::per_tag`], untracked.
    pub fn tags_untracked(&self) -> bool {
        self.tags.with_untracked(|t| t.0.is_some())
    }
}

/// The table context.
#[derive(Debug, Clone, Copy)]
pub struct TableState {
    /// Filters, sort and page: mirrored in the URL.
    pub query: RwSignal<TableQuery>,
    /// Every row index that passes the filters, in table order: what the charts and the
    /// exports read, so a page change does not recompute them.
    pub matching: Memo<Vec<u32>>,
    /// The page shown: its row indices and where it stands.
    pub page: Memo<Page>,
    /// Every CVE in the loaded full reports, joined to the rows (see `inventory::rollup`).
    pub rollup: Memo<Arc<CveRollup>>,
    /// The rows the indices above point into.
    pub rows: TableRows,
    /// Columns the user hid; kept in `localStorage` (never anything secret there).
    pub hidden: RwSignal<Vec<inventory::Column>>,
    /// What each audit preset would select, so the choice shows it before it is made.
    pub preset_counts: PresetCounts,
}

/// Where the hidden columns survive a reload.
const HIDDEN_KEY: &str = "harbor-lens.hidden-columns";

/// The page's `localStorage`, for preferences only (never anything secret).
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The columns hidden last time (their `sort` names, comma-separated).
fn stored_hidden() -> Vec<inventory::Column> {
    local_storage()
        .and_then(|s| s.get_item(HIDDEN_KEY).ok().flatten())
        .map(|text| {
            text.split(',')
                .filter_map(inventory::Column::from_param)
                .collect()
        })
        .unwrap_or_default()
}

impl TableState {
    /// The columns shown, in table order (tracked).
    pub fn shown_columns(&self) -> Vec<inventory::Column> {
        self.hidden.with(|hidden| {
            inventory::Column::ALL
                .into_iter()
                .filter(|c| !hidden.contains(c))
                .collect()
        })
    }
}

impl TableState {
    pub(super) fn new(inventory: Inventory, query: TableQuery) -> TableState {
        let query = RwSignal::new(query);
        let rollup = rollup_memo(inventory.rows, inventory.reports);
        let mode = Memo::new(move |_| query.with(|q| q.row_mode()));
        let artifacts = inventory.rows;
        let tags = Memo::new(move |_| {
            TagView(
                (mode.get() == RowMode::Tags)
                    .then(|| artifacts.with(|set| Arc::new(TagRows::new(set.rows())))),
            )
        });
        let rows = TableRows { artifacts, tags };
        let (matching, page) = table_pipeline(inventory, rows, query, rollup);
        let preset_counts = preset_counts(rows, inventory);
        let hidden = RwSignal::new(stored_hidden());
        // Touches the outside world (storage), hence an effect.
        Effect::new(move || {
            let names: Vec<&str> = hidden.with(|h| h.iter().map(|c| c.param()).collect());
            if let Some(storage) = local_storage() {
                let _ = if names.is_empty() {
                    storage.remove_item(HIDDEN_KEY)
                } else {
                    storage.set_item(HIDDEN_KEY, &names.join(","))
                };
            }
        });
        TableState {
            query,
            matching,
            page,
            rollup,
            rows,
            hidden,
            preset_counts,
        }
    }
}

/// Rows a preset tally takes in one task: about 8 ms of this machine's main thread.
const TALLY_SLICE: usize = 20_000;

/// Every preset's count and total size, following the rows as they land: a [`Tally`]
/// takes the new rows a slice at a time ([`TALLY_SLICE`]), each slice in a task of its
/// own after the frame that shows them, and the counts change once it has every row
/// (until then they are those of the rows before). So no task recounts a million rows
/// at the end of a crawl. Rows replaced (a refresh), another "now", fewer rows, and in
/// one row per tag any change (the tag rows are built anew) start a new tally.
fn preset_counts(rows: TableRows, inventory: Inventory) -> PresetCounts {
    let counts = RwSignal::new(None);
    let tally = StoredValue::new(None::<Tally>);
    let basis = StoredValue::new(None::<(i64, u64)>);
    let queued = StoredValue::new(false);
    Effect::new(move || {
        let now = inventory.now.get();
        let replaced = inventory.rows_replaced.get();
        let per_tag = rows.per_tag();
        let len = rows.with(<[ArtifactRow]>::len);
        if len == 0 {
            tally.set_value(None);
            counts.set(None);
            return;
        }
        let seen = tally.with_value(|t| t.as_ref().map(Tally::seen));
        let same = basis.get_value() == Some((now, replaced));
        if per_tag || !same || seen.is_none_or(|seen| seen > len) {
            tally.set_value(Some(Tally::new(now)));
            basis.set_value(Some((now, replaced)));
        }
        if !queued.get_value() {
            queued.set_value(true);
            crate::after_paint(move || tally_slice(rows, tally, counts, queued));
        }
    });
    counts
}

/// One slice of the preset tally; queues the next while rows are left.
fn tally_slice(
    rows: TableRows,
    tally: StoredValue<Option<Tally>>,
    counts: PresetCounts,
    queued: StoredValue<bool>,
) {
    // The crawl's expected total, as the row set trusts it: the digest table takes its
    // room once rather than doubling (each doubling one long task at a million rows).
    let expected = rows.artifacts.with_untracked(RowSet::capacity);
    let done = rows.with_untracked(|rows| {
        tally
            .try_update_value(|tally| {
                let tally = tally.as_mut()?;
                tally.expect(expected);
                let upto = (tally.seen() + TALLY_SLICE).min(rows.len());
                tally.add(&rows[..upto]);
                Some((tally.seen() == rows.len()).then(|| tally.summaries()))
            })
            .flatten()
    });
    match done {
        Some(None) => crate::after_paint(move || tally_slice(rows, tally, counts, queued)),
        Some(found) => {
            queued.set_value(false);
            counts.set(found);
        }
        None => queued.set_value(false),
    }
}

/// The CVE roll-up of the loaded reports. Cheap while no report is loaded (the rows are
/// not even indexed); report runs hand reports over in batches, so it is rebuilt a few
/// times a second at most.
fn rollup_memo(
    rows: RwSignal<RowSet>,
    reports: RwSignal<HashMap<String, ReportState>>,
) -> Memo<Arc<CveRollup>> {
    let builds = StoredValue::new(0u64);
    Memo::new(move |_| {
        reports.with(|reports| {
            if reports.is_empty() {
                return Arc::new(CveRollup::default());
            }
            let loaded = reports.values().filter_map(ReportState::loaded);
            builds.update_value(|n| *n += 1);
            Arc::new(CveRollup {
                generation: builds.get_value(),
                data: rows.with(|set| inventory::rollup::build(set.rows(), loaded)),
            })
        })
    })
}

/// What the table's matches are computed over besides the rows: filters, sort, row mode,
/// row replacements and "now". Followers of the matches (the overview charts) compare it
/// to know whether matches that grew are the ones they counted and then more.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchBasis {
    filters: Filters,
    sort: Option<SortSpec>,
    per_tag: bool,
    replaced: u64,
    /// "now" the time filters and ages are counted from.
    pub now: i64,
}

impl MatchBasis {
    /// The basis of the matches as the table stands (untracked).
    pub fn of(table: &TableState, inventory: &Inventory) -> MatchBasis {
        let (filters, sort) = table
            .query
            .with_untracked(|q| (q.filters().clone(), q.sort()));
        MatchBasis {
            filters,
            sort,
            per_tag: table.rows.tags_untracked(),
            replaced: inventory.rows_replaced.get_untracked(),
            now: inventory.now.get_untracked(),
        }
    }

    /// Whether, on this basis, new rows only add matches after the ones before: rows in
    /// the order they came (no sort, artifact rows) and filters that read one row at a
    /// time (`table_pipeline` matches over the rows in order). A CVE filter's matches
    /// follow the reports, not the rows.
    pub fn grows_with_rows(&self) -> bool {
        self.sort.is_none()
            && !self.per_tag
            && !self.filters.needs_index()
            && self.filters.cve.trim().is_empty()
    }
}

/// What the matches were computed over: rows (count, replacements), "now", sort, the
/// roll-up build the CVE filter reads, and whether rows are tags.
type Basis = (usize, u64, i64, Option<SortSpec>, u64, bool);

/// The table as memos in stages (see `inventory::view::order`): each stage re-runs only
/// when what it reads changes, so with 100,000 rows a filter keystroke filters the sorted
/// order without sorting, a page change only slices, and a sort never rebuilds the
/// cross-row index. Every memo is keyed on a part of the query, not the whole of it.
fn table_pipeline(
    inventory: Inventory,
    rows: TableRows,
    query: RwSignal<TableQuery>,
    rollup: Memo<Arc<CveRollup>>,
) -> (Memo<Vec<u32>>, Memo<Page>) {
    let Inventory {
        rows_replaced, now, ..
    } = inventory;
    let sort = Memo::new(move |_| query.with(|q| q.sort()));
    let filters = Memo::new(move |_| query.with(|q| q.filters().clone()));
    let paging = Memo::new(move |_| query.with(|q| (q.per_page(), q.page())));
    let needs_index = Memo::new(move |_| filters.with(|f| f.needs_index()));
    let index = Memo::new(move |_| needs_index.get().then(|| rows.with(RowIndex::new)));
    let order = Memo::new(move |_| rows.with(|rows| inventory::view::order(rows, sort.get())));
    // The rows affected by the CVE filter's id, from the roll-up; `None` without a filter.
    let cve = Memo::new(move |_| filters.with(|f| f.cve.trim().to_owned()));
    // In one row per tag, the artifacts the roll-up names become their tag rows.
    let affected = Memo::new(move |_| {
        let id = cve.get();
        (!id.is_empty()).then(|| {
            let artifacts = rollup.with(|r| r.data.affected(&id).map(<[u32]>::to_vec));
            rows.tags.with(|t| match (&t.0, artifacts) {
                (Some(tags), Some(artifacts)) => Some(tags.rows_of(&artifacts)),
                (_, artifacts) => artifacts,
            })
        })
    });
    let recent = StoredValue::new(RecentMatches::<Basis>::default());
    let matching = Memo::new(move |previous: Option<&Vec<u32>>| {
        let now = now.get();
        let sort = sort.get();
        let per_tag = rows.per_tag();
        rows.with(|set| {
            order.with(|order| {
                filters.with(|f| {
                    index.with(|ix| {
                        // Only a CVE filter reads the roll-up, so only then do new
                        // reports change the matches.
                        let reports = if cve.with(String::is_empty) {
                            0
                        } else {
                            rollup.with(|r| r.generation)
                        };
                        let basis = (set.len(), rows_replaced.get(), now, sort, reports, per_tag);
                        if let Some(hit) =
                            recent.try_update_value(|r| r.take_hit(basis, f)).flatten()
                        {
                            return hit;
                        }
                        let narrower = recent.with_value(|r| r.last_narrowed_by(basis, f));
                        let among = match previous {
                            Some(previous) if narrower => previous,
                            _ => order,
                        };
                        let found = affected.with(|a| {
                            let a = a.as_ref().and_then(Option::as_deref);
                            inventory::view::matching(set, among, f, ix.as_ref(), a, now)
                        });
                        recent.update_value(|r| r.push(basis, f, &found));
                        found
                    })
                })
            })
        })
    });
    let page = Memo::new(move |_| {
        let (per_page, page) = paging.get();
        matching.with(|m| inventory::view::page_of(m, per_page, page))
    });
    (matching, page)
}

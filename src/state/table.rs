//! The table: its query (mirrored in the URL) and the memos derived from the inventory.

use std::collections::HashMap;
use std::sync::Arc;

use harbor_client::crawl::RowSet;
use inventory::recent::RecentMatches;
use inventory::rollup::Rollup;
use inventory::{Page, RowIndex, SortSpec, TableQuery};
use leptos::prelude::*;

use super::{Inventory, ReportState};

/// A built roll-up and which build it is (0: no report loaded), so a change is seen
/// without comparing thousands of CVE rows.
#[derive(Debug, Default, PartialEq)]
pub struct CveRollup {
    pub generation: u64,
    pub data: Rollup,
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
}

impl TableState {
    pub(super) fn new(inventory: Inventory, query: TableQuery) -> TableState {
        let query = RwSignal::new(query);
        let rollup = rollup_memo(inventory.rows, inventory.reports);
        let (matching, page) = table_pipeline(inventory, query, rollup);
        TableState {
            query,
            matching,
            page,
            rollup,
        }
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

/// What the matches were computed over: rows (count, replacements), "now", sort, and
/// the roll-up build the CVE filter reads.
type Basis = (usize, u64, i64, Option<SortSpec>, u64);

/// The table as memos in stages (see `inventory::view::order`): each stage re-runs only
/// when what it reads changes, so with 100,000 rows a filter keystroke filters the sorted
/// order without sorting, a page change only slices, and a sort never rebuilds the
/// cross-row index. Every memo is keyed on a part of the query, not the whole of it.
fn table_pipeline(
    inventory: Inventory,
    query: RwSignal<TableQuery>,
    rollup: Memo<Arc<CveRollup>>,
) -> (Memo<Vec<u32>>, Memo<Page>) {
    let Inventory {
        rows,
        rows_replaced,
        now,
        ..
    } = inventory;
    let sort = Memo::new(move |_| query.with(|q| q.sort()));
    let filters = Memo::new(move |_| query.with(|q| q.filters().clone()));
    let paging = Memo::new(move |_| query.with(|q| (q.per_page(), q.page())));
    let needs_index = Memo::new(move |_| filters.with(|f| f.needs_index()));
    let index = Memo::new(move |_| {
        needs_index
            .get()
            .then(|| rows.with(|set| RowIndex::new(set.rows())))
    });
    let order = Memo::new(move |_| rows.with(|set| inventory::view::order(set.rows(), sort.get())));
    // The rows affected by the CVE filter's id, from the roll-up; `None` without a filter.
    let cve = Memo::new(move |_| filters.with(|f| f.cve.trim().to_owned()));
    let affected = Memo::new(move |_| {
        let id = cve.get();
        (!id.is_empty()).then(|| rollup.with(|r| r.data.affected(&id).map(<[u32]>::to_vec)))
    });
    let recent = StoredValue::new(RecentMatches::<Basis>::default());
    let matching = Memo::new(move |previous: Option<&Vec<u32>>| {
        let now = now.get();
        let sort = sort.get();
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
                        let basis = (set.len(), rows_replaced.get(), now, sort, reports);
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
                            inventory::view::matching(set.rows(), among, f, ix.as_ref(), a, now)
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

//! The table query lives in the URL: a link reproduces the view, Back and Forward work.
//!
//! `inventory::TableQuery` owns the parameter format; this module only moves it between
//! the signal and `history`, keeping parameters that are not the table's (`harbor`,
//! `embed`, ...) untouched.

use std::cell::Cell;

use inventory::urlenc::{build_query, parse_query};
// Parameters that belong to the table query (everything else is kept as it is).
use inventory::query::PARAMS as TABLE_PARAMS;
use inventory::TableQuery;
use leptos::prelude::*;

thread_local! {
    /// Set by typing in a text filter: that change replaces the history entry instead of
    /// adding one per keystroke.
    static REPLACE_NEXT: Cell<bool> = const { Cell::new(false) };
}

/// Makes the next URL update replace the current history entry.
pub fn replace_next() {
    REPLACE_NEXT.with(|c| c.set(true));
}

/// `location.search` without the `?`.
fn search() -> String {
    let search = window().location().search().unwrap_or_default();
    search.strip_prefix('?').unwrap_or(&search).to_owned()
}

/// The page's URL parameters, decoded.
pub fn current_params() -> Vec<(String, String)> {
    parse_query(&search())
}

/// The table query the page's URL describes.
pub fn query_from_location() -> TableQuery {
    TableQuery::from_query_string(&search())
}

/// The search string for `query`, keeping the non-table parameters of `current`.
pub fn merged_search(current: &str, query: &TableQuery) -> String {
    let kept: Vec<(String, String)> = parse_query(current)
        .into_iter()
        .filter(|(k, _)| !TABLE_PARAMS.contains(&k.as_str()))
        .collect();
    let others = build_query(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let table = query.to_query_string();
    let table = table.strip_prefix('?').unwrap_or(&table);
    match (others.is_empty(), table.is_empty()) {
        (true, _) => table.to_owned(),
        (false, true) => others,
        (false, false) => format!("{others}&{table}"),
    }
}

/// Writes `query` into the address: a new history entry, or the current one replaced.
/// Compares with the address as it is when it runs, so updates deferred one after the
/// other leave the last one's address.
fn write(query: &TableQuery, replace: bool) {
    let current = search();
    let next = merged_search(&current, query);
    if next == current {
        return;
    }
    let url = if next.is_empty() {
        window().location().pathname().unwrap_or_default()
    } else {
        format!("?{next}")
    };
    let Ok(history) = window().history() else {
        return;
    };
    let state = wasm_bindgen::JsValue::NULL;
    let _ = if replace {
        history.replace_state_with_url(&state, "", Some(&url))
    } else {
        history.push_state_with_url(&state, "", Some(&url))
    };
}

/// Mirrors the table query into the URL and follows Back/Forward.
///
/// The address is written when the main thread is idle, after the frame that shows the
/// change and whatever else the input set off: `pushState` costs the main thread about
/// 5 ms, and a page change or a keystroke should not wait for the address bar.
pub fn sync(query: RwSignal<TableQuery>) {
    let first = StoredValue::new(true);
    Effect::new(move || {
        let next = query.get();
        // The first sync only normalises the address the page was opened with.
        let replace = REPLACE_NEXT.with(|c| c.replace(false)) || first.get_value();
        first.set_value(false);
        crate::when_idle(move || write(&next, replace));
    });
    // The listener lives as long as the page, so its handle is not kept.
    _ = window_event_listener(leptos::ev::popstate, move |_| {
        query.set(query_from_location());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_other_params_and_replaces_table_ones() {
        let mut q = TableQuery::default();
        q.update_filters(|f| f.project = "lib".into());
        let search = merged_search("embed=1&project=old&page=4&harbor=https%3A%2F%2Fh", &q);
        let params = parse_query(&search);
        assert!(params.contains(&("embed".into(), "1".into())));
        assert!(params.contains(&("harbor".into(), "https://h".into())));
        assert!(params.contains(&("project".into(), "lib".into())));
        assert!(!params
            .iter()
            .any(|(k, _)| k == "page" && search.contains("page=4")));
        assert_eq!(merged_search("", &TableQuery::default()), "");
    }
}

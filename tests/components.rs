//! Component tests in a real browser (wasm-bindgen-test): the table, the pager and the
//! filter bar over synthetic rows, checked against `inventory`'s own view.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test -p harbor-lens --target wasm32-unknown-unknown --test components`
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use harbor_lens::components::{ArtifactTable, FilterBar, Pager};
use harbor_lens::config::RuntimeConfig;
use harbor_lens::state::Lens;
use harbor_lens::transport::sleep;
use inventory::{view, TableQuery};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const ROWS: usize = 130;

/// Mounts the three components over `ROWS` synthetic rows in a fresh element.
fn mount() -> (HtmlElement, Lens) {
    let document = document();
    let root: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let app = Lens::provide(RuntimeConfig::default(), TableQuery::default());
        app.inventory.now.set(inventory::synthetic::NOW);
        app.inventory.rows.update(|set| {
            set.merge(inventory::synthetic::rows(ROWS, 7));
        });
        tx.send(app).unwrap();
        view! { <FilterBar/><Pager/><ArtifactTable/> }
    });
    handle.forget();
    (root, rx.recv().unwrap())
}

async fn settle() {
    sleep(Duration::from_millis(20)).await;
}

fn text(root: &HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

fn body_rows(root: &HtmlElement) -> u32 {
    root.query_selector_all("table[aria-label=\"Artifacts\"] tbody tr")
        .unwrap()
        .length()
}

fn click(root: &HtmlElement, selector: &str) {
    let el: HtmlElement = root
        .query_selector(selector)
        .unwrap()
        .unwrap()
        .unchecked_into();
    el.click();
}

fn button(root: &HtmlElement, name: &str) -> HtmlElement {
    let buttons = root.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .map(|b| b.unchecked_into::<HtmlElement>())
        .find(|b| b.text_content().unwrap_or_default().trim() == name)
        .unwrap()
}

#[wasm_bindgen_test]
async fn pager_pages_through_the_rows() {
    let (root, _app) = mount();
    settle().await;
    assert_eq!(text(&root, ".page-label"), "Page 1 of 3");
    assert_eq!(
        text(&root, "[aria-label=\"Matching artifacts\"]"),
        ROWS.to_string()
    );
    assert_eq!(body_rows(&root), 50);
    button(&root, "Last page").click();
    settle().await;
    assert_eq!(text(&root, ".page-label"), "Page 3 of 3");
    assert_eq!(body_rows(&root), 30);
    button(&root, "Previous page").click();
    settle().await;
    assert_eq!(text(&root, ".page-label"), "Page 2 of 3");
}

#[wasm_bindgen_test]
async fn filter_bar_filters_like_inventory() {
    let (root, app) = mount();
    settle().await;
    let input: HtmlInputElement = root
        .query_selector("input[aria-label=\"Project\"]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value("proj-1");
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    settle().await;
    let mut expected = TableQuery::default();
    expected.update_filters(|f| f.project = "proj-1".into());
    let want = app
        .inventory
        .rows
        .with_untracked(|set| view(set.rows(), None, &expected, inventory::synthetic::NOW).1);
    assert!(want.total_matching < ROWS);
    assert_eq!(
        text(&root, "[aria-label=\"Matching artifacts\"]"),
        want.total_matching.to_string()
    );
    assert_eq!(body_rows(&root) as usize, want.indices.len());
}

#[wasm_bindgen_test]
async fn header_click_sorts_and_sets_aria_sort() {
    let (root, app) = mount();
    settle().await;
    let size_header = "table[aria-label=\"Artifacts\"] thead th:nth-child(6)";
    assert_eq!(
        root.query_selector(size_header)
            .unwrap()
            .unwrap()
            .get_attribute("aria-sort")
            .as_deref(),
        Some("none")
    );
    click(&root, &format!("{size_header} button"));
    settle().await;
    let th = root.query_selector(size_header).unwrap().unwrap();
    assert_eq!(th.get_attribute("aria-sort").as_deref(), Some("descending"));
    let first = root
        .query_selector("table[aria-label=\"Artifacts\"] tbody tr td.digest")
        .unwrap()
        .unwrap()
        .get_attribute("title")
        .unwrap();
    let largest = app.inventory.rows.with_untracked(|set| {
        set.rows()
            .iter()
            .max_by_key(|r| r.size)
            .map(|r| r.digest.to_string())
            .unwrap()
    });
    assert_eq!(first, largest);
    click(&root, &format!("{size_header} button"));
    settle().await;
    assert_eq!(th.get_attribute("aria-sort").as_deref(), Some("ascending"));
}

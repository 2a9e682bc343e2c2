//! Harbor Lens: the Leptos shell over the plain-Rust crates.
//!
//! Data flows one way: `harbor-client` talks to Harbor and `inventory` shapes the table
//! (both plain Rust); [`actions`] run them and write the [`state`] contexts; the
//! [`components`] render the state and call actions. Only `actions` spawn tasks;
//! [`transport`] gives the engine a browser network, [`idb`] the cache's storage,
//! [`url_state`] mirrors the table query in the address bar; [`worker`] runs crawls off
//! the main thread.

pub mod actions;
pub mod artifact_info;
pub mod components;
pub mod config;
pub mod idb;
pub mod remember;
pub mod state;
pub mod transport;
pub mod url_state;
pub mod worker;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use components::{
    ArtifactTable, BulkReports, CacheNote, ColumnChooser, ConfigProblem, ConnectForm,
    CrawlControls, CrawlProgress, CveRollup, DetailsPanel, ExportButtons, FailedRequests,
    FailureNotice, FailuresBadge, FilterBar, MissingBanner, OverviewCharts, Pager, ShortcutsHelp,
    SnapshotDiff, ThemeToggle,
};
use config::{ConfigError, RuntimeConfig};
use state::Lens;

/// Runs `f` in a task of its own after the next frame is painted: for work that the
/// change on screen need not wait for (the address bar, charts, counts).
pub fn after_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || set_timeout(f, std::time::Duration::ZERO));
}

/// How long work handed to [`when_idle`] may wait for an idle moment.
const IDLE_AT_MOST_MS: u32 = 500;

/// Runs `f` once the main thread is idle (within [`IDLE_AT_MOST_MS`]), after whatever the
/// user's last input set off: for work nobody waits to see, such as the address bar.
/// Calls made in turn run in turn. Where `requestIdleCallback` is missing (Safari), runs
/// `f` after the next paint.
pub fn when_idle(f: impl FnOnce() + 'static) {
    let window = window();
    let has_idle = js_sys::Reflect::has(&window, &"requestIdleCallback".into()).unwrap_or(false);
    if !has_idle {
        return after_paint(f);
    }
    let run = wasm_bindgen::closure::Closure::once_into_js(f);
    let options = web_sys::IdleRequestOptions::new();
    options.set_timeout(IDLE_AT_MOST_MS);
    // Asking cannot fail where the function exists.
    _ = window.request_idle_callback_with_options(run.unchecked_ref(), &options);
}

/// Mounts the app on `<body>` once the optional `config.json` has been read, so every
/// component starts from the operator's settings. Called by the tiny `main.rs`.
pub fn mount() {
    console_error_panic_hook::set_once();
    // The reactive executor starts with the mount, so this first step uses the plain one.
    wasm_bindgen_futures::spawn_local(async {
        let params = url_state::current_params();
        let (config, problem) = match config::fetch_file().await {
            Ok(config) => (config, None),
            Err(e) => (RuntimeConfig::default(), Some(e)),
        };
        let config = config.with_params(&params);
        leptos::mount::mount_to_body(move || {
            view! { <App config=config.clone() problem=problem.clone()/> }
        });
    });
}

/// The whole page.
#[component]
pub fn App(
    /// Runtime settings from `config.json` and the URL.
    config: RuntimeConfig,
    /// Why `config.json` could not be used, if it could not (the page runs on defaults).
    problem: Option<ConfigError>,
) -> impl IntoView {
    let embed = config.embed;
    let lens = Lens::provide(config, url_state::query_from_location());
    url_state::sync(lens.table.query);
    actions::connect::on_load(lens);
    if let Some(root) = document().document_element() {
        let _ = root.class_list().toggle_with_force("embed", embed);
    }
    components::install_shortcuts(lens);
    let rollup_open = RwSignal::new(false);
    view! {
        <header class="app-header">
            <h1>"Harbor Lens"</h1>
            <div class="header-tools">
                <FailuresBadge/>
                <ThemeToggle/>
            </div>
        </header>
        <main>
            <ConfigProblem problem/>
            <section class="connect-panel" aria-label="Connection">
                <ConnectForm/>
            </section>
            <section class="crawl-panel" aria-label="Crawl">
                <CrawlControls/>
                <CrawlProgress/>
                <FailureNotice/>
                <CacheNote/>
            </section>
            <MissingBanner/>
            <OverviewCharts/>
            <FilterBar/>
            <div class="table-tools">
                <Pager/>
                <ExportButtons/>
                <ColumnChooser/>
            </div>
            <BulkReports rollup_open/>
            <CveRollup open=rollup_open/>
            <ArtifactTable/>
            <SnapshotDiff/>
            <DetailsPanel/>
            <FailedRequests/>
            <ShortcutsHelp/>
        </main>
    }
}

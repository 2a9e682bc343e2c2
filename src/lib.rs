//! Harbor Lens: the Leptos shell over the plain-Rust crates.
//!
//! Everything that is not markup lives in `harbor-client` (talking to Harbor) and
//! `inventory` (the table logic); this crate only wires them to signals and the DOM:
//! `transport` gives the crawl engine a browser network, `crawl` runs it into signals,
//! `url_state` mirrors the table query in the address bar, and `components/` render.

pub mod artifact_info;
pub mod cache;
pub mod components;
pub mod config;
pub mod connect;
pub mod crawl;
pub mod session;
pub mod state;
pub mod transport;
pub mod url_state;

use leptos::prelude::*;

use components::{
    ArtifactTable, BulkReports, CacheNote, ConnectForm, CrawlControls, CrawlProgress, CveRollup,
    DetailsPanel, ExportButtons, FailedRequests, FilterBar, MissingBanner, OverviewCharts, Pager,
    SnapshotDiff, ThemeToggle,
};
use config::RuntimeConfig;
use state::AppState;

/// Mounts the app on `<body>` once the optional `config.json` has been read, so every
/// component starts from the operator's settings. Called by the tiny `main.rs`.
pub fn mount() {
    console_error_panic_hook::set_once();
    // The reactive executor starts with the mount, so this first step uses the plain one.
    wasm_bindgen_futures::spawn_local(async {
        let params = url_state::current_params();
        let config = config::fetch_file().await.with_params(&params);
        leptos::mount::mount_to_body(move || view! { <App config=config.clone()/> });
    });
}

/// The whole page.
#[component]
pub fn App(
    /// Runtime settings from `config.json` and the URL.
    config: RuntimeConfig,
) -> impl IntoView {
    let embed = config.embed;
    let app = AppState::provide(config, url_state::query_from_location());
    url_state::sync(app);
    if let Some(kept) = session::load() {
        components::start_connect(app, Some(kept));
    } else {
        // Same origin: a user signed in to Harbor's portal is signed in here too.
        components::start_connect(app, None);
    }
    if let Some(root) = document().document_element() {
        let _ = root.class_list().toggle_with_force("embed", embed);
    }
    components::install_shortcuts(app);
    let rollup_open = RwSignal::new(false);
    view! {
        <header class="app-header">
            <h1>"Harbor Lens"</h1>
            <ThemeToggle/>
        </header>
        <main>
            <section class="connect-panel" aria-label="Connection">
                <ConnectForm/>
            </section>
            <section class="crawl-panel" aria-label="Crawl">
                <CrawlControls/>
                <CrawlProgress/>
                <CacheNote/>
            </section>
            <div class="layout">
                <div class="content">
                    <MissingBanner/>
                    <OverviewCharts/>
                    <FilterBar/>
                    <div class="table-tools">
                        <Pager/>
                        <ExportButtons/>
                    </div>
                    <BulkReports rollup_open/>
                    <CveRollup open=rollup_open/>
                    <ArtifactTable/>
                    <SnapshotDiff/>
                </div>
                <FailedRequests/>
            </div>
            <DetailsPanel/>
        </main>
    }
}

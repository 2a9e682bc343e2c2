//! `Export CSV` and `Export JSON`: exactly the filtered rows, in table order.

use harbor_client::model::VulnReport;
use inventory::export::{to_csv, to_json_with_reports, ExportHeader};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::crawl::ReportState;
use crate::state::{use_app, AppState};

/// The header record: where, when, as whom, which filters, how many failures.
/// Holds no credentials by construction.
pub(crate) fn header(app: AppState) -> ExportHeader {
    let configured = app.config.with_untracked(|c| c.harbor_url.clone());
    let harbor_url = if configured.is_empty() {
        window().location().origin().unwrap_or_default()
    } else {
        configured
    };
    let (harbor_version, user) = app.conn.with_untracked(|c| match c.connection() {
        Some(c) => (
            c.version.clone().unwrap_or_default(),
            c.principal.describe(),
        ),
        None => (String::new(), String::new()),
    });
    ExportHeader {
        harbor_url,
        harbor_version,
        user,
        exported_at: js_sys::Date::now() as i64,
        filters: app.query.with_untracked(|q| q.to_query_string()),
        failed_requests: app.failures.with_untracked(|f| f.len() as u64),
    }
}

/// Offers `text` as a file download through a Blob and an object URL.
pub(crate) fn download(text: &str, name: &str, mime: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let anchor: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    web_sys::Url::revoke_object_url(&url)
}

/// The two export buttons, and a line when an export failed.
#[component]
pub fn ExportButtons() -> impl IntoView {
    let app = use_app();
    let error = RwSignal::new(None::<String>);
    let export = move |json: bool| {
        let header = header(app);
        let text = app.matching.with_untracked(|matching| {
            app.rows.with_untracked(|set| {
                if json {
                    // Fetched reports go along, so a later diff can name CVEs new and fixed.
                    app.reports.with_untracked(|reports| {
                        let loaded: Vec<&VulnReport> =
                            reports.values().filter_map(ReportState::loaded).collect();
                        to_json_with_reports(set.rows(), matching, &loaded, &header)
                            .map_err(|e| e.to_string())
                    })
                } else {
                    Ok(to_csv(set.rows(), matching, &header))
                }
            })
        });
        let result = text.and_then(|text| {
            let (name, mime) = if json {
                ("harbor-lens-artifacts.json", "application/json")
            } else {
                ("harbor-lens-artifacts.csv", "text/csv")
            };
            download(&text, name, mime).map_err(|e| format!("{e:?}"))
        });
        error.set(result.err().map(|e| format!("Export failed: {e}")));
    };
    view! {
        <div class="export">
            <button type="button" on:click=move |_| export(false)>"Export CSV"</button>
            " "
            <button type="button" on:click=move |_| export(true)>"Export JSON"</button>
            {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
        </div>
    }
}

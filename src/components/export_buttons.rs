//! `Export CSV` and `Export JSON`: exactly the filtered rows, in table order.

use inventory::export::{
    to_csv, to_csv_per_tag, to_json_per_tag, to_json_with_reports, ExportHeader,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::{use_lens, Lens};

/// The header record: where, when, as whom, which filters, how many failures.
/// Holds no credentials by construction.
pub(crate) fn header(lens: Lens) -> ExportHeader {
    let harbor_url = lens.session.harbor_address();
    let (harbor_version, user) = lens
        .session
        .status
        .with_untracked(|c| match c.connection() {
            Some(c) => (c.version().unwrap_or_default().to_owned(), c.describe()),
            None => (String::new(), String::new()),
        });
    ExportHeader {
        harbor_url,
        harbor_version,
        user,
        exported_at: js_sys::Date::now() as i64,
        filters: lens.table.query.with_untracked(|q| q.to_query_string()),
        failed_requests: lens.inventory.failures.with_untracked(|f| f.len() as u64),
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

/// `Export {what}CSV` and `Export {what}JSON`: each offers the file `write` makes (JSON
/// when given `true`), named `{stem}.csv` or `{stem}.json`, and a line says when an
/// export failed. Every export of the page goes through here.
pub(crate) fn export_pair(
    what: &'static str,
    stem: &'static str,
    write: impl Fn(bool) -> Result<String, String> + Clone + 'static,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let export = move |json: bool| {
        let (extension, mime) = if json {
            ("json", "application/json")
        } else {
            ("csv", "text/csv")
        };
        let result = write(json).and_then(|text| {
            download(&text, &format!("{stem}.{extension}"), mime).map_err(|e| format!("{e:?}"))
        });
        error.set(result.err().map(|e| format!("Export failed: {e}")));
    };
    let csv = export.clone();
    view! {
        <div class="export">
            <button type="button" on:click=move |_| csv(false)>{format!("Export {what}CSV")}</button>
            " "
            <button type="button" on:click=move |_| export(true)>{format!("Export {what}JSON")}</button>
            {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
        </div>
    }
}

/// `Export CSV` and `Export JSON`: exactly the filtered rows, in table order.
#[component]
pub fn ExportButtons() -> impl IntoView {
    let lens = use_lens();
    let write = move |json: bool| {
        let header = header(lens);
        let per_tag = lens.table.rows.tags_untracked();
        lens.table.matching.with_untracked(|matching| {
            lens.table.rows.with_untracked(|rows| {
                if per_tag {
                    // One record per tag, with the tag in a last column.
                    if json {
                        to_json_per_tag(rows, matching, &header).map_err(|e| e.to_string())
                    } else {
                        Ok(to_csv_per_tag(rows, matching, &header))
                    }
                } else if json {
                    // Fetched reports go along, so a later diff can name CVEs new and fixed.
                    lens.inventory.with_loaded_reports(|loaded| {
                        to_json_with_reports(rows, matching, &loaded, &header)
                            .map_err(|e| e.to_string())
                    })
                } else {
                    Ok(to_csv(rows, matching, &header))
                }
            })
        })
    };
    export_pair("", "harbor-lens-artifacts", write)
}

//! `Export CSV` and `Export JSON`: exactly the filtered rows, in table order.

use inventory::export::{write_csv, write_json, ExportHeader};
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

/// Where an export writes its bytes, a piece at a time.
pub(crate) type Sink<'a> = &'a mut dyn FnMut(&[u8]);

/// An export made whole as one string: the small ones (CVEs, a diff).
pub(crate) fn whole(
    write: impl Fn(bool) -> Result<String, String> + Clone + 'static,
) -> impl Fn(bool, Sink) -> Result<(), String> + Clone + 'static {
    move |json, sink| write(json).map(|text| sink(text.as_bytes()))
}

/// Offers `text` as a file download.
pub(crate) fn download(text: &str, name: &str, mime: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(text.as_bytes()));
    download_parts(&parts, name, mime)
}

/// Offers the pieces of a file as a download through a Blob and an object URL. The
/// pieces are copied out of the wasm memory one by one, so a large export never sits
/// whole in it.
fn download_parts(
    parts: &js_sys::Array,
    name: &str,
    mime: &str,
) -> Result<(), wasm_bindgen::JsValue> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(parts, &options)?;
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
    write: impl Fn(bool, Sink) -> Result<(), String> + Clone + 'static,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let export = move |json: bool| {
        let (extension, mime) = if json {
            ("json", "application/json")
        } else {
            ("csv", "text/csv")
        };
        let parts = js_sys::Array::new();
        let result = write(json, &mut |piece| {
            parts.push(&js_sys::Uint8Array::from(piece));
        })
        .and_then(|()| {
            download_parts(&parts, &format!("{stem}.{extension}"), mime)
                .map_err(|e| format!("{e:?}"))
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
    let write = move |json: bool, sink: Sink| {
        let header = header(lens);
        // With one row per tag, one record per tag, with the tag in a last column.
        let per_tag = lens.table.rows.tags_untracked();
        lens.table.matching.with_untracked(|matching| {
            lens.table.rows.with_untracked(|rows| {
                if json {
                    // Fetched reports go along, so a later diff can name CVEs new and fixed.
                    lens.inventory.with_loaded_reports(|loaded| {
                        write_json(rows, matching, &loaded, &header, per_tag, sink)
                            .map_err(|e| e.to_string())
                    })
                } else {
                    write_csv(rows, matching, &header, per_tag, sink);
                    Ok(())
                }
            })
        })
    };
    export_pair("", "harbor-lens-artifacts", write)
}

//! The panel of failed requests, opened from the header's badge: it stays until closed
//! (never a toast that disappears), and closing it loses nothing.

use harbor_client::crawl::{Failure, LedgerEntry};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::{use_lens, Lens};

/// "HTTP 503 (...)", "network error: ..." for one entry.
fn outcome(entry: &LedgerEntry) -> String {
    entry.failure.to_string()
}

/// Harbor's own message, when the body was Harbor's error JSON.
fn harbor_message(entry: &LedgerEntry) -> Option<String> {
    match &entry.failure {
        Failure::Http {
            harbor: Some(e), ..
        } => Some(format!("{}: {}", e.code, e.message)),
        _ => None,
    }
}

fn entry_view(lens: Lens, index: usize, entry: LedgerEntry, busy: Signal<bool>) -> impl IntoView {
    let when = format!("{:.1} s", entry.elapsed_ms as f64 / 1000.0);
    let at = lens
        .inventory
        .failed_at
        .with_value(|m| m.get(&entry.url).copied())
        .map(inventory::time::iso8601);
    let status = match &entry.failure {
        Failure::Http { status, .. } | Failure::BadBody { status, .. } => status.to_string(),
        Failure::Network { .. } => "network error".to_owned(),
        Failure::BadArtifacts { .. } => "bad data".to_owned(),
        Failure::KeptChanging { .. } => "changing".to_owned(),
    };
    view! {
        <li>
            <div>
                <strong>{entry.method.clone()}</strong>
                " "
                <span class="path">{entry.url.clone()}</span>
            </div>
            <div>
                <span class="status">{status}</span>
                " · "
                {outcome(&entry)}
            </div>
            {harbor_message(&entry).map(|m| view! { <div>"Harbor: " {m}</div> })}
            <div class="muted">
                "X-Request-Id: "
                <code>{entry.request_id.clone().unwrap_or_else(|| "none".into())}</code>
            </div>
            <div class="muted">
                {format!("{} attempt(s), gave up after {when}", entry.attempts)}
                {at.map(|at| format!(" at {at}"))}
                " · missing: "
                {entry.missing_part()}
            </div>
            <button type="button" on:click=move |_| crate::actions::crawl::retry(lens, Some(index)) disabled=busy>
                {format!("Retry request {}", index + 1)}
            </button>
        </li>
    }
}

/// The id of the header's badge, where focus returns when the panel closes.
pub const BADGE_ID: &str = "failures-badge";

/// Opens the failed-requests panel (focus moves into it once it is shown).
pub fn open_failures(lens: Lens) {
    lens.work.failures_open.set(true);
}

/// Closes the failed-requests panel and gives focus back to the badge that opened it.
pub fn close_failures(lens: Lens) {
    lens.work.failures_open.set(false);
    if let Some(badge) = document()
        .get_element_by_id(BADGE_ID)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = badge.focus();
    }
}

/// The `Failed requests` panel over the page: one list item per failed request, retry
/// buttons, a close button (Esc closes it too). Rendered only while open.
#[component]
pub fn FailedRequests() -> impl IntoView {
    let lens = use_lens();
    let count = move || lens.inventory.failures.with(Vec::len);
    let busy = Signal::derive(move || lens.work.crawling());
    let panel = NodeRef::<leptos::html::Section>::new();
    // Focus moves into the panel when it appears, so keyboard and screen-reader users
    // land where it opened (an effect: it touches the DOM's focus).
    Effect::new(move || {
        if let Some(el) = panel.get() {
            let _ = el.focus();
        }
    });
    let list = move || {
        let entries = lens.inventory.failures.get();
        if entries.is_empty() {
            return view! { <p class="muted">"No failed requests."</p> }.into_any();
        }
        view! {
            <ul>
                {entries
                    .into_iter()
                    .enumerate()
                    .map(|(i, e)| entry_view(lens, i, e, busy))
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    move || {
        lens.work.failures_open.get().then(|| {
            view! {
                <section
                    class="failed"
                    role="dialog"
                    aria-label="Failed requests"
                    tabindex="-1"
                    node_ref=panel
                >
                    <div class="failed-head">
                        <h2>"Failed requests"</h2>
                        <button type="button" class="close" on:click=move |_| close_failures(lens)>
                            "Close"
                        </button>
                    </div>
                    <button
                        type="button"
                        on:click=move |_| crate::actions::crawl::retry(lens, None)
                        disabled=move || count() == 0 || busy.get()
                    >
                        "Retry failed requests"
                    </button>
                    {list}
                </section>
            }
        })
    }
}

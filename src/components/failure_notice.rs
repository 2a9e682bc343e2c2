//! The short notice a crawl leaves when requests failed, pointing at their panel.

use inventory::format::thousands;
use leptos::prelude::*;

use super::failed_requests::open_failures;
use crate::state::{use_lens, CrawlPhase};

/// `3 requests failed` after a crawl that ended (or was cancelled) with failures; `None`
/// while it runs or when nothing failed.
pub fn notice_text(phase: &CrawlPhase, failures: usize) -> Option<String> {
    let ended = matches!(phase, CrawlPhase::Done | CrawlPhase::Cancelled);
    match failures {
        0 => None,
        _ if !ended => None,
        1 => Some("1 request failed".to_owned()),
        n => Some(format!("{} requests failed", thousands(n as u64))),
    }
}

/// `3 requests failed` with `Show`, which opens the panel, and `Retry failed requests`
/// (the panel's own button, while the panel is closed: one of that name at a time);
/// hidden while the panel is open. The live region stays in the page so that screen
/// readers announce what appears in it.
#[component]
pub fn FailureNotice() -> impl IntoView {
    let lens = use_lens();
    let text = move || {
        if lens.work.failures_open.get() {
            return None;
        }
        let failures = lens.inventory.failures.with(Vec::len);
        lens.work.crawl.with(|c| notice_text(&c.phase, failures))
    };
    view! {
        <div role="status" aria-live="polite" aria-label="Failure notice" class="failure-notice">
            {move || {
                text()
                    .map(|text| {
                        view! {
                            <p class="notice">
                                {text}
                                " "
                                <button type="button" on:click=move |_| open_failures(lens)>"Show"</button>
                                " "
                                <button
                                    type="button"
                                    on:click=move |_| crate::actions::crawl::retry(lens, None)
                                    disabled=move || lens.work.crawling()
                                >
                                    "Retry failed requests"
                                </button>
                            </p>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_after_a_crawl_with_failures() {
        assert_eq!(notice_text(&CrawlPhase::Done, 0), None);
        assert_eq!(notice_text(&CrawlPhase::Loading, 3), None);
        assert_eq!(notice_text(&CrawlPhase::Retrying, 3), None);
        assert_eq!(
            notice_text(&CrawlPhase::Done, 1).as_deref(),
            Some("1 request failed")
        );
        assert_eq!(
            notice_text(&CrawlPhase::Cancelled, 1_204).as_deref(),
            Some("1,204 requests failed")
        );
    }
}

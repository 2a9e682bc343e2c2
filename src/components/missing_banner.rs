//! The banner above the table that says, in numbers, what is missing.

use harbor_client::crawl::LedgerEntry;
use inventory::format::thousands;
use leptos::prelude::*;

use crate::state::use_lens;

/// "2 of 1,204 requests failed: about 340 artifacts not loaded", or `None` when
/// nothing failed. `planned` is the number of requests the crawl planned.
pub fn banner_text(failures: &[LedgerEntry], planned: u64) -> Option<String> {
    if failures.is_empty() {
        return None;
    }
    let known: u64 = failures.iter().filter_map(|e| e.missing_artifacts).sum();
    let unknown = failures.iter().any(|e| e.missing_artifacts.is_none());
    let missing = match (known, unknown) {
        (0, true) => "an unknown number of artifacts not loaded".to_owned(),
        (n, true) => format!("at least {} artifacts not loaded", thousands(n)),
        (n, false) => format!("about {} artifacts not loaded", thousands(n)),
    };
    let planned = planned.max(failures.len() as u64);
    Some(format!(
        "{} of {} requests failed: {missing}. See Failed requests; Retry failed requests loads them.",
        thousands(failures.len() as u64),
        thousands(planned)
    ))
}

/// Shown only when something is missing.
#[component]
pub fn MissingBanner() -> impl IntoView {
    let lens = use_lens();
    move || {
        let planned = lens.work.crawl.with(|c| c.requests_planned);
        lens.inventory
            .failures
            .with(|f| banner_text(f, planned))
            .map(|text| view! { <p class="banner" role="note">{text}</p> })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harbor_client::crawl::{Failure, RequestKind, RequestScope};

    fn entry(missing: Option<u64>) -> LedgerEntry {
        LedgerEntry {
            method: "GET".into(),
            url: "/api/v2.0/projects".into(),
            kind: RequestKind::Projects { page: 1 },
            scope: RequestScope::default(),
            failure: Failure::Http {
                status: 500,
                harbor: None,
                body_note: None,
            },
            request_id: None,
            attempts: 4,
            elapsed_ms: 10,
            missing_artifacts: missing,
            listing: None,
        }
    }

    #[test]
    fn banner_numbers() {
        assert_eq!(banner_text(&[], 10), None);
        let text = banner_text(&[entry(Some(300)), entry(Some(40))], 1204).unwrap_or_default();
        assert!(
            text.starts_with("2 of 1,204 requests failed: about 340 artifacts not loaded"),
            "{text}"
        );
        let text = banner_text(&[entry(None)], 3).unwrap_or_default();
        assert!(text.contains("an unknown number"), "{text}");
    }
}

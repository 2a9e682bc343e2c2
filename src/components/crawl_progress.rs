//! The progress bar and the status line of the crawl.

use inventory::format::thousands;
use leptos::prelude::*;

use crate::state::{use_app, CrawlView};

/// The status line. It ends with `done` once a crawl has finished, failures or not
/// (tests and screen readers wait for that word), and never before.
pub fn status_text(c: &CrawlView, loaded: usize, failed: usize) -> String {
    let loaded = thousands(loaded as u64);
    if let Some(error) = &c.error {
        return format!("Could not crawl: {error}");
    }
    if c.running && c.refreshing {
        return format!(
            "Refreshing {loaded} artifacts: listing repositories, and artifacts where they \
             changed; requests {} of {} complete, {} in flight",
            thousands(c.requests_done),
            thousands(c.requests_planned),
            c.in_flight
        );
    }
    if c.running {
        let expected = if c.artifacts_expected > 0 {
            format!(" of about {}", thousands(c.artifacts_expected))
        } else {
            String::new()
        };
        return format!(
            "Loading: {loaded}{expected} artifacts; requests {} of {} complete, {} in flight",
            thousands(c.requests_done),
            thousands(c.requests_planned),
            c.in_flight
        );
    }
    if c.cancelled {
        return format!(
            "Cancelled with {loaded} artifacts loaded; press Load artifacts to start again"
        );
    }
    if c.finished {
        let failures = match failed {
            0 => "no failed requests".to_owned(),
            1 => "1 failed request".to_owned(),
            n => format!("{} failed requests", thousands(n as u64)),
        };
        return format!("Loaded {loaded} artifacts with {failures}: done");
    }
    "Ready: press Load artifacts".to_owned()
}

/// `Loading progress` (requests done of planned) and `Crawl status`.
#[component]
pub fn CrawlProgress() -> impl IntoView {
    let app = use_app();
    let max = move || app.crawl.with(|c| c.requests_planned.max(1));
    let now = move || {
        app.crawl.with(|c| {
            if c.finished && !c.running {
                max()
            } else {
                c.requests_done.min(max())
            }
        })
    };
    let loaded = move || app.rows.with(|r| r.len());
    let status = move || {
        let failed = app.failures.with(Vec::len);
        app.crawl.with(|c| status_text(c, loaded(), failed))
    };
    let expected = move || {
        let loaded = loaded() as u64;
        app.crawl.with(|c| c.artifacts_expected.max(loaded).max(1))
    };
    let elapsed = move || {
        app.crawl
            .with(|c| format!("{:.1} s", c.elapsed_ms as f64 / 1000.0))
    };
    view! {
        <div class="progress-line">
            <progress
                aria-label="Loading progress"
                max=move || max().to_string()
                value=move || now().to_string()
                aria-valuemin="0"
                aria-valuemax=move || max().to_string()
                aria-valuenow=move || now().to_string()
            ></progress>
            <progress
                class="artifacts-progress"
                aria-label="Artifacts loaded"
                max=move || expected().to_string()
                value=move || loaded().to_string()
                aria-valuemin="0"
                aria-valuemax=move || expected().to_string()
                aria-valuenow=move || loaded().to_string()
            ></progress>
            <span role="status" aria-live="polite" aria-label="Crawl status" class="crawl-status">
                {status}
            </span>
            <span class="muted">
                {move || app.crawl.with(|c| format!("{} in flight", c.in_flight))}
                " · "
                {elapsed}
                " elapsed"
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_with_done_only_when_finished() {
        let running = CrawlView {
            running: true,
            requests_done: 3,
            requests_planned: 9,
            ..Default::default()
        };
        assert!(!status_text(&running, 120, 0).ends_with("done"));
        let finished = CrawlView {
            finished: true,
            ..Default::default()
        };
        assert_eq!(
            status_text(&finished, 1234, 2),
            "Loaded 1,234 artifacts with 2 failed requests: done"
        );
        let cancelled = CrawlView {
            cancelled: true,
            finished: true,
            ..Default::default()
        };
        assert!(status_text(&cancelled, 5, 0).starts_with("Cancelled"));
    }
}

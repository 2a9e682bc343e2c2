//! The progress bar and the status line of the crawl.

use inventory::format::thousands;
use leptos::prelude::*;

use crate::state::{use_lens, CrawlPhase, CrawlView};

/// The status line. It ends with `done` once a crawl has finished, failures or not
/// (tests and screen readers wait for that word), and never before.
pub fn status_text(c: &CrawlView, loaded: usize, failed: usize) -> String {
    let loaded = thousands(loaded as u64);
    let requests = || {
        format!(
            "requests {} of {} complete, {}",
            thousands(c.requests_done),
            thousands(c.requests_planned),
            in_flight_text(c)
        )
    };
    match &c.phase {
        CrawlPhase::Failed(error) => format!("Could not crawl: {error}"),
        CrawlPhase::Refreshing => format!(
            "Refreshing {loaded} artifacts: listing repositories, and artifacts where they \
             changed; {}",
            requests()
        ),
        CrawlPhase::Loading | CrawlPhase::Retrying => {
            let expected = if c.artifacts_expected > 0 {
                format!(" of about {}", thousands(c.artifacts_expected))
            } else {
                String::new()
            };
            format!("Loading: {loaded}{expected} artifacts; {}", requests())
        }
        CrawlPhase::Cancelled => {
            format!("Cancelled with {loaded} artifacts loaded; press Load artifacts to start again")
        }
        CrawlPhase::Done => {
            let failures = match failed {
                0 => "no failed requests".to_owned(),
                1 => "1 failed request".to_owned(),
                n => format!("{} failed requests", thousands(n as u64)),
            };
            format!("Loaded {loaded} artifacts with {failures}: done")
        }
        CrawlPhase::Ready => "Ready: press Load artifacts".to_owned(),
    }
}

/// `14 in flight, limit 16` (the engine's current limit, once it reported one).
pub fn in_flight_text(c: &CrawlView) -> String {
    if c.limit > 0 {
        format!("{} in flight, limit {}", c.in_flight, c.limit)
    } else {
        format!("{} in flight", c.in_flight)
    }
}

/// A progress bar whose `aria-value*` follow its value, for screen readers and tests.
fn bar(
    label: &'static str,
    class: &'static str,
    max: impl Fn() -> u64 + Copy + Send + Sync + 'static,
    value: impl Fn() -> u64 + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <progress
            class=class
            aria-label=label
            max=move || max().to_string()
            value=move || value().to_string()
            aria-valuemin="0"
            aria-valuemax=move || max().to_string()
            aria-valuenow=move || value().to_string()
        ></progress>
    }
}

/// `Loading progress` (requests done of planned) and `Crawl status`.
#[component]
pub fn CrawlProgress() -> impl IntoView {
    let lens = use_lens();
    let max = move || lens.work.crawl.with(|c| c.requests_planned.max(1));
    let now = move || {
        lens.work.crawl.with(|c| {
            if c.phase == CrawlPhase::Done {
                max()
            } else {
                c.requests_done.min(max())
            }
        })
    };
    let loaded = move || lens.inventory.rows.with(|r| r.len());
    let status = move || {
        let failed = lens.inventory.failures.with(Vec::len);
        lens.work.crawl.with(|c| status_text(c, loaded(), failed))
    };
    let expected = move || {
        let loaded = loaded() as u64;
        lens.work
            .crawl
            .with(|c| c.artifacts_expected.max(loaded).max(1))
    };
    let elapsed = move || {
        lens.work
            .crawl
            .with(|c| format!("{:.1} s", c.elapsed_ms as f64 / 1000.0))
    };
    view! {
        <div class="progress-line">
            {bar("Loading progress", "", max, now)}
            {bar("Artifacts loaded", "artifacts-progress", expected, move || loaded() as u64)}
            <span role="status" aria-live="polite" aria-label="Crawl status" class="crawl-status">
                {status}
            </span>
            <span class="muted">
                {move || lens.work.crawl.with(in_flight_text)}
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
            phase: CrawlPhase::Loading,
            requests_done: 3,
            requests_planned: 9,
            ..Default::default()
        };
        assert!(!status_text(&running, 120, 0).ends_with("done"));
        let finished = CrawlView {
            phase: CrawlPhase::Done,
            ..Default::default()
        };
        assert_eq!(
            status_text(&finished, 1234, 2),
            "Loaded 1,234 artifacts with 2 failed requests: done"
        );
        let cancelled = CrawlView {
            phase: CrawlPhase::Cancelled,
            ..Default::default()
        };
        assert!(status_text(&cancelled, 5, 0).starts_with("Cancelled"));
        let limited = CrawlView {
            in_flight: 14,
            limit: 16,
            ..running
        };
        assert!(status_text(&limited, 1, 0).ends_with("14 in flight, limit 16"));
    }
}

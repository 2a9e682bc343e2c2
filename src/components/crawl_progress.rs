//! The progress bar and the status line of the crawl.

use inventory::format::thousands;
use inventory::progress::estimate;
use leptos::prelude::*;

use crate::state::{use_lens, CrawlPhase, CrawlView};

/// The status line. It ends with `done` once a crawl has finished, failures or not
/// (tests and screen readers wait for that word), and never before.
pub fn status_text(c: &CrawlView, loaded: usize, failed: usize) -> String {
    let loaded = thousands(loaded as u64);
    // Failed requests are finished too, as on the progress bar; the line says how many.
    let requests = || {
        let failed = match c.requests_failed {
            0 => String::new(),
            n => format!(" ({} failed)", thousands(n)),
        };
        format!(
            "requests {} of {} finished{failed}, {}",
            thousands(c.requests_done + c.requests_failed),
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

/// `42% · about 30 s left` while a crawl, refresh or retry runs; `None` otherwise (the
/// status line says how it ended). Requests that failed for good count as finished.
pub fn time_left_text(c: &CrawlView) -> Option<String> {
    if !c.phase.is_running() {
        return None;
    }
    let finished = c.requests_done + c.requests_failed;
    estimate(finished, c.requests_planned, c.elapsed_ms).map(|e| e.describe())
}

/// A progress bar whose `aria-value*` follow its value, for screen readers and tests;
/// `text`, when there is one, is also its `aria-valuetext`.
fn bar(
    label: &'static str,
    class: &'static str,
    max: impl Fn() -> u64 + Copy + Send + Sync + 'static,
    value: impl Fn() -> u64 + Copy + Send + Sync + 'static,
    text: impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
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
            aria-valuetext=text
        ></progress>
    }
}

/// `Loading progress` (requests finished of planned, with percent and time left) and
/// `Crawl status`.
#[component]
pub fn CrawlProgress() -> impl IntoView {
    let lens = use_lens();
    let max = move || lens.work.crawl.with(|c| c.requests_planned.max(1));
    let now = move || {
        lens.work.crawl.with(|c| {
            if c.phase == CrawlPhase::Done {
                max()
            } else {
                (c.requests_done + c.requests_failed).min(max())
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
    let time_left = move || lens.work.crawl.with(time_left_text);
    view! {
        <div class="progress-line">
            {bar("Loading progress", "", max, now, time_left)}
            <span class="time-left">{time_left}</span>
            {bar("Artifacts loaded", "artifacts-progress", expected, move || loaded() as u64, || None)}
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
        let failing = CrawlView {
            requests_failed: 2,
            ..limited
        };
        assert!(status_text(&failing, 1, 2).contains("requests 5 of 9 finished (2 failed), "));
    }

    #[test]
    fn time_left_only_while_running() {
        let running = CrawlView {
            phase: CrawlPhase::Loading,
            requests_done: 18,
            requests_failed: 2,
            requests_planned: 80,
            elapsed_ms: 5_000,
            ..Default::default()
        };
        assert_eq!(
            time_left_text(&running).as_deref(),
            Some("25% · about 15 s left")
        );
        let starting = CrawlView {
            elapsed_ms: 400,
            ..running.clone()
        };
        assert_eq!(time_left_text(&starting).as_deref(), Some("25%"));
        let done = CrawlView {
            phase: CrawlPhase::Done,
            ..running
        };
        assert_eq!(time_left_text(&done), None);
    }
}

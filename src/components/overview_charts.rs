//! Small SVG bar charts of the filtered rows (no JS chart library). Clicking a bar
//! filters the table. Bar sizes are SVG geometry attributes, which the CSP allows.

use std::collections::HashMap;

use inventory::format::{human_size, thousands};
use inventory::stats::{ChartPace, Overview, Pace, ProjectStat, SeverityStats};
use inventory::{ScanFilter, Severity};
use leptos::prelude::*;

use crate::state::{use_lens, Lens, MatchBasis};

/// Chart width in SVG units; bars get what the label column leaves.
const WIDTH: f64 = 300.0;
const LABEL: f64 = 110.0;
const BAR_H: f64 = 16.0;
const GAP: f64 = 4.0;
/// Projects shown at most (the largest).
const TOP_PROJECTS: usize = 8;

/// One bar: a label, a value, a severity key for its colour (or empty), and what a
/// click does.
struct Bar {
    label: String,
    value: u64,
    text: String,
    class: &'static str,
    on_click: Option<Box<dyn Fn() + 'static>>,
}

/// Length of a bar for `value` out of `max`, at least 1 unit when non-zero.
pub fn bar_length(value: u64, max: u64) -> f64 {
    if max == 0 || value == 0 {
        return 0.0;
    }
    let room = WIDTH - LABEL - 60.0;
    (room * value as f64 / max as f64).max(1.0)
}

fn chart(title: &'static str, bars: Vec<Bar>) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let height = (bars.len() as f64 * (BAR_H + GAP)).max(BAR_H);
    let items = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = i as f64 * (BAR_H + GAP);
            let width = bar_length(bar.value, max);
            let name = format!("{}: {}", bar.label, bar.text);
            let aria = name.clone();
            let class = match bar.class {
                "" => "bar".to_owned(),
                level => format!("bar bar-{level}"),
            };
            let clickable = bar.on_click.is_some();
            let on_click = bar.on_click;
            let click = move || {
                if let Some(f) = &on_click {
                    f();
                }
            };
            let click = std::rc::Rc::new(click);
            let key_click = click.clone();
            view! {
                <g>
                    <text x="0" y=y + BAR_H - 4.0>{truncate(&bar.label)}</text>
                    <rect
                        class=class
                        x=LABEL
                        y=y
                        width=width.max(2.0)
                        height=BAR_H
                        role=clickable.then_some("button")
                        tabindex=clickable.then_some("0")
                        aria-label=aria
                        on:click=move |_| click()
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" || ev.key() == " " {
                                ev.prevent_default();
                                key_click();
                            }
                        }
                    >
                        <title>{name}</title>
                    </rect>
                    <text x=LABEL + width + 4.0 y=y + BAR_H - 4.0>{bar.text}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <h3>{title}</h3>
            <svg width=WIDTH height=height viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=title>
                {items}
            </svg>
        </figure>
    }
}

/// Long names are cut for the chart (the full name is in the bar's title).
fn truncate(text: &str) -> String {
    if text.chars().count() <= 16 {
        text.to_owned()
    } else {
        text.chars().take(15).chain(['…']).collect()
    }
}

fn project_bars(lens: Lens, stats: &[ProjectStat], storage: bool) -> Vec<Bar> {
    // The quota Harbor counts, where the user may read it: shared layers count once
    // there, so it is usually less than the sum of artifact sizes.
    let quota: HashMap<String, u64> = if storage {
        lens.inventory.summaries.with(|s| {
            s.iter()
                .filter_map(|(name, summary)| summary.storage_used().map(|u| (name.clone(), u)))
                .collect()
        })
    } else {
        HashMap::new()
    };
    let mut stats = stats.to_vec();
    if storage {
        harbor_client::order::sort_by(&mut stats, |a, b| {
            b.bytes
                .cmp(&a.bytes)
                .then_with(|| a.project.cmp(&b.project))
        });
    }
    stats
        .into_iter()
        .take(TOP_PROJECTS)
        .map(|s| {
            let name = s.project.to_string();
            let exact = format!("\"{name}\"");
            Bar {
                value: if storage { s.bytes } else { s.artifacts },
                text: if storage {
                    match quota.get(&*s.project) {
                        Some(used) => {
                            format!("{} (quota used {})", human_size(s.bytes), human_size(*used))
                        }
                        None => human_size(s.bytes),
                    }
                } else {
                    thousands(s.artifacts)
                },
                label: name,
                class: "",
                on_click: Some(Box::new(move || {
                    let exact = exact.clone();
                    lens.table
                        .query
                        .update(|q| q.update_filters(|f| f.project = exact));
                })),
            }
        })
        .collect()
}

/// `Export projects CSV`: per project, artifacts, the sum of their sizes, and the quota
/// used and its limit where the user may see them, for the rows matching the filters.
#[component]
fn ProjectsExport() -> impl IntoView {
    let lens = use_lens();
    let error = RwSignal::new(None::<String>);
    let export = move |_| {
        let header = super::export_buttons::header(lens);
        let storage = lens.table.matching.with_untracked(|m| {
            lens.table.rows.with_untracked(|rows| {
                lens.inventory
                    .summaries
                    .with_untracked(|s| inventory::storage::per_project_storage(rows, m, s))
            })
        });
        let text = inventory::export::projects_csv(&storage, &header);
        let saved = super::export_buttons::download(&text, "harbor-lens-projects.csv", "text/csv");
        error.set(
            saved
                .err()
                .map(|e| format!("The file could not be saved: {e:?}")),
        );
    };
    view! {
        <button type="button" on:click=export>"Export projects CSV"</button>
        {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
    }
}

fn severity_bars(lens: Lens, overview: &Overview) -> Vec<Bar> {
    let stats = overview.severity();
    let mut bars: Vec<Bar> = SeverityStats::LEVELS
        .iter()
        .map(|&level| Bar {
            label: level.name().to_owned(),
            value: stats.count(level),
            text: thousands(stats.count(level)),
            class: level.key(),
            on_click: matches!(
                level,
                Severity::Critical | Severity::High | Severity::Medium | Severity::Low
            )
            .then(|| -> Box<dyn Fn()> {
                Box::new(move || {
                    lens.table
                        .query
                        .update(|q| q.update_filters(|f| f.min_severity = Some(level)))
                })
            }),
        })
        .collect();
    bars.push(Bar {
        label: "not scanned".into(),
        value: stats.not_scanned,
        text: thousands(stats.not_scanned),
        class: "",
        on_click: Some(Box::new(move || {
            let scan = ScanFilter {
                not_scanned: true,
                ..ScanFilter::default()
            };
            lens.table
                .query
                .update(|q| q.update_filters(|f| f.scan = scan));
        })),
    });
    bars
}

fn age_bars(_: Lens, overview: &Overview) -> Vec<Bar> {
    overview
        .ages()
        .into_iter()
        .map(|b| Bar {
            label: b.label.to_owned(),
            value: b.artifacts,
            text: thousands(b.artifacts),
            class: "",
            on_click: None,
        })
        .collect()
}

/// The charts' figures and the basis of the matches they counted.
#[derive(Default)]
struct Counted {
    basis: Option<MatchBasis>,
    overview: Overview,
}

/// Brings the charts' figures up to the table's matches. When only new rows came since
/// they were counted, on a basis where new rows only add matches after the others, just
/// the matches after the ones counted are counted; otherwise every match again. The
/// preset counts follow rows the same way (`state::table`).
fn follow(lens: Lens, counted: StoredValue<Counted>) {
    let basis = MatchBasis::of(&lens.table, &lens.inventory);
    lens.table.matching.with_untracked(|matching| {
        lens.table.rows.with_untracked(|rows| {
            counted.update_value(|c| {
                let from = c.overview.counted();
                let grown = basis.grows_with_rows()
                    && c.basis.as_ref() == Some(&basis)
                    && from <= matching.len();
                if grown {
                    c.overview.add(rows, &matching[from..]);
                } else {
                    c.overview = Overview::of(rows, matching, basis.now);
                    c.basis = Some(basis);
                }
            })
        })
    });
}

/// Redraws the chart `turn` now, and the ones after it each in a task of its own.
fn redraw_in_turn(settled: [RwSignal<u64>; 3], turn: usize) {
    let Some(chart) = settled.get(turn) else {
        return;
    };
    chart.update(|n| *n += 1);
    if turn + 1 < settled.len() {
        crate::after_paint(move || redraw_in_turn(settled, turn + 1));
    }
}

/// Artifacts and storage per project, severity distribution, age by push time.
#[component]
pub fn OverviewCharts() -> impl IntoView {
    let lens = use_lens();
    // What each chart last followed (the project charts, severity, age). A redraw
    // first brings the figures up to the matches (`follow`: during a crawl only the new
    // rows are counted), then draws each chart in a task of its own, one after another.
    let settled = [(); 3].map(|()| RwSignal::new(0u64));
    let counted = StoredValue::new(Counted::default());
    let pending = StoredValue::new(None::<TimeoutHandle>);
    // The timer touches the outside world (time), hence an effect.
    let pace = StoredValue::new(ChartPace::default());
    Effect::new(move |_| {
        lens.table.matching.track();
        let rows = lens.inventory.rows.with_untracked(|set| set.len());
        let now = lens.inventory.now.get();
        let at = window().performance().map_or(0, |p| p.now() as u64);
        let redraw = move || {
            pending.set_value(None);
            follow(lens, counted);
            redraw_in_turn(settled, 0)
        };
        let later = |ms: u64| {
            let wait = std::time::Duration::from_millis(ms);
            pending.set_value(set_timeout_with_handle(redraw, wait).ok());
        };
        let pace = pace.try_update_value(|p| p.changed(rows, now, at));
        // Many rows: a redraw already on its way will show these too.
        if matches!(pace, Some(Pace::Within(_))) && pending.with_value(Option::is_some) {
            return;
        }
        if let Some(handle) = pending.get_value() {
            handle.clear();
            pending.set_value(None);
        }
        match pace {
            Some(Pace::AfterPause) => later(ChartPace::PAUSE_MS),
            Some(Pace::Within(ms)) => later(ms),
            // New rows: after the frame that shows them in the table, so the first rows
            // of a crawl do not wait for four charts to be laid out with them.
            _ => crate::after_paint(redraw),
        }
    });
    let chart_of =
        move |title: &'static str, bars: fn(Lens, &Overview) -> Vec<Bar>, turn: usize| {
            move || {
                settled[turn].track();
                untrack(|| chart(title, counted.with_value(|c| bars(lens, &c.overview))))
            }
        };
    // Both project charts read one sorted list.
    let projects = Memo::new(move |_| {
        settled[0].track();
        counted.with_value(|c| c.overview.projects())
    });
    let project_chart = move |title: &'static str, storage: bool| {
        move || chart(title, projects.with(|p| project_bars(lens, p, storage)))
    };
    view! {
        <details class="overview" open>
            <summary>"Overview"</summary>
            <div class="charts">
                {project_chart("Artifacts per project", false)}
                <div class="chart-with-note">
                    {project_chart("Storage per project", true)}
                    <p class="note">
                        "Bars: " {inventory::storage::SIZE_SUM_LABEL} ". In brackets, where you may see it: "
                        {inventory::storage::QUOTA_USED_LABEL} "."
                    </p>
                    <ProjectsExport/>
                </div>
                {chart_of("Severity", severity_bars, 1)}
                {chart_of("Age by push time", age_bars, 2)}
            </div>
        </details>
    }
}

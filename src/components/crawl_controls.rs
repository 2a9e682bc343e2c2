//! What to crawl, and the buttons that start and stop it.

use harbor_client::crawl::{Projects, Scope};
use leptos::prelude::*;

use crate::actions::crawl::{cancel, load};
use crate::state::use_lens;

/// Splits a comma- or space-separated list, dropping empty parts.
fn names(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Builds the crawl scope from the form's fields.
fn scope(projects: &str, repositories: &str, tag: &str, q: &str, scan: bool) -> Scope {
    let projects = names(projects);
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Scope {
        projects: if projects.is_empty() {
            Projects::All
        } else {
            Projects::Named(projects)
        },
        repositories: names(repositories),
        tag: some(tag),
        query: some(q),
        scan_overview: scan,
        ..Scope::default()
    }
}

/// One scope field: a search box, so its name never clashes with the table's filters.
fn scope_field(
    label: &'static str,
    aria: &'static str,
    placeholder: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input type="search" placeholder=placeholder aria-label=aria bind:value=value/>
        </label>
    }
}

/// Scope fields, `Load artifacts` (which signs in first when credentials were typed
/// and not used yet) and `Cancel`.
#[component]
pub fn CrawlControls() -> impl IntoView {
    let lens = use_lens();
    let projects = RwSignal::new(String::new());
    let repositories = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let scan = RwSignal::new(
        lens.session
            .config
            .with_untracked(|c| c.scan_overview.unwrap_or(true)),
    );
    let running = move || lens.work.crawling();
    let on_load = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scope = scope(
            &projects.get_untracked(),
            &repositories.get_untracked(),
            &tag.get_untracked(),
            &q.get_untracked(),
            scan.get_untracked(),
        );
        load(lens, scope);
    };
    view! {
        <form class="crawl-controls" on:submit=on_load>
            {scope_field("Crawl only these projects", "Crawl only these projects", "all", projects)}
            {scope_field("and these repositories", "Crawl only these repositories", "all", repositories)}
            {scope_field("with the tag", "Crawl only this tag", "any", tag)}
            {scope_field("Harbor q", "Harbor q", "e.g. media_type=~image", q)}
            <label class="inline">
                <input type="checkbox" bind:checked=scan/>
                "Scan overview"
            </label>
            <button type="submit" class="primary" disabled=running>"Load artifacts"</button>
            <button type="button" on:click=move |_| cancel(lens) disabled=move || !running()>
                "Cancel"
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_from_fields() {
        let s = scope("library, team", "", " v1 ", "", false);
        assert_eq!(
            s.projects,
            Projects::Named(vec!["library".into(), "team".into()])
        );
        assert_eq!(s.tag.as_deref(), Some("v1"));
        assert_eq!(s.query, None);
        assert!(!s.scan_overview);
        assert_eq!(scope("", "", "", "", true).projects, Projects::All);
    }
}

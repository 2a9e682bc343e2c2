//! What to crawl, and the buttons that start and stop it.

use harbor_client::crawl::{Projects, Scope};
use leptos::prelude::*;

use crate::crawl;
use crate::state::use_app;

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

/// Scope fields (search boxes, so their names never clash with the table's filters),
/// `Load artifacts` and `Cancel`.
#[component]
pub fn CrawlControls() -> impl IntoView {
    let app = use_app();
    let projects = RwSignal::new(String::new());
    let repositories = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let scan = RwSignal::new(
        app.config
            .with_untracked(|c| c.scan_overview.unwrap_or(true)),
    );
    let running = move || app.crawl.with(|c| c.running);
    let load = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scope = scope(
            &projects.get(),
            &repositories.get(),
            &tag.get(),
            &q.get(),
            scan.get(),
        );
        crawl::start(app, scope);
    };
    view! {
        <form class="crawl-controls" on:submit=load>
            <label>
                "Crawl only these projects"
                <input type="search" placeholder="all" aria-label="Crawl only these projects" bind:value=projects/>
            </label>
            <label>
                "and these repositories"
                <input type="search" placeholder="all" aria-label="Crawl only these repositories" bind:value=repositories/>
            </label>
            <label>
                "with the tag"
                <input type="search" placeholder="any" aria-label="Crawl only this tag" bind:value=tag/>
            </label>
            <label>
                "Harbor q"
                <input type="search" placeholder="e.g. media_type=~image" aria-label="Harbor q" bind:value=q/>
            </label>
            <label class="inline">
                <input type="checkbox" bind:checked=scan/>
                "Scan overview"
            </label>
            <button type="submit" class="primary" disabled=running>"Load artifacts"</button>
            <button type="button" on:click=move |_| crawl::cancel(app) disabled=move || !running()>
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

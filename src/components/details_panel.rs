//! Details of the selected artifact: tags, digest, pull commands, labels, and its full
//! vulnerability report fetched on demand. Harbor's strings are rendered as text only;
//! only `http`/`https` links become clickable.

use harbor_client::model::VulnRow;
use harbor_client::slim::{ArtifactRow, ScanStatus};
use inventory::format::{
    exact_time, human_size, pull_by_digest, pull_by_tag, relative_time, severity_badge,
    severity_counts, severity_name,
};
use leptos::prelude::*;

use super::artifact_table::{label_chips, row_element};
use crate::components::copy_text;
use crate::state::ReportState;
use crate::state::{use_lens, Lens};

/// Whether a link from Harbor data may become a clickable `href`.
pub fn is_web_link(link: &str) -> bool {
    let lower = link.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !link.contains(char::is_whitespace)
}

/// Where the selected artifact, its repository and its project are in Harbor's portal.
#[derive(Default)]
struct PortalPaths {
    project: Option<String>,
    repository: Option<String>,
    artifact: Option<String>,
}

impl PortalPaths {
    /// Built from ids and escaped names (`inventory::portal`), for the Harbor in use:
    /// its address, or this page's origin when the dashboard is served beside it.
    fn of(lens: Lens, row: &ArtifactRow) -> PortalPaths {
        let Ok(links) = inventory::portal::PortalLinks::new(&lens.session.harbor_address()) else {
            return PortalPaths::default();
        };
        PortalPaths {
            project: links.project(row.project_id),
            repository: links.repository(row.project_id, &row.project, &row.repository),
            artifact: links.row(row),
        }
    }
}

/// An `Open in Harbor` link, or nothing without a project id (a cache from an older
/// build).
fn portal_link(href: Option<String>) -> Option<impl IntoView> {
    href.map(|href| {
        view! { <a class="portal" href=href target="_blank" rel="noopener noreferrer">"Open in Harbor"</a> }
    })
}

/// Signatures and SBOMs attached to the artifact: kind, digest, size, when.
fn accessories_view(row: &ArtifactRow, now: i64) -> impl IntoView {
    let rows = row
        .accessories
        .iter()
        .map(|a| {
            let kind = if a.inherited {
                format!("{} (from its index)", a.kind.label())
            } else {
                a.kind.label().to_owned()
            };
            view! {
                <tr>
                    <td>{kind}</td>
                    <td class="digest" title=a.digest.to_string()>{inventory::format::short_digest(&a.digest.text()).to_owned()}</td>
                    <td class="num">{human_size(a.size)}</td>
                    <td title=exact_time(a.push_time)>{relative_time(a.push_time, now)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Signatures and SBOMs"</h3>
        {if row.accessories.is_empty() {
            view! { <p class="muted">"None attached: not signed, no SBOM."</p> }.into_any()
        } else {
            view! {
                <table aria-label="Accessories">
                    <thead><tr><th>"Kind"</th><th>"Digest"</th><th>"Size"</th><th>"Attached"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }}
    }
}

/// Text with a copy button next to it.
fn copyable(text: String, what: &'static str) -> impl IntoView {
    let copy = text.clone();
    view! {
        <code>{text}</code>
        " "
        <button type="button" class="more" aria-label=format!("Copy {what}") on:click=move |_| copy_text(&copy)>
            "copy"
        </button>
    }
}

fn link_view(link: &str) -> AnyView {
    if is_web_link(link) {
        let href = link.trim().to_owned();
        let text = href.clone();
        view! { <a href=href rel="noopener noreferrer nofollow" target="_blank">{text}</a> }
            .into_any()
    } else {
        view! { <span class="muted">{link.to_owned()}</span> }.into_any()
    }
}

fn vuln_row(v: &VulnRow) -> impl IntoView {
    let cvss = v.cvss_v3.map(|s| format!("{s:.1}")).unwrap_or_default();
    view! {
        <tr>
            <td>{v.id.to_string()}</td>
            <td>{severity_name(v.severity)}</td>
            <td>{v.package.to_string()}</td>
            <td>{v.version.to_string()}</td>
            <td>{v.fix_version.to_string()}</td>
            <td>{cvss}</td>
            <td class="desc">
                {v.description.to_string()}
                <div>{v.links.iter().map(|l| view! { <div>{link_view(l)}</div> }).collect_view()}</div>
            </td>
        </tr>
    }
}

fn report_view(lens: Lens, row: &ArtifactRow) -> AnyView {
    if row.scan.status != ScanStatus::Success {
        return view! { <p>{severity_badge(&row.scan)}</p> }.into_any();
    }
    let key = crate::state::report_key(&row.repository, &row.digest);
    let state = lens.inventory.reports.with(|r| r.get(&key).cloned());
    match state {
        None | Some(ReportState::Loading) => {
            view! { <p>"Loading the vulnerability report…"</p> }.into_any()
        }
        Some(ReportState::Failed(e)) => {
            let retry_row = row.clone();
            view! {
                <p class="error">"Could not load the report: " {e.to_string()}</p>
                <button type="button" on:click=move |_| crate::actions::reports::fetch_one(lens, retry_row.clone())>
                    "Load the report again"
                </button>
            }
            .into_any()
        }
        Some(ReportState::Loaded(report)) => {
            let scanner = report
                .scanner
                .as_ref()
                .map(|s| format!("{} {} ({})", s.name, s.version, s.vendor))
                .unwrap_or_default();
            view! {
                <p>
                    {format!("{} vulnerabilities", report.vulnerabilities.len())}
                    " · scanner " {scanner}
                    " · generated " {exact_time(report.generated_at)}
                </p>
                <table aria-label="Vulnerability report">
                    <thead>
                        <tr>
                            <th>"CVE"</th><th>"Severity"</th><th>"Package"</th><th>"Installed"</th>
                            <th>"Fixed in"</th><th>"CVSS"</th><th>"Description"</th>
                        </tr>
                    </thead>
                    <tbody>{report.vulnerabilities.iter().map(vuln_row).collect_view()}</tbody>
                </table>
            }
            .into_any()
        }
    }
}

fn panel(lens: Lens, row: ArtifactRow) -> impl IntoView {
    let now = lens.inventory.now.get_untracked();
    let host = lens
        .session
        .status
        .with_untracked(|c| c.connection().and_then(|c| c.registry_host.clone()))
        .unwrap_or_else(|| window().location().host().unwrap_or_default());
    let tags = row
        .tags
        .iter()
        .map(|t| {
            view! {
                <tr>
                    <td>{t.name.to_string()}</td>
                    <td title=exact_time(t.push_time)>{relative_time(t.push_time, now)}</td>
                    <td title=exact_time(t.pull_time)>{relative_time(t.pull_time, now)}</td>
                    <td>{copyable(pull_by_tag(&host, &row, &t.name), "pull command")}</td>
                </tr>
            }
        })
        .collect_view();
    let links = PortalPaths::of(lens, &row);
    let index_note = (row.references > 0)
        .then(|| format!("Image index of {} platform manifests", row.references));
    let report_row = row.clone();
    let extras = LocalResource::new({
        let row = row.clone();
        move || {
            let row = row.clone();
            let base = lens.session.config.with_untracked(|c| c.harbor_url.clone());
            let auth = lens
                .session
                .credentials
                .with_value(|c| c.as_ref().map(|c| c.header()));
            async move {
                crate::artifact_info::fetch(
                    &crate::transport::BrowserTransport::new(&base),
                    auth,
                    &row,
                )
                .await
            }
        }
    });
    let extras_view = move || {
        extras.get().map(|result| match result {
            Ok(x) => {
                let platforms = (!x.platforms.is_empty()).then(|| {
                    view! {
                        <h3>"Platforms"</h3>
                        <ul>{x.platforms.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    }
                });
                let annotations = (!x.annotations.is_empty()).then(|| {
                    view! {
                        <h3>"Annotations"</h3>
                        <dl>
                            {x.annotations
                                .into_iter()
                                .map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> })
                                .collect_view()}
                        </dl>
                    }
                });
                view! { {platforms}{annotations} }.into_any()
            }
            Err(e) => view! { <p class="muted">"Platforms and annotations unavailable: " {e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <h2>{format!("{}@{}", row.repository, inventory::format::short_digest(&row.digest.text()))}</h2>
        <dl>
            <dt>"Project"</dt><dd>{row.project.to_string()} {portal_link(links.project)}</dd>
            <dt>"Repository"</dt><dd>{row.repository.to_string()} {portal_link(links.repository)}</dd>
            <dt>"Digest"</dt><dd>{copyable(row.digest.to_string(), "full digest")} {portal_link(links.artifact)}</dd>
            <dt>"Type"</dt><dd>{row.kind.to_string()} " · " {row.media_type.to_string()}</dd>
            <dt>"Size"</dt><dd>{format!("{} ({} bytes)", human_size(row.size), row.size)}</dd>
            <dt>"Pushed"</dt><dd>{exact_time(row.push_time)}</dd>
            <dt>"Pulled"</dt><dd>{exact_time(row.pull_time)}</dd>
            <dt>"Labels"</dt><dd>{label_chips(&row.labels)}</dd>
            <dt>"Pull"</dt><dd>{copyable(pull_by_digest(&host, &row), "pull command")}</dd>
            <dt>"Scan"</dt>
            <dd>{severity_badge(&row.scan)} " " {severity_counts(&row.scan)}</dd>
        </dl>
        {index_note.map(|n| view! { <p>{n}</p> })}
        {extras_view}
        {accessories_view(&row, now)}
        <h3>"Tags"</h3>
        <table aria-label="Tags of this artifact">
            <thead><tr><th>"Tag"</th><th>"Pushed"</th><th>"Pulled"</th><th>"Pull command"</th></tr></thead>
            <tbody>{tags}</tbody>
        </table>
        <h3>"Vulnerabilities"</h3>
        {move || report_view(lens, &report_row)}
    }
}

/// Closes the panel and gives the focus back to the row it was opened from.
pub fn close_details(lens: Lens) {
    let Some(index) = lens.inventory.selected.get_untracked() else {
        return;
    };
    lens.inventory.selected.set(None);
    if let Some(row) = row_element(index)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = row.focus();
    }
}

/// The panel of the selected row; Esc or `Close` closes it.
#[component]
pub fn DetailsPanel() -> impl IntoView {
    let lens = use_lens();
    let row = Memo::new(move |_| {
        lens.inventory
            .selected
            .get()
            .and_then(|i| lens.table.rows.with(|rows| rows.get(i).cloned()))
    });
    // Fetch the report once per artifact when its details open.
    Effect::new(move || {
        let Some(row) = row.get() else { return };
        let wanted = row.scan.status == ScanStatus::Success
            && lens.inventory.reports.with_untracked(|r| {
                !r.contains_key(&crate::state::report_key(&row.repository, &row.digest))
            });
        if wanted {
            crate::actions::reports::fetch_one(lens, row);
        }
    });
    let close_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move || {
        if row.with(Option::is_some) {
            if let Some(button) = close_ref.get() {
                let _ = button.focus();
            }
        }
    });
    move || {
        row.get().map(|r| {
            view! {
                <section class="details" role="region" aria-label="Artifact details">
                    <button type="button" class="close" node_ref=close_ref on:click=move |_| close_details(lens)>
                        "Close"
                    </button>
                    {panel(lens, r)}
                </section>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_web_link;

    #[test]
    fn only_http_links_are_clickable() {
        assert!(is_web_link("https://nvd.nist.gov/vuln/detail/CVE-1"));
        assert!(is_web_link("HTTP://example.com"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("data:text/html;base64,xx"));
        assert!(!is_web_link("https://x y"));
        assert!(!is_web_link("//evil.example"));
    }
}

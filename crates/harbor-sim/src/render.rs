//! JSON bodies in Harbor's shapes, rendered on demand from the compact dataset.
//!
//! Field presence follows real responses: artifact `tags`, `labels`, `references` and
//! `accessories` are always present and `null` when empty or not asked for;
//! `scan_overview` is absent unless asked for and scanned; `repository_name` and
//! `artifact_type` exist only from Harbor 2.12 (and an index has no `artifact_type`
//! nor `extra_attrs`); strings Go's `omitempty` drops are left out when empty.

use serde_json::{json, Map, Value};

use crate::auth::Principal;
use crate::dataset::{
    kind_type, media_types, Artifact, ArtifactKind, Dataset, Label, Project, Repository, ScanState,
    Tag, PLATFORMS,
};
use crate::hostile::{self, field};
use crate::rng::{mix, uuid_like};
use crate::time;
use crate::vulns::{Severity, SeverityIndex};

/// The report MIME type Trivy reports are stored under.
pub const MIME_V11: &str = "application/vnd.security.vulnerability.report; version=1.1";
/// Harbor's native report MIME type.
pub const MIME_NATIVE: &str =
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
const DEFAULT_ICON: &str =
    "sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06";
/// The `artifactType` of a CNCF model-spec manifest.
const MODEL_ARTIFACT_TYPE: &str = "application/vnd.cncf.model.manifest.v1+json";
const CHART_ICON: &str = "sha256:61cf3a178ff0f75bf08a25d96b75cf7355dc197749a9f128ed3ef34b0df05518";

/// Which optional parts of an artifact to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArtifactOpts {
    /// `with_tag` (default true).
    pub with_tag: bool,
    /// `with_label`.
    pub with_label: bool,
    /// `with_scan_overview`.
    pub with_scan_overview: bool,
    /// `with_immutable_status`.
    pub with_immutable_status: bool,
    /// `with_accessory`.
    pub with_accessory: bool,
    /// `with_inherited_accessory` (Harbor >= 2.16; ignored before).
    pub with_inherited_accessory: bool,
    /// The caller accepts the version=1.1 report type (see `X-Accept-Vulnerabilities`).
    pub accept_v11: bool,
}

/// Harbor's repository-name encoding for paths: escaped twice (`a/b` → `a%252Fb`).
pub fn encode_repo_twice(short: &str) -> String {
    path_escape(&path_escape(short))
}

/// Go's `url.PathEscape` (escapes `/` too).
pub fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'$' | b'&' | b'+' | b',' | b':' | b';' | b'=' | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The repository name without the project prefix.
pub fn short_name<'a>(ds: &Dataset, repo: &'a Repository) -> &'a str {
    let project = &ds.projects[repo.project as usize].name;
    repo.name
        .strip_prefix(project.as_str())
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(&repo.name)
}

/// The caller's role in a project (1 admin, 2 developer), 0 for none.
fn role(p: &Principal, project: &Project) -> i64 {
    match p {
        _ if p.is_sysadmin() => 1,
        Principal::User { .. } if p.is_member(project.id) => 2,
        _ => 0,
    }
}

/// A `Project`. Without detail Harbor leaves out `metadata`, the owner and the caller's
/// role, and sends the CVE allowlist's `items` as `null`; `repo_count` stays.
/// `current_user_role_ids` is `null` for a caller with no role in the project.
pub fn project(_ds: &Dataset, pr: &Project, who: &Principal, with_detail: bool) -> Value {
    let mut m = Map::new();
    m.insert("project_id".into(), json!(pr.id));
    m.insert("owner_id".into(), json!(pr.owner_id));
    m.insert("name".into(), json!(pr.name));
    if pr.registry_id != 0 {
        m.insert("registry_id".into(), json!(pr.registry_id));
    }
    m.insert(
        "creation_time".into(),
        json!(time::format_millis(pr.creation_time)),
    );
    m.insert(
        "update_time".into(),
        json!(time::format_millis(pr.update_time)),
    );
    m.insert("repo_count".into(), json!(pr.repos.len()));
    if with_detail {
        m.insert("owner_name".into(), json!("admin"));
        let r = role(who, pr);
        if r != 0 {
            m.insert("current_user_role_id".into(), json!(r));
        }
        let ids = if r != 0 { json!([r]) } else { Value::Null };
        m.insert("current_user_role_ids".into(), ids);
    }
    let items = if with_detail { json!([]) } else { Value::Null };
    m.insert(
        "cve_allowlist".into(),
        json!({
            "creation_time": time::NEVER, "id": pr.id, "items": items,
            "project_id": pr.id, "update_time": time::NEVER
        }),
    );
    if !with_detail {
        return Value::Object(m);
    }
    let mut meta = Map::new();
    meta.insert("public".into(), json!(pr.public.to_string()));
    if pr.auto_scan {
        meta.insert("auto_scan".into(), json!("true"));
    }
    if pr.id % 2 == 1 {
        meta.insert("retention_id".into(), json!(pr.id.to_string()));
    }
    m.insert("metadata".into(), Value::Object(meta));
    Value::Object(m)
}

/// A `Repository`.
pub fn repository(ds: &Dataset, r: &Repository) -> Value {
    let mut m = Map::new();
    m.insert("artifact_count".into(), json!(r.top_level));
    m.insert(
        "creation_time".into(),
        json!(time::format_millis(r.creation_time)),
    );
    if r.described {
        let normal = format!("The {} image, built by CI.", short_name(ds, r));
        let d = hostile::text(
            ds.hostile,
            ds.seed,
            field::REPO_DESCRIPTION,
            r.id as u64,
            &normal,
        );
        m.insert("description".into(), json!(d));
    }
    m.insert("id".into(), json!(r.id));
    m.insert("name".into(), json!(r.name));
    m.insert(
        "project_id".into(),
        json!(ds.projects[r.project as usize].id),
    );
    m.insert("pull_count".into(), json!(r.pull_count));
    m.insert(
        "update_time".into(),
        json!(time::format_millis(r.update_time)),
    );
    Value::Object(m)
}

/// A `Tag`; `immutable` is only computed when asked for.
pub fn tag(t: &Tag, a: &Artifact, repo_id: i64, with_immutable: bool) -> Value {
    json!({
        "artifact_id": a.id,
        "id": t.id,
        "immutable": with_immutable && t.immutable,
        "name": &*t.name,
        "pull_time": time::format(t.pull_time),
        "push_time": time::format_millis(t.push_time),
        "repository_id": repo_id,
    })
}

/// A `Label`.
pub fn label(l: &Label) -> Value {
    let mut m = Map::new();
    m.insert("color".into(), json!(l.color));
    m.insert(
        "creation_time".into(),
        json!(time::format_millis(l.creation_time)),
    );
    if !l.description.is_empty() {
        m.insert("description".into(), json!(l.description));
    }
    m.insert("id".into(), json!(l.id));
    m.insert("name".into(), json!(l.name));
    if l.project_id != 0 {
        m.insert("project_id".into(), json!(l.project_id));
    }
    m.insert("scope".into(), json!(l.scope));
    m.insert(
        "update_time".into(),
        json!(time::format_millis(l.creation_time)),
    );
    Value::Object(m)
}

fn none_if_empty(v: Vec<Value>) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        Value::Array(v)
    }
}

fn scanner() -> Value {
    json!({"name": "Trivy", "vendor": "Aqua Security", "version": "v0.61.0"})
}

/// The `NativeReportSummary` of an artifact, `None` when never scanned.
pub fn scan_summary(ds: &Dataset, a: &Artifact) -> Option<Value> {
    let s = &a.scan;
    if s.state == ScanState::NotScanned {
        return None;
    }
    let mut m = Map::new();
    m.insert(
        "report_id".into(),
        json!(uuid_like(mix(ds.seed, a.id as u64 ^ 0x5CA))),
    );
    m.insert("scan_status".into(), json!(s.state.as_str()));
    m.insert("start_time".into(), json!(time::format_millis(s.start)));
    m.insert("scanner".into(), scanner());
    match s.state {
        ScanState::Success | ScanState::Error => {
            m.insert("duration".into(), json!(s.duration_s));
            let end = s.start + i64::from(s.duration_s) * 1000;
            m.insert("end_time".into(), json!(time::format_millis(end)));
            m.insert("complete_percent".into(), json!(100));
        }
        ScanState::Running => {
            m.insert("end_time".into(), json!(time::NEVER));
            m.insert("complete_percent".into(), json!(40));
        }
        _ => {
            m.insert("end_time".into(), json!(time::NEVER));
            m.insert("complete_percent".into(), json!(0));
        }
    }
    if s.state == ScanState::Success {
        m.insert("severity".into(), json!(s.severity.name()));
        let mut per = Map::new();
        for sev in Severity::ALL.iter().rev() {
            let n = s.counts[sev.index()];
            if n > 0 {
                per.insert(sev.name().into(), json!(n));
            }
        }
        m.insert(
            "summary".into(),
            json!({"total": s.total(), "fixable": s.fixable, "summary": per}),
        );
    }
    Some(Value::Object(m))
}

fn addition_links(ds: &Dataset, a: &Artifact, repo: &Repository) -> Option<Value> {
    let project = &ds.projects[repo.project as usize].name;
    let base = format!(
        "/api/v2.0/projects/{project}/repositories/{}/artifacts/{}/additions",
        encode_repo_twice(short_name(ds, repo)),
        a.digest
    );
    let names: &[&str] = match a.kind {
        ArtifactKind::Image => &["build_history", "vulnerabilities"],
        ArtifactKind::Index => &["vulnerabilities"],
        ArtifactKind::Chart => &["dependencies", "readme.md", "values.yaml"],
        ArtifactKind::Model if ds.version.knows_cnai() => &["files", "license", "readme.md"],
        ArtifactKind::Model => return None,
    };
    let mut m = Map::new();
    for n in names {
        m.insert(
            (*n).into(),
            json!({"absolute": false, "href": format!("{base}/{n}")}),
        );
    }
    Some(Value::Object(m))
}

/// `extra_attrs`; an index (and a model) has none, and Harbor then leaves the key out.
fn extra_attrs(ds: &Dataset, a: &Artifact, repo: &Repository) -> Option<Value> {
    let short = short_name(ds, repo);
    Some(match a.kind {
        ArtifactKind::Index | ArtifactKind::Model => return None,
        ArtifactKind::Chart => json!({
            "apiVersion": "v2",
            "name": short.rsplit('/').next().unwrap_or(short),
            "version": a.tags.last().map(|t| t.name.to_string()).unwrap_or_else(|| "0.1.0".into()),
            "description": hostile::text(ds.hostile, ds.seed, field::ANNOTATION, a.id as u64, "A Helm chart"),
            "type": "application",
        }),
        ArtifactKind::Image => {
            let (arch, os, _) = PLATFORMS[a.platform as usize % PLATFORMS.len()];
            let author = hostile::text(
                ds.hostile,
                ds.seed,
                field::AUTHOR,
                a.id as u64,
                "ci@example.com",
            );
            let mut config = json!({
                "Cmd": ["/bin/sh", "-c", format!("/usr/local/bin/{}", short.rsplit('/').next().unwrap_or(short))],
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "WorkingDir": "/app",
            });
            if ds.hostile && a.id % 5 == 0 {
                config["Labels"] = json!({
                    "org.example.note": hostile::pick(ds.seed, field::ANNOTATION, a.id as u64),
                    "deep": hostile::nested(100),
                });
            }
            json!({
                "architecture": arch,
                "author": author,
                "config": config,
                // Image configs keep the builder's nanoseconds.
                "created": time::format_nanos(a.push_time - 3_600_000, mix(ds.seed, a.id as u64)),
                "os": os,
            })
        }
    })
}

fn annotations(ds: &Dataset, a: &Artifact, repo: &Repository) -> Value {
    let id = a.id as u64;
    let src = if ds.hostile && id.is_multiple_of(3) {
        hostile::pick(ds.seed, field::ANNOTATION, id + 1).into_owned()
    } else {
        format!("https://git.example.com/{}", repo.name)
    };
    json!({
        "org.opencontainers.image.created": time::format_millis(a.push_time - 3_600_000),
        "org.opencontainers.image.description":
            hostile::text(ds.hostile, ds.seed, field::ANNOTATION, id, "Built from main"),
        "org.opencontainers.image.source": src,
    })
}

fn references(ds: &Dataset, a: &Artifact) -> Value {
    let refs: Vec<Value> = a
        .children
        .iter()
        .map(|c| {
            let child = &ds.artifacts[*c as usize];
            let (arch, os, variant) = PLATFORMS[child.platform as usize % PLATFORMS.len()];
            let mut platform = json!({"architecture": arch, "os": os});
            if !variant.is_empty() {
                platform["variant"] = json!(variant);
            }
            json!({
                "child_digest": &*child.digest,
                "child_id": child.id,
                "parent_id": a.id,
                "platform": platform,
            })
        })
        .collect();
    none_if_empty(refs)
}

/// An `Artifact`.
pub fn artifact(ds: &Dataset, a: &Artifact, o: &ArtifactOpts) -> Value {
    let repo = ds.repo_of(a);
    let project = &ds.projects[repo.project as usize];
    let (media, manifest) = media_types(a);
    let mut m = Map::new();
    m.insert(
        "accessories".into(),
        if o.with_accessory {
            crate::accessories::render(ds, a)
        } else {
            Value::Null
        },
    );
    if let Some(links) = addition_links(ds, a, repo) {
        m.insert("addition_links".into(), links);
    }
    if a.annotated {
        m.insert("annotations".into(), annotations(ds, a, repo));
    }
    let modern = ds.version.project_artifacts();
    if modern && a.kind != ArtifactKind::Index {
        let artifact_type = match a.kind {
            ArtifactKind::Model => MODEL_ARTIFACT_TYPE,
            _ => media,
        };
        m.insert("artifact_type".into(), json!(artifact_type));
    }
    m.insert("digest".into(), json!(&*a.digest));
    if let Some(extra) = extra_attrs(ds, a, repo) {
        m.insert("extra_attrs".into(), extra);
    }
    let icon = if a.kind == ArtifactKind::Chart {
        CHART_ICON
    } else {
        DEFAULT_ICON
    };
    m.insert("icon".into(), json!(icon));
    m.insert("id".into(), json!(a.id));
    if o.with_inherited_accessory && ds.version.inherited_accessories() {
        let parent = a.parent.map(|p| &ds.artifacts[p as usize]);
        if let Some(Value::Array(list)) = parent.map(|p| crate::accessories::render(ds, p)) {
            m.insert("inherited_accessories".into(), Value::Array(list));
        }
    }
    let labels = if o.with_label {
        none_if_empty(
            a.labels
                .iter()
                .map(|l| label(&ds.labels[*l as usize]))
                .collect(),
        )
    } else {
        Value::Null
    };
    m.insert("labels".into(), labels);
    m.insert("manifest_media_type".into(), json!(manifest));
    m.insert("media_type".into(), json!(media));
    m.insert("project_id".into(), json!(project.id));
    m.insert("pull_time".into(), json!(time::format(a.pull_time)));
    m.insert("push_time".into(), json!(time::format_millis(a.push_time)));
    m.insert("references".into(), references(ds, a));
    m.insert("repository_id".into(), json!(repo.id));
    if modern {
        m.insert("repository_name".into(), json!(repo.name));
    }
    if o.with_scan_overview && o.accept_v11 && a.scannable() {
        if let Some(s) = scan_summary(ds, a) {
            m.insert("scan_overview".into(), json!({ MIME_V11: s }));
        }
    }
    m.insert("size".into(), json!(a.size));
    let tags = if o.with_tag {
        none_if_empty(
            a.tags
                .iter()
                .map(|t| tag(t, a, repo.id, o.with_immutable_status))
                .collect(),
        )
    } else {
        Value::Null
    };
    m.insert("tags".into(), tags);
    m.insert("type".into(), json!(kind_type(a.kind, ds.version)));
    Value::Object(m)
}

/// The `additions/vulnerabilities` body: `{}` unless a successful report exists and the
/// caller accepts its MIME type. A clean report has `"vulnerabilities": null` (Go's nil
/// slice), and each finding has a `status` only from Harbor 2.14.
pub fn vulnerabilities(ds: &Dataset, a: &Artifact, accept_v11: bool) -> Value {
    if !accept_v11 || !a.scannable() || a.scan.state != ScanState::Success {
        return json!({});
    }
    let vulns: Vec<Value> = ds
        .findings(a)
        .into_iter()
        .map(|i| {
            let c = &ds.cves.cves[i as usize];
            let normal = format!(
                "A flaw in {} {} allows a remote attacker to cause a denial of service.",
                c.package, c.version
            );
            let desc = hostile::text(ds.hostile, ds.seed, field::VULN_DESCRIPTION, u64::from(i), &normal);
            let mut links = vec![json!(format!("https://avd.aquasec.com/nvd/{}", c.id.to_lowercase()))];
            if ds.hostile && i % 4 == 0 {
                links.push(json!(hostile::pick(ds.seed, field::VULN_LINK, u64::from(i))));
            }
            let score = c.score10.map(|s| f64::from(s) / 10.0);
            let vector = if score.is_some() { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" } else { "" };
            let mut v = json!({
                "id": c.id,
                "package": c.package,
                "version": c.version,
                "fix_version": c.fix_version,
                "severity": c.severity.name(),
                "description": desc,
                "links": links,
                "artifact_digests": [&*a.digest],
                "preferred_cvss": {"score_v3": score, "score_v2": null, "vector_v3": vector, "vector_v2": ""},
                "cwe_ids": [if c.cwe == 0 { String::new() } else { format!("CWE-{}", c.cwe) }],
                "vendor_attributes": {"CVSS": {"nvd": {"V3Score": score, "V3Vector": vector}}},
            });
            if ds.version.vulnerability_status() {
                v["status"] = json!(if c.fix_version.is_empty() { "affected" } else { "fixed" });
            }
            v
        })
        .collect();
    let end = a.scan.start + i64::from(a.scan.duration_s) * 1000;
    json!({
        MIME_V11: {
            "generated_at": time::format_millis(end),
            "scanner": scanner(),
            "severity": a.scan.severity.name(),
            "vulnerabilities": none_if_empty(vulns),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_encoding() {
        assert_eq!(encode_repo_twice("tools/postgrest"), "tools%252Fpostgrest");
        assert_eq!(encode_repo_twice("nginx"), "nginx");
    }
}

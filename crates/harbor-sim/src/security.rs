//! Security Hub (`/security/summary`, `/security/vul`) and the project summary
//! (`/projects/{project_name_or_id}/summary`).
//!
//! Security Hub items are the findings of the per-artifact reports the simulator already
//! serves (`Dataset::findings`), one item per (artifact, CVE), so both ways of building
//! a CVE roll-up see the same data. Permission (Harbor's `ResourceSecurityHub`): a
//! system administrator, or a system robot granted the security-hub permission; any
//! other signed-in caller gets 403 and an anonymous one 401.
//!
//! Project summary permission, as Harbor decides it: reading the summary needs read
//! access to the project (public projects: everyone; private: members, robots of the
//! project, admins; others 401/403 as for the project itself). Within it, `quota` needs
//! the quota read permission and the member counts the member list permission, which
//! every member role and system admins have, and which anonymous callers, non-members
//! reading a public project, and robots (whose permissions name resources, and the
//! simulator's robots are granted repository and artifact access only) do not: they get
//! `repo_count` alone.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use crate::auth::Principal;
use crate::dataset::{Artifact, Dataset, Project, ScanState};
use crate::query::{Pattern, QValue, Query};
use crate::vulns::Severity;

/// The system robot that holds the security-hub permission.
pub const SECURITY_HUB_ROBOT: &str = "robot$security-hub";

/// Whether `who` may read Security Hub.
pub fn may_read_hub(who: &Principal) -> bool {
    who.is_sysadmin() || (who.is_robot() && who.name() == SECURITY_HUB_ROBOT)
}

/// Whether `who` sees quota and member counts in `project`'s summary.
pub fn sees_quota(who: &Principal, project: &Project) -> bool {
    who.is_sysadmin() || (matches!(who, Principal::User { .. }) && who.is_member(project.id))
}

/// The `ProjectSummary` of `project` for `who` (who may read the project).
pub fn project_summary(ds: &Dataset, project: &Project, who: &Principal) -> Value {
    let mut m = Map::new();
    m.insert("repo_count".into(), json!(project.repos.len()));
    if sees_quota(who, project) {
        let q = ds.quota(project);
        m.insert(
            "quota".into(),
            json!({"hard": {"storage": q.hard}, "used": {"storage": q.used}}),
        );
        let id = project.id;
        m.insert("project_admin_count".into(), json!(1 + id % 2));
        m.insert("maintainer_count".into(), json!(id % 3));
        m.insert("developer_count".into(), json!(1 + id % 4));
        m.insert("guest_count".into(), json!(id % 5));
        m.insert("limited_guest_count".into(), json!(id % 2));
    }
    Value::Object(m)
}

/// One Security Hub item: a finding of an artifact's report.
#[derive(Debug, Clone, Copy)]
pub struct Finding<'a> {
    /// The artifact.
    pub artifact: &'a Artifact,
    /// Index into `cves.cves`.
    pub cve: u16,
}

/// Every finding of every scanned listed artifact, in artifact order.
pub fn all_findings(ds: &Dataset) -> Vec<Finding<'_>> {
    ds.artifacts
        .iter()
        .filter(|a| a.parent.is_none() && a.scannable() && a.scan.state == ScanState::Success)
        .flat_map(|a| {
            ds.findings(a)
                .into_iter()
                .map(move |cve| Finding { artifact: a, cve })
        })
        .collect()
}

fn score(ds: &Dataset, f: &Finding) -> Option<f64> {
    ds.cves.cves[f.cve as usize]
        .score10
        .map(|s| f64::from(s) / 10.0)
}

fn as_f64(v: &QValue) -> Option<f64> {
    match v {
        QValue::Int(i) => Some(*i as f64),
        QValue::Str(s) => s.trim().parse().ok(),
        QValue::Time(_) => None,
    }
}

fn text_matches(hay: &str, p: &Pattern) -> bool {
    match p {
        Pattern::Exact(v) => hay == v,
        Pattern::Fuzzy(v) => hay.to_lowercase().contains(&v.to_lowercase()),
        Pattern::Union(vs) => vs.iter().any(|v| match v {
            QValue::Str(s) => hay == s,
            QValue::Int(i) => hay == i.to_string(),
            QValue::Time(_) => false,
        }),
        _ => true,
    }
}

/// Whether a finding passes the `q` filters Security Hub knows: `cve_id`, `severity`,
/// `package`, `repository_name`, `tag`, `digest` (exact or `~` fuzzy), `project_id`
/// and `cvss_score_v3` (a `[min~max]` range). Other keys are ignored, as Harbor does.
pub fn finding_matches(ds: &Dataset, f: &Finding, q: &Query) -> bool {
    let c = &ds.cves.cves[f.cve as usize];
    let a = f.artifact;
    let repo = ds.repo_of(a);
    q.terms.iter().all(|(key, p)| match key.as_str() {
        "cve_id" => text_matches(&c.id, p),
        "severity" => text_matches(c.severity.name(), p),
        "package" => text_matches(c.package, p),
        "repository_name" => text_matches(&repo.name, p),
        "digest" => text_matches(&a.digest, p),
        "tag" => a.tags.iter().any(|t| text_matches(&t.name, p)),
        "project_id" => {
            let id = ds.projects[repo.project as usize].id;
            text_matches(&id.to_string(), p)
        }
        "cvss_score_v3" => match p {
            Pattern::Range(lo, hi) => score(ds, f).is_some_and(|s| {
                let ge = lo.as_ref().and_then(as_f64).is_none_or(|l| s >= l);
                let le = hi.as_ref().and_then(as_f64).is_none_or(|h| s <= h);
                ge && le
            }),
            Pattern::Exact(v) => v.parse::<f64>().ok() == score(ds, f),
            _ => true,
        },
        _ => true,
    })
}

/// A `VulnerabilityItem`.
pub fn item(ds: &Dataset, f: &Finding, with_tag: bool) -> Value {
    let c = &ds.cves.cves[f.cve as usize];
    let a = f.artifact;
    let repo = ds.repo_of(a);
    let tags: Vec<&str> = if with_tag {
        a.tags.iter().map(|t| &*t.name).collect()
    } else {
        Vec::new()
    };
    let status = if c.fix_version.is_empty() {
        "affected"
    } else {
        "fixed"
    };
    json!({
        "project_id": ds.projects[repo.project as usize].id,
        "repository_name": repo.name,
        "digest": &*a.digest,
        "tags": if tags.is_empty() { Value::Null } else { json!(tags) },
        "cve_id": c.id,
        "severity": c.severity.name(),
        "status": status,
        "cvss_v3_score": score(ds, f).unwrap_or(0.0),
        "package": c.package,
        "version": c.version,
        "fixed_version": c.fix_version,
        "desc": format!("A flaw in {} {}.", c.package, c.version),
        "links": [format!("https://avd.aquasec.com/nvd/{}", c.id.to_lowercase())],
    })
}

/// The `SecuritySummary` over every scanned artifact.
pub fn summary(ds: &Dataset, with_cves: bool, with_artifacts: bool) -> Value {
    let listed: Vec<&Artifact> = ds.artifacts.iter().filter(|a| a.parent.is_none()).collect();
    let scanned: Vec<&&Artifact> = listed
        .iter()
        .filter(|a| a.scannable() && a.scan.state == ScanState::Success)
        .collect();
    let count = |s: Severity| -> u64 {
        scanned
            .iter()
            .map(|a| u64::from(a.scan.counts[s as usize]))
            .sum()
    };
    let mut m = Map::new();
    m.insert("critical_cnt".into(), json!(count(Severity::Critical)));
    m.insert("high_cnt".into(), json!(count(Severity::High)));
    m.insert("medium_cnt".into(), json!(count(Severity::Medium)));
    m.insert("low_cnt".into(), json!(count(Severity::Low)));
    m.insert("none_cnt".into(), json!(count(Severity::Negligible)));
    m.insert("unknown_cnt".into(), json!(count(Severity::Unknown)));
    let total: u64 = scanned.iter().map(|a| u64::from(a.scan.total())).sum();
    m.insert("total_vuls".into(), json!(total));
    m.insert("scanned_cnt".into(), json!(scanned.len()));
    m.insert("total_artifact".into(), json!(listed.len()));
    let fixable: u64 = scanned.iter().map(|a| u64::from(a.scan.fixable)).sum();
    m.insert("fixable_cnt".into(), json!(fixable));
    if with_cves {
        let mut cves: Vec<u16> = all_findings(ds).iter().map(|f| f.cve).collect();
        cves.sort_unstable();
        cves.dedup();
        let by_score = |i: &u16| ds.cves.cves[*i as usize].score10.unwrap_or(0);
        cves.sort_by(|a, b| by_score(b).cmp(&by_score(a)).then(a.cmp(b)));
        let top: Vec<Value> = cves
            .iter()
            .take(5)
            .map(|i| {
                let c = &ds.cves.cves[*i as usize];
                json!({"cve_id": c.id, "severity": c.severity.name(),
                       "cvss_score_v3": c.score10.map_or(0.0, |s| f64::from(s) / 10.0),
                       "package": c.package, "version": c.version, "desc": ""})
            })
            .collect();
        m.insert("dangerous_cves".into(), json!(top));
    }
    if with_artifacts {
        let key = |a: &Artifact| {
            let c = &a.scan.counts;
            (
                c[Severity::Critical as usize],
                c[Severity::High as usize],
                c[Severity::Medium as usize],
            )
        };
        let mut worst: Vec<&&Artifact> = scanned.clone();
        worst.sort_by(|a, b| match key(b).cmp(&key(a)) {
            Ordering::Equal => a.id.cmp(&b.id),
            o => o,
        });
        let top: Vec<Value> = worst
            .iter()
            .take(5)
            .map(|a| {
                let (c, h, md) = key(a);
                let repo = ds.repo_of(a);
                json!({"project_id": ds.projects[repo.project as usize].id,
                       "repository_name": repo.name, "digest": &*a.digest,
                       "critical_cnt": c, "high_cnt": h, "medium_cnt": md})
            })
            .collect();
        m.insert("dangerous_artifacts".into(), json!(top));
    }
    Value::Object(m)
}

//! Artifact endpoints: lists (per repository, per project), one artifact, its tags,
//! accessories and additions.

use std::borrow::Cow;

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{json, Value};

use crate::dataset::{
    kind_type, media_types, Artifact, ArtifactKind, Dataset, Project, Repository, Tag,
};
use crate::query::{matches, Field, Pattern, QValue, Query, Record};
use crate::render;
use crate::time::NEVER_MS;

use super::{json_response, ApiError, ApiResult, Ctx};

struct Rec<'a>(&'a Dataset, &'a Artifact);

impl Record for Rec<'_> {
    fn field(&self, key: &str) -> Option<Field<'_>> {
        let (ds, a) = (self.0, self.1);
        let repo = ds.repo_of(a);
        Some(match key {
            "id" => Field::Int(a.id),
            "type" => Field::Str(Cow::Borrowed(kind_type(a.kind, ds.version))),
            "media_type" | "artifact_type" => Field::Str(Cow::Borrowed(media_types(a).0)),
            "manifest_media_type" => Field::Str(Cow::Borrowed(media_types(a).1)),
            "digest" => Field::Str(Cow::Borrowed(&a.digest)),
            "size" => Field::Int(a.size as i64),
            "push_time" => Field::Time(a.push_time),
            "pull_time" => Field::Time(a.pull_time.unwrap_or(NEVER_MS)),
            "repository_name" => Field::Str(Cow::Borrowed(&repo.name)),
            "repository_id" => Field::Int(repo.id),
            "project_id" => Field::Int(ds.projects[repo.project as usize].id),
            "icon" => Field::Str(Cow::Borrowed(if a.kind == ArtifactKind::Chart {
                "chart"
            } else {
                ""
            })),
            _ => return None,
        })
    }
}

/// `tags=*`, `tags=nil`, `tags=v`, `tags=~v` (case-sensitive contains), `tags={a b}`.
fn tags_match(a: &Artifact, p: &Pattern) -> bool {
    match p {
        Pattern::Exact(v) if v == "*" => !a.tags.is_empty(),
        Pattern::Exact(v) if v == "nil" => a.tags.is_empty(),
        Pattern::Exact(v) => a.tags.iter().any(|t| &*t.name == v),
        Pattern::Fuzzy(v) => a.tags.iter().any(|t| t.name.contains(v.as_str())),
        Pattern::Union(vs) => a.tags.iter().any(|t| {
            vs.iter().any(|v| match v {
                QValue::Str(s) => &*t.name == s,
                QValue::Int(i) => *t.name == *i.to_string(),
                QValue::Time(_) => false,
            })
        }),
        _ => true,
    }
}

/// `labels=(1 2)`: ids 1 AND 2. Anything but an `( )` list of integers is a 400.
fn label_ids(q: &Query) -> Result<Option<Vec<i64>>, ApiError> {
    let Some(p) = q.get("labels") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_request(
            r#"only support intersection relationship (labels=(id1 id2)) for "labels" query"#,
        )
    };
    match p {
        Pattern::And(vs) => vs
            .iter()
            .map(|v| match v {
                QValue::Int(i) => Ok(*i),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Err(bad()),
    }
}

/// Filters, sorts and pages artifacts as Harbor's artifact list does.
fn respond<'a>(ctx: &Ctx, candidates: impl Iterator<Item = &'a Artifact>) -> ApiResult {
    let page = ctx.page()?;
    let opts = ctx.artifact_opts()?;
    let q = ctx.q()?;
    let labels = label_ids(&q)?;
    let ds = ctx.ds;
    let with_children = matches!(q.get("base"), Some(Pattern::Exact(v)) if v == "*");
    let mut recs: Vec<Rec> = candidates
        .filter(|a| with_children || a.parent.is_none())
        .filter(|a| q.get("tags").is_none_or(|p| tags_match(a, p)))
        .filter(|a| {
            labels.as_ref().is_none_or(|ids| {
                ids.iter()
                    .all(|id| a.labels.iter().any(|l| ds.labels[*l as usize].id == *id))
            })
        })
        .map(|a| Rec(ds, a))
        .filter(|r| matches(r, &q, &["tags", "labels", "base"]))
        .collect();
    recs.sort_by_key(|r| r.1.id);
    Ok(ctx.sorted_list(page, recs, &["-push_time", "-id"], |r| {
        render::artifact(ds, r.1, &opts)
    }))
}

/// A list request with no `q` and no `sort` asks for Harbor's default order, which the
/// dataset keeps ready: only the page is rendered, however big the repository or
/// project (the xlarge preset has repositories of 80,000 artifacts).
fn is_plain(ctx: &Ctx) -> bool {
    ctx.param("q").is_none_or(str::is_empty) && ctx.param("sort").is_none_or(str::is_empty)
}

/// Answers a plain list request from `order`, the listed artifacts in default order.
fn respond_in_order(ctx: &Ctx, order: &[u32]) -> ApiResult {
    let page = ctx.page()?;
    let opts = ctx.artifact_opts()?;
    let ds = ctx.ds;
    let items = page
        .slice(order)
        .iter()
        .map(|i| render::artifact(ds, ds.artifact_at(*i), &opts))
        .collect();
    Ok(ctx.list(page, order.len(), items))
}

fn all_in_repo<'a>(ds: &'a Dataset, repo: &'a Repository) -> impl Iterator<Item = &'a Artifact> {
    repo.artifacts.iter().map(|i| &ds.artifacts[*i as usize])
}

fn find_repo<'a>(ctx: &Ctx<'a>, p: &Project, repo: &Option<String>) -> Option<&'a Repository> {
    let short = repo.as_ref()?;
    let i = ctx.ds.repo_index(&format!("{}/{short}", p.name))?;
    Some(&ctx.ds.repositories[i as usize])
}

/// `GET /projects/{p}/repositories/{r}/artifacts`. A repository that does not exist
/// (or a wrongly encoded name) gives 200 `[]`: Harbor never checks it.
pub fn list_in_repo(ctx: &Ctx, project: &str, repo: Option<String>) -> ApiResult {
    ctx.page()?;
    ctx.artifact_opts()?;
    let p = ctx.project_by_name(project)?;
    match find_repo(ctx, p, &repo) {
        Some(r) if is_plain(ctx) => {
            respond_in_order(ctx, ctx.ds.listed_order().repository(r.id as u32 - 1))
        }
        Some(r) => respond(ctx, all_in_repo(ctx.ds, r)),
        None => respond(ctx, std::iter::empty()),
    }
}

/// `GET /projects/{project_name_or_id}/artifacts` (Harbor >= 2.12): needs a login even
/// for public projects.
pub fn list_in_project(ctx: &Ctx, project: &str) -> ApiResult {
    ctx.page()?;
    ctx.artifact_opts()?;
    if !ctx.who.is_authenticated() {
        return Err(ApiError::unauthorized());
    }
    let p = ctx.project_by_name_or_id(project)?;
    let ds = ctx.ds;
    let all = p
        .repos
        .iter()
        .flat_map(|r| all_in_repo(ds, &ds.repositories[*r as usize]));
    if ctx.flag("latest_in_repository", false)? {
        return latest_in_repository(ctx, p);
    }
    if is_plain(ctx) {
        return respond_in_order(ctx, ds.listed_order().project(p.id as u32 - 1));
    }
    respond(ctx, all)
}

/// `latest_in_repository=true`: the newest matching artifact of each repository; needs
/// exactly one of `media_type` / `artifact_type` in `q`; ignores paging.
fn latest_in_repository(ctx: &Ctx, p: &Project) -> ApiResult {
    let q = ctx.q()?;
    let n = ["media_type", "artifact_type"]
        .iter()
        .filter(|k| q.get(k).is_some())
        .count();
    if n != 1 {
        return Err(ApiError::bad_request(
            "when latest_in_repository is true, either media_type or artifact_type must be specified in query",
        ));
    }
    let ds = ctx.ds;
    let opts = ctx.artifact_opts()?;
    let mut latest: Vec<&Artifact> = p
        .repos
        .iter()
        .filter_map(|r| {
            ds.listed_artifacts(&ds.repositories[*r as usize])
                .filter(|a| matches(&Rec(ds, a), &q, &["tags", "labels", "base"]))
                .max_by_key(|a| (a.push_time, a.id))
        })
        .collect();
    latest.sort_by_key(|a| std::cmp::Reverse((a.push_time, a.id)));
    let items: Vec<Value> = latest
        .iter()
        .map(|a| render::artifact(ds, a, &opts))
        .collect();
    let mut r = json_response(&Value::Array(items));
    r.headers_mut().insert("x-total-count", latest.len().into());
    Ok(r)
}

fn not_found(project: &str, repo: &Option<String>, reference: &str) -> ApiError {
    let sep = if reference.starts_with("sha256:") {
        "@"
    } else {
        ":"
    };
    let repo = repo.as_deref().unwrap_or("");
    ApiError::not_found(format!(
        "artifact {project}/{repo}{sep}{reference} not found"
    ))
}

fn lookup<'a>(
    ctx: &Ctx<'a>,
    project: &str,
    repo: &Option<String>,
    reference: &str,
) -> Result<&'a Artifact, ApiError> {
    let p = ctx.project_by_name(project)?;
    find_repo(ctx, p, repo)
        .and_then(|r| ctx.ds.artifact_by_reference(r, reference))
        .ok_or_else(|| not_found(project, repo, reference))
}

/// `GET .../artifacts/{reference}` (tag or digest).
pub fn get(ctx: &Ctx, project: &str, repo: Option<String>, reference: &str) -> ApiResult {
    let opts = ctx.artifact_opts()?;
    let a = lookup(ctx, project, &repo, reference)?;
    Ok(json_response(&render::artifact(ctx.ds, a, &opts)))
}

struct TagRec<'a>(&'a Tag, &'a Artifact, i64);

impl Record for TagRec<'_> {
    fn field(&self, key: &str) -> Option<Field<'_>> {
        Some(match key {
            "id" => Field::Int(self.0.id),
            "name" => Field::Str(Cow::Borrowed(&self.0.name)),
            "push_time" => Field::Time(self.0.push_time),
            "pull_time" => Field::Time(self.0.pull_time.unwrap_or(NEVER_MS)),
            "artifact_id" => Field::Int(self.1.id),
            "repository_id" => Field::Int(self.2),
            _ => return None,
        })
    }
}

/// `GET .../artifacts/{reference}/tags`.
pub fn tags(ctx: &Ctx, project: &str, repo: Option<String>, reference: &str) -> ApiResult {
    let page = ctx.page()?;
    let with_immutable = ctx.flag("with_immutable_status", false)?;
    let q = ctx.q()?;
    let a = lookup(ctx, project, &repo, reference)?;
    let repo_id = ctx.ds.repo_of(a).id;
    let mut recs: Vec<TagRec> = a
        .tags
        .iter()
        .map(|t| TagRec(t, a, repo_id))
        .filter(|r| matches(r, &q, &[]))
        .collect();
    recs.sort_by_key(|r| r.0.id);
    Ok(ctx.sorted_list(page, recs, &["-push_time", "-id"], |r| {
        render::tag(r.0, a, repo_id, with_immutable)
    }))
}

/// `GET .../artifacts/{reference}/accessories`.
pub fn accessories(ctx: &Ctx, project: &str, repo: Option<String>, reference: &str) -> ApiResult {
    let page = ctx.page()?;
    let a = lookup(ctx, project, &repo, reference)?;
    let opts = render::ArtifactOpts {
        with_accessory: true,
        ..Default::default()
    };
    let all = match render::artifact(ctx.ds, a, &opts).get("accessories") {
        Some(Value::Array(v)) => v.clone(),
        _ => Vec::new(),
    };
    let items = page.slice(&all).to_vec();
    Ok(ctx.list(page, all.len(), items))
}

/// `GET .../artifacts/{reference}/additions/{addition}`.
pub fn addition(
    ctx: &Ctx,
    project: &str,
    repo: Option<String>,
    reference: &str,
    addition: &str,
) -> ApiResult {
    let a = lookup(ctx, project, &repo, reference)?;
    let ds = ctx.ds;
    match (addition, a.kind) {
        ("vulnerabilities", _) => Ok(json_response(&render::vulnerabilities(
            ds,
            a,
            ctx.accept_v11(),
        ))),
        ("build_history", ArtifactKind::Image) => Ok(json_response(&json!([
            {"created": crate::time::format_millis(a.push_time - 3_700_000),
             "created_by": "/bin/sh -c #(nop) ADD file:0b2c8f2 in / "},
            {"created": crate::time::format_millis(a.push_time - 3_600_000),
             "created_by": "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]", "empty_layer": true},
        ]))),
        ("readme.md" | "values.yaml", ArtifactKind::Chart) => {
            let body = format!("# {}\n\nreplicaCount: 1\n", ds.repo_of(a).name);
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response())
        }
        ("dependencies", ArtifactKind::Chart) => Ok(json_response(&json!([]))),
        _ => Err(ApiError::not_found(format!(
            "addition {addition} not found"
        ))),
    }
}

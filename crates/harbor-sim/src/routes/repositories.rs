//! `/repositories`, `/projects/{p}/repositories` and `/projects/{p}/repositories/{r}`.

use std::borrow::Cow;

use crate::auth::Principal;
use crate::dataset::Repository;
use crate::query::{matches, Field, Record};
use crate::render;

use super::{json_response, ApiError, ApiResult, Ctx};

struct Rec<'a>(&'a Repository, i64);

impl Record for Rec<'_> {
    fn field(&self, key: &str) -> Option<Field<'_>> {
        let r = self.0;
        Some(match key {
            "name" => Field::Str(Cow::Borrowed(&r.name)),
            "id" | "repository_id" => Field::Int(r.id),
            "project_id" => Field::Int(self.1),
            "artifact_count" => Field::Int(i64::from(r.top_level)),
            "pull_count" => Field::Int(r.pull_count as i64),
            "creation_time" => Field::Time(r.creation_time),
            "update_time" => Field::Time(r.update_time),
            _ => return None,
        })
    }
}

fn respond<'a>(ctx: &Ctx, repos: impl Iterator<Item = &'a Repository>) -> ApiResult {
    let page = ctx.page()?;
    let q = ctx.q()?;
    let ds = ctx.ds;
    let mut recs: Vec<Rec> = repos
        .map(|r| Rec(r, ds.projects[r.project as usize].id))
        .filter(|r| matches(r, &q, &[]))
        .collect();
    recs.sort_by_key(|r| r.0.id);
    let newest_first = ["-creation_time", "-id"];
    Ok(ctx.sorted_list(page, recs, &newest_first, |r| render::repository(ds, r.0)))
}

/// `GET /repositories`: repositories of every project the caller can read, except that
/// a robot gets those of public projects only, as from Harbor's project filter for this
/// route (a robot reads its private projects' repositories project by project).
pub fn list_all(ctx: &Ctx) -> ApiResult {
    ctx.page()?;
    let ds = ctx.ds;
    let robot = matches!(ctx.who, Principal::Robot { .. });
    let repos = ds
        .visible_projects(&ctx.who)
        .filter(|p| !robot || p.public)
        .flat_map(|p| p.repos.iter().map(|r| &ds.repositories[*r as usize]));
    respond(ctx, repos)
}

/// `GET /projects/{project_name}/repositories`.
pub fn list_in_project(ctx: &Ctx, project: &str) -> ApiResult {
    ctx.page()?;
    ctx.q()?;
    let p = ctx.project_by_name(project)?;
    respond(
        ctx,
        p.repos.iter().map(|r| &ctx.ds.repositories[*r as usize]),
    )
}

/// `GET /projects/{project_name}/repositories/{repository_name}`.
pub fn get(ctx: &Ctx, project: &str, repo: Option<String>) -> ApiResult {
    let p = ctx.project_by_name(project)?;
    let short = repo.unwrap_or_default();
    let full = format!("{}/{short}", p.name);
    match ctx.ds.repo_index(&full) {
        Some(i) => Ok(json_response(&render::repository(
            ctx.ds,
            &ctx.ds.repositories[i as usize],
        ))),
        None => Err(ApiError::not_found(format!("repository {full} not found"))),
    }
}

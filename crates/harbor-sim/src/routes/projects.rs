//! `/projects` and `/projects/{project_name_or_id}`.

use std::borrow::Cow;

use crate::dataset::{Dataset, Project};
use crate::query::{matches, Field, Record};
use crate::render;

use super::{json_response, ApiResult, Ctx};

struct Rec<'a>(&'a Project);

impl Record for Rec<'_> {
    fn field(&self, key: &str) -> Option<Field<'_>> {
        let p = self.0;
        Some(match key {
            "name" => Field::Str(Cow::Borrowed(&p.name)),
            "project_id" | "id" => Field::Int(p.id),
            "owner_id" => Field::Int(p.owner_id),
            "registry_id" => Field::Int(p.registry_id),
            "public" => Field::Str(Cow::Borrowed(if p.public { "true" } else { "false" })),
            "creation_time" => Field::Time(p.creation_time),
            "update_time" => Field::Time(p.update_time),
            _ => return None,
        })
    }
}

/// `GET /projects`: what the caller can see, filtered, sorted by name by default.
pub fn list(ctx: &Ctx) -> ApiResult {
    let page = ctx.page()?;
    let public = ctx
        .param("public")
        .map(|_| ctx.flag("public", false))
        .transpose()?;
    let with_detail = ctx.flag("with_detail", true)?;
    let q = ctx.q()?;
    let name = ctx.param("name").map(str::to_lowercase);
    let owner = ctx.param("owner");
    let ds: &Dataset = ctx.ds;
    let recs: Vec<Rec> = ds
        .visible_projects(&ctx.who)
        .filter(|p| public.is_none_or(|want| p.public == want))
        .filter(|p| {
            name.as_ref()
                .is_none_or(|n| p.name.to_lowercase().contains(n))
        })
        .filter(|_| owner.is_none_or(|o| o == "admin"))
        .map(Rec)
        .filter(|r| matches(r, &q, &[]))
        .collect();
    Ok(ctx.sorted_list(page, recs, &["name"], |r| {
        render::project(ds, r.0, &ctx.who, with_detail)
    }))
}

/// `GET /projects/{project_name_or_id}`.
pub fn get(ctx: &Ctx, name_or_id: &str) -> ApiResult {
    let p = ctx.project_by_name_or_id(name_or_id)?;
    Ok(json_response(&render::project(ctx.ds, p, &ctx.who, true)))
}

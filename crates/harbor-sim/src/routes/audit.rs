//! `/projects/{project_name_or_id}/summary`, `/security/summary`, `/security/vul`
//! (rules in [`crate::security`]).

use axum::http::HeaderValue;

use crate::security;

use super::{json_response, ApiError, ApiResult, Ctx};

/// Above this many matches `tune_count=true` answers `X-Total-Count: -1`.
const TUNE_COUNT_LIMIT: usize = 1_000;

/// `GET /projects/{project_name_or_id}/summary`.
pub fn project_summary(ctx: &Ctx, name_or_id: &str) -> ApiResult {
    let p = ctx.project_by_name_or_id(name_or_id)?;
    Ok(json_response(&security::project_summary(
        ctx.ds, p, &ctx.who,
    )))
}

fn require_hub(ctx: &Ctx) -> Result<(), ApiError> {
    match &ctx.who {
        w if security::may_read_hub(w) => Ok(()),
        w if w.is_authenticated() => Err(ApiError::forbidden()),
        _ => Err(ApiError::unauthorized()),
    }
}

/// `GET /security/summary[?with_dangerous_cve=true&with_dangerous_artifact=true]`.
pub fn summary(ctx: &Ctx) -> ApiResult {
    require_hub(ctx)?;
    let cves = ctx.flag("with_dangerous_cve", false)?;
    let artifacts = ctx.flag("with_dangerous_artifact", false)?;
    Ok(json_response(&security::summary(ctx.ds, cves, artifacts)))
}

/// `GET /security/vul?q=...&page=&page_size=&tune_count=&with_tag=`.
pub fn vulnerabilities(ctx: &Ctx) -> ApiResult {
    require_hub(ctx)?;
    let page = ctx.page()?;
    let q = ctx.q()?;
    let tune = ctx.flag("tune_count", false)?;
    let with_tag = ctx.flag("with_tag", false)?;
    let ds = ctx.ds;
    let found: Vec<security::Finding> = security::all_findings(ds)
        .into_iter()
        .filter(|f| security::finding_matches(ds, f, &q))
        .collect();
    let items = page
        .slice(&found)
        .iter()
        .map(|f| security::item(ds, f, with_tag))
        .collect();
    let mut r = ctx.list(page, found.len(), items);
    if tune && found.len() > TUNE_COUNT_LIMIT {
        r.headers_mut()
            .insert("x-total-count", HeaderValue::from_static("-1"));
    }
    Ok(r)
}

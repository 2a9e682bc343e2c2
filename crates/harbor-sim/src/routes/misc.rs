//! `/systeminfo`, `/users/current`, `/health`, `/ping`, `/labels`, `/statistics`, `/search`.

use std::borrow::Cow;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::dataset::{Label, ScanState};
use crate::hostile::{self, field};
use crate::query::{matches, Field, Record};
use crate::render;
use crate::time;

use super::{json_response, ApiError, ApiResult, Ctx};

/// `GET /systeminfo`: anonymous callers get only the auth-related fields (and, up to
/// 2.12, `harbor_version`); `oidc_provider_name` is always there, `""` with database
/// auth.
pub fn systeminfo(ctx: &Ctx) -> ApiResult {
    let ds = ctx.ds;
    let mut m = Map::new();
    m.insert("auth_mode".into(), json!("db_auth"));
    m.insert("primary_auth_mode".into(), json!(false));
    m.insert("self_registration".into(), json!(false));
    let banner = hostile::text(ds.hostile, ds.seed, field::BANNER, 1, "");
    m.insert("banner_message".into(), json!(banner));
    m.insert("oidc_provider_name".into(), json!(""));
    let version = ctx.sim.config().version;
    if version.anonymous_sees_version() {
        m.insert(
            "harbor_version".into(),
            json!(version.harbor_version_string()),
        );
    }
    if ctx.who.is_authenticated() {
        let host = ctx
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("harbor.example.com");
        m.insert(
            "harbor_version".into(),
            json!(version.harbor_version_string()),
        );
        m.insert("external_url".into(), json!(format!("http://{host}")));
        m.insert("registry_url".into(), json!(host));
        m.insert("current_time".into(), json!(time::format_millis(ds.now)));
        m.insert("read_only".into(), json!(false));
        m.insert("has_ca_root".into(), json!(false));
        m.insert("project_creation_restriction".into(), json!("everyone"));
        m.insert("registry_storage_provider_name".into(), json!("filesystem"));
        m.insert("notification_enable".into(), json!(true));
    }
    Ok(json_response(&Value::Object(m)))
}

/// `GET /users/current`: 401 anonymous, 412 for robots. An empty `comment` is left out
/// (go-swagger's `omitempty`).
pub fn current_user(ctx: &Ctx) -> ApiResult {
    if !ctx.who.is_authenticated() {
        return Err(ApiError::unauthorized());
    }
    if ctx.who.is_robot() {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION",
            "get current user not available for security context: robot",
        ));
    }
    let acct = ctx
        .ds
        .account_of(&ctx.who)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(json_response(&json!({
        "user_id": acct.id,
        "username": acct.name,
        "email": format!("{}@example.com", acct.name),
        "realname": acct.realname,
        "sysadmin_flag": acct.sysadmin,
        "admin_role_in_auth": false,
        "creation_time": time::format_millis(1_640_995_200_000),
        "update_time": time::format_millis(1_640_995_200_000),
    })))
}

/// `GET /health`.
pub fn health(_ctx: &Ctx) -> ApiResult {
    let names = [
        "core",
        "database",
        "jobservice",
        "portal",
        "redis",
        "registry",
        "registryctl",
        "trivy",
    ];
    let components: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "status": "healthy"}))
        .collect();
    Ok(json_response(
        &json!({"status": "healthy", "components": components}),
    ))
}

/// `GET /ping`: `Pong` as text.
pub fn ping() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Pong",
    )
        .into_response()
}

struct LabelRec<'a>(&'a Label);

impl Record for LabelRec<'_> {
    fn field(&self, key: &str) -> Option<Field<'_>> {
        let l = self.0;
        Some(match key {
            "id" => Field::Int(l.id),
            "name" => Field::Str(Cow::Borrowed(&l.name)),
            "scope" => Field::Str(Cow::Borrowed(l.scope)),
            "project_id" => Field::Int(l.project_id),
            "creation_time" | "update_time" => Field::Time(l.creation_time),
            _ => return None,
        })
    }
}

/// `GET /labels?scope=g|p[&project_id=N]`.
pub fn labels(ctx: &Ctx) -> ApiResult {
    let page = ctx.page()?;
    let q = ctx.q()?;
    let scope = ctx.param("scope").unwrap_or("");
    let project_id = match scope {
        "g" => None,
        "p" => {
            let raw = ctx.param("project_id").unwrap_or("");
            let id: i64 = if raw.is_empty() {
                0
            } else {
                raw.parse().map_err(|_| {
                    ApiError::unprocessable(format!(
                        "validation failure list:\nproject_id in query must be of type int64: \"{raw}\""
                    ))
                })?
            };
            if id == 0 {
                return Err(ApiError::bad_request(
                    "must with project ID when to query project labels",
                ));
            }
            let p = ctx
                .who
                .check_project(ctx.ds.project_by_id(id))
                .map_err(|d| ApiError::denied(d, raw))?;
            Some(p.id)
        }
        other => return Err(ApiError::bad_request(format!("invalid scope: {other}"))),
    };
    let name = ctx.param("name").map(str::to_lowercase);
    let recs: Vec<LabelRec> = ctx
        .ds
        .labels
        .iter()
        .filter(|l| l.scope == scope && project_id.is_none_or(|p| l.project_id == p))
        .filter(|l| {
            name.as_ref()
                .is_none_or(|n| l.name.to_lowercase().contains(n))
        })
        .map(LabelRec)
        .filter(|r| matches(r, &q, &[]))
        .collect();
    Ok(ctx.sorted_list(page, recs, &["id"], |r| render::label(r.0)))
}

/// `GET /statistics`: 401 anonymous; `total_*` only filled for system admins.
pub fn statistics(ctx: &Ctx) -> ApiResult {
    if !ctx.who.is_authenticated() {
        return Err(ApiError::unauthorized());
    }
    let ds = ctx.ds;
    let admin = ctx.who.is_sysadmin();
    let (mut pub_p, mut pub_r, mut priv_p, mut priv_r) = (0usize, 0usize, 0usize, 0usize);
    for p in &ds.projects {
        if p.public {
            pub_p += 1;
            pub_r += p.repos.len();
        } else if admin || ctx.who.is_member(p.id) {
            priv_p += 1;
            priv_r += p.repos.len();
        }
    }
    let (tp, tr, ts) = if admin {
        (
            ds.projects.len(),
            ds.repositories.len(),
            ds.artifacts.iter().map(|a| a.size).sum::<u64>(),
        )
    } else {
        (0, 0, 0)
    };
    Ok(json_response(&json!({
        "private_project_count": priv_p,
        "private_repo_count": priv_r,
        "public_project_count": pub_p,
        "public_repo_count": pub_r,
        "total_project_count": tp,
        "total_repo_count": tr,
        "total_storage_consumption": ts,
    })))
}

/// `GET /search?q=`: projects and repositories whose names contain `q`. Robots only see
/// public projects here.
pub fn search(ctx: &Ctx) -> ApiResult {
    let Some(q) = ctx.param("q") else {
        return Err(ApiError::unprocessable(
            "validation failure list:\nq in query is required",
        ));
    };
    let needle = q.to_lowercase();
    let ds = ctx.ds;
    let visible: Vec<_> = ds
        .visible_projects(&ctx.who)
        .filter(|p| !ctx.who.is_robot() || p.public)
        .collect();
    let projects: Vec<Value> = visible
        .iter()
        .filter(|p| p.name.to_lowercase().contains(&needle))
        .map(|p| render::project(ds, p, &ctx.who, true))
        .collect();
    let mut repos: Vec<Value> = Vec::new();
    for p in &visible {
        for r in &p.repos {
            let r = &ds.repositories[*r as usize];
            if r.name.to_lowercase().contains(&needle) {
                repos.push(json!({
                    "project_id": p.id,
                    "project_name": p.name,
                    "project_public": p.public,
                    "repository_name": r.name,
                    "pull_count": r.pull_count,
                    "artifact_count": r.top_level,
                }));
            }
        }
    }
    let _ = ScanState::Success;
    Ok(json_response(
        &json!({"project": projects, "repository": repos}),
    ))
}

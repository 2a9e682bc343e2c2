//! Request routing and the pieces every handler shares (errors, parameters, lists).
//!
//! Routing is done by hand on the raw path rather than with axum path parameters, because
//! Harbor's repository names depend on exactly how many times a segment was decoded.

mod artifacts;
mod audit;
mod misc;
mod projects;
mod repositories;
mod sim;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::auth::{Denial, Principal};
use crate::dataset::{Dataset, Project};
use crate::paging::{query_pairs, Page};
use crate::query::{self, parse_sort, sort_keys, sort_records, Query, Record, SortKey};
use crate::render::{ArtifactOpts, MIME_V11};
use crate::Sim;

/// The full router: `/_sim/*` endpoints, everything else through the Harbor dispatcher.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/_sim/stats", get(sim::stats))
        .route("/_sim/reset", axum::routing::post(sim::reset))
        .route(
            "/_sim/faults",
            axum::routing::put(sim::put_faults).get(sim::get_faults),
        )
        .route("/_sim/truth", get(sim::truth))
        .route("/_sim/truth/cves", get(sim::cve_truth))
        .route("/_sim/info", get(sim::info))
        .route("/_sim/mutate", axum::routing::post(sim::mutate))
        .route_layer(axum::middleware::from_fn(same_origin_only))
        .fallback(api)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            crate::middleware::harbor_layer,
        ))
        .with_state(sim)
}

/// Refuses `/_sim/*` requests a browser makes for another site: `Sec-Fetch-Site` other
/// than `same-origin` or `none`, or an `Origin` whose host and port differ from `Host`.
/// These routes need no credentials, so without this any web page could reset or mutate
/// a demo its visitor has open. Scripts and tests (no such headers) are unaffected.
async fn same_origin_only(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = req.headers();
    let site_ok = headers
        .get("sec-fetch-site")
        .is_none_or(|s| s == "same-origin" || s == "none");
    let origin_ok = headers.get(header::ORIGIN).is_none_or(|origin| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        let from = origin.to_str().ok().and_then(|o| o.split_once("://"));
        matches!((from, host), (Some((_, a)), Some(h)) if a.eq_ignore_ascii_case(h))
    });
    if site_ok && origin_ok {
        next.run(req).await
    } else {
        let why = "cross-site requests to /_sim/ are refused";
        ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", why).into_response()
    }
}

/// A Harbor error response: `{"errors":[{"code":..,"message":..}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Harbor's code (`NOT_FOUND`, ...).
    pub code: &'static str,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// Any error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized")
    }
    /// 403 `FORBIDDEN`.
    pub fn forbidden() -> Self {
        Self::forbidden_with("forbidden")
    }
    /// 403 `FORBIDDEN` with a message.
    pub fn forbidden_with(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }
    /// 404 `NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
    /// 400 `BAD_REQUEST`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }
    /// 422 from parameter validation.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            message,
        )
    }
    /// 500 with Harbor's fixed body.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "internal server error",
        )
    }
    /// The response to a refused project read.
    pub fn denied(d: Denial, what: &str) -> Self {
        match d {
            Denial::Unauthorized => Self::unauthorized(),
            Denial::Forbidden => Self::forbidden(),
            Denial::NotFound => Self::not_found(format!("project {what} not found")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Harbor rewrites every 5xx message; the real cause only goes to its log.
        let (code, message) = if self.status.is_server_error() {
            ("UNKNOWN", "internal server error".to_string())
        } else {
            (self.code, self.message)
        };
        let body = serde_json::json!({"errors": [{"code": code, "message": message}]});
        let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
        bytes.push(b'\n');
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response()
    }
}

/// Handler result.
pub type ApiResult = Result<Response, ApiError>;

/// A JSON 200 with Harbor's trailing newline.
pub fn json_response(v: &Value) -> Response {
    serialized_response(v)
}

/// A JSON 200 of any serialisable value, written straight to bytes (no `Value` tree, which
/// matters for the 100,000-row ground truth).
pub fn serialized_response<T: serde::Serialize + ?Sized>(v: &T) -> Response {
    let mut bytes = serde_json::to_vec(v).unwrap_or_default();
    bytes.push(b'\n');
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Everything a handler needs about the request.
pub struct Ctx<'a> {
    /// The simulator.
    pub sim: &'a Sim,
    /// Its dataset.
    pub ds: &'a Dataset,
    /// The caller.
    pub who: Principal,
    /// Raw request path.
    pub path: &'a str,
    /// Decoded query pairs in request order.
    pub pairs: Vec<(String, String)>,
    /// Request headers.
    pub headers: &'a HeaderMap,
}

impl Ctx<'_> {
    /// First value of a query parameter (Go's `Query().Get`).
    pub fn param(&self, k: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter, validated like go-swagger (422 on garbage).
    pub fn flag(&self, k: &str, default: bool) -> Result<bool, ApiError> {
        match self.param(k) {
            None | Some("") => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" | "on" | "t" => Ok(true),
                "false" | "0" | "no" | "n" | "off" | "f" => Ok(false),
                _ => Err(ApiError::unprocessable(format!(
                    "validation failure list:\n{k} in query must be of type boolean: \"{v}\""
                ))),
            },
        }
    }

    /// Validated paging.
    pub fn page(&self) -> Result<Page, ApiError> {
        Page::from_pairs(&self.pairs).map_err(|e| ApiError::unprocessable(e.to_string()))
    }

    /// Parsed `q` (400 on syntax errors).
    pub fn q(&self) -> Result<Query, ApiError> {
        query::parse_q(self.param("q").unwrap_or(""))
            .map_err(|e| ApiError::bad_request(e.to_string()))
    }

    /// Parsed `sort`.
    pub fn sort(&self) -> Vec<SortKey> {
        parse_sort(self.param("sort").unwrap_or(""))
    }

    /// Emulating Harbor >= 2.12.
    pub fn v212(&self) -> bool {
        self.sim.config().version.project_artifacts()
    }

    /// Whether `X-Accept-Vulnerabilities` lets the version=1.1 report through. Each
    /// comma-separated type is trimmed and must then equal a known type exactly (case
    /// and inner spaces included); unknown types are dropped, and with none left Harbor
    /// falls back to the native type.
    pub fn accept_v11(&self) -> bool {
        let Some(h) = self
            .headers
            .get("x-accept-vulnerabilities")
            .and_then(|v| v.to_str().ok())
        else {
            return true;
        };
        // Only the version=1.1 type has reports here; the native type never does.
        h.split(',').map(str::trim).any(|t| t == MIME_V11)
    }

    /// Validates boolean parameters that are accepted but have no effect here.
    fn validate_flags(&self, names: &[&str]) -> Result<(), ApiError> {
        for n in names {
            self.flag(n, false)?;
        }
        Ok(())
    }

    /// The artifact rendering flags of this request.
    pub fn artifact_opts(&self) -> Result<ArtifactOpts, ApiError> {
        // Accepted (and validated) but not rendered by the simulator.
        self.validate_flags(&["with_sbom_overview", "with_signature"])?;
        // Before 2.16 the parameter is unknown, and go-swagger ignores unknown ones.
        let inherited = self.sim.config().version.inherited_accessories();
        let with_inherited_accessory = inherited && self.flag("with_inherited_accessory", false)?;
        Ok(ArtifactOpts {
            with_tag: self.flag("with_tag", true)?,
            with_label: self.flag("with_label", false)?,
            with_scan_overview: self.flag("with_scan_overview", false)?,
            with_immutable_status: self.flag("with_immutable_status", false)?,
            with_accessory: self.flag("with_accessory", false)?,
            with_inherited_accessory,
            accept_v11: self.accept_v11(),
        })
    }

    /// The project named in a `{project_name}` segment, checked for read access.
    pub fn project_by_name(&self, name: &str) -> Result<&Project, ApiError> {
        self.who
            .check_project(self.ds.project_by_name(name))
            .map_err(|d| ApiError::denied(d, name))
    }

    /// The project of a `{project_name_or_id}` segment (`X-Is-Resource-Name` honoured).
    pub fn project_by_name_or_id(&self, v: &str) -> Result<&Project, ApiError> {
        let is_name = self
            .headers
            .get("x-is-resource-name")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| h.eq_ignore_ascii_case("true"));
        let found = if !is_name && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            v.parse::<i64>()
                .ok()
                .and_then(|id| self.ds.project_by_id(id))
        } else {
            self.ds.project_by_name(v)
        };
        self.who
            .check_project(found)
            .map_err(|d| ApiError::denied(d, v))
    }

    /// A list response over records, as Harbor's list endpoints answer: `recs` sorted by
    /// the request's `sort` (by `default` when it names no known field; ties keep the
    /// order `recs` came in), and the page asked for rendered by `render`.
    pub fn sorted_list<R: Record>(
        &self,
        page: Page,
        mut recs: Vec<R>,
        default: &[&str],
        render: impl Fn(&R) -> Value,
    ) -> Response {
        sort_records(&mut recs, &self.sort(), &sort_keys(default));
        let items = page.slice(&recs).iter().map(render).collect();
        self.list(page, recs.len(), items)
    }

    /// A list response: the page of `items`, `X-Total-Count` and `Link`.
    pub fn list(&self, page: Page, total: usize, items: Vec<Value>) -> Response {
        let mut r = json_response(&Value::Array(items));
        let h = r.headers_mut();
        h.insert("x-total-count", HeaderValue::from(total as u64));
        if let Some(link) = page.link(self.path, &self.pairs, total as i64) {
            if let Ok(v) = HeaderValue::from_str(&link) {
                h.insert(header::LINK, v);
            }
        }
        r
    }
}

/// A repository path segment. Harbor decodes it twice (router, then handler), so only a
/// twice-encoded slash (`a%252Fb`) names `a/b`. A once-encoded slash (`a%2Fb`) is taken as
/// a wrongly encoded name that matches nothing.
pub fn repo_segment(raw: &str) -> Option<String> {
    if raw.to_ascii_lowercase().contains("%2f") {
        return None;
    }
    let once = query::path_unescape(raw)?;
    query::path_unescape(&once)
}

fn route_not_found(path: &str) -> ApiError {
    ApiError::not_found(format!("path {path} was not found"))
}

/// What Harbor answers a method the simulator does not serve, before any handler: a
/// non-safe method that carries the `sid` session cookie fails the CSRF check (403,
/// the simulator never hands out a token); every method but GET gets 405, except
/// HEAD on `/projects` (Harbor's `headProject`).
fn refuse_method(method: &Method, rest: &str, headers: &HeaderMap) -> Option<ApiError> {
    let safe = matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if !safe && has_session_cookie(headers) {
        return Some(ApiError::forbidden_with("CSRF token invalid"));
    }
    let head_project = *method == Method::HEAD && rest.trim_end_matches('/') == "/projects";
    if *method == Method::GET || head_project {
        return None;
    }
    Some(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("method {method} is not allowed"),
    ))
}

/// True when a `Cookie` header carries `sid`.
fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim().split_once('=').is_some_and(|(k, _)| k == "sid"))
}

/// `HEAD /projects?project_name=x`: 200 when a project of that name exists, else 404
/// (Harbor checks existence for the "new project" form; a missing name is a 422).
fn head_project(sim: &Sim, uri: &Uri) -> Response {
    let pairs = query_pairs(uri.query());
    let name = pairs
        .iter()
        .find(|(k, _)| k == "project_name")
        .map(|(_, v)| v.as_str());
    let status = match name {
        None | Some("") => StatusCode::UNPROCESSABLE_ENTITY,
        Some(n) if sim.dataset().project_by_name(n).is_some() => StatusCode::OK,
        Some(_) => StatusCode::NOT_FOUND,
    };
    status.into_response()
}

async fn api(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    let Some(rest) = path.strip_prefix("/api/v2.0") else {
        return route_not_found(path).into_response();
    };
    if let Some(refused) = refuse_method(&method, rest, &headers) {
        return refused.into_response();
    }
    if method == Method::HEAD {
        return head_project(&sim, &uri);
    }
    let ds = sim.dataset();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let who = sim.authenticate(auth).await;
    let ctx = Ctx {
        sim: &sim,
        ds,
        who,
        path,
        pairs: query_pairs(uri.query()),
        headers: &headers,
    };
    let raw: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let seg = |i: usize| -> String {
        raw.get(i)
            .map(|s| query::path_unescape(s).unwrap_or_else(|| s.to_string()))
            .unwrap_or_default()
    };
    let result = match raw.as_slice() {
        ["systeminfo"] => misc::systeminfo(&ctx),
        ["users", "current"] => misc::current_user(&ctx),
        ["health"] => misc::health(&ctx),
        ["ping"] => Ok(misc::ping()),
        ["labels"] => misc::labels(&ctx),
        ["statistics"] => misc::statistics(&ctx),
        ["search"] => misc::search(&ctx),
        ["projects"] => projects::list(&ctx),
        ["projects", _] => projects::get(&ctx, &seg(1)),
        ["projects", _, "summary"] => audit::project_summary(&ctx, &seg(1)),
        ["security", "summary"] => audit::summary(&ctx),
        ["security", "vul"] => audit::vulnerabilities(&ctx),
        ["repositories"] => repositories::list_all(&ctx),
        ["projects", _, "repositories"] => repositories::list_in_project(&ctx, &seg(1)),
        ["projects", _, "repositories", r] => repositories::get(&ctx, &seg(1), repo_segment(r)),
        ["projects", _, "artifacts"] if ctx.v212() => artifacts::list_in_project(&ctx, &seg(1)),
        ["projects", _, "repositories", r, "artifacts"] => {
            artifacts::list_in_repo(&ctx, &seg(1), repo_segment(r))
        }
        ["projects", _, "repositories", r, "artifacts", _] => {
            artifacts::get(&ctx, &seg(1), repo_segment(r), &seg(5))
        }
        ["projects", _, "repositories", r, "artifacts", _, "tags"] => {
            artifacts::tags(&ctx, &seg(1), repo_segment(r), &seg(5))
        }
        ["projects", _, "repositories", r, "artifacts", _, "accessories"] => {
            artifacts::accessories(&ctx, &seg(1), repo_segment(r), &seg(5))
        }
        ["projects", _, "repositories", r, "artifacts", _, "additions", a] => {
            artifacts::addition(&ctx, &seg(1), repo_segment(r), &seg(5), a)
        }
        _ => Err(route_not_found(path)),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

//! `/_sim/*`: counters, resets, fault plans and ground truth for tests and benches.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::FaultPlan;
use crate::Sim;

use super::{json_response, ApiError};

/// `GET /_sim/stats`.
pub async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    super::serialized_response(&sim.stats())
}

/// `POST /_sim/reset`: zero the counters (204).
pub async fn reset(State(sim): State<Arc<Sim>>) -> Response {
    sim.reset_stats();
    StatusCode::NO_CONTENT.into_response()
}

/// `PUT /_sim/faults`: replace the fault plan (`{}` = none); answers with the plan.
pub async fn put_faults(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &body[..]
    };
    match serde_json::from_slice::<FaultPlan>(text) {
        Ok(plan) => {
            sim.set_faults(plan.clone());
            json_response(&json!(plan))
        }
        Err(e) => ApiError::bad_request(format!("invalid fault plan: {e}")).into_response(),
    }
}

/// `GET /_sim/faults`: the current plan.
pub async fn get_faults(State(sim): State<Arc<Sim>>) -> Response {
    json_response(&json!(sim.faults()))
}

/// A ground-truth answer for the principal named by `?as=` (anonymous when absent):
/// `of`'s, or the [`crate::dataset::TruthSummary`] of counts where the dataset is too
/// large to list (xlarge).
fn truth_as<T: serde::Serialize>(
    sim: &Sim,
    q: &HashMap<String, String>,
    of: impl FnOnce(&crate::Dataset, &crate::Principal) -> T,
) -> Response {
    let name = q.get("as").map(String::as_str).unwrap_or("anonymous");
    let ds = sim.dataset();
    match ds.principal_by_name(name) {
        Some(p) if ds.truth_is_summarised() => super::serialized_response(&ds.truth_summary(&p)),
        Some(p) => super::serialized_response(&of(ds, &p)),
        None => ApiError::not_found(format!("no principal {name:?}")).into_response(),
    }
}

/// `GET /_sim/truth?as=<username|anonymous>`: every artifact that principal can list;
/// for the xlarge preset, a [`crate::dataset::TruthSummary`] of counts instead.
pub async fn truth(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    truth_as(&sim, &q, crate::Dataset::truth)
}

/// `GET /_sim/truth/cves?as=<username|anonymous>`: every CVE in the reports of the
/// artifacts that principal can list, with the artifacts it affects (for xlarge, the
/// same counts as `/_sim/truth`).
pub async fn cve_truth(
    State(sim): State<Arc<Sim>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    truth_as(&sim, &q, crate::Dataset::cve_truth)
}

/// `POST /_sim/mutate`: body `{"repositories":N,"push":K,"delete":D,"project":"name"}`
/// (all optional); answers with the [`crate::MutationReport`].
pub async fn mutate(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &body[..]
    };
    match serde_json::from_slice::<crate::Mutation>(text) {
        Ok(m) => json_response(&json!(sim.mutate(&m))),
        Err(e) => ApiError::bad_request(format!("invalid mutation: {e}")).into_response(),
    }
}

/// `GET /_sim/info`: configuration, sizes and the built-in accounts.
pub async fn info(State(sim): State<Arc<Sim>>) -> Response {
    let ds = sim.dataset();
    let cfg = sim.config();
    let accounts: Vec<_> = ds
        .accounts
        .iter()
        .map(|a| json!({"name": a.name, "secret": a.secret, "sysadmin": a.sysadmin,
                        "robot": a.kind == crate::dataset::AccountKind::Robot, "projects": a.projects}))
        .collect();
    json_response(&json!({
        "preset": cfg.preset,
        "seed": cfg.seed,
        "version": cfg.version.to_string(),
        "harbor_version": cfg.version.harbor_version_string(),
        "hostile": cfg.hostile,
        "projects": ds.projects.len(),
        "repositories": ds.repositories.len(),
        "artifacts": ds.artifact_count(),
        "accounts": accounts,
    }))
}

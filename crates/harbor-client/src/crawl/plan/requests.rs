//! The wire side of the plan: the path of each kind of request, and what a response
//! comes to (decoded data, or a failed attempt and whether to try again).

use std::sync::Arc;
use std::time::Duration;

use super::*;

/// A successful response, decoded.
pub(super) enum Parsed {
    Info(GeneralInfo),
    User(Principal),
    Projects(Vec<Project>, Option<u64>),
    Repositories(Vec<Repository>, Option<u64>),
    Artifacts(Vec<Artifact>, Option<u64>),
    Report(VulnerabilityAddition),
}

/// What one attempt came to.
pub(super) enum Outcome {
    Parsed(Parsed),
    Failed(Attempt),
}

/// A failed attempt.
pub(super) struct Attempt {
    pub(super) failure: Failure,
    pub(super) retryable: bool,
    pub(super) retry_after: Option<Duration>,
    pub(super) request_id: Option<String>,
}

impl Planner {
    pub(super) fn path_for(&mut self, kind: &RequestKind) -> ApiPath {
        // Harbor before 2.16 ignores the unknown parameter, so it is also asked for when
        // the release is not known (anonymous callers are not told it from 2.13).
        let inherited = self.discovery.version.is_none_or(|v| v >= (2, 16));
        let artifact_params = |path: ApiPath, page: u32, scope: &Scope, q: &Option<String>| {
            let mut path = path
                .with_param("page", page)
                .with_param("page_size", scope.page_size)
                .with_param("with_tag", true)
                .with_param("with_label", scope.labels)
                .with_param("with_scan_overview", scope.scan_overview)
                .with_param("with_accessory", true);
            if inherited {
                path = path.with_param("with_inherited_accessory", true);
            }
            match q {
                Some(q) => path.with_param("q", q),
                None => path,
            }
        };
        match kind {
            RequestKind::SystemInfo => ApiPath::systeminfo(),
            RequestKind::CurrentUser => ApiPath::current_user(),
            RequestKind::Projects { page } => ApiPath::projects()
                .with_param("page", page)
                .with_param("page_size", MAX_PAGE_SIZE),
            RequestKind::AllRepositories { page } => ApiPath::all_repositories()
                .with_param("page", page)
                .with_param("page_size", MAX_PAGE_SIZE),
            RequestKind::Repositories { project, page } => {
                let path = ApiPath::repositories(project)
                    .with_param("page", page)
                    .with_param("page_size", MAX_PAGE_SIZE);
                match self.repository_q(project) {
                    Some(q) => path.with_param("q", q),
                    None => path,
                }
            }
            RequestKind::ProjectArtifacts { project, page } => artifact_params(
                ApiPath::project_artifacts(project),
                *page,
                &self.scope,
                &self.artifact_q,
            ),
            RequestKind::Artifacts {
                project,
                repository,
                page,
            } => artifact_params(
                ApiPath::artifacts(project, repository),
                *page,
                &self.scope,
                &self.artifact_q,
            ),
            RequestKind::Vulnerabilities {
                project,
                repository,
                digest,
                ..
            } => ApiPath::vulnerabilities(project, repository, digest),
            RequestKind::ChangedRepositories {
                project,
                since,
                page,
            } => {
                let path = match project {
                    Some(p) => ApiPath::repositories(p),
                    None => ApiPath::all_repositories(),
                };
                let q = Q::new().range("update_time", Some(&**since), None);
                let path = path
                    .with_param("page", page)
                    .with_param("page_size", MAX_PAGE_SIZE);
                match q {
                    Ok(q) => path.with_param("q", q.as_str()),
                    Err(_) => path,
                }
            }
            RequestKind::ChangedArtifacts {
                project,
                repositories,
                page,
            } => {
                let mut q = Q::new()
                    .union("repository_name", repositories)
                    .unwrap_or_default();
                if let Some(more) = &self.artifact_q {
                    q = q.raw(more);
                }
                let q = (!q.is_empty()).then(|| q.as_str());
                artifact_params(ApiPath::project_artifacts(project), *page, &self.scope, &q)
            }
        }
    }

    pub(super) fn repository_q(&mut self, project: &Arc<str>) -> Option<String> {
        let scope = &self.scope;
        self.repository_q
            .entry(project.clone())
            .or_insert_with(|| scope.repository_q(project).ok().flatten())
            .clone()
    }

    /// Turns a transport result into decoded data or a failed attempt.
    pub(super) fn interpret(
        &self,
        task: &Task,
        result: Result<Response, TransportError>,
    ) -> Outcome {
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Failed(Attempt {
                    retryable: e.kind != NetworkErrorKind::Aborted,
                    failure: Failure::Network {
                        kind: e.kind,
                        message: e.message,
                    },
                    retry_after: None,
                    request_id: task.last_request_id.clone(),
                })
            }
        };
        let request_id = response
            .request_id()
            .map(str::to_owned)
            .or_else(|| task.last_request_id.clone());
        if task.kind == RequestKind::CurrentUser {
            match response.status {
                401 => return Outcome::Parsed(Parsed::User(Principal::Anonymous)),
                412 => return Outcome::Parsed(Parsed::User(Principal::Robot)),
                _ => {}
            }
        }
        if !(200..300).contains(&response.status) {
            let harbor = Errors::first_of(&response.body);
            let body_note = if harbor.is_some() {
                None
            } else {
                Some(describe_body(&response))
            };
            let retryable = is_retryable_status(response.status);
            return Outcome::Failed(Attempt {
                failure: Failure::Http {
                    status: response.status,
                    harbor,
                    body_note,
                },
                retryable,
                retry_after: response.retry_after(),
                request_id,
            });
        }
        let total = response.total_count();
        let body = &response.body;
        let parsed = match &task.kind {
            RequestKind::SystemInfo => serde_json::from_slice(body).map(Parsed::Info),
            RequestKind::CurrentUser => serde_json::from_slice::<UserResp>(body).map(|u| {
                Parsed::User(Principal::User {
                    username: u.username,
                    sysadmin: u.sysadmin_flag,
                })
            }),
            RequestKind::Projects { .. } => {
                serde_json::from_slice(body).map(|list| Parsed::Projects(list, total))
            }
            RequestKind::Repositories { .. }
            | RequestKind::AllRepositories { .. }
            | RequestKind::ChangedRepositories { .. } => {
                serde_json::from_slice(body).map(|list| Parsed::Repositories(list, total))
            }
            RequestKind::ProjectArtifacts { .. }
            | RequestKind::Artifacts { .. }
            | RequestKind::ChangedArtifacts { .. } => {
                serde_json::from_slice(body).map(|list| Parsed::Artifacts(list, total))
            }
            RequestKind::Vulnerabilities { .. } => serde_json::from_slice(body).map(Parsed::Report),
        };
        match parsed {
            Ok(parsed) => Outcome::Parsed(parsed),
            Err(e) => Outcome::Failed(Attempt {
                failure: Failure::BadBody {
                    status: response.status,
                    content_type: response.content_type().map(str::to_owned),
                    message: format!("{e} ({} bytes: {})", body.len(), snippet(body)),
                },
                retryable: self.config.retry.retry_bad_bodies,
                retry_after: None,
                request_id,
            }),
        }
    }
}

/// When a request chosen at `chosen` and read at `now` went out and when its answer
/// came, for its latency: the transport's own times where it knows them. The browser may
/// send a request a little after the engine chose it ([`Response::sent`]: the engine was
/// busy), and an answer may wait while the engine finishes another
/// ([`Response::arrived`]); both waits are ours, not the server's. Otherwise `chosen`
/// and `now`.
pub(super) fn timed(
    chosen: Duration,
    now: Duration,
    result: &Result<Response, TransportError>,
) -> (Duration, Duration) {
    let arrived = transport_time(result, |r| r.arrived, chosen..=now).unwrap_or(now);
    let went = transport_time(result, |r| r.sent, chosen..=arrived).unwrap_or(chosen);
    (went, arrived)
}

/// A time the transport gave with the answer, if it lies within `life`: one outside the
/// request's life comes from a clock the engine does not share, and is ignored.
fn transport_time(
    result: &Result<Response, TransportError>,
    time: fn(&Response) -> Option<Duration>,
    life: std::ops::RangeInclusive<Duration>,
) -> Option<Duration> {
    let at = time(result.as_ref().ok()?)?;
    life.contains(&at).then_some(at)
}

/// What a result says about the server's load.
pub(super) fn load_sample(result: &Result<Response, TransportError>) -> Sample {
    match result {
        Ok(r) if matches!(r.status, 429 | 503 | 504) => Sample::Overloaded {
            protocol: r.protocol,
        },
        Ok(r) => Sample::Answered {
            protocol: r.protocol,
            bytes: r.body.len(),
        },
        Err(e) if e.kind == NetworkErrorKind::Timeout => Sample::TimedOut,
        Err(_) => Sample::Other,
    }
}

/// Says what a non-JSON error body is, so an HTML 502 from a proxy reads as such.
pub(super) fn describe_body(response: &Response) -> String {
    let content_type = response.content_type().unwrap_or("no content type");
    if response.body.is_empty() {
        return format!("empty body, {content_type}");
    }
    if serde_json::from_slice::<serde_json::Value>(&response.body).is_ok() {
        return format!(
            "JSON body without Harbor's error list: {}",
            snippet(&response.body)
        );
    }
    format!(
        "body is not JSON ({content_type}): {}",
        snippet(&response.body)
    )
}

/// The start of a body, on one line, for messages.
pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > 120 {
        format!("{trimmed}…")
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_timed_by_the_transport_where_it_knows_when() {
        let ms = Duration::from_millis;
        let answer = |sent, arrived| {
            Ok(Response {
                status: 200,
                sent,
                arrived,
                ..Response::default()
            })
        };
        // Chosen at 100 ms and read at 400 ms; the browser sent it at 130 ms (the engine
        // was busy) and its answer arrived at 140 ms (then waited while others decoded).
        let known = answer(Some(ms(130)), Some(ms(140)));
        assert_eq!(timed(ms(100), ms(400), &known), (ms(130), ms(140)));
        // Unknown, outside the request's life (another clock), or no answer: when it
        // was chosen, and when it was read.
        let odd = [
            answer(None, None),
            answer(Some(ms(90)), Some(ms(90))),
            answer(Some(ms(401)), Some(ms(401))),
            Err(TransportError::new(NetworkErrorKind::Timeout, "timed out")),
        ];
        for result in &odd {
            assert_eq!(timed(ms(100), ms(400), result), (ms(100), ms(400)));
        }
    }
}

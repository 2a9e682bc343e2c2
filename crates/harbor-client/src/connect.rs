//! Connecting to Harbor: which Harbor is this, who am I there, and what went wrong if not.
//!
//! Two requests through the same [`Transport`] the crawl uses: `/systeminfo` (is this a
//! Harbor, which version) and `/users/current` (whose credentials these are). Their
//! answer is a [`Connection`] holding the crawl's own [`Discovery`], so a crawl started
//! after connecting asks neither again: one source of truth for "who am I, on which
//! Harbor". The verdicts are pure functions of the responses, so each message is tested.

use std::time::Duration;

use crate::crawl::{Credentials, Discovery, Principal};
use crate::model::{GeneralInfo, UserResp};
use crate::transport::{CancelToken, Request, Response, Transport, TransportError};
use crate::url::ApiPath;

/// A working connection: what discovery learnt, and how to name the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Version, auth mode and principal, as the crawl planner reads them.
    pub discovery: Discovery,
    /// The user name the credentials carried (a robot's name is only known from them).
    pub username: Option<String>,
    /// The host of the registry, for pull commands.
    pub registry_host: Option<String>,
}

impl Connection {
    /// `v2.13.1-abc`, or `None` when Harbor hides it (anonymous callers on 2.13+).
    pub fn version(&self) -> Option<&str> {
        self.discovery.harbor_version.as_deref()
    }

    /// How the page names the caller: `admin (system admin)`, `robot$ci (robot account)`.
    pub fn describe(&self) -> String {
        match &self.discovery.principal {
            Principal::User {
                username,
                sysadmin: true,
            } => format!("{username} (system admin)"),
            Principal::User { username, .. } => username.clone(),
            Principal::Robot => format!(
                "{} (robot account)",
                self.username.as_deref().unwrap_or("robot")
            ),
            Principal::Anonymous | Principal::Unknown => "anonymous".to_owned(),
        }
    }

    /// Who this is, unambiguously: the kind of principal and its name. Two callers
    /// share nothing (a cache, say) unless this is equal, so a user who calls itself
    /// `anonymous` is never taken for the anonymous caller.
    pub fn identity(&self) -> (&'static str, String) {
        match &self.discovery.principal {
            Principal::User { username, .. } => ("user", username.clone()),
            Principal::Robot => ("robot", self.username.clone().unwrap_or_default()),
            Principal::Anonymous | Principal::Unknown => ("anonymous", String::new()),
        }
    }
}

/// Why connecting failed, worded so the user knows what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "Harbor is unreachable at {0} ({1}). If it is on another origin, the browser blocks \
         it: Harbor sends no CORS headers, so serve Harbor Lens from Harbor's own host or \
         through lens-serve --harbor (a same-origin proxy)."
    )]
    Unreachable(String, String),
    #[error("Wrong user name or password (Harbor answered 401). Check them, or the robot secret.")]
    Unauthorized,
    #[error("Harbor refused access (403){0}. Ask an administrator for access.")]
    Forbidden(String),
    #[error(
        "No Harbor at {0}: {1}. Check the Harbor URL (it must be the address of Harbor, \
         whose API lives under /api/v2.0)."
    )]
    NotHarbor(String, String),
    #[error("Harbor answered {0} to {1}{2}.")]
    Status(u16, String, String),
}

fn request(path: ApiPath, auth: Option<&str>) -> Request {
    let mut headers = Vec::new();
    if let Some(auth) = auth {
        headers.push(("Authorization", auth.to_owned()));
    }
    Request {
        path,
        headers,
        timeout: Duration::from_secs(20),
        cancel: CancelToken::new(),
    }
}

/// Connects: probes `/systeminfo` and `/users/current` with `auth` (an `Authorization`
/// header value) or without it (anonymous, or Harbor's session cookie).
pub async fn connect<T: Transport>(
    transport: &T,
    where_: &str,
    credentials: Option<&Credentials>,
) -> Result<Connection, ConnectError> {
    let auth = credentials.map(Credentials::header);
    let auth = auth.as_deref();
    let info = get_with_retries(transport, ApiPath::systeminfo(), auth).await;
    let info = systeminfo_verdict(where_, info)?;
    let user = get_with_retries(transport, ApiPath::current_user(), auth).await;
    let username = credentials.map(|c| c.username.as_str());
    let principal = user_verdict(where_, auth, user)?;
    let registry_host = info
        .external_url
        .as_deref()
        .map(host_of)
        .filter(|h| !h.is_empty());
    let discovery = Discovery {
        version: info.version(),
        harbor_version: info.harbor_version,
        auth_mode: Some(info.auth_mode).filter(|m| !m.is_empty()),
        principal,
        ..Discovery::default()
    };
    Ok(Connection {
        discovery,
        username: username.map(str::to_owned),
        registry_host,
    })
}

/// Attempts of each connect request: a flaky proxy (5xx, 429, a dropped connection)
/// should not make the first impression an error.
const ATTEMPTS: usize = 3;

/// Whether an answer is worth another try.
fn transient(result: &Result<Response, TransportError>) -> bool {
    match result {
        Ok(resp) => resp.status == 429 || resp.status >= 500,
        Err(_) => true,
    }
}

async fn get_with_retries<T: Transport>(
    transport: &T,
    path: ApiPath,
    auth: Option<&str>,
) -> Result<Response, TransportError> {
    let mut attempt = 1;
    loop {
        let result = transport.get(request(path.clone(), auth)).await;
        if attempt >= ATTEMPTS || !transient(&result) {
            return result;
        }
        attempt += 1;
    }
}

/// The host part of `https://host[:port]/...`.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn harbor_message(body: &[u8]) -> String {
    crate::model::Errors::first_of(body)
        .map(|e| format!(": {}", e.message))
        .unwrap_or_default()
}

/// Judges the `/systeminfo` answer.
pub fn systeminfo_verdict(
    where_: &str,
    result: Result<Response, TransportError>,
) -> Result<GeneralInfo, ConnectError> {
    let resp = result.map_err(|e| ConnectError::Unreachable(where_.to_owned(), e.to_string()))?;
    match resp.status {
        200 => {}
        401 => return Err(ConnectError::Unauthorized),
        403 => return Err(ConnectError::Forbidden(harbor_message(&resp.body))),
        404 | 405 => {
            return Err(ConnectError::NotHarbor(
                where_.to_owned(),
                format!("/api/v2.0/systeminfo answered {}", resp.status),
            ))
        }
        s => {
            return Err(ConnectError::Status(
                s,
                "/systeminfo".into(),
                harbor_message(&resp.body),
            ))
        }
    }
    let value: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|_| {
        ConnectError::NotHarbor(where_.to_owned(), "/api/v2.0/systeminfo is not JSON".into())
    })?;
    if value.get("auth_mode").is_none() {
        return Err(ConnectError::NotHarbor(
            where_.to_owned(),
            "/api/v2.0/systeminfo does not look like Harbor's".into(),
        ));
    }
    // Read again from the bytes, as the crawl reads it, rather than from `value`: one
    // decoder of `GeneralInfo` in the wasm instead of two. The body is a few hundred bytes.
    serde_json::from_slice(&resp.body).map_err(|e| {
        ConnectError::NotHarbor(where_.to_owned(), format!("unexpected systeminfo: {e}"))
    })
}

/// Judges the `/users/current` answer: 200 user, 412 robot, 401 anonymous (or wrong
/// credentials when some were given: Harbor then treats the caller as anonymous).
pub fn user_verdict(
    where_: &str,
    auth: Option<&str>,
    result: Result<Response, TransportError>,
) -> Result<Principal, ConnectError> {
    let resp = result.map_err(|e| ConnectError::Unreachable(where_.to_owned(), e.to_string()))?;
    match resp.status {
        200 => {
            let user: UserResp = serde_json::from_slice(&resp.body).map_err(|e| {
                ConnectError::NotHarbor(where_.to_owned(), format!("unexpected user: {e}"))
            })?;
            Ok(Principal::User {
                username: user.username,
                sysadmin: user.sysadmin_flag,
            })
        }
        412 => Ok(Principal::Robot),
        401 if auth.is_some() => Err(ConnectError::Unauthorized),
        401 => Ok(Principal::Anonymous),
        403 => Err(ConnectError::Forbidden(harbor_message(&resp.body))),
        s => Err(ConnectError::Status(
            s,
            "/users/current".into(),
            harbor_message(&resp.body),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::NetworkErrorKind;

    fn resp(status: u16, body: &str) -> Result<Response, TransportError> {
        Ok(Response {
            status,
            body: body.as_bytes().to_vec(),
            ..Response::default()
        })
    }

    #[test]
    fn systeminfo_verdicts() {
        let ok = systeminfo_verdict(
            "here",
            resp(
                200,
                r#"{"auth_mode":"db_auth","harbor_version":"v2.13.1-abc"}"#,
            ),
        );
        assert_eq!(ok.map(|i| i.version()), Ok(Some((2, 13))));
        let net = Err(TransportError::new(
            NetworkErrorKind::Other,
            "Failed to fetch",
        ));
        let msg = systeminfo_verdict("https://h", net)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("unreachable at https://h") && msg.contains("CORS"),
            "{msg}"
        );
        let html = systeminfo_verdict("here", resp(200, "<!DOCTYPE html>")).unwrap_err();
        assert!(matches!(html, ConnectError::NotHarbor(..)));
        let other_json = systeminfo_verdict("here", resp(200, r#"{"hello":1}"#)).unwrap_err();
        assert!(matches!(other_json, ConnectError::NotHarbor(..)));
        assert!(matches!(
            systeminfo_verdict("here", resp(404, "")),
            Err(ConnectError::NotHarbor(..))
        ));
        let forbidden = resp(
            403,
            r#"{"errors":[{"code":"FORBIDDEN","message":"no way"}]}"#,
        );
        assert_eq!(
            systeminfo_verdict("here", forbidden),
            Err(ConnectError::Forbidden(": no way".into()))
        );
    }

    #[test]
    fn user_verdicts() {
        let user = resp(200, r#"{"username":"alice","sysadmin_flag":false}"#);
        assert_eq!(
            user_verdict("h", Some("Basic x"), user),
            Ok(Principal::User {
                username: "alice".into(),
                sysadmin: false
            })
        );
        assert_eq!(
            user_verdict("h", Some("Basic x"), resp(412, "")),
            Ok(Principal::Robot)
        );
        assert_eq!(
            user_verdict("h", None, resp(401, "")),
            Ok(Principal::Anonymous)
        );
        assert_eq!(
            user_verdict("h", Some("Basic x"), resp(401, "")),
            Err(ConnectError::Unauthorized)
        );
    }

    fn connection(principal: Principal, username: Option<&str>) -> Connection {
        Connection {
            discovery: Discovery {
                principal,
                ..Discovery::default()
            },
            username: username.map(str::to_owned),
            registry_host: None,
        }
    }

    #[test]
    fn names_and_identities() {
        let robot = connection(Principal::Robot, Some("robot$a"));
        assert_eq!(robot.describe(), "robot$a (robot account)");
        let admin = connection(
            Principal::User {
                username: "admin".into(),
                sysadmin: true,
            },
            Some("admin"),
        );
        assert_eq!(admin.describe(), "admin (system admin)");
        // A user named "anonymous" is not the anonymous caller.
        let named = connection(
            Principal::User {
                username: "anonymous".into(),
                sysadmin: false,
            },
            Some("anonymous"),
        );
        let nobody = connection(Principal::Anonymous, None);
        assert_eq!(named.describe(), nobody.describe());
        assert_ne!(named.identity(), nobody.identity());
    }

    #[test]
    fn host_of_urls() {
        assert_eq!(
            host_of("https://harbor.example.com:8443/x"),
            "harbor.example.com:8443"
        );
        assert_eq!(host_of("harbor.local"), "harbor.local");
    }
}

//! Connecting to Harbor: who am I, which Harbor is this, and what went wrong if not.
//!
//! Two requests through the same [`Transport`] the crawl uses: `/systeminfo` (is this a
//! Harbor, which version) and `/users/current` (whose credentials these are). The
//! verdicts are pure functions of the responses, so each error message is tested.

use harbor_client::model::{GeneralInfo, UserResp};
use harbor_client::transport::{CancelToken, Request, Response, Transport, TransportError};
use harbor_client::url::ApiPath;
use std::time::Duration;

use crate::session::Credentials;

/// Who the dashboard is talking to Harbor as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A Harbor user (also a user riding the portal's session cookie).
    User { name: String, admin: bool },
    /// A robot account (`/users/current` answers 412 for robots).
    Robot { name: String },
    /// No credentials: public projects only.
    Anonymous,
}

impl Principal {
    /// How the header names the principal.
    pub fn describe(&self) -> String {
        match self {
            Principal::User { name, admin: true } => format!("{name} (system admin)"),
            Principal::User { name, .. } => name.clone(),
            Principal::Robot { name } => format!("{name} (robot account)"),
            Principal::Anonymous => "anonymous".to_owned(),
        }
    }
}

/// A working connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `v2.13.1-abc`, or `None` when Harbor hides it (anonymous callers).
    pub version: Option<String>,
    /// `(major, minor)`, which decides the crawl plan.
    pub release: Option<(u32, u32)>,
    pub principal: Principal,
    /// The host of the registry, for pull commands.
    pub registry_host: Option<String>,
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
    let principal = user_verdict(where_, auth, username, user)?;
    let registry_host = info
        .external_url
        .as_deref()
        .map(host_of)
        .filter(|h| !h.is_empty());
    Ok(Connection {
        release: info.version(),
        version: info.harbor_version,
        principal,
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
    harbor_client::model::Errors::first_of(body)
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
    serde_json::from_value(value).map_err(|e| {
        ConnectError::NotHarbor(where_.to_owned(), format!("unexpected systeminfo: {e}"))
    })
}

/// Judges the `/users/current` answer: 200 user, 412 robot, 401 anonymous (or wrong
/// credentials when some were given: Harbor then treats the caller as anonymous).
pub fn user_verdict(
    where_: &str,
    auth: Option<&str>,
    username: Option<&str>,
    result: Result<Response, TransportError>,
) -> Result<Principal, ConnectError> {
    let resp = result.map_err(|e| ConnectError::Unreachable(where_.to_owned(), e.to_string()))?;
    match resp.status {
        200 => {
            let user: UserResp = serde_json::from_slice(&resp.body).map_err(|e| {
                ConnectError::NotHarbor(where_.to_owned(), format!("unexpected user: {e}"))
            })?;
            Ok(Principal::User {
                name: user.username,
                admin: user.sysadmin_flag,
            })
        }
        412 => Ok(Principal::Robot {
            name: username.unwrap_or_default().to_owned(),
        }),
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
    use harbor_client::transport::NetworkErrorKind;

    fn resp(status: u16, body: &str) -> Result<Response, TransportError> {
        Ok(Response {
            status,
            headers: Vec::new(),
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
            user_verdict("h", Some("Basic x"), Some("alice"), user),
            Ok(Principal::User {
                name: "alice".into(),
                admin: false
            })
        );
        assert_eq!(
            user_verdict("h", Some("Basic x"), Some("robot$a"), resp(412, "")),
            Ok(Principal::Robot {
                name: "robot$a".into()
            })
        );
        assert_eq!(
            user_verdict("h", None, None, resp(401, "")),
            Ok(Principal::Anonymous)
        );
        assert_eq!(
            user_verdict("h", Some("Basic x"), Some("admin"), resp(401, "")),
            Err(ConnectError::Unauthorized)
        );
        assert_eq!(
            Principal::Robot { name: "r".into() }.describe(),
            "r (robot account)"
        );
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

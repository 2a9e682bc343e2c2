//! Who is asking: Harbor's principals and its read-permission rules.
//!
//! Harbor tries robot and basic credentials and, when none work, carries on as anonymous:
//! bad credentials are never an error by themselves.

use crate::dataset::{Dataset, Project};

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No (valid) credentials: public projects only.
    Anonymous,
    /// A database user; `projects` are the projects it is a member of.
    User {
        /// `user_id`.
        id: i64,
        /// Login name.
        name: String,
        /// System administrator: sees everything.
        sysadmin: bool,
        /// Project ids the user is a member of.
        projects: Vec<i64>,
    },
    /// A robot account (`robot$name` or `robot$project+name`).
    Robot {
        /// Full name including the `robot$` prefix.
        name: String,
        /// Project ids the robot may read.
        projects: Vec<i64>,
    },
}

/// Why a read was refused, as Harbor answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Anonymous caller: 401.
    Unauthorized,
    /// Logged-in caller without permission: 403.
    Forbidden,
    /// System admin asking for something that does not exist: 404.
    NotFound,
}

impl Principal {
    /// True for everyone but [`Principal::Anonymous`].
    pub fn is_authenticated(&self) -> bool {
        !matches!(self, Principal::Anonymous)
    }

    /// True for a system administrator.
    pub fn is_sysadmin(&self) -> bool {
        matches!(self, Principal::User { sysadmin: true, .. })
    }

    /// True for robot accounts.
    pub fn is_robot(&self) -> bool {
        matches!(self, Principal::Robot { .. })
    }

    /// The name shown in `/_sim/truth?as=`; `anonymous` for no login.
    pub fn name(&self) -> &str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::User { name, .. } | Principal::Robot { name, .. } => name,
        }
    }

    /// True when the principal is a member of (or a robot for) project `id`.
    pub fn is_member(&self, id: i64) -> bool {
        match self {
            Principal::Anonymous => false,
            Principal::User { projects, .. } | Principal::Robot { projects, .. } => {
                projects.contains(&id)
            }
        }
    }

    /// Whether the principal may read `project`.
    pub fn can_read(&self, project: &Project) -> bool {
        project.public || self.is_sysadmin() || self.is_member(project.id)
    }

    /// Harbor's check for a project path parameter: the permission check runs before the
    /// lookup, so a missing project looks like a private one to everyone but admins.
    pub fn check_project<'a>(&self, project: Option<&'a Project>) -> Result<&'a Project, Denial> {
        match project {
            Some(p) if self.can_read(p) => Ok(p),
            None if self.is_sysadmin() => Err(Denial::NotFound),
            _ if self.is_authenticated() => Err(Denial::Forbidden),
            _ => Err(Denial::Unauthorized),
        }
    }
}

/// Decodes an `Authorization: Basic ...` header value into (name, secret).
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let rest = header.trim();
    let (scheme, b64) = rest.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64_decode(b64.trim())?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// The principal for an optional `Authorization` header: bad or missing → anonymous.
pub fn principal_from_header(ds: &Dataset, header: Option<&str>) -> Principal {
    header
        .and_then(parse_basic)
        .and_then(|(u, p)| ds.principal_by_credentials(&u, &p))
        .unwrap_or(Principal::Anonymous)
}

/// Standard base64 (with or without padding); `None` on any bad character.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            acc |= val(*c)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// Standard base64 with padding, for tests and clients building Basic headers: the
/// client's own encoder, so the simulator decodes exactly what clients send.
pub use harbor_client::url::base64 as base64_encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_round_trip() {
        let h = format!("Basic {}", base64_encode(b"robot$lens-audit:RobotSecret1"));
        assert_eq!(
            parse_basic(&h),
            Some(("robot$lens-audit".to_string(), "RobotSecret1".to_string()))
        );
        assert_eq!(
            base64_encode(b"admin:Harbor12345"),
            "YWRtaW46SGFyYm9yMTIzNDU="
        );
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}

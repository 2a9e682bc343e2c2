//! Links back into Harbor's own web portal, so an auditor who found something in the
//! table acts on it in one click.
//!
//! The portal's routes (Angular, under `/harbor/`): a project is
//! `/harbor/projects/{project_id}/repositories`, a repository
//! `/harbor/projects/{project_id}/repositories/{name}` where `name` is the repository
//! name without the project, percent-encoded once (so `tools/postgrest` is
//! `tools%2Fpostgrest`), and an artifact adds `/artifacts-tab/artifacts/{digest}`.
//! Links are only ever built from a validated base, a numeric id and escaped names:
//! a name can never add a path segment, a query or a fragment.

use harbor_client::slim::ArtifactRow;
use harbor_client::url::{encode_component, encode_keeping};

/// Why no portal links can be built for an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortalError {
    /// The address is not `http://` or `https://` followed by a host.
    #[error("the Harbor address {0:?} is not an http:// or https:// address")]
    NotHttp(String),
}

/// Builds portal links for one Harbor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalLinks {
    /// `scheme://host[:port][/prefix]`, without user info, query or trailing `/`.
    base: String,
}

impl PortalLinks {
    /// Links for the Harbor at `address` (its web address; a trailing `/api/v2.0`, user
    /// info, query and fragment are dropped).
    ///
    /// ```
    /// use inventory::portal::PortalLinks;
    /// let links = PortalLinks::new("https://harbor.example.com/").unwrap();
    /// assert_eq!(
    ///     links.repository(2, "team", "team/tools/postgrest").unwrap(),
    ///     "https://harbor.example.com/harbor/projects/2/repositories/tools%2Fpostgrest"
    /// );
    /// assert!(PortalLinks::new("javascript:alert(1)").is_err());
    /// ```
    pub fn new(address: &str) -> Result<PortalLinks, PortalError> {
        let text = address.trim();
        let bad = || PortalError::NotHttp(address.to_string());
        let (scheme, rest) = text.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit('@').next().unwrap_or("");
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
        if !host_ok {
            return Err(bad());
        }
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix("api/v2.0").unwrap_or(path);
        let prefix: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| encode_keeping(&harbor_client::url::percent_decode(s), b""))
            .collect();
        let mut base = format!("{scheme}://{host}");
        for segment in prefix {
            base.push('/');
            base.push_str(&segment);
        }
        Ok(PortalLinks { base })
    }

    /// The project's page; `None` for an id Harbor never gives (0 or negative).
    pub fn project(&self, project_id: i64) -> Option<String> {
        (project_id > 0).then(|| format!("{}/harbor/projects/{project_id}/repositories", self.base))
    }

    /// The repository's page. `repository` is the full name (`team/tools/postgrest`);
    /// the `project/` prefix is dropped as the portal wants.
    pub fn repository(&self, project_id: i64, project: &str, repository: &str) -> Option<String> {
        let short = repository
            .strip_prefix(project)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(repository);
        if short.is_empty() {
            return None;
        }
        Some(format!(
            "{}/{}",
            self.project(project_id)?,
            encode_component(short)
        ))
    }

    /// The artifact's page (`digest` is `algorithm:hex`).
    ///
    /// ```
    /// use inventory::portal::PortalLinks;
    /// let links = PortalLinks::new("http://h:8080").unwrap();
    /// assert_eq!(
    ///     links.artifact(1, "library", "library/nginx", "sha256:ab").unwrap(),
    ///     "http://h:8080/harbor/projects/1/repositories/nginx/artifacts-tab/artifacts/sha256:ab"
    /// );
    /// ```
    pub fn artifact(
        &self,
        project_id: i64,
        project: &str,
        repository: &str,
        digest: &str,
    ) -> Option<String> {
        let (algorithm, hex) = digest.split_once(':')?;
        let ok = |s: &str, extra: &[u8]| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
        };
        if !ok(algorithm, b"+._-") || !ok(hex, b"=_-") {
            return None;
        }
        Some(format!(
            "{}/artifacts-tab/artifacts/{algorithm}:{hex}",
            self.repository(project_id, project, repository)?
        ))
    }

    /// The artifact page of a table row (`None` when the row has no project id).
    pub fn row(&self, row: &ArtifactRow) -> Option<String> {
        let digest = row.digest.text();
        self.artifact(row.project_id, &row.project, &row.repository, &digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_never_raw() {
        let links = PortalLinks::new("https://user:pw@harbor.example.com/api/v2.0/?x=1#f").unwrap();
        let cases = [
            ("p/a/b", "a%2Fb"),
            ("p/with space", "with%20space"),
            ("p/100%", "100%25"),
            ("p/what?x=1", "what%3Fx%3D1"),
            ("p/frag#ment", "frag%23ment"),
            ("p/../../admin", "..%2F..%2Fadmin"),
        ];
        for (repo, encoded) in cases {
            let url = links.repository(7, "p", repo).unwrap();
            assert_eq!(
                url,
                format!("https://harbor.example.com/harbor/projects/7/repositories/{encoded}"),
                "{repo}"
            );
            let tail = &url["https://harbor.example.com/".len()..];
            assert!(!tail.contains(['?', '#', ' ']), "{url}");
            assert_eq!(tail.matches('/').count(), 4, "no extra segment: {url}");
        }
        assert_eq!(
            links.project(3).as_deref(),
            Some("https://harbor.example.com/harbor/projects/3/repositories")
        );
        assert_eq!(links.project(0), None);
        assert_eq!(links.artifact(1, "p", "p/a", "sha256:ab/../x"), None);
        assert_eq!(links.artifact(1, "p", "p/a", "nocolon"), None);
        assert_eq!(links.repository(1, "p", "p/"), None);
    }

    #[test]
    fn bases_are_validated() {
        for bad in [
            "",
            "harbor.example.com",
            "ftp://h",
            "javascript:x",
            "http://",
            "http://a b/",
        ] {
            assert!(PortalLinks::new(bad).is_err(), "{bad:?}");
        }
        let prefixed = PortalLinks::new("HTTP://h/reg%20istry/").unwrap();
        assert_eq!(
            prefixed.project(1).as_deref(),
            Some("http://h/reg%20istry/harbor/projects/1/repositories")
        );
    }

    #[test]
    fn a_row_links_to_its_artifact() {
        let row = crate::synthetic::row(
            &crate::synthetic::RowSpec::new("team", "team/tools/pg").digest("sha256:0a1b"),
        );
        let links = PortalLinks::new("https://h").unwrap();
        assert_eq!(
            links.row(&row).as_deref(),
            Some("https://h/harbor/projects/1/repositories/tools%2Fpg/artifacts-tab/artifacts/sha256:0a1b")
        );
    }
}

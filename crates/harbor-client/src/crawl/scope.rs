//! What to crawl, validated before a single request goes out.

use serde::{Deserialize, Serialize};

use crate::url::{check_q, UrlError, Q};

/// Harbor refuses larger pages with 422.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Which projects to crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Projects {
    /// Every project the caller can see (`GET /projects`).
    #[default]
    All,
    /// These projects, by name.
    Named(Vec<String>),
}

/// What to crawl. Build it with struct update syntax from [`Scope::default`], then
/// [`Scope::validate`] it (the crawler does so too and refuses an invalid scope).
///
/// ```
/// use harbor_client::crawl::{Projects, Scope};
/// let scope = Scope { projects: Projects::Named(vec!["library".into()]), tag: Some("v1".into()), ..Scope::default() };
/// assert!(scope.validate().is_ok());
/// assert!(Scope { page_size: 101, ..Scope::default() }.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Projects to crawl.
    pub projects: Projects,
    /// Repository names without the project (`nginx`, `tools/x`); empty means all.
    pub repositories: Vec<String>,
    /// Only artifacts carrying this tag.
    pub tag: Option<String>,
    /// A raw Harbor `q` expression for artifacts, passed through (ANDed with the rest).
    pub query: Option<String>,
    /// Ask for `scan_overview` (vulnerability summaries). Default on.
    pub scan_overview: bool,
    /// Ask for labels. Default on.
    pub labels: bool,
    /// Items per page, 1 to 100. Default 100.
    pub page_size: u32,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            projects: Projects::All,
            repositories: Vec::new(),
            tag: None,
            query: None,
            scan_overview: true,
            labels: true,
            page_size: MAX_PAGE_SIZE,
        }
    }
}

/// Why a scope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// `page_size` outside 1..=100.
    #[error("page size {0} is outside 1..=100")]
    PageSize(u32),
    /// `Projects::Named` with no names.
    #[error("no project named: give at least one project or crawl all")]
    NoProjects,
    /// A project name Harbor cannot have.
    #[error("invalid project name {0:?}")]
    ProjectName(String),
    /// A repository name that cannot be matched.
    #[error("invalid repository name {0:?}")]
    RepositoryName(String),
    /// A tag Docker cannot have.
    #[error("invalid tag {0:?}")]
    Tag(String),
    /// A raw `q` that is not `key=value` terms.
    #[error("invalid query {0:?}: terms must look like key=value, joined by commas")]
    Query(String),
    /// A filter could not be written in Harbor's `q` syntax.
    #[error("filter cannot be expressed: {0}")]
    Filter(#[from] UrlError),
}

impl Scope {
    /// Checks every field; the first problem is returned.
    pub fn validate(&self) -> Result<(), ScopeError> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(ScopeError::PageSize(self.page_size));
        }
        if let Projects::Named(names) = &self.projects {
            if names.is_empty() {
                return Err(ScopeError::NoProjects);
            }
            if let Some(bad) = names.iter().find(|n| !valid_project(n)) {
                return Err(ScopeError::ProjectName(bad.clone()));
            }
        }
        if let Some(bad) = self.repositories.iter().find(|r| !valid_repository(r)) {
            return Err(ScopeError::RepositoryName(bad.clone()));
        }
        if let Some(tag) = &self.tag {
            if !valid_tag(tag) {
                return Err(ScopeError::Tag(tag.clone()));
            }
        }
        if let Some(q) = &self.query {
            let ok = !q.trim().is_empty()
                && q.split(',')
                    .all(|t| t.split_once('=').is_some_and(|(k, _)| !k.trim().is_empty()));
            if !ok {
                return Err(ScopeError::Query(q.clone()));
            }
            check_q(q.trim())?;
        }
        self.repository_q("p")?;
        self.artifact_q()?;
        Ok(())
    }

    /// The `q` for a project's repository list (`name={p/a p/b}`), if filtered.
    pub fn repository_q(&self, project: &str) -> Result<Option<String>, ScopeError> {
        if self.repositories.is_empty() {
            return Ok(None);
        }
        let full: Vec<String> = self
            .repositories
            .iter()
            .map(|r| format!("{project}/{r}"))
            .collect();
        Ok(Some(Q::new().union("name", &full)?.as_str()))
    }

    /// The `q` for artifact lists (tag and raw query), if any.
    pub fn artifact_q(&self) -> Result<Option<String>, ScopeError> {
        let mut q = Q::new();
        if let Some(tag) = &self.tag {
            q = q.exact("tags", tag)?;
        }
        if let Some(raw) = &self.query {
            q = q.raw(raw);
        }
        Ok((!q.is_empty()).then(|| q.as_str()))
    }

    /// Whether artifact lists are filtered, so `artifact_count` does not tell how many
    /// pages there are.
    pub fn filters_artifacts(&self) -> bool {
        self.tag.is_some() || self.query.is_some()
    }
}

/// Harbor project names: lowercase letters, digits, `.`, `_`, `-`, 1 to 255 chars.
fn valid_project(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Repository paths: components of lowercase letters, digits and separators.
fn valid_repository(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
}

/// Docker tags: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let scope = Scope::default();
        assert_eq!(scope.page_size, 100);
        assert!(scope.scan_overview);
        assert_eq!(scope.validate(), Ok(()));
        assert_eq!(scope.artifact_q(), Ok(None));
        assert_eq!(scope.repository_q("p"), Ok(None));
    }

    #[test]
    fn invalid_fields_are_named() {
        let cases = [
            (
                Scope {
                    page_size: 0,
                    ..Scope::default()
                },
                ScopeError::PageSize(0),
            ),
            (
                Scope {
                    page_size: 101,
                    ..Scope::default()
                },
                ScopeError::PageSize(101),
            ),
            (
                Scope {
                    projects: Projects::Named(vec![]),
                    ..Scope::default()
                },
                ScopeError::NoProjects,
            ),
            (
                Scope {
                    projects: Projects::Named(vec!["Lib rary".into()]),
                    ..Scope::default()
                },
                ScopeError::ProjectName("Lib rary".into()),
            ),
            (
                Scope {
                    repositories: vec!["a,b".into()],
                    ..Scope::default()
                },
                ScopeError::RepositoryName("a,b".into()),
            ),
            (
                Scope {
                    repositories: vec!["a//b".into()],
                    ..Scope::default()
                },
                ScopeError::RepositoryName("a//b".into()),
            ),
            (
                Scope {
                    tag: Some(".v1".into()),
                    ..Scope::default()
                },
                ScopeError::Tag(".v1".into()),
            ),
            (
                Scope {
                    tag: Some(String::new()),
                    ..Scope::default()
                },
                ScopeError::Tag(String::new()),
            ),
            (
                Scope {
                    query: Some("oops".into()),
                    ..Scope::default()
                },
                ScopeError::Query("oops".into()),
            ),
            (
                Scope {
                    query: Some("a=1,".into()),
                    ..Scope::default()
                },
                ScopeError::Query("a=1,".into()),
            ),
            (
                Scope {
                    query: Some("name=~".into()),
                    ..Scope::default()
                },
                ScopeError::Filter(UrlError::Refused {
                    term: "name=~".into(),
                    why: "an empty fuzzy value",
                }),
            ),
        ];
        for (scope, expected) in cases {
            assert_eq!(scope.validate(), Err(expected));
        }
    }

    #[test]
    fn filters_become_q() {
        let scope = Scope {
            projects: Projects::Named(vec!["team".into()]),
            repositories: vec!["tools/x".into(), "web".into()],
            tag: Some("v1.2".into()),
            query: Some("type=IMAGE".into()),
            ..Scope::default()
        };
        assert_eq!(scope.validate(), Ok(()));
        assert_eq!(
            scope.repository_q("team"),
            Ok(Some("name={team/tools/x team/web}".into()))
        );
        assert_eq!(scope.artifact_q(), Ok(Some("tags=v1.2,type=IMAGE".into())));
        assert!(scope.filters_artifacts());
    }
}

//! Request paths, Harbor's double encoding of repository names and the `q` filter
//! language. (Harbor's `Link` headers are never followed: the planner counts pages
//! from `X-Total-Count`, so a hostile link has nothing to steer.)
//!
//! Every request the crate makes is an [`ApiPath`]: a path under `/api/v2.0/` with its
//! query, relative to the configured Harbor base. There is no way to build one that
//! points at another origin, so neither a hostile `Link` header nor a repository name
//! can send credentials elsewhere.

use std::fmt;

/// The base path of Harbor's REST API.
pub const API_BASE: &str = "/api/v2.0";

/// Percent-encodes every byte except RFC 3986 "unreserved" characters.
///
/// Stricter than Go's `url.PathEscape`, which is fine: Harbor decodes whatever it gets.
pub fn encode_component(text: &str) -> String {
    encode_keeping(text, b"")
}

/// Percent-encodes every byte except RFC 3986 "unreserved" characters and `keep` (the
/// project's one percent-encoder: paths keep nothing more, the page's own query string
/// keeps a few readable delimiters).
///
/// ```
/// use harbor_client::url::encode_keeping;
/// assert_eq!(encode_keeping("a/b c", b"/"), "a/b%20c");
/// ```
pub fn encode_keeping(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Encodes a repository name for a path: strips `"<project>/"`, then encodes twice, as
/// Harbor requires (`team/tools/x` in project `team` → `tools%252Fx`).
///
/// ```
/// use harbor_client::url::encode_repository;
/// assert_eq!(encode_repository("library", "library/a/b"), "a%252Fb");
/// assert_eq!(encode_repository("library", "nginx"), "nginx");
/// ```
pub fn encode_repository(project: &str, repository: &str) -> String {
    let short = repository
        .strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(repository);
    encode_component(&encode_component(short))
}

/// Decodes `%XX` escapes (and nothing else). Invalid escapes are kept as they are.
pub fn percent_decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_value(b[i + 1]), hex_value(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A request target under `/api/v2.0/`: path plus encoded query, never an absolute URL.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ApiPath(String);

impl ApiPath {
    /// Builds `/api/v2.0/<segments...>` from already-encoded path segments.
    fn from_segments(segments: &[&str]) -> ApiPath {
        let mut path = String::from(API_BASE);
        for segment in segments {
            path.push('/');
            path.push_str(segment);
        }
        ApiPath(path)
    }

    /// Appends `name=value` to the query, encoding the value.
    pub fn with_param(mut self, name: &str, value: impl fmt::Display) -> ApiPath {
        self.0.push(if self.0.contains('?') { '&' } else { '?' });
        self.0.push_str(name);
        self.0.push('=');
        self.0.push_str(&encode_component(&value.to_string()));
        self
    }

    /// Accepts a path from elsewhere (an `addition_links` href, say) only if
    /// it is a plain path under `/api/v2.0/` on the same origin.
    pub fn parse(text: &str) -> Result<ApiPath, UrlError> {
        let rest = text
            .strip_prefix(API_BASE)
            .filter(|rest| rest.starts_with('/') && !rest.starts_with("//"))
            .ok_or_else(|| UrlError::NotApiPath(text.to_owned()))?;
        if text.contains(['\\', '#', ' ', '\r', '\n', '\t']) {
            return Err(UrlError::NotApiPath(text.to_owned()));
        }
        // No `.` or `..` segment, in any spelling a server may decode (`%2e`): the path
        // must not climb out of the API.
        let path = rest.split('?').next().unwrap_or("");
        let dots = |segment: &str| matches!(percent_decode(segment).as_str(), "." | "..");
        if path.split('/').any(dots) {
            return Err(UrlError::NotApiPath(text.to_owned()));
        }
        Ok(ApiPath(text.to_owned()))
    }

    /// The path and query, e.g. `/api/v2.0/projects?page=1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value of a query parameter (decoded once), if present.
    pub fn param(&self, name: &str) -> Option<String> {
        let query = self.0.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| percent_decode(v))
    }

    /// `GET /systeminfo`.
    pub fn systeminfo() -> ApiPath {
        Self::from_segments(&["systeminfo"])
    }

    /// `GET /users/current`.
    pub fn current_user() -> ApiPath {
        Self::from_segments(&["users", "current"])
    }

    /// `GET /projects`.
    pub fn projects() -> ApiPath {
        Self::from_segments(&["projects"])
    }

    /// `GET /repositories`: every repository the caller can see.
    pub fn all_repositories() -> ApiPath {
        Self::from_segments(&["repositories"])
    }

    /// `GET /projects/{project}/repositories`.
    pub fn repositories(project: &str) -> ApiPath {
        Self::from_segments(&["projects", &encode_component(project), "repositories"])
    }

    /// `GET /projects/{project}/artifacts` (Harbor >= 2.12, needs a login).
    pub fn project_artifacts(project: &str) -> ApiPath {
        Self::from_segments(&["projects", &encode_component(project), "artifacts"])
    }

    /// `GET /projects/{project}/repositories/{repository}/artifacts`; `repository` may be
    /// the full or the short name.
    pub fn artifacts(project: &str, repository: &str) -> ApiPath {
        Self::from_segments(&[
            "projects",
            &encode_component(project),
            "repositories",
            &encode_repository(project, repository),
            "artifacts",
        ])
    }

    /// `GET .../artifacts/{reference}`: one artifact, by digest or tag.
    pub fn artifact(project: &str, repository: &str, reference: &str) -> ApiPath {
        Self::artifact_path(project, repository, reference, &[])
    }

    /// `GET .../artifacts/{reference}/additions/vulnerabilities`.
    pub fn vulnerabilities(project: &str, repository: &str, reference: &str) -> ApiPath {
        Self::artifact_path(
            project,
            repository,
            reference,
            &["additions", "vulnerabilities"],
        )
    }

    fn artifact_path(project: &str, repository: &str, reference: &str, rest: &[&str]) -> ApiPath {
        let (project, repository, reference) = (
            encode_component(project),
            encode_repository(project, repository),
            encode_component(reference),
        );
        let mut segments = vec![
            "projects",
            project.as_str(),
            "repositories",
            repository.as_str(),
            "artifacts",
            reference.as_str(),
        ];
        segments.extend_from_slice(rest);
        Self::from_segments(&segments)
    }
}

impl fmt::Display for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a URL or a `q` term was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a same-origin path under `/api/v2.0/`.
    #[error("not a Harbor API path on this origin: {0:?}")]
    NotApiPath(String),
    /// `q` keys are column names: letters, digits, `_` and `.`.
    #[error("invalid q key {0:?}")]
    BadKey(String),
    /// A `q` value that Harbor's parser would cut in two (a `,` splits terms; a space
    /// splits list items).
    #[error("q value {value:?} cannot contain {what}")]
    BadValue {
        /// The refused value.
        value: String,
        /// What it must not contain.
        what: &'static str,
    },
    /// `k=` with nothing after it.
    #[error("q value for key {0:?} is empty")]
    EmptyValue(String),
    /// `k=[~]`: a range open at both ends, which Harbor refuses.
    #[error("q range for key {0:?} needs a lower or an upper end")]
    OpenRange(String),
    /// A union or intersection list without items.
    #[error("q list for key {0:?} is empty")]
    EmptyList(String),
    /// A raw `q` term Harbor answers with 400.
    #[error("Harbor refuses the q term {term:?}: {why}")]
    Refused {
        /// The term.
        term: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Checks a `q` written by hand against the rules of Harbor's parser (`lib/q`), which
/// answers 400 for: a term without `=` or with an empty key or value, an empty fuzzy
/// value (`name=~`, what an empty search box gives), an unclosed `[`, `{` or `(`, and
/// a range without exactly one `~` or with neither end set.
///
/// ```
/// use harbor_client::url::check_q;
/// assert!(check_q("name=~nginx,push_time=[2024-01-01T00:00:00~]").is_ok());
/// assert!(check_q("name=~").is_err());
/// assert!(check_q("size=[1~2~3]").is_err());
/// ```
pub fn check_q(q: &str) -> Result<(), UrlError> {
    for term in q.split(',') {
        let refused = |why| UrlError::Refused {
            term: term.to_owned(),
            why,
        };
        let (key, value) = term.split_once('=').ok_or_else(|| refused("no \"=\""))?;
        if key.is_empty() || value.is_empty() {
            return Err(refused("an empty key or value"));
        }
        if value == "~" {
            return Err(refused("an empty fuzzy value"));
        }
        for (open, close) in [('[', ']'), ('{', '}'), ('(', ')')] {
            if value.starts_with(open) && (value.len() < 2 || !value.ends_with(close)) {
                return Err(refused("an unclosed bracket"));
            }
        }
        if let Some(body) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            let ends: Vec<&str> = body.split('~').map(str::trim).collect();
            if ends.len() != 2 {
                return Err(refused("a range needs exactly one \"~\""));
            }
            if ends.iter().all(|e| e.is_empty()) {
                return Err(refused("a range needs a lower or an upper end"));
            }
        }
    }
    Ok(())
}

/// Builds Harbor's `q` parameter: `k=v` terms joined by `,` (AND).
///
/// ```
/// use harbor_client::url::Q;
/// let q = Q::new().exact("tags", "v1")?.fuzzy("name", "nginx")?.range("size", Some(1), None::<u64>)?;
/// assert_eq!(q.as_str(), "tags=v1,name=~nginx,size=[1~]");
/// # Ok::<(), harbor_client::url::UrlError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Q {
    terms: Vec<String>,
}

impl Q {
    /// An empty filter.
    pub fn new() -> Q {
        Q::default()
    }

    /// `k=v`: exact match. A leading special character (`~ [ { ( \`) is escaped with `\`.
    /// An empty value is refused: `k=` is not a filter Harbor understands.
    pub fn exact(self, key: &str, value: &str) -> Result<Q, UrlError> {
        if value.is_empty() {
            return Err(UrlError::EmptyValue(key.to_owned()));
        }
        let value = q_value(value)?;
        let escaped = if value.starts_with(['~', '[', '{', '(', '\\']) {
            format!("\\{value}")
        } else {
            value
        };
        self.push(key, escaped)
    }

    /// `k=~v`: case-insensitive "contains". An empty value is refused: Harbor answers
    /// `k=~` with 400.
    pub fn fuzzy(self, key: &str, value: &str) -> Result<Q, UrlError> {
        if value.is_empty() {
            return Err(UrlError::EmptyValue(key.to_owned()));
        }
        let value = q_value(value)?;
        self.push(key, format!("~{value}"))
    }

    /// `k=[min~max]`; either end may be open, not both (Harbor refuses `[~]`).
    pub fn range<T: fmt::Display>(
        self,
        key: &str,
        min: Option<T>,
        max: Option<T>,
    ) -> Result<Q, UrlError> {
        if min.is_none() && max.is_none() {
            return Err(UrlError::OpenRange(key.to_owned()));
        }
        let end = |v: Option<T>| -> Result<String, UrlError> {
            v.map_or(Ok(String::new()), |v| list_item(&v.to_string()))
        };
        let (min, max) = (end(min)?, end(max)?);
        self.push(key, format!("[{min}~{max}]"))
    }

    /// `k={a b c}`: any of the values (SQL `IN`).
    pub fn union<S: AsRef<str>>(self, key: &str, values: &[S]) -> Result<Q, UrlError> {
        let items = list(key, values)?;
        self.push(key, format!("{{{items}}}"))
    }

    /// `k=(a b c)`: all of the values (artifact `labels` only).
    pub fn intersection<S: AsRef<str>>(self, key: &str, values: &[S]) -> Result<Q, UrlError> {
        let items = list(key, values)?;
        self.push(key, format!("({items})"))
    }

    /// Appends a raw `q` string the user wrote (already in Harbor's syntax).
    pub fn raw(mut self, q: &str) -> Q {
        if !q.trim().is_empty() {
            self.terms.push(q.trim().to_owned());
        }
        self
    }

    /// Whether no term was added.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The `q` string (before query encoding).
    pub fn as_str(&self) -> String {
        self.terms.join(",")
    }

    fn push(mut self, key: &str, value: String) -> Result<Q, UrlError> {
        let key_ok = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'));
        if !key_ok {
            return Err(UrlError::BadKey(key.to_owned()));
        }
        self.terms.push(format!("{key}={value}"));
        Ok(self)
    }
}

/// Escapes a value for Harbor's second URL decoding of `q` (a literal `%` or `+` must
/// survive it) and refuses a `,`, which would split the term.
fn q_value(value: &str) -> Result<String, UrlError> {
    if value.contains(',') {
        return Err(UrlError::BadValue {
            value: value.to_owned(),
            what: "a comma",
        });
    }
    Ok(value.replace('%', "%25").replace('+', "%2B"))
}

fn list_item(value: &str) -> Result<String, UrlError> {
    if value.is_empty() || value.contains(char::is_whitespace) {
        return Err(UrlError::BadValue {
            value: value.to_owned(),
            what: "spaces or be empty",
        });
    }
    if value.contains(['{', '}', '(', ')', '[', ']', '~']) {
        return Err(UrlError::BadValue {
            value: value.to_owned(),
            what: "brackets or ~",
        });
    }
    q_value(value)
}

fn list<S: AsRef<str>>(key: &str, values: &[S]) -> Result<String, UrlError> {
    if values.is_empty() {
        return Err(UrlError::EmptyList(key.to_owned()));
    }
    let items: Result<Vec<String>, UrlError> =
        values.iter().map(|v| list_item(v.as_ref())).collect();
    Ok(items?.join(" "))
}

/// Standard base64 (with padding), for the `Authorization: Basic` header.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_encoded_twice() {
        assert_eq!(
            encode_repository("team", "team/tools/postgrest"),
            "tools%252Fpostgrest"
        );
        assert_eq!(encode_repository("a", "a/b/c/d"), "b%252Fc%252Fd");
        assert_eq!(encode_repository("library", "library/nginx"), "nginx");
        // Only the own project prefix is stripped.
        assert_eq!(
            encode_repository("lib", "library/nginx"),
            "library%252Fnginx"
        );
        assert_eq!(
            ApiPath::artifacts("team", "team/tools/postgrest").as_str(),
            "/api/v2.0/projects/team/repositories/tools%252Fpostgrest/artifacts"
        );
        assert_eq!(
            ApiPath::vulnerabilities("p", "p/a/b", "sha256:ab").as_str(),
            "/api/v2.0/projects/p/repositories/a%252Fb/artifacts/sha256%3Aab/additions/vulnerabilities"
        );
    }

    #[test]
    fn query_parameters_are_encoded() {
        let path = ApiPath::projects()
            .with_param("page", 2)
            .with_param("page_size", 100)
            .with_param("q", "name=~a b&c");
        assert_eq!(
            path.as_str(),
            "/api/v2.0/projects?page=2&page_size=100&q=name%3D~a%20b%26c"
        );
        assert_eq!(path.param("q").as_deref(), Some("name=~a b&c"));
        assert_eq!(path.param("page").as_deref(), Some("2"));
        assert_eq!(path.param("nope"), None);
        assert_eq!(
            ApiPath::project_artifacts("my proj").as_str(),
            "/api/v2.0/projects/my%20proj/artifacts"
        );
    }

    #[test]
    fn only_same_origin_api_paths_parse() {
        assert!(ApiPath::parse("/api/v2.0/projects?page=2").is_ok());
        for bad in [
            "https://evil.example/api/v2.0/projects",
            "//evil.example/api/v2.0/projects",
            "/api/v2.0//evil.example/x",
            "/api/v2.0",
            "/api/v2.0x/projects",
            "/other/path",
            "/api/v2.0/../../admin",
            "/api/v2.0/a\\b",
            "javascript:alert(1)",
        ] {
            assert!(ApiPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn q_forms_and_escaping() {
        let q = Q::new()
            .exact("name", "library/nginx")
            .unwrap()
            .fuzzy("name", "ng")
            .unwrap()
            .range(
                "push_time",
                Some("2024-01-01T00:00:00"),
                Some("2024-02-01T00:00:00"),
            )
            .unwrap()
            .union("tags", &["v1", "v2"])
            .unwrap()
            .intersection("labels", &["1", "2"])
            .unwrap()
            .range("size", None, Some(10))
            .unwrap();
        assert_eq!(
            q.as_str(),
            "name=library/nginx,name=~ng,push_time=[2024-01-01T00:00:00~2024-02-01T00:00:00],\
             tags={v1 v2},labels=(1 2),size=[~10]"
        );
        assert_eq!(
            Q::new().exact("tags", ""),
            Err(UrlError::EmptyValue("tags".into()))
        );
        assert_eq!(
            Q::new().range::<u64>("size", None, None),
            Err(UrlError::OpenRange("size".into()))
        );
        assert_eq!(Q::new().exact("tags", "~x").unwrap().as_str(), "tags=\\~x");
        assert_eq!(Q::new().exact("tags", "{x").unwrap().as_str(), "tags=\\{x");
        assert_eq!(
            Q::new().exact("n", "50%+1").unwrap().as_str(),
            "n=50%25%2B1"
        );
        assert!(matches!(
            Q::new().exact("tags", "a,b"),
            Err(UrlError::BadValue { .. })
        ));
        assert!(matches!(
            Q::new().union("tags", &["a b"]),
            Err(UrlError::BadValue { .. })
        ));
        assert!(matches!(
            Q::new().union("tags", &["a}"]),
            Err(UrlError::BadValue { .. })
        ));
        assert_eq!(
            Q::new().union::<&str>("tags", &[]),
            Err(UrlError::EmptyList("tags".into()))
        );
        assert_eq!(
            Q::new().exact("a=b", "c"),
            Err(UrlError::BadKey("a=b".into()))
        );
        assert_eq!(Q::new().raw(" type=IMAGE ").raw("").as_str(), "type=IMAGE");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%252Fb"), "a%2Fb");
        assert_eq!(percent_decode(&percent_decode("a%252Fb")), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"admin:Harbor12345"), "YWRtaW46SGFyYm9yMTIzNDU=");
    }
}

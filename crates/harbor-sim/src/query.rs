//! Harbor's `q` and `sort` syntax (`lib/q/builder.go`, `lib/orm/query.go`).
//!
//! `q=k1=v1,k2=~v2,k3=[a~b],k4={a b},k5=(1 2)`: terms split on `,`, joined with AND.
//! Unknown keys and unknown sort fields are silently ignored, as Harbor does.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::time::{self, Millis};

/// A typed value inside a range or list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QValue {
    /// Matched `2006-01-02T15:04:05`.
    Time(Millis),
    /// Parsed as int64.
    Int(i64),
    /// Anything else, quotes removed.
    Str(String),
}

/// One term's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `k=v` (a leading `\` escapes a special first character).
    Exact(String),
    /// `k=~v`: case-insensitive contains.
    Fuzzy(String),
    /// `k=[min~max]`, either end optional.
    Range(Option<QValue>, Option<QValue>),
    /// `k={a b c}`: IN.
    Union(Vec<QValue>),
    /// `k=(a b c)`: intersection (only `labels` uses it).
    And(Vec<QValue>),
}

/// A parsed `q`: keys are unique (the last term for a key wins, like Harbor's map).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// (key, pattern) pairs.
    pub terms: Vec<(String, Pattern)>,
}

/// A `q` that Harbor would refuse with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Bad percent escape (in [`query_unescape`]; `parse_q` only logs it, as Harbor).
    #[error("invalid URL escape {0:?}")]
    Escape(String),
    /// A term without `=` or with an empty side.
    #[error(r#"the query string must contain "=" and the key/value cannot be empty"#)]
    Term,
    /// A value Harbor cannot parse: an empty fuzzy value (`name=~`, what an empty
    /// search box gives), an unclosed `[`, `{` or `(`, a range without one `~` or with
    /// no end set.
    #[error("invalid query string value: {0}")]
    Value(String),
}

impl Query {
    /// The pattern for `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Pattern> {
        self.terms.iter().find(|(k, _)| k == key).map(|(_, p)| p)
    }
}

/// Go's `url.QueryUnescape`: `%XX` decoding and `+` as space.
pub fn query_unescape(s: &str) -> Result<String, QueryError> {
    percent_decode(s, true).ok_or_else(|| QueryError::Escape(bad_escape(s)))
}

/// The first bad `%` sequence of `s`, as Go's error message quotes it (`"%zz"`).
fn bad_escape(s: &str) -> String {
    let b = s.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'%' {
            let seq = s.get(i..(i + 3).min(s.len())).unwrap_or("%");
            let ok = seq.len() == 3 && seq[1..].bytes().all(|h| h.is_ascii_hexdigit());
            if !ok {
                return seq.to_string();
            }
        }
    }
    s.to_string()
}

/// Go's `url.PathUnescape`: `%XX` decoding, `+` kept.
pub fn path_unescape(s: &str) -> Option<String> {
    percent_decode(s, false)
}

fn percent_decode(s: &str, plus_is_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parses the (already query-decoded) `q` parameter; Harbor decodes it once more first.
pub fn parse_q(q: &str) -> Result<Query, QueryError> {
    let mut query = Query::default();
    if q.is_empty() {
        return Ok(query);
    }
    // Harbor logs a bad escape and goes on with the text as it came.
    let q = query_unescape(q).unwrap_or_else(|_| q.to_string());
    for term in q.split(',') {
        let (k, v) = term.split_once('=').ok_or(QueryError::Term)?;
        if k.is_empty() || v.is_empty() {
            return Err(QueryError::Term);
        }
        let pattern = parse_pattern(v)?;
        query.terms.retain(|(key, _)| key != k);
        query.terms.push((k.to_string(), pattern));
    }
    Ok(query)
}

fn parse_pattern(v: &str) -> Result<Pattern, QueryError> {
    if let Some(rest) = v.strip_prefix('\\') {
        return Ok(Pattern::Exact(rest.to_string()));
    }
    let bad = || QueryError::Value(v.to_string());
    if let Some(rest) = v.strip_prefix('~') {
        if rest.is_empty() {
            return Err(bad());
        }
        return Ok(Pattern::Fuzzy(rest.to_string()));
    }
    // An opening bracket must be closed: `[a~b`, `{a b` and `(1 2` are refused.
    let inner = |open: char, close: char| -> Result<Option<&str>, QueryError> {
        match v.strip_prefix(open) {
            None => Ok(None),
            Some(rest) => rest.strip_suffix(close).map(Some).ok_or_else(bad),
        }
    };
    if let Some(body) = inner('[', ']')? {
        let mut sides = body.split('~');
        let (Some(lo), Some(hi), None) = (sides.next(), sides.next(), sides.next()) else {
            return Err(bad());
        };
        let (lo, hi) = (lo.trim(), hi.trim());
        if lo.is_empty() && hi.is_empty() {
            return Err(bad());
        }
        let side = |s: &str| (!s.is_empty()).then(|| parse_value(s));
        return Ok(Pattern::Range(side(lo), side(hi)));
    }
    if let Some(body) = inner('{', '}')? {
        return Ok(Pattern::Union(list(body)));
    }
    if let Some(body) = inner('(', ')')? {
        return Ok(Pattern::And(list(body)));
    }
    Ok(Pattern::Exact(v.to_string()))
}

fn list(body: &str) -> Vec<QValue> {
    body.split(' ')
        .filter(|s| !s.is_empty())
        .map(parse_value)
        .collect()
}

/// Time first, then int64, then a string with quotes trimmed.
pub fn parse_value(s: &str) -> QValue {
    if let Some(t) = time::parse_q_time(s) {
        return QValue::Time(t);
    }
    if let Ok(i) = s.parse::<i64>() {
        return QValue::Int(i);
    }
    QValue::Str(s.trim_matches(|c| c == '"' || c == '\'').to_string())
}

/// A field value of a record, for filtering and sorting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<'a> {
    /// Integer column.
    Int(i64),
    /// Text column.
    Str(Cow<'a, str>),
    /// Time column (never-set times are [`time::NEVER_MS`]).
    Time(Millis),
}

impl Field<'_> {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Field::Int(i) => Cow::Owned(i.to_string()),
            Field::Str(s) => Cow::Borrowed(s),
            Field::Time(t) => Cow::Owned(time::format_millis(*t)),
        }
    }

    fn cmp_value(&self, v: &QValue) -> Option<Ordering> {
        match (self, v) {
            (Field::Int(a), QValue::Int(b)) => Some(a.cmp(b)),
            (Field::Time(a), QValue::Time(b)) => Some(a.cmp(b)),
            (Field::Str(a), QValue::Str(b)) => Some(a.as_ref().cmp(b.as_str())),
            (Field::Str(a), QValue::Int(b)) => Some(a.as_ref().cmp(b.to_string().as_str())),
            _ => None,
        }
    }

    /// Whether the field matches a generic (non-special) pattern.
    pub fn matches(&self, p: &Pattern) -> bool {
        match p {
            Pattern::Exact(s) => match self {
                Field::Int(i) => s.parse::<i64>().ok() == Some(*i),
                Field::Time(t) => time::parse_q_time(s) == Some(*t),
                Field::Str(v) => v == s,
            },
            Pattern::Fuzzy(s) => self.text().to_lowercase().contains(&s.to_lowercase()),
            Pattern::Range(lo, hi) => {
                let ok_lo = lo.as_ref().is_none_or(|v| {
                    matches!(self.cmp_value(v), Some(Ordering::Greater | Ordering::Equal))
                });
                let ok_hi = hi.as_ref().is_none_or(|v| {
                    matches!(self.cmp_value(v), Some(Ordering::Less | Ordering::Equal))
                });
                ok_lo && ok_hi
            }
            Pattern::Union(vs) => vs
                .iter()
                .any(|v| self.cmp_value(v) == Some(Ordering::Equal)),
            Pattern::And(vs) => vs
                .iter()
                .all(|v| self.cmp_value(v) == Some(Ordering::Equal)),
        }
    }

    fn order(&self, other: &Field) -> Ordering {
        match (self, other) {
            (Field::Int(a), Field::Int(b)) => a.cmp(b),
            (Field::Time(a), Field::Time(b)) => a.cmp(b),
            (a, b) => a.text().cmp(&b.text()),
        }
    }
}

/// A record that can be filtered and sorted by column name.
pub trait Record {
    /// The value of column `key`; `None` for an unknown column (the term is ignored).
    fn field(&self, key: &str) -> Option<Field<'_>>;
}

/// True when every generic term of `q` whose key the record knows matches. `special`
/// lists keys the caller handles itself.
pub fn matches<R: Record>(r: &R, q: &Query, special: &[&str]) -> bool {
    q.terms
        .iter()
        .filter(|(k, _)| !special.contains(&k.as_str()))
        .all(|(k, p)| match r.field(k) {
            Some(f) => f.matches(p),
            None => true,
        })
}

/// One `sort` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Column name.
    pub field: String,
    /// Leading `-`.
    pub desc: bool,
}

/// Parses `sort=a,-b`.
pub fn parse_sort(s: &str) -> Vec<SortKey> {
    s.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty() && *k != "-")
        .map(|k| match k.strip_prefix('-') {
            Some(f) => SortKey {
                field: f.to_string(),
                desc: true,
            },
            None => SortKey {
                field: k.to_string(),
                desc: false,
            },
        })
        .collect()
}

/// Sorts records by `keys` (unknown fields ignored); when no key is known, by `default`.
/// Ties keep their incoming order, so callers pass records in a stable base order.
pub fn sort_records<R: Record>(items: &mut [R], keys: &[SortKey], default: &[SortKey]) {
    let probe = items.first();
    let known: Vec<&SortKey> = keys
        .iter()
        .filter(|k| probe.is_none_or(|r| r.field(&k.field).is_some()))
        .collect();
    let keys: Vec<&SortKey> = if known.is_empty() {
        default.iter().collect()
    } else {
        known
    };
    items.sort_by(|a, b| {
        for k in &keys {
            let (fa, fb) = (a.field(&k.field), b.field(&k.field));
            let o = match (fa, fb) {
                (Some(x), Some(y)) => x.order(&y),
                _ => Ordering::Equal,
            };
            let o = if k.desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

/// Shorthand for a default sort: `sort_keys(&["-push_time", "-id"])`.
pub fn sort_keys(spec: &[&str]) -> Vec<SortKey> {
    parse_sort(&spec.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        let q = parse_q("name=~ngi,size=[10~20],id={1 2 3},labels=(4 5),x=\\~lit").unwrap();
        assert_eq!(q.get("name"), Some(&Pattern::Fuzzy("ngi".into())));
        assert_eq!(
            q.get("size"),
            Some(&Pattern::Range(
                Some(QValue::Int(10)),
                Some(QValue::Int(20))
            ))
        );
        assert_eq!(
            q.get("id"),
            Some(&Pattern::Union(vec![
                QValue::Int(1),
                QValue::Int(2),
                QValue::Int(3)
            ]))
        );
        assert_eq!(
            q.get("labels"),
            Some(&Pattern::And(vec![QValue::Int(4), QValue::Int(5)]))
        );
        assert_eq!(q.get("x"), Some(&Pattern::Exact("~lit".into())));
        assert_eq!(parse_q("noequals"), Err(QueryError::Term));
        // A bad escape is only logged: the text is used as it came.
        assert_eq!(
            parse_q("a=%zz").unwrap().get("a"),
            Some(&Pattern::Exact("%zz".into()))
        );
        for bad in [
            "a=[~]",
            "a=~",
            "a=[1~2",
            "a={1 2",
            "a=(1 2",
            "a=[1~2~3]",
            "a=[12]",
        ] {
            let value = bad.trim_start_matches("a=");
            assert_eq!(parse_q(bad), Err(QueryError::Value(value.into())), "{bad}");
        }
        assert_eq!(
            QueryError::Value("~".into()).to_string(),
            "invalid query string value: ~"
        );
        assert_eq!(
            parse_q("push_time=[2024-01-01T00:00:00~]")
                .unwrap()
                .get("push_time"),
            Some(&Pattern::Range(Some(QValue::Time(1_704_067_200_000)), None))
        );
    }

    #[test]
    fn decodes_twice() {
        let fuzzy = |q: &str| parse_q(q).unwrap().get("name").cloned();
        assert_eq!(fuzzy("name%3D~a%2Bb"), Some(Pattern::Fuzzy("a+b".into())));
        assert_eq!(fuzzy("name=~a+b"), Some(Pattern::Fuzzy("a b".into())));
    }

    #[test]
    fn sort_keys_parse() {
        assert_eq!(
            parse_sort("name,-push_time"),
            vec![
                SortKey {
                    field: "name".into(),
                    desc: false
                },
                SortKey {
                    field: "push_time".into(),
                    desc: true
                }
            ]
        );
    }
}

//! Harbor's paging: `page`/`page_size` validation, slicing, `X-Total-Count` and `Link`.

use crate::query::query_unescape;

/// Largest `page_size` Harbor accepts.
pub const MAX_PAGE_SIZE: i64 = 100;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page (values below 1 act as 1).
    pub page: i64,
    /// Items per page; `<= 0` means "no limit" (Harbor's ORM then adds no LIMIT).
    pub size: i64,
}

/// Why paging parameters were refused: Harbor answers 422 with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("validation failure list:\n{0}")]
pub struct PageError(pub String);

impl Page {
    /// Reads `page` and `page_size` from decoded query pairs (defaults 1 and 10).
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Page, PageError> {
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let parse = |k: &str, default: i64| -> Result<i64, PageError> {
            match get(k) {
                None | Some("") => Ok(default),
                Some(v) => v
                    .parse::<i64>()
                    .map_err(|_| PageError(format!("{k} in query must be of type int64: \"{v}\""))),
            }
        };
        let page = parse("page", 1)?;
        let size = parse("page_size", 10)?;
        if size > MAX_PAGE_SIZE {
            return Err(PageError(format!(
                "page_size in query should be less than or equal to {MAX_PAGE_SIZE}"
            )));
        }
        Ok(Page { page, size })
    }

    /// The slice of `items` this page covers (empty past the end).
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        if self.size <= 0 {
            return items;
        }
        let start = ((self.page.max(1) - 1).saturating_mul(self.size)).min(items.len() as i64);
        let end = start.saturating_add(self.size).min(items.len() as i64);
        &items[start as usize..end as usize]
    }

    /// Harbor's `Link` header value, or `None` when there is neither prev nor next.
    /// `path` is the raw request path, `pairs` the decoded query pairs in request order.
    pub fn link(&self, path: &str, pairs: &[(String, String)], total: i64) -> Option<String> {
        if self.size <= 0 {
            return None;
        }
        let page = self.page;
        let mut links = Vec::new();
        if page > 1 && (page - 1).saturating_mul(self.size) < total {
            links.push(format!(
                "<{}>; rel=\"prev\"",
                self.url(path, pairs, page - 1)
            ));
        }
        if self.size.saturating_mul(page) < total {
            links.push(format!(
                "<{}>; rel=\"next\"",
                self.url(path, pairs, page.saturating_add(1))
            ));
        }
        (!links.is_empty()).then(|| links.join(" , "))
    }

    /// The URL Harbor builds: the raw request path as received (so `a%252Fb` stays), query
    /// keys sorted (Go's `url.Values.Encode`), `page` and `page_size` set, and the query
    /// string un-escaped once (`q=name=~foo`).
    fn url(&self, path: &str, pairs: &[(String, String)], page: i64) -> String {
        let mut kv: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "page" && k != "page_size")
            .cloned()
            .collect();
        kv.push(("page".into(), page.to_string()));
        kv.push(("page_size".into(), self.size.to_string()));
        kv.sort_by(|a, b| a.0.cmp(&b.0));
        let query: Vec<String> = kv.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{path}?{}", query.join("&"))
    }
}

/// Decodes a raw query string into (key, value) pairs, `+` as space.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    raw.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| query_unescape(s).unwrap_or_else(|_| s.to_string());
            (dec(k), dec(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        query_pairs(Some(s))
    }

    #[test]
    fn defaults_and_limits() {
        assert_eq!(Page::from_pairs(&[]), Ok(Page { page: 1, size: 10 }));
        assert_eq!(
            Page::from_pairs(&pairs("page_size=101"))
                .unwrap_err()
                .to_string(),
            "validation failure list:\npage_size in query should be less than or equal to 100"
        );
        assert!(Page::from_pairs(&pairs("page_size=100")).is_ok());
    }

    #[test]
    fn links_follow_harbor_rules() {
        let p = Page { page: 2, size: 10 };
        let q = pairs("q=name%3D~foo&page=2");
        assert_eq!(
            p.link("/api/v2.0/projects", &q, 25).as_deref(),
            Some(
                "</api/v2.0/projects?page=1&page_size=10&q=name=~foo>; rel=\"prev\" , \
                 </api/v2.0/projects?page=3&page_size=10&q=name=~foo>; rel=\"next\""
            )
        );
        assert_eq!(Page { page: 9, size: 10 }.link("/x", &[], 25), None);
        assert_eq!(
            Page {
                page: i64::MAX,
                size: 100
            }
            .link("/x", &[], 25),
            None
        );
        assert!(Page {
            page: i64::MAX,
            size: 100
        }
        .slice(&[1])
        .is_empty());
        assert_eq!(
            Page { page: 4, size: 10 }.link("/x", &[], 25).as_deref(),
            None,
            "(4-1)*10 >= 25: no prev"
        );
        assert_eq!(
            Page { page: 3, size: 10 }.link("/x", &[], 25).as_deref(),
            Some("</x?page=2&page_size=10>; rel=\"prev\"")
        );
        assert_eq!(Page { page: 1, size: 10 }.slice(&[1, 2, 3]), &[1, 2, 3]);
        assert!(Page { page: 2, size: 10 }.slice(&[1, 2, 3]).is_empty());
    }
}

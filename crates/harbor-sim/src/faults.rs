//! Deterministic fault injection.
//!
//! A plan is a list of rules aimed at path patterns plus an optional random rate. Every
//! verdict is a pure function of (seed, method, path+query, attempt number), so a test can
//! predict exactly which requests fail, whatever order they arrive in.

use serde::{Deserialize, Serialize};

use crate::rng::{hash_str, mix, unit};

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 500 with Harbor's `UNKNOWN` body.
    Http500,
    /// 502 with an HTML body, as a reverse proxy sends it.
    Http502,
    /// 503 with Harbor's `UNKNOWN` body.
    Http503,
    /// 429 `TOO_MANY_REQUEST` with `Retry-After`.
    Http429,
    /// Answer normally, but only after `delay_ms` (beyond a client's timeout).
    Slow,
    /// 200 whose JSON body is cut in half (Content-Length matches the cut body).
    TruncatedJson,
    /// 200 whose body is not valid JSON.
    MalformedJson,
    /// Headers and half the body, then the connection drops.
    DropConnection,
    /// The normal body with `Content-Type: text/html`.
    WrongContentType,
    /// 200 with an empty body.
    EmptyBody,
    /// The normal body with `X-Total-Count` off by `total_delta`.
    LyingTotalCount,
}

impl FaultKind {
    /// The status line the client sees.
    pub fn status(self, normal: u16) -> u16 {
        match self {
            FaultKind::Http500 => 500,
            FaultKind::Http502 => 502,
            FaultKind::Http503 => 503,
            FaultKind::Http429 => 429,
            _ => normal,
        }
    }
}

fn default_retry_after() -> u32 {
    1
}
fn default_delay() -> u64 {
    15_000
}
fn default_delta() -> i64 {
    7
}

/// One rule: requests whose path+query matches `pattern` get `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// A prefix, or a glob with `*` (any run of characters, `/` included), matched against
    /// the raw path+query. A pattern not starting with `/api/` or `*` is also tried against
    /// the path with `/api/v2.0` stripped, so `/projects*` works.
    pub pattern: String,
    /// What to inject.
    pub kind: FaultKind,
    /// Only this HTTP method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Fail only the first N attempts of each matching URL (transient); absent = always.
    #[serde(default)]
    pub times: Option<u32>,
    /// For `http429`: the `Retry-After` seconds.
    #[serde(default = "default_retry_after")]
    pub retry_after_secs: u32,
    /// For `slow`: the delay.
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
    /// For `lying_total_count`: added to the true total.
    #[serde(default = "default_delta")]
    pub total_delta: i64,
}

impl FaultRule {
    /// A rule with default parameters that always fires.
    pub fn new(pattern: impl Into<String>, kind: FaultKind) -> Self {
        FaultRule {
            pattern: pattern.into(),
            kind,
            method: None,
            times: None,
            retry_after_secs: default_retry_after(),
            delay_ms: default_delay(),
            total_delta: default_delta(),
        }
    }

    /// Fires only for the first `n` attempts of each URL.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn applies(&self, method: &str, path_and_query: &str, attempt: u32) -> bool {
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        if self.times.is_some_and(|n| attempt > n) {
            return false;
        }
        if glob(&self.pattern, path_and_query) {
            return true;
        }
        let relative = !self.pattern.starts_with("/api/") && !self.pattern.starts_with('*');
        relative
            && path_and_query
                .strip_prefix("/api/v2.0")
                .is_some_and(|rest| glob(&self.pattern, rest))
    }
}

/// The whole plan. `{}` deserialises to "no faults".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// Rules, first match wins.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
    /// Share of `/api/` requests (0..=1) failing at random, decided by hashing.
    #[serde(default)]
    pub rate: f64,
    /// Kinds used for random faults (default: 500, 502, 503).
    #[serde(default)]
    pub rate_kinds: Vec<FaultKind>,
    /// Seed of the random verdicts; the simulator's seed when absent.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A decided fault with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultAction {
    /// What to do.
    pub kind: FaultKind,
    /// Retry-After seconds (429).
    pub retry_after_secs: u32,
    /// Delay (slow).
    pub delay_ms: u64,
    /// X-Total-Count offset (lying_total_count).
    pub total_delta: i64,
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        FaultPlan::default()
    }

    /// A plan failing a share `rate` of requests at random with 500/502/503.
    pub fn random(rate: f64) -> Self {
        FaultPlan {
            rate,
            ..FaultPlan::default()
        }
    }

    /// True when the plan can never fire.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.rate <= 0.0
    }

    /// The verdict for one request. `attempt` is 1 for the first request of this
    /// method + path+query since the plan was set (or stats reset). Pure.
    pub fn decide(
        &self,
        sim_seed: u64,
        method: &str,
        path_and_query: &str,
        attempt: u32,
    ) -> Option<FaultAction> {
        if let Some(r) = self
            .rules
            .iter()
            .find(|r| r.applies(method, path_and_query, attempt))
        {
            return Some(FaultAction {
                kind: r.kind,
                retry_after_secs: r.retry_after_secs,
                delay_ms: r.delay_ms,
                total_delta: r.total_delta,
            });
        }
        if self.rate <= 0.0 || !path_and_query.starts_with("/api/") {
            return None;
        }
        let seed = self.seed.unwrap_or(sim_seed);
        let h = mix(
            hash_str(seed, &format!("{method} {path_and_query}")),
            u64::from(attempt),
        );
        if unit(h) >= self.rate {
            return None;
        }
        const DEFAULT: [FaultKind; 3] =
            [FaultKind::Http500, FaultKind::Http502, FaultKind::Http503];
        let kinds: &[FaultKind] = if self.rate_kinds.is_empty() {
            &DEFAULT
        } else {
            &self.rate_kinds
        };
        let kind = kinds[(mix(h, 0xFA17) % kinds.len() as u64) as usize];
        Some(FaultAction {
            kind,
            retry_after_secs: default_retry_after(),
            delay_ms: default_delay(),
            total_delta: default_delta(),
        })
    }
}

/// `*` matches any run of characters; without `*` the pattern is a prefix.
pub fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return text.starts_with(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The body a 502 from a reverse proxy carries.
pub const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("/api/v2.0/projects", "/api/v2.0/projects?page=2"));
        assert!(glob(
            "*/artifacts?*page=2*",
            "/api/v2.0/projects/a/repositories/b/artifacts?page=2&x"
        ));
        assert!(!glob(
            "*/artifacts?*page=3*",
            "/api/v2.0/projects/a/repositories/b/artifacts?page=2"
        ));
        assert!(glob("*tags", "/x/tags"));
    }

    #[test]
    fn transient_rules_stop_after_n() {
        let plan = FaultPlan {
            rules: vec![FaultRule::new("/projects", FaultKind::Http503).times(2)],
            ..FaultPlan::default()
        };
        let d = |a| {
            plan.decide(1, "GET", "/api/v2.0/projects?page=1", a)
                .map(|f| f.kind)
        };
        assert_eq!(d(1), Some(FaultKind::Http503));
        assert_eq!(d(2), Some(FaultKind::Http503));
        assert_eq!(d(3), None);
    }

    #[test]
    fn random_rate_is_a_pure_function() {
        let plan = FaultPlan::random(0.3);
        let hits = (0..1000)
            .filter(|i| {
                plan.decide(9, "GET", &format!("/api/v2.0/x?page={i}"), 1)
                    .is_some()
            })
            .count();
        assert!((200..400).contains(&hits), "{hits}");
        let a = plan.decide(9, "GET", "/api/v2.0/x?page=5", 1);
        assert_eq!(a, plan.decide(9, "GET", "/api/v2.0/x?page=5", 1));
        assert_eq!(plan.decide(9, "GET", "/_sim/stats", 1), None);
    }
}

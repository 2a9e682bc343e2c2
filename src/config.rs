//! Runtime settings, so an operator can point and embed the dashboard without rebuilding:
//! an optional `config.json` beside `index.html`, then URL parameters on top.

use serde::Deserialize;

/// What the operator (config.json) or the link (URL parameters) may set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RuntimeConfig {
    /// Harbor's address; empty means the page's own origin.
    pub harbor_url: String,
    /// Hide the page header (for an iframe in a portal).
    pub embed: bool,
    /// Ask for scan overviews while crawling (default on).
    pub scan_overview: Option<bool>,
    /// Requests in flight at the start, and at most over HTTP/1.1; `None` lets the
    /// engine choose (6, the browsers' connections per host there).
    pub concurrency: Option<usize>,
    /// Requests in flight at most over HTTP/2, where the engine adapts its limit to what
    /// Harbor can serve; `None`: the engine's ceiling (32).
    pub max_concurrency: Option<usize>,
    /// Seconds before a request is given up (and retried); `None` lets the engine choose.
    /// A slow Harbor or a long report may need more.
    pub request_timeout_secs: Option<u64>,
    /// Crawl in the page instead of a worker (`worker=0`): for a browser or a policy
    /// that refuses workers, and to compare the two.
    pub no_worker: bool,
    /// Never ask Security Hub for the CVE roll-up (`security_hub=0`): one report per
    /// artifact even where the caller may read it.
    pub no_security_hub: bool,
}

/// The range a request timeout is held to.
pub const TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 1..=600;

impl RuntimeConfig {
    /// Applies URL parameters (`harbor`, `embed`, `scan_overview`, `timeout` in seconds,
    /// `max_concurrency`, `worker`) over the file's settings.
    pub fn with_params(mut self, params: &[(String, String)]) -> Self {
        for (key, value) in params {
            match key.as_str() {
                "harbor" => self.harbor_url = value.clone(),
                "embed" => self.embed = is_true(value),
                "worker" => self.no_worker = !is_true(value),
                "security_hub" => self.no_security_hub = !is_true(value),
                "scan_overview" => self.scan_overview = Some(is_true(value)),
                "timeout" => {
                    if let Ok(secs) = value.parse::<u64>() {
                        self.request_timeout_secs = Some(secs);
                    }
                }
                "max_concurrency" => {
                    if let Ok(n) = value.parse::<usize>() {
                        self.max_concurrency = Some(n);
                    }
                }
                _ => {}
            }
        }
        self
    }

    /// Parses `config.json`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError::Broken(e.to_string()))
    }
}

/// Why `config.json` was not used. The page then runs on defaults, and says so: an
/// operator's setting silently ignored is worse than a visible complaint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config.json is not valid ({0}); running with the default settings")]
    Broken(String),
    #[error("config.json could not be read (HTTP {0}); running with the default settings")]
    Status(u16),
}

fn is_true(value: &str) -> bool {
    matches!(value, "1" | "true" | "yes" | "on")
}

/// Fetches `config.json` beside `index.html` (relative, so it works under a sub-path).
/// It is optional: none there (404, or no answer) means defaults; one there that cannot
/// be used is an error.
pub async fn fetch_file() -> Result<RuntimeConfig, ConfigError> {
    let Ok(resp) = gloo_net::http::Request::get("config.json").send().await else {
        return Ok(RuntimeConfig::default());
    };
    match resp.status() {
        404 => return Ok(RuntimeConfig::default()),
        200..=299 => {}
        status => return Err(ConfigError::Status(status)),
    }
    let text = resp
        .text()
        .await
        .map_err(|e| ConfigError::Broken(e.to_string()))?;
    RuntimeConfig::from_json(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_params() {
        let file = RuntimeConfig::from_json(r#"{"harbor_url":"https://h","concurrency":8}"#)
            .unwrap_or_default();
        assert_eq!(file.harbor_url, "https://h");
        assert_eq!(file.concurrency, Some(8));
        let params = [
            ("embed".to_owned(), "1".to_owned()),
            ("harbor".to_owned(), "https://k".to_owned()),
        ];
        let both = file.with_params(&params);
        assert!(both.embed);
        let slow = RuntimeConfig::default().with_params(&[("timeout".into(), "90".into())]);
        assert_eq!(slow.request_timeout_secs, Some(90));
        let wide = RuntimeConfig::default().with_params(&[("max_concurrency".into(), "48".into())]);
        assert_eq!(wide.max_concurrency, Some(48));
        let junk = RuntimeConfig::default().with_params(&[("timeout".into(), "soon".into())]);
        assert_eq!(junk.request_timeout_secs, None);
        assert_eq!(both.harbor_url, "https://k");
        assert!(matches!(
            RuntimeConfig::from_json("not json"),
            Err(ConfigError::Broken(_))
        ));
        assert!(matches!(
            RuntimeConfig::from_json(r#"{"embed":"sometimes"}"#),
            Err(ConfigError::Broken(_))
        ));
    }
}

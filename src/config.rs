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
    /// Requests in flight at most; `None` lets the engine choose.
    pub concurrency: Option<usize>,
    /// Seconds before a request is given up (and retried); `None` lets the engine choose.
    /// A slow Harbor or a long report may need more.
    pub request_timeout_secs: Option<u64>,
}

/// The range a request timeout is held to.
pub const TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 1..=600;

impl RuntimeConfig {
    /// Applies URL parameters (`harbor`, `embed`, `scan_overview`, `timeout` in seconds)
    /// over the file's settings.
    pub fn with_params(mut self, params: &[(String, String)]) -> Self {
        for (key, value) in params {
            match key.as_str() {
                "harbor" => self.harbor_url = value.clone(),
                "embed" => self.embed = is_true(value),
                "scan_overview" => self.scan_overview = Some(is_true(value)),
                "timeout" => {
                    if let Ok(secs) = value.parse::<u64>() {
                        self.request_timeout_secs = Some(secs);
                    }
                }
                _ => {}
            }
        }
        self
    }

    /// Parses `config.json`; a missing or broken file means defaults (it is optional).
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

fn is_true(value: &str) -> bool {
    matches!(value, "1" | "true" | "yes" | "on")
}

/// Fetches `config.json` beside `index.html` (relative, so it works under a sub-path).
pub async fn fetch_file() -> RuntimeConfig {
    let Ok(resp) = gloo_net::http::Request::get("config.json").send().await else {
        return RuntimeConfig::default();
    };
    if !resp.ok() {
        return RuntimeConfig::default();
    }
    resp.text()
        .await
        .map(|t| RuntimeConfig::from_json(&t))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_params() {
        let file = RuntimeConfig::from_json(r#"{"harbor_url":"https://h","concurrency":8}"#);
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
        let junk = RuntimeConfig::default().with_params(&[("timeout".into(), "soon".into())]);
        assert_eq!(junk.request_timeout_secs, None);
        assert_eq!(both.harbor_url, "https://k");
        assert_eq!(
            RuntimeConfig::from_json("not json"),
            RuntimeConfig::default()
        );
    }
}

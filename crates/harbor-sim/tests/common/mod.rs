//! Shared helpers: a simulator on a real socket and a thin reqwest wrapper.
#![allow(dead_code)]

use harbor_sim::{spawn, HarborVersion, Preset, SimConfig, SimHandle};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const ADMIN: (&str, &str) = ("admin", "Harbor12345");
pub const ALICE: (&str, &str) = ("alice", "Alice12345");
pub const BOB: (&str, &str) = ("bob", "Bob12345");
pub const ROBOT: (&str, &str) = ("robot$lens-audit", "RobotSecret1");
pub const TEAM_ROBOT: (&str, &str) = ("robot$team+ci", "TeamRobot1");

pub struct Harness {
    pub handle: SimHandle,
    pub client: reqwest::Client,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn total(&self) -> Option<i64> {
        self.header("x-total-count").and_then(|v| v.parse().ok())
    }
    pub fn link(&self) -> Option<String> {
        self.header("link")
    }
    /// The `len()` of a JSON array body.
    pub fn len(&self) -> usize {
        self.json()
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| panic!("not an array: {}", self.body))
    }
    /// A field of every item of an array body.
    pub fn pluck(&self, key: &str) -> Vec<Value> {
        self.json()
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v[key].clone())
            .collect()
    }
    pub fn error(&self) -> (String, String) {
        let v = self.json();
        (
            v["errors"][0]["code"].as_str().unwrap_or("").to_string(),
            v["errors"][0]["message"].as_str().unwrap_or("").to_string(),
        )
    }
}

pub fn tiny() -> SimConfig {
    SimConfig {
        preset: Preset::Tiny,
        ..SimConfig::default()
    }
}

pub fn tiny_version(v: HarborVersion) -> SimConfig {
    SimConfig {
        version: v,
        ..tiny()
    }
}

impl Harness {
    pub async fn start(cfg: SimConfig) -> Harness {
        let handle = spawn(cfg).await.expect("spawn");
        let client = reqwest::Client::builder().build().expect("client");
        Harness { handle, client }
    }

    pub async fn tiny() -> Harness {
        Harness::start(tiny()).await
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/_sim") || path.starts_with("/api/") {
            format!("{}{path}", self.handle.base_url())
        } else {
            format!("{}/api/v2.0{path}", self.handle.base_url())
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.expect("body");
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn get_as(&self, path: &str, who: (&str, &str)) -> Resp {
        self.send(
            self.client
                .get(self.url(path))
                .basic_auth(who.0, Some(who.1)),
        )
        .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.client.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req).await
    }
}

//! What the slim row leaves out but the details panel shows: the platforms of a
//! multi-arch index and the annotations. One `GET` of the artifact, on demand.

use std::time::Duration;

use harbor_client::slim::ArtifactRow;
use harbor_client::transport::{CancelToken, Request, Transport};
use harbor_client::url::ApiPath;
use serde_json::Value;

/// Platforms and annotations of one artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactExtras {
    /// `linux/amd64`, `linux/arm64/v8`, ... of an image index's children.
    pub platforms: Vec<String>,
    /// Annotation keys and values, as Harbor sent them (rendered as text).
    pub annotations: Vec<(String, String)>,
}

/// `os/architecture[/variant]` of one `platform` object.
fn platform_name(platform: &Value) -> Option<String> {
    let field = |k: &str| {
        platform
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let mut name = format!("{}/{}", field("os")?, field("architecture")?);
    if let Some(variant) = field("variant") {
        name.push('/');
        name.push_str(variant);
    }
    Some(name)
}

/// Reads the extras out of an artifact body; anything missing is simply empty.
pub fn extras_from_json(body: &Value) -> ArtifactExtras {
    let platforms = body
        .get("references")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("platform").and_then(platform_name))
                .collect()
        })
        .unwrap_or_default();
    let annotations = body
        .get("annotations")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ArtifactExtras {
        platforms,
        annotations,
    }
}

/// Why the extras are not shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtrasError {
    #[error("{0}")]
    Network(String),
    #[error("Harbor answered {0}")]
    Status(u16),
    #[error("the artifact is not valid JSON: {0}")]
    Body(String),
}

/// Fetches the artifact and reads its extras.
pub async fn fetch<T: Transport>(
    transport: &T,
    auth: Option<String>,
    row: &ArtifactRow,
) -> Result<ArtifactExtras, ExtrasError> {
    let path = ApiPath::artifact(&row.project, row.short_repository(), &row.digest.text())
        .with_param("with_tag", false);
    let headers = auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
    let request = Request {
        path,
        headers,
        timeout: Duration::from_secs(20),
        cancel: CancelToken::new(),
    };
    let resp = transport
        .get(request)
        .await
        .map_err(|e| ExtrasError::Network(e.to_string()))?;
    if resp.status != 200 {
        return Err(ExtrasError::Status(resp.status));
    }
    let body: Value =
        serde_json::from_slice(&resp.body).map_err(|e| ExtrasError::Body(e.to_string()))?;
    Ok(extras_from_json(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_platforms_and_annotations() {
        let body = serde_json::json!({
            "references": [
                {"platform": {"os": "linux", "architecture": "amd64"}},
                {"platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
                {"platform": null}
            ],
            "annotations": {"org.opencontainers.image.title": "<b>x</b>", "n": 3}
        });
        let extras = extras_from_json(&body);
        assert_eq!(extras.platforms, ["linux/amd64", "linux/arm64/v8"]);
        assert_eq!(extras.annotations.len(), 2);
        assert!(extras.annotations.contains(&("n".into(), "3".into())));
        assert_eq!(
            extras_from_json(&serde_json::json!([])),
            ArtifactExtras::default()
        );
    }
}

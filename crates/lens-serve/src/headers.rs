//! Security headers sent on every response: the Content-Security-Policy the Leptos/wasm
//! app runs under, `nosniff` and `no-referrer`.
//!
//! The policy allows no inline script or style and no `eval`: the app loads through an
//! external `boot.js`, and `'wasm-unsafe-eval'` permits compiling WebAssembly only.

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// The Content-Security-Policy for the given `frame-ancestors` sources (empty = `'none'`).
///
/// The sources must already be validated (see [`crate::config::parse_frame_ancestor`]).
pub fn content_security_policy(frame_ancestors: &[String]) -> String {
    let ancestors = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        frame_ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
         object-src 'none'; frame-ancestors {ancestors}"
    )
}

/// Precomputed header values, shared by every request.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    /// `DENY` for browsers without `frame-ancestors`; omitted when the operator allows a
    /// portal, since `X-Frame-Options` cannot name an origin.
    frame_options: Option<HeaderValue>,
}

impl SecurityHeaders {
    /// Headers for the given `frame-ancestors` sources.
    pub fn new(frame_ancestors: &[String]) -> Self {
        let csp = HeaderValue::from_str(&content_security_policy(frame_ancestors))
            // Unreachable with validated sources; fall back to the strictest policy.
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        let frame_options = frame_ancestors
            .is_empty()
            .then(|| HeaderValue::from_static("DENY"));
        SecurityHeaders { csp, frame_options }
    }
}

/// Middleware: sets the security headers, replacing any the backend sent (Harbor's own
/// nginx adds `frame-ancestors 'none'`, which would contradict the operator's choice).
pub async fn apply(
    State(headers): State<Arc<SecurityHeaders>>,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, headers.csp.clone());
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    match &headers.frame_options {
        Some(v) => {
            h.insert(X_FRAME_OPTIONS, v.clone());
        }
        None => {
            h.remove(X_FRAME_OPTIONS);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_forbids_framing() {
        assert_eq!(
            content_security_policy(&[]),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
             object-src 'none'; frame-ancestors 'none'"
        );
        assert!(SecurityHeaders::new(&[]).frame_options.is_some());
    }

    #[test]
    fn operator_origins_replace_none() {
        let csp = content_security_policy(&["https://a.example".into(), "'self'".into()]);
        assert!(
            csp.ends_with("; frame-ancestors https://a.example 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(SecurityHeaders::new(&["https://a.example".into()])
            .frame_options
            .is_none());
    }
}

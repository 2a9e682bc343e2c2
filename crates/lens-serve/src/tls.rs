//! `--tls`: HTTPS with HTTP/2 (ALPN `h2`, falling back to `http/1.1`) on a self-signed
//! certificate made at start. Browsers allow only 6 HTTP/1.1 connections per host; over
//! HTTP/2 the dashboard's parallel crawl is not throttled by that limit.
//!
//! The certificate is for `localhost` and `127.0.0.1`; browsers will warn once. For a
//! real deployment put the dashboard behind the same TLS front end as Harbor.

use crate::ServeError;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A rustls server configuration with a fresh self-signed certificate for `names`.
pub fn self_signed_config(names: &[&str]) -> Result<rustls::ServerConfig, ServeError> {
    self_signed(names).map(|(config, _pem)| config)
}

/// Like [`self_signed_config`], also returning the certificate as PEM (for clients
/// that should trust it, e.g. tests).
pub fn self_signed(names: &[&str]) -> Result<(rustls::ServerConfig, String), ServeError> {
    let tls_error = |e: &dyn std::fmt::Display| ServeError::Tls(e.to_string());
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| tls_error(&e))?;
    let pem = certified.cert.pem();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .map_err(|e| tls_error(&e))?;
    // The ring provider explicitly: no process-wide default to depend on.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| tls_error(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((config, pem))
}

/// Serves `router` over TLS on an already bound listener until `stopped` fires.
pub fn spawn(
    listener: tokio::net::TcpListener,
    router: Router,
    stopped: oneshot::Receiver<()>,
) -> Result<JoinHandle<Result<(), ServeError>>, ServeError> {
    let config = self_signed_config(&["localhost", "127.0.0.1"])?;
    let listener = listener
        .into_std()
        .map_err(|e| ServeError::Io(e.to_string()))?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        let _ = stopped.await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    let server =
        axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(Arc::new(config)))
            .handle(handle);
    Ok(tokio::spawn(async move {
        server
            .serve(router.into_make_service())
            .await
            .map_err(|e| ServeError::Io(e.to_string()))
    }))
}

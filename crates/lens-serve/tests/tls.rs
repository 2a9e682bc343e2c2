//! `--tls`: HTTPS with HTTP/2 negotiated by ALPN, same app and headers as plain HTTP.
#![cfg(feature = "tls")]

mod common;

use common::{proxy_config, start, INDEX_HTML};

#[tokio::test]
async fn https_serves_the_app_over_http2() {
    let mut config = proxy_config("http://127.0.0.1:9");
    config.tls = true;
    let s = start(config).await;
    assert!(s.url().starts_with("https://127.0.0.1:"), "{}", s.url());
    let client = reqwest::Client::builder()
        // The certificate is self-signed by design.
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .build()
        .unwrap();
    let r = client.get(s.url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("'wasm-unsafe-eval'"));
    assert_eq!(r.text().await.unwrap(), INDEX_HTML);

    let http1 = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .no_proxy()
        .build()
        .unwrap();
    let r = http1.get(s.url()).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_11);
    assert_eq!(r.status(), 200);
}

/// An https "Harbor" on a fresh self-signed certificate; returns its URL and the PEM.
async fn https_upstream() -> (String, String) {
    let (config, pem) = lens_serve::tls::self_signed(&["127.0.0.1"]).unwrap();
    let app = axum::Router::new().route("/api/v2.0/ping", axum::routing::get(|| async { "Pong" }));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(std::sync::Arc::new(config));
    tokio::spawn(axum_server::from_tcp_rustls(listener, tls).serve(app.into_make_service()));
    (format!("https://{addr}"), pem)
}

#[tokio::test]
async fn proxy_reaches_an_https_harbor_signed_by_a_given_ca() {
    let (upstream, pem) = https_upstream().await;

    // Unknown CA: the TLS handshake fails and the browser gets 502, not Harbor's data.
    let s = start(proxy_config(&upstream)).await;
    let r = common::client()
        .get(format!("{}/api/v2.0/ping", s.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);

    let ca = std::env::temp_dir().join(format!("lens-serve-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, pem).unwrap();
    let mut config = proxy_config(&upstream);
    if let lens_serve::config::Backend::Harbor(opts) = &mut config.backend {
        opts.ca_file = Some(ca.clone());
    }
    let s = start(config).await;
    let r = common::client()
        .get(format!("{}/api/v2.0/ping", s.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "Pong");
    let _ = std::fs::remove_file(ca);
}

#[tokio::test]
async fn an_unreadable_ca_file_is_a_startup_error() {
    let mut config = proxy_config("https://127.0.0.1:9");
    if let lens_serve::config::Backend::Harbor(opts) = &mut config.backend {
        opts.ca_file = Some("/nonexistent/ca.pem".into());
    }
    let err = lens_serve::spawn(config, lens_serve::access_log::AccessLog::off())
        .await
        .unwrap_err();
    assert!(
        matches!(err, lens_serve::ServeError::Proxy(ref m) if m.contains("/nonexistent/ca.pem"))
    );
}

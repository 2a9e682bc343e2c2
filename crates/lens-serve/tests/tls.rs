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
    common::assert_ping_answers(&s).await;
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

/// A certificate for `localhost` written as PEM files; returns (cert PEM, cert path, key path).
fn pem_files(tag: &str) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("lens-serve-pem-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (certified.cert.pem(), cert, key)
}

#[tokio::test]
async fn tls_cert_and_key_files_serve_a_real_certificate() {
    let (pem, cert, key) = pem_files("ok");
    let mut config = proxy_config("http://127.0.0.1:9");
    config.tls = true;
    config.tls_files = Some(lens_serve::config::TlsFiles { cert, key });
    let s = start(config).await;
    // A client that trusts only this certificate, reaching it by its name.
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .resolve("localhost", s.addr())
        .no_proxy()
        .build()
        .unwrap();
    let r = client
        .get(format!("https://localhost:{}/", s.addr().port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), INDEX_HTML);
}

#[tokio::test]
async fn bad_tls_files_are_clear_startup_errors() {
    let (_pem, cert, key) = pem_files("bad");
    let garbage = cert.with_file_name("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let (_other_pem, other_cert, _other_key) = pem_files("other");
    let cases = [
        (
            cert.clone(),
            cert.with_file_name("missing.pem"),
            "missing.pem",
        ),
        (garbage.clone(), key.clone(), "no PEM certificate"),
        (cert.clone(), garbage.clone(), "no usable PEM private key"),
        (other_cert, key.clone(), "do not make a usable pair"),
    ];
    for (cert, key, needle) in cases {
        let mut config = proxy_config("http://127.0.0.1:9");
        config.tls = true;
        config.tls_files = Some(lens_serve::config::TlsFiles { cert, key });
        let err = lens_serve::spawn(config, lens_serve::access_log::AccessLog::off())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, lens_serve::ServeError::Tls(m) if m.contains(needle)),
            "{needle}: {err}"
        );
    }
    // The binary: a certificate without its key is a usage error.
    common::assert_usage_error(&["--tls-cert", "cert.pem"], "--tls-key").await;
}

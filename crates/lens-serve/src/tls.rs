//! HTTPS with HTTP/2 (ALPN `h2`, falling back to `http/1.1`). Browsers allow only 6
//! HTTP/1.1 connections per host; over HTTP/2 the dashboard's parallel crawl is not
//! throttled by that limit.
//!
//! `--tls-cert FILE --tls-key FILE` serve a real certificate (PEM). `--tls` alone makes a
//! self-signed one at start, for `localhost` and `127.0.0.1`; browsers will warn once.

use crate::config::TlsFiles;
use crate::listener::Handshake;
use crate::ServeError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

fn tls_error(e: &dyn std::fmt::Display) -> ServeError {
    ServeError::Tls(e.to_string())
}

/// A rustls server configuration for one certificate chain and key, offering h2 first.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<rustls::ServerConfig, ServeError> {
    // The ring provider explicitly: no process-wide default to depend on.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls_error(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A rustls server configuration with a fresh self-signed certificate for `names`.
pub fn self_signed_config(names: &[&str]) -> Result<rustls::ServerConfig, ServeError> {
    self_signed(names).map(|(config, _pem)| config)
}

/// Like [`self_signed_config`], also returning the certificate as PEM (for clients
/// that should trust it, e.g. tests).
pub fn self_signed(names: &[&str]) -> Result<(rustls::ServerConfig, String), ServeError> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| tls_error(&e))?;
    let pem = certified.cert.pem();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .map_err(|e| tls_error(&e))?;
    Ok((server_config(vec![cert], key)?, pem))
}

/// A rustls server configuration from `--tls-cert` and `--tls-key`. Each failure names
/// the file and what was wrong with it.
pub fn config_from_files(files: &TlsFiles) -> Result<rustls::ServerConfig, ServeError> {
    let cert_path = files.cert.display();
    let key_path = files.key.display();
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| ServeError::Tls(format!("{}: {e}", path.display())))
    };
    let cert_pem = read(&files.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("{cert_path}: {e}")))?;
    if chain.is_empty() {
        return Err(ServeError::Tls(format!(
            "{cert_path}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)"
        )));
    }
    let key_pem = read(&files.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        ServeError::Tls(format!(
            "{key_path}: no usable PEM private key ({e}; expected PKCS#8, PKCS#1 or SEC1)"
        ))
    })?;
    server_config(chain, key).map_err(|e| {
        ServeError::Tls(format!(
            "{cert_path} and {key_path} do not make a usable pair: {e}"
        ))
    })
}

/// The TLS handshake for the accept loop.
#[derive(Clone)]
pub struct Tls(TlsAcceptor);

impl Tls {
    /// From `--tls-cert`/`--tls-key` when given, else a fresh self-signed certificate.
    pub fn new(files: Option<&TlsFiles>) -> Result<Self, ServeError> {
        let config = match files {
            Some(files) => config_from_files(files)?,
            None => self_signed_config(&["localhost", "127.0.0.1"])?,
        };
        Ok(Tls(TlsAcceptor::from(Arc::new(config))))
    }
}

impl Handshake for Tls {
    type Io = TlsStream<TcpStream>;

    fn scheme(&self) -> &'static str {
        "https"
    }

    fn handshake(
        &self,
        tcp: TcpStream,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Self::Io>> + Send + '_>> {
        Box::pin(self.0.accept(tcp))
    }
}

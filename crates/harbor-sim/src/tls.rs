//! TLS with HTTP/2 (feature `tls`): a self-signed certificate made at start, so a browser
//! can open many streams on one connection instead of HTTP/1.1's six connections.

use std::net::SocketAddr;

use axum_server::tls_rustls::RustlsConfig;

use crate::{Sim, SimConfig, SimHandle};

/// A PEM certificate and key for `localhost` and `127.0.0.1`, valid for rcgen's default span.
pub fn self_signed() -> std::io::Result<(String, String)> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(std::io::Error::other)?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}

/// Starts a simulator over HTTPS (HTTP/2 by ALPN) on `127.0.0.1:0` and returns once it
/// listens. Clients must accept its self-signed certificate.
pub async fn spawn(cfg: SimConfig) -> std::io::Result<SimHandle> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert, key) = self_signed()?;
    let config = RustlsConfig::from_pem(cert.into_bytes(), key.into_bytes()).await?;
    let sim = Sim::new(cfg);
    let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let server = axum_server::from_tcp_rustls(listener, config);
    let app = sim.router();
    let task = tokio::spawn(async move {
        // Ends only when the task is aborted (the handle is dropped) or accepting fails.
        let _ = server.serve(app.into_make_service()).await;
    });
    Ok(SimHandle {
        sim,
        addr,
        task,
        scheme: "https",
    })
}

/// Serves the simulator over HTTPS (HTTP/2 and HTTP/1.1 via ALPN) on `addr`, printing
/// `listening on https://ADDR` once bound. Runs until the process ends.
pub async fn serve(cfg: SimConfig, addr: SocketAddr) -> std::io::Result<()> {
    // Only one provider may be installed per process; a second install is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert, key) = self_signed()?;
    let config = RustlsConfig::from_pem(cert.into_bytes(), key.into_bytes()).await?;
    let sim = Sim::new(cfg);
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    println!("listening on https://{}", listener.local_addr()?);
    axum_server::from_tcp_rustls(listener, config)
        .serve(sim.router().into_make_service())
        .await
}

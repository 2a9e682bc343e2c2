//! Everything Harbor Lens knows about talking to Harbor, in plain Rust.
//!
//! No `leptos`, `web-sys` or `gloo` here: the crate compiles for the host (tests,
//! benchmarks) and for `wasm32` (the dashboard), and reaches the network only through
//! the small transport trait the caller hands in.
//!
//! - [`model`]: serde models of Harbor's responses and their conversion to [`slim`] rows; [`digest`]: a digest in 32 bytes.
//! - [`order`]: one compact stable sort for short lists.
//! - [`url`]: request paths (always same-origin), double encoding, `q`.
//! - [`transport`]: the [`transport::Transport`] and [`transport::Clock`] traits, cancellation.
//! - [`connect`]: the first two requests: which Harbor, which caller, or why not.
//! - [`audit`]: project summaries (quota) and Security Hub, beside the crawl.
//! - [`crawl`]: the crawl engine (plan, scheduler, retries, failure ledger, events).
//! - [`wire`]: the compact binary form of events and jobs between the page and its worker.
//! - `native` (feature `native`, host only): reqwest + tokio implementations.

pub mod audit;
pub mod connect;
pub mod crawl;
pub mod digest;
pub mod model;
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub mod native;
pub mod order;
pub mod slim;
pub mod time;
pub mod transport;
pub mod url;
pub mod wire;

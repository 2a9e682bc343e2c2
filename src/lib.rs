//! Harbor Lens: the Leptos shell over the plain-Rust crates.
//!
//! Everything that is not markup lives in `harbor-client` (talking to Harbor) and
//! `inventory` (the table logic); this crate only wires them to signals and the DOM.

use leptos::prelude::*;
use serde::Deserialize;

/// Mounts the app on `<body>`. Called by the tiny `main.rs`.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The fields of `/systeminfo` the header shows. Anonymous callers get no version.
#[derive(Debug, Clone, Deserialize)]
struct SystemInfo {
    harbor_version: Option<String>,
    auth_mode: Option<String>,
}

async fn fetch_systeminfo(auth: Option<String>) -> Result<SystemInfo, String> {
    let mut req = gloo_net::http::Request::get("/api/v2.0/systeminfo");
    if let Some(auth) = auth {
        req = req.header("Authorization", &auth);
    }
    let resp = req.send().await.map_err(|e| format!("Harbor is unreachable: {e}"))?;
    if !resp.ok() {
        return Err(format!("Harbor answered {} {}", resp.status(), resp.status_text()));
    }
    resp.json::<SystemInfo>().await.map_err(|e| format!("not a Harbor answer: {e}"))
}

#[component]
fn App() -> impl IntoView {
    let (auth, set_auth) = signal(None::<String>);
    let info = LocalResource::new(move || fetch_systeminfo(auth.get()));
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let raw = format!("{}:{}", username.get_untracked(), password.get_untracked());
        let encoded = window().btoa(&raw).unwrap_or_default();
        set_auth.set(Some(format!("Basic {encoded}")));
    };
    view! {
        <header class="app-header">
            <h1>"Harbor Lens"</h1>
            <Transition fallback=|| view! { <span>"Connecting…"</span> }>
                {move || info.get().map(|r| match r {
                    Ok(i) => view! {
                        <span class="harbor-version">
                            "Harbor " {i.harbor_version.unwrap_or_else(|| "(version hidden: sign in)".into())}
                            " · auth " {i.auth_mode.unwrap_or_default()}
                        </span>
                    }.into_any(),
                    Err(e) => view! { <span role="alert">{e}</span> }.into_any(),
                })}
            </Transition>
        </header>
        <form on:submit=connect>
            <label>"Username" <input type="text" bind:value=username autocomplete="username"/></label>
            <label>"Password" <input type="password" bind:value=password autocomplete="current-password"/></label>
            <button type="submit">"Connect"</button>
        </form>
    }
}

//! The connect form: Harbor URL, user name and secret, and what Harbor said.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::connect::connect;
use crate::session::{self, Credentials};
use crate::state::{use_app, AppState, ConnState};
use crate::transport::BrowserTransport;

/// Connects with what the form holds (or anonymously / with Harbor's session cookie
/// when the user name is empty) and records the outcome in the app state.
pub fn start_connect(app: AppState, credentials: Option<Credentials>) {
    app.credentials.set_value(credentials.clone());
    app.conn.set(ConnState::Connecting);
    let base = app.config.with_untracked(|c| c.harbor_url.clone());
    spawn_local(async move {
        let transport = BrowserTransport::new(&base);
        let where_ = if base.is_empty() {
            "this page's origin".to_owned()
        } else {
            base
        };
        let outcome = connect(&transport, &where_, credentials.as_ref()).await;
        let connected = outcome.is_ok();
        app.conn.set(match outcome {
            Ok(connection) => ConnState::Connected(connection),
            Err(error) => ConnState::Failed(error),
        });
        if connected {
            crate::cache::restore(app);
        }
    });
}

/// Sign-in form plus the connection line (version and principal, or the error).
#[component]
pub fn ConnectForm() -> impl IntoView {
    let app = use_app();
    let harbor_url = RwSignal::new(app.config.with_untracked(|c| c.harbor_url.clone()));
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let keep = RwSignal::new(false);
    if let Some(kept) = app.credentials.get_value() {
        username.set(kept.username);
        keep.set(true);
    }
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        app.config
            .update(|c| c.harbor_url = harbor_url.get_untracked().trim().to_owned());
        let user = username.get_untracked().trim().to_owned();
        let credentials = (!user.is_empty()).then(|| Credentials {
            username: user,
            password: password.get_untracked(),
        });
        match (&credentials, keep.get_untracked()) {
            (Some(c), true) => session::remember(c),
            _ => session::forget(),
        }
        start_connect(app, credentials);
    };
    let disconnect = move |_| {
        session::forget();
        password.set(String::new());
        username.set(String::new());
        keep.set(false);
        crate::crawl::cancel(app);
        app.rows.update(|set| *set = Default::default());
        app.failures.set(Vec::new());
        app.selected.set(None);
        app.reports.update(|r| r.clear());
        app.crawl.set(Default::default());
        start_connect(app, None);
    };
    view! {
        <form class="connect" on:submit=on_submit>
            <label>
                "Harbor URL"
                <input type="text" inputmode="url" placeholder="this origin" bind:value=harbor_url/>
            </label>
            <label>
                "Username"
                <input type="text" autocomplete="username" bind:value=username/>
            </label>
            <label>
                "Password"
                <input type="password" autocomplete="current-password" bind:value=password/>
            </label>
            <label class="inline">
                <input type="checkbox" bind:checked=keep/>
                "Remember for this tab"
            </label>
            <button type="submit">"Connect"</button>
            <button type="button" on:click=disconnect>"Sign out"</button>
        </form>
        <ConnectionLine/>
    }
}

/// One line: "Harbor v2.13.1-abc · admin (system admin)", or what went wrong.
#[component]
fn ConnectionLine() -> impl IntoView {
    let app = use_app();
    move || match app.conn.get() {
        ConnState::Idle => view! { <p class="connection">"Not connected"</p> }.into_any(),
        ConnState::Connecting => view! { <p class="connection">"Connecting…"</p> }.into_any(),
        ConnState::Connected(c) => {
            let version = match c.version {
                Some(v) => format!("Harbor {v}"),
                None => "Harbor (version hidden: sign in to see it)".to_owned(),
            };
            view! {
                <p class="connection ok">
                    <span class="harbor-version">{version}</span>
                    " · signed in as "
                    <span class="principal">{c.principal.describe()}</span>
                </p>
            }
            .into_any()
        }
        ConnState::Failed(e) => {
            view! { <p class="connection error" role="alert">{e.to_string()}</p> }.into_any()
        }
    }
}

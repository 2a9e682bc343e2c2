//! The sign-in form: Harbor URL, user name and secret, and what Harbor said.

use leptos::prelude::*;

use crate::actions::connect::{sign_in, sign_out};
use crate::state::{use_lens, use_session, ConnState, SignInForm};

/// One field of the sign-in form, two-way bound to [`SignInForm`].
fn field(
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    get: fn(&SignInForm) -> String,
    set: fn(&mut SignInForm, String),
) -> impl IntoView {
    let form = use_session().form;
    view! {
        <label>
            {name}
            <input
                type=kind
                autocomplete=autocomplete
                placeholder=(name == "Harbor URL").then_some("this origin")
                prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
            />
        </label>
    }
}

/// A checkbox of the sign-in form.
fn option(
    name: &'static str,
    get: fn(&SignInForm) -> bool,
    set: fn(&mut SignInForm, bool),
) -> impl IntoView {
    let form = use_session().form;
    view! {
        <label class="inline">
            <input
                type="checkbox"
                prop:checked=move || form.with(get)
                on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev)))
            />
            {name}
        </label>
    }
}

/// Sign-in form plus the connection line (version and principal, or the error).
/// Enter in any field signs in, like `Connect`.
#[component]
pub fn ConnectForm() -> impl IntoView {
    let lens = use_lens();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sign_in(lens, None);
    };
    view! {
        <form class="connect" on:submit=on_submit>
            {field("Harbor URL", "text", "url", |f| f.harbor_url.clone(), |f, v| f.harbor_url = v)}
            {field("Username", "text", "username", |f| f.username.clone(), |f, v| f.username = v)}
            {field("Password", "password", "current-password", |f| f.password.clone(), |f, v| f.password = v)}
            {option("Remember for this tab", |f| f.remember, |f, on| f.remember = on)}
            {option("Keep cached data after sign out", |f| f.keep_cache, |f, on| f.keep_cache = on)}
            <button type="submit">"Connect"</button>
            <button type="button" on:click=move |_| sign_out(lens)>"Sign out"</button>
        </form>
        <ConnectionLine/>
    }
}

/// One line: "Harbor v2.13.1-abc · admin (system admin)", or what went wrong.
#[component]
fn ConnectionLine() -> impl IntoView {
    let session = use_session();
    move || match session.status.get() {
        ConnState::Idle => view! { <p class="connection">"Not connected"</p> }.into_any(),
        ConnState::Connecting => view! { <p class="connection">"Connecting…"</p> }.into_any(),
        ConnState::Connected(c) => {
            let version = match c.version() {
                Some(v) => format!("Harbor {v}"),
                None => "Harbor (version hidden: sign in to see it)".to_owned(),
            };
            view! {
                <p class="connection ok">
                    <span class="harbor-version">{version}</span>
                    " · signed in as "
                    <span class="principal">{c.describe()}</span>
                </p>
            }
            .into_any()
        }
        ConnState::Failed(e) => {
            view! { <p class="connection error" role="alert">{e.to_string()}</p> }.into_any()
        }
    }
}

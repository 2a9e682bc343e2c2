//! Signing in and out. A connection is made once and reused by every crawl; a change of
//! Harbor or of user resets the inventory first, so nothing of the one before is shown.

use harbor_client::connect::connect as probe;
use harbor_client::crawl::{Credentials, Scope};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::remember;
use crate::state::{ConnState, Lens};
use crate::transport::BrowserTransport;

/// Connects at page load: with the credentials this tab remembers for this Harbor, if
/// any, else anonymously (same origin: a user signed in to Harbor's portal is signed in
/// here too, through the session cookie).
pub fn on_load(lens: Lens) {
    let harbor = lens.session.config.with_untracked(|c| c.harbor_url.clone());
    let kept = remember::load(&harbor);
    if let Some(kept) = &kept {
        lens.session.form.update(|f| {
            f.username = kept.username.clone();
            f.password = kept.password.clone();
            f.remember = true;
        });
    }
    open(lens, harbor, kept, None);
}

/// Signs in with what the form holds (`Connect`, Enter in the form), then runs `then`
/// (a crawl waiting for the sign-in) if it succeeds.
pub fn sign_in(lens: Lens, then: Option<Scope>) {
    let (harbor, credentials, keep) = lens
        .session
        .form
        .with_untracked(|f| (f.harbor(), f.credentials(), f.remember));
    match (&credentials, keep) {
        (Some(c), true) => remember::keep(&harbor, c),
        _ => remember::forget(),
    }
    open(lens, harbor, credentials, then);
}

/// Signs out: forgets the credentials, everything loaded and, unless the user chose to
/// keep it, the cached inventory; then connects anonymously.
pub fn sign_out(lens: Lens) {
    remember::forget();
    let keep_cache = lens.session.form.with_untracked(|f| f.keep_cache);
    if !keep_cache {
        super::cache::forget_current(lens);
    }
    lens.session.form.update(|f| {
        f.username.clear();
        f.password.clear();
        f.remember = false;
    });
    let harbor = lens.session.config.with_untracked(|c| c.harbor_url.clone());
    open(lens, harbor, None, None);
}

/// Connects to `harbor` as `credentials`. Another Harbor or another caller than the
/// connection shown resets the inventory at once; a failed connect leaves the page
/// signed out, with Harbor's answer on it.
fn open(lens: Lens, harbor: String, credentials: Option<Credentials>, then: Option<Scope>) {
    let session = lens.session;
    // The crawl worker loads while Harbor answers (from page load on), so the first
    // crawl does not wait for it.
    if !session.config.with_untracked(|c| c.no_worker) {
        crate::worker::warm_up();
    }
    let same = session.config.with_untracked(|c| c.harbor_url == harbor)
        && session.credentials.with_value(|c| *c == credentials)
        && session.status.with_untracked(|s| s.connection().is_some());
    if !same {
        lens.reset();
    }
    session.config.update(|c| c.harbor_url = harbor.clone());
    session.credentials.set_value(credentials.clone());
    session.status.set(ConnState::Connecting);
    spawn_local(async move {
        let transport = BrowserTransport::new(&harbor);
        let where_ = if harbor.is_empty() {
            "this page's origin".to_owned()
        } else {
            harbor.clone()
        };
        let outcome = probe(&transport, &where_, credentials.as_ref()).await;
        // A connect to another Harbor or as another caller since supersedes this one.
        let current = session.credentials.with_value(|c| *c == credentials)
            && session.config.with_untracked(|c| c.harbor_url == harbor);
        if !current {
            return;
        }
        match outcome {
            Ok(connection) => {
                session.status.set(ConnState::Connected(connection));
                match then {
                    Some(scope) => super::crawl::start(lens, scope),
                    None => super::cache::restore(lens),
                }
            }
            Err(error) => session.status.set(ConnState::Failed(error)),
        }
    });
}

//! Which Harbor, who we are there, and what the sign-in form holds.

use harbor_client::connect::{ConnectError, Connection};
use harbor_client::crawl::Credentials;
use leptos::prelude::*;

use crate::config::RuntimeConfig;

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnState {
    /// Not tried yet.
    #[default]
    Idle,
    Connecting,
    Connected(Connection),
    Failed(ConnectError),
}

impl ConnState {
    /// The connection, if there is one.
    pub fn connection(&self) -> Option<&Connection> {
        match self {
            ConnState::Connected(c) => Some(c),
            _ => None,
        }
    }
}

/// What the sign-in form holds: typed, and perhaps not used yet. In memory only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInForm {
    /// Harbor's address; empty means the page's own origin.
    pub harbor_url: String,
    pub username: String,
    pub password: String,
    /// Keep the credentials in this tab's `sessionStorage` (see `crate::remember`).
    pub remember: bool,
    /// Keep this user's cached inventory after signing out.
    pub keep_cache: bool,
}

impl SignInForm {
    /// The credentials typed; none when the user name is empty (anonymous, or Harbor's
    /// session cookie).
    pub fn credentials(&self) -> Option<Credentials> {
        let user = self.username.trim();
        (!user.is_empty()).then(|| Credentials::new(user, self.password.clone()))
    }

    /// The Harbor address typed, trimmed.
    pub fn harbor(&self) -> String {
        self.harbor_url.trim().to_owned()
    }
}

/// The connection context: one source of truth for "which Harbor, who am I".
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// Runtime settings (`config.json`, then URL parameters); `harbor_url` is the Harbor
    /// in use.
    pub config: RwSignal<RuntimeConfig>,
    pub status: RwSignal<ConnState>,
    /// The credentials the connection in `status` was made with (in memory only).
    pub credentials: StoredValue<Option<Credentials>>,
    /// The sign-in form's fields.
    pub form: RwSignal<SignInForm>,
}

impl Session {
    pub(super) fn new(config: RuntimeConfig) -> Session {
        let form = SignInForm {
            harbor_url: config.harbor_url.clone(),
            ..SignInForm::default()
        };
        Session {
            config: RwSignal::new(config),
            status: RwSignal::new(ConnState::Idle),
            credentials: StoredValue::new(None),
            form: RwSignal::new(form),
        }
    }

    /// The working connection, untracked.
    pub fn connection(&self) -> Option<Connection> {
        self.status.with_untracked(|s| s.connection().cloned())
    }

    /// The address of the Harbor in use, untracked: the configured one without a trailing
    /// `/`, or this page's origin when the dashboard is served beside Harbor.
    pub fn harbor_address(&self) -> String {
        let configured = self.config.with_untracked(|c| c.harbor_url.clone());
        if configured.is_empty() {
            window().location().origin().unwrap_or_default()
        } else {
            configured.trim_end_matches('/').to_owned()
        }
    }

    /// What `pull_time` means on the Harbor in use (tracked: it changes with the
    /// connection).
    pub fn pull_time_note(&self) -> String {
        self.status.with(|s| {
            inventory::pulltime::note_for_version(s.connection().and_then(Connection::version))
        })
    }

    /// Whether the form holds a Harbor address or credentials other than the ones in
    /// use (or nothing is connected yet): then Load artifacts signs in first, so a crawl
    /// never runs as somebody other than the user the form shows.
    pub fn form_differs(&self) -> bool {
        let connected = self.status.with_untracked(|s| s.connection().is_some());
        let (harbor, credentials) = self.form.with_untracked(|f| (f.harbor(), f.credentials()));
        let same_harbor = self.config.with_untracked(|c| c.harbor_url == harbor);
        let same_user = self.credentials.with_value(|c| *c == credentials);
        !(connected && same_harbor && same_user)
    }
}

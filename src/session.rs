//! Credentials: in memory only, or — when the user opts in — in this tab's
//! `sessionStorage`. Never `localStorage`, cookies, the URL or a log.

pub use harbor_client::crawl::Credentials;

/// The `sessionStorage` key of the opted-in credentials.
const KEY: &str = "harbor-lens.credentials";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Credentials kept for this tab by an earlier opt-in, if any.
pub fn load() -> Option<Credentials> {
    let text = storage()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Keeps the credentials for this tab (the user opted in).
pub fn remember(credentials: &Credentials) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(credentials)) {
        // A full or disabled storage only means the user signs in again next time.
        let _ = storage.set_item(KEY, &text);
    }
}

/// Forgets any kept credentials.
pub fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}

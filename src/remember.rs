//! Credentials a user asked this tab to remember: in its `sessionStorage`, with the
//! Harbor address they were typed for. Never `localStorage`, cookies, the URL or a log.
//!
//! They belong to that Harbor: a link that names another one (`?harbor=`) finds nothing
//! here, and the page asks again, so a crafted link cannot send them elsewhere.

use harbor_client::crawl::Credentials;
use serde::{Deserialize, Serialize};

/// The `sessionStorage` key of the remembered credentials.
const KEY: &str = "harbor-lens.credentials";

/// What is stored: the credentials and the Harbor address they were typed for.
#[derive(Serialize, Deserialize)]
struct Remembered {
    harbor: String,
    credentials: Credentials,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The credentials remembered for `harbor` (the address in use; empty: this origin).
pub fn load(harbor: &str) -> Option<Credentials> {
    for_harbor(&storage()?.get_item(KEY).ok().flatten()?, harbor)
}

/// The credentials in `stored` if they were typed for `harbor`; none for any other
/// address, however it is spelt, and none from anything unreadable.
fn for_harbor(stored: &str, harbor: &str) -> Option<Credentials> {
    let kept: Remembered = serde_json::from_str(stored).ok()?;
    (kept.harbor == harbor).then_some(kept.credentials)
}

/// Remembers `credentials` for `harbor` in this tab (the user opted in).
pub fn keep(harbor: &str, credentials: &Credentials) {
    let kept = Remembered {
        harbor: harbor.to_owned(),
        credentials: credentials.clone(),
    };
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&kept)) {
        // A full or disabled storage only means the user signs in again next time.
        let _ = storage.set_item(KEY, &text);
    }
}

/// Forgets any remembered credentials.
pub fn forget() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_belong_to_the_harbor_they_were_typed_for() {
        let kept = Remembered {
            harbor: String::new(),
            credentials: Credentials::new("admin", "secret"),
        };
        let stored = serde_json::to_string(&kept).unwrap_or_default();
        assert_eq!(
            for_harbor(&stored, "").map(|c| c.username),
            Some("admin".to_owned())
        );
        for elsewhere in ["https://evil.example", "http://127.0.0.1:9", " "] {
            assert!(for_harbor(&stored, elsewhere).is_none(), "{elsewhere}");
        }
        // Credentials stored by the build before this one carry no address: never used.
        let old = r#"{"username":"admin","password":"secret"}"#;
        assert!(for_harbor(old, "").is_none());
        assert!(for_harbor("not json", "").is_none());
    }
}

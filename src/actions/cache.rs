//! The cached inventory: kept after every crawl, shown at once after a reload (then
//! refreshed), forgotten on request or when its user signs out.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::idb;
use crate::state::Lens;

/// The key of the inventory shown: which Harbor (its origin), and who, by kind and name.
/// A JSON array, so no two (origin, kind, name) give the same key, and no secret is in it.
pub fn key(lens: Lens) -> Option<String> {
    let connection = lens.session.connection()?;
    let harbor = lens.session.harbor_address();
    if harbor.is_empty() {
        return None;
    }
    let (kind, name) = connection.identity();
    serde_json::to_string(&(harbor, kind, name)).ok()
}

/// Keeps the table's rows as the cache of this Harbor and caller (after a crawl). Rows
/// are serialised a chunk at a time straight from the table, never copied whole.
pub fn keep(lens: Lens) {
    let inventory = lens.inventory;
    let Some(key) = key(lens) else {
        return;
    };
    // "Forget cached data" holds until the next Load artifacts: a refresh or retry
    // running at the time of the click does not store the rows again.
    if inventory.cache.with_untracked(|c| c.forgotten) {
        return;
    }
    let saved_at = inventory.now.get_untracked();
    let count = inventory.rows.with_untracked(|set| set.len());
    if count == 0 {
        return;
    }
    let lifetime = inventory.lifetime();
    let baseline = inventory.baseline.get_untracked();
    spawn_local(async move {
        let alive = lifetime.clone();
        let chunk = move |range: std::ops::Range<usize>| {
            // A reset (new crawl, sign-out) emptied the rows since: store nothing.
            if alive.is_cancelled() {
                return None;
            }
            inventory
                .rows
                .with_untracked(|set| set.rows().get(range).map(serde_json::to_string))?
                .ok()
        };
        let result = idb::save(&key, count, saved_at, baseline, chunk).await;
        if lifetime.is_cancelled() {
            return;
        }
        inventory.cache.update(|c| match result {
            Ok(true) => {
                c.error = None;
                c.forgotten = false;
            }
            Ok(false) => {}
            Err(e) => c.error = Some(e.to_string()),
        });
    });
}

/// Shows the cached inventory of this Harbor and caller, if the table is empty, and
/// refreshes it. A sign-out or a crawl started while it is read wins: then nothing is
/// shown.
pub fn restore(lens: Lens) {
    let inventory = lens.inventory;
    let Some(key) = key(lens) else {
        return;
    };
    let lifetime = inventory.lifetime();
    spawn_local(async move {
        let loaded = idb::load(&key).await;
        // The key is checked again: the user may have signed out or in meanwhile.
        if lifetime.is_cancelled() || self::key(lens).as_deref() != Some(&key) {
            return;
        }
        match loaded {
            Ok(Some((meta, rows))) => {
                let idle = inventory.rows.with_untracked(|r| r.is_empty())
                    && !lens.work.crawl.with_untracked(|c| c.phase.is_running());
                if !idle {
                    return;
                }
                inventory.now.set(js_sys::Date::now() as i64);
                inventory.rows.update(|set| {
                    set.merge(rows);
                });
                inventory.cache.update(|c| {
                    c.showing = Some(meta.saved_at);
                    c.refreshed = None;
                });
                let refreshable = meta.baseline.is_some();
                inventory.baseline.set(meta.baseline);
                // The cached rows stay on screen while the refresh runs.
                if refreshable {
                    super::crawl::refresh(lens);
                }
            }
            Ok(None) => {}
            Err(e) => inventory.cache.update(|c| c.error = Some(e.to_string())),
        }
    });
}

/// `Forget cached data`: forgets everything cached, of every Harbor and caller.
pub fn forget(lens: Lens) {
    let inventory = lens.inventory;
    spawn_local(async move {
        let result = idb::forget_all().await;
        inventory.cache.update(|c| {
            c.error = result.err().map(|e| e.to_string());
            if c.error.is_none() {
                c.showing = None;
                c.forgotten = true;
            }
        });
    });
}

/// Forgets the cache of the caller signed in now (sign-out without keeping it).
pub fn forget_current(lens: Lens) {
    let Some(key) = key(lens) else {
        return;
    };
    let inventory = lens.inventory;
    spawn_local(async move {
        if let Err(e) = idb::remove(&key).await {
            inventory.cache.update(|c| c.error = Some(e.to_string()));
        }
    });
}

//! The last inventory per Harbor and user, kept in IndexedDB so that a reload shows it at
//! once, marked with its age, until a new crawl replaces it.
//!
//! What is stored: the artifact rows (as the JSON export writes them) and when they were
//! loaded, under a key made of the Harbor address and the principal's name. Never a
//! password, a token or an `Authorization` value: the key and the rows hold none.
//! Rows go in chunks of [`CHUNK`], so a large inventory never needs one giant string in
//! wasm memory (which never shrinks).

use std::rc::Rc;

use futures::channel::oneshot;
use harbor_client::slim::ArtifactRow;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{IdbDatabase, IdbRequest, IdbTransactionMode};

use crate::state::{AppState, Baseline};

const DB: &str = "harbor-lens";
const STORE: &str = "inventories";
/// Rows per stored record: small enough that serialising one is a short task, so the
/// page stays responsive while a large inventory is saved.
const CHUNK: usize = 1_000;

/// Why the cache could not be used; the page works on without it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("this browser offers no IndexedDB here (private mode or a sandboxed frame)")]
    Unavailable,
    #[error("IndexedDB refused: {0}")]
    Refused(String),
    #[error("the cached inventory is unreadable: {0}")]
    Corrupt(String),
}

fn refused(e: JsValue) -> CacheError {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    CacheError::Refused(text)
}

/// What the first record of a cached inventory says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheMeta {
    /// Format of the records.
    pub format: u32,
    /// When the rows were loaded, in ms since the epoch.
    pub saved_at: i64,
    /// Number of rows and of chunk records.
    pub rows: usize,
    pub chunks: usize,
    /// The scope and repository stamps a refresh compares against (absent in caches
    /// written before refreshes existed: then a reload shows them, and Load artifacts
    /// brings them up to date).
    #[serde(default)]
    pub baseline: Option<Baseline>,
}

const FORMAT: u32 = 1;

/// The key of an inventory: which Harbor, as whom. No secret is part of it.
pub fn cache_key(app: AppState) -> Option<String> {
    let who = app
        .conn
        .with_untracked(|c| c.connection().map(|c| c.principal.describe()))?;
    let base = app.config.with_untracked(|c| c.harbor_url.clone());
    let harbor = if base.is_empty() {
        window().location().origin().ok()?
    } else {
        base
    };
    Some(format!("{harbor}|{who}"))
}

/// Resolves when an IndexedDB request succeeds (with its result) or fails.
async fn done(request: &IdbRequest) -> Result<JsValue, CacheError> {
    let (tx, rx) = oneshot::channel::<Result<(), JsValue>>();
    let tx = Rc::new(std::cell::RefCell::new(Some(tx)));
    let ok_tx = tx.clone();
    let on_ok = Closure::once(move || {
        if let Some(tx) = ok_tx.borrow_mut().take() {
            let _ = tx.send(Ok(()));
        }
    });
    let on_err = Closure::once(move || {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(Err(JsValue::from_str("request failed")));
        }
    });
    request.set_onsuccess(Some(on_ok.as_ref().unchecked_ref()));
    request.set_onerror(Some(on_err.as_ref().unchecked_ref()));
    let outcome = rx
        .await
        .unwrap_or(Err(JsValue::from_str("request dropped")));
    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(()) => request.result().map_err(refused),
        Err(e) => Err(request
            .error()
            .ok()
            .flatten()
            .map(|d| CacheError::Refused(d.message()))
            .unwrap_or_else(|| refused(e))),
    }
}

async fn open() -> Result<IdbDatabase, CacheError> {
    let factory = window()
        .indexed_db()
        .ok()
        .flatten()
        .ok_or(CacheError::Unavailable)?;
    let request = factory.open_with_u32(DB, 1).map_err(refused)?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let db = ev
            .target()
            .and_then(|t| t.dyn_into::<IdbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok());
        if let Some(db) = db {
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = done(&request).await?;
    request.set_onupgradeneeded(None);
    db.dyn_into::<IdbDatabase>()
        .map_err(|_| CacheError::Refused("not a database".into()))
}

fn store(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<web_sys::IdbObjectStore, CacheError> {
    db.transaction_with_str_and_mode(STORE, mode)
        .and_then(|t| t.object_store(STORE))
        .map_err(refused)
}

fn chunk_key(key: &str, i: usize) -> JsValue {
    JsValue::from_str(&format!("{key}#{i}"))
}

/// Stores `count` rows as the inventory of `key`, replacing what was there. `chunk`
/// gives the JSON of the rows in a range, or `None` when they are gone (a new crawl
/// started): then nothing is kept.
pub async fn save(
    key: &str,
    count: usize,
    saved_at: i64,
    baseline: Option<Baseline>,
    chunk: impl Fn(std::ops::Range<usize>) -> Option<String>,
) -> Result<bool, CacheError> {
    let db = open().await?;
    remove_key(&db, key).await?;
    let chunks = count.div_ceil(CHUNK);
    for i in 0..chunks {
        let Some(text) = chunk(i * CHUNK..((i + 1) * CHUNK).min(count)) else {
            remove_key(&db, key).await?;
            return Ok(false);
        };
        let put = store(&db, IdbTransactionMode::Readwrite)?
            .put_with_key(&JsValue::from_str(&text), &chunk_key(key, i))
            .map_err(refused)?;
        done(&put).await?;
    }
    // The meta record last: a save cut short leaves no meta, so nothing half is read.
    let meta = CacheMeta {
        format: FORMAT,
        saved_at,
        rows: count,
        chunks,
        baseline,
    };
    let text = serde_json::to_string(&meta).map_err(|e| CacheError::Corrupt(e.to_string()))?;
    let put = store(&db, IdbTransactionMode::Readwrite)?
        .put_with_key(&JsValue::from_str(&text), &JsValue::from_str(key))
        .map_err(refused)?;
    done(&put).await?;
    db.close();
    Ok(true)
}

async fn get_text(db: &IdbDatabase, key: &JsValue) -> Result<Option<String>, CacheError> {
    let get = store(db, IdbTransactionMode::Readonly)?
        .get(key)
        .map_err(refused)?;
    Ok(done(&get).await?.as_string())
}

/// The inventory of `key`, if one is stored.
pub async fn load(key: &str) -> Result<Option<(CacheMeta, Vec<ArtifactRow>)>, CacheError> {
    let db = open().await?;
    let Some(text) = get_text(&db, &JsValue::from_str(key)).await? else {
        return Ok(None);
    };
    let meta: CacheMeta =
        serde_json::from_str(&text).map_err(|e| CacheError::Corrupt(e.to_string()))?;
    if meta.format != FORMAT {
        return Ok(None);
    }
    let mut rows = Vec::with_capacity(meta.rows);
    for i in 0..meta.chunks {
        let text = get_text(&db, &chunk_key(key, i))
            .await?
            .ok_or_else(|| CacheError::Corrupt(format!("part {i} is missing")))?;
        let chunk: Vec<ArtifactRow> =
            serde_json::from_str(&text).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        rows.extend(chunk);
    }
    db.close();
    Ok(Some((meta, rows)))
}

async fn remove_key(db: &IdbDatabase, key: &str) -> Result<(), CacheError> {
    let Some(text) = get_text(db, &JsValue::from_str(key)).await? else {
        return Ok(());
    };
    let chunks = serde_json::from_str::<CacheMeta>(&text).map_or(0, |m| m.chunks);
    let del = store(db, IdbTransactionMode::Readwrite)?
        .delete(&JsValue::from_str(key))
        .map_err(refused)?;
    done(&del).await?;
    for i in 0..chunks {
        let del = store(db, IdbTransactionMode::Readwrite)?
            .delete(&chunk_key(key, i))
            .map_err(refused)?;
        done(&del).await?;
    }
    Ok(())
}

/// Forgets every cached inventory, of every Harbor and user.
pub async fn forget_all() -> Result<(), CacheError> {
    let db = open().await?;
    let clear = store(&db, IdbTransactionMode::Readwrite)?
        .clear()
        .map_err(refused)?;
    done(&clear).await?;
    db.close();
    Ok(())
}

/// Keeps the table's rows as the cache of this Harbor and user (after a crawl). Rows
/// are serialised a chunk at a time straight from the table, never copied whole.
pub fn keep(app: AppState) {
    let Some(key) = cache_key(app) else {
        return;
    };
    // "Forget cached data" holds until the next Load artifacts: a refresh or retry
    // running at the time of the click does not store the rows again.
    if app.cache.with_untracked(|c| c.forgotten) {
        return;
    }
    let saved_at = app.now.get_untracked();
    let count = app.rows.with_untracked(|set| set.len());
    if count == 0 {
        return;
    }
    leptos::task::spawn_local(async move {
        let chunk = move |range: std::ops::Range<usize>| {
            // A crawl started meanwhile moved "now" and cleared the rows: stop.
            if app.now.get_untracked() != saved_at {
                return None;
            }
            app.rows
                .with_untracked(|set| set.rows().get(range).map(serde_json::to_string))?
                .ok()
        };
        let baseline = app.baseline.get_value();
        let result = save(&key, count, saved_at, baseline, chunk).await;
        app.cache.update(|c| match result {
            Ok(true) => {
                c.error = None;
                c.stored_at = Some(saved_at);
                c.forgotten = false;
            }
            Ok(false) => {}
            Err(e) => c.error = Some(e.to_string()),
        });
    });
}

/// Shows the cached inventory of this Harbor and user, if the table is empty.
pub fn restore(app: AppState) {
    let Some(key) = cache_key(app) else {
        return;
    };
    leptos::task::spawn_local(async move {
        match load(&key).await {
            Ok(Some((meta, rows))) => {
                let idle = app.rows.with_untracked(|r| r.is_empty())
                    && !app.crawl.with_untracked(|c| c.running);
                if idle {
                    app.now.set(js_sys::Date::now() as i64);
                    app.rows.update(|set| {
                        set.merge(rows);
                    });
                    app.cache.update(|c| {
                        c.showing = Some(meta.saved_at);
                        c.stored_at = Some(meta.saved_at);
                        c.refreshed = None;
                    });
                    let refreshable = meta.baseline.is_some();
                    app.baseline.set_value(meta.baseline);
                    // The cached rows stay on screen while the refresh runs.
                    if refreshable {
                        crate::crawl::refresh(app);
                    }
                }
            }
            Ok(None) => {}
            Err(e) => app.cache.update(|c| c.error = Some(e.to_string())),
        }
    });
}

/// Forgets everything cached, and says so.
pub fn forget(app: AppState) {
    leptos::task::spawn_local(async move {
        let result = forget_all().await;
        app.cache.update(|c| {
            c.error = result.err().map(|e| e.to_string());
            if c.error.is_none() {
                c.stored_at = None;
                c.showing = None;
                c.forgotten = true;
            }
        });
    });
}

/// What the page says about the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheView {
    /// The table shows a cached inventory loaded at this time (ms since the epoch).
    pub showing: Option<i64>,
    /// An inventory of this Harbor and user is stored, loaded at this time.
    pub stored_at: Option<i64>,
    /// "Forget cached data" went through.
    pub forgotten: bool,
    /// What the last refresh found: `12 repositories changed, 1,188 unchanged`.
    pub refreshed: Option<String>,
    pub error: Option<String>,
}

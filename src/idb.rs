//! The IndexedDB store of cached inventories: the last inventory per Harbor and caller,
//! so that a reload shows it at once.
//!
//! What is stored: the artifact rows (as the JSON export writes them), when they were
//! loaded and the refresh baseline, under a key made of the Harbor origin and the
//! caller's kind and name (`crate::actions::cache::key`). Never a password, a token or
//! an `Authorization` value.
//!
//! A save never loses the cache it replaces: the rows go in chunks of [`CHUNK`] under a
//! new *generation*, each chunk committed in its own transaction; then one transaction
//! switches the meta record to the new generation; only then is the old generation
//! deleted. A save cut short (the tab closed, the quota reached) leaves the previous meta
//! record and its chunks as they were, and its own chunks are swept by the next save.

use std::rc::Rc;

use futures::channel::oneshot;
use harbor_client::slim::ArtifactRow;
use leptos::prelude::window;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    IdbDatabase, IdbKeyRange, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode,
};

use crate::state::Baseline;

const DB: &str = "harbor-lens";
const STORE: &str = "inventories";
/// Rows per stored record: small enough that serialising one is a short task, so the
/// page stays responsive while a large inventory is saved.
pub const CHUNK: usize = 1_000;
/// Format of the records: 2 since chunks carry their generation.
const FORMAT: u32 = 2;
/// Past every character a chunk key holds: the upper end of a key range.
const HIGHEST: char = '\u{ffff}';

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

/// The meta record of a cached inventory: which generation of chunks is the live one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheMeta {
    /// Format of the records.
    pub format: u32,
    /// The live generation of chunks.
    #[serde(default)]
    pub generation: u64,
    /// When the rows were loaded, in ms since the epoch.
    pub saved_at: i64,
    /// Number of rows and of chunk records.
    pub rows: usize,
    pub chunks: usize,
    /// The scope and repository stamps a refresh compares against.
    #[serde(default)]
    pub baseline: Option<Baseline>,
}

/// Every chunk key of `key` starts with this.
fn chunk_prefix(key: &str) -> String {
    format!("{key}#")
}

/// Every chunk key of one generation starts with this.
fn generation_prefix(key: &str, generation: u64) -> String {
    format!("{key}#{generation:016x}#")
}

fn chunk_key(key: &str, generation: u64, i: usize) -> JsValue {
    JsValue::from_str(&format!("{}{i:08}", generation_prefix(key, generation)))
}

/// Resolves when `on_ok` or `on_err` fires on `target` (a request or a transaction).
async fn settled(
    set: impl Fn(Option<&js_sys::Function>, Option<&js_sys::Function>),
) -> Result<(), JsValue> {
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
            let _ = tx.send(Err(JsValue::from_str("failed")));
        }
    });
    set(
        Some(on_ok.as_ref().unchecked_ref()),
        Some(on_err.as_ref().unchecked_ref()),
    );
    let outcome = rx.await.unwrap_or(Err(JsValue::from_str("dropped")));
    set(None, None);
    outcome
}

/// Resolves when an IndexedDB request succeeds (with its result) or fails.
async fn done(request: &IdbRequest) -> Result<JsValue, CacheError> {
    let outcome = settled(|ok, err| {
        request.set_onsuccess(ok);
        request.set_onerror(err);
    })
    .await;
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

/// Resolves when a transaction has committed (not merely when its requests succeeded:
/// only a committed write survives the tab being closed).
async fn committed(tx: &IdbTransaction) -> Result<(), CacheError> {
    let outcome = settled(|ok, err| {
        tx.set_oncomplete(ok);
        tx.set_onerror(err);
        tx.set_onabort(err);
    })
    .await;
    outcome.map_err(|e| {
        tx.error()
            .map(|d| CacheError::Refused(d.message()))
            .unwrap_or_else(|| refused(e))
    })
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

/// One transaction over the store, and the store in it.
fn transaction(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<(IdbTransaction, IdbObjectStore), CacheError> {
    let tx = db
        .transaction_with_str_and_mode(STORE, mode)
        .map_err(refused)?;
    let store = tx.object_store(STORE).map_err(refused)?;
    Ok((tx, store))
}

/// Writes with `write` in one transaction, and waits until it has committed.
async fn write(
    db: &IdbDatabase,
    write: impl FnOnce(&IdbObjectStore) -> Result<(), JsValue>,
) -> Result<(), CacheError> {
    let (tx, store) = transaction(db, IdbTransactionMode::Readwrite)?;
    write(&store).map_err(refused)?;
    committed(&tx).await
}

/// Deletes every chunk of `key` whose generation is not `keep` (all of them with
/// `None`): earlier generations, and those of saves that were cut short.
fn delete_chunks_except(
    store: &IdbObjectStore,
    key: &str,
    keep: Option<u64>,
) -> Result<(), JsValue> {
    let all = chunk_prefix(key);
    let end = JsValue::from_str(&format!("{all}{HIGHEST}"));
    let Some(generation) = keep else {
        let range = IdbKeyRange::bound(&JsValue::from_str(&all), &end)?;
        return store.delete(&range).map(drop);
    };
    let live = generation_prefix(key, generation);
    let below = IdbKeyRange::bound_with_lower_open_and_upper_open(
        &JsValue::from_str(&all),
        &JsValue::from_str(&live),
        false,
        true,
    )?;
    let above = IdbKeyRange::bound_with_lower_open_and_upper_open(
        &JsValue::from_str(&format!("{live}{HIGHEST}")),
        &end,
        true,
        false,
    )?;
    store.delete(&below)?;
    store.delete(&above).map(drop)
}

async fn get_text(db: &IdbDatabase, key: &JsValue) -> Result<Option<String>, CacheError> {
    let (_, store) = transaction(db, IdbTransactionMode::Readonly)?;
    let get = store.get(key).map_err(refused)?;
    Ok(done(&get).await?.as_string())
}

async fn meta(db: &IdbDatabase, key: &str) -> Result<Option<CacheMeta>, CacheError> {
    let Some(text) = get_text(db, &JsValue::from_str(key)).await? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CacheError::Corrupt(e.to_string()))
}

/// Stores `count` rows as the inventory of `key`, replacing what was there only once
/// every new chunk has committed. `chunk` gives the JSON of the rows in a range, or
/// `None` when they are gone (the inventory changed meanwhile): then the previous
/// cache stays as it was and `Ok(false)` says nothing was stored.
pub async fn save(
    key: &str,
    count: usize,
    saved_at: i64,
    baseline: Option<Baseline>,
    chunk: impl Fn(std::ops::Range<usize>) -> Option<String>,
) -> Result<bool, CacheError> {
    let db = open().await?;
    let previous = meta(&db, key).await.ok().flatten();
    let mut generation = u64::try_from(saved_at).unwrap_or_default();
    if previous
        .as_ref()
        .is_some_and(|p| p.generation >= generation)
    {
        generation = previous.as_ref().map_or(0, |p| p.generation + 1);
    }
    let chunks = count.div_ceil(CHUNK);
    for i in 0..chunks {
        let Some(text) = chunk(i * CHUNK..((i + 1) * CHUNK).min(count)) else {
            // The previous generation stays live; this one's chunks are swept later.
            db.close();
            return Ok(false);
        };
        let at = chunk_key(key, generation, i);
        write(&db, |store| {
            store.put_with_key(&JsValue::from_str(&text), &at).map(drop)
        })
        .await?;
    }
    let meta = CacheMeta {
        format: FORMAT,
        generation,
        saved_at,
        rows: count,
        chunks,
        baseline,
    };
    let text = serde_json::to_string(&meta).map_err(|e| CacheError::Corrupt(e.to_string()))?;
    // The switch: one record, one transaction. Before it commits the old cache is live.
    write(&db, |store| {
        store
            .put_with_key(&JsValue::from_str(&text), &JsValue::from_str(key))
            .map(drop)
    })
    .await?;
    write(&db, |store| {
        delete_chunks_except(store, key, Some(generation))
    })
    .await?;
    db.close();
    Ok(true)
}

/// The inventory of `key`, if one is stored.
pub async fn load(key: &str) -> Result<Option<(CacheMeta, Vec<ArtifactRow>)>, CacheError> {
    let db = open().await?;
    let Some(meta) = meta(&db, key).await? else {
        return Ok(None);
    };
    if meta.format != FORMAT {
        return Ok(None);
    }
    let mut rows = Vec::with_capacity(meta.rows);
    for i in 0..meta.chunks {
        let text = get_text(&db, &chunk_key(key, meta.generation, i))
            .await?
            .ok_or_else(|| CacheError::Corrupt(format!("part {i} is missing")))?;
        let chunk: Vec<ArtifactRow> =
            serde_json::from_str(&text).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        rows.extend(chunk);
    }
    db.close();
    Ok(Some((meta, rows)))
}

/// Forgets the inventory of `key` (a user who signed out).
pub async fn remove(key: &str) -> Result<(), CacheError> {
    let db = open().await?;
    write(&db, |store| {
        store.delete(&JsValue::from_str(key))?;
        delete_chunks_except(store, key, None)
    })
    .await?;
    db.close();
    Ok(())
}

/// Forgets every cached inventory, of every Harbor and caller.
pub async fn forget_all() -> Result<(), CacheError> {
    let db = open().await?;
    write(&db, |store| store.clear().map(drop)).await?;
    db.close();
    Ok(())
}

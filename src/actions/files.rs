//! Files the user hands the page: an earlier `Export JSON` for the snapshot diff.

use harbor_client::model::VulnReport;
use harbor_client::slim::ArtifactRow;
use inventory::export::parse_json;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

/// An earlier inventory read back from a JSON export.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierExport {
    /// The file's name.
    pub name: String,
    /// When it was exported, as written in its header.
    pub exported_at: String,
    pub rows: Vec<ArtifactRow>,
    /// Full reports the export carried (fetched before it was made).
    pub reports: Vec<VulnReport>,
}

/// Why a picked file gave no export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{0} could not be read.")]
    Unreadable(String),
    #[error("{0} is not a Harbor Lens JSON export (use Export JSON): {1}")]
    NotAnExport(String, String),
}

async fn read(file: web_sys::File) -> Result<EarlierExport, FileError> {
    let name = file.name();
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| FileError::Unreadable(name.clone()))?
        .as_string()
        .unwrap_or_default();
    let export =
        parse_json(&text).map_err(|e| FileError::NotAnExport(name.clone(), e.to_string()))?;
    Ok(EarlierExport {
        name,
        exported_at: export.header.exported_at,
        rows: export.artifacts,
        reports: export.reports,
    })
}

/// Reads `file` as an earlier export and hands the outcome to `done`.
pub fn read_export(
    file: web_sys::File,
    done: impl FnOnce(Result<EarlierExport, FileError>) + 'static,
) {
    spawn_local(async move { done(read(file).await) });
}

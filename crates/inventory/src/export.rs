//! CSV and JSON export of exactly the rows that match the filters, in table order, each
//! with a header record saying where, when, by whom and with which filters it was taken.
//!
//! [`ExportHeader`] has no field for a password, secret or token, and user info in the
//! Harbor URL is dropped, so an export cannot carry credentials.
//!
//! CSV layout (RFC 4180, CRLF line ends):
//! 1. header names: `harbor_url,harbor_version,user,exported_at,filters,failed_requests,artifacts`
//! 2. header values
//! 3. column names ([`CSV_COLUMNS`])
//! 4. one record per artifact.
//!
//! Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! CR) get a leading `'`, the usual neutralisation.
//!
//! JSON layout: `{"header": {...}, "artifacts": [ArtifactRow, ...]}`; the artifacts are
//! the slim rows as they serialise, so [`parse_json`] reads an export back (snapshot diff).

use std::borrow::Cow;
use std::collections::HashSet;

use harbor_client::model::VulnReport;
use harbor_client::slim::{ArtifactRow, Digest, Millis, ScanStatus};
use serde::{Deserialize, Serialize};

use crate::format::severity_name;
use crate::time::{iso8601, iso8601_opt};

/// What went wrong reading or writing an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A quoted CSV field never ends.
    #[error("CSV: quoted field starting on line {line} is not closed")]
    UnterminatedQuote {
        /// 1-based line of the opening quote.
        line: usize,
    },
    /// Something other than a comma or line end follows a closing quote.
    #[error("CSV: unexpected character after closing quote on line {line}")]
    AfterQuote {
        /// 1-based line.
        line: usize,
    },
    /// The JSON could not be written or read.
    #[error("JSON: {0}")]
    Json(String),
}

/// Where and when an export was taken. Holds no credentials by construction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportHeader {
    /// The Harbor the rows came from (user info, if any, is dropped on export).
    pub harbor_url: String,
    /// Harbor's version as reported by `systeminfo`.
    pub harbor_version: String,
    /// The user name, `robot account` or `anonymous`.
    pub user: String,
    /// When the export was taken.
    pub exported_at: Millis,
    /// The table state as a URL query string ([`crate::TableQuery::to_query_string`]).
    pub filters: String,
    /// How many requests of the crawl failed (rows may be missing when not 0).
    pub failed_requests: u64,
}

/// The header record as it appears in the JSON export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonHeader {
    /// Export format marker, `harbor-lens-export/1`.
    pub format: String,
    /// See [`ExportHeader::harbor_url`].
    pub harbor_url: String,
    /// See [`ExportHeader::harbor_version`].
    pub harbor_version: String,
    /// See [`ExportHeader::user`].
    pub user: String,
    /// ISO 8601 UTC.
    pub exported_at: String,
    /// Milliseconds since the epoch, for programs.
    pub exported_at_ms: Millis,
    /// See [`ExportHeader::filters`].
    pub filters: String,
    /// See [`ExportHeader::failed_requests`].
    pub failed_requests: u64,
    /// Number of artifacts in the export.
    pub artifacts: usize,
}

/// A whole JSON export, as written and as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonExport {
    /// The header record.
    pub header: JsonHeader,
    /// The rows, in table order.
    pub artifacts: Vec<ArtifactRow>,
    /// Full vulnerability reports of exported artifacts, when they were fetched: a
    /// later snapshot diff then names the vulnerabilities new and fixed. Left out when
    /// there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<VulnReport>,
}

/// The format marker written into every JSON export.
pub const JSON_FORMAT: &str = "harbor-lens-export/1";

/// Names of the CSV header record.
pub const CSV_HEADER_FIELDS: [&str; 7] = [
    "harbor_url",
    "harbor_version",
    "user",
    "exported_at",
    "filters",
    "failed_requests",
    "artifacts",
];

/// Column names of the artifact records.
pub const CSV_COLUMNS: [&str; 19] = [
    "project",
    "repository",
    "tags",
    "digest",
    "type",
    "size_bytes",
    "push_time",
    "pull_time",
    "scan_status",
    "severity",
    "critical",
    "high",
    "medium",
    "low",
    "fixable",
    "labels",
    "media_type",
    "signed",
    "sbom",
];

/// The CSV export of `rows[order[..]]`; indices out of range are skipped.
///
/// ```
/// use inventory::export::{to_csv, ExportHeader, parse_csv};
/// let rows = inventory::synthetic::rows(3, 1);
/// let csv = to_csv(&rows, &[2, 0], &ExportHeader::default());
/// let records = parse_csv(&csv).unwrap();
/// assert_eq!(records.len(), 3 + 2);
/// assert_eq!(records[3][3], rows[2].digest.to_string());
/// ```
pub fn to_csv(rows: &[ArtifactRow], order: &[u32], header: &ExportHeader) -> String {
    collect_text(|sink| write_csv(rows, order, header, false, sink))
}

/// About this many bytes of an export go to its sink at a time.
pub const CHUNK: usize = 64 * 1024;

/// The CSV export ([`to_csv`]) handed to `sink` in pieces of about [`CHUNK`] bytes, each
/// ending with a whole record: an export of a million rows never sits whole in memory (a
/// wasm page never gives memory back). With `per_tag`, for tag rows
/// ([`crate::tagrows::tag_rows`]): the artifact columns plus a last `tag` column (empty
/// for an untagged artifact).
///
/// ```
/// use inventory::export::{write_csv, ExportHeader, parse_csv};
/// let rows = inventory::tagrows::tag_rows(&inventory::synthetic::rows(5, 1));
/// let order: Vec<u32> = (0..rows.len() as u32).collect();
/// let mut csv = Vec::new();
/// write_csv(&rows, &order, &ExportHeader::default(), true, &mut |p| csv.extend_from_slice(p));
/// let records = parse_csv(std::str::from_utf8(&csv).unwrap()).unwrap();
/// assert_eq!(records[2].last().map(String::as_str), Some("tag"));
/// assert_eq!(records.len(), 3 + rows.len());
/// ```
pub fn write_csv(
    rows: &[ArtifactRow],
    order: &[u32],
    header: &ExportHeader,
    per_tag: bool,
    sink: &mut dyn FnMut(&[u8]),
) {
    let picked = || order.iter().filter_map(|&i| rows.get(i as usize));
    let mut out = String::with_capacity(CHUNK + 4096);
    write_header_records(&mut out, header, CSV_HEADER_FIELDS[6], picked().count());
    let tag_column = per_tag.then_some("tag");
    write_record(&mut out, CSV_COLUMNS.into_iter().chain(tag_column));
    for row in picked() {
        write_row(&mut out, row, per_tag);
        if out.len() >= CHUNK {
            sink(out.as_bytes());
            out.clear();
        }
    }
    if !out.is_empty() {
        sink(out.as_bytes());
    }
}

/// Writes a JSON export to a sink in pieces of about [`CHUNK`] bytes (a piece may end
/// inside a character: the pieces are bytes of one file). Its parts are serialised one
/// by one into a `Vec<u8>`, as the app's other JSON is (the wasm then holds one copy of
/// each type's serialiser), and framed here as serde would frame a [`JsonExport`].
struct JsonPieces<'a> {
    buf: Vec<u8>,
    sink: &'a mut dyn FnMut(&[u8]),
}

impl<'a> JsonPieces<'a> {
    fn new(sink: &'a mut dyn FnMut(&[u8])) -> Self {
        JsonPieces {
            buf: Vec::with_capacity(CHUNK + 4096),
            sink,
        }
    }

    /// JSON text as it is (punctuation, keys).
    fn text(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    /// A value, serialised.
    fn value(&mut self, value: &impl Serialize) -> Result<(), ExportError> {
        serde_json::to_writer(&mut self.buf, value).map_err(|e| ExportError::Json(e.to_string()))
    }

    /// `"name":[item,item,...]`, each item written by `write`; a piece goes to the sink
    /// between items.
    fn list<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut write: impl FnMut(&mut Self, T) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        self.text(&format!("\"{name}\":["));
        for (k, item) in items.into_iter().enumerate() {
            if k > 0 {
                self.text(",");
            }
            write(self, item)?;
            if self.buf.len() >= CHUNK {
                (self.sink)(&self.buf);
                self.buf.clear();
            }
        }
        self.text("]");
        Ok(())
    }

    fn finish(mut self) {
        if !self.buf.is_empty() {
            (self.sink)(&self.buf);
        }
        self.buf.clear();
    }
}

/// What a streamed export wrote, as one string (tests, small exports).
fn collect_text(write: impl FnOnce(&mut dyn FnMut(&[u8]))) -> String {
    let mut bytes = Vec::new();
    write(&mut |piece| bytes.extend_from_slice(piece));
    // Every writer here writes UTF-8 text.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn write_row(out: &mut String, row: &ArtifactRow, per_tag: bool) {
    let tags = list_cell(row.tags.iter().map(|t| &*t.name));
    let labels = list_cell(row.labels.iter().map(|l| &*l.name));
    let s = &row.scan;
    let status = match s.status {
        ScanStatus::NotScanned => "not_scanned",
        ScanStatus::Scanning => "scanning",
        ScanStatus::Failed => "failed",
        ScanStatus::Success => "success",
    };
    let numbers = [
        row.size.to_string(),
        s.counts[0].to_string(),
        s.counts[1].to_string(),
        s.counts[2].to_string(),
        s.counts[3].to_string(),
        s.fixable.to_string(),
    ];
    let push = iso8601_opt(row.push_time.get());
    let pull = iso8601_opt(row.pull_time.get());
    let digest = row.digest.text();
    write_record(
        out,
        [
            &*row.project,
            &*row.repository,
            &tags,
            &digest,
            &*row.kind,
            &numbers[0],
            &push,
            &pull,
            status,
            s.severity.map_or("", severity_name),
            &numbers[1],
            &numbers[2],
            &numbers[3],
            &numbers[4],
            &numbers[5],
            &labels,
            &*row.media_type,
            yes_no(row.signed()),
            yes_no(row.has_sbom()),
        ]
        .into_iter()
        .chain(per_tag.then(|| crate::tagrows::tag_of(row).unwrap_or(""))),
    );
}

/// Names in one CSV cell: `latest; 1.27`.
fn list_cell<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join("; ")
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

/// Appends one CSV record (neutralised, quoted where needed) and a CRLF.
pub fn write_record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = neutralise(field);
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Prefixes a cell a spreadsheet would evaluate as a formula with `'`.
///
/// ```
/// use inventory::export::neutralise;
/// assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(neutralise("nginx"), "nginx");
/// ```
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Parses RFC 4180 CSV (CRLF or LF line ends) into records of fields. Used to check
/// exports and to read them back; a bare CR also ends a record.
pub fn parse_csv(input: &str) -> Result<Vec<Vec<String>>, ExportError> {
    let b = input.as_bytes();
    let mut records = Vec::new();
    if b.is_empty() {
        return Ok(records);
    }
    let mut record = Vec::new();
    let mut i = 0;
    let mut line = 1;
    loop {
        if b.get(i) == Some(&b'"') {
            let open_line = line;
            let mut field = String::new();
            let mut j = i + 1;
            loop {
                let Some(k) = b[j..].iter().position(|&c| c == b'"').map(|k| j + k) else {
                    return Err(ExportError::UnterminatedQuote { line: open_line });
                };
                line += b[j..k].iter().filter(|&&c| c == b'\n').count();
                field.push_str(&input[j..k]);
                if b.get(k + 1) == Some(&b'"') {
                    field.push('"');
                    j = k + 2;
                } else {
                    i = k + 1;
                    break;
                }
            }
            record.push(field);
        } else {
            let end = b[i..]
                .iter()
                .position(|&c| matches!(c, b',' | b'\r' | b'\n'))
                .map_or(b.len(), |k| i + k);
            record.push(input[i..end].to_string());
            i = end;
        }
        match b.get(i) {
            None => {
                records.push(record);
                return Ok(records);
            }
            Some(b',') => i += 1,
            Some(b'\r' | b'\n') => {
                i += if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                line += 1;
                records.push(std::mem::take(&mut record));
                if i >= b.len() {
                    return Ok(records);
                }
            }
            Some(_) => return Err(ExportError::AfterQuote { line }),
        }
    }
}

/// The JSON export of `rows[order[..]]`; indices out of range are skipped.
///
/// ```
/// use inventory::export::{to_json, parse_json, ExportHeader};
/// let rows = inventory::synthetic::rows(4, 1);
/// let json = to_json(&rows, &[3, 1], &ExportHeader::default()).unwrap();
/// let back = parse_json(&json).unwrap();
/// assert_eq!(back.artifacts, vec![rows[3].clone(), rows[1].clone()]);
/// ```
pub fn to_json(
    rows: &[ArtifactRow],
    order: &[u32],
    header: &ExportHeader,
) -> Result<String, ExportError> {
    collect_json(|sink| json_with_reports(rows, order, &[], header, sink))
}

/// The JSON export ([`to_json`]) with the full reports of some exported artifacts
/// (reports of artifacts not exported are left out), handed to `sink` a piece at a time
/// like [`write_csv`]. With `per_tag`, for tag rows: each artifact entry also has a `tag`
/// field (`null` for an untagged artifact), and no reports go along. [`parse_json`]
/// reads either back as rows.
///
/// ```
/// use inventory::export::{parse_json, write_json, ExportHeader};
/// let rows = inventory::tagrows::tag_rows(&inventory::synthetic::rows(5, 1));
/// let mut json = Vec::new();
/// write_json(&rows, &[0], &[], &ExportHeader::default(), true, &mut |p| json.extend_from_slice(p))
///     .unwrap();
/// let json = String::from_utf8(json).unwrap();
/// assert!(json.contains("\"tag\":"));
/// assert_eq!(parse_json(&json).unwrap().artifacts, vec![rows[0].clone()]);
/// ```
pub fn write_json(
    rows: &[ArtifactRow],
    order: &[u32],
    reports: &[&VulnReport],
    header: &ExportHeader,
    per_tag: bool,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<(), ExportError> {
    if per_tag {
        json_per_tag(rows, order, header, sink)
    } else {
        json_with_reports(rows, order, reports, header, sink)
    }
}

fn collect_json(
    write: impl FnOnce(&mut dyn FnMut(&[u8])) -> Result<(), ExportError>,
) -> Result<String, ExportError> {
    let mut result = Ok(());
    let text = collect_text(|sink| result = write(sink));
    result.map(|()| text)
}

fn json_per_tag(
    rows: &[ArtifactRow],
    order: &[u32],
    header: &ExportHeader,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<(), ExportError> {
    let picked = || order.iter().filter_map(|&i| rows.get(i as usize));
    let mut out = JsonPieces::new(sink);
    out.text("{\"header\":");
    out.value(&json_header(header, picked().count()))?;
    out.text(",");
    out.list("artifacts", picked(), |out, row| {
        // `{"tag":...,` and the row's own fields: the `{` opening the serialised row
        // (an object of many fields) gives way to the comma.
        out.text("{\"tag\":");
        out.value(&crate::tagrows::tag_of(row))?;
        let at = out.buf.len();
        out.value(row)?;
        out.buf[at] = b',';
        Ok(())
    })?;
    out.text("}");
    out.finish();
    Ok(())
}

fn json_with_reports(
    rows: &[ArtifactRow],
    order: &[u32],
    reports: &[&VulnReport],
    header: &ExportHeader,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<(), ExportError> {
    let artifacts: Vec<&ArtifactRow> = order.iter().filter_map(|&i| rows.get(i as usize)).collect();
    let exported: HashSet<(&str, &Digest)> = artifacts.iter().map(|r| r.key()).collect();
    let reports: Vec<&VulnReport> = reports
        .iter()
        .copied()
        .filter(|r| exported.contains(&(&*r.repository, &Digest::new(&r.digest))))
        .collect();
    let mut out = JsonPieces::new(sink);
    out.text("{\"header\":");
    out.value(&json_header(header, artifacts.len()))?;
    out.text(",");
    out.list("artifacts", artifacts, |out, row| out.value(row))?;
    if !reports.is_empty() {
        out.text(",");
        out.list("reports", reports, |out, report| out.value(report))?;
    }
    out.text("}");
    out.finish();
    Ok(())
}

/// Column names of [`projects_csv`].
pub const PROJECT_COLUMNS: [&str; 5] = [
    "project",
    "artifacts",
    "artifact_size_sum_bytes",
    "quota_used_bytes",
    "quota_hard_bytes",
];

/// The per-project storage export: the artifact-size sum beside the quota's figures
/// (empty where the caller may not see them; `unlimited` for Harbor's -1, which a
/// spreadsheet-safe cell would otherwise write as `'-1`).
///
/// ```
/// use inventory::export::{parse_csv, projects_csv, ExportHeader};
/// use inventory::storage::ProjectStorage;
/// let row = ProjectStorage { project: "lib".into(), artifacts: 2, size_sum: 9,
///     quota_used: Some(5), quota_hard: Some(None) };
/// let records = parse_csv(&projects_csv(&[row], &ExportHeader::default())).unwrap();
/// assert_eq!(records[1][6], "1");
/// assert_eq!(records[3], ["lib", "2", "9", "5", "unlimited"]);
/// ```
pub fn projects_csv(storage: &[crate::storage::ProjectStorage], header: &ExportHeader) -> String {
    let mut out = String::with_capacity(256 + storage.len() * 64);
    write_header_records(&mut out, header, "projects", storage.len());
    write_record(&mut out, PROJECT_COLUMNS);
    for p in storage {
        let hard = match p.quota_hard {
            None => String::new(),
            Some(None) => "unlimited".to_string(),
            Some(Some(b)) => b.to_string(),
        };
        let used = p.quota_used.map(|u| u.to_string()).unwrap_or_default();
        let numbers = [p.artifacts.to_string(), p.size_sum.to_string()];
        write_record(
            &mut out,
            [&*p.project, &numbers[0], &numbers[1], &used, &hard],
        );
    }
    out
}

/// Reads a JSON export back (for the snapshot diff).
pub fn parse_json(input: &str) -> Result<JsonExport, ExportError> {
    serde_json::from_str(input).map_err(|e| ExportError::Json(e.to_string()))
}

pub(crate) fn json_header(h: &ExportHeader, artifacts: usize) -> JsonHeader {
    JsonHeader {
        format: JSON_FORMAT.to_string(),
        harbor_url: strip_userinfo(&h.harbor_url).to_string(),
        harbor_version: h.harbor_version.clone(),
        user: h.user.clone(),
        exported_at: iso8601(h.exported_at),
        exported_at_ms: h.exported_at,
        filters: h.filters.clone(),
        failed_requests: h.failed_requests,
        artifacts,
    }
}

/// Writes the two header records (names, values) of a CSV export whose last header field
/// counts `count` items called `count_name` (`artifacts`, `cves`, `changes`); shared by
/// the roll-up and diff exports so every CSV starts the same way.
pub(crate) fn write_header_records(
    out: &mut String,
    header: &ExportHeader,
    count_name: &str,
    count: usize,
) {
    let mut names = CSV_HEADER_FIELDS;
    names[6] = count_name;
    write_record(out, names);
    let count = count.to_string();
    let failed = header.failed_requests.to_string();
    let when = iso8601(header.exported_at);
    let url = strip_userinfo(&header.harbor_url);
    write_record(
        out,
        [
            &*url,
            &header.harbor_version,
            &header.user,
            &when,
            &header.filters,
            &failed,
            &count,
        ],
    );
}

/// Drops `user:password@` from a URL so it cannot leak into a file.
pub(crate) fn strip_userinfo(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{scheme}://{}", &rest[at + 1..])),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec, NOW};
    use harbor_client::slim::Severity;

    fn to_csv_per_tag(rows: &[ArtifactRow], order: &[u32], header: &ExportHeader) -> String {
        collect_text(|sink| write_csv(rows, order, header, true, sink))
    }

    fn to_json_per_tag(
        rows: &[ArtifactRow],
        order: &[u32],
        header: &ExportHeader,
    ) -> Result<String, ExportError> {
        collect_json(|sink| json_per_tag(rows, order, header, sink))
    }

    fn to_json_with_reports(
        rows: &[ArtifactRow],
        order: &[u32],
        reports: &[&VulnReport],
        header: &ExportHeader,
    ) -> Result<String, ExportError> {
        collect_json(|sink| json_with_reports(rows, order, reports, header, sink))
    }

    #[test]
    fn large_exports_come_in_pieces_that_make_the_same_file() {
        let rows = crate::synthetic::rows(3_000, 7);
        let order: Vec<u32> = (0..rows.len() as u32).rev().collect();
        let header = ExportHeader::default();
        for per_tag in [false, true] {
            let mut pieces: Vec<Vec<u8>> = Vec::new();
            write_csv(&rows, &order, &header, per_tag, &mut |p| {
                pieces.push(p.to_vec())
            });
            assert!(pieces.len() > 3, "{} pieces", pieces.len());
            assert!(pieces.iter().all(|p| p.len() < CHUNK + 4096));
            let whole = if per_tag {
                to_csv_per_tag(&rows, &order, &header)
            } else {
                to_csv(&rows, &order, &header)
            };
            assert_eq!(pieces.concat(), whole.into_bytes());

            let mut pieces: Vec<Vec<u8>> = Vec::new();
            write_json(&rows, &order, &[], &header, per_tag, &mut |p| {
                pieces.push(p.to_vec())
            })
            .unwrap();
            assert!(pieces.len() > 3);
            assert!(pieces.iter().all(|p| p.len() < CHUNK + 4096));
            let back = parse_json(std::str::from_utf8(&pieces.concat()).unwrap()).unwrap();
            assert_eq!(back.artifacts.len(), rows.len());
            assert_eq!(back.artifacts[0], rows[rows.len() - 1]);
        }
    }

    #[test]
    fn json_carries_the_reports_of_exported_artifacts_only() {
        let rows = crate::synthetic::rows(3, 1);
        let report = |r: &ArtifactRow| VulnReport {
            repository: r.repository.clone(),
            digest: r.digest.to_string().into(),
            mime: None,
            scanner: None,
            generated_at: None,
            vulnerabilities: vec![],
        };
        let reports = [report(&rows[0]), report(&rows[2])];
        let refs: Vec<&VulnReport> = reports.iter().collect();
        let json = to_json_with_reports(&rows, &[0, 1], &refs, &header()).unwrap();
        let back = parse_json(&json).unwrap();
        assert_eq!(back.reports, vec![reports[0].clone()]);
        let plain = to_json(&rows, &[0, 1], &header()).unwrap();
        assert!(!plain.contains("\"reports\""));
        assert!(parse_json(&plain).unwrap().reports.is_empty());
        // Framed by hand, but exactly what serde writes for the whole export.
        let whole = JsonExport {
            header: json_header(&header(), 2),
            artifacts: rows[..2].to_vec(),
            reports: vec![reports[0].clone()],
        };
        assert_eq!(json, serde_json::to_string(&whole).unwrap());
    }

    #[test]
    fn json_per_tag_is_each_row_with_its_tag_first() {
        let rows = crate::tagrows::tag_rows(&crate::synthetic::rows(20, 4));
        let order: Vec<u32> = (0..rows.len() as u32).collect();
        let json = to_json_per_tag(&rows, &order, &header()).unwrap();
        let written: serde_json::Value = serde_json::from_str(&json).unwrap();
        let artifacts = written["artifacts"].as_array().unwrap();
        assert_eq!(artifacts.len(), rows.len());
        for (row, written) in rows.iter().zip(artifacts) {
            let mut expected = serde_json::to_value(row).unwrap();
            expected["tag"] = crate::tagrows::tag_of(row).into();
            assert_eq!(written, &expected);
        }
        assert!(json.contains(r#"[{"tag":"#));
    }

    fn header() -> ExportHeader {
        ExportHeader {
            harbor_url: "https://admin:Harbor12345@harbor.example.com/".into(),
            harbor_version: "v2.13.0".into(),
            user: "admin".into(),
            exported_at: NOW,
            filters: "project=lib&sort=-size".into(),
            failed_requests: 2,
        }
    }

    fn hostile_rows() -> Vec<ArtifactRow> {
        vec![
            row(&RowSpec::new("lib", "lib/=cmd|' /C calc'!A0")
                .digest("sha256:aa")
                .tags(&["v1", "latest"])
                .labels(&["@SUM(1+1)", "a,b \"q\""])
                .pushed(Some(0))
                .pulled(None)
                .scanned(Severity::High, [0, 3, 1, 0], 2, None)),
            row(&RowSpec::new("lib", "lib/plain").digest("sha256:bb").size(7)),
        ]
    }

    #[test]
    fn csv_layout() {
        let rows = hostile_rows();
        let csv = to_csv(&rows, &[1, 0, 7], &header());
        let records = parse_csv(&csv).unwrap();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0], CSV_HEADER_FIELDS);
        assert_eq!(
            records[1],
            [
                "https://harbor.example.com/",
                "v2.13.0",
                "admin",
                "2027-01-15T08:00:00Z",
                "project=lib&sort=-size",
                "2",
                "2"
            ]
        );
        assert!(!csv.contains("Harbor12345"), "no credentials in exports");
        assert_eq!(records[2], CSV_COLUMNS);
        assert_eq!(records[3][1], "lib/plain");
        assert_eq!(records[3][5], "7");
        assert_eq!(records[3][8], "not_scanned");
        let r = &records[4];
        assert_eq!(
            r[1], "lib/=cmd|' /C calc'!A0",
            "only a leading formula character counts"
        );
        assert_eq!(r[2], "v1; latest");
        assert_eq!(r[6], "1970-01-01T00:00:00Z");
        assert_eq!(r[7], "", "never pulled");
        assert_eq!(
            &r[8..16],
            [
                "success",
                "High",
                "0",
                "3",
                "1",
                "0",
                "2",
                "'@SUM(1+1); a,b \"q\""
            ]
        );
        assert!(records[2..]
            .iter()
            .all(|rec| rec.len() == CSV_COLUMNS.len()));
    }

    #[test]
    fn accessory_columns_and_per_tag_exports() {
        use harbor_client::slim::AccessoryKind;
        let a = RowSpec::new("p", "p/a");
        let rows = crate::tagrows::tag_rows(&[
            row(&a
                .clone()
                .digest("sha256:1")
                .tags(&["v1", "=x"])
                .accessories(&[AccessoryKind::Notation, AccessoryKind::Sbom])),
            row(&a.clone().digest("sha256:2")),
        ]);
        let order = [2, 1, 0];
        let records = parse_csv(&to_csv_per_tag(&rows, &order, &header())).unwrap();
        let width = CSV_COLUMNS.len() + 1;
        assert_eq!(records[2][width - 1], "tag");
        let cells: Vec<[&str; 5]> = records[3..]
            .iter()
            .map(|r| {
                assert_eq!(r.len(), width);
                [&r[3], &r[2], &r[width - 3], &r[width - 2], &r[width - 1]].map(String::as_str)
            })
            .collect();
        assert_eq!(
            cells,
            [
                ["sha256:2", "", "no", "no", ""],
                ["sha256:1", "'=x", "yes", "yes", "'=x"],
                ["sha256:1", "v1", "yes", "yes", "v1"],
            ]
        );
        let plain = parse_csv(&to_csv(&rows, &order, &header())).unwrap();
        assert_eq!(plain[2], CSV_COLUMNS, "no tag column outside tag mode");
        let json: serde_json::Value =
            serde_json::from_str(&to_json_per_tag(&rows, &order, &header()).unwrap()).unwrap();
        let tags: Vec<&serde_json::Value> = json["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["tag"])
            .collect();
        assert_eq!(tags, [&serde_json::Value::Null, &"=x".into(), &"v1".into()]);
        assert_eq!(json["header"]["artifacts"], 3);
    }

    #[test]
    fn neutralise_table() {
        let cases = [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@x", "'@x"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("x=1", "x=1"),
            ("", ""),
            ("'=", "'="),
        ];
        for (input, want) in cases {
            assert_eq!(neutralise(input), want, "{input:?}");
        }
    }

    #[test]
    fn write_record_quoting() {
        let cases: [(&[&str], &str); 6] = [
            (&["a", "b"], "a,b\r\n"),
            (&[""], "\r\n"),
            (&["a,b"], "\"a,b\"\r\n"),
            (&["say \"hi\""], "\"say \"\"hi\"\"\"\r\n"),
            (&["line\nbreak", "x"], "\"line\nbreak\",x\r\n"),
            (&["=cmd", "-2"], "'=cmd,'-2\r\n"),
        ];
        for (fields, want) in cases {
            let mut out = String::new();
            write_record(&mut out, fields.iter().copied());
            assert_eq!(out, want);
        }
    }

    #[test]
    fn parse_csv_table() {
        let ok: [(&str, Vec<Vec<&str>>); 7] = [
            ("", vec![]),
            ("a", vec![vec!["a"]]),
            ("a,b\nc,d\n", vec![vec!["a", "b"], vec!["c", "d"]]),
            ("a,\r\n,b", vec![vec!["a", ""], vec!["", "b"]]),
            ("\"x\"\"y\",\"\"\r\n", vec![vec!["x\"y", ""]]),
            ("\"multi\r\nline\",z", vec![vec!["multi\r\nline", "z"]]),
            ("\r\n\r\n", vec![vec![""], vec![""]]),
        ];
        for (input, want) in ok {
            assert_eq!(parse_csv(input).unwrap(), want, "{input:?}");
        }
        assert_eq!(
            parse_csv("a\n\"open"),
            Err(ExportError::UnterminatedQuote { line: 2 })
        );
        assert_eq!(
            parse_csv("\"a\"b"),
            Err(ExportError::AfterQuote { line: 1 })
        );
    }

    #[test]
    fn json_round_trip_and_header() {
        let rows = hostile_rows();
        let json = to_json(&rows, &[1, 0], &header()).unwrap();
        assert!(!json.contains("Harbor12345"));
        let back = parse_json(&json).unwrap();
        assert_eq!(back.artifacts, vec![rows[1].clone(), rows[0].clone()]);
        let h = back.header;
        assert_eq!(h.format, JSON_FORMAT);
        assert_eq!(h.harbor_url, "https://harbor.example.com/");
        assert_eq!(
            (h.exported_at.as_str(), h.exported_at_ms),
            ("2027-01-15T08:00:00Z", NOW)
        );
        assert_eq!((h.failed_requests, h.artifacts), (2, 2));
        assert!(matches!(parse_json("{"), Err(ExportError::Json(_))));
    }

    #[test]
    fn strip_userinfo_table() {
        let cases = [
            ("https://u:p@h/x", "https://h/x"),
            ("https://h/x@y", "https://h/x@y"),
            ("http://a@b@h", "http://h"),
            ("", ""),
            ("h", "h"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_userinfo(input), want);
        }
    }
}

//! A compact binary form for what the page and its crawl worker send each other.
//!
//! Both ends run the same wasm module, so the form needs no names, no versions and no
//! self-description: each value writes its fields in declaration order, integers as
//! LEB128 varints (signed ones zig-zagged), text as a length and UTF-8 bytes, an enum as
//! a one-byte tag and its fields. Decoding is checked all the same (a short message, an
//! unknown tag or broken text is a [`WireError`], never a panic), and it keeps the wasm
//! small: one plain function per type, where serde's JSON decoder is a visitor per type
//! and per input.
//!
//! ```
//! use harbor_client::crawl::Progress;
//! use harbor_client::wire::{decode, encode};
//!
//! let progress = Progress { requests_done: 3, limit: 6, ..Progress::default() };
//! let bytes = encode(&progress);
//! assert_eq!(decode::<Progress>(&bytes), Ok(progress));
//! assert!(decode::<Progress>(&bytes[..2]).is_err());
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::crawl::{
    CrawlConfig, CrawlReport, Credentials, Discovery, Event, Failure, Job, Ledger, LedgerEntry,
    ListingSnapshot, Principal, Progress, Projects, RefreshMethod, RepoStamp, RequestKind,
    RequestScope, RetryPolicy, Scope, Strategy, WhyEveryRepository,
};
use crate::digest::Digest;
use crate::model::{HarborError, Scanner, VulnReport, VulnRow};
use crate::slim::{
    AccessoryKind, AccessoryRow, ArtifactRow, LabelRef, Moment, ScanStatus, ScanSummary, Severity,
    TagRow,
};
use crate::transport::NetworkErrorKind;

/// Why bytes could not be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The message ended in the middle of a value.
    #[error("the message ends early")]
    Short,
    /// An enum tag no variant has.
    #[error("unknown tag {0}")]
    Tag(u8),
    /// A number too large for its type.
    #[error("a number out of range")]
    Range,
    /// Text that is not UTF-8.
    #[error("text that is not UTF-8")]
    Text,
    /// Bytes left over after the value.
    #[error("{0} bytes left over")]
    Trailing(usize),
}

/// A value with a binary form.
pub trait Wire: Sized {
    /// Appends the value to `out`.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads one value from the front of `input`.
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError>;
}

/// The bytes of `value`.
pub fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.put(&mut out);
    out
}

/// Reads back what [`encode`] wrote; every byte must belong to the value.
pub fn decode<T: Wire>(bytes: &[u8]) -> Result<T, WireError> {
    let mut input = Reader { rest: bytes };
    let value = T::take(&mut input)?;
    match input.rest.len() {
        0 => Ok(value),
        left => Err(WireError::Trailing(left)),
    }
}

/// The unread part of a message.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Short);
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    /// One byte: an enum's tag.
    pub fn tag(&mut self) -> Result<u8, WireError> {
        Ok(self.bytes(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.tag()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError::Range)
    }

    fn text(&mut self) -> Result<&'a str, WireError> {
        let len = usize::take(self)?;
        std::str::from_utf8(self.bytes(len)?).map_err(|_| WireError::Text)
    }
}

fn put_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

// ---------------------------------------------------------------------------------------
// Building blocks.

impl Wire for u64 {
    fn put(&self, out: &mut Vec<u8>) {
        put_varint(*self, out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        input.varint()
    }
}

/// Narrower unsigned integers go as `u64` and are checked on the way back.
macro_rules! narrow {
    ($($ty:ty),*) => {$(
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                put_varint(*self as u64, out);
            }
            fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
                <$ty>::try_from(input.varint()?).map_err(|_| WireError::Range)
            }
        }
    )*};
}
narrow!(u16, u32, usize);

impl Wire for i64 {
    fn put(&self, out: &mut Vec<u8>) {
        put_varint(((self << 1) ^ (self >> 63)) as u64, out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let zigzag = input.varint()?;
        Ok((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64))
    }
}

impl Wire for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.tag()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(WireError::Tag(other)),
        }
    }
}

impl Wire for f64 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let bytes = input.bytes(8)?;
        Ok(f64::from_le_bytes(
            bytes.try_into().map_err(|_| WireError::Short)?,
        ))
    }
}

impl Wire for Duration {
    fn put(&self, out: &mut Vec<u8>) {
        self.as_secs().put(out);
        self.subsec_nanos().put(out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let secs = u64::take(input)?;
        let nanos = u32::take(input)?;
        if nanos >= 1_000_000_000 {
            return Err(WireError::Range);
        }
        Ok(Duration::new(secs, nanos))
    }
}

/// Text in its three owned forms.
macro_rules! text {
    ($($ty:ty),*) => {$(
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                self.len().put(out);
                out.extend_from_slice(self.as_bytes());
            }
            fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
                input.text().map(<$ty>::from)
            }
        }
    )*};
}
text!(String, Box<str>, Arc<str>);

impl<T: Wire> Wire for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.put(out);
            }
        }
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.tag()? {
            0 => Ok(None),
            1 => T::take(input).map(Some),
            other => Err(WireError::Tag(other)),
        }
    }
}

/// A list: its length, then each item.
fn put_all<T: Wire>(items: &[T], out: &mut Vec<u8>) {
    items.len().put(out);
    items.iter().for_each(|item| item.put(out));
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        put_all(self, out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let len = usize::take(input)?;
        // Every value takes at least one byte: a hostile length cannot reserve more than
        // the message could hold (and a long list grows as it is read).
        let mut items = Vec::with_capacity(len.min(input.rest.len()).min(1024));
        for _ in 0..len {
            items.push(T::take(input)?);
        }
        Ok(items)
    }
}

impl<T: Wire> Wire for Box<[T]> {
    fn put(&self, out: &mut Vec<u8>) {
        put_all(self, out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Vec::take(input).map(Vec::into_boxed_slice)
    }
}

impl<T: Wire> Wire for Box<T> {
    fn put(&self, out: &mut Vec<u8>) {
        (**self).put(out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        T::take(input).map(Box::new)
    }
}

impl<T: Wire> Wire for Arc<T> {
    fn put(&self, out: &mut Vec<u8>) {
        (**self).put(out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        T::take(input).map(Arc::new)
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok((A::take(input)?, B::take(input)?))
    }
}

impl Wire for [u32; 4] {
    fn put(&self, out: &mut Vec<u8>) {
        self.iter().for_each(|n| n.put(out));
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok([
            u32::take(input)?,
            u32::take(input)?,
            u32::take(input)?,
            u32::take(input)?,
        ])
    }
}

impl Wire for Moment {
    fn put(&self, out: &mut Vec<u8>) {
        self.get().put(out);
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        <Option<i64> as Wire>::take(input).map(Moment::from)
    }
}

impl Wire for Digest {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Digest::Sha256(bytes) => {
                out.push(0);
                out.extend_from_slice(bytes);
            }
            Digest::Other(text) => {
                out.push(1);
                text.put(out);
            }
        }
    }
    fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.tag()? {
            0 => Ok(Digest::Sha256(
                input.bytes(32)?.try_into().map_err(|_| WireError::Short)?,
            )),
            1 => Box::<str>::take(input).map(Digest::Other),
            other => Err(WireError::Tag(other)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The types themselves: each lists every field once, for both directions, so the
// compiler catches a field left out of the reading side.

/// A struct with named fields, written in the order listed.
macro_rules! record {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                $(self.$field.put(out);)*
            }
            fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
                Ok($ty { $($field: Wire::take(input)?),* })
            }
        }
    };
}

/// An enum whose variants have named fields or none: its tag, then the fields. A tuple
/// variant's field is named by position and bound to a name: `Named { 0: names }`.
macro_rules! choice {
    ($ty:ident { $($tag:literal => $variant:ident { $($field:tt $(: $bind:ident)?),* }),* $(,)? }) => {
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                match self {
                    $($ty::$variant { $($field $(: $bind)?),* } => {
                        out.push($tag);
                        $(bound!($field $($bind)?).put(out);)*
                    })*
                }
            }
            fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
                match input.tag()? {
                    $($tag => Ok($ty::$variant { $($field: Wire::take(input)?),* }),)*
                    other => Err(WireError::Tag(other)),
                }
            }
        }
    };
}

/// The name a field of [`choice!`] is bound to.
macro_rules! bound {
    ($field:tt) => {
        $field
    };
    ($field:tt $bind:ident) => {
        $bind
    };
}

/// An enum whose variants each hold one value.
macro_rules! either {
    ($ty:ident { $($tag:literal => $variant:ident),* $(,)? }) => {
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                match self {
                    $($ty::$variant(value) => {
                        out.push($tag);
                        value.put(out);
                    })*
                }
            }
            fn take(input: &mut Reader<'_>) -> Result<Self, WireError> {
                match input.tag()? {
                    $($tag => Wire::take(input).map($ty::$variant),)*
                    other => Err(WireError::Tag(other)),
                }
            }
        }
    };
}

// The rows.
choice!(Severity {
    0 => None {}, 1 => Unknown {}, 2 => Negligible {}, 3 => Low {}, 4 => Medium {},
    5 => High {}, 6 => Critical {},
});
choice!(ScanStatus { 0 => NotScanned {}, 1 => Scanning {}, 2 => Failed {}, 3 => Success {} });
record!(ScanSummary {
    status,
    severity,
    counts,
    total,
    fixable,
    end_time,
    report_mime
});
record!(TagRow {
    name,
    push_time,
    pull_time
});
record!(LabelRef { id, name, color });
record!(AccessoryRow {
    kind,
    digest,
    size,
    push_time,
    inherited
});
record!(ArtifactRow {
    project,
    repository,
    digest,
    kind,
    media_type,
    size,
    push_time,
    pull_time,
    tags,
    labels,
    scan,
    references,
    project_id,
    accessories,
});

choice!(AccessoryKind { 0 => Cosign {}, 1 => Notation {}, 2 => Sbom {}, 3 => Other { 0: name } });

// Reports.
record!(Scanner {
    name,
    vendor,
    version
});
record!(VulnRow {
    id,
    severity,
    package,
    version,
    fix_version,
    cvss_v3,
    description,
    links
});
record!(VulnReport {
    repository,
    digest,
    mime,
    scanner,
    generated_at,
    vulnerabilities
});

// What the crawl found out, and what failed.
choice!(Strategy { 0 => ProjectArtifacts {}, 1 => PerRepository {} });
choice!(Principal { 0 => Anonymous {}, 1 => User { username, sysadmin }, 2 => Robot {}, 3 => Unknown {} });
record!(Discovery {
    harbor_version,
    version,
    auth_mode,
    principal,
    strategy
});
record!(RepoStamp {
    name,
    artifact_count,
    update_time
});
record!(Progress {
    requests_planned,
    requests_done,
    requests_in_flight,
    requests_failed,
    retries,
    artifacts_expected,
    artifacts_loaded,
    limit,
});
choice!(RequestKind {
    0 => SystemInfo {},
    1 => CurrentUser {},
    2 => Projects { page },
    3 => AllRepositories { page },
    4 => Repositories { project, page },
    5 => ProjectArtifacts { project, page },
    6 => ChangedRepositories { project, since, page },
    7 => ChangedArtifacts { project, repositories, page },
    8 => Artifacts { project, repository, page },
    9 => Vulnerabilities { project, repository, digest, mime },
});
record!(HarborError { code, message });
choice!(NetworkErrorKind { 0 => Connect {}, 1 => Timeout {}, 2 => Interrupted {}, 3 => Aborted {}, 4 => Other {} });
choice!(Failure {
    0 => Http { status, harbor, body_note },
    1 => Network { kind, message },
    2 => BadBody { status, content_type, message },
    3 => BadArtifacts { count, message },
    4 => KeptChanging { passes },
});
record!(RequestScope {
    project,
    repository,
    page,
    digest
});
record!(ListingSnapshot {
    total,
    pages_planned
});
record!(LedgerEntry {
    method,
    url,
    kind,
    scope,
    failure,
    request_id,
    attempts,
    elapsed_ms,
    missing_artifacts,
    listing,
});
record!(Ledger {
    entries,
    artifacts_expected,
    artifacts_loaded,
    artifacts_missing,
    missing_unknown
});
choice!(WhyEveryRepository {
    0 => OldRelease { release },
    1 => UnknownRelease {},
    2 => NoBaseline {},
    3 => NamedRepositories {},
    4 => ChangedListFailed {},
    5 => Robot {},
});
choice!(RefreshMethod {
    0 => ChangedSince { release, since, relisted_projects },
    1 => EveryRepository { why },
});
choice!(Projects { 0 => All {}, 1 => Named { 0: names } });
record!(Scope {
    projects,
    repositories,
    tag,
    query,
    scan_overview,
    labels,
    page_size
});
record!(CrawlReport {
    scope,
    discovery,
    ledger,
    progress,
    critical_path,
    refresh
});
either!(Event {
    0 => Discovered, 1 => Repositories, 2 => Artifacts, 3 => Report, 4 => Progress,
    5 => Failed, 6 => Done,
});

// What the page asks of the worker.
record!(Credentials { username, password });
record!(RetryPolicy {
    max_attempts,
    base_delay,
    max_delay,
    max_retry_after,
    retry_bad_bodies
});
record!(CrawlConfig {
    max_in_flight,
    max_concurrency,
    timeout,
    retry,
    credentials,
    seed,
    repository_stamps,
});
choice!(Job {
    0 => Crawl { scope, discovery },
    1 => Refresh { scope, known, discovery },
    2 => Retry { previous },
});

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Wire + PartialEq + std::fmt::Debug>(value: T) {
        let bytes = encode(&value);
        assert_eq!(decode::<T>(&bytes), Ok(value), "{bytes:?}");
        // Every cut of the message is an error, never a panic or a different value.
        for end in 0..bytes.len() {
            assert!(decode::<T>(&bytes[..end]).is_err(), "cut at {end}");
        }
    }

    #[test]
    fn integers_keep_their_extremes() {
        for n in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            round_trip(n);
        }
        for n in [0i64, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            round_trip(n);
        }
        round_trip(Duration::new(3, 999_999_999));
        round_trip(-0.5f64);
        round_trip(Moment::NEVER);
        round_trip(Moment::from(Some(-86_400_000)));
        // A u64 does not fit a u32, nor eleven continuation bytes a u64.
        assert_eq!(decode::<u32>(&encode(&u64::MAX)), Err(WireError::Range));
        assert_eq!(decode::<u64>(&[0xff; 11]), Err(WireError::Range));
    }

    #[test]
    fn text_and_digests() {
        round_trip(String::from("library/nginx ✓"));
        round_trip(Digest::new(&format!("sha256:{}", "ab".repeat(32))));
        round_trip(Digest::new("sha512:not-kept-as-bytes"));
        // A sha256 digest costs its 32 bytes and a tag, not 71 characters.
        assert_eq!(
            encode(&Digest::new(&format!("sha256:{}", "0".repeat(64)))).len(),
            33
        );
        let mut broken = encode(&String::from("ab"));
        broken[1] = 0xff;
        assert_eq!(decode::<String>(&broken), Err(WireError::Text));
    }

    #[test]
    fn hostile_input_is_an_error() {
        // A length far past the message's end.
        let mut huge = Vec::new();
        put_varint(u64::from(u32::MAX), &mut huge);
        assert_eq!(decode::<Vec<String>>(&huge), Err(WireError::Short));
        // An unknown tag, a bad bool, leftovers.
        assert_eq!(decode::<Severity>(&[9]), Err(WireError::Tag(9)));
        assert_eq!(decode::<bool>(&[2]), Err(WireError::Tag(2)));
        assert_eq!(decode::<bool>(&[1, 0]), Err(WireError::Trailing(1)));
    }

    fn row() -> ArtifactRow {
        ArtifactRow {
            project: "library".into(),
            repository: "library/nginx".into(),
            digest: Digest::new(&format!("sha256:{}", "1f".repeat(32))),
            kind: "IMAGE".into(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            size: 31_457_280,
            push_time: Moment::from(Some(1_700_000_000_000)),
            pull_time: Moment::NEVER,
            tags: vec![TagRow {
                name: "1.27".into(),
                push_time: Moment::from(Some(1_700_000_000_000)),
                pull_time: Moment::NEVER,
            }],
            labels: vec![Arc::new(LabelRef {
                id: 7,
                name: "prod".into(),
                color: "#0065AB".into(),
            })],
            scan: ScanSummary {
                status: ScanStatus::Success,
                severity: Some(Severity::High),
                counts: [0, 2, 5, 1],
                total: 8,
                fixable: 3,
                end_time: Moment::from(Some(1_700_000_100_000)),
                report_mime: Some(crate::model::REPORT_MIME_TYPES[0].into()),
            },
            references: 0,
            project_id: 1,
            accessories: vec![AccessoryRow {
                kind: AccessoryKind::Other("accelerator.nydus".into()),
                digest: Digest::new("sha256:short"),
                size: 700,
                push_time: Moment::NEVER,
                inherited: true,
            }]
            .into_boxed_slice(),
        }
    }

    fn entry(kind: RequestKind, failure: Failure) -> LedgerEntry {
        LedgerEntry {
            method: "GET".into(),
            url: "/projects/library/repositories/nginx/artifacts?page=2".into(),
            scope: kind.scope(),
            kind,
            failure,
            request_id: Some("hl-7".into()),
            attempts: 4,
            elapsed_ms: 2_500,
            missing_artifacts: Some(100),
            listing: Some(ListingSnapshot {
                total: None,
                pages_planned: 3,
            }),
        }
    }

    #[test]
    fn every_event_comes_back_as_sent() {
        let discovery = Discovery {
            harbor_version: Some("v2.13.1-abc".into()),
            version: Some((2, 13)),
            auth_mode: Some("db_auth".into()),
            principal: Principal::User {
                username: "alice".into(),
                sysadmin: true,
            },
            strategy: Strategy::ProjectArtifacts,
        };
        let ledger = Ledger {
            entries: vec![
                entry(
                    RequestKind::Artifacts {
                        project: "library".into(),
                        repository: "library/nginx".into(),
                        page: 2,
                    },
                    Failure::Http {
                        status: 503,
                        harbor: Some(HarborError {
                            code: "UNKNOWN".into(),
                            message: "busy".into(),
                        }),
                        body_note: None,
                    },
                ),
                entry(
                    RequestKind::ChangedArtifacts {
                        project: "p".into(),
                        repositories: vec!["p/a".into(), "p/b".into()],
                        page: 1,
                    },
                    Failure::Network {
                        kind: NetworkErrorKind::Interrupted,
                        message: "reset".into(),
                    },
                ),
                entry(
                    RequestKind::ChangedRepositories {
                        project: None,
                        since: "2025-06-01T00:00:00".into(),
                        page: 1,
                    },
                    Failure::BadBody {
                        status: 200,
                        content_type: Some("text/html".into()),
                        message: "expected value".into(),
                    },
                ),
                entry(
                    RequestKind::Vulnerabilities {
                        project: "p".into(),
                        repository: "p/a".into(),
                        digest: "sha256:00".into(),
                        mime: None,
                    },
                    Failure::KeptChanging { passes: 3 },
                ),
                entry(
                    RequestKind::SystemInfo,
                    Failure::BadArtifacts {
                        count: 2,
                        message: "no digest".into(),
                    },
                ),
            ],
            artifacts_expected: 500,
            artifacts_loaded: 400,
            artifacts_missing: 100,
            missing_unknown: true,
        };
        let report = CrawlReport {
            scope: Scope {
                projects: Projects::Named(vec!["library".into()]),
                tag: Some("latest".into()),
                ..Scope::default()
            },
            discovery: discovery.clone(),
            ledger: ledger.clone(),
            progress: Progress {
                requests_planned: 9,
                requests_done: 8,
                requests_failed: 1,
                limit: 16,
                ..Progress::default()
            },
            critical_path: 4,
            refresh: Some(RefreshMethod::EveryRepository {
                why: WhyEveryRepository::OldRelease {
                    release: "2.13.1".into(),
                },
            }),
        };
        let events = vec![
            Event::Discovered(discovery.clone()),
            Event::Repositories(vec![RepoStamp {
                name: "library/nginx".into(),
                artifact_count: Some(3),
                update_time: "2025-06-01T10:00:00.123Z".into(),
            }]),
            Event::Artifacts(vec![row(), row()]),
            Event::Report(VulnReport {
                repository: "library/nginx".into(),
                digest: "sha256:1f".into(),
                mime: None,
                scanner: Some(Scanner {
                    name: "Trivy".into(),
                    vendor: "Aqua".into(),
                    version: "0.50".into(),
                }),
                generated_at: Some(1_700_000_000_000),
                vulnerabilities: vec![VulnRow {
                    id: "CVE-2024-1".into(),
                    severity: Severity::Critical,
                    package: "openssl".into(),
                    version: "3.0.1".into(),
                    fix_version: "".into(),
                    cvss_v3: Some(9.8),
                    description: "…".into(),
                    links: vec!["https://example.invalid/CVE-2024-1".into()],
                }],
            }),
            Event::Progress(report.progress),
            Event::Failed(ledger.entries[0].clone()),
            Event::Done(report.clone()),
        ];
        round_trip(events);
        round_trip(Job::Retry {
            previous: report.clone(),
        });
        round_trip(Job::Refresh {
            scope: Scope::default(),
            known: vec![],
            discovery: Some(discovery),
        });
        round_trip(CrawlConfig {
            credentials: Some(Credentials::new("robot$ci", "s3cret")),
            ..CrawlConfig::default()
        });
        round_trip(RefreshMethod::ChangedSince {
            release: "2.16.0".into(),
            since: "2025-06-01T00:00:00".into(),
            relisted_projects: 2,
        });
    }

    #[test]
    fn a_row_is_smaller_than_its_json() {
        let bytes = encode(&row()).len();
        let json = serde_json::to_vec(&row()).unwrap().len();
        assert!(bytes * 2 < json, "{bytes} bytes against {json} of JSON");
    }
}

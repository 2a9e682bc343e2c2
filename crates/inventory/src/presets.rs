//! Audit presets: one-click, named filter sets that live in the URL (`preset=untagged`).
//!
//! Each preset is nothing but a [`Filters`] value (plus a sort for "largest"), so it goes
//! through the same filter code as everything else, and a preset view can be refined by
//! hand. [`summaries`] gives every preset's count and total size before it is clicked;
//! a [`Tally`] gives the same while rows arrive, a slice at a time.

use std::sync::Arc;

use harbor_client::slim::{ArtifactRow, Digest, Millis, Severity};

use crate::filter::{filter_among, filter_indices, Filters, RowIndex, ScanFilter};
use hashbrown::HashTable;

use crate::index::FastMap;
use crate::sort::{Column, Direction, SortSpec};

/// The audit presets, in the order the UI shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Artifacts without any tag.
    Untagged,
    /// Not pulled for 90 days, or never pulled.
    Unpulled,
    /// Not scanned, scan failed, or last successful scan older than 30 days.
    ScanGaps,
    /// Overall severity critical or high with at least one fixable vulnerability.
    ///
    /// Harbor's scan overview only counts fixable vulnerabilities overall, not per
    /// severity, so this is "critical/high artifacts that have something to fix";
    /// the exact per-CVE answer needs the full reports (the vulnerability roll-up).
    FixableSevere,
    /// Every artifact, largest first.
    Largest,
    /// Artifacts whose digest is also in another repository.
    SharedDigest,
    /// Artifacts of repositories holding more than [`Preset::BIG_REPOSITORY`] artifacts
    /// (the threshold can be changed in the URL, `repo_over=N`).
    BigRepositories,
    /// Artifacts without a cosign or notation signature.
    Unsigned,
    /// Artifacts without an SBOM accessory.
    NoSbom,
}

/// Count and total size of the rows a preset selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresetSummary {
    /// Number of matching artifacts.
    pub count: usize,
    /// Sum of their sizes in bytes.
    pub bytes: u64,
}

impl Preset {
    /// Every preset, in display order.
    pub const ALL: [Preset; 9] = [
        Preset::Untagged,
        Preset::Unpulled,
        Preset::ScanGaps,
        Preset::FixableSevere,
        Preset::Largest,
        Preset::SharedDigest,
        Preset::BigRepositories,
        Preset::Unsigned,
        Preset::NoSbom,
    ];

    /// "Not pulled" threshold in days.
    pub const UNPULLED_DAYS: u32 = 90;
    /// "Scan too old" threshold in days.
    pub const STALE_SCAN_DAYS: u32 = 30;
    /// Default "more than N artifacts" threshold of [`Preset::BigRepositories`].
    pub const BIG_REPOSITORY: u32 = 100;

    /// The `preset` URL parameter value.
    pub fn param(self) -> &'static str {
        match self {
            Preset::Untagged => "untagged",
            Preset::Unpulled => "unpulled",
            Preset::ScanGaps => "scan_gaps",
            Preset::FixableSevere => "fixable_severe",
            Preset::Largest => "largest",
            Preset::SharedDigest => "shared_digest",
            Preset::BigRepositories => "big_repos",
            Preset::Unsigned => "unsigned",
            Preset::NoSbom => "no_sbom",
        }
    }

    /// Parses a `preset` parameter value (any case).
    pub fn from_param(s: &str) -> Option<Preset> {
        let s = s.trim();
        Preset::ALL
            .into_iter()
            .find(|p| p.param().eq_ignore_ascii_case(s))
    }

    /// The button text.
    pub fn title(self) -> &'static str {
        match self {
            Preset::Untagged => "Untagged",
            Preset::Unpulled => "Not pulled for 90 days",
            Preset::ScanGaps => "Not scanned, failed or stale scan",
            Preset::FixableSevere => "Fixable critical or high",
            Preset::Largest => "Largest artifacts",
            Preset::SharedDigest => "Same digest in several repositories",
            Preset::BigRepositories => "Repositories with more than 100 artifacts",
            Preset::Unsigned => "Unsigned",
            Preset::NoSbom => "No SBOM",
        }
    }

    /// A caveat to show with the preset, for the Harbor release in use (`harbor_version`
    /// as `/systeminfo` tells it, when it does): "not pulled" carries what `pull_time`
    /// means there ([`crate::pulltime`]).
    ///
    /// ```
    /// use inventory::Preset;
    /// assert!(Preset::Unpulled.note(Some("v2.10.0-abc")).unwrap().contains("by digest"));
    /// assert_eq!(Preset::Untagged.note(None), None);
    /// ```
    pub fn note(self, harbor_version: Option<&str>) -> Option<String> {
        (self == Preset::Unpulled).then(|| crate::pulltime::note_for_version(harbor_version))
    }

    /// The filters the preset sets (all others cleared).
    pub fn filters(self) -> Filters {
        let mut f = Filters::default();
        match self {
            Preset::Untagged => f.untagged = true,
            Preset::Unpulled => f.unpulled_days = Some(Preset::UNPULLED_DAYS),
            Preset::ScanGaps => {
                f.scan = ScanFilter {
                    not_scanned: true,
                    failed: true,
                    stale_days: Some(Preset::STALE_SCAN_DAYS),
                    ..ScanFilter::default()
                }
            }
            Preset::FixableSevere => {
                f.min_severity = Some(Severity::High);
                f.fixable = true;
            }
            Preset::Largest => {}
            Preset::SharedDigest => f.duplicate_digest = true,
            Preset::BigRepositories => f.repo_artifacts_over = Some(Preset::BIG_REPOSITORY),
            Preset::Unsigned => f.signed = Some(false),
            Preset::NoSbom => f.sbom = Some(false),
        }
        f
    }

    /// The sort the preset sets, if any.
    pub fn sort(self) -> Option<SortSpec> {
        (self == Preset::Largest).then_some(SortSpec {
            column: Column::Size,
            direction: Direction::Descending,
        })
    }

    /// Whether a table state is still this preset's view. The big-repository threshold
    /// may differ from the default.
    pub fn matches(self, filters: &Filters, sort: Option<SortSpec>) -> bool {
        let mut expected = self.filters();
        if self == Preset::BigRepositories && filters.repo_artifacts_over.is_some() {
            expected.repo_artifacts_over = filters.repo_artifacts_over;
        }
        *filters == expected && self.sort().is_none_or(|s| sort == Some(s))
    }

    /// Count and total size of the rows this preset selects.
    pub fn summary(self, rows: &[ArtifactRow], index: &RowIndex, now: Millis) -> PresetSummary {
        summarize(
            rows,
            &filter_indices(rows, &self.filters(), Some(index), now),
        )
    }
}

/// Count and total size of the given rows.
pub fn summarize(rows: &[ArtifactRow], indices: &[u32]) -> PresetSummary {
    let bytes = indices
        .iter()
        .filter_map(|&i| rows.get(i as usize))
        .map(|r| r.size)
        .sum();
    PresetSummary {
        count: indices.len(),
        bytes,
    }
}

/// Every preset with its count and total size, in display order. Build `index` once per
/// loaded inventory and reuse it.
///
/// ```
/// use inventory::{presets::summaries, RowIndex};
/// let rows = inventory::synthetic::rows(500, 1);
/// let all = summaries(&rows, &RowIndex::new(&rows), inventory::synthetic::NOW);
/// assert_eq!(all.len(), 9);
/// assert_eq!(all[4].1.count, 500); // "largest" selects everything
/// ```
pub fn summaries(
    rows: &[ArtifactRow],
    index: &RowIndex,
    now: Millis,
) -> Vec<(Preset, PresetSummary)> {
    Preset::ALL
        .into_iter()
        .map(|p| (p, p.summary(rows, index, now)))
        .collect()
}

/// [`summaries`] kept up to date as rows are appended: each call to [`Tally::add`]
/// looks at the rows it has not seen yet, never at the ones before, so the counts of
/// a million rows can follow a crawl in slices of a few milliseconds instead of a
/// recount of everything at its end. Rows replaced or removed need a new tally.
///
/// The two presets that look across rows keep a group per repository (its artifacts,
/// rows and bytes) and per digest (its first repository, whether another holds it
/// too, its rows and bytes): a repository that passes the threshold, or a digest found
/// in a second repository, brings the rows seen before it along.
///
/// ```
/// use inventory::presets::{summaries, Tally};
/// use inventory::{synthetic, RowIndex};
/// let rows = synthetic::rows(500, 1);
/// let mut tally = Tally::new(synthetic::NOW);
/// tally.add(&rows[..200]);
/// tally.add(&rows);
/// assert_eq!(tally.seen(), 500);
/// assert_eq!(tally.summaries(), summaries(&rows, &RowIndex::new(&rows), synthetic::NOW));
/// ```
#[derive(Debug, Clone)]
pub struct Tally {
    now: Millis,
    /// Rows tallied: the first `seen` of the slices given.
    seen: usize,
    /// The presets that look at one row at a time: their filters and sums so far.
    plain: Vec<(Preset, Filters, PresetSummary)>,
    repo_ids: FastMap<Arc<str>, u32>,
    /// Per repository: artifacts, and the rows and bytes they make.
    repos: Vec<(u32, PresetSummary)>,
    /// Every digest seen: half of its [`digest_key`], and the row it was first seen in
    /// or, once seen again, its group ([`GROUPED`] set). Eight bytes a digest, and the
    /// digests themselves stay in the rows: a million rows tally in about 20 MB.
    digest_index: HashTable<(u32, u32)>,
    /// Digests seen more than once: their first repository, whether another
    /// repository holds them too, and their rows and bytes.
    digests: Vec<DigestGroup>,
    /// The last row's repository and digest: tag rows of one artifact sit next to each
    /// other, and the artifact counts once (as in [`RowIndex`]).
    last: Option<(u32, u32)>,
    /// The last row's repository name by address, and its id: rows of one repository
    /// share the name and come together, so the map is asked only when it changes. The
    /// map holds every name seen, so an address seen before is still that name.
    last_name: Option<(usize, u32)>,
}

impl Tally {
    /// An empty tally; `now` is what "not pulled for 90 days" and "stale" count from.
    pub fn new(now: Millis) -> Tally {
        let plain = Preset::ALL
            .into_iter()
            .filter(|p| !p.filters().needs_index())
            .map(|p| (p, p.filters(), PresetSummary::default()))
            .collect();
        Tally {
            now,
            seen: 0,
            plain,
            repo_ids: FastMap::default(),
            repos: Vec::new(),
            digest_index: HashTable::new(),
            digests: Vec::new(),
            last: None,
            last_name: None,
        }
    }

    /// Rows tallied so far.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// Takes room for the digests of `rows` rows in all (those a crawl expects), so that
    /// the digest table is not rebuilt on the way: a rebuild moves every entry in one
    /// task, 50 ms at half a million rows in wasm. Asking again for no more is free.
    pub fn expect(&mut self, rows: usize) {
        let more = rows.saturating_sub(self.digest_index.len());
        self.digest_index.reserve(more, |&(h, _)| spread(h));
    }

    /// Digests the table has room for without a rebuild.
    pub fn room(&self) -> usize {
        self.digest_index.capacity()
    }

    /// Tallies `rows[self.seen()..]`: `rows` is every row so far, the ones seen before
    /// unchanged. Rows fewer than those seen add nothing.
    pub fn add(&mut self, rows: &[ArtifactRow]) {
        let Some(new) = rows.get(self.seen..) else {
            return;
        };
        let range = self.seen as u32..rows.len() as u32;
        for (_, filters, sum) in &mut self.plain {
            let found = filter_among(rows, range.clone(), filters, None, self.now);
            let part = summarize(rows, &found);
            sum.count += part.count;
            sum.bytes += part.bytes;
        }
        for (at, row) in new.iter().enumerate() {
            let address = Arc::as_ptr(&row.repository) as *const u8 as usize;
            let repo = match self.last_name {
                Some((known, id)) if known == address => id,
                _ => {
                    let next = self.repos.len() as u32;
                    let id = *self
                        .repo_ids
                        .entry(Arc::clone(&row.repository))
                        .or_insert(next);
                    if id == next {
                        self.repos.push((0, PresetSummary::default()));
                    }
                    self.last_name = Some((address, id));
                    id
                }
            };
            let digest = self.digest_group(rows, self.seen + at, repo);
            let (artifacts, sum) = &mut self.repos[repo as usize];
            if self.last != Some((repo, digest)) {
                *artifacts += 1;
            }
            sum.count += 1;
            sum.bytes += row.size;
            self.last = Some((repo, digest));
        }
        self.seen = rows.len();
    }

    /// Notes row `i` (of repository `repo`) under its digest; returns the digest's
    /// identity for counting tag rows of one artifact once: the row it was first seen
    /// in, or its group.
    fn digest_group(&mut self, rows: &[ArtifactRow], i: usize, repo: u32) -> u32 {
        let row = &rows[i];
        let key = digest_key(&row.digest);
        let half = (key >> 32) as u32;
        let groups = &self.digests;
        let first_row = |v: u32| {
            if v & GROUPED == 0 {
                v
            } else {
                groups[(v & !GROUPED) as usize].row
            }
        };
        let found = self.digest_index.find_mut(spread(half), |&(h, v)| {
            h == half && rows[first_row(v) as usize].digest == row.digest
        });
        let Some((_, v)) = found else {
            let i = i as u32;
            self.digest_index
                .insert_unique(spread(half), (half, i), |&(h, _)| spread(h));
            return i;
        };
        if *v & GROUPED == 0 {
            // Seen a second time: its first row becomes a group.
            let first = &rows[*v as usize];
            let first_repo = self
                .repo_ids
                .get(&first.repository)
                .copied()
                .unwrap_or(repo);
            self.digests.push(DigestGroup {
                bytes: first.size,
                rows: 1,
                first: first_repo,
                row: *v,
                shared: false,
            });
            *v = GROUPED | (self.digests.len() as u32 - 1);
        }
        let group = &mut self.digests[(*v & !GROUPED) as usize];
        group.shared |= group.first != repo;
        group.rows += 1;
        group.bytes += row.size;
        group.row
    }

    /// Every preset with its count and total size over the rows tallied, in display
    /// order: what [`summaries`] gives for them.
    pub fn summaries(&self) -> Vec<(Preset, PresetSummary)> {
        Preset::ALL
            .into_iter()
            .map(|p| {
                let summary = match p {
                    Preset::SharedDigest => {
                        let shared = self.digests.iter().filter(|g| g.shared);
                        shared.fold(PresetSummary::default(), |all, g| PresetSummary {
                            count: all.count + g.rows as usize,
                            bytes: all.bytes + g.bytes,
                        })
                    }
                    Preset::BigRepositories => total(
                        self.repos
                            .iter()
                            .filter(|(artifacts, _)| *artifacts > Preset::BIG_REPOSITORY)
                            .map(|(_, s)| s),
                    ),
                    _ => self
                        .plain
                        .iter()
                        .find(|(q, _, _)| *q == p)
                        .map(|(_, _, s)| *s)
                        .unwrap_or_default(),
                };
                (p, summary)
            })
            .collect()
    }
}

/// Marks a [`Tally`] digest entry that points to a group rather than a row.
const GROUPED: u32 = 1 << 31;

/// A kept half of a hash spread over 64 bits, as a hash table wants it.
fn spread(half: u32) -> u64 {
    u64::from(half).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The rows of a digest seen more than once in a [`Tally`].
#[derive(Debug, Clone, Copy)]
struct DigestGroup {
    bytes: u64,
    rows: u32,
    /// The repository it was first seen in.
    first: u32,
    /// The row it was first seen in.
    row: u32,
    /// Seen in another repository too.
    shared: bool,
}

/// A digest's hash for a [`Tally`]'s table (the digests themselves are compared).
fn digest_key(digest: &Digest) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let hash = BuildHasherDefault::<crate::index::FxHasher>::default();
    let h = match digest {
        Digest::Sha256(bytes) => hash.hash_one(bytes),
        Digest::Other(text) => hash.hash_one(text),
    };
    // FxHash's last multiply leaves the low bits of structured input (test digests
    // counting up) poorly mixed: the finaliser of MurmurHash3 spreads every bit.
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let h = (h ^ (h >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The sum of some summaries.
fn total<'a>(sums: impl Iterator<Item = &'a PresetSummary>) -> PresetSummary {
    sums.fold(PresetSummary::default(), |all, s| PresetSummary {
        count: all.count + s.count,
        bytes: all.bytes + s.bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{row, RowSpec, NOW};
    use crate::DAY_MS;
    use harbor_client::slim::{AccessoryKind, ScanStatus};

    fn fixture() -> Vec<ArtifactRow> {
        let a = RowSpec::new("p", "p/a");
        let b = RowSpec::new("p", "p/b");
        vec![
            // untagged, never pulled, not scanned, 10 bytes
            row(&a.clone().digest("sha256:01").size(10)),
            // tagged, pulled recently, critical fixable, fresh scan, signed, 20 bytes
            row(&a
                .clone()
                .accessories(&[AccessoryKind::Cosign])
                .digest("sha256:02")
                .size(20)
                .tags(&["v1"])
                .pulled(Some(NOW))
                .scanned(Severity::Critical, [1, 0, 0, 0], 1, Some(NOW))),
            // tagged, pulled 91 days ago, high not fixable, scan 31 days old, 40 bytes
            row(&a
                .clone()
                .digest("sha256:03")
                .size(40)
                .tags(&["v2"])
                .pulled(Some(NOW - 91 * DAY_MS))
                .scanned(Severity::High, [0, 1, 0, 0], 0, Some(NOW - 31 * DAY_MS))),
            // same digest as row 1 in another repository; scan failed, 20 bytes
            row(&b
                .clone()
                .digest("sha256:02")
                .size(20)
                .tags(&["v1"])
                .pulled(Some(NOW))
                .status(ScanStatus::Failed)),
        ]
    }

    #[test]
    fn preset_summaries_table() {
        let rows = fixture();
        let got = summaries(&rows, &RowIndex::new(&rows), NOW);
        let want = [
            (Preset::Untagged, 1, 10),
            (Preset::Unpulled, 2, 50),
            (Preset::ScanGaps, 3, 70),
            (Preset::FixableSevere, 1, 20),
            (Preset::Largest, 4, 90),
            (Preset::SharedDigest, 2, 40),
            (Preset::BigRepositories, 0, 0),
            (Preset::Unsigned, 3, 70),
            (Preset::NoSbom, 4, 90),
        ];
        for ((p, s), (wp, count, bytes)) in got.into_iter().zip(want) {
            assert_eq!(p, wp);
            assert_eq!(s, PresetSummary { count, bytes }, "{p:?}");
        }
    }

    #[test]
    fn params_round_trip() {
        for p in Preset::ALL {
            assert_eq!(Preset::from_param(p.param()), Some(p));
            assert!(p.matches(&p.filters(), p.sort()));
        }
        assert_eq!(Preset::from_param("UNTAGGED"), Some(Preset::Untagged));
        assert_eq!(Preset::from_param("x"), None);
        assert!(!Preset::Largest.matches(&Filters::default(), None));
        let mut f = Preset::BigRepositories.filters();
        f.repo_artifacts_over = Some(3);
        assert!(Preset::BigRepositories.matches(&f, None));
    }

    /// Rows as a crawl delivers them, with what the cross-row presets look for: the
    /// first repository's artifacts continue after every other repository's (its count
    /// passes 100 only then), a few digests come again in a repository of their own, and
    /// a repository of 60 artifacts has two tags on each (120 rows per tag, and not big).
    fn crawl_like() -> Vec<ArtifactRow> {
        let mut rows = crate::synthetic::rows(3_000, 7);
        let first = Arc::clone(&rows[0].repository);
        let more = (0..120u64).map(|i| {
            let mut r = rows[i as usize % 10].clone();
            r.repository = Arc::clone(&first);
            r.digest = Digest::new(&format!("sha256:{:064x}", 1_000_000 + i));
            r
        });
        let more: Vec<ArtifactRow> = more.collect();
        let copies: Arc<str> = "proj-0/copies".into();
        let again: Vec<ArtifactRow> = rows
            .iter()
            .step_by(97)
            .map(|r| ArtifactRow {
                repository: Arc::clone(&copies),
                ..r.clone()
            })
            .collect();
        let tagged = RowSpec::new("proj-0", "proj-0/tagged");
        let twice = (0..60).map(|i| {
            let digest = format!("sha256:{:064x}", 2_000_000 + i);
            row(&tagged.clone().digest(&digest).size(i).tags(&["a", "b"]))
        });
        rows.extend(more);
        rows.extend(again);
        rows.extend(twice);
        rows
    }

    #[test]
    fn a_tally_in_slices_gives_the_summaries() {
        let artifacts = crawl_like();
        let tags = crate::tagrows::TagRows::new(&artifacts).rows;
        for rows in [&artifacts, &tags] {
            let want = summaries(rows, &RowIndex::new(rows), NOW);
            let selected = want.iter().filter(|(_, s)| s.count > 0).count();
            assert_eq!(selected, Preset::ALL.len(), "{want:?}");
            for step in [1, 7, 500, rows.len()] {
                let mut tally = Tally::new(NOW);
                let mut upto = 0;
                while upto < rows.len() {
                    upto = (upto + step).min(rows.len());
                    tally.add(&rows[..upto]);
                    // Again with nothing new, or fewer: nothing changes.
                    tally.add(&rows[..upto]);
                    tally.add(&rows[..upto / 2]);
                }
                assert_eq!(tally.seen(), rows.len());
                assert_eq!(tally.summaries(), want, "slices of {step}");
            }
        }
    }

    #[test]
    fn a_tally_told_the_total_takes_its_room_once() {
        let rows = crawl_like();
        let want = summaries(&rows, &RowIndex::new(&rows), NOW);
        let mut tally = Tally::new(NOW);
        tally.expect(rows.len());
        let room = tally.room();
        assert!(room >= rows.len(), "{room} for {}", rows.len());
        for upto in (0..=rows.len()).step_by(97).chain([rows.len()]) {
            tally.add(&rows[..upto]);
            // Asked again (each slice asks): nothing moves.
            tally.expect(rows.len());
            assert_eq!(tally.room(), room, "after {upto} rows");
        }
        assert_eq!(tally.summaries(), want);
        // Told more later (the crawl trusts a larger total): room for that too.
        tally.expect(4 * rows.len());
        assert!(tally.room() >= 4 * rows.len());
        assert_eq!(tally.summaries(), want);
    }
}

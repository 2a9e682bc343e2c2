//! The loaded artifacts, keyed so that nothing is ever counted twice.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use crate::model::Interner;
use crate::slim::{ArtifactRow, Digest};

/// Artifact rows keyed by repository and digest: merging a retry's rows adds the new
/// ones and replaces the ones already there, never duplicating. Rows merged in share
/// one copy of each name and label, wherever they were decoded.
#[derive(Default)]
pub struct RowSet {
    rows: Vec<ArtifactRow>,
    /// Row numbers, found by the hash of their row's key: the keys stay in the rows
    /// rather than being copied into the index (8 bytes a row instead of about 50).
    /// Each slot keeps its key's hash, so growing the index never reads the rows: with
    /// a million rows, hashing them again from all over memory took 160 ms.
    index: HashTable<Slot>,
    hasher: RandomState,
    shared: Interner,
}

/// A row number and the hash of its key (the high half of [`hash_key`]'s).
#[derive(Debug, Clone, Copy)]
struct Slot {
    row: u32,
    hash: u32,
}

impl Slot {
    /// The hash the index places it by: the stored half, spread over 64 bits again.
    fn placed(self) -> u64 {
        spread(self.hash)
    }
}

impl std::fmt::Debug for RowSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSet").field("rows", &self.rows).finish()
    }
}

/// Rows a crawl's expected total is trusted for ahead of their coming (about 55 MB of
/// rows in wasm).
pub const TRUSTED_ROWS: usize = 1 << 18;

/// Once a quarter of [`TRUSTED_ROWS`] is held, the expected total is trusted up to this
/// many rows (about a million, 220 MB in wasm; twice the rows held beyond). A crawl that
/// large takes room for all its rows once, early: the copy into the new room is of
/// 65,536 rows (14 MB, a few milliseconds), not of the 262,144 a full first room holds
/// (55 MB in one task, about 100 ms). A Harbor that overstates its counts can make the
/// set take no more than this.
pub const TRUSTED_MOST: usize = 4 * TRUSTED_ROWS;

/// The half of a key's hash that its [`Slot`] keeps.
fn hash_key(hasher: &RandomState, repository: &str, digest: &Digest) -> u32 {
    (hasher.hash_one((repository, digest)) >> 32) as u32
}

/// A kept hash spread over 64 bits, as the index wants it (its high bits pick among a
/// group, its low bits the group).
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl RowSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces rows; returns how many were new.
    pub fn merge(&mut self, rows: impl IntoIterator<Item = ArtifactRow>) -> usize {
        let mut added = 0;
        for mut row in rows {
            self.shared.share(&mut row);
            let hash = hash_key(&self.hasher, &row.repository, &row.digest);
            let all = &self.rows;
            let found = self
                .index
                .find(spread(hash), |s| {
                    s.hash == hash && all[s.row as usize].key() == row.key()
                })
                .map(|s| s.row);
            match found {
                Some(i) => self.rows[i as usize] = row,
                None => {
                    let i = u32::try_from(all.len()).expect("fewer than 4 billion rows");
                    self.index
                        .insert_unique(spread(hash), Slot { row: i, hash }, |s| s.placed());
                    self.rows.push(row);
                    added += 1;
                }
            }
        }
        added
    }

    /// Empties the set but keeps its memory for the next crawl, which is usually as
    /// large: in wasm, linear memory never shrinks, so reusing it keeps reloads flat.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.index.clear();
        self.shared = Interner::default();
    }

    /// Makes room for `incoming` more rows when the crawl expects `total` in all. The set
    /// takes room for the expected total as soon as it is known, while it is still small:
    /// growing by doubling would copy every row at each step and, at the last, hold the
    /// old and the new room at once (in wasm that peak stays taken), and leave up to
    /// half the room unused. The expected total is trusted up to [`TRUSTED_ROWS`] (or
    /// [`TRUSTED_MOST`] once a quarter of that is held), so a Harbor that overstates its
    /// counts cannot make it take memory for rows that never come; past that, and past
    /// the total, it doubles.
    pub fn make_room(&mut self, incoming: usize, total: usize) {
        let len = self.rows.len();
        let need = len + incoming;
        let room = self.rows.capacity();
        let doubled = need.max(2 * len);
        let target = if total >= need {
            let trusted = if len < TRUSTED_ROWS / 4 {
                TRUSTED_ROWS
            } else {
                TRUSTED_MOST
            };
            total.min(need.max(2 * len).max(trusted))
        } else {
            doubled
        };
        // Room enough now, and the expected total not much beyond it.
        if need <= room && target < room + room / 8 {
            return;
        }
        // A new room and the rows held moved into it, not a `realloc`: that copies the
        // whole old room, used or not, and in wasm each page first written costs a
        // fault (about 35 ms for 55 MB on a 2-core machine), all in this one task.
        let mut grown = Vec::with_capacity(target);
        grown.append(&mut self.rows);
        self.rows = grown;
        self.index
            .reserve(target - self.index.len(), |s| s.placed());
    }

    /// Moves every row out (the set is left empty, its memory kept, as by
    /// [`RowSet::clear`]), e.g. to fold them into a refreshed inventory and merge the
    /// result back without copying them.
    pub fn take_rows(&mut self) -> Vec<ArtifactRow> {
        self.index.clear();
        self.rows.drain(..).collect()
    }

    /// The rows, in first-seen order.
    pub fn rows(&self) -> &[ArtifactRow] {
        &self.rows
    }

    /// Rows the set has room for: the expected total of the crawl, as far as it is
    /// trusted (see [`RowSet::make_room`]).
    pub fn capacity(&self) -> usize {
        self.rows.capacity()
    }

    /// Number of distinct artifacts.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the artifact is there.
    pub fn contains(&self, repository: &str, digest: &str) -> bool {
        let digest = Digest::new(digest);
        let hash = hash_key(&self.hasher, repository, &digest);
        self.index
            .find(spread(hash), |s| {
                s.hash == hash && self.rows[s.row as usize].key() == (repository, &digest)
            })
            .is_some()
    }

    /// Takes the rows out.
    pub fn into_rows(self) -> Vec<ArtifactRow> {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::slim::{Moment, ScanSummary};

    fn row(repo: &str, digest: &str, size: u64) -> ArtifactRow {
        ArtifactRow {
            project: Arc::from("p"),
            repository: Arc::from(repo),
            digest: digest.into(),
            kind: Arc::from("IMAGE"),
            media_type: Arc::from("m"),
            size,
            push_time: Moment::NEVER,
            pull_time: Moment::NEVER,
            tags: Vec::new(),
            labels: Vec::new(),
            scan: ScanSummary::NOT_SCANNED,
            references: 0,
            project_id: 1,
            accessories: Box::default(),
        }
    }

    #[test]
    fn merge_never_duplicates() {
        let mut set = RowSet::new();
        assert_eq!(
            set.merge([row("p/a", "sha256:1", 1), row("p/a", "sha256:2", 1)]),
            2
        );
        assert_eq!(
            set.merge([row("p/a", "sha256:2", 9), row("p/b", "sha256:2", 1)]),
            1
        );
        assert_eq!(set.len(), 3);
        assert_eq!(set.rows()[1].size, 9, "replaced in place");
        assert!(set.contains("p/b", "sha256:2"));
        assert!(!set.contains("p/b", "sha256:1"));
    }

    #[test]
    fn thousands_of_rows_with_repeats_count_once_and_keep_the_latest() {
        let mut set = RowSet::new();
        let mut added = 0;
        for round in 0..3u64 {
            let rows = (0..3_000u64).map(|i| {
                let repo = format!("p/r{}", i % 7);
                let digest = format!("sha256:{:064x}", i * 31 % 2_000);
                row(&repo, &digest, round * 10_000 + i)
            });
            added += set.merge(rows);
        }
        let distinct: std::collections::HashSet<(u64, u64)> =
            (0..3_000u64).map(|i| (i % 7, i * 31 % 2_000)).collect();
        assert_eq!((set.len(), added), (distinct.len(), distinct.len()));
        for i in [0u64, 1, 2_999] {
            let digest = format!("sha256:{:064x}", i * 31 % 2_000);
            assert!(set.contains(&format!("p/r{}", i % 7), &digest));
            let r = set
                .rows()
                .iter()
                .find(|r| r.digest == digest.as_str())
                .unwrap();
            assert!(r.size >= 20_000, "the last round's row replaced the others");
        }
        assert!(!set.contains("p/r0", &format!("sha256:{:064x}", 5_000)));
    }

    #[test]
    fn room_is_taken_for_the_expected_total_within_what_is_trusted() {
        let mut set = RowSet::new();
        let batch = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| row("p/a", &format!("sha256:{i}"), 1))
                .collect::<Vec<_>>()
        };
        // The expected total at once, not the next power of two, and never again.
        set.make_room(100, 150);
        set.merge(batch(0, 100));
        assert_eq!(set.rows.capacity(), 150);
        set.make_room(50, 150);
        set.merge(batch(100, 50));
        assert_eq!(set.rows.capacity(), 150);
        // A total that grows a little later: taken when it is an eighth more.
        set.make_room(0, 160);
        assert_eq!(set.rows.capacity(), 150);
        set.make_room(0, 300);
        assert_eq!(set.rows.capacity(), 300);
        // More than expected still fits, and grows by doubling from there on.
        set.merge(batch(150, 10));
        set.make_room(500, 10);
        assert_eq!(set.rows.capacity(), 660);
        set.merge(batch(160, 500));
        set.make_room(1, 0);
        assert_eq!(set.rows.capacity(), 1320);
        // A Harbor that claims a billion: room for what is trusted, no more.
        let mut small = RowSet::new();
        small.make_room(10, 1_000_000_000);
        assert_eq!(small.rows.capacity(), TRUSTED_ROWS);
        small.merge(batch(0, 10));
        small.make_room(10, 1_000_000_000);
        assert_eq!(small.rows.capacity(), TRUSTED_ROWS);
        small.merge(batch(10, TRUSTED_ROWS / 4));
        small.make_room(10, 1_000_000_000);
        assert_eq!(small.rows.capacity(), TRUSTED_MOST);
        // From a quarter of that on, up to about a million: a million expected takes
        // room for all of it once, while the copy is small.
        let mut big = RowSet::new();
        big.make_room(10, 1_000_000);
        let quarter = TRUSTED_ROWS / 4;
        big.merge(batch(0, quarter - 1));
        big.make_room(1, 1_000_000);
        assert_eq!(big.rows.capacity(), TRUSTED_ROWS, "no copy on the way");
        big.merge(batch(quarter - 1, 1));
        big.make_room(10, 1_000_000);
        assert_eq!(big.rows.capacity(), 1_000_000);
        big.merge(batch(quarter, TRUSTED_ROWS));
        big.make_room(10, 1_000_000);
        assert_eq!(big.rows.capacity(), 1_000_000, "no copy after it");
        big.make_room(10, 1_000_000_000);
        assert_eq!(
            big.rows.capacity(),
            1_000_000,
            "room enough, and no more trusted"
        );
        let held = big.len();
        big.merge(batch(held, 1_000_000 - held));
        big.make_room(1, 1_000_000_000);
        assert_eq!(
            big.rows.capacity(),
            2_000_000,
            "beyond a million, twice what is held"
        );
    }

    #[test]
    fn rows_decoded_apart_share_their_names_once_merged() {
        let text =
            serde_json::to_string(&[row("p/a", "sha256:1", 1), row("p/a", "sha256:2", 2)]).unwrap();
        let decoded: Vec<ArtifactRow> = serde_json::from_str(&text).unwrap();
        assert!(!Arc::ptr_eq(&decoded[0].repository, &decoded[1].repository));
        let mut set = RowSet::new();
        set.merge(decoded);
        let [a, b] = set.rows() else { panic!() };
        assert!(Arc::ptr_eq(&a.repository, &b.repository));
        assert!(Arc::ptr_eq(&a.project, &b.project));
        assert!(Arc::ptr_eq(&a.media_type, &b.media_type));
        let before = a.repository.clone();
        set.clear();
        set.merge([row("p/a", "sha256:3", 1)]);
        assert!(
            !Arc::ptr_eq(&set.rows()[0].repository, &before),
            "a cleared set forgets the names it shared"
        );
    }
}

//! The cross-row facts some filters need (how many artifacts a repository holds, whether
//! a digest sits in several repositories), built once per loaded inventory, and the fast
//! hash map that builds them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use harbor_client::slim::{ArtifactRow, Digest};

/// Facts about each row that depend on the other rows: computed once per loaded
/// inventory (memoise it on the rows), not per keystroke.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowIndex {
    /// Per row: how many artifacts its repository holds.
    repo_artifacts: Vec<u32>,
    /// Per row: whether its digest also appears in another repository.
    shared_digest: Vec<bool>,
}

impl RowIndex {
    /// Scans the rows once. Rows of one repository share an `Arc` and usually arrive
    /// together, so the repository map is consulted only when the name pointer changes;
    /// each row remembers its repository and digest slots, so no second lookup is needed.
    pub fn new(rows: &[ArtifactRow]) -> RowIndex {
        let mut repo_ids: FastMap<&str, u32> = FastMap::default();
        let mut repo_counts: Vec<u32> = Vec::new();
        // digest slot -> (first repository id, seen in another repository too)
        let mut digest_ids: FastMap<&Digest, u32> =
            FastMap::with_capacity_and_hasher(rows.len(), Default::default());
        let mut digests: Vec<(u32, bool)> = Vec::with_capacity(rows.len());
        let mut slots: Vec<(u32, u32)> = Vec::with_capacity(rows.len());
        let mut last: Option<(usize, u32)> = None;
        for row in rows {
            let ptr = Arc::as_ptr(&row.repository) as *const u8 as usize;
            let repo = match last {
                Some((p, id)) if p == ptr => id,
                _ => {
                    let next = repo_counts.len() as u32;
                    let id = *repo_ids.entry(&row.repository).or_insert(next);
                    if id == next {
                        repo_counts.push(0);
                    }
                    last = Some((ptr, id));
                    id
                }
            };
            let next = digests.len() as u32;
            let slot = *digest_ids.entry(&row.digest).or_insert(next);
            // Tag rows of one artifact sit next to each other: count the artifact once.
            if slots.last() != Some(&(repo, slot)) {
                repo_counts[repo as usize] += 1;
            }
            if slot == next {
                digests.push((repo, false));
            } else if digests[slot as usize].0 != repo {
                digests[slot as usize].1 = true;
            }
            slots.push((repo, slot));
        }
        RowIndex {
            repo_artifacts: slots
                .iter()
                .map(|&(r, _)| repo_counts[r as usize])
                .collect(),
            shared_digest: slots.iter().map(|&(_, d)| digests[d as usize].1).collect(),
        }
    }

    /// Number of rows this index was built for.
    pub fn len(&self) -> usize {
        self.repo_artifacts.len()
    }

    /// True when built for no rows.
    pub fn is_empty(&self) -> bool {
        self.repo_artifacts.is_empty()
    }

    /// How many artifacts the repository of row `i` holds (0 when out of range).
    pub fn repo_artifacts(&self, i: usize) -> u32 {
        self.repo_artifacts.get(i).copied().unwrap_or(0)
    }

    /// Whether the digest of row `i` also appears in another repository.
    pub fn shared_digest(&self, i: usize) -> bool {
        self.shared_digest.get(i).copied().unwrap_or(false)
    }
}

/// A hash map with a fast non-cryptographic hasher (FxHash's multiply-rotate): names and
/// digests are hashed 100,000 times per index build and SipHash's flood resistance buys
/// nothing against a Harbor the user chose to connect to.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// FxHash (as in rustc), eight bytes at a time.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ rest.len() as u64);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

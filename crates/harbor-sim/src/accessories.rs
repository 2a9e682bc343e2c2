//! Accessories: cosign and notation signatures and Harbor SBOMs attached to artifacts.
//!
//! Which artifacts carry which accessory is a pure function of the seed and the artifact
//! (no stored state, no draw from the generator's stream), so adding accessory kinds
//! changes no other generated value. Cosign keeps following the generator's `signed`
//! trait; notation signatures and SBOMs are picked by hash. Only top-level artifacts
//! carry accessories of their own; on Harbor 2.16 the children of an index inherit the
//! index's (goharbor/harbor#23540).

use serde_json::{json, Value};

use crate::dataset::{Artifact, ArtifactKind, Dataset};
use crate::rng::{hex_words, mix};
use crate::time;

/// The kinds of accessory the simulator attaches, in the order Harbor lists them here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessoryKind {
    /// `signature.cosign`.
    Cosign,
    /// `signature.notation`.
    Notation,
    /// `harbor.sbom`: an SBOM Harbor generated and attached.
    Sbom,
}

impl AccessoryKind {
    /// Harbor's `type` value.
    pub fn type_name(self) -> &'static str {
        match self {
            AccessoryKind::Cosign => "signature.cosign",
            AccessoryKind::Notation => "signature.notation",
            AccessoryKind::Sbom => "harbor.sbom",
        }
    }

    /// True for the signature kinds.
    pub fn is_signature(self) -> bool {
        matches!(self, AccessoryKind::Cosign | AccessoryKind::Notation)
    }

    fn slot(self) -> i64 {
        match self {
            AccessoryKind::Cosign => 0,
            AccessoryKind::Notation => 1,
            AccessoryKind::Sbom => 2,
        }
    }
}

/// Percent of eligible top-level artifacts with a notation signature.
const NOTATION_PERCENT: u64 = 8;
/// Percent of scannable top-level artifacts with an SBOM.
const SBOM_PERCENT: u64 = 30;

impl Dataset {
    /// The accessories attached to `a` itself (not inherited), cosign first.
    pub fn own_accessories(&self, a: &Artifact) -> Vec<AccessoryKind> {
        let mut out = Vec::new();
        if a.parent.is_some() {
            return out;
        }
        if a.signed {
            out.push(AccessoryKind::Cosign);
        }
        let roll = |salt: u64| mix(self.seed, (a.id as u64) ^ salt) % 100;
        if a.kind != ArtifactKind::Chart && roll(0x0A07) < NOTATION_PERCENT {
            out.push(AccessoryKind::Notation);
        }
        if a.scannable() && roll(0x5B0B) < SBOM_PERCENT {
            out.push(AccessoryKind::Sbom);
        }
        out
    }

    /// The accessories a child of a signed index inherits: its parent's (Harbor 2.16
    /// only; empty for top-level artifacts and on older releases).
    pub fn inherited_accessories(&self, a: &Artifact) -> Vec<AccessoryKind> {
        match a.parent {
            Some(p) if self.version.inherited_accessories() => {
                self.own_accessories(&self.artifacts[p as usize])
            }
            _ => Vec::new(),
        }
    }

    /// Signed (cosign or notation), counting inherited signatures on 2.16.
    pub fn is_signed(&self, a: &Artifact) -> bool {
        self.own_accessories(a)
            .into_iter()
            .chain(self.inherited_accessories(a))
            .any(AccessoryKind::is_signature)
    }

    /// Has an SBOM, counting an inherited one on 2.16.
    pub fn has_sbom(&self, a: &Artifact) -> bool {
        self.own_accessories(a)
            .into_iter()
            .chain(self.inherited_accessories(a))
            .any(|k| k == AccessoryKind::Sbom)
    }

    /// Bytes of one accessory of `a` (a signature is small, an SBOM larger).
    pub fn accessory_size(&self, a: &Artifact, kind: AccessoryKind) -> u64 {
        let h = mix(self.seed, (a.id as u64) ^ 0x512E ^ kind.slot() as u64);
        match kind {
            AccessoryKind::Cosign => 1_200 + h % 600,
            AccessoryKind::Notation => 2_000 + h % 1_500,
            AccessoryKind::Sbom => 40_000 + h % 400_000,
        }
    }
}

/// The `Accessory` objects of `subject` (an artifact carrying its own accessories), as
/// Harbor renders them; `null` when it has none.
pub fn render(ds: &Dataset, subject: &Artifact) -> Value {
    let kinds = ds.own_accessories(subject);
    if kinds.is_empty() {
        return Value::Null;
    }
    let repo = ds.repo_of(subject);
    let list = kinds
        .into_iter()
        .map(|kind| {
            // Accessory artifacts live after every listed artifact, so their ids never
            // collide with one; the accessory row id has its own sequence.
            let id = subject.id * 3 + kind.slot();
            let artifact_id = ds.artifacts.len() as i64 + id;
            // A seed of their own: artifact digests come from `mix(seed, id)`, and
            // accessory digests must never equal one of them.
            let digest = format!(
                "sha256:{}",
                hex_words(mix(mix(ds.seed, 0xACCE_5503), artifact_id as u64), 4)
            );
            json!({
                "artifact_id": artifact_id,
                "creation_time": time::format_millis(subject.push_time + 5_000 + kind.slot() * 1_000),
                "digest": digest,
                "id": id,
                "size": ds.accessory_size(subject, kind),
                "subject_artifact_digest": &*subject.digest,
                "subject_artifact_id": subject.id,
                "subject_artifact_repo": repo.name,
                "type": kind.type_name(),
            })
        })
        .collect();
    Value::Array(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HarborVersion, Preset};

    #[test]
    fn kinds_are_spread_and_only_on_top_level_artifacts() {
        let ds = Dataset::generate(Preset::Small, 7, false, None);
        let mut seen = [0usize; 3];
        for a in &ds.artifacts {
            let own = ds.own_accessories(a);
            if a.parent.is_some() {
                assert!(own.is_empty(), "children carry none of their own");
            }
            if a.kind == ArtifactKind::Chart {
                assert!(own.is_empty(), "charts carry none");
            }
            for k in own {
                seen[k.slot() as usize] += 1;
            }
        }
        let listed = ds.artifact_count();
        assert!(seen.iter().all(|n| *n > 0), "every kind occurs: {seen:?}");
        assert!(
            seen.iter().all(|n| *n < listed / 2),
            "a subset only: {seen:?}"
        );
    }

    #[test]
    fn children_inherit_on_2_16_only() {
        let mut ds = Dataset::generate(Preset::Tiny, 1, false, None);
        let index = ds
            .artifacts
            .iter()
            .find(|a| a.kind == ArtifactKind::Index && a.signed)
            .expect("a signed index")
            .clone();
        let child = ds.artifacts[index.children[0] as usize].clone();
        ds.version = HarborVersion::new(2, 15, 2);
        assert!(!ds.is_signed(&child));
        ds.version = HarborVersion::V2_16;
        assert!(ds.is_signed(&child));
        assert_eq!(ds.inherited_accessories(&child), ds.own_accessories(&index));
    }
}

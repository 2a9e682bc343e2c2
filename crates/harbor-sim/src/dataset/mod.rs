//! The simulated registry's content, generated deterministically from a seed.
//!
//! Storage is compact (ids, indices, small enums); JSON is rendered on demand by
//! `render`. Free text that can be large (descriptions, hostile strings) is derived on
//! demand too (see `hostile`), so even the Large preset stays lean.

mod generate;
mod model;
mod mutation;
mod truth;
mod words;
mod xlarge;

pub use generate::NOW;
pub use model::{
    kind_type, media_types, Account, AccountKind, Artifact, ArtifactKind, Dataset, Label, Preset,
    Project, Repository, Scan, ScanState, Shape, Tag, PLATFORMS,
};
pub use mutation::{Mutation, MutationReport};
pub use truth::{CveTruth, TruthRow, TruthScan};
pub use xlarge::{ListedOrder, OrderCache, TruthSummary};

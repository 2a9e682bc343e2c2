//! What the engine's tests against the simulator share.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::time::Duration;

use harbor_client::slim::ArtifactRow;
use harbor_sim::{HarborVersion, Preset, SimConfig, SimHandle};

/// An artifact's identity in the inventory: repository and digest.
pub type Key = (String, String);

/// A simulated Harbor with `preset`'s dataset, answering as `version` does.
pub async fn sim(preset: Preset, version: HarborVersion) -> SimHandle {
    harbor_sim::spawn(SimConfig::of(preset, version, Duration::ZERO))
        .await
        .expect("simulator starts")
}

pub fn key(row: &ArtifactRow) -> Key {
    (row.repository.to_string(), row.digest.to_string())
}

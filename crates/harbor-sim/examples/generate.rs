//! Prints how long each preset takes to generate and how big it is.
//! Run: `cargo run -p harbor-sim --example generate --profile host`.

use std::time::Instant;

use harbor_sim::{Dataset, Preset};

fn main() {
    for preset in [Preset::Tiny, Preset::Small, Preset::Medium, Preset::Large] {
        let t = Instant::now();
        let ds = Dataset::generate(preset, 42, false, None);
        let tags: usize = ds.artifacts.iter().map(|a| a.tags.len()).sum();
        println!(
            "{preset:?}: {} projects, {} repositories, {} listed artifacts ({} with index children), {} tags in {:?}",
            ds.projects.len(),
            ds.repositories.len(),
            ds.artifact_count(),
            ds.artifacts.len(),
            tags,
            t.elapsed()
        );
        let biggest = ds
            .repositories
            .iter()
            .map(|r| r.top_level)
            .max()
            .unwrap_or(0);
        let empty = ds.repositories.iter().filter(|r| r.top_level == 0).count();
        println!("  biggest repository {biggest}, empty repositories {empty}");
    }
}

//! Parsing one full page of the artifact listing (100 artifacts, with tags, labels and
//! scan overview, as the crawl asks for them) and turning it into slim rows.
//!
//! `cargo bench -p harbor-client --bench parse` (or `--profile host`). A `large` crawl
//! parses over 1,100 such pages, so a page should cost well under a millisecond natively.

use divan::{black_box, Bencher};
use harbor_client::model::{Artifact, Interner};
use harbor_sim::render::{self, ArtifactOpts};
use harbor_sim::{Dataset, Preset};
use std::sync::OnceLock;

const PAGE: usize = 100;

/// One page body as the simulator renders it for Harbor 2.13's project-wide listing.
fn page() -> &'static [u8] {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let ds = Dataset::generate(Preset::Small, 42, false, None);
        let opts = ArtifactOpts {
            with_tag: true,
            with_label: true,
            with_scan_overview: true,
            with_immutable_status: false,
            with_accessory: false,
            with_inherited_accessory: false,
            accept_v11: false,
        };
        let items: Vec<_> = ds
            .artifacts
            .iter()
            .take(PAGE)
            .map(|a| render::artifact(&ds, a, &opts))
            .collect();
        serde_json::to_vec(&items).unwrap_or_default()
    })
}

fn parse() -> Vec<Artifact> {
    serde_json::from_slice(page()).unwrap_or_default()
}

fn main() {
    let parsed = parse();
    println!("page: {} bytes, {} artifacts", page().len(), parsed.len());
    assert_eq!(
        parsed.len(),
        PAGE,
        "the sample page must hold {PAGE} artifacts"
    );
    divan::main();
}

/// JSON bytes to Harbor models.
#[divan::bench]
fn json_to_models() -> Vec<Artifact> {
    serde_json::from_slice::<Vec<Artifact>>(black_box(page())).unwrap_or_default()
}

/// Harbor models to slim rows (string interning included).
#[divan::bench]
fn models_to_rows(bencher: Bencher) {
    bencher.with_inputs(parse).bench_local_values(|artifacts| {
        let mut interner = Interner::default();
        artifacts
            .into_iter()
            .filter_map(|a| a.into_row("library", None, &mut interner).ok())
            .count()
    });
}

/// The whole step the crawl takes per page: bytes to slim rows.
#[divan::bench]
fn page_to_rows() -> usize {
    let mut interner = Interner::default();
    serde_json::from_slice::<Vec<Artifact>>(black_box(page()))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.into_row("library", None, &mut interner).ok())
        .count()
}

//! The xlarge preset (1,000,000 artifacts) over a real socket: page contents are the
//! same in two simulators made from the same seed, every page of a repository agrees
//! with its total, plain pages equal the sorted slow path, and `/_sim/truth` says it is
//! a summary.

mod common;

use common::{Harness, ADMIN};
use harbor_sim::{Preset, SimConfig};
use serde_json::Value;

fn xlarge() -> SimConfig {
    SimConfig {
        preset: Preset::Xlarge,
        ..SimConfig::default()
    }
}

/// The artifact list path of a repository (`project/a/b` → `.../repositories/a%252Fb`).
fn list_path(h: &Harness, repo: usize) -> String {
    let ds = h.handle.sim().dataset();
    let r = &ds.repositories[repo];
    let project = &ds.projects[r.project as usize].name;
    let short = r.name[project.len() + 1..].replace('/', "%252F");
    format!("/projects/{project}/repositories/{short}/artifacts")
}

fn digests(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|d| d.as_str().expect("digest").to_owned())
        .collect()
}

#[tokio::test]
async fn xlarge_pages_are_deterministic_and_add_up_to_the_totals() {
    let a = Harness::start(xlarge()).await;
    let ds = a.handle.sim().dataset();
    assert_eq!(ds.artifact_count(), 1_000_000);
    let (biggest, _) = ds
        .repositories
        .iter()
        .enumerate()
        .max_by_key(|(_, r)| r.top_level)
        .expect("repositories");
    let top = ds.repositories[biggest].top_level as i64;
    assert!(top > 10_000, "a repository of {top}");
    let pages = (top + 99) / 100;
    let path = list_path(&a, biggest);

    // Page N of the biggest repository: full pages, then a remainder, then nothing; the
    // total is the repository's count on every one.
    for (page, want) in [
        (1, 100),
        (pages / 2, 100),
        (pages, top - (pages - 1) * 100),
        (pages + 1, 0),
    ] {
        let r = a
            .get_as(&format!("{path}?page={page}&page_size=100"), ADMIN)
            .await;
        assert_eq!(r.status, 200, "page {page}");
        assert_eq!(r.total(), Some(top), "page {page}");
        assert_eq!(r.len() as i64, want, "page {page}");
    }

    // A mid-sized repository, page by page: every listed artifact exactly once, newest
    // first, and the same as the slow path (explicit sort) gives.
    let mid = ds
        .repositories
        .iter()
        .position(|r| (250..=600).contains(&r.top_level))
        .expect("a mid-sized repository");
    let mid_total = ds.repositories[mid].top_level as usize;
    let mid_path = list_path(&a, mid);
    let mut seen = Vec::new();
    for page in 1..=mid_total.div_ceil(100) {
        let fast = a
            .get_as(&format!("{mid_path}?page={page}&page_size=100"), ADMIN)
            .await;
        let slow = a
            .get_as(
                &format!("{mid_path}?page={page}&page_size=100&sort=-push_time,-id"),
                ADMIN,
            )
            .await;
        assert_eq!(fast.total(), Some(mid_total as i64));
        assert_eq!(fast.pluck("digest"), slow.pluck("digest"), "page {page}");
        seen.extend(digests(&fast.pluck("digest")));
    }
    let n = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((n, seen.len()), (mid_total, mid_total));

    // The project listing (Harbor >= 2.12) totals its repositories.
    let project = &ds.projects[ds.repositories[mid].project as usize];
    let in_project: i64 = project
        .repos
        .iter()
        .map(|r| i64::from(ds.repositories[*r as usize].top_level))
        .sum();
    let r = a
        .get_as(
            &format!("/projects/{}/artifacts?page=2&page_size=100", project.name),
            ADMIN,
        )
        .await;
    assert_eq!(r.total(), Some(in_project));

    // Ground truth is a summary, and says so.
    let truth = a.get("/_sim/truth?as=admin").await.json();
    assert_eq!(truth["summarised"], true);
    assert_eq!(truth["artifacts"], 1_000_000);

    // A second simulator from the same seed serves the same pages.
    let first_page = a
        .get_as(&format!("{path}?page=1&page_size=100"), ADMIN)
        .await
        .pluck("digest");
    let middle = format!("{mid_path}?page=2&page_size=100&with_tag=true");
    let middle_a = a.get_as(&middle, ADMIN).await.body;
    drop(a);
    let b = Harness::start(xlarge()).await;
    let again = b
        .get_as(&format!("{path}?page=1&page_size=100"), ADMIN)
        .await
        .pluck("digest");
    assert_eq!(first_page, again);
    assert_eq!(middle_a, b.get_as(&middle, ADMIN).await.body);
}

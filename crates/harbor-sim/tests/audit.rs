//! Audit endpoints over a real socket: accessories, project summaries, Security Hub.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use harbor_sim::dataset::Artifact;
use harbor_sim::{HarborVersion, Preset, SimConfig};
use serde_json::Value;

fn small(version: HarborVersion) -> SimConfig {
    SimConfig {
        preset: Preset::Small,
        version,
        ..SimConfig::default()
    }
}

fn list_path(h: &Harness, a: &Artifact) -> String {
    let ds = h.handle.sim().dataset();
    let repo = ds.repo_of(a);
    let project = &ds.project_of_repo(repo).name;
    let short = repo.name[project.len() + 1..].replace('/', "%252F");
    format!("/projects/{project}/repositories/{short}/artifacts")
}

/// Every listed artifact of the dataset with `with_accessory=true`, by digest.
async fn listed_with_accessories(h: &Harness, extra: &str) -> BTreeMap<String, Value> {
    let ds = h.handle.sim().dataset();
    let mut out = BTreeMap::new();
    for repo in &ds.repositories {
        let Some(first) = repo.artifacts.first() else {
            continue;
        };
        let base = list_path(h, &ds.artifacts[*first as usize]);
        let mut page = 1;
        loop {
            let path = format!("{base}?page={page}&page_size=100&with_accessory=true{extra}");
            let r = h.get_as(&path, ADMIN).await;
            assert_eq!(r.status, 200, "{path}");
            let items = r.json().as_array().cloned().unwrap_or_default();
            let done = items.len() < 100;
            for a in items {
                out.insert(a["digest"].as_str().unwrap_or("").to_string(), a);
            }
            if done {
                break;
            }
            page += 1;
        }
    }
    out
}

#[tokio::test]
async fn accessories_kinds_null_when_none_and_never_listed() {
    let h = Harness::start(small(HarborVersion::V2_13)).await;
    let listed = listed_with_accessories(&h, "").await;
    let ds = h.handle.sim().dataset();
    assert_eq!(listed.len(), ds.artifact_count());
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut accessory_digests = BTreeSet::new();
    let mut none = 0;
    for a in listed.values() {
        match &a["accessories"] {
            Value::Null => none += 1,
            Value::Array(list) => {
                assert!(!list.is_empty(), "an empty list is sent as null");
                for acc in list {
                    *kinds
                        .entry(acc["type"].as_str().unwrap_or("").into())
                        .or_default() += 1;
                    assert_eq!(acc["subject_artifact_digest"], a["digest"]);
                    assert!(acc["size"].as_u64().unwrap_or(0) > 0);
                    accessory_digests.insert(acc["digest"].as_str().unwrap_or("").to_string());
                }
            }
            other => panic!("accessories is {other}"),
        }
    }
    assert!(none > listed.len() / 3, "most artifacts carry none");
    for k in ["signature.cosign", "signature.notation", "harbor.sbom"] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "{k}: {kinds:?}");
    }
    // Accessory artifacts themselves never appear in lists.
    for d in &accessory_digests {
        assert!(!listed.contains_key(d), "{d} listed");
    }
    // The truth agrees with what the API says, artifact by artifact.
    let truth = ds.truth(&ds.principal_by_name("admin").expect("admin"));
    for row in truth {
        let a = &listed[&row.digest];
        let types: Vec<&str> = a["accessories"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x["type"].as_str()).collect())
            .unwrap_or_default();
        let signed = types.iter().any(|t| t.starts_with("signature."));
        assert_eq!(row.signed, signed, "{}", row.digest);
        assert_eq!(row.sbom, types.contains(&"harbor.sbom"), "{}", row.digest);
    }
}

#[tokio::test]
async fn index_children_inherit_every_accessory_kind_on_2_16() {
    let h = Harness::start(small(HarborVersion::V2_16)).await;
    let ds = h.handle.sim().dataset();
    let index = ds
        .artifacts
        .iter()
        .find(|a| a.parent.is_none() && !a.children.is_empty() && ds.own_accessories(a).len() > 1)
        .expect("an index with several accessories")
        .clone();
    let child = ds.artifacts[index.children[0] as usize].clone();
    let path = format!(
        "{}/{}?with_accessory=true&with_inherited_accessory=true",
        list_path(&h, &child),
        child.digest
    );
    let body = h.get_as(&path, ADMIN).await.json();
    assert_eq!(
        body["accessories"],
        Value::Null,
        "children carry none of their own"
    );
    let inherited = body["inherited_accessories"].as_array().expect("inherited");
    assert_eq!(inherited.len(), ds.own_accessories(&index).len());
    assert!(ds.is_signed(&child) || ds.has_sbom(&child));
}

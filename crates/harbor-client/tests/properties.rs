//! Property tests: the `q` builder, repository-name encoding, the JSON
//! models and the planner never panic on any input, round-trip where a round trip
//! exists, and never let an input point a request off the API or plan without bound.

use std::time::Duration;

use harbor_client::crawl::plan::MAX_PAGES;
use harbor_client::crawl::{PlanConfig, Planner, Projects, RequestKind, Scope};
use harbor_client::model::{Artifact, Interner, Project, Repository, VulnReport};
use harbor_client::transport::Response;
use harbor_client::url::{check_q, encode_repository, percent_decode, ApiPath, Q};
use proptest::prelude::*;

/// 128 cases; random inputs on a developer's machine, one fixed seed under CI
/// (`scripts/test.sh` sets `PROPTEST_RNG_SEED`), so a run there can be repeated.
fn config() -> ProptestConfig {
    ProptestConfig::with_cases(128)
}

/// Any JSON value, nested a few levels, with the awkward scalars.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<u64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        ".{0,40}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("digest".to_owned()),
                    Just("tags".to_owned()),
                    Just("name".to_owned()),
                    Just("size".to_owned()),
                    Just("push_time".to_owned()),
                    Just("scan_overview".to_owned()),
                    Just("labels".to_owned()),
                    Just("references".to_owned()),
                    Just("extra_attrs".to_owned()),
                    Just("repository_name".to_owned()),
                    Just("artifact_count".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..8,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Reads a `q` term back: `key=value` with Harbor's leading markers.
fn parse_term(term: &str) -> (String, String) {
    let (k, v) = term.split_once('=').expect("a term has '='");
    (k.to_owned(), v.to_owned())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn exact_terms_round_trip(key in "[a-z_][a-z0-9_.]{0,10}", value in "[^,]{1,30}") {
        let q = Q::new().exact(&key, &value).expect("valid key and value");
        let text = q.as_str();
        prop_assert!(!text.contains(','), "one term: {text}");
        let (k, v) = parse_term(&text);
        prop_assert_eq!(k, key);
        // Harbor decodes the value once more and drops one leading escape.
        let decoded = percent_decode(&v);
        let decoded = decoded.strip_prefix('\\').filter(|_| value.starts_with(['~', '[', '{', '(', '\\'])).map_or(decoded.clone(), str::to_owned);
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn q_builder_never_panics_and_never_splits(key in ".{0,12}", value in ".{0,30}", items in prop::collection::vec(".{0,8}", 0..4)) {
        let built = [
            Q::new().exact(&key, &value),
            Q::new().fuzzy(&key, &value),
            Q::new().union(&key, &items),
            Q::new().intersection(&key, &items),
            Q::new().range(&key, Some(value.as_str()), None),
        ];
        for q in built.into_iter().flatten() {
            let text = q.as_str();
            // Exactly one term, with the key as given.
            prop_assert_eq!(text.matches(',').count(), 0, "{}", text);
            let prefix = format!("{key}=");
            prop_assert!(text.starts_with(&prefix), "{}", text);
            // Harbor splits a term at its first `=`: what follows is the value.
            let value = &text[prefix.len()..];
            prop_assert!(!value.is_empty(), "no empty value: {}", text);
            // What Harbor's parser (as the simulator reproduces it) accepts.
            prop_assert!(harbor_sim::query::parse_q(&text).is_ok(), "Harbor refuses {}", text);
            prop_assert!(check_q(&text).is_ok(), "{}", text);
        }
    }

    #[test]
    fn checked_raw_q_is_what_harbor_accepts(q in "[a-z~=,\\\\\\[\\]{}() 0-9]{0,24}") {
        // check_q and Harbor's parser agree: whatever passes the check, Harbor takes.
        if check_q(&q).is_ok() {
            prop_assert!(harbor_sim::query::parse_q(&q).is_ok(), "Harbor refuses {}", q);
        }
    }

    #[test]
    fn list_items_survive(items in prop::collection::vec("[A-Za-z0-9._:%+/-]{1,10}", 1..5)) {
        let q = Q::new().union("tags", &items).expect("plain items");
        let (_, v) = parse_term(&q.as_str());
        let inner = v.strip_prefix('{').and_then(|v| v.strip_suffix('}')).expect("braces");
        let back: Vec<String> = inner.split(' ').map(percent_decode).collect();
        prop_assert_eq!(back, items);
    }

    #[test]
    fn repository_names_round_trip(project in "[a-z0-9._-]{1,12}", short in ".{1,40}") {
        let full = format!("{project}/{short}");
        let encoded = encode_repository(&project, &full);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{}", encoded);
        prop_assert_eq!(percent_decode(&percent_decode(&encoded)), short.clone());
        // The artifacts path keeps the name inside one segment, whatever it holds.
        let path = ApiPath::artifacts(&project, &full);
        let segments: Vec<&str> = path.as_str().split('?').next().unwrap_or("").split('/').collect();
        prop_assert_eq!(segments.len(), 8, "{}", path);
        prop_assert_eq!(segments[6], encoded.as_str());
    }

    #[test]
    fn off_origin_paths_are_refused(host in "[a-z]{1,10}\\.[a-z]{2,3}", path in "[a-z/]{0,20}") {
        for target in [
            format!("http://{host}/api/v2.0/{path}"),
            format!("https://{host}/api/v2.0/{path}"),
            format!("//{host}/api/v2.0/{path}"),
            format!("/api/v2.0/../../{path}"),
            format!("/api/v2.0/%2e%2e/{path}"),
            format!("/api/v2.0//{host}/{path}"),
        ] {
            prop_assert!(ApiPath::parse(&target).is_err(), "{}", target);
        }
    }

    #[test]
    fn models_never_panic_on_any_json(value in json_value()) {
        let bytes = serde_json::to_vec(&value).expect("serialisable");
        let mut interner = Interner::default();
        if let Ok(artifacts) = serde_json::from_slice::<Vec<Artifact>>(&bytes) {
            for a in artifacts {
                let _ = a.into_row("p", Some("p/r"), &mut interner);
            }
        }
        if let Ok(a) = serde_json::from_slice::<Artifact>(&bytes) {
            let _ = a.into_row("p", None, &mut interner);
        }
        let _ = serde_json::from_slice::<Vec<Project>>(&bytes);
        let _ = serde_json::from_slice::<Vec<Repository>>(&bytes);
        let _ = serde_json::from_slice::<VulnReport>(&bytes);
    }

    #[test]
    fn models_never_panic_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = serde_json::from_slice::<Vec<Artifact>>(&bytes);
        let _ = serde_json::from_slice::<Vec<Repository>>(&bytes);
        let _ = serde_json::from_slice::<VulnReport>(&bytes);
    }

    #[test]
    fn any_total_count_plans_a_bounded_crawl(total in prop_oneof![
        Just("0".to_owned()), Just(u64::MAX.to_string()), Just("-5".to_owned()),
        Just("1e9".to_owned()), Just("".to_owned()), Just("18446744073709551616".to_owned()),
        any::<u64>().prop_map(|n| n.to_string()), ".{0,12}",
    ], body in json_value()) {
        // Named project on 2.10: the artifact listing's first page carries the header.
        let scope = Scope { projects: Projects::Named(vec!["p".into()]), ..Scope::default() };
        let mut planner = Planner::crawl(scope, PlanConfig { max_in_flight: 1, ..PlanConfig::default() });
        let mut answered = 0;
        while let Some(d) = planner.next_dispatch(Duration::ZERO) {
            let (status, text, total) = match &d.kind {
                RequestKind::SystemInfo => (200, r#"{"harbor_version":"v2.10.0"}"#.to_owned(), None),
                RequestKind::CurrentUser => (200, r#"{"username":"u"}"#.to_owned(), None),
                RequestKind::Repositories { .. } => (200, r#"[{"name":"p/a"}]"#.to_owned(), Some("1".to_owned())),
                // Only the first artifact page answers with the hostile header and body;
                // the test stops there, with whatever that planned.
                _ => (200, body.to_string(), Some(total.clone())),
            };
            let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
            if let Some(t) = total {
                headers.push(("X-Total-Count".to_owned(), t));
            }
            let response = Response { status, headers, body: text.into_bytes(), ..Response::default() };
            let first_artifacts = matches!(d.kind, RequestKind::Artifacts { .. });
            planner.complete(d.id, Ok(response), Duration::ZERO);
            answered += 1;
            if first_artifacts {
                break;
            }
            prop_assert!(answered < 10);
        }
        let planned = planner.progress().requests_planned;
        prop_assert!(planned <= 4 + u64::from(MAX_PAGES), "planned {}", planned);
    }
}

//! Property tests: the URL state round-trips and never panics; the CSV writer never
//! panics and its output parses back to exactly what was written (after neutralising).

use inventory::export::{neutralise, parse_csv, to_csv, write_record, ExportHeader};
use inventory::sort::compare;
use inventory::synthetic::{row, RowSpec, NOW};
use inventory::{
    view, Column, Direction, Filters, PerPage, Preset, ScanFilter, SortSpec, TableQuery,
};
use inventory::{ArtifactRow, ScanStatus, Severity};
use proptest::prelude::*;

/// Text that stresses URL encoding: delimiters, escapes, quotes, spaces, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9=&+%#?\" */:,@~\\-]{0,10}",
        any::<String>(),
    ]
}

fn severity() -> impl Strategy<Value = Option<Severity>> {
    prop::option::of(prop::sample::select(Severity::ALL.to_vec()))
}

fn filters() -> impl Strategy<Value = Filters> {
    (
        (
            text(),
            text(),
            text(),
            any::<bool>(),
            text(),
            text(),
            text(),
        ),
        (
            severity(),
            any::<bool>(),
            any::<[bool; 4]>(),
            prop::option::of(any::<u32>()),
        ),
        (
            prop::option::of(any::<u32>()),
            any::<bool>(),
            prop::option::of(any::<u32>()),
        ),
    )
        .prop_map(
            |((project, repository, tag, untagged, digest, label, kind), b, c)| {
                let (min_severity, fixable, states, stale_days) = b;
                let (unpulled_days, duplicate_digest, repo_artifacts_over) = c;
                Filters {
                    project,
                    repository,
                    tag,
                    untagged,
                    digest,
                    label,
                    kind,
                    min_severity,
                    fixable,
                    scan: ScanFilter {
                        not_scanned: states[0],
                        scanning: states[1],
                        failed: states[2],
                        success: states[3],
                        stale_days,
                    },
                    unpulled_days,
                    duplicate_digest,
                    repo_artifacts_over,
                    cve: String::new(),
                    signed: None,
                    sbom: None,
                }
            },
        )
}

fn query() -> impl Strategy<Value = TableQuery> {
    (
        prop::option::of(0..Preset::ALL.len()),
        prop::option::of(filters()),
        prop::option::of((0..Column::ALL.len(), any::<bool>())),
        0..PerPage::CHOICES.len(),
        1u32..5000,
    )
        .prop_map(|(preset, filters, sort, per, page)| {
            let mut q = TableQuery::default();
            if let Some(p) = preset {
                q.apply_preset(Preset::ALL[p]);
            }
            if let Some(f) = filters {
                q.set_filters(f);
            }
            if let Some((c, desc)) = sort {
                let direction = if desc {
                    Direction::Descending
                } else {
                    Direction::Ascending
                };
                q.set_sort(Some(SortSpec {
                    column: Column::ALL[c],
                    direction,
                }));
            }
            q.set_per_page(PerPage::CHOICES[per]);
            q.set_page(page, u32::MAX);
            q
        })
}

/// 512 cases; random inputs on a developer's machine, one fixed seed under CI
/// (`scripts/test.sh` sets `PROPTEST_RNG_SEED`), so a run there can be repeated.
fn config() -> ProptestConfig {
    ProptestConfig::with_cases(512)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn url_round_trips(q in query()) {
        let s = q.to_query_string();
        prop_assert_eq!(TableQuery::from_query_string(&s), q.clone());
        prop_assert_eq!(TableQuery::from_query_string(&format!("?{s}")), q);
    }

    #[test]
    fn url_parse_never_panics_and_is_idempotent(s in any::<String>()) {
        let q = TableQuery::from_query_string(&s);
        prop_assert!(q.page() >= 1);
        prop_assert_eq!(TableQuery::from_query_string(&q.to_query_string()), q);
    }

    #[test]
    fn url_parse_of_param_soup(parts in prop::collection::vec(
        ("(project|repo|tag|page|per_page|sort|severity|scan|untagged|preset|repo_over|x)",
         "[-a-z0-9%+,=]{0,8}"), 0..8)) {
        let s = parts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let q = TableQuery::from_query_string(&s);
        prop_assert_eq!(TableQuery::from_query_string(&q.to_query_string()), q);
    }

    #[test]
    fn csv_record_round_trips(records in prop::collection::vec(
        prop::collection::vec(any::<String>(), 1..6), 0..6)) {
        let mut out = String::new();
        for r in &records {
            write_record(&mut out, r.iter().map(String::as_str));
        }
        let want: Vec<Vec<String>> = records
            .iter()
            .map(|r| r.iter().map(|c| neutralise(c).into_owned()).collect())
            .collect();
        prop_assert_eq!(parse_csv(&out).unwrap(), want);
    }

    #[test]
    fn csv_parse_never_panics(s in any::<String>()) {
        let _ = parse_csv(&s);
    }

    #[test]
    fn csv_export_of_hostile_rows_parses_back(
        names in prop::collection::vec((text(), text(), text()), 1..8)
    ) {
        let rows: Vec<_> = names
            .iter()
            .map(|(repo, tag, label)| {
                let tags: Vec<&str> = if tag.is_empty() { vec![] } else { vec![tag.as_str()] };
                row(&RowSpec::new("p", repo).tags(&tags).labels(&[label.as_str()])
                    .status(ScanStatus::Failed))
            })
            .collect();
        let order: Vec<u32> = (0..rows.len() as u32).rev().collect();
        let header = ExportHeader { harbor_url: "=evil".into(), exported_at: NOW, ..Default::default() };
        let records = parse_csv(&to_csv(&rows, &order, &header)).unwrap();
        prop_assert_eq!(records.len(), 3 + rows.len());
        prop_assert_eq!(&records[1][0], "'=evil");
        for (rec, &i) in records[3..].iter().zip(&order) {
            let r = &rows[i as usize];
            prop_assert_eq!(&rec[1], &neutralise(&r.repository).into_owned());
            prop_assert!(!rec.iter().any(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r'])));
        }
    }

    #[test]
    fn narrowing_filters_refine_the_old_matches(
        seed in 0u64..50,
        before in vocab_filters(),
        extra in "[a-z0-9.-]{0,3}",
        tick in any::<bool>(),
    ) {
        let rows = inventory::synthetic::rows(300, seed);
        let mut after = before.clone();
        if !after.tag.contains(['"', '*']) && !after.tag.trim().is_empty() {
            after.tag = format!("{}{extra}", after.tag.trim());
        } else if !after.repository.contains('"') {
            after.repository = format!("{}{extra}", after.repository.trim());
        }
        after.untagged |= tick;
        let order: Vec<u32> = (0..rows.len() as u32).collect();
        let old = inventory::view::matching(&rows, &order, &before, None, None, NOW);
        let new = inventory::view::matching(&rows, &order, &after, None, None, NOW);
        if after.narrows(&before) {
            let refined = inventory::view::matching(&rows, &old, &after, None, None, NOW);
            prop_assert_eq!(&refined, &new);
        }
        // Always: nothing narrows itself into something else.
        prop_assert!(before.narrows(&before));
    }

    #[test]
    fn view_matches_naive_reference(
        seed in 0u64..50,
        f in vocab_filters(),
        sort in prop::option::of((0..Column::ALL.len(), any::<bool>())),
        per in 0..PerPage::CHOICES.len(),
        page in 1u32..20,
    ) {
        let rows = inventory::synthetic::rows(300, seed);
        let mut q = TableQuery::default();
        q.set_filters(f.clone());
        let spec = sort.map(|(c, desc)| SortSpec {
            column: Column::ALL[c],
            direction: if desc { Direction::Descending } else { Direction::Ascending },
        });
        q.set_sort(spec);
        q.set_per_page(PerPage::CHOICES[per]);
        q.set_page(page, u32::MAX);
        let (matching, t) = view(&rows, None, &q, NOW);

        let mut want: Vec<u32> =
            (0..rows.len() as u32).filter(|&i| reference_filter(&rows, i as usize, &f)).collect();
        if let Some(spec) = spec {
            want.sort_by(|&a, &b| {
                let o = compare(&rows[a as usize], &rows[b as usize], spec.column);
                if spec.direction == Direction::Descending { o.reverse() } else { o }
            });
        }
        prop_assert_eq!(&matching, &want);
        prop_assert_eq!(t.total_matching, want.len());
        let per_page = q.per_page().get() as usize;
        let pages = want.len().div_ceil(per_page).max(1) as u32;
        prop_assert_eq!(t.page_count, pages);
        prop_assert_eq!(t.page, page.min(pages));
        let start = (t.page as usize - 1) * per_page;
        prop_assert_eq!(&t.indices[..], &want[start.min(want.len())..(start + per_page).min(want.len())]);
    }
}

/// Filters drawn from the synthetic rows' own vocabulary, so they often match.
fn vocab_filters() -> impl Strategy<Value = Filters> {
    use prop::sample::select;
    let opt_days = |v: Vec<Option<u32>>| select(v);
    (
        (
            select(vec!["", "proj-1", "\"proj-0\"", "PROJ", "  "]),
            select(vec![
                "",
                "repo-1",
                "\"repo-3\"",
                "\"proj-0/repo-4\"",
                "/REPO-2",
            ]),
            select(vec!["", "*", "v1", "\"v1.0\"", "V", ".1"]),
            any::<bool>(),
            select(vec!["", "sha256:0", "a", "sha256:AB", "7"]),
            select(vec!["", "prod", "\"prod\"", "TEAM", "\"\""]),
            select(vec!["", "chart", "IMAGE"]),
        ),
        (
            severity(),
            any::<bool>(),
            any::<[bool; 4]>(),
            opt_days(vec![None, Some(10), Some(30)]),
            opt_days(vec![None, Some(0), Some(30), Some(365)]),
            any::<bool>(),
            opt_days(vec![None, Some(5), Some(20)]),
        ),
        any::<u32>(),
    )
        .prop_map(|(a, b, mask)| {
            let (project, repository, tag, untagged, digest, label, kind) = a;
            let (min_severity, fixable, states, stale_days, unpulled_days, dup, over) = b;
            // Keep each filter with probability 1/4 so that combinations still match rows.
            let on = |k: u32| (mask >> (2 * k)) & 3 == 0;
            let text = |k: u32, v: &str| if on(k) { v.to_string() } else { String::new() };
            let states = if on(11) { states } else { [false; 4] };
            Filters {
                project: text(0, project),
                repository: text(1, repository),
                tag: text(2, tag),
                untagged: untagged && on(3),
                digest: text(4, digest),
                label: text(5, label),
                kind: text(6, kind),
                min_severity: min_severity.filter(|_| on(7)),
                fixable: fixable && on(8),
                scan: ScanFilter {
                    not_scanned: states[0],
                    scanning: states[1],
                    failed: states[2],
                    success: states[3],
                    stale_days: stale_days.filter(|_| on(12)),
                },
                unpulled_days: unpulled_days.filter(|_| on(9)),
                duplicate_digest: dup && on(10),
                repo_artifacts_over: over.filter(|_| on(13)),
                cve: String::new(),
                // Bits 28..32 of the mask: each on with probability 1/4; yes or no by
                // the parity of (part of) the mask.
                signed: on(14).then_some(mask.count_ones() % 2 == 0),
                sbom: on(15).then_some((mask & 0x5555_5555).count_ones() % 2 == 0),
            }
        })
}

/// The obvious, slow implementation of every filter, to check the fast one against.
fn reference_filter(rows: &[ArtifactRow], i: usize, f: &Filters) -> bool {
    fn text_ok(needle: &str, hay: &str) -> bool {
        let t = needle.trim();
        match t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(exact) => hay.to_lowercase() == exact.to_lowercase(),
            None => t.is_empty() || hay.to_lowercase().contains(&t.to_lowercase()),
        }
    }
    let r = &rows[i];
    let day = inventory::DAY_MS;
    let short = r
        .repository
        .split_once('/')
        .map_or(&*r.repository, |(_, s)| s);
    let repo_ok = text_ok(&f.repository, &r.repository)
        || (f.repository.trim().starts_with('"') && text_ok(&f.repository, short));
    let tag_ok = match f.tag.trim() {
        "*" => !r.tags.is_empty(),
        "" => true,
        t => r.tags.iter().any(|tag| text_ok(t, &tag.name)),
    };
    let digest_ok = {
        let d = f.digest.trim().to_lowercase();
        let hay = if d.contains(':') {
            r.digest.to_string()
        } else {
            r.digest
                .text()
                .split(':')
                .next_back()
                .unwrap_or("")
                .to_string()
        };
        hay.to_lowercase().starts_with(&d)
    };
    let label_ok = f.label.trim().is_empty() || r.labels.iter().any(|l| text_ok(&f.label, &l.name));
    let kind_ok = f.kind.is_empty() || r.kind.to_lowercase() == f.kind.to_lowercase();
    let sev_ok = f.min_severity.is_none_or(|m| {
        r.scan.status == ScanStatus::Success && r.scan.severity.is_some_and(|s| s >= m)
    });
    let s = &f.scan;
    let scan_ok = *s == ScanFilter::default()
        || match r.scan.status {
            ScanStatus::NotScanned => s.not_scanned,
            ScanStatus::Scanning => s.scanning,
            ScanStatus::Failed => s.failed,
            ScanStatus::Success => {
                s.success
                    || s.stale_days.is_some_and(|n| {
                        r.scan
                            .end_time
                            .get()
                            .is_none_or(|t| t < NOW - i64::from(n) * day)
                    })
            }
        };
    let pull_ok = f.unpulled_days.is_none_or(|n| {
        r.pull_time
            .get()
            .is_none_or(|t| t < NOW - i64::from(n) * day)
    });
    let dup_ok = !f.duplicate_digest
        || rows
            .iter()
            .any(|o| o.digest == r.digest && o.repository != r.repository);
    let over_ok = f
        .repo_artifacts_over
        .is_none_or(|n| rows.iter().filter(|o| o.repository == r.repository).count() > n as usize);
    let signed_ok = f
        .signed
        .is_none_or(|want| r.accessories.iter().any(|a| a.kind.is_signature()) == want);
    let sbom_ok = f.sbom.is_none_or(|want| {
        r.accessories
            .iter()
            .any(|a| a.kind.type_name() == "harbor.sbom")
            == want
    });
    text_ok(&f.project, &r.project)
        && signed_ok
        && sbom_ok
        && repo_ok
        && tag_ok
        && (!f.untagged || r.tags.is_empty())
        && digest_ok
        && label_ok
        && kind_ok
        && sev_ok
        && (!f.fixable || r.scan.fixable > 0)
        && scan_ok
        && pull_ok
        && dup_ok
        && over_ok
}

/// Guards the reference test against a generator that only produces empty results.
#[test]
fn vocab_filters_often_match() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let rows = inventory::synthetic::rows(300, 1);
    let mut runner = TestRunner::deterministic();
    let strategy = vocab_filters();
    let samples = 400;
    let matching = (0..samples)
        .filter(|_| {
            let f = strategy.new_tree(&mut runner).unwrap().current();
            (0..rows.len()).any(|i| reference_filter(&rows, i, &f))
        })
        .count();
    assert!(
        matching * 3 > samples,
        "only {matching} of {samples} filter sets match any row"
    );
}

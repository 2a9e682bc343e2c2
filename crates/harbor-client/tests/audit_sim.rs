//! Audit depth against the simulated Harbor, over real sockets: accessories in crawled
//! rows, project quota summaries, Security Hub.

use std::collections::BTreeMap;
use std::time::Duration;

use harbor_client::crawl::{CrawlConfig, Crawler, Credentials, Event, RetryPolicy, Scope};
use harbor_client::native::{NativeTransport, TokioClock};
use harbor_client::slim::ArtifactRow;
use harbor_client::transport::CancelToken;
use harbor_sim::{HarborVersion, Preset, SimConfig, SimHandle};

const ADMIN: (&str, &str) = ("admin", "Harbor12345");

async fn sim(preset: Preset, version: HarborVersion) -> SimHandle {
    harbor_sim::spawn(SimConfig {
        preset,
        version,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn config(who: (&str, &str)) -> CrawlConfig {
    CrawlConfig {
        max_in_flight: 6,
        credentials: Some(Credentials::new(who.0, who.1)),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        },
        ..CrawlConfig::default()
    }
}

async fn crawl(handle: &SimHandle, who: (&str, &str)) -> Vec<ArtifactRow> {
    let transport = NativeTransport::new(&handle.base_url()).expect("client");
    let crawler = Crawler::new(transport, TokioClock::new(), config(who));
    let mut rows = Vec::new();
    crawler
        .crawl(Scope::default(), &CancelToken::new(), |event| {
            if let Event::Artifacts(batch) = &event {
                rows.extend(batch.iter().cloned());
            }
        })
        .await
        .expect("crawl completes");
    rows
}

/// (repository, digest) -> (signed, sbom) as the simulator's truth says.
fn truth_flags(handle: &SimHandle, who: &str) -> BTreeMap<(String, String), (bool, bool)> {
    let ds = handle.sim().dataset();
    let p = ds.principal_by_name(who).expect("known principal");
    ds.truth(&p)
        .into_iter()
        .map(|r| ((r.repository, r.digest), (r.signed, r.sbom)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawled_rows_carry_the_accessories_truth_names() {
    for version in [HarborVersion::V2_10, HarborVersion::V2_16] {
        let handle = sim(Preset::Small, version).await;
        let rows = crawl(&handle, ADMIN).await;
        let truth = truth_flags(&handle, ADMIN.0);
        assert_eq!(rows.len(), truth.len(), "{version}");
        let got: BTreeMap<_, _> = rows
            .iter()
            .map(|r| {
                let key = (r.repository.to_string(), r.digest.to_string());
                (key, (r.signed(), r.has_sbom()))
            })
            .collect();
        assert_eq!(got, truth, "{version}: signed/sbom per artifact");
        let signed = rows.iter().filter(|r| r.signed()).count();
        let sbom = rows.iter().filter(|r| r.has_sbom()).count();
        assert!(signed > 0 && signed < rows.len(), "{version}: {signed}");
        assert!(sbom > 0 && sbom < rows.len(), "{version}: {sbom}");
        let unsigned_rows = rows.iter().filter(|r| r.accessories.is_empty()).count();
        assert!(unsigned_rows > 0, "rows without accessories exist");
        for r in rows.iter().filter(|r| !r.accessories.is_empty()) {
            for a in r.accessories.iter() {
                assert!(a.digest.starts_with("sha256:") && a.size > 0, "{a:?}");
                assert!(a.push_time.is_some(), "{a:?}");
            }
            assert!(r.project_id > 0);
        }
    }
}

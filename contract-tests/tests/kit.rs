//! The wiremock kit: the contract guard flags (and on drop fails) bad requests, and the official
//! Rust `taskcluster` crate's calls succeed against kit-served generated responses.

use std::time::Instant;

use proptest::prelude::*;
use serde_json::{json, Value};
use taskcluster::{ClientBuilder, Retry, WorkerManager};
use worker_manager_contract::kit;
use worker_manager_schemas::Validators;

/// Generated responses per method the crate parses (raise with `WM_KIT_CASES`).
fn cases() -> usize {
    std::env::var("WM_KIT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn client(server: &wiremock::MockServer) -> WorkerManager {
    WorkerManager::new(ClientBuilder::new(server.uri()).retry(Retry {
        retries: 0,
        ..Retry::default()
    }))
    .expect("client builds")
}

/// Bad requests (wrong route, bad query, schema-invalid body) are listed with their reason and
/// answered 400; a good one is answered with a generated body that validates.
#[tokio::test]
async fn kit_flags_bad_requests() {
    let server = wiremock::MockServer::start().await;
    kit::mount(&server, 1).await;
    let base = format!("{}/api/worker-manager/v1", server.uri());
    let http = reqwest::Client::new();
    let ok: Value = http
        .get(format!("{base}/worker-pool/a%2Fb"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(Validators::embedded()
        .validate("worker-pool-full", &ok)
        .is_ok());
    let bad_route = http
        .get(format!("{base}/worker-pool-list"))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_route.status().as_u16(), 400);
    http.get(format!("{base}/worker-pools?limit=ten"))
        .send()
        .await
        .expect("sent");
    http.put(format!("{base}/worker-pool/a%2Fb"))
        .json(&json!({"providerId": 5}))
        .send()
        .await
        .expect("sent");
    let v = kit::violations(&server).await;
    assert_eq!(v.len(), 3, "{v:#?}");
    assert!(v[0].reason.contains("no API method"), "{}", v[0].reason);
    assert!(v[1].reason.contains("limit"), "{}", v[1].reason);
    assert_eq!(v[2].method.as_deref(), Some("createWorkerPool"));
    assert!(
        v[2].reason.starts_with("InputValidationError"),
        "{}",
        v[2].reason
    );
    server.reset().await; // the guard has done its job here; don't fail on drop
}

/// The guard's zero expectation fails the test when the server is dropped.
#[test]
fn kit_guard_fails_the_test_on_drop() {
    let outcome = std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let server = wiremock::MockServer::start().await;
            kit::mount(&server, 1).await;
            let _ = reqwest::get(format!("{}/nowhere", server.uri())).await;
            drop(server);
        });
    })
    .join();
    assert!(outcome.is_err(), "dropping the server must panic");
}

/// The official crate's calls succeed on `cases()` generated responses for each method it
/// returns a body for (it returns `serde_json::Value`, so any JSON parses; what this proves is
/// that the crate accepts the answers and that its requests keep the contract).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_crate_accepts_generated_responses() {
    let server = wiremock::MockServer::start().await;
    kit::mount(&server, 2).await;
    let wm = client(&server);
    let n = cases();
    let start = Instant::now();
    let p = "proj/linux";
    for _ in 0..n {
        let calls: Vec<(&str, Result<Value, _>)> = vec![
            ("listProviders", wm.listProviders(None, None).await),
            ("workerPool", wm.workerPool(p).await),
            (
                "listWorkerPools",
                wm.listWorkerPools(None, Some("10")).await,
            ),
            (
                "listWorkerPoolsStats",
                wm.listWorkerPoolsStats(None, None).await,
            ),
            ("workerPoolStats", wm.workerPoolStats(p).await),
            (
                "workerPoolErrorStats",
                wm.workerPoolErrorStats(Some(p)).await,
            ),
            (
                "listWorkerPoolErrors",
                wm.listWorkerPoolErrors(p, None, None, None, None).await,
            ),
            (
                "listWorkerPoolLaunchConfigs",
                wm.listWorkerPoolLaunchConfigs(p, None, None, None).await,
            ),
            (
                "listWorkersForWorkerPool",
                wm.listWorkersForWorkerPool(p, None, None, None, Some("running"))
                    .await,
            ),
            (
                "listWorkersForWorkerGroup",
                wm.listWorkersForWorkerGroup(p, "g", None, None).await,
            ),
            ("worker", wm.worker(p, "g", "w").await),
            (
                "shouldWorkerTerminate",
                wm.shouldWorkerTerminate(p, "g", "w").await,
            ),
            (
                "listWorkers",
                wm.listWorkers("proj", "linux", None, None, None, None, None)
                    .await,
            ),
            ("getWorker", wm.getWorker("proj", "linux", "g", "w").await),
            ("deleteWorkerPool", wm.deleteWorkerPool(p).await),
        ];
        for (name, r) in calls {
            if let Err(e) = r {
                panic!("{name}: the crate rejected a generated response: {e}");
            }
        }
    }
    let v = kit::violations(&server).await;
    assert!(v.is_empty(), "{v:#?}");
    eprintln!("{n} rounds of 15 methods in {:?}", start.elapsed());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]
    /// `response_strategy` yields bodies that validate against the method's output schema.
    #[test]
    fn response_strategy_is_schema_valid(body in kit::response_strategy("listWorkerPools").expect("strategy")) {
        prop_assert!(Validators::embedded().validate("worker-pool-list", &body).is_ok());
    }
}

//! The official Rust `taskcluster` crate works against wm-mock unchanged for the main flows.
//!
//! The crate (≤ 114) signs requests over the path without the query string, which a real
//! deployment rejects (401); wm-mock is faithful, so paging here goes through an unauthenticated
//! client and the anonymous scopes, as a public deployment allows.

mod common;

use common::SECRET;
use serde_json::{json, Value};
use taskcluster::{ClientBuilder, Credentials, Retry, WorkerManager};
use worker_manager_mock::MockServer;

fn client(server: &MockServer, creds: Option<Credentials>) -> WorkerManager {
    let mut b = ClientBuilder::new(server.root_url()).retry(Retry {
        retries: 0,
        ..Retry::default()
    });
    if let Some(c) = creds {
        b = b.credentials(c);
    }
    WorkerManager::new(b).expect("client builds")
}

fn root(server: &MockServer) -> WorkerManager {
    let (id, token) = server.root_credentials();
    client(server, Some(Credentials::new(id, token)))
}

async fn server() -> MockServer {
    MockServer::builder()
        .anonymous_scopes([
            "worker-manager:list-worker-pools",
            "worker-manager:list-workers:*",
            "worker-manager:list-worker-pool-errors:*",
        ])
        .start()
        .await
        .unwrap()
}

fn pool(provider: &str, description: &str) -> Value {
    json!({"providerId": provider, "description": description, "config": {},
           "owner": "o@example.com", "emailOnError": false})
}

/// Create, read, update and delete a worker pool with root credentials.
#[tokio::test]
async fn worker_pool_lifecycle() {
    let s = server().await;
    let wm = root(&s);
    wm.ping().await.unwrap();
    let created = wm
        .createWorkerPool("proj/linux", &pool("static", "one"))
        .await
        .unwrap();
    assert_eq!(created["workerPoolId"], "proj/linux");
    assert_eq!(created["created"], created["lastModified"]);
    let got = wm.workerPool("proj/linux").await.unwrap();
    assert_eq!(got["description"], "one");
    let updated = wm
        .updateWorkerPool("proj/linux", &pool("static", "two"))
        .await
        .unwrap();
    assert_eq!(updated["description"], "two");
    assert_eq!(updated["created"], created["created"]);
    let deleted = wm.deleteWorkerPool("proj/linux").await.unwrap();
    assert_eq!(deleted["providerId"], "null-provider");
    let err = wm.workerPool("proj/other").await.unwrap_err();
    assert!(format!("{err:?}").contains("404"), "{err:?}");
}

/// Paging through 25 pools two at a time sees each exactly once (anonymous client).
#[tokio::test]
async fn list_worker_pools_with_paging() {
    let s = server().await;
    let wm = root(&s);
    for i in 0..25 {
        wm.createWorkerPool(&format!("proj/p{i:02}"), &pool("static", "x"))
            .await
            .unwrap();
    }
    let anon = client(&s, None);
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = anon
            .listWorkerPools(token.as_deref(), Some("2"))
            .await
            .unwrap();
        for p in page["workerPools"].as_array().unwrap() {
            ids.push(p["workerPoolId"].as_str().unwrap().to_string());
        }
        match page.get("continuationToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let want: Vec<String> = (0..25).map(|i| format!("proj/p{i:02}")).collect();
    assert_eq!(ids, want);
}

/// The crate's signing of a query string is rejected (faithful 401), and the error says why.
#[tokio::test]
async fn signed_query_from_the_rust_crate_is_refused_with_a_diagnostic() {
    let s = server().await;
    let err = root(&s).listWorkerPools(None, Some("2")).await.unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("401"), "{text}");
    assert!(text.contains("query"), "{text}");
}

/// A static worker: create it, register with its secret, use the worker's own credentials for
/// reregisterWorker and reportWorkerError, list the error, remove the worker.
#[tokio::test]
async fn static_worker_lifecycle_with_worker_credentials() {
    let s = server().await;
    let wm = root(&s);
    wm.createWorkerPool("proj/linux", &pool("static", "x"))
        .await
        .unwrap();
    let worker = wm
        .createWorker(
            "proj/linux",
            "wg",
            "w1",
            &json!({"expires": "2099-01-01T00:00:00.000Z", "providerInfo": {"staticSecret": SECRET}}),
        )
        .await
        .unwrap();
    assert_eq!(worker["state"], "running");
    let reg = wm
        .registerWorker(
            &json!({"workerPoolId": "proj/linux", "providerId": "static",
            "workerGroup": "wg", "workerId": "w1",
            "workerIdentityProof": {"staticSecret": SECRET}}),
        )
        .await
        .unwrap();
    let c = &reg["credentials"];
    let worker_creds = Credentials::new_with_certificate(
        c["clientId"].as_str().unwrap(),
        c["accessToken"].as_str().unwrap(),
        c["certificate"].as_str().unwrap(),
    );
    let as_worker = client(&s, Some(worker_creds));
    let rereg = as_worker
        .reregisterWorker(&json!({"workerPoolId": "proj/linux", "workerGroup": "wg",
            "workerId": "w1", "secret": reg["secret"]}))
        .await
        .unwrap();
    assert_ne!(rereg["secret"], reg["secret"]);
    let reported = as_worker
        .reportWorkerError(
            "proj/linux",
            &json!({"workerGroup": "wg", "workerId": "w1", "kind": "boot-failure",
                    "title": "t", "description": "d", "extra": {}}),
        )
        .await
        .unwrap();
    assert_eq!(reported["extra"]["workerId"], "w1");
    let errors = wm
        .listWorkerPoolErrors("proj/linux", None, None, None, None)
        .await
        .unwrap();
    assert_eq!(
        errors["workerPoolErrors"][0]["errorId"],
        reported["errorId"]
    );
    as_worker
        .removeWorker("proj/linux", "wg", "w1")
        .await
        .unwrap();
    let after = wm.worker("proj/linux", "wg", "w1").await.unwrap();
    assert_eq!(after["state"], "stopped");
}

//! The store holds a million workers and pages through them over HTTP with limit 1000.
//!
//! Slow in a debug build, so it is `#[ignore]`d there; `.ci/run` runs it in release with
//! `--ignored`.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::json;
use worker_manager_mock::store::model::{Worker, WorkerState};

const WORKERS: usize = 1_000_000;

/// Seeds 1,000,000 workers through the library API and lists every one of them exactly once,
/// newest first, 1000 per page.
#[tokio::test]
#[ignore = "takes minutes in a debug build; run in release (see .ci/run)"]
async fn a_million_workers_page_through_completely() {
    let api = Api::start().await;
    api.create_pool("big/pool", "static", json!({})).await.ok();
    {
        let svc = api.server.service();
        let mut store = svc.store();
        let pool: Arc<str> = store.intern_pool_id("big/pool");
        let now = svc.clock.now_ms();
        for i in 0..WORKERS {
            let mut w = Worker::new(
                &pool,
                &format!("g{}", i % 100),
                &format!("w{i}"),
                "static",
                WorkerState::Running,
                now - (i as i64 % 5000),
            );
            w.expires = now + 86_400_000;
            store.insert_worker(w);
        }
        assert_eq!(store.worker_count(), WORKERS);
    }
    let pool = api.get("/worker-pool/big%2Fpool").await;
    assert_eq!(pool.ok()["runningCount"], WORKERS);
    let mut seen = std::collections::HashSet::with_capacity(WORKERS);
    let mut token: Option<String> = None;
    let mut pages = 0;
    let mut last_created = String::from("9999");
    loop {
        let path = match &token {
            Some(t) => format!("/workers/big%2Fpool?limit=1000&continuationToken={t}"),
            None => "/workers/big%2Fpool?limit=1000".to_string(),
        };
        let resp = api.get(&path).await;
        let body = resp.ok();
        let workers = body["workers"].as_array().unwrap();
        for w in workers {
            let created = w["created"].as_str().unwrap().to_string();
            assert!(created <= last_created, "newest first");
            last_created = created;
            assert!(
                seen.insert(w["workerId"].as_str().unwrap().to_string()),
                "duplicate"
            );
        }
        pages += 1;
        match body.get("continuationToken").and_then(|t| t.as_str()) {
            Some(t) => {
                assert_eq!(workers.len(), 1000);
                token = Some(t.to_string());
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), WORKERS);
    assert_eq!(pages, WORKERS / 1000);
}

//! An interrupted `wm-contract server` run (Ctrl-C) cleans up after itself: every pool under its
//! prefix is deleted, pools of others are left alone, and the run ends with
//! `RunError::Interrupted` (the binary exits 130).

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use worker_manager_contract::server::{self, Config, Credentials, RunError, PREFIX_START};
use worker_manager_mock::scenario::rules::Rule;
use worker_manager_mock::MockServer;

/// A mock whose every call is slow (so a run is still going when interrupted), with one pool of
/// somebody else's, and anonymous read access for the test's own checks.
async fn slow_mock() -> MockServer {
    let slow: Rule = serde_json::from_value(json!({
        "name": "slow", "match": {}, "action": {"type": "latency", "ms": 5}
    }))
    .expect("a valid rule");
    let server = MockServer::builder()
        .anonymous_scopes([
            "worker-manager:list-worker-pools",
            "worker-manager:get-worker-pool:*",
        ])
        .start()
        .await
        .expect("mock starts");
    let (id, token) = server.root_credentials();
    let created = taskcluster::WorkerManager::new(
        taskcluster::ClientBuilder::new(server.root_url()).credentials(taskcluster::Credentials {
            client_id: id,
            access_token: token,
            certificate: None,
        }),
    )
    .expect("client")
    .createWorkerPool(
        "someone/else",
        &json!({"providerId": "null-provider", "description": "", "config": {},
                "owner": "me@example.com", "emailOnError": false}),
    )
    .await;
    assert!(created.is_ok(), "{created:?}");
    server.service().add_rules(&[slow]);
    server
}

/// Pool ids the mock lists (every page).
async fn pool_ids(server: &MockServer) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{}/api/worker-manager/v1/worker-pools", server.root_url());
        if let Some(t) = &token {
            url = format!("{url}?continuationToken={t}");
        }
        let page: Value = reqwest::get(url)
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        for p in page["workerPools"].as_array().expect("pools") {
            ids.push(p["workerPoolId"].as_str().expect("id").to_string());
        }
        match page["continuationToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return ids,
        }
    }
}

fn ours(ids: &[String]) -> Vec<&String> {
    ids.iter()
        .filter(|id| id.starts_with(PREFIX_START))
        .collect()
}

/// Interrupted once the run has created pools: they are swept, the other pool stays.
#[tokio::test]
async fn an_interrupted_run_sweeps_its_prefix() {
    let server = slow_mock().await;
    let (client_id, access_token) = server.root_credentials();
    let mut config = Config::new(server.root_url());
    config.credentials = Some(Credentials {
        client_id,
        access_token,
    });
    config.cases = 50;
    let interrupt = async {
        loop {
            if !ours(&pool_ids(&server).await).is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let result = server::run_until(&config, interrupt).await;
    let Err(RunError::Interrupted { prefix, cleanup }) = result else {
        panic!("expected an interrupted run, got {result:?}");
    };
    assert!(prefix.starts_with(PREFIX_START), "{prefix}");
    assert!(!cleanup.deleted.is_empty(), "{cleanup:?}");
    assert!(cleanup.failed.is_empty(), "{cleanup:?}");
    assert!(cleanup
        .deleted
        .iter()
        .all(|p| p.starts_with(&format!("{prefix}/"))));
    let after = pool_ids(&server).await;
    // Deleted pools move to null-provider and stay listed until their workers are gone; what
    // matters is that every pool of the run was deleted, and the other pool was not touched.
    for id in ours(&after) {
        let pool: Value = reqwest::get(format!(
            "{}/api/worker-manager/v1/worker-pool/{}",
            server.root_url(),
            id.replace('/', "%2F")
        ))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
        assert_eq!(pool["providerId"], "null-provider", "{id}: {pool}");
    }
    assert!(after.contains(&"someone/else".to_string()), "{after:?}");
}

/// The binary: SIGINT during a run exits 130 after the sweep, which it reports.
#[cfg(unix)]
#[tokio::test]
async fn sigint_exits_130_after_cleaning_up() {
    let server = slow_mock().await;
    let (client_id, access_token) = server.root_credentials();
    let child = Command::new(env!("CARGO_BIN_EXE_wm-contract"))
        .args(["server", "--cases", "50", "--root-url", &server.root_url()])
        .env("TASKCLUSTER_CLIENT_ID", client_id)
        .env("TASKCLUSTER_ACCESS_TOKEN", access_token)
        .env("CI", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wm-contract starts");
    loop {
        if !ours(&pool_ids(&server).await).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted; clean-up of wm-contract-"),
        "{stderr}"
    );
    assert!(stderr.contains("0 failed"), "{stderr}");
}

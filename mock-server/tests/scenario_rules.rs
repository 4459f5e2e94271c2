//! Scenario rules change what the mock answers, exactly as loaded, observed by real clients.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use taskcluster::{ClientBuilder, Credentials, Retry, WorkerManager};
use worker_manager_mock::scenario::rules::Rule;
use worker_manager_mock::MockServer;

fn rules(json: &str) -> Vec<Rule> {
    serde_json::from_str(json).expect("rules parse")
}

fn tc(server: &MockServer, retries: usize) -> WorkerManager {
    let (id, token) = server.root_credentials();
    WorkerManager::new(
        ClientBuilder::new(server.root_url())
            .credentials(Credentials::new(id, token))
            .retry(Retry {
                retries,
                delay_factor: Duration::from_millis(1),
                ..Retry::default()
            }),
    )
    .unwrap()
}

/// The official client's automatic retries ride out a 3-request provider outage; the journal
/// shows 3 × 503 then 200.
#[tokio::test]
async fn retries_ride_out_a_three_request_outage() {
    let api = Api::start().await;
    api.server.service().add_rules(&rules(
        r#"[{"name": "aws-down", "match": {"method": "createWorkerPool", "provider": "aws", "first": 3},
             "action": {"type": "provider-outage"}}]"#,
    ));
    let wm = tc(&api.server, 5);
    wm.createWorkerPool("proj/cloud", &pool_body("aws", aws_config()))
        .await
        .expect("succeeds after retries");
    let statuses: Vec<u16> = api
        .server
        .journal()
        .iter()
        .filter(|e| e.method.as_deref() == Some("createWorkerPool"))
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, vec![503, 503, 503, 200]);
    let outage = &api.server.journal()[0];
    assert_eq!(outage.error_code.as_deref(), Some("ProviderSetupFailed"));
    assert_eq!(outage.rules, vec!["aws-down"]);
    assert_eq!(api.server.rule_hits()[0].fired, 3);
}

/// An outage only hits methods that use the provider, at upstream's point in the checks.
#[tokio::test]
async fn outage_answers_503_only_where_the_provider_is_used() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.server.service().add_rules(&rules(
        r#"[{"match": {"provider": "static"}, "action": {"type": "provider-outage"}}]"#,
    ));
    let r = api.create_static_worker("proj/linux", "wg", "w1").await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), "Provider backend may be down or misconfigured");
    api.get("/worker-pool/proj%2Flinux").await.ok();
}

/// A client paging through forced empty pages and tiny pages still sees every item once.
#[tokio::test]
async fn paging_through_empty_and_short_pages_sees_everything() {
    let api =
        Api::with(MockServer::builder().anonymous_scopes(["worker-manager:list-worker-pools"]))
            .await;
    for i in 0..23 {
        api.create_pool(&format!("proj/p{i:02}"), "static", json!({}))
            .await
            .ok();
    }
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "listWorkerPools", "every": 3}, "action": {"type": "paging", "emptyPage": true}},
            {"match": {"method": "listWorkerPools"}, "action": {"type": "paging", "pageSize": 4}}]"#,
    ));
    let anon = api.anonymous();
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut empty_pages = 0;
    for _ in 0..100 {
        let path = match &token {
            Some(t) => format!("/worker-pools?continuationToken={t}"),
            None => "/worker-pools".into(),
        };
        let body = anon.get(&path).await.ok().clone();
        let page = body["workerPools"].as_array().unwrap();
        if page.is_empty() {
            empty_pages += 1;
        }
        assert!(page.len() <= 4);
        ids.extend(
            page.iter()
                .map(|p| p["workerPoolId"].as_str().unwrap().to_string()),
        );
        match body.get("continuationToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let want: Vec<String> = (0..23).map(|i| format!("proj/p{i:02}")).collect();
    assert_eq!(ids, want);
    assert!(empty_pages >= 2, "empty pages were served");
}

/// Upstream's offset tokens: a pool deleted between pages makes the next page skip one item.
#[tokio::test]
async fn offset_tokens_shift_like_upstream() {
    let api = Api::start().await;
    for i in 0..6 {
        api.create_pool(&format!("proj/p{i}"), "static", json!({}))
            .await
            .ok();
    }
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "listWorkerPools"}, "action": {"type": "paging", "offsetTokens": true}}]"#,
    ));
    let first = api.get("/worker-pools?limit=3").await.ok().clone();
    let token = first["continuationToken"].as_str().unwrap().to_string();
    api.server.service().store().remove_pool("proj/p0");
    let second = api
        .get(&format!("/worker-pools?limit=3&continuationToken={token}"))
        .await
        .ok()
        .clone();
    let ids: Vec<&str> = second["workerPools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["workerPoolId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["proj/p4", "proj/p5"],
        "proj/p3 shifted into the first page's range"
    );
}

/// Offset tokens on a filtered worker list: every matching worker comes exactly once, newest
/// first, whether the page is filtered or not (the pager skips and probes past pages).
#[tokio::test]
async fn offset_tokens_page_filtered_worker_lists() {
    use worker_manager_mock::store::model::{Worker, WorkerState};
    let api = Api::start().await;
    api.create_pool("proj/st", "static", json!({})).await.ok();
    let now = api.server.service().clock.now_ms();
    {
        let svc = api.server.service();
        let mut store = svc.store();
        for i in 0..7i64 {
            let state = if i % 3 == 0 {
                WorkerState::Stopped
            } else {
                WorkerState::Running
            };
            store.insert_worker(Worker::new(
                "proj/st",
                "g",
                &format!("w{i}"),
                "static",
                state,
                now - 10 * i,
            ));
        }
    }
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "listWorkersForWorkerPool"}, "action": {"type": "paging", "offsetTokens": true}}]"#,
    ));
    for (query, want) in [
        ("state=running&limit=1", vec!["w1", "w2", "w4", "w5"]),
        ("state=running&limit=3", vec!["w1", "w2", "w4", "w5"]),
        ("limit=2", vec!["w0", "w1", "w2", "w3", "w4", "w5", "w6"]),
        ("state=stopped&limit=2", vec!["w0", "w3", "w6"]),
    ] {
        let mut got = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let path = match &token {
                Some(t) => format!("/workers/proj%2Fst?{query}&continuationToken={t}"),
                None => format!("/workers/proj%2Fst?{query}"),
            };
            let body = api.get(&path).await.ok().clone();
            for w in body["workers"].as_array().unwrap() {
                got.push(w["workerId"].as_str().unwrap().to_string());
            }
            match body["continuationToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!(got, want, "query {query}");
    }
}

/// A token used more often than allowed is refused with 400.
#[tokio::test]
async fn continuation_tokens_expire_after_n_uses() {
    let api = Api::start().await;
    for i in 0..3 {
        api.create_pool(&format!("proj/p{i}"), "static", json!({}))
            .await
            .ok();
    }
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "listWorkerPools"}, "action": {"type": "paging", "expireTokenAfter": 1}}]"#,
    ));
    let t = api.get("/worker-pools?limit=1").await.ok()["continuationToken"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/worker-pools?limit=1&continuationToken={t}");
    api.get(&path).await.ok();
    let r = api.get(&path).await;
    r.expect(400, "InputError");
    assert!(
        r.message().contains("expired after 1 uses"),
        "{}",
        r.message()
    );
}

async fn registered(api: &Api) -> Value {
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.create_static_worker("proj/linux", "wg", "w1")
        .await
        .ok();
    api.post(
        "/worker/register",
        json!({"workerPoolId": "proj/linux", "providerId": "static", "workerGroup": "wg",
               "workerId": "w1", "workerIdentityProof": {"staticSecret": SECRET}}),
    )
    .await
    .ok()
    .clone()
}

/// Short-lived credentials expire when the clock moves on; reregistering gives fresh ones.
#[tokio::test]
async fn credentials_expire_and_reregistration_renews_them() {
    let api = Api::start().await;
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": ["registerWorker", "reregisterWorker"]}, "action": {"type": "credential-lifetime", "seconds": 60}}]"#,
    ));
    let reg = registered(&api).await;
    let c = &reg["credentials"];
    let creds = |c: &Value| {
        Credentials::new_with_certificate(
            c["clientId"].as_str().unwrap(),
            c["accessToken"].as_str().unwrap(),
            c["certificate"].as_str().unwrap(),
        )
    };
    let worker = |c: &Value| {
        WorkerManager::new(
            ClientBuilder::new(api.server.root_url())
                .credentials(creds(c))
                .retry(Retry {
                    retries: 0,
                    ..Retry::default()
                }),
        )
        .unwrap()
    };
    let rereg_body = |secret: &Value| json!({"workerPoolId": "proj/linux", "workerGroup": "wg", "workerId": "w1", "secret": secret});
    let fresh = worker(c)
        .reregisterWorker(&rereg_body(&reg["secret"]))
        .await
        .unwrap();
    api.server.clock().advance(6 * 60 * 1000);
    let err = worker(&fresh["credentials"])
        .reregisterWorker(&rereg_body(&fresh["secret"]))
        .await
        .unwrap_err();
    assert_eq!(
        taskcluster::err_status_code(&err).map(|s| s.as_u16()),
        Some(401)
    );
    // With root credentials the worker re-registers and gets working credentials again.
    let renewed = tc(&api.server, 0)
        .reregisterWorker(&rereg_body(&fresh["secret"]))
        .await
        .unwrap();
    worker(&renewed["credentials"])
        .shouldWorkerTerminate("proj/linux", "wg", "w1")
        .await
        .unwrap();
}

/// A lost reply: the secret rotates although the client saw a 500; the old secret is dead.
#[tokio::test]
async fn apply_then_fail_rotates_the_secret_but_answers_500() {
    let api = Api::start().await;
    let reg = registered(&api).await;
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "reregisterWorker", "first": 1}, "action": {"type": "apply-then-fail"}}]"#,
    ));
    let body = json!({"workerPoolId": "proj/linux", "workerGroup": "wg", "workerId": "w1", "secret": reg["secret"]});
    api.post("/worker/reregister", body.clone())
        .await
        .expect(500, "InternalServerError");
    let r = api.post("/worker/reregister", body).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Could not generate credentials for this secret"
    );
}

/// Error, raw and reset actions replace the answer and change nothing.
#[tokio::test]
async fn error_raw_and_reset_actions() {
    let api = Api::start().await;
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "createWorkerPool", "first": 1}, "action": {"type": "error", "status": 409, "code": "RequestConflict", "message": "injected"}},
            {"match": {"method": "workerPool", "first": 1}, "action": {"type": "raw", "status": 200, "headers": {"content-type": "application/json"}, "body": "{not json"}},
            {"match": {"method": "ping", "first": 1}, "action": {"type": "reset"}}]"#,
    ));
    let r = api.create_pool("proj/linux", "static", json!({})).await;
    r.expect(409, "RequestConflict");
    assert_eq!(r.message(), "injected");
    assert!(
        api.server.service().store().pool("proj/linux").is_none(),
        "nothing stored"
    );
    let raw = api
        .http
        .get(api.url("/worker-pool/proj%2Flinux"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.text().await.unwrap(), "{not json");
    assert!(
        api.http.get(api.url("/ping")).send().await.is_err(),
        "connection reset"
    );
    api.get("/ping").await.ok();
}

/// Duplicate delivery: the second createWorkerPool of a pair is idempotent, a second
/// reportWorkerError stores a second error.
#[tokio::test]
async fn duplicate_delivery_applies_twice() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "reportWorkerError"}, "action": {"type": "duplicate"}}]"#,
    ));
    api.post(
        "/worker-pool-errors/proj%2Flinux",
        json!({"workerGroup": "wg", "workerId": "w", "kind": "k", "title": "t", "description": "d", "extra": {}}),
    )
    .await
    .ok();
    let list = api
        .get("/worker-pool-errors/proj%2Flinux")
        .await
        .ok()
        .clone();
    assert_eq!(list["workerPoolErrors"].as_array().unwrap().len(), 2);
}

/// Latency delays the answer by the configured time.
#[tokio::test]
async fn latency_delays_answers() {
    let api = Api::start().await;
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "ping"}, "action": {"type": "latency", "ms": 150}}]"#,
    ));
    let start = std::time::Instant::now();
    api.get("/ping").await.ok();
    assert!(start.elapsed() >= Duration::from_millis(150));
}

/// A stale read: each matching read answers with what the same request got the previous time
/// (the first one is fresh), so an update shows one read late; clearing the rules forgets.
#[tokio::test]
async fn stale_reads_lag_one_answer_behind() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.server.service().add_rules(&rules(
        r#"[{"match": {"method": "workerPool"}, "action": {"type": "stale"}}]"#,
    ));
    let description = |v: &Value| v["description"].as_str().unwrap_or_default().to_string();
    let first = api.get("/worker-pool/proj%2Flinux").await.ok().clone();
    let mut update = pool_body("static", json!({}));
    update["description"] = json!("changed");
    api.post("/worker-pool/proj%2Flinux", update).await.ok();
    let stale = api.get("/worker-pool/proj%2Flinux").await.ok().clone();
    assert_eq!(description(&stale), description(&first), "{stale}");
    let caught_up = api.get("/worker-pool/proj%2Flinux").await.ok().clone();
    assert_eq!(description(&caught_up), "changed");
    // Other reads are not affected, and without the rule every read is fresh again.
    let listed = api.get("/worker-pools").await.ok().clone();
    assert_eq!(description(&listed["workerPools"][0]), "changed");
    api.server.service().clear_rules();
    assert_eq!(
        description(api.get("/worker-pool/proj%2Flinux").await.ok()),
        "changed"
    );
}

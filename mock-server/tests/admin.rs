//! The admin API (`/__mock__/`) and tenants, over HTTP.

mod common;

use common::*;
use serde_json::{json, Value};
use worker_manager_mock::store::model::{Worker, WorkerState};
use worker_manager_mock::MockServer;

/// Sends a request to `path` (absolute, with query) on the server, signed with root credentials
/// when `signed`.
async fn send(api: &Api, method: &str, path: &str, body: Option<Value>, signed: bool) -> Resp {
    let url = format!("{}{path}", api.server.root_url());
    let text = body.map(|b| b.to_string());
    let mut req = api.http.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        &url,
    );
    if let Some(t) = &text {
        req = req
            .header("content-type", "application/json")
            .body(t.clone());
    }
    if signed {
        let (id, token) = api.server.root_credentials();
        let creds = hawk::Credentials {
            id,
            key: hawk::Key::new(token.as_bytes(), hawk::SHA256).unwrap(),
        };
        let hash = text.as_ref().map(|t| {
            hawk::PayloadHasher::hash("application/json", hawk::SHA256, t.as_bytes()).unwrap()
        });
        let mut b =
            hawk::RequestBuilder::new(method, "127.0.0.1", api.server.address().port(), path);
        if let Some(h) = &hash {
            b = b.hash(&h[..]);
        }
        let header = b.request().make_header(&creds).unwrap();
        req = req.header("authorization", format!("Hawk {header}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    Resp {
        status,
        body,
        headers,
    }
}

/// Without credentials the admin API refuses (403); with a wrong token 401; root may use it.
#[tokio::test]
async fn admin_api_needs_root_credentials() {
    let api = Api::start().await;
    assert_eq!(
        send(&api, "GET", "/__mock__/clock", None, false)
            .await
            .status,
        403
    );
    let mut wrong = Api::start().await;
    wrong.creds = Some(("static/taskcluster/root".into(), "nope".into()));
    let r = api
        .http
        .get(format!("{}/__mock__/clock", api.server.root_url()))
        .header(
            "authorization",
            "Hawk id=\"static/taskcluster/root\", ts=\"1\", nonce=\"n\", mac=\"bad\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let ok = send(&api, "GET", "/__mock__/clock", None, true).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["frozen"], false);
}

/// The admin token opens the admin API too.
#[tokio::test]
async fn admin_token_works() {
    let api = Api::with(MockServer::builder().admin_token("letmein")).await;
    let r = api
        .http
        .get(format!("{}/__mock__/rules", api.server.root_url()))
        .header("authorization", "Bearer letmein")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bad = api
        .http
        .get(format!("{}/__mock__/rules", api.server.root_url()))
        .header("authorization", "Bearer nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
}

/// The clock can be frozen, set and advanced; worker expiry follows it.
#[tokio::test]
async fn clock_control() {
    let api = Api::start().await;
    let now = api.server.clock().now_ms();
    let r = send(
        &api,
        "POST",
        "/__mock__/clock",
        Some(json!({"freeze": true})),
        true,
    )
    .await;
    assert_eq!(r.body["frozen"], true);
    let r = send(
        &api,
        "POST",
        "/__mock__/clock",
        Some(json!({"advance": "10m"})),
        true,
    )
    .await;
    let t = worker_manager_mock::time::parse_date_time(r.body["now"].as_str().unwrap()).unwrap();
    assert!((t - now - 600_000).abs() < 5_000, "advanced by 10 minutes");
    let r = send(
        &api,
        "POST",
        "/__mock__/clock",
        Some(json!({"advance": "soon"})),
        true,
    )
    .await;
    assert_eq!(r.status, 400);
    let r = send(
        &api,
        "POST",
        "/__mock__/clock",
        Some(json!({"freeze": false, "advance": -600000})),
        true,
    )
    .await;
    assert_eq!(r.body["frozen"], false);
}

/// The journal can be filtered by method and status, and cleared.
#[tokio::test]
async fn journal_filters_and_clear() {
    let api = Api::start().await;
    api.get("/worker-pool/proj%2Fnone")
        .await
        .expect(404, "ResourceNotFound");
    api.get("/ping").await.ok();
    let r = send(
        &api,
        "GET",
        "/__mock__/journal?method=workerPool&status=404",
        None,
        true,
    )
    .await;
    let entries = r.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["errorCode"], "ResourceNotFound");
    assert_eq!(entries[0]["clientId"], "static/taskcluster/root");
    assert_eq!(entries[0]["conformed"], true);
    send(&api, "DELETE", "/__mock__/journal", None, true).await;
    let r = send(&api, "GET", "/__mock__/journal", None, true).await;
    assert_eq!(r.body["entries"].as_array().unwrap().len(), 0);
}

/// Journal bodies keep no secrets.
#[tokio::test]
async fn journal_redacts_secrets() {
    let api = Api::start().await;
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
    .ok();
    let text = serde_json::to_string(&api.server.journal()).unwrap();
    assert!(!text.contains(SECRET), "static secret leaked");
    let reg = api
        .server
        .journal()
        .into_iter()
        .find(|e| e.method.as_deref() == Some("registerWorker"))
        .unwrap();
    assert_eq!(reg.request_body, "(OMITTED)");
    let response = reg.response_json();
    assert_eq!(response["secret"], "(OMITTED)");
    assert_eq!(response["credentials"]["accessToken"], "(OMITTED)");
}

/// Reset goes back to the state the server started with, and zeroes rule counters.
#[tokio::test]
async fn reset_restores_the_initial_state() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    let r = send(&api, "POST", "/__mock__/reset", None, true).await;
    assert_eq!(r.status, 200);
    api.get("/worker-pool/proj%2Flinux")
        .await
        .expect(404, "ResourceNotFound");
}

/// Proofs for cloud workers come from the admin API and register the worker.
#[tokio::test]
async fn cloud_proofs_from_the_admin_api_register_workers() {
    let api = Api::start().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    {
        let svc = api.server.service();
        let now = svc.clock.now_ms();
        let mut store = svc.store();
        let pool = store.intern_pool_id("proj/cloud");
        store.insert_worker(Worker::new(
            &pool,
            "us-east-1",
            "i-123",
            "aws",
            WorkerState::Requested,
            now,
        ));
    }
    let proof = send(
        &api,
        "POST",
        "/__mock__/proofs",
        Some(
            json!({"workerPoolId": "proj/cloud", "workerGroup": "us-east-1", "workerId": "i-123"}),
        ),
        true,
    )
    .await;
    assert_eq!(proof.status, 200, "{}", proof.body);
    let reg = api
        .post(
            "/worker/register",
            json!({"workerPoolId": "proj/cloud", "providerId": "aws", "workerGroup": "us-east-1",
                   "workerId": "i-123", "workerIdentityProof": proof.body["workerIdentityProof"]}),
        )
        .await;
    reg.ok();
    let w = api.get("/workers/proj%2Fcloud/us-east-1/i-123").await;
    assert_eq!(w.ok()["state"], "running");
}

/// Tenants are isolated: their own state under /t/<id>, signed over the full path with the
/// server's root credentials; the main service does not see their pools.
#[tokio::test]
async fn tenants_are_isolated() {
    let api = Api::start().await;
    let t = send(
        &api,
        "POST",
        "/__mock__/tenants",
        Some(json!({"tenantId": "suite-a"})),
        true,
    )
    .await;
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(
        t.body["rootUrl"],
        format!("{}/t/suite-a", api.server.root_url())
    );
    let pool = pool_body("static", json!({}));
    let r = send(
        &api,
        "PUT",
        "/t/suite-a/api/worker-manager/v1/worker-pool/proj%2Flinux",
        Some(pool),
        true,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(
        &api,
        "GET",
        "/t/suite-a/api/worker-manager/v1/worker-pool/proj%2Flinux",
        None,
        true,
    )
    .await;
    assert_eq!(r.status, 200);
    api.get("/worker-pool/proj%2Flinux")
        .await
        .expect(404, "ResourceNotFound");
    let dup = send(
        &api,
        "POST",
        "/__mock__/tenants",
        Some(json!({"tenantId": "suite-a"})),
        true,
    )
    .await;
    assert_eq!(dup.status, 400);
    let tj = send(&api, "GET", "/t/suite-a/__mock__/journal", None, true).await;
    assert_eq!(tj.body["entries"].as_array().unwrap().len(), 2);
    let list = send(&api, "GET", "/__mock__/tenants", None, true).await;
    assert_eq!(list.body["tenants"], json!(["suite-a"]));
    assert_eq!(
        send(&api, "DELETE", "/__mock__/tenants/suite-a", None, true)
            .await
            .status,
        200
    );
    let gone = send(
        &api,
        "GET",
        "/t/suite-a/api/worker-manager/v1/ping",
        None,
        false,
    )
    .await;
    assert_eq!(gone.status, 404);
}

fn busy() -> worker_manager_mock::scenario::Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/scenarios/busy-deployment.json");
    worker_manager_mock::scenario::Scenario::load(path).unwrap()
}

/// Reset after changes gives back exactly the loaded scenario's state (compared by export).
#[tokio::test]
async fn reset_restores_exactly_the_seed() {
    let api = Api::with(MockServer::builder().scenario(busy())).await;
    let before = send(&api, "GET", "/__mock__/export", None, true).await;
    assert_eq!(before.status, 200);
    let first_pool = before.body["seed"]["workerPools"][0]["workerPoolId"]
        .as_str()
        .unwrap()
        .to_string();
    api.delete(&format!("/worker-pool/{}", enc(&first_pool)))
        .await
        .ok();
    api.create_pool("extra/pool", "static", json!({}))
        .await
        .ok();
    send(&api, "POST", "/__mock__/reset", None, true).await;
    let after = send(&api, "GET", "/__mock__/export", None, true).await;
    let strip_clock = |mut v: Value| {
        v["seed"]["clock"] = Value::Null;
        v
    };
    assert_eq!(strip_clock(before.body), strip_clock(after.body));
}

/// A malformed scenario sent to the admin API is a 400 naming the JSON pointer, and the running
/// state and rules are untouched.
#[tokio::test]
async fn malformed_scenario_is_refused_and_changes_nothing() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    let bad = json!({"rules": [{"action": {"type": "explode"}}]});
    let r = send(&api, "PUT", "/__mock__/scenario", Some(bad), true).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["code"], "InputValidationError");
    assert!(
        r.body["pointer"]
            .as_str()
            .unwrap()
            .starts_with("/rules/0/action"),
        "{}",
        r.body
    );
    assert!(r.body["message"].as_str().unwrap().contains("request body"));
    api.get("/worker-pool/proj%2Flinux").await.ok();
    let bad_seed =
        json!({"seed": {"workerPools": [{"workerPoolId": "x/y", "providerId": "nope"}]}});
    let r = send(&api, "PUT", "/__mock__/scenario", Some(bad_seed), true).await;
    assert_eq!(r.status, 400);
    api.get("/worker-pool/proj%2Flinux").await.ok();
}

/// Loading (replace) and appending scenarios through the admin API; rules are listed with hits.
#[tokio::test]
async fn scenarios_load_and_append_through_the_admin_api() {
    let api = Api::start().await;
    api.create_pool("proj/old", "static", json!({})).await.ok();
    let s = json!({"seed": {"workerPools": [{"workerPoolId": "proj/new", "providerId": "static"}]},
                   "rules": [{"name": "slow", "match": {"method": "ping"}, "action": {"type": "latency", "ms": 1}}]});
    assert_eq!(
        send(&api, "PUT", "/__mock__/scenario", Some(s), true)
            .await
            .status,
        200
    );
    api.get("/worker-pool/proj%2Fold")
        .await
        .expect(404, "ResourceNotFound");
    api.get("/worker-pool/proj%2Fnew").await.ok();
    let more =
        json!({"seed": {"workerPools": [{"workerPoolId": "proj/more", "providerId": "static"}]}});
    assert_eq!(
        send(&api, "POST", "/__mock__/scenario", Some(more), true)
            .await
            .status,
        200
    );
    api.get("/worker-pool/proj%2Fnew").await.ok();
    api.get("/worker-pool/proj%2Fmore").await.ok();
    api.get("/ping").await.ok();
    let rules = send(&api, "GET", "/__mock__/rules", None, true).await;
    assert_eq!(rules.body["rules"][0]["name"], "slow");
    assert_eq!(rules.body["rules"][0]["fired"], 1);
    send(&api, "DELETE", "/__mock__/scenario", None, true).await;
    let rules = send(&api, "GET", "/__mock__/rules", None, true).await;
    assert_eq!(rules.body["rules"], json!([]));
}

/// The same seed, clock and requests give byte-identical answers (secrets, ids, credentials).
#[tokio::test]
async fn same_seed_replays_bit_for_bit() {
    let now = worker_manager_mock::Clock::system().now_ms();
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let api = Api::with(
            MockServer::builder()
                .seed(7)
                .frozen_clock(now)
                .root_access_token("t"),
        )
        .await;
        api.create_pool("proj/linux", "static", json!({}))
            .await
            .ok();
        api.create_static_worker("proj/linux", "wg", "w1")
            .await
            .ok();
        let reg = api
            .post(
                "/worker/register",
                json!({"workerPoolId": "proj/linux", "providerId": "static", "workerGroup": "wg",
                       "workerId": "w1", "workerIdentityProof": {"staticSecret": SECRET}}),
            )
            .await;
        let err = api
            .post(
                "/worker-pool-errors/proj%2Flinux",
                json!({"workerGroup": "wg", "workerId": "w1", "kind": "k", "title": "t", "description": "d", "extra": {}}),
            )
            .await;
        bodies.push((reg.ok().clone(), err.ok().clone()));
    }
    assert_eq!(bodies[0], bodies[1]);
}

//! The admin API (`/__mock__/`) and tenants, over HTTP.

mod common;

use common::*;
use serde_json::{json, Value};
use worker_manager_mock::store::model::{ProviderData, Worker, WorkerState};
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
    assert_eq!(reg.response_body["secret"], "(OMITTED)");
    assert_eq!(reg.response_body["credentials"]["accessToken"], "(OMITTED)");
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
        store.insert_worker(Worker {
            worker_pool_id: pool,
            worker_group: "us-east-1".into(),
            worker_id: "i-123".into(),
            provider_id: "aws".into(),
            created: now,
            expires: now + 86_400_000,
            state: WorkerState::Requested,
            capacity: 1,
            last_modified: now,
            last_checked: now,
            launch_config_id: None,
            secret: None,
            provider_data: ProviderData::default(),
            seq: 0,
        });
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

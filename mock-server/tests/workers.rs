//! Workers over HTTP: createWorker, updateWorker, removeWorker, worker, shouldWorkerTerminate and both worker lists (with the legacy colon routes and paging) behave as the reference says.
mod common;
use common::*;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use worker_manager_mock::store::model::{ProviderData, Worker, WorkerKey, WorkerState};
use worker_manager_mock::time::{format_ms, parse_date_time, DAY};
use worker_manager_mock::MockServer;

/// The static pool most tests use.
const POOL: &str = "proj/linux";

/// The pattern of workerGroup and workerId, as the error message quotes it.
const IDF_RE: &str = "^([a-zA-Z0-9-_]{1,38})$";

/// The pattern of workerPoolId, as the error message quotes it.
const WPID_RE: &str = "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$";

/// A mock whose clock is frozen at the current wall-clock time (Hawk timestamps are checked
/// against the mock's clock), and that time.
async fn frozen() -> (Api, i64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    (
        Api::with(MockServer::builder().frozen_clock(now)).await,
        now,
    )
}

/// A frozen mock with the static pool [`POOL`].
async fn frozen_with_static_pool() -> (Api, i64) {
    let (api, t0) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    (api, t0)
}

/// `/workers/<pool>/<group>/<id>` with the pool encoded.
fn wpath(pool: &str, group: &str, id: &str) -> String {
    format!("/workers/{}/{group}/{id}", enc(pool))
}

/// A createWorker/updateWorker body with a static secret.
fn static_body(expires: i64, capacity: Option<u64>, secret: &str) -> Value {
    let mut b = json!({"expires": format_ms(expires), "providerInfo": {"staticSecret": secret}});
    if let Some(c) = capacity {
        b["capacity"] = c.into();
    }
    b
}

/// The `worker-full` body the mock should render.
#[allow(clippy::too_many_arguments)]
fn full(
    pool: &str,
    group: &str,
    id: &str,
    provider: &str,
    state: &str,
    capacity: u64,
    created: i64,
    expires: i64,
    last_modified: i64,
) -> Value {
    json!({
        "workerPoolId": pool,
        "workerGroup": group,
        "workerId": id,
        "providerId": provider,
        "created": format_ms(created),
        "expires": format_ms(expires),
        "state": state,
        "capacity": capacity,
        "lastModified": format_ms(last_modified),
        "lastChecked": format_ms(created),
    })
}

/// A worker record to put straight into the store.
fn stored(
    pool: &str,
    group: &str,
    id: &str,
    provider: &str,
    state: WorkerState,
    created: i64,
) -> Worker {
    Worker {
        worker_pool_id: Arc::from(pool),
        worker_group: Arc::from(group),
        worker_id: Arc::from(id),
        provider_id: provider.into(),
        created,
        expires: created + 400 * DAY,
        state,
        capacity: 1,
        last_modified: created,
        last_checked: created,
        launch_config_id: None,
        secret: None,
        provider_data: ProviderData::default().into(),
        seq: 0,
    }
}

/// Inserts workers into the mock's store.
fn insert(api: &Api, workers: Vec<Worker>) {
    let mut s = api.server.service().store();
    for w in workers {
        s.insert_worker(w);
    }
}

/// Sets a pool's hidden providerData (the testing provider's flags).
fn set_pool_provider_data(api: &Api, pool: &str, data: Value) {
    let mut s = api.server.service().store();
    let mut p = s.pool(pool).expect("pool exists").clone();
    p.provider_data = data;
    s.put_pool(p);
}

/// registerWorker of a static worker with `secret`.
async fn register(api: &Api, pool: &str, group: &str, id: &str, secret: &str) -> Resp {
    api.post(
        "/worker/register",
        json!({"workerPoolId": pool, "providerId": "static", "workerGroup": group,
               "workerId": id, "workerIdentityProof": {"staticSecret": secret}}),
    )
    .await
}

/// The worker ids of a worker-list body, in order.
fn ids(body: &Value) -> Vec<String> {
    body["workers"]
        .as_array()
        .expect("workers array")
        .iter()
        .map(|w| w["workerId"].as_str().unwrap().to_string())
        .collect()
}

/// The nine counters of a pool, from `workerPool`.
async fn counters(api: &Api, pool: &str) -> Value {
    let p = api.get(&format!("/worker-pool/{}", enc(pool))).await;
    let b = p.ok();
    json!({
        "currentCapacity": b["currentCapacity"],
        "requestedCount": b["requestedCount"], "requestedCapacity": b["requestedCapacity"],
        "runningCount": b["runningCount"], "runningCapacity": b["runningCapacity"],
        "stoppingCount": b["stoppingCount"], "stoppingCapacity": b["stoppingCapacity"],
        "stoppedCount": b["stoppedCount"], "stoppedCapacity": b["stoppedCapacity"],
    })
}

/// Counters with `running`/`stopped` values and zero elsewhere.
fn run_stop(running: (u64, u64), stopped: (u64, u64), current: u64) -> Value {
    json!({
        "currentCapacity": current,
        "requestedCount": 0, "requestedCapacity": 0,
        "runningCount": running.0, "runningCapacity": running.1,
        "stoppingCount": 0, "stoppingCapacity": 0,
        "stoppedCount": stopped.0, "stoppedCapacity": stopped.1,
    })
}

// ---------------------------------------------------------------------------------------------
// createWorker
// ---------------------------------------------------------------------------------------------

/// createWorker on a static pool answers a running worker with capacity 1, all three timestamps
/// equal to now, the expiry normalized, and nothing secret; GET shows the same record.
#[tokio::test]
async fn create_static_worker_returns_running_worker() {
    let (api, t0) = frozen_with_static_pool().await;
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            json!({"expires": "2099-03-04 05:06:07.8+01:00", "providerInfo": {"staticSecret": SECRET}}),
        )
        .await;
    let expires = parse_date_time("2099-03-04T04:06:07.800Z").unwrap();
    let want = full(POOL, "wg", "w1", "static", "running", 1, t0, expires, t0);
    assert_eq!(r.ok(), &want);
    assert_eq!(r.body["expires"], "2099-03-04T04:06:07.800Z");
    assert!(
        !r.body.to_string().contains(SECRET),
        "secret leaked: {}",
        r.body
    );
    let g = api.get(&wpath(POOL, "wg", "w1")).await;
    assert_eq!(g.ok(), &want);
    assert!(!g.body.to_string().contains(SECRET));
}

/// A new static worker counts as running: its capacity adds to runningCapacity and currentCapacity.
#[tokio::test]
async fn create_static_worker_counts_as_running() {
    let (api, t0) = frozen_with_static_pool().await;
    assert_eq!(counters(&api, POOL).await, run_stop((0, 0), (0, 0), 0));
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, Some(3), SECRET),
    )
    .await
    .ok();
    api.put(
        &wpath(POOL, "wg", "w2"),
        static_body(t0 + DAY, None, SECRET2),
    )
    .await
    .ok();
    assert_eq!(counters(&api, POOL).await, run_stop((2, 4), (0, 0), 4));
}

/// A missing pool is the first createWorker check (404), even with a past expiry and no secret.
#[tokio::test]
async fn create_worker_missing_pool_is_404_first() {
    let (api, t0) = frozen().await;
    let r = api
        .put(
            &wpath("proj/none", "wg", "w1"),
            json!({"expires": format_ms(t0 - DAY)}),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool proj/none does not exist");
}

/// An expiry in the past is refused (400 InputError) before any provider check: on a static pool
/// without a secret, on an aws pool, and while the provider is down.
#[tokio::test]
async fn create_worker_past_expiry_is_checked_before_provider() {
    let (api, t0) = frozen_with_static_pool().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    let past = json!({"expires": format_ms(t0 - 1)});
    for pool in [POOL, "proj/cloud"] {
        let r = api.put(&wpath(pool, "wg", "w1"), past.clone()).await;
        r.expect(400, "InputError");
        assert_eq!(r.message(), "worker.expires must be in the future");
    }
    api.server
        .service()
        .store()
        .set_provider_failed("static", true);
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 - DAY, None, SECRET),
        )
        .await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "worker.expires must be in the future");
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.status, 404);
}

/// A static pool needs `providerInfo.staticSecret`: without it, 400 InputError
/// `no worker staticSecret provided`, and nothing is created.
#[tokio::test]
async fn create_static_worker_without_secret_is_refused() {
    let (api, t0) = frozen_with_static_pool().await;
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            json!({"expires": format_ms(t0 + DAY)}),
        )
        .await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "no worker staticSecret provided");
    api.get(&wpath(POOL, "wg", "w1"))
        .await
        .expect(404, "ResourceNotFound");
}

/// A testing pool without the hidden flag refuses createWorker with the testing provider's text.
#[tokio::test]
async fn create_worker_on_testing_pool_is_refused() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/test", "testing", json!({}))
        .await
        .ok();
    let r = api
        .put(
            &wpath("proj/test", "wg", "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "creating workers is not supported for testing provider"
    );
}

/// Cloud and null-provider pools refuse createWorker with `not supported for this provider`.
#[tokio::test]
async fn create_worker_on_cloud_or_null_pool_is_refused() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    api.create_pool("proj/gone", "null-provider", json!({}))
        .await
        .ok();
    for pool in ["proj/cloud", "proj/gone"] {
        let r = api
            .put(
                &wpath(pool, "wg", "w1"),
                static_body(t0 + DAY, None, SECRET),
            )
            .await;
        r.expect(400, "InputError");
        assert_eq!(
            r.message(),
            "not supported for this provider",
            "pool {pool}"
        );
    }
}

/// A pool whose provider is down answers createWorker with 503 ProviderSetupFailed, before the
/// provider would look at the body.
#[tokio::test]
async fn create_worker_with_provider_down_is_503() {
    let (api, t0) = frozen_with_static_pool().await;
    api.server
        .service()
        .store()
        .set_provider_failed("static", true);
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            json!({"expires": format_ms(t0 + DAY)}),
        )
        .await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), "Provider backend may be down or misconfigured");
    api.server
        .service()
        .store()
        .set_provider_failed("static", false);
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
}

/// A pool whose provider is not configured answers createWorker with 404 naming the provider.
#[tokio::test]
async fn create_worker_with_unknown_provider_is_404() {
    let (api, t0) = frozen_with_static_pool().await;
    {
        let mut s = api.server.service().store();
        let mut p = s.pool(POOL).unwrap().clone();
        p.provider_id = "vanished".into();
        s.put_pool(p);
    }
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(
        r.message(),
        "Provider vanished for worker pool proj/linux does not exist"
    );
}

/// A workerId or workerGroup of 39 characters is a path-parameter error (400
/// InvalidRequestArguments); 38 characters are fine.
#[tokio::test]
async fn create_worker_id_length_limits() {
    let (api, t0) = frozen_with_static_pool().await;
    let long = "a".repeat(39);
    let r = api
        .put(
            &wpath(POOL, "wg", &long),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        format!("Invalid URL patterns:\nURL parameter 'workerId' given as '{long}' must match regular expression: '{IDF_RE}'")
    );
    let r = api
        .put(
            &wpath(POOL, &long, "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        format!("Invalid URL patterns:\nURL parameter 'workerGroup' given as '{long}' must match regular expression: '{IDF_RE}'")
    );
    let ok = "b".repeat(38);
    let r = api
        .put(&wpath(POOL, &ok, &ok), static_body(t0 + DAY, None, SECRET))
        .await;
    assert_eq!(r.ok()["workerId"], ok.as_str());
}

/// An extra body key fails schema validation (400 InputValidationError naming the key), and the
/// echoed payload has the static secret redacted.
#[tokio::test]
async fn create_worker_extra_key_is_input_validation_error() {
    let (api, t0) = frozen_with_static_pool().await;
    let mut body = static_body(t0 + DAY, None, SECRET);
    body["color"] = "red".into();
    let r = api.put(&wpath(POOL, "wg", "w1"), body).await;
    r.expect(400, "InputValidationError");
    assert_eq!(
        r.message(),
        format!(
            "\nSchema Validation Failed!\nRejecting Schema: {}/schemas/worker-manager/v1/create-worker-request.json#\nErrors:\n  * data must NOT have additional properties: \"color\"",
            api.server.root_url()
        )
    );
    assert_eq!(r.body["requestInfo"]["method"], "createWorker");
    assert_eq!(
        r.body["requestInfo"]["payload"]["providerInfo"]["staticSecret"],
        "(OMITTED)"
    );
    assert_eq!(r.body["requestInfo"]["payload"]["color"], "red");
    assert!(!r.body.to_string().contains(SECRET));
    api.get(&wpath(POOL, "wg", "w1"))
        .await
        .expect(404, "ResourceNotFound");
}

/// Re-creating a worker with the same provider, state and capacity answers 200 echoing the
/// request's expires/capacity with fresh timestamps, but the stored worker (expiry, secret) is
/// unchanged.
#[tokio::test]
async fn create_worker_again_is_idempotent_and_changes_nothing() {
    let (api, t0) = frozen_with_static_pool().await;
    let first = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, Some(2), SECRET),
        )
        .await;
    let original = first.ok().clone();
    api.server.clock().advance(5_000);
    let t1 = t0 + 5_000;
    let again = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + 9 * DAY, Some(2), SECRET2),
        )
        .await;
    assert_eq!(
        again.ok(),
        &full(
            POOL,
            "wg",
            "w1",
            "static",
            "running",
            2,
            t1,
            t0 + 9 * DAY,
            t1
        )
    );
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &original);
    assert_eq!(original["expires"], format_ms(t0 + DAY));
    let r = register(&api, POOL, "wg", "w1", SECRET2).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "bad staticSecret in workerIdentityProof");
    register(&api, POOL, "wg", "w1", SECRET).await.ok();
    assert_eq!(counters(&api, POOL).await, run_stop((1, 2), (0, 0), 2));
}

/// Re-creating with a different capacity is 409 `Worker already exists`, and the stored worker stays.
#[tokio::test]
async fn create_worker_again_with_other_capacity_conflicts() {
    let (api, t0) = frozen_with_static_pool().await;
    let original = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    let original = original.ok().clone();
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, Some(2), SECRET),
        )
        .await;
    r.expect(409, "RequestConflict");
    assert_eq!(r.message(), "Worker already exists");
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &original);
}

/// Re-creating a worker after removeWorker (state stopped) is 409 `Worker already exists`.
#[tokio::test]
async fn create_worker_after_remove_conflicts() {
    let (api, t0) = frozen_with_static_pool().await;
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
    assert_eq!(api.delete(&wpath(POOL, "wg", "w1")).await.ok(), &json!({}));
    let r = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(409, "RequestConflict");
    assert_eq!(r.message(), "Worker already exists");
    assert_eq!(
        api.get(&wpath(POOL, "wg", "w1")).await.ok()["state"],
        "stopped"
    );
}

/// A testing pool whose hidden providerData has `allowCreateWorker` creates a running worker.
#[tokio::test]
async fn create_worker_on_testing_pool_with_flag() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/test", "testing", json!({}))
        .await
        .ok();
    set_pool_provider_data(&api, "proj/test", json!({"allowCreateWorker": true}));
    let r = api
        .put(
            &wpath("proj/test", "wg", "w1"),
            json!({"expires": format_ms(t0 + DAY), "capacity": 4}),
        )
        .await;
    let want = full(
        "proj/test",
        "wg",
        "w1",
        "testing",
        "running",
        4,
        t0,
        t0 + DAY,
        t0,
    );
    assert_eq!(r.ok(), &want);
    assert_eq!(api.get(&wpath("proj/test", "wg", "w1")).await.ok(), &want);
}

// ---------------------------------------------------------------------------------------------
// updateWorker
// ---------------------------------------------------------------------------------------------

/// updateWorker on a static worker sets expires and capacity, keeps created, lastModified and
/// state, and rotates the secret registerWorker checks.
#[tokio::test]
async fn update_static_worker_changes_expiry_capacity_and_secret() {
    let (api, t0) = frozen_with_static_pool().await;
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, Some(4), SECRET),
    )
    .await
    .ok();
    api.server.clock().advance(60_000);
    let r = api
        .post(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + 30 * DAY, Some(7), SECRET2),
        )
        .await;
    let want = full(
        POOL,
        "wg",
        "w1",
        "static",
        "running",
        7,
        t0,
        t0 + 30 * DAY,
        t0,
    );
    assert_eq!(r.ok(), &want);
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &want);
    assert_eq!(counters(&api, POOL).await, run_stop((1, 7), (0, 0), 7));
    let old = register(&api, POOL, "wg", "w1", SECRET).await;
    old.expect(400, "InputError");
    assert_eq!(old.message(), "bad staticSecret in workerIdentityProof");
    let new = register(&api, POOL, "wg", "w1", SECRET2).await;
    assert_eq!(
        new.ok()["credentials"]["clientId"],
        "worker/static/proj/linux/wg/w1"
    );
}

/// updateWorker without `capacity` resets it to 1.
#[tokio::test]
async fn update_static_worker_without_capacity_resets_it() {
    let (api, t0) = frozen_with_static_pool().await;
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, Some(5), SECRET),
    )
    .await
    .ok();
    let r = api
        .post(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    assert_eq!(r.ok()["capacity"], 1);
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok()["capacity"], 1);
    assert_eq!(counters(&api, POOL).await, run_stop((1, 1), (0, 0), 1));
}

/// updateWorker accepts an expiry in the past (expiring the worker at once), leaving
/// lastModified as it was.
#[tokio::test]
async fn update_static_worker_accepts_past_expiry() {
    let (api, t0) = frozen_with_static_pool().await;
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
    api.server.clock().advance(1_000);
    let r = api
        .post(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 - DAY, None, SECRET),
        )
        .await;
    assert_eq!(
        r.ok(),
        &full(POOL, "wg", "w1", "static", "running", 1, t0, t0 - DAY, t0)
    );
    assert_eq!(
        api.get(&wpath(POOL, "wg", "w1")).await.ok()["expires"],
        format_ms(t0 - DAY)
    );
}

/// updateWorker checks the pool first: a missing pool is 404 `Worker pool <id> does not exist`.
#[tokio::test]
async fn update_worker_missing_pool_is_404() {
    let (api, t0) = frozen().await;
    let r = api
        .post(
            &wpath("proj/none", "wg", "w1"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool proj/none does not exist");
    assert_eq!(r.body["requestInfo"]["method"], "updateWorker");
}

/// updateWorker of a missing worker is 404 `Worker <wpid>/<wg>/<wid> does not exist`, also on a
/// testing pool (the worker check comes before the provider's refusal).
#[tokio::test]
async fn update_worker_missing_worker_is_404() {
    let (api, t0) = frozen_with_static_pool().await;
    api.create_pool("proj/test", "testing", json!({}))
        .await
        .ok();
    let r = api
        .post(
            &wpath(POOL, "wg", "nope"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker proj/linux/wg/nope does not exist");
    let r = api
        .post(
            &wpath("proj/test", "wg", "nope"),
            json!({"expires": format_ms(t0 + DAY)}),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker proj/test/wg/nope does not exist");
}

/// updateWorker with the pool's provider down is 503, checked before the worker lookup.
#[tokio::test]
async fn update_worker_with_provider_down_is_503() {
    let (api, t0) = frozen_with_static_pool().await;
    api.server
        .service()
        .store()
        .set_provider_failed("static", true);
    let r = api
        .post(
            &wpath(POOL, "wg", "nope"),
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), "Provider backend may be down or misconfigured");
}

/// updateWorker on a testing pool without `allowUpdateWorker` is refused with the testing text;
/// an aws pool refuses with `not supported for this provider`.
#[tokio::test]
async fn update_worker_refused_by_testing_and_cloud() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/test", "testing", json!({}))
        .await
        .ok();
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    insert(
        &api,
        vec![
            stored(
                "proj/test",
                "wg",
                "w1",
                "testing",
                WorkerState::Running,
                t0 - 10,
            ),
            stored(
                "proj/cloud",
                "wg",
                "w1",
                "aws",
                WorkerState::Running,
                t0 - 10,
            ),
        ],
    );
    let r = api
        .post(
            &wpath("proj/test", "wg", "w1"),
            json!({"expires": format_ms(t0 + DAY)}),
        )
        .await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "updating workers is not supported for testing provider"
    );
    let r = api
        .post(
            &wpath("proj/cloud", "wg", "w1"),
            json!({"expires": format_ms(t0 + DAY)}),
        )
        .await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "not supported for this provider");
    assert_eq!(
        api.get(&wpath("proj/test", "wg", "w1")).await.ok()["expires"],
        format_ms(t0 - 10 + 400 * DAY)
    );
}

/// A testing pool with `allowUpdateWorker` lets updateWorker change the capacity only.
#[tokio::test]
async fn update_worker_on_testing_pool_with_flag_changes_capacity_only() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/test", "testing", json!({}))
        .await
        .ok();
    set_pool_provider_data(&api, "proj/test", json!({"allowUpdateWorker": true}));
    insert(
        &api,
        vec![stored(
            "proj/test",
            "wg",
            "w1",
            "testing",
            WorkerState::Running,
            t0 - 10,
        )],
    );
    let r = api
        .post(
            &wpath("proj/test", "wg", "w1"),
            json!({"expires": format_ms(t0 + DAY), "capacity": 3}),
        )
        .await;
    let want = full(
        "proj/test",
        "wg",
        "w1",
        "testing",
        "running",
        3,
        t0 - 10,
        t0 - 10 + 400 * DAY,
        t0 - 10,
    );
    assert_eq!(r.ok(), &want);
    assert_eq!(api.get(&wpath("proj/test", "wg", "w1")).await.ok(), &want);
}

/// Deliberate difference: updateWorker of a static worker without `providerInfo` is a 400
/// InputValidationError (upstream crashes with 500), and the worker is left alone.
#[tokio::test]
async fn update_static_worker_without_secret_is_input_validation_error() {
    let (api, t0) = frozen_with_static_pool().await;
    let original = api
        .put(
            &wpath(POOL, "wg", "w1"),
            static_body(t0 + DAY, Some(2), SECRET),
        )
        .await;
    let original = original.ok().clone();
    let r = api
        .post(
            &wpath(POOL, "wg", "w1"),
            json!({"expires": format_ms(t0 + 5 * DAY), "capacity": 3}),
        )
        .await;
    r.expect(400, "InputValidationError");
    assert!(
        r.message().contains("staticSecret"),
        "message: {}",
        r.message()
    );
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &original);
    register(&api, POOL, "wg", "w1", SECRET).await.ok();
}

// ---------------------------------------------------------------------------------------------
// removeWorker
// ---------------------------------------------------------------------------------------------

/// removeWorker on a static worker answers 200 `{}` (again on a second call), stops it without
/// touching lastModified, keeps it listed, and moves the counters from running to stopped.
#[tokio::test]
async fn remove_static_worker_stops_it() {
    let (api, t0) = frozen_with_static_pool().await;
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, Some(3), SECRET),
    )
    .await
    .ok();
    assert_eq!(counters(&api, POOL).await, run_stop((1, 3), (0, 0), 3));
    api.server.clock().advance(7_000);
    let r = api.delete(&wpath(POOL, "wg", "w1")).await;
    assert_eq!(r.ok(), &json!({}));
    let want = full(POOL, "wg", "w1", "static", "stopped", 3, t0, t0 + DAY, t0);
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &want);
    assert_eq!(counters(&api, POOL).await, run_stop((0, 0), (1, 3), 0));
    let again = api.delete(&wpath(POOL, "wg", "w1")).await;
    assert_eq!(again.ok(), &json!({}));
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &want);
    assert_eq!(counters(&api, POOL).await, run_stop((0, 0), (1, 3), 0));
    let list = api.get(&format!("/workers/{}", enc(POOL))).await;
    assert_eq!(list.ok(), &json!({"workers": [want]}));
    let r = register(&api, POOL, "wg", "w1", SECRET).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "worker is not running");
    // The stopped worker's secret, never read again, is forgotten with its provider data.
    let store = api.server.service().store();
    let stored = store.worker(&WorkerKey::new(POOL, "wg", "w1")).unwrap();
    assert_eq!(stored.provider_data.static_secret, None);
    assert!(!stored.provider_data.is_boxed());
}

/// removeWorker of an unknown worker is 404 `Worker not found`, whether or not the pool exists.
#[tokio::test]
async fn remove_missing_worker_is_404() {
    let (api, _) = frozen_with_static_pool().await;
    for pool in [POOL, "proj/none"] {
        let r = api.delete(&wpath(pool, "wg", "nope")).await;
        r.expect(404, "ResourceNotFound");
        assert_eq!(r.message(), "Worker not found");
        assert_eq!(r.body["requestInfo"]["method"], "removeWorker");
    }
}

/// removeWorker on a requested or running cloud worker sets `stopping` with lastModified = now; a
/// stopped one is left as it is.
#[tokio::test]
async fn remove_cloud_worker_starts_stopping() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    insert(
        &api,
        vec![
            stored(
                "proj/cloud",
                "wg",
                "req",
                "aws",
                WorkerState::Requested,
                t0 - 3_000,
            ),
            stored(
                "proj/cloud",
                "wg",
                "run",
                "aws",
                WorkerState::Running,
                t0 - 2_000,
            ),
            stored(
                "proj/cloud",
                "wg",
                "old",
                "aws",
                WorkerState::Stopped,
                t0 - 1_000,
            ),
        ],
    );
    api.server.clock().advance(4_000);
    let now = t0 + 4_000;
    for (id, created) in [("req", t0 - 3_000), ("run", t0 - 2_000)] {
        assert_eq!(
            api.delete(&wpath("proj/cloud", "wg", id)).await.ok(),
            &json!({})
        );
        let want = full(
            "proj/cloud",
            "wg",
            id,
            "aws",
            "stopping",
            1,
            created,
            created + 400 * DAY,
            now,
        );
        assert_eq!(api.get(&wpath("proj/cloud", "wg", id)).await.ok(), &want);
    }
    assert_eq!(
        api.delete(&wpath("proj/cloud", "wg", "old")).await.ok(),
        &json!({})
    );
    let old = api.get(&wpath("proj/cloud", "wg", "old")).await;
    assert_eq!(
        old.ok(),
        &full(
            "proj/cloud",
            "wg",
            "old",
            "aws",
            "stopped",
            1,
            t0 - 1_000,
            t0 - 1_000 + 400 * DAY,
            t0 - 1_000
        )
    );
    let c = counters(&api, "proj/cloud").await;
    assert_eq!(
        (c["stoppingCount"].clone(), c["stoppedCount"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(c["currentCapacity"], 2);
}

/// removeWorker uses the worker's own provider: it works after the pool is gone, answers 503
/// when that provider is down and 404 when it is not configured.
#[tokio::test]
async fn remove_worker_uses_the_workers_provider() {
    let (api, t0) = frozen().await;
    insert(
        &api,
        vec![
            stored(
                "proj/nopool",
                "wg",
                "w1",
                "aws",
                WorkerState::Running,
                t0 - 5,
            ),
            stored(
                "proj/nopool",
                "wg",
                "w2",
                "vanished",
                WorkerState::Running,
                t0 - 4,
            ),
        ],
    );
    let r = api.delete(&wpath("proj/nopool", "wg", "w2")).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(
        r.message(),
        "Provider vanished for this worker does not exist"
    );
    api.server
        .service()
        .store()
        .set_provider_failed("aws", true);
    let r = api.delete(&wpath("proj/nopool", "wg", "w1")).await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(
        api.get(&wpath("proj/nopool", "wg", "w1")).await.ok()["state"],
        "running"
    );
    api.server
        .service()
        .store()
        .set_provider_failed("aws", false);
    assert_eq!(
        api.delete(&wpath("proj/nopool", "wg", "w1")).await.ok(),
        &json!({})
    );
    assert_eq!(
        api.get(&wpath("proj/nopool", "wg", "w1")).await.ok()["state"],
        "stopping"
    );
}

/// A testing worker without `allowRemoveWorker` refuses removeWorker; with it the worker stops
/// and lastModified stays.
#[tokio::test]
async fn remove_testing_worker_needs_flag() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/test", "testing", json!({}))
        .await
        .ok();
    let mut allowed = stored(
        "proj/test",
        "wg",
        "w2",
        "testing",
        WorkerState::Running,
        t0 - 5,
    );
    allowed.provider_data.allow_remove_worker = true;
    insert(
        &api,
        vec![
            stored(
                "proj/test",
                "wg",
                "w1",
                "testing",
                WorkerState::Running,
                t0 - 5,
            ),
            allowed,
        ],
    );
    api.server.clock().advance(1_000);
    let r = api.delete(&wpath("proj/test", "wg", "w1")).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "removing workers is not supported for testing provider"
    );
    assert_eq!(
        api.get(&wpath("proj/test", "wg", "w1")).await.ok()["state"],
        "running"
    );
    assert_eq!(
        api.delete(&wpath("proj/test", "wg", "w2")).await.ok(),
        &json!({})
    );
    let w2 = api.get(&wpath("proj/test", "wg", "w2")).await;
    assert_eq!(
        w2.ok(),
        &full(
            "proj/test",
            "wg",
            "w2",
            "testing",
            "stopped",
            1,
            t0 - 5,
            t0 - 5 + 400 * DAY,
            t0 - 5
        )
    );
}

// ---------------------------------------------------------------------------------------------
// worker, shouldWorkerTerminate
// ---------------------------------------------------------------------------------------------

/// GET of an unknown worker is 404 `Worker not found`; a worker whose pool is gone is still
/// returned, with its launchConfigId when it has one.
#[tokio::test]
async fn get_worker_404_and_no_pool_check() {
    let (api, t0) = frozen().await;
    let r = api.get(&wpath(POOL, "wg", "nope")).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker not found");
    assert_eq!(r.body["requestInfo"]["method"], "worker");
    let mut w = stored(
        "proj/nopool",
        "wg",
        "w1",
        "aws",
        WorkerState::Requested,
        t0 - 9,
    );
    w.launch_config_id = Some("lc-one".into());
    insert(&api, vec![w]);
    let mut want = full(
        "proj/nopool",
        "wg",
        "w1",
        "aws",
        "requested",
        1,
        t0 - 9,
        t0 - 9 + 400 * DAY,
        t0 - 9,
    );
    want["launchConfigId"] = "lc-one".into();
    assert_eq!(api.get(&wpath("proj/nopool", "wg", "w1")).await.ok(), &want);
}

/// shouldWorkerTerminate answers `{terminate:false, reason:"none"}` for a static worker, the stored
/// decision when there is one, and 404 `Worker not found` for an unknown worker.
#[tokio::test]
async fn should_worker_terminate() {
    let (api, t0) = frozen_with_static_pool().await;
    api.put(
        &wpath(POOL, "wg", "w1"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
    let r = api
        .get(&format!("{}/should-terminate", wpath(POOL, "wg", "w1")))
        .await;
    assert_eq!(r.ok(), &json!({"terminate": false, "reason": "none"}));
    let r = api
        .get(&format!("{}/should-terminate", wpath(POOL, "wg", "nope")))
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker not found");
    assert_eq!(r.body["requestInfo"]["method"], "shouldWorkerTerminate");
    {
        let mut s = api.server.service().store();
        s.update_worker(&WorkerKey::new(POOL, "wg", "w1"), |w| {
            w.provider_data.should_terminate = Some((true, "idle too long".into()))
        })
        .unwrap();
    }
    let r = api
        .get(&format!("{}/should-terminate", wpath(POOL, "wg", "w1")))
        .await;
    assert_eq!(
        r.ok(),
        &json!({"terminate": true, "reason": "idle too long"})
    );
}

// ---------------------------------------------------------------------------------------------
// legacy colon routes
// ---------------------------------------------------------------------------------------------

/// The colon routes create, read, update and list like the normal ones.
#[tokio::test]
async fn colon_routes_behave_like_normal_ones() {
    let (api, t0) = frozen_with_static_pool().await;
    let colon = "/workers/proj%2Flinux:/wg/w1";
    let created = api.put(colon, static_body(t0 + DAY, Some(2), SECRET)).await;
    let want = full(POOL, "wg", "w1", "static", "running", 2, t0, t0 + DAY, t0);
    assert_eq!(created.ok(), &want);
    assert_eq!(api.get(colon).await.ok(), &want);
    assert_eq!(api.get(&wpath(POOL, "wg", "w1")).await.ok(), &want);
    api.server.clock().advance(1_000);
    let updated = api
        .post(colon, static_body(t0 + 2 * DAY, Some(5), SECRET2))
        .await;
    let want = full(
        POOL,
        "wg",
        "w1",
        "static",
        "running",
        5,
        t0,
        t0 + 2 * DAY,
        t0,
    );
    assert_eq!(updated.ok(), &want);
    api.put(
        &wpath(POOL, "wg", "w2"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
    api.put(
        &wpath(POOL, "other", "w3"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
    let list = api.get("/workers/proj%2Flinux:/wg").await;
    assert_eq!(ids(list.ok()), vec!["w2", "w1"]);
    let normal = api.get(&format!("/workers/{}/wg", enc(POOL))).await;
    assert_eq!(list.body, normal.body);
    let conflict = api.put(colon, static_body(t0 + DAY, Some(9), SECRET)).await;
    conflict.expect(409, "RequestConflict");
    assert_eq!(
        conflict.body["requestInfo"]["method"],
        "createWorkerWithColon"
    );
}

/// Errors on the colon routes carry the `...WithColon` method name and the decoded parameters.
#[tokio::test]
async fn colon_route_errors_name_the_colon_methods() {
    let (api, t0) = frozen_with_static_pool().await;
    let params = json!({"workerPoolId": POOL, "workerGroup": "wg", "workerId": "w9"});

    let r = api.get("/workers/proj%2Flinux:/wg/w9").await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker not found");
    assert_eq!(r.body["requestInfo"]["method"], "workerWithColon");
    assert_eq!(r.body["requestInfo"]["params"], params);

    let r = api
        .put(
            "/workers/proj%2Fnone:/wg/w9",
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool proj/none does not exist");
    assert_eq!(r.body["requestInfo"]["method"], "createWorkerWithColon");
    assert_eq!(
        r.body["requestInfo"]["payload"]["providerInfo"]["staticSecret"],
        "(OMITTED)"
    );

    let r = api
        .post(
            "/workers/proj%2Flinux:/wg/w9",
            static_body(t0 + DAY, None, SECRET),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker proj/linux/wg/w9 does not exist");
    assert_eq!(r.body["requestInfo"]["method"], "updateWorkerWithColon");
    assert_eq!(r.body["requestInfo"]["params"], params);
    assert_eq!(
        r.body["requestInfo"]["payload"]["providerInfo"]["staticSecret"],
        "(OMITTED)"
    );

    let long = "g".repeat(39);
    let r = api.get(&format!("/workers/proj%2Flinux:/{long}")).await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        format!("Invalid URL patterns:\nURL parameter 'workerGroup' given as '{long}' must match regular expression: '{IDF_RE}'")
    );
    assert_eq!(
        r.body["requestInfo"]["method"],
        "listWorkersForWorkerGroupWithColon"
    );
}

/// removeWorker has no colon variant: DELETE on the colon form reads workerPoolId `pp/ee:` and
/// answers 400 InvalidRequestArguments.
#[tokio::test]
async fn colon_delete_is_a_bad_pool_id() {
    let (api, t0) = frozen().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    api.put(
        &wpath("pp/ee", "wg", "wi"),
        static_body(t0 + DAY, None, SECRET),
    )
    .await
    .ok();
    let r = api.delete("/workers/pp%2Fee:/wg/wi").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        format!("Invalid URL patterns:\nURL parameter 'workerPoolId' given as 'pp/ee:' must match regular expression: '{WPID_RE}'")
    );
    assert_eq!(r.body["requestInfo"]["method"], "removeWorker");
    assert_eq!(r.body["requestInfo"]["params"]["workerPoolId"], "pp/ee:");
    assert_eq!(
        api.get(&wpath("pp/ee", "wg", "wi")).await.ok()["state"],
        "running"
    );
}

// ---------------------------------------------------------------------------------------------
// listWorkersForWorkerGroup, listWorkersForWorkerPool
// ---------------------------------------------------------------------------------------------

/// listWorkersForWorkerGroup has no pool check: an unknown pool gives 200 with an empty list
/// and no continuationToken.
#[tokio::test]
async fn list_group_of_unknown_pool_is_empty() {
    let (api, _) = frozen().await;
    let r = api.get(&format!("/workers/{}/wg", enc("proj/none"))).await;
    assert_eq!(r.ok(), &json!({"workers": []}));
}

/// listWorkersForWorkerGroup lists only that group's workers, newest created first, stopped ones
/// included, even when the pool is gone.
#[tokio::test]
async fn list_group_newest_first() {
    let (api, t0) = frozen_with_static_pool().await;
    for (i, id) in ["w1", "w2", "w3"].iter().enumerate() {
        api.put(&wpath(POOL, "wg", id), static_body(t0 + DAY, None, SECRET))
            .await
            .ok();
        api.put(
            &wpath(POOL, "other", &format!("o{i}")),
            static_body(t0 + DAY, None, SECRET),
        )
        .await
        .ok();
        api.server.clock().advance(1_000);
    }
    api.delete(&wpath(POOL, "wg", "w2")).await.ok();
    let r = api.get(&format!("/workers/{}/wg", enc(POOL))).await;
    let b = r.ok();
    assert_eq!(ids(b), vec!["w3", "w2", "w1"]);
    assert_eq!(
        b["workers"][1],
        full(
            POOL,
            "wg",
            "w2",
            "static",
            "stopped",
            1,
            t0 + 1_000,
            t0 + DAY,
            t0 + 1_000
        )
    );
    assert!(b.get("continuationToken").is_none());
    api.server.service().store().remove_pool(POOL);
    let r = api.get(&format!("/workers/{}/wg", enc(POOL))).await;
    assert_eq!(ids(r.ok()), vec!["w3", "w2", "w1"]);
}

/// listWorkersForWorkerGroup pages with opaque alphanumeric tokens; a token with other characters
/// is 400 `Invalid continuation token`, an undecodable alphanumeric one restarts from the top.
#[tokio::test]
async fn list_group_paging_and_tokens() {
    let (api, t0) = frozen().await;
    insert(
        &api,
        (0..5)
            .map(|i| {
                stored(
                    POOL,
                    "wg",
                    &format!("w{i}"),
                    "static",
                    WorkerState::Running,
                    t0 - i * 10,
                )
            })
            .collect(),
    );
    let base = format!("/workers/{}/wg", enc(POOL));
    let p1 = api.get(&format!("{base}?limit=2")).await;
    assert_eq!(ids(p1.ok()), vec!["w0", "w1"]);
    let t1 = p1.body["continuationToken"].as_str().unwrap().to_string();
    assert!(
        !t1.is_empty() && t1.bytes().all(|b| b.is_ascii_alphanumeric()),
        "token {t1}"
    );
    let p2 = api
        .get(&format!("{base}?limit=2&continuationToken={t1}"))
        .await;
    assert_eq!(ids(p2.ok()), vec!["w2", "w3"]);
    let t2 = p2.body["continuationToken"].as_str().unwrap().to_string();
    let p3 = api
        .get(&format!("{base}?limit=2&continuationToken={t2}"))
        .await;
    assert_eq!(
        p3.ok(),
        &json!({"workers": [p3.body["workers"][0].clone()]})
    );
    assert_eq!(ids(&p3.body), vec!["w4"]);
    let bad = api.get(&format!("{base}?continuationToken=abc-def")).await;
    bad.expect(400, "InputError");
    assert_eq!(bad.message(), "Invalid continuation token");
    let restart = api
        .get(&format!("{base}?limit=2&continuationToken=zzzzzzzzzz"))
        .await;
    assert_eq!(ids(restart.ok()), vec!["w0", "w1"]);
    let zero = api.get(&format!("{base}?limit=0")).await;
    zero.expect(400, "InputError");
    assert!(
        zero.message().starts_with("limit must be at least 1"),
        "{}",
        zero.message()
    );
    let empty = api.get(&format!("{base}?limit=")).await;
    empty.expect(400, "InvalidRequestArguments");
    assert_eq!(
        empty.message(),
        "Query-string parameter: limit=\"\" does not match expression: /^[0-9]+$/"
    );
}

/// listWorkersForWorkerPool of a missing pool is 404 `Worker Pool does not exist` (capital P).
#[tokio::test]
async fn list_pool_missing_is_404() {
    let (api, t0) = frozen().await;
    insert(
        &api,
        vec![stored(
            "proj/nopool",
            "wg",
            "w1",
            "aws",
            WorkerState::Running,
            t0,
        )],
    );
    let r = api.get(&format!("/workers/{}", enc("proj/nopool"))).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker Pool does not exist");
    assert_eq!(r.body["requestInfo"]["method"], "listWorkersForWorkerPool");
}

/// listWorkersForWorkerPool lists the pool's workers across groups, newest first, and filters by
/// `state` and `launchConfigId` (combined with AND); `state=standalone` matches nothing.
#[tokio::test]
async fn list_pool_order_and_filters() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    let mk = |group: &str, id: &str, state, created, lc: Option<&str>| {
        let mut w = stored("proj/cloud", group, id, "aws", state, created);
        w.launch_config_id = lc.map(str::to_string);
        w
    };
    insert(
        &api,
        vec![
            mk("g1", "a", WorkerState::Running, t0 - 50, Some("lc-x")),
            mk("g2", "b", WorkerState::Requested, t0 - 10, Some("lc-y")),
            mk("g1", "c", WorkerState::Stopped, t0 - 30, None),
            mk("g3", "d", WorkerState::Running, t0 - 20, Some("lc-y")),
            mk("g2", "e", WorkerState::Stopping, t0 - 40, Some("lc-x")),
            stored("proj/other", "g1", "z", "aws", WorkerState::Running, t0),
        ],
    );
    let base = format!("/workers/{}", enc("proj/cloud"));
    let all = api.get(&base).await;
    assert_eq!(ids(all.ok()), vec!["b", "d", "c", "e", "a"]);
    assert!(all.body.get("continuationToken").is_none());
    assert_eq!(all.body["workers"][0]["launchConfigId"], "lc-y");
    assert!(all.body["workers"][2].get("launchConfigId").is_none());
    let cases = [
        ("state=running", vec!["d", "a"]),
        ("state=requested", vec!["b"]),
        ("state=stopping", vec!["e"]),
        ("state=stopped", vec!["c"]),
        ("state=standalone", vec![]),
        ("launchConfigId=lc-y", vec!["b", "d"]),
        ("launchConfigId=lc-x", vec!["e", "a"]),
        ("launchConfigId=lc-none", vec![]),
        ("state=running&launchConfigId=lc-y", vec!["d"]),
        ("state=stopped&launchConfigId=lc-x", vec![]),
        ("state=running&limit=1", vec!["d"]),
    ];
    for (q, want) in cases {
        let r = api.get(&format!("{base}?{q}")).await;
        assert_eq!(ids(r.ok()), want, "query {q}");
    }
    let r = api.get(&format!("{base}?state=bogus")).await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        "Query-string parameter: state=\"bogus\" does not match expression: /^(requested|running|stopping|stopped|standalone)$/"
    );
    let r = api.get(&format!("{base}?color=red")).await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        "Query-string parameter: color is not supported!"
    );
}

/// A filtered listWorkersForWorkerPool pages over the matching workers only.
#[tokio::test]
async fn list_pool_filtered_paging() {
    let (api, t0) = frozen_with_static_pool().await;
    insert(
        &api,
        (0..10)
            .map(|i| {
                let state = if i % 2 == 0 {
                    WorkerState::Running
                } else {
                    WorkerState::Stopped
                };
                stored(POOL, "wg", &format!("w{i}"), "static", state, t0 - i * 100)
            })
            .collect(),
    );
    let base = format!("/workers/{}?state=stopped&limit=2", enc(POOL));
    let mut seen = Vec::new();
    let mut path = base.clone();
    loop {
        let r = api.get(&path).await;
        seen.extend(ids(r.ok()));
        match r.body.get("continuationToken").and_then(Value::as_str) {
            Some(t) => path = format!("{base}&continuationToken={t}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["w1", "w3", "w5", "w7", "w9"]);
}

/// Paging 2,500 workers with the default limit gives pages of 1000, 1000 and 500, newest first,
/// each worker once; a limit over 1000 is capped at 1000.
#[tokio::test]
async fn list_pool_default_limit_pages_2500_workers() {
    let (api, t0) = frozen_with_static_pool().await;
    insert(
        &api,
        (0..2500)
            .map(|i| {
                stored(
                    POOL,
                    "wg",
                    &format!("w{i}"),
                    "static",
                    WorkerState::Running,
                    t0 - i * 7,
                )
            })
            .collect(),
    );
    let base = format!("/workers/{}", enc(POOL));
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            None => base.clone(),
            Some(t) => format!("{base}?continuationToken={t}"),
        };
        let r = api.get(&path).await;
        let page = ids(r.ok());
        sizes.push(page.len());
        seen.extend(page);
        match r.body.get("continuationToken") {
            Some(t) => token = Some(t.as_str().expect("token is a string").to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "too many pages");
    }
    assert_eq!(sizes, vec![1000, 1000, 500]);
    let want: Vec<String> = (0..2500).map(|i| format!("w{i}")).collect();
    assert_eq!(seen, want);
    let capped = api.get(&format!("{base}?limit=5000")).await;
    assert_eq!(capped.ok()["workers"].as_array().unwrap().len(), 1000);
    assert!(capped.body["continuationToken"].is_string());
}

// ---------------------------------------------------------------------------------------------
// paging under concurrent changes (property)
// ---------------------------------------------------------------------------------------------

/// Changes made between two pages: workers to insert (created offsets) and workers to delete.
type Step = (Vec<i64>, Vec<Index>);

/// Pages through listWorkersForWorkerPool while inserting and deleting workers between pages, and
/// checks completeness, uniqueness and order.
async fn check_paging(
    initial: Vec<i64>,
    limit: usize,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    let api = Api::start().await;
    let t0 = api.server.clock().now_ms();
    let pool = "proj/paging";
    api.create_pool(pool, "static", json!({})).await.ok();
    let created_at = |offset: i64| t0 - offset * 1000;
    let mut live: Vec<String> = Vec::new();
    let mut next = 0usize;
    {
        let mut s = api.server.service().store();
        for off in &initial {
            let id = format!("w{next}");
            next += 1;
            s.insert_worker(stored(
                pool,
                "g",
                &id,
                "static",
                WorkerState::Running,
                created_at(*off),
            ));
            live.push(id);
        }
    }
    let initial_ids: BTreeSet<String> = live.iter().cloned().collect();
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut order: Vec<i64> = Vec::new();
    let base = format!("/workers/{}?limit={limit}", enc(pool));
    let mut token: Option<String> = None;
    let mut page = 0usize;
    loop {
        let path = match &token {
            None => base.clone(),
            Some(t) => format!("{base}&continuationToken={t}"),
        };
        let r = api.get(&path).await;
        prop_assert_eq!(r.status, 200, "body: {}", r.body);
        let workers = r.body["workers"].as_array().expect("workers").clone();
        prop_assert!(workers.len() <= limit);
        for w in &workers {
            let id = w["workerId"].as_str().unwrap().to_string();
            prop_assert!(!deleted.contains(&id), "{} listed after its deletion", id);
            prop_assert!(seen.insert(id.clone()), "{} listed twice", id);
            order.push(parse_date_time(w["created"].as_str().unwrap()).unwrap());
        }
        match r.body.get("continuationToken") {
            None => break,
            Some(t) => {
                let t = t.as_str().expect("token is a string");
                prop_assert!(!t.is_empty());
                prop_assert_eq!(workers.len(), limit, "a page with a token is full");
                token = Some(t.to_string());
            }
        }
        if let Some((inserts, deletes)) = steps.get(page) {
            let mut s = api.server.service().store();
            for off in inserts {
                let id = format!("w{next}");
                next += 1;
                s.insert_worker(stored(
                    pool,
                    "g",
                    &id,
                    "static",
                    WorkerState::Running,
                    created_at(*off),
                ));
                live.push(id);
            }
            for ix in deletes {
                if live.is_empty() {
                    break;
                }
                let id = live.swap_remove(ix.index(live.len()));
                prop_assert!(s.remove_worker(&WorkerKey::new(pool, "g", &id)).is_some());
                deleted.insert(id);
            }
        }
        page += 1;
        prop_assert!(page <= 1000, "paging does not end");
    }
    for id in initial_ids.difference(&deleted) {
        prop_assert!(seen.contains(id), "{} was never listed", id);
    }
    prop_assert!(
        order.windows(2).all(|p| p[0] >= p[1]),
        "not newest first: {:?}",
        order
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Paging listWorkersForWorkerPool while workers are inserted and deleted between pages lists
    /// every surviving initial worker exactly once, nothing twice, nothing already deleted, newest
    /// created first.
    #[test]
    fn paging_is_complete_under_concurrent_changes(
        initial in proptest::collection::vec(0i64..40, 0..120),
        limit in 1usize..25,
        steps in proptest::collection::vec(
            (proptest::collection::vec(0i64..40, 0..4), proptest::collection::vec(any::<Index>(), 0..4)),
            0..40,
        ),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(check_paging(initial, limit, steps))?;
    }
}

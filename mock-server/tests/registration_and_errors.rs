//! registerWorker, reregisterWorker, the worker pool error methods and the legacy queue views behave as the reference says.
mod common;
use common::*;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use worker_manager_mock::proofs;
use worker_manager_mock::store::model::{
    PoolError, ProviderData, QueueWorker, TaskRun, Worker, WorkerKey, WorkerState,
};
use worker_manager_mock::time::format_ms;
use worker_manager_mock::{MockServer, ProviderType};

const POOL: &str = "proj/linux";
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const NINETY_SIX_HOURS: i64 = 96 * HOUR;
const PROVISIONER_PATH: &str = "/provisioners/proj/worker-types/linux/workers";

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A mock whose clock is frozen at (about) the wall clock, so Hawk timestamps still pass; returns
/// the frozen "now".
async fn frozen() -> (Api, i64) {
    let now = wall_ms();
    let api = Api::with(MockServer::builder().frozen_clock(now)).await;
    (api, now)
}

fn register_body(pool: &str, provider: &str, group: &str, id: &str, proof: Value) -> Value {
    json!({
        "workerPoolId": pool,
        "providerId": provider,
        "workerGroup": group,
        "workerId": id,
        "workerIdentityProof": proof,
    })
}

/// registerWorker for `POOL`, group `wg`.
async fn register(api: &Api, provider: &str, id: &str, proof: Value) -> Resp {
    api.post(
        "/worker/register",
        register_body(POOL, provider, "wg", id, proof),
    )
    .await
}

/// registerWorker of static worker `wg/<id>` of `POOL` with [`SECRET`].
async fn register_static(api: &Api, id: &str) -> Resp {
    register(api, "static", id, json!({"staticSecret": SECRET})).await
}

async fn reregister(api: &Api, id: &str, secret: Value) -> Resp {
    api.post(
        "/worker/reregister",
        json!({"workerPoolId": POOL, "workerGroup": "wg", "workerId": id, "secret": secret}),
    )
    .await
}

/// A static pool `POOL` with `config` and a static worker `wg/<id>` with [`SECRET`].
async fn static_pool_with_worker(api: &Api, config: Value, id: &str) {
    api.create_pool(POOL, "static", config).await.ok();
    api.create_static_worker(POOL, "wg", id).await.ok();
}

/// A worker record as a cloud provider would have made it: `requested`, created an hour ago.
fn cloud_worker(pool: &str, provider: &str, id: &str, now: i64) -> Worker {
    Worker {
        worker_pool_id: Arc::from(pool),
        worker_group: Arc::from("wg"),
        worker_id: Arc::from(id),
        provider_id: provider.into(),
        created: now - HOUR,
        expires: now + 7 * DAY,
        state: WorkerState::Requested,
        capacity: 1,
        last_modified: now - HOUR,
        last_checked: now - HOUR,
        launch_config_id: None,
        secret: None,
        provider_data: ProviderData::default().into(),
        seq: 0,
    }
}

fn insert_worker(api: &Api, worker: Worker) {
    api.server.service().store().insert_worker(worker);
}

fn update_worker(api: &Api, pool: &str, id: &str, f: impl FnOnce(&mut Worker)) {
    let found = api
        .server
        .service()
        .store()
        .update_worker(&WorkerKey::new(pool, "wg", id), f);
    assert!(found.is_some(), "worker {pool}/wg/{id} exists");
}

async fn get_worker(api: &Api, pool: &str, id: &str) -> Value {
    api.get(&format!("/workers/{}/wg/{id}", enc(pool)))
        .await
        .ok()
        .clone()
}

fn is_url_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is a string: {v}"))
}

/// The ten scopes of a worker's credentials, in the reference's order.
fn worker_scopes(pool: &str, group: &str, id: &str) -> Value {
    json!([
        format!("assume:worker-type:{pool}"),
        format!("assume:worker-pool:{pool}"),
        format!("assume:worker-id:{group}/{id}"),
        format!("queue:worker-id:{group}/{id}"),
        format!("secrets:get:worker-type:{pool}"),
        format!("secrets:get:worker-pool:{pool}"),
        format!("queue:claim-work:{pool}"),
        format!("worker-manager:remove-worker:{pool}/{group}/{id}"),
        format!("worker-manager:reregister-worker:{pool}/{group}/{id}"),
        format!("worker-manager:should-worker-terminate:{pool}/{group}/{id}"),
    ])
}

/// Checks the `credentials.certificate` of a register/reregister response.
#[track_caller]
fn assert_certificate(body: &Value, group: &str, id: &str, now: i64, expires: i64) {
    let text = str_of(&body["credentials"]["certificate"], "certificate");
    let cert: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("certificate is JSON ({e}): {text}"));
    assert_eq!(cert["version"], json!(1), "certificate: {text}");
    assert_eq!(
        cert["scopes"],
        worker_scopes(POOL, group, id),
        "certificate: {text}"
    );
    assert_eq!(
        cert["start"],
        json!(now - 15 * MINUTE),
        "certificate: {text}"
    );
    assert_eq!(cert["expiry"], json!(expires), "certificate: {text}");
    let seed = str_of(&cert["seed"], "seed");
    assert_eq!(seed.len(), 44, "certificate: {text}");
    assert!(is_url_safe(seed), "certificate: {text}");
    let signature = str_of(&cert["signature"], "signature");
    assert_eq!(
        signature.len(),
        44,
        "base64 of an HMAC-SHA256, certificate: {text}"
    );
    assert_eq!(
        cert["issuer"], "static/taskcluster/worker-manager",
        "certificate: {text}"
    );
}

/// A 22-character slugid-shaped id for hand-made errors.
fn slug(i: u8) -> String {
    format!("errorid{}QACAAAAAAAAAAA", (b'a' + i) as char)
}

fn pool_error(
    pool: &str,
    i: u8,
    reported: i64,
    title: &str,
    extra: Value,
    lc: Option<&str>,
) -> PoolError {
    PoolError {
        error_id: slug(i),
        worker_pool_id: pool.to_string(),
        reported,
        kind: "worker-error".into(),
        title: title.into(),
        description: "d".into(),
        extra,
        launch_config_id: lc.map(str::to_string),
        seq: 0,
    }
}

fn report_body(id: &str, kind: &str, extra: Value) -> Value {
    json!({
        "workerGroup": "wg",
        "workerId": id,
        "kind": kind,
        "title": "it broke",
        "description": "a longer text",
        "extra": extra,
    })
}

async fn report(api: &Api, pool: &str, id: &str) -> Resp {
    api.post(
        &format!("/worker-pool-errors/{}", enc(pool)),
        report_body(id, "boot-failure", json!({})),
    )
    .await
}

fn queue_worker(group: &str, id: &str, now: i64) -> QueueWorker {
    QueueWorker {
        worker_pool_id: POOL.into(),
        worker_group: group.into(),
        worker_id: id.into(),
        expires: now + DAY,
        first_claim: now - 2 * HOUR,
        quarantine_until: now - HOUR,
        quarantine_details: Vec::new(),
        recent_tasks: Vec::new(),
        last_date_active: None,
    }
}

fn put_queue_worker(api: &Api, q: QueueWorker) {
    api.server.service().store().put_queue_worker(q);
}

fn task(n: u8, run: u32) -> TaskRun {
    TaskRun {
        task_id: format!("task{n}xxxQACAAAAAAAAAAA"),
        run_id: run,
    }
}

/// The `group/id` of each listWorkers entry for query `q`.
async fn listed(api: &Api, q: &str) -> Vec<String> {
    ids_of(&api.get(&format!("{PROVISIONER_PATH}{q}")).await.ok()["workers"])
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}/{}",
                str_of(&w["workerGroup"], "group"),
                str_of(&w["workerId"], "id")
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// registerWorker: static success
// ---------------------------------------------------------------------------------------------

/// A static register answers expires = now + 96 h, the worker's clientId, a 43-character URL-safe
/// accessToken, `{}` as workerConfig and a 44-character secret, and changes nothing on the worker.
#[tokio::test]
async fn static_register_default_response() {
    let (api, now) = frozen().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    let before = get_worker(&api, POOL, "w1").await;
    let r = register_static(&api, "w1").await;
    let body = r.ok();
    assert_eq!(body["expires"], format_ms(now + NINETY_SIX_HOURS));
    assert_eq!(
        body["credentials"]["clientId"],
        "worker/static/proj/linux/wg/w1"
    );
    let token = str_of(&body["credentials"]["accessToken"], "accessToken");
    assert_eq!(token.len(), 43, "{token}");
    assert!(is_url_safe(token), "{token}");
    assert_eq!(body["workerConfig"], json!({}));
    let secret = str_of(&body["secret"], "secret");
    assert_eq!(secret.len(), 44, "{secret}");
    assert!(is_url_safe(secret), "{secret}");
    assert_ne!(secret, SECRET);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        4,
        "only expires, credentials, workerConfig, secret: {body}"
    );
    // static: no state or lastModified change
    assert_eq!(get_worker(&api, POOL, "w1").await, before);
}

/// The static expiry follows the pool's `lifecycle.reregistrationTimeout` (seconds), and 0 means the
/// 96-hour default.
#[tokio::test]
async fn static_register_expiry_follows_pool_lifecycle() {
    let (api, now) = frozen().await;
    static_pool_with_worker(
        &api,
        json!({"lifecycle": {"reregistrationTimeout": 3600}}),
        "w1",
    )
    .await;
    let r = register_static(&api, "w1").await;
    assert_eq!(r.ok()["expires"], format_ms(now + 3_600_000));

    let other = "proj/zero";
    api.create_pool(
        other,
        "static",
        json!({"lifecycle": {"reregistrationTimeout": 0}}),
    )
    .await
    .ok();
    api.create_static_worker(other, "wg", "w1").await.ok();
    let r = api
        .post(
            "/worker/register",
            register_body(other, "static", "wg", "w1", json!({"staticSecret": SECRET})),
        )
        .await;
    assert_eq!(r.ok()["expires"], format_ms(now + NINETY_SIX_HOURS));
}

/// The credential certificate is a JSON string with version 1, the ten scopes in order, start = now
/// − 15 min, expiry = expires, a 44-character seed, a signature and the worker-manager issuer.
#[tokio::test]
async fn static_register_certificate_fields() {
    let (api, now) = frozen().await;
    static_pool_with_worker(
        &api,
        json!({"lifecycle": {"reregistrationTimeout": 3600}}),
        "w1",
    )
    .await;
    let r = register_static(&api, "w1").await;
    assert_certificate(r.ok(), "wg", "w1", now, now + 3_600_000);
}

/// The credentials handed out authenticate against the mock through the official client and carry
/// the worker's scopes: the worker may report an error for itself but not for another worker.
#[tokio::test]
async fn registered_credentials_work_for_the_worker_only() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    let body = register_static(&api, "w1").await.ok().clone();
    let c = &body["credentials"];
    let creds = taskcluster::Credentials::new_with_certificate(
        str_of(&c["clientId"], "clientId"),
        str_of(&c["accessToken"], "accessToken"),
        str_of(&c["certificate"], "certificate"),
    );
    let wm = taskcluster::WorkerManager::new(
        taskcluster::ClientBuilder::new(api.server.root_url())
            .retry(taskcluster::Retry {
                retries: 0,
                ..taskcluster::Retry::default()
            })
            .credentials(creds),
    )
    .unwrap();
    let own = wm
        .reportWorkerError(POOL, &report_body("w1", "boot", json!({})))
        .await
        .expect("a worker may report for itself");
    assert_eq!(own["extra"]["workerId"], "w1");
    let err = wm
        .reportWorkerError(POOL, &report_body("w2", "boot", json!({})))
        .await
        .unwrap_err();
    assert_eq!(
        taskcluster::err_status_code(&err).map(|s| s.as_u16()),
        Some(403),
        "{err:?}"
    );
}

/// registerWorker is public: it works without any credentials.
#[tokio::test]
async fn register_needs_no_credentials() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    let anon = api.anonymous();
    let r = register_static(&anon, "w1").await;
    assert_eq!(
        r.ok()["credentials"]["clientId"],
        "worker/static/proj/linux/wg/w1"
    );
}

/// workerConfig is the pool's current `config.workerConfig` at register time, not the one the pool
/// had when the worker was created.
#[tokio::test]
async fn static_register_returns_current_pool_worker_config() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({"workerConfig": {"a": 1}}), "w1").await;
    let r = register_static(&api, "w1").await;
    assert_eq!(r.ok()["workerConfig"], json!({"a": 1}));
    api.post(
        &format!("/worker-pool/{}", enc(POOL)),
        pool_body("static", json!({"workerConfig": {"b": [2, 3]}})),
    )
    .await
    .ok();
    let r = register_static(&api, "w1").await;
    assert_eq!(r.ok()["workerConfig"], json!({"b": [2, 3]}));
}

/// Every register makes a new secret and the earlier one stops working for reregisterWorker.
#[tokio::test]
async fn every_register_replaces_the_secret() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    let first = register_static(&api, "w1").await.ok()["secret"].clone();
    let second = register_static(&api, "w1").await.ok()["secret"].clone();
    assert_ne!(first, second);
    let r = reregister(&api, "w1", first).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Could not generate credentials for this secret"
    );
    reregister(&api, "w1", second).await.ok();
}

/// A worker of a pool that moved from static to another provider still registers with providerId
/// static (previousProviderIds), while a provider the pool never had is refused.
#[tokio::test]
async fn previous_provider_may_still_register() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    api.post(
        &format!("/worker-pool/{}", enc(POOL)),
        pool_body("testing", json!({})),
    )
    .await
    .ok();
    let r = register_static(&api, "w1").await;
    assert_eq!(
        r.ok()["credentials"]["clientId"],
        "worker/static/proj/linux/wg/w1"
    );
    let r = register(&api, "aws", "w1", json!({"staticSecret": SECRET})).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Worker pool proj/linux not associated with provider aws"
    );
}

// ---------------------------------------------------------------------------------------------
// registerWorker: errors
// ---------------------------------------------------------------------------------------------

/// The registerWorker errors come in the reference's order, each with its exact message: removing
/// one cause at a time reveals the next.
#[tokio::test]
async fn register_errors_in_reference_order() {
    let (api, now) = frozen().await;
    let proof = json!({"staticSecret": SECRET2});

    let r = register(&api, "nope", "w1", proof.clone()).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool proj/linux does not exist");

    api.create_pool(POOL, "static", json!({})).await.ok();
    let r = register(&api, "nope", "w1", proof.clone()).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Provider nope does not exist");

    let r = register(&api, "aws", "w1", proof.clone()).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Worker pool proj/linux not associated with provider aws"
    );

    let r = register(&api, "static", "w1", proof.clone()).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(
        r.message(),
        "Worker wg/w1 in worker pool proj/linux does not exist"
    );

    api.create_static_worker(POOL, "wg", "w1").await.ok();
    update_worker(&api, POOL, "w1", |w| {
        w.expires = now - 1;
        w.provider_id = "testing".into();
        w.state = WorkerState::Stopped;
    });
    let r = register(&api, "static", "w1", proof.clone()).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Worker wg/w1 has expired");

    update_worker(&api, POOL, "w1", |w| w.expires = now + DAY);
    let r = register(&api, "static", "w1", proof.clone()).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Worker wg/w1 does not have provider static");

    update_worker(&api, POOL, "w1", |w| w.provider_id = "static".into());
    let r = register(&api, "static", "w1", json!({"token": "x"})).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "worker is not running");

    update_worker(&api, POOL, "w1", |w| w.state = WorkerState::Running);
    let r = register(&api, "static", "w1", json!({"token": "x"})).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "missing staticSecret in workerIdentityProof");

    let r = register(&api, "static", "w1", proof).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "bad staticSecret in workerIdentityProof");

    register_static(&api, "w1").await.ok();
}

/// A static worker stopped through removeWorker can no longer register: `worker is not running`.
#[tokio::test]
async fn removed_static_worker_cannot_register() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    api.delete(&format!("/workers/{}/wg/w1", enc(POOL)))
        .await
        .ok();
    let r = register_static(&api, "w1").await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "worker is not running");
}

/// The worker key includes the pool: the same group/id in another pool is "does not exist".
#[tokio::test]
async fn worker_of_another_pool_is_not_found() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    api.create_pool("proj/other", "static", json!({}))
        .await
        .ok();
    let r = api
        .post(
            "/worker/register",
            register_body(
                "proj/other",
                "static",
                "wg",
                "w1",
                json!({"staticSecret": SECRET}),
            ),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(
        r.message(),
        "Worker wg/w1 in worker pool proj/other does not exist"
    );
}

/// A provider whose setup failed gives 503, after the unknown-provider check and before the
/// association check.
#[tokio::test]
async fn register_with_failed_provider_is_503() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    api.server
        .service()
        .store()
        .set_provider_failed("aws", true);
    let r = register(&api, "aws", "w1", json!({"staticSecret": SECRET})).await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), "Provider backend may be down or misconfigured");
    let r = register(&api, "nope", "w1", json!({"staticSecret": SECRET})).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Provider nope does not exist");
}

/// An empty proof and a proof mixing two shapes fail schema validation, and the error body replaces
/// the whole payload with "(OMITTED)".
#[tokio::test]
async fn register_proof_schema_errors_and_redaction() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    for proof in [
        json!({}),
        json!({"staticSecret": SECRET, "token": "x"}),
        json!({"document": "d", "token": "x"}),
        json!({"staticSecret": "short"}),
    ] {
        let r = register(&api, "static", "w1", proof.clone()).await;
        r.expect(400, "InputValidationError");
        assert!(
            r.message().contains("register-worker-request.json#"),
            "{proof}: {}",
            r.message()
        );
        assert_eq!(r.body["requestInfo"]["payload"], "(OMITTED)", "{proof}");
        assert_eq!(r.body["requestInfo"]["method"], "registerWorker");
    }
    // handler errors are redacted too
    let r = register(&api, "static", "w1", json!({"staticSecret": SECRET2})).await;
    r.expect(400, "InputError");
    assert_eq!(r.body["requestInfo"]["payload"], "(OMITTED)");
    assert!(!r.body.to_string().contains(SECRET2));
}

// ---------------------------------------------------------------------------------------------
// registerWorker: cloud and testing providers
// ---------------------------------------------------------------------------------------------

async fn cloud_pool(api: &Api, provider: &str, pool: &str) {
    let config = if provider == "aws" {
        aws_config()
    } else {
        json!({"minCapacity": 0, "maxCapacity": 5, "launchConfigs": []})
    };
    api.create_pool(pool, provider, config).await.ok();
}

/// A `requested` aws worker registers with the proof the mock issued for it: it becomes running
/// with lastModified = now, gets a 96 h expiry; a second register is refused.
#[tokio::test]
async fn aws_register_with_issued_proof() {
    let (api, now) = frozen().await;
    cloud_pool(&api, "aws", POOL).await;
    insert_worker(&api, cloud_worker(POOL, "aws", "i-1", now));
    let proof = proofs::issue(
        api.server.service().proof_key(),
        ProviderType::Aws,
        POOL,
        "wg",
        "i-1",
    )
    .unwrap();
    let r = register(&api, "aws", "i-1", proof.clone()).await;
    let body = r.ok();
    assert_eq!(body["expires"], format_ms(now + NINETY_SIX_HOURS));
    assert_eq!(
        body["credentials"]["clientId"],
        "worker/aws/proj/linux/wg/i-1"
    );
    assert_eq!(body["workerConfig"], json!({}));
    let w = get_worker(&api, POOL, "i-1").await;
    assert_eq!(w["state"], "running");
    assert_eq!(w["lastModified"], format_ms(now));
    assert_eq!(w["created"], format_ms(now - HOUR));

    let r = register(&api, "aws", "i-1", proof).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "This worker is either stopped or running. No need to register"
    );
}

/// Cloud registration uses the worker's stored reregistration timeout and workerConfig.
#[tokio::test]
async fn cloud_register_uses_stored_timeout_and_worker_config() {
    let (api, now) = frozen().await;
    cloud_pool(&api, "aws", POOL).await;
    let mut w = cloud_worker(POOL, "aws", "i-1", now);
    w.provider_data.reregistration_timeout_ms = Some(2 * HOUR);
    w.provider_data.worker_config = Some(json!({"shell": "bash"}));
    insert_worker(&api, w);
    let proof = proofs::issue(
        api.server.service().proof_key(),
        ProviderType::Aws,
        POOL,
        "wg",
        "i-1",
    )
    .unwrap();
    let body = register(&api, "aws", "i-1", proof).await.ok().clone();
    assert_eq!(body["expires"], format_ms(now + 2 * HOUR));
    assert_eq!(body["workerConfig"], json!({"shell": "bash"}));
    let r = reregister(&api, "i-1", body["secret"].clone()).await;
    assert_eq!(r.ok()["expires"], format_ms(now + 2 * HOUR));
}

/// aws refusals: a proof for another worker is "Instance validation error", a tampered signature is
/// "Instance identity document validation error", a document without signature is the shape error;
/// the worker stays requested.
#[tokio::test]
async fn aws_register_refusals() {
    let (api, now) = frozen().await;
    cloud_pool(&api, "aws", POOL).await;
    insert_worker(&api, cloud_worker(POOL, "aws", "i-1", now));
    let key = api.server.service().proof_key().to_vec();
    let other = proofs::issue(&key, ProviderType::Aws, POOL, "wg", "i-2").unwrap();
    let r = register(&api, "aws", "i-1", other).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Instance validation error");

    let mut tampered = proofs::issue(&key, ProviderType::Aws, POOL, "wg", "i-1").unwrap();
    tampered["signature"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let r = register(&api, "aws", "i-1", tampered).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Instance identity document validation error");

    let good = proofs::issue(&key, ProviderType::Aws, POOL, "wg", "i-1").unwrap();
    let r = register(&api, "aws", "i-1", json!({"document": good["document"]})).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Request must include both a document (string) and a signature"
    );

    let r = register(&api, "aws", "i-1", json!({"staticSecret": SECRET})).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Request must include both a document (string) and a signature"
    );

    assert_eq!(get_worker(&api, POOL, "i-1").await["state"], "requested");
    register(&api, "aws", "i-1", good).await.ok();
}

/// google and azure: the issued proof registers a requested worker (running, lastModified = now);
/// every refusal (second register, foreign or tampered proof) is the provider's one message.
#[tokio::test]
async fn google_and_azure_register() {
    let (api, now) = frozen().await;
    let key = api.server.service().proof_key().to_vec();
    for (provider, kind, msg, field) in [
        (
            "google",
            ProviderType::Google,
            "Token validation error",
            "token",
        ),
        (
            "azure",
            ProviderType::Azure,
            "Signature validation error",
            "document",
        ),
    ] {
        let pool = format!("proj/{provider}");
        cloud_pool(&api, provider, &pool).await;
        insert_worker(&api, cloud_worker(&pool, provider, "vm-1", now));
        let reg = |proof: Value| {
            api.post(
                "/worker/register",
                register_body(&pool, provider, "wg", "vm-1", proof),
            )
        };

        let foreign = proofs::issue(&key, kind, &pool, "wg", "vm-2").unwrap();
        let r = reg(foreign).await;
        r.expect(400, "InputError");
        assert_eq!(r.message(), msg, "{provider}");

        let good = proofs::issue(&key, kind, &pool, "wg", "vm-1").unwrap();
        let text = str_of(&good[field], field);
        let (doc, _sig) = text.split_once('.').unwrap();
        let tampered =
            json!({ field: format!("{doc}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") });
        let r = reg(tampered).await;
        r.expect(400, "InputError");
        assert_eq!(r.message(), msg, "{provider}");

        let aws_shape = proofs::issue(&key, ProviderType::Aws, &pool, "wg", "vm-1").unwrap();
        let r = reg(aws_shape).await;
        r.expect(400, "InputError");
        assert_eq!(r.message(), msg, "{provider}");

        assert_eq!(
            get_worker(&api, &pool, "vm-1").await["state"],
            "requested",
            "{provider}"
        );
        let body = reg(good.clone()).await.ok().clone();
        assert_eq!(
            body["expires"],
            format_ms(now + NINETY_SIX_HOURS),
            "{provider}"
        );
        assert_eq!(
            body["credentials"]["clientId"],
            format!("worker/{provider}/{pool}/wg/vm-1")
        );
        let w = get_worker(&api, &pool, "vm-1").await;
        assert_eq!(w["state"], "running", "{provider}");
        assert_eq!(w["lastModified"], format_ms(now), "{provider}");

        let r = reg(good).await;
        r.expect(400, "InputError");
        assert_eq!(r.message(), msg, "{provider} second register");
    }
}

/// A cloud worker that is not `requested` (here stopping) cannot register even with a valid proof.
#[tokio::test]
async fn cloud_worker_not_requested_is_refused() {
    let (api, now) = frozen().await;
    cloud_pool(&api, "aws", POOL).await;
    let mut w = cloud_worker(POOL, "aws", "i-1", now);
    w.state = WorkerState::Stopping;
    insert_worker(&api, w);
    let proof = proofs::issue(
        api.server.service().proof_key(),
        ProviderType::Aws,
        POOL,
        "wg",
        "i-1",
    )
    .unwrap();
    let r = register(&api, "aws", "i-1", proof).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "This worker is either stopped or running. No need to register"
    );
    let w = get_worker(&api, POOL, "i-1").await;
    assert_eq!(w["state"], "stopping");
    assert_eq!(w["lastModified"], format_ms(now - HOUR));
}

/// The testing provider accepts any proof, sets the worker running and gives a 1 h expiry with the
/// worker's stored workerConfig.
#[tokio::test]
async fn testing_provider_accepts_any_proof() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "testing", json!({})).await.ok();
    let mut w = cloud_worker(POOL, "testing", "t1", now);
    w.provider_data.worker_config = Some(json!({"k": "v"}));
    insert_worker(&api, w);
    let r = register(&api, "testing", "t1", json!({"token": "anything"})).await;
    let body = r.ok();
    assert_eq!(body["expires"], format_ms(now + HOUR));
    assert_eq!(body["workerConfig"], json!({"k": "v"}));
    assert_eq!(
        body["credentials"]["clientId"],
        "worker/testing/proj/linux/wg/t1"
    );
    assert_eq!(get_worker(&api, POOL, "t1").await["state"], "running");
    // and again, with another shape
    register(
        &api,
        "testing",
        "t1",
        json!({"document": "x", "signature": "y"}),
    )
    .await
    .ok();
}

/// With `failRegister` set, a testing register fails with that text, yet the worker is running.
#[tokio::test]
async fn testing_provider_fail_register() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "testing", json!({})).await.ok();
    let mut w = cloud_worker(POOL, "testing", "t1", now);
    w.provider_data.fail_register = Some("the worker said no".into());
    insert_worker(&api, w);
    let r = register(&api, "testing", "t1", json!({"token": "anything"})).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "the worker said no");
    assert_eq!(get_worker(&api, POOL, "t1").await["state"], "running");
}

// ---------------------------------------------------------------------------------------------
// reregisterWorker
// ---------------------------------------------------------------------------------------------

/// reregisterWorker gives a new secret and now + 96 h even when the pool says 3600 s, with the same
/// clientId; the secret just used is dead afterwards and the new one works.
#[tokio::test]
async fn reregister_success() {
    let (api, now) = frozen().await;
    static_pool_with_worker(
        &api,
        json!({"lifecycle": {"reregistrationTimeout": 3600}}),
        "w1",
    )
    .await;
    let before = get_worker(&api, POOL, "w1").await;
    let reg = register_static(&api, "w1").await.ok().clone();
    assert_eq!(reg["expires"], format_ms(now + HOUR));
    let first = reg["secret"].clone();

    let r = reregister(&api, "w1", first.clone()).await;
    let body = r.ok().clone();
    assert_eq!(body["expires"], format_ms(now + NINETY_SIX_HOURS));
    assert_eq!(
        body["credentials"]["clientId"],
        "worker/static/proj/linux/wg/w1"
    );
    let token = str_of(&body["credentials"]["accessToken"], "accessToken");
    assert_eq!(token.len(), 43);
    assert!(is_url_safe(token));
    let second = str_of(&body["secret"], "secret");
    assert_eq!(second.len(), 44);
    assert!(is_url_safe(second));
    assert_ne!(body["secret"], first);
    assert!(body.get("workerConfig").is_none(), "{body}");

    let r = reregister(&api, "w1", first).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Could not generate credentials for this secret"
    );
    reregister(&api, "w1", body["secret"].clone()).await.ok();
    assert_eq!(
        get_worker(&api, POOL, "w1").await,
        before,
        "no state or lastModified change"
    );
}

/// The reregister certificate has the same scopes and expires at the new expiry.
#[tokio::test]
async fn reregister_certificate_fields() {
    let (api, now) = frozen().await;
    static_pool_with_worker(
        &api,
        json!({"lifecycle": {"reregistrationTimeout": 3600}}),
        "w1",
    )
    .await;
    let secret = register_static(&api, "w1").await.ok()["secret"].clone();
    let r = reregister(&api, "w1", secret).await;
    assert_certificate(r.ok(), "wg", "w1", now, now + NINETY_SIX_HOURS);
}

/// An unknown worker and a never-registered worker both get the same 400, never a 404.
#[tokio::test]
async fn reregister_unknown_or_unregistered_is_400() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    for id in ["w1", "nobody"] {
        let r = reregister(&api, id, json!(SECRET)).await;
        r.expect(400, "InputError");
        assert_eq!(
            r.message(),
            "Could not generate credentials for this secret",
            "{id}"
        );
        assert_eq!(r.body["requestInfo"]["payload"], "(OMITTED)");
    }
    // the static secret itself is not a reregistration secret
    register_static(&api, "w1").await.ok();
    let r = reregister(&api, "w1", json!(SECRET)).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.message(),
        "Could not generate credentials for this secret"
    );
}

/// A removed worker with a valid secret gets `Worker wg/w1 is not running`; an expired one gets
/// `Worker wg/w1 has expired`.
#[tokio::test]
async fn reregister_removed_or_expired_worker() {
    let (api, now) = frozen().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    api.create_static_worker(POOL, "wg", "w2").await.ok();
    let s1 = register_static(&api, "w1").await.ok()["secret"].clone();
    let s2 = register_static(&api, "w2").await.ok()["secret"].clone();

    api.delete(&format!("/workers/{}/wg/w1", enc(POOL)))
        .await
        .ok();
    let r = reregister(&api, "w1", s1).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Worker wg/w1 is not running");

    update_worker(&api, POOL, "w2", |w| w.expires = now - 1);
    let r = reregister(&api, "w2", s2).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Worker wg/w2 has expired");
}

/// A null or short secret fails schema validation (with the payload redacted).
#[tokio::test]
async fn reregister_bad_secret_shape_is_validation_error() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    for secret in [Value::Null, json!("short"), json!(format!("{SECRET}a"))] {
        let r = reregister(&api, "w1", secret.clone()).await;
        r.expect(400, "InputValidationError");
        assert!(
            r.message().contains("reregister-worker-request.json#"),
            "{secret}: {}",
            r.message()
        );
        assert_eq!(r.body["requestInfo"]["payload"], "(OMITTED)");
    }
}

// ---------------------------------------------------------------------------------------------
// reportWorkerError
// ---------------------------------------------------------------------------------------------

/// An error is stored as sent (kind not forced), `extra` gains workerGroup/workerId overwriting
/// same-named keys, reported = now, a slugid errorId, no launchConfigId for an unknown worker; the
/// list returns the same object.
#[tokio::test]
async fn report_stores_error_as_sent() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let r = api
        .post(
            &format!("/worker-pool-errors/{}", enc(POOL)),
            json!({
                "workerGroup": "wg",
                "workerId": "w9",
                "kind": "boot-failure",
                "title": "It broke",
                "description": "A longer text",
                "extra": {"code": "E42", "workerGroup": "spoofed", "workerId": "spoofed", "n": [1]},
            }),
        )
        .await;
    let body = r.ok().clone();
    let error_id = str_of(&body["errorId"], "errorId").to_string();
    assert_eq!(error_id.len(), 22);
    assert!(is_url_safe(&error_id));
    assert_eq!(
        body,
        json!({
            "workerPoolId": POOL,
            "errorId": error_id,
            "reported": format_ms(now),
            "kind": "boot-failure",
            "title": "It broke",
            "description": "A longer text",
            "extra": {"code": "E42", "workerGroup": "wg", "workerId": "w9", "n": [1]},
        })
    );
    let list = api.get(&format!("/worker-pool-errors/{}", enc(POOL))).await;
    assert_eq!(list.ok(), &json!({"workerPoolErrors": [body]}));
}

/// The error takes the launchConfigId of an existing worker with that group and id.
#[tokio::test]
async fn report_takes_launch_config_from_worker() {
    let (api, now) = frozen().await;
    cloud_pool(&api, "aws", POOL).await;
    let mut w = cloud_worker(POOL, "aws", "i-1", now);
    w.launch_config_id = Some("lc-one".into());
    insert_worker(&api, w);
    let r = report(&api, POOL, "i-1").await;
    assert_eq!(r.ok()["launchConfigId"], "lc-one");
    let r = report(&api, POOL, "i-2").await;
    assert!(r.ok().get("launchConfigId").is_none(), "{}", r.body);
}

/// `kind` has an unanchored pattern: "Bad Kind!" is accepted and stored, "BAD_KIND" is refused.
#[tokio::test]
async fn report_kind_pattern_is_unanchored() {
    let api = Api::start().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let path = format!("/worker-pool-errors/{}", enc(POOL));
    let r = api
        .post(&path, report_body("w1", "Bad Kind!", json!({})))
        .await;
    assert_eq!(r.ok()["kind"], "Bad Kind!");
    let r = api
        .post(&path, report_body("w1", "BAD_KIND", json!({})))
        .await;
    r.expect(400, "InputValidationError");
    assert!(
        r.message().contains("report-worker-error-request.json#"),
        "{}",
        r.message()
    );
}

/// reportWorkerError on a missing pool is 404 `Worker pool does not exist`; a pool whose provider is
/// not configured is 400 `Invalid Provider`; a failed provider is 503; nothing is stored.
#[tokio::test]
async fn report_errors() {
    let (api, now) = frozen().await;
    let r = report(&api, POOL, "w1").await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool does not exist");

    api.create_pool(POOL, "static", json!({})).await.ok();
    api.server
        .service()
        .store()
        .set_provider_failed("static", true);
    let r = report(&api, POOL, "w1").await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), "Provider backend may be down or misconfigured");

    {
        let mut store = api.server.service().store();
        let mut pool = store.pool(POOL).unwrap().clone();
        pool.provider_id = "gone".into();
        pool.last_modified = now;
        store.put_pool(pool);
    }
    let r = report(&api, POOL, "w1").await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Invalid Provider");

    let list = api.get(&format!("/worker-pool-errors/{}", enc(POOL))).await;
    assert_eq!(list.ok(), &json!({"workerPoolErrors": []}));
}

// ---------------------------------------------------------------------------------------------
// listWorkerPoolErrors
// ---------------------------------------------------------------------------------------------

/// Errors are listed newest first; an unknown pool is 200 with an empty list.
#[tokio::test]
async fn list_errors_newest_first() {
    let (api, _now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let mut ids = Vec::new();
    for id in ["w1", "w2", "w3"] {
        ids.push(report(&api, POOL, id).await.ok()["errorId"].clone());
        api.server.clock().advance(1000);
    }
    let list = api.get(&format!("/worker-pool-errors/{}", enc(POOL))).await;
    let got: Vec<Value> = list.ok()["workerPoolErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["errorId"].clone())
        .collect();
    ids.reverse();
    assert_eq!(got, ids);
    assert!(list.body.get("continuationToken").is_none());

    let r = api
        .get(&format!("/worker-pool-errors/{}", enc("proj/unknown")))
        .await;
    assert_eq!(r.ok(), &json!({"workerPoolErrors": []}));
}

/// The errorId and launchConfigId filters select matching errors only.
#[tokio::test]
async fn list_errors_filters() {
    let (api, now) = frozen().await;
    cloud_pool(&api, "aws", POOL).await;
    let mut w = cloud_worker(POOL, "aws", "i-1", now);
    w.launch_config_id = Some("lc-one".into());
    insert_worker(&api, w);
    let with_lc = report(&api, POOL, "i-1").await.ok().clone();
    let without = report(&api, POOL, "i-2").await.ok().clone();
    let base = format!("/worker-pool-errors/{}", enc(POOL));

    let id = str_of(&without["errorId"], "errorId");
    let r = api.get(&format!("{base}?errorId={id}")).await;
    assert_eq!(r.ok(), &json!({"workerPoolErrors": [without]}));

    let r = api.get(&format!("{base}?launchConfigId=lc-one")).await;
    assert_eq!(r.ok(), &json!({"workerPoolErrors": [with_lc]}));

    let r = api.get(&format!("{base}?launchConfigId=lc-two")).await;
    assert_eq!(r.ok(), &json!({"workerPoolErrors": []}));

    let r = api.get(&format!("{base}?errorId=nosuchid")).await;
    assert_eq!(r.ok(), &json!({"workerPoolErrors": []}));
}

/// `limit` pages the error list with an alphanumeric continuation token, omitted on the last page.
#[tokio::test]
async fn list_errors_paging() {
    let (api, _now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(report(&api, POOL, &format!("w{i}")).await.ok()["errorId"].clone());
        api.server.clock().advance(10);
    }
    ids.reverse();
    let base = format!("/worker-pool-errors/{}", enc(POOL));
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &token {
            Some(t) => format!("{base}?limit=2&continuationToken={t}"),
            None => format!("{base}?limit=2"),
        };
        let r = api.get(&path).await;
        let body = r.ok();
        let items = body["workerPoolErrors"].as_array().unwrap();
        pages += 1;
        got.extend(items.iter().map(|e| e["errorId"].clone()));
        match body.get("continuationToken") {
            Some(t) => {
                let t = str_of(t, "token");
                assert!(
                    !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "{t}"
                );
                assert_eq!(items.len(), 2);
                token = Some(t.to_string());
            }
            None => break,
        }
        assert!(pages < 10, "paging terminates");
    }
    assert_eq!(pages, 3);
    assert_eq!(got, ids);
}

// ---------------------------------------------------------------------------------------------
// workerPoolErrorStats
// ---------------------------------------------------------------------------------------------

fn day_start(t: i64) -> i64 {
    t - t.rem_euclid(DAY)
}

fn hour_start(t: i64) -> i64 {
    t - t.rem_euclid(HOUR)
}

/// Stores errors of two pools at various ages and returns their report times for `POOL`.
fn seed_errors(api: &Api, now: i64) -> Vec<i64> {
    let times = vec![
        now,
        now - 2 * HOUR,
        now - 30 * HOUR,
        now - 3 * DAY,
        now - 10 * DAY,
    ];
    let mut store = api.server.service().store();
    let specs: [(&str, Value, Option<&str>); 5] = [
        ("disk full", json!({"code": "E1"}), Some("lc-a")),
        ("disk full", json!({"code": "E1"}), None),
        ("no network", json!({}), Some("lc-a")),
        ("no network", json!({"code": "E2"}), Some("lc-b")),
        ("ancient", json!({"code": "E1"}), None),
    ];
    for (i, ((title, extra, lc), t)) in specs.into_iter().zip(&times).enumerate() {
        store.insert_error(pool_error(POOL, i as u8, *t, title, extra, lc));
    }
    store.insert_error(pool_error(
        "proj/other",
        9,
        now - HOUR,
        "disk full",
        json!({"code": "E3"}),
        None,
    ));
    times
}

/// `(key, count)` pairs of a stats map, in order.
type Counts = Vec<(String, u64)>;

fn expected_buckets(now: i64, times: &[i64]) -> (Counts, Counts) {
    let today = day_start(now);
    let days: Counts = (0..7)
        .map(|i| {
            let d = today - (6 - i) * DAY;
            let n = times.iter().filter(|t| day_start(**t) == d).count() as u64;
            (format_ms(d), n)
        })
        .collect();
    let this_hour = hour_start(now);
    let hours: Counts = (0..24)
        .map(|i| {
            let h = this_hour - (23 - i) * HOUR;
            let n = times.iter().filter(|t| hour_start(**t) == h).count() as u64;
            (format_ms(h), n)
        })
        .collect();
    (days, hours)
}

fn entries(v: &Value) -> Counts {
    v.as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .iter()
        .map(|(k, n)| {
            (
                k.clone(),
                n.as_u64().unwrap_or_else(|| panic!("a count: {n}")),
            )
        })
        .collect()
}

/// For one pool: 7 daily and 24 hourly ISO keys, oldest first; total = sum of daily; title, code
/// (extra.code or "other") and workerPool counts over all its errors; launchConfig with "unknown".
#[tokio::test]
async fn error_stats_for_one_pool() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let times = seed_errors(&api, now);
    let r = api
        .get(&format!("/worker-pool-errors/stats?workerPoolId={POOL}"))
        .await;
    let body = r.ok();
    assert_eq!(body["workerPoolId"], POOL);
    let totals = &body["totals"];
    let (days, hours) = expected_buckets(now, &times);
    assert_eq!(entries(&totals["daily"]), days);
    assert_eq!(entries(&totals["hourly"]), hours);
    assert_eq!(days.len(), 7);
    assert_eq!(hours.len(), 24);
    let daily_sum: u64 = days.iter().map(|(_, n)| n).sum();
    assert_eq!(daily_sum, 4, "the 10-day-old error is outside the window");
    assert_eq!(totals["total"], json!(daily_sum));
    assert_eq!(
        totals["title"],
        json!({"disk full": 2, "no network": 2, "ancient": 1})
    );
    assert_eq!(totals["code"], json!({"E1": 3, "E2": 1, "other": 1}));
    assert_eq!(totals["workerPool"], json!({POOL: 5}));
    assert_eq!(
        totals["launchConfig"],
        json!({"lc-a": 2, "lc-b": 1, "unknown": 2})
    );
}

/// Without workerPoolId (or with an empty one) every pool is counted and launchConfig is `{}`.
#[tokio::test]
async fn error_stats_for_all_pools() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let mut times = seed_errors(&api, now);
    times.push(now - HOUR);
    let (days, hours) = expected_buckets(now, &times);
    for path in [
        "/worker-pool-errors/stats",
        "/worker-pool-errors/stats?workerPoolId=",
    ] {
        let r = api.get(path).await;
        let body = r.ok();
        assert_eq!(body["workerPoolId"], "", "{path}");
        let totals = &body["totals"];
        assert_eq!(entries(&totals["daily"]), days, "{path}");
        assert_eq!(entries(&totals["hourly"]), hours, "{path}");
        assert_eq!(totals["total"], json!(5), "{path}");
        assert_eq!(
            totals["title"],
            json!({"disk full": 3, "no network": 2, "ancient": 1}),
            "{path}"
        );
        assert_eq!(
            totals["code"],
            json!({"E1": 3, "E2": 1, "E3": 1, "other": 1}),
            "{path}"
        );
        assert_eq!(
            totals["workerPool"],
            json!({POOL: 5, "proj/other": 1}),
            "{path}"
        );
        assert_eq!(totals["launchConfig"], json!({}), "{path}");
    }
}

/// Stats with no errors at all still list the 7 days and 24 hours with zeros.
#[tokio::test]
async fn error_stats_empty() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    let r = api
        .get(&format!("/worker-pool-errors/stats?workerPoolId={POOL}"))
        .await;
    let (days, hours) = expected_buckets(now, &[]);
    let body = r.ok();
    assert_eq!(entries(&body["totals"]["daily"]), days);
    assert_eq!(entries(&body["totals"]["hourly"]), hours);
    assert_eq!(body["totals"]["total"], json!(0));
    assert_eq!(body["totals"]["title"], json!({}));
    assert_eq!(body["totals"]["code"], json!({}));
    assert_eq!(body["totals"]["workerPool"], json!({}));
    assert_eq!(body["totals"]["launchConfig"], json!({}));
}

/// Stats for a pool that does not exist are 404.
#[tokio::test]
async fn error_stats_missing_pool_is_404() {
    let api = Api::start().await;
    let r = api
        .get("/worker-pool-errors/stats?workerPoolId=proj/missing")
        .await;
    r.expect(404, "ResourceNotFound");
}

// ---------------------------------------------------------------------------------------------
// listWorkers / getWorker (queue view)
// ---------------------------------------------------------------------------------------------

/// A queue record without a worker-manager worker is listed as standalone (capacity 0, providerId
/// none), latestTask is the last recent task, lastDateActive only when set.
#[tokio::test]
async fn list_workers_standalone_records() {
    let (api, now) = frozen().await;
    let mut a = queue_worker("wg", "a1", now);
    a.recent_tasks = vec![task(1, 0), task(2, 3)];
    a.last_date_active = Some(now - MINUTE);
    put_queue_worker(&api, a);
    put_queue_worker(&api, queue_worker("wg", "b1", now));
    let r = api.get(PROVISIONER_PATH).await;
    assert_eq!(
        r.ok(),
        &json!({"workers": [
            {
                "workerGroup": "wg", "workerId": "a1", "workerPoolId": POOL,
                "firstClaim": format_ms(now - 2 * HOUR),
                "quarantineUntil": format_ms(now - HOUR),
                "lastDateActive": format_ms(now - MINUTE),
                "state": "standalone", "capacity": 0, "providerId": "none",
                "latestTask": {"taskId": task(2, 3).task_id, "runId": 3},
            },
            {
                "workerGroup": "wg", "workerId": "b1", "workerPoolId": POOL,
                "firstClaim": format_ms(now - 2 * HOUR),
                "quarantineUntil": format_ms(now - HOUR),
                "state": "standalone", "capacity": 0, "providerId": "none",
            },
        ]})
    );
}

/// Records joined with worker-manager workers carry their state, capacity, providerId and
/// launchConfigId; workers without a queue record and records of other pools are not listed; an
/// expired record still is.
#[tokio::test]
async fn list_workers_joins_worker_manager_data() {
    let (api, now) = frozen().await;
    api.create_pool(POOL, "static", json!({})).await.ok();
    api.put(
        &format!("/workers/{}/wg/s1", enc(POOL)),
        json!({"expires": in_days(30), "capacity": 3, "providerInfo": {"staticSecret": SECRET}}),
    )
    .await
    .ok();
    api.create_static_worker(POOL, "wg", "invisible").await.ok();
    let mut c = cloud_worker(POOL, "aws", "c1", now);
    c.launch_config_id = Some("lc-x".into());
    c.capacity = 2;
    insert_worker(&api, c);
    put_queue_worker(&api, queue_worker("wg", "s1", now));
    put_queue_worker(&api, queue_worker("wg", "c1", now));
    let mut expired = queue_worker("wg", "old", now);
    expired.expires = now - DAY;
    put_queue_worker(&api, expired);
    let mut elsewhere = queue_worker("wg", "x1", now);
    elsewhere.worker_pool_id = "proj/other".into();
    put_queue_worker(&api, elsewhere);

    let r = api.get(PROVISIONER_PATH).await;
    let workers = &r.ok()["workers"];
    assert_eq!(ids_of(workers), ["wg/c1", "wg/old", "wg/s1"]);
    let c1 = &workers[0];
    assert_eq!(c1["state"], "requested");
    assert_eq!(c1["capacity"], 2);
    assert_eq!(c1["providerId"], "aws");
    assert_eq!(c1["launchConfigId"], "lc-x");
    assert_eq!(workers[1]["state"], "standalone");
    let s1 = &workers[2];
    assert_eq!(s1["state"], "running");
    assert_eq!(s1["capacity"], 3);
    assert_eq!(s1["providerId"], "static");
    assert!(s1.get("launchConfigId").is_none());
    assert!(s1.get("latestTask").is_none());
}

/// A pool with only worker-manager workers lists nothing.
#[tokio::test]
async fn list_workers_without_queue_records_is_empty() {
    let api = Api::start().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    let r = api.get(PROVISIONER_PATH).await;
    assert_eq!(r.ok(), &json!({"workers": []}));
}

/// quarantined=true keeps records quarantined until now or later; quarantined=false filters
/// nothing; workerState keeps only joined workers in that state.
#[tokio::test]
async fn list_workers_filters() {
    let (api, now) = frozen().await;
    static_pool_with_worker(&api, json!({}), "run").await;
    api.create_static_worker(POOL, "wg", "stop").await.ok();
    api.delete(&format!("/workers/{}/wg/stop", enc(POOL)))
        .await
        .ok();
    let mut q = queue_worker("wg", "quar", now);
    q.quarantine_until = now + DAY;
    put_queue_worker(&api, q);
    let mut edge = queue_worker("wg", "edge", now);
    edge.quarantine_until = now;
    put_queue_worker(&api, edge);
    put_queue_worker(&api, queue_worker("wg", "run", now));
    put_queue_worker(&api, queue_worker("wg", "stop", now));
    put_queue_worker(&api, queue_worker("wg", "solo", now));

    let all = ["wg/edge", "wg/quar", "wg/run", "wg/solo", "wg/stop"];
    assert_eq!(listed(&api, "").await, all);
    assert_eq!(listed(&api, "?quarantined=false").await, all);
    assert_eq!(
        listed(&api, "?quarantined=true").await,
        ["wg/edge", "wg/quar"]
    );
    assert_eq!(listed(&api, "?workerState=running").await, ["wg/run"]);
    assert_eq!(listed(&api, "?workerState=stopped").await, ["wg/stop"]);
    assert_eq!(
        listed(&api, "?workerState=requested").await,
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&api, "?workerState=running&quarantined=true").await,
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&api, "?quarantined=true&workerState=stopped").await,
        Vec::<String>::new()
    );
}

/// listWorkers pages with `limit`, in (group, id) order, the token omitted on the last page.
#[tokio::test]
async fn list_workers_paging() {
    let (api, now) = frozen().await;
    let mut want = Vec::new();
    for g in ["ga", "gb"] {
        for i in ["a", "b", "c"] {
            put_queue_worker(&api, queue_worker(g, i, now));
            want.push(format!("{g}/{i}"));
        }
    }
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &token {
            Some(t) => format!("{PROVISIONER_PATH}?limit=4&continuationToken={t}"),
            None => format!("{PROVISIONER_PATH}?limit=4"),
        };
        let r = api.get(&path).await;
        let body = r.ok();
        pages += 1;
        got.extend(ids_of(&body["workers"]));
        match body.get("continuationToken") {
            Some(t) => token = Some(str_of(t, "token").to_string()),
            None => break,
        }
        assert!(pages < 10, "paging terminates");
    }
    assert_eq!(pages, 2);
    assert_eq!(got, want);
}

/// getWorker returns the queue record joined with worker-manager data, with exactly the §4.24
/// fields (no actions, no created/lastModified/lastChecked) and the queue record's expires.
#[tokio::test]
async fn get_worker_body() {
    let (api, now) = frozen().await;
    static_pool_with_worker(&api, json!({}), "w1").await;
    let detail = json!({
        "clientId": "admin",
        "updatedAt": format_ms(now - HOUR),
        "quarantineUntil": format_ms(now - 30 * MINUTE),
        "quarantineInfo": "looked odd",
    });
    let mut q = queue_worker("wg", "w1", now);
    q.recent_tasks = vec![task(1, 0), task(2, 1)];
    q.quarantine_details = vec![detail.clone()];
    q.last_date_active = Some(now - MINUTE);
    put_queue_worker(&api, q);
    let r = api.get(&format!("{PROVISIONER_PATH}/wg/w1")).await;
    assert_eq!(
        r.ok(),
        &json!({
            "provisionerId": "proj",
            "workerType": "linux",
            "workerPoolId": POOL,
            "workerGroup": "wg",
            "workerId": "w1",
            "expires": format_ms(now + DAY),
            "firstClaim": format_ms(now - 2 * HOUR),
            "recentTasks": [
                {"taskId": task(1, 0).task_id, "runId": 0},
                {"taskId": task(2, 1).task_id, "runId": 1},
            ],
            "quarantineUntil": format_ms(now - HOUR),
            "quarantineDetails": [detail],
            "lastDateActive": format_ms(now - MINUTE),
            "state": "running",
            "capacity": 1,
            "providerId": "static",
        })
    );
}

/// A standalone getWorker has empty lists, state standalone, capacity 0 and providerId none.
#[tokio::test]
async fn get_worker_standalone() {
    let (api, now) = frozen().await;
    put_queue_worker(&api, queue_worker("wg", "solo", now));
    let r = api.get(&format!("{PROVISIONER_PATH}/wg/solo")).await;
    assert_eq!(
        r.ok(),
        &json!({
            "provisionerId": "proj",
            "workerType": "linux",
            "workerPoolId": POOL,
            "workerGroup": "wg",
            "workerId": "solo",
            "expires": format_ms(now + DAY),
            "firstClaim": format_ms(now - 2 * HOUR),
            "recentTasks": [],
            "quarantineUntil": format_ms(now - HOUR),
            "quarantineDetails": [],
            "state": "standalone",
            "capacity": 0,
            "providerId": "none",
        })
    );
}

/// getWorker is 404 with the queue's exact message for an expired record and for a worker known
/// only to worker-manager, but finds an expired record that is still quarantined.
#[tokio::test]
async fn get_worker_not_found_and_quarantined() {
    let (api, now) = frozen().await;
    static_pool_with_worker(&api, json!({}), "wmonly").await;
    let mut expired = queue_worker("wg", "old", now);
    expired.expires = now - 1;
    put_queue_worker(&api, expired);
    let mut quarantined = queue_worker("wg", "quar", now);
    quarantined.expires = now - DAY;
    quarantined.quarantine_until = now + DAY;
    put_queue_worker(&api, quarantined);

    for id in ["old", "wmonly", "nobody"] {
        let r = api.get(&format!("{PROVISIONER_PATH}/wg/{id}")).await;
        r.expect(404, "ResourceNotFound");
        assert_eq!(
            r.message(),
            format!(
                "Worker with workerId `{id}`, workerGroup `wg`,worker-type `linux` and \
                 provisioner `proj` not found. Are you sure it was created?"
            )
        );
    }
    let r = api.get(&format!("{PROVISIONER_PATH}/wg/quar")).await;
    let body = r.ok();
    assert_eq!(body["expires"], format_ms(now - DAY));
    assert_eq!(body["quarantineUntil"], format_ms(now + DAY));
}

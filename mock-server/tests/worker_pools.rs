//! Worker pools over HTTP: listProviders, create/update/delete/get of pools, the pool lists and stats, provider config validation and launch configurations behave as reference §1.9, §2, §3.1, §3.5 and §4.2–§4.10 say.
mod common;
use common::*;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use worker_manager_mock::store::model::{ProviderData, Worker, WorkerPool, WorkerState};
use worker_manager_mock::time::{format_ms, DAY};
use worker_manager_mock::MockServer;

/// The pattern of workerPoolId, as the error message quotes it.
const WPID_RE: &str = "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$";

/// The provider-setup message of a 503.
const DOWN: &str = "Provider backend may be down or misconfigured";

/// The message of a failed `workerPoolId` path parameter.
fn bad_wpid(value: &str) -> String {
    format!(
        "Invalid URL patterns:\nURL parameter 'workerPoolId' given as '{value}' must match regular expression: '{WPID_RE}'"
    )
}

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

/// `/worker-pool/<id encoded>`.
fn pool_path(id: &str) -> String {
    format!("/worker-pool/{}", enc(id))
}

/// `/worker-pool/<id encoded>/launch-configs` plus `query`.
fn lc_path(id: &str, query: &str) -> String {
    format!("/worker-pool/{}/launch-configs{query}", enc(id))
}

/// The nine counters with the given values.
fn counters(
    current: u64,
    requested: (u64, u64),
    running: (u64, u64),
    stopping: (u64, u64),
    stopped: (u64, u64),
) -> Value {
    json!({
        "currentCapacity": current,
        "requestedCount": requested.0, "requestedCapacity": requested.1,
        "runningCount": running.0, "runningCapacity": running.1,
        "stoppingCount": stopping.0, "stoppingCapacity": stopping.1,
        "stoppedCount": stopped.0, "stoppedCapacity": stopped.1,
    })
}

/// All nine counters 0.
fn zero() -> Value {
    counters(0, (0, 0), (0, 0), (0, 0), (0, 0))
}

/// The nine counters of a pool body (or stats entry).
fn counters_of(b: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for k in zero().as_object().unwrap().keys() {
        out.insert(k.clone(), b[k].clone());
    }
    Value::Object(out)
}

/// `a` with the fields of `b` merged in (both objects).
fn merged(a: Value, b: Value) -> Value {
    let mut a = a;
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

/// The full `worker-pool-full` body expected for `pool_body(provider, config)`.
fn expected_pool(id: &str, provider: &str, config: Value, created: i64, modified: i64) -> Value {
    merged(
        json!({
            "workerPoolId": id,
            "providerId": provider,
            "description": "a test pool",
            "config": config,
            "owner": "owner@example.com",
            "emailOnError": false,
            "created": format_ms(created),
            "lastModified": format_ms(modified),
        }),
        zero(),
    )
}

/// A worker record to put straight into the store.
fn stored(
    pool: &str,
    id: &str,
    provider: &str,
    state: WorkerState,
    capacity: u64,
    launch_config: Option<&str>,
) -> Worker {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    Worker {
        worker_pool_id: Arc::from(pool),
        worker_group: Arc::from("wg"),
        worker_id: Arc::from(id),
        provider_id: provider.into(),
        created: now,
        expires: now + 400 * DAY,
        state,
        capacity,
        last_modified: now,
        last_checked: now,
        launch_config_id: launch_config.map(str::to_string),
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

/// An aws launch config entry for `region`, with a given launchConfigId if `id` is set.
fn aws_lc(region: &str, id: Option<&str>) -> Value {
    let mut v = json!({"region": region, "launchConfig": {"ImageId": "ami-123"}});
    if let Some(id) = id {
        v["workerManager"] = json!({"launchConfigId": id});
    }
    v
}

/// An aws pool config with these launch config entries.
fn aws_with(entries: Vec<Value>) -> Value {
    json!({"minCapacity": 0, "maxCapacity": 10, "launchConfigs": entries})
}

/// The `workerPoolId`s of a list body under `key`, in order.
fn pool_ids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} array in {body}"))
        .iter()
        .map(|p| p["workerPoolId"].as_str().unwrap().to_string())
        .collect()
}

/// The launch config ids of a listWorkerPoolLaunchConfigs body, in order.
fn lc_ids(body: &Value) -> Vec<String> {
    body["workerPoolLaunchConfigs"]
        .as_array()
        .expect("workerPoolLaunchConfigs array")
        .iter()
        .map(|l| l["launchConfigId"].as_str().unwrap().to_string())
        .collect()
}

/// Whether `s` is a generated launch config id: `lc-` + 20 lower-case hex digits.
fn is_generated_lc_id(s: &str) -> bool {
    s.len() == 23
        && s.starts_with("lc-")
        && s[3..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Follows a paged list (`path` has no query, `key` names the items) with `limit`, returning every
/// page body; asserts the tokens are alphanumeric and that only the last page lacks one.
async fn all_pages(api: &Api, path: &str, limit: usize) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let url = match &token {
            Some(t) => format!("{path}?limit={limit}&continuationToken={t}"),
            None => format!("{path}?limit={limit}"),
        };
        let r = api.get(&url).await;
        let body = r.ok().clone();
        assert!(pages.len() < 100, "paging does not end");
        token = match body.get("continuationToken") {
            None => None,
            Some(Value::String(t)) => {
                assert!(
                    !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "token {t:?}"
                );
                Some(t.clone())
            }
            Some(other) => panic!("continuationToken is {other}"),
        };
        pages.push(body);
        if token.is_none() {
            return pages;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// listProviders
// ---------------------------------------------------------------------------------------------

/// listProviders lists the configured providers in configuration order as
/// `{providerId, providerType}` only, without `null-provider` and without a token.
#[tokio::test]
async fn list_providers_in_configuration_order() {
    let api = Api::start().await;
    let r = api.get("/providers").await;
    assert_eq!(
        r.ok(),
        &json!({"providers": [
            {"providerId": "static", "providerType": "static"},
            {"providerId": "aws", "providerType": "aws"},
            {"providerId": "google", "providerType": "google"},
            {"providerId": "azure", "providerType": "azure"},
            {"providerId": "testing", "providerType": "testing"},
        ]})
    );
}

/// listProviders pages by decimal offsets: a token (the end offset) only while more remain.
#[tokio::test]
async fn list_providers_pages_by_decimal_offsets() {
    let api = Api::start().await;
    let ids = |b: &Value| -> Vec<String> {
        b["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["providerId"].as_str().unwrap().to_string())
            .collect()
    };
    let p1 = api.get("/providers?limit=2").await;
    assert_eq!(ids(p1.ok()), ["static", "aws"]);
    assert_eq!(p1.body["continuationToken"], json!("2"));
    let p2 = api.get("/providers?limit=2&continuationToken=2").await;
    assert_eq!(ids(p2.ok()), ["google", "azure"]);
    assert_eq!(p2.body["continuationToken"], json!("4"));
    let p3 = api.get("/providers?limit=2&continuationToken=4").await;
    assert_eq!(
        p3.ok(),
        &json!({"providers": [{"providerId": "testing", "providerType": "testing"}]})
    );
    // A page that ends exactly at the end has no token.
    let exact = api.get("/providers?limit=5").await;
    assert_eq!(ids(exact.ok()).len(), 5);
    assert!(
        exact.body.get("continuationToken").is_none(),
        "{}",
        exact.body
    );
    // An offset without a limit uses the default page size (100).
    let rest = api.get("/providers?continuationToken=3").await;
    assert_eq!(ids(rest.ok()), ["azure", "testing"]);
    assert!(rest.body.get("continuationToken").is_none());
}

/// listProviders with `limit=0` gives an empty list and no token, and a token at or past the end
/// gives an empty list.
#[tokio::test]
async fn list_providers_zero_limit_and_token_past_end() {
    let api = Api::start().await;
    for q in [
        "?limit=0",
        "?limit=0&continuationToken=1",
        "?continuationToken=5",
        "?continuationToken=99",
        "?limit=3&continuationToken=5",
        "?continuationToken=99999999999999999999999",
    ] {
        let r = api.get(&format!("/providers{q}")).await;
        assert_eq!(r.ok(), &json!({"providers": []}), "query {q}");
    }
}

/// listProviders tokens and limits must be decimal: anything else is 400 InvalidRequestArguments.
#[tokio::test]
async fn list_providers_non_decimal_query_is_400() {
    let api = Api::start().await;
    let r = api.get("/providers?continuationToken=abc").await;
    r.expect(400, "InvalidRequestArguments");
    assert!(r.message().contains("continuationToken"), "{}", r.message());
    let r = api.get("/providers?limit=-1").await;
    r.expect(400, "InvalidRequestArguments");
    assert!(r.message().contains("limit"), "{}", r.message());
}

/// Providers whose setup failed are still listed.
#[tokio::test]
async fn list_providers_includes_failed_providers() {
    let api = Api::start().await;
    assert!(api
        .server
        .service()
        .store()
        .set_provider_failed("aws", true));
    let r = api.get("/providers?limit=2").await;
    assert_eq!(
        r.ok()["providers"],
        json!([
            {"providerId": "static", "providerType": "static"},
            {"providerId": "aws", "providerType": "aws"},
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// createWorkerPool
// ---------------------------------------------------------------------------------------------

/// createWorkerPool answers the stored pool with created == lastModified == now, zero counters and
/// a static config as sent (no launchConfigs key); workerPool returns the same body.
#[tokio::test]
async fn create_static_pool_returns_full_pool() {
    let (api, t0) = frozen().await;
    let r = api.create_pool("proj/linux", "static", json!({})).await;
    let want = expected_pool("proj/linux", "static", json!({}), t0, t0);
    assert_eq!(r.ok(), &want);
    assert!(r.body["config"].get("launchConfigs").is_none());
    let g = api.get(&pool_path("proj/linux")).await;
    assert_eq!(g.ok(), &want);
}

/// createWorkerPool stores every field of the body as sent (description, owner, emailOnError, a
/// static workerConfig) and takes a raw `/` in the id as well as `%2F`.
#[tokio::test]
async fn create_pool_stores_all_fields() {
    let (api, t0) = frozen().await;
    let body = json!({
        "providerId": "static",
        "description": "builds on linux",
        "config": {"workerConfig": {"shell": ["bash"]}, "lifecycle": {"reregistrationTimeout": 3600}},
        "owner": "team@example.org",
        "emailOnError": true,
    });
    let r = api.put("/worker-pool/proj/raw-slash", body.clone()).await;
    let want = merged(
        merged(body, zero()),
        json!({"workerPoolId": "proj/raw-slash", "created": format_ms(t0), "lastModified": format_ms(t0)}),
    );
    assert_eq!(r.ok(), &want);
    assert_eq!(api.get(&pool_path("proj/raw-slash")).await.ok(), &want);
}

/// Creating the same pool again is idempotent: 200 with the stored pool and its original
/// `created`/`lastModified`.
#[tokio::test]
async fn create_again_with_same_content_is_idempotent() {
    let (api, t0) = frozen().await;
    let first = api.create_pool("proj/linux", "static", json!({})).await;
    first.ok();
    api.server.clock().advance(5_000);
    let again = api.create_pool("proj/linux", "static", json!({})).await;
    assert_eq!(again.ok(), &first.body);
    assert_eq!(again.body["created"], json!(format_ms(t0)));
    assert_eq!(again.body["lastModified"], json!(format_ms(t0)));
}

/// Creating a pool that exists with any differing field is 409 RequestConflict
/// `Worker pool already exists`, and the stored pool is unchanged.
#[tokio::test]
async fn create_again_with_different_content_conflicts() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.server.clock().advance(1_000);
    let base = pool_body("static", json!({}));
    let variants = [
        merged(base.clone(), json!({"description": "other"})),
        merged(base.clone(), json!({"owner": "other@example.com"})),
        merged(base.clone(), json!({"emailOnError": true})),
        merged(base.clone(), json!({"config": {"workerConfig": {}}})),
        merged(base.clone(), json!({"providerId": "testing"})),
        merged(base.clone(), json!({"providerId": "null-provider"})),
    ];
    for body in variants {
        let r = api.put(&pool_path("proj/linux"), body.clone()).await;
        r.expect(409, "RequestConflict");
        assert_eq!(r.message(), "Worker pool already exists", "body {body}");
    }
    let g = api.get(&pool_path("proj/linux")).await;
    assert_eq!(
        g.ok(),
        &expected_pool("proj/linux", "static", json!({}), t0, t0)
    );
}

/// createWorkerPool with a providerId that is not configured is 400 InputError `Invalid Provider`
/// and stores nothing.
#[tokio::test]
async fn create_with_unknown_provider_is_invalid_provider() {
    let api = Api::start().await;
    let r = api.create_pool("proj/linux", "no-such", json!({})).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Invalid Provider");
    api.get(&pool_path("proj/linux"))
        .await
        .expect(404, "ResourceNotFound");
}

/// createWorkerPool with a provider whose setup failed is 503 ProviderSetupFailed, checked before
/// the config, and works again once the provider is back.
#[tokio::test]
async fn create_with_provider_down_is_503() {
    let api = Api::start().await;
    api.server
        .service()
        .store()
        .set_provider_failed("aws", true);
    let r = api.create_pool("proj/cloud", "aws", aws_config()).await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), DOWN);
    // An invalid config does not change the answer: the provider is checked first.
    let r = api
        .create_pool("proj/cloud", "aws", json!({"bogus": 1}))
        .await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), DOWN);
    api.get(&pool_path("proj/cloud"))
        .await
        .expect(404, "ResourceNotFound");
    api.server
        .service()
        .store()
        .set_provider_failed("aws", false);
    let ok = api.create_pool("proj/cloud", "aws", aws_config()).await;
    assert_eq!(ok.ok()["providerId"], json!("aws"));
}

/// A testing pool's config must be `{}`: `{bar:'extra'}` is 400 InputValidationError naming
/// config-testing.json.
#[tokio::test]
async fn create_testing_pool_with_extra_config_is_rejected() {
    let api = Api::start().await;
    let r = api
        .create_pool("proj/test", "testing", json!({"bar": "extra"}))
        .await;
    r.expect(400, "InputValidationError");
    let m = r.message();
    assert!(
        m.contains(&format!(
            "Rejecting Schema: {}/schemas/worker-manager/v1/config-testing.json#",
            api.server.root_url()
        )),
        "{m}"
    );
    assert!(m.contains("\"bar\""), "{m}");
    api.get(&pool_path("proj/test"))
        .await
        .expect(404, "ResourceNotFound");
    let ok = api.create_pool("proj/test", "testing", json!({})).await;
    assert_eq!(ok.ok()["config"], json!({}));
}

/// A static config allows only `lifecycle.reregistrationTimeout` and `workerConfig`: an unknown
/// key, a cloud lifecycle key or a too-large timeout is 400 InputValidationError naming
/// config-static.json.
#[tokio::test]
async fn create_static_pool_with_invalid_config_is_rejected() {
    let api = Api::start().await;
    for (config, needle) in [
        (json!({"foo": 1}), "\"foo\""),
        (
            json!({"lifecycle": {"queueInactivityTimeout": 7200}}),
            "\"queueInactivityTimeout\"",
        ),
        (
            json!({"lifecycle": {"reregistrationTimeout": 2_592_001}}),
            "reregistrationTimeout",
        ),
        (json!({"minCapacity": 0, "maxCapacity": 1}), "Capacity"),
    ] {
        let r = api
            .create_pool("proj/static", "static", config.clone())
            .await;
        r.expect(400, "InputValidationError");
        let m = r.message();
        assert!(
            m.contains("/schemas/worker-manager/v1/config-static.json#"),
            "{config}: {m}"
        );
        assert!(m.contains(needle), "{config}: {m}");
    }
    api.get(&pool_path("proj/static"))
        .await
        .expect(404, "ResourceNotFound");
}

/// A static lifecycle gets no defaults: the config is stored exactly as sent.
#[tokio::test]
async fn create_static_pool_inserts_no_lifecycle_defaults() {
    let api = Api::start().await;
    let r = api
        .create_pool("proj/a", "static", json!({"lifecycle": {}}))
        .await;
    assert_eq!(r.ok()["config"], json!({"lifecycle": {}}));
    let r = api
        .create_pool(
            "proj/b",
            "static",
            json!({"lifecycle": {"reregistrationTimeout": 3600}}),
        )
        .await;
    assert_eq!(
        r.ok()["config"],
        json!({"lifecycle": {"reregistrationTimeout": 3600}})
    );
}

/// An aws `lifecycle.queueInactivityTimeout` below 1200 is 400 InputValidationError whose message
/// contains `queueInactivityTimeout must be >= 1200` and names config-aws.json.
#[tokio::test]
async fn create_aws_pool_with_short_queue_inactivity_timeout_is_rejected() {
    let api = Api::start().await;
    let mut config = aws_config();
    config["lifecycle"] = json!({"queueInactivityTimeout": 60});
    let r = api.create_pool("proj/cloud", "aws", config).await;
    r.expect(400, "InputValidationError");
    let m = r.message();
    assert!(m.contains("queueInactivityTimeout must be >= 1200"), "{m}");
    assert!(
        m.contains("/schemas/worker-manager/v1/config-aws.json#"),
        "{m}"
    );
    api.get(&pool_path("proj/cloud"))
        .await
        .expect(404, "ResourceNotFound");
}

/// Cloud configs need minCapacity, maxCapacity and launchConfigs, and an aws launch config needs
/// region and launchConfig.ImageId: otherwise 400 InputValidationError naming config-<type>.json.
#[tokio::test]
async fn create_cloud_pool_with_incomplete_config_is_rejected() {
    let api = Api::start().await;
    for (provider, config) in [
        ("aws", json!({"minCapacity": 0, "maxCapacity": 1})),
        ("aws", json!({"minCapacity": 0, "launchConfigs": []})),
        (
            "aws",
            json!({"minCapacity": -1, "maxCapacity": 1, "launchConfigs": []}),
        ),
        ("aws", aws_with(vec![json!({"region": "us-east-1"})])),
        (
            "aws",
            aws_with(vec![json!({"region": "us-east-1", "launchConfig": {}})]),
        ),
        ("aws", aws_with(vec![aws_lc("us-east-1", Some("bad id!"))])),
        ("google", json!({"maxCapacity": 1, "launchConfigs": []})),
        ("azure", json!({"minCapacity": 0, "maxCapacity": 1})),
    ] {
        let r = api
            .create_pool("proj/cloud", provider, config.clone())
            .await;
        r.expect(400, "InputValidationError");
        assert!(
            r.message().contains(&format!(
                "/schemas/worker-manager/v1/config-{provider}.json#"
            )),
            "{provider} {config}: {}",
            r.message()
        );
    }
    api.get(&pool_path("proj/cloud"))
        .await
        .expect(404, "ResourceNotFound");
}

/// For aws, google and azure a present `lifecycle` gains reregistrationTimeout 345600 and
/// queueInactivityTimeout 7200 and is stored that way; given values are kept; no lifecycle is
/// added when absent.
#[tokio::test]
async fn create_cloud_pool_stores_lifecycle_defaults() {
    let api = Api::start().await;
    for (i, provider) in ["aws", "google", "azure"].iter().enumerate() {
        let id = format!("proj/cloud{i}");
        let config =
            json!({"minCapacity": 0, "maxCapacity": 1, "launchConfigs": [], "lifecycle": {}});
        let r = api.create_pool(&id, provider, config).await;
        let want = json!({"minCapacity": 0, "maxCapacity": 1,
            "lifecycle": {"reregistrationTimeout": 345_600, "queueInactivityTimeout": 7200}});
        assert_eq!(r.ok()["config"], want, "{provider}");
        assert_eq!(api.get(&pool_path(&id)).await.ok()["config"], want);
    }
    let mut config = aws_config();
    config["lifecycle"] = json!({"reregistrationTimeout": 1000, "registrationTimeout": 600});
    let r = api.create_pool("proj/given", "aws", config).await;
    assert_eq!(
        r.ok()["config"]["lifecycle"],
        json!({"reregistrationTimeout": 1000, "registrationTimeout": 600, "queueInactivityTimeout": 7200})
    );
    let r = api.create_pool("proj/none", "aws", aws_config()).await;
    assert!(r.ok()["config"].get("lifecycle").is_none(), "{}", r.body);
}

/// Re-creating a cloud pool is compared after defaults and launch-config ids are applied: the same
/// request, or one spelling out the defaults, is idempotent.
#[tokio::test]
async fn create_cloud_pool_again_compares_after_defaults() {
    let (api, _) = frozen().await;
    let mut config = aws_config();
    config["lifecycle"] = json!({});
    let first = api.create_pool("proj/cloud", "aws", config.clone()).await;
    first.ok();
    api.server.clock().advance(1_000);
    let again = api.create_pool("proj/cloud", "aws", config).await;
    assert_eq!(again.ok(), &first.body);
    let mut explicit = aws_config();
    explicit["lifecycle"] =
        json!({"reregistrationTimeout": 345_600, "queueInactivityTimeout": 7200});
    let again = api.create_pool("proj/cloud", "aws", explicit).await;
    assert_eq!(again.ok(), &first.body);
}

/// The create body allows exactly providerId, description, config, owner and emailOnError: an
/// extra key (even workerPoolId or created) or a missing one is 400 InputValidationError naming
/// create-worker-pool-request.json.
#[tokio::test]
async fn create_body_keys_are_validated() {
    let api = Api::start().await;
    let base = pool_body("static", json!({}));
    for (extra, needle) in [
        (json!({"workerPoolId": "proj/linux"}), "\"workerPoolId\""),
        (
            json!({"created": "2030-01-01T00:00:00.000Z"}),
            "\"created\"",
        ),
        (json!({"extra": 1}), "\"extra\""),
    ] {
        let r = api
            .put(&pool_path("proj/linux"), merged(base.clone(), extra))
            .await;
        r.expect(400, "InputValidationError");
        let m = r.message();
        assert!(
            m.contains("/schemas/worker-manager/v1/create-worker-pool-request.json#"),
            "{m}"
        );
        assert!(m.contains(needle), "{m}");
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("owner");
    let r = api.put(&pool_path("proj/linux"), missing).await;
    r.expect(400, "InputValidationError");
    assert!(r.message().contains("owner"), "{}", r.message());
    let r = api
        .put(
            &pool_path("proj/linux"),
            merged(base, json!({"config": []})),
        )
        .await;
    r.expect(400, "InputValidationError");
    api.get(&pool_path("proj/linux"))
        .await
        .expect(404, "ResourceNotFound");
}

/// `null-provider` is accepted as a create providerId with any config, but is still not listed
/// by listProviders.
#[tokio::test]
async fn create_with_null_provider_is_accepted() {
    let (api, t0) = frozen().await;
    let config = json!({"anything": {"goes": [1, 2]}});
    let r = api
        .create_pool("proj/null", "null-provider", config.clone())
        .await;
    assert_eq!(
        r.ok(),
        &expected_pool("proj/null", "null-provider", config, t0, t0)
    );
    let providers = api.get("/providers").await;
    assert!(!providers.ok().to_string().contains("null-provider"));
}

/// createWorkerPool's response counts workers that already exist under the pool id (the pool is
/// re-read, as in the current service).
#[tokio::test]
async fn create_response_counts_existing_workers() {
    let api = Api::start().await;
    insert(
        &api,
        vec![
            stored("proj/old", "w1", "static", WorkerState::Running, 2, None),
            stored("proj/old", "w2", "static", WorkerState::Stopped, 3, None),
        ],
    );
    let r = api.create_pool("proj/old", "static", json!({})).await;
    assert_eq!(
        counters_of(r.ok()),
        counters(2, (0, 0), (1, 2), (0, 0), (1, 3))
    );
}

/// createWorkerPool with a malformed id is 400 InvalidRequestArguments with the exact pattern
/// message.
#[tokio::test]
async fn create_with_bad_id_is_invalid_request_arguments() {
    let api = Api::start().await;
    let r = api
        .put("/worker-pool/nodash", pool_body("static", json!({})))
        .await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("nodash"));
}

// ---------------------------------------------------------------------------------------------
// updateWorkerPool
// ---------------------------------------------------------------------------------------------

/// updateWorkerPool overwrites the definition, sets lastModified to now, keeps created (ignoring
/// created/lastModified in the body) and answers zero counters while workerPool shows real ones.
#[tokio::test]
async fn update_overwrites_definition_and_keeps_created() {
    let (api, t0) = frozen().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.create_static_worker("proj/linux", "wg", "w1")
        .await
        .ok();
    api.server.clock().advance(3_000);
    let body = json!({
        "providerId": "static",
        "description": "changed",
        "config": {"workerConfig": {"a": 1}},
        "owner": "new@example.com",
        "emailOnError": true,
        "created": "2001-01-01T00:00:00.000Z",
        "lastModified": "2001-01-01T00:00:00.000Z",
        "workerPoolId": "proj/linux",
    });
    let r = api.post(&pool_path("proj/linux"), body).await;
    let want = merged(
        json!({
            "workerPoolId": "proj/linux",
            "providerId": "static",
            "description": "changed",
            "config": {"workerConfig": {"a": 1}},
            "owner": "new@example.com",
            "emailOnError": true,
            "created": format_ms(t0),
            "lastModified": format_ms(t0 + 3_000),
        }),
        zero(),
    );
    assert_eq!(r.ok(), &want);
    let g = api.get(&pool_path("proj/linux")).await;
    assert_eq!(
        g.ok(),
        &merged(want, counters(1, (0, 0), (1, 1), (0, 0), (0, 0)))
    );
}

/// updateWorkerPool can change the provider; the new provider's config schema applies.
#[tokio::test]
async fn update_can_change_provider() {
    let api = Api::start().await;
    api.create_pool("proj/p", "static", json!({"workerConfig": {}}))
        .await
        .ok();
    let r = api
        .post(
            &pool_path("proj/p"),
            pool_body("testing", json!({"workerConfig": {}})),
        )
        .await;
    r.expect(400, "InputValidationError");
    assert!(
        r.message()
            .contains("/schemas/worker-manager/v1/config-testing.json#"),
        "{}",
        r.message()
    );
    let r = api
        .post(&pool_path("proj/p"), pool_body("testing", json!({})))
        .await;
    assert_eq!(r.ok()["providerId"], json!("testing"));
    assert_eq!(r.body["config"], json!({}));
    assert_eq!(
        api.get(&pool_path("proj/p")).await.ok()["providerId"],
        json!("testing")
    );
}

/// An update whose body workerPoolId differs from the URL is 400 InputError
/// `Incorrect workerPoolId in request body` and changes nothing.
#[tokio::test]
async fn update_with_other_body_id_is_input_error() {
    let api = Api::start().await;
    let created = api.create_pool("proj/linux", "static", json!({})).await;
    created.ok();
    let body = merged(
        pool_body("static", json!({})),
        json!({"workerPoolId": "proj/other", "description": "x"}),
    );
    let r = api.post(&pool_path("proj/linux"), body).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Incorrect workerPoolId in request body");
    assert_eq!(api.get(&pool_path("proj/linux")).await.ok(), &created.body);
    // A body id that does not even match the pattern fails the schema.
    let body = merged(
        pool_body("static", json!({})),
        json!({"workerPoolId": "bad"}),
    );
    api.post(&pool_path("proj/linux"), body)
        .await
        .expect(400, "InputValidationError");
}

/// Updating a pool that does not exist is 404 ResourceNotFound `Worker pool does not exist`.
#[tokio::test]
async fn update_unknown_pool_is_404() {
    let api = Api::start().await;
    let r = api
        .post(&pool_path("proj/missing"), pool_body("static", json!({})))
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool does not exist");
    api.get(&pool_path("proj/missing"))
        .await
        .expect(404, "ResourceNotFound");
}

/// On update the provider, its health, the config and the body id are all checked before the
/// pool's existence: an unknown pool answers 400 Invalid Provider, 503, 400 InputValidationError
/// or 400 Incorrect workerPoolId rather than 404.
#[tokio::test]
async fn update_unknown_pool_checks_come_before_404() {
    let api = Api::start().await;
    let path = pool_path("proj/missing");
    let r = api.post(&path, pool_body("no-such", json!({}))).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Invalid Provider");
    let r = api
        .post(&path, pool_body("testing", json!({"bar": "extra"})))
        .await;
    r.expect(400, "InputValidationError");
    let body = merged(
        pool_body("static", json!({})),
        json!({"workerPoolId": "proj/other"}),
    );
    let r = api.post(&path, body).await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Incorrect workerPoolId in request body");
    api.server
        .service()
        .store()
        .set_provider_failed("static", true);
    let r = api.post(&path, pool_body("static", json!({}))).await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), DOWN);
}

/// On update the config is checked before the body workerPoolId, and the provider before both.
#[tokio::test]
async fn update_check_order_provider_config_body_id() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    let path = pool_path("proj/linux");
    let wrong_id = json!({"workerPoolId": "proj/other"});
    let r = api
        .post(
            &path,
            merged(pool_body("static", json!({"foo": 1})), wrong_id.clone()),
        )
        .await;
    r.expect(400, "InputValidationError");
    assert!(
        r.message()
            .contains("/schemas/worker-manager/v1/config-static.json#"),
        "{}",
        r.message()
    );
    let r = api
        .post(
            &path,
            merged(pool_body("no-such", json!({"foo": 1})), wrong_id),
        )
        .await;
    r.expect(400, "InputError");
    assert_eq!(r.message(), "Invalid Provider");
}

/// previousProviderIds (hidden) follows §3.1: on each provider change the old id is appended
/// after removing the new id and duplicates; delete appends the old provider too.
#[tokio::test]
async fn provider_changes_record_previous_provider_ids() {
    let api = Api::start().await;
    let prev = |api: &Api| {
        api.server
            .service()
            .store()
            .pool("proj/p")
            .expect("pool")
            .previous_provider_ids
            .clone()
    };
    api.create_pool("proj/p", "static", json!({})).await.ok();
    assert!(prev(&api).is_empty());
    let path = pool_path("proj/p");
    api.post(&path, pool_body("static", json!({}))).await.ok();
    assert!(prev(&api).is_empty(), "same provider appends nothing");
    api.post(&path, pool_body("testing", json!({}))).await.ok();
    assert_eq!(prev(&api), ["static"]);
    api.post(&path, pool_body("static", json!({}))).await.ok();
    assert_eq!(prev(&api), ["testing"]);
    api.delete(&path).await.ok();
    assert_eq!(prev(&api), ["testing", "static"]);
    api.delete(&path).await.ok();
    assert_eq!(prev(&api), ["testing", "static"]);
}

/// Updating an existing pool to a provider whose setup failed is 503 and leaves it unchanged.
#[tokio::test]
async fn update_with_provider_down_is_503() {
    let api = Api::start().await;
    let created = api.create_pool("proj/linux", "static", json!({})).await;
    created.ok();
    api.server
        .service()
        .store()
        .set_provider_failed("aws", true);
    let r = api
        .post(&pool_path("proj/linux"), pool_body("aws", aws_config()))
        .await;
    r.expect(503, "ProviderSetupFailed");
    assert_eq!(r.message(), DOWN);
    assert_eq!(api.get(&pool_path("proj/linux")).await.ok(), &created.body);
}

/// The update body rejects keys outside the update schema with 400 InputValidationError naming
/// update-worker-pool-request.json.
#[tokio::test]
async fn update_body_extra_key_is_rejected() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    let body = merged(pool_body("static", json!({})), json!({"providerData": {}}));
    let r = api.post(&pool_path("proj/linux"), body).await;
    r.expect(400, "InputValidationError");
    let m = r.message();
    assert!(
        m.contains("/schemas/worker-manager/v1/update-worker-pool-request.json#"),
        "{m}"
    );
    assert!(m.contains("\"providerData\""), "{m}");
}

/// Updating a cloud pool applies the lifecycle defaults, as create does.
#[tokio::test]
async fn update_cloud_pool_stores_lifecycle_defaults() {
    let api = Api::start().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    let mut config = aws_config();
    config["lifecycle"] = json!({"queueInactivityTimeout": 1200});
    let r = api
        .post(&pool_path("proj/cloud"), pool_body("aws", config))
        .await;
    let want = json!({"reregistrationTimeout": 345_600, "queueInactivityTimeout": 1200});
    assert_eq!(r.ok()["config"]["lifecycle"], want);
    assert_eq!(
        api.get(&pool_path("proj/cloud")).await.ok()["config"]["lifecycle"],
        want
    );
}

// ---------------------------------------------------------------------------------------------
// deleteWorkerPool
// ---------------------------------------------------------------------------------------------

/// deleteWorkerPool moves the pool to null-provider, keeps description, owner, emailOnError,
/// created and the config minus launchConfigs, sets lastModified, archives the launch configs,
/// and the pool stays readable and listed; deleting again is 200.
#[tokio::test]
async fn delete_moves_pool_to_null_provider() {
    let (api, t0) = frozen().await;
    let body = json!({
        "providerId": "aws",
        "description": "cloud pool",
        "config": aws_with(vec![aws_lc("us-east-1", Some("one")), aws_lc("us-west-2", None)]),
        "owner": "cloud@example.com",
        "emailOnError": true,
    });
    api.put(&pool_path("proj/cloud"), body).await.ok();
    insert(
        &api,
        vec![stored(
            "proj/cloud",
            "w1",
            "aws",
            WorkerState::Running,
            4,
            Some("one"),
        )],
    );
    api.server.clock().advance(2_000);
    let r = api.delete(&pool_path("proj/cloud")).await;
    let want = merged(
        json!({
            "workerPoolId": "proj/cloud",
            "providerId": "null-provider",
            "description": "cloud pool",
            "config": {"minCapacity": 0, "maxCapacity": 10},
            "owner": "cloud@example.com",
            "emailOnError": true,
            "created": format_ms(t0),
            "lastModified": format_ms(t0 + 2_000),
        }),
        zero(),
    );
    assert_eq!(r.ok(), &want);
    let g = api.get(&pool_path("proj/cloud")).await;
    assert_eq!(
        g.ok(),
        &merged(want.clone(), counters(4, (0, 0), (1, 4), (0, 0), (0, 0)))
    );
    // Launch configs: none active, all archived at the delete time.
    let active = api.get(&lc_path("proj/cloud", "")).await;
    assert_eq!(active.ok(), &json!({"workerPoolLaunchConfigs": []}));
    let all = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    let lcs = all.ok()["workerPoolLaunchConfigs"].as_array().unwrap();
    assert_eq!(lcs.len(), 2);
    for lc in lcs {
        assert_eq!(lc["isArchived"], json!(true), "{lc}");
        assert_eq!(lc["lastModified"], json!(format_ms(t0 + 2_000)), "{lc}");
        assert_eq!(lc["created"], json!(format_ms(t0)), "{lc}");
    }
    // Still listed.
    let list = api.get("/worker-pools").await;
    assert_eq!(pool_ids(list.ok(), "workerPools"), ["proj/cloud"]);
    assert_eq!(
        list.body["workerPools"][0]["providerId"],
        json!("null-provider")
    );
    // Idempotent.
    api.server.clock().advance(1_000);
    let again = api.delete(&pool_path("proj/cloud")).await;
    assert_eq!(
        again.ok(),
        &merged(want, json!({"lastModified": format_ms(t0 + 3_000)}))
    );
}

/// Re-creating a deleted pool with its original body is 409 (the stored providerId is now
/// null-provider).
#[tokio::test]
async fn create_over_deleted_pool_conflicts() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.delete(&pool_path("proj/linux")).await.ok();
    let r = api.create_pool("proj/linux", "static", json!({})).await;
    r.expect(409, "RequestConflict");
    assert_eq!(r.message(), "Worker pool already exists");
    assert_eq!(
        api.get(&pool_path("proj/linux")).await.ok()["providerId"],
        json!("null-provider")
    );
}

/// Deleting a pool that does not exist is 404 `Worker pool does not exist`; a bad id is 400.
#[tokio::test]
async fn delete_unknown_pool_is_404() {
    let api = Api::start().await;
    let r = api.delete(&pool_path("proj/missing")).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool does not exist");
    let r = api.delete("/worker-pool/a%2Fb%2Fc").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("a/b/c"));
}

/// A deleted pool can be updated back to a real provider.
#[tokio::test]
async fn deleted_pool_can_be_updated_back() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.delete(&pool_path("proj/linux")).await.ok();
    let r = api
        .post(&pool_path("proj/linux"), pool_body("static", json!({})))
        .await;
    assert_eq!(r.ok()["providerId"], json!("static"));
    assert_eq!(
        api.get(&pool_path("proj/linux")).await.ok()["providerId"],
        json!("static")
    );
}

// ---------------------------------------------------------------------------------------------
// workerPool
// ---------------------------------------------------------------------------------------------

/// workerPool of a missing pool is 404 ResourceNotFound `Worker pool does not exist`.
#[tokio::test]
async fn get_missing_pool_is_404() {
    let api = Api::start().await;
    let r = api.get(&pool_path("proj/missing")).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool does not exist");
}

/// workerPool with an id that does not match the pattern is 400 InvalidRequestArguments with the
/// exact `Invalid URL patterns:...` message (the decoded value quoted).
#[tokio::test]
async fn get_bad_pool_ids_are_400() {
    let api = Api::start().await;
    let long = "a".repeat(39);
    for (path_id, value) in [
        ("nodash".to_string(), "nodash".to_string()),
        ("pp%2FEE".to_string(), "pp/EE".to_string()),
        ("a%2Fb%2Fc".to_string(), "a/b/c".to_string()),
        ("pp%2F".to_string(), "pp/".to_string()),
        ("pp%2F9x".to_string(), "pp/9x".to_string()),
        ("pp%2Fx-".to_string(), "pp/x-".to_string()),
        (format!("{long}%2Fx"), format!("{long}/x")),
        (
            "pp/ee/launch-configs".to_string(),
            "pp/ee/launch-configs".to_string(),
        ),
    ] {
        let r = api.get(&format!("/worker-pool/{path_id}")).await;
        r.expect(400, "InvalidRequestArguments");
        assert_eq!(r.message(), bad_wpid(&value), "{path_id}");
    }
}

/// workerPool's counters follow the pool's workers: counts and capacities per state, and
/// currentCapacity over the workers that are not stopped; other pools' workers do not count.
#[tokio::test]
async fn get_pool_counters_follow_workers() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.create_pool("proj/other", "static", json!({}))
        .await
        .ok();
    assert_eq!(
        counters_of(api.get(&pool_path("proj/linux")).await.ok()),
        zero()
    );
    for id in ["w1", "w2", "w3"] {
        api.create_static_worker("proj/linux", "wg", id).await.ok();
    }
    api.create_static_worker("proj/other", "wg", "o1")
        .await
        .ok();
    api.put(
        "/workers/proj%2Flinux/wg/big",
        json!({"expires": in_days(30), "capacity": 5, "providerInfo": {"staticSecret": SECRET}}),
    )
    .await
    .ok();
    assert_eq!(
        counters_of(api.get(&pool_path("proj/linux")).await.ok()),
        counters(8, (0, 0), (4, 8), (0, 0), (0, 0))
    );
    api.delete("/workers/proj%2Flinux/wg/big").await.ok();
    api.delete("/workers/proj%2Flinux/wg/w1").await.ok();
    assert_eq!(
        counters_of(api.get(&pool_path("proj/linux")).await.ok()),
        counters(2, (0, 0), (2, 2), (0, 0), (2, 6))
    );
    insert(
        &api,
        vec![
            stored(
                "proj/linux",
                "r1",
                "static",
                WorkerState::Requested,
                3,
                None,
            ),
            stored("proj/linux", "s1", "static", WorkerState::Stopping, 7, None),
        ],
    );
    assert_eq!(
        counters_of(api.get(&pool_path("proj/linux")).await.ok()),
        counters(12, (1, 3), (2, 2), (1, 7), (2, 6))
    );
    assert_eq!(
        counters_of(api.get(&pool_path("proj/other")).await.ok()),
        counters(1, (0, 0), (1, 1), (0, 0), (0, 0))
    );
}

// ---------------------------------------------------------------------------------------------
// listWorkerPools
// ---------------------------------------------------------------------------------------------

/// listWorkerPools lists every pool (null-provider ones too) sorted by id, with all counters 0
/// even when the pools have workers.
#[tokio::test]
async fn list_pools_sorted_with_zero_counters() {
    let (api, t0) = frozen().await;
    for id in ["zeta/a", "alpha/b", "mid/c", "beta/d", "gamma/e"] {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    api.delete(&pool_path("mid/c")).await.ok();
    api.create_static_worker("alpha/b", "wg", "w1").await.ok();
    let r = api.get("/worker-pools").await;
    let body = r.ok();
    assert_eq!(
        pool_ids(body, "workerPools"),
        ["alpha/b", "beta/d", "gamma/e", "mid/c", "zeta/a"]
    );
    assert!(body.get("continuationToken").is_none(), "{body}");
    assert_eq!(
        body["workerPools"][0],
        expected_pool("alpha/b", "static", json!({}), t0, t0)
    );
    for p in body["workerPools"].as_array().unwrap() {
        assert_eq!(counters_of(p), zero(), "{p}");
    }
    assert_eq!(body["workerPools"][3]["providerId"], json!("null-provider"));
}

/// listWorkerPools with no pools is an empty list without a token.
#[tokio::test]
async fn list_pools_empty() {
    let api = Api::start().await;
    assert_eq!(
        api.get("/worker-pools").await.ok(),
        &json!({"workerPools": []})
    );
}

/// Paging listWorkerPools with a limit returns every pool exactly once, in order, in pages of at
/// most `limit`, and only the last page lacks a continuationToken.
#[tokio::test]
async fn list_pools_paging_visits_every_pool_once() {
    let api = Api::start().await;
    let mut ids: Vec<String> = (0..7)
        .map(|i| format!("p{}/x", (b'g' - i) as char))
        .collect();
    for id in &ids {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    ids.sort();
    for limit in [1, 3, 7, 8] {
        let pages = all_pages(&api, "/worker-pools", limit).await;
        let mut seen = Vec::new();
        for p in &pages {
            let page_ids = pool_ids(p, "workerPools");
            assert!(!page_ids.is_empty() && page_ids.len() <= limit, "{p}");
            seen.extend(page_ids);
        }
        assert_eq!(seen, ids, "limit {limit}");
        assert_eq!(pages.len(), 7usize.div_ceil(limit), "limit {limit}");
    }
}

/// listWorkerPools pages hold at most 1000 pools by default and larger limits are capped at 1000.
#[tokio::test]
async fn list_pools_page_size_is_capped_at_1000() {
    let api = Api::start().await;
    {
        let mut s = api.server.service().store();
        for i in 0..1002 {
            s.put_pool(WorkerPool {
                worker_pool_id: Arc::from(format!("bulk/p{i:04}").as_str()),
                provider_id: "static".into(),
                previous_provider_ids: vec![],
                description: "bulk".into(),
                config: json!({}),
                owner: "owner@example.com".into(),
                email_on_error: false,
                created: 0,
                last_modified: 0,
                provider_data: json!({}),
            });
        }
    }
    for q in ["", "?limit=5000"] {
        let first = api.get(&format!("/worker-pools{q}")).await;
        let b = first.ok();
        assert_eq!(b["workerPools"].as_array().unwrap().len(), 1000, "{q}");
        let token = b["continuationToken"]
            .as_str()
            .expect("a token")
            .to_string();
        let sep = if q.is_empty() { "?" } else { "&" };
        let next = api
            .get(&format!("/worker-pools{q}{sep}continuationToken={token}"))
            .await;
        assert_eq!(
            pool_ids(next.ok(), "workerPools"),
            ["bulk/p1000", "bulk/p1001"]
        );
        assert!(next.body.get("continuationToken").is_none());
    }
}

/// listWorkerPools and listWorkerPoolsStats with `limit=0` are 400 InputError (a deliberate
/// difference: upstream answers 500).
#[tokio::test]
async fn list_pools_limit_zero_is_400() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    for path in [
        "/worker-pools?limit=0",
        "/worker-pools/stats?limit=0",
        "/worker-pool/proj%2Flinux/launch-configs?limit=0",
    ] {
        let r = api.get(path).await;
        r.expect(400, "InputError");
        assert!(r.message().contains("limit"), "{path}: {}", r.message());
    }
}

/// A continuation token with characters outside `[A-Za-z0-9]` is 400 InputError
/// `Invalid continuation token` on every pool list.
#[tokio::test]
async fn list_pools_bad_token_characters_are_400() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    for base in [
        "/worker-pools",
        "/worker-pools/stats",
        "/worker-pool/proj%2Flinux/launch-configs",
    ] {
        for token in ["abc-def", "abc_def", "abc.def", "abc%20def"] {
            let r = api.get(&format!("{base}?continuationToken={token}")).await;
            r.expect(400, "InputError");
            assert_eq!(r.message(), "Invalid continuation token", "{base} {token}");
        }
    }
}

/// An empty continuationToken fails the query pattern: 400 InvalidRequestArguments.
#[tokio::test]
async fn list_pools_empty_token_is_invalid_request_arguments() {
    let api = Api::start().await;
    let r = api.get("/worker-pools?continuationToken=").await;
    r.expect(400, "InvalidRequestArguments");
    assert!(r.message().contains("continuationToken"), "{}", r.message());
}

/// An alphanumeric continuation token that does not decode restarts from the first page.
#[tokio::test]
async fn list_pools_garbage_token_restarts_from_first_page() {
    let api = Api::start().await;
    for id in ["aa/x", "bb/x", "cc/x"] {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    let first = api.get("/worker-pools?limit=2").await;
    first.ok();
    for token in ["zzzzzzzzzz", "qzxkXG8ZWa", "Z", "0123456789abcdef"] {
        let r = api
            .get(&format!("/worker-pools?limit=2&continuationToken={token}"))
            .await;
        assert_eq!(
            pool_ids(r.ok(), "workerPools"),
            ["aa/x", "bb/x"],
            "token {token}"
        );
        assert!(r.body.get("continuationToken").is_some());
    }
    let stats = api
        .get("/worker-pools/stats?continuationToken=zzzzzzzzzz")
        .await;
    assert_eq!(
        pool_ids(stats.ok(), "workerPoolsStats"),
        ["aa/x", "bb/x", "cc/x"]
    );
}

// ---------------------------------------------------------------------------------------------
// listWorkerPoolsStats
// ---------------------------------------------------------------------------------------------

/// listWorkerPoolsStats gives one entry per existing pool, sorted by id, with the real counters
/// (zeros for a pool without workers) and nothing for workers of pools that do not exist.
#[tokio::test]
async fn list_pool_stats_have_real_counters() {
    let api = Api::start().await;
    for id in ["cc/x", "aa/x", "bb/x"] {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    api.create_static_worker("aa/x", "wg", "w1").await.ok();
    api.create_static_worker("aa/x", "wg", "w2").await.ok();
    api.delete("/workers/aa%2Fx/wg/w2").await.ok();
    insert(
        &api,
        vec![
            stored("cc/x", "c1", "aws", WorkerState::Requested, 2, Some("lc-a")),
            stored("cc/x", "c2", "aws", WorkerState::Stopping, 3, None),
            stored("zz/gone", "g1", "aws", WorkerState::Running, 9, None),
        ],
    );
    let r = api.get("/worker-pools/stats").await;
    let entry = |id: &str, c: Value| merged(json!({"workerPoolId": id}), c);
    assert_eq!(
        r.ok(),
        &json!({"workerPoolsStats": [
            entry("aa/x", counters(1, (0, 0), (1, 1), (0, 0), (1, 1))),
            entry("bb/x", zero()),
            entry("cc/x", counters(5, (1, 2), (0, 0), (1, 3), (0, 0))),
        ]})
    );
}

/// listWorkerPoolsStats pages like listWorkerPools: every pool once, no token on the last page.
#[tokio::test]
async fn list_pool_stats_paging() {
    let api = Api::start().await;
    let ids = ["aa/x", "bb/x", "cc/x", "dd/x", "ee/x"];
    for id in ids {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    let pages = all_pages(&api, "/worker-pools/stats", 2).await;
    assert_eq!(pages.len(), 3);
    let seen: Vec<String> = pages
        .iter()
        .flat_map(|p| pool_ids(p, "workerPoolsStats"))
        .collect();
    assert_eq!(seen, ids);
}

// ---------------------------------------------------------------------------------------------
// workerPoolStats
// ---------------------------------------------------------------------------------------------

/// workerPoolStats of a pool without workers is exactly one all-zero `unknown` entry.
#[tokio::test]
async fn pool_stats_without_workers_is_one_unknown_entry() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    let r = api.get("/worker-pool/proj%2Flinux/stats").await;
    assert_eq!(
        r.ok(),
        &json!({"launchConfigStats": [merged(
            json!({"workerPoolId": "proj/linux", "launchConfigId": "unknown"}),
            zero()
        )]})
    );
}

/// workerPoolStats of a missing pool is 404 `Worker pool does not exist`; a bad id is 400.
#[tokio::test]
async fn pool_stats_missing_pool_is_404() {
    let api = Api::start().await;
    let r = api.get("/worker-pool/proj%2Fmissing/stats").await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool does not exist");
    let r = api.get("/worker-pool/nodash/stats").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("nodash"));
}

/// workerPoolStats groups workers by launchConfigId, sorted, with workers without one under
/// `unknown` last; without such workers there is no `unknown` entry.
#[tokio::test]
async fn pool_stats_group_by_launch_config() {
    let api = Api::start().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    api.create_pool("proj/lc-only", "aws", aws_config())
        .await
        .ok();
    insert(
        &api,
        vec![
            stored(
                "proj/cloud",
                "w1",
                "aws",
                WorkerState::Running,
                2,
                Some("lc-b"),
            ),
            stored(
                "proj/cloud",
                "w2",
                "aws",
                WorkerState::Stopped,
                3,
                Some("lc-b"),
            ),
            stored(
                "proj/cloud",
                "w3",
                "aws",
                WorkerState::Requested,
                1,
                Some("lc-a"),
            ),
            stored("proj/cloud", "w4", "aws", WorkerState::Stopping, 4, None),
            stored("proj/cloud", "w5", "aws", WorkerState::Running, 1, None),
            stored(
                "proj/lc-only",
                "x1",
                "aws",
                WorkerState::Running,
                6,
                Some("only"),
            ),
        ],
    );
    let entry = |pool: &str, lc: &str, c: Value| {
        merged(json!({"workerPoolId": pool, "launchConfigId": lc}), c)
    };
    let r = api.get("/worker-pool/proj%2Fcloud/stats").await;
    assert_eq!(
        r.ok(),
        &json!({"launchConfigStats": [
            entry("proj/cloud", "lc-a", counters(1, (1, 1), (0, 0), (0, 0), (0, 0))),
            entry("proj/cloud", "lc-b", counters(2, (0, 0), (1, 2), (0, 0), (1, 3))),
            entry("proj/cloud", "unknown", counters(5, (0, 0), (1, 1), (1, 4), (0, 0))),
        ]})
    );
    let r = api.get("/worker-pool/proj%2Flc-only/stats").await;
    assert_eq!(
        r.ok(),
        &json!({"launchConfigStats": [
            entry("proj/lc-only", "only", counters(6, (0, 0), (1, 6), (0, 0), (0, 0))),
        ]})
    );
}

// ---------------------------------------------------------------------------------------------
// Launch configurations and listWorkerPoolLaunchConfigs
// ---------------------------------------------------------------------------------------------

/// Launch configs without an id get a generated `lc-` + 20 hex id: the returned config carries it
/// in workerManager.launchConfigId (input order kept), and listWorkerPoolLaunchConfigs lists them
/// active, sorted by id, with created == lastModified == now.
#[tokio::test]
async fn launch_config_ids_are_generated() {
    let (api, t0) = frozen().await;
    let entries = vec![aws_lc("us-west-2", None), aws_lc("us-east-1", None)];
    let r = api
        .create_pool("proj/cloud", "aws", aws_with(entries.clone()))
        .await;
    let returned = r.ok()["config"]["launchConfigs"]
        .as_array()
        .expect("launchConfigs")
        .clone();
    assert_eq!(returned.len(), 2);
    let mut ids = Vec::new();
    for (got, sent) in returned.iter().zip(&entries) {
        let id = got["workerManager"]["launchConfigId"]
            .as_str()
            .expect("launchConfigId")
            .to_string();
        assert!(is_generated_lc_id(&id), "{id}");
        assert_eq!(
            got,
            &merged(
                sent.clone(),
                json!({"workerManager": {"launchConfigId": id}})
            )
        );
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        api.get(&pool_path("proj/cloud")).await.ok()["config"]["launchConfigs"],
        json!(returned)
    );
    let list = api.get(&lc_path("proj/cloud", "")).await;
    let mut want: Vec<Value> = returned
        .iter()
        .map(|c| {
            json!({
                "launchConfigId": c["workerManager"]["launchConfigId"],
                "workerPoolId": "proj/cloud",
                "isArchived": false,
                "configuration": c,
                "created": format_ms(t0),
                "lastModified": format_ms(t0),
            })
        })
        .collect();
    want.sort_by_key(|l| l["launchConfigId"].as_str().unwrap().to_string());
    assert_eq!(list.ok(), &json!({"workerPoolLaunchConfigs": want}));
}

/// The same content gets the same generated id again, so re-creating or re-updating with it is
/// not a conflict and creates nothing new.
#[tokio::test]
async fn generated_launch_config_ids_are_stable() {
    let api = Api::start().await;
    let config = aws_with(vec![aws_lc("us-east-1", None)]);
    let first = api.create_pool("proj/cloud", "aws", config.clone()).await;
    let id = first.ok()["config"]["launchConfigs"][0]["workerManager"]["launchConfigId"].clone();
    let again = api
        .post(&pool_path("proj/cloud"), pool_body("aws", config))
        .await;
    assert_eq!(
        again.ok()["config"]["launchConfigs"][0]["workerManager"]["launchConfigId"],
        id
    );
    let all = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    assert_eq!(lc_ids(all.ok()), [id.as_str().unwrap()]);
}

/// A launch config id given in workerManager.launchConfigId is used as is, and the other
/// workerManager settings are kept.
#[tokio::test]
async fn launch_config_id_can_be_given() {
    let api = Api::start().await;
    let entry = json!({"region": "us-east-1", "launchConfig": {"ImageId": "ami-1"},
        "workerManager": {"launchConfigId": "my-config", "capacityPerInstance": 4}});
    let r = api
        .create_pool("proj/cloud", "aws", aws_with(vec![entry.clone()]))
        .await;
    assert_eq!(r.ok()["config"]["launchConfigs"], json!([entry]));
    let list = api.get(&lc_path("proj/cloud", "")).await;
    assert_eq!(lc_ids(list.ok()), ["my-config"]);
    assert_eq!(
        list.body["workerPoolLaunchConfigs"][0]["configuration"],
        entry
    );
}

/// An update that drops a launch config archives it: the returned config no longer lists it, the
/// default list hides it, `includeArchived=true` shows it with isArchived true and the update
/// time as lastModified.
#[tokio::test]
async fn update_dropping_a_launch_config_archives_it() {
    let (api, t0) = frozen().await;
    let one = aws_lc("us-east-1", Some("one"));
    let two = aws_lc("us-west-2", Some("two"));
    api.create_pool(
        "proj/cloud",
        "aws",
        aws_with(vec![one.clone(), two.clone()]),
    )
    .await
    .ok();
    api.server.clock().advance(1_000);
    let r = api
        .post(
            &pool_path("proj/cloud"),
            pool_body("aws", aws_with(vec![one.clone()])),
        )
        .await;
    assert_eq!(r.ok()["config"]["launchConfigs"], json!([one]));
    for q in ["", "?includeArchived=false"] {
        let list = api.get(&lc_path("proj/cloud", q)).await;
        assert_eq!(lc_ids(list.ok()), ["one"], "{q}");
    }
    let all = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    assert_eq!(
        all.ok()["workerPoolLaunchConfigs"][1],
        json!({
            "launchConfigId": "two",
            "workerPoolId": "proj/cloud",
            "isArchived": true,
            "configuration": two,
            "created": format_ms(t0),
            "lastModified": format_ms(t0 + 1_000),
        })
    );
    assert_eq!(
        all.body["workerPoolLaunchConfigs"][0]["isArchived"],
        json!(false)
    );
    assert_eq!(lc_ids(&all.body), ["one", "two"]);
}

/// An archived launch config id given again is un-archived.
#[tokio::test]
async fn readding_an_archived_launch_config_unarchives_it() {
    let api = Api::start().await;
    let one = aws_lc("us-east-1", Some("one"));
    let two = aws_lc("us-west-2", Some("two"));
    api.create_pool(
        "proj/cloud",
        "aws",
        aws_with(vec![one.clone(), two.clone()]),
    )
    .await
    .ok();
    api.post(
        &pool_path("proj/cloud"),
        pool_body("aws", aws_with(vec![one.clone()])),
    )
    .await
    .ok();
    let r = api
        .post(
            &pool_path("proj/cloud"),
            pool_body("aws", aws_with(vec![two.clone()])),
        )
        .await;
    assert_eq!(r.ok()["config"]["launchConfigs"], json!([two]));
    let all = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    let flags: Vec<(String, bool)> = all.ok()["workerPoolLaunchConfigs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["launchConfigId"].as_str().unwrap().to_string(),
                l["isArchived"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [("one".to_string(), true), ("two".to_string(), false)]
    );
}

/// An update that leaves no launch configs returns and stores a config without the
/// `launchConfigs` key.
#[tokio::test]
async fn update_without_launch_configs_drops_the_key() {
    let api = Api::start().await;
    api.create_pool("proj/cloud", "aws", aws_config())
        .await
        .ok();
    let r = api
        .post(&pool_path("proj/cloud"), pool_body("aws", aws_with(vec![])))
        .await;
    assert_eq!(
        r.ok()["config"],
        json!({"minCapacity": 0, "maxCapacity": 10})
    );
    assert_eq!(
        api.get(&pool_path("proj/cloud")).await.ok()["config"],
        json!({"minCapacity": 0, "maxCapacity": 10})
    );
    assert_eq!(
        api.get(&lc_path("proj/cloud", "")).await.ok(),
        &json!({"workerPoolLaunchConfigs": []})
    );
}

/// A known launch config id with different content on update is 409 RequestConflict
/// ``Launch config with ID `<id>` already exists with different configuration`` and nothing
/// changes.
#[tokio::test]
async fn update_with_clashing_launch_config_conflicts() {
    let api = Api::start().await;
    let created = api
        .create_pool(
            "proj/cloud",
            "aws",
            aws_with(vec![aws_lc("us-east-1", Some("one"))]),
        )
        .await;
    created.ok();
    let before = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    before.ok();
    let body = merged(
        pool_body(
            "aws",
            aws_with(vec![
                aws_lc("eu-west-1", Some("one")),
                aws_lc("x", Some("new")),
            ]),
        ),
        json!({"description": "changed"}),
    );
    let r = api.post(&pool_path("proj/cloud"), body).await;
    r.expect(409, "RequestConflict");
    assert_eq!(
        r.message(),
        "Launch config with ID `one` already exists with different configuration"
    );
    assert_eq!(api.get(&pool_path("proj/cloud")).await.ok(), &created.body);
    let after = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    assert_eq!(after.ok(), &before.body);
}

/// An archived launch config id given with different content is a conflict too.
#[tokio::test]
async fn archived_launch_config_id_with_other_content_conflicts() {
    let api = Api::start().await;
    api.create_pool(
        "proj/cloud",
        "aws",
        aws_with(vec![
            aws_lc("us-east-1", Some("one")),
            aws_lc("us-west-2", Some("two")),
        ]),
    )
    .await
    .ok();
    api.post(
        &pool_path("proj/cloud"),
        pool_body("aws", aws_with(vec![aws_lc("us-east-1", Some("one"))])),
    )
    .await
    .ok();
    let r = api
        .post(
            &pool_path("proj/cloud"),
            pool_body("aws", aws_with(vec![aws_lc("ap-south-1", Some("two"))])),
        )
        .await;
    r.expect(409, "RequestConflict");
    assert_eq!(
        r.message(),
        "Launch config with ID `two` already exists with different configuration"
    );
    assert_eq!(
        lc_ids(api.get(&lc_path("proj/cloud", "")).await.ok()),
        ["one"]
    );
}

/// Two entries with the same id and different content in one create are 409 RequestConflict and
/// no pool or launch config is stored; the same entry twice is accepted once.
#[tokio::test]
async fn create_with_clashing_launch_configs_stores_nothing() {
    let api = Api::start().await;
    let config = aws_with(vec![
        aws_lc("us-east-1", Some("dup")),
        aws_lc("us-west-2", Some("dup")),
    ]);
    let r = api.create_pool("proj/cloud", "aws", config).await;
    r.expect(409, "RequestConflict");
    assert_eq!(
        r.message(),
        "Launch config with ID `dup` already exists with different configuration"
    );
    api.get(&pool_path("proj/cloud"))
        .await
        .expect(404, "ResourceNotFound");
    api.get(&lc_path("proj/cloud", ""))
        .await
        .expect(404, "ResourceNotFound");
    let twice = aws_with(vec![
        aws_lc("us-east-1", Some("dup")),
        aws_lc("us-east-1", Some("dup")),
    ]);
    let r = api.create_pool("proj/cloud", "aws", twice).await;
    r.ok();
    let all = api
        .get(&lc_path("proj/cloud", "?includeArchived=true"))
        .await;
    assert_eq!(lc_ids(all.ok()), ["dup"]);
}

/// Launch config ids are per pool: the same given id with other content in another pool is no
/// conflict, and each pool lists its own configuration.
#[tokio::test]
async fn launch_config_ids_are_per_pool() {
    let api = Api::start().await;
    api.create_pool(
        "proj/a",
        "aws",
        aws_with(vec![aws_lc("us-east-1", Some("same"))]),
    )
    .await
    .ok();
    let r = api
        .create_pool(
            "proj/b",
            "aws",
            aws_with(vec![aws_lc("eu-west-1", Some("same"))]),
        )
        .await;
    assert_eq!(
        r.ok()["config"]["launchConfigs"][0]["region"],
        json!("eu-west-1")
    );
    let b = api.get(&lc_path("proj/b", "")).await;
    assert_eq!(
        b.ok()["workerPoolLaunchConfigs"][0]["workerPoolId"],
        json!("proj/b")
    );
    assert_eq!(
        b.body["workerPoolLaunchConfigs"][0]["configuration"]["region"],
        json!("eu-west-1")
    );
}

/// Changing only the workerManager settings of a known id is not a conflict: the stored
/// configuration is replaced.
#[tokio::test]
async fn launch_config_worker_manager_settings_can_change() {
    let api = Api::start().await;
    api.create_pool(
        "proj/cloud",
        "aws",
        aws_with(vec![aws_lc("us-east-1", Some("one"))]),
    )
    .await
    .ok();
    let entry = json!({"region": "us-east-1", "launchConfig": {"ImageId": "ami-123"},
        "workerManager": {"launchConfigId": "one", "maxCapacity": 3}});
    let r = api
        .post(
            &pool_path("proj/cloud"),
            pool_body("aws", aws_with(vec![entry.clone()])),
        )
        .await;
    assert_eq!(r.ok()["config"]["launchConfigs"], json!([entry]));
    let list = api.get(&lc_path("proj/cloud", "")).await;
    assert_eq!(
        list.ok()["workerPoolLaunchConfigs"][0]["configuration"],
        entry
    );
}

/// listWorkerPoolLaunchConfigs of a missing pool is 404, of a static pool an empty list, and with
/// a raw slash it is read as workerPool with a bad id (400).
#[tokio::test]
async fn launch_config_list_errors_and_static_pools() {
    let api = Api::start().await;
    let r = api.get(&lc_path("proj/missing", "")).await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool does not exist");
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    assert_eq!(
        api.get(&lc_path("proj/linux", "")).await.ok(),
        &json!({"workerPoolLaunchConfigs": []})
    );
    let r = api.get("/worker-pool/proj/linux/launch-configs").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("proj/linux/launch-configs"));
    let r = api
        .get(&lc_path("proj/linux", "?includeArchived=yes"))
        .await;
    r.expect(400, "InvalidRequestArguments");
    assert!(r.message().contains("includeArchived"), "{}", r.message());
}

/// listWorkerPoolLaunchConfigs pages: every config once, in id order, with archived ones only
/// when asked for.
#[tokio::test]
async fn launch_config_list_paging() {
    let api = Api::start().await;
    let ids = ["a1", "b2", "c3", "d4", "e5"];
    let entries: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| aws_lc(&format!("region-{i}"), Some(id)))
        .collect();
    api.create_pool("proj/cloud", "aws", aws_with(entries.clone()))
        .await
        .ok();
    // Archive b2 and d4.
    let keep: Vec<Value> = entries
        .iter()
        .filter(|e| !["b2", "d4"].contains(&e["workerManager"]["launchConfigId"].as_str().unwrap()))
        .cloned()
        .collect();
    api.post(&pool_path("proj/cloud"), pool_body("aws", aws_with(keep)))
        .await
        .ok();
    let path = lc_path("proj/cloud", "");
    let active: Vec<String> = all_pages(&api, &path, 1)
        .await
        .iter()
        .flat_map(lc_ids)
        .collect();
    assert_eq!(active, ["a1", "c3", "e5"]);
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &token {
            Some(t) => format!("?includeArchived=true&limit=2&continuationToken={t}"),
            None => "?includeArchived=true&limit=2".to_string(),
        };
        let r = api.get(&lc_path("proj/cloud", &q)).await;
        seen.extend(lc_ids(r.ok()));
        pages += 1;
        token = r.body["continuationToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
        assert!(pages < 10);
    }
    assert_eq!(seen, ids);
    assert_eq!(pages, 3);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 5);
}

//! Authentication and authorization as a Taskcluster deployment does them, driven through the
//! official Rust `taskcluster` crate and the `hawk` crate as independent clients.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use taskcluster::{ClientBuilder, Credentials, Retry, WorkerManager};
use worker_manager_mock::auth::scopes::ScopeExpr;
use worker_manager_mock::MockServer;
use worker_manager_schemas::Catalog;

fn wm(server: &MockServer, creds: Credentials, authorized: Option<Vec<&str>>) -> WorkerManager {
    let mut b = ClientBuilder::new(server.root_url())
        .retry(Retry {
            retries: 0,
            ..Retry::default()
        })
        .credentials(creds);
    if let Some(s) = authorized {
        b = b.authorized_scopes(s);
    }
    WorkerManager::new(b).unwrap()
}

fn root_creds(server: &MockServer) -> Credentials {
    let (id, token) = server.root_credentials();
    Credentials::new(id, token)
}

fn status_of(err: &anyhow::Error) -> Option<u16> {
    taskcluster::err_status_code(err).map(|s| s.as_u16())
}

async fn with_pool() -> Api {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api
}

/// Named temporary credentials made by the crate work within their scopes and get 403 outside.
#[tokio::test]
async fn named_temporary_credentials_are_limited_to_their_scopes() {
    let api = with_pool().await;
    let temp = root_creds(&api.server)
        .create_named_temp_creds(
            "tester-temp",
            Duration::from_secs(3600),
            ["worker-manager:get-worker-pool:proj/*"],
        )
        .unwrap();
    let c = wm(&api.server, temp, None);
    assert_eq!(
        c.workerPool("proj/linux").await.unwrap()["workerPoolId"],
        "proj/linux"
    );
    let err = c.deleteWorkerPool("proj/linux").await.unwrap_err();
    assert_eq!(status_of(&err), Some(403), "{err:?}");
    let journal = api.server.service().journal();
    assert_eq!(
        journal.back().unwrap().client_id.as_deref(),
        Some("tester-temp")
    );
}

/// Unnamed temporary credentials act as the issuer's clientId with the certificate's scopes.
#[tokio::test]
async fn unnamed_temporary_credentials_work() {
    let api = with_pool().await;
    let temp = root_creds(&api.server)
        .create_temp_creds(
            Duration::from_secs(600),
            ["worker-manager:get-worker-pool:*"],
        )
        .unwrap();
    let c = wm(&api.server, temp, None);
    c.workerPool("proj/linux").await.unwrap();
    let err = c.deleteWorkerPool("proj/linux").await.unwrap_err();
    assert_eq!(status_of(&err), Some(403));
}

/// authorizedScopes narrow root down to what they name.
#[tokio::test]
async fn authorized_scopes_narrow_the_caller() {
    let api = with_pool().await;
    let c = wm(
        &api.server,
        root_creds(&api.server),
        Some(vec!["worker-manager:get-worker-pool:proj/linux"]),
    );
    c.workerPool("proj/linux").await.unwrap();
    let err = c.deleteWorkerPool("proj/linux").await.unwrap_err();
    assert_eq!(status_of(&err), Some(403));
}

/// A signed URL made by the crate is fetched by a plain HTTP client, until it expires.
#[tokio::test]
async fn signed_urls_work_until_they_expire() {
    let api = with_pool().await;
    let c = wm(&api.server, root_creds(&api.server), None);
    let url = c
        .workerPool_signed_url("proj/linux", Duration::from_secs(60))
        .unwrap();
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    api.server.clock().advance(61_000);
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "AuthenticationFailed");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Unauthorized: Access expired"));
}

async fn expect_401(api: &Api, want_prefix: &str) {
    let r = api.get("/worker-pool/proj%2Flinux").await;
    r.expect(401, "AuthenticationFailed");
    assert!(r.message().starts_with(want_prefix), "{}", r.message());
    assert_eq!(r.headers.get("www-authenticate").unwrap(), "hawk");
}

/// A wrong accessToken is `401 Unauthorized: Bad mac`.
#[tokio::test]
async fn wrong_access_token_is_401() {
    let mut api = with_pool().await;
    api.creds = Some(("static/taskcluster/root".into(), "not-the-token".into()));
    expect_401(&api, "Unauthorized: Bad mac").await;
}

/// An unknown clientId is `401 Client with clientId '...' not found`.
#[tokio::test]
async fn unknown_client_is_401() {
    let mut api = with_pool().await;
    api.creds = Some(("nobody".into(), "x".into()));
    expect_401(&api, "Client with clientId 'nobody' not found").await;
}

/// A certificate whose scopes were changed after signing is refused.
#[tokio::test]
async fn tampered_certificate_is_401() {
    let api = with_pool().await;
    let temp = root_creds(&api.server)
        .create_named_temp_creds("t1", Duration::from_secs(600), ["a:b"])
        .unwrap();
    let cert = temp.certificate.clone().unwrap().replace("a:b", "*");
    let forged =
        Credentials::new_with_certificate(temp.client_id.clone(), temp.access_token.clone(), cert);
    let err = wm(&api.server, forged, None)
        .workerPool("proj/linux")
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(401), "{err:?}");
}

/// Credentials whose certificate has expired (mock clock moved on) are refused.
#[tokio::test]
async fn expired_certificate_is_401() {
    let api = with_pool().await;
    let temp = root_creds(&api.server)
        .create_named_temp_creds("t2", Duration::from_secs(600), ["worker-manager:*"])
        .unwrap();
    let c = wm(&api.server, temp, None);
    c.workerPool("proj/linux").await.unwrap();
    api.server.clock().advance(2 * 3600 * 1000);
    let err = c.workerPool("proj/linux").await.unwrap_err();
    assert_eq!(status_of(&err), Some(401));
}

/// A Hawk timestamp more than 15 minutes off the mock's clock is `Stale timestamp`.
#[tokio::test]
async fn skewed_timestamp_is_401() {
    let api = with_pool().await;
    api.server.clock().advance(901_000);
    expect_401(&api, "Unauthorized: Stale timestamp").await;
}

/// No credentials is never a 401: a scoped method gets 403 with the "requires credentials" text.
#[tokio::test]
async fn anonymous_gets_403_not_401() {
    let api = with_pool().await.anonymous();
    let r = api.get("/worker-pool/proj%2Flinux").await;
    r.expect(403, "InsufficientScopes");
    assert!(r
        .message()
        .starts_with("This request requires Taskcluster credentials that satisfy the following scope expression:"));
}

/// Public methods ignore even garbage credentials.
#[tokio::test]
async fn public_methods_ignore_credentials() {
    let api = Api::start().await;
    let r = api
        .http
        .get(api.url("/ping"))
        .header("authorization", "Hawk garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// A sample call of `name`: path parameters, query and a valid body (from fixtures).
fn sample_call(name: &str) -> (BTreeMap<String, String>, Option<String>, Option<Value>) {
    let c = Catalog::embedded();
    let e = c.get(name).unwrap();
    let mut params = BTreeMap::new();
    for a in &e.args {
        let v = match a.as_str() {
            "workerPoolId" => "proj/linux",
            "workerGroup" => "wg",
            "workerId" => "wi",
            "provisionerId" => "proj",
            "workerType" => "linux",
            other => panic!("{other}"),
        };
        params.insert(a.clone(), v.to_string());
    }
    let query = (name == "workerPoolErrorStats").then(|| "workerPoolId=proj%2Flinux".to_string());
    let body = e.input.as_ref().map(|schema| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/samples/valid")
            .join(schema);
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
        if let Some(m) = v.as_object_mut() {
            for (k, val) in [
                ("workerPoolId", "proj/linux"),
                ("workerGroup", "wg"),
                ("workerId", "wi"),
            ] {
                if m.contains_key(k) {
                    m.insert(k.into(), json!(val));
                }
            }
        }
        v
    });
    (params, query, body)
}

fn leaves(e: &ScopeExpr, out: &mut Vec<String>) {
    match e {
        ScopeExpr::Scope(s) => out.push(s.clone()),
        ScopeExpr::AllOf(v) | ScopeExpr::AnyOf(v) => v.iter().for_each(|x| leaves(x, out)),
    }
}

/// For every scoped method: a client without scopes gets 403; a client holding exactly the
/// method's required scopes does not (whatever else the call then answers).
#[tokio::test]
async fn every_scoped_method_needs_exactly_its_scopes() {
    let c = Catalog::embedded();
    for e in c.entries().iter().filter(|e| !e.is_public()) {
        let (params, query, body) = sample_call(&e.name);
        let lookup = |n: &str| {
            params
                .get(n)
                .cloned()
                .or_else(|| {
                    body.as_ref()
                        .and_then(|b| b.get(n))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .or_else(|| (n == "workerPoolId").then(|| "proj/linux".to_string()))
        };
        let required = ScopeExpr::from_json(e.scopes.as_ref().unwrap())
            .unwrap()
            .render(|n| lookup(n).map(std::borrow::Cow::Owned))
            .unwrap();
        let mut exact = Vec::new();
        leaves(&required, &mut exact);
        let server = MockServer::builder()
            .client("no-scopes", "tok-none", Vec::<String>::new())
            .client("exact", "tok-exact", exact.clone())
            .start()
            .await
            .unwrap();
        let mut api = Api {
            http: reqwest::Client::new(),
            creds: None,
            server,
        };
        let path = c.build_path(&e.name, &params).unwrap();
        let path = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        api.creds = Some(("no-scopes".into(), "tok-none".into()));
        let r = api.call(e.method.as_str(), &path, body.as_ref()).await;
        assert_eq!(
            (r.status, r.code()),
            (403, "InsufficientScopes"),
            "{} without scopes: {}",
            e.name,
            r.body
        );
        api.creds = Some(("exact".into(), "tok-exact".into()));
        let r = api.call(e.method.as_str(), &path, body.as_ref()).await;
        assert!(
            r.status != 403 && r.status != 401,
            "{} with {exact:?}: {}",
            e.name,
            r.body
        );
    }
}

/// A client whose scopes come from a role (`assume:project:proj`) gets the role's scopes.
#[tokio::test]
async fn roles_expand_assume_scopes() {
    let file = worker_manager_mock::clients::ClientsFile::parse(
        r#"{"clients": [{"clientId": "dev", "accessToken": "dev-token", "scopes": ["assume:project:proj"]}],
            "roles": [{"roleId": "project:*", "scopes": ["worker-manager:get-worker-pool:<..>/*"]}]}"#,
    )
    .unwrap();
    let mut api = Api::with(MockServer::builder().clients_file(file)).await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.create_pool("other/linux", "static", json!({}))
        .await
        .ok();
    api.creds = Some(("dev".into(), "dev-token".into()));
    api.get("/worker-pool/proj%2Flinux").await.ok();
    api.get("/worker-pool/other%2Flinux")
        .await
        .expect(403, "InsufficientScopes");
}

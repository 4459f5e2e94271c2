//! The response hook: a transform rewrites successful answers, a transform that breaks the output
//! schema yields a 500 (the output check still runs after it), and a request that fails
//! authentication is journaled with the clientId it claimed.

use serde_json::{json, Value};
use worker_manager_mock::{MockServer, ResponseTransform};

#[derive(Debug)]
struct Rewrite;

impl ResponseTransform for Rewrite {
    fn transform(&self, method: &str, mut body: Value) -> Value {
        match method {
            "listProviders" => {
                body["providers"] = json!([]);
                body
            }
            "workerPoolErrorStats" => json!({"broken": true}),
            // Methods with a typed fast path (answered as bytes without a transform).
            "workerPool" => {
                body["description"] = json!("transformed");
                body
            }
            "listWorkersForWorkerPool" => {
                body["continuationToken"] = json!("transformed");
                body
            }
            _ => body,
        }
    }
}

/// A mock answering through [`Rewrite`], every scope granted to anonymous requests.
async fn transforming_mock() -> MockServer {
    MockServer::builder()
        .response_transform(Rewrite)
        .anonymous_scopes(["*"])
        .start()
        .await
        .expect("starts")
}

async fn get(server: &MockServer, path: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{}/api/worker-manager/v1{path}", server.root_url()))
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

/// A rewritten answer is served; a schema-breaking rewrite becomes a 500.
#[tokio::test]
async fn transform_rewrites_and_output_check_still_applies() {
    let server = transforming_mock().await;
    let (status, body) = get(&server, "/providers").await;
    assert_eq!(status, 200);
    assert_eq!(body["providers"], json!([]));
    let (status, body) = get(&server, "/worker-pool-errors/stats").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["code"], "InternalServerError");
}

/// Methods that normally answer from a typed render go through the transform too.
#[tokio::test]
async fn transform_applies_to_typed_methods() {
    let server = transforming_mock().await;
    let created = reqwest::Client::new()
        .put(format!(
            "{}/api/worker-manager/v1/worker-pool/proj%2Ftyped",
            server.root_url()
        ))
        .json(
            &json!({"providerId": "static", "description": "", "config": {},
                      "owner": "me@example.com", "emailOnError": false}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(created.status().as_u16(), 200);
    let (status, body) = get(&server, "/worker-pool/proj%2Ftyped").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["description"], "transformed");
    let (status, body) = get(&server, "/workers/proj%2Ftyped").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["continuationToken"], "transformed");
}

/// A request with a bad signature is journaled with the clientId its header claims.
#[tokio::test]
async fn auth_failure_records_the_claimed_client_id() {
    let server = MockServer::start().await;
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/worker-manager/v1/worker-pools",
            server.root_url()
        ))
        .header(
            "authorization",
            r#"Hawk id="someone", ts="1", nonce="n", mac="bad=""#,
        )
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 401);
    let journal = server.journal();
    let last = journal.last().expect("an entry");
    assert_eq!(last.client_id.as_deref(), Some("someone"));
    assert_eq!(last.error_code.as_deref(), Some("AuthenticationFailed"));
}

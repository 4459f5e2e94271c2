//! Shared test harness: a running mock and a small HTTP client that signs requests with Hawk the
//! way the Node client does (path + query signed, payload hash on bodies), using the `hawk` crate
//! as an independent implementation.

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use worker_manager_mock::{MockServer, MockServerBuilder};

/// A 44-character static secret for tests. Mixed characters on purpose: property tests look for
/// it in answers to catch echoed secrets, and a run of one letter is what shrinking makes of any
/// generated string (a 100-letter `aaa…` name once "contained" an all-`a` secret).
pub const SECRET: &str = "Sec4et_Static-44chars_for-tests_only_X7qZ9wP";
/// Another one.
pub const SECRET2: &str = "Other-Secret_44chars_for-tests_only_Y8rW0vKm";

/// A response: status, parsed JSON body (Null if not JSON), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// The Taskcluster error code of an error response.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    /// The first part of the error message (before the standard trailer).
    pub fn message(&self) -> &str {
        let m = self.body["message"].as_str().unwrap_or("");
        m.split("\n\n---\n\n").next().unwrap_or(m)
    }
    /// Asserts status and code.
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.body
        );
        self
    }
    /// Asserts 200.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "body: {}", self.body);
        &self.body
    }
}

/// A client of one mock: `(clientId, accessToken)` or anonymous.
pub struct Api {
    pub server: MockServer,
    pub http: reqwest::Client,
    pub creds: Option<(String, String)>,
}

impl Api {
    /// A mock with default options, called with root credentials.
    pub async fn start() -> Api {
        Api::with(MockServer::builder()).await
    }

    /// A mock from a builder, called with root credentials.
    pub async fn with(builder: MockServerBuilder) -> Api {
        let server = builder.start().await.expect("mock starts");
        let creds = Some(server.root_credentials());
        Api {
            server,
            http: reqwest::Client::new(),
            creds,
        }
    }

    /// The same server, called without credentials.
    pub fn anonymous(mut self) -> Api {
        self.creds = None;
        self
    }

    /// `<rootUrl>/api/worker-manager/v1` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/worker-manager/v1{}", self.server.root_url(), path)
    }

    /// Sends a request; `path` is relative to the API prefix and already encoded (with query).
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let text = body.map(|b| b.to_string());
        self.raw(
            method,
            path,
            text.as_deref(),
            body.map(|_| "application/json"),
        )
        .await
    }

    /// Sends raw bytes with a content type, signing if credentials are set.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> Resp {
        let url = self.url(path);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, &url);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some((id, token)) = &self.creds {
            let addr = self.server.address();
            let resource = format!("/api/worker-manager/v1{path}");
            let hash = body.map(|b| {
                hawk::PayloadHasher::hash(content_type.unwrap_or(""), hawk::SHA256, b.as_bytes())
                    .unwrap()
            });
            let mut builder =
                hawk::RequestBuilder::new(method, "127.0.0.1", addr.port(), &resource);
            if let Some(h) = &hash {
                builder = builder.hash(&h[..]);
            }
            let creds = hawk::Credentials {
                id: id.clone(),
                key: hawk::Key::new(token.as_bytes(), hawk::SHA256).unwrap(),
            };
            let header = builder.request().make_header(&creds).unwrap();
            req = req.header("authorization", format!("Hawk {header}"));
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call("PUT", path, Some(&body)).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(&body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None).await
    }

    /// Creates a pool `id` (e.g. `proj/linux`) with `provider` and `config`.
    pub async fn create_pool(&self, id: &str, provider: &str, config: Value) -> Resp {
        self.put(
            &format!("/worker-pool/{}", enc(id)),
            pool_body(provider, config),
        )
        .await
    }

    /// Creates a static worker with [`SECRET`], expiring in a year.
    pub async fn create_static_worker(&self, pool: &str, group: &str, id: &str) -> Resp {
        self.put(
            &format!("/workers/{}/{group}/{id}", enc(pool)),
            json!({"expires": in_days(365), "providerInfo": {"staticSecret": SECRET}}),
        )
        .await
    }
}

/// A valid create/update pool body.
pub fn pool_body(provider: &str, config: Value) -> Value {
    json!({
        "providerId": provider,
        "description": "a test pool",
        "config": config,
        "owner": "owner@example.com",
        "emailOnError": false,
    })
}

/// Encodes a path parameter as the official clients do (`/` as `%2F`).
pub fn enc(s: &str) -> String {
    s.replace('/', "%2F")
}

/// A timestamp `days` from the wall clock, in the wire format.
pub fn in_days(days: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    worker_manager_mock::time::format_ms(now + days * 86_400_000)
}

/// A minimal valid aws pool config with one launch config.
pub fn aws_config() -> Value {
    json!({
        "minCapacity": 0,
        "maxCapacity": 10,
        "launchConfigs": [{"region": "us-east-1", "launchConfig": {"ImageId": "ami-123"}}],
    })
}

//! A kit for the tests of worker-manager client crates, on a [`wiremock::MockServer`].
//!
//! - [`mount`] puts a responder on the server for every catalog method, answering with generated
//!   values of the method's output schema (reproducible from a seed), and a guard mock that
//!   expects *zero* requests breaking the contract: an unknown route, bad path parameters, a
//!   query the method does not accept, or a body that does not validate against the input
//!   schema. The guard is verified when the server is dropped (wiremock's expectations), so a
//!   test whose client sent a bad request fails even if it checks nothing; [`violations`] lists
//!   them while the test still runs.
//! - [`response_strategy`]: a proptest strategy of schema-valid response bodies for a method, for
//!   property tests of a client's deserialization.
//!
//! ```no_run
//! # async fn demo() {
//! let server = wiremock::MockServer::start().await;
//! worker_manager_contract::kit::mount(&server, 7).await;
//! // point the client at server.uri() (the root URL) and call it ...
//! let bad = worker_manager_contract::kit::violations(&server).await;
//! assert!(bad.is_empty(), "{bad:?}");
//! # }
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use thiserror::Error;
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};
use worker_manager_schemas::{Catalog, Entry, RouteOutcome, Validators, API_PREFIX};

use crate::client::seeded_runner;
use crate::generate::{self, GenerateError};

/// Why the kit cannot give what was asked.
#[derive(Debug, Error)]
pub enum KitError {
    /// The catalog has no such method.
    #[error("unknown method `{0}` (see `wm-contract methods`)")]
    UnknownMethod(String),
    /// The method answers without a body (no output schema).
    #[error("method `{0}` has no output schema")]
    NoOutput(String),
    /// The output schema is beyond the generators.
    #[error(transparent)]
    Generate(#[from] GenerateError),
}

/// Schema-valid response bodies of `method` (a catalog name such as `workerPool`).
pub fn response_strategy(method: &str) -> Result<BoxedStrategy<Value>, KitError> {
    let entry = Catalog::embedded()
        .get(method)
        .ok_or_else(|| KitError::UnknownMethod(method.to_string()))?;
    let output = entry
        .output
        .as_ref()
        .ok_or_else(|| KitError::NoOutput(method.to_string()))?;
    Ok(generate::valid(output)?)
}

/// How a request broke the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestViolation {
    /// HTTP method and path with query.
    pub request: String,
    /// The method it was routed to, if any.
    pub method: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// The catalog method `request` is for, or why it breaks the contract.
pub fn check_request(request: &Request) -> Result<&'static Entry, RequestViolation> {
    let path = request.url.path();
    let query = request.url.query();
    let what = match query {
        Some(q) => format!("{} {path}?{q}", request.method),
        None => format!("{} {path}", request.method),
    };
    let fail = |method: Option<&str>, reason: String| RequestViolation {
        request: what.clone(),
        method: method.map(str::to_string),
        reason,
    };
    let catalog = Catalog::embedded();
    let rel = path
        .strip_prefix(API_PREFIX)
        .ok_or_else(|| fail(None, format!("not under {API_PREFIX}")))?;
    let rel = if rel.is_empty() { "/" } else { rel };
    let m = match catalog.match_route(request.method.as_str(), rel) {
        RouteOutcome::Matched(m) => m,
        RouteOutcome::BadEncoding { entry, param } => {
            return Err(fail(
                Some(&entry.name),
                format!("path parameter `{param}` is not valid percent-encoding"),
            ))
        }
        _ => {
            return Err(fail(
                None,
                "no API method answers this method and path".into(),
            ))
        }
    };
    let name = Some(m.entry.name.as_str());
    catalog
        .validate_params(m.entry, &m.params)
        .map_err(|e| fail(name, format!("InvalidRequestArguments: {}", e.message)))?;
    catalog
        .validate_query(m.entry, query)
        .map_err(|e| fail(name, format!("InvalidRequestArguments: {e}")))?;
    if let Some(input) = &m.entry.input {
        let body: Value = serde_json::from_slice(&request.body)
            .map_err(|e| fail(name, format!("MalformedPayload: {e}")))?;
        if let Err(v) = Validators::embedded().validate(input, &body) {
            let lines: Vec<String> = v.iter().map(|x| x.ajv_line()).collect();
            return Err(fail(
                name,
                format!("InputValidationError: {}", lines.join("; ")),
            ));
        }
    }
    Ok(m.entry)
}

/// Matches requests that break the contract.
#[derive(Debug, Clone, Copy)]
pub struct BreaksContract;

impl Match for BreaksContract {
    fn matches(&self, request: &Request) -> bool {
        check_request(request).is_err()
    }
}

/// Matches requests for one catalog method that keep the contract.
#[derive(Debug, Clone)]
pub struct CatalogMethod(pub String);

impl Match for CatalogMethod {
    fn matches(&self, request: &Request) -> bool {
        check_request(request).is_ok_and(|e| e.name == self.0)
    }
}

/// Answers a method with generated values of its output schema (`{}` for methods without one).
#[derive(Debug)]
pub struct GeneratedResponder {
    output: Option<String>,
    runner: Mutex<TestRunner>,
}

thread_local! {
    /// Strategies by output schema, built once per thread (a `BoxedStrategy` is not `Send`, and
    /// building one costs as much as drawing a value from it).
    static STRATEGIES: RefCell<HashMap<String, Option<BoxedStrategy<Value>>>> =
        RefCell::new(HashMap::new());
}

impl GeneratedResponder {
    /// The responder for `method`, its values determined by `seed`.
    pub fn new(method: &str, seed: u64) -> GeneratedResponder {
        GeneratedResponder {
            output: Catalog::embedded()
                .get(method)
                .and_then(|e| e.output.clone()),
            runner: Mutex::new(seeded_runner(seed, method)),
        }
    }

    /// The next generated body.
    pub fn next_body(&self) -> Value {
        let Some(output) = &self.output else {
            return json!({});
        };
        STRATEGIES.with(|cache| {
            let mut cache = cache.borrow_mut();
            let strategy = cache
                .entry(output.clone())
                .or_insert_with(|| generate::valid(output).ok());
            let Some(strategy) = strategy else {
                return json!({});
            };
            let mut runner = self.runner.lock().unwrap_or_else(|p| p.into_inner());
            strategy
                .new_tree(&mut runner)
                .map(|t| t.current())
                .unwrap_or_else(|_| json!({}))
        })
    }
}

impl Respond for GeneratedResponder {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(self.next_body())
    }
}

/// Mounts a generated-response mock per catalog method on `server`, and the contract guard
/// (answers `400` to a request that breaks the contract and fails the test when the server is
/// dropped if any came).
pub async fn mount(server: &MockServer, seed: u64) {
    Mock::given(BreaksContract)
        .respond_with(|r: &Request| {
            let reason = check_request(r).err().map(|v| v.reason).unwrap_or_default();
            ResponseTemplate::new(400)
                .set_body_json(json!({"code": "ContractViolation", "message": reason}))
        })
        .expect(0)
        .with_priority(1)
        .named("requests breaking the worker-manager contract")
        .mount(server)
        .await;
    for entry in Catalog::embedded().entries() {
        Mock::given(CatalogMethod(entry.name.clone()))
            .respond_with(GeneratedResponder::new(&entry.name, seed))
            .with_priority(2)
            .named(entry.name.clone())
            .mount(server)
            .await;
    }
}

/// The requests `server` received that break the contract (empty when request recording is off).
pub async fn violations(server: &MockServer) -> Vec<RequestViolation> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| check_request(r).err())
        .collect()
}

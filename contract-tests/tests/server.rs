//! `wm-contract server` against the in-process mock: a correct server passes with zero
//! failures (and the run stays under its prefix and cleans up), and bugs injected with scenario
//! rules fail the run with the right check named.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use worker_manager_contract::generate;
use worker_manager_contract::server::{self, Check, Config, Report};
use worker_manager_mock::scenario::rules::Rule;
use worker_manager_mock::MockServer;
use worker_manager_schemas::Validators;

/// Few cases: the fast profile.
const CASES: u32 = 6;

mod common;

use common::{mock, root_credentials};

fn config(server: &MockServer, seed: u64) -> Config {
    let mut c = Config::new(server.root_url());
    c.credentials = Some(root_credentials(server));
    c.cases = CASES;
    c.seed = seed;
    c
}

async fn run(config: &Config) -> Report {
    server::run(config).await.expect("the run starts")
}

fn rule(v: Value) -> Rule {
    serde_json::from_value(v).expect("a valid rule")
}

/// A worker-pool-full body that validates.
fn valid_pool() -> Value {
    let strategy = generate::valid("worker-pool-full").expect("a supported schema");
    let value = strategy
        .new_tree(&mut TestRunner::deterministic())
        .expect("a value")
        .current();
    assert!(Validators::embedded()
        .validate("worker-pool-full", &value)
        .is_ok());
    value
}

/// Runs `workerPool` against a mock answering with `rules`; returns the report.
async fn run_with_rules(rules: Vec<Value>, method: &str) -> Report {
    let server = mock().await;
    let rules: Vec<Rule> = rules.into_iter().map(rule).collect();
    server.service().add_rules(&rules);
    let mut c = config(&server, 11);
    c.methods = Some(vec![method.to_string()]);
    let report = run(&c).await;
    server.shutdown().await;
    report
}

#[track_caller]
fn assert_caught(report: &Report, check: Check) {
    assert!(!report.passed(), "the run must fail:\n{}", report.to_text());
    assert!(
        report.failed_checks().contains(&check),
        "{check} must fail:\n{}",
        report.to_text()
    );
}

#[tokio::test]
async fn a_correct_server_passes_over_several_seeds() {
    let server = mock().await;
    let mut deleted = 0;
    for seed in [1, 2, 3] {
        let report = run(&config(&server, seed)).await;
        assert!(report.passed(), "{}", report.to_text());
        assert_eq!(report.methods.len(), 27);
        assert!(report
            .methods
            .iter()
            .all(|m| m.cases + m.skipped == CASES && m.passed == m.cases));
        assert!(report.cleanup.failed.is_empty());
        deleted += report.cleanup.deleted.len();

        server.service().clear_journal();
    }
    assert!(deleted > 0, "some pools were created and cleaned up");
    // Every pool left in the store was created by a run and is deleted (null-provider).
    let store = server.service().store();
    for pool in store.pools().values() {
        assert!(pool.worker_pool_id.starts_with(server::PREFIX_START));
        assert_eq!(pool.provider_id, "null-provider");
    }
}

#[tokio::test]
async fn mutating_requests_only_touch_the_run_prefix() {
    let server = mock().await;
    let mut c = config(&server, 5);
    c.run_id = Some("safety1".into());
    let report = run(&c).await;
    assert!(report.passed(), "{}", report.to_text());
    let mine = "wm-contract-safety1/";
    for e in server.journal() {
        if e.http_method == "GET" {
            continue;
        }
        if let Some(id) = e.params.get("workerPoolId") {
            assert!(id.starts_with(mine), "{} {}: {id}", e.http_method, e.path);
        }
        if let Some(id) = e.request_body.get("workerPoolId").and_then(Value::as_str) {
            assert!(
                id.starts_with(mine),
                "{} {}: body {id}",
                e.http_method,
                e.path
            );
        }
    }
}

#[tokio::test]
async fn read_only_sends_only_gets_and_probes_and_replays_by_seed() {
    let server = mock().await;
    let mut c = config(&server, 9);
    c.read_only = true;
    c.methods = Some(vec!["workerPool".into(), "createWorkerPool".into()]);
    let first = run(&c).await;
    assert!(first.passed(), "{}", first.to_text());
    assert_eq!(first.methods.len(), 1);
    let probe = first.semantic(Check::ReadOnlyProbe).expect("probed");
    assert_eq!((probe.cases, probe.passed), (1, 1), "{}", first.to_text());
    let paths = |server: &MockServer| -> Vec<String> {
        server
            .journal()
            .iter()
            .map(|e| format!("{} {} {}", e.http_method, e.path, e.status))
            .collect()
    };
    let sent = paths(&server);
    // Only GETs, except the probe: createWorkerPool without scopes, refused with 403.
    let writes: Vec<&String> = sent.iter().filter(|p| !p.starts_with("GET ")).collect();
    assert_eq!(writes.len(), 1, "{sent:?}");
    assert!(writes[0].starts_with("PUT /api/worker-manager/v1/worker-pool/"));
    assert!(writes[0].ends_with(" 403"), "{sent:?}");
    assert!(server.service().store().pools().is_empty());
    server.service().clear_journal();
    c.run_id = Some("x".into());
    run(&c).await;
    // Same seed, same requests, except for the fresh run prefix.
    let again = paths(&server);
    let strip = |v: Vec<String>, p: &str| -> Vec<String> {
        v.into_iter().map(|s| s.replace(p, "PREFIX")).collect()
    };
    assert_eq!(
        strip(sent, &first.run_prefix),
        strip(again, "wm-contract-x")
    );
}

#[tokio::test]
async fn reports_render_as_json_and_junit() {
    let report = run_with_rules(
        vec![json!({"match": {"method": "workerPool"},
                    "action": {"type": "error", "status": 500, "code": "InternalServerError", "message": "x"}})],
        "workerPool",
    )
    .await;
    let parsed: Value = serde_json::from_str(&report.to_json()).expect("JSON");
    assert_eq!(parsed["methods"][0]["method"], "workerPool");
    assert_eq!(parsed["methods"][0]["failures"][0]["check"], "no-5xx");
    assert!(parsed["methods"][0]["failures"][0]["response"]["status"] == 500);
    let xml = report.to_junit();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("name=\"no-5xx\">"));
    assert!(xml.contains("<failure message="));
    let text = report.to_text();
    assert!(text.contains("[no-5xx] workerPool case"));
    assert!(text.contains("result: FAIL"));
}

#[tokio::test]
async fn catches_a_dropped_required_field() {
    let mut body = valid_pool();
    body.as_object_mut().expect("an object").remove("owner");
    assert!(Validators::embedded()
        .validate("worker-pool-full", &body)
        .is_err());
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "workerPool"}, "action": {"type": "raw", "status": 200,
            "headers": {"content-type": "application/json"}, "body": body.to_string()}}),
        ],
        "workerPool",
    )
    .await;
    assert_caught(&report, Check::OutputSchema);
}

#[tokio::test]
async fn catches_a_wrong_type() {
    let mut body = valid_pool();
    body["emailOnError"] = json!("yes");
    assert!(Validators::embedded()
        .validate("worker-pool-full", &body)
        .is_err());
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "workerPool"}, "action": {"type": "raw", "status": 200,
            "headers": {"content-type": "application/json"}, "body": body.to_string()}}),
        ],
        "workerPool",
    )
    .await;
    assert_caught(&report, Check::OutputSchema);
}

#[tokio::test]
async fn catches_a_500_on_valid_input() {
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "listWorkerPools"}, "action": {"type": "error",
            "status": 500, "code": "InternalServerError", "message": "boom"}}),
        ],
        "listWorkerPools",
    )
    .await;
    assert_caught(&report, Check::No5xx);
    assert!(!report.failed_checks().contains(&Check::ErrorEnvelope));
}

#[tokio::test]
async fn catches_an_error_without_code() {
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "workerPool"}, "action": {"type": "raw", "status": 404,
            "headers": {"content-type": "application/json"}, "body": "{\"message\":\"x\"}"}}),
        ],
        "workerPool",
    )
    .await;
    assert_caught(&report, Check::ErrorEnvelope);
}

#[tokio::test]
async fn catches_a_text_plain_answer() {
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "workerPool"}, "action": {"type": "raw", "status": 200,
            "headers": {"content-type": "text/plain"}, "body": valid_pool().to_string()}}),
        ],
        "workerPool",
    )
    .await;
    assert_caught(&report, Check::ContentTypeJson);
    assert!(!report.failed_checks().contains(&Check::OutputSchema));
}

#[tokio::test]
async fn catches_a_200_to_an_invalid_request() {
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "workerPool"}, "action": {"type": "raw", "status": 200,
            "headers": {"content-type": "application/json"}, "body": valid_pool().to_string()}}),
        ],
        "workerPool",
    )
    .await;
    assert_caught(&report, Check::InvalidInput4xx);
    let failed = report.failed_checks();
    assert!(
        !failed.contains(&Check::OutputSchema),
        "{}",
        report.to_text()
    );
    let m = &report.methods[0];
    assert!(m.passed > 0, "valid requests still pass");
    assert!(m.failures.iter().all(|f| f.kind != "valid"));
}

#[tokio::test]
async fn catches_an_undeclared_status() {
    let report = run_with_rules(
        vec![
            json!({"match": {"method": "ping"}, "action": {"type": "raw", "status": 418,
            "headers": {"content-type": "application/json"},
            "body": "{\"code\":\"Teapot\",\"message\":\"x\"}"}}),
        ],
        "ping",
    )
    .await;
    assert_caught(&report, Check::StatusDeclared);
}

#[tokio::test]
async fn bad_selections_are_errors() {
    let mut c = Config::new("http://127.0.0.1:1");
    c.methods = Some(vec!["noSuchMethod".into()]);
    assert!(matches!(
        server::run(&c).await,
        Err(server::RunError::UnknownMethod(_))
    ));
    c.methods = Some(vec!["createWorkerPool".into()]);
    c.read_only = true;
    assert!(matches!(
        server::run(&c).await,
        Err(server::RunError::NothingSelected)
    ));
    let c = Config::new("not a url");
    assert!(matches!(
        server::run(&c).await,
        Err(server::RunError::BadRootUrl { .. })
    ));
}

#[tokio::test]
async fn an_unreachable_server_fails_transport() {
    let mut c = Config::new("http://127.0.0.1:1");
    c.methods = Some(vec!["ping".into()]);
    c.cases = 2;
    let report = run(&c).await;
    assert_caught(&report, Check::Transport);
}

#[tokio::test]
async fn schemas_can_come_from_the_server() {
    let server = mock().await;
    let mut c = config(&server, 4);
    c.methods = Some(vec!["workerPool".into(), "listWorkerPools".into()]);
    c.schemas_from_server = true;
    c.semantic = false;
    c.stateful_cases = 0;
    let report = run(&c).await;
    assert!(report.passed(), "{}", report.to_text());
    assert!(
        report.schema_source.starts_with("server ("),
        "{}",
        report.schema_source
    );
    assert!(
        !report.schema_source.contains("lacks"),
        "{}",
        report.schema_source
    );
    let mut bad = Config::new("http://127.0.0.1:1");
    bad.schemas_from_server = true;
    assert!(matches!(
        server::run(&bad).await,
        Err(server::RunError::Schemas(_))
    ));
}

#[tokio::test]
async fn max_rps_spaces_the_requests_out() {
    let server = mock().await;
    let mut c = config(&server, 4);
    c.methods = Some(vec!["ping".into()]);
    c.cases = 150;
    c.semantic = false;
    c.stateful_cases = 0;
    c.max_rps = Some(100.0);
    c.progress = server::Progress::Lines;
    let started = std::time::Instant::now();
    let report = run(&c).await;
    assert!(report.passed(), "{}", report.to_text());
    // 151 requests (listProviders and 150 pings) at 100/s after a burst of 100: at least 0.5 s.
    assert!(started.elapsed() >= std::time::Duration::from_millis(500));
}

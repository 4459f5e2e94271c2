//! Semantic checks against the in-process mock: a correct server passes over many seeds, and
//! each injected fault (a scenario rule) is caught by the check that names it.

use serde_json::{json, Value};
use worker_manager_contract::server::{self, Check, Config, Report};
use worker_manager_mock::scenario::rules::Rule;
use worker_manager_mock::MockServer;

/// The run id every test uses, so the rules can name the run's pools.
const RUN: &str = "bug";

mod common;

use common::{mock, root_credentials};

fn config(server: &MockServer, seed: u64) -> Config {
    let mut c = Config::new(server.root_url());
    c.credentials = Some(root_credentials(server));
    c.seed = seed;
    c.run_id = Some(RUN.into());
    // Only the semantic checks matter here: one cheap method, no sequences.
    c.methods = Some(vec!["ping".into()]);
    c.cases = 1;
    c.stateful_cases = 0;
    c
}

/// A pool body as the mock renders it, for raw answers.
fn pool(name: &str, provider: &str, description: &str) -> Value {
    json!({
        "workerPoolId": format!("wm-contract-{RUN}/{name}"), "providerId": provider,
        "description": description, "config": {"workerConfig": {"wmContract": true}},
        "owner": "wm-contract@example.com", "emailOnError": false,
        "created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z",
        "currentCapacity": 0, "requestedCount": 0, "runningCount": 0, "stoppingCount": 0,
        "stoppedCount": 0, "requestedCapacity": 0, "runningCapacity": 0,
        "stoppingCapacity": 0, "stoppedCapacity": 0
    })
}

fn raw(method: &str, pool_glob: &str, extra: Value, body: &Value) -> Rule {
    let mut m = json!({"method": method, "params": {"workerPoolId": pool_glob}});
    if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    serde_json::from_value(json!({"match": m, "action": {"type": "raw", "status": 200,
        "headers": {"content-type": "application/json"}, "body": body.to_string()}}))
    .expect("a valid rule")
}

async fn run_with(rules: Vec<Rule>) -> Report {
    let server = mock().await;
    server.service().add_rules(&rules);
    let report = server::run(&config(&server, 11)).await.expect("runs");
    server.shutdown().await;
    report
}

/// The failures of `check` (which must have failed).
#[track_caller]
fn caught(report: &Report, check: Check) -> Vec<String> {
    assert!(!report.passed(), "the run must fail:\n{}", report.to_text());
    let sem = report.semantic(check).expect("the check ran");
    assert!(sem.failed > 0, "{check} must fail:\n{}", report.to_text());
    assert!(sem.failures.iter().all(|f| f.check == check));
    sem.failures.iter().map(|f| f.found.clone()).collect()
}

#[tokio::test]
async fn a_correct_server_passes_over_20_seeds() {
    let server = mock().await;
    for seed in 0..20 {
        let mut c = config(&server, seed);
        c.run_id = Some(format!("seed{seed}"));
        c.stateful_cases = 2;
        let report = server::run(&c).await.expect("runs");
        assert!(report.passed(), "seed {seed}:\n{}", report.to_text());
        let ran: Vec<Check> = report.semantic.iter().map(|s| s.check).collect();
        assert_eq!(
            ran,
            vec![
                Check::Missing404,
                Check::CreateThenGet,
                Check::CreateConflict,
                Check::UpdateVisible,
                Check::DeleteNullProvider,
                Check::PagingExactlyOnce,
                Check::PoolCounts,
                Check::StaticWorkerLifecycle,
                Check::TemporaryCredentials,
                Check::ReregisterRotates,
                Check::InsufficientScopes403,
                Check::AuthenticationFailed401,
                Check::StatefulModel,
            ]
        );
        assert!(report
            .semantic
            .iter()
            .all(|s| s.not_exercised.is_none() && s.cases > 0 && s.passed == s.cases));
        // Every scope outcome shows in the coverage matrix.
        for (status, code, scope) in [
            (401, "AuthenticationFailed", "401"),
            (403, "InsufficientScopes", "403"),
        ] {
            assert!(
                report.coverage.iter().any(|r| r.key.status == status
                    && r.key.code.as_deref() == Some(code)
                    && r.key.scope == scope),
                "{status} {code}"
            );
        }
        assert!(report.coverage.iter().any(|r| r.key.scope == "ok"));
    }
}

#[tokio::test]
async fn anonymous_runs_skip_the_scope_checks() {
    let server = mock().await;
    let mut c = config(&server, 1);
    c.credentials = None;
    c.semantic = true;
    let report = server::run(&c).await.expect("runs");
    let s = report
        .semantic(Check::InsufficientScopes403)
        .expect("reported");
    assert_eq!(s.not_exercised.as_deref(), Some("no credentials"));
    // Without credentials (and, on the mock, no anonymous scopes) nothing is exercised, and
    // nothing fails for want of scopes.
    assert!(report.passed(), "{}", report.to_text());
    assert!(report.semantic.iter().all(|s| s.not_exercised.is_some()));
    assert_eq!(
        report
            .semantic(Check::Missing404)
            .and_then(|s| s.not_exercised.as_deref()),
        Some("anonymous requests lack the scopes")
    );
    assert!(report.to_text().contains("not exercised: no credentials"));
}

#[tokio::test]
async fn catches_a_page_that_repeats_an_item() {
    // The second page of the first walk (limit 1) repeats the first page's worker and ends.
    let server = mock().await;
    let first = json!({"workerPoolId": format!("wm-contract-{RUN}/paging"), "workerGroup": "wg",
        "workerId": "page-4", "providerId": "static", "created": "2026-01-01T00:00:00.000Z",
        "expires": "2100-01-01T00:00:00.000Z", "state": "running", "capacity": 1,
        "lastChecked": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z"});
    let rule = raw(
        "listWorkersForWorkerPool",
        "*/paging",
        json!({"after": 1, "first": 2}),
        &json!({"workers": [first]}),
    );
    server.service().add_rules(&[rule]);
    let report = server::run(&config(&server, 11)).await.expect("runs");
    let found = caught(&report, Check::PagingExactlyOnce);
    assert!(found[0].contains("page-4 repeated (2 times)"), "{found:?}");
}

#[tokio::test]
async fn catches_a_page_that_drops_items() {
    // The second page of the first walk is empty and has no token: the rest is lost.
    let rule = raw(
        "listWorkersForWorkerPool",
        "*/paging",
        json!({"after": 1, "first": 2}),
        &json!({"workers": []}),
    );
    let report = run_with(vec![rule]).await;
    let found = caught(&report, Check::PagingExactlyOnce);
    assert!(found[0].contains("dropped"), "{found:?}");
    assert!(!found[0].contains("repeated"), "{found:?}");
}

#[tokio::test]
async fn catches_a_200_where_404_is_due() {
    let rule = raw(
        "workerPool",
        "*/missing",
        json!({}),
        &pool("missing", "static", "ghost"),
    );
    let report = run_with(vec![rule]).await;
    let found = caught(&report, Check::Missing404);
    assert_eq!(found, vec!["status 200".to_string()]);
}

#[tokio::test]
async fn catches_a_stale_read_after_update() {
    // After the first read, workerPool keeps answering the pool as first written.
    let rule = raw(
        "workerPool",
        "*/lifecycle",
        json!({"after": 1}),
        &pool("lifecycle", "static", "wm-contract: written"),
    );
    let report = run_with(vec![rule]).await;
    let found = caught(&report, Check::UpdateVisible);
    assert_eq!(
        found,
        vec![
            "description: wrote \"wm-contract: updated\", read \"wm-contract: written\""
                .to_string()
        ]
    );
}

#[tokio::test]
async fn catches_a_missing_409_on_a_second_create() {
    let rule = raw(
        "createWorkerPool",
        "*/lifecycle",
        json!({"after": 1}),
        &pool("lifecycle", "static", "x"),
    );
    let report = run_with(vec![rule]).await;
    assert_eq!(
        caught(&report, Check::CreateConflict),
        vec!["status 200".to_string()]
    );
}

#[tokio::test]
async fn catches_wrong_counts() {
    let mut body = pool("counts", "static", "wm-contract: counts");
    body["runningCount"] = json!(7);
    let rule = raw("workerPool", "*/counts", json!({}), &body);
    let report = run_with(vec![rule]).await;
    let found = caught(&report, Check::PoolCounts);
    assert!(
        found[0].starts_with("currentCapacity 0, runningCount 7"),
        "{found:?}"
    );
}

#[tokio::test]
async fn catches_a_delete_that_does_not_go_to_null_provider() {
    let rule = raw(
        "deleteWorkerPool",
        "*/lifecycle",
        json!({}),
        &pool("lifecycle", "static", "wm-contract: updated"),
    );
    let report = run_with(vec![rule]).await;
    assert_eq!(
        caught(&report, Check::DeleteNullProvider),
        vec![
            "providerId static".to_string(),
            "providerId static".to_string()
        ]
    );
}

#[tokio::test]
async fn catches_ignored_scopes() {
    let rule = raw(
        "createWorkerPool",
        "*/no-scopes",
        json!({}),
        &pool("no-scopes", "static", "x"),
    );
    let report = run_with(vec![rule]).await;
    assert_eq!(
        caught(&report, Check::InsufficientScopes403),
        vec!["status 200".to_string()]
    );
}

#[tokio::test]
async fn catches_unusable_temporary_credentials() {
    let rule: Rule = serde_json::from_value(json!({
        "match": {"method": "shouldWorkerTerminate", "client": "worker/*"},
        "action": {"type": "error", "status": 401, "code": "AuthenticationFailed",
                   "message": "Unauthorized: Bad mac"}}))
    .expect("a rule");
    let report = run_with(vec![rule]).await;
    assert_eq!(
        caught(&report, Check::TemporaryCredentials),
        vec!["status 401 AuthenticationFailed".to_string()]
    );
}

#[tokio::test]
async fn catches_a_secret_that_does_not_rotate() {
    // reregisterWorker keeps accepting the old secret (answering as if it were fine).
    let server = mock().await;
    let rule: Rule = serde_json::from_value(json!({
        "match": {"method": "reregisterWorker", "after": 1},
        "action": {"type": "raw", "status": 200, "headers": {"content-type": "application/json"},
            "body": json!({"expires": "2100-01-01T00:00:00.000Z",
                "credentials": {"clientId": "x", "accessToken": "y"},
                "secret": "wmcontractsemantic-rotated-xxxxxxxxxxxxxxxxxxx"}).to_string()}}))
    .expect("a rule");
    server.service().add_rules(&[rule]);
    let report = server::run(&config(&server, 11)).await.expect("runs");
    let found = caught(&report, Check::ReregisterRotates);
    assert_eq!(found, vec!["status 200".to_string()]);
}

#[tokio::test]
async fn catches_a_forged_signature_accepted() {
    let rule = raw(
        "workerPool",
        "*/missing",
        json!({"after": 1}),
        &pool("missing", "static", "ghost"),
    );
    let report = run_with(vec![rule]).await;
    assert_eq!(
        caught(&report, Check::AuthenticationFailed401),
        vec!["status 200".to_string()]
    );
}

#[tokio::test]
async fn read_only_probes_catch_a_write_without_scopes() {
    let server = mock().await;
    let rule: Rule = serde_json::from_value(json!({
        "match": {"method": "createWorkerPool"},
        "action": {"type": "raw", "status": 200, "headers": {"content-type": "application/json"},
                   "body": pool("x", "static", "x").to_string()}}))
    .expect("a rule");
    server.service().add_rules(&[rule]);
    let mut c = config(&server, 3);
    c.read_only = true;
    c.methods = Some(vec!["workerPool".into(), "createWorkerPool".into()]);
    let report = server::run(&c).await.expect("runs");
    assert_eq!(
        caught(&report, Check::ReadOnlyProbe),
        vec!["status 200".to_string()]
    );
}

#[tokio::test]
async fn reports_carry_semantic_results_and_coverage() {
    let rule = raw(
        "workerPool",
        "*/missing",
        json!({}),
        &pool("missing", "static", "ghost"),
    );
    let report = run_with(vec![rule]).await;
    let json: Value = serde_json::from_str(&report.to_json()).expect("JSON");
    let sem = json["semantic"].as_array().expect("semantic results");
    let missing = sem
        .iter()
        .find(|s| s["check"] == "missing-404")
        .expect("missing-404");
    assert_eq!(missing["failed"], 1);
    assert_eq!(
        missing["failures"][0]["expected"],
        "status 404 ResourceNotFound"
    );
    let cov = json["coverage"].as_array().expect("coverage");
    assert!(cov.iter().any(|r| r["method"] == "createWorkerPool"
        && r["status"] == 403
        && r["code"] == "InsufficientScopes"
        && r["scope"] == "403"));
    assert!(cov
        .iter()
        .any(|r| r["method"] == "listWorkersForWorkerPool" && r["paging"] == "continued"));

    let text = report.to_text();
    assert!(
        text.contains("[missing-404] workerPool case 0 (semantic)"),
        "{text}"
    );
    assert!(text.contains("coverage (status"), "{text}");
    let xml = report.to_junit();
    assert!(xml.contains("<testsuite name=\"semantic\""));
    assert!(xml.contains("name=\"missing-404\"><failure"));
}

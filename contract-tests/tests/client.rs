//! `wm-contract client` end to end: the official Rust `taskcluster` crate's flows run clean with
//! the right coverage, its signed-query quirk is reported as an authentication violation, curl
//! clients that break the contract are each reported with the mock's reason and a non-zero exit,
//! a scenario provokes the retry check, and `--response-fuzz` keeps the flows working.
//!
//! The official crate runs as the `tc_client_flows` example, which `cargo test` builds (with
//! `cargo test --test client` alone, build it first: `cargo build --example tc_client_flows`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use worker_manager_contract::client::analyze::ViolationKind;
use worker_manager_contract::client::behavior::Outcome;
use worker_manager_contract::client::{self, CommandOutcome, Config, Report};

fn flows_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = dir.join("examples").join("tc_client_flows");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p worker-manager-contract --example tc_client_flows`",
        bin.display()
    );
    bin
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/scenarios")
        .join(name)
}

fn config(command: Vec<String>) -> Config {
    Config {
        command,
        seed: 7,
        ..Config::default()
    }
}

async fn run_flow(flow: &str, edit: impl FnOnce(&mut Config)) -> Report {
    let mut c = config(vec![
        flows_binary().to_string_lossy().to_string(),
        flow.to_string(),
    ]);
    edit(&mut c);
    client::run(&c).await.expect("the run starts")
}

fn check(report: &Report, name: &str) -> Outcome {
    report
        .behavior
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.outcome)
        .expect("a known check")
}

/// The official crate's main flows: no violation, every check that came up passed, and the
/// coverage table lists exactly the methods the flows call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_crate_main_flows_pass_with_exact_coverage() {
    let report = run_flow("main", |_| {}).await;
    assert!(report.passed(), "{}", report.to_text());
    assert!(report.violations.is_empty());
    assert_eq!(
        report.coverage.called_methods(),
        [
            "createWorker",
            "createWorkerPool",
            "deleteWorkerPool",
            "listProviders",
            "listWorkerPoolErrors",
            "listWorkerPools",
            "listWorkersForWorkerPool",
            "ping",
            "registerWorker",
            "removeWorker",
            "reportWorkerError",
            "reregisterWorker",
            "updateWorkerPool",
            "worker",
            "workerPool",
            "workerPoolStats",
        ]
    );
    assert_eq!(report.coverage.called, 16);
    assert_eq!(report.coverage.total, 27);
    assert!((report.coverage.percent - 100.0 * 16.0 / 27.0).abs() < 1e-9);
    assert_eq!(report.coverage.methods["workerPool"].ok, 1);
    assert_eq!(check(&report, "reregisters-before-expiry"), Outcome::Passed);
    assert_eq!(
        check(&report, "no-reuse-of-rotated-secret"),
        Outcome::Passed
    );
    assert_eq!(
        check(&report, "retries-server-errors"),
        Outcome::NotExercised
    );
    let below = Report {
        min_coverage: Some(60.0),
        ..report.clone()
    };
    assert!(!below.passed());
    assert!(below.failure_reasons()[0].contains("below --min-coverage"));
}

/// The crate (≤ 114) signs a query-string request over the path alone: the real service and the
/// mock refuse it, and the report names the authentication failure and its cause; the client's
/// own failure is reported too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_crate_signed_query_quirk_is_an_authentication_violation() {
    let report = run_flow("paged", |_| {}).await;
    assert_eq!(report.outcome, CommandOutcome::Exited(1));
    assert_eq!(report.violations.len(), 1, "{}", report.to_text());
    let v = &report.violations[0];
    assert_eq!(v.kind, ViolationKind::AuthenticationFailed);
    assert_eq!(v.status, 401);
    assert!(
        v.request.ends_with("/worker-pools?limit=2"),
        "{}",
        v.request
    );
    assert!(
        v.reason.contains("without its query string"),
        "{}",
        v.reason
    );
    let reasons = report.failure_reasons();
    assert!(reasons[0].contains("client command failed"), "{reasons:?}");
}

/// The outage scenario answers 503 twice and 500 once: the crate's default retries (100 ms,
/// doubling) pass the retry check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_scenario_exercises_the_retry_check() {
    let report = run_flow("outage", |c| {
        c.scenarios.push(fixture("client-outage.json"));
    })
    .await;
    assert!(report.passed(), "{}", report.to_text());
    assert_eq!(check(&report, "retries-server-errors"), Outcome::Passed);
    assert_eq!(report.coverage.methods["listWorkerPools"].server_error, 2);
    assert_eq!(report.coverage.methods["listWorkerPools"].ok, 1);
}

/// Credentials that live 2 s: a worker that renews in time passes the credential checks; one
/// that waits and uses expired credentials fails both, although the mock (like Taskcluster,
/// which allows 5 minutes of clock skew past a certificate's expiry) still accepts the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_credentials_scenario_exercises_the_credential_checks() {
    let scenario = |c: &mut Config| c.scenarios.push(fixture("client-short-credentials.json"));
    let renew = run_flow("renew", scenario).await;
    assert!(renew.passed(), "{}", renew.to_text());
    assert_eq!(check(&renew, "reregisters-before-expiry"), Outcome::Passed);
    assert_eq!(check(&renew, "no-reuse-of-rotated-secret"), Outcome::Passed);
    let late = run_flow("late", scenario).await;
    assert!(!late.passed());
    assert_eq!(check(&late, "reregisters-before-expiry"), Outcome::Failed);
    assert_eq!(
        check(&late, "signed-with-valid-credentials"),
        Outcome::Failed
    );
    assert!(
        late.violations.is_empty(),
        "accepted within the 5-minute grace"
    );
    assert!(late.failed_checks()[0].details[0].contains("after they expired"));
}

/// With --response-fuzz the mock answers generated variants; the official crate's flows still
/// run clean (it returns serde_json::Value, so any schema-valid body parses), and the same seed
/// replays the same answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_fuzz_keeps_the_official_flows_working() {
    let report = run_flow("main", |c| c.response_fuzz = true).await;
    assert!(report.passed(), "{}", report.to_text());
}

// ---- deliberately broken clients: curl through the wm-contract binary ----

fn have_curl() -> bool {
    Command::new("curl").arg("--version").output().is_ok()
}

/// Runs `wm-contract client` on a shell script; returns its exit code and the JSON report.
fn wm_contract(extra: &[&str], script: &str) -> (i32, Value) {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "wm-contract-client-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let json = dir.join(format!("report-{}.json", extra.len()));
    let out = Command::new(env!("CARGO_BIN_EXE_wm-contract"))
        .arg("client")
        .arg("--seed")
        .arg("3")
        .arg("--json")
        .arg(&json)
        .args(extra)
        .arg("--")
        .args(["sh", "-c", script])
        .output()
        .expect("wm-contract runs");
    let text = std::fs::read_to_string(&json).expect("the JSON report");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&text).expect("JSON"),
    )
}

const API: &str = "$TASKCLUSTER_ROOT_URL/api/worker-manager/v1";

fn only_violation(report: &Value) -> &Value {
    let v = report["violations"].as_array().expect("violations");
    assert_eq!(v.len(), 1, "{report:#}");
    &v[0]
}

/// A schema-invalid body (anonymous scopes `*`: curl cannot sign Hawk).
#[test]
fn curl_schema_invalid_body_is_reported() {
    if !have_curl() {
        eprintln!("curl not installed: skipped");
        return;
    }
    let script = format!(
        r#"curl -s -X PUT -H 'content-type: application/json' -d '{{"providerId": 5}}' {API}/worker-pool/a%2Fb"#
    );
    let (code, report) = wm_contract(&["--anonymous-scopes", "*"], &script);
    assert_eq!(code, 1);
    let v = only_violation(&report);
    assert_eq!(v["kind"], "invalid-request");
    assert_eq!(v["code"], "InputValidationError");
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("data/providerId must be string"),
        "{reason}"
    );
}

/// A route no method answers.
#[test]
fn curl_wrong_route_is_reported() {
    if !have_curl() {
        return;
    }
    let (code, report) = wm_contract(
        &["--anonymous-scopes", "*"],
        &format!("curl -s {API}/worker-pool-list"),
    );
    assert_eq!(code, 1);
    let v = only_violation(&report);
    assert_eq!(v["kind"], "unknown-route");
    assert_eq!(v["status"], 404);
    assert!(v["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("no API method answers GET"));
}

/// No signature at all (no anonymous scopes): the anonymous caller lacks the method's scope; a
/// made-up signature fails authentication.
#[test]
fn curl_missing_or_bad_signature_is_reported() {
    if !have_curl() {
        return;
    }
    let (code, report) = wm_contract(&[], &format!("curl -s {API}/worker-pools"));
    assert_eq!(code, 1);
    let v = only_violation(&report);
    assert_eq!(v["kind"], "insufficient-scopes");
    assert_eq!(v["status"], 403);
    assert!(v["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("worker-manager:list-worker-pools"));
    let script = format!(
        r#"curl -s -H 'Authorization: Hawk id="me", ts="1", nonce="n", mac="AAAA"' {API}/worker-pools"#
    );
    let (code, report) = wm_contract(&[], &script);
    assert_eq!(code, 1);
    let v = only_violation(&report);
    assert_eq!(v["kind"], "authentication-failed");
    assert_eq!(v["code"], "AuthenticationFailed");
    assert!(!v["reason"].as_str().unwrap_or_default().is_empty());
}

/// A query parameter the method does not accept, and one that breaks its pattern.
#[test]
fn curl_bad_query_is_reported() {
    if !have_curl() {
        return;
    }
    let script = format!(
        r#"curl -s "{API}/worker-pools?limit=ten"; curl -s "{API}/worker-pools?colour=blue""#
    );
    let (code, report) = wm_contract(&["--anonymous-scopes", "*"], &script);
    assert_eq!(code, 1);
    let v = report["violations"].as_array().expect("violations");
    assert_eq!(v.len(), 2, "{report:#}");
    for x in v {
        assert_eq!(x["kind"], "invalid-request");
        assert_eq!(x["code"], "InvalidRequestArguments");
    }
    assert!(v[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("limit"));
    assert!(v[1]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("colour"));
}

/// A clean curl client passes; `--min-coverage` and a failing command each fail the run with
/// their reason; `--junit` writes a suite.
#[test]
fn exit_status_follows_coverage_and_the_command() {
    if !have_curl() {
        return;
    }
    let ping = format!("curl -sf {API}/ping > /dev/null");
    let (code, report) = wm_contract(&[], &ping);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["passed"], true);
    let (code, report) = wm_contract(&["--min-coverage", "50"], &ping);
    assert_eq!(code, 1);
    assert!(report["failureReasons"][0]
        .as_str()
        .unwrap_or_default()
        .contains("below --min-coverage 50.0%"));
    let (code, report) = wm_contract(&[], &format!("{ping}; exit 3"));
    assert_eq!(code, 1);
    assert_eq!(
        report["failureReasons"][0],
        "the client command failed (exit status 3)"
    );
    let junit = std::env::temp_dir().join(format!("wm-contract-junit-{}.xml", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_wm-contract"))
        .args(["client", "--junit"])
        .arg(&junit)
        .args(["--", "sh", "-c", &ping])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    let _ = std::fs::remove_file(&junit);
    assert!(
        xml.contains("<testsuite name=\"wm-contract client\""),
        "{xml}"
    );
    assert!(xml.contains("behavior.retries-server-errors"), "{xml}");
}

/// A run that cannot start (an unreadable scenario, no command) exits 2 and says why.
#[test]
fn a_run_that_cannot_start_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_wm-contract"))
        .args([
            "client",
            "--scenario",
            "/nonexistent/scenario.json",
            "--",
            "true",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/scenario.json"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_wm-contract"))
        .args(["client"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "clap: the command is required");
}

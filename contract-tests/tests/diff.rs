//! `wm-contract diff` between two in-process mocks: identical mocks agree over many seeds, a
//! candidate misbehaving through scenario rules diverges with the right method and kind (shrunk
//! to a short sequence), and allow entries move a divergence to "allowed" (exit 0) but must say
//! why.

use std::time::Instant;

use serde_json::{json, Value};
use worker_manager_contract::diff::{self, AllowList, Config, DiffReport, Endpoint, Kind};
use worker_manager_mock::scenario::rules::Rule;
use worker_manager_mock::MockServer;

mod common;

use common::{mock, root_credentials};

/// A mock answering with `rules` first.
async fn mock_with(rules: Vec<Value>) -> MockServer {
    let server = mock().await;
    let rules: Vec<Rule> = rules
        .into_iter()
        .map(|r| serde_json::from_value(r).expect("a valid rule"))
        .collect();
    server.service().add_rules(&rules);
    server
}

fn endpoint(server: &MockServer) -> Endpoint {
    Endpoint {
        root_url: server.root_url(),
        credentials: Some(root_credentials(server)),
    }
}

/// Few cases: the fast profile.
fn config(reference: &MockServer, candidate: &MockServer, seed: u64) -> Config {
    let mut c = Config::new(endpoint(reference), endpoint(candidate));
    c.seed = seed;
    c.cases = 2;
    c.stateful_cases = 4;
    c
}

async fn run(c: &Config) -> DiffReport {
    diff::run(c).await.expect("the run starts")
}

#[tokio::test]
async fn identical_mocks_agree_over_many_seeds() {
    let started = Instant::now();
    let (a, b) = (mock().await, mock().await);
    for seed in 0..10 {
        let report = run(&config(&a, &b, seed)).await;
        assert!(report.agreed(), "seed {seed}:\n{}", report.to_text());
        assert!(report.allowed.is_empty(), "{}", report.to_text());
        assert_eq!(report.stateful_sequences, 4);
        assert!(report.methods.len() >= 27, "every method was compared");
        assert!(report.methods.values().all(|m| m.agreeing == m.cases));
        assert!(report.cleanup_reference.failed.is_empty());
        assert!(report.cleanup_candidate.failed.is_empty());
        assert!(
            !report.cleanup_reference.deleted.is_empty(),
            "pools were created"
        );
    }
    // Everything left is a deleted pool of a run (null-provider) under the prefix.
    for server in [&a, &b] {
        for pool in server.service().store().pools().values() {
            assert!(pool.worker_pool_id.starts_with("wm-contract-"));
            assert_eq!(pool.provider_id, "null-provider");
        }
    }
    eprintln!("10 seeds in {:?}", started.elapsed());
}

/// Runs only stateful sequences (no stateless cases) against a candidate with `rules`.
async fn stateful_only(rules: Vec<Value>, seed: u64, sequences: u32) -> DiffReport {
    let (a, b) = (mock().await, mock_with(rules).await);
    let mut c = config(&a, &b, seed);
    c.cases = 0;
    c.stateful_cases = sequences;
    run(&c).await
}

#[tokio::test]
async fn a_different_status_is_found_and_shrunk() {
    let report = stateful_only(
        vec![
            json!({"match": {"method": "worker"}, "action": {"type": "error",
            "status": 500, "code": "InternalServerError", "message": "boom"}}),
        ],
        1,
        8,
    )
    .await;
    assert!(!report.agreed());
    let d = &report.divergences[0];
    assert_eq!(
        (d.method.as_str(), d.difference.kind),
        ("worker", Kind::Status)
    );
    assert_eq!(d.difference.candidate, "500");
    assert!(d.ops.len() <= 2, "{}", report.to_text());
    assert!(d.original_len.is_some_and(|n| n >= d.ops.len()));
    assert_eq!(
        d.diverging_request,
        d.requests.len(),
        "{}",
        report.to_text()
    );
    assert!(report.shrink_runs > 0 || d.original_len == Some(1));
    let text = report.to_text();
    assert!(text.contains("[status] worker"), "{text}");
    assert!(text.contains("reference: 404"), "{text}");
    assert!(text.contains("candidate: 500"), "{text}");
    assert!(text.contains("result: DIVERGE"), "{text}");
    assert!(report.methods["worker"].diverging >= 1);
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let (a, b) = (
        mock().await,
        mock_with(vec![
            json!({"match": {"method": "ping"}, "action": {"type": "raw",
            "status": 200, "headers": {"content-type": "application/json"},
            "body": "{\"uptime\": 1}"}}),
        ])
        .await,
    );
    let mut c = config(&a, &b, 3);
    c.stateful_cases = 0;
    let report = run(&c).await;
    let d = report
        .divergences
        .iter()
        .find(|d| d.method == "ping" && d.difference.kind == Kind::MissingField)
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(d.difference.pointer, "/alive");
    assert_eq!(d.requests.len(), 1);
    assert!(
        report.divergences.iter().all(|d| d.method == "ping"),
        "{}",
        report.to_text()
    );
    let json: Value = serde_json::from_str(&report.to_json()).expect("JSON");
    assert!(json["divergences"]
        .as_array()
        .is_some_and(|a| a.iter().any(|d| d["kind"] == "missing-field")));
}

#[tokio::test]
async fn a_different_error_code_is_named_and_messages_are_not_compared() {
    let (a, b) = (
        mock().await,
        mock_with(vec![
            json!({"match": {"method": "workerPool"}, "action": {"type": "error",
            "status": 404, "code": "ResourceGone", "message": "another wording"}}),
        ])
        .await,
    );
    let mut c = config(&a, &b, 4);
    c.stateful_cases = 0;
    let report = run(&c).await;
    let d = report
        .divergences
        .iter()
        .find(|d| d.difference.kind == Kind::Code)
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(d.method, "workerPool");
    assert_eq!(d.difference.pointer, "/code");
    assert_eq!(
        (
            d.difference.reference.as_str(),
            d.difference.candidate.as_str()
        ),
        ("ResourceNotFound", "ResourceGone")
    );
    // Only the code differs: the messages (and requestInfo) are not compared.
    assert_eq!(d.all.len(), 1);
}

#[test]
fn credentials_are_per_side() {
    use clap::Parser;
    use worker_manager_contract::cli::{Cli, Command};
    let cli = Cli::try_parse_from([
        "wm-contract",
        "diff",
        "--reference",
        "http://a.example",
        "--candidate",
        "http://b.example",
        "--reference-client-id",
        "me",
        "--reference-access-token",
        "secret",
        "--time-tolerance",
        "7",
    ])
    .expect("parses");
    let Command::Diff(args) = cli.command else {
        panic!("not diff");
    };
    let c = args.config().expect("a configuration");
    assert_eq!(
        c.reference.credentials.map(|c| c.client_id).as_deref(),
        Some("me")
    );
    assert_eq!(c.time_tolerance_secs, 7);
    if std::env::var_os("WM_CONTRACT_CANDIDATE_CLIENT_ID").is_none() {
        assert!(
            c.candidate.credentials.is_none(),
            "no fallback to TASKCLUSTER_*"
        );
    }
    assert!(
        Cli::try_parse_from([
            "wm-contract",
            "diff",
            "--reference",
            "http://a.example",
            "--candidate",
            "http://b.example",
            "--candidate-client-id",
            "x",
        ])
        .is_err()
            || std::env::var_os("WM_CONTRACT_CANDIDATE_ACCESS_TOKEN").is_some()
    );
}

#[tokio::test]
async fn a_paging_difference_is_found_and_shrunk() {
    let report = stateful_only(
        vec![json!({"match": {"method": "listWorkerPoolErrors"},
            "action": {"type": "paging", "emptyPage": true}})],
        2,
        8,
    )
    .await;
    let d = report
        .divergences
        .first()
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(
        (d.method.as_str(), d.difference.kind),
        ("listWorkerPoolErrors", Kind::Paging),
        "{}",
        report.to_text()
    );
    assert!(d.ops.len() <= 3, "{}", report.to_text());
}

#[tokio::test]
async fn allowed_divergences_are_reported_with_their_reason() {
    let allow = AllowList::parse(
        r#"[{"method": "worker", "kind": "status", "pointer": "",
             "reason": "the candidate fails getWorker on purpose"}]"#,
    )
    .expect("a valid allow file");
    let (a, b) = (
        mock().await,
        mock_with(vec![
            json!({"match": {"method": "worker"}, "action": {"type": "error",
            "status": 500, "code": "InternalServerError", "message": "boom"}}),
        ])
        .await,
    );
    let mut c = config(&a, &b, 1);
    c.cases = 0;
    c.stateful_cases = 8;
    c.allow = allow;
    let report = run(&c).await;
    assert!(report.agreed(), "{}", report.to_text());
    assert_eq!(report.allowed.len(), 1);
    assert_eq!(
        report.allowed[0].allowed.as_deref(),
        Some("the candidate fails getWorker on purpose")
    );
    assert!(report.methods["worker"].allowed >= 1);
    assert!(report.to_text().contains("ALLOWED, with reason (1)"));
}

#[test]
fn an_allow_entry_without_reason_is_refused() {
    for text in [
        r#"[{"method": "worker", "kind": "status"}]"#,
        r#"[{"method": "worker", "kind": "status", "reason": "  "}]"#,
    ] {
        assert!(matches!(
            AllowList::parse(text),
            Err(diff::AllowError::NoReason { index: 0, .. })
        ));
    }
}

/// Runs the `wm-contract diff` binary against the two mocks; its exit status.
async fn exit_status(a: &MockServer, b: &MockServer, extra: Vec<String>) -> Option<i32> {
    let (ra, rb) = (endpoint(a), endpoint(b));
    let creds = |e: &Endpoint| e.credentials.clone().expect("credentials");
    let (ca, cb) = (creds(&ra), creds(&rb));
    let mut args: Vec<String> = [
        "diff",
        "--reference",
        &ra.root_url,
        "--candidate",
        &rb.root_url,
        "--cases",
        "0",
        "--stateful-cases",
        "4",
        "--seed",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra);
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wm-contract"))
        .args(&args)
        .env("WM_CONTRACT_REFERENCE_CLIENT_ID", ca.client_id)
        .env("WM_CONTRACT_REFERENCE_ACCESS_TOKEN", ca.access_token)
        .env("WM_CONTRACT_CANDIDATE_CLIENT_ID", cb.client_id)
        .env("WM_CONTRACT_CANDIDATE_ACCESS_TOKEN", cb.access_token)
        .output()
        .await
        .expect("wm-contract runs");
    child.status.code()
}

#[tokio::test]
async fn exit_status_is_1_on_divergence_0_when_allowed_2_when_it_cannot_start() {
    let (a, b) = (
        mock().await,
        mock_with(vec![
            json!({"match": {"method": "worker"}, "action": {"type": "error",
            "status": 500, "code": "InternalServerError", "message": "boom"}}),
        ])
        .await,
    );
    let dir = std::env::temp_dir().join(format!("wm-contract-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let good = dir.join("allow.json");
    std::fs::write(
        &good,
        r#"[{"method": "worker", "kind": "status", "reason": "on purpose"}]"#,
    )
    .expect("written");
    let bad = dir.join("no-reason.json");
    std::fs::write(&bad, r#"[{"method": "worker", "kind": "status"}]"#).expect("written");
    let json = dir.join("report.json");
    let allow = |p: &std::path::Path| vec!["--allow".to_string(), p.display().to_string()];
    let mut with_json = vec!["--json".to_string(), json.display().to_string()];
    with_json.extend(allow(&good));
    assert_eq!(exit_status(&a, &b, vec![]).await, Some(1));
    assert_eq!(exit_status(&a, &b, with_json).await, Some(0));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    assert_eq!(written["allowed"][0]["allowed"], "on purpose");
    assert_eq!(exit_status(&a, &b, allow(&bad)).await, Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unreachable_side_cannot_start() {
    let a = mock().await;
    let c = Config::new(
        endpoint(&a),
        Endpoint {
            root_url: "http://127.0.0.1:1".into(),
            credentials: None,
        },
    );
    assert!(matches!(
        diff::run(&c).await,
        Err(diff::DiffError::Unreachable {
            side: "candidate",
            ..
        })
    ));
}

#[tokio::test]
async fn an_ignored_limit_is_shrunk_to_the_operations_it_needs() {
    let report = stateful_only(
        vec![json!({"match": {"method": "listWorkersForWorkerPool"},
            "action": {"type": "paging", "pageSize": 1}})],
        // Two workers in one listed pool are rare in random sequences: a seed that has them.
        12,
        12,
    )
    .await;
    let d = report
        .divergences
        .first()
        .unwrap_or_else(|| panic!("{}", report.to_text()));
    assert_eq!(
        (d.method.as_str(), d.difference.kind),
        ("listWorkersForWorkerPool", Kind::Paging),
        "{}",
        report.to_text()
    );
    // A pool, two workers in it, and the list: nothing shorter shows a short page.
    assert!(d.ops.len() <= 4, "{}", report.to_text());
}

#[tokio::test]
#[ignore = "a longer soak (~2 min in debug): .ci/run runs it"]
async fn identical_mocks_agree_soak() {
    let (a, b) = (mock().await, mock().await);
    for seed in 100..130 {
        let mut c = config(&a, &b, seed);
        c.cases = 8;
        c.stateful_cases = 12;
        let report = run(&c).await;
        assert!(report.agreed(), "seed {seed}:\n{}", report.to_text());
    }
}

/// A candidate that serves stale reads (a replica one answer behind: the `stale` scenario action
/// on every read) diverges, shrunk to the few operations that expose it: a read, a change, and
/// the same read missing the change.
#[tokio::test]
async fn a_stale_read_is_found_and_shrunk() {
    const READS: [&str; 5] = [
        "workerPool",
        "worker",
        "listWorkerPools",
        "listWorkersForWorkerPool",
        "listWorkerPoolErrors",
    ];
    let report = stateful_only(
        vec![json!({"match": {"method": READS}, "action": {"type": "stale"}})],
        5,
        24,
    )
    .await;
    assert!(!report.agreed(), "{}", report.to_text());
    let d = &report.divergences[0];
    assert!(READS.contains(&d.method.as_str()), "{}", report.to_text());
    assert!((2..=4).contains(&d.ops.len()), "{}", report.to_text());
    // The diverging read is the last operation, and an earlier one is the same read.
    let last = d.ops.len() - 1;
    assert_eq!(d.ops[last].method(), d.method, "{}", report.to_text());
    assert!(
        d.ops[..last].iter().any(|op| op == &d.ops[last]),
        "{}",
        report.to_text()
    );
}

/// The pools of `server` under a run prefix (`wm-contract-...`) not yet moved to null-provider.
fn live_run_pools(server: &MockServer) -> Vec<String> {
    let store = server.service().store();
    store
        .pools()
        .values()
        .filter(|p| {
            p.worker_pool_id.starts_with("wm-contract-") && p.provider_id != "null-provider"
        })
        .map(|p| p.worker_pool_id.to_string())
        .collect()
}

/// Interrupted (Ctrl-C in the binary) once both sides hold pools of the run: both prefixes are
/// swept and the run ends with `Interrupted`.
#[tokio::test]
async fn an_interrupted_diff_sweeps_both_sides() {
    let slow = json!({"match": {}, "action": {"type": "latency", "ms": 5}});
    let (a, b) = (
        mock_with(vec![slow.clone()]).await,
        mock_with(vec![slow]).await,
    );
    let mut c = config(&a, &b, 4);
    c.cases = 0;
    c.stateful_cases = 200;
    let interrupt = async {
        while live_run_pools(&a).is_empty() || live_run_pools(&b).is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    let result = diff::run_until(&c, interrupt).await;
    let Err(diff::DiffError::Interrupted {
        reference,
        candidate,
    }) = result
    else {
        panic!("expected an interrupted run, got {result:?}");
    };
    assert!(
        !reference.deleted.is_empty() && reference.failed.is_empty(),
        "{reference:?}"
    );
    assert!(
        !candidate.deleted.is_empty() && candidate.failed.is_empty(),
        "{candidate:?}"
    );
    assert_eq!(live_run_pools(&a), Vec::<String>::new());
    assert_eq!(live_run_pools(&b), Vec::<String>::new());
}

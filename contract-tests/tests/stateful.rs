//! Stateful sequences against the in-process mock: a correct server matches the model, the same
//! sequence gives the same answers on two servers (what `wm-contract diff` builds on), and an
//! injected bug is found and shrunk to a short sequence.

use serde_json::{json, Value};
use worker_manager_contract::server::{Client, RunPrefix};
use worker_manager_contract::stateful::{self, Namespace, Op};
use worker_manager_mock::scenario::rules::Rule;
use worker_manager_mock::MockServer;

mod common;

use common::{mock, root_credentials};

fn client(server: &MockServer) -> Client {
    Client::new(&server.root_url(), Some(root_credentials(server))).expect("a client")
}

fn prefix() -> RunPrefix {
    RunPrefix::new("stateful").expect("a prefix")
}

#[tokio::test]
async fn a_correct_server_matches_the_model() {
    let server = mock().await;
    let out = stateful::check_sequences(&client(&server), &prefix(), "static", 12, 7).await;
    assert!(
        out.failure.is_none(),
        "{}",
        out.failure
            .as_ref()
            .map(|f| f.to_text())
            .unwrap_or_default()
    );
    assert_eq!((out.cases, out.passed), (12, 12));
    assert!(out.requests > 12);
}

#[tokio::test]
async fn the_same_sequence_answers_alike_on_two_servers() {
    let (a, b) = (mock().await, mock().await);
    let ns = Namespace::new(&prefix(), 0, "static");
    let ops = [
        Op::CreatePool { pool: 0, desc: 1 },
        Op::CreatePool { pool: 0, desc: 2 },
        Op::CreateWorker {
            pool: 0,
            worker: 1,
            capacity: 2,
            secret: 0,
        },
        Op::RegisterWorker {
            pool: 0,
            worker: 1,
            secret: 1,
        },
        Op::ListWorkers { pool: 0, limit: 1 },
        Op::GetPool { pool: 2 },
    ];
    let xa = stateful::run_sequence(&client(&a), &ns, &ops).await;
    let xb = stateful::run_sequence(&client(&b), &ns, &ops).await;
    let statuses = |xs: &[stateful::Exchange]| xs.iter().map(|x| x.status()).collect::<Vec<_>>();
    assert_eq!(
        statuses(&xa),
        vec![
            Some(200),
            Some(409),
            Some(200),
            Some(400),
            Some(200),
            Some(404)
        ]
    );
    assert_eq!(statuses(&xa), statuses(&xb));
    assert!(ops[0].request(&ns).expect("builds").to_curl().starts_with(
        "curl -X PUT \"$TASKCLUSTER_ROOT_URL/api/worker-manager/v1/worker-pool/wm-contract-stateful%2Fs0-p0\""
    ));
}

#[tokio::test]
async fn a_stale_update_is_found_and_shrunk() {
    let server = mock().await;
    // updateWorkerPool answers 200 with an old body and changes nothing.
    let stale: Value = json!({
        "workerPoolId": "wm-contract-stateful/s0-p0", "providerId": "static",
        "description": "stale", "config": {}, "owner": "wm-contract@example.com",
        "emailOnError": false, "created": "2026-01-01T00:00:00.000Z",
        "lastModified": "2026-01-01T00:00:00.000Z", "currentCapacity": 0,
        "requestedCount": 0, "runningCount": 0, "stoppingCount": 0, "stoppedCount": 0,
        "requestedCapacity": 0, "runningCapacity": 0, "stoppingCapacity": 0, "stoppedCapacity": 0
    });
    let rule: Rule = serde_json::from_value(json!({"match": {"method": "updateWorkerPool"},
        "action": {"type": "raw", "status": 200, "headers": {"content-type": "application/json"},
                   "body": stale.to_string()}}))
    .expect("a rule");
    server.service().add_rules(&[rule]);
    let out = stateful::check_sequences(&client(&server), &prefix(), "static", 30, 3).await;
    let failure = out.failure.expect("the model finds the stale update");
    let text = failure.to_text();
    assert!(failure.ops.len() <= 2, "shrunk: {text}");
    assert!(
        matches!(failure.ops.last(), Some(Op::UpdatePool { .. })),
        "{text}"
    );
    assert!(failure.original_len >= failure.ops.len());
    assert!(text.contains("1. curl -X "), "{text}");
    assert_eq!(failure.expected, "status 404 ResourceNotFound", "{text}");
    assert_eq!(failure.found, "status 200", "{text}");
    assert!(text.contains("seed 3"), "{text}");
}

#[tokio::test]
async fn a_duplicated_error_report_shrinks_to_three_operations() {
    let server = mock().await;
    // Every reportWorkerError is delivered twice (as a retrying proxy might): only a pool that
    // exists, an error reported and the errors listed show it.
    let rule: Rule = serde_json::from_value(
        json!({"match": {"method": "reportWorkerError"}, "action": {"type": "duplicate"}}),
    )
    .expect("a rule");
    server.service().add_rules(&[rule]);
    let out = stateful::check_sequences(&client(&server), &prefix(), "static", 40, 5).await;
    let failure = out.failure.expect("the model finds the duplicated error");
    let text = failure.to_text();
    println!("{text}");
    assert_eq!(failure.ops.len(), 3, "{text}");
    assert!(matches!(failure.ops[0], Op::CreatePool { .. }), "{text}");
    assert!(matches!(failure.ops[1], Op::ReportError { .. }), "{text}");
    assert!(matches!(failure.ops[2], Op::ListErrors { .. }), "{text}");
    assert_eq!(failure.expected, "1 distinct errors", "{text}");
    assert_eq!(failure.found, "2 errors, 2 distinct", "{text}");
    assert!(out.shrink_runs > 0);
}

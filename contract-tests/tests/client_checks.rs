//! The client-behavior checks over synthetic journals (passed, failed, not exercised for each),
//! the violation and coverage analysis, and `--response-fuzz`'s variants.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use worker_manager_contract::client::analyze::{coverage, violations, ViolationKind};
use worker_manager_contract::client::behavior::{self, Outcome};
use worker_manager_contract::client::fuzz::{keep_identity, ResponseFuzz};
use worker_manager_contract::client::Observed;
use worker_manager_schemas::{Catalog, Validators};

/// A request at `time` ms: `GET path` routed to `method`, answered `status`.
fn req(time: i64, method: &str, path: &str, status: u16) -> Observed {
    Observed {
        time,
        http_method: "GET".into(),
        path: format!("/api/worker-manager/v1{path}"),
        method: Some(method.into()),
        client_id: Some("root".into()),
        status,
        conformed: Some(true),
        request_body: json!({}),
        response_body: json!({}),
        ..Observed::default()
    }
}

fn with_body(mut r: Observed, body: Value) -> Observed {
    r.response_body = body;
    r
}

fn pools(t: i64, status: u16) -> Observed {
    req(t, "listWorkerPools", "/worker-pools", status)
}

#[test]
fn retries_server_errors_passed_failed_not_exercised() {
    let check = behavior::retries_server_errors;
    let ok = [pools(0, 503), pools(100, 503), pools(300, 200)];
    assert_eq!(check(&ok).outcome, Outcome::Passed, "{:?}", check(&ok));
    let never = [pools(0, 503), req(10, "ping", "/ping", 200)];
    assert_eq!(check(&never).outcome, Outcome::Failed);
    let hammering = [pools(0, 500), pools(1, 500), pools(2, 200)];
    assert_eq!(check(&hammering).outcome, Outcome::Failed);
    let shrinking = [pools(0, 500), pools(400, 500), pools(500, 200)];
    assert!(check(&shrinking).details[0].contains("do not increase"));
    let too_many: Vec<Observed> = (0..8).map(|i| pools(100 * (1 << i), 503)).collect();
    assert!(check(&too_many).details[0].contains("more than 5 retries"));
    let reset = [pools(0, 0), pools(50, 200)];
    assert_eq!(check(&reset).outcome, Outcome::Passed);
    assert_eq!(check(&[pools(0, 200)]).outcome, Outcome::NotExercised);
}

#[test]
fn no_retry_of_client_errors_passed_failed_not_exercised() {
    let check = behavior::no_retry_of_client_errors;
    let w = |t, s| req(t, "workerPool", "/worker-pool/a%2Fb", s);
    assert_eq!(
        check(&[w(0, 404), req(5, "ping", "/ping", 200), w(10, 404)]).outcome,
        Outcome::Passed,
        "another request in between: not a blind retry"
    );
    assert_eq!(check(&[w(0, 404), w(5, 404)]).outcome, Outcome::Failed);
    assert_eq!(
        check(&[w(0, 429), w(5, 200)]).outcome,
        Outcome::NotExercised
    );
    assert_eq!(check(&[w(0, 200)]).outcome, Outcome::NotExercised);
}

#[test]
fn follows_continuation_tokens_passed_failed_stopped_not_exercised() {
    let check = behavior::follows_continuation_tokens;
    let page = |t, q: &str, token: Option<&str>| {
        let mut body = json!({"workerPools": []});
        if let Some(tok) = token {
            body["continuationToken"] = tok.into();
        }
        with_body(
            req(t, "listWorkerPools", &format!("/worker-pools{q}"), 200),
            body,
        )
    };
    let followed = [
        page(0, "", Some("t1")),
        page(1, "?continuationToken=t1", None),
    ];
    assert_eq!(check(&followed).outcome, Outcome::Passed);
    let dropped = [page(0, "", Some("t1"))];
    assert_eq!(check(&dropped).outcome, Outcome::Failed);
    let restarted = [
        page(0, "?limit=2", Some("t1")),
        page(1, "?limit=2", Some("t1")),
    ];
    assert_eq!(check(&restarted).outcome, Outcome::Failed);
    let stopped = [page(0, "?limit=2", Some("t1"))];
    let r = check(&stopped);
    assert_eq!(r.outcome, Outcome::Passed);
    assert!(r.details[0].contains("stopped paging"));
    assert_eq!(check(&[page(0, "", None)]).outcome, Outcome::NotExercised);
}

fn registration(t: i64, method: &str, expires: &str) -> Observed {
    let mut r = req(t, method, "/worker/register", 200);
    r.http_method = "POST".into();
    r.request_body = json!("<omitted>");
    r.response_body = json!({"expires": expires, "credentials": {"clientId": "worker/w1"}, "secret": "<omitted>"});
    r
}

fn as_worker(mut r: Observed) -> Observed {
    r.client_id = Some("worker/w1".into());
    r
}

/// 2026-01-01T00:00:00Z in ms.
const T0: i64 = 1_767_225_600_000;

#[test]
fn reregisters_before_expiry_passed_failed_not_exercised() {
    let check = behavior::reregisters_before_expiry;
    let reg = registration(T0, "registerWorker", "2026-01-01T00:00:10.000Z");
    let rereg = as_worker(registration(
        T0 + 9_000,
        "reregisterWorker",
        "2026-01-01T00:00:20.000Z",
    ));
    let use_at = |t| {
        as_worker(req(
            t,
            "reportWorkerError",
            "/worker-pool-errors/a%2Fb",
            200,
        ))
    };
    assert_eq!(
        check(&[reg.clone(), rereg.clone(), use_at(T0 + 15_000)]).outcome,
        Outcome::Passed
    );
    let late = check(&[reg.clone(), use_at(T0 + 11_000)]);
    assert_eq!(late.outcome, Outcome::Failed);
    assert!(
        late.details[0].contains("1000 ms after they expired"),
        "{late:?}"
    );
    assert_eq!(check(&[reg]).outcome, Outcome::NotExercised);
}

#[test]
fn no_reuse_of_rotated_secret_passed_failed_not_exercised() {
    let check = behavior::no_reuse_of_rotated_secret;
    let reg = registration(T0, "registerWorker", "2026-01-01T01:00:00.000Z");
    let ok = as_worker(registration(
        T0 + 1,
        "reregisterWorker",
        "2026-01-01T02:00:00.000Z",
    ));
    let mut reused = as_worker(req(T0 + 2, "reregisterWorker", "/worker/reregister", 400));
    reused.response_body = json!({"code": "InputError",
        "message": "Could not generate credentials for this secret\n\n---\n\n* method: reregisterWorker"});
    assert_eq!(check(&[reg.clone(), ok.clone()]).outcome, Outcome::Passed);
    assert_eq!(check(&[reg.clone(), ok, reused]).outcome, Outcome::Failed);
    assert_eq!(check(&[reg]).outcome, Outcome::NotExercised);
}

#[test]
fn signed_with_valid_credentials_passed_failed_not_exercised() {
    let check = behavior::signed_with_valid_credentials;
    let mut expired = req(0, "workerPool", "/worker-pool/a%2Fb", 401);
    expired.error_code = Some("AuthenticationFailed".into());
    expired.response_body = json!({"message": "ext.certificate.expiry < now\n---\n"});
    assert_eq!(
        check(&[req(0, "ping", "/ping", 200)]).outcome,
        Outcome::Passed
    );
    assert_eq!(check(&[expired]).outcome, Outcome::Failed);
    let reg = registration(T0, "registerWorker", "2026-01-01T00:00:10.000Z");
    let accepted_late = as_worker(req(T0 + 10_001, "workerPool", "/worker-pool/a%2Fb", 200));
    let r = check(&[reg, accepted_late]);
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        r.details[0].contains("expired 1 ms before (answered 200)"),
        "{r:?}"
    );
    let mut anonymous = req(0, "ping", "/ping", 200);
    anonymous.client_id = None;
    assert_eq!(check(&[anonymous]).outcome, Outcome::NotExercised);
}

#[test]
fn violations_and_coverage_from_a_journal() {
    let mut unknown = req(0, "x", "/nope", 404);
    unknown.method = None;
    let mut invalid = req(1, "workerPool", "/worker-pool/x", 400);
    invalid.conformed = Some(false);
    invalid.error_code = Some("InvalidRequestArguments".into());
    invalid.response_body = json!({"message": "workerPoolId does not match\n\n---\n* method"});
    let mut scopes = req(2, "workerPool", "/worker-pool/a%2Fb", 403);
    scopes.error_code = Some("InsufficientScopes".into());
    let journal = [
        unknown,
        invalid,
        scopes,
        pools(3, 500),
        pools(4, 0),
        pools(5, 200),
    ];
    let v = violations(&journal);
    let kinds: Vec<ViolationKind> = v.iter().map(|x| x.kind).collect();
    assert_eq!(
        kinds,
        [
            ViolationKind::UnknownRoute,
            ViolationKind::InvalidRequest,
            ViolationKind::InsufficientScopes
        ]
    );
    assert_eq!(
        v[1].reason,
        "InvalidRequestArguments: workerPoolId does not match"
    );
    let c = coverage(Catalog::embedded(), &journal);
    assert_eq!(c.called_methods(), ["listWorkerPools", "workerPool"]);
    let l = &c.methods["listWorkerPools"];
    assert_eq!(
        (l.ok, l.client_error, l.server_error, l.no_answer),
        (1, 0, 1, 1)
    );
    assert_eq!(c.methods["workerPool"].client_error, 2);
    assert_eq!(c.total, Catalog::embedded().entries().len());
}

#[test]
fn response_fuzz_variants_validate_keep_identity_and_replay() {
    let mut real = worker_manager_contract::kit::response_strategy("workerPool")
        .expect("a strategy")
        .new_tree(&mut TestRunner::deterministic())
        .expect("a value")
        .current();
    real["workerPoolId"] = json!("proj/linux");
    real["providerId"] = json!("static");
    let v = Validators::embedded();
    assert!(v.validate("worker-pool-full", &real).is_ok());
    let a = ResponseFuzz::new(5);
    let b = ResponseFuzz::new(5);
    let mut changed = 0;
    for _ in 0..50 {
        let x = a.variant("workerPool", real.clone());
        assert_eq!(
            x,
            b.variant("workerPool", real.clone()),
            "same seed, same variants"
        );
        assert!(v.validate("worker-pool-full", &x).is_ok(), "{x}");
        assert_eq!(x["workerPoolId"], "proj/linux");
        assert_eq!(x["providerId"], "static");
        if x != real {
            changed += 1;
        }
    }
    assert!(changed > 40, "only {changed} of 50 variants differ");
    let no_token = keep_identity(
        &json!({"workerPools": []}),
        json!({"workerPools": [], "continuationToken": "x"}),
    );
    assert_eq!(no_token, json!({"workerPools": []}));
    assert_eq!(
        a.variant("ping", json!({})),
        json!({}),
        "no output schema: unchanged"
    );
}

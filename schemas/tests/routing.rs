//! Routing as the real service routes (reference §1.1), plus the build/match round trip.

use std::collections::BTreeMap;

use proptest::prelude::*;
use worker_manager_schemas::{Catalog, RouteOutcome};

fn routed(method: &str, path: &str) -> Option<(String, String, BTreeMap<String, String>)> {
    match Catalog::embedded().match_route(method, path) {
        RouteOutcome::Matched(m) => Some((
            m.entry.name.clone(),
            m.routed_name.to_string(),
            m.params.to_map(),
        )),
        _ => None,
    }
}

fn name(method: &str, path: &str) -> String {
    routed(method, path)
        .map(|r| r.0)
        .unwrap_or_else(|| "<404>".into())
}

#[test]
fn reference_routing_examples() {
    let cases: &[(&str, &str, &str)] = &[
        ("GET", "/ping", "ping"),
        ("GET", "/__heartbeat__", "heartbeat"),
        ("GET", "/worker-pools", "listWorkerPools"),
        ("GET", "/worker-pools/", "listWorkerPools"),
        ("GET", "/Worker-pools", "<404>"),
        ("GET", "/worker-pools/stats", "listWorkerPoolsStats"),
        ("GET", "/worker-pool/pp%2Fee", "workerPool"),
        ("GET", "/worker-pool/pp/ee", "workerPool"),
        ("HEAD", "/worker-pool/pp/ee", "workerPool"),
        ("PUT", "/worker-pool/pp/ee", "createWorkerPool"),
        ("POST", "/worker-pool/pp%2Fee", "updateWorkerPool"),
        ("DELETE", "/worker-pool/pp%2Fee", "deleteWorkerPool"),
        ("PATCH", "/worker-pool/a%2Fb", "<404>"),
        ("GET", "/worker-pool/pp%2Fee/stats", "workerPoolStats"),
        ("GET", "/worker-pool/p/stats", "workerPoolStats"),
        (
            "GET",
            "/worker-pool/pp%2Fee/launch-configs",
            "listWorkerPoolLaunchConfigs",
        ),
        ("GET", "/worker-pool/pp/ee/launch-configs", "workerPool"),
        ("GET", "/worker-pool-errors/stats", "workerPoolErrorStats"),
        ("POST", "/worker-pool-errors/stats", "reportWorkerError"),
        ("GET", "/worker-pool-errors/pp/ee", "listWorkerPoolErrors"),
        ("GET", "/workers/pp/ee", "listWorkersForWorkerGroup"),
        ("GET", "/workers/pp/ee/wg/wi", "listWorkersForWorkerPool"),
        ("GET", "/workers/pp%2Fee", "listWorkersForWorkerPool"),
        ("GET", "/workers/pp%2Fee/wg/wi", "worker"),
        (
            "GET",
            "/workers/pp%2Fee/wg/wi/should-terminate",
            "shouldWorkerTerminate",
        ),
        ("PUT", "/workers/pp%2Fee/wg/wi", "createWorker"),
        ("POST", "/workers/pp%2Fee/wg/wi", "updateWorker"),
        ("DELETE", "/workers/pp%2Fee/wg/wi", "removeWorker"),
        ("POST", "/worker/register", "registerWorker"),
        ("POST", "/worker/reregister", "reregisterWorker"),
        (
            "GET",
            "/provisioners/pp/worker-types/ee/workers",
            "listWorkers",
        ),
        (
            "GET",
            "/provisioners/pp/worker-types/ee/workers/wg/wi",
            "getWorker",
        ),
        ("GET", "/nope", "<404>"),
        ("GET", "/", "<404>"),
    ];
    for (m, p, want) in cases {
        assert_eq!(&name(m, p), want, "{m} {p}");
    }
}

#[test]
fn raw_slashes_reach_validation_as_the_real_router_reads_them() {
    let (_, _, p) = routed("GET", "/workers/pp/ee").unwrap();
    assert_eq!(p["workerPoolId"], "pp");
    assert_eq!(p["workerGroup"], "ee");
    let (_, _, p) = routed("GET", "/workers/pp/ee/wg/wi").unwrap();
    assert_eq!(p["workerPoolId"], "pp/ee/wg/wi");
    let (_, _, p) = routed("GET", "/worker-pool/pp/ee/launch-configs").unwrap();
    assert_eq!(p["workerPoolId"], "pp/ee/launch-configs");
    let (_, _, p) = routed("GET", "/worker-pool/").unwrap();
    assert_eq!(p["workerPoolId"], "");
}

#[test]
fn legacy_colon_routes() {
    for (m, path, entry, alias) in [
        (
            "GET",
            "/workers/pp%2Fee:/wg",
            "listWorkersForWorkerGroup",
            "listWorkersForWorkerGroupWithColon",
        ),
        (
            "GET",
            "/workers/pp%2Fee:/wg/wi",
            "worker",
            "workerWithColon",
        ),
        (
            "PUT",
            "/workers/pp%2Fee:/wg/wi",
            "createWorker",
            "createWorkerWithColon",
        ),
        (
            "POST",
            "/workers/pp%2Fee:/wg/wi",
            "updateWorker",
            "updateWorkerWithColon",
        ),
    ] {
        let (n, routed_name, p) = routed(m, path).unwrap();
        assert_eq!((n.as_str(), routed_name.as_str()), (entry, alias));
        assert_eq!(p["workerPoolId"], "pp/ee");
    }
    // removeWorker has no colon variant: the colon stays in the id.
    let (n, routed_name, p) = routed("DELETE", "/workers/pp%2Fee:/wg/wi").unwrap();
    assert_eq!(
        (n.as_str(), routed_name.as_str()),
        ("removeWorker", "removeWorker")
    );
    assert_eq!(p["workerPoolId"], "pp/ee:");
}

#[test]
fn options_lists_allowed_methods() {
    match Catalog::embedded().match_route("OPTIONS", "/worker-pool/a%2Fb") {
        RouteOutcome::Options { allow } => {
            for m in ["GET", "HEAD", "PUT", "POST", "DELETE"] {
                assert!(allow.contains(&m), "{m}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Catalog::embedded().match_route("OPTIONS", "/nothing"),
        RouteOutcome::NotFound
    ));
}

#[test]
fn bad_percent_encoding_is_reported() {
    assert!(matches!(
        Catalog::embedded().match_route("GET", "/worker-pool/a%ZZb"),
        RouteOutcome::BadEncoding { .. }
    ));
}

#[test]
fn params_and_queries_are_validated_with_upstream_messages() {
    let c = Catalog::embedded();
    let e = c.get("workerPool").unwrap();
    let bad = BTreeMap::from([("workerPoolId".to_string(), "pp".to_string())]);
    let err = c.validate_params(e, &bad).unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "Invalid URL patterns:\nURL parameter 'workerPoolId' given as 'pp' must match regular expression: '{}'",
            c.param_pattern("workerPoolId").unwrap()
        )
    );
    let lw = c.get("listWorkerPools").unwrap();
    assert_eq!(
        c.validate_query(lw, Some("x=1")).unwrap_err().to_string(),
        "Query-string parameter: x is not supported!"
    );
    assert_eq!(
        c.validate_query(lw, Some("limit=1&limit=2"))
            .unwrap_err()
            .to_string(),
        "Query-string parameter: limit must be a string!"
    );
    assert_eq!(
        c.validate_query(lw, Some("limit="))
            .unwrap_err()
            .to_string(),
        "Query-string parameter: limit=\"\" does not match expression: /^[0-9]+$/"
    );
    assert!(c.validate_query(lw, Some("continuationToken=")).is_err());
    let ok = c.validate_query(lw, Some("limit=10&bewit=abc")).unwrap();
    assert_eq!(ok.get("limit").map(String::as_str), Some("10"));
    assert!(!ok.contains_key("bewit"));
    assert!(c
        .validate_query(c.get("ping").unwrap(), Some("x=1"))
        .is_err());
    // provisionerId / workerType are not validated at all.
    let gw = c.get("getWorker").unwrap();
    let p = BTreeMap::from([
        ("provisionerId".to_string(), "any thing!".to_string()),
        ("workerType".to_string(), "ANY".to_string()),
        ("workerGroup".to_string(), "wg".to_string()),
        ("workerId".to_string(), "wi".to_string()),
    ]);
    assert!(c.validate_params(gw, &p).is_ok());
}

fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_-]{1,38}"
}

fn pool_id() -> impl Strategy<Value = String> {
    ("[a-zA-Z0-9_-]{1,38}", "[a-z]([-a-z0-9]{0,36}[a-z0-9])?").prop_map(|(a, b)| format!("{a}/{b}"))
}

proptest! {
    /// For any valid parameters, building a path and routing it gives back the same method and
    /// parameters.
    #[test]
    fn build_then_match_round_trips(
        idx in 0usize..27,
        wp in pool_id(),
        wg in ident(),
        wi in ident(),
    ) {
        let c = Catalog::embedded();
        let e = &c.entries()[idx];
        let (prov, wt) = wp.split_once('/').unwrap();
        let mut params = BTreeMap::new();
        for a in &e.args {
            let v = match a.as_str() {
                "workerPoolId" => wp.clone(),
                "workerGroup" => wg.clone(),
                "workerId" => wi.clone(),
                "provisionerId" => prov.to_string(),
                "workerType" => wt.to_string(),
                other => panic!("unexpected arg {other}"),
            };
            params.insert(a.clone(), v);
        }
        let path = c.build_path(&e.name, &params).unwrap();
        match c.match_route(e.method.as_str(), &path) {
            RouteOutcome::Matched(m) => {
                prop_assert_eq!(&m.entry.name, &e.name);
                prop_assert_eq!(m.routed_name, e.name.as_str());
                prop_assert_eq!(&m.params.to_map(), &params);
                prop_assert!(c.validate_params(e, &m.params).is_ok());
            }
            other => prop_assert!(false, "{} {} -> {:?}", e.name, path, other),
        }
    }

    /// The router never panics, whatever the path.
    #[test]
    fn router_never_panics(method in "(GET|PUT|POST|DELETE|HEAD|OPTIONS|PATCH)", path in "/[ -~]{0,80}") {
        let _ = Catalog::embedded().match_route(&method, &path);
    }
}

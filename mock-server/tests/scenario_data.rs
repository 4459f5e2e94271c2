//! The data side of scenarios: the fixture files load and apply, malformed files are refused with
//! the file name, the JSON pointer and the reason, seeds apply all-or-nothing and
//! deterministically, and an export re-applied to a fresh service reproduces the state.

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{json, Value};
use worker_manager_mock::scenario::model::SeedClock;
use worker_manager_mock::scenario::{apply_seed, export_seed, Scenario, Seed};
use worker_manager_mock::store::model::{WorkerKey, WorkerState};
use worker_manager_mock::time::{parse_date_time, DAY, HOUR, MINUTE, SECOND};
use worker_manager_mock::{Clock, Options, ProviderType, Service};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios")
}

fn service(seed: u64) -> Service {
    Service::new(Options {
        seed: Some(seed),
        ..Options::default()
    })
}

fn fixture(name: &str) -> Scenario {
    Scenario::load(fixtures_dir().join(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn frozen_at(seed: &mut Seed, now: &str) {
    seed.clock = Some(SeedClock {
        now: now.to_string(),
        frozen: true,
    });
}

#[test]
fn every_fixture_loads_and_applies() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let description = scenario.description.clone().unwrap_or_default();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            description.contains(&format!("--scenario fixtures/scenarios/{name}")),
            "{name}: the description must say how to use it"
        );
        let svc = service(1);
        apply_seed(&svc, &scenario.seed).unwrap_or_else(|e| panic!("{name}: {e}"));
        svc.store().check_invariants().unwrap();
        names.push(name);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "busy-deployment.json",
            "client-outage.json",
            "client-short-credentials.json",
            "client-short-pages.json",
            "expiring-credentials.json",
            "flaky-network.json",
            "paging-edge-cases.json",
            "provider-outage.json"
        ]
    );
}

#[test]
fn busy_deployment_has_every_provider_type_and_state() {
    let scenario = fixture("busy-deployment.json");
    assert!(scenario.rules.is_empty());
    let svc = service(2);
    apply_seed(&svc, &scenario.seed).unwrap();
    let store = svc.store();
    let mut kinds: Vec<ProviderType> = store
        .pools()
        .values()
        .filter_map(|p| store.provider(&p.provider_id).map(|p| p.provider_type))
        .collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    assert!(store.worker_count() > 900);
    for state in WorkerState::ALL {
        let n = store.all_workers().filter(|w| w.state == state).count();
        assert!(n >= 100, "{} workers {}", n, state.as_str());
    }
    assert!(store
        .launch_configs("proj-ci/aws-linux-large")
        .is_some_and(|l| l.len() == 2));
    assert_eq!(store.all_errors().count(), 20);
    let now = svc.clock.now_ms();
    assert!(store
        .all_errors()
        .all(|e| e.reported < now && e.reported > now - 7 * DAY));
    assert_eq!(store.queue_workers().len(), 5);
    // A worker of a pool that is gone, kept as upstream keeps them.
    assert!(store.pool("proj-gone/old-pool").is_none());
    assert!(store
        .worker(&WorkerKey::new("proj-gone/old-pool", "mdc1", "orphan-1"))
        .is_some());
}

#[test]
fn fixture_specifics() {
    let paging = fixture("paging-edge-cases.json");
    let svc = service(3);
    apply_seed(&svc, &paging.seed).unwrap();
    {
        let store = svc.store();
        assert_eq!(
            store
                .pool_worker_index("proj-paging/many-workers")
                .map(|m| m.len()),
            Some(250)
        );
        assert_eq!(store.all_errors().count(), 30);
        assert_eq!(store.pools().len(), 12);
    }
    assert_eq!(paging.rules.len(), 4);

    let creds = fixture("expiring-credentials.json");
    let svc = service(4);
    apply_seed(&svc, &creds.seed).unwrap();
    let secret = svc
        .store()
        .worker(&WorkerKey::new(
            "proj-creds/static-linux",
            "rack1",
            "host-1",
        ))
        .and_then(|w| w.provider_data.static_secret.clone())
        .unwrap();
    assert!(creds.description.unwrap().contains(&secret));

    let outage = fixture("provider-outage.json");
    assert_eq!(outage.rules[0].matcher.first, Some(3));
    let flaky = fixture("flaky-network.json");
    assert_eq!(flaky.rules.len(), 4);
}

/// `(scenario text, pointer, part of the reason)`.
const MALFORMED: &[(&str, &str, &str)] = &[
    (
        r#"{"rules": [{"action": {"type": "reset"}}, {"action": {"type": "explode"}}]}"#,
        "/rules/1/action/type",
        "unknown variant `explode`",
    ),
    (
        r#"{"rules": [{"match": {"methods": "ping"}, "action": {"type": "reset"}}]}"#,
        "/rules/0/match/methods",
        "unknown field `methods`",
    ),
    (
        r#"{"rules": [{"action": {"type": "latency", "millis": 5}}]}"#,
        "/rules/0/action/millis",
        "unknown field `millis`",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "p/x", "providerId": "static"}],
            "workers": [{"workerPoolId": "p/x", "workerGroup": "g", "workerId": "w",
                         "created": "yesterday"}]}}"#,
        "/seed/workers/0/created",
        "`yesterday` is not a time",
    ),
    (
        r#"{"rules": [{"match": {"method": ["ping", "listWorkerPool"]}, "action": {"type": "reset"}}]}"#,
        "/rules/0/match/method/1",
        "unknown API method `listWorkerPool`; did you mean `listWorkerPools`?",
    ),
    (
        r#"{"rules": [{"match": {"method": "lsit*"}, "action": {"type": "reset"}}]}"#,
        "/rules/0/match/method",
        "matches no API method",
    ),
    (
        r#"{"seed": {"workers": [{"workerPoolId": "gone/pool", "workerGroup": "g", "workerId": "w"}]}}"#,
        "/seed/workers/0/providerId",
        "is not in the seed, so the worker needs a providerId",
    ),
    (
        r#"{"seed": {"workers": [{"workerPoolId": "gone/pool", "providerId": "static",
            "workerGroup": "g", "workerId": "w", "count": 1000001}]}}"#,
        "/seed/workers/0/count",
        "count must be 1..1000000",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "p/x", "providerId": "static"},
            {"workerPoolId": "p/y", "providerId": "testing", "config": {"bar": "extra"}}]}}"#,
        "/seed/workerPools/1/config",
        "config does not match schema config-testing",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "p/x", "providerId": "aws",
            "config": {"minCapacity": 0, "maxCapacity": "ten", "launchConfigs": []}}]}}"#,
        "/seed/workerPools/0/config/maxCapacity",
        "config-aws",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "p/x", "providerId": "static",
            "emailOnError": "yes"}]}}"#,
        "/seed/workerPools/0/emailOnError",
        "invalid type: string \"yes\", expected a boolean",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "p/x", "providerId": "ec2"}]}}"#,
        "/seed/workerPools/0/providerId",
        "provider `ec2` is not configured",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "P/X", "providerId": "static"}]}}"#,
        "/seed/workerPools/0/workerPoolId",
        "not a valid workerPoolId",
    ),
    (
        r#"{"rules": [{"match": {"probability": -0.5}, "action": {"type": "reset"}}]}"#,
        "/rules/0/match/probability",
        "outside 0..1",
    ),
    (
        r#"{"rules": [{"match": {"every": 0}, "action": {"type": "reset"}}]}"#,
        "/rules/0/match/every",
        "at least 1",
    ),
    (
        r#"{"rules": [{"match": {"params": {"pool": "p/*"}}, "action": {"type": "reset"}}]}"#,
        "/rules/0/match/params/pool",
        "no API method has a parameter `pool`",
    ),
    (
        r#"{"rules": [{"action": {"type": "latency", "minMs": 50, "maxMs": 5}}]}"#,
        "/rules/0/action/minMs",
        "minMs 50 is greater than maxMs 5",
    ),
    (
        r#"{"seed": {"workers": [
            {"workerPoolId": "a/b", "providerId": "static", "workerGroup": "g", "workerId": "w", "count": 5},
            {"workerPoolId": "a/b", "providerId": "static", "workerGroup": "g", "workerId": "w-3"}]}}"#,
        "/seed/workers/1",
        "also created by /seed/workers/0",
    ),
    (
        r#"{"seed": {"workers": [{"workerPoolId": "a/b", "providerId": "static", "workerGroup": "g",
            "workerId": "w", "staticSecret": "short"}]}}"#,
        "/seed/workers/0/staticSecret",
        "44 characters",
    ),
    (
        r#"{"seed": {"clock": {"now": "soon"}}}"#,
        "/seed/clock/now",
        "not a time",
    ),
    (
        r#"{"seed": {"providers": [{"providerId": "static", "providerType": "static"},
            {"providerId": "static", "providerType": "aws"}]}}"#,
        "/seed/providers/1/providerId",
        "configured twice",
    ),
    (
        r#"{"seed": {"workerPools": [{"workerPoolId": "a/b", "providerId": "static"}],
            "workers": [{"workerPoolId": "a/b", "workerGroup": "g", "workerId": "w", "state": "idle"}]}}"#,
        "/seed/workers/0/state",
        "unknown variant `idle`",
    ),
    (
        r#"{"seed": "none"}"#,
        "/seed",
        "invalid type: string \"none\"",
    ),
];

#[test]
fn malformed_scenarios_name_file_pointer_and_reason() {
    for (text, pointer, reason) in MALFORMED {
        let err = Scenario::from_json_str(text, "bad.json").expect_err(text);
        assert_eq!(err.source_name(), "bad.json", "{err}");
        assert_eq!(err.pointer(), *pointer, "{err}");
        assert!(err.reason().contains(reason), "{err}\nwanted: {reason}");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("bad.json: {pointer}: ")),
            "{shown}"
        );
    }
}

#[test]
fn load_names_the_path_and_the_position() {
    let dir = std::env::temp_dir().join(format!("wm-mock-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"rules\": [\n    {\"action\": {\"type\": \"nope\"}}\n  ]\n}\n",
    )
    .unwrap();
    let err = Scenario::load(&path).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with(&path.display().to_string()), "{shown}");
    assert!(
        shown.contains("/rules/0/action/type: unknown variant `nope`"),
        "{shown}"
    );
    assert!(shown.contains("(line 3, column"), "{shown}");
    let missing = Scenario::load(dir.join("missing.json")).unwrap_err();
    assert!(missing.to_string().contains("missing.json"), "{missing}");
    std::fs::remove_dir_all(&dir).ok();
}

fn static_secrets(svc: &Service) -> Vec<(WorkerKey, Option<String>)> {
    let store = svc.store();
    let mut v: Vec<_> = store
        .all_workers()
        .map(|w| (w.key(), w.provider_data.static_secret.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn a_failing_seed_leaves_the_service_untouched() {
    let good = Scenario::from_json_str(
        r#"{"seed": {"clock": {"now": "2030-01-01T00:00:00Z", "frozen": true},
            "workerPools": [{"workerPoolId": "p/aws", "providerId": "aws",
              "config": {"minCapacity": 0, "maxCapacity": 2, "launchConfigs": [
                {"region": "r", "launchConfig": {"ImageId": "ami-1"},
                 "workerManager": {"launchConfigId": "lc-one"}}]}}],
            "workers": [{"workerPoolId": "s/x", "providerId": "static", "workerGroup": "g",
                         "workerId": "w", "count": 3}]}}"#,
        "good.json",
    )
    .unwrap();
    // Valid on its own, but its launch config clashes with the one already stored: only
    // applying finds out, after clock, clients, providers, workers and errors were checked.
    let bad = Scenario::from_json_str(
        r#"{"seed": {"clock": {"now": "2040-01-01T00:00:00Z"},
            "providers": [{"providerId": "aws", "providerType": "aws"},
                          {"providerId": "static", "providerType": "static"}],
            "clients": [{"clientId": "intruder", "accessToken": "t", "scopes": ["*"]}],
            "roles": [{"roleId": "r", "scopes": ["*"]}],
            "workerPools": [{"workerPoolId": "p/aws", "providerId": "aws",
              "config": {"minCapacity": 0, "maxCapacity": 2, "launchConfigs": [
                {"region": "elsewhere", "launchConfig": {"ImageId": "ami-2"},
                 "workerManager": {"launchConfigId": "lc-one"}}]}}],
            "workers": [{"workerPoolId": "s/x", "providerId": "static", "workerGroup": "g",
                         "workerId": "w", "count": 5}],
            "workerPoolErrors": [{"workerPoolId": "p/aws", "kind": "k", "title": "t",
                                  "description": "d"}]}}"#,
        "bad.json",
    )
    .unwrap();
    let (a, b) = (service(9), service(9));
    apply_seed(&a, &good.seed).unwrap();
    apply_seed(&b, &good.seed).unwrap();
    let before = export_seed(&a);

    let err = apply_seed(&a, &bad.seed).unwrap_err();
    assert_eq!(err.pointer(), "/seed/workerPools/0/config/launchConfigs");
    assert!(err.reason().contains("lc-one"), "{err}");
    assert_eq!(
        err.with_source("bad.json").to_string().split(": ").next(),
        Some("bad.json")
    );

    assert_eq!(export_seed(&a), before);
    assert!(a.client("intruder").is_none());
    assert_eq!(a.store().providers().len(), 5);
    assert_eq!(a.store().worker_count(), 3);
    // Not even the id generator moved: the next seed generates the same secrets and ids as on
    // a twin service that never saw the failing seed.
    let next = Scenario::from_json_str(
        r#"{"seed": {"workers": [{"workerPoolId": "s/x", "providerId": "static",
            "workerGroup": "g2", "workerId": "w", "count": 2}],
            "workerPoolErrors": [{"workerPoolId": "p/aws", "kind": "k", "title": "t",
                                  "description": "d"}]}}"#,
        "next.json",
    )
    .unwrap();
    apply_seed(&a, &next.seed).unwrap();
    apply_seed(&b, &next.seed).unwrap();
    assert_eq!(export_seed(&a), export_seed(&b));
    assert_eq!(static_secrets(&a), static_secrets(&b));
}

#[test]
fn same_seed_same_options_seed_same_state() {
    let mut scenario = fixture("busy-deployment.json");
    frozen_at(&mut scenario.seed, "2030-06-01T12:00:00.000Z");
    let (a, b, c) = (service(42), service(42), service(43));
    for svc in [&a, &b, &c] {
        apply_seed(svc, &scenario.seed).unwrap();
    }
    let (ea, eb) = (export_seed(&a), export_seed(&b));
    assert_eq!(ea, eb);
    assert_eq!(
        serde_json::to_string(&ea).unwrap(),
        serde_json::to_string(&eb).unwrap()
    );
    assert_eq!(static_secrets(&a), static_secrets(&b));
    // Generated values do follow the generator's seed.
    assert_ne!(static_secrets(&a), static_secrets(&c));
}

#[test]
fn exports_never_hold_secrets() {
    let creds = fixture("expiring-credentials.json");
    let busy = fixture("busy-deployment.json");
    let svc = service(5);
    apply_seed(&svc, &creds.seed).unwrap();
    apply_seed(&svc, &busy.seed).unwrap();
    let secrets: Vec<String> = static_secrets(&svc)
        .into_iter()
        .filter_map(|(_, s)| s)
        .collect();
    assert!(secrets.len() > 60);
    let text = serde_json::to_string(&export_seed(&svc)).unwrap();
    for s in &secrets {
        assert!(!text.contains(s.as_str()));
    }
    for key in [
        "staticSecret",
        "accessToken",
        "\"secret\"",
        "clients",
        "roles",
    ] {
        assert!(!text.contains(key), "{key}");
    }
    assert!(text.contains("reregistrationTimeout") && text.contains("shouldTerminate"));
}

/// A cloud pool without active launch configs is stored without `launchConfigs` (as upstream
/// returns it), which its schema requires: the export puts `[]` back so that it applies again.
#[test]
fn a_cloud_pool_without_launch_configs_round_trips() {
    let scenario = Scenario::from_json_str(
        r#"{"seed": {"clock": {"now": "2030-01-01T00:00:00Z", "frozen": true},
            "workerPools": [{"workerPoolId": "p/aws", "providerId": "aws",
              "config": {"minCapacity": 0, "maxCapacity": 5, "launchConfigs": []}}]}}"#,
        "empty-aws.json",
    )
    .unwrap();
    let a = service(1);
    apply_seed(&a, &scenario.seed).unwrap();
    assert!(a
        .store()
        .pool("p/aws")
        .unwrap()
        .config
        .get("launchConfigs")
        .is_none());
    let exported = export_seed(&a);
    assert_eq!(exported.worker_pools[0].config["launchConfigs"], json!([]));
    let b = service(2);
    apply_seed(&b, &exported).unwrap();
    assert_eq!(export_seed(&b), exported);
}

#[test]
fn relative_times_resolve_against_the_clock() {
    let now = parse_date_time("2031-03-04T05:06:07.089Z").unwrap();
    let scenario = Scenario::from_json_str(
        r#"{"seed": {
            "workerPools": [{"workerPoolId": "p/x", "providerId": "static", "created": "-2d",
                             "lastModified": "-1h"}],
            "workers": [{"workerPoolId": "p/x", "workerGroup": "g", "workerId": "w",
                         "created": "-30m", "lastChecked": "-10s", "expires": "+7d"}],
            "workerPoolErrors": [{"workerPoolId": "p/x", "kind": "k", "title": "t",
                                  "description": "d", "reported": "-250ms"}],
            "queueWorkers": [{"workerPoolId": "p/x", "workerGroup": "g", "workerId": "w",
                              "firstClaim": "-1h", "lastDateActive": "-5m",
                              "quarantineUntil": "2031-03-05T00:00:00Z"}]}}"#,
        "times.json",
    )
    .unwrap();
    // The service's own clock, when the seed sets none.
    let svc = Service::with_clock(
        Options {
            seed: Some(1),
            ..Options::default()
        },
        Clock::frozen_at(now),
    );
    apply_seed(&svc, &scenario.seed).unwrap();
    let check = |svc: &Service, now: i64| {
        let store = svc.store();
        let pool = store.pool("p/x").unwrap();
        assert_eq!(
            (pool.created, pool.last_modified),
            (now - 2 * DAY, now - HOUR)
        );
        let w = store.worker(&WorkerKey::new("p/x", "g", "w")).unwrap();
        assert_eq!(w.created, now - 30 * MINUTE);
        assert_eq!(w.last_modified, w.created);
        assert_eq!(w.last_checked, now - 10 * SECOND);
        assert_eq!(w.expires, now + 7 * DAY);
        assert_eq!(store.all_errors().next().unwrap().reported, now - 250);
        let q = store.queue_workers().values().next().unwrap();
        assert_eq!(q.first_claim, now - HOUR);
        assert_eq!(q.last_date_active, Some(now - 5 * MINUTE));
        assert_eq!(q.expires, now + DAY);
        assert_eq!(
            q.quarantine_until,
            parse_date_time("2031-03-05T00:00:00Z").unwrap()
        );
    };
    check(&svc, now);

    // The seed's clock, when it sets one (itself relative to the service's clock here).
    let mut seed = scenario.seed.clone();
    seed.clock = Some(SeedClock {
        now: "+1d".into(),
        frozen: false,
    });
    let svc = Service::with_clock(Options::default(), Clock::frozen_at(now));
    apply_seed(&svc, &seed).unwrap();
    assert_eq!(svc.clock.now_ms(), now + DAY);
    check(&svc, now + DAY);
}

// ---- the fixtures do what their descriptions say, over HTTP ----

/// A running mock with `name`'s seed applied and its rules loaded.
async fn serve(name: &str) -> common::Api {
    let api = common::Api::start().await;
    let scenario = fixture(name);
    let svc = api.server.service();
    apply_seed(svc, &scenario.seed).unwrap();
    svc.add_rules(&scenario.rules);
    api
}

#[tokio::test]
async fn provider_outage_fixture_fails_aws_three_times() {
    let api = serve("provider-outage.json").await;
    let path = format!("/worker-pool/{}", common::enc("proj-outage/aws-linux"));
    let pool = api.get(&path).await.ok().clone();
    let body = json!({"providerId": "aws", "description": "updated", "config": pool["config"],
                      "owner": pool["owner"], "emailOnError": pool["emailOnError"]});
    // The static pool is never affected.
    let static_path = format!("/worker-pool/{}", common::enc("proj-outage/static-linux"));
    let static_body = common::pool_body("static", json!({}));
    api.post(&static_path, static_body.clone()).await.ok();
    for _ in 0..3 {
        api.post(&path, body.clone())
            .await
            .expect(503, "ProviderSetupFailed");
        // Reads keep working.
        api.get(&path).await.ok();
    }
    api.post(&path, body).await.ok();
    api.post(&static_path, static_body).await.ok();
}

#[tokio::test]
async fn paging_fixture_pages_are_small_sometimes_empty_and_complete() {
    let api = serve("paging-edge-cases.json").await;
    let base = format!("/workers/{}", common::enc("proj-paging/many-workers"));
    let (mut seen, mut empty, mut token) = (std::collections::HashSet::new(), 0, None::<String>);
    for _ in 0..200 {
        let path = match &token {
            Some(t) => format!("{base}?continuationToken={}", common::enc(t)),
            None => base.clone(),
        };
        let page = api.get(&path).await.ok().clone();
        let workers = page["workers"].as_array().unwrap();
        assert!(workers.len() <= 7);
        if workers.is_empty() {
            empty += 1;
        }
        for w in workers {
            let id = format!("{}/{}", w["workerGroup"], w["workerId"]);
            assert!(seen.insert(id), "duplicate {w}");
        }
        token = page["continuationToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 250);
    assert!(empty >= 10, "{empty} empty pages");
}

#[tokio::test]
async fn expiring_credentials_fixture_gives_60_second_credentials() {
    let api = serve("expiring-credentials.json").await;
    let secret = fixture("expiring-credentials.json").seed.workers[0]
        .static_secret
        .clone()
        .unwrap();
    let reg = api
        .post(
            "/worker/register",
            json!({"workerPoolId": "proj-creds/static-linux", "providerId": "static",
                   "workerGroup": "rack1", "workerId": "host-1",
                   "workerIdentityProof": {"staticSecret": secret}}),
        )
        .await;
    let reg = reg.ok();
    let now = api.server.clock().now_ms();
    let expires = parse_date_time(reg["expires"].as_str().unwrap()).unwrap();
    assert!(
        (now + 55 * SECOND..=now + 60 * SECOND).contains(&expires),
        "{reg}"
    );
    let again = json!({"workerPoolId": "proj-creds/static-linux", "workerGroup": "rack1",
                       "workerId": "host-1", "secret": reg["secret"]});
    for _ in 0..2 {
        api.post("/worker/reregister", again.clone())
            .await
            .expect(500, "InternalServerError");
    }
    let renewed = api.post("/worker/reregister", again).await;
    let renewed = renewed.ok();
    let expires = parse_date_time(renewed["expires"].as_str().unwrap()).unwrap();
    assert!(
        expires <= api.server.clock().now_ms() + 60 * SECOND,
        "{renewed}"
    );
}

#[tokio::test]
async fn flaky_network_fixture_is_survived_by_the_official_client() {
    let api = serve("flaky-network.json").await;
    let (id, token) = api.server.root_credentials();
    let wm = taskcluster::WorkerManager::new(
        taskcluster::ClientBuilder::new(api.server.root_url())
            .credentials(taskcluster::Credentials::new(id, token))
            .retry(taskcluster::Retry {
                delay_factor: std::time::Duration::from_millis(5),
                ..taskcluster::Retry::default()
            }),
    )
    .unwrap();
    let pool = "proj-flaky/static-linux";
    for i in 0..15 {
        let body = json!({"expires": common::in_days(30),
                          "providerInfo": {"staticSecret": common::SECRET}});
        let w = wm
            .createWorker(pool, "rack2", &format!("new-{i}"), &body)
            .await;
        assert_eq!(w.unwrap()["workerId"], format!("new-{i}"));
        wm.workerPool(pool).await.unwrap();
        wm.listWorkerPools(None, None).await.unwrap();
    }
    let reports = api.server.rule_hits();
    assert!(reports.iter().all(|r| r.fired > 0), "{reports:?}");
    let store = api.server.service().store();
    assert_eq!(store.worker_count(), 35);
}

// ---- export, then apply to a fresh service: the same state ----

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        (-40i64 * 24..40 * 24).prop_map(|h| format!("{h:+}h")),
        (-5_000i64..5_000).prop_map(|s| format!("{s}s")),
        (0i64..100_000_000)
            .prop_map(|ms| worker_manager_mock::time::format_ms(1_900_000_000_000 + ms * 1000)),
    ]
}

fn pool(i: usize) -> impl Strategy<Value = Value> {
    let id = format!("proj-{i}/pool");
    (
        0usize..5,
        proptest::option::of(time()),
        any::<bool>(),
        proptest::collection::vec(0u8..3, 0..3),
        any::<bool>(),
    )
        .prop_map(move |(kind, created, email, lcs, flag)| {
            let mut p = json!({"workerPoolId": id, "emailOnError": email,
                               "description": format!("pool {kind}")});
            match kind {
                0 => {
                    p["providerId"] = json!("static");
                    p["config"] = json!({"lifecycle": {"reregistrationTimeout": 600}});
                }
                1 => {
                    p["providerId"] = json!("testing");
                    p["providerData"] = json!({"allowCreateWorker": flag});
                }
                2 | 3 => {
                    let entries: Vec<Value> = lcs
                        .iter()
                        .enumerate()
                        .map(|(j, r)| {
                            let mut e = json!({"region": format!("r{r}{j}"),
                                               "launchConfig": {"ImageId": "ami-1"}});
                            if flag {
                                e["workerManager"] = json!({"launchConfigId": format!("lc{j}")});
                            }
                            e
                        })
                        .collect();
                    p["providerId"] = json!("aws");
                    p["config"] = json!({"minCapacity": 0, "maxCapacity": 5,
                                         "lifecycle": {}, "launchConfigs": entries});
                }
                _ => {
                    p["providerId"] = json!("null-provider");
                    p["previousProviderIds"] = json!(["aws", "static"]);
                    p["config"] = json!({"anything": [1, 2]});
                }
            }
            if let Some(c) = created {
                p["created"] = json!(c);
            }
            p
        })
}

fn worker(i: usize, pools: usize) -> impl Strategy<Value = Value> {
    (
        0..pools + 1,
        0usize..3,
        0usize..4,
        1u64..5,
        proptest::option::of(1u64..4),
        proptest::option::of(time()),
        proptest::option::of(time()),
        proptest::option::of(0u64..100_000),
        any::<bool>(),
        proptest::option::of("[a-z]{1,8}"),
    )
        .prop_map(
            move |(p, g, s, cap, count, created, expires, rereg, flag, text)| {
                let mut w = json!({
                    "workerPoolId": format!("proj-{p}/pool"),
                    "workerGroup": format!("g{g}"),
                    "workerId": format!("w{i}"),
                    "state": WorkerState::ALL[s].as_str(),
                    "capacity": cap,
                });
                if p == pools {
                    // A pool that is not in the seed.
                    w["providerId"] = json!(if flag { "static" } else { "google" });
                }
                if let Some(n) = count {
                    w["count"] = json!(n);
                }
                if let Some(c) = created {
                    w["created"] = json!(c);
                }
                if let Some(e) = expires {
                    w["expires"] = json!(e);
                }
                if let Some(r) = rereg {
                    w["reregistrationTimeout"] = json!(r);
                    w["terminateAfter"] = json!("+2d");
                }
                if flag {
                    w["shouldTerminate"] = json!({"terminate": true, "reason": "idle"});
                    w["allowRemoveWorker"] = json!(true);
                    w["launchConfigId"] = json!("lc0");
                }
                if let Some(t) = text {
                    w["failRegister"] = json!(t);
                    w["workerConfig"] = json!({"note": t});
                }
                w
            },
        )
}

fn seed_strategy() -> impl Strategy<Value = Value> {
    (0usize..5)
        .prop_flat_map(|n| {
            let pools: Vec<_> = (0..n).map(pool).collect();
            (
                Just(n),
                pools,
                (0usize..12).prop_flat_map(move |m| (0..m).map(|i| worker(i, n)).collect::<Vec<_>>()),
                proptest::collection::vec(
                    (0..n + 1, proptest::option::of(time()), any::<bool>()),
                    0..6,
                ),
                proptest::collection::vec((0..n + 1, 0u8..3, any::<bool>()), 0..4),
            )
        })
        .prop_map(|(_, pools, workers, errors, queue)| {
            let errors: Vec<Value> = errors
                .into_iter()
                .map(|(p, reported, lc)| {
                    let mut e = json!({"workerPoolId": format!("proj-{p}/pool"), "kind": "k",
                                       "title": "t", "description": "d", "extra": {"p": p}});
                    if let Some(r) = reported {
                        e["reported"] = json!(r);
                    }
                    if lc {
                        e["launchConfigId"] = json!("lc0");
                    }
                    e
                })
                .collect();
            let mut seen = std::collections::HashSet::new();
            let queue: Vec<Value> = queue
                .into_iter()
                .filter(|(p, g, _)| seen.insert((*p, *g)))
                .map(|(p, g, quarantined)| {
                    let mut q = json!({"workerPoolId": format!("proj-{p}/pool"),
                                       "workerGroup": format!("g{g}"), "workerId": "w0",
                                       "recentTasks": [{"taskId": "fN2VmdkQR6CvmnjoeyuObw", "runId": 1}]});
                    if quarantined {
                        q["quarantineUntil"] = json!("+3d");
                        q["quarantineDetails"] = json!([{"why": "flaky"}]);
                        q["lastDateActive"] = json!("-1h");
                    }
                    q
                })
                .collect();
            json!({"clock": {"now": "2032-02-02T02:02:02.202Z", "frozen": true},
                   "workerPools": pools, "workers": workers,
                   "workerPoolErrors": errors, "queueWorkers": queue})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the seed, applying its export to a fresh service gives the same export again.
    #[test]
    fn export_then_apply_reproduces_the_state(seed in seed_strategy()) {
        let text = json!({"seed": seed}).to_string();
        let scenario = Scenario::from_json_str(&text, "generated.json")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let a = service(7);
        apply_seed(&a, &scenario.seed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let exported = export_seed(&a);

        // Through JSON, as a saved file would go.
        let saved = serde_json::to_string_pretty(&Scenario {
            seed: exported.clone(),
            ..Scenario::default()
        })
        .unwrap();
        let reloaded = Scenario::from_json_str(&saved, "export.json")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{saved}")))?;
        let b = service(8);
        apply_seed(&b, &reloaded.seed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(export_seed(&b), exported);
        b.store().check_invariants().map_err(TestCaseError::fail)?;
        // Workers keep their list order (newest first, ties by insertion).
        let order = |svc: &Service| -> Vec<Vec<(std::sync::Arc<str>, std::sync::Arc<str>)>> {
            let store = svc.store();
            store.pools().values().map(|p| {
                store.pool_worker_index(&p.worker_pool_id)
                    .map(|m| m.values().cloned().collect())
                    .unwrap_or_default()
            }).collect()
        };
        prop_assert_eq!(order(&a), order(&b));
        // Static workers got secrets in both, never the same ones (different generators).
        for (key, secret) in static_secrets(&b) {
            let w = b.store().worker(&key).cloned().unwrap();
            let is_static = b.store().provider(&w.provider_id)
                .is_some_and(|p| p.provider_type == ProviderType::Static);
            prop_assert_eq!(secret.is_some(), is_static);
        }
    }
}

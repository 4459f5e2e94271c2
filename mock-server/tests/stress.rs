//! Concurrency stress: many signed clients hammer one strict-auth `MockServer` with random worker
//! operations for a bounded time, then the state must agree with everything the clients were told.
//!
//! - `random_operations_keep_every_invariant`: 32 tasks for `WM_STRESS_SECS` seconds (default 5)
//!   doing createWorker / updateWorker / removeWorker, registerWorker / reregisterWorker,
//!   reportWorkerError, paged listWorkersForWorkerPool, workerPool and worker, over a small key
//!   space so that they collide. Every acknowledged (200) write is recorded; afterwards the store
//!   invariants, the pool counters, the listings, the acknowledged writes and the journal must all
//!   agree. Reads during the run are checked against the writes acknowledged before they were sent.
//! - `single_key_races_resolve_to_one_acknowledged_write`: linearizability on one key —
//!   concurrent updates leave one of the acknowledged capacities, concurrent conflicting creates
//!   yield exactly one 200 and the rest 409, concurrent identical creates are idempotent 200s.
//!
//! Both print what they did and what they checked (CI shows test output).

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use worker_manager_mock::{MockServer, Options};

/// The static pools the stress test uses.
const POOLS: [&str; 3] = ["stress/p0", "stress/p1", "stress/p2"];
/// Worker groups per pool.
const GROUPS: [&str; 2] = ["g0", "g1"];
/// Worker ids per group (`w0` ..).
const IDS: usize = 40;
/// Concurrent clients.
const TASKS: u64 = 32;

/// How long the random phase runs: `WM_STRESS_SECS` (default 5).
fn stress_duration() -> Duration {
    let secs = std::env::var("WM_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

/// A worker key.
type Key = (&'static str, &'static str, String);

/// The path of a worker.
fn wpath(k: &Key) -> String {
    format!("/workers/{}/{}/{}", enc(k.0), k.1, k.2)
}

/// What clients were told about one worker: the capacities of acknowledged creates and updates,
/// and whether a remove was acknowledged.
#[derive(Debug, Default, Clone)]
struct KeyLog {
    create_caps: BTreeSet<u64>,
    update_caps: BTreeSet<u64>,
    removed: bool,
}

/// State shared by the clients.
struct Shared {
    api: Api,
    /// Every request sent to the API, by (method name, status): compared with the journal.
    sent: Mutex<BTreeMap<(String, u16), u64>>,
    total: AtomicU64,
    /// Acknowledged writes per key.
    acked: Mutex<HashMap<Key, KeyLog>>,
    /// Reregistration secrets handed out, per key (the latest one a client saw).
    secrets: Mutex<HashMap<Key, String>>,
    /// Problems seen during the run (checked at the end, so that one failure does not hide others).
    violations: Mutex<Vec<String>>,
    /// Checks made during the run, by name.
    checks: Mutex<BTreeMap<&'static str, u64>>,
}

impl Shared {
    /// Sends one signed request, recording it.
    async fn send(&self, name: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
        let r = self.api.call(method, path, body.as_ref()).await;
        self.total.fetch_add(1, Ordering::Relaxed);
        *self
            .sent
            .lock()
            .unwrap()
            .entry((name.to_string(), r.status))
            .or_default() += 1;
        r
    }

    fn violation(&self, v: String) {
        self.violations.lock().unwrap().push(v);
    }

    fn checked(&self, what: &'static str) {
        *self.checks.lock().unwrap().entry(what).or_default() += 1;
    }

    fn log(&self, k: &Key) -> KeyLog {
        self.acked
            .lock()
            .unwrap()
            .get(k)
            .cloned()
            .unwrap_or_default()
    }

    /// Expects one of `allowed`; records a violation otherwise.
    fn expect(&self, what: &str, r: &Resp, allowed: &[u16]) -> bool {
        if allowed.contains(&r.status) {
            true
        } else {
            self.violation(format!(
                "{what}: unexpected {} {}: {}",
                r.status,
                r.code(),
                r.message()
            ));
            false
        }
    }
}

fn random_key(rng: &mut StdRng) -> Key {
    (
        POOLS[rng.random_range(0..POOLS.len())],
        GROUPS[rng.random_range(0..GROUPS.len())],
        format!("w{}", rng.random_range(0..IDS)),
    )
}

fn worker_body(cap: u64, secret: &str) -> Value {
    json!({"expires": in_days(365), "capacity": cap, "providerInfo": {"staticSecret": secret}})
}

/// Lists every worker of `pool` in pages of `limit`, returning them in order (and a violation for
/// any page that is not a 200).
async fn list_all(sh: &Shared, pool: &str, limit: Option<u32>) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("/workers/{}", enc(pool));
        let mut q = Vec::new();
        if let Some(l) = limit {
            q.push(format!("limit={l}"));
        }
        if let Some(t) = &token {
            q.push(format!("continuationToken={t}"));
        }
        if !q.is_empty() {
            path = format!("{path}?{}", q.join("&"));
        }
        let r = sh
            .send("listWorkersForWorkerPool", "GET", &path, None)
            .await;
        if !sh.expect("listWorkersForWorkerPool", &r, &[200]) {
            return None;
        }
        out.extend(r.body["workers"].as_array().cloned().unwrap_or_default());
        match r.body["continuationToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return Some(out),
        }
    }
}

fn key_of(w: &Value) -> (String, String, String) {
    let s = |k: &str| w[k].as_str().unwrap_or("").to_string();
    (s("workerPoolId"), s("workerGroup"), s("workerId"))
}

/// One client: random operations until `deadline`.
async fn client(sh: Arc<Shared>, seed: u64, deadline: Instant) {
    let mut rng = StdRng::seed_from_u64(seed);
    while Instant::now() < deadline {
        let k = random_key(&mut rng);
        match rng.random_range(0..100) {
            0..=21 => {
                let cap = rng.random_range(1..=4u64);
                let secret = if rng.random_bool(0.8) {
                    SECRET
                } else {
                    SECRET2
                };
                let r = sh
                    .send(
                        "createWorker",
                        "PUT",
                        &wpath(&k),
                        Some(worker_body(cap, secret)),
                    )
                    .await;
                if sh.expect("createWorker", &r, &[200, 409]) && r.status == 200 {
                    if r.body["capacity"] != json!(cap) {
                        sh.violation(format!("createWorker {k:?} cap {cap} answered {}", r.body));
                    }
                    sh.acked
                        .lock()
                        .unwrap()
                        .entry(k)
                        .or_default()
                        .create_caps
                        .insert(cap);
                }
            }
            22..=33 => {
                let cap = rng.random_range(1..=4u64);
                let secret = if rng.random_bool(0.8) {
                    SECRET
                } else {
                    SECRET2
                };
                let r = sh
                    .send(
                        "updateWorker",
                        "POST",
                        &wpath(&k),
                        Some(worker_body(cap, secret)),
                    )
                    .await;
                if sh.expect("updateWorker", &r, &[200, 404]) && r.status == 200 {
                    if r.body["capacity"] != json!(cap) {
                        sh.violation(format!("updateWorker {k:?} cap {cap} answered {}", r.body));
                    }
                    sh.acked
                        .lock()
                        .unwrap()
                        .entry(k)
                        .or_default()
                        .update_caps
                        .insert(cap);
                }
            }
            34..=37 => {
                let r = sh.send("removeWorker", "DELETE", &wpath(&k), None).await;
                if sh.expect("removeWorker", &r, &[200, 404]) && r.status == 200 {
                    sh.acked.lock().unwrap().entry(k).or_default().removed = true;
                }
            }
            38..=49 => {
                let secret = if rng.random_bool(0.8) {
                    SECRET
                } else {
                    SECRET2
                };
                let body = json!({"workerPoolId": k.0, "providerId": "static", "workerGroup": k.1,
                                  "workerId": k.2, "workerIdentityProof": {"staticSecret": secret}});
                let r = sh
                    .send("registerWorker", "POST", "/worker/register", Some(body))
                    .await;
                // 400: stopped worker or another secret; 404: no such worker (yet).
                if sh.expect("registerWorker", &r, &[200, 400, 404]) && r.status == 200 {
                    if let Some(s) = r.body["secret"].as_str() {
                        sh.secrets.lock().unwrap().insert(k, s.to_string());
                    }
                }
            }
            50..=57 => {
                let known = {
                    let secrets = sh.secrets.lock().unwrap();
                    let n = secrets.len();
                    (n > 0)
                        .then(|| secrets.iter().nth(rng.random_range(0..n)))
                        .flatten()
                        .map(|(k, s)| (k.clone(), s.clone()))
                };
                let (k, secret) = known.unwrap_or((k, SECRET.to_string()));
                let body = json!({"workerPoolId": k.0, "workerGroup": k.1, "workerId": k.2,
                                  "secret": secret});
                let r = sh
                    .send("reregisterWorker", "POST", "/worker/reregister", Some(body))
                    .await;
                // 400: the secret was rotated by another client, or the worker stopped.
                if sh.expect("reregisterWorker", &r, &[200, 400]) && r.status == 200 {
                    if let Some(s) = r.body["secret"].as_str() {
                        sh.secrets.lock().unwrap().insert(k, s.to_string());
                    }
                }
            }
            58..=63 => {
                let body = json!({"workerGroup": k.1, "workerId": k.2, "kind": "stress",
                                  "title": "stress", "description": "a stress error", "extra": {}});
                let r = sh
                    .send(
                        "reportWorkerError",
                        "POST",
                        &format!("/worker-pool-errors/{}", enc(k.0)),
                        Some(body),
                    )
                    .await;
                sh.expect("reportWorkerError", &r, &[200]);
            }
            64..=75 => {
                // Workers acknowledged before the listing starts must all be in it, once, and
                // those acknowledged as removed must be stopped.
                let before: HashMap<Key, KeyLog> = sh
                    .acked
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|(key, l)| key.0 == k.0 && !l.create_caps.is_empty())
                    .map(|(key, l)| (key.clone(), l.clone()))
                    .collect();
                let limit = rng.random_range(1..=60u32);
                let Some(listed) = list_all(&sh, k.0, Some(limit)).await else {
                    continue;
                };
                let mut seen = HashMap::new();
                for w in &listed {
                    if seen.insert(key_of(w), w.clone()).is_some() {
                        sh.violation(format!("{:?} listed twice in {}", key_of(w), k.0));
                    }
                }
                for (key, l) in &before {
                    match seen.get(&(key.0.to_string(), key.1.to_string(), key.2.clone())) {
                        None => {
                            sh.violation(format!("acknowledged {key:?} missing from a listing"))
                        }
                        Some(w) if l.removed && w["state"] != "stopped" => sh.violation(format!(
                            "{key:?} removed before the listing but listed as {}",
                            w["state"]
                        )),
                        Some(_) => {}
                    }
                }
                sh.checked("paged listings complete and without duplicates");
            }
            76..=85 => {
                let r = sh
                    .send(
                        "workerPool",
                        "GET",
                        &format!("/worker-pool/{}", enc(k.0)),
                        None,
                    )
                    .await;
                if sh.expect("workerPool", &r, &[200]) {
                    let n = |f: &str| r.body[f].as_u64().unwrap_or(u64::MAX);
                    let current =
                        n("requestedCapacity") + n("runningCapacity") + n("stoppingCapacity");
                    if n("currentCapacity") != current {
                        sh.violation(format!("workerPool counters inconsistent: {}", r.body));
                    }
                    sh.checked("workerPool currentCapacity = requested + running + stopping");
                }
            }
            _ => {
                let before = sh.log(&k);
                let r = sh.send("worker", "GET", &wpath(&k), None).await;
                if sh.expect("worker", &r, &[200, 404]) {
                    if r.status == 404 && !before.create_caps.is_empty() {
                        sh.violation(format!("acknowledged {k:?} answered 404"));
                    }
                    if r.status == 200 && before.removed && r.body["state"] != "stopped" {
                        sh.violation(format!("removed {k:?} is {}", r.body["state"]));
                    }
                    sh.checked("worker reads see acknowledged creates and removes");
                }
            }
        }
    }
}

/// Counters of `workerPool` that must equal a recount from the listing.
const COUNTER_FIELDS: [&str; 9] = [
    "currentCapacity",
    "requestedCount",
    "runningCount",
    "stoppingCount",
    "stoppedCount",
    "requestedCapacity",
    "runningCapacity",
    "stoppingCapacity",
    "stoppedCapacity",
];

fn recount(workers: &[Value]) -> BTreeMap<&'static str, u64> {
    let mut c: BTreeMap<&'static str, u64> = COUNTER_FIELDS.iter().map(|f| (*f, 0)).collect();
    for w in workers {
        let cap = w["capacity"].as_u64().unwrap_or(0);
        let state = w["state"].as_str().unwrap_or("");
        for (s, count, capacity) in [
            ("requested", "requestedCount", "requestedCapacity"),
            ("running", "runningCount", "runningCapacity"),
            ("stopping", "stoppingCount", "stoppingCapacity"),
            ("stopped", "stoppedCount", "stoppedCapacity"),
        ] {
            if state == s {
                *c.get_mut(count).unwrap() += 1;
                *c.get_mut(capacity).unwrap() += cap;
                if s != "stopped" {
                    *c.get_mut("currentCapacity").unwrap() += cap;
                }
            }
        }
    }
    c
}

/// Many concurrent signed clients doing random worker operations for a bounded time leave a state
/// that agrees with everything they were told: the store's invariants hold; each pool's counters
/// (`GET workerPool`) equal a recount of its listed workers; the listed workers are exactly the
/// acknowledged creates, each once, stopped if and only if a remove was acknowledged, with the
/// capacity of an acknowledged update (or of the create if none); reads and paged listings during
/// the run saw every write acknowledged before them; and the journal holds one entry per request
/// sent, with the same method and status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operations_keep_every_invariant() {
    let duration = stress_duration();
    let options = Options {
        journal_capacity: 5_000_000,
        ..Options::default()
    };
    let api = Api::with(MockServer::builder().options(options)).await;
    let sh = Arc::new(Shared {
        api,
        sent: Mutex::new(BTreeMap::new()),
        total: AtomicU64::new(0),
        acked: Mutex::new(HashMap::new()),
        secrets: Mutex::new(HashMap::new()),
        violations: Mutex::new(Vec::new()),
        checks: Mutex::new(BTreeMap::new()),
    });
    for pool in POOLS {
        let r = sh
            .send(
                "createWorkerPool",
                "PUT",
                &format!("/worker-pool/{}", enc(pool)),
                Some(pool_body("static", json!({}))),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| tokio::spawn(client(Arc::clone(&sh), 0x5eed_0000 + i, deadline)))
        .collect();
    let bound = duration + Duration::from_secs(120);
    for t in tasks {
        tokio::time::timeout(bound, t)
            .await
            .expect("a client finishes in bounded time")
            .expect("a client does not panic");
    }
    let elapsed = started.elapsed();
    let random_phase: u64 = sh.total.load(Ordering::Relaxed);

    // 1. The store's own invariants.
    let store_check = sh.api.server.service().store().check_invariants();
    assert_eq!(store_check, Ok(()), "store invariants");
    let mut checked = vec![
        "store invariants (counters = recount per state, every worker indexed once)".to_string(),
    ];

    // 2-4. Per pool: counters vs listing, listing vs acknowledged writes.
    let acked = sh.acked.lock().unwrap().clone();
    let mut listed_total = 0;
    for pool in POOLS {
        let listed = list_all(&sh, pool, None).await.expect("final listing");
        listed_total += listed.len();
        let mut seen = HashMap::new();
        for w in &listed {
            assert!(
                seen.insert(key_of(w), w.clone()).is_none(),
                "{:?} listed twice",
                key_of(w)
            );
        }
        let r = sh
            .send(
                "workerPool",
                "GET",
                &format!("/worker-pool/{}", enc(pool)),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let counters: BTreeMap<&str, u64> = COUNTER_FIELDS
            .iter()
            .map(|f| (*f, r.body[*f].as_u64().expect("a counter")))
            .collect();
        assert_eq!(
            counters,
            recount(&listed),
            "{pool}: workerPool counters vs listing"
        );

        let want: BTreeSet<(String, String, String)> = acked
            .iter()
            .filter(|(k, l)| k.0 == pool && !l.create_caps.is_empty())
            .map(|(k, _)| (k.0.to_string(), k.1.to_string(), k.2.clone()))
            .collect();
        let got: BTreeSet<(String, String, String)> = seen.keys().cloned().collect();
        assert_eq!(got, want, "{pool}: listed workers vs acknowledged creates");

        for (k, l) in acked.iter().filter(|(k, _)| k.0 == pool) {
            let Some(w) = seen.get(&(k.0.to_string(), k.1.to_string(), k.2.clone())) else {
                continue;
            };
            let want_state = if l.removed { "stopped" } else { "running" };
            assert_eq!(w["state"], want_state, "{k:?}: {l:?}");
            let cap = w["capacity"].as_u64().unwrap();
            if l.update_caps.is_empty() {
                assert_eq!(
                    l.create_caps.iter().copied().collect::<Vec<_>>(),
                    vec![cap],
                    "{k:?}: without updates, every acknowledged create had the final capacity"
                );
            } else {
                assert!(
                    l.update_caps.contains(&cap),
                    "{k:?}: capacity {cap} is not one of the acknowledged updates {l:?}"
                );
            }
        }
    }
    checked.push("each pool's workerPool counters = recount of its listed workers".into());
    checked.push("final listings have no duplicates".into());
    checked.push("listed workers = acknowledged creates".into());
    checked.push("state = stopped iff a remove was acknowledged (else running)".into());
    checked.push("capacity = an acknowledged update's (or the create's if none)".into());

    // 5. The journal: one entry per request, with the same method and status.
    let journal = sh.api.server.journal();
    let total = sh.total.load(Ordering::Relaxed);
    assert_eq!(
        journal.len() as u64,
        total,
        "journal entries vs requests sent"
    );
    let mut from_journal: BTreeMap<(String, u16), u64> = BTreeMap::new();
    for e in &journal {
        *from_journal
            .entry((
                e.method.as_deref().unwrap_or_default().to_string(),
                e.status,
            ))
            .or_default() += 1;
    }
    let sent = sh.sent.lock().unwrap().clone();
    assert_eq!(
        from_journal, sent,
        "journal (method, status) counts vs requests sent"
    );
    checked.push(format!(
        "journal holds {total} entries = requests sent, same (method, status) counts"
    ));

    let violations = sh.violations.lock().unwrap().clone();
    for (what, n) in sh.checks.lock().unwrap().iter() {
        checked.push(format!("during the run: {what} ({n} times)"));
    }

    let mut per_op: BTreeMap<&str, (u64, BTreeMap<u16, u64>)> = BTreeMap::new();
    for ((m, s), n) in &sent {
        let e = per_op.entry(m.as_str()).or_default();
        e.0 += n;
        *e.1.entry(*s).or_default() += n;
    }
    println!(
        "stress: {TASKS} clients for {:.1}s: {random_phase} requests ({:.0}/s), {} workers at the end ({} keys possible)",
        elapsed.as_secs_f64(),
        random_phase as f64 / elapsed.as_secs_f64(),
        listed_total,
        POOLS.len() * GROUPS.len() * IDS,
    );
    println!("stress: operations by method (total, by status):");
    for (m, (n, by)) in &per_op {
        println!("  {m:28} {n:6}  {by:?}");
    }
    println!("stress: invariants checked:");
    for c in &checked {
        println!("  - {c}");
    }
    assert!(
        violations.is_empty(),
        "{} violations: {violations:#?}",
        violations.len()
    );
    for m in [
        "createWorker",
        "updateWorker",
        "removeWorker",
        "registerWorker",
        "reregisterWorker",
    ] {
        assert!(
            sent.contains_key(&(m.to_string(), 200)),
            "no acknowledged {m} at all: the run says nothing about it"
        );
    }
}

/// The content of a worker answer without its timestamps.
fn timeless(w: &Value) -> Value {
    let mut w = w.clone();
    if let Some(m) = w.as_object_mut() {
        for f in ["created", "lastModified", "lastChecked"] {
            m.remove(f);
        }
    }
    w
}

/// Races on a single key are linearizable: concurrent updateWorker calls with distinct capacities
/// all succeed and the final capacity is one of theirs; concurrent createWorker calls with distinct
/// capacities give exactly one 200 (whose capacity the worker keeps) and 409 for the rest;
/// concurrent identical createWorker calls are all idempotent 200s with the same content, and
/// exactly one worker exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_key_races_resolve_to_one_acknowledged_write() {
    const RACERS: u64 = 24;
    const ROUNDS: u64 = 8;
    let api = Arc::new(Api::start().await);
    api.create_pool("race/p", "static", json!({})).await.ok();
    let mut summary: BTreeMap<&str, u64> = BTreeMap::new();

    for round in 0..ROUNDS {
        // Updates on one existing worker.
        let path = format!("/workers/{}/g/u{round}", enc("race/p"));
        api.put(&path, worker_body(1, SECRET)).await.ok();
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let (api, path) = (Arc::clone(&api), path.clone());
                tokio::spawn(async move {
                    let cap = 10 + i;
                    (cap, api.post(&path, worker_body(cap, SECRET)).await)
                })
            })
            .collect();
        let mut acked = BTreeSet::new();
        for h in handles {
            let (cap, r) = h.await.unwrap();
            assert_eq!(r.status, 200, "update {cap}: {}", r.body);
            assert_eq!(
                r.body["capacity"],
                json!(cap),
                "an update answers its own capacity"
            );
            acked.insert(cap);
        }
        let final_cap = api.get(&path).await.ok()["capacity"].as_u64().unwrap();
        assert!(
            acked.contains(&final_cap),
            "final capacity {final_cap} not in {acked:?}"
        );
        *summary.entry("update races").or_default() += 1;

        // Conflicting creates on one new key.
        let path = format!("/workers/{}/g/c{round}", enc("race/p"));
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let (api, path) = (Arc::clone(&api), path.clone());
                tokio::spawn(async move {
                    let cap = 1 + i;
                    (cap, api.put(&path, worker_body(cap, SECRET)).await)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for h in handles {
            let (cap, r) = h.await.unwrap();
            match r.status {
                200 => winners.push((cap, r.body)),
                409 => assert_eq!(r.code(), "RequestConflict"),
                s => panic!("create {cap}: {s} {}", r.body),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one create wins: {winners:?}");
        let stored = api.get(&path).await.ok().clone();
        assert_eq!(
            stored["capacity"],
            json!(winners[0].0),
            "the winner's capacity is kept"
        );
        assert_eq!(timeless(&stored), timeless(&winners[0].1));
        *summary.entry("conflicting create races").or_default() += 1;

        // Identical creates on one new key.
        let path = format!("/workers/{}/g/i{round}", enc("race/p"));
        let body = worker_body(3, SECRET);
        let handles: Vec<_> = (0..RACERS)
            .map(|_| {
                let (api, path, body) = (Arc::clone(&api), path.clone(), body.clone());
                tokio::spawn(async move { api.put(&path, body).await })
            })
            .collect();
        let mut contents = BTreeSet::new();
        for h in handles {
            let r = h.await.unwrap();
            assert_eq!(
                r.status, 200,
                "identical creates are idempotent: {}",
                r.body
            );
            contents.insert(timeless(&r.body).to_string());
        }
        assert_eq!(contents.len(), 1, "identical content: {contents:?}");
        let stored = api.get(&path).await.ok().clone();
        assert_eq!(timeless(&stored).to_string(), *contents.first().unwrap());
        *summary.entry("identical create races").or_default() += 1;
    }
    let workers = api.server.service().store().worker_count();
    assert_eq!(workers as u64, 3 * ROUNDS, "one worker per raced key");
    assert_eq!(api.server.service().store().check_invariants(), Ok(()));
    println!(
        "races: {RACERS} concurrent requests per race; {summary:?}; {workers} workers, invariants hold"
    );
}

//! Throughput, latency, memory and startup of wm-mock, measured in one run against a bare axum
//! server on the same machine (issue 9).
//!
//! ```sh
//! cargo bench -p worker-manager-mock --bench throughput              # full: 10 s per case, 1,000,000 workers
//! cargo bench -p worker-manager-mock --bench throughput -- --smoke   # CI: ~1 s per case, 20,000 workers
//! ```
//!
//! Options (arguments win over environment variables):
//!
//! | argument | environment | default (smoke) |
//! |---|---|---|
//! | `--duration SECS` | `WM_BENCH_DURATION` | 10 (1) seconds per load case |
//! | `--rounds N` | `WM_BENCH_ROUNDS` | 5 (2) interleaved rounds: each round runs every load case for `duration / N` |
//! | `--connections N` | `WM_BENCH_CONNECTIONS` | 64 keep-alive connections |
//! | `--scale N` | `WM_BENCH_SCALE` | 1,000,000 (20,000) workers in the scale test |
//! | `--client-threads N` | `WM_BENCH_CLIENT_THREADS` | nproc: tokio worker threads of the load generator |
//! | `--smoke` / `--full` | `WM_BENCH_SMOKE=1` | full under `cargo bench` (which passes `--bench`), smoke otherwise |
//! | `--only a,b` | `WM_BENCH_ONLY` | all of `baseline,get,list,register,writes,scale,startup` |
//! | | `WM_BENCH_WRAP` | a command to run the server processes under, e.g. `valgrind --tool=callgrind` |
//! | | `WM_BENCH_JOURNAL=N`, `WM_BENCH_VALIDATE=0` | what-if runs: wm-mock's journal capacity (default 10,000) and response validation (default on) |
//! | | `WM_BENCH_SERVER_THREADS=N` | what-if runs: tokio worker threads of the server processes (default nproc, as `wm-mock`) |
//!
//! Every server runs in its own process (this binary again, with `WM_BENCH_ROLE` set), so its
//! resident memory and CPU time come from the OS apart from the load generator's: two baselines
//! (axum, no auth, no validation, no journal, no store: "baseline" gets wm-mock's signed request
//! and answers with wm-mock's bytes, headers included; "bare" gets it unsigned and answers with
//! the body only; the issue's baseline, so the `×base` column and the targets are against it), a
//! wm-mock with default options (strict Hawk auth, journal on, response
//! validation on) for the read loads, another for the write load (the workers it creates stay
//! stored), and one for the scale test. The load generator (this process) opens one task per
//! keep-alive connection and records every latency; Hawk signing happens before a request's clock
//! starts.
//!
//! The load cases run in interleaved rounds (baseline, bare, GET, list, register, writes, then
//! again), each round a slice of the case's duration with its own warm-up, and each case's figures
//! sum its slices. A shared VM's speed drifts by tens of percent over minutes; interleaving makes
//! the baselines and the wm-mock cases see the same drift, so their ratios hold steadier.

mod support;

/// The allocator of `wm-mock` (see `src/bin/wm-mock.rs`): the server processes of this benchmark
/// run this binary, so they allocate as the `wm-mock` binary does (the baseline too).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use hyper::Method;
use serde_json::{json, Value};
use support::*;
use worker_manager_mock::store::model::{ProviderData, Worker, WorkerState};
use worker_manager_mock::time::{format_ms, Millis, DAY};
use worker_manager_mock::{MockServer, Options};

/// The API prefix of every route.
const API: &str = "/api/worker-manager/v1";
/// The aws pool whose `workerPool` body both servers return.
const AWS_POOL: &str = "bench/aws-linux";
/// The static pool of createWorker/removeWorker and registerWorker.
const STATIC_POOL: &str = "bench/static";
/// The static pool listWorkersForWorkerPool pages.
const LIST_POOL: &str = "bench/list";
/// Workers seeded into [`LIST_POOL`].
const LIST_WORKERS: usize = 1000;
/// Most pools the scale test spreads its workers over (100 pools of 10,000 for a million).
const SCALE_POOLS: usize = 100;
/// Workers per pool in the scale test, when there are fewer than [`SCALE_POOLS`] × this (the
/// smoke run's 20,000 make 2 pools of 10,000, so a pool still has 10 pages).
const SCALE_POOL_SIZE: usize = 10_000;
/// The static secret of seeded and created workers.
const SECRET: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// A realistic `worker-pool-full` sample: its pool is created through the API, so wm-mock's
/// `workerPool` answer is this pool with its launch configurations and counters.
const AWS_SAMPLE: &str =
    include_str!("../../fixtures/samples/valid/worker-pool-full/aws-provider.json");

/// How many pools the scale test uses for `n` workers.
fn scale_pools(n: usize) -> usize {
    n.div_ceil(SCALE_POOL_SIZE).clamp(1, SCALE_POOLS)
}

// ---------------------------------------------------------------------------------------------
// Options

/// What to run, from arguments and environment.
#[derive(Debug, Clone)]
struct Config {
    smoke: bool,
    duration: Duration,
    warmup: Duration,
    connections: usize,
    scale: usize,
    client_threads: usize,
    /// Rounds the load cases are interleaved in (each case runs `duration / rounds` per round).
    rounds: usize,
    startup_runs: usize,
    page_samples: usize,
    /// Only these parts (`baseline,get,list,register,writes,scale,startup`); `None`: all.
    only: Option<Vec<String>>,
}

impl Config {
    fn from_env_and_args() -> Config {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let arg = |name: &str| -> Option<String> {
            let eq = format!("{name}=");
            args.iter().enumerate().find_map(|(i, a)| {
                if a == name {
                    args.get(i + 1).cloned()
                } else {
                    a.strip_prefix(&eq).map(str::to_string)
                }
            })
        };
        let has = |name: &str| args.iter().any(|a| a == name);
        let num = |name: &str, env: &str| -> Option<f64> {
            arg(name).or_else(|| std::env::var(env).ok()).map(|v| {
                v.replace('_', "")
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("{name}/{env}: not a number: {v}"))
            })
        };
        let env_smoke = std::env::var("WM_BENCH_SMOKE").is_ok_and(|v| v != "0" && !v.is_empty());
        let smoke = if has("--full") {
            false
        } else {
            has("--smoke") || env_smoke || !has("--bench")
        };
        let duration =
            num("--duration", "WM_BENCH_DURATION").unwrap_or(if smoke { 1.0 } else { 10.0 });
        let duration = Duration::from_secs_f64(duration.max(0.1));
        let rounds = num("--rounds", "WM_BENCH_ROUNDS")
            .map_or(if smoke { 2 } else { 5 }, |n| (n as usize).max(1));
        let slice = duration / rounds as u32;
        Config {
            smoke,
            duration,
            warmup: (slice / 5).clamp(Duration::from_millis(100), Duration::from_millis(500)),
            rounds,
            connections: num("--connections", "WM_BENCH_CONNECTIONS")
                .map_or(64, |n| (n as usize).max(1)),
            scale: num("--scale", "WM_BENCH_SCALE")
                .map_or(if smoke { 20_000 } else { 1_000_000 }, |n| n as usize),
            client_threads: num("--client-threads", "WM_BENCH_CLIENT_THREADS").map_or(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
                |n| (n as usize).max(1),
            ),
            startup_runs: if smoke { 5 } else { 11 },
            page_samples: if smoke { 5 } else { 21 },
            only: arg("--only")
                .or_else(|| std::env::var("WM_BENCH_ONLY").ok())
                .map(|v| v.split(',').map(|x| x.trim().to_string()).collect()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Server processes

fn main() {
    if let Ok(role) = std::env::var(ROLE_ENV) {
        let rt = server_runtime();
        match role.as_str() {
            "baseline" => rt.block_on(baseline_server()),
            "mock" => rt.block_on(mock_server()),
            "scale" => rt.block_on(scale_server()),
            other => panic!("unknown {ROLE_ENV} {other}"),
        }
        return;
    }
    run(Config::from_env_and_args());
}

/// The runtime of a server process: tokio's multi-thread runtime with one worker per core, as
/// `#[tokio::main]` gives `wm-mock`, unless `WM_BENCH_SERVER_THREADS` says otherwise (what-if).
fn server_runtime() -> tokio::runtime::Runtime {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = server_threads() {
        b.worker_threads(n);
    }
    b.enable_all().build().expect("runtime")
}

/// `WM_BENCH_SERVER_THREADS`, if set.
fn server_threads() -> Option<usize> {
    std::env::var("WM_BENCH_SERVER_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

/// The practical limit of the stack: axum on tokio (the workspace's versions, the same runtime
/// flavour as `wm-mock`) answering `workerPool` with fixed bytes — no auth, no validation, no
/// journal, no store. `WM_BENCH_BODY` is the body; `WM_BENCH_HEADERS` (optional, one
/// `name: value` per line) the headers sent with it (else only `content-type`).
async fn baseline_server() {
    let body = Bytes::from(std::env::var("WM_BENCH_BODY").expect("WM_BENCH_BODY"));
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for line in std::env::var("WM_BENCH_HEADERS")
        .unwrap_or_default()
        .lines()
    {
        let (k, v) = line.split_once(": ").expect("name: value");
        headers.insert(
            axum::http::HeaderName::try_from(k).expect("header name"),
            axum::http::HeaderValue::try_from(v).expect("header value"),
        );
    }
    let route = format!("{API}/worker-pool/{{workerPoolId}}");
    let app = axum::Router::new().route(
        &route,
        axum::routing::get(move || {
            let (headers, body) = (headers.clone(), body.clone());
            async move { (headers, body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(until_stdin_closes())
            .await
            .expect("serve");
    });
    announce(&[("addr", addr.to_string())]);
    let _ = server.await;
}

fn pool_body(provider: &str, description: &str, config: Value) -> Value {
    json!({
        "providerId": provider,
        "description": description,
        "config": config,
        "owner": "bench@example.com",
        "emailOnError": false,
    })
}

fn enc(id: &str) -> String {
    id.replace('/', "%2F")
}

async fn create_pool(addr: SocketAddr, signer: &Signer, id: &str, body: &Value) {
    let p = Prepared::new(Method::PUT, &format!("{API}/worker-pool/{}", enc(id)))
        .json(body.to_string())
        .signed(signer);
    call_ok(addr, &p).await;
}

/// A running static worker as the library seeds it (the shape of `tests/scale.rs`).
fn seeded_worker(
    pool: &Arc<str>,
    group: String,
    id: String,
    created: Millis,
    now: Millis,
    secret: Option<&str>,
) -> Worker {
    Worker {
        worker_pool_id: pool.clone(),
        worker_group: Arc::from(group),
        worker_id: Arc::from(id),
        provider_id: "static".into(),
        created,
        expires: now + 30 * DAY,
        state: WorkerState::Running,
        capacity: 1,
        last_modified: now,
        last_checked: now,
        launch_config_id: None,
        secret: None,
        provider_data: ProviderData {
            static_secret: secret.map(str::to_string),
            ..ProviderData::default()
        }
        .into(),
        seq: 0,
    }
}

/// wm-mock's options: the defaults (strict auth, a journal of 10,000 requests, response
/// validation), unless `WM_BENCH_JOURNAL` / `WM_BENCH_VALIDATE=0` ask for a what-if run.
fn mock_options() -> Options {
    let mut o = Options::default();
    if let Some(n) = std::env::var("WM_BENCH_JOURNAL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        o.journal_capacity = n;
    }
    if std::env::var("WM_BENCH_VALIDATE").is_ok_and(|v| v == "0") {
        o.validate_responses = false;
    }
    o
}

/// wm-mock with [`mock_options`] (by default: strict auth, journal on, response validation on),
/// its pools created over the API and its workers seeded through the library.
async fn mock_server() {
    let connections: usize = std::env::var("WM_BENCH_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let server = MockServer::builder()
        .options(mock_options())
        .start()
        .await
        .expect("wm-mock starts");
    let addr = server.address();
    let (client_id, token) = server.root_credentials();
    let signer = Signer::new(&client_id, &token, addr);
    let sample: Value = serde_json::from_str(AWS_SAMPLE).expect("sample JSON");
    let aws = pool_body(
        "aws",
        sample["description"].as_str().unwrap_or("aws"),
        sample["config"].clone(),
    );
    create_pool(addr, &signer, AWS_POOL, &aws).await;
    for id in [STATIC_POOL, LIST_POOL] {
        create_pool(addr, &signer, id, &pool_body("static", "bench", json!({}))).await;
    }
    {
        let svc = server.service();
        let mut store = svc.store();
        let now = svc.clock.now_ms();
        let list = store.intern_pool_id(LIST_POOL);
        for i in 0..LIST_WORKERS {
            let w = seeded_worker(
                &list,
                format!("g{}", i % 10),
                format!("w{i}"),
                now - i as Millis,
                now,
                None,
            );
            store.insert_worker(w);
        }
        let reg = store.intern_pool_id(STATIC_POOL);
        for c in 0..connections {
            let w = seeded_worker(
                &reg,
                "reg".into(),
                format!("reg-{c}"),
                now,
                now,
                Some(SECRET),
            );
            store.insert_worker(w);
        }
    }
    announce(&[
        ("addr", addr.to_string()),
        ("client_id", client_id),
        ("access_token", token),
    ]);
    until_stdin_closes().await;
    server.shutdown().await;
}

/// wm-mock holding `WM_BENCH_SCALE` workers over [`scale_pools`] pools, seeded through the
/// library; reports the seed time and its resident memory before and after seeding.
async fn scale_server() {
    let n: usize = std::env::var("WM_BENCH_SCALE")
        .expect("WM_BENCH_SCALE")
        .parse()
        .expect("a number");
    let server = MockServer::builder().start().await.expect("wm-mock starts");
    let addr = server.address();
    let (client_id, token) = server.root_credentials();
    let signer = Signer::new(&client_id, &token, addr);
    let pool_count = scale_pools(n);
    for p in 0..pool_count {
        create_pool(
            addr,
            &signer,
            &scale_pool(p),
            &pool_body("static", "scale", json!({})),
        )
        .await;
    }
    let rss_before = status_kib("self", "VmRSS").unwrap_or(0);
    let t0 = Instant::now();
    let count = {
        let svc = server.service();
        let mut store = svc.store();
        let now = svc.clock.now_ms();
        let pools: Vec<Arc<str>> = (0..pool_count)
            .map(|p| store.intern_pool_id(&scale_pool(p)))
            .collect();
        for i in 0..n {
            let pool = &pools[i % pool_count];
            let nth = (i / pool_count) as Millis;
            let w = seeded_worker(
                pool,
                format!("g{}", nth % 10),
                format!("w{i}"),
                now - nth,
                now,
                None,
            );
            store.insert_worker(w);
        }
        store.worker_count()
    };
    let seed = t0.elapsed();
    let rss_after = status_kib("self", "VmRSS").unwrap_or(0);
    announce(&[
        ("addr", addr.to_string()),
        ("client_id", client_id),
        ("access_token", token),
        ("workers", count.to_string()),
        ("seed_ns", seed.as_nanos().to_string()),
        ("rss_before_kib", rss_before.to_string()),
        ("rss_after_kib", rss_after.to_string()),
    ]);
    until_stdin_closes().await;
    server.shutdown().await;
}

fn scale_pool(p: usize) -> String {
    format!("scale/pool-{p:02}")
}

// ---------------------------------------------------------------------------------------------
// The benchmark

/// One load case's row.
struct Row {
    key: &'static str,
    name: &'static str,
    summary: Summary,
    errors: u64,
    first_error: Option<String>,
    /// The server's VmRSS after the last round.
    rss_kib: u64,
    /// Requests per second of each round's slice, in round order.
    round_rps: Vec<f64>,
}

/// A load case: the server it loads and its workload in a given round.
struct Case<'a> {
    key: &'static str,
    name: &'static str,
    server: &'a ServerProcess,
    workload: Box<dyn Fn(usize) -> Workload + 'a>,
}

/// Runs the cases in `cfg.rounds` interleaved rounds and sums each case's slices.
fn load_cases(rt: &tokio::runtime::Runtime, cfg: &Config, cases: &[Case<'_>]) -> Vec<Row> {
    let mut totals: Vec<LoadResult> = cases.iter().map(|_| LoadResult::default()).collect();
    let mut round_rps: Vec<Vec<f64>> = cases.iter().map(|_| Vec::new()).collect();
    let slice = cfg.duration / cfg.rounds as u32;
    for round in 0..cfg.rounds {
        for ((case, total), rates) in cases.iter().zip(totals.iter_mut()).zip(&mut round_rps) {
            eprintln!("  round {}/{}: {} ...", round + 1, cfg.rounds, case.name);
            let plan = LoadPlan {
                connections: cfg.connections,
                warmup: cfg.warmup,
                duration: slice,
                server_pid: Some(case.server.pid()),
            };
            let workload = (case.workload)(round);
            let result = rt.block_on(run_load(case.server.addr(), &plan, workload));
            rates.push(result.ok as f64 / result.window.as_secs_f64().max(1e-9));
            total.absorb(result);
        }
    }
    cases
        .iter()
        .zip(totals)
        .zip(round_rps)
        .map(|((case, mut result), round_rps)| Row {
            key: case.key,
            name: case.name,
            summary: result.summary(),
            errors: result.errors,
            first_error: result.first_error.take(),
            rss_kib: status_kib(&case.server.pid().to_string(), "VmRSS").unwrap_or(0),
            round_rps,
        })
        .collect()
}

/// createWorker then removeWorker of a fresh workerId each iteration (ids carry the round, so no
/// round re-creates a removed worker); both signed (each path is new, so each needs its own Hawk
/// MAC) before their clocks start.
fn writes(signer: Arc<Signer>, expires: String, round: usize) -> Workload {
    let body = Bytes::from(
        json!({"expires": expires, "providerInfo": {"staticSecret": SECRET}}).to_string(),
    );
    let hash = payload_hash(JSON, &body);
    Arc::new(move |conn| {
        let (signer, body, hash) = (signer.clone(), body.clone(), hash.clone());
        Box::new(move |i, out| {
            let path = format!("{API}/workers/{}/wg/w{round}-{conn}-{i}", enc(STATIC_POOL));
            let mut create = Prepared::new(Method::PUT, &path).json(body.clone());
            create.authorization = Some(signer.header("PUT", &path, Some(&hash)));
            let mut remove = Prepared::new(Method::DELETE, &path);
            remove.authorization = Some(signer.header("DELETE", &path, None));
            out.push(create);
            out.push(remove);
        })
    })
}

/// registerWorker (no auth) of connection `i`'s own static worker.
fn registrations() -> Workload {
    Arc::new(|conn| {
        let body = json!({
            "workerPoolId": STATIC_POOL,
            "providerId": "static",
            "workerGroup": "reg",
            "workerId": format!("reg-{conn}"),
            "workerIdentityProof": {"staticSecret": SECRET},
        });
        let p =
            Prepared::new(Method::POST, &format!("{API}/worker/register")).json(body.to_string());
        Box::new(move |_, out| out.push(p.clone()))
    })
}

/// What the scale test measured.
struct ScaleReport {
    workers: usize,
    pools: usize,
    seed: Duration,
    rss_before_kib: u64,
    rss_after_kib: u64,
    rss_after_paging_kib: u64,
    paging: Paging,
    page_server_cpu: Option<Duration>,
}

/// Paging through the scale test's workers over HTTP.
struct Paging {
    all: Duration,
    pages: usize,
    listed: usize,
    first_page: Duration,
    last_page: Duration,
    /// Pages of the first pool (the last page's number).
    pool_pages: usize,
}

/// The value of `"continuationToken"` in a JSON body, if any (tokens are alphanumeric).
fn continuation_token(body: &str) -> Option<&str> {
    let at = body.find("\"continuationToken\"")? + "\"continuationToken\"".len();
    let rest = body[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

fn list_path(pool: &str, token: Option<&str>) -> String {
    match token {
        Some(t) => format!(
            "{API}/workers/{}?limit=1000&continuationToken={t}",
            enc(pool)
        ),
        None => format!("{API}/workers/{}?limit=1000", enc(pool)),
    }
}

/// Pages through every worker of every pool (limit 1000, one connection, each request signed),
/// then compares the first and the last page of the first pool (alternating, median).
async fn page_through(addr: SocketAddr, signer: &Signer, pools: usize, samples: usize) -> Paging {
    let mut conn = Connection::open(addr).await.expect("connect");
    let (mut pages, mut listed, mut pool_pages) = (0, 0, 0);
    let mut last_token: Option<String> = None;
    let t0 = Instant::now();
    for p in 0..pools {
        let pool = scale_pool(p);
        let mut token: Option<String> = None;
        loop {
            let path = list_path(&pool, token.as_deref());
            let req = Prepared::new(Method::GET, &path).signed(signer);
            let (status, body) = conn.send(&req).await.expect("list request");
            let text = String::from_utf8_lossy(&body);
            assert_eq!(status, 200, "GET {path}: {text}");
            pages += 1;
            listed += text.matches("\"workerId\"").count();
            if p == 0 {
                pool_pages += 1;
            }
            match continuation_token(&text) {
                Some(t) => {
                    if p == 0 {
                        last_token = Some(t.to_string());
                    }
                    token = Some(t.to_string());
                }
                None => break,
            }
        }
    }
    let all = t0.elapsed();
    let first = Prepared::new(Method::GET, &list_path(&scale_pool(0), None));
    let last = Prepared::new(
        Method::GET,
        &list_path(&scale_pool(0), last_token.as_deref()),
    );
    let (mut f, mut l) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        for (p, into) in [(&first, &mut f), (&last, &mut l)] {
            let req = p.clone().signed(signer);
            let t = Instant::now();
            let (status, _) = conn.send(&req).await.expect("page request");
            into.push(t.elapsed());
            assert_eq!(status, 200);
        }
    }
    Paging {
        all,
        pages,
        listed,
        first_page: median(f),
        last_page: median(l),
        pool_pages,
    }
}

fn scale_phase(rt: &tokio::runtime::Runtime, cfg: &Config) -> ScaleReport {
    eprintln!("  running: scale ({} workers) ...", cfg.scale);
    let server = ServerProcess::spawn("scale", &[("WM_BENCH_SCALE", cfg.scale.to_string())]);
    let signer = Signer::new(
        server.get("client_id"),
        server.get("access_token"),
        server.addr(),
    );
    let pid = server.pid().to_string();
    let cpu0 = cpu_time(&pid);
    let pools = scale_pools(cfg.scale);
    let paging = rt.block_on(page_through(
        server.addr(),
        &signer,
        pools,
        cfg.page_samples,
    ));
    let cpu1 = cpu_time(&pid);
    let kib = |k: &str| server.get(k).parse::<u64>().unwrap_or(0);
    let report = ScaleReport {
        workers: server.get("workers").parse().unwrap_or(0),
        pools,
        seed: Duration::from_nanos(server.get("seed_ns").parse().unwrap_or(0)),
        rss_before_kib: kib("rss_before_kib"),
        rss_after_kib: kib("rss_after_kib"),
        rss_after_paging_kib: status_kib(&pid, "VmRSS").unwrap_or(0),
        paging,
        page_server_cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
    };
    server.stop();
    report
}

/// Startup: from spawning `wm-mock serve --listen 127.0.0.1:0 [extra]` to its first stdout line,
/// `runs` times after one untimed run (which warms the page cache).
fn time_startup(extra: &[&str], runs: usize) -> Result<Vec<Duration>, String> {
    let exe = env!("CARGO_BIN_EXE_wm-mock");
    let mut times = Vec::new();
    for run in 0..=runs {
        let t0 = Instant::now();
        let mut child = Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {exe}: {e}"))?;
        let mut line = String::new();
        let read = std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line);
        let elapsed = t0.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        if read.is_err() || !line.starts_with("wm-mock listening on ") {
            return Err(format!("first line was {line:?}"));
        }
        if run > 0 {
            times.push(elapsed);
        }
    }
    Ok(times)
}

/// Whether `wm-mock serve` can load scenario files (`--scenario`).
fn serve_has_scenarios() -> bool {
    Command::new(env!("CARGO_BIN_EXE_wm-mock"))
        .args(["serve", "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("--scenario"))
        .unwrap_or(false)
}

/// Startup with the busy-deployment scenario, if there is one and `serve` can load it.
fn busy_startup(runs: usize) -> Result<Vec<Duration>, String> {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios/busy-deployment.json"
    );
    if !std::path::Path::new(file).exists() {
        Err("the busy-deployment scenario does not exist yet".into())
    } else if !serve_has_scenarios() {
        Err(concat!(
            "fixtures/scenarios/busy-deployment.json exists, ",
            "but `wm-mock serve` has no --scenario option yet"
        )
        .into())
    } else {
        time_startup(&["--scenario", file], runs)
    }
}

/// The Hawk signing cost on the client, per header (kept out of latencies).
fn signing_cost() -> Duration {
    let addr = "127.0.0.1:1".parse().expect("an address");
    let s = Signer::new("static/taskcluster/root", &"x".repeat(44), addr);
    let n = 5000u32;
    let t = Instant::now();
    for i in 0..n {
        let path = format!("{API}/workers/bench%2Fstatic/wg/w1-{i}");
        std::hint::black_box(s.header("DELETE", &path, None));
    }
    t.elapsed() / n
}

// ---------------------------------------------------------------------------------------------
// Report

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn thousands(n: f64) -> String {
    let s = format!("{n:.0}");
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

/// Everything one run measured.
#[derive(Default)]
struct Results {
    rows: Vec<Row>,
    pool_body_bytes: usize,
    list_body_bytes: usize,
    rss_setup_kib: u64,
    rss_load_kib: Option<u64>,
    hwm_load_kib: Option<u64>,
    /// The write load's own wm-mock: RSS after setup and after the load, and the workers its
    /// static pool holds then.
    writer_memory: Option<(u64, u64, u64)>,
    scale: Option<ScaleReport>,
    startup: Option<Result<Vec<Duration>, String>>,
    busy: Option<Result<Vec<Duration>, String>>,
}

impl Results {
    fn row(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.key == key)
    }
}

fn run(cfg: Config) {
    let (nproc, model, kernel) = machine();
    println!(
        "wm-mock throughput benchmark (issue 9){}",
        if cfg.smoke { " — SMOKE run" } else { "" }
    );
    println!(
        "machine: nproc {nproc}, {model}, Linux {kernel}; load average at start: {}",
        load_average()
    );
    println!(
        "settings: {} s per case in {} interleaved rounds (+{} s warm-up per round), {} \
         keep-alive HTTP/1.1 connections; load generator: {} tokio thread(s) in this process; \
         each server in its own process (tokio multi-thread runtime, {} workers{})",
        cfg.duration.as_secs_f64(),
        cfg.rounds,
        cfg.warmup.as_secs_f64(),
        cfg.connections,
        cfg.client_threads,
        server_threads().unwrap_or(nproc),
        if server_threads().is_some() {
            " — NOT THE DEFAULT (WM_BENCH_SERVER_THREADS)"
        } else {
            ""
        }
    );
    let o = mock_options();
    let d = Options::default();
    println!(
        "wm-mock options: strict Hawk auth, journal of {} requests, response validation \
         {}{}",
        o.journal_capacity,
        if o.validate_responses { "on" } else { "off" },
        if (o.journal_capacity, o.validate_responses) != (d.journal_capacity, d.validate_responses)
        {
            " — NOT THE DEFAULTS (WM_BENCH_JOURNAL / WM_BENCH_VALIDATE)"
        } else {
            ""
        }
    );
    if cfg!(debug_assertions) {
        println!(
            "WARNING: built without optimizations; the numbers mean nothing (use cargo bench)"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.client_threads)
        .enable_all()
        .build()
        .expect("client runtime");
    let sign_cost = signing_cost();
    let mut res = Results::default();
    let wants = |k: &str| cfg.only.as_ref().is_none_or(|o| o.iter().any(|x| x == k));

    if ["baseline", "get", "list", "register", "writes"]
        .iter()
        .any(|k| wants(k))
    {
        eprintln!("  starting wm-mock (default options: strict auth, journal, validation) ...");
        let mock = ServerProcess::spawn(
            "mock",
            &[("WM_BENCH_CONNECTIONS", cfg.connections.to_string())],
        );
        let mock_pid = mock.pid().to_string();
        let signer = Arc::new(Signer::new(
            mock.get("client_id"),
            mock.get("access_token"),
            mock.addr(),
        ));
        let get_pool = Prepared::new(Method::GET, &format!("{API}/worker-pool/{}", enc(AWS_POOL)));
        let signed_get = get_pool.clone().signed(&signer);
        let (pool_headers, body) = rt.block_on(call_ok_full(mock.addr(), &signed_get));
        let list = Prepared::new(
            Method::GET,
            &format!("{API}/workers/{}?limit=100", enc(LIST_POOL)),
        );
        let list_body = rt.block_on(call_ok(mock.addr(), &list.clone().signed(&signer)));
        let listed = String::from_utf8_lossy(&list_body)
            .matches("\"workerId\"")
            .count();
        assert_eq!(
            listed, 100,
            "listWorkersForWorkerPool returns a page of 100"
        );
        res.pool_body_bytes = body.len();
        res.list_body_bytes = list_body.len();
        res.rss_setup_kib = status_kib(&mock_pid, "VmRSS").unwrap_or(0);

        // Two baselines: "baseline" gets the very request wm-mock gets (signed) and answers with
        // the very bytes wm-mock answers with (its headers too, hyper's own `date` and
        // `content-length` aside), so the difference is only what wm-mock does in between; "bare"
        // gets the request unsigned and answers with the body and a content type only.
        let baselines = wants("baseline").then(|| {
            let text = String::from_utf8_lossy(&body).into_owned();
            let headers: String = pool_headers
                .iter()
                .filter(|(k, _)| !["date", "content-length", "content-type"].contains(&k.as_str()))
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect();
            let wire = ServerProcess::spawn(
                "baseline",
                &[
                    ("WM_BENCH_BODY", text.clone()),
                    ("WM_BENCH_HEADERS", headers),
                ],
            );
            let bare = ServerProcess::spawn("baseline", &[("WM_BENCH_BODY", text)]);
            for server in [&wire, &bare] {
                let same = rt.block_on(call_ok(server.addr(), &get_pool));
                assert_eq!(same, body, "the baselines answer with the same bytes");
            }
            (wire, bare)
        });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock");
        let expires = format_ms(now.as_millis() as Millis + DAY);
        // The write load runs against a wm-mock of its own: the workers it creates stay stored
        // (stopped, as upstream keeps them until they expire), and would otherwise count in the
        // memory of the read loads' server.
        let writer = wants("writes").then(|| {
            let w = ServerProcess::spawn(
                "mock",
                &[("WM_BENCH_CONNECTIONS", cfg.connections.to_string())],
            );
            let signer = Arc::new(Signer::new(
                w.get("client_id"),
                w.get("access_token"),
                w.addr(),
            ));
            let setup_kib = status_kib(&w.pid().to_string(), "VmRSS").unwrap_or(0);
            (w, signer, setup_kib)
        });
        let mut cases = Vec::new();
        if let Some((wire, bare)) = &baselines {
            let w = repeat(get_pool.clone(), Some(signer.clone()));
            cases.push(Case {
                key: "baseline",
                name: "baseline: axum, same bytes in/out",
                server: wire,
                workload: Box::new(move |_| w.clone()),
            });
            let w = repeat(get_pool.clone(), None);
            cases.push(Case {
                key: "bare",
                name: "bare: axum, body only, unsigned",
                server: bare,
                workload: Box::new(move |_| w.clone()),
            });
        }
        if wants("get") {
            let w = repeat(get_pool.clone(), Some(signer.clone()));
            cases.push(Case {
                key: "get",
                name: "workerPool GET (Hawk)",
                server: &mock,
                workload: Box::new(move |_| w.clone()),
            });
        }
        if wants("list") {
            let w = repeat(list.clone(), Some(signer.clone()));
            cases.push(Case {
                key: "list",
                name: "listWorkersForWorkerPool 100 (Hawk)",
                server: &mock,
                workload: Box::new(move |_| w.clone()),
            });
        }
        if wants("register") {
            cases.push(Case {
                key: "register",
                name: "registerWorker (static)",
                server: &mock,
                workload: Box::new(|_| registrations()),
            });
        }
        if let Some((w, signer, _)) = &writer {
            let signer = signer.clone();
            cases.push(Case {
                key: "writes",
                name: "createWorker+removeWorker (Hawk)",
                server: w,
                workload: Box::new(move |round| writes(signer.clone(), expires.clone(), round)),
            });
        }
        res.rows = load_cases(&rt, &cfg, &cases);
        drop(cases);
        if let Some((wire, bare)) = baselines {
            wire.stop();
            bare.stop();
        }
        if let Some((w, signer, setup_kib)) = writer {
            let rss = status_kib(&w.pid().to_string(), "VmRSS").unwrap_or(0);
            let pool = Prepared::new(
                Method::GET,
                &format!("{API}/worker-pool/{}", enc(STATIC_POOL)),
            );
            let answer: Value =
                serde_json::from_slice(&rt.block_on(call_ok(w.addr(), &pool.signed(&signer))))
                    .expect("workerPool JSON");
            let count = |k: &str| answer[k].as_u64().unwrap_or(0);
            let stored = [
                "requestedCount",
                "runningCount",
                "stoppingCount",
                "stoppedCount",
            ]
            .iter()
            .map(|k| count(k))
            .sum();
            res.writer_memory = Some((setup_kib, rss, stored));
            w.stop();
        }
        if res
            .rows
            .iter()
            .any(|r| !["baseline", "bare", "writes"].contains(&r.key))
        {
            res.rss_load_kib = status_kib(&mock_pid, "VmRSS");
            res.hwm_load_kib = status_kib(&mock_pid, "VmHWM");
        }
        mock.stop();
    }
    if wants("scale") {
        res.scale = Some(scale_phase(&rt, &cfg));
    }
    if wants("startup") {
        eprintln!("  running: startup ...");
        res.startup = Some(time_startup(&[], cfg.startup_runs));
        res.busy = Some(busy_startup(cfg.startup_runs));
    }
    report(&cfg, &res, sign_cost);
}

fn report(cfg: &Config, res: &Results, sign_cost: Duration) {
    // The yardstick is the issue's baseline: "bare" (a plain axum server, same body, no auth).
    // The wire-identical "baseline" is reported beside it: what the API's own weight leaves.
    let base_rps = res
        .row("bare")
        .or_else(|| res.row("baseline"))
        .map(|r| r.summary.rps);
    let ratio = |rps: f64| base_rps.map(|b| rps / b);
    let wire_rps = res
        .row("bare")
        .and(res.row("baseline"))
        .map(|r| r.summary.rps);
    let wire = |rps: f64| {
        wire_rps.map_or(String::new(), |b| {
            format!(" ({:.2}× the wire-identical baseline)", rps / b)
        })
    };
    // The spread of a case's ratio over the rounds: each round's rate against the yardstick's
    // rate in the same round (a run's ratio sums the rounds; this shows how much one slice moves).
    let base_rounds = res
        .row("bare")
        .or_else(|| res.row("baseline"))
        .map(|r| r.round_rps.clone());
    let spread = |r: &Row| -> String {
        let Some(base) = &base_rounds else {
            return String::new();
        };
        let x: Vec<f64> = r
            .round_rps
            .iter()
            .zip(base)
            .filter(|(_, b)| **b > 0.0)
            .map(|(a, b)| a / b)
            .collect();
        if x.len() < 2 {
            return String::new();
        }
        let (lo, hi) = x
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        format!("; per round {lo:.2}–{hi:.2}×, median {:.2}×", median(x))
    };
    let mut targets: Vec<(String, bool)> = Vec::new();
    if !res.rows.is_empty() {
        println!();
        println!(
            "{:<36} {:>8} {:>6} {:>7} {:>7} {:>8} {:>7} {:>6} {:>7} {:>6} {:>6} {:>6} {:>8}",
            "case",
            "req/s",
            "×base",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "errors",
            "srv µs",
            "srv",
            "gen",
            "other",
            "srv RSS"
        );
        println!(
            "{:<36} {:>8} {:>6} {:>7} {:>7} {:>8} {:>7} {:>6} {:>7} {:>6} {:>6} {:>6} {:>8}",
            "", "", "", "", "", "", "", "", "CPU/req", "cores", "cores", "cores", "MiB"
        );
        for r in &res.rows {
            let s = &r.summary;
            println!(
                "{:<36} {:>8} {:>6} {:>7} {:>7} {:>8} {:>7} {:>6} {:>7} {:>6} {:>6} {:>6} {:>8.1}",
                r.name,
                thousands(s.rps),
                ratio(s.rps).map_or("-".into(), |x| format!("{x:.2}×")),
                ms(s.p50),
                ms(s.p99),
                ms(s.p999),
                ms(s.max),
                r.errors,
                s.server_cpu_per_req
                    .map_or("-".into(), |d| format!("{:.1}", d.as_secs_f64() * 1e6)),
                s.server_cores.map_or("-".into(), |c| format!("{c:.2}")),
                s.client_cores.map_or("-".into(), |c| format!("{c:.2}")),
                s.other_cores.map_or("-".into(), |c| format!("{c:.2}")),
                r.rss_kib as f64 / 1024.0,
            );
        }
        for r in res.rows.iter().filter(|r| r.errors > 0) {
            println!(
                "  ERRORS in {}: {} (first: {})",
                r.name,
                r.errors,
                r.first_error.as_deref().unwrap_or("?")
            );
        }
        println!(
            "  bodies: workerPool {} bytes (every server sends the same body; ×base is against \
             \"bare\", the issue's baseline; \"baseline\" also sends wm-mock's headers and gets \
             its signed request), list page of 100: {} bytes",
            res.pool_body_bytes, res.list_body_bytes
        );
        println!(
            "  client-side Hawk signing: {:.1} µs per header (GETs reuse one header per \
             connection; writes sign every request); outside the latencies",
            sign_cost.as_secs_f64() * 1e6
        );
        if let Some(w) = res.row("writes") {
            println!(
                "  createWorker+removeWorker: req/s counts each HTTP request ({} pairs/s)",
                thousands(w.summary.rps / 2.0)
            );
        }
        println!(
            "  srv µs CPU/req: CPU time of the server process (all threads) per request; cores: \
             CPU used during the window by the server (srv), this load generator (gen) and \
             everything else on the machine (other; {} cores in all)",
            machine().0
        );
        let steal = res
            .rows
            .iter()
            .filter_map(|r| r.summary.steal_cores)
            .fold(0.0, f64::max);
        if steal > 0.05 {
            println!("  WARNING: the hypervisor stole up to {steal:.2} cores during a case");
        }
        if let Some(r) = res
            .rows
            .iter()
            .find(|r| r.summary.other_cores.unwrap_or(0.0) > 0.25)
        {
            println!(
                "  WARNING: other processes used {:.2} cores during {}: numbers are disturbed",
                r.summary.other_cores.unwrap_or(0.0),
                r.name
            );
        }
    }
    if let (Some(rss), Some(hwm)) = (res.rss_load_kib, res.hwm_load_kib) {
        let read_loads = ["get", "list", "register"]
            .iter()
            .filter(|k| res.row(k).is_some())
            .count();
        println!();
        println!(
            "memory of the wm-mock process of the read loads (VmRSS; journal capacity {}; {} list \
             workers + {} static workers seeded): after setup {}, after the load cases {} (peak \
             VmHWM {})",
            mock_options().journal_capacity,
            LIST_WORKERS,
            cfg.connections,
            mib(res.rss_setup_kib),
            mib(rss),
            mib(hwm)
        );
        targets.push((
            format!(
                "resident memory < 64 MiB after a load with the journal on: {} after the read loads \
                 ({} s of load in all, journal of {})",
                mib(rss),
                read_loads as f64 * cfg.duration.as_secs_f64(),
                mock_options().journal_capacity
            ),
            rss < 64 * 1024,
        ));
    }
    if let Some((setup, rss, stored)) = res.writer_memory {
        let per_worker = (rss.saturating_sub(setup) * 1024) as f64 / stored.max(1) as f64;
        println!(
            "memory of the write load's own wm-mock: after setup {}, after the load {}, holding \
             {} workers (removed static workers stay, stopped, until they expire, as upstream \
             keeps them): {:.0} bytes per stored worker, journal included",
            mib(setup),
            mib(rss),
            thousands(stored as f64),
            per_worker
        );
        // Not a 64 MiB case: what it holds is the workers it created, which the API keeps. The
        // issue's own targets say so: at the writes target (0.4× baseline) a run of this length
        // stores at least this many workers, and the ≤ 1 KiB-per-worker target allows them this
        // much memory on top of the server's own.
        if let Some(b) = base_rps {
            let at_target = 0.4 * b * cfg.duration.as_secs_f64() / 2.0;
            println!(
                "  the 64 MiB target is the read loads' server's: this one's memory is its stored \
                 workers, which grow with the write rate; at the writes target (0.4× baseline) \
                 this run's {:.0} s would store {} workers, for which the ≤ 1 KiB-per-worker \
                 target allows {}; they are held to that target (see scale)",
                cfg.duration.as_secs_f64(),
                thousands(at_target),
                mib(at_target as u64)
            );
        }
    }
    if let Some(r) = res.row("get") {
        if let Some(x) = ratio(r.summary.rps) {
            targets.push((
                format!(
                    "authenticated GET ≥ 0.7× baseline: {x:.2}×{}{}",
                    wire(r.summary.rps),
                    spread(r)
                ),
                x >= 0.7,
            ));
        }
    }
    // Both write cases: createWorker+removeWorker and registerWorker (which issues credentials).
    for (key, what) in [
        ("writes", "createWorker+removeWorker"),
        ("register", "registerWorker"),
    ] {
        if let Some((r, x)) = res.row(key).and_then(|r| Some((r, ratio(r.summary.rps)?))) {
            targets.push((
                format!(
                    "writes ≥ 0.4× baseline, {what}: {x:.2}×{}{}",
                    wire(r.summary.rps),
                    spread(r)
                ),
                x >= 0.4,
            ));
        }
    }
    for r in res
        .rows
        .iter()
        .filter(|r| !["baseline", "bare"].contains(&r.key))
    {
        targets.push((
            format!(
                "p99 < 5 ms at {} connections, {}: {} ms",
                cfg.connections,
                r.name,
                ms(r.summary.p99)
            ),
            r.summary.p99 < Duration::from_millis(5),
        ));
    }
    if let Some(sc) = &res.scale {
        let workers = sc.workers.max(1) as f64;
        let per_worker =
            (sc.rss_after_kib.saturating_sub(sc.rss_before_kib) * 1024) as f64 / workers;
        let p = &sc.paging;
        let page_ratio = p.last_page.as_secs_f64() / p.first_page.as_secs_f64().max(1e-9);
        println!();
        println!(
            "scale: {} workers over {} pools, seeded through the library",
            thousands(sc.workers as f64),
            sc.pools
        );
        println!(
            "  seed time            {:.2} s ({:.0} ns/worker)",
            sc.seed.as_secs_f64(),
            sc.seed.as_nanos() as f64 / workers
        );
        println!(
            "  resident memory      {} before, {} after seeding (VmRSS from /proc): {:.0} bytes \
             per worker; {} after paging",
            mib(sc.rss_before_kib),
            mib(sc.rss_after_kib),
            per_worker,
            mib(sc.rss_after_paging_kib)
        );
        println!(
            "  page through all     {:.2} s: {} pages of ≤ 1000, {} workers listed, {:.1} ms per \
             page (server CPU {})",
            p.all.as_secs_f64(),
            p.pages,
            thousands(p.listed as f64),
            p.all.as_secs_f64() * 1000.0 / p.pages.max(1) as f64,
            sc.page_server_cpu
                .map_or("-".into(), |c| format!("{:.2} s", c.as_secs_f64()))
        );
        println!(
            "  first vs last page   page 1: {} ms, page {} (last): {} ms; last/first {:.2} \
             (medians of {}, one pool){}",
            ms(p.first_page),
            p.pool_pages,
            ms(p.last_page),
            page_ratio,
            cfg.page_samples,
            if p.pool_pages == 1 {
                " — only one page per pool at this size"
            } else {
                ""
            }
        );
        println!(
            "  record sizes         Worker {} bytes (boxed; one pointer per slot of the store's \
             worker table, whose size jumps when it doubles) + a recency key and (group, id) \
             ({} bytes) in the pool index + the key and the id ({} bytes) in the group index",
            std::mem::size_of::<Worker>(),
            std::mem::size_of::<(
                worker_manager_mock::store::model::Recency,
                worker_manager_mock::store::GroupAndId,
            )>(),
            std::mem::size_of::<(worker_manager_mock::store::model::Recency, Arc<str>)>()
        );
        if p.listed != sc.workers {
            println!("  ERROR: listed {} of {} workers", p.listed, sc.workers);
        }
        targets.push((
            format!("≤ 1 KiB resident per stored worker: {per_worker:.0} bytes"),
            per_worker <= 1024.0,
        ));
        targets.push((
            format!("last page ≤ 1.5× first: {page_ratio:.2}×"),
            page_ratio <= 1.5,
        ));
    }
    if let Some(startup) = &res.startup {
        println!();
        match startup {
            Ok(t) => {
                let m = median(t.clone());
                println!(
                    "startup: `wm-mock serve --listen 127.0.0.1:0` to its first stdout line: \
                     median {} ms (min {}, max {}; {} runs)",
                    ms(m),
                    ms(t.iter().min().copied().unwrap_or_default()),
                    ms(t.iter().max().copied().unwrap_or_default()),
                    t.len()
                );
                targets.push((
                    format!("startup < 20 ms: {} ms", ms(m)),
                    m < Duration::from_millis(20),
                ));
            }
            Err(e) => println!("startup: failed: {e}"),
        }
        match &res.busy {
            Some(Ok(t)) => println!(
                "startup with `--scenario fixtures/scenarios/busy-deployment.json`: median {} ms \
                 ({} runs)",
                ms(median(t.clone())),
                t.len()
            ),
            Some(Err(e)) => {
                println!("startup with the busy-deployment scenario: not measured: {e}")
            }
            None => {}
        }
    }
    println!();
    println!("targets (issue 9):");
    for (text, ok) in &targets {
        println!("  [{}] {text}", verdict(*ok));
    }
    println!("load average at end: {}", load_average());
}

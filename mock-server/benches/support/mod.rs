//! Shared pieces of the throughput benchmark (`benches/throughput.rs`):
//!
//! - a lean HTTP/1.1 load generator: one tokio task per keep-alive connection (hyper's
//!   connection-level client, no pool or URL parsing in the loop), every latency kept in a `Vec`
//!   and sorted once at the end;
//! - Hawk signing with the `hawk` crate, as `tests/common/mod.rs` signs;
//! - readers of `/proc` (resident memory, CPU time of every thread of a process, the machine);
//! - the line protocol between the benchmark and the server processes it starts (each server runs
//!   in its own process so that its memory and CPU can be read from the OS apart from the load
//!   generator's).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The environment variable that makes the benchmark binary run as one of its server processes.
pub const ROLE_ENV: &str = "WM_BENCH_ROLE";

/// A command to run the server processes under (profiling), e.g. `valgrind --tool=callgrind`.
pub const WRAP_ENV: &str = "WM_BENCH_WRAP";

/// The content type of JSON request bodies.
pub const JSON: &str = "application/json";

// ---------------------------------------------------------------------------------------------
// Hawk

/// Signs requests for one server with one client's credentials.
pub struct Signer {
    creds: hawk::Credentials,
    host: String,
    port: u16,
}

impl Signer {
    /// A signer for `client_id`/`access_token` against the server at `addr`.
    pub fn new(client_id: &str, access_token: &str, addr: SocketAddr) -> Signer {
        Signer {
            creds: hawk::Credentials {
                id: client_id.to_string(),
                key: hawk::Key::new(access_token.as_bytes(), hawk::SHA256).expect("hawk key"),
            },
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// A fresh `Authorization: Hawk ...` header (new timestamp and nonce) for `method` on
    /// `resource` (path and query, exactly as sent), with the payload hash if there is a body.
    pub fn header(&self, method: &str, resource: &str, payload_hash: Option<&[u8]>) -> HeaderValue {
        let mut builder = hawk::RequestBuilder::new(method, &self.host, self.port, resource);
        if let Some(h) = payload_hash {
            builder = builder.hash(h);
        }
        let header = builder
            .request()
            .make_header(&self.creds)
            .expect("hawk header");
        HeaderValue::from_str(&format!("Hawk {header}")).expect("a header value")
    }
}

/// The Hawk payload hash of a body.
pub fn payload_hash(content_type: &str, body: &[u8]) -> Vec<u8> {
    hawk::PayloadHasher::hash(content_type, hawk::SHA256, body).expect("payload hash")
}

// ---------------------------------------------------------------------------------------------
// Requests and connections

/// One request, ready to be sent any number of times.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// HTTP method.
    pub method: Method,
    /// Path and query (origin form).
    pub uri: Uri,
    /// `Authorization` header, if signed.
    pub authorization: Option<HeaderValue>,
    /// `Content-Type` header, if there is a body.
    pub content_type: Option<HeaderValue>,
    /// The body (empty for none).
    pub body: Bytes,
}

impl Prepared {
    /// A request without body or credentials.
    pub fn new(method: Method, path_and_query: &str) -> Prepared {
        Prepared {
            method,
            uri: Uri::try_from(path_and_query).expect("a valid request target"),
            authorization: None,
            content_type: None,
            body: Bytes::new(),
        }
    }

    /// With a JSON body.
    pub fn json(mut self, body: impl Into<Bytes>) -> Prepared {
        self.content_type = Some(HeaderValue::from_static(JSON));
        self.body = body.into();
        self
    }

    /// Signed with a fresh Hawk header (payload hash included when there is a body).
    pub fn signed(mut self, signer: &Signer) -> Prepared {
        let hash = self
            .content_type
            .as_ref()
            .map(|_| payload_hash(JSON, &self.body));
        self.authorization =
            Some(signer.header(self.method.as_str(), self.resource(), hash.as_deref()));
        self
    }

    /// The request target as sent (what Hawk signs).
    pub fn resource(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
}

impl Connection {
    /// Connects to `addr` (TCP_NODELAY, as HTTP clients set it).
    pub async fn open(addr: SocketAddr) -> Result<Connection, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let host = HeaderValue::from_str(&addr.to_string()).map_err(|e| e.to_string())?;
        Ok(Connection { sender, host })
    }

    /// Sends a request and reads the whole response: `(status, body)`. The load loops use this:
    /// like `wrk`, it copies no response header (copying them cost the load generator, which
    /// shares the cores with the server, more for wm-mock's dozen headers than for the bare
    /// baseline's three).
    pub async fn send(&mut self, p: &Prepared) -> Result<(u16, Bytes), String> {
        let resp = self.exchange(p).await?;
        let status = resp.status().as_u16();
        let body = read_body(resp).await?;
        Ok((status, body))
    }

    /// [`Connection::send`], with the response's headers (names and values, in order).
    pub async fn send_full(
        &mut self,
        p: &Prepared,
    ) -> Result<(u16, Vec<(String, String)>, Bytes), String> {
        let resp = self.exchange(p).await?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_string(), v)
            })
            .collect();
        let body = read_body(resp).await?;
        Ok((status, headers, body))
    }

    /// Sends a request; the response's body is still to be read.
    async fn exchange(
        &mut self,
        p: &Prepared,
    ) -> Result<hyper::Response<hyper::body::Incoming>, String> {
        let mut req = Request::new(Full::new(p.body.clone()));
        *req.method_mut() = p.method.clone();
        *req.uri_mut() = p.uri.clone();
        let headers = req.headers_mut();
        headers.insert(HOST, self.host.clone());
        if let Some(a) = &p.authorization {
            headers.insert(AUTHORIZATION, a.clone());
        }
        if let Some(c) = &p.content_type {
            headers.insert(CONTENT_TYPE, c.clone());
        }
        self.sender.ready().await.map_err(|e| e.to_string())?;
        self.sender
            .send_request(req)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Reads a whole response body.
async fn read_body(resp: hyper::Response<hyper::body::Incoming>) -> Result<Bytes, String> {
    Ok(resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes())
}

/// [`call_ok`], with the response's headers.
pub async fn call_ok_full(addr: SocketAddr, p: &Prepared) -> (Vec<(String, String)>, Bytes) {
    let mut conn = Connection::open(addr).await.expect("connect");
    let (status, headers, body) = conn.send_full(p).await.expect("request");
    assert_eq!(status, 200, "{} {}", p.method, p.uri);
    (headers, body)
}

/// Sends one request on a fresh connection and expects a 200 (setup and checks, not load).
pub async fn call_ok(addr: SocketAddr, p: &Prepared) -> Bytes {
    let mut conn = Connection::open(addr).await.expect("connect");
    let (status, body) = conn.send(p).await.expect("request");
    assert_eq!(
        status,
        200,
        "{} {}: {}",
        p.method,
        p.uri,
        String::from_utf8_lossy(&body)
    );
    body
}

// ---------------------------------------------------------------------------------------------
// Load

/// What one connection sends: called once per iteration with the iteration number (counting from
/// 0 on each connection), it appends the iteration's requests. Work done here (signing, building
/// paths) happens before each request's clock starts.
pub type ConnWorkload = Box<dyn FnMut(u64, &mut Vec<Prepared>) + Send>;

/// Makes the workload of connection `i`.
pub type Workload = Arc<dyn Fn(usize) -> ConnWorkload + Send + Sync>;

/// A workload that sends the same request forever, re-signing it every few minutes (Hawk accepts
/// ±15 minutes of skew and wm-mock keeps no nonce cache, so one header serves many requests).
pub fn repeat(p: Prepared, signer: Option<Arc<Signer>>) -> Workload {
    Arc::new(move |_| {
        let mut p = p.clone();
        let signer = signer.clone();
        let mut signed_at = Instant::now();
        if let Some(s) = &signer {
            p = p.signed(s);
        }
        Box::new(move |_, out| {
            if let Some(s) = &signer {
                if signed_at.elapsed() > Duration::from_secs(300) {
                    p = p.clone().signed(s);
                    signed_at = Instant::now();
                }
            }
            out.push(p.clone());
        })
    })
}

/// How to run one load case.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    /// Concurrent keep-alive connections, one task each.
    pub connections: usize,
    /// Load before measuring starts (not recorded).
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// The server process whose CPU time to read at the window's edges.
    pub server_pid: Option<u32>,
}

/// The outcome of one load case.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Successful (2xx) requests started in the window.
    pub ok: u64,
    /// Failed requests (non-2xx answers and transport errors), in the window or not.
    pub errors: u64,
    /// The first failure, for diagnosis.
    pub first_error: Option<String>,
    /// Length of the measured window.
    pub window: Duration,
    /// Latency of every successful request in the window, in nanoseconds.
    pub latencies_ns: Vec<u64>,
    /// CPU time the server process used during the window (every thread).
    pub server_cpu: Option<Duration>,
    /// CPU time the benchmark process (the load generator) used during the window.
    pub client_cpu: Option<Duration>,
    /// CPU time the whole machine was busy (all processes) and stolen by the hypervisor during
    /// the window (`/proc/stat`).
    pub machine_cpu: Option<MachineCpu>,
}

impl LoadResult {
    /// Adds another window's outcome of the same case (the interleaved rounds of one run).
    pub fn absorb(&mut self, other: LoadResult) {
        let add = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        let first = self.window.is_zero();
        self.ok += other.ok;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.window += other.window;
        self.latencies_ns.extend(other.latencies_ns);
        if first {
            self.server_cpu = other.server_cpu;
            self.client_cpu = other.client_cpu;
            self.machine_cpu = other.machine_cpu;
        } else {
            self.server_cpu = add(self.server_cpu, other.server_cpu);
            self.client_cpu = add(self.client_cpu, other.client_cpu);
            self.machine_cpu = match (self.machine_cpu, other.machine_cpu) {
                (Some(a), Some(b)) => Some(MachineCpu {
                    busy: a.busy + b.busy,
                    steal: a.steal + b.steal,
                }),
                _ => None,
            };
        }
    }
}

#[derive(Default)]
struct TaskOutcome {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_ns: Vec<u64>,
}

/// Runs `workload` on `plan.connections` connections to `addr`: connects all, runs the warm-up,
/// then measures for `plan.duration`. Requests that start inside the window count.
pub async fn run_load(addr: SocketAddr, plan: &LoadPlan, workload: Workload) -> LoadResult {
    let mut conns = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        conns.push(Connection::open(addr).await.expect("connect"));
    }
    let start = Instant::now() + plan.warmup;
    let end = start + plan.duration;
    let expected = (plan.duration.as_secs_f64() * 50_000.0 / plan.connections as f64) as usize;
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, conn)| {
            let make = workload(i);
            tokio::spawn(conn_loop(addr, conn, make, start, end, expected))
        })
        .collect();
    tokio::time::sleep_until(start.into()).await;
    let server0 = plan.server_pid.and_then(|p| cpu_time(&p.to_string()));
    let client0 = cpu_time("self");
    let machine0 = machine_cpu();
    tokio::time::sleep_until(end.into()).await;
    let server1 = plan.server_pid.and_then(|p| cpu_time(&p.to_string()));
    let client1 = cpu_time("self");
    let machine1 = machine_cpu();
    let mut result = LoadResult {
        window: plan.duration,
        server_cpu: server0.zip(server1).map(|(a, b)| b.saturating_sub(a)),
        client_cpu: client0.zip(client1).map(|(a, b)| b.saturating_sub(a)),
        machine_cpu: machine0.zip(machine1).map(|(a, b)| MachineCpu {
            busy: b.busy.saturating_sub(a.busy),
            steal: b.steal.saturating_sub(a.steal),
        }),
        ..LoadResult::default()
    };
    for t in tasks {
        let o = t.await.expect("connection task");
        result.ok += o.ok;
        result.errors += o.errors;
        if result.first_error.is_none() {
            result.first_error = o.first_error;
        }
        result.latencies_ns.extend(o.latencies_ns);
    }
    result
}

async fn conn_loop(
    addr: SocketAddr,
    mut conn: Connection,
    mut make: ConnWorkload,
    start: Instant,
    end: Instant,
    expected: usize,
) -> TaskOutcome {
    let mut out = TaskOutcome {
        latencies_ns: Vec::with_capacity(expected),
        ..TaskOutcome::default()
    };
    let mut batch = Vec::with_capacity(4);
    let mut iteration = 0u64;
    'run: while Instant::now() < end {
        batch.clear();
        make(iteration, &mut batch);
        iteration += 1;
        for p in &batch {
            let t0 = Instant::now();
            let result = conn.send(p).await;
            let elapsed = t0.elapsed();
            let measured = t0 >= start && t0 < end;
            let failure = match result {
                Ok((status, _)) if (200..300).contains(&status) => {
                    if measured {
                        out.ok += 1;
                        out.latencies_ns.push(elapsed.as_nanos() as u64);
                    }
                    None
                }
                Ok((status, body)) => Some(format!(
                    "{} {} -> HTTP {status}: {}",
                    p.method,
                    p.uri,
                    String::from_utf8_lossy(&body[..body.len().min(400)])
                )),
                Err(e) => {
                    let msg = format!("{} {} -> {e}", p.method, p.uri);
                    out.errors += 1;
                    out.first_error.get_or_insert(msg);
                    match Connection::open(addr).await {
                        Ok(c) => conn = c,
                        Err(_) => break 'run,
                    }
                    continue 'run;
                }
            };
            if let Some(msg) = failure {
                out.errors += 1;
                out.first_error.get_or_insert(msg);
            }
        }
    }
    out
}

/// Requests per second and latency percentiles of a load case.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    /// Successful requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// 99.9th percentile.
    pub p999: Duration,
    /// Slowest request.
    pub max: Duration,
    /// Server CPU per request, if known.
    pub server_cpu_per_req: Option<Duration>,
    /// Server CPU use during the window, in cores.
    pub server_cores: Option<f64>,
    /// Load-generator CPU use during the window, in cores.
    pub client_cores: Option<f64>,
    /// CPU used during the window by everything else on the machine, in cores.
    pub other_cores: Option<f64>,
    /// CPU stolen by the hypervisor during the window, in cores.
    pub steal_cores: Option<f64>,
}

impl LoadResult {
    /// Sorts the latencies and summarizes.
    pub fn summary(&mut self) -> Summary {
        self.latencies_ns.sort_unstable();
        let l = &self.latencies_ns;
        let pct = |q: f64| -> Duration {
            if l.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((q * l.len() as f64).ceil() as usize).clamp(1, l.len());
            Duration::from_nanos(l[rank - 1])
        };
        let secs = self.window.as_secs_f64();
        Summary {
            rps: self.ok as f64 / secs,
            p50: pct(0.50),
            p99: pct(0.99),
            p999: pct(0.999),
            max: l
                .last()
                .map_or(Duration::ZERO, |n| Duration::from_nanos(*n)),
            server_cpu_per_req: self
                .server_cpu
                .filter(|_| self.ok > 0)
                .map(|c| c / self.ok as u32),
            server_cores: self.server_cpu.map(|c| c.as_secs_f64() / secs),
            client_cores: self.client_cpu.map(|c| c.as_secs_f64() / secs),
            other_cores: self.machine_cpu.map(|m| {
                let ours =
                    self.server_cpu.unwrap_or_default() + self.client_cpu.unwrap_or_default();
                (m.busy.as_secs_f64() - ours.as_secs_f64()).max(0.0) / secs
            }),
            steal_cores: self.machine_cpu.map(|m| m.steal.as_secs_f64() / secs),
        }
    }
}

/// The median of some values (the upper of the middle two for an even count; the default if none).
pub fn median<T: Copy + Default + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_unstable_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// /proc

/// A `kB` field of `/proc/<pid>/status` (`pid` may be `self`), e.g. `VmRSS` or `VmHWM`.
pub fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// CPU time of every live thread of a process (`/proc/<pid>/task/*/schedstat`, nanoseconds).
pub fn cpu_time(pid: &str) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(task) = task else { continue };
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        total += text
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}

/// CPU time of the whole machine, from the `cpu` line of `/proc/stat`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MachineCpu {
    /// Busy: user, nice, system, irq and softirq time of every CPU.
    pub busy: Duration,
    /// Stolen by the hypervisor.
    pub steal: Duration,
}

/// Reads [`MachineCpu`] (`/proc/stat` counts in USER_HZ ticks, 100 per second on Linux).
pub fn machine_cpu() -> Option<MachineCpu> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let tick = |n: u64| Duration::from_millis(n * 10);
    let busy = [0, 1, 2, 5, 6].iter().filter_map(|i| f.get(*i)).sum();
    Some(MachineCpu {
        busy: tick(busy),
        steal: tick(f.get(7).copied().unwrap_or(0)),
    })
}

/// `nproc`, the CPU model, the kernel and the load average, for the report's header.
pub fn machine() -> (usize, String, String) {
    let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    (nproc, model, kernel)
}

/// The 1-, 5- and 15-minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Server processes

/// A server the benchmark started: the benchmark binary itself, run with [`ROLE_ENV`]. It prints
/// one line `ready key=value ...` when it is serving, and exits when its stdin closes.
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    _stdout: BufReader<ChildStdout>,
    info: BTreeMap<String, String>,
}

impl ServerProcess {
    /// Starts `role` with extra environment variables and waits for its `ready` line. With
    /// `WM_BENCH_WRAP` set (e.g. `valgrind --tool=callgrind`), the server runs under that command.
    pub fn spawn(role: &str, env: &[(&str, String)]) -> ServerProcess {
        let exe = std::env::current_exe().expect("the benchmark's own path");
        let wrap = std::env::var(WRAP_ENV).unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let mut command = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .env(ROLE_ENV, role)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a server process");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the ready line");
        let Some(rest) = line.trim_end().strip_prefix("ready") else {
            let _ = child.kill();
            panic!("server process `{role}` did not start: {line:?}");
        };
        let info = rest
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServerProcess {
            child,
            stdin,
            _stdout: stdout,
            info,
        }
    }

    /// A value of the ready line.
    pub fn get(&self, key: &str) -> &str {
        self.info
            .get(key)
            .unwrap_or_else(|| panic!("the ready line has no {key}"))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.get("addr").parse().expect("an address")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes its stdin and waits for it to exit (killing it after 10 s, or 5 minutes under
    /// `WM_BENCH_WRAP`, which may have a profile to write).
    pub fn stop(mut self) {
        drop(self.stdin.take());
        let wrapped = std::env::var(WRAP_ENV).is_ok_and(|w| !w.trim().is_empty());
        let grace = Duration::from_secs(if wrapped { 300 } else { 10 });
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In a server process: announces that it is serving, with `key=value` facts (no spaces).
pub fn announce(facts: &[(&str, String)]) {
    let mut line = String::from("ready");
    for (k, v) in facts {
        line.push_str(&format!(" {k}={v}"));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("write the ready line");
    out.flush().expect("flush stdout");
}

/// In a server process: waits until the benchmark closes our stdin (or exits).
pub async fn until_stdin_closes() {
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
}

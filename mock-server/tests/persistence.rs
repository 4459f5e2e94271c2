//! `--state-file`: the store survives a save and a load unchanged, a restart of the binary keeps
//! registration working, damaged files are refused, and a SIGKILL in the middle of heavy writes
//! never leaves a file that does not load nor loses what a completed save held.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{aws_config, enc, Api, SECRET};
use serde_json::{json, Value};
use taskcluster::{ClientBuilder, Credentials, Retry, WorkerManager};
use worker_manager_mock::persist::{self, PersistError};
use worker_manager_mock::scenario::Scenario;
use worker_manager_mock::store::model::{QueueWorker, TaskRun, Worker, WorkerKey};
use worker_manager_mock::store::snapshot::Snapshot;
use worker_manager_mock::store::Store;
use worker_manager_mock::MockServer;

const BIN: &str = env!("CARGO_BIN_EXE_wm-mock");

/// A fresh, empty directory for one test.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("persistence-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Asserts that two stores hold the same data: records with their hidden fields, list orders,
/// counters, providers and the sequence counter.
fn assert_same_store(a: &Store, b: &Store) {
    assert_eq!(b.check_invariants(), Ok(()));
    assert_eq!(a.providers(), b.providers());
    let pools = |s: &Store| s.pools().values().cloned().collect::<Vec<_>>();
    assert_eq!(pools(a), pools(b));
    let workers = |s: &Store| {
        let mut w: Vec<Worker> = s.all_workers().cloned().collect();
        w.sort_by_key(|w| w.key());
        w
    };
    assert_eq!(workers(a), workers(b));
    let mut pool_ids: HashSet<String> = a.pools().keys().map(|k| k.id.to_string()).collect();
    pool_ids.extend(a.all_workers().map(|w| w.worker_pool_id.to_string()));
    pool_ids.extend(a.all_errors().map(|e| e.worker_pool_id.clone()));
    for pool in &pool_ids {
        assert_eq!(
            a.pool_worker_index(pool),
            b.pool_worker_index(pool),
            "{pool}"
        );
        assert_eq!(
            a.counters_by_launch_config(pool),
            b.counters_by_launch_config(pool),
            "{pool}"
        );
        assert_eq!(a.pool_errors(pool), b.pool_errors(pool), "{pool}");
        assert_eq!(a.launch_configs(pool), b.launch_configs(pool), "{pool}");
    }
    for w in a.all_workers() {
        assert_eq!(
            a.group_worker_index(&w.worker_pool_id, &w.worker_group),
            b.group_worker_index(&w.worker_pool_id, &w.worker_group)
        );
    }
    assert_eq!(a.queue_workers(), b.queue_workers());
    assert_eq!(a.clone().next_seq(), b.clone().next_seq());
}

/// A populated store saved to a file and loaded back is the same store: pools (static, cloud
/// with launch configurations), static workers with their secrets, a registered worker with its
/// reregistration secret, errors, queue records, a failed provider, the sequence counter.
#[tokio::test]
async fn a_populated_store_round_trips_through_the_state_file() {
    let busy = Scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios/busy-deployment.json"
    )))
    .expect("fixture loads");
    let api = Api::with(MockServer::builder().scenario(busy)).await;
    api.create_pool("persist/static", "static", json!({}))
        .await
        .ok();
    api.create_pool("persist/aws", "aws", aws_config())
        .await
        .ok();
    for id in ["w1", "w2"] {
        api.create_static_worker("persist/static", "wg", id)
            .await
            .ok();
    }
    let reg = api
        .post(
            "/worker/register",
            json!({"workerPoolId": "persist/static", "providerId": "static",
                   "workerGroup": "wg", "workerId": "w1",
                   "workerIdentityProof": {"staticSecret": SECRET}}),
        )
        .await;
    reg.ok();
    {
        let svc = api.server.service();
        let mut store = svc.store();
        store.put_queue_worker(QueueWorker {
            worker_pool_id: "persist/static".into(),
            worker_group: "wg".into(),
            worker_id: "w1".into(),
            expires: 4_102_444_800_000,
            first_claim: 1_700_000_000_000,
            quarantine_until: 1_700_000_000_000,
            quarantine_details: vec![json!({"quarantineInfo": "ünïcode\nand a newline"})],
            recent_tasks: vec![TaskRun {
                task_id: "ZRMnDiaeTTeyp03kUua0OA".into(),
                run_id: 2,
            }],
            last_date_active: None,
        });
        store.set_provider_failed("google", true);
    }
    let original = api.server.service().store().clone();
    let secret = original
        .worker(&WorkerKey::new("persist/static", "wg", "w1"))
        .and_then(|w| w.secret.clone());
    assert_eq!(secret.as_deref(), reg.body["secret"].as_str());
    assert!(original.all_errors().count() >= 10);
    assert!(original.launch_configs("persist/aws").is_some());

    let dir = scratch_dir("round-trip");
    let path = dir.join("state.json");
    assert!(persist::load(&path)
        .expect("no file is not an error")
        .is_none());
    persist::save_atomically(&path, &original).expect("saves");
    let loaded = persist::load(&path).expect("loads").expect("exists");
    assert_same_store(&original, &loaded);
    assert_eq!(Snapshot::of(&loaded), Snapshot::of(&original));
    // Saving what was loaded gives the same bytes: nothing is lost or reordered on the way.
    let again = dir.join("again.json");
    persist::save_atomically(&again, &loaded).expect("saves");
    assert_eq!(
        std::fs::read(&path).expect("reads"),
        std::fs::read(&again).expect("reads")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o077, 0, "the state file holds secrets: {mode:o}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("lists")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A running `wm-mock` child process.
struct Mock {
    child: Child,
    url: String,
    /// Kept open: the mock prints more after the ready line.
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Mock {
    /// Starts the binary and waits for its ready line; panics with its stderr if it exits first.
    fn start(state: &Path, extra: &[&str], stderr: &Path) -> Mock {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--state-file"])
            .arg(state)
            .args(extra)
            .env_remove("WM_MOCK_ROOT_ACCESS_TOKEN")
            .env_remove("WM_MOCK_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(File::create(stderr).expect("stderr file")))
            .spawn()
            .expect("spawns");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let Some(Ok(line)) = first else {
            let status = child.wait();
            panic!(
                "wm-mock did not start ({status:?}): {}",
                std::fs::read_to_string(stderr).unwrap_or_default()
            );
        };
        let url = line
            .split("listening on ")
            .nth(1)
            .unwrap_or_else(|| panic!("not a ready line: {line}"))
            .to_string();
        Mock {
            child,
            url,
            _stdout: lines,
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/worker-manager/v1{path}", self.url)
    }

    /// SIGTERM, then waits for the exit.
    fn terminate(mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        wait_for_exit(&mut self.child, Duration::from_secs(15))
    }

    /// SIGKILL (what `kill -KILL` sends, without the delay of starting `kill`), then reaps the
    /// process.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child to exit; kills it and panics after `limit`.
fn wait_for_exit(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wm-mock did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the binary on a damaged state file: it must exit non-zero, name the file and say what is
/// wrong (`expect` in stderr), and leave the file as it was.
fn assert_refused(path: &Path, expect: &str) {
    let before = std::fs::read(path).ok();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--state-file"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let status = wait_for_exit(&mut child, Duration::from_secs(10));
    let err = reader.join().expect("stderr read");
    assert!(!status.success(), "accepted {}: {err}", path.display());
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains(expect), "expected {expect:?} in: {err}");
    assert_eq!(
        std::fs::read(path).ok(),
        before,
        "the damaged file was changed"
    );
}

/// A truncated file, a file with one flipped byte, an empty file, an unknown version, another
/// JSON file and a directory are refused at start with a message naming the file, and the file is
/// left alone; so is a path where the state cannot be saved.
#[test]
fn damaged_state_files_stop_the_server() {
    let dir = scratch_dir("damaged");
    let mut store = Store::new(worker_manager_mock::provider::default_providers());
    for i in 0..20 {
        let mut w = Worker::new(
            "proj/x",
            "g",
            &format!("w{i}"),
            "static",
            worker_manager_mock::store::model::WorkerState::Running,
            1_700_000_000_000,
        );
        w.provider_data.static_secret = Some(SECRET.into());
        store.insert_worker(w);
    }
    let good = persist::encode(&Snapshot::of(&store)).expect("encodes");

    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &good[..good.len() / 2]).expect("writes");
    assert_refused(&truncated, "truncated");

    let cut_last_byte = dir.join("cut-last-byte.json");
    std::fs::write(&cut_last_byte, &good[..good.len() - 1]).expect("writes");
    assert_refused(&cut_last_byte, "truncated");

    // A changed letter inside a secret: still valid JSON, caught by the checksum.
    let flipped = dir.join("flipped.json");
    let mut bytes = good.clone();
    let at = bytes
        .windows(SECRET.len())
        .position(|w| w == SECRET.as_bytes())
        .expect("a secret in the file");
    bytes[at + 3] ^= 0x02;
    std::fs::write(&flipped, &bytes).expect("writes");
    assert_refused(&flipped, "checksum mismatch");

    let empty = dir.join("empty.json");
    std::fs::write(&empty, b"").expect("writes");
    assert_refused(&empty, "empty");

    let future = dir.join("future.json");
    let text = String::from_utf8(good.clone()).expect("utf-8");
    std::fs::write(
        &future,
        text.replacen("\"version\":1,", "\"version\":2,", 1),
    )
    .expect("writes");
    assert_refused(&future, "version 2 is not supported");

    let not_state = dir.join("scenario.json");
    std::fs::write(&not_state, br#"{"seed": {}}"#).expect("writes");
    assert_refused(&not_state, "not a wm-mock state file");

    let a_dir = dir.join("a-directory");
    std::fs::create_dir_all(&a_dir).expect("mkdir");
    assert_refused(&a_dir, "cannot read");

    // Not damaged, but not writable: the first save at start fails, so the server stops.
    assert_refused(&dir.join("missing-dir").join("state.json"), "cannot save");

    // The library says the same, with the file in every message.
    for p in [&truncated, &flipped, &empty, &future] {
        let err: PersistError = persist::load(p).expect_err("refused");
        assert!(err.to_string().contains(&p.display().to_string()), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tc_client(url: &str, creds: Credentials) -> WorkerManager {
    WorkerManager::new(ClientBuilder::new(url).credentials(creds).retry(Retry {
        retries: 0,
        ..Retry::default()
    }))
    .expect("client builds")
}

/// Strict authentication, a restart with SIGTERM in between: the pool created just before the
/// shutdown (after the last periodic save) is there, the worker registered before the restart
/// reregisters with its secret and its credentials, and registerWorker works again with the
/// static secret; the errors are still listed.
#[tokio::test]
async fn registration_keeps_working_across_a_restart() {
    let dir = scratch_dir("restart");
    let state = dir.join("state.json");
    let token = "persistence-test-root-token";
    let args = [
        "--seed",
        "42",
        "--root-access-token",
        token,
        "--save-interval",
        "60",
    ];
    let mock = Mock::start(&state, &args, &dir.join("stderr-1"));
    let root = || Credentials::new("static/taskcluster/root", token);
    let wm = tc_client(&mock.url, root());
    let pool = json!({"providerId": "static", "description": "persisted", "config": {},
                      "owner": "o@example.com", "emailOnError": false});
    wm.createWorkerPool("persist/linux", &pool)
        .await
        .expect("creates");
    wm.createWorker(
        "persist/linux",
        "wg",
        "w1",
        &json!({"expires": "2099-01-01T00:00:00.000Z", "providerInfo": {"staticSecret": SECRET}}),
    )
    .await
    .expect("creates worker");
    let register = json!({"workerPoolId": "persist/linux", "providerId": "static",
        "workerGroup": "wg", "workerId": "w1", "workerIdentityProof": {"staticSecret": SECRET}});
    let reg = wm.registerWorker(&register).await.expect("registers");
    let c = &reg["credentials"];
    let worker_creds = || {
        Credentials::new_with_certificate(
            c["clientId"].as_str().unwrap_or_default(),
            c["accessToken"].as_str().unwrap_or_default(),
            c["certificate"].as_str().unwrap_or_default(),
        )
    };
    let reported = tc_client(&mock.url, worker_creds())
        .reportWorkerError(
            "persist/linux",
            &json!({"workerGroup": "wg", "workerId": "w1", "kind": "boot-failure",
                    "title": "t", "description": "before the restart", "extra": {}}),
        )
        .await
        .expect("reports");
    // Only the shutdown save can have this one (the periodic saves are a minute apart).
    wm.createWorkerPool("persist/late", &pool)
        .await
        .expect("creates");
    let status = mock.terminate();
    assert!(status.success(), "{status:?}");

    let mock = Mock::start(&state, &args, &dir.join("stderr-2"));
    let wm = tc_client(&mock.url, root());
    assert_eq!(
        wm.workerPool("persist/late").await.expect("kept")["description"],
        "persisted"
    );
    let worker = wm.worker("persist/linux", "wg", "w1").await.expect("kept");
    assert_eq!(worker["state"], "running");
    let rereg = tc_client(&mock.url, worker_creds())
        .reregisterWorker(
            &json!({"workerPoolId": "persist/linux", "workerGroup": "wg",
            "workerId": "w1", "secret": reg["secret"]}),
        )
        .await
        .expect("reregisters with the secret and credentials from before the restart");
    assert!(rereg["secret"].is_string());
    let again = wm.registerWorker(&register).await.expect("registers again");
    assert!(again["credentials"]["accessToken"].is_string());
    let errors = wm
        .listWorkerPoolErrors("persist/linux", None, None, None, None)
        .await
        .expect("lists");
    assert_eq!(
        errors["workerPoolErrors"][0]["errorId"], reported["errorId"],
        "{errors}"
    );
    let status = mock.terminate();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every pool id the mock lists under `prefix` (permissive auth).
#[cfg(unix)]
async fn list_pools(http: &reqwest::Client, mock: &Mock, prefix: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = mock.api("/worker-pools?limit=1000");
        if let Some(t) = &token {
            url.push_str(&format!("&continuationToken={t}"));
        }
        let page: Value = http
            .get(&url)
            .send()
            .await
            .expect("lists")
            .json()
            .await
            .expect("json");
        for p in page["workerPools"].as_array().expect("a page") {
            let id = p["workerPoolId"].as_str().unwrap_or_default();
            if id.starts_with(prefix) {
                out.insert(id.to_string());
            }
        }
        match page["continuationToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

/// The temporary files of saves in `dir` (being written, or left by a killed process).
#[cfg(unix)]
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

/// What the writers know about each pool they asked for.
#[cfg(unix)]
#[derive(Default)]
struct Ledger {
    sent: HashSet<String>,
    acked: HashMap<String, Instant>,
}

/// Watches the state file; returns, for each new version seen (each save renames a new file over
/// it: a new inode or modification time), the time of the last poll that still saw the version
/// before. The save behind version `j + 1` copied the store after version `j` was renamed into
/// place, so after that poll: every pool acknowledged before `points[j]` is in version `j + 1`,
/// and in every later one.
#[cfg(unix)]
fn watch_saves(path: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Instant>> {
    use std::os::unix::fs::MetadataExt;
    std::thread::spawn(move || {
        let version = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.ino(), m.mtime(), m.mtime_nsec()))
        };
        let mut points = Vec::new();
        let mut last = version(&path);
        let mut last_poll = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            let current = version(&path);
            if current != last {
                points.push(last_poll);
                last = current;
            }
            last_poll = now;
            std::thread::sleep(Duration::from_millis(2));
        }
        points
    })
}

/// Heavy writes (4 concurrent createWorkerPool loops), SIGKILL, restart: three times over, the
/// kill landing at an arbitrary point of a save interval, or (cycle 1) while a save's temporary
/// file is being written. Every restart loads (no torn file, ever) and keeps every pool of the
/// last save known to be complete, every pool acknowledged more than two save intervals before
/// the kill, and every pool an earlier restart had; it holds no pool that was never asked for,
/// and no more than were acknowledged plus the few in flight at the kill.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_writes_keeps_every_completed_save() {
    const INTERVAL_MS: u64 = 500;
    const WRITERS: usize = 4;
    const MAX_POOLS_PER_CYCLE: usize = 6_000;
    let interval = Duration::from_millis(INTERVAL_MS);
    let dir = scratch_dir("crash");
    let state = dir.join("state.json");
    let args = ["--auth", "permissive", "--save-interval", "0.5"];
    let http = reqwest::Client::new();
    let description = "d".repeat(40);
    let mut present: HashSet<String> = HashSet::new();
    let mut sent_before: HashSet<String> = HashSet::new();
    let started = Instant::now();
    let mut mock = Mock::start(&state, &args, &dir.join("stderr-0"));
    for cycle in 0..3 {
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicUsize::new(0));
        let watcher = watch_saves(state.clone(), Arc::clone(&stop));
        let mut writers = Vec::new();
        for _ in 0..WRITERS {
            let (ledger, stop, next, http) = (
                Arc::clone(&ledger),
                Arc::clone(&stop),
                Arc::clone(&next),
                http.clone(),
            );
            let url = mock.api("/worker-pool/");
            let body = json!({"providerId": "static", "description": description,
                "config": {}, "owner": "o@example.com", "emailOnError": false});
            writers.push(tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= MAX_POOLS_PER_CYCLE {
                        break;
                    }
                    let id = format!("crash/c{cycle}-{i:05}");
                    ledger.lock().expect("ledger").sent.insert(id.clone());
                    let sent = http
                        .put(format!("{url}{}", enc(&id)))
                        .json(&body)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            ledger
                                .lock()
                                .expect("ledger")
                                .acked
                                .insert(id, Instant::now());
                        }
                        Ok(r) => panic!("createWorkerPool {id}: {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
            }));
        }
        // Let a few saves complete under load, then kill: in the middle of writing a save (as
        // soon as its temporary file appears) in cycle 1, at an arbitrary point otherwise.
        let writing = Instant::now();
        let jitter = Duration::from_millis(
            u64::from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0),
            ) % INTERVAL_MS,
        );
        if cycle == 1 {
            tokio::time::sleep(Duration::from_millis(1_200)).await;
            let deadline = Instant::now() + Duration::from_secs(2);
            let seen = tokio::task::block_in_place(|| loop {
                if !temp_files(&dir).is_empty() {
                    return true;
                }
                if Instant::now() > deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_micros(100));
            });
            assert!(seen, "no save was written within 2 s");
        } else {
            tokio::time::sleep(Duration::from_millis(1_000) + jitter).await;
        }
        let killed_at = Instant::now();
        mock.kill();
        let torn = temp_files(&dir);
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.await.expect("writer");
        }
        let safe_points = watcher.join().expect("watcher");
        let ledger = Arc::try_unwrap(ledger)
            .ok()
            .expect("writers done")
            .into_inner()
            .expect("ledger");
        assert!(
            !ledger.acked.is_empty(),
            "cycle {cycle}: no write was acknowledged"
        );

        mock = Mock::start(&state, &args, &dir.join(format!("stderr-{}", cycle + 1)));
        let restored = list_pools(&http, &mock, "crash/").await;
        let in_flight: HashSet<&String> = ledger
            .sent
            .iter()
            .filter(|id| !ledger.acked.contains_key(*id))
            .collect();
        // The file holds the last version seen or a later one: every pool acknowledged before
        // the poll that preceded the version before it is in the file.
        let safe_before = match safe_points.len() {
            0 | 1 => writing,
            n => safe_points[n - 2].max(writing),
        };
        let mut must = 0;
        for (id, at) in &ledger.acked {
            if *at < safe_before || *at + 2 * interval < killed_at {
                must += 1;
                assert!(
                    restored.contains(id),
                    "cycle {cycle}: {id}, acknowledged {:?} before the kill, is lost",
                    killed_at - *at
                );
            }
        }
        for id in &restored {
            let known = ledger.sent.contains(id) || sent_before.contains(id);
            assert!(known, "cycle {cycle}: {id} was never asked for");
        }
        assert!(in_flight.len() <= WRITERS);
        assert!(
            present.is_subset(&restored),
            "cycle {cycle}: pools of an earlier restart are lost"
        );
        let this_cycle = restored
            .iter()
            .filter(|id| ledger.sent.contains(*id))
            .count();
        assert!(
            this_cycle <= ledger.acked.len() + in_flight.len(),
            "cycle {cycle}: {this_cycle} restored, more than were acknowledged or in flight"
        );
        eprintln!(
            "cycle {cycle}: {} acknowledged, {} in flight at the kill, {} guaranteed, {} restored, \
             {} saves seen, killed {}",
            ledger.acked.len(),
            in_flight.len(),
            must,
            this_cycle,
            safe_points.len(),
            if torn.is_empty() {
                format!("{jitter:?} into an interval")
            } else {
                format!("while writing {torn:?}")
            }
        );
        present = restored;
        sent_before.extend(ledger.sent);
    }
    // Checked once the last server has shut down: while it runs, its own save may be in the
    // middle of writing a temporary file, which is not a stale one.
    let status = mock.terminate();
    assert!(status.success(), "{status:?}");
    let leftovers = temp_files(&dir);
    assert!(leftovers.is_empty(), "stale temporary files: {leftovers:?}");
    let final_store = persist::load(&state).expect("loads").expect("exists");
    let ids: HashSet<String> = final_store
        .pools()
        .keys()
        .map(|k| k.id.to_string())
        .filter(|id| id.starts_with("crash/"))
        .collect();
    assert_eq!(ids, present);
    eprintln!("crash test took {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--save-interval` takes fractions, refuses nonsense, and needs `--state-file`.
#[test]
fn save_interval_is_checked() {
    let help = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--state-file"), "{text}");
    assert!(text.contains("--save-interval"), "{text}");
    for bad in [
        vec!["--state-file", "x.json", "--save-interval", "0"],
        vec!["--state-file", "x.json", "--save-interval", "soon"],
        vec!["--save-interval", "1"],
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .args(&bad)
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{bad:?} accepted");
    }
}

//! The `wm-mock` binary: help, the ready line, credentials printed at start, bad configuration.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_wm-mock");

/// `--help` documents every serve flag.
#[test]
fn help_explains_the_flags() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--admin-token",
        "--listen",
        "--auth",
        "--root-access-token",
        "--seed",
        "--anonymous-scope",
        "--clients",
    ] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
    let v = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("wm-mock "));
}

/// `serve` on port 0 prints `listening on http://HOST:PORT` first, then export lines, and answers.
#[test]
fn serve_prints_the_ready_line_and_credentials() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("WM_MOCK_ROOT_ACCESS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split("listening on ")
        .nth(1)
        .expect("ready line")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let exports: Vec<String> = (0..3).map(|_| lines.next().unwrap().unwrap()).collect();
    assert_eq!(exports[0], format!("export TASKCLUSTER_ROOT_URL={url}"));
    assert_eq!(
        exports[1],
        "export TASKCLUSTER_CLIENT_ID=static/taskcluster/root"
    );
    assert!(exports[2].starts_with("export TASKCLUSTER_ACCESS_TOKEN="));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("{url}/api/worker-manager/v1/ping"))
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGTERM and SIGINT shut the server down cleanly (exit status 0), even right after the ready line.
#[cfg(unix)]
#[test]
fn sigterm_shuts_down_cleanly() {
    // Sent right after the ready line: the handlers are installed before it is printed.
    for signal in ["-TERM", "-INT"] {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.next().unwrap().unwrap().contains("listening on"));
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(status.success(), "{signal}: {status:?}");
    }
}

/// A broken clients file stops the server from starting, with a message naming the file.
#[test]
fn bad_clients_file_is_refused() {
    let path =
        std::env::temp_dir().join(format!("wm-mock-bad-clients-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"clients": [{"clientId": "a"}]}"#).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--clients"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("accessToken"), "{err}");
    let _ = std::fs::remove_file(path);
}

/// A malformed scenario file stops the server from starting, with the file, pointer and reason.
#[test]
fn bad_scenario_file_is_refused() {
    let path =
        std::env::temp_dir().join(format!("wm-mock-bad-scenario-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"rules": [{"match": {"first": 0}, "action": {"type": "reset"}}]}"#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--scenario"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("/rules/0/match/first"), "{err}");
    let _ = std::fs::remove_file(path);
}

/// The busy-deployment scenario loads at start and its pools are served.
#[test]
fn busy_deployment_scenario_starts() {
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios/busy-deployment.json"
    );
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--auth",
            "permissive",
            "--scenario",
            scenario,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.split("listening on ").nth(1).unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("{url}/api/worker-manager/v1/worker-pools"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert!(body["workerPools"].as_array().unwrap().len() >= 5, "{body}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Permissive auth on a non-loopback address is refused unless explicitly allowed.
#[test]
fn permissive_on_a_public_address_is_refused() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--auth", "permissive"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--i-know-this-is-insecure"), "{err}");
}

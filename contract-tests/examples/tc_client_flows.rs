//! The official Rust `taskcluster` crate's main worker-manager flows, as a client to run under
//! `wm-contract client` (the tests do; so can you:
//! `cargo run -p worker-manager-contract --bin wm-contract -- client -- target/debug/examples/tc_client_flows`).
//!
//! Reads `TASKCLUSTER_ROOT_URL`, `TASKCLUSTER_CLIENT_ID` and `TASKCLUSTER_ACCESS_TOKEN`. The
//! first argument picks the flow:
//! - `main` (default): a worker pool's and a static worker's whole life, with the worker's own
//!   temporary credentials for reregisterWorker and reportWorkerError; no query strings;
//! - `paged`: one signed `listWorkerPools` with `limit=2` (the crate signs without the query
//!   string, which a real deployment refuses: the run shows how wm-contract reports it);
//! - `outage`: a few reads, with the crate's default retries (for a scenario that answers 503);
//! - `renew` / `late`: for `client-short-credentials.json` (credentials live 2 s): register the
//!   seeded worker, then either reregister within the lifetime and report an error with the fresh
//!   credentials (`renew`), or wait 2.5 s and report with the expired ones (`late`).
//!
//! Exits 1 (with the error) when a call fails.

use serde_json::{json, Value};
use taskcluster::{ClientBuilder, Credentials, WorkerManager};

/// A static worker's secret (44 characters, as the static provider wants).
const SECRET: &str = "tcClientFlowsStaticSecret0000000000000000000";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn client(creds: Credentials) -> Result<WorkerManager> {
    let root_url = std::env::var("TASKCLUSTER_ROOT_URL")?;
    Ok(WorkerManager::new(
        ClientBuilder::new(root_url).credentials(creds),
    )?)
}

async fn main_flow(wm: &WorkerManager) -> Result<()> {
    let pool = "tc-flows/static-linux";
    wm.ping().await?;
    wm.listProviders(None, None).await?;
    let body = json!({"providerId": "static", "description": "flows", "config": {},
                      "owner": "flows@example.com", "emailOnError": false});
    wm.createWorkerPool(pool, &body).await?;
    wm.workerPool(pool).await?;
    wm.updateWorkerPool(pool, &body).await?;
    wm.listWorkerPools(None, None).await?;
    wm.workerPoolStats(pool).await?;
    wm.createWorker(
        pool,
        "rack",
        "w1",
        &json!({"expires": "2099-01-01T00:00:00.000Z", "providerInfo": {"staticSecret": SECRET}}),
    )
    .await?;
    wm.worker(pool, "rack", "w1").await?;
    wm.listWorkersForWorkerPool(pool, None, None, None, None)
        .await?;
    let reg = wm
        .registerWorker(&json!({"workerPoolId": pool, "providerId": "static",
            "workerGroup": "rack", "workerId": "w1",
            "workerIdentityProof": {"staticSecret": SECRET}}))
        .await?;
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let c = &reg["credentials"];
    let worker = client(Credentials::new_with_certificate(
        text(c, "clientId"),
        text(c, "accessToken"),
        text(c, "certificate"),
    ))?;
    worker
        .reregisterWorker(&json!({"workerPoolId": pool, "workerGroup": "rack",
            "workerId": "w1", "secret": reg["secret"]}))
        .await?;
    worker
        .reportWorkerError(
            pool,
            &json!({"workerGroup": "rack", "workerId": "w1", "kind": "boot-failure",
                    "title": "t", "description": "d", "extra": {}}),
        )
        .await?;
    wm.listWorkerPoolErrors(pool, None, None, None, None)
        .await?;
    wm.removeWorker(pool, "rack", "w1").await?;
    wm.deleteWorkerPool(pool).await?;
    Ok(())
}

async fn outage_flow(wm: &WorkerManager) -> Result<()> {
    wm.listWorkerPools(None, None).await?;
    wm.listProviders(None, None).await?;
    Ok(())
}

/// The worker `client-short-credentials.json` seeds.
const SHORT_POOL: &str = "proj-short/static-linux";
const SHORT_SECRET: &str = "shortCredentialsDemo000000000000000000000000";

fn worker_client(answer: &Value) -> Result<WorkerManager> {
    let text = |k: &str| {
        answer["credentials"][k]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    client(Credentials::new_with_certificate(
        text("clientId"),
        text("accessToken"),
        text("certificate"),
    ))
}

async fn short_credentials_flow(wm: &WorkerManager, renew: bool) -> Result<()> {
    let reg = wm
        .registerWorker(&json!({"workerPoolId": SHORT_POOL, "providerId": "static",
            "workerGroup": "rack", "workerId": "w1",
            "workerIdentityProof": {"staticSecret": SHORT_SECRET}}))
        .await?;
    let mut worker = worker_client(&reg)?;
    if renew {
        let fresh = worker
            .reregisterWorker(&json!({"workerPoolId": SHORT_POOL, "workerGroup": "rack",
                "workerId": "w1", "secret": reg["secret"]}))
            .await?;
        worker = worker_client(&fresh)?;
    } else {
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    }
    worker
        .reportWorkerError(
            SHORT_POOL,
            &json!({"workerGroup": "rack", "workerId": "w1", "kind": "boot-failure",
                    "title": "t", "description": "d", "extra": {}}),
        )
        .await?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let flow = std::env::args().nth(1).unwrap_or_else(|| "main".into());
    let run = async {
        let wm = client(Credentials::from_env()?)?;
        match flow.as_str() {
            "main" => main_flow(&wm).await,
            "paged" => wm
                .listWorkerPools(None, Some("2"))
                .await
                .map(drop)
                .map_err(Into::into),
            "outage" => outage_flow(&wm).await,
            "renew" => short_credentials_flow(&wm, true).await,
            "late" => short_credentials_flow(&wm, false).await,
            other => {
                Err(format!("unknown flow `{other}` (main, paged, outage, renew, late)").into())
            }
        }
    };
    if let Err(e) = run.await {
        eprintln!("tc_client_flows {flow}: {e}");
        std::process::exit(1);
    }
}

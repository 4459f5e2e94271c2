//! The basic flow works end to end over HTTP.

mod common;

use common::*;
use serde_json::json;

/// A pool, a static worker, its registration and the pool's counters, over real HTTP.
#[tokio::test]
async fn static_worker_flow() {
    let api = Api::start().await;
    api.create_pool("proj/linux", "static", json!({}))
        .await
        .ok();
    api.create_static_worker("proj/linux", "wg", "w1")
        .await
        .ok();
    let pool = api.get("/worker-pool/proj%2Flinux").await;
    assert_eq!(pool.ok()["runningCount"], 1);
    let reg = api
        .post(
            "/worker/register",
            json!({"workerPoolId": "proj/linux", "providerId": "static", "workerGroup": "wg",
                   "workerId": "w1", "workerIdentityProof": {"staticSecret": SECRET}}),
        )
        .await;
    assert_eq!(
        reg.ok()["credentials"]["clientId"],
        "worker/static/proj/linux/wg/w1"
    );
}

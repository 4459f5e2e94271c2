//! Credentials the mock hands to workers: Taskcluster temporary credentials signed by the mock's own
//! worker-manager client (the issuer), with the scopes and lifetime the real service gives.

use serde_json::{json, Value};

use crate::auth::certificate::issue_temporary_credentials;
use crate::ids::Ids;
use crate::store::model::WorkerKey;
use crate::time::{Millis, MINUTE};

/// The clientId the mock signs worker credentials with, as a deployment's worker-manager has.
pub const ISSUER_CLIENT_ID: &str = "static/taskcluster/worker-manager";

/// The scopes the issuer holds: enough to issue every worker credential (and nothing else).
pub fn issuer_scopes() -> Vec<String> {
    [
        "auth:create-client:worker/*",
        "assume:worker-type:*",
        "assume:worker-pool:*",
        "assume:worker-id:*",
        "queue:worker-id:*",
        "secrets:get:worker-type:*",
        "secrets:get:worker-pool:*",
        "queue:claim-work:*",
        "worker-manager:remove-worker:*",
        "worker-manager:reregister-worker:*",
        "worker-manager:should-worker-terminate:*",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The mock's worker-manager identity: signs worker credentials.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// Its clientId ([`ISSUER_CLIENT_ID`]).
    pub client_id: String,
    /// Its secret accessToken (never shown).
    pub access_token: String,
}

/// The ten scopes of a worker's credentials, in the real service's order.
pub fn worker_scopes(pool: &str, group: &str, id: &str) -> Vec<String> {
    vec![
        format!("assume:worker-type:{pool}"),
        format!("assume:worker-pool:{pool}"),
        format!("assume:worker-id:{group}/{id}"),
        format!("queue:worker-id:{group}/{id}"),
        format!("secrets:get:worker-type:{pool}"),
        format!("secrets:get:worker-pool:{pool}"),
        format!("queue:claim-work:{pool}"),
        format!("worker-manager:remove-worker:{pool}/{group}/{id}"),
        format!("worker-manager:reregister-worker:{pool}/{group}/{id}"),
        format!("worker-manager:should-worker-terminate:{pool}/{group}/{id}"),
    ]
}

/// Issues the credentials of `worker` (started by `provider_id`), valid from 15 minutes ago until
/// `expires`, as the JSON `credentials` object of register/reregister responses.
pub fn worker_credentials(
    issuer: &Issuer,
    ids: &Ids,
    worker: &WorkerKey,
    provider_id: &str,
    now: Millis,
    expires: Millis,
) -> Value {
    let (pool, group, id) = (
        worker.worker_pool_id.as_ref(),
        worker.worker_group.as_ref(),
        worker.worker_id.as_ref(),
    );
    let name = format!("worker/{provider_id}/{pool}/{group}/{id}");
    let creds = issue_temporary_credentials(
        &issuer.client_id,
        &issuer.access_token,
        Some(&name),
        &worker_scopes(pool, group, id),
        now - 15 * MINUTE,
        expires,
        &ids.secret44(),
    );
    json!({
        "clientId": creds.client_id,
        "accessToken": creds.access_token,
        "certificate": creds.certificate,
    })
}

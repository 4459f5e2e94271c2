//! The worker interface: registerWorker (trade an identity proof for credentials) and
//! reregisterWorker (trade the reregistration secret for fresh credentials).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::call::Call;
use crate::credentials::worker_credentials;
use crate::error::{ApiError, ErrorCode};
use crate::proofs::{self, ProofError};
use crate::provider::ProviderType;
use crate::resources::workers::secret_eq;
use crate::service::Service;
use crate::store::model::{Worker, WorkerKey, WorkerState};
use crate::time::{format_ms, Millis, HOUR, SECOND};

/// Credential lifetime when nothing else says: 96 hours.
pub const DEFAULT_REREGISTRATION_TIMEOUT: Millis = 96 * HOUR;

fn body_key(call: &Call<'_>) -> WorkerKey {
    WorkerKey::new(
        call.body_str("workerPoolId"),
        call.body_str("workerGroup"),
        call.body_str("workerId"),
    )
}

/// Checks the identity proof of `worker` for a provider of type `kind`; the message of each
/// refusal is the real provider's.
fn verify_proof(
    svc: &Service,
    kind: ProviderType,
    worker: &Worker,
    proof: &Value,
) -> Result<(), ApiError> {
    let (pool, group, id) = (
        worker.worker_pool_id.as_ref(),
        worker.worker_group.as_ref(),
        worker.worker_id.as_ref(),
    );
    let cloud = |msg_state: &str, msg_shape: &str, msg_sig: &str, msg_match: &str| {
        if worker.state != WorkerState::Requested {
            return Err(ApiError::input(msg_state));
        }
        match proofs::verify(svc.proof_key(), kind, proof, pool, group, id) {
            Ok(()) => Ok(()),
            Err(ProofError::Shape) => Err(ApiError::input(msg_shape)),
            Err(ProofError::Signature) => Err(ApiError::input(msg_sig)),
            Err(ProofError::Mismatch) => Err(ApiError::input(msg_match)),
        }
    };
    match kind {
        ProviderType::Static => {
            if worker.state != WorkerState::Running {
                return Err(ApiError::input("worker is not running"));
            }
            let given = proof
                .get("staticSecret")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::input("missing staticSecret in workerIdentityProof"))?;
            let stored = worker.provider_data.static_secret.as_deref().unwrap_or("");
            if stored.is_empty() || !secret_eq(given, stored) {
                return Err(ApiError::input("bad staticSecret in workerIdentityProof"));
            }
            Ok(())
        }
        ProviderType::Testing => Ok(()),
        ProviderType::Aws => cloud(
            "This worker is either stopped or running. No need to register",
            "Request must include both a document (string) and a signature",
            "Instance identity document validation error",
            "Instance validation error",
        ),
        ProviderType::Google => cloud(
            "Token validation error",
            "Token validation error",
            "Token validation error",
            "Token validation error",
        ),
        ProviderType::Azure => cloud(
            "Signature validation error",
            "Signature validation error",
            "Signature validation error",
            "Signature validation error",
        ),
        ProviderType::Null => Err(ApiError::input("not supported for this provider")),
    }
}

/// `registerWorker`.
pub fn register(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let key = body_key(call);
    let provider_id = call.body_str("providerId");
    let now = call.now;
    // Drawn before the store is locked: the lock is held only for the checks and the change.
    let secret = svc.ids.secret44();
    let mut store = svc.store();
    // What is needed of the pool, read without copying it (its config can be large).
    let (pool_providers_ok, pool_timeout, pool_worker_config) = {
        let pool = store.pool(&key.worker_pool_id).ok_or_else(|| {
            ApiError::not_found(format!("Worker pool {} does not exist", key.worker_pool_id))
        })?;
        (
            pool.provider_id == provider_id
                || pool.previous_provider_ids.iter().any(|p| p == provider_id),
            pool.config
                .pointer("/lifecycle/reregistrationTimeout")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            pool.config.get("workerConfig").cloned(),
        )
    };
    let provider = call
        .provider(&store, provider_id)
        .ok_or_else(|| ApiError::not_found(format!("Provider {provider_id} does not exist")))?;
    if provider.setup_failed {
        return Err(ApiError::provider_setup_failed());
    }
    if !pool_providers_ok {
        return Err(ApiError::input(format!(
            "Worker pool {} not associated with provider {provider_id}",
            key.worker_pool_id
        )));
    }
    let (wg, wi) = (&key.worker_group, &key.worker_id);
    let worker = store.worker(&key).ok_or_else(|| {
        ApiError::not_found(format!(
            "Worker {wg}/{wi} in worker pool {} does not exist",
            key.worker_pool_id
        ))
    })?;
    if worker.expires < now {
        return Err(ApiError::input(format!("Worker {wg}/{wi} has expired")));
    }
    if *worker.provider_id != *provider_id {
        return Err(ApiError::input(format!(
            "Worker {wg}/{wi} does not have provider {provider_id}"
        )));
    }
    let kind = provider.provider_type;
    // What the rest needs of the stored worker, taken now: the store changes below, and the
    // worker is not copied whole under the lock.
    let identity = (worker.key(), Arc::clone(&worker.provider_id));
    let fail_register = worker.provider_data.fail_register.clone();
    let cloud_timeout = worker.provider_data.reregistration_timeout_ms;
    let cloud_config = match kind {
        ProviderType::Static => None,
        _ => worker.provider_data.worker_config.clone(),
    };
    if kind == ProviderType::Testing {
        // The testing provider takes any proof, and sets the worker running even when it then
        // fails the registration.
        store.update_worker(&key, |w| w.state = WorkerState::Running);
        if let Some(text) = fail_register {
            return Err(ApiError::input(text));
        }
    } else {
        verify_proof(svc, kind, worker, &call.body["workerIdentityProof"])?;
    }
    let expires = match kind {
        ProviderType::Static => {
            let secs = pool_timeout;
            if secs < 0 {
                return Err(ApiError::new(
                    ErrorCode::InternalServerError,
                    "the pool's lifecycle.reregistrationTimeout is negative, so the credentials \
                     would already be expired (the real service fails the same way)",
                ));
            }
            now.saturating_add(if secs == 0 {
                DEFAULT_REREGISTRATION_TIMEOUT
            } else {
                secs.saturating_mul(SECOND)
            })
        }
        ProviderType::Testing => now + HOUR,
        _ => now.saturating_add(cloud_timeout.unwrap_or(DEFAULT_REREGISTRATION_TIMEOUT)),
    };
    let expires = call
        .overrides
        .credential_lifetime
        .map_or(expires, |life| now.saturating_add(life));
    let worker_config = match kind {
        ProviderType::Static => pool_worker_config,
        _ => cloud_config,
    }
    .unwrap_or_else(|| json!({}));
    let stored_secret = secret.clone();
    store.update_worker(&key, |w| {
        w.secret = Some(stored_secret);
        if kind.is_cloud() {
            w.state = WorkerState::Running;
            w.last_modified = now;
            w.provider_data.terminate_after = Some(expires);
        }
    });
    // Signing the certificate needs nothing from the store: other calls may go on meanwhile.
    drop(store);
    let (worker_key, provider) = identity;
    let credentials =
        worker_credentials(svc.issuer(), &svc.ids, &worker_key, &provider, now, expires);
    Ok(json!({
        "expires": format_ms(expires),
        "credentials": credentials,
        "workerConfig": worker_config,
        "secret": secret,
    }))
}

/// `reregisterWorker`: a matching secret buys fresh credentials and a new secret (the old one dies).
pub fn reregister(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let key = body_key(call);
    call.authorize(&[
        ("workerPoolId", &key.worker_pool_id),
        ("workerGroup", &key.worker_group),
        ("workerId", &key.worker_id),
    ])?;
    let now = call.now;
    let given = call.body_str("secret");
    // Drawn before the store is locked: the lock is held only for the checks and the change.
    let secret = svc.ids.secret44();
    let mut store = svc.store();
    let refused = || ApiError::input("Could not generate credentials for this secret");
    let worker = store.worker(&key).ok_or_else(refused)?;
    let stored = worker.secret.as_deref().ok_or_else(refused)?;
    if !secret_eq(given, stored) {
        return Err(refused());
    }
    let (wg, wi) = (&key.worker_group, &key.worker_id);
    if worker.state != WorkerState::Running {
        return Err(ApiError::input(format!("Worker {wg}/{wi} is not running")));
    }
    if worker.expires < now {
        return Err(ApiError::input(format!("Worker {wg}/{wi} has expired")));
    }
    let lifetime = call.overrides.credential_lifetime.unwrap_or(
        worker
            .provider_data
            .reregistration_timeout_ms
            .unwrap_or(DEFAULT_REREGISTRATION_TIMEOUT),
    );
    let expires = now.saturating_add(lifetime);
    let (worker_key, provider) = (worker.key(), Arc::clone(&worker.provider_id));
    let stored_secret = secret.clone();
    let cloud = call
        .provider(&store, &provider)
        .is_some_and(|p| p.provider_type.is_cloud());
    store.update_worker(&key, |w| {
        w.secret = Some(stored_secret);
        if cloud {
            w.provider_data.terminate_after = Some(expires);
        }
    });
    drop(store);
    let credentials =
        worker_credentials(svc.issuer(), &svc.ids, &worker_key, &provider, now, expires);
    Ok(json!({
        "expires": format_ms(expires),
        "credentials": credentials,
        "secret": secret,
    }))
}

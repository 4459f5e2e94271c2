//! Exporting a service's state as a [`Seed`], so a session can be saved and replayed
//! (`apply_seed(fresh, &export_seed(svc))` rebuilds the same state).
//!
//! What is exported: the clock (absolute, and whether it is frozen), the providers, every pool
//! (with `previousProviderIds` and the testing flags of `providerData`), every worker with its
//! visible fields and its non-secret hidden ones (`reregistrationTimeout`, `workerConfig`,
//! `terminateAfter`, `shouldTerminate`, `allowRemoveWorker`, `failRegister`), every error and
//! every queue record. All times are absolute.
//!
//! What is not: secrets are never exported, so there are no clients (their accessTokens), no
//! `staticSecret` (applying the export generates new ones) and no reregistration secrets
//! (registered workers must register again). Roles are not exported either (the service keeps
//! no readable list of them). Archived launch configurations and the creation times of launch
//! configurations are not part of the seed format: applying an export recreates the active ones.

use serde_json::Value;

use crate::scenario::model::{
    PoolProviderData, Seed, SeedClock, SeedError, SeedPool, SeedQueueWorker, SeedWorker,
    ShouldTerminate,
};
use crate::service::Service;
use crate::store::model::{Worker, WorkerPool};
use crate::store::Store;
use crate::time::{format_ms, SECOND};

/// The whole current state of `svc` as a seed (see the module documentation for what is left
/// out). Lists come in a stable order that re-applying preserves: pools in list order, workers
/// and errors in the order they were stored, queue records by key.
pub fn export_seed(svc: &Service) -> Seed {
    let store = svc.store();
    let worker_pools = store
        .pools()
        .values()
        .map(|p| SeedPool {
            worker_pool_id: p.worker_pool_id.to_string(),
            provider_id: p.provider_id.clone(),
            description: p.description.clone(),
            config: exported_config(&store, p),
            owner: p.owner.clone(),
            email_on_error: p.email_on_error,
            created: Some(format_ms(p.created)),
            last_modified: Some(format_ms(p.last_modified)),
            previous_provider_ids: p.previous_provider_ids.clone(),
            provider_data: PoolProviderData::from_value(&p.provider_data),
        })
        .collect();
    let mut workers: Vec<&Worker> = store.all_workers().collect();
    workers.sort_by_key(|w| w.seq);
    let workers = workers.into_iter().map(export_worker).collect();
    let mut errors: Vec<_> = store.all_errors().collect();
    errors.sort_by_key(|e| e.seq);
    let worker_pool_errors = errors
        .into_iter()
        .map(|e| SeedError {
            worker_pool_id: e.worker_pool_id.clone(),
            kind: e.kind.clone(),
            title: e.title.clone(),
            description: e.description.clone(),
            extra: e.extra.clone(),
            reported: Some(format_ms(e.reported)),
            error_id: Some(e.error_id.clone()),
            launch_config_id: e.launch_config_id.clone(),
        })
        .collect();
    let queue_workers = store
        .queue_workers()
        .values()
        .map(|q| SeedQueueWorker {
            worker_pool_id: q.worker_pool_id.clone(),
            worker_group: q.worker_group.clone(),
            worker_id: q.worker_id.clone(),
            expires: Some(format_ms(q.expires)),
            first_claim: Some(format_ms(q.first_claim)),
            quarantine_until: Some(format_ms(q.quarantine_until)),
            quarantine_details: q.quarantine_details.clone(),
            recent_tasks: q.recent_tasks.clone(),
            last_date_active: q.last_date_active.map(format_ms),
        })
        .collect();
    Seed {
        clock: Some(SeedClock {
            now: format_ms(svc.clock.now_ms()),
            frozen: svc.clock.is_frozen(),
        }),
        providers: Some(store.providers().to_vec()),
        clients: Vec::new(),
        roles: Vec::new(),
        worker_pools,
        workers,
        worker_pool_errors,
        queue_workers,
    }
}

/// A pool's config as a seed gives it: as stored, except that a cloud pool without active launch
/// configs (whose stored config has no `launchConfigs`, as upstream returns it) gets
/// `"launchConfigs": []` back, which its provider's schema requires.
fn exported_config(store: &Store, pool: &WorkerPool) -> Value {
    let mut config = pool.config.clone();
    let cloud = store
        .provider(&pool.provider_id)
        .is_some_and(|p| p.provider_type.is_cloud());
    if let (true, Some(m)) = (cloud, config.as_object_mut()) {
        m.entry("launchConfigs")
            .or_insert_with(|| Value::Array(Vec::new()));
    }
    config
}

/// A worker as a seed entry, without its secrets.
fn export_worker(w: &Worker) -> SeedWorker {
    let d = &w.provider_data;
    SeedWorker {
        worker_pool_id: w.worker_pool_id.to_string(),
        worker_group: w.worker_group.to_string(),
        worker_id: w.worker_id.to_string(),
        provider_id: Some(w.provider_id.to_string()),
        state: w.state,
        capacity: w.capacity,
        created: Some(format_ms(w.created)),
        expires: Some(format_ms(w.expires)),
        last_modified: Some(format_ms(w.last_modified)),
        last_checked: Some(format_ms(w.last_checked)),
        launch_config_id: w.launch_config_id.clone(),
        static_secret: None,
        reregistration_timeout: d
            .reregistration_timeout_ms
            .and_then(|ms| u64::try_from(ms / SECOND).ok()),
        worker_config: d.worker_config.clone(),
        terminate_after: d.terminate_after.map(format_ms),
        should_terminate: d
            .should_terminate
            .as_ref()
            .map(|(terminate, reason)| ShouldTerminate {
                terminate: *terminate,
                reason: reason.clone(),
            }),
        allow_remove_worker: d.allow_remove_worker,
        fail_register: d.fail_register.clone(),
        count: None,
    }
}

//! The legacy provisioner / worker-type views, listWorkers and getWorker, which upstream reads from
//! the queue's worker records (created when a worker claims work) joined with worker-manager's own.
//! The mock keeps such records in the store; scenarios and the library seed them.

use std::ops::Bound;

use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::service::Service;
use crate::store::model::{QueueWorker, WorkerKey};
use crate::store::paging::list_body;
use crate::store::Store;
use crate::time::format_ms;

/// Worker-manager's view of a queue record's worker: (state, capacity, providerId, launchConfigId).
fn joined(store: &Store, q: &QueueWorker) -> (String, u64, String, Option<String>) {
    match store.worker(&WorkerKey::new(
        &q.worker_pool_id,
        &q.worker_group,
        &q.worker_id,
    )) {
        Some(w) => (
            w.state.as_str().to_string(),
            w.capacity,
            w.provider_id.to_string(),
            w.launch_config_id.clone(),
        ),
        None => ("standalone".into(), 0, "none".into(), None),
    }
}

/// Adds the fields both views share: `lastDateActive` and worker-manager's view of the worker.
fn insert_joined(
    m: &mut Map<String, Value>,
    q: &QueueWorker,
    (state, capacity, provider, lc): (String, u64, String, Option<String>),
) {
    if let Some(t) = q.last_date_active {
        m.insert("lastDateActive".into(), format_ms(t).into());
    }
    m.insert("state".into(), state.into());
    m.insert("capacity".into(), capacity.into());
    m.insert("providerId".into(), provider.into());
    if let Some(lc) = lc {
        m.insert("launchConfigId".into(), lc.into());
    }
}

fn list_entry(store: &Store, q: &QueueWorker) -> Value {
    let (state, capacity, provider, lc) = joined(store, q);
    let mut m = Map::new();
    m.insert("workerGroup".into(), q.worker_group.clone().into());
    m.insert("workerId".into(), q.worker_id.clone().into());
    m.insert("workerPoolId".into(), q.worker_pool_id.clone().into());
    m.insert("firstClaim".into(), format_ms(q.first_claim).into());
    m.insert(
        "quarantineUntil".into(),
        format_ms(q.quarantine_until).into(),
    );
    insert_joined(&mut m, q, (state, capacity, provider, lc));
    if let Some(t) = q.recent_tasks.last() {
        m.insert(
            "latestTask".into(),
            json!({"taskId": t.task_id, "runId": t.run_id}),
        );
    }
    Value::Object(m)
}

/// `listWorkers`: the queue records of `<provisionerId>/<workerType>`, by (group, id), filtered by
/// `quarantined=true` (still quarantined), `workerState` and `launchConfigId` (ANDed);
/// `quarantined=false` filters nothing, as upstream.
pub fn list(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let pool = format!(
        "{}/{}",
        call.param("provisionerId"),
        call.param("workerType")
    );
    let req = call.page_request()?;
    let quarantined = call.query("quarantined") == Some("true");
    let state = call.query("workerState");
    let lc = call.query("launchConfigId");
    let now = call.now;
    let store = svc.store_read();
    // All records of this pool: keys from (pool, "", "") up to, not including, (pool + NUL, ..),
    // since ids never contain NUL.
    let range = (
        Bound::Included((pool.clone(), String::new(), String::new())),
        Bound::Excluded((format!("{pool}\u{0}"), String::new(), String::new())),
    );
    let page = req.page(
        'q',
        store.queue_workers(),
        range,
        |(_, g, i)| format!("{g}\u{0}{i}"),
        |c| {
            c.split_once('\u{0}')
                .map(|(g, i)| (pool.clone(), g.to_string(), i.to_string()))
        },
        |q| {
            let (st, _, _, wlc) = joined(&store, q);
            (!quarantined || q.quarantine_until >= now)
                && state.is_none_or(|s| s == st)
                && lc.is_none_or(|l| wlc.as_deref() == Some(l))
        },
    );
    let workers = page.items.into_iter().map(|q| list_entry(&store, q));
    Ok(list_body("workers", workers, page.next_token))
}

/// `getWorker`: one queue record, found while it has not expired or is quarantined.
pub fn get(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let (prov, wt) = (call.param("provisionerId"), call.param("workerType"));
    let (wg, wi) = (call.param("workerGroup"), call.param("workerId"));
    let pool = format!("{prov}/{wt}");
    let now = call.now;
    let store = svc.store_read();
    let q = store
        .queue_workers()
        .get(&(pool.clone(), wg.to_string(), wi.to_string()))
        .filter(|q| q.expires > now || q.quarantine_until > now)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Worker with workerId `{wi}`, workerGroup `{wg}`,worker-type `{wt}` and provisioner `{prov}` not found. Are you sure it was created?"
            ))
        })?;
    let (state, capacity, provider, lc) = joined(&store, q);
    let mut m = Map::new();
    m.insert("provisionerId".into(), prov.into());
    m.insert("workerType".into(), wt.into());
    m.insert("workerPoolId".into(), pool.into());
    m.insert("workerGroup".into(), wg.into());
    m.insert("workerId".into(), wi.into());
    m.insert("expires".into(), format_ms(q.expires).into());
    m.insert("firstClaim".into(), format_ms(q.first_claim).into());
    m.insert(
        "recentTasks".into(),
        json!(q
            .recent_tasks
            .iter()
            .map(|t| json!({"taskId": t.task_id, "runId": t.run_id}))
            .collect::<Vec<_>>()),
    );
    m.insert(
        "quarantineUntil".into(),
        format_ms(q.quarantine_until).into(),
    );
    m.insert(
        "quarantineDetails".into(),
        Value::Array(q.quarantine_details.clone()),
    );
    insert_joined(&mut m, q, (state, capacity, provider, lc));
    Ok(Value::Object(m))
}

//! Worker pool errors: reportWorkerError, listWorkerPoolErrors and workerPoolErrorStats.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::service::Service;
use crate::store::model::{PoolError, Recency, WorkerKey};
use crate::store::paging::{list_body, parse_recency, recency_cursor};
use crate::time::{day_start, format_ms, hour_start, DAY, HOUR};
use std::ops::Bound;

/// Renders a stored error as `worker-pool-error`.
pub fn render(e: &PoolError) -> Value {
    let mut m = Map::new();
    m.insert("workerPoolId".into(), e.worker_pool_id.clone().into());
    m.insert("errorId".into(), e.error_id.clone().into());
    m.insert("reported".into(), format_ms(e.reported).into());
    m.insert("kind".into(), e.kind.clone().into());
    m.insert("title".into(), e.title.clone().into());
    m.insert("description".into(), e.description.clone().into());
    m.insert("extra".into(), e.extra.clone());
    if let Some(lc) = &e.launch_config_id {
        m.insert("launchConfigId".into(), lc.clone().into());
    }
    Value::Object(m)
}

/// `reportWorkerError`: stores the error as sent, with `workerGroup`/`workerId` added to `extra`
/// and the worker's launch config when such a worker exists (it need not).
pub fn report(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let pool_id = call.param("workerPoolId");
    let group = call.body_str("workerGroup");
    let worker_id = call.body_str("workerId");
    call.authorize(&[("workerGroup", group), ("workerId", worker_id)])?;
    let mut store = svc.store();
    let pool = store
        .pool(pool_id)
        .ok_or_else(|| ApiError::not_found("Worker pool does not exist"))?;
    let provider = call
        .provider(&store, &pool.provider_id)
        .ok_or_else(|| ApiError::input("Invalid Provider"))?;
    if provider.setup_failed {
        return Err(ApiError::provider_setup_failed());
    }
    let mut extra = call.body.get("extra").cloned().unwrap_or_else(|| json!({}));
    if let Some(m) = extra.as_object_mut() {
        m.insert("workerGroup".into(), group.into());
        m.insert("workerId".into(), worker_id.into());
    }
    let launch_config_id = store
        .worker(&WorkerKey::new(pool_id, group, worker_id))
        .and_then(|w| w.launch_config_id.clone());
    let error = PoolError {
        error_id: svc.ids.slugid(),
        worker_pool_id: pool_id.to_string(),
        reported: call.now,
        kind: call.body_str("kind").to_string(),
        title: call.body_str("title").to_string(),
        description: call.body_str("description").to_string(),
        extra,
        launch_config_id,
        seq: 0,
    };
    let out = render(&error);
    store.insert_error(error);
    Ok(out)
}

/// `listWorkerPoolErrors`: newest first, optionally filtered by `errorId` and `launchConfigId`;
/// an unknown pool is simply an empty list.
pub fn list(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let pool_id = call.param("workerPoolId");
    let req = call.page_request()?;
    let error_id = call.query("errorId");
    let lc = call.query("launchConfigId");
    let store = svc.store_read();
    let empty: BTreeMap<Recency, PoolError> = BTreeMap::new();
    let all = store.pool_errors(pool_id).unwrap_or(&empty);
    let page = req.page(
        'e',
        all,
        (Bound::Unbounded, Bound::Unbounded),
        recency_cursor,
        parse_recency,
        |e| {
            error_id.is_none_or(|id| e.error_id == id)
                && lc.is_none_or(|l| e.launch_config_id.as_deref() == Some(l))
        },
    );
    Ok(list_body(
        "workerPoolErrors",
        page.items.into_iter().map(render),
        page.next_token,
    ))
}

/// `workerPoolErrorStats`: error counts by day (last 7 UTC days), by hour (last 24 hours), and by
/// title, `extra.code`, pool and (for one pool) launch config.
pub fn stats(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let pool_id = call.query("workerPoolId").filter(|p| !p.is_empty());
    call.authorize(&[("workerPoolId", pool_id.unwrap_or("*"))])?;
    let store = svc.store_read();
    if let Some(p) = pool_id {
        if store.pool(p).is_none() {
            return Err(ApiError::not_found("Worker pool does not exist"));
        }
    }
    let now = call.now;
    let today = day_start(now);
    let this_hour = hour_start(now);
    let mut daily: BTreeMap<i64, u64> = (0..7).map(|i| (today - (6 - i) * DAY, 0)).collect();
    let mut hourly: BTreeMap<i64, u64> =
        (0..24).map(|i| (this_hour - (23 - i) * HOUR, 0)).collect();
    let mut title: BTreeMap<String, u64> = BTreeMap::new();
    let mut code: BTreeMap<String, u64> = BTreeMap::new();
    let mut pools: BTreeMap<String, u64> = BTreeMap::new();
    let mut launch: BTreeMap<String, u64> = BTreeMap::new();
    let errors: Box<dyn Iterator<Item = &PoolError>> = match pool_id {
        Some(p) => Box::new(store.pool_errors(p).into_iter().flat_map(|m| m.values())),
        None => Box::new(store.all_errors()),
    };
    for e in errors {
        if let Some(n) = daily.get_mut(&day_start(e.reported)) {
            *n += 1;
        }
        if let Some(n) = hourly.get_mut(&hour_start(e.reported)) {
            *n += 1;
        }
        *title.entry(e.title.clone()).or_default() += 1;
        let c = e
            .extra
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("other");
        *code.entry(c.to_string()).or_default() += 1;
        *pools.entry(e.worker_pool_id.clone()).or_default() += 1;
        if pool_id.is_some() {
            let l = e.launch_config_id.as_deref().unwrap_or("unknown");
            *launch.entry(l.to_string()).or_default() += 1;
        }
    }
    let by_time = |m: &BTreeMap<i64, u64>| -> Map<String, Value> {
        m.iter().map(|(t, n)| (format_ms(*t), json!(n))).collect()
    };
    let counts = |m: &BTreeMap<String, u64>| -> Map<String, Value> {
        m.iter().map(|(k, n)| (k.clone(), json!(n))).collect()
    };
    Ok(json!({
        "workerPoolId": pool_id.unwrap_or(""),
        "totals": {
            "total": daily.values().sum::<u64>(),
            "daily": by_time(&daily),
            "hourly": by_time(&hourly),
            "title": counts(&title),
            "code": counts(&code),
            "workerPool": counts(&pools),
            "launchConfig": counts(&launch),
        }
    }))
}

//! Worker pools: createWorkerPool, updateWorkerPool, deleteWorkerPool, workerPool,
//! listWorkerPools, listWorkerPoolsStats and workerPoolStats.

use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::provider::{Provider, ProviderType, NULL_PROVIDER};
use crate::resources::{launch_configs, pretty, Rendered};
use crate::service::Service;
use crate::store::collation::PoolSortKey;
use crate::store::model::{Counters, WorkerPool};
use crate::store::paging::list_body;
use crate::store::Store;
use crate::time::{format_ms, Timestamp};
use std::ops::Bound;

/// Renders a pool as `worker-pool-full`, with the given counters (all zero where the current
/// service reports zeros).
pub fn render(pool: &WorkerPool, counters: &Counters) -> Value {
    let mut m = Map::new();
    m.insert("workerPoolId".into(), pool.worker_pool_id.as_ref().into());
    m.insert("providerId".into(), pool.provider_id.clone().into());
    m.insert("description".into(), pool.description.clone().into());
    m.insert("config".into(), pool.config.clone());
    m.insert("owner".into(), pool.owner.clone().into());
    m.insert("emailOnError".into(), pool.email_on_error.into());
    m.insert("created".into(), format_ms(pool.created).into());
    m.insert("lastModified".into(), format_ms(pool.last_modified).into());
    m.extend(counters.to_json());
    Value::Object(m)
}

/// A pool as `worker-pool-full`, typed: its config is serialized from the store without a copy,
/// with the keys in the order a rendered [`Value`] object has them (sorted), so the text is byte
/// for byte that of [`render`] (a test checks it).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolView<'a> {
    config: &'a RawValue,
    created: Timestamp,
    current_capacity: u64,
    description: &'a str,
    email_on_error: bool,
    last_modified: Timestamp,
    owner: &'a str,
    provider_id: &'a str,
    requested_capacity: u64,
    requested_count: u64,
    running_capacity: u64,
    running_count: u64,
    stopped_capacity: u64,
    stopped_count: u64,
    stopping_capacity: u64,
    stopping_count: u64,
    worker_pool_id: &'a str,
}

impl<'a> PoolView<'a> {
    /// The view of a stored pool with the given counters; `config` is the pool's config text
    /// ([`Store::pool_config_text`]).
    pub fn of(pool: &'a WorkerPool, config: &'a RawValue, c: &Counters) -> PoolView<'a> {
        // Counters hold [requested, running, stopping, stopped] (WorkerState::ALL order).
        PoolView {
            config,
            created: Timestamp(pool.created),
            current_capacity: c.current_capacity(),
            description: &pool.description,
            email_on_error: pool.email_on_error,
            last_modified: Timestamp(pool.last_modified),
            owner: &pool.owner,
            provider_id: &pool.provider_id,
            requested_capacity: c.capacity[0],
            requested_count: c.count[0],
            running_capacity: c.capacity[1],
            running_count: c.count[1],
            stopping_capacity: c.capacity[2],
            stopping_count: c.count[2],
            stopped_capacity: c.capacity[3],
            stopped_count: c.count[3],
            worker_pool_id: &pool.worker_pool_id,
        }
    }
}

impl PoolView<'_> {
    /// The pool as pretty JSON text, byte for byte what `serde_json::to_writer_pretty` gives for
    /// it (written by [`pretty`]: this is every `workerPool` answer).
    pub fn render(&self) -> Rendered {
        // The members other than config take about 700 bytes.
        let size = self.config.get().len() + self.description.len() + 768;
        let mut out = Vec::with_capacity(size);
        let mut o = pretty::Object::begin(&mut out, 1);
        o.raw("config", self.config.get());
        o.time("created", self.created.0);
        o.u64("currentCapacity", self.current_capacity);
        o.str("description", self.description);
        o.bool("emailOnError", self.email_on_error);
        o.time("lastModified", self.last_modified.0);
        o.str("owner", self.owner);
        o.str("providerId", self.provider_id);
        o.u64("requestedCapacity", self.requested_capacity);
        o.u64("requestedCount", self.requested_count);
        o.u64("runningCapacity", self.running_capacity);
        o.u64("runningCount", self.running_count);
        o.u64("stoppedCapacity", self.stopped_capacity);
        o.u64("stoppedCount", self.stopped_count);
        o.u64("stoppingCapacity", self.stopping_capacity);
        o.u64("stoppingCount", self.stopping_count);
        o.str("workerPoolId", self.worker_pool_id);
        o.end();
        Rendered::from_text(out)
    }
}

/// The fields of a create or update body that define a pool.
struct Definition {
    provider: Provider,
    description: String,
    config: Value,
    owner: String,
    email_on_error: bool,
}

/// Steps shared by create and update: scopes with the body's providerId, the provider (400 if
/// unknown, 503 if down) and the provider's config schema (with its defaults applied).
fn definition(svc: &Service, call: &Call<'_>, store: &Store) -> Result<Definition, ApiError> {
    let provider_id = call.body_str("providerId");
    call.authorize(&[("providerId", provider_id)])?;
    let provider = call
        .provider(store, provider_id)
        .ok_or_else(|| ApiError::input("Invalid Provider"))?;
    if provider.setup_failed {
        return Err(ApiError::provider_setup_failed());
    }
    let config = provider_config(svc, provider.provider_type, &call.body["config"])?;
    Ok(Definition {
        provider,
        description: call.body_str("description").to_string(),
        config,
        owner: call.body_str("owner").to_string(),
        email_on_error: call.body["emailOnError"].as_bool().unwrap_or(false),
    })
}

/// Validates `config` against the provider type's schema and applies the defaults the real
/// service stores (cloud `lifecycle` timeouts).
pub fn provider_config(
    svc: &Service,
    kind: ProviderType,
    config: &Value,
) -> Result<Value, ApiError> {
    let schema = kind.config_schema();
    if let Err(violations) = svc.validators.validate(schema, config) {
        return Err(ApiError::validation(
            worker_manager_schemas::validate::ajv_message(&svc.root_url(), schema, &violations),
        ));
    }
    let mut config = config.clone();
    if kind.is_cloud() {
        if let Some(lifecycle) = config.get_mut("lifecycle").and_then(Value::as_object_mut) {
            lifecycle
                .entry("reregistrationTimeout")
                .or_insert(json!(345_600));
            lifecycle
                .entry("queueInactivityTimeout")
                .or_insert(json!(7200));
        }
    }
    Ok(config)
}

/// Applies the launch-config rules for a cloud pool's new config: returns the config to store
/// (with `launchConfigs` filled with ids, or without the key if none is active) and the plan.
fn with_launch_configs(
    store: &Store,
    pool_id: &str,
    kind: ProviderType,
    mut config: Value,
    now: i64,
) -> Result<(Value, launch_configs::Plan), ApiError> {
    let entries: Vec<Value> = if kind.is_cloud() {
        config
            .get("launchConfigs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let plan = launch_configs::plan(pool_id, &entries, store.launch_configs(pool_id), now)?;
    if kind.is_cloud() {
        if let Some(m) = config.as_object_mut() {
            if plan.active.is_empty() {
                m.remove("launchConfigs");
            } else {
                m.insert("launchConfigs".into(), Value::Array(plan.active.clone()));
            }
        }
    }
    Ok((config, plan))
}

/// `createWorkerPool`.
pub fn create(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let id = call.param("workerPoolId");
    let mut store = svc.store();
    let def = definition(svc, call, &store)?;
    let planned = with_launch_configs(&store, id, def.provider.provider_type, def.config, call.now);
    if let Some(existing) = store.pool(id) {
        let same = existing.provider_id == def.provider.provider_id
            && existing.description == def.description
            && matches!(&planned, Ok((config, _)) if existing.config == *config)
            && existing.owner == def.owner
            && existing.email_on_error == def.email_on_error;
        if !same {
            return Err(ApiError::conflict("Worker pool already exists"));
        }
        return Ok(render(existing, &store.pool_counters(id)));
    }
    let (config, plan) = planned?;
    let pool = WorkerPool {
        worker_pool_id: Arc::from(id),
        provider_id: def.provider.provider_id,
        previous_provider_ids: Vec::new(),
        description: def.description,
        config,
        owner: def.owner,
        email_on_error: def.email_on_error,
        created: call.now,
        last_modified: call.now,
        provider_data: json!({}),
    };
    store.set_launch_configs(id, plan.configs);
    store.put_pool(pool);
    let pool = store
        .pool(id)
        .ok_or_else(|| ApiError::input("pool vanished"))?;
    Ok(render(pool, &store.pool_counters(id)))
}

/// Installs a pool as createWorkerPool would store it, without a request: the provider must be
/// configured, the config is checked against the provider's schema (defaults applied) and its
/// launch configs are recorded. Used by scenario seeds.
pub fn install(
    svc: &Service,
    store: &mut Store,
    mut pool: WorkerPool,
    now: i64,
) -> Result<(), ApiError> {
    let provider = store
        .provider(&pool.provider_id)
        .ok_or_else(|| ApiError::input(format!("Invalid Provider {}", pool.provider_id)))?;
    let config = provider_config(svc, provider.provider_type, &pool.config)?;
    let id = pool.worker_pool_id.to_string();
    let (config, plan) = with_launch_configs(store, &id, provider.provider_type, config, now)?;
    pool.config = config;
    store.set_launch_configs(&id, plan.configs);
    store.put_pool(pool);
    Ok(())
}

/// Records a provider change the way upstream keeps `previousProviderIds`.
fn note_previous_provider(pool: &mut WorkerPool, new_provider: &str) {
    let old = pool.provider_id.clone();
    pool.previous_provider_ids.retain(|p| p != new_provider);
    if old != new_provider && !pool.previous_provider_ids.contains(&old) {
        pool.previous_provider_ids.push(old);
    }
}

/// `updateWorkerPool`.
pub fn update(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let id = call.param("workerPoolId");
    let mut store = svc.store();
    let def = definition(svc, call, &store)?;
    if let Some(body_id) = call.body.get("workerPoolId").and_then(Value::as_str) {
        if body_id != id {
            return Err(ApiError::input("Incorrect workerPoolId in request body"));
        }
    }
    let Some(mut pool) = store.pool(id).cloned() else {
        return Err(ApiError::not_found("Worker pool does not exist"));
    };
    let (config, plan) =
        with_launch_configs(&store, id, def.provider.provider_type, def.config, call.now)?;
    note_previous_provider(&mut pool, &def.provider.provider_id);
    pool.provider_id = def.provider.provider_id;
    pool.description = def.description;
    pool.config = config;
    pool.owner = def.owner;
    pool.email_on_error = def.email_on_error;
    pool.last_modified = call.now;
    store.set_launch_configs(id, plan.configs);
    let out = render(&pool, &Counters::default());
    store.put_pool(pool);
    Ok(out)
}

/// `deleteWorkerPool`: moves the pool to `null-provider` (it stays readable) and archives its
/// launch configs.
pub fn delete(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let id = call.param("workerPoolId");
    let mut store = svc.store();
    let Some(mut pool) = store.pool(id).cloned() else {
        return Err(ApiError::not_found("Worker pool does not exist"));
    };
    let plan = launch_configs::plan(id, &[], store.launch_configs(id), call.now)?;
    store.set_launch_configs(id, plan.configs);
    if let Some(m) = pool.config.as_object_mut() {
        m.remove("launchConfigs");
    }
    note_previous_provider(&mut pool, NULL_PROVIDER);
    pool.provider_id = NULL_PROVIDER.to_string();
    pool.last_modified = call.now;
    let out = render(&pool, &Counters::default());
    store.put_pool(pool);
    Ok(out)
}

/// `workerPool`: the pool with real counters.
pub fn get(svc: &Service, call: &Call<'_>) -> Result<Rendered, ApiError> {
    let store = svc.store_read();
    // Polling a pool answers the same bytes until the pool or its counters change.
    let answer = store.pool_answer(
        call.param("workerPoolId"),
        |pool, config, counters| match config {
            Some(config) => Ok(PoolView::of(pool, config, counters).render().0),
            None => Rendered::of(&render(pool, counters)).map(|r| r.0),
        },
    );
    answer
        .ok_or_else(|| ApiError::not_found("Worker pool does not exist"))?
        .map(Rendered)
}

fn pool_page<'s>(
    store: &'s Store,
    call: &Call<'_>,
    kind: char,
) -> Result<(Vec<&'s WorkerPool>, Option<String>), ApiError> {
    let page = call.page_request()?.page(
        kind,
        store.pools(),
        (Bound::Unbounded, Bound::Unbounded),
        |k| k.id.to_string(),
        |c| Some(PoolSortKey::new(Arc::from(c))),
        |_| true,
    );
    Ok((page.items, page.next_token))
}

/// `listWorkerPools`: pools in id order; counters are zero, as in the current service.
pub fn list(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let store = svc.store_read();
    let (items, next) = pool_page(&store, call, 'p')?;
    let zero = Counters::default();
    Ok(list_body(
        "workerPools",
        items.iter().map(|p| render(p, &zero)),
        next,
    ))
}

/// `listWorkerPoolsStats`: the counters of every pool, in id order.
pub fn list_stats(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let store = svc.store_read();
    let (items, next) = pool_page(&store, call, 's')?;
    let stats: Vec<Value> = items
        .iter()
        .map(|p| {
            let mut m = store.pool_counters(&p.worker_pool_id).to_json();
            m.insert("workerPoolId".into(), p.worker_pool_id.as_ref().into());
            Value::Object(m)
        })
        .collect();
    Ok(list_body("workerPoolsStats", stats.into_iter(), next))
}

/// `workerPoolStats`: counters per launch configuration (`unknown` for workers without one,
/// last); a pool without workers gives one all-zero `unknown` entry.
pub fn stats(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let id = call.param("workerPoolId");
    let store = svc.store_read();
    if store.pool(id).is_none() {
        return Err(ApiError::not_found("Worker pool does not exist"));
    }
    let entry = |lc: &str, c: &Counters| {
        let mut m = c.to_json();
        m.insert("workerPoolId".into(), id.into());
        m.insert("launchConfigId".into(), lc.into());
        Value::Object(m)
    };
    let mut out = Vec::new();
    let mut unknown = None;
    if let Some(per_lc) = store.counters_by_launch_config(id) {
        for (lc, c) in per_lc {
            match lc {
                Some(lc) => out.push(entry(lc, c)),
                None => unknown = Some(*c),
            }
        }
    }
    if unknown.is_some() || out.is_empty() {
        out.push(entry("unknown", &unknown.unwrap_or_default()));
    }
    Ok(json!({ "launchConfigStats": out }))
}

#[cfg(test)]
mod view_tests {
    use super::*;
    use proptest::prelude::*;
    use worker_manager_schemas::Validators;

    proptest! {
        /// The typed pool is byte for byte the pretty text of the `Value` render, and matches
        /// `worker-pool-full`.
        #[test]
        fn typed_pools_equal_value_renders_and_validate(
            counts in prop::array::uniform4(0u64..1000),
            capacities in prop::array::uniform4(0u64..100_000),
            times in prop::array::uniform2(0i64..4_102_444_800_000),
            description in ".{0,30}",
            email in any::<bool>(),
            config in prop::sample::select(vec![
                json!({}),
                json!({"minCapacity": 0, "maxCapacity": 5, "launchConfigs": [{"a": [1, {"b": null}]}]}),
                json!({"lifecycle": {"registrationTimeout": 900}, "workerConfig": {"é\n": "x"}}),
            ]),
        ) {
            let pool = WorkerPool {
                worker_pool_id: Arc::from("proj/linux"),
                provider_id: "static".into(),
                previous_provider_ids: Vec::new(),
                description,
                config,
                owner: "me@example.com".into(),
                email_on_error: email,
                created: times[0],
                last_modified: times[1],
                provider_data: json!({}),
            };
            let c = Counters { count: counts, capacity: capacities };
            let mut store = Store::default();
            store.put_pool(pool.clone());
            let text = store.pool_config_text("proj/linux").unwrap();
            let view = PoolView::of(&pool, text, &c);
            let typed = Rendered::of(&view).unwrap();
            prop_assert_eq!(&view.render(), &typed, "hand-written and serde texts differ");
            let pretty = serde_json::to_string_pretty(&render(&pool, &c)).unwrap();
            prop_assert_eq!(std::str::from_utf8(&typed.0).unwrap(), pretty.as_str());
            let entry = worker_manager_schemas::Catalog::embedded()
                .entries()
                .iter()
                .find(|e| e.name == "workerPool")
                .unwrap();
            let output = entry.output.as_deref().unwrap();
            prop_assert!(Validators::embedded().validate(output, &typed.to_value()).is_ok());
        }
    }
}

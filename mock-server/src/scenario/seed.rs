//! Applying a [`Seed`] to a service: clock, providers, clients and roles, pools (installed as
//! createWorkerPool would), workers, errors and queue records.
//!
//! All or nothing: everything is checked and every time resolved first, pools are installed into
//! a scratch store, and only then is the service changed (under one store lock). A seed that
//! fails leaves the service exactly as it was, its id generator included.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;
use worker_manager_schemas::formats::is_email;
use worker_manager_schemas::validate::SchemaViolation;
use worker_manager_schemas::{Catalog, Validators};

use crate::auth::scopes::is_valid_scope;
use crate::credentials::ISSUER_CLIENT_ID;
use crate::error::ErrorCode;
use crate::provider::{null_provider, Provider, ProviderType, NULL_PROVIDER};
use crate::resources::{launch_configs, worker_pools};
use crate::scenario::load::{bad_time, ptr, Issue, ScenarioError};
use crate::scenario::model::{relative_or_absolute, Seed, SeedWorker};
use crate::service::{Client, Service, ROOT_CLIENT_ID};
use crate::store::model::{PoolError, ProviderData, QueueWorker, Worker, WorkerPool};
use crate::store::Store;
use crate::time::{Millis, DAY, SECOND};
use std::collections::BTreeMap;

/// Longest reregistration timeout a seeded worker may have, in seconds (the lifecycle schema's
/// maximum).
pub const MAX_REREGISTRATION_TIMEOUT: u64 = 2_592_000;

/// The most workers one `count` may create.
pub const MAX_COUNT: u64 = 1_000_000;

/// The source name of errors from [`apply_seed`] (rename with [`ScenarioError::with_source`]).
pub const SEED_SOURCE: &str = "seed";

/// Applies `seed` to `svc`: sets the clock if given (and freezes it if `frozen`), replaces the
/// providers if given, adds clients and roles, installs pools (provider and config checked as
/// createWorkerPool does, launch configs recorded), inserts workers (static workers without a
/// `staticSecret` get a generated one), errors (an `errorId` is generated if absent) and queue
/// records. Records with the same key as existing ones replace them.
///
/// Errors name pointers into the scenario document (`/seed/workerPools/3/config`) and the source
/// [`SEED_SOURCE`]; on error nothing is changed.
pub fn apply_seed(svc: &Service, seed: &Seed) -> Result<(), ScenarioError> {
    apply(svc, seed).map_err(|i| i.into_error(SEED_SOURCE))
}

fn apply(svc: &Service, seed: &Seed) -> Result<(), Issue> {
    let now = match &seed.clock {
        Some(c) => relative_or_absolute(&c.now, svc.clock.now_ms())
            .ok_or_else(|| Issue::new("/seed/clock/now", bad_time(&c.now)))?,
        None => svc.clock.now_ms(),
    };
    let mut store = svc.store();
    let providers = seed
        .providers
        .clone()
        .unwrap_or_else(|| store.providers().to_vec());
    check_seed(seed, &providers, now)?;
    // Every time was checked by `check_seed` against this `now`.
    let opt_t = |text: &Option<String>| text.as_deref().and_then(|s| relative_or_absolute(s, now));
    let t = |text: &Option<String>, default: Millis| opt_t(text).unwrap_or(default);

    // Pools, tried in a scratch store holding what install looks at (providers, existing launch
    // configs of the same pools).
    let pools: Vec<WorkerPool> = seed
        .worker_pools
        .iter()
        .map(|p| {
            let created = t(&p.created, now);
            WorkerPool {
                worker_pool_id: Arc::from(p.worker_pool_id.as_str()),
                provider_id: p.provider_id.clone(),
                previous_provider_ids: p.previous_provider_ids.clone(),
                description: p.description.clone(),
                config: p.config.clone(),
                owner: p.owner.clone(),
                email_on_error: p.email_on_error,
                created,
                last_modified: t(&p.last_modified, created),
                provider_data: p.provider_data.unwrap_or_default().to_value(),
            }
        })
        .collect();
    let mut scratch = Store::new(providers.clone());
    for (i, pool) in pools.iter().enumerate() {
        if let Some(existing) = store.launch_configs(&pool.worker_pool_id) {
            scratch.set_launch_configs(&pool.worker_pool_id, existing.clone());
        }
        install(svc, &mut scratch, pool.clone(), i)?;
    }

    // From here on nothing can fail: change the service.
    if let Some(p) = &seed.providers {
        store.set_providers(p.clone());
    }
    for (i, pool) in pools.into_iter().enumerate() {
        install(svc, &mut store, pool, i)?;
    }
    let pool_provider: HashMap<&str, &str> = seed
        .worker_pools
        .iter()
        .map(|p| (p.worker_pool_id.as_str(), p.provider_id.as_str()))
        .collect();
    let kind_of = |id: &str| {
        providers
            .iter()
            .find(|p| p.provider_id == id)
            .map(|p| p.provider_type)
    };
    for w in &seed.workers {
        let provider_id = w
            .provider_id
            .as_deref()
            .or_else(|| pool_provider.get(w.worker_pool_id.as_str()).copied())
            .unwrap_or(NULL_PROVIDER)
            .to_string();
        let is_static = kind_of(&provider_id) == Some(ProviderType::Static);
        let created = t(&w.created, now);
        let data = ProviderData {
            static_secret: w.static_secret.clone(),
            reregistration_timeout_ms: w.reregistration_timeout.map(|s| s as Millis * SECOND),
            worker_config: w.worker_config.clone(),
            terminate_after: opt_t(&w.terminate_after),
            should_terminate: w
                .should_terminate
                .as_ref()
                .map(|s| (s.terminate, s.reason.clone())),
            allow_remove_worker: w.allow_remove_worker,
            fail_register: w.fail_register.clone(),
        };
        let template = Worker {
            worker_pool_id: store.intern_pool_id(&w.worker_pool_id),
            worker_group: Arc::from(w.worker_group.as_str()),
            worker_id: Arc::from(""),
            provider_id: provider_id.into(),
            created,
            expires: t(&w.expires, now + 30 * DAY),
            state: w.state,
            capacity: w.capacity,
            last_modified: t(&w.last_modified, created),
            last_checked: t(&w.last_checked, created),
            launch_config_id: w.launch_config_id.clone(),
            secret: None,
            provider_data: data.into(),
            seq: 0,
        };
        for id in w.worker_ids() {
            let mut worker = template.clone();
            worker.worker_id = Arc::from(id);
            if is_static && worker.provider_data.static_secret.is_none() {
                worker.provider_data.static_secret = Some(svc.ids.secret44());
            }
            store.insert_worker(worker);
        }
    }
    for e in &seed.worker_pool_errors {
        store.insert_error(PoolError {
            error_id: e.error_id.clone().unwrap_or_else(|| svc.ids.slugid()),
            worker_pool_id: e.worker_pool_id.clone(),
            reported: t(&e.reported, now),
            kind: e.kind.clone(),
            title: e.title.clone(),
            description: e.description.clone(),
            extra: e.extra.clone(),
            launch_config_id: e.launch_config_id.clone(),
            seq: 0,
        });
    }
    for q in &seed.queue_workers {
        let first_claim = t(&q.first_claim, now);
        store.put_queue_worker(QueueWorker {
            worker_pool_id: q.worker_pool_id.clone(),
            worker_group: q.worker_group.clone(),
            worker_id: q.worker_id.clone(),
            expires: t(&q.expires, now + DAY),
            first_claim,
            quarantine_until: t(&q.quarantine_until, first_claim),
            quarantine_details: q.quarantine_details.clone(),
            recent_tasks: q.recent_tasks.clone(),
            last_date_active: opt_t(&q.last_date_active),
        });
    }
    drop(store);
    for c in &seed.clients {
        svc.put_client(
            &c.client_id,
            Client {
                access_token: c.access_token.clone(),
                scopes: c.scopes.clone(),
            },
        );
    }
    for r in &seed.roles {
        svc.put_role(&r.role_id, r.scopes.clone());
    }
    if let Some(c) = &seed.clock {
        if c.frozen {
            svc.clock.freeze();
        }
        svc.clock.set(now);
    }
    Ok(())
}

/// Installs pool `i` of the seed, turning an API error into an issue at its pointer.
fn install(svc: &Service, store: &mut Store, pool: WorkerPool, i: usize) -> Result<(), Issue> {
    let at = pool.last_modified;
    worker_pools::install(svc, store, pool, at).map_err(|e| {
        let base = ptr("/seed/workerPools", i);
        let pointer = match e.code {
            ErrorCode::InputValidationError => ptr(&base, "config"),
            ErrorCode::RequestConflict => ptr(&ptr(&base, "config"), "launchConfigs"),
            _ => base,
        };
        Issue::new(pointer, e.message)
    })
}

/// Checks an id against the catalog's pattern for URL parameter `name`.
fn check_id(catalog: &Catalog, name: &str, value: &str, pointer: String) -> Result<(), Issue> {
    let Some(entry) = catalog.get("worker") else {
        return Ok(());
    };
    let params: BTreeMap<String, String> = [(name.to_string(), value.to_string())]
        .into_iter()
        .collect();
    if catalog.validate_params(entry, &params).is_err() {
        return Err(Issue::new(
            pointer,
            format!(
                "`{value}` is not a valid {name} (must match {})",
                catalog.param_pattern(name).unwrap_or("its pattern")
            ),
        ));
    }
    Ok(())
}

/// Checks a query-parameter-shaped value (`errorId`, `launchConfigId`) against its pattern.
fn check_query_value(
    catalog: &Catalog,
    method: &str,
    name: &str,
    value: &str,
    pointer: String,
) -> Result<(), Issue> {
    let Some(q) = catalog.get(method).and_then(|e| e.query_param(name)) else {
        return Ok(());
    };
    if value.is_empty() || !q.accepts(value) {
        return Err(Issue::new(
            pointer,
            format!("`{value}` is not a valid {name} (must match {})", q.pattern),
        ));
    }
    Ok(())
}

fn check_time(text: &Option<String>, now: Millis, pointer: String) -> Result<(), Issue> {
    match text {
        Some(s) if relative_or_absolute(s, now).is_none() => Err(Issue::new(pointer, bad_time(s))),
        _ => Ok(()),
    }
}

fn check_scopes<'a>(scopes: impl Iterator<Item = &'a String>, base: &str) -> Result<(), Issue> {
    for (j, s) in scopes.enumerate() {
        if !is_valid_scope(s) {
            return Err(Issue::new(
                ptr(&ptr(base, "scopes"), j),
                format!("`{s}` is not a valid scope (printable ASCII only)"),
            ));
        }
    }
    Ok(())
}

fn schema_issue(base: &str, schema: &str, violations: &[SchemaViolation]) -> Issue {
    let pointer = violations
        .first()
        .map(|v| format!("{base}{}", v.pointer))
        .unwrap_or_else(|| base.to_string());
    let lines: Vec<String> = violations.iter().map(SchemaViolation::ajv_line).collect();
    Issue::new(
        pointer,
        format!(
            "config does not match schema {schema}: {}",
            lines.join("; ")
        ),
    )
}

fn worker_hash(pool: &str, group: &str, id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (pool, group, id).hash(&mut h);
    h.finish()
}

/// Every check of a seed that needs no service, with `providers` as the configured providers
/// and `now` the time relative times count from. Pointers start at `/seed`.
pub(crate) fn check_seed(seed: &Seed, providers: &[Provider], now: Millis) -> Result<(), Issue> {
    let catalog = Catalog::embedded();
    if let Some(c) = &seed.clock {
        check_time(&Some(c.now.clone()), now, "/seed/clock/now".into())?;
    }
    if let Some(list) = &seed.providers {
        let mut seen = HashSet::new();
        for (i, p) in list.iter().enumerate() {
            let base = ptr("/seed/providers", i);
            if p.provider_id.is_empty() || p.provider_id == NULL_PROVIDER {
                return Err(Issue::new(
                    ptr(&base, "providerId"),
                    format!("provider id `{}` is reserved or empty", p.provider_id),
                ));
            }
            if p.provider_type == ProviderType::Null {
                return Err(Issue::new(
                    ptr(&base, "providerType"),
                    "only the implicit null-provider has type `null`",
                ));
            }
            if !seen.insert(p.provider_id.as_str()) {
                return Err(Issue::new(
                    ptr(&base, "providerId"),
                    format!("provider `{}` is configured twice", p.provider_id),
                ));
            }
        }
    }
    let provider = |id: &str| {
        if id == NULL_PROVIDER {
            Some(null_provider())
        } else {
            providers.iter().find(|p| p.provider_id == id).cloned()
        }
    };
    let unknown_provider = |id: &str| {
        let names: Vec<&str> = providers.iter().map(|p| p.provider_id.as_str()).collect();
        format!(
            "provider `{id}` is not configured (configured: {}, and null-provider)",
            names.join(", ")
        )
    };

    let mut seen = HashSet::new();
    for (i, c) in seed.clients.iter().enumerate() {
        let base = ptr("/seed/clients", i);
        if c.client_id.is_empty()
            || c.client_id == ROOT_CLIENT_ID
            || c.client_id == ISSUER_CLIENT_ID
        {
            return Err(Issue::new(
                ptr(&base, "clientId"),
                format!(
                    "clientId `{}` is empty or reserved by the mock",
                    c.client_id
                ),
            ));
        }
        if !seen.insert(c.client_id.as_str()) {
            return Err(Issue::new(
                ptr(&base, "clientId"),
                format!("clientId `{}` appears twice", c.client_id),
            ));
        }
        if c.access_token.is_empty() {
            return Err(Issue::new(
                ptr(&base, "accessToken"),
                "a client needs an accessToken",
            ));
        }
        check_scopes(c.scopes.iter(), &base)?;
    }
    for (i, r) in seed.roles.iter().enumerate() {
        let base = ptr("/seed/roles", i);
        if r.role_id.is_empty() {
            return Err(Issue::new(ptr(&base, "roleId"), "a role needs a roleId"));
        }
        check_scopes(r.scopes.iter(), &base)?;
    }

    let mut pool_provider: HashMap<&str, &str> = HashMap::new();
    for (i, p) in seed.worker_pools.iter().enumerate() {
        let base = ptr("/seed/workerPools", i);
        check_id(
            catalog,
            "workerPoolId",
            &p.worker_pool_id,
            ptr(&base, "workerPoolId"),
        )?;
        if pool_provider
            .insert(&p.worker_pool_id, &p.provider_id)
            .is_some()
        {
            return Err(Issue::new(
                ptr(&base, "workerPoolId"),
                format!("worker pool `{}` appears twice", p.worker_pool_id),
            ));
        }
        let Some(prov) = provider(&p.provider_id) else {
            return Err(Issue::new(
                ptr(&base, "providerId"),
                unknown_provider(&p.provider_id),
            ));
        };
        if !is_email(&p.owner) {
            return Err(Issue::new(
                ptr(&base, "owner"),
                format!("`{}` is not an e-mail address", p.owner),
            ));
        }
        check_time(&p.created, now, ptr(&base, "created"))?;
        check_time(&p.last_modified, now, ptr(&base, "lastModified"))?;
        let config_at = ptr(&base, "config");
        if !p.config.is_object() {
            return Err(Issue::new(config_at, "config must be an object"));
        }
        let schema = prov.provider_type.config_schema();
        if let Err(v) = Validators::embedded().validate(schema, &p.config) {
            return Err(schema_issue(&config_at, schema, &v));
        }
        if prov.provider_type.is_cloud() {
            let entries = p
                .config
                .get("launchConfigs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Err(e) = launch_configs::plan(&p.worker_pool_id, &entries, None, now) {
                return Err(Issue::new(ptr(&config_at, "launchConfigs"), e.message));
            }
        }
        for (j, prev) in p.previous_provider_ids.iter().enumerate() {
            if prev.is_empty() {
                return Err(Issue::new(
                    ptr(&ptr(&base, "previousProviderIds"), j),
                    "a provider id cannot be empty",
                ));
            }
        }
    }

    // Worker keys seen: hash → entry index (exact comparison on a hash hit).
    let mut keys: HashMap<u64, usize> = HashMap::new();
    for (i, w) in seed.workers.iter().enumerate() {
        let base = ptr("/seed/workers", i);
        check_worker(catalog, w, &base, now)?;
        let provider_id = match (&w.provider_id, pool_provider.get(w.worker_pool_id.as_str())) {
            (Some(p), _) => p.as_str(),
            (None, Some(p)) => p,
            (None, None) => {
                return Err(Issue::new(
                    ptr(&base, "providerId"),
                    format!(
                        "worker pool `{}` is not in the seed, so the worker needs a providerId",
                        w.worker_pool_id
                    ),
                ))
            }
        };
        if provider(provider_id).is_none() {
            return Err(Issue::new(
                ptr(&base, "providerId"),
                unknown_provider(provider_id),
            ));
        }
        for id in w.worker_ids() {
            let h = worker_hash(&w.worker_pool_id, &w.worker_group, &id);
            if let Some(&j) = keys.get(&h) {
                let other = &seed.workers[j];
                let clash = other.worker_pool_id == w.worker_pool_id
                    && other.worker_group == w.worker_group
                    && other.worker_ids().any(|o| o == id);
                if clash {
                    return Err(Issue::new(
                        base,
                        format!(
                            "worker {}/{}/{id} is also created by /seed/workers/{j}",
                            w.worker_pool_id, w.worker_group
                        ),
                    ));
                }
            }
            keys.insert(h, i);
        }
    }

    let mut error_ids = HashSet::new();
    for (i, e) in seed.worker_pool_errors.iter().enumerate() {
        let base = ptr("/seed/workerPoolErrors", i);
        check_id(
            catalog,
            "workerPoolId",
            &e.worker_pool_id,
            ptr(&base, "workerPoolId"),
        )?;
        if let Some(id) = &e.error_id {
            let at = ptr(&base, "errorId");
            check_query_value(catalog, "listWorkerPoolErrors", "errorId", id, at.clone())?;
            if !error_ids.insert(id.as_str()) {
                return Err(Issue::new(at, format!("errorId `{id}` appears twice")));
            }
        }
        if let Some(lc) = &e.launch_config_id {
            check_query_value(
                catalog,
                "listWorkerPoolErrors",
                "launchConfigId",
                lc,
                ptr(&base, "launchConfigId"),
            )?;
        }
        if !e.extra.is_object() {
            return Err(Issue::new(ptr(&base, "extra"), "extra must be an object"));
        }
        check_time(&e.reported, now, ptr(&base, "reported"))?;
    }

    let mut queue_keys = HashSet::new();
    for (i, q) in seed.queue_workers.iter().enumerate() {
        let base = ptr("/seed/queueWorkers", i);
        let parts: Vec<&str> = q.worker_pool_id.split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(Issue::new(
                ptr(&base, "workerPoolId"),
                format!(
                    "`{}` is not a task queue id (<provisionerId>/<workerType>)",
                    q.worker_pool_id
                ),
            ));
        }
        check_id(
            catalog,
            "workerGroup",
            &q.worker_group,
            ptr(&base, "workerGroup"),
        )?;
        check_id(catalog, "workerId", &q.worker_id, ptr(&base, "workerId"))?;
        if !queue_keys.insert((&q.worker_pool_id, &q.worker_group, &q.worker_id)) {
            return Err(Issue::new(
                base,
                format!(
                    "queue record {}/{}/{} appears twice",
                    q.worker_pool_id, q.worker_group, q.worker_id
                ),
            ));
        }
        for (field, value) in [
            ("expires", &q.expires),
            ("firstClaim", &q.first_claim),
            ("quarantineUntil", &q.quarantine_until),
            ("lastDateActive", &q.last_date_active),
        ] {
            check_time(value, now, ptr(&base, field))?;
        }
    }
    Ok(())
}

/// The checks of one worker entry that do not involve other entries.
fn check_worker(catalog: &Catalog, w: &SeedWorker, base: &str, now: Millis) -> Result<(), Issue> {
    check_id(
        catalog,
        "workerPoolId",
        &w.worker_pool_id,
        ptr(base, "workerPoolId"),
    )?;
    check_id(
        catalog,
        "workerGroup",
        &w.worker_group,
        ptr(base, "workerGroup"),
    )?;
    match w.count {
        Some(n) if n == 0 || n > MAX_COUNT => {
            return Err(Issue::new(
                ptr(base, "count"),
                format!("count must be 1..{MAX_COUNT}, not {n}"),
            ))
        }
        Some(n) => {
            // The longest id decides whether all fit the pattern.
            let last = format!("{}-{}", w.worker_id, n - 1);
            check_id(catalog, "workerId", &last, ptr(base, "workerId")).map_err(|mut e| {
                e.message = format!("with count {n}, {}", e.message);
                e
            })?;
        }
        None => check_id(catalog, "workerId", &w.worker_id, ptr(base, "workerId"))?,
    }
    if w.capacity == 0 {
        return Err(Issue::new(
            ptr(base, "capacity"),
            "capacity must be at least 1",
        ));
    }
    if w.reregistration_timeout
        .is_some_and(|t| t > MAX_REREGISTRATION_TIMEOUT)
    {
        return Err(Issue::new(
            ptr(base, "reregistrationTimeout"),
            format!(
                "reregistrationTimeout must be at most {MAX_REREGISTRATION_TIMEOUT} seconds (30 days, as a pool's lifecycle allows)"
            ),
        ));
    }
    if w.capacity > crate::resources::workers::MAX_CAPACITY {
        return Err(Issue::new(
            ptr(base, "capacity"),
            format!(
                "capacity must be at most {}",
                crate::resources::workers::MAX_CAPACITY
            ),
        ));
    }
    for (field, value) in [
        ("created", &w.created),
        ("expires", &w.expires),
        ("lastModified", &w.last_modified),
        ("lastChecked", &w.last_checked),
        ("terminateAfter", &w.terminate_after),
    ] {
        check_time(value, now, ptr(base, field))?;
    }
    if let Some(lc) = &w.launch_config_id {
        check_query_value(
            catalog,
            "listWorkersForWorkerPool",
            "launchConfigId",
            lc,
            ptr(base, "launchConfigId"),
        )?;
    }
    if let Some(s) = &w.static_secret {
        let ok = s.len() == 44
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(Issue::new(
                ptr(base, "staticSecret"),
                "a staticSecret is 44 characters of A-Z, a-z, 0-9, `_` and `-`",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Scenario;
    use crate::service::Options;
    use crate::store::model::{WorkerKey, WorkerState};
    use crate::time::{parse_date_time, HOUR};

    fn service() -> Service {
        Service::new(Options {
            seed: Some(1),
            ..Options::default()
        })
    }

    fn seed(text: &str) -> Seed {
        Scenario::from_json_str(&format!(r#"{{"seed": {text}}}"#), "t.json")
            .unwrap()
            .seed
    }

    #[test]
    fn defaults_and_relative_times() {
        let svc = service();
        let s = seed(
            r#"{"clock": {"now": "2030-01-01T00:00:00.000Z", "frozen": true},
                "workerPools": [{"workerPoolId": "p/x", "providerId": "static", "created": "-2d"}],
                "workers": [{"workerPoolId": "p/x", "workerGroup": "g", "workerId": "w",
                             "count": 3, "created": "-1h"}],
                "workerPoolErrors": [{"workerPoolId": "p/x", "kind": "k", "title": "t",
                                      "description": "d"}]}"#,
        );
        apply_seed(&svc, &s).unwrap();
        let now = parse_date_time("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(svc.clock.now_ms(), now);
        assert!(svc.clock.is_frozen());
        let store = svc.store();
        let pool = store.pool("p/x").unwrap();
        assert_eq!(
            (pool.created, pool.last_modified),
            (now - 2 * DAY, now - 2 * DAY)
        );
        let w = store.worker(&WorkerKey::new("p/x", "g", "w-2")).unwrap();
        assert_eq!(w.created, now - HOUR);
        assert_eq!(w.expires, now + 30 * DAY);
        assert_eq!(w.state, WorkerState::Running);
        assert_eq!(&*w.provider_id, "static");
        let secret = w.provider_data.static_secret.clone().unwrap();
        assert_eq!(secret.len(), 44);
        let w0 = store.worker(&WorkerKey::new("p/x", "g", "w-0")).unwrap();
        assert_ne!(w0.provider_data.static_secret.as_ref(), Some(&secret));
        assert_eq!(store.worker_count(), 3);
        let e = store.all_errors().next().unwrap();
        assert_eq!((e.reported, e.error_id.len()), (now, 22));
        store.check_invariants().unwrap();
    }

    #[test]
    fn a_conflicting_pool_leaves_everything_untouched() {
        let svc = service();
        let lc = r#"{"region": "r", "launchConfig": {"ImageId": "a"},
                     "workerManager": {"launchConfigId": "one"}}"#;
        let pool = |lc: &str| {
            format!(
                r#"{{"workerPoolId": "p/x", "providerId": "aws",
                     "config": {{"minCapacity": 0, "maxCapacity": 1, "launchConfigs": [{lc}]}}}}"#
            )
        };
        apply_seed(
            &svc,
            &seed(&format!(r#"{{"workerPools": [{}]}}"#, pool(lc))),
        )
        .unwrap();
        let before = crate::scenario::export::export_seed(&svc);
        let other = lc.replace("\"a\"", "\"b\"");
        let bad = seed(&format!(
            r#"{{"clock": {{"now": "2031-01-01T00:00:00Z"}},
                 "clients": [{{"clientId": "c", "accessToken": "t"}}],
                 "workerPools": [{}],
                 "workers": [{{"workerPoolId": "q/y", "providerId": "static",
                              "workerGroup": "g", "workerId": "w"}}]}}"#,
            pool(&other)
        ));
        let err = apply_seed(&svc, &bad).unwrap_err();
        assert_eq!(err.pointer(), "/seed/workerPools/0/config/launchConfigs");
        assert!(err.reason().contains("already exists"), "{err}");
        assert_eq!(
            crate::scenario::export::export_seed(&svc).workers,
            before.workers
        );
        assert!(svc.client("c").is_none());
        assert_eq!(svc.store().worker_count(), 0);
    }
}

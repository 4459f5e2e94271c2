//! Workers: worker, createWorker, updateWorker, removeWorker, listWorkersForWorkerGroup,
//! listWorkersForWorkerPool and shouldWorkerTerminate.
//!
//! What a provider allows (create/update/remove) follows the real providers: static pools manage
//! their workers through the API; the testing provider only where its hidden flags allow it; cloud
//! and null providers refuse.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use crate::call::Call;
use crate::error::ApiError;
use crate::provider::{Provider, ProviderType};
use crate::resources::{pretty, Rendered};
use crate::service::Service;
use crate::store::model::{ProviderData, Recency, Worker, WorkerKey, WorkerPool, WorkerState};
use crate::store::paging::{parse_recency, recency_cursor};
use crate::store::Store;
use crate::time::{format_ms, parse_date_time, Timestamp};
use std::ops::Bound;

/// A worker as `worker-full`, typed: serializes straight to JSON text, with the keys in the
/// order a rendered [`Value`] object has them (sorted), so the text is byte for byte that of
/// [`render`] (a test checks it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerView<'a> {
    capacity: u64,
    created: Timestamp,
    expires: Timestamp,
    last_checked: Timestamp,
    last_modified: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    launch_config_id: Option<&'a str>,
    provider_id: &'a str,
    state: &'static str,
    worker_group: &'a str,
    worker_id: &'a str,
    worker_pool_id: &'a str,
}

impl<'a> WorkerView<'a> {
    /// The view of a stored worker (never its secrets or provider data).
    pub fn of(w: &'a Worker) -> WorkerView<'a> {
        WorkerView {
            capacity: w.capacity,
            created: Timestamp(w.created),
            expires: Timestamp(w.expires),
            last_checked: Timestamp(w.last_checked),
            last_modified: Timestamp(w.last_modified),
            launch_config_id: w.launch_config_id.as_deref(),
            provider_id: &w.provider_id,
            state: w.state.as_str(),
            worker_group: &w.worker_group,
            worker_id: &w.worker_id,
            worker_pool_id: &w.worker_pool_id,
        }
    }
}

/// A page of workers as a list answer, typed (keys sorted like a [`Value`] object's).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkerPageView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_token: Option<String>,
    workers: Vec<WorkerView<'a>>,
}

impl WorkerView<'_> {
    /// Writes the worker as a pretty-printed object whose members sit `depth` levels deep (what
    /// the `Serialize` derive gives, written by [`pretty`]).
    fn write(&self, out: &mut Vec<u8>, depth: usize) {
        let mut o = pretty::Object::begin(out, depth);
        o.u64("capacity", self.capacity);
        o.time("created", self.created.0);
        o.time("expires", self.expires.0);
        o.time("lastChecked", self.last_checked.0);
        o.time("lastModified", self.last_modified.0);
        if let Some(lc) = self.launch_config_id {
            o.str("launchConfigId", lc);
        }
        o.str("providerId", self.provider_id);
        o.str("state", self.state);
        o.str("workerGroup", self.worker_group);
        o.str("workerId", self.worker_id);
        o.str("workerPoolId", self.worker_pool_id);
        o.end();
    }
}

impl WorkerPageView<'_> {
    /// The page as pretty JSON text, byte for byte what `serde_json::to_writer_pretty` gives for
    /// it (a page of 100 is ~36 KiB; see [`pretty`] for why it is written by hand).
    fn render(&self) -> Rendered {
        // About 370 bytes per pretty-printed worker.
        let mut out = Vec::with_capacity(128 + 384 * self.workers.len());
        let mut o = pretty::Object::begin(&mut out, 1);
        if let Some(t) = &self.continuation_token {
            o.str("continuationToken", t);
        }
        o.array("workers", &self.workers, |out, depth, w| {
            w.write(out, depth)
        });
        o.end();
        Rendered::from_text(out)
    }
}

/// Renders a worker as `worker-full` (never its secrets or provider data).
pub fn render(w: &Worker) -> Value {
    let mut m = Map::new();
    m.insert("workerPoolId".into(), w.worker_pool_id.as_ref().into());
    m.insert("workerGroup".into(), w.worker_group.as_ref().into());
    m.insert("workerId".into(), w.worker_id.as_ref().into());
    m.insert("providerId".into(), (*w.provider_id).into());
    m.insert("created".into(), format_ms(w.created).into());
    m.insert("expires".into(), format_ms(w.expires).into());
    m.insert("state".into(), w.state.as_str().into());
    m.insert("capacity".into(), w.capacity.into());
    m.insert("lastModified".into(), format_ms(w.last_modified).into());
    m.insert("lastChecked".into(), format_ms(w.last_checked).into());
    if let Some(lc) = &w.launch_config_id {
        m.insert("launchConfigId".into(), lc.clone().into());
    }
    Value::Object(m)
}

fn key(call: &Call<'_>) -> WorkerKey {
    WorkerKey::new(
        call.param("workerPoolId"),
        call.param("workerGroup"),
        call.param("workerId"),
    )
}

/// `worker`: one worker (the pool need not exist).
pub fn get(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let store = svc.store_read();
    store
        .worker(&key(call))
        .map(render)
        .ok_or_else(|| ApiError::not_found("Worker not found"))
}

/// The pool's current provider, or the 404 / 503 createWorker and updateWorker answer.
fn pool_provider(call: &Call<'_>, store: &Store, pool: &WorkerPool) -> Result<Provider, ApiError> {
    let provider = call.provider(store, &pool.provider_id).ok_or_else(|| {
        ApiError::not_found(format!(
            "Provider {} for worker pool {} does not exist",
            pool.provider_id, pool.worker_pool_id
        ))
    })?;
    if provider.setup_failed {
        return Err(ApiError::provider_setup_failed());
    }
    Ok(provider)
}

fn pool_flag(pool: &WorkerPool, flag: &str) -> bool {
    pool.provider_data
        .get(flag)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Largest capacity accepted: the real service stores it as a 32-bit integer.
pub const MAX_CAPACITY: u64 = i32::MAX as u64;

/// The body's capacity (default 1); over [`MAX_CAPACITY`] is a `400 InputError` (upstream's
/// database would refuse it with a 500).
fn capacity(body: &Value) -> Result<u64, ApiError> {
    match body.get("capacity") {
        None => Ok(1),
        Some(v) => v
            .as_u64()
            .filter(|c| *c <= MAX_CAPACITY)
            .ok_or_else(|| ApiError::input(format!("capacity must be at most {MAX_CAPACITY}"))),
    }
}

fn static_secret(body: &Value) -> Option<&str> {
    body.pointer("/providerInfo/staticSecret")
        .and_then(Value::as_str)
}

/// The pool named in the path, or createWorker/updateWorker's 404.
fn pool_of<'s>(store: &'s Store, call: &Call<'_>) -> Result<&'s WorkerPool, ApiError> {
    let id = call.param("workerPoolId");
    store
        .pool(id)
        .ok_or_else(|| ApiError::not_found(format!("Worker pool {id} does not exist")))
}

/// `createWorker`.
pub fn create(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let mut store = svc.store();
    let pool = pool_of(&store, call)?;
    let expires = parse_date_time(call.body_str("expires")).unwrap_or(0);
    if expires < call.now {
        return Err(ApiError::input("worker.expires must be in the future"));
    }
    let provider = pool_provider(call, &store, pool)?;
    let secret = match provider.provider_type {
        ProviderType::Static => Some(
            static_secret(call.body)
                .ok_or_else(|| ApiError::input("no worker staticSecret provided"))?
                .to_string(),
        ),
        ProviderType::Testing if pool_flag(pool, "allowCreateWorker") => None,
        ProviderType::Testing => {
            return Err(ApiError::input(
                "creating workers is not supported for testing provider",
            ))
        }
        _ => return Err(ApiError::input("not supported for this provider")),
    };
    let worker = Worker {
        worker_pool_id: store.intern_pool_id(&pool.worker_pool_id),
        worker_group: Arc::from(call.param("workerGroup")),
        worker_id: Arc::from(call.param("workerId")),
        provider_id: Arc::from(provider.provider_id.as_str()),
        created: call.now,
        expires,
        state: WorkerState::Running,
        capacity: capacity(call.body)?,
        last_modified: call.now,
        last_checked: call.now,
        launch_config_id: None,
        secret: None,
        provider_data: ProviderData {
            static_secret: secret,
            ..ProviderData::default()
        }
        .into(),
        seq: 0,
    };
    if let Some(existing) = store.worker(&worker.key()) {
        let same = existing.provider_id == worker.provider_id
            && existing.state == worker.state
            && existing.capacity == worker.capacity;
        if !same {
            return Err(ApiError::conflict("Worker already exists"));
        }
        // Upstream answers with the request's values and fresh timestamps, and changes nothing.
        return Ok(render(&worker));
    }
    let out = render(&worker);
    store.insert_worker(worker);
    Ok(out)
}

/// `updateWorker`.
pub fn update(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let mut store = svc.store();
    let pool = pool_of(&store, call)?;
    let provider = pool_provider(call, &store, pool)?;
    let key = key(call);
    if store.worker(&key).is_none() {
        return Err(ApiError::not_found(format!(
            "Worker {}/{}/{} does not exist",
            key.worker_pool_id, key.worker_group, key.worker_id
        )));
    }
    let expires = parse_date_time(call.body_str("expires")).unwrap_or(0);
    let capacity = capacity(call.body)?;
    let out = match provider.provider_type {
        ProviderType::Static => {
            let secret = static_secret(call.body).ok_or_else(|| {
                ApiError::validation(
                    "providerInfo.staticSecret is required when updating a worker of a static \
                     provider (the real service crashes with a 500 here)",
                )
            })?;
            store.update_worker(&key, |w| {
                w.expires = expires;
                w.capacity = capacity;
                w.provider_data.static_secret = Some(secret.to_string());
                render(w)
            })
        }
        ProviderType::Testing if pool_flag(pool, "allowUpdateWorker") => {
            store.update_worker(&key, |w| {
                w.capacity = capacity;
                render(w)
            })
        }
        ProviderType::Testing => {
            return Err(ApiError::input(
                "updating workers is not supported for testing provider",
            ))
        }
        _ => return Err(ApiError::input("not supported for this provider")),
    };
    out.ok_or_else(|| ApiError::not_found("Worker not found"))
}

/// `removeWorker`: static and testing workers stop; cloud workers start stopping.
pub fn remove(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let mut store = svc.store();
    let key = key(call);
    let worker = store
        .worker(&key)
        .ok_or_else(|| ApiError::not_found("Worker not found"))?;
    let provider = call.provider(&store, &worker.provider_id).ok_or_else(|| {
        ApiError::not_found(format!(
            "Provider {} for this worker does not exist",
            worker.provider_id
        ))
    })?;
    if provider.setup_failed {
        return Err(ApiError::provider_setup_failed());
    }
    let now = call.now;
    match provider.provider_type {
        ProviderType::Static => {
            store.update_worker(&key, |w| {
                w.state = WorkerState::Stopped;
                // Never read again: registerWorker refuses a worker that is not running before it
                // compares secrets, and nothing moves a worker out of `stopped`. Forgetting it
                // frees the worker's provider data (stopped workers pile up until they expire).
                w.provider_data.forget_static_secret();
            });
        }
        ProviderType::Testing if worker.provider_data.allow_remove_worker => {
            store.update_worker(&key, |w| w.state = WorkerState::Stopped);
        }
        ProviderType::Testing => {
            return Err(ApiError::input(
                "removing workers is not supported for testing provider",
            ))
        }
        ProviderType::Null => return Err(ApiError::input("not supported for this provider")),
        ProviderType::Aws | ProviderType::Google | ProviderType::Azure => {
            store.update_worker(&key, |w| {
                if matches!(w.state, WorkerState::Requested | WorkerState::Running) {
                    w.state = WorkerState::Stopping;
                    w.last_modified = now;
                }
            });
        }
    }
    Ok(json!({}))
}

/// `shouldWorkerTerminate`: the (absent) scanner's decision; `{false, "none"}` unless a scenario
/// or the library set one.
pub fn should_terminate(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let store = svc.store_read();
    let w = store
        .worker(&key(call))
        .ok_or_else(|| ApiError::not_found("Worker not found"))?;
    let (terminate, reason) = w
        .provider_data
        .should_terminate
        .clone()
        .unwrap_or((false, "none".to_string()));
    Ok(json!({"terminate": terminate, "reason": reason}))
}

/// One newest-first page of workers from `index`, filtered; `lookup` finds an entry's worker.
fn worker_page<'s, V>(
    index: Option<&'s BTreeMap<Recency, V>>,
    call: &Call<'_>,
    lookup: impl Fn(&V) -> Option<&'s Worker>,
    keep: impl Fn(&Worker) -> bool,
) -> Result<Rendered, ApiError> {
    let req = call.page_request()?;
    let empty = BTreeMap::new();
    let index = index.unwrap_or(&empty);
    // Each worker is looked up once: the filter keeps what it found, and the page's entries (a
    // subsequence of the accepted ones, in order: the pager may also accept entries it skips or
    // probes past the page) are matched to it by identity.
    let mut accepted: Vec<(*const V, &Worker)> = Vec::new();
    let page = req.page(
        'w',
        index,
        (Bound::Unbounded, Bound::Unbounded),
        recency_cursor,
        parse_recency,
        |v| match lookup(v) {
            Some(w) if keep(w) => {
                accepted.push((v, w));
                true
            }
            _ => false,
        },
    );
    let mut found = accepted.into_iter();
    let view = WorkerPageView {
        continuation_token: page.next_token,
        workers: page
            .items
            .into_iter()
            .filter_map(|v| found.find(|(a, _)| std::ptr::eq(*a, v)))
            .map(|(_, w)| WorkerView::of(w))
            .collect(),
    };
    Ok(view.render())
}

/// `listWorkersForWorkerGroup`: newest first; no pool check.
pub fn list_for_group(svc: &Service, call: &Call<'_>) -> Result<Rendered, ApiError> {
    let store = svc.store_read();
    let (pool, group) = (call.param("workerPoolId"), call.param("workerGroup"));
    let index = store.group_worker_index(pool, group);
    worker_page(
        index,
        call,
        |id| store.worker_by_ids(pool, group, id),
        |_| true,
    )
}

/// `listWorkersForWorkerPool`: newest first, optionally filtered by `state` and
/// `launchConfigId`; 404 if the pool does not exist.
pub fn list_for_pool(svc: &Service, call: &Call<'_>) -> Result<Rendered, ApiError> {
    let pool_id = call.param("workerPoolId");
    let store = svc.store_read();
    if store.pool(pool_id).is_none() {
        return Err(ApiError::not_found("Worker Pool does not exist"));
    }
    let state = call.query("state").map(str::to_string);
    let lc = call.query("launchConfigId").map(str::to_string);
    let index = store.pool_worker_index(pool_id);
    let lookup = |(group, id): &(Arc<str>, Arc<str>)| store.worker_by_ids(pool_id, group, id);
    worker_page(index, call, lookup, |w| {
        state.as_deref().is_none_or(|s| w.state.as_str() == s)
            && lc
                .as_deref()
                .is_none_or(|l| w.launch_config_id.as_deref() == Some(l))
    })
}

/// Constant-time string equality for secrets.
pub fn secret_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::WorkerState;
    use proptest::prelude::*;
    use worker_manager_schemas::{Catalog, Validators};

    prop_compose! {
        fn any_worker()(
            pool in "[a-zA-Z0-9_-]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?",
            group in "[a-zA-Z0-9_-]{1,38}",
            id in "[a-zA-Z0-9_-]{1,38}",
            provider in "[a-zA-Z0-9_-]{1,38}",
            state in prop::sample::select(WorkerState::ALL.to_vec()),
            capacity in 1u64..1_000_000,
            times in prop::array::uniform4(0i64..4_102_444_800_000),
            lc in proptest::option::of("[a-zA-Z0-9_-]{1,38}"),
        ) -> Worker {
            let mut w = Worker::new(&pool, &group, &id, &provider, state, times[0]);
            w.capacity = capacity;
            w.expires = times[1];
            w.last_modified = times[2];
            w.last_checked = times[3];
            w.launch_config_id = lc;
            w
        }
    }

    proptest! {
        /// The typed page is byte for byte the pretty text of the `Value` render, and it matches
        /// the output schema of both list methods.
        #[test]
        fn typed_pages_equal_value_renders_and_validate(
            workers in proptest::collection::vec(any_worker(), 0..5),
            token in proptest::option::of("[A-Za-z0-9]{1,30}"),
        ) {
            let view = WorkerPageView {
                continuation_token: token.clone(),
                workers: workers.iter().map(WorkerView::of).collect(),
            };
            let typed = Rendered::of(&view).unwrap();
            prop_assert_eq!(&view.render(), &typed, "hand-written and serde texts differ");
            let mut value = json!({"workers": workers.iter().map(render).collect::<Vec<_>>()});
            if let Some(t) = token {
                value["continuationToken"] = t.into();
            }
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            prop_assert_eq!(std::str::from_utf8(&typed.0).unwrap(), pretty.as_str());
            for method in ["listWorkersForWorkerPool", "listWorkersForWorkerGroup"] {
                let entry = Catalog::embedded()
                    .entries()
                    .iter()
                    .find(|e| e.name == method)
                    .unwrap();
                let output = entry.output.as_deref().unwrap();
                prop_assert!(Validators::embedded().validate(output, &typed.to_value()).is_ok());
            }
        }
    }
}

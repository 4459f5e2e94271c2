//! The in-memory state of one mock worker-manager, with the indexes that keep every read cheap.
//!
//! Locking discipline: the whole [`Store`] sits behind one `std::sync::RwLock` in
//! [`crate::service::Service`]. Every API call takes the lock once (shared to only read, exclusive
//! to change), does what it needs and releases it before any await; critical sections are short
//! and never block on I/O. So every call is atomic: no reader sees a half-applied change.
//!
//! Invariants kept by the methods here (and only they change the maps):
//! - every worker is in `workers` and in exactly one entry of `pool_workers` and `group_workers`;
//! - `counters` equal what counting the workers would give, per pool and launch configuration;
//! - `pool_index` holds, for every pool and only for pools, its sort key and the text of its
//!   `config`.
//!
//! [`snapshot`] copies the whole store (hidden fields included) for the state file and rebuilds it.

pub mod collation;
pub mod model;
pub mod paging;
pub mod snapshot;
pub mod table;

use std::collections::{BTreeMap, HashMap};

/// The hash maps of the store: foldhash instead of SipHash. Every worker call and every listed
/// worker hashes a three-string key; SipHash made those lookups a tenth of a page's CPU time
/// (issue 9). The hasher is still seeded per process.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use serde_json::value::RawValue;

use crate::provider::{null_provider, Provider};
use crate::time::Millis;
use collation::PoolSortKey;
use model::{
    Counters, LaunchConfig, PoolError, QueueWorker, Recency, Worker, WorkerKey, WorkerPool,
};
use table::WorkerTable;

/// A worker's entry in its pool's index: its group and id.
pub type GroupAndId = (Arc<str>, Arc<str>);

/// One pool's group indexes: each group's workers newest first, as ids.
type GroupIndexes = FastMap<Arc<str>, BTreeMap<Recency, Arc<str>>>;

/// Launch-configuration key of the counters: `None` for workers without one.
pub type LaunchConfigKey = Option<String>;

/// What [`Store`] knows of a pool by its id.
#[derive(Debug)]
struct PoolIndex {
    key: PoolSortKey,
    config_text: Option<Box<RawValue>>,
    /// The last `workerPool` answer rendered for this version of the pool, with the counters it
    /// showed (see [`Store::pool_answer`]). A new version of the pool gets a new index entry.
    answer: Mutex<Option<(Counters, Bytes)>>,
}

impl Clone for PoolIndex {
    /// A copy forgets the remembered answer (it is only ever a cache).
    fn clone(&self) -> PoolIndex {
        PoolIndex {
            key: self.key.clone(),
            config_text: self.config_text.clone(),
            answer: Mutex::new(None),
        }
    }
}

/// All the state of one mock worker-manager.
#[derive(Debug, Default, Clone)]
pub struct Store {
    pools: BTreeMap<PoolSortKey, WorkerPool>,
    /// Each pool by id: its key in `pools` and its `config` as the pretty JSON text `workerPool`
    /// sends, kept with the pool by [`Store::put_pool`] (the only way a pool changes). Serializing
    /// a launch configuration on every read was the largest part of a `workerPool` call, and
    /// building a sort key (case folding) for every lookup the next (issue 9).
    pool_index: FastMap<Arc<str>, PoolIndex>,
    /// Boxed: a hash table keeps its slots inline and, right after it doubles, half of them are
    /// empty, so an inline ~330-byte worker cost up to ~700 bytes of table per worker (issue 9).
    /// Boxed, and keyed by the ids inside the worker ([`table`]), a slot is one pointer.
    workers: WorkerTable,
    /// Each pool's workers newest first, as (group, id): the pool is the index's. Holding less
    /// than a whole [`WorkerKey`] per entry saves 16 bytes a worker here and 32 in `group_workers`.
    pool_workers: FastMap<Arc<str>, BTreeMap<Recency, GroupAndId>>,
    /// Each pool's groups' workers newest first, as ids.
    group_workers: FastMap<Arc<str>, GroupIndexes>,
    counters: FastMap<Arc<str>, BTreeMap<LaunchConfigKey, Counters>>,
    errors: FastMap<String, BTreeMap<Recency, PoolError>>,
    launch_configs: FastMap<String, BTreeMap<String, LaunchConfig>>,
    queue_workers: BTreeMap<(String, String, String), QueueWorker>,
    providers: Vec<Provider>,
    /// The provider ids workers were stored with, one shared copy each.
    provider_ids: Vec<Arc<str>>,
    seq: u64,
}

impl Store {
    /// An empty store with these configured providers.
    pub fn new(providers: Vec<Provider>) -> Store {
        Store {
            providers,
            ..Store::default()
        }
    }

    // ---- providers ----

    /// The configured providers, in configuration order (what listProviders shows; never
    /// `null-provider`).
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// The provider `id`, including the implicit `null-provider`.
    pub fn provider(&self, id: &str) -> Option<Provider> {
        if id == crate::provider::NULL_PROVIDER {
            return Some(null_provider());
        }
        self.providers.iter().find(|p| p.provider_id == id).cloned()
    }

    /// Replaces the configured providers (a scenario's seed may do this).
    pub fn set_providers(&mut self, providers: Vec<Provider>) {
        self.providers = providers;
    }

    /// Marks a provider's startup as failed (or recovered). Returns whether it exists.
    pub fn set_provider_failed(&mut self, id: &str, failed: bool) -> bool {
        match self.providers.iter_mut().find(|p| p.provider_id == id) {
            Some(p) => {
                p.setup_failed = failed;
                true
            }
            None => false,
        }
    }

    /// A fresh insertion sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    // ---- worker pools ----

    /// The pool `id`.
    pub fn pool(&self, id: &str) -> Option<&WorkerPool> {
        self.pools.get(&self.pool_index.get(id)?.key)
    }

    /// Inserts or replaces a pool.
    pub fn put_pool(&mut self, pool: WorkerPool) {
        let id = pool.worker_pool_id.clone();
        let key = PoolSortKey::new(id.clone());
        let config_text = config_text(&pool.config);
        self.pools.insert(key.clone(), pool);
        let answer = Mutex::new(None);
        self.pool_index.insert(
            id,
            PoolIndex {
                key,
                config_text,
                answer,
            },
        );
    }

    /// The `workerPool` answer of pool `id`, `None` for an unknown pool: the one rendered before
    /// when neither the pool nor its counters changed since, else what `render` makes of the
    /// pool, its config text and its counters (remembered for next time when it succeeds). The
    /// answer is a function of the pool (fixed until [`Store::put_pool`] replaces its index
    /// entry) and the counters (compared here), so a remembered one is never stale.
    pub fn pool_answer<E>(
        &self,
        id: &str,
        render: impl FnOnce(&WorkerPool, Option<&RawValue>, &Counters) -> Result<Bytes, E>,
    ) -> Option<Result<Bytes, E>> {
        let index = self.pool_index.get(id)?;
        let pool = self.pools.get(&index.key)?;
        let counters = self.pool_counters(id);
        let mut answer = index.answer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((shown, text)) = &*answer {
            if *shown == counters {
                return Some(Ok(text.clone()));
            }
        }
        let text = match render(pool, index.config_text.as_deref(), &counters) {
            Ok(text) => text,
            Err(e) => return Some(Err(e)),
        };
        *answer = Some((counters, text.clone()));
        Some(Ok(text))
    }

    /// Removes a pool (the daily cleanup job's work; the API never does this).
    pub fn remove_pool(&mut self, id: &str) -> Option<WorkerPool> {
        let index = self.pool_index.remove(id)?;
        self.pools.remove(&index.key)
    }

    /// The `config` of pool `id` as pretty JSON text indented for a member of a top-level object
    /// (every line after the first two spaces deeper than at the top), exactly as `serde_json`'s
    /// pretty printer writes it there; `None` for an unknown pool.
    pub fn pool_config_text(&self, id: &str) -> Option<&RawValue> {
        self.pool_index.get(id)?.config_text.as_deref()
    }

    /// All pools in list order.
    pub fn pools(&self) -> &BTreeMap<PoolSortKey, WorkerPool> {
        &self.pools
    }

    /// The shared id of a pool, reusing the existing allocation when one exists.
    pub fn intern_pool_id(&self, id: &str) -> Arc<str> {
        if let Some((k, _)) = self.pool_workers.get_key_value(id) {
            return k.clone();
        }
        if let Some(p) = self.pool(id) {
            return p.worker_pool_id.clone();
        }
        Arc::from(id)
    }

    // ---- workers ----

    /// The worker `key`.
    pub fn worker(&self, key: &WorkerKey) -> Option<&Worker> {
        self.workers.get(key)
    }

    /// Number of workers stored.
    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// Inserts a new worker (replacing any with the same key), assigning it a sequence number.
    pub fn insert_worker(&mut self, mut worker: Worker) {
        let key = worker.key();
        self.remove_worker(&key);
        worker.worker_pool_id = self.intern_pool_id(&worker.worker_pool_id);
        worker.worker_group = self.intern_group(&worker.worker_pool_id, &worker.worker_group);
        worker.provider_id = self.intern_provider_id(&worker.provider_id);
        worker.seq = self.next_seq();
        let (pool, group, id) = (
            &worker.worker_pool_id,
            &worker.worker_group,
            &worker.worker_id,
        );
        let rec = worker.recency();
        self.pool_workers
            .entry(Arc::clone(pool))
            .or_default()
            .insert(rec, (Arc::clone(group), Arc::clone(id)));
        self.group_workers
            .entry(Arc::clone(pool))
            .or_default()
            .entry(Arc::clone(group))
            .or_default()
            .insert(rec, Arc::clone(id));
        self.count(&worker, true);
        self.workers.insert(Box::new(worker));
    }

    /// The stored copy of a provider id, shared by every worker of that provider (a deployment
    /// has a handful of providers; the list only grows).
    fn intern_provider_id(&mut self, id: &Arc<str>) -> Arc<str> {
        if let Some(shared) = self.provider_ids.iter().find(|p| ***p == **id) {
            return Arc::clone(shared);
        }
        self.provider_ids.push(Arc::clone(id));
        Arc::clone(id)
    }

    /// The stored copy of a worker group's name, shared by every worker of the group (one
    /// allocation per group instead of one per worker).
    fn intern_group(&self, pool: &Arc<str>, group: &Arc<str>) -> Arc<str> {
        self.group_workers
            .get(&**pool)
            .and_then(|groups| groups.get_key_value(&**group))
            .map_or_else(|| Arc::clone(group), |(g, _)| Arc::clone(g))
    }

    /// Changes a worker in place; the counters follow. Its ids, `created` and `seq` (what the
    /// table and the indexes find it by) must not change: they are put back if `f` changes them.
    pub fn update_worker<R>(
        &mut self,
        key: &WorkerKey,
        f: impl FnOnce(&mut Worker) -> R,
    ) -> Option<R> {
        // In place: the worker keeps its slot in the table and its index entries (recency and
        // ids do not change); only the counters follow.
        let worker = self.workers.get_mut(key)?;
        count(&mut self.counters, worker, false);
        let (created, seq) = (worker.created, worker.seq);
        let ids = (
            Arc::clone(&worker.worker_pool_id),
            Arc::clone(&worker.worker_group),
            Arc::clone(&worker.worker_id),
        );
        let out = f(worker);
        (worker.created, worker.seq) = (created, seq);
        (worker.worker_pool_id, worker.worker_group, worker.worker_id) = ids;
        count(&mut self.counters, worker, true);
        Some(out)
    }

    /// Deletes a worker (expiry purge, tests); the API itself only changes states.
    pub fn remove_worker(&mut self, key: &WorkerKey) -> Option<Worker> {
        let worker = self.workers.remove(key)?;
        self.count(&worker, false);
        let rec = worker.recency();
        if let Some(m) = self.pool_workers.get_mut(&key.worker_pool_id) {
            m.remove(&rec);
            if m.is_empty() {
                self.pool_workers.remove(&key.worker_pool_id);
            }
        }
        if let Some(groups) = self.group_workers.get_mut(&key.worker_pool_id) {
            if let Some(m) = groups.get_mut(&key.worker_group) {
                m.remove(&rec);
                if m.is_empty() {
                    groups.remove(&key.worker_group);
                }
            }
            if groups.is_empty() {
                self.group_workers.remove(&key.worker_pool_id);
            }
        }
        Some(*worker)
    }

    fn count(&mut self, w: &Worker, add: bool) {
        count(&mut self.counters, w, add);
    }

    /// Workers of a pool, newest first, as (group, id) (look each up with
    /// [`Store::worker_by_ids`]).
    pub fn pool_worker_index(&self, pool: &str) -> Option<&BTreeMap<Recency, GroupAndId>> {
        self.pool_workers.get(pool)
    }

    /// Workers of a pool's group, newest first, as ids.
    pub fn group_worker_index(
        &self,
        pool: &str,
        group: &str,
    ) -> Option<&BTreeMap<Recency, Arc<str>>> {
        self.group_workers.get(pool)?.get(group)
    }

    /// The worker with these ids (what the indexes give), without building a [`WorkerKey`].
    pub fn worker_by_ids(&self, pool: &str, group: &str, id: &str) -> Option<&Worker> {
        self.workers.get_by_ids((pool, group, id))
    }

    /// Every worker, in no particular order.
    pub fn all_workers(&self) -> impl Iterator<Item = &Worker> {
        self.workers.values()
    }

    /// The counters of a pool's workers per launch configuration.
    pub fn counters_by_launch_config(
        &self,
        pool: &str,
    ) -> Option<&BTreeMap<LaunchConfigKey, Counters>> {
        self.counters.get(pool)
    }

    /// The counters of all of a pool's workers.
    pub fn pool_counters(&self, pool: &str) -> Counters {
        let mut total = Counters::default();
        for c in self.counters.get(pool).into_iter().flat_map(|m| m.values()) {
            total.merge(c);
        }
        total
    }

    // ---- worker pool errors ----

    /// Stores an error.
    pub fn insert_error(&mut self, mut error: PoolError) {
        error.seq = self.next_seq();
        let rec = model::recency(error.reported, error.seq);
        self.errors
            .entry(error.worker_pool_id.clone())
            .or_default()
            .insert(rec, error);
    }

    /// A pool's errors, newest first.
    pub fn pool_errors(&self, pool: &str) -> Option<&BTreeMap<Recency, PoolError>> {
        self.errors.get(pool)
    }

    /// Every stored error.
    pub fn all_errors(&self) -> impl Iterator<Item = &PoolError> {
        self.errors.values().flat_map(|m| m.values())
    }

    /// Deletes errors reported before `cutoff` (upstream's 7-day cleanup).
    pub fn expire_errors(&mut self, cutoff: Millis) {
        for m in self.errors.values_mut() {
            m.retain(|_, e| e.reported >= cutoff);
        }
        self.errors.retain(|_, m| !m.is_empty());
    }

    // ---- launch configurations ----

    /// A pool's launch configurations by id.
    pub fn launch_configs(&self, pool: &str) -> Option<&BTreeMap<String, LaunchConfig>> {
        self.launch_configs.get(pool)
    }

    /// Replaces a pool's launch configurations.
    pub fn set_launch_configs(&mut self, pool: &str, configs: BTreeMap<String, LaunchConfig>) {
        if configs.is_empty() {
            self.launch_configs.remove(pool);
        } else {
            self.launch_configs.insert(pool.to_string(), configs);
        }
    }

    // ---- queue-side worker records ----

    /// Inserts or replaces a queue worker record.
    pub fn put_queue_worker(&mut self, w: QueueWorker) {
        let key = (
            w.worker_pool_id.clone(),
            w.worker_group.clone(),
            w.worker_id.clone(),
        );
        self.queue_workers.insert(key, w);
    }

    /// Queue worker records ordered by (pool, group, id).
    pub fn queue_workers(&self) -> &BTreeMap<(String, String, String), QueueWorker> {
        &self.queue_workers
    }

    /// Recounts everything from the workers: what the counters must equal (for invariant checks).
    pub fn recount(&self) -> FastMap<Arc<str>, BTreeMap<LaunchConfigKey, Counters>> {
        let mut out: FastMap<Arc<str>, BTreeMap<LaunchConfigKey, Counters>> = FastMap::default();
        for w in self.workers.values() {
            out.entry(w.worker_pool_id.clone())
                .or_default()
                .entry(w.launch_config_id.clone())
                .or_default()
                .apply(w.state, w.capacity, true);
        }
        out
    }

    /// Checks the store's invariants; `Err` names the first one broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        if self.recount() != self.counters {
            return Err("pool counters differ from a recount of the workers".into());
        }
        let indexed: usize = self.pool_workers.values().map(BTreeMap::len).sum();
        let grouped: usize = self
            .group_workers
            .values()
            .flat_map(|groups| groups.values())
            .map(BTreeMap::len)
            .sum();
        if indexed != self.workers.len() || grouped != self.workers.len() {
            return Err(format!(
                "indexes hold {indexed}/{grouped} entries for {} workers",
                self.workers.len()
            ));
        }
        for w in self.workers.values() {
            let in_pool = self
                .pool_worker_index(&w.worker_pool_id)
                .and_then(|m| m.get(&w.recency()))
                .is_some_and(|(g, i)| *g == w.worker_group && *i == w.worker_id);
            let in_group = self
                .group_worker_index(&w.worker_pool_id, &w.worker_group)
                .and_then(|m| m.get(&w.recency()))
                .is_some_and(|i| *i == w.worker_id);
            if !in_pool || !in_group {
                return Err(format!("worker {:?} missing from its indexes", w.key()));
            }
        }
        if self.pool_index.len() != self.pools.len() {
            return Err("a pool's index entry is missing or left over".into());
        }
        for (key, p) in &self.pools {
            if self.pool_index.get(&p.worker_pool_id).map(|i| &i.key) != Some(key) {
                return Err(format!("the index of {} is wrong", p.worker_pool_id));
            }
            let text = self.pool_config_text(&p.worker_pool_id).map(RawValue::get);
            if text != config_text(&p.config).as_deref().map(RawValue::get) {
                return Err(format!("the config text of {} is stale", p.worker_pool_id));
            }
        }
        Ok(())
    }
}

/// Counts `w` in (`add`) or out of `counters`, dropping entries that become empty.
fn count(
    counters: &mut FastMap<Arc<str>, BTreeMap<LaunchConfigKey, Counters>>,
    w: &Worker,
    add: bool,
) {
    let per_lc = counters.entry(w.worker_pool_id.clone()).or_default();
    let c = per_lc.entry(w.launch_config_id.clone()).or_default();
    c.apply(w.state, w.capacity, add);
    if c.is_empty() {
        per_lc.remove(&w.launch_config_id);
        if per_lc.is_empty() {
            counters.remove(&w.worker_pool_id);
        }
    }
}

/// `config` pretty-printed as a member of a top-level object: the pretty printer's text with
/// every line after the first indented one level (JSON text has no raw line breaks inside
/// strings, so every `\n` is a line break).
fn config_text(config: &serde_json::Value) -> Option<Box<RawValue>> {
    let text = serde_json::to_string_pretty(config).ok()?;
    RawValue::from_string(text.replace('\n', "\n  ")).ok()
}

#[cfg(test)]
mod tests {
    use super::model::{ProviderData, WorkerState};
    use super::*;
    use proptest::prelude::*;

    fn a_pool(id: &str, description: &str) -> WorkerPool {
        WorkerPool {
            worker_pool_id: Arc::from(id),
            provider_id: "static".into(),
            previous_provider_ids: Vec::new(),
            description: description.into(),
            config: serde_json::json!({}),
            owner: "o@example.com".into(),
            email_on_error: false,
            created: 1,
            last_modified: 1,
            provider_data: serde_json::json!({}),
        }
    }

    /// A remembered `workerPool` answer serves only the pool version and counters it showed.
    #[test]
    fn pool_answers_are_remembered_per_pool_version_and_counters() {
        let mut s = Store::new(Vec::new());
        s.put_pool(a_pool("p/a", "one"));
        let renders = std::cell::Cell::new(0);
        let answer = |s: &Store| {
            s.pool_answer("p/a", |pool, config, counters| {
                renders.set(renders.get() + 1);
                assert!(config.is_some(), "the config text comes along");
                let text = format!("{} {}", pool.description, counters.count[1]);
                Ok::<_, ()>(Bytes::from(text))
            })
            .map(|r| r.map(|b| String::from_utf8_lossy(&b).into_owned()))
        };
        let running = |id: &str| Worker::new("p/a", "g", id, "static", WorkerState::Running, 0);
        assert_eq!(answer(&s), Some(Ok("one 0".to_string())));
        assert_eq!(answer(&s), Some(Ok("one 0".to_string())));
        assert_eq!(renders.get(), 1);
        // Other counters: rendered again, and that answer is the one remembered now.
        s.insert_worker(running("w1"));
        assert_eq!(answer(&s), Some(Ok("one 1".to_string())));
        assert_eq!(answer(&s), Some(Ok("one 1".to_string())));
        s.remove_worker(&WorkerKey::new("p/a", "g", "w1"));
        assert_eq!(answer(&s), Some(Ok("one 0".to_string())));
        assert_eq!(renders.get(), 3);
        // A new version of the pool forgets it, and so does a copy of the store.
        s.put_pool(a_pool("p/a", "two"));
        assert_eq!(answer(&s), Some(Ok("two 0".to_string())));
        let copy = s.clone();
        assert_eq!(answer(&copy), Some(Ok("two 0".to_string())));
        assert_eq!(renders.get(), 5);
        // A remembered answer needs no render; a failed render is not remembered.
        let remembered = s.pool_answer("p/a", |_, _, _| Err::<Bytes, _>("no"));
        assert_eq!(remembered, Some(Ok(Bytes::from("two 0"))));
        s.put_pool(a_pool("p/a", "three"));
        assert_eq!(
            s.pool_answer("p/a", |_, _, _| Err::<Bytes, _>("no")),
            Some(Err("no"))
        );
        assert_eq!(answer(&s), Some(Ok("three 0".to_string())));
        assert_eq!(
            s.pool_answer("p/none", |_, _, _| Ok::<_, ()>(Bytes::new())),
            None
        );
        s.remove_pool("p/a");
        assert_eq!(answer(&s), None);
    }

    /// Workers of one pool share one copy of the pool id, of one group one copy of the group
    /// name and of one provider one copy of its id, whatever copies they were inserted with;
    /// removing the last worker of a group and inserting again still works.
    #[test]
    fn pool_ids_and_groups_are_interned() {
        let mut s = Store::default();
        let w = |g: &str, id: &str| Worker::new("p/q", g, id, "static", WorkerState::Running, 0);
        s.insert_worker(w("g1", "a"));
        s.insert_worker(w("g1", "b"));
        s.insert_worker(w("g2", "c"));
        let get = |s: &Store, g: &str, id: &str| s.worker(&WorkerKey::new("p/q", g, id)).cloned();
        let (a, b, c) = (
            get(&s, "g1", "a").unwrap(),
            get(&s, "g1", "b").unwrap(),
            get(&s, "g2", "c").unwrap(),
        );
        assert!(Arc::ptr_eq(&a.worker_group, &b.worker_group));
        assert!(!Arc::ptr_eq(&a.worker_group, &c.worker_group));
        assert!(Arc::ptr_eq(&a.worker_pool_id, &c.worker_pool_id));
        assert!(Arc::ptr_eq(&a.provider_id, &c.provider_id));
        assert_eq!(&*c.worker_group, "g2");
        let other = Worker::new("p/q", "g1", "e", "aws", WorkerState::Running, 0);
        s.insert_worker(other);
        let e = get(&s, "g1", "e").unwrap();
        assert_eq!(&*e.provider_id, "aws");
        assert!(!Arc::ptr_eq(&a.provider_id, &e.provider_id));
        s.remove_worker(&c.key());
        s.insert_worker(w("g2", "d"));
        assert_eq!(&*get(&s, "g2", "d").unwrap().worker_group, "g2");
        s.check_invariants().unwrap();
    }

    fn worker(
        pool: &str,
        id: u8,
        created: i64,
        state: WorkerState,
        capacity: u64,
        lc: Option<u8>,
    ) -> Worker {
        Worker {
            worker_pool_id: Arc::from(pool),
            worker_group: Arc::from("g"),
            worker_id: Arc::from(format!("w{id}")),
            provider_id: "static".into(),
            created,
            expires: 0,
            state,
            capacity,
            last_modified: 0,
            last_checked: 0,
            launch_config_id: lc.map(|l| format!("lc{l}")),
            secret: None,
            provider_data: ProviderData::default().into(),
            seq: 0,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u8, i64, usize, u64, Option<u8>),
        SetState(u8, u8, usize),
        SetCapacity(u8, u8, u64),
        Remove(u8, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (
                0u8..3,
                0u8..20,
                0i64..5,
                0usize..4,
                1u64..5,
                proptest::option::of(0u8..2)
            )
                .prop_map(|(p, i, c, s, cap, lc)| Op::Insert(p, i, c, s, cap, lc)),
            (0u8..3, 0u8..20, 0usize..4).prop_map(|(p, i, s)| Op::SetState(p, i, s)),
            (0u8..3, 0u8..20, 1u64..9).prop_map(|(p, i, c)| Op::SetCapacity(p, i, c)),
            (0u8..3, 0u8..20).prop_map(|(p, i)| Op::Remove(p, i)),
        ]
    }

    proptest! {
        /// Whatever the sequence of changes, the counters equal a recount and the indexes hold
        /// every worker exactly once.
        #[test]
        fn counters_and_indexes_stay_consistent(ops in proptest::collection::vec(op(), 0..200)) {
            let mut s = Store::new(Vec::new());
            let pool = |p: u8| format!("p{p}/x");
            for op in ops {
                match op {
                    Op::Insert(p, i, c, st, cap, lc) => {
                        s.insert_worker(worker(&pool(p), i, c, WorkerState::ALL[st], cap, lc))
                    }
                    Op::SetState(p, i, st) => {
                        s.update_worker(&WorkerKey::new(&pool(p), "g", &format!("w{i}")), |w| {
                            w.state = WorkerState::ALL[st]
                        });
                    }
                    Op::SetCapacity(p, i, c) => {
                        s.update_worker(&WorkerKey::new(&pool(p), "g", &format!("w{i}")), |w| {
                            w.capacity = c
                        });
                    }
                    Op::Remove(p, i) => {
                        s.remove_worker(&WorkerKey::new(&pool(p), "g", &format!("w{i}")));
                    }
                }
                prop_assert_eq!(s.check_invariants(), Ok(()));
            }
        }
    }

    #[test]
    fn pool_counters_sum_launch_configs() {
        let mut s = Store::new(Vec::new());
        s.insert_worker(worker("p/x", 1, 0, WorkerState::Running, 2, Some(1)));
        s.insert_worker(worker("p/x", 2, 0, WorkerState::Running, 3, None));
        s.insert_worker(worker("p/x", 3, 0, WorkerState::Stopped, 4, None));
        let c = s.pool_counters("p/x");
        assert_eq!(c.count, [0, 2, 0, 1]);
        assert_eq!(c.current_capacity(), 5);
        assert_eq!(
            s.counters_by_launch_config("p/x").map(BTreeMap::len),
            Some(2)
        );
    }
}

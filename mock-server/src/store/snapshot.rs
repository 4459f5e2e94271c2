//! A [`Snapshot`] of a [`Store`]: every record with its hidden fields (static secrets,
//! reregistration secrets, provider data), the providers and the sequence counter, as plain serde
//! data in a deterministic order. It is what [`crate::persist`] writes to a state file.
//!
//! This is the mock's own state, not an export: unlike [`crate::scenario::export`], nothing is
//! redacted, so a restored store still accepts the secrets it handed out (registerWorker with a
//! static secret, reregisterWorker with a reregistration secret).
//!
//! [`Snapshot::into_store`] rebuilds a store through the store's own insert functions, so the
//! indexes and counters are recomputed rather than trusted, and the sequence numbers (which order
//! records created in the same millisecond) come back exactly as they were.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::model::{LaunchConfig, PoolError, QueueWorker, Worker, WorkerPool};
use super::Store;
use crate::provider::{check_providers, Provider, ProviderConfigError};

/// Everything a [`Store`] holds, without its derived indexes and counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// The last sequence number handed out ([`Store::next_seq`] continues after it).
    pub seq: u64,
    /// The configured providers, in order (with their `setupFailed` flags).
    pub providers: Vec<Provider>,
    /// Worker pools, in list order.
    pub worker_pools: Vec<WorkerPool>,
    /// Workers with their hidden fields, by ascending sequence number.
    pub workers: Vec<Worker>,
    /// Worker pool errors, by ascending sequence number.
    pub worker_pool_errors: Vec<PoolError>,
    /// Launch configurations by pool id, then by launch configuration id.
    pub launch_configs: BTreeMap<String, BTreeMap<String, LaunchConfig>>,
    /// Queue-side worker records, ordered by (pool, group, id).
    pub queue_workers: Vec<QueueWorker>,
}

/// Why a [`Snapshot`] does not make a consistent [`Store`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The provider list is not one the service would start with.
    #[error("providers: {0}")]
    Providers(#[from] ProviderConfigError),
    /// Two pools with one id.
    #[error("worker pool `{0}` appears twice")]
    DuplicatePool(String),
    /// Two workers with one (pool, group, id).
    #[error("worker `{0}` appears twice")]
    DuplicateWorker(String),
    /// Two queue worker records with one (pool, group, id).
    #[error("queue worker `{0}` appears twice")]
    DuplicateQueueWorker(String),
    /// Sequence numbers must be unique, at least 1 and not beyond the saved counter.
    #[error("{what} has sequence number {seq}, but sequence numbers must be unique, from 1 up to the saved counter {counter}")]
    Sequence {
        /// The record (`worker p/x/g/w`, `error <errorId>`).
        what: String,
        /// Its sequence number.
        seq: u64,
        /// The saved counter.
        counter: u64,
    },
    /// The rebuilt store breaks an invariant ([`Store::check_invariants`]).
    #[error("the rebuilt state is inconsistent: {0}")]
    Invariant(String),
}

/// A worker or an error, to be inserted in sequence order.
enum Record {
    Worker(Worker),
    Error(PoolError),
}

impl Record {
    fn seq(&self) -> u64 {
        match self {
            Record::Worker(w) => w.seq,
            Record::Error(e) => e.seq,
        }
    }

    fn describe(&self) -> String {
        match self {
            Record::Worker(w) => format!("worker {}", worker_name(w)),
            Record::Error(e) => format!("error {}", e.error_id),
        }
    }
}

fn worker_name(w: &Worker) -> String {
    format!("{}/{}/{}", w.worker_pool_id, w.worker_group, w.worker_id)
}

impl Snapshot {
    /// Copies everything `store` holds. Deterministic: the same store gives an equal snapshot
    /// (and the same bytes once serialized).
    pub fn of(store: &Store) -> Snapshot {
        // Exhaustive on purpose: a new field of `Store` must be saved here or declared derived.
        let Store {
            pools,
            pool_index: _,
            provider_ids: _,
            workers,
            pool_workers: _,
            group_workers: _,
            counters: _,
            errors,
            launch_configs,
            queue_workers,
            providers,
            seq,
        } = store;
        let mut workers: Vec<Worker> = workers.values().cloned().collect();
        workers.sort_by_key(|w| w.seq);
        let mut errors: Vec<PoolError> =
            errors.values().flat_map(|m| m.values()).cloned().collect();
        errors.sort_by_key(|e| e.seq);
        Snapshot {
            seq: *seq,
            providers: providers.clone(),
            worker_pools: pools.values().cloned().collect(),
            workers,
            worker_pool_errors: errors,
            launch_configs: launch_configs
                .iter()
                .map(|(pool, configs)| (pool.clone(), configs.clone()))
                .collect(),
            queue_workers: queue_workers.values().cloned().collect(),
        }
    }

    /// Rebuilds the store: records go in through the store's insert functions (so indexes and
    /// counters are recomputed), workers and errors in sequence order with their saved sequence
    /// numbers, then the counter is set to the saved one. Duplicates, impossible sequence numbers
    /// and broken invariants are refused.
    pub fn into_store(self) -> Result<Store, SnapshotError> {
        check_providers(&self.providers)?;
        let counter = self.seq;
        let mut store = Store::new(self.providers);
        for pool in self.worker_pools {
            if store.pool(&pool.worker_pool_id).is_some() {
                return Err(SnapshotError::DuplicatePool(
                    pool.worker_pool_id.to_string(),
                ));
            }
            store.put_pool(pool);
        }
        let mut records: Vec<Record> = self
            .workers
            .into_iter()
            .map(Record::Worker)
            .chain(self.worker_pool_errors.into_iter().map(Record::Error))
            .collect();
        records.sort_by_key(Record::seq);
        let mut last = 0;
        for record in records {
            let seq = record.seq();
            if seq <= last || seq > counter {
                return Err(SnapshotError::Sequence {
                    what: record.describe(),
                    seq,
                    counter,
                });
            }
            // The insert functions take the next number: make it this record's own.
            store.seq = seq - 1;
            match record {
                Record::Worker(worker) => {
                    if store.worker(&worker.key()).is_some() {
                        return Err(SnapshotError::DuplicateWorker(worker_name(&worker)));
                    }
                    store.insert_worker(worker);
                }
                Record::Error(error) => store.insert_error(error),
            }
            last = seq;
        }
        store.seq = counter;
        for (pool, configs) in self.launch_configs {
            store.set_launch_configs(&pool, configs);
        }
        let mut queue_keys = HashSet::new();
        for q in self.queue_workers {
            let key = (
                q.worker_pool_id.clone(),
                q.worker_group.clone(),
                q.worker_id.clone(),
            );
            if !queue_keys.insert(key) {
                return Err(SnapshotError::DuplicateQueueWorker(format!(
                    "{}/{}/{}",
                    q.worker_pool_id, q.worker_group, q.worker_id
                )));
            }
            store.put_queue_worker(q);
        }
        store.check_invariants().map_err(SnapshotError::Invariant)?;
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::WorkerState;
    use super::*;
    use crate::provider::default_providers;
    use serde_json::json;
    use std::sync::Arc;

    fn pool(id: &str) -> WorkerPool {
        WorkerPool {
            worker_pool_id: Arc::from(id),
            provider_id: "static".into(),
            previous_provider_ids: Vec::new(),
            description: String::new(),
            config: json!({}),
            owner: "o@example.com".into(),
            email_on_error: false,
            created: 1,
            last_modified: 1,
            provider_data: json!({}),
        }
    }

    fn error(id: &str, pool: &str, reported: i64) -> PoolError {
        PoolError {
            error_id: id.into(),
            worker_pool_id: pool.into(),
            reported,
            kind: "k".into(),
            title: "t".into(),
            description: "d".into(),
            extra: json!({}),
            launch_config_id: None,
            seq: 0,
        }
    }

    fn populated() -> Store {
        let mut s = Store::new(default_providers());
        s.put_pool(pool("p/a"));
        s.put_pool(pool("p/b"));
        // Same creation time: only the sequence numbers order these.
        for i in 0..5 {
            let mut w = Worker::new(
                "p/a",
                "g",
                &format!("w{i}"),
                "static",
                WorkerState::Running,
                7,
            );
            w.provider_data.static_secret = Some(format!("secret-{i}"));
            s.insert_worker(w);
            s.insert_error(error(&format!("e{i}"), "p/a", 7));
        }
        s.update_worker(
            &super::super::model::WorkerKey::new("p/a", "g", "w1"),
            |w| {
                w.state = WorkerState::Stopped;
                w.secret = Some("rereg".into());
            },
        );
        s.remove_worker(&super::super::model::WorkerKey::new("p/a", "g", "w3"));
        s.next_seq();
        s
    }

    #[test]
    fn round_trip_keeps_records_order_and_counter() {
        let original = populated();
        let snapshot = Snapshot::of(&original);
        let json = serde_json::to_vec(&snapshot).expect("encodes");
        let decoded: Snapshot = serde_json::from_slice(&json).expect("decodes");
        assert_eq!(decoded, snapshot);
        let mut restored = decoded.into_store().expect("rebuilds");
        assert_eq!(restored.check_invariants(), Ok(()));
        assert_eq!(Snapshot::of(&restored), snapshot);
        let order = |s: &Store| -> Vec<_> {
            s.pool_worker_index("p/a")
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default()
        };
        assert_eq!(order(&restored), order(&original));
        assert_eq!(restored.pool_counters("p/a"), original.pool_counters("p/a"));
        let mut original = original;
        assert_eq!(restored.next_seq(), original.next_seq());
    }

    #[test]
    fn duplicates_and_bad_sequence_numbers_are_refused() {
        let mut snapshot = Snapshot::of(&populated());
        let mut dup = snapshot.clone();
        dup.worker_pools.push(pool("p/a"));
        assert_eq!(
            dup.into_store().err(),
            Some(SnapshotError::DuplicatePool("p/a".into()))
        );
        let mut dup = snapshot.clone();
        let mut w = dup.workers[0].clone();
        w.seq = dup.seq + 1;
        dup.seq += 1;
        dup.workers.push(w);
        assert!(matches!(
            dup.into_store(),
            Err(SnapshotError::DuplicateWorker(_))
        ));
        snapshot.seq = 3;
        assert!(matches!(
            snapshot.into_store(),
            Err(SnapshotError::Sequence { .. })
        ));
    }
}

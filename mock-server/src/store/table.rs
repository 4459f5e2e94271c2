//! The store's table of workers: each worker boxed once and found by its key, with the key read
//! from the worker itself. A `HashMap<WorkerKey, Box<Worker>>` slot held the three shared ids a
//! second time (48 bytes) beside the pointer; here a slot is the pointer alone, which saves about
//! 70 bytes per stored worker once the table's spare slots are counted (issue 9).

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};

use super::model::{Worker, WorkerKey};

/// Workers by (pool, group, id).
#[derive(Debug, Clone, Default)]
pub struct WorkerTable {
    table: HashTable<Box<Worker>>,
    hasher: foldhash::fast::RandomState,
}

fn parts(w: &Worker) -> (&str, &str, &str) {
    (&w.worker_pool_id, &w.worker_group, &w.worker_id)
}

fn key_parts(k: &WorkerKey) -> (&str, &str, &str) {
    (&k.worker_pool_id, &k.worker_group, &k.worker_id)
}

impl WorkerTable {
    fn hash(&self, parts: (&str, &str, &str)) -> u64 {
        self.hasher.hash_one(parts)
    }

    /// The worker with `key`.
    pub fn get(&self, key: &WorkerKey) -> Option<&Worker> {
        self.get_by_ids(key_parts(key))
    }

    /// The worker with these (pool, group, id).
    pub fn get_by_ids(&self, want: (&str, &str, &str)) -> Option<&Worker> {
        self.table
            .find(self.hash(want), |w| parts(w) == want)
            .map(|w| &**w)
    }

    /// The worker with `key`, to change in place. The caller must not change its ids (the table
    /// finds it by them).
    pub fn get_mut(&mut self, key: &WorkerKey) -> Option<&mut Worker> {
        let want = key_parts(key);
        let hash = self.hash(want);
        self.table
            .find_mut(hash, |w| parts(w) == want)
            .map(|w| &mut **w)
    }

    /// Stores `worker`, giving back the one it replaces (same key), if any.
    pub fn insert(&mut self, worker: Box<Worker>) -> Option<Box<Worker>> {
        let hash = self.hash(parts(&worker));
        let hasher = &self.hasher;
        let entry = self.table.entry(
            hash,
            |w| parts(w) == parts(&worker),
            |w| hasher.hash_one(parts(w)),
        );
        match entry {
            Entry::Occupied(mut o) => Some(std::mem::replace(o.get_mut(), worker)),
            Entry::Vacant(v) => {
                v.insert(worker);
                None
            }
        }
    }

    /// Takes the worker with `key` out.
    pub fn remove(&mut self, key: &WorkerKey) -> Option<Box<Worker>> {
        let want = key_parts(key);
        let hash = self.hash(want);
        match self.table.find_entry(hash, |w| parts(w) == want) {
            Ok(o) => Some(o.remove().0),
            Err(_) => None,
        }
    }

    /// How many workers it holds.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every worker, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Worker> {
        self.table.iter().map(|w| &**w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::WorkerState;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn worker(pool: &str, group: &str, id: &str, capacity: u64) -> Box<Worker> {
        let mut w = Worker::new(pool, group, id, "static", WorkerState::Running, 0);
        w.capacity = capacity;
        Box::new(w)
    }

    proptest! {
        /// The table does what a HashMap keyed by WorkerKey does, for any mix of inserts
        /// (replacing or new), removals and lookups over a small key space (so keys repeat, and
        /// keys differing in one part only meet).
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec(
            (0u8..3, 0u8..2, 0u8..2, 0u8..3, 1u64..5), 0..200)) {
            let mut table = WorkerTable::default();
            let mut model: HashMap<WorkerKey, u64> = HashMap::new();
            for (op, p, g, i, cap) in ops {
                let (p, g, i) = (format!("p{p}"), format!("g{g}"), format!("w{i}"));
                let key = WorkerKey::new(&p, &g, &i);
                match op {
                    0 => {
                        let old = table.insert(worker(&p, &g, &i, cap)).map(|w| w.capacity);
                        prop_assert_eq!(old, model.insert(key, cap));
                    }
                    1 => {
                        let old = table.remove(&key).map(|w| w.capacity);
                        prop_assert_eq!(old, model.remove(&key));
                    }
                    _ => {
                        let got = table.get(&key).map(|w| w.capacity);
                        prop_assert_eq!(got, model.get(&key).copied());
                        let by_ids = table.get_by_ids((&p, &g, &i)).map(|w| w.capacity);
                        prop_assert_eq!(by_ids, got);
                        if let Some(w) = table.get_mut(&key) {
                            w.capacity += 1;
                            model.entry(key.clone()).and_modify(|c| *c += 1);
                        }
                    }
                }
                prop_assert_eq!(table.len(), model.len());
            }
            let mut seen: Vec<(WorkerKey, u64)> =
                table.values().map(|w| (w.key(), w.capacity)).collect();
            let mut want: Vec<(WorkerKey, u64)> = model.into_iter().collect();
            seen.sort();
            want.sort();
            prop_assert_eq!(seen, want);
        }
    }
}

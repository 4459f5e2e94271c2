//! The records the mock keeps: worker pools, workers, worker pool errors, launch configurations
//! and queue-side worker records. Hidden fields (secrets, provider data) are kept here but never
//! rendered by the API.

use std::cmp::Reverse;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Millis;

/// Orders records newest first: (time descending, insertion sequence descending).
pub type Recency = (Reverse<Millis>, Reverse<u64>);

/// Builds a [`Recency`] key.
pub fn recency(time: Millis, seq: u64) -> Recency {
    (Reverse(time), Reverse(seq))
}

/// A worker pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerPool {
    /// `<provisionerId>/<workerType>`.
    pub worker_pool_id: Arc<str>,
    /// The current provider (`null-provider` once deleted).
    pub provider_id: String,
    /// Providers this pool used before; workers they started may still register.
    #[serde(default)]
    pub previous_provider_ids: Vec<String>,
    /// Free text.
    pub description: String,
    /// Provider configuration, as stored (defaults applied; cloud `launchConfigs` kept apart).
    pub config: Value,
    /// E-mail of the owner.
    pub owner: String,
    /// Whether errors are e-mailed to the owner.
    pub email_on_error: bool,
    /// Creation time.
    pub created: Millis,
    /// Last change.
    pub last_modified: Millis,
    /// Hidden provider data (the testing provider's `allowCreateWorker`/`allowUpdateWorker`).
    #[serde(default)]
    pub provider_data: Value,
}

/// The state of a worker as worker-manager knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerState {
    /// Being started by a cloud provider.
    Requested,
    /// Registered (or static) and working.
    Running,
    /// Being shut down.
    Stopping,
    /// Gone; kept until it expires.
    Stopped,
}

impl WorkerState {
    /// All states, in counter order.
    pub const ALL: [WorkerState; 4] = [
        WorkerState::Requested,
        WorkerState::Running,
        WorkerState::Stopping,
        WorkerState::Stopped,
    ];

    /// The wire form (`running`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerState::Requested => "requested",
            WorkerState::Running => "running",
            WorkerState::Stopping => "stopping",
            WorkerState::Stopped => "stopped",
        }
    }

    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<WorkerState> {
        WorkerState::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

/// Hidden, provider-specific data of a worker (never returned by the API).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderData {
    /// Static workers: the secret `registerWorker` must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_secret: Option<String>,
    /// Cloud workers: credential lifetime after reregistration, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reregistration_timeout_ms: Option<Millis>,
    /// Cloud and testing workers: the configuration handed out at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_config: Option<Value>,
    /// Cloud workers: when the provider would terminate the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate_after: Option<Millis>,
    /// The scanner's decision for shouldWorkerTerminate: `(terminate, reason)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_terminate: Option<(bool, String)>,
    /// Testing provider: removeWorker is allowed for this worker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_remove_worker: bool,
    /// Testing provider: registerWorker fails with this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_register: Option<String>,
}

/// The empty [`ProviderData`]: what a worker without any reads as.
static NO_PROVIDER_DATA: ProviderData = ProviderData {
    static_secret: None,
    reregistration_timeout_ms: None,
    worker_config: None,
    terminate_after: None,
    should_terminate: None,
    allow_remove_worker: false,
    fail_register: None,
};

/// A worker's [`ProviderData`], boxed and only when there is some: most stored workers carry
/// none (or, once stopped, no longer need theirs), and an empty set then costs one pointer instead
/// of ~150 bytes in every worker. Reads go through `Deref` (an empty set when there is none);
/// writes through `DerefMut`, which allocates on first use. Serializes as the [`ProviderData`].
#[derive(Debug, Clone, Default)]
pub struct HiddenData(Option<Box<ProviderData>>);

impl HiddenData {
    /// Forgets the static secret, freeing the box when nothing else is left in it.
    pub fn forget_static_secret(&mut self) {
        if let Some(d) = &mut self.0 {
            d.static_secret = None;
            if **d == NO_PROVIDER_DATA {
                self.0 = None;
            }
        }
    }

    /// Whether the data is held in a box of its own (for tests of the memory layout).
    pub fn is_boxed(&self) -> bool {
        self.0.is_some()
    }
}

impl From<ProviderData> for HiddenData {
    fn from(d: ProviderData) -> HiddenData {
        if d == NO_PROVIDER_DATA {
            HiddenData(None)
        } else {
            HiddenData(Some(Box::new(d)))
        }
    }
}

impl std::ops::Deref for HiddenData {
    type Target = ProviderData;

    fn deref(&self) -> &ProviderData {
        self.0.as_deref().unwrap_or(&NO_PROVIDER_DATA)
    }
}

impl std::ops::DerefMut for HiddenData {
    fn deref_mut(&mut self) -> &mut ProviderData {
        self.0.get_or_insert_with(Default::default)
    }
}

/// Equal when the data read the same, boxed or not.
impl PartialEq for HiddenData {
    fn eq(&self, other: &HiddenData) -> bool {
        **self == **other
    }
}

impl Serialize for HiddenData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for HiddenData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HiddenData, D::Error> {
        ProviderData::deserialize(d).map(HiddenData::from)
    }
}

/// A worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worker {
    /// Pool the worker belongs to (the pool may no longer exist).
    pub worker_pool_id: Arc<str>,
    /// Worker group.
    pub worker_group: Arc<str>,
    /// Worker id within the group.
    pub worker_id: Arc<str>,
    /// Provider that started it (shared by the store's workers of that provider).
    pub provider_id: Arc<str>,
    /// Creation time.
    pub created: Millis,
    /// When the record expires.
    pub expires: Millis,
    /// Current state.
    pub state: WorkerState,
    /// Tasks it can run at once (≥ 1).
    pub capacity: u64,
    /// Last state change (as upstream sets it).
    pub last_modified: Millis,
    /// Last check by the (absent) scanner.
    pub last_checked: Millis,
    /// Launch configuration it was started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_config_id: Option<String>,
    /// The current reregistration secret (hidden).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Hidden provider data.
    #[serde(default)]
    pub provider_data: HiddenData,
    /// Insertion sequence: orders workers created in the same millisecond.
    #[serde(default)]
    pub seq: u64,
}

impl Worker {
    /// A worker with the usual defaults, as a provisioner (or a test seeding the store) would
    /// create it: capacity 1, created and checked `now`, expiring 30 days later, no launch config,
    /// no secrets.
    pub fn new(
        pool: &str,
        group: &str,
        id: &str,
        provider_id: &str,
        state: WorkerState,
        now: Millis,
    ) -> Worker {
        Worker {
            worker_pool_id: Arc::from(pool),
            worker_group: Arc::from(group),
            worker_id: Arc::from(id),
            provider_id: Arc::from(provider_id),
            created: now,
            expires: now + 30 * crate::time::DAY,
            state,
            capacity: 1,
            last_modified: now,
            last_checked: now,
            launch_config_id: None,
            secret: None,
            provider_data: HiddenData::default(),
            seq: 0,
        }
    }

    /// The key of this worker.
    pub fn key(&self) -> WorkerKey {
        WorkerKey {
            worker_pool_id: self.worker_pool_id.clone(),
            worker_group: self.worker_group.clone(),
            worker_id: self.worker_id.clone(),
        }
    }

    /// Its position in newest-first lists.
    pub fn recency(&self) -> Recency {
        recency(self.created, self.seq)
    }
}

/// Identifies a worker: (pool, group, id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerKey {
    /// Pool id.
    pub worker_pool_id: Arc<str>,
    /// Group.
    pub worker_group: Arc<str>,
    /// Id.
    pub worker_id: Arc<str>,
}

impl WorkerKey {
    /// Builds a key from borrowed parts.
    pub fn new(pool: &str, group: &str, id: &str) -> WorkerKey {
        WorkerKey {
            worker_pool_id: Arc::from(pool),
            worker_group: Arc::from(group),
            worker_id: Arc::from(id),
        }
    }
}

/// An error reported for a worker pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolError {
    /// Slugid of the error.
    pub error_id: String,
    /// The pool it was reported for.
    pub worker_pool_id: String,
    /// When it was reported.
    pub reported: Millis,
    /// Machine-readable kind.
    pub kind: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: String,
    /// Extra structured data (with `workerGroup` and `workerId` added).
    pub extra: Value,
    /// Launch configuration of the reporting worker, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_config_id: Option<String>,
    /// Insertion sequence.
    #[serde(default)]
    pub seq: u64,
}

/// A launch configuration of a cloud worker pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchConfig {
    /// Its id (given, or derived from its content).
    pub launch_config_id: String,
    /// Its pool.
    pub worker_pool_id: String,
    /// Archived configs are no longer used but still listed with `includeArchived=true`.
    pub is_archived: bool,
    /// The configuration, `workerManager.launchConfigId` filled in.
    pub configuration: Value,
    /// Creation time.
    pub created: Millis,
    /// Last change.
    pub last_modified: Millis,
}

/// One run of a task, as the queue records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRun {
    /// Slugid of the task.
    pub task_id: String,
    /// Run number.
    pub run_id: u32,
}

/// A queue-side worker record (what `queue.claimWork` would create): the source of the legacy
/// listWorkers / getWorker views.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueWorker {
    /// Task queue id (= worker pool id).
    pub worker_pool_id: String,
    /// Worker group.
    pub worker_group: String,
    /// Worker id.
    pub worker_id: String,
    /// When the queue forgets the worker.
    pub expires: Millis,
    /// First claim.
    pub first_claim: Millis,
    /// Quarantined until (in the past when not quarantined).
    pub quarantine_until: Millis,
    /// Quarantine history.
    #[serde(default)]
    pub quarantine_details: Vec<Value>,
    /// Last claims, oldest first.
    #[serde(default)]
    pub recent_tasks: Vec<TaskRun>,
    /// Last activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_date_active: Option<Millis>,
}

/// The nine counters of a worker pool, for one set of workers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Workers per state, in [`WorkerState::ALL`] order.
    pub count: [u64; 4],
    /// Capacity per state, in [`WorkerState::ALL`] order.
    pub capacity: [u64; 4],
}

impl Counters {
    fn slot(state: WorkerState) -> usize {
        state as usize
    }

    /// Counts a worker in (`add`) or out (`!add`).
    pub fn apply(&mut self, state: WorkerState, capacity: u64, add: bool) {
        let i = Self::slot(state);
        if add {
            self.count[i] = self.count[i].saturating_add(1);
            self.capacity[i] = self.capacity[i].saturating_add(capacity);
        } else {
            self.count[i] = self.count[i].saturating_sub(1);
            self.capacity[i] = self.capacity[i].saturating_sub(capacity);
        }
    }

    /// Adds another set.
    pub fn merge(&mut self, other: &Counters) {
        for i in 0..4 {
            self.count[i] = self.count[i].saturating_add(other.count[i]);
            self.capacity[i] = self.capacity[i].saturating_add(other.capacity[i]);
        }
    }

    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        self.count.iter().all(|c| *c == 0)
    }

    /// Capacity of all workers that are not stopped.
    pub fn current_capacity(&self) -> u64 {
        self.capacity[..3]
            .iter()
            .fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// The counters as the API's nine fields.
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("currentCapacity".into(), self.current_capacity().into());
        for (i, s) in WorkerState::ALL.iter().enumerate() {
            m.insert(format!("{}Count", s.as_str()), self.count[i].into());
            m.insert(format!("{}Capacity", s.as_str()), self.capacity[i].into());
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_data_boxes_only_what_is_there() {
        let empty = HiddenData::default();
        assert!(!empty.is_boxed());
        assert_eq!(*empty, ProviderData::default());
        assert!(!HiddenData::from(ProviderData::default()).is_boxed());
        // Writing to an empty one boxes it.
        let mut d = HiddenData::from(ProviderData::default());
        d.static_secret = Some("s".into());
        d.allow_remove_worker = true;
        assert!(d.is_boxed());
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(text, serde_json::to_string(&*d).unwrap());
        let back: HiddenData = serde_json::from_str(&text).unwrap();
        assert_eq!(back, d);
        // Forgetting the secret keeps the rest; the box goes once nothing is left.
        d.forget_static_secret();
        assert!(d.is_boxed() && d.allow_remove_worker && d.static_secret.is_none());
        d.allow_remove_worker = false;
        d.forget_static_secret();
        assert!(!d.is_boxed());
        assert_eq!(d, HiddenData::default());
        let none: HiddenData = serde_json::from_str("{}").unwrap();
        assert!(!none.is_boxed());
        assert!(
            std::mem::size_of::<Worker>() <= 192,
            "{}",
            std::mem::size_of::<Worker>()
        );
    }
}

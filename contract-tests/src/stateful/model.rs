//! The reference model: what a worker-manager must hold after a sequence of [`Op`]s, and what it
//! must answer to each. Pools are created with a static provider; deleting one moves it to
//! `null-provider` (it stays readable); workers are static (created `running`, removed to
//! `stopped`, registered with their current secret).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;
use serde_json::Value;

use super::exec::Exchange;
use super::op::{Namespace, Op};

/// The provider a deleted pool moves to.
pub const NULL_PROVIDER: &str = "null-provider";

/// A worker as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerModel {
    /// `running` (true) or `stopped`.
    pub running: bool,
    /// Its capacity.
    pub capacity: u32,
    /// The number of its current static secret.
    pub secret: u8,
}

/// A pool as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolModel {
    /// Its description number.
    pub desc: u8,
    /// Deleted (at `null-provider`).
    pub deleted: bool,
    /// Its workers by number.
    pub workers: BTreeMap<u8, WorkerModel>,
    /// Errors reported for it.
    pub errors: usize,
}

/// The reference state: pools by number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// Pools by number.
    pub pools: BTreeMap<u8, PoolModel>,
}

/// A difference between the server and the model on one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The index of the exchange (within the operation's exchanges) that differs.
    pub exchange: usize,
    /// What the model expected.
    pub expected: String,
    /// What the server answered.
    pub found: String,
}

/// What the model expects as the answer's status and error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// HTTP status.
    pub status: u16,
    /// The error code of an error answer.
    pub code: Option<&'static str>,
}

const OK: Expected = Expected {
    status: 200,
    code: None,
};
const NOT_FOUND: Expected = Expected {
    status: 404,
    code: Some("ResourceNotFound"),
};
const CONFLICT: Expected = Expected {
    status: 409,
    code: Some("RequestConflict"),
};
const INPUT: Expected = Expected {
    status: 400,
    code: Some("InputError"),
};

impl Model {
    /// The status and code the server must answer `op` with in this state.
    pub fn expect(&self, op: &Op) -> Expected {
        let pool = |p: u8| self.pools.get(&p);
        match *op {
            Op::CreatePool { pool: p, desc } => match pool(p) {
                None => OK,
                Some(m) if !m.deleted && m.desc == desc => OK,
                Some(_) => CONFLICT,
            },
            Op::UpdatePool { pool: p, .. }
            | Op::GetPool { pool: p }
            | Op::DeletePool { pool: p } => {
                if pool(p).is_some() {
                    OK
                } else {
                    NOT_FOUND
                }
            }
            Op::ListPools { .. } | Op::ListErrors { .. } => OK,
            Op::CreateWorker {
                pool: p,
                worker: w,
                capacity,
                ..
            } => match pool(p) {
                None => NOT_FOUND,
                Some(m) if m.deleted => INPUT,
                Some(m) => match m.workers.get(&w) {
                    Some(wm) if !(wm.running && wm.capacity == capacity) => CONFLICT,
                    _ => OK,
                },
            },
            Op::UpdateWorker {
                pool: p, worker: w, ..
            } => match pool(p) {
                None => NOT_FOUND,
                Some(m) if !m.workers.contains_key(&w) => NOT_FOUND,
                Some(m) if m.deleted => INPUT,
                Some(_) => OK,
            },
            Op::GetWorker { pool: p, worker: w } | Op::RemoveWorker { pool: p, worker: w } => {
                if pool(p).is_some_and(|m| m.workers.contains_key(&w)) {
                    OK
                } else {
                    NOT_FOUND
                }
            }
            Op::ListWorkers { pool: p, .. } | Op::ReportError { pool: p, .. } => {
                if pool(p).is_some() {
                    OK
                } else {
                    NOT_FOUND
                }
            }
            Op::RegisterWorker {
                pool: p,
                worker: w,
                secret,
            } => match pool(p).map(|m| m.workers.get(&w)) {
                None | Some(None) => NOT_FOUND,
                Some(Some(wm)) if !wm.running || wm.secret != secret => INPUT,
                Some(Some(_)) => OK,
            },
        }
    }

    /// The state after `op` (applied as the server must apply it).
    pub fn after(mut self, op: &Op) -> Model {
        if self.expect(op).status != 200 {
            return self;
        }
        match *op {
            Op::CreatePool { pool, desc } => {
                self.pools.entry(pool).or_insert(PoolModel {
                    desc,
                    deleted: false,
                    workers: BTreeMap::new(),
                    errors: 0,
                });
            }
            Op::UpdatePool { pool, desc } => {
                if let Some(m) = self.pools.get_mut(&pool) {
                    m.desc = desc;
                    m.deleted = false;
                }
            }
            Op::DeletePool { pool } => {
                if let Some(m) = self.pools.get_mut(&pool) {
                    m.deleted = true;
                }
            }
            Op::CreateWorker {
                pool,
                worker,
                capacity,
                secret,
            } => {
                if let Some(m) = self.pools.get_mut(&pool) {
                    m.workers.entry(worker).or_insert(WorkerModel {
                        running: true,
                        capacity,
                        secret,
                    });
                }
            }
            Op::UpdateWorker {
                pool,
                worker,
                capacity,
                secret,
            } => {
                if let Some(w) = self
                    .pools
                    .get_mut(&pool)
                    .and_then(|m| m.workers.get_mut(&worker))
                {
                    w.capacity = capacity;
                    w.secret = secret;
                }
            }
            Op::RemoveWorker { pool, worker } => {
                if let Some(w) = self
                    .pools
                    .get_mut(&pool)
                    .and_then(|m| m.workers.get_mut(&worker))
                {
                    w.running = false;
                }
            }
            Op::ReportError { pool, .. } => {
                if let Some(m) = self.pools.get_mut(&pool) {
                    m.errors += 1;
                }
            }
            Op::GetPool { .. }
            | Op::ListPools { .. }
            | Op::GetWorker { .. }
            | Op::ListWorkers { .. }
            | Op::RegisterWorker { .. }
            | Op::ListErrors { .. } => {}
        }
        self
    }

    /// Checks the server's exchanges for `op` (this model being the state before it).
    pub fn verify(&self, ns: &Namespace, op: &Op, exchanges: &[Exchange]) -> Result<(), Mismatch> {
        let expected = self.expect(op);
        let mismatch = |i: usize, e: String, f: String| Mismatch {
            exchange: i,
            expected: e,
            found: f,
        };
        for (i, x) in exchanges.iter().enumerate() {
            let r = match &x.response {
                Ok(r) => r,
                Err(e) => {
                    return Err(mismatch(
                        i,
                        format!("status {}", expected.status),
                        e.clone(),
                    ))
                }
            };
            let code = r
                .json()
                .and_then(|b| b.get("code").and_then(Value::as_str).map(str::to_string));
            if r.status != expected.status
                || (expected.code.is_some() && code.as_deref() != expected.code)
            {
                let show = |status: u16, code: Option<&str>| match code {
                    Some(c) => format!("status {status} {c}"),
                    None => format!("status {status}"),
                };
                return Err(mismatch(
                    i,
                    show(expected.status, expected.code),
                    show(r.status, code.as_deref()),
                ));
            }
        }
        if expected.status != 200 {
            return Ok(());
        }
        let after = self.clone().after(op);
        let bodies: Vec<Value> = exchanges
            .iter()
            .map(|x| x.json().unwrap_or(Value::Null))
            .collect();
        let last = bodies.len().saturating_sub(1);
        let field = |b: &Value, k: &str| b.get(k).cloned().unwrap_or(Value::Null);
        match *op {
            Op::CreatePool { pool, .. }
            | Op::UpdatePool { pool, .. }
            | Op::GetPool { pool }
            | Op::DeletePool { pool } => {
                let m = &after.pools[&pool];
                let want = pool_fields(ns, m);
                let got = &bodies[0];
                for (k, v) in &want {
                    if &field(got, k) != v {
                        return Err(mismatch(
                            0,
                            format!("{k} {v}"),
                            format!("{k} {}", field(got, k)),
                        ));
                    }
                }
                if matches!(op, Op::GetPool { .. }) {
                    for (k, v) in counters(m) {
                        if field(got, k).as_u64() != Some(v) {
                            return Err(mismatch(
                                0,
                                format!("{k} {v} (from the pool's workers)"),
                                format!("{k} {}", field(got, k)),
                            ));
                        }
                    }
                }
            }
            Op::ListPools { limit } => {
                let items = page_items(&bodies, "workerPools", limit)
                    .map_err(|(i, f)| mismatch(i, format!("pages of at most {limit} items"), f))?;
                let mut seen = BTreeMap::new();
                for item in &items {
                    let id = item
                        .get("workerPoolId")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if let Some(n) = ns.pool_number(id) {
                        *seen.entry(n).or_insert(0usize) += 1;
                        let m = &after.pools.get(&n);
                        if let Some(m) = m {
                            for (k, v) in pool_fields(ns, m) {
                                if field(item, k) != v {
                                    return Err(mismatch(
                                        last,
                                        format!("{id}: {k} {v}"),
                                        format!("{id}: {k} {}", field(item, k)),
                                    ));
                                }
                            }
                        }
                    }
                }
                // A deployment with more pools than MAX_PAGES pages hold: the walk was cut short,
                // so only repeats and wrong fields can be judged.
                let cut = bodies
                    .last()
                    .is_some_and(|b| b.get("continuationToken").is_some());
                let want: BTreeSet<u8> = if cut {
                    seen.keys().copied().collect()
                } else {
                    after.pools.keys().copied().collect()
                };
                exactly_once(&seen, &want, |n| ns.pool_id(n))
                    .map_err(|(e, f)| mismatch(last, e, f))?;
            }
            Op::CreateWorker { pool, worker, .. }
            | Op::UpdateWorker { pool, worker, .. }
            | Op::GetWorker { pool, worker } => {
                let w = &after.pools[&pool].workers[&worker];
                let got = &bodies[0];
                for (k, v) in worker_fields(w) {
                    if field(got, k) != v {
                        return Err(mismatch(
                            0,
                            format!("{k} {v}"),
                            format!("{k} {}", field(got, k)),
                        ));
                    }
                }
            }
            Op::ListWorkers { pool, limit } => {
                let items = page_items(&bodies, "workers", limit)
                    .map_err(|(i, f)| mismatch(i, format!("pages of at most {limit} items"), f))?;
                let m = &after.pools[&pool];
                let mut seen = BTreeMap::new();
                for item in &items {
                    let id = item.get("workerId").and_then(Value::as_str).unwrap_or("");
                    let n = Namespace::worker_number(id).unwrap_or(u8::MAX);
                    *seen.entry(n).or_insert(0usize) += 1;
                    if let Some(w) = m.workers.get(&n) {
                        for (k, v) in worker_fields(w) {
                            if field(item, k) != v {
                                return Err(mismatch(
                                    last,
                                    format!("worker {id}: {k} {v}"),
                                    format!("worker {id}: {k} {}", field(item, k)),
                                ));
                            }
                        }
                    }
                }
                let want: BTreeSet<u8> = m.workers.keys().copied().collect();
                exactly_once(&seen, &want, |n| {
                    if n == u8::MAX {
                        "an unknown worker".into()
                    } else {
                        Namespace::worker_id(n)
                    }
                })
                .map_err(|(e, f)| mismatch(last, e, f))?;
            }
            Op::ListErrors { pool, limit } => {
                let items = page_items(&bodies, "workerPoolErrors", limit)
                    .map_err(|(i, f)| mismatch(i, format!("pages of at most {limit} items"), f))?;
                let want = after.pools.get(&pool).map_or(0, |m| m.errors);
                let ids: BTreeSet<&str> = items
                    .iter()
                    .filter_map(|e| e.get("errorId").and_then(Value::as_str))
                    .collect();
                if items.len() != want || ids.len() != want {
                    return Err(mismatch(
                        last,
                        format!("{want} distinct errors"),
                        format!("{} errors, {} distinct", items.len(), ids.len()),
                    ));
                }
            }
            Op::RemoveWorker { .. } | Op::RegisterWorker { .. } | Op::ReportError { .. } => {}
        }
        Ok(())
    }
}

/// The fields of a pool's answer the model knows.
fn pool_fields(ns: &Namespace, m: &PoolModel) -> Vec<(&'static str, Value)> {
    vec![
        (
            "providerId",
            Value::from(if m.deleted {
                NULL_PROVIDER
            } else {
                ns.static_provider()
            }),
        ),
        ("description", Value::from(Namespace::description(m.desc))),
    ]
}

/// A pool's counters as its workers make them (static workers are running or stopped).
fn counters(m: &PoolModel) -> Vec<(&'static str, u64)> {
    let (mut rc, mut rcap, mut sc, mut scap) = (0u64, 0u64, 0u64, 0u64);
    for w in m.workers.values() {
        if w.running {
            rc += 1;
            rcap += u64::from(w.capacity);
        } else {
            sc += 1;
            scap += u64::from(w.capacity);
        }
    }
    vec![
        ("currentCapacity", rcap),
        ("requestedCount", 0),
        ("requestedCapacity", 0),
        ("runningCount", rc),
        ("runningCapacity", rcap),
        ("stoppingCount", 0),
        ("stoppingCapacity", 0),
        ("stoppedCount", sc),
        ("stoppedCapacity", scap),
    ]
}

fn worker_fields(w: &WorkerModel) -> Vec<(&'static str, Value)> {
    vec![
        (
            "state",
            Value::from(if w.running { "running" } else { "stopped" }),
        ),
        ("capacity", Value::from(w.capacity)),
    ]
}

/// The items of every page, checking each page's size against `limit`.
fn page_items(bodies: &[Value], key: &str, limit: u32) -> Result<Vec<Value>, (usize, String)> {
    let mut out = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let items = b
            .get(key)
            .and_then(Value::as_array)
            .ok_or((i, format!("a body without a `{key}` array")))?;
        if items.len() > limit as usize {
            return Err((i, format!("a page of {} items", items.len())));
        }
        out.extend(items.iter().cloned());
    }
    Ok(out)
}

/// Every wanted item seen exactly once, nothing else of the namespace seen.
fn exactly_once(
    seen: &BTreeMap<u8, usize>,
    want: &BTreeSet<u8>,
    name: impl Fn(u8) -> String,
) -> Result<(), (String, String)> {
    let mut problems = Vec::new();
    for n in want {
        match seen.get(n).copied().unwrap_or(0) {
            1 => {}
            0 => problems.push(format!("{} missing (dropped)", name(*n))),
            k => problems.push(format!("{} repeated ({k} times)", name(*n))),
        }
    }
    for n in seen.keys().filter(|n| !want.contains(n)) {
        problems.push(format!("{} listed but never created", name(*n)));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let expected = want.iter().map(|n| name(*n)).collect::<Vec<_>>().join(", ");
    Err((
        format!("every item exactly once over all pages: [{expected}]"),
        problems.join("; "),
    ))
}

/// The model as a `proptest-state-machine` reference machine: any operation from any state
/// (errors are part of the contract), so every generated sequence is valid and shrinking may drop
/// any operation.
#[derive(Debug, Clone, Copy)]
pub struct ModelMachine;

impl ReferenceStateMachine for ModelMachine {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(_state: &Model) -> BoxedStrategy<Op> {
        Op::strategy()
    }

    fn apply(state: Model, op: &Op) -> Model {
        state.after(op)
    }
}

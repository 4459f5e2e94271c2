//! The operation vocabulary: what a stateful sequence can do to a worker-manager, and the HTTP
//! request each operation is. Independent of any model, so that the same sequences can be sent to
//! several servers (`wm-contract diff`) or checked against the [`super::Model`].

use std::collections::BTreeMap;
use std::fmt;

use proptest::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use worker_manager_schemas::{Catalog, HttpMethod};

use crate::generate;
use crate::server::RunPrefix;

/// How many distinct pools a sequence uses (small, so that operations collide).
pub const POOLS: u8 = 3;
/// How many distinct workers per pool.
pub const WORKERS: u8 = 3;
/// How many distinct static secrets a worker can be given.
pub const SECRETS: u8 = 2;
/// How many distinct pool descriptions.
pub const DESCRIPTIONS: u8 = 3;
/// The largest `limit` a list operation pages with (small, so that paging happens).
pub const MAX_LIMIT: u32 = 3;
/// The worker group of every worker.
pub const WORKER_GROUP: &str = "wg";
/// The owner of every pool.
pub const OWNER: &str = "wm-contract@example.com";
/// The expiry given to workers (far in the future).
pub const WORKER_EXPIRES: &str = "2100-01-01T00:00:00.000Z";
/// Pages followed at most by one list operation (a server that never stops paging fails).
pub const MAX_PAGES: usize = 64;

/// Where one sequence's pools live: `<run prefix>/<case>-p<n>`, with a fresh `case` for every
/// execution so that sequences never see each other's pools. Also names the static provider the
/// pools are created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    prefix: RunPrefix,
    case: String,
    static_provider: String,
}

impl Namespace {
    /// The namespace of execution number `case` under `prefix`, creating pools with the provider
    /// `static_provider` (a provider of type `static`).
    pub fn new(prefix: &RunPrefix, case: u32, static_provider: &str) -> Namespace {
        Namespace {
            prefix: prefix.clone(),
            case: format!("s{case}"),
            static_provider: static_provider.to_string(),
        }
    }

    /// The run prefix.
    pub fn prefix(&self) -> &RunPrefix {
        &self.prefix
    }

    /// The static provider pools are created with.
    pub fn static_provider(&self) -> &str {
        &self.static_provider
    }

    /// The pool id of pool number `n`.
    pub fn pool_id(&self, n: u8) -> String {
        self.prefix.pool_id(&format!("x/{}-p{n}", self.case))
    }

    /// Which pool number `pool_id` is, if it belongs to this namespace.
    pub fn pool_number(&self, pool_id: &str) -> Option<u8> {
        (0..POOLS).find(|n| self.pool_id(*n) == pool_id)
    }

    /// The worker id of worker number `n`.
    pub fn worker_id(n: u8) -> String {
        format!("w{n}")
    }

    /// Which worker number `worker_id` is.
    pub fn worker_number(worker_id: &str) -> Option<u8> {
        (0..WORKERS).find(|n| Namespace::worker_id(*n) == worker_id)
    }

    /// The 44-character static secret number `k` of worker `worker` in pool `pool`.
    pub fn secret(&self, pool: u8, worker: u8, k: u8) -> String {
        let mut s = format!("wmcontract-{}-p{pool}-w{worker}-k{k}-", self.case);
        while s.len() < 44 {
            s.push('x');
        }
        s.truncate(44);
        s
    }

    /// The description number `n`.
    pub fn description(n: u8) -> String {
        format!("wm-contract stateful pool, description {n}")
    }
}

/// One operation of a stateful sequence. Pools, workers, secrets and descriptions are small
/// numbers, resolved to ids by a [`Namespace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// `createWorkerPool` with the static provider and description `desc`.
    CreatePool {
        /// Pool number.
        pool: u8,
        /// Description number.
        desc: u8,
    },
    /// `updateWorkerPool` to the static provider and description `desc`.
    UpdatePool {
        /// Pool number.
        pool: u8,
        /// Description number.
        desc: u8,
    },
    /// `workerPool`.
    GetPool {
        /// Pool number.
        pool: u8,
    },
    /// `deleteWorkerPool`.
    DeletePool {
        /// Pool number.
        pool: u8,
    },
    /// `listWorkerPools`, every page, `limit` items at a time.
    ListPools {
        /// Page size asked for.
        limit: u32,
    },
    /// `createWorker` (static: with secret `secret`).
    CreateWorker {
        /// Pool number.
        pool: u8,
        /// Worker number.
        worker: u8,
        /// Capacity.
        capacity: u32,
        /// Secret number.
        secret: u8,
    },
    /// `updateWorker` (static: sets capacity and the secret).
    UpdateWorker {
        /// Pool number.
        pool: u8,
        /// Worker number.
        worker: u8,
        /// Capacity.
        capacity: u32,
        /// Secret number.
        secret: u8,
    },
    /// `worker`.
    GetWorker {
        /// Pool number.
        pool: u8,
        /// Worker number.
        worker: u8,
    },
    /// `removeWorker`.
    RemoveWorker {
        /// Pool number.
        pool: u8,
        /// Worker number.
        worker: u8,
    },
    /// `listWorkersForWorkerPool`, every page.
    ListWorkers {
        /// Pool number.
        pool: u8,
        /// Page size asked for.
        limit: u32,
    },
    /// `registerWorker` with the static proof of secret `secret`.
    RegisterWorker {
        /// Pool number.
        pool: u8,
        /// Worker number.
        worker: u8,
        /// Secret number.
        secret: u8,
    },
    /// `reportWorkerError` for a worker of the pool.
    ReportError {
        /// Pool number.
        pool: u8,
        /// Worker number (the worker need not exist).
        worker: u8,
    },
    /// `listWorkerPoolErrors`, every page.
    ListErrors {
        /// Pool number.
        pool: u8,
        /// Page size asked for.
        limit: u32,
    },
}

/// One HTTP request, as a spec: the method's catalog name, the HTTP method, the path relative to
/// `<rootUrl>/api/worker-manager/v1` (encoded, with its query), and the JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestSpec {
    /// The catalog name (`createWorkerPool`).
    pub method: &'static str,
    /// The HTTP method.
    #[serde(serialize_with = "ser_http")]
    pub http: HttpMethod,
    /// The path relative to the API prefix, with the query.
    pub path: String,
    /// The JSON body, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

fn ser_http<S: serde::Serializer>(m: &HttpMethod, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

/// Building a request failed (the route table has no such method or parameter: a build of
/// wm-contract against another API definition).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot build the {method} request: {reason}")]
pub struct RequestError {
    /// The method.
    pub method: &'static str,
    /// Why.
    pub reason: String,
}

impl RequestSpec {
    /// The request to `method` (a catalog name) with these path parameters, query and body.
    pub fn build(
        method: &'static str,
        params: &[(&str, String)],
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<RequestSpec, RequestError> {
        RequestSpec::new(method, params, query, body)
    }

    fn new(
        method: &'static str,
        params: &[(&str, String)],
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<RequestSpec, RequestError> {
        let catalog = Catalog::embedded();
        let entry = catalog.get(method).ok_or(RequestError {
            method,
            reason: "not in the catalog".into(),
        })?;
        let params: BTreeMap<String, String> = params
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        let mut path = catalog
            .build_path(method, &params)
            .map_err(|e| RequestError {
                method,
                reason: e.to_string(),
            })?;
        if !query.is_empty() {
            let q: BTreeMap<String, String> = query
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect();
            path.push('?');
            path.push_str(&generate::query_string(&q));
        }
        Ok(RequestSpec {
            method,
            http: entry.method,
            path,
            body,
        })
    }

    /// The request as a `curl` command line against `$TASKCLUSTER_ROOT_URL` (unsigned: run it
    /// against a server with authentication off, e.g. `wm-mock serve --auth permissive`, or send
    /// the same method and body with `taskcluster api workerManager <method>`).
    pub fn to_curl(&self) -> String {
        let mut s = format!(
            "curl -X {} \"$TASKCLUSTER_ROOT_URL/api/worker-manager/v1{}\"",
            self.http.as_str(),
            self.path
        );
        if let Some(b) = &self.body {
            let text = b.to_string().replace('\'', "'\\''");
            s.push_str(&format!(" -H 'Content-Type: application/json' -d '{text}'"));
        }
        s
    }
}

impl fmt::Display for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.http.as_str(), self.path)?;
        if let Some(b) = &self.body {
            write!(f, " {b}")?;
        }
        Ok(())
    }
}

impl Op {
    /// Every method name the vocabulary uses.
    pub const METHODS: [&'static str; 13] = [
        "createWorkerPool",
        "updateWorkerPool",
        "workerPool",
        "deleteWorkerPool",
        "listWorkerPools",
        "createWorker",
        "updateWorker",
        "worker",
        "removeWorker",
        "listWorkersForWorkerPool",
        "registerWorker",
        "reportWorkerError",
        "listWorkerPoolErrors",
    ];

    /// The strategy of one operation (any pool, worker, secret; limits 1..=[`MAX_LIMIT`]).
    pub fn strategy() -> BoxedStrategy<Op> {
        let pool = 0..POOLS;
        let worker = 0..WORKERS;
        let secret = 0..SECRETS;
        let desc = 0..DESCRIPTIONS;
        let limit = 1..=MAX_LIMIT;
        let capacity = 1u32..=3;
        prop_oneof![
            3 => (pool.clone(), desc.clone()).prop_map(|(pool, desc)| Op::CreatePool { pool, desc }),
            1 => (pool.clone(), desc).prop_map(|(pool, desc)| Op::UpdatePool { pool, desc }),
            1 => pool.clone().prop_map(|pool| Op::GetPool { pool }),
            1 => pool.clone().prop_map(|pool| Op::DeletePool { pool }),
            1 => limit.clone().prop_map(|limit| Op::ListPools { limit }),
            3 => (pool.clone(), worker.clone(), capacity.clone(), secret.clone()).prop_map(
                |(pool, worker, capacity, secret)| Op::CreateWorker { pool, worker, capacity, secret }
            ),
            1 => (pool.clone(), worker.clone(), capacity, secret.clone()).prop_map(
                |(pool, worker, capacity, secret)| Op::UpdateWorker { pool, worker, capacity, secret }
            ),
            1 => (pool.clone(), worker.clone()).prop_map(|(pool, worker)| Op::GetWorker { pool, worker }),
            1 => (pool.clone(), worker.clone()).prop_map(|(pool, worker)| Op::RemoveWorker { pool, worker }),
            1 => (pool.clone(), limit.clone()).prop_map(|(pool, limit)| Op::ListWorkers { pool, limit }),
            2 => (pool.clone(), worker.clone(), secret).prop_map(
                |(pool, worker, secret)| Op::RegisterWorker { pool, worker, secret }
            ),
            1 => (pool.clone(), worker).prop_map(|(pool, worker)| Op::ReportError { pool, worker }),
            1 => (pool, limit).prop_map(|(pool, limit)| Op::ListErrors { pool, limit }),
        ]
        .boxed()
    }

    /// The strategy of a sequence of `len` operations, model-free (for `wm-contract diff`; the
    /// model-driven `ModelMachine::sequential_strategy` of [`super::ModelMachine`] shrinks better).
    pub fn sequence(len: std::ops::Range<usize>) -> BoxedStrategy<Vec<Op>> {
        proptest::collection::vec(Op::strategy(), len).boxed()
    }

    /// The catalog name of the method the operation calls.
    pub fn method(&self) -> &'static str {
        match self {
            Op::CreatePool { .. } => "createWorkerPool",
            Op::UpdatePool { .. } => "updateWorkerPool",
            Op::GetPool { .. } => "workerPool",
            Op::DeletePool { .. } => "deleteWorkerPool",
            Op::ListPools { .. } => "listWorkerPools",
            Op::CreateWorker { .. } => "createWorker",
            Op::UpdateWorker { .. } => "updateWorker",
            Op::GetWorker { .. } => "worker",
            Op::RemoveWorker { .. } => "removeWorker",
            Op::ListWorkers { .. } => "listWorkersForWorkerPool",
            Op::RegisterWorker { .. } => "registerWorker",
            Op::ReportError { .. } => "reportWorkerError",
            Op::ListErrors { .. } => "listWorkerPoolErrors",
        }
    }

    /// Whether the operation pages (its first request may be followed by more, see
    /// [`Op::next_page`]).
    pub fn pages(&self) -> bool {
        matches!(
            self,
            Op::ListPools { .. } | Op::ListWorkers { .. } | Op::ListErrors { .. }
        )
    }

    /// The page size a paging operation asks for.
    pub fn limit(&self) -> Option<u32> {
        match self {
            Op::ListPools { limit }
            | Op::ListWorkers { limit, .. }
            | Op::ListErrors { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// The (first) request of the operation in namespace `ns`.
    pub fn request(&self, ns: &Namespace) -> Result<RequestSpec, RequestError> {
        self.page_request(ns, None)
    }

    /// The request for the page after `response` (a JSON body with a `continuationToken`), or
    /// `None` when the operation does not page or the response carries no token.
    pub fn next_page(
        &self,
        ns: &Namespace,
        response: &Value,
    ) -> Option<Result<RequestSpec, RequestError>> {
        if !self.pages() {
            return None;
        }
        let token = response.get("continuationToken")?.as_str()?;
        Some(self.page_request(ns, Some(token)))
    }

    fn page_request(
        &self,
        ns: &Namespace,
        token: Option<&str>,
    ) -> Result<RequestSpec, RequestError> {
        let pool = |n: u8| ("workerPoolId", ns.pool_id(n));
        let worker_params = |p: u8, w: u8| {
            vec![
                pool(p),
                ("workerGroup", WORKER_GROUP.to_string()),
                ("workerId", Namespace::worker_id(w)),
            ]
        };
        let pool_body = |desc: u8| {
            json!({
                "providerId": ns.static_provider(),
                "description": Namespace::description(desc),
                "config": {},
                "owner": OWNER,
                "emailOnError": false,
            })
        };
        let worker_body = |p: u8, w: u8, capacity: u32, secret: u8| {
            json!({
                "expires": WORKER_EXPIRES,
                "capacity": capacity,
                "providerInfo": {"staticSecret": ns.secret(p, w, secret)},
            })
        };
        let mut query = Vec::new();
        if let Some(limit) = self.limit() {
            query.push(("limit", limit.to_string()));
        }
        if let Some(t) = token {
            query.push(("continuationToken", t.to_string()));
        }
        let m = self.method();
        match *self {
            Op::CreatePool { pool: p, desc } | Op::UpdatePool { pool: p, desc } => {
                RequestSpec::new(m, &[pool(p)], &[], Some(pool_body(desc)))
            }
            Op::GetPool { pool: p } | Op::DeletePool { pool: p } => {
                RequestSpec::new(m, &[pool(p)], &[], None)
            }
            Op::ListPools { .. } => RequestSpec::new(m, &[], &query, None),
            Op::CreateWorker {
                pool: p,
                worker: w,
                capacity,
                secret,
            }
            | Op::UpdateWorker {
                pool: p,
                worker: w,
                capacity,
                secret,
            } => RequestSpec::new(
                m,
                &worker_params(p, w),
                &[],
                Some(worker_body(p, w, capacity, secret)),
            ),
            Op::GetWorker { pool: p, worker: w } | Op::RemoveWorker { pool: p, worker: w } => {
                RequestSpec::new(m, &worker_params(p, w), &[], None)
            }
            Op::ListWorkers { pool: p, .. } | Op::ListErrors { pool: p, .. } => {
                RequestSpec::new(m, &[pool(p)], &query, None)
            }
            Op::RegisterWorker {
                pool: p,
                worker: w,
                secret,
            } => RequestSpec::new(
                m,
                &[],
                &[],
                Some(json!({
                    "workerPoolId": ns.pool_id(p),
                    "providerId": ns.static_provider(),
                    "workerGroup": WORKER_GROUP,
                    "workerId": Namespace::worker_id(w),
                    "workerIdentityProof": {"staticSecret": ns.secret(p, w, secret)},
                })),
            ),
            Op::ReportError { pool: p, worker: w } => RequestSpec::new(
                m,
                &[pool(p)],
                &[],
                Some(json!({
                    "workerGroup": WORKER_GROUP,
                    "workerId": Namespace::worker_id(w),
                    "kind": "wm-contract",
                    "title": "wm-contract stateful error",
                    "description": "reported by a wm-contract stateful sequence",
                    "extra": {},
                })),
            ),
        }
    }
}

//! Semantic checks: what the API's state must look like after a few calls (create then get, a
//! conflicting create, updates seen by get and list, delete to `null-provider`, 404s, paging
//! exactly once, counters, the static-worker lifecycle with its temporary credentials, 403 for a
//! client without the scopes), each a named [`Check`] with its own result.

// A check fails rarely, and a failure carries its request and response: returning it by value
// keeps the checks readable.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::checks::Check;
use super::client::{Client, Credentials, Response};
use super::prefix::RunPrefix;
use super::report::{truncate, Failure, RequestRecord, ResponseRecord, BODY_LIMIT};
use crate::stateful::op::{RequestSpec, OWNER, WORKER_EXPIRES, WORKER_GROUP};

/// One semantic check's result.
#[derive(Debug, Clone, Serialize)]
pub struct SemanticReport {
    /// The check.
    pub check: Check,
    /// The method it is mostly about.
    pub method: String,
    /// Cases run (each a short sequence of calls).
    pub cases: u32,
    /// Cases that held.
    pub passed: u32,
    /// Cases that did not.
    pub failed: u32,
    /// Why the check could not run (no credentials, no static provider), if so.
    #[serde(rename = "notExercised", skip_serializing_if = "Option::is_none")]
    pub not_exercised: Option<String>,
    /// The failures.
    pub failures: Vec<Failure>,
}

impl SemanticReport {
    /// A report for `check`, nothing run yet.
    pub fn new(check: Check, method: &str) -> SemanticReport {
        SemanticReport {
            check,
            method: method.to_string(),
            cases: 0,
            passed: 0,
            failed: 0,
            not_exercised: None,
            failures: Vec::new(),
        }
    }

    /// The check was not run, because of `why`.
    pub fn not_exercised(check: Check, method: &str, why: &str) -> SemanticReport {
        let mut r = SemanticReport::new(check, method);
        r.not_exercised = Some(why.to_string());
        r
    }

    /// Records one case: passed when `result` is `Ok`.
    pub fn record(&mut self, result: Result<(), Failure>) {
        self.cases += 1;
        match result {
            Ok(()) => self.passed += 1,
            Err(f) => {
                self.failed += 1;
                self.failures.push(f);
            }
        }
    }
}

/// One call made by a semantic check and what came back.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) request: RequestRecord,
    pub(super) response: Result<Response, String>,
}

impl Call {
    pub(super) fn status(&self) -> u16 {
        self.response.as_ref().map_or(0, |r| r.status)
    }

    pub(super) fn json(&self) -> Value {
        self.response
            .as_ref()
            .ok()
            .and_then(Response::json)
            .unwrap_or(Value::Null)
    }

    pub(super) fn code(&self) -> Option<String> {
        self.json()
            .get("code")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// A failure of `check` on this call.
    pub(super) fn fail(
        &self,
        check: Check,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Failure {
        Failure {
            check,
            case: 0,
            kind: "semantic".into(),
            request: Some(self.request.clone()),
            response: self.response.as_ref().ok().map(|r| ResponseRecord {
                status: r.status,
                content_type: r.content_type.clone(),
                body: truncate(&r.body, BODY_LIMIT),
            }),
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// `Ok` when the status (and the code, if given) is as expected.
    pub(super) fn expect(
        &self,
        check: Check,
        status: u16,
        code: Option<&str>,
    ) -> Result<(), Failure> {
        let found_code = self.code();
        if self.status() == status && (code.is_none() || found_code.as_deref() == code) {
            return Ok(());
        }
        let show = |s: u16, c: Option<&str>| match c {
            Some(c) => format!("status {s} {c}"),
            None if s == 0 => "no response".to_string(),
            None => format!("status {s}"),
        };
        let found = match &self.response {
            Err(e) => format!("no response: {e}"),
            Ok(_) => show(self.status(), found_code.as_deref()),
        };
        Err(self.fail(check, show(status, code), found))
    }
}

/// Sends a request built from the route table.
pub(super) async fn call(
    client: &Client,
    method: &'static str,
    params: &[(&str, String)],
    query: &[(&str, String)],
    body: Option<Value>,
) -> Call {
    let spec = match RequestSpec::build(method, params, query, body) {
        Ok(s) => s,
        Err(e) => {
            return Call {
                request: RequestRecord {
                    method: "?".into(),
                    path: method.into(),
                    body: None,
                },
                response: Err(e.to_string()),
            }
        }
    };
    let response = client
        .send(spec.http, &spec.path, spec.body.as_ref())
        .await
        .map_err(|e| e.to_string());
    Call {
        request: RequestRecord {
            method: spec.http.as_str().to_string(),
            path: spec.path,
            body: spec.body,
        },
        response,
    }
}

/// The body of a static pool.
fn pool_body(provider: &str, description: &str) -> Value {
    json!({
        "providerId": provider,
        "description": description,
        "config": {"workerConfig": {"wmContract": true}},
        "owner": OWNER,
        "emailOnError": false,
    })
}

fn secret(tag: &str) -> String {
    let mut s = format!("wmcontractsemantic-{tag}-");
    while s.len() < 44 {
        s.push('x');
    }
    s.truncate(44);
    s
}

/// Every item of a paged list (`key`), following tokens with `limit`; the last call on failure.
pub(super) async fn list_all(
    client: &Client,
    method: &'static str,
    params: &[(&str, String)],
    key: &str,
    limit: u32,
    check: Check,
) -> Result<(Vec<Value>, Call), Failure> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..crate::stateful::op::MAX_PAGES {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(t) = &token {
            query.push(("continuationToken", t.clone()));
        }
        let c = call(client, method, params, &query, None).await;
        c.expect(check, 200, None)?;
        let body = c.json();
        let page = body
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| c.fail(check, format!("a `{key}` array"), "none"))?;
        if page.len() > limit as usize {
            return Err(c.fail(
                check,
                format!("a page of at most {limit} items"),
                format!("{} items", page.len()),
            ));
        }
        items.extend(page);
        token = body
            .get("continuationToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        if token.is_none() {
            return Ok((items, c));
        }
    }
    Err(Call {
        request: RequestRecord {
            method: "GET".into(),
            path: method.into(),
            body: None,
        },
        response: Err("still paging".into()),
    }
    .fail(
        check,
        "a last page",
        format!("more than {} pages", crate::stateful::op::MAX_PAGES),
    ))
}

/// The semantic checks of one run.
pub(super) struct Semantic<'a> {
    pub(super) client: &'a Client,
    pub(super) prefix: &'a RunPrefix,
    pub(super) static_provider: Option<&'a str>,
    pub(super) seed: u64,
    /// Pools created (for clean-up).
    pub(super) created: Vec<String>,
}

impl Semantic<'_> {
    fn pool(&self, name: &str) -> String {
        self.prefix.pool_id(&format!("x/{name}"))
    }

    /// Creates the run's pool `name` (noted for clean-up first) with `provider` and
    /// `description`; its id and the `createWorkerPool` call.
    async fn create_pool(
        &mut self,
        name: &str,
        provider: &str,
        description: &str,
    ) -> (String, Call) {
        let id = self.pool(name);
        self.created.push(id.clone());
        let c = call(
            self.client,
            "createWorkerPool",
            &[("workerPoolId", id.clone())],
            &[],
            Some(pool_body(provider, description)),
        )
        .await;
        (id, c)
    }

    /// Runs every semantic check.
    pub(super) async fn run(&mut self) -> Vec<SemanticReport> {
        let mut out = Vec::new();
        out.push(self.missing().await);
        let signed = self.client.credentials().is_some();
        let provider = self.static_provider.filter(|_| signed);
        let Some(provider) = provider else {
            let why = if signed {
                "the deployment lists no provider of type static"
            } else {
                "no credentials"
            };
            for (c, m) in [
                (Check::CreateThenGet, "createWorkerPool"),
                (Check::CreateConflict, "createWorkerPool"),
                (Check::UpdateVisible, "updateWorkerPool"),
                (Check::DeleteNullProvider, "deleteWorkerPool"),
                (Check::PagingExactlyOnce, "listWorkersForWorkerPool"),
                (Check::PoolCounts, "workerPool"),
                (Check::StaticWorkerLifecycle, "registerWorker"),
                (Check::TemporaryCredentials, "registerWorker"),
                (Check::ReregisterRotates, "reregisterWorker"),
            ] {
                out.push(SemanticReport::not_exercised(c, m, why));
            }
            out.push(self.scopes().await);
            out.push(self.bad_token().await);
            return out;
        };
        out.extend(self.pool_lifecycle(provider).await);
        out.push(self.paging(provider).await);
        out.push(self.counts(provider).await);
        out.extend(self.workers(provider).await);
        out.push(self.scopes().await);
        out.push(self.bad_token().await);
        out
    }

    /// The run's client id with a wrong access token: `401 AuthenticationFailed` on a read.
    async fn bad_token(&mut self) -> SemanticReport {
        let check = Check::AuthenticationFailed401;
        let Some(creds) = self.client.credentials().cloned() else {
            return SemanticReport::not_exercised(check, "workerPool", "no credentials");
        };
        let mut r = SemanticReport::new(check, "workerPool");
        let wrong = Credentials {
            access_token: format!("{}-not-the-token", creds.access_token),
            ..creds
        };
        match self.client.with_credentials(wrong, None, None) {
            Ok(bad) => {
                let c = call(
                    &bad,
                    "workerPool",
                    &[("workerPoolId", self.pool("missing"))],
                    &[],
                    None,
                )
                .await;
                r.record(c.expect(check, 401, Some("AuthenticationFailed")));
            }
            Err(e) => r.not_exercised = Some(e.to_string()),
        }
        r
    }

    async fn missing(&mut self) -> SemanticReport {
        let mut r = SemanticReport::new(Check::Missing404, "workerPool");
        let check = Check::Missing404;
        let missing = self.pool("missing");
        let p = || vec![("workerPoolId", missing.clone())];
        let wp = || {
            vec![
                ("workerPoolId", missing.clone()),
                ("workerGroup", WORKER_GROUP.to_string()),
                ("workerId", "missing".to_string()),
            ]
        };
        let calls = [
            call(self.client, "workerPool", &p(), &[], None).await,
            call(self.client, "worker", &wp(), &[], None).await,
            call(self.client, "listWorkersForWorkerPool", &p(), &[], None).await,
        ];
        let signed = self.client.credentials().is_some();
        for c in calls {
            // Anonymous reads may lack the scopes (the current service guards its GETs).
            if !signed && c.status() == 403 {
                continue;
            }
            r.record(c.expect(check, 404, Some("ResourceNotFound")));
        }
        if r.cases == 0 {
            r.not_exercised = Some("anonymous requests lack the scopes".into());
        }
        if signed {
            let body = pool_body(self.static_provider.unwrap_or("static"), "missing");
            let calls = [
                call(self.client, "updateWorkerPool", &p(), &[], Some(body)).await,
                call(self.client, "deleteWorkerPool", &p(), &[], None).await,
            ];
            for c in calls {
                r.record(c.expect(check, 404, Some("ResourceNotFound")));
            }
        }
        r
    }

    async fn pool_lifecycle(&mut self, provider: &str) -> Vec<SemanticReport> {
        let id = self.pool("lifecycle");
        self.created.push(id.clone());
        let p = || vec![("workerPoolId", id.clone())];
        let mut create_get = SemanticReport::new(Check::CreateThenGet, "createWorkerPool");
        let mut conflict = SemanticReport::new(Check::CreateConflict, "createWorkerPool");
        let mut update = SemanticReport::new(Check::UpdateVisible, "updateWorkerPool");
        let mut delete = SemanticReport::new(Check::DeleteNullProvider, "deleteWorkerPool");
        let written = pool_body(provider, "wm-contract: written");
        let c = call(
            self.client,
            "createWorkerPool",
            &p(),
            &[],
            Some(written.clone()),
        )
        .await;
        if let Err(f) = c.expect(Check::CreateThenGet, 200, None) {
            create_get.record(Err(f));
            return vec![create_get, conflict, update, delete];
        }
        // create, then get
        let g = call(self.client, "workerPool", &p(), &[], None).await;
        create_get.record(
            g.expect(Check::CreateThenGet, 200, None)
                .and_then(|()| same_fields(&g, &written, Check::CreateThenGet, "as written")),
        );
        // a different create of the same id
        let again = pool_body(provider, "wm-contract: a different description");
        let c = call(self.client, "createWorkerPool", &p(), &[], Some(again)).await;
        conflict.record(c.expect(Check::CreateConflict, 409, Some("RequestConflict")));
        // update, then get and list
        let updated = pool_body(provider, "wm-contract: updated");
        let u = call(
            self.client,
            "updateWorkerPool",
            &p(),
            &[],
            Some(updated.clone()),
        )
        .await;
        update.record(u.expect(Check::UpdateVisible, 200, None));
        let g = call(self.client, "workerPool", &p(), &[], None).await;
        update.record(
            g.expect(Check::UpdateVisible, 200, None)
                .and_then(|()| same_fields(&g, &updated, Check::UpdateVisible, "as updated")),
        );
        let listed = list_all(
            self.client,
            "listWorkerPools",
            &[],
            "workerPools",
            1000,
            Check::UpdateVisible,
        )
        .await;
        update.record(listed.and_then(|(items, last)| {
            let mine: Vec<&Value> = items
                .iter()
                .filter(|i| i.get("workerPoolId").and_then(Value::as_str) == Some(id.as_str()))
                .collect();
            match mine.as_slice() {
                [one] if one.get("description") == updated.get("description") => Ok(()),
                [one] => Err(last.fail(
                    Check::UpdateVisible,
                    format!("{id} listed with description {}", updated["description"]),
                    format!("description {}", one["description"]),
                )),
                other => Err(last.fail(
                    Check::UpdateVisible,
                    format!("{id} listed once"),
                    format!("listed {} times", other.len()),
                )),
            }
        }));
        // delete: to null-provider, still readable
        let d = call(self.client, "deleteWorkerPool", &p(), &[], None).await;
        delete.record(
            d.expect(Check::DeleteNullProvider, 200, None)
                .and_then(|()| provider_is(&d, "null-provider", Check::DeleteNullProvider)),
        );
        let g = call(self.client, "workerPool", &p(), &[], None).await;
        delete.record(
            g.expect(Check::DeleteNullProvider, 200, None)
                .and_then(|()| provider_is(&g, "null-provider", Check::DeleteNullProvider)),
        );
        vec![create_get, conflict, update, delete]
    }

    /// Paging over the workers of a pool of the run's own (listWorkerPools would page over
    /// every pool of the deployment): every worker exactly once for several limits.
    async fn paging(&mut self, provider: &str) -> SemanticReport {
        let check = Check::PagingExactlyOnce;
        let mut r = SemanticReport::new(check, "listWorkersForWorkerPool");
        const N: usize = 5;
        let (id, c) = self
            .create_pool("paging", provider, "wm-contract: paging")
            .await;
        if let Err(f) = c.expect(check, 200, None) {
            r.record(Err(f));
            return r;
        }
        let workers: Vec<String> = (0..N).map(|i| format!("page-{i}")).collect();
        for w in &workers {
            let c = call(
                self.client,
                "createWorker",
                &worker_params(&id, w),
                &[],
                Some(worker_body(1, &secret(w))),
            )
            .await;
            if let Err(f) = c.expect(check, 200, None) {
                r.record(Err(f));
                return r;
            }
        }
        // Limits from the seed: pages of 1, and two more in 2..=N.
        let mix = super::seed::mix(self.seed);
        let limits = [
            1,
            2 + (mix % (N as u64 - 1)) as u32,
            2 + ((mix >> 8) % 3) as u32,
        ];
        for limit in limits {
            let listed = list_all(
                self.client,
                "listWorkersForWorkerPool",
                &[("workerPoolId", id.clone())],
                "workers",
                limit,
                check,
            )
            .await;
            r.record(listed.and_then(|(items, last)| {
                let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
                for i in &items {
                    if let Some(w) = i.get("workerId").and_then(Value::as_str) {
                        *seen.entry(w).or_default() += 1;
                    }
                }
                let mut problems = Vec::new();
                for w in &workers {
                    match seen.get(w.as_str()).copied().unwrap_or(0) {
                        1 => {}
                        0 => problems.push(format!("{w} dropped")),
                        k => problems.push(format!("{w} repeated ({k} times)")),
                    }
                }
                for (w, _) in seen
                    .iter()
                    .filter(|(w, _)| !workers.iter().any(|x| x == *w))
                {
                    problems.push(format!("{w} listed but never created"));
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(last.fail(
                        check,
                        format!("with limit {limit}, each of the {N} workers exactly once"),
                        problems.join("; "),
                    ))
                }
            }));
        }
        r
    }

    async fn counts(&mut self, provider: &str) -> SemanticReport {
        let check = Check::PoolCounts;
        let mut r = SemanticReport::new(check, "workerPool");
        let (id, c) = self
            .create_pool("counts", provider, "wm-contract: counts")
            .await;
        let p = || vec![("workerPoolId", id.clone())];
        if let Err(f) = c.expect(check, 200, None) {
            r.record(Err(f));
            return r;
        }
        for (w, capacity) in [("a", 2), ("b", 3), ("c", 5)] {
            let c = call(
                self.client,
                "createWorker",
                &worker_params(&id, w),
                &[],
                Some(worker_body(capacity, &secret(w))),
            )
            .await;
            if let Err(f) = c.expect(check, 200, None) {
                r.record(Err(f));
                return r;
            }
        }
        let c = call(
            self.client,
            "removeWorker",
            &worker_params(&id, "c"),
            &[],
            None,
        )
        .await;
        if let Err(f) = c.expect(check, 200, None) {
            r.record(Err(f));
            return r;
        }
        let g = call(self.client, "workerPool", &p(), &[], None).await;
        r.record(g.expect(check, 200, None).and_then(|()| {
            let want = [
                ("currentCapacity", 5),
                ("requestedCount", 0),
                ("requestedCapacity", 0),
                ("runningCount", 2),
                ("runningCapacity", 5),
                ("stoppingCount", 0),
                ("stoppingCapacity", 0),
                ("stoppedCount", 1),
                ("stoppedCapacity", 5),
            ];
            let body = g.json();
            let wrong: Vec<String> = want
                .iter()
                .filter(|(k, v)| body.get(*k).and_then(Value::as_u64) != Some(*v))
                .map(|(k, _)| format!("{k} {}", body.get(*k).unwrap_or(&Value::Null)))
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(g.fail(
                    check,
                    "counters of 2 running workers (capacity 2+3) and 1 stopped (capacity 5)",
                    wrong.join(", "),
                ))
            }
        }));
        r
    }

    async fn workers(&mut self, provider: &str) -> Vec<SemanticReport> {
        let mut life = SemanticReport::new(Check::StaticWorkerLifecycle, "registerWorker");
        let mut creds = SemanticReport::new(Check::TemporaryCredentials, "registerWorker");
        let mut rotate = SemanticReport::new(Check::ReregisterRotates, "reregisterWorker");
        let (id, c) = self
            .create_pool("workers", provider, "wm-contract: static workers")
            .await;
        let static_secret = secret("life");
        let w = call(
            self.client,
            "createWorker",
            &worker_params(&id, "life"),
            &[],
            Some(worker_body(1, &static_secret)),
        )
        .await;
        if let Err(f) = c
            .expect(Check::StaticWorkerLifecycle, 200, None)
            .and_then(|()| w.expect(Check::StaticWorkerLifecycle, 200, None))
            .and_then(|()| state_is(&w, "running", Check::StaticWorkerLifecycle))
        {
            life.record(Err(f));
            return vec![life, creds, rotate];
        }
        let register = |proof: String| {
            json!({
                "workerPoolId": id, "providerId": provider, "workerGroup": WORKER_GROUP,
                "workerId": "life", "workerIdentityProof": {"staticSecret": proof},
            })
        };
        let bad = call(
            self.client,
            "registerWorker",
            &[],
            &[],
            Some(register(secret("wrong"))),
        )
        .await;
        life.record(bad.expect(Check::StaticWorkerLifecycle, 400, Some("InputError")));
        let reg = call(
            self.client,
            "registerWorker",
            &[],
            &[],
            Some(register(static_secret)),
        )
        .await;
        life.record(reg.expect(Check::StaticWorkerLifecycle, 200, None));
        let body = reg.json();
        let temp = body.get("credentials").cloned().unwrap_or(Value::Null);
        let wp = worker_params(&id, "life");
        match (
            temp.get("clientId").and_then(Value::as_str),
            temp.get("accessToken").and_then(Value::as_str),
        ) {
            (Some(client_id), Some(access_token)) if reg.status() == 200 => {
                let worker_client = self.client.with_credentials(
                    Credentials {
                        client_id: client_id.to_string(),
                        access_token: access_token.to_string(),
                    },
                    temp.get("certificate").and_then(Value::as_str),
                    None,
                );
                match worker_client {
                    Ok(wc) => {
                        let s = call(&wc, "shouldWorkerTerminate", &wp, &[], None).await;
                        creds.record(s.expect(Check::TemporaryCredentials, 200, None));
                    }
                    Err(e) => creds.record(Err(reg.fail(
                        Check::TemporaryCredentials,
                        "usable temporary credentials",
                        e.to_string(),
                    ))),
                }
            }
            _ if reg.status() == 200 => creds.record(Err(reg.fail(
                Check::TemporaryCredentials,
                "credentials with clientId and accessToken",
                "none",
            ))),
            _ => {}
        }
        if let Some(first) = body.get("secret").and_then(Value::as_str) {
            let rereg = |s: &str| {
                json!({"workerPoolId": id, "workerGroup": WORKER_GROUP, "workerId": "life",
                       "secret": s})
            };
            let r1 = call(
                self.client,
                "reregisterWorker",
                &[],
                &[],
                Some(rereg(first)),
            )
            .await;
            rotate.record(r1.expect(Check::ReregisterRotates, 200, None));
            let second = r1
                .json()
                .get("secret")
                .and_then(Value::as_str)
                .map(str::to_string);
            if r1.status() == 200 {
                if second.as_deref() == Some(first) {
                    rotate.record(Err(r1.fail(
                        Check::ReregisterRotates,
                        "a new secret",
                        "the same secret again",
                    )));
                }
                let old = call(
                    self.client,
                    "reregisterWorker",
                    &[],
                    &[],
                    Some(rereg(first)),
                )
                .await;
                rotate.record(old.expect(Check::ReregisterRotates, 400, Some("InputError")));
                if let Some(s) = second {
                    let new =
                        call(self.client, "reregisterWorker", &[], &[], Some(rereg(&s))).await;
                    rotate.record(new.expect(Check::ReregisterRotates, 200, None));
                }
            }
        }
        let rm = call(self.client, "removeWorker", &wp, &[], None).await;
        life.record(rm.expect(Check::StaticWorkerLifecycle, 200, None));
        let g = call(self.client, "worker", &wp, &[], None).await;
        life.record(
            g.expect(Check::StaticWorkerLifecycle, 200, None)
                .and_then(|()| state_is(&g, "stopped", Check::StaticWorkerLifecycle)),
        );
        vec![life, creds, rotate]
    }

    async fn scopes(&mut self) -> SemanticReport {
        let check = Check::InsufficientScopes403;
        let Some(creds) = self.client.credentials().cloned() else {
            return SemanticReport::not_exercised(check, "createWorkerPool", "no credentials");
        };
        let mut r = SemanticReport::new(check, "createWorkerPool");
        let narrow = match self.client.with_credentials(creds, None, Some(&[])) {
            Ok(c) => c,
            Err(e) => {
                r.not_exercised = Some(e.to_string());
                return r;
            }
        };
        let id = self.pool("no-scopes");
        let p = || vec![("workerPoolId", id.clone())];
        let body = pool_body(
            self.static_provider.unwrap_or("static"),
            "wm-contract: no scopes",
        );
        let c = call(&narrow, "createWorkerPool", &p(), &[], Some(body)).await;
        if c.status() == 200 {
            self.created.push(id.clone());
        }
        r.record(c.expect(check, 403, Some("InsufficientScopes")));
        let g = call(self.client, "workerPool", &p(), &[], None).await;
        r.record(g.expect(check, 404, Some("ResourceNotFound")));
        r
    }
}

fn worker_params(pool: &str, worker: &str) -> Vec<(&'static str, String)> {
    vec![
        ("workerPoolId", pool.to_string()),
        ("workerGroup", WORKER_GROUP.to_string()),
        ("workerId", worker.to_string()),
    ]
}

fn worker_body(capacity: u32, static_secret: &str) -> Value {
    json!({"expires": WORKER_EXPIRES, "capacity": capacity,
           "providerInfo": {"staticSecret": static_secret}})
}

fn same_fields(c: &Call, written: &Value, check: Check, what: &str) -> Result<(), Failure> {
    let got = c.json();
    let wrong: Vec<String> = written
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| got.get(k.as_str()) != Some(v))
        .map(|(k, v)| {
            format!(
                "{k}: wrote {v}, read {}",
                got.get(k.as_str()).unwrap_or(&Value::Null)
            )
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(c.fail(check, format!("the pool {what}"), wrong.join("; ")))
    }
}

fn provider_is(c: &Call, provider: &str, check: Check) -> Result<(), Failure> {
    let got = c.json();
    let p = got.get("providerId").and_then(Value::as_str).unwrap_or("");
    if p == provider {
        Ok(())
    } else {
        Err(c.fail(
            check,
            format!("providerId {provider}"),
            format!("providerId {p}"),
        ))
    }
}

fn state_is(c: &Call, state: &str, check: Check) -> Result<(), Failure> {
    let got = c.json();
    let s = got.get("state").and_then(Value::as_str).unwrap_or("");
    if s == state {
        Ok(())
    } else {
        Err(c.fail(check, format!("state {state}"), format!("state {s}")))
    }
}

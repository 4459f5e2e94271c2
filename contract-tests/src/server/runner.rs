//! The run: methods in order, cases per method, checks per response, clean-up at the end.

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::{json, Value};
use worker_manager_schemas::{Catalog, Entry, HttpMethod, Validators};

use super::checks::{check_response, Check, Finding};
use super::client::{Client, Response};
use super::error::{RunError, SendError};
use super::plan::{Generated, MethodPlan};
use super::prefix::RunPrefix;
use super::report::{
    truncate, Cleanup, Failure, MethodReport, Report, RequestRecord, ResponseRecord, BODY_LIMIT,
};
use super::{seed, Config};

/// How often a case is generated again when its path would not go on the wire as generated.
const ATTEMPTS: u32 = 10;

/// Methods that run last, so that other methods see the pools the run created.
const LAST: &[&str] = &["deleteWorkerPool"];

/// Methods whose valid bodies get a real static provider and an empty config half the time.
const POOL_WRITERS: &[&str] = &["createWorkerPool", "updateWorkerPool"];

/// One run's state.
pub(super) struct Runner<'c> {
    config: &'c Config,
    client: Client,
    prefix: RunPrefix,
    entries: Vec<&'static Entry>,
    validators: &'static Validators,
    /// Pools to delete at the end (created, or maybe created by a failed create).
    to_delete: BTreeSet<String>,
    /// Pools known to exist (created with a 2xx).
    known: Vec<String>,
    /// The id of a provider of type `static`, if the deployment lists one.
    static_provider: Option<String>,
}

impl<'c> Runner<'c> {
    /// Checks the configuration and selects the methods.
    pub(super) fn new(config: &'c Config) -> Result<Runner<'c>, RunError> {
        let catalog = Catalog::embedded();
        if let Some(names) = &config.methods {
            for n in names {
                if catalog.get(n).is_none() {
                    return Err(RunError::UnknownMethod(n.clone()));
                }
            }
        }
        let selected = |e: &&Entry| {
            config
                .methods
                .as_ref()
                .is_none_or(|names| names.contains(&e.name))
                && (!config.read_only || e.method == HttpMethod::Get)
        };
        let mut entries: Vec<&'static Entry> = catalog.entries().iter().filter(selected).collect();
        entries.sort_by_key(|e| LAST.contains(&e.name.as_str()));
        if entries.is_empty() {
            return Err(RunError::NothingSelected);
        }
        let run_id = config
            .run_id
            .clone()
            .unwrap_or_else(RunPrefix::fresh_run_id);
        Ok(Runner {
            config,
            client: Client::new(&config.root_url, config.credentials.clone())?,
            prefix: RunPrefix::new(&run_id)?,
            entries,
            validators: Validators::embedded(),
            to_delete: BTreeSet::new(),
            known: Vec::new(),
            static_provider: None,
        })
    }

    /// Runs every selected method, then cleans up.
    pub(super) async fn run(mut self) -> Result<Report, RunError> {
        let started = Instant::now();
        if !self.config.read_only {
            self.static_provider = self.find_static_provider().await;
        }
        let mut methods = Vec::new();
        for entry in self.entries.clone() {
            methods.push(self.run_method(entry).await);
        }
        let cleanup = self.cleanup().await;
        Ok(Report {
            root_url: self.config.root_url.clone(),
            seed: self.config.seed,
            cases_per_method: self.config.cases,
            run_prefix: self.prefix.as_str().to_string(),
            read_only: self.config.read_only,
            signed: self.client.signs(),
            methods,
            cleanup,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// The first provider of type `static` that `listProviders` names.
    async fn find_static_provider(&self) -> Option<String> {
        let response = self
            .client
            .send(HttpMethod::Get, "/providers", None)
            .await
            .ok()?;
        let body = response.json()?;
        body.get("providers")?
            .as_array()?
            .iter()
            .find(|p| p.get("providerType").and_then(Value::as_str) == Some("static"))?
            .get("providerId")?
            .as_str()
            .map(str::to_string)
    }

    async fn run_method(&mut self, entry: &'static Entry) -> MethodReport {
        let mut report = MethodReport::new(&entry.name);
        let plan = match MethodPlan::new(entry) {
            Ok(p) => p,
            Err(e) => {
                report.cases = 1;
                report.failed = 1;
                report.failures.push(failure(
                    0,
                    "setup",
                    None,
                    None,
                    Finding {
                        check: Check::Generate,
                        expected: "strategies for the method".into(),
                        found: e.to_string(),
                    },
                ));
                return report;
            }
        };
        let variants = plan.variants();
        let mut runner = seed::runner(self.config.seed, &entry.name);
        for case in 0..self.config.cases {
            let variant = variants[case as usize % variants.len()];
            report.cases += 1;
            let mut attempt = 0;
            let findings = loop {
                attempt += 1;
                let mut generated = match plan.generate(variant, &self.prefix, &mut runner) {
                    Ok(g) => g,
                    Err(_) if attempt < ATTEMPTS => continue,
                    Err(e) => {
                        let f = Finding {
                            check: Check::Generate,
                            expected: format!("a {variant:?} request"),
                            found: e,
                        };
                        break Some(vec![failure(case, "setup", None, None, f)]);
                    }
                };
                self.tweak_valid(entry, case, &mut generated);
                if !self
                    .prefix
                    .confines(entry.method, &generated.params, generated.body.as_ref())
                {
                    break None;
                }
                let Ok(path) = generated.path(entry) else {
                    break None;
                };
                let request = RequestRecord {
                    method: entry.method.as_str().to_string(),
                    path: path.clone(),
                    body: generated.body.clone(),
                };
                let kind = generated.kind.to_string();
                match self
                    .client
                    .send(entry.method, &path, generated.body.as_ref())
                    .await
                {
                    Err(SendError::PathRewritten { .. }) if attempt < ATTEMPTS => continue,
                    Err(SendError::PathRewritten { .. }) => break None,
                    Err(e) => {
                        self.note_create(entry, &generated, None);
                        let f = Finding {
                            check: Check::Transport,
                            expected: "a response".into(),
                            found: e.to_string(),
                        };
                        break Some(vec![failure(case, &kind, Some(request), None, f)]);
                    }
                    Ok(response) => {
                        self.note_create(entry, &generated, Some(&response));
                        let record = ResponseRecord {
                            status: response.status,
                            content_type: response.content_type.clone(),
                            body: truncate(&response.body, BODY_LIMIT),
                        };
                        let found =
                            check_response(entry, &generated.kind, &response, self.validators);
                        break Some(
                            found
                                .into_iter()
                                .map(|f| {
                                    failure(
                                        case,
                                        &kind,
                                        Some(request.clone()),
                                        Some(record.clone()),
                                        f,
                                    )
                                })
                                .collect(),
                        );
                    }
                }
            };
            match findings {
                None => {
                    report.cases -= 1;
                    report.skipped += 1;
                }
                Some(f) if f.is_empty() => report.passed += 1,
                Some(f) => {
                    report.failed += 1;
                    report.failures.extend(f);
                }
            }
        }
        report
    }

    /// Points some valid requests at pools that exist and at a real static provider, so that
    /// success paths (and their output schemas) are exercised, not only 404s and 400s.
    fn tweak_valid(&self, entry: &Entry, case: u32, g: &mut Generated) {
        if g.kind.is_invalid() {
            return;
        }
        let name = entry.name.as_str();
        if case % 2 == 0 && POOL_WRITERS.contains(&name) {
            if let (Some(provider), Some(Value::Object(body))) =
                (&self.static_provider, &mut g.body)
            {
                body.insert("providerId".into(), json!(provider));
                body.insert("config".into(), json!({}));
            }
        }
        let targets_pool = g.params.contains_key("workerPoolId")
            && name != "createWorkerPool"
            && !LAST.contains(&name);
        if case % 2 == 1 && targets_pool && !self.known.is_empty() {
            let pool = self.known[(case as usize / 2) % self.known.len()].clone();
            if let Some(Value::Object(body)) = &mut g.body {
                if body.contains_key("workerPoolId") {
                    body.insert("workerPoolId".into(), json!(pool));
                }
            }
            g.params.insert("workerPoolId".into(), pool);
        }
    }

    /// Remembers pools a `createWorkerPool` created (2xx) or may have created (no answer, 5xx).
    fn note_create(&mut self, entry: &Entry, g: &Generated, response: Option<&Response>) {
        if entry.name != "createWorkerPool" {
            return;
        }
        let Some(pool) = g.params.get("workerPoolId") else {
            return;
        };
        if !self.prefix.owns(pool) {
            return;
        }
        let status = response.map_or(0, |r| r.status);
        if (200..300).contains(&status) {
            if !self.known.contains(pool) {
                self.known.push(pool.clone());
            }
            self.to_delete.insert(pool.clone());
        } else if status == 0 || status >= 500 {
            self.to_delete.insert(pool.clone());
        }
    }

    /// Deletes every pool the run created (best effort).
    async fn cleanup(&self) -> Cleanup {
        let mut out = Cleanup::default();
        let catalog = Catalog::embedded();
        for pool in &self.to_delete {
            let params = [("workerPoolId".to_string(), pool.clone())].into();
            let path = match catalog.build_path("deleteWorkerPool", &params) {
                Ok(p) => p,
                Err(e) => {
                    out.failed.push((pool.clone(), e.to_string()));
                    continue;
                }
            };
            match self.client.send(HttpMethod::Delete, &path, None).await {
                Ok(r) if (200..300).contains(&r.status) => out.deleted.push(pool.clone()),
                Ok(r) if r.status == 404 => out.gone.push(pool.clone()),
                Ok(r) => out.failed.push((
                    pool.clone(),
                    format!("status {}: {}", r.status, truncate(&r.body, 200)),
                )),
                Err(e) => out.failed.push((pool.clone(), e.to_string())),
            }
        }
        out
    }
}

fn failure(
    case: u32,
    kind: &str,
    request: Option<RequestRecord>,
    response: Option<ResponseRecord>,
    f: Finding,
) -> Failure {
    Failure {
        check: f.check,
        case,
        kind: kind.to_string(),
        request,
        response,
        expected: f.expected,
        found: f.found,
    }
}

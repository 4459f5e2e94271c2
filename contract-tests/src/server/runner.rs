//! The run: methods in order, cases per method, checks per response, clean-up at the end.

// A check fails rarely, and a failure carries its request and response: returning it by value
// keeps the checks readable.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::time::Instant;

use serde_json::{json, Value};
use worker_manager_schemas::{Catalog, Entry, HttpMethod, Validators};

use super::checks::{check_response, Check, Finding};
use super::client::{Client, Response};
use super::coverage::Coverage;
use super::error::{RunError, SendError};
use super::plan::{Generated, MethodPlan};
use super::prefix::RunPrefix;
use super::report::{
    truncate, Cleanup, Failure, MethodReport, Report, RequestRecord, ResponseRecord, BODY_LIMIT,
};
use super::semantic::{call, Semantic, SemanticReport};
use super::{seed, Config, Progress};
use crate::stateful;

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
    /// The deployment's own schemas (`--schemas-from-server`), else the embedded ones are used.
    fetched: Option<Validators>,
    /// Where the schemas came from, for the report.
    schema_source: String,
    coverage: Coverage,
    /// Pools to delete at the end (created, or maybe created by a failed create).
    to_delete: BTreeSet<String>,
    /// Pools known to exist (created with a 2xx).
    known: Vec<String>,
    /// The id of a provider of type `static`, if the deployment lists one.
    static_provider: Option<String>,
    /// Pools a read-only probe created anyway (a server ignoring scopes), to delete.
    created_by_probe: std::sync::Mutex<Vec<String>>,
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
        let coverage = Coverage::default();
        let mut client = Client::new(&config.root_url, config.credentials.clone())?
            .with_coverage(coverage.clone());
        if let Some(rps) = config.max_rps {
            client = client.with_max_rps(rps);
        }
        Ok(Runner {
            config,
            client,
            prefix: RunPrefix::new(&run_id)?,
            entries,
            fetched: None,
            schema_source: "embedded".into(),
            coverage,
            to_delete: BTreeSet::new(),
            known: Vec::new(),
            static_provider: None,
            created_by_probe: std::sync::Mutex::new(Vec::new()),
        })
    }

    fn validators(&self) -> &Validators {
        self.fetched
            .as_ref()
            .unwrap_or_else(|| Validators::embedded())
    }

    /// Progress on stderr: `done` of `total` steps, now at `label`.
    fn progress(&self, done: usize, total: usize, label: &str) {
        let mut err = std::io::stderr().lock();
        match self.config.progress {
            Progress::Off => {}
            Progress::Lines => {
                let _ = writeln!(err, "wm-contract: [{done}/{total}] {label}");
            }
            Progress::Bar => {
                const WIDTH: usize = 30;
                let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
                let _ = write!(
                    err,
                    "\r\x1b[2K[{}{}] {done}/{total} {label}",
                    "#".repeat(filled),
                    "-".repeat(WIDTH - filled)
                );
                if done == total {
                    let _ = writeln!(err);
                }
                let _ = err.flush();
            }
        }
    }

    /// `--schemas-from-server`: the deployment's API reference and every schema it names (and
    /// their `$ref`s), as validators; the methods it lacks or adds are noted.
    async fn fetch_schemas(&mut self) -> Result<(), RunError> {
        let get = |path: String| {
            let client = self.client.clone();
            async move {
                let r = client
                    .get_root(&path)
                    .await
                    .map_err(|e| RunError::Schemas(format!("{path}: {e}")))?;
                if r.status != 200 {
                    return Err(RunError::Schemas(format!("{path}: status {}", r.status)));
                }
                r.json()
                    .ok_or_else(|| RunError::Schemas(format!("{path}: not JSON")))
            }
        };
        let reference = get("/references/worker-manager/v1/api.json".to_string()).await?;
        let entries = reference
            .get("entries")
            .and_then(Value::as_array)
            .ok_or_else(|| RunError::Schemas("api.json has no entries".into()))?;
        let mut wanted: Vec<String> = Vec::new();
        let mut names = BTreeSet::new();
        for e in entries {
            if let Some(n) = e.get("name").and_then(Value::as_str) {
                names.insert(n.to_string());
            }
            for k in ["input", "output"] {
                if let Some(r) = e.get(k).and_then(Value::as_str) {
                    wanted.push(worker_manager_schemas::files::schema_name_from_ref(r).to_string());
                }
            }
        }
        let mut docs: BTreeMap<String, Value> = BTreeMap::new();
        while let Some(name) = wanted.pop() {
            if docs.contains_key(&name) {
                continue;
            }
            let doc = get(format!("/schemas/worker-manager/v1/{name}.json")).await?;
            collect_refs(&doc, &mut wanted);
            docs.insert(name, doc);
        }
        let embedded: BTreeSet<String> = Catalog::embedded()
            .entries()
            .iter()
            .map(|e| e.name.clone())
            .collect();
        let missing: Vec<&String> = embedded.difference(&names).collect();
        let extra: Vec<&String> = names.difference(&embedded).collect();
        let mut source = format!("server ({} schemas", docs.len());
        if !missing.is_empty() {
            source.push_str(&format!("; the server lacks {missing:?}"));
        }
        if !extra.is_empty() {
            source.push_str(&format!("; the server adds {extra:?}"));
        }
        source.push(')');
        self.schema_source = source;
        self.fetched = Some(Validators::new(docs));
        Ok(())
    }

    /// Runs every selected method, the semantic checks and the stateful sequences, then cleans
    /// up.
    pub(super) async fn run(mut self) -> Result<Report, RunError> {
        let started = Instant::now();
        if self.config.schemas_from_server {
            self.fetch_schemas().await?;
        }
        self.static_provider = self.find_static_provider().await;
        let stateful_on = !self.config.read_only && self.config.stateful_cases > 0;
        let total =
            self.entries.len() + usize::from(self.config.semantic) + usize::from(stateful_on);
        let mut methods = Vec::new();
        for (i, entry) in self.entries.clone().into_iter().enumerate() {
            self.progress(i, total, &entry.name);
            methods.push(self.run_method(entry).await);
        }
        let mut done = self.entries.len();
        let mut semantic = Vec::new();
        if self.config.read_only {
            if self.config.semantic {
                self.progress(done, total, "read-only probes");
                semantic.push(self.read_only_probe().await);
                done += 1;
            }
        } else if self.config.semantic {
            self.progress(done, total, "semantic checks");
            let mut s = Semantic {
                client: &self.client,
                prefix: &self.prefix,
                static_provider: self.static_provider.as_deref(),
                seed: self.config.seed,
                created: Vec::new(),
            };
            semantic = s.run().await;
            let created = s.created;
            self.to_delete.extend(created);
            done += 1;
        }
        let mut stateful_outcome = None;
        if stateful_on {
            self.progress(done, total, "stateful sequences");
            let mut r = SemanticReport::new(Check::StatefulModel, "(sequences)");
            match self.static_provider.clone() {
                _ if !self.client.signs() => {
                    r.not_exercised = Some("no credentials".into());
                }
                None => {
                    r.not_exercised =
                        Some("the deployment lists no provider of type static".into());
                }
                Some(provider) => {
                    let out = stateful::check_sequences(
                        &self.client,
                        &self.prefix,
                        &provider,
                        self.config.stateful_cases,
                        self.config.seed,
                    )
                    .await;
                    self.to_delete.extend(out.pools.iter().cloned());
                    r.cases = out.cases;
                    r.passed = out.passed;
                    r.failed = out.cases - out.passed;
                    if let Some(f) = &out.failure {
                        r.failures.push(sequence_failure(f));
                    }
                    stateful_outcome = Some(out);
                }
            }
            semantic.push(r);
        }
        self.progress(total, total, "clean-up");
        let probed: Vec<String> = std::mem::take(
            &mut *self
                .created_by_probe
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        self.to_delete.extend(probed);
        let cleanup = self.cleanup().await;
        Ok(Report {
            schema_source: self.schema_source.clone(),
            semantic,
            stateful: stateful_outcome,
            coverage: self.coverage.rows(),
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

    /// `--read-only` probes: each selected mutating method (public ones aside), sent once with a
    /// valid generated request signed with the run's credentials narrowed to no scopes
    /// (`authorizedScopes: []`), must get `403 InsufficientScopes` and leave the pool it names as
    /// it was (read back with `workerPool` before and after).
    async fn read_only_probe(&self) -> SemanticReport {
        let check = Check::ReadOnlyProbe;
        let Some(creds) = self.client.credentials().cloned() else {
            return SemanticReport::not_exercised(check, "(mutating methods)", "no credentials");
        };
        let mut r = SemanticReport::new(check, "(mutating methods)");
        let narrow = match self.client.with_credentials(creds, None, Some(&[])) {
            Ok(c) => c,
            Err(e) => {
                r.not_exercised = Some(e.to_string());
                return r;
            }
        };
        let probed = Catalog::embedded().entries().iter().filter(|e| {
            e.method != HttpMethod::Get
                && !e.is_public()
                && self
                    .config
                    .methods
                    .as_ref()
                    .is_none_or(|names| names.contains(&e.name))
        });
        for entry in probed {
            let Ok(plan) = MethodPlan::new(entry) else {
                continue;
            };
            let mut runner = seed::runner(self.config.seed, &format!("probe:{}", entry.name));
            let Ok(g) = plan.generate(super::plan::Variant::Valid, &self.prefix, &mut runner)
            else {
                continue;
            };
            if !self
                .prefix
                .confines(entry.method, &g.params, g.body.as_ref())
            {
                continue;
            }
            let Ok(path) = g.path(entry) else { continue };
            let pool = g.params.get("workerPoolId").cloned().or_else(|| {
                g.body
                    .as_ref()
                    .and_then(|b| b.get("workerPoolId"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            let read = |pool: Option<String>| async move {
                match pool {
                    Some(p) => {
                        let c = call(
                            &self.client,
                            "workerPool",
                            &[("workerPoolId", p)],
                            &[],
                            None,
                        )
                        .await;
                        // Error bodies carry the request's details; only a pool's body counts.
                        let body = if c.status() == 200 {
                            c.json()
                        } else {
                            Value::Null
                        };
                        Some((c.status(), body))
                    }
                    None => None,
                }
            };
            let before = read(pool.clone()).await;
            let request = RequestRecord {
                method: entry.method.as_str().to_string(),
                path: path.clone(),
                body: g.body.clone(),
            };
            let sent = narrow.send(entry.method, &path, g.body.as_ref()).await;
            let probe = super::semantic::Call {
                request,
                response: sent.map_err(|e| e.to_string()),
            };
            let mut result = probe.expect(check, 403, Some("InsufficientScopes"));
            if probe.status() == 200 {
                if let Some(p) = &pool {
                    let mut to_delete = self
                        .created_by_probe
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    to_delete.push(p.clone());
                }
            }
            let after = read(pool.clone()).await;
            if result.is_ok() && before != after {
                result = Err(probe.fail(
                    check,
                    format!("{} unchanged", pool.as_deref().unwrap_or("the pool")),
                    format!(
                        "before: {:?}; after: {:?}",
                        before.as_ref().map(|b| b.0),
                        after.as_ref().map(|a| a.0)
                    ),
                ));
            }
            r.record(result.map_err(|mut f| {
                f.kind = format!("probe of {}", entry.name);
                f
            }));
        }
        r
    }

    /// The first provider of type `static` that `listProviders` names.
    async fn find_static_provider(&self) -> Option<String> {
        let response = self
            .client
            .send(HttpMethod::Get, "/providers", None)
            .await
            .ok()?;
        static_provider_id(&response.json()?)
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
                            check_response(entry, &generated.kind, &response, self.validators());
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
            let params: std::collections::BTreeMap<String, String> =
                [("workerPoolId".to_string(), pool.clone())].into();
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

/// Every `$ref` of `doc` to another document, as schema names.
fn collect_refs(doc: &Value, out: &mut Vec<String>) {
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) if !r.starts_with('#') => out.push(
                        worker_manager_schemas::files::schema_name_from_ref(
                            r.split('#').next().unwrap_or(r),
                        )
                        .to_string(),
                    ),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The shrunk stateful failure as a report failure: the failing request and response, and
/// the whole sequence (curl-ready) in `found`.
fn sequence_failure(f: &stateful::SequenceFailure) -> Failure {
    let last = f.exchanges.last();
    Failure {
        check: Check::StatefulModel,
        case: f.case,
        kind: format!("stateful sequence of {} operations", f.ops.len()),
        request: last.map(|x| RequestRecord {
            method: x.request.http.as_str().to_string(),
            path: x.request.path.clone(),
            body: x.request.body.clone(),
        }),
        response: last
            .and_then(|x| x.response.as_ref().ok())
            .map(|r| ResponseRecord {
                status: r.status,
                content_type: r.content_type.clone(),
                body: truncate(&r.body, BODY_LIMIT),
            }),
        expected: f.expected.clone(),
        found: format!("{}\n{}", f.found, f.to_text()),
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

/// The id of the first provider of type `static` in a `listProviders` answer `body`.
pub(crate) fn static_provider_id(body: &Value) -> Option<String> {
    body.get("providers")?
        .as_array()?
        .iter()
        .find(|p| p.get("providerType").and_then(Value::as_str) == Some("static"))?
        .get("providerId")?
        .as_str()
        .map(str::to_string)
}

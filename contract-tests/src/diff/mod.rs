//! `wm-contract diff`: the same generated traffic against two deployments (a *reference*, e.g. a
//! real worker-manager, and a *candidate*, e.g. wm-mock), answers compared call by call.
//!
//! - Traffic: the stateless requests of [`crate::server::MethodPlan`] (valid and invalid, per
//!   method, from the seed) and stateful sequences of [`crate::stateful::Op`]s. Each side works
//!   under its own run prefix ([`RunPrefix`], same shape on both, so ids map one to one); the
//!   requests are identical but for the prefix.
//! - Comparison ([`compare`]): status, error `code`, and the body after normalizing what
//!   legitimately differs (run prefix, generated ids and secrets, credentials, continuation
//!   tokens, the static provider's id, timestamps within a tolerance; error bodies by code only;
//!   unordered lists as sets; global lists restricted to the run's items).
//! - Minimization: a diverging sequence is shrunk (proptest's value tree, as
//!   [`crate::stateful::check_sequences`] does for model mismatches) to the shortest one that
//!   still shows the same divergence (method, kind, pointer).
//! - Allowed differences ([`allow`]): reported with their reason, they do not fail the run.
//! - Clean-up: every pool either side may have created is deleted at the end, whatever happened.

pub mod allow;
pub mod compare;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;
use thiserror::Error;
use worker_manager_schemas::{Catalog, Entry};

pub use allow::{AllowEntry, AllowError, AllowList};
pub use compare::{Difference, Kind, SideNames, Tolerance};
pub use report::{Answer, DiffReport, Divergence, MethodRow, Paired};

use crate::server::{
    case_runner, Cleanup, Client, Credentials, MethodPlan, Response, RunError, RunPrefix,
    SendError, Variant,
};
use crate::stateful::{run_sequence, Exchange, Namespace, Op, RequestSpec, MAX_SEQUENCE_LEN};

/// The timestamp tolerance when not told: the two deployments' clocks and the moments the two
/// requests were served differ by a little; five minutes covers both and a slow run.
pub const DEFAULT_TIME_TOLERANCE_SECS: u64 = 300;

/// How often a stateless case is generated again when its path would not go on the wire as
/// generated.
const ATTEMPTS: u32 = 10;

/// Shrinking steps at most per diverging sequence (each runs it on both sides).
const SHRINK_STEPS: u32 = 200;

/// One deployment: where, and with which credentials.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The root URL.
    pub root_url: String,
    /// Credentials to sign with (anonymous without).
    pub credentials: Option<Credentials>,
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct Config {
    /// The deployment taken as right.
    pub reference: Endpoint,
    /// The deployment compared with it.
    pub candidate: Endpoint,
    /// Stateless cases per method.
    pub cases: u32,
    /// Stateful sequences (0: none).
    pub stateful_cases: u32,
    /// The seed of all generated traffic.
    pub seed: u64,
    /// Timestamps this close (seconds) are equal.
    pub time_tolerance_secs: u64,
    /// Known, intentional differences.
    pub allow: AllowList,
    /// The run ids of the two prefixes (reference, candidate); fresh and distinct when `None`.
    pub run_ids: Option<(String, String)>,
}

impl Config {
    /// A configuration comparing `candidate` with `reference`: the server mode's default case
    /// counts, a fresh seed, [`DEFAULT_TIME_TOLERANCE_SECS`], nothing allowed.
    pub fn new(reference: Endpoint, candidate: Endpoint) -> Config {
        Config {
            seed: crate::server::fresh_seed(),
            reference,
            candidate,
            cases: crate::server::DEFAULT_CASES,
            stateful_cases: crate::server::DEFAULT_STATEFUL_CASES,
            time_tolerance_secs: DEFAULT_TIME_TOLERANCE_SECS,
            allow: AllowList::default(),
            run_ids: None,
        }
    }
}

/// Why a diff run could not start (exit status 2).
#[derive(Debug, Error)]
pub enum DiffError {
    /// A side's URL or run prefix is unusable, or its client cannot be built.
    #[error("{side}: {source}")]
    Setup {
        /// `reference` or `candidate`.
        side: &'static str,
        /// What is wrong.
        #[source]
        source: RunError,
    },
    /// A side does not answer `ping`.
    #[error("{side} ({url}) does not answer ping: {reason}")]
    Unreachable {
        /// `reference` or `candidate`.
        side: &'static str,
        /// Its root URL.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// Both run ids are the same: the sides would share pools when they are one deployment.
    #[error("the reference and candidate run ids must differ")]
    SameRunIds,
    /// The allow file was refused.
    #[error(transparent)]
    Allow(#[from] AllowError),
    /// The run was interrupted (Ctrl-C); both sides' run prefixes were swept.
    #[error(
        "interrupted; clean-up: reference {} deleted, {} failed; candidate {} deleted, {} failed",
        reference.deleted.len(),
        reference.failed.len(),
        candidate.deleted.len(),
        candidate.failed.len()
    )]
    Interrupted {
        /// What the sweep did on the reference.
        reference: Box<Cleanup>,
        /// What the sweep did on the candidate.
        candidate: Box<Cleanup>,
    },
}

/// One deployment during the run.
struct Side {
    client: Client,
    prefix: RunPrefix,
    names: SideNames,
    /// Pools this side may have created, to delete at the end.
    created: BTreeSet<String>,
}

impl Side {
    async fn new(name: &'static str, e: &Endpoint, run_id: &str) -> Result<Side, DiffError> {
        let setup = |source| DiffError::Setup { side: name, source };
        let client = Client::new(&e.root_url, e.credentials.clone()).map_err(setup)?;
        let prefix = RunPrefix::new(run_id).map_err(setup)?;
        let ping = call(&client, "ping", &[]).await;
        if let Err(reason) = ping {
            return Err(DiffError::Unreachable {
                side: name,
                url: e.root_url.clone(),
                reason,
            });
        }
        let providers = call(&client, "listProviders", &[]).await;
        let static_provider = providers
            .ok()
            .and_then(|r| r.json())
            .and_then(|b| crate::server::static_provider_id(&b));
        Ok(Side {
            client,
            names: SideNames {
                prefix: prefix.as_str().to_string(),
                static_provider,
            },
            prefix,
            created: BTreeSet::new(),
        })
    }

    /// Deletes every pool the side may have created.
    async fn cleanup(&self) -> Cleanup {
        let mut out = Cleanup::default();
        for pool in &self.created {
            let sent = call(
                &self.client,
                "deleteWorkerPool",
                &[("workerPoolId", pool.clone())],
            )
            .await;
            match sent {
                Ok(r) if (200..300).contains(&r.status) => out.deleted.push(pool.clone()),
                Ok(r) if r.status == 404 => out.gone.push(pool.clone()),
                Ok(r) => out
                    .failed
                    .push((pool.clone(), format!("status {}", r.status))),
                Err(e) => out.failed.push((pool.clone(), e)),
            }
        }
        out
    }
}

/// Sends `method` with these path parameters and no body.
async fn call(
    client: &Client,
    method: &'static str,
    params: &[(&str, String)],
) -> Result<Response, String> {
    let spec = RequestSpec::build(method, params, &[], None).map_err(|e| e.to_string())?;
    client
        .send(spec.http, &spec.path, None)
        .await
        .map_err(|e| e.to_string())
}

/// Replaces `from` by `to` in every string of `v` (a request body moved to the other prefix).
fn move_prefix(v: &Value, from: &str, to: &str) -> Value {
    compare::map_strings(v, &|s| s.replace(from, to))
}

/// What running one sequence on both sides gave.
struct PairRun {
    reference: Vec<Exchange>,
    candidate: Vec<Exchange>,
    /// The first diverging operation and its differences.
    first: Option<(usize, Vec<Difference>)>,
}

/// The run in progress.
struct Diff<'c> {
    config: &'c Config,
    reference: Side,
    candidate: Side,
    methods: BTreeMap<String, MethodRow>,
    divergences: Vec<Divergence>,
    allowed: Vec<Divergence>,
    /// Stateful executions so far (each gets a fresh namespace).
    execution: u32,
    shrink_runs: u32,
    stateful_sequences: u32,
    stateful_skipped: Option<String>,
}

/// Runs the comparison `config` describes. Errors only when it cannot start; divergences are in
/// the report.
pub async fn run(config: &Config) -> Result<DiffReport, DiffError> {
    run_until(config, std::future::pending()).await
}

/// [`run`], stopped early when `interrupt` completes (the binary passes Ctrl-C): the comparison
/// is abandoned and, on each side, every pool listed under that side's run prefix is deleted
/// ([`crate::server::sweep_prefix`]); the result is [`DiffError::Interrupted`].
pub async fn run_until(
    config: &Config,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<DiffReport, DiffError> {
    let mut config = config.clone();
    let (ref_id, cand_id) = config
        .run_ids
        .get_or_insert_with(|| {
            let a = RunPrefix::fresh_run_id();
            let mut b = RunPrefix::fresh_run_id();
            while b == a {
                b = RunPrefix::fresh_run_id();
            }
            (a, b)
        })
        .clone();
    let sweep = |name: &'static str, e: &Endpoint, run_id: &str| {
        let setup = move |source| DiffError::Setup { side: name, source };
        let client = Client::new(&e.root_url, e.credentials.clone()).map_err(setup)?;
        let prefix = RunPrefix::new(run_id).map_err(setup)?;
        Ok::<_, DiffError>((client, prefix))
    };
    let (ref_client, ref_prefix) = sweep("reference", &config.reference, &ref_id)?;
    let (cand_client, cand_prefix) = sweep("candidate", &config.candidate, &cand_id)?;
    tokio::select! {
        report = compare(&config) => report,
        () = interrupt => {
            let (reference, candidate) = tokio::join!(
                crate::server::sweep_prefix(&ref_client, &ref_prefix),
                crate::server::sweep_prefix(&cand_client, &cand_prefix)
            );
            Err(DiffError::Interrupted {
                reference: Box::new(reference),
                candidate: Box::new(candidate),
            })
        }
    }
}

/// The comparison itself ([`run_until`] has chosen the run ids).
async fn compare(config: &Config) -> Result<DiffReport, DiffError> {
    let started = Instant::now();
    let (ref_id, cand_id) = config.run_ids.clone().unwrap_or_default();
    if ref_id == cand_id {
        return Err(DiffError::SameRunIds);
    }
    let (reference, candidate) = tokio::join!(
        Side::new("reference", &config.reference, &ref_id),
        Side::new("candidate", &config.candidate, &cand_id)
    );
    let mut d = Diff {
        config,
        reference: reference?,
        candidate: candidate?,
        methods: BTreeMap::new(),
        divergences: Vec::new(),
        allowed: Vec::new(),
        execution: 0,
        shrink_runs: 0,
        stateful_sequences: 0,
        stateful_skipped: None,
    };
    d.stateless().await;
    d.stateful().await;
    let (cleanup_reference, cleanup_candidate) =
        tokio::join!(d.reference.cleanup(), d.candidate.cleanup());
    Ok(DiffReport {
        reference: config.reference.root_url.clone(),
        candidate: config.candidate.root_url.clone(),
        seed: config.seed,
        cases_per_method: config.cases,
        stateful_sequences: d.stateful_sequences,
        stateful_skipped: d.stateful_skipped,
        time_tolerance_secs: config.time_tolerance_secs,
        run_prefixes: (
            d.reference.names.prefix.clone(),
            d.candidate.names.prefix.clone(),
        ),
        divergences: d.divergences,
        allowed: d.allowed,
        methods: d.methods,
        cleanup_reference,
        cleanup_candidate,
        shrink_runs: d.shrink_runs,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

impl Diff<'_> {
    fn tolerance(&self) -> Tolerance {
        Tolerance {
            time_ms: i64::try_from(self.config.time_tolerance_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
        }
    }

    fn row(&mut self, method: &str) -> &mut MethodRow {
        let row = self.methods.entry(method.to_string()).or_default();
        row.cases += 1;
        row
    }

    /// The reason that covers every difference, if allow entries cover them all.
    fn allowed_reason(&self, method: &str, diffs: &[Difference]) -> Option<String> {
        let mut reasons: Vec<&str> = Vec::new();
        for d in diffs {
            let r = self.config.allow.find(method, d)?.reason.as_str();
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        }
        Some(reasons.join("; "))
    }

    /// Whether a divergence with this signature is already reported (and counts it).
    fn seen(&mut self, method: &str, first: &Difference, allowed: bool) -> bool {
        let sig = report::signature(method, first);
        let list = if allowed {
            &mut self.allowed
        } else {
            &mut self.divergences
        };
        match list.iter_mut().find(|d| d.signature() == sig) {
            Some(d) => {
                d.occurrences += 1;
                true
            }
            None => false,
        }
    }

    /// Counts a call's outcome and records its divergence (grouped by signature).
    fn record(&mut self, method: &str, diffs: Vec<Difference>, make: impl FnOnce() -> Divergence) {
        let Some(first) = diffs.first().cloned() else {
            self.row(method).agreeing += 1;
            return;
        };
        let reason = self.allowed_reason(method, &diffs);
        let row = self.row(method);
        if reason.is_some() {
            row.allowed += 1;
        } else {
            row.diverging += 1;
        }
        if self.seen(method, &first, reason.is_some()) {
            return;
        }
        let mut d = make();
        d.allowed = reason;
        if d.allowed.is_some() {
            self.allowed.push(d);
        } else {
            self.divergences.push(d);
        }
    }

    /// Every method, `cases` generated requests each (valid and invalid variants in turn).
    async fn stateless(&mut self) {
        for entry in Catalog::embedded().entries() {
            let Ok(plan) = MethodPlan::new(entry) else {
                continue;
            };
            let variants = plan.variants();
            let mut runner = case_runner(self.config.seed, &format!("diff:{}", entry.name));
            for case in 0..self.config.cases {
                let variant = variants[case as usize % variants.len()];
                let Some((spec, kind, r, c)) = self.send_case(&plan, variant, &mut runner).await
                else {
                    continue;
                };
                let diffs = compare::compare_call(
                    entry,
                    &[&r],
                    &[&c],
                    (&self.reference.names, &self.candidate.names),
                    self.tolerance(),
                );
                let make = || Divergence {
                    method: entry.name.clone(),
                    difference: diffs[0].clone(),
                    all: diffs.clone(),
                    source: format!("stateless case {case} ({kind})"),
                    original_len: None,
                    ops: Vec::new(),
                    occurrences: 1,
                    requests: vec![Paired {
                        number: 1,
                        request: spec,
                        reference: Answer::of(Some(&r)),
                        candidate: Answer::of(Some(&c)),
                    }],
                    diverging_request: 1,
                    allowed: None,
                };
                self.record(&entry.name, diffs.clone(), make);
            }
        }
    }

    /// Generates one case and sends it to both sides; `None` when it is skipped (a write outside
    /// the run prefix, a path that cannot be sent as generated).
    async fn send_case(
        &mut self,
        plan: &MethodPlan,
        variant: Variant,
        runner: &mut TestRunner,
    ) -> Option<(
        RequestSpec,
        String,
        Result<Response, String>,
        Result<Response, String>,
    )> {
        let entry: &'static Entry = plan.entry();
        let (from, to) = (
            self.reference.names.prefix.clone(),
            self.candidate.names.prefix.clone(),
        );
        for _ in 0..ATTEMPTS {
            let Ok(g) = plan.generate(variant, &self.reference.prefix, runner) else {
                continue;
            };
            if !self
                .reference
                .prefix
                .confines(entry.method, &g.params, g.body.as_ref())
            {
                return None;
            }
            let path = g.path(entry).ok()?;
            let cand_path = path.replace(&from, &to);
            let cand_body = g.body.as_ref().map(|b| move_prefix(b, &from, &to));
            let (r, c) = tokio::join!(
                self.reference
                    .client
                    .send(entry.method, &path, g.body.as_ref()),
                self.candidate
                    .client
                    .send(entry.method, &cand_path, cand_body.as_ref())
            );
            if matches!(r, Err(SendError::PathRewritten { .. }))
                || matches!(c, Err(SendError::PathRewritten { .. }))
            {
                continue;
            }
            if entry.name == "createWorkerPool" {
                if let Some(pool) = g.params.get("workerPoolId") {
                    if self.reference.prefix.owns(pool) {
                        self.candidate.created.insert(pool.replace(&from, &to));
                        self.reference.created.insert(pool.clone());
                    }
                }
            }
            let spec = RequestSpec {
                method: entry.name.as_str(),
                http: entry.method,
                path,
                body: g.body,
            };
            return Some((
                spec,
                g.kind.to_string(),
                r.map_err(|e| e.to_string()),
                c.map_err(|e| e.to_string()),
            ));
        }
        None
    }

    /// Runs `ops` on both sides, each in a fresh namespace, and finds the first operation
    /// answered differently.
    async fn run_pair(&mut self, ops: &[Op], providers: (&str, &str)) -> PairRun {
        let ns_r = Namespace::new(&self.reference.prefix, self.execution, providers.0);
        let ns_c = Namespace::new(&self.candidate.prefix, self.execution, providers.1);
        self.execution += 1;
        for op in ops {
            if let Op::CreatePool { pool, .. } = op {
                self.reference.created.insert(ns_r.pool_id(*pool));
                self.candidate.created.insert(ns_c.pool_id(*pool));
            }
        }
        let (reference, candidate) = tokio::join!(
            run_sequence(&self.reference.client, &ns_r, ops),
            run_sequence(&self.candidate.client, &ns_c, ops)
        );
        let mut first = None;
        for (i, op) in ops.iter().enumerate() {
            let Some(entry) = Catalog::embedded().get(op.method()) else {
                continue;
            };
            let pages = |xs: &'_ [Exchange]| -> Vec<Result<Response, String>> {
                xs.iter()
                    .filter(|x| x.op_index == i)
                    .map(|x| x.response.clone())
                    .collect()
            };
            let (rp, cp) = (pages(&reference), pages(&candidate));
            let diffs = compare::compare_call(
                entry,
                &rp.iter().collect::<Vec<_>>(),
                &cp.iter().collect::<Vec<_>>(),
                (&self.reference.names, &self.candidate.names),
                self.tolerance(),
            );
            if !diffs.is_empty() {
                first = Some((i, diffs));
                break;
            }
        }
        PairRun {
            reference,
            candidate,
            first,
        }
    }

    /// Stateful sequences on both sides; each diverging one is shrunk (unless the same
    /// divergence was already reported or it is allowed).
    async fn stateful(&mut self) {
        if self.config.stateful_cases == 0 {
            return;
        }
        let providers = match (
            self.reference.names.static_provider.clone(),
            self.candidate.names.static_provider.clone(),
        ) {
            (Some(r), Some(c)) => (r, c),
            (r, _) => {
                let side = if r.is_none() {
                    "reference"
                } else {
                    "candidate"
                };
                self.stateful_skipped =
                    Some(format!("the {side} lists no provider of type static"));
                return;
            }
        };
        let providers = (providers.0.as_str(), providers.1.as_str());
        let strategy = Op::sequence(1..MAX_SEQUENCE_LEN);
        let mut runner = case_runner(self.config.seed, "diff-stateful");
        for case in 0..self.config.stateful_cases {
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                break;
            };
            self.stateful_sequences += 1;
            let ops = tree.current();
            let run = self.run_pair(&ops, providers).await;
            let upto = run.first.as_ref().map_or(ops.len(), |(i, _)| *i);
            for op in &ops[..upto] {
                self.row(op.method()).agreeing += 1;
            }
            let Some((i, diffs)) = &run.first else {
                continue;
            };
            let method = ops[*i].method();
            let sig = report::signature(method, &diffs[0]);
            let allowed = self.allowed_reason(method, diffs).is_some();
            let known = if allowed {
                &self.allowed
            } else {
                &self.divergences
            }
            .iter()
            .any(|d| d.signature() == sig);
            let original_len = ops.len();
            let (ops, run) = if known || allowed {
                (ops, run)
            } else {
                self.shrink(&mut tree, ops, run, &sig, providers).await
            };
            let Some((i, diffs)) = run.first.clone() else {
                continue;
            };
            let method = ops[i].method();
            let prefixes = (
                self.candidate.names.prefix.clone(),
                self.reference.names.prefix.clone(),
            );
            let make = || {
                let prefixes = (prefixes.0.as_str(), prefixes.1.as_str());
                let (requests, diverging_request) = paired(&ops[..=i], &run, prefixes);
                Divergence {
                    method: method.to_string(),
                    difference: diffs[0].clone(),
                    all: diffs.clone(),
                    source: format!("stateful sequence {case}"),
                    original_len: Some(original_len),
                    ops: ops[..=i].to_vec(),
                    occurrences: 1,
                    requests,
                    diverging_request,
                    allowed: None,
                }
            };
            self.record(method, diffs.clone(), make);
        }
    }

    /// Shrinks a diverging sequence to the shortest one (up to its divergence) that still shows
    /// a divergence with signature `sig`.
    async fn shrink(
        &mut self,
        tree: &mut impl ValueTree<Value = Vec<Op>>,
        ops: Vec<Op>,
        run: PairRun,
        sig: &(String, Kind, String),
        providers: (&str, &str),
    ) -> (Vec<Op>, PairRun) {
        let len = |run: &PairRun| run.first.as_ref().map_or(usize::MAX, |(i, _)| i + 1);
        let mut best = (ops, run);
        let mut last_failed = true;
        for _ in 0..SHRINK_STEPS {
            if !crate::stateful::shrink_step(tree, last_failed) {
                break;
            }
            let ops = tree.current();
            let run = self.run_pair(&ops, providers).await;
            self.shrink_runs += 1;
            last_failed = run.first.as_ref().is_some_and(|(i, d)| {
                d.first()
                    .is_some_and(|d| report::signature(ops[*i].method(), d) == *sig)
            });
            if last_failed && len(&run) <= len(&best.1) {
                best = (ops, run);
            }
        }
        best
    }
}

/// The numbered requests of `ops` with both sides' answers (pages one after the other), and the
/// number of the diverging operation's first request (the last operation of `ops`). A request
/// only the candidate sent is shown moved to the reference's prefix (`prefixes`: from, to).
fn paired(ops: &[Op], run: &PairRun, prefixes: (&str, &str)) -> (Vec<Paired>, usize) {
    let mut out = Vec::new();
    let mut diverging = 1;
    for i in 0..ops.len() {
        let rs: Vec<&Exchange> = run.reference.iter().filter(|x| x.op_index == i).collect();
        let cs: Vec<&Exchange> = run.candidate.iter().filter(|x| x.op_index == i).collect();
        if i + 1 == ops.len() {
            diverging = out.len() + 1;
        }
        for k in 0..rs.len().max(cs.len()).min(report::PAGES_SHOWN) {
            let request = match (rs.get(k), cs.get(k)) {
                (Some(r), _) => r.request.clone(),
                (None, Some(c)) => {
                    let mut spec = c.request.clone();
                    spec.path = spec.path.replace(prefixes.0, prefixes.1);
                    spec.body = spec.body.map(|b| move_prefix(&b, prefixes.0, prefixes.1));
                    spec
                }
                (None, None) => continue,
            };
            out.push(Paired {
                number: out.len() + 1,
                request,
                reference: Answer::of(rs.get(k).map(|x| &x.response)),
                candidate: Answer::of(cs.get(k).map(|x| &x.response)),
            });
        }
    }
    (out, diverging)
}

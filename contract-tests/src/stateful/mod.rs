//! Stateful testing: random sequences of operations against a server, compared with a reference
//! model, shrunk to the shortest failing sequence.
//!
//! - [`op`]: the operation vocabulary ([`Op`], its strategies, [`Op::request`] building the HTTP
//!   request in a [`Namespace`]) — model-free, reusable for comparing two servers.
//! - [`exec`]: sending operations ([`run_op`], [`run_sequence`]) and collecting [`Exchange`]s.
//! - [`model`]: the reference [`Model`] (pools, workers, errors), what it expects of each
//!   operation ([`Model::expect`], [`Model::verify`]) and [`ModelMachine`], its
//!   `proptest-state-machine` form whose sequential strategy shrinks failing sequences.
//! - [`check_sequences`]: generates sequences from a seed, runs each in a fresh namespace,
//!   shrinks the first failing one and reports it as numbered, curl-ready requests.

pub mod exec;
pub mod model;
pub mod op;

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use proptest::strategy::{Strategy, ValueTree};
use proptest_state_machine::ReferenceStateMachine;
use serde::Serialize;

pub use exec::{run_op, run_sequence, Exchange};
pub use model::{Expected, Mismatch, Model, ModelMachine};
pub use op::{Namespace, Op, RequestError, RequestSpec};

use crate::server::{Client, RunPrefix};

/// Operations per generated sequence: at least 1, fewer than this.
pub const MAX_SEQUENCE_LEN: usize = 24;
/// Shrinking steps at most (each runs a sequence against the server).
pub const MAX_SHRINK_STEPS: u32 = 400;

/// A failing sequence, shrunk.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceFailure {
    /// The seed that generated it (`--seed`).
    pub seed: u64,
    /// The case number of the first failing sequence (before shrinking).
    pub case: u32,
    /// Length of the sequence as first found.
    pub original_len: usize,
    /// The shrunk sequence.
    pub ops: Vec<Op>,
    /// Every exchange of the shrunk sequence, up to the failing one.
    pub exchanges: Vec<Exchange>,
    /// Index (in `ops`) of the operation the server got wrong.
    pub failing_op: usize,
    /// What the model expected.
    pub expected: String,
    /// What the server answered.
    pub found: String,
}

impl SequenceFailure {
    /// The numbered requests of the shrunk sequence, curl-ready, with the failing response.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "shrunk from {} to {} operations (seed {}, sequence {}: replay with --seed {} \
             --stateful-cases {}); the requests, curl-ready (unsigned: use a server with \
             authentication off such as `wm-mock serve --auth permissive`, or send each method \
             and body with `taskcluster api workerManager`):\n",
            self.original_len,
            self.ops.len(),
            self.seed,
            self.case,
            self.seed,
            self.case + 1
        );
        for (i, x) in self.exchanges.iter().enumerate() {
            let _ = writeln!(s, "  {}. {}", i + 1, x.request.to_curl());
            match &x.response {
                Ok(r) => {
                    let body = r.json().map_or_else(|| r.body.clone(), |j| j.to_string());
                    let _ = writeln!(
                        s,
                        "     -> {} {}",
                        r.status,
                        crate::server::truncate(&body, 200)
                    );
                }
                Err(e) => {
                    let _ = writeln!(s, "     -> no response: {e}");
                }
            }
        }
        let _ = writeln!(
            s,
            "  operation {} ({}): expected {}, found {}",
            self.failing_op + 1,
            self.ops
                .get(self.failing_op)
                .map(|o| format!("{o:?}"))
                .unwrap_or_default(),
            self.expected,
            self.found
        );
        s
    }
}

/// What [`check_sequences`] found.
#[derive(Debug, Clone, Serialize)]
pub struct StatefulOutcome {
    /// Sequences run (before any shrinking).
    pub cases: u32,
    /// Sequences that matched the model.
    pub passed: u32,
    /// Sequences run while shrinking.
    pub shrink_runs: u32,
    /// Requests sent in all.
    pub requests: u64,
    /// The first failing sequence, shrunk.
    pub failure: Option<SequenceFailure>,
    /// Pool ids the sequences created (for clean-up).
    #[serde(skip)]
    pub pools: Vec<String>,
    /// Every exchange's method, status and error code, for coverage (method, status, code,
    /// page position).
    #[serde(skip)]
    pub observed: Vec<Observed>,
}

/// One response seen, for the coverage matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The method.
    pub method: &'static str,
    /// The status.
    pub status: u16,
    /// The error code, if any.
    pub code: Option<String>,
    /// For pages: `first`, `continued` or `last` (a single page is `first`+`last`: `only`).
    pub page: Option<&'static str>,
}

/// Runs `ops` in `ns`, checking each against the model; the exchanges up to the first mismatch,
/// and the mismatch with the index of its operation.
pub async fn run_checked(
    client: &Client,
    ns: &Namespace,
    ops: &[Op],
    seen: Option<&std::sync::atomic::AtomicUsize>,
) -> (Vec<Exchange>, Option<(usize, Mismatch)>) {
    let mut model = Model::default();
    let mut all = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if let Some(s) = seen {
            s.fetch_add(1, Ordering::SeqCst);
        }
        let xs = run_op(client, ns, i, op).await;
        let verdict = model.verify(ns, op, &xs);
        all.extend(xs);
        if let Err(m) = verdict {
            return (all, Some((i, m)));
        }
        model = model.after(op);
    }
    (all, None)
}

/// One shrinking move: a simpler value after a run that failed, back towards the last failing
/// one after a run that passed. False when the tree cannot move.
pub(crate) fn shrink_step(tree: &mut impl ValueTree, last_failed: bool) -> bool {
    if last_failed {
        tree.simplify()
    } else {
        tree.complicate()
    }
}

fn observe(out: &mut Vec<Observed>, xs: &[Exchange]) {
    let mut i = 0;
    while i < xs.len() {
        let op = xs[i].op_index;
        let group: Vec<&Exchange> = xs[i..].iter().take_while(|x| x.op_index == op).collect();
        let n = group.len();
        for (k, x) in group.iter().enumerate() {
            let Ok(r) = &x.response else { continue };
            let paging = x.request.path.contains("limit=");
            let page = paging.then_some(match (k, n) {
                (0, 1) => "only",
                (0, _) => "first",
                (k, n) if k + 1 == n => "last",
                _ => "continued",
            });
            out.push(Observed {
                method: x.request.method,
                status: r.status,
                code: r
                    .json()
                    .and_then(|b| b.get("code").and_then(|c| c.as_str()).map(str::to_string)),
                page,
            });
        }
        i += n;
    }
}

/// Generates `cases` sequences from `seed`, runs each in a fresh [`Namespace`] under `prefix`
/// (pools created with `static_provider`), and shrinks the first one the server gets wrong.
pub async fn check_sequences(
    client: &Client,
    prefix: &RunPrefix,
    static_provider: &str,
    cases: u32,
    seed: u64,
) -> StatefulOutcome {
    let mut runner = crate::server::case_runner(seed, "stateful");
    let strategy = ModelMachine::sequential_strategy(1..MAX_SEQUENCE_LEN);
    let mut out = StatefulOutcome {
        cases: 0,
        passed: 0,
        shrink_runs: 0,
        requests: 0,
        failure: None,
        pools: Vec::new(),
        observed: Vec::new(),
    };
    let mut execution = 0u32;
    let mut fresh_ns = || {
        let ns = Namespace::new(prefix, execution, static_provider);
        execution += 1;
        ns
    };
    let note_created = |out: &mut StatefulOutcome, xs: &[Exchange]| {
        for x in xs {
            if x.request.method == "createWorkerPool" && x.status() == Some(200) {
                let id = x.json().and_then(|b| {
                    b.get("workerPoolId")
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                });
                if let Some(id) = id {
                    if prefix.owns(&id) && !out.pools.contains(&id) {
                        out.pools.push(id);
                    }
                }
            }
        }
    };
    for case in 0..cases {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            break;
        };
        out.cases += 1;
        let (_, ops, seen) = tree.current();
        let ns = fresh_ns();
        let (xs, verdict) = run_checked(client, &ns, &ops, seen.as_deref()).await;
        out.requests += xs.len() as u64;
        observe(&mut out.observed, &xs);
        note_created(&mut out, &xs);
        let Some((idx, m)) = verdict else {
            out.passed += 1;
            continue;
        };
        let original_len = ops.len();
        let mut best = (ops, xs, idx, m);
        let mut last_failed = true;
        for _ in 0..MAX_SHRINK_STEPS {
            if !shrink_step(&mut tree, last_failed) {
                break;
            }
            let (_, ops, seen) = tree.current();
            let ns = fresh_ns();
            let (xs, verdict) = run_checked(client, &ns, &ops, seen.as_deref()).await;
            note_created(&mut out, &xs);
            out.shrink_runs += 1;
            out.requests += xs.len() as u64;
            last_failed = verdict.is_some();
            if let Some((idx, m)) = verdict {
                if ops.len() <= best.0.len() {
                    best = (ops, xs, idx, m);
                }
            }
        }
        let (ops, exchanges, failing_op, m) = best;
        let ops: Vec<Op> = ops.into_iter().take(failing_op + 1).collect();
        out.failure = Some(SequenceFailure {
            seed,
            case,
            original_len,
            ops,
            exchanges,
            failing_op,
            expected: m.expected,
            found: m.found,
        });
        break;
    }
    out
}

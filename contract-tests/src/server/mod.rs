//! `wm-contract server`: conformance checks of a running worker-manager.
//!
//! For each selected method, [`run`] generates requests from the catalog and the schema-driven
//! strategies of [`crate::generate`] — valid ones, and ones breaking one rule of the body, of one
//! path parameter or of the query — sends them (Hawk-signed when credentials are given) and runs
//! the named [`Check`]s on every response. The result is a [`Report`].
//!
//! Safety on real deployments: every worker pool id a run generates lies under the run prefix
//! `wm-contract-<run id>` ([`RunPrefix`]); a mutating request is only sent when every pool id it
//! carries does; pools the run created are deleted at the end (best effort, reported).
//! `read_only` runs only `GET` methods.
//!
//! Replay: requests depend only on the seed and the method (each method has its own runner
//! seeded from both), so `--seed S --methods X` sends what the full run sent to `X` (the run
//! prefix differs: it is fresh on every run).

mod checks;
mod client;
mod coverage;
mod error;
mod plan;
mod prefix;
mod report;
mod runner;
mod seed;
mod semantic;
mod sweep;

pub use checks::{check_response, Check, Finding, ERROR_STATUSES};
pub use client::{Client, Credentials, Response};
pub use coverage::{Coverage, CoverageKey, CoverageRow};
pub use error::{RunError, SendError};
pub use plan::{CaseKind, Generated, MethodPlan, Variant};
pub use prefix::{RunPrefix, PREFIX_START};
pub(crate) use report::xml_escape;
pub use report::{truncate, Cleanup, Failure, MethodReport, Report, RequestRecord, ResponseRecord};
pub(crate) use runner::static_provider_id;
pub use seed::runner as case_runner;
pub use semantic::SemanticReport;
pub use sweep::sweep_prefix;

/// A seed from the clock, for runs not given one (what [`Config::new`] picks).
pub fn fresh_seed() -> u64 {
    seed::fresh()
}

/// The cases per method when not told.
pub const DEFAULT_CASES: u32 = 20;

/// The stateful sequences per run when not told.
pub const DEFAULT_STATEFUL_CASES: u32 = 16;

/// How progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing.
    Off,
    /// One plain line per method (logs, CI).
    Lines,
    /// A bar redrawn in place (a terminal).
    Bar,
}

/// What to run against which deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The deployment's root URL (`https://tc.example.com`).
    pub root_url: String,
    /// Credentials to sign with; anonymous requests without.
    pub credentials: Option<Credentials>,
    /// Cases per method.
    pub cases: u32,
    /// The seed of every generated request.
    pub seed: u64,
    /// Only these methods (catalog names); all when `None`.
    pub methods: Option<Vec<String>>,
    /// Only `GET` methods.
    pub read_only: bool,
    /// The run id under the prefix (`wm-contract-<run id>`); fresh when `None`.
    pub run_id: Option<String>,
    /// Stateful sequences to run (0: none).
    pub stateful_cases: u32,
    /// Run the semantic checks (create-then-get, conflicts, paging, ...).
    pub semantic: bool,
    /// Check responses against the schemas the deployment serves (`/references/...`,
    /// `/schemas/...`) instead of the embedded ones.
    pub schemas_from_server: bool,
    /// At most this many requests a second.
    pub max_rps: Option<f64>,
    /// Progress on stderr.
    pub progress: Progress,
}

impl Config {
    /// A configuration for `root_url`: anonymous, [`DEFAULT_CASES`] cases, a fresh seed, every
    /// method, semantic checks and [`DEFAULT_STATEFUL_CASES`] stateful sequences, no rate limit,
    /// no progress.
    pub fn new(root_url: impl Into<String>) -> Config {
        Config {
            root_url: root_url.into(),
            credentials: None,
            cases: DEFAULT_CASES,
            seed: seed::fresh(),
            methods: None,
            read_only: false,
            run_id: None,
            stateful_cases: DEFAULT_STATEFUL_CASES,
            semantic: true,
            schemas_from_server: false,
            max_rps: None,
            progress: Progress::Off,
        }
    }
}

/// Runs the checks described by `config` and reports on them.
pub async fn run(config: &Config) -> Result<Report, RunError> {
    run_until(config, std::future::pending()).await
}

/// [`run`], stopped early when `interrupt` completes (the binary passes Ctrl-C): the run is
/// abandoned, every pool the deployment lists under the run prefix is deleted
/// ([`sweep_prefix`]) and the result is [`RunError::Interrupted`] with that clean-up.
pub async fn run_until(
    config: &Config,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<Report, RunError> {
    let mut config = config.clone();
    let run_id = config
        .run_id
        .get_or_insert_with(RunPrefix::fresh_run_id)
        .clone();
    let prefix = RunPrefix::new(&run_id)?;
    let runner = runner::Runner::new(&config)?;
    let sweeper = Client::new(&config.root_url, config.credentials.clone())?;
    tokio::select! {
        report = runner.run() => report,
        () = interrupt => {
            let cleanup = sweep_prefix(&sweeper, &prefix).await;
            Err(RunError::Interrupted {
                prefix: prefix.as_str().to_string(),
                cleanup,
            })
        }
    }
}

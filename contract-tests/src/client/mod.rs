//! `wm-contract client`: run a worker-manager client against an embedded strict mock and judge it
//! from the mock's journal.
//!
//! [`run`] starts a [`worker_manager_mock::MockServer`] (real Hawk authentication, every answer
//! checked against its output schema, a fresh root client with scope `*`), runs the client
//! command with `TASKCLUSTER_ROOT_URL`, `TASKCLUSTER_CLIENT_ID` and `TASKCLUSTER_ACCESS_TOKEN`
//! set, waits for it, and reads the journal:
//!
//! - [`analyze`]: contract violations (no method matched, parameters/query/body broke the
//!   method's definition, authentication failed, scopes missing) and coverage (methods called ×
//!   status classes);
//! - [`behavior`]: client-behavior checks over time (retries, paging, credential renewal);
//! - [`fuzz`]: `--response-fuzz`, generated schema-valid variants of every answer;
//! - [`report`]: the [`Report`] as text, JSON and JUnit XML.

pub mod analyze;
pub mod behavior;
pub mod fuzz;
pub mod observed;
pub mod report;

use std::path::PathBuf;
use std::process::Stdio;

use thiserror::Error;
use worker_manager_mock::scenario::{Scenario, ScenarioError};
use worker_manager_mock::{MockServer, StartError};
use worker_manager_schemas::Catalog;

pub use observed::Observed;
pub use report::{CommandOutcome, Report};

/// What to run and how to judge it.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The client command and its arguments.
    pub command: Vec<String>,
    /// Scenario files to load into the mock (seed and rules), in order.
    pub scenarios: Vec<PathBuf>,
    /// Fail when fewer than this percentage of the catalog's methods were called.
    pub min_coverage: Option<f64>,
    /// Seed of the mock's ids and secrets and of `--response-fuzz`.
    pub seed: u64,
    /// Answer with generated schema-valid variants (see [`fuzz`]).
    pub response_fuzz: bool,
    /// Scopes every request has, signed or not (for clients that cannot sign, like `curl`).
    pub anonymous_scopes: Vec<String>,
}

/// Why a client run could not happen (a misbehaving client is reported in the [`Report`]).
#[derive(Debug, Error)]
pub enum ClientError {
    /// No command was given.
    #[error("no client command given (wm-contract client [OPTIONS] -- CMD ARGS...)")]
    NoCommand,
    /// A scenario file could not be loaded.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The mock did not start.
    #[error("the embedded mock did not start: {0}")]
    Start(#[from] StartError),
    /// The command could not be started.
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        /// The command.
        command: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A proptest runner determined by `seed` and a purpose (so that separate uses of one seed do
/// not share a stream): the same derivation as the server runner's per-method runners.
pub use crate::server::case_runner as seeded_runner;

/// Starts the embedded mock `config` describes.
pub async fn start_mock(config: &Config) -> Result<MockServer, ClientError> {
    let mut builder = MockServer::builder()
        .seed(config.seed)
        .validate_responses(true)
        .anonymous_scopes(config.anonymous_scopes.clone());
    for path in &config.scenarios {
        builder = builder.scenario(Scenario::load(path)?);
    }
    if config.response_fuzz {
        builder = builder.response_transform(fuzz::ResponseFuzz::new(config.seed));
    }
    Ok(builder.start().await?)
}

/// The journal of `server` as [`Observed`] requests, oldest first.
pub fn observed(server: &MockServer) -> Vec<Observed> {
    server
        .journal()
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .filter_map(|v| Observed::from_json(&v))
        .collect()
}

/// Judges a finished client run from its requests.
pub fn judge(config: &Config, outcome: CommandOutcome, requests: &[Observed]) -> Report {
    Report {
        command: config.command.join(" "),
        outcome,
        seed: config.seed,
        requests: requests.len(),
        violations: analyze::violations(requests),
        coverage: analyze::coverage(Catalog::embedded(), requests),
        min_coverage: config.min_coverage,
        behavior: behavior::check_all(requests),
    }
}

/// Runs the client command against an embedded mock and reports on it.
pub async fn run(config: &Config) -> Result<Report, ClientError> {
    let (program, args) = config.command.split_first().ok_or(ClientError::NoCommand)?;
    let server = start_mock(config).await?;
    let (client_id, access_token) = server.root_credentials();
    let status = tokio::process::Command::new(program)
        .args(args)
        .env("TASKCLUSTER_ROOT_URL", server.root_url())
        .env("TASKCLUSTER_CLIENT_ID", client_id)
        .env("TASKCLUSTER_ACCESS_TOKEN", access_token)
        .env_remove("TASKCLUSTER_CERTIFICATE")
        .stdin(Stdio::null())
        .status()
        .await
        .map_err(|source| ClientError::Spawn {
            command: program.clone(),
            source,
        })?;
    let outcome = match status.code() {
        Some(code) => CommandOutcome::Exited(code),
        None => CommandOutcome::Killed,
    };
    let requests = observed(&server);
    server.shutdown().await;
    Ok(judge(config, outcome, &requests))
}

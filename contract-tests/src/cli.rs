//! The `wm-contract` command line.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::client;
use crate::diff;
use crate::server::{self, Credentials};

/// Conformance testing of worker-manager servers and clients against the v1 API's schemas.
#[derive(Debug, Parser)]
#[command(name = "wm-contract", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the methods of the API definition this build checks against.
    Methods,
    /// Check a running worker-manager: generated valid and invalid requests, named checks on
    /// every response. Pools it creates live under `wm-contract-<run id>/` and are deleted at
    /// the end. Exits 1 when a check failed, 2 when the run could not start.
    Server(ServerArgs),
    /// Check a worker-manager client: run CMD against an embedded strict wm-mock (real Hawk,
    /// answers checked against their schemas, fresh root credentials in TASKCLUSTER_ROOT_URL,
    /// TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN), then report contract violations,
    /// client-behavior checks and coverage from the mock's journal. Exits 1 when CMD failed, a
    /// violation or failed check was seen or coverage is below --min-coverage; 2 when the run
    /// could not start.
    Client(ClientArgs),
    /// Send the same generated traffic to two deployments (a reference and a candidate) and
    /// report every difference in their answers, shrunk to the shortest sequence that shows it.
    /// Exits 1 on a divergence the allow file does not cover, 2 when the run could not start.
    Diff(DiffArgs),
}

/// The options of `wm-contract client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// A scenario file (seed and rules) to load into the mock; repeat for several.
    #[arg(long, value_name = "FILE")]
    pub scenario: Vec<PathBuf>,
    /// Fail when fewer than PCT percent of the catalog's methods were called.
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<f64>,
    /// Also write the report as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Seed of the mock's ids and secrets and of --response-fuzz (printed; pass it again to
    /// replay).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Answer with generated schema-valid variants of every answer (optional fields absent or
    /// present, extra properties, boundary values), keeping the ids the client sent.
    #[arg(long)]
    pub response_fuzz: bool,
    /// Scopes every request has, signed or not (comma-separated; e.g. `*` for a client that
    /// cannot sign, like curl).
    #[arg(long, value_delimiter = ',', value_name = "SCOPES")]
    pub anonymous_scopes: Vec<String>,
    /// The client command and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

impl ClientArgs {
    /// The run configuration these options describe (`seed`: the one to use when none was
    /// given).
    pub fn config(&self, seed: u64) -> client::Config {
        client::Config {
            command: self.command.clone(),
            scenarios: self.scenario.clone(),
            min_coverage: self.min_coverage,
            seed: self.seed.unwrap_or(seed),
            response_fuzz: self.response_fuzz,
            anonymous_scopes: self.anonymous_scopes.clone(),
        }
    }
}

/// The options of `wm-contract server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The deployment's root URL.
    #[arg(long, env = "TASKCLUSTER_ROOT_URL")]
    pub root_url: String,
    /// The client id to sign requests with (anonymous without).
    #[arg(long, env = "TASKCLUSTER_CLIENT_ID", requires = "access_token")]
    pub client_id: Option<String>,
    /// The access token of --client-id.
    #[arg(long, env = "TASKCLUSTER_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,
    /// Cases per method.
    #[arg(long, default_value_t = server::DEFAULT_CASES)]
    pub cases: u32,
    /// The seed of the generated requests (printed; pass it again to replay).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Only these methods (comma-separated catalog names, see `wm-contract methods`).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// Only GET methods with generated requests (nothing is created, changed or deleted); each
    /// mutating method is only probed with the credentials narrowed to no scopes
    /// (`authorizedScopes: []`), expecting 403 and an unchanged pool.
    #[arg(long)]
    pub read_only: bool,
    /// Stateful sequences (random operations compared with a reference model; the first
    /// failure is shrunk). 0 turns them off.
    #[arg(long, default_value_t = server::DEFAULT_STATEFUL_CASES)]
    pub stateful_cases: u32,
    /// Skip the semantic checks (create-then-get, conflicts, paging, counters, workers, scopes).
    #[arg(long)]
    pub no_semantic: bool,
    /// Check responses against the API reference and schemas the deployment serves
    /// (`<root>/references/worker-manager/v1/api.json`, `<root>/schemas/worker-manager/v1/...`).
    #[arg(long)]
    pub schemas_from_server: bool,
    /// Send at most R requests a second (a token bucket).
    #[arg(long, value_name = "R")]
    pub max_rps: Option<f64>,
    /// No progress on stderr (default: a bar on a terminal, plain lines otherwise).
    #[arg(long)]
    pub quiet: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the report as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

impl ServerArgs {
    /// The run configuration these options describe.
    pub fn config(&self) -> server::Config {
        let mut config = server::Config::new(self.root_url.clone());
        config.credentials = credentials(&self.client_id, &self.access_token);
        config.cases = self.cases;
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        config.methods.clone_from(&self.methods);
        config.read_only = self.read_only;
        config.stateful_cases = self.stateful_cases;
        config.semantic = !self.no_semantic;
        config.schemas_from_server = self.schemas_from_server;
        config.max_rps = self.max_rps;
        config.progress = if self.quiet {
            server::Progress::Off
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            server::Progress::Bar
        } else {
            server::Progress::Lines
        };
        config
    }
}

/// The options of `wm-contract diff`. Credentials are per side and never shared: the
/// `TASKCLUSTER_*` variables are not read, so that a token of one deployment is never sent to
/// the other.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The reference deployment's root URL (the one taken as right).
    #[arg(long, value_name = "URL")]
    pub reference: String,
    /// The candidate deployment's root URL (the one compared with it).
    #[arg(long, value_name = "URL")]
    pub candidate: String,
    /// The client id to sign the reference's requests with (anonymous without).
    #[arg(
        long,
        env = "WM_CONTRACT_REFERENCE_CLIENT_ID",
        requires = "reference_access_token"
    )]
    pub reference_client_id: Option<String>,
    /// The access token of --reference-client-id.
    #[arg(
        long,
        env = "WM_CONTRACT_REFERENCE_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub reference_access_token: Option<String>,
    /// The client id to sign the candidate's requests with (anonymous without).
    #[arg(
        long,
        env = "WM_CONTRACT_CANDIDATE_CLIENT_ID",
        requires = "candidate_access_token"
    )]
    pub candidate_client_id: Option<String>,
    /// The access token of --candidate-client-id.
    #[arg(
        long,
        env = "WM_CONTRACT_CANDIDATE_ACCESS_TOKEN",
        hide_env_values = true
    )]
    pub candidate_access_token: Option<String>,
    /// Stateless cases per method.
    #[arg(long, default_value_t = server::DEFAULT_CASES)]
    pub cases: u32,
    /// Stateful sequences (0 turns them off).
    #[arg(long, default_value_t = server::DEFAULT_STATEFUL_CASES)]
    pub stateful_cases: u32,
    /// The seed of the generated traffic (printed; pass it again to replay).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Timestamps this many seconds apart or closer are equal.
    #[arg(long, value_name = "SECS", default_value_t = diff::DEFAULT_TIME_TOLERANCE_SECS)]
    pub time_tolerance: u64,
    /// Known, intentional differences (JSON; see the README): reported as allowed, with their
    /// reason, and not failing the run.
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn credentials(id: &Option<String>, token: &Option<String>) -> Option<Credentials> {
    match (id, token) {
        (Some(id), Some(token)) => Some(Credentials {
            client_id: id.clone(),
            access_token: token.clone(),
        }),
        _ => None,
    }
}

impl DiffArgs {
    /// The run configuration these options describe (the allow file is read and checked).
    pub fn config(&self) -> Result<diff::Config, diff::AllowError> {
        let endpoint = |url: &String, id, token| diff::Endpoint {
            root_url: url.clone(),
            credentials: credentials(id, token),
        };
        let mut config = diff::Config::new(
            endpoint(
                &self.reference,
                &self.reference_client_id,
                &self.reference_access_token,
            ),
            endpoint(
                &self.candidate,
                &self.candidate_client_id,
                &self.candidate_access_token,
            ),
        );
        config.cases = self.cases;
        config.stateful_cases = self.stateful_cases;
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        config.time_tolerance_secs = self.time_tolerance;
        if let Some(path) = &self.allow {
            config.allow = diff::AllowList::load(path)?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_flags_reach_the_config() {
        let cli = Cli::try_parse_from([
            "wm-contract",
            "server",
            "--root-url",
            "http://localhost:1",
            "--stateful-cases",
            "3",
            "--schemas-from-server",
            "--max-rps",
            "12.5",
            "--no-semantic",
            "--quiet",
            "--read-only",
        ])
        .expect("parses");
        let Command::Server(args) = cli.command else {
            panic!("not the server command");
        };
        let c = args.config();
        assert_eq!(c.stateful_cases, 3);
        assert!(c.schemas_from_server && c.read_only && !c.semantic);
        assert_eq!(c.max_rps, Some(12.5));
        assert_eq!(c.progress, server::Progress::Off);
        let cli = Cli::try_parse_from(["wm-contract", "server", "--root-url", "http://x"])
            .expect("parses");
        let Command::Server(args) = cli.command else {
            panic!("not the server command");
        };
        let c = args.config();
        assert_eq!(c.stateful_cases, server::DEFAULT_STATEFUL_CASES);
        assert!(c.semantic && !c.schemas_from_server && c.max_rps.is_none());
        assert_ne!(c.progress, server::Progress::Off);
    }
}

//! `wm-mock`: run the mock worker-manager.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use worker_manager_mock::{AuthMode, MockServer};

/// An in-memory, high-fidelity fake of Taskcluster's worker-manager service.
#[derive(Debug, Parser)]
#[command(name = "wm-mock", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the worker-manager API (the default when no command is given).
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthArg {
    /// Verify Hawk credentials and enforce scopes, like a real deployment.
    Strict,
    /// Accept any or no credentials as root (local development only).
    Permissive,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Authentication mode.
    #[arg(long, value_enum, default_value = "strict")]
    auth: AuthArg,
    /// accessToken of the root client `static/taskcluster/root` (default: generated and printed).
    #[arg(long, env = "WM_MOCK_ROOT_ACCESS_TOKEN", hide_env_values = true)]
    root_access_token: Option<String>,
    /// Seed for every generated value (ids, secrets, tokens), so runs replay exactly.
    #[arg(long)]
    seed: Option<u64>,
    /// A scope every request has, even without credentials (repeatable; the anonymous role).
    #[arg(long = "anonymous-scope", value_name = "SCOPE")]
    anonymous_scopes: Vec<String>,
    /// A JSON file of extra clients (clientId, accessToken, scopes) and roles.
    #[arg(long, value_name = "FILE")]
    clients: Option<std::path::PathBuf>,
    /// A scenario file (seed and rules) to load at start; repeatable, applied in order.
    #[arg(long = "scenario", value_name = "FILE")]
    scenarios: Vec<std::path::PathBuf>,
    /// Allow `--auth permissive` on a non-loopback address (everyone who can reach it is root).
    #[arg(long)]
    i_know_this_is_insecure: bool,
    /// A bearer token that opens the admin API (`/__mock__/`), besides root credentials.
    #[arg(long, env = "WM_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Do not check responses against their output schemas (slightly faster).
    #[arg(long)]
    no_validate_responses: bool,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            listen: "127.0.0.1:8080".into(),
            auth: AuthArg::Strict,
            root_access_token: std::env::var("WM_MOCK_ROOT_ACCESS_TOKEN").ok(),
            seed: None,
            anonymous_scopes: Vec::new(),
            clients: None,
            scenarios: Vec::new(),
            i_know_this_is_insecure: false,
            admin_token: std::env::var("WM_MOCK_ADMIN_TOKEN").ok(),
            no_validate_responses: false,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let generated_token = args.root_access_token.is_none();
    let mut builder = MockServer::builder()
        .listen(args.listen.clone())
        .auth(match args.auth {
            AuthArg::Strict => AuthMode::Strict,
            AuthArg::Permissive => AuthMode::Permissive,
        })
        .anonymous_scopes(args.anonymous_scopes.clone())
        .validate_responses(!args.no_validate_responses)
        .allow_insecure(args.i_know_this_is_insecure);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(path) = &args.clients {
        match worker_manager_mock::clients::ClientsFile::load(path) {
            Ok(file) => builder = builder.clients_file(file),
            Err(e) => {
                eprintln!("wm-mock: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for path in &args.scenarios {
        match worker_manager_mock::scenario::Scenario::load(path) {
            Ok(s) => builder = builder.scenario(s),
            Err(e) => {
                eprintln!("wm-mock: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(t) = &args.admin_token {
        builder = builder.admin_token(t.clone());
    }
    if let Some(t) = &args.root_access_token {
        builder = builder.root_access_token(t.clone());
    }
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wm-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (client_id, token) = server.root_credentials();
    println!("wm-mock listening on {}", server.root_url());
    println!("export TASKCLUSTER_ROOT_URL={}", server.root_url());
    println!("export TASKCLUSTER_CLIENT_ID={client_id}");
    if generated_token {
        println!("export TASKCLUSTER_ACCESS_TOKEN={token}");
    } else {
        println!("# TASKCLUSTER_ACCESS_TOKEN: the value you gave with --root-access-token");
    }
    if matches!(args.auth, AuthArg::Permissive) {
        tracing::warn!("--auth permissive: every request acts as root; do not expose this server");
        eprintln!("wm-mock: WARNING: --auth permissive: every request acts as root");
    }
    tracing::info!(root_url = %server.root_url(), "ready");
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(args)) => serve(args).await,
        None => serve(ServeArgs::default()).await,
    }
}

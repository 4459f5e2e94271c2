//! `wm-mock`: run the mock worker-manager.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc instead of glibc's malloc: the server allocates and frees many small objects per
/// request from every tokio worker thread, where glibc's arenas contended (`__lll_lock_wait`,
/// `malloc_consolidate`, ~20% of CPU in the issue 9 profile) and fragmented (RSS kept growing
/// after load). The library itself does not pick an allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use worker_manager_mock::{persist, AuthMode, MockServer, Service};

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
    /// Keep the state in this file: loaded at start if it exists (a damaged file stops the
    /// server), saved atomically every --save-interval and at shutdown.
    #[arg(long, value_name = "PATH")]
    state_file: Option<PathBuf>,
    /// Seconds between saves of --state-file (fractions allowed, e.g. 0.5); unchanged state is
    /// not rewritten.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "5",
        value_parser = parse_interval,
        requires = "state_file"
    )]
    save_interval: Duration,
}

/// Parses `--save-interval`: seconds, fractions allowed, from 0.01 to one day.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(0.01..=86_400.0).contains(&secs) {
        return Err(format!("{text} is out of range (0.01 to 86400 seconds)"));
    }
    Ok(Duration::from_secs_f64(secs))
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
            state_file: None,
            save_interval: Duration::from_secs(5),
        }
    }
}

/// Waits for Ctrl-C or SIGTERM. Built before the ready line is printed, so that a supervisor
/// that stops the server as soon as it is ready gets a clean shutdown (state saved), never the
/// default action of an unhandled SIGTERM.
struct ShutdownSignal {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignal {
    fn install() -> ShutdownSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            ShutdownSignal {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        ShutdownSignal {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            async fn recv(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = recv(self.term) => {},
                _ = recv(self.int) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let shutdown = ShutdownSignal::install();
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
    if let Some(path) = &args.state_file {
        match persist::load(path) {
            Ok(Some(store)) => {
                tracing::info!(
                    path = %path.display(),
                    pools = store.pools().len(),
                    workers = store.worker_count(),
                    "state loaded"
                );
                builder = builder.state(store);
            }
            Ok(None) => {
                tracing::info!(path = %path.display(), "no state file yet; starting empty");
            }
            Err(e) => {
                eprintln!("wm-mock: {e}");
                return ExitCode::FAILURE;
            }
        }
        persist::remove_stale_temp_files(path);
    }
    let server = match builder.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wm-mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let saver = match &args.state_file {
        Some(path) => {
            // Saving once now fails early on an unwritable path and creates the file.
            if let Err(e) = save(server.service(), path).await {
                eprintln!("wm-mock: {e}");
                server.shutdown().await;
                return ExitCode::FAILURE;
            }
            Some(tokio::spawn(persist::periodic_saver(
                Arc::clone(server.service()),
                path.clone(),
                args.save_interval,
            )))
        }
        None => None,
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
    shutdown.wait().await;
    tracing::info!("shutting down");
    let svc = Arc::clone(server.service());
    server.shutdown().await;
    if let (Some(saver), Some(path)) = (saver, &args.state_file) {
        saver.abort();
        if let Err(e) = save(&svc, path).await {
            eprintln!("wm-mock: {e}");
            return ExitCode::FAILURE;
        }
        tracing::info!(path = %path.display(), "state saved");
    }
    ExitCode::SUCCESS
}

/// Saves the service's state on a blocking thread.
async fn save(svc: &Arc<Service>, path: &Path) -> Result<(), String> {
    let (svc, path) = (Arc::clone(svc), path.to_path_buf());
    match tokio::task::spawn_blocking(move || persist::save_service(&svc, &path)).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(format!("the save task failed: {e}")),
    }
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

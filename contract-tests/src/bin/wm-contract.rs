//! `wm-contract`: conformance testing of worker-manager servers and clients.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use worker_manager_contract::cli::{Cli, ClientArgs, Command, DiffArgs, ServerArgs};
use worker_manager_contract::{client, diff, server};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Methods => {
            print!(
                "{}",
                worker_manager_contract::summary::methods(
                    worker_manager_schemas::Catalog::embedded()
                )
            );
            ExitCode::SUCCESS
        }
        Command::Server(args) => run_server(&args),
        Command::Client(args) => run_client(&args),
        Command::Diff(args) => run_diff(&args),
    }
}

/// The exit status of a run that could not finish: 2 when it could not run, 130 (128 + SIGINT)
/// when Ctrl-C stopped it after cleaning up.
trait FailureCode: std::fmt::Display {
    fn exit_code(&self) -> u8 {
        2
    }
}

impl FailureCode for server::RunError {
    fn exit_code(&self) -> u8 {
        match self {
            server::RunError::Interrupted { .. } => 130,
            _ => 2,
        }
    }
}

impl FailureCode for client::ClientError {}

impl FailureCode for diff::DiffError {
    fn exit_code(&self) -> u8 {
        match self {
            diff::DiffError::Interrupted { .. } => 130,
            _ => 2,
        }
    }
}

/// Runs `work` on a runtime (two worker threads: `client` serves the embedded mock while it waits
/// for the command); a run that could not finish is reported and mapped to its exit status.
fn block_on<T, E: FailureCode>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("wm-contract: cannot start the runtime: {e}");
            ExitCode::from(2)
        })?;
    runtime.block_on(work).map_err(|e| {
        eprintln!("wm-contract: {e}");
        ExitCode::from(e.exit_code())
    })
}

/// Completes on Ctrl-C (never, when the handler cannot be installed).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Writes the report files asked for; false (after saying why) when one cannot be written.
fn write_files(files: &[(&Option<PathBuf>, String)]) -> bool {
    let mut ok = true;
    for (path, text) in files {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("wm-contract: cannot write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    ok
}

/// Prints the report, writes the files asked for, and gives the exit status: 0 when the run
/// `passed` and every file was written, 1 otherwise.
fn finish(text: &str, files: &[(&Option<PathBuf>, String)], passed: bool) -> ExitCode {
    print!("{text}");
    if write_files(files) && passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_client(args: &ClientArgs) -> ExitCode {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 % 1_000_000_007)
        .unwrap_or_default();
    let config = args.config(seed);
    eprintln!("wm-contract client: seed {}", config.seed);
    let report = match block_on(client::run(&config)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let files = [
        (&args.json, report.to_json()),
        (&args.junit, report.to_junit()),
    ];
    finish(&report.to_text(), &files, report.passed())
}

fn run_diff(args: &DiffArgs) -> ExitCode {
    let config = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wm-contract: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("wm-contract diff: seed {}", config.seed);
    let report = match block_on(diff::run_until(&config, ctrl_c())) {
        Ok(r) => r,
        Err(code) => return code,
    };
    finish(
        &report.to_text(),
        &[(&args.json, report.to_json())],
        report.agreed(),
    )
}

fn run_server(args: &ServerArgs) -> ExitCode {
    let config = args.config();
    eprintln!("wm-contract server: seed {}", config.seed);
    let report = match block_on(server::run_until(&config, ctrl_c())) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let files = [
        (&args.json, report.to_json()),
        (&args.junit, report.to_junit()),
    ];
    finish(&report.to_text(), &files, report.passed())
}

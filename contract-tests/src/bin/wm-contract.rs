//! `wm-contract`: conformance testing of worker-manager servers and clients.

use std::process::ExitCode;

use clap::Parser;
use worker_manager_contract::cli::{Cli, ClientArgs, Command, ServerArgs};
use worker_manager_contract::{client, server};

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
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("wm-contract: cannot start the runtime: {e}");
            None
        }
    }
}

fn write_files(files: [(&Option<std::path::PathBuf>, String); 2]) -> bool {
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

fn run_client(args: &ClientArgs) -> ExitCode {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 % 1_000_000_007)
        .unwrap_or_default();
    let config = args.config(seed);
    eprintln!("wm-contract client: seed {}", config.seed);
    let Some(runtime) = runtime() else {
        return ExitCode::from(2);
    };
    let report = match runtime.block_on(client::run(&config)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wm-contract: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.to_text());
    let written = write_files([
        (&args.json, report.to_json()),
        (&args.junit, report.to_junit()),
    ]);
    if report.passed() && written {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_server(args: &ServerArgs) -> ExitCode {
    let config = args.config();
    eprintln!("wm-contract server: seed {}", config.seed);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wm-contract: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match runtime.block_on(server::run(&config)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wm-contract: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.to_text());
    let mut ok = report.passed();
    let files = [
        (&args.json, report.to_json()),
        (&args.junit, report.to_junit()),
    ];
    for (path, text) in files {
        if let Some(path) = path {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("wm-contract: cannot write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

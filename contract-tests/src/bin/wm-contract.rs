//! `wm-contract`: conformance testing of worker-manager servers and clients.

use std::process::ExitCode;

use clap::Parser;
use worker_manager_contract::cli::{Cli, Command, DiffArgs, ServerArgs};
use worker_manager_contract::diff;
use worker_manager_contract::server;

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
        Command::Diff(args) => run_diff(&args),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("wm-contract: cannot start the runtime: {e}");
            ExitCode::from(2)
        })
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
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let report = match runtime.block_on(diff::run(&config)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wm-contract: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.to_text());
    if let Some(path) = &args.json {
        if let Err(e) = std::fs::write(path, report.to_json()) {
            eprintln!("wm-contract: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if report.agreed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_server(args: &ServerArgs) -> ExitCode {
    let config = args.config();
    eprintln!("wm-contract server: seed {}", config.seed);
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
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

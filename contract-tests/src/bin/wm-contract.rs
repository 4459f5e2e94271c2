//! `wm-contract`: conformance testing of worker-manager servers and clients.

use clap::Parser;
use worker_manager_contract::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Methods => print!(
            "{}",
            worker_manager_contract::summary::methods(worker_manager_schemas::Catalog::embedded())
        ),
    }
}

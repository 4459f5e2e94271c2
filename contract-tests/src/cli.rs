//! The `wm-contract` command line.

use clap::{Parser, Subcommand};

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
}

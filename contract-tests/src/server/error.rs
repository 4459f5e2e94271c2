//! Why a server run could not start or a request could not be made.

use thiserror::Error;

/// Why [`super::run`] could not run at all (failures of the server under test are reported in
/// the [`super::Report`] instead).
#[derive(Debug, Error)]
pub enum RunError {
    /// `--methods` named a method the API definition does not have.
    #[error("unknown method `{0}` (see `wm-contract methods`)")]
    UnknownMethod(String),
    /// The selection (`--methods`, `--read-only`) left nothing to run.
    #[error("no method selected (with --read-only only GET methods run)")]
    NothingSelected,
    /// The root URL is not an absolute http(s) URL.
    #[error("bad root URL `{url}`: {reason}")]
    BadRootUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The run prefix would not be a valid provisioner part of a worker pool id.
    #[error("run prefix `{0}` does not match ^[a-zA-Z0-9-_]{{1,38}}$")]
    BadRunPrefix(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// `--schemas-from-server`: the deployment's API reference or schemas could not be fetched.
    #[error("cannot fetch the deployment's schemas: {0}")]
    Schemas(String),
    /// The run was interrupted (Ctrl-C); the pools under its prefix were swept.
    #[error(
        "interrupted; clean-up of {prefix}/*: {} deleted, {} already gone, {} failed{}",
        cleanup.deleted.len(),
        cleanup.gone.len(),
        cleanup.failed.len(),
        cleanup.failed.iter().map(|(p, why)| format!("\n  {p}: {why}")).collect::<String>()
    )]
    Interrupted {
        /// The run prefix whose pools were swept.
        prefix: String,
        /// What the sweep did.
        cleanup: super::Cleanup,
    },
}

/// Why one request could not be sent or its response read.
#[derive(Debug, Error)]
pub enum SendError {
    /// The URL did not parse.
    #[error("cannot build URL `{url}`: {reason}")]
    Url {
        /// The URL text.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// The URL parser would send another path than the one generated (dot segments such as
    /// `..` are resolved by it); the case is generated again.
    #[error("the path `{wanted}` would be sent as `{sent}`")]
    PathRewritten {
        /// The generated path.
        wanted: String,
        /// What would go on the wire.
        sent: String,
    },
    /// Hawk signing failed.
    #[error("cannot sign the request: {0}")]
    Sign(String),
    /// The HTTP exchange failed (connection, timeout, reading the body).
    #[error("HTTP: {0}")]
    Http(String),
}

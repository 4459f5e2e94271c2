//! # wm-mock: a high-fidelity fake of Taskcluster's worker-manager
//!
//! An in-memory worker-manager that speaks the real v1 API at the real routes
//! (`<rootUrl>/api/worker-manager/v1/...`), authenticates like a Taskcluster deployment, and keeps
//! the real service's semantics, so that official clients work against it unchanged.
//!
//! ```no_run
//! # async fn demo() {
//! let server = worker_manager_mock::MockServer::start().await;
//! let (client_id, access_token) = server.root_credentials();
//! println!("TASKCLUSTER_ROOT_URL={} TASKCLUSTER_CLIENT_ID={client_id}", server.root_url());
//! # let _ = access_token;
//! # }
//! ```
//!
//! ## Map of the crate
//! - [`server`]: [`MockServer`] and its builder — a running mock on a local port.
//! - [`http`]: the axum router; every request goes through one handler that finds the service
//!   ([`host`]: main or tenant) and routes API calls with the catalog of `worker-manager-schemas`
//!   (the project's one route table); [`admin`]: the `/__mock__/` control API.
//! - [`pipeline`]: the request steps in the real service's order (body, auth, params, query, schema,
//!   handler, output check), as plain functions.
//! - [`resources`]: one module per API resource (worker pools, workers, errors, registration,
//!   launch configs, providers, legacy queue view, meta), each with its handlers and rendering.
//! - [`store`]: the state (pools, workers, errors, launch configs, queue records, providers), its
//!   indexes and counters, and keyset paging.
//! - [`auth`]: Hawk, temporary credentials, bewits, scopes; [`authz`] applies them to API calls.
//! - [`credentials`], [`proofs`]: what the mock issues to workers (temporary credentials, fake
//!   cloud identity proofs).
//! - [`clients`]: the clients file (extra clients and roles).
//! - [`scenario`]: scenario files (seed + rules) and the rule engine.
//! - [`persist`]: the opt-in state file (`--state-file`): atomic saves, checked loads.
//! - [`service`]: one mock's shared state and options; [`clock`], [`ids`], [`journal`], [`time`],
//!   [`error`], [`provider`], [`call`]: the small pieces.

#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod authz;
pub mod call;
pub mod clients;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod host;
pub mod http;
pub mod ids;
pub mod journal;
pub mod persist;
pub mod pipeline;
pub mod proofs;
pub mod provider;
pub mod resources;
pub mod scenario;
pub mod server;
pub mod service;
pub mod store;
pub mod time;

pub use clock::Clock;
pub use provider::{Provider, ProviderType};
pub use server::{MockServer, MockServerBuilder, StartError};
pub use service::{AuthMode, Options, ResponseTransform, Service};

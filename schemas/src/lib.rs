//! # worker-manager-schemas
//!
//! The worker-manager v1 API, defined once. Everything else in the project (the mock server and the
//! contract tests) derives its routes, scopes and schemas from this crate; neither keeps a copy.
//!
//! - [`files`]: the JSON Schemas and `api.json` under `schemas/v1/`, embedded at compile time.
//! - [`catalog`]: the catalog of API methods read from `api.json` (look up by name, iterate in
//!   declaration order, which is also route priority).
//! - [`route`]: route patterns, matching an incoming `(method, raw path)` to a method with its decoded
//!   path parameters exactly as the real service routes, and building a path from parameters.
//! - [`params`]: validation of path and query parameters against their patterns, with the real
//!   service's messages.
//! - [`validate`]: compiled JSON Schema validators for every schema, with errors that name the JSON
//!   pointer and the rule broken.
//! - [`formats`]: the `date-time` and `email` format checks as the real service applies them.
//!
//! ```
//! use worker_manager_schemas::{Catalog, RouteOutcome};
//!
//! let catalog = Catalog::embedded();
//! match catalog.match_route("GET", "/worker-pool/proj%2Flinux") {
//!     RouteOutcome::Matched(m) => {
//!         assert_eq!(m.entry.name, "workerPool");
//!         assert_eq!(m.params.get("workerPoolId"), Some("proj/linux"));
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

#![warn(missing_docs)]

pub mod catalog;
pub mod files;
pub mod formats;
pub mod params;
pub mod path_params;
pub mod route;
pub mod validate;

pub use catalog::{Catalog, CatalogError, Entry, HttpMethod, QueryParam};
pub use params::{ParamError, QueryError};
pub use path_params::{ParamValues, PathParams, TooManyParams, MAX_PATH_PARAMS};
pub use route::{RouteMatch, RouteOutcome, RoutePattern};
pub use validate::{SchemaViolation, Validators};

/// The API prefix under a root URL: `<rootUrl>/api/worker-manager/v1`.
pub const API_PREFIX: &str = "/api/worker-manager/v1";

/// Where schemas live under a root URL: `<rootUrl>/schemas/worker-manager/v1/<name>.json`.
pub const SCHEMA_PREFIX: &str = "/schemas/worker-manager/v1/";

/// Where the API reference lives under a root URL.
pub const REFERENCE_PATH: &str = "/references/worker-manager/v1/api.json";

//! Scenarios: a seed of state and ordered rules that make the mock misbehave on purpose.
//!
//! - [`rules`]: rule, match and action types, and glob matching.
//! - [`model`]: the file format: [`Scenario`], [`Seed`] and its records, relative times.
//! - [`load`]: reading and checking scenario files; [`ScenarioError`] names the file and the
//!   JSON pointer of what is wrong.
//! - [`seed`]: applying a seed to a service, all or nothing.
//! - [`export`]: the current state of a service as a seed (secrets left out).
//! - [`engine`]: which rules fire for a request, and what they change.
//! - [`install`](mod@install): loading a scenario into a running service (replace or append).

pub mod engine;
pub mod export;
pub mod install;
pub mod load;
pub mod model;
pub mod rules;
pub mod seed;

pub use export::export_seed;
pub use install::{install, LoadMode};
pub use load::ScenarioError;
pub use model::{relative_or_absolute, Scenario, Seed};
pub use seed::apply_seed;

//! Scenarios: a seed of state and ordered rules that make the mock misbehave on purpose.
//!
//! - [`rules`]: rule, match and action types, and glob matching.
//! - [`engine`]: which rules fire for a request, and what they change.

pub mod engine;
pub mod rules;

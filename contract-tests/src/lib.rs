//! # wm-contract
//!
//! Conformance testing for Taskcluster worker-manager servers and clients, driven by the API
//! definition in `worker-manager-schemas` (the same catalog and schemas wm-mock uses).
//!
//! This crate is at its start: today it offers the command-line surface ([`cli`]), a summary of
//! the API it checks against ([`summary`]) and proptest strategies generated from the schemas and
//! the route table ([`generate`]: valid values, values breaking one rule, path and query
//! parameters). Server checks, client checks and response generation follow (see the project's
//! issues).

pub mod cli;
pub mod generate;
pub mod summary;

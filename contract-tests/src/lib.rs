//! # wm-contract
//!
//! Conformance testing for Taskcluster worker-manager servers and clients, driven by the API
//! definition in `worker-manager-schemas` (the same catalog and schemas wm-mock uses).
//!
//! This crate is at its start: today it offers the command-line surface ([`cli`]) and a summary of
//! the API it checks against ([`summary`]). Server checks, client checks and response generation
//! follow (see the project's issues).

pub mod cli;
pub mod summary;

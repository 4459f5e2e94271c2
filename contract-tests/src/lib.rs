//! # wm-contract
//!
//! Conformance testing for Taskcluster worker-manager servers and clients, driven by the API
//! definition in `worker-manager-schemas` (the same catalog and schemas wm-mock uses).
//!
//! It offers the command-line surface ([`cli`]), a summary of the API it checks against
//! ([`summary`]), proptest strategies generated from the schemas and the route table
//! ([`generate`]: valid values, values breaking one rule, path and query parameters) and the
//! server checks ([`server`]: generated requests against a running deployment, named checks on
//! every response, text/JSON/JUnit reports), stateful sequences ([`stateful`]: an operation
//! vocabulary, a reference model, shrinking), the comparison of two deployments ([`diff`]: the
//! same traffic against both, answers compared after normalization, divergences shrunk), the
//! client checks ([`client`]: a client command run against an embedded strict wm-mock, judged
//! from its journal) and a kit for client crates' own tests ([`kit`]: schema-valid responses and
//! contract checks on a `wiremock` server).

#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod diff;
pub mod generate;
pub mod kit;
pub mod server;
pub mod stateful;
pub mod summary;

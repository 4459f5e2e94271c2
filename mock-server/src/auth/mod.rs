//! Taskcluster authentication and authorization, as the real services do it, in pure functions
//! (no HTTP, no async).
//!
//! - [`authenticate`](mod@authenticate): one request end to end — anonymous, Hawk header or bewit
//!   — giving the caller's clientId and scopes or an [`AuthError`]; and [`header_host_port`].
//! - [`hawk`]: the `Authorization` header parser, normalized string, MAC, payload hash.
//! - [`ext`]: decoding the `ext` attribute (certificate, `authorizedScopes`).
//! - [`certificate`]: temporary credentials — signature, temporary token, validation, issuance.
//! - [`bewit`]: signed URLs.
//! - [`memo`]: what authentication derived from the clients and roles, remembered across requests.
//! - [`scopes`]: scope expressions, satisfaction, the "unsatisfied" pruning, templates;
//!   [`roles`]: role expansion.
//! - [`messages`]: the 403 texts; [`error`]: the 401 texts.
//! - `js` (private): the JavaScript number, whitespace and base64 rules the real server applies.
//!
//! Every failure's Display is the real service's message. One deliberate addition: a request
//! signed over its path without the query string (what the Rust `taskcluster` crate does) is
//! rejected like any bad MAC, but with [`AuthError::QueryNotSigned`], whose message says why.

pub mod authenticate;
pub mod bewit;
pub mod certificate;
pub mod error;
pub mod ext;
pub mod hawk;
mod js;
pub mod memo;
pub mod messages;
pub mod roles;
pub mod scopes;
#[cfg(test)]
mod test_vectors;

pub use authenticate::{
    authenticate, header_host_port, AuthRequest, Authenticated, ClientLookup, ClientRecord,
};
pub use certificate::{issue_temporary_credentials, TemporaryCredentials};
pub use error::AuthError;
pub use messages::insufficient_scopes_message;
pub use roles::expand_roles;
pub use scopes::{satisfies, scope_satisfies, unsatisfied, ScopeExpr};

//! The checks run on every response, each with a name the report uses.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;
use worker_manager_schemas::{Entry, Validators};

use super::client::Response;
use super::plan::CaseKind;

/// A named check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// The status is 2xx or an error status the API answers.
    StatusDeclared,
    /// A 200 body validates against the method's output schema.
    OutputSchema,
    /// A non-2xx JSON body is a Taskcluster error (`code` and `message` strings).
    ErrorEnvelope,
    /// The response is `application/json` and its body parses.
    ContentTypeJson,
    /// A generated request gets no 5xx.
    No5xx,
    /// An invalid request gets a 4xx.
    InvalidInput4xx,
    /// The request could be sent and a response read.
    Transport,
    /// Requests could be generated for the method.
    Generate,
    /// A created pool reads back (workerPool) as written.
    CreateThenGet,
    /// A second, different createWorkerPool of the same id is `409 RequestConflict`.
    CreateConflict,
    /// An update is visible to the next workerPool and to listWorkerPools.
    UpdateVisible,
    /// deleteWorkerPool moves the pool to `null-provider`; it stays readable.
    DeleteNullProvider,
    /// Missing pools and workers are `404 ResourceNotFound`.
    Missing404,
    /// Paging with any limit sees every item exactly once, no page over the limit.
    PagingExactlyOnce,
    /// A pool's capacity and count fields match its workers.
    PoolCounts,
    /// Static workers: create, register with the static proof, remove.
    StaticWorkerLifecycle,
    /// Credentials from registerWorker authenticate.
    TemporaryCredentials,
    /// reregisterWorker rotates the secret: the old one is refused.
    ReregisterRotates,
    /// A client lacking the method's scopes gets `403 InsufficientScopes`.
    InsufficientScopes403,
    /// A request signed with a wrong access token gets `401 AuthenticationFailed`.
    AuthenticationFailed401,
    /// Random operation sequences match the reference model.
    StatefulModel,
    /// `--read-only` probes: mutating methods with no scopes get 403 and change nothing.
    ReadOnlyProbe,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 22] = [
        Check::StatusDeclared,
        Check::OutputSchema,
        Check::ErrorEnvelope,
        Check::ContentTypeJson,
        Check::No5xx,
        Check::InvalidInput4xx,
        Check::Transport,
        Check::Generate,
        Check::CreateThenGet,
        Check::CreateConflict,
        Check::UpdateVisible,
        Check::DeleteNullProvider,
        Check::Missing404,
        Check::PagingExactlyOnce,
        Check::PoolCounts,
        Check::StaticWorkerLifecycle,
        Check::TemporaryCredentials,
        Check::ReregisterRotates,
        Check::InsufficientScopes403,
        Check::AuthenticationFailed401,
        Check::StatefulModel,
        Check::ReadOnlyProbe,
    ];

    /// The checks run on every response (the others are semantic: they follow the API's state).
    pub const RESPONSE: [Check; 8] = [
        Check::StatusDeclared,
        Check::OutputSchema,
        Check::ErrorEnvelope,
        Check::ContentTypeJson,
        Check::No5xx,
        Check::InvalidInput4xx,
        Check::Transport,
        Check::Generate,
    ];

    /// The check's name (`output-schema`).
    pub fn name(self) -> &'static str {
        match self {
            Check::StatusDeclared => "status-declared",
            Check::OutputSchema => "output-schema",
            Check::ErrorEnvelope => "error-envelope",
            Check::ContentTypeJson => "content-type-json",
            Check::No5xx => "no-5xx",
            Check::InvalidInput4xx => "invalid-input-4xx",
            Check::Transport => "transport",
            Check::Generate => "generate",
            Check::CreateThenGet => "create-then-get",
            Check::CreateConflict => "create-conflict-409",
            Check::UpdateVisible => "update-visible",
            Check::DeleteNullProvider => "delete-null-provider",
            Check::Missing404 => "missing-404",
            Check::PagingExactlyOnce => "paging-exactly-once",
            Check::PoolCounts => "pool-counts",
            Check::StaticWorkerLifecycle => "static-worker-lifecycle",
            Check::TemporaryCredentials => "temporary-credentials",
            Check::ReregisterRotates => "reregister-rotates",
            Check::InsufficientScopes403 => "insufficient-scopes-403",
            Check::AuthenticationFailed401 => "authentication-failed-401",
            Check::StatefulModel => "stateful-model",
            Check::ReadOnlyProbe => "read-only-probe",
        }
    }

    /// The check named `name`.
    pub fn from_name(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// What the check expected.
    pub expected: String,
    /// What it found instead.
    pub found: String,
}

impl Finding {
    fn new(check: Check, expected: impl Into<String>, found: impl Into<String>) -> Finding {
        Finding {
            check,
            expected: expected.into(),
            found: found.into(),
        }
    }
}

/// The error statuses worker-manager (or its router and proxies) answers.
pub const ERROR_STATUSES: [u16; 8] = [400, 401, 403, 404, 409, 413, 500, 503];

/// Runs every check on `response` to a request of `kind` to `entry`.
pub fn check_response(
    entry: &Entry,
    kind: &CaseKind,
    response: &Response,
    validators: &Validators,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let status = response.status;
    let success = (200..300).contains(&status);
    let json = response.json();

    if !success && !ERROR_STATUSES.contains(&status) {
        out.push(Finding::new(
            Check::StatusDeclared,
            format!("2xx or one of {ERROR_STATUSES:?}"),
            format!("status {status}"),
        ));
    }

    let is_json_type = response
        .content_type
        .as_deref()
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json_type {
        out.push(Finding::new(
            Check::ContentTypeJson,
            "content-type application/json",
            match &response.content_type {
                Some(ct) => format!("content-type {ct}"),
                None => "no content-type".to_string(),
            },
        ));
    } else if json.is_none() && !response.body.is_empty() {
        out.push(Finding::new(
            Check::ContentTypeJson,
            "a JSON body",
            "a body that does not parse as JSON",
        ));
    }

    if status == 200 {
        if let Some(schema) = &entry.output {
            match &json {
                None => out.push(Finding::new(
                    Check::OutputSchema,
                    format!("a JSON body valid against {schema}"),
                    "a body that does not parse as JSON",
                )),
                Some(body) => {
                    if let Err(violations) = validators.validate(schema, body) {
                        let found = violations
                            .iter()
                            .map(|v| format!("{} ({}): {}", v.pointer, v.keyword, v.message))
                            .collect::<Vec<_>>()
                            .join("; ");
                        out.push(Finding::new(
                            Check::OutputSchema,
                            format!("a body valid against {schema}"),
                            found,
                        ));
                    }
                }
            }
        }
    }

    if !success {
        if let Some(body) = &json {
            if let Some(problem) = envelope_problem(status, body) {
                out.push(Finding::new(
                    Check::ErrorEnvelope,
                    "an error body with string `code` and `message`",
                    problem,
                ));
            }
        }
    }

    if status >= 500 {
        out.push(Finding::new(
            Check::No5xx,
            "no 5xx for a generated request",
            format!("status {status}"),
        ));
    }

    if kind.is_invalid() && !(400..500).contains(&status) {
        out.push(Finding::new(
            Check::InvalidInput4xx,
            format!("a 4xx for the {kind}"),
            format!("status {status}"),
        ));
    }
    out
}

/// What is wrong with an error body, if anything. The router's `404 {"error": "Not found"}` for
/// unknown routes is accepted.
fn envelope_problem(status: u16, body: &Value) -> Option<String> {
    let Some(map) = body.as_object() else {
        return Some("the body is not a JSON object".into());
    };
    if status == 404 && map.len() == 1 && map.get("error").is_some_and(Value::is_string) {
        return None;
    }
    let missing: Vec<&str> = ["code", "message"]
        .into_iter()
        .filter(|k| !map.get(*k).is_some_and(Value::is_string))
        .collect();
    (!missing.is_empty()).then(|| format!("no string {}", missing.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes() {
        assert_eq!(envelope_problem(404, &json!({"error": "Not found"})), None);
        assert_eq!(
            envelope_problem(400, &json!({"code": "InputError", "message": "x"})),
            None
        );
        assert!(envelope_problem(404, &json!({"message": "x"})).is_some());
        assert!(envelope_problem(500, &json!({"error": "Not found"})).is_some());
    }

    #[test]
    fn names_round_trip() {
        for c in Check::ALL {
            assert_eq!(Check::from_name(c.name()), Some(c));
        }
    }
}

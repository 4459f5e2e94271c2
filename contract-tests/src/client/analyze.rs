//! What the journal says about the client: contract violations (requests that matched no method,
//! broke their method's definition, failed authentication or lacked scopes) and coverage (methods
//! called × status classes).

use std::collections::BTreeMap;

use serde::Serialize;
use worker_manager_schemas::Catalog;

use super::observed::Observed;

/// The kind of contract violation a request showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// The method and path matched no API method (`404 Not found`).
    UnknownRoute,
    /// Path parameters, query string, content type or body broke the method's definition
    /// (`InvalidRequestArguments`, `MalformedPayload`, `InputValidationError`).
    InvalidRequest,
    /// Authentication failed (`401 AuthenticationFailed`): missing, bad or expired signature.
    AuthenticationFailed,
    /// The credentials lacked a scope the method needs (`403 InsufficientScopes`).
    InsufficientScopes,
}

impl ViolationKind {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::UnknownRoute => "unknown-route",
            ViolationKind::InvalidRequest => "invalid-request",
            ViolationKind::AuthenticationFailed => "authentication-failed",
            ViolationKind::InsufficientScopes => "insufficient-scopes",
        }
    }
}

/// One request that broke the contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// What was wrong.
    pub kind: ViolationKind,
    /// HTTP method and path (with query).
    pub request: String,
    /// The API method it was routed to, if any.
    pub method: Option<String>,
    /// The status the mock answered.
    pub status: u16,
    /// The error code the mock answered.
    pub code: Option<String>,
    /// Why, in the mock's words (the first line of its error message).
    pub reason: String,
}

/// The contract violations among `requests`, in order.
pub fn violations(requests: &[Observed]) -> Vec<Violation> {
    requests.iter().filter_map(violation).collect()
}

fn violation(r: &Observed) -> Option<Violation> {
    let code = r.error_code.as_deref();
    let kind = if r.method.is_none() && r.status == 404 {
        ViolationKind::UnknownRoute
    } else if code == Some("AuthenticationFailed") {
        ViolationKind::AuthenticationFailed
    } else if code == Some("InsufficientScopes") {
        ViolationKind::InsufficientScopes
    } else if r.conformed == Some(false) {
        ViolationKind::InvalidRequest
    } else {
        return None;
    };
    let reason = match kind {
        ViolationKind::UnknownRoute => {
            format!("no API method answers {} {}", r.http_method, r.route())
        }
        _ => format!("{}: {}", code.unwrap_or("error"), r.message()),
    };
    Some(Violation {
        kind,
        request: format!("{} {}", r.http_method, r.path),
        method: r.method.clone(),
        status: r.status,
        code: r.error_code.clone(),
        reason,
    })
}

/// How often one method was called, by status class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MethodCalls {
    /// 2xx answers (and 1xx/3xx, which the API does not use).
    pub ok: u32,
    /// 4xx answers.
    pub client_error: u32,
    /// 5xx answers.
    pub server_error: u32,
    /// Connections closed without an answer (scenario `reset`/`drop`).
    pub no_answer: u32,
}

impl MethodCalls {
    /// All calls.
    pub fn total(&self) -> u32 {
        self.ok + self.client_error + self.server_error + self.no_answer
    }
}

/// Methods called × status classes, over the whole catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Every catalog method, with its calls (all zero: not called).
    pub methods: BTreeMap<String, MethodCalls>,
    /// Methods in the catalog.
    pub total: usize,
    /// Methods called at least once.
    pub called: usize,
    /// `called / total` in percent.
    pub percent: f64,
}

impl Coverage {
    /// The names of the methods called, sorted.
    pub fn called_methods(&self) -> Vec<&str> {
        self.methods
            .iter()
            .filter(|(_, c)| c.total() > 0)
            .map(|(m, _)| m.as_str())
            .collect()
    }
}

/// The coverage of `catalog` by `requests`.
pub fn coverage(catalog: &Catalog, requests: &[Observed]) -> Coverage {
    let mut methods: BTreeMap<String, MethodCalls> = catalog
        .entries()
        .iter()
        .map(|e| (e.name.clone(), MethodCalls::default()))
        .collect();
    for r in requests {
        let Some(c) = r.method.as_ref().and_then(|m| methods.get_mut(m)) else {
            continue;
        };
        match r.status {
            0 => c.no_answer += 1,
            400..=499 => c.client_error += 1,
            500..=599 => c.server_error += 1,
            _ => c.ok += 1,
        }
    }
    let total = methods.len();
    let called = methods.values().filter(|c| c.total() > 0).count();
    let percent = if total == 0 {
        0.0
    } else {
        100.0 * called as f64 / total as f64
    };
    Coverage {
        methods,
        total,
        called,
        percent,
    }
}

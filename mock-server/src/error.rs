//! Errors as the real service reports them: a Taskcluster error code, an HTTP status, and the
//! standard JSON envelope `{code, message, requestInfo}`.

use std::fmt;

use serde_json::{json, Value};

use crate::time::{format_ms, Millis};
use worker_manager_schemas::PathParams;

/// The Taskcluster error codes worker-manager answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: unparsable JSON, non-object JSON, wrong or missing content type.
    MalformedPayload,
    /// 400: a path parameter or query string that does not match its pattern.
    InvalidRequestArguments,
    /// 400: a body that breaks its schema (or a provider config that breaks the provider's).
    InputValidationError,
    /// 400: a hand-coded check or a provider refusal.
    InputError,
    /// 401: credentials were presented and failed.
    AuthenticationFailed,
    /// 403: the caller's scopes do not satisfy the method's scope expression.
    InsufficientScopes,
    /// 404: a missing pool, worker or provider.
    ResourceNotFound,
    /// 409: a resource exists with different content.
    RequestConflict,
    /// 413: a body over the size limit.
    InputTooLarge,
    /// 500: anything else.
    InternalServerError,
    /// 503: the provider behind the request failed to start.
    ProviderSetupFailed,
}

impl ErrorCode {
    /// The HTTP status of this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedPayload
            | ErrorCode::InvalidRequestArguments
            | ErrorCode::InputValidationError
            | ErrorCode::InputError => 400,
            ErrorCode::AuthenticationFailed => 401,
            ErrorCode::InsufficientScopes => 403,
            ErrorCode::ResourceNotFound => 404,
            ErrorCode::RequestConflict => 409,
            ErrorCode::InputTooLarge => 413,
            ErrorCode::InternalServerError => 500,
            ErrorCode::ProviderSetupFailed => 503,
        }
    }

    /// Every code.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::MalformedPayload,
        ErrorCode::InvalidRequestArguments,
        ErrorCode::InputValidationError,
        ErrorCode::InputError,
        ErrorCode::AuthenticationFailed,
        ErrorCode::InsufficientScopes,
        ErrorCode::ResourceNotFound,
        ErrorCode::RequestConflict,
        ErrorCode::InputTooLarge,
        ErrorCode::InternalServerError,
        ErrorCode::ProviderSetupFailed,
    ];

    /// Parses a code as it appears in error bodies.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The code as it appears in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedPayload => "MalformedPayload",
            ErrorCode::InvalidRequestArguments => "InvalidRequestArguments",
            ErrorCode::InputValidationError => "InputValidationError",
            ErrorCode::InputError => "InputError",
            ErrorCode::AuthenticationFailed => "AuthenticationFailed",
            ErrorCode::InsufficientScopes => "InsufficientScopes",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::RequestConflict => "RequestConflict",
            ErrorCode::InputTooLarge => "InputTooLarge",
            ErrorCode::InternalServerError => "InternalServerError",
            ErrorCode::ProviderSetupFailed => "ProviderSetupFailed",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer of an API method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The Taskcluster error code (decides the status).
    pub code: ErrorCode,
    /// The handler's text; the envelope adds the standard trailer.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// `400 InputError`.
    pub fn input(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InputError, message)
    }

    /// `404 ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::ResourceNotFound, message)
    }

    /// `409 RequestConflict`.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::RequestConflict, message)
    }

    /// `400 InputValidationError`.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InputValidationError, message)
    }

    /// `503 ProviderSetupFailed` with the real service's message.
    pub fn provider_setup_failed() -> ApiError {
        ApiError::new(
            ErrorCode::ProviderSetupFailed,
            "Provider backend may be down or misconfigured",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

/// Everything the envelope says about the request that failed.
#[derive(Debug, Clone)]
pub struct RequestInfo<'a> {
    /// The method name the request was routed under (`workerWithColon` for a colon route).
    pub method: &'a str,
    /// Decoded path parameters.
    pub params: &'a PathParams<'a>,
    /// The parsed body, already redacted (see [`redact_payload`]).
    pub payload: Value,
    /// When the request was handled.
    pub time: Millis,
}

/// The JSON body of an error answer, in the real service's envelope.
pub fn error_body(err: &ApiError, info: &RequestInfo<'_>) -> Value {
    envelope(err.code.as_str(), err.status(), &err.message, info)
}

/// The envelope for any code and status (scenario rules may answer with codes of their own).
pub fn envelope(code: &str, status: u16, text: &str, info: &RequestInfo<'_>) -> Value {
    let time = format_ms(info.time);
    let message = format!(
        "{text}\n\n---\n\n* method:     {}\n* errorCode:  {code}\n* statusCode: {status}\n* time:       {time}",
        info.method,
    );
    json!({
        "code": code,
        "message": message,
        "requestInfo": {
            "method": info.method,
            "params": info.params,
            "payload": info.payload,
            "time": time,
        }
    })
}

/// The placeholder the real service writes in place of secrets in `requestInfo.payload`.
pub const OMITTED: &str = "(OMITTED)";

/// Redacts a request body for `requestInfo.payload` as the real service does: the whole payload
/// of registerWorker / reregisterWorker, and `providerInfo.staticSecret` of createWorker /
/// updateWorker.
pub fn redact_payload(method: &str, payload: &Value) -> Value {
    match method {
        "registerWorker" | "reregisterWorker" => Value::String(OMITTED.into()),
        m if m.starts_with("createWorker") || m.starts_with("updateWorker") => {
            let mut p = payload.clone();
            if let Some(info) = p.get_mut("providerInfo").and_then(Value::as_object_mut) {
                if info.contains_key("staticSecret") {
                    info.insert("staticSecret".into(), Value::String(OMITTED.into()));
                }
            }
            p
        }
        _ => payload.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_trailer_and_request_info() {
        let owned =
            std::collections::BTreeMap::from([("workerPoolId".to_string(), "a/b".to_string())]);
        let params = PathParams::from_map(&owned).unwrap();
        let err = ApiError::not_found("Worker pool does not exist");
        let body = error_body(
            &err,
            &RequestInfo {
                method: "workerPool",
                params: &params,
                payload: json!({}),
                time: 0,
            },
        );
        assert_eq!(body["code"], "ResourceNotFound");
        assert_eq!(
            body["message"],
            "Worker pool does not exist\n\n---\n\n* method:     workerPool\n* errorCode:  ResourceNotFound\n* statusCode: 404\n* time:       1970-01-01T00:00:00.000Z"
        );
        assert_eq!(body["requestInfo"]["params"]["workerPoolId"], "a/b");
    }

    #[test]
    fn secrets_are_redacted() {
        let p = json!({"expires": "x", "providerInfo": {"staticSecret": "s"}});
        assert_eq!(
            redact_payload("createWorkerWithColon", &p)["providerInfo"]["staticSecret"],
            OMITTED
        );
        assert_eq!(redact_payload("registerWorker", &p), json!(OMITTED));
        assert_eq!(redact_payload("workerPool", &p), p);
    }
}

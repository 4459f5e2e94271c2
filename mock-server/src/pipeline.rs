//! The request pipeline, as plain synchronous functions (no HTTP types): the steps every API
//! request goes through, in the real service's order, so that the first failure answers:
//!
//! 1. body parsing (bad JSON: `400 MalformedPayload`, before authentication);
//! 2. authentication, and the scope check when every scope parameter is a path parameter
//!    (`401`, `403`);
//! 3. path parameters (`400 InvalidRequestArguments`);
//! 4. query string (`400 InvalidRequestArguments`);
//! 5. for methods with an input: content type (`400 MalformedPayload`) and schema
//!    (`400 InputValidationError`);
//! 6. the handler (which checks scopes that need body or query values itself);
//! 7. the response checked against the output schema (a mismatch is a `500`, as upstream).

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Bytes;
use serde_json::{json, Value};
use worker_manager_schemas::validate::ajv_message;
use worker_manager_schemas::RouteMatch;

use crate::authz;
use crate::call::{Call, Caller, Overrides};
use crate::error::{error_body, redact_payload, ApiError, ErrorCode, RequestInfo};
use crate::resources;
use crate::service::{AuthMode, Service};
use worker_manager_schemas::PathParams;

/// What the pipeline needs to know of an HTTP request.
#[derive(Debug, Clone, Default)]
pub struct RawRequest<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// The request target exactly as received: path and query, still percent-encoded.
    pub resource: &'a str,
    /// The raw query string (without `?`), if any.
    pub query: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// Whether the request announced a body (`Content-Length` or `Transfer-Encoding`).
    pub has_body: bool,
    /// Host name the client addressed (lower case, no port; borrowed from the `Host` header
    /// when it already is lower case).
    pub host: Cow<'a, str>,
    /// Port the client addressed.
    pub port: u16,
    /// The body bytes.
    pub body: &'a [u8],
}

/// The pipeline's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// The error code, for error answers.
    pub error_code: Option<ErrorCode>,
    /// The clientId the request was signed with, if any.
    pub client_id: Option<String>,
    /// Whether the request's parameters, query and body conformed to the method's definition
    /// (`None`: the pipeline stopped before checking them).
    pub conformed: Option<bool>,
    /// The request body as parsed, redacted for the journal.
    pub payload: Value,
    /// The body already serialized, for answers rendered from typed views
    /// ([`crate::resources::Rendered`]); then `body` is `null`. Only [`process_wire`] answers
    /// with text; [`process`] always fills `body`.
    pub text: Option<Bytes>,
}

/// What a handler produced.
enum Output {
    /// A JSON value (most methods).
    Value(Value),
    /// Text rendered from typed views.
    Text(Bytes),
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"))
}

/// Step 1: the body as the real service parses it. Non-JSON content types and empty bodies are
/// `{}` here; JSON that is not an object or array is refused.
pub fn parse_body(req: &RawRequest<'_>) -> Result<Value, ApiError> {
    if !is_json(req.content_type) || req.body.is_empty() {
        return Ok(json!({}));
    }
    let v: Value = serde_json::from_slice(req.body).map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedPayload,
            format!("Failed to parse JSON: {e}"),
        )
    })?;
    if v.is_object() || v.is_array() {
        Ok(v)
    } else {
        Err(ApiError::new(
            ErrorCode::MalformedPayload,
            "Failed to parse JSON: Must be an object or array",
        ))
    }
}

/// What the pipeline learned on the way, for the journal.
#[derive(Debug, Default)]
struct Progress {
    payload: Value,
    client_id: Option<String>,
    conformed: Option<bool>,
}

/// The error answer of a routed request, in the standard envelope.
pub fn error_answer(
    err: &ApiError,
    m: &RouteMatch<'_, '_>,
    payload: &Value,
    now: i64,
) -> (u16, Value) {
    let info = RequestInfo {
        method: m.routed_name,
        params: &m.params,
        payload: redact_payload(m.routed_name, payload),
        time: now,
    };
    (err.status(), error_body(err, &info))
}

/// Runs the whole pipeline for a routed request, with the changes scenario rules ask for. The
/// answer's `body` is always the JSON value (see [`process_wire`]).
pub fn process(
    svc: &Service,
    m: &RouteMatch<'_, '_>,
    req: &RawRequest<'_>,
    overrides: &Overrides,
) -> Answer {
    let mut a = process_wire(svc, m, req, overrides);
    if let Some(text) = a.text.take() {
        a.body = serde_json::from_slice(&text).unwrap_or(Value::Null);
    }
    a
}

/// [`process`], except that methods rendered from typed views answer with `text` (the bytes to
/// send) and a `null` body: what the HTTP layer uses.
pub fn process_wire(
    svc: &Service,
    m: &RouteMatch<'_, '_>,
    req: &RawRequest<'_>,
    overrides: &Overrides,
) -> Answer {
    let now = svc.clock.now_ms();
    let mut progress = Progress {
        payload: json!({}),
        ..Progress::default()
    };
    let result = run(svc, m, req, now, overrides, &mut progress);
    let payload = redact_payload(m.routed_name, &progress.payload);
    match result {
        Ok(out) => {
            let (body, text) = match out {
                Output::Value(v) => (v, None),
                Output::Text(t) => (Value::Null, Some(t)),
            };
            Answer {
                status: 200,
                body,
                error_code: None,
                client_id: progress.client_id,
                conformed: progress.conformed,
                payload,
                text,
            }
        }
        Err(err) => {
            let (status, body) = error_answer(&err, m, &progress.payload, now);
            let conformed = match err.code {
                ErrorCode::MalformedPayload
                | ErrorCode::InvalidRequestArguments
                | ErrorCode::InputValidationError => Some(false),
                _ => progress.conformed,
            };
            Answer {
                status,
                body,
                error_code: Some(err.code),
                client_id: progress.client_id,
                conformed,
                payload,
                text: None,
            }
        }
    }
}

fn run(
    svc: &Service,
    m: &RouteMatch<'_, '_>,
    req: &RawRequest<'_>,
    now: i64,
    overrides: &Overrides,
    progress: &mut Progress,
) -> Result<Output, ApiError> {
    let entry = m.entry;
    progress.payload = parse_body(req)?;
    let payload = &progress.payload;
    let client_id = &mut progress.client_id;
    let caller = match authz::ScopePlan::of(entry) {
        None => Caller::default(),
        Some(plan) => {
            let caller = authenticate(svc, req, now).inspect_err(|_| {
                *client_id = req.authorization.and_then(authz::claimed_client_id);
            })?;
            *client_id = caller.client_id.clone();
            if plan.path_only {
                plan.check(&caller, |n| m.params.get(n).map(Cow::Borrowed))?;
            }
            caller
        }
    };
    svc.catalog
        .validate_params(entry, &m.params)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequestArguments, e.message))?;
    let query = svc
        .catalog
        .validate_query(entry, req.query)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequestArguments, e.to_string()))?;
    if let Some(input) = &entry.input {
        if !is_json(req.content_type) || !req.has_body {
            let got = req.content_type.filter(|_| req.has_body).unwrap_or("null");
            return Err(ApiError::new(
                ErrorCode::MalformedPayload,
                format!("Payload must be JSON with content-type: application/json got content-type: {got}"),
            ));
        }
        if let Err(v) = svc.validators.validate(input, payload) {
            return Err(ApiError::validation(ajv_message(
                &svc.root_url(),
                input,
                &v,
            )));
        }
    }
    progress.conformed = Some(true);
    let call = Call {
        entry,
        params: &m.params,
        query: &query,
        body: payload,
        caller: &caller,
        now,
        overrides,
    };
    // The typed fast path answers with bytes; a response transform works on values, so with
    // one installed every method takes the value path.
    if svc.options.response_transform.is_none() {
        if let Some(typed) = resources::text_handler(&entry.name) {
            let rendered = typed(svc, &call)?;
            if svc.options.validate_responses && svc.check_typed_render(&entry.name) {
                check_output(svc, entry, &rendered.to_value())?;
            }
            return Ok(Output::Text(rendered.0));
        }
    }
    let handler = resources::handler(&entry.name).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InternalServerError,
            format!("{} is not implemented", entry.name),
        )
    })?;
    let mut body = handler(svc, &call)?;
    if let Some(t) = &svc.options.response_transform {
        body = t.transform(&entry.name, body);
    }
    if svc.options.validate_responses {
        check_output(svc, entry, &body)?;
    }
    Ok(Output::Value(body))
}

/// Step 7: the response against the method's output schema (a mismatch is a 500, as upstream).
fn check_output(
    svc: &Service,
    entry: &worker_manager_schemas::Entry,
    body: &Value,
) -> Result<(), ApiError> {
    {
        if let Some(output) = &entry.output {
            if let Err(v) = svc.validators.validate(output, body) {
                let incident = svc.ids.uuid();
                let broken: Vec<String> = v
                    .iter()
                    .map(|x| format!("{} {}", x.pointer, x.keyword))
                    .collect();
                tracing::error!(method = %entry.name, ?broken, "response does not match its output schema");
                return Err(ApiError::new(
                    ErrorCode::InternalServerError,
                    format!(
                        "Internal Server Error, incidentId {incident}.\n\nThe response broke the output schema:{}",
                        ajv_message(&svc.root_url(), output, &v)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Step 2: who is calling. Strict mode verifies credentials (any failure is a 401); permissive mode
/// lets everyone in as root but still records the clientId the request names.
fn authenticate(svc: &Service, req: &RawRequest<'_>, now: i64) -> Result<Caller, ApiError> {
    match svc.options.auth {
        AuthMode::Permissive => Ok(Caller {
            client_id: req.authorization.and_then(authz::claimed_client_id),
            scopes: Arc::from(["*".to_string()]),
        }),
        AuthMode::Strict => {
            let auth_req = crate::auth::AuthRequest {
                method: req.method,
                resource: req.resource,
                host: &req.host,
                port: req.port,
                authorization: req.authorization,
                content_type: req.content_type,
                body: req.body,
            };
            let lookup = crate::authz::ServiceClients(svc);
            crate::auth::authenticate(&auth_req, &lookup, now, svc.anonymous_scopes())
                .map(|a| Caller {
                    client_id: a.client_id,
                    scopes: a.scopes,
                })
                .map_err(|e| ApiError::new(ErrorCode::AuthenticationFailed, e.to_string()))
        }
    }
}

/// The body of the real service's answer to an unknown route: `404 {"error": "Not found"}`.
pub fn not_found_body() -> Value {
    json!({"error": "Not found"})
}

/// The answer to a route whose parameter is not valid percent-encoding (the real service answers
/// with an HTML page here; the mock keeps to JSON).
pub fn bad_encoding(svc: &Service, m_name: &str, param: &str) -> Answer {
    let err = ApiError::new(
        ErrorCode::InvalidRequestArguments,
        format!("URL parameter '{param}' is not valid percent-encoding"),
    );
    let params = PathParams::default();
    let info = RequestInfo {
        method: m_name,
        params: &params,
        payload: json!({}),
        time: svc.clock.now_ms(),
    };
    Answer {
        status: err.status(),
        body: error_body(&err, &info),
        error_code: Some(err.code),
        client_id: None,
        conformed: Some(false),
        payload: json!({}),
        text: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(ct: Option<&'a str>, body: &'a [u8]) -> RawRequest<'a> {
        RawRequest {
            method: "PUT",
            content_type: ct,
            has_body: true,
            body,
            ..RawRequest::default()
        }
    }

    #[test]
    fn bodies_parse_as_upstream_parses_them() {
        let j = Some("application/json; charset=utf-8");
        assert_eq!(parse_body(&req(j, b"{\"a\":1}")).unwrap(), json!({"a": 1}));
        assert_eq!(parse_body(&req(j, b"[1]")).unwrap(), json!([1]));
        assert_eq!(parse_body(&req(j, b"")).unwrap(), json!({}));
        assert_eq!(
            parse_body(&req(Some("text/plain"), b"nonsense")).unwrap(),
            json!({})
        );
        let e = parse_body(&req(j, b"{oops")).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedPayload);
        assert!(e.message.starts_with("Failed to parse JSON: "));
        for scalar in [&b"123"[..], b"\"x\"", b"null", b"true"] {
            assert_eq!(
                parse_body(&req(j, scalar)).unwrap_err().message,
                "Failed to parse JSON: Must be an object or array"
            );
        }
    }

    #[test]
    fn scope_checks_before_validation_only_for_path_parameters() {
        let args = vec!["workerPoolId".to_string()];
        let path_only = |t: Value| authz::ScopePlan::new(&t, &args).path_only;
        assert!(path_only(json!("a:<workerPoolId>")));
        assert!(!path_only(
            json!({"AllOf": ["a:<workerPoolId>", "b:<providerId>"]})
        ));
        assert!(path_only(json!("no-params")));
    }
}

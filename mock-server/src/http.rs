//! The HTTP face of a [`Service`]: an axum router whose API routes all go through one handler that
//! asks the catalog where a request belongs (so axum holds no copy of the route table), plus the
//! reference and schema documents a deployment serves, and the root-level Dockerflow endpoints.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use worker_manager_schemas::{files, validate::with_root_url, RouteOutcome, API_PREFIX};

use crate::error::{ApiError, ErrorCode};
use crate::journal::JournalEntry;
use crate::pipeline::{self, Answer, RawRequest};
use crate::service::Service;

/// Largest request body accepted (the real service's limit is 10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The router of a service.
pub fn router(svc: Arc<Service>) -> Router {
    Router::new()
        .route("/references/worker-manager/v1/api.json", get(reference))
        .route("/schemas/worker-manager/v1/{file}", get(schema))
        .route(
            "/__heartbeat__",
            get(|| async { json_response(200, &json!({})) }),
        )
        .route(
            "/__lbheartbeat__",
            get(|| async { json_response(200, &json!({})) }),
        )
        .route(
            "/__version__",
            get(|| async { json_response(200, &crate::resources::meta::version_object()) }),
        )
        .fallback(api)
        .with_state(svc)
}

/// A JSON response as the real service sends it: pretty-printed, with its standard headers.
pub fn json_response(status: u16, body: &Value) -> Response {
    let text = serde_json::to_string_pretty(body).unwrap_or_else(|_| "{}".into());
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn standard_headers(headers: &mut HeaderMap, svc: &Service, trace_id: Option<&HeaderValue>) {
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set(
        headers,
        "cache-control",
        "no-store no-cache must-revalidate",
    );
    set(headers, "access-control-allow-origin", "*");
    set(headers, "access-control-max-age", "900");
    set(
        headers,
        "access-control-allow-methods",
        "OPTIONS,GET,HEAD,POST,PUT,DELETE,TRACE,CONNECT",
    );
    set(headers, "access-control-request-method", "*");
    set(
        headers,
        "access-control-allow-headers",
        "X-Requested-With,Content-Type,Authorization,Accept,Origin,Cache-Control",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(
        headers,
        "content-security-policy",
        "report-uri /__cspreport__;default-src 'none';frame-ancestors 'none';",
    );
    let request_id = svc.ids.uuid();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static("x-for-request-id"), v);
    }
    let trace = trace_id
        .cloned()
        .or_else(|| HeaderValue::from_str(&svc.ids.uuid()).ok());
    if let Some(v) = trace {
        headers.insert(HeaderName::from_static("x-for-trace-id"), v);
    }
}

/// Host and port as the client addressed them (for the Hawk MAC): `X-Forwarded-Port`, then
/// `X-Forwarded-Proto: https` (443), then the `Host` header's port, then 80.
pub fn host_and_port(headers: &HeaderMap) -> (String, u16) {
    let text = |k: &str| headers.get(k).and_then(|v| v.to_str().ok());
    crate::auth::header_host_port(
        text("host"),
        text("x-forwarded-port"),
        text("x-forwarded-proto"),
        false,
    )
}

async fn api(State(svc): State<Arc<Service>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let trace_id = parts.headers.get("x-taskcluster-trace-id").cloned();
    let resource = parts.uri.path_and_query().map_or_else(
        || parts.uri.path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let raw_path = parts.uri.path();
    let method = parts.method.as_str().to_string();
    let mut entry = JournalEntry {
        time: svc.clock.now_ms(),
        http_method: method.clone(),
        path: resource.clone(),
        method: None,
        params: Default::default(),
        client_id: None,
        status: 404,
        error_code: None,
    };
    let outcome = match raw_path.strip_prefix(API_PREFIX) {
        Some(rel) => svc.catalog.match_route(&method, rel),
        None => RouteOutcome::NotFound,
    };
    let mut resp = match outcome {
        RouteOutcome::NotFound => json_response(404, &pipeline::not_found_body()),
        RouteOutcome::Options { allow } => {
            entry.status = 200;
            let allow = allow.join(", ");
            let mut r = Response::new(Body::from(allow.clone()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&allow) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            r
        }
        RouteOutcome::BadEncoding { entry: e, param } => {
            entry.method = Some(e.name.clone());
            answer(&mut entry, pipeline::bad_encoding(&svc, &e.name, &param))
        }
        RouteOutcome::Matched(m) => {
            entry.method = Some(m.entry.name.clone());
            entry.params = m.params.clone();
            let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
                Ok(b) => b,
                Err(_) => {
                    let err = ApiError::new(
                        ErrorCode::InputTooLarge,
                        format!("Request body is larger than {MAX_BODY_BYTES} bytes"),
                    );
                    let body = crate::error::error_body(
                        &err,
                        &crate::error::RequestInfo {
                            method: m.routed_name,
                            params: &m.params,
                            payload: json!({}),
                            time: svc.clock.now_ms(),
                        },
                    );
                    let a = Answer {
                        status: 413,
                        body,
                        error_code: Some(ErrorCode::InputTooLarge),
                        client_id: None,
                    };
                    return finish(&svc, entry, a, trace_id.as_ref());
                }
            };
            let (host, port) = host_and_port(&parts.headers);
            let header_text =
                |k: header::HeaderName| parts.headers.get(k).and_then(|v| v.to_str().ok());
            let raw = RawRequest {
                method: if parts.method == Method::HEAD {
                    "GET"
                } else {
                    &method
                },
                resource: &resource,
                query: parts.uri.query(),
                authorization: header_text(header::AUTHORIZATION),
                content_type: header_text(header::CONTENT_TYPE),
                has_body: parts.headers.contains_key(header::CONTENT_LENGTH)
                    || parts.headers.contains_key(header::TRANSFER_ENCODING),
                host,
                port,
                body: &bytes,
            };
            let a = pipeline::process(&svc, &m, &raw);
            return finish(&svc, entry, a, trace_id.as_ref());
        }
    };
    standard_headers(resp.headers_mut(), &svc, trace_id.as_ref());
    svc.record(entry);
    resp
}

fn answer(entry: &mut JournalEntry, a: Answer) -> Response {
    entry.status = a.status;
    entry.error_code = a.error_code.map(|c| c.as_str().to_string());
    entry.client_id = a.client_id.clone();
    let mut r = json_response(a.status, &a.body);
    if a.status == 401 {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("hawk"));
    }
    r
}

fn finish(
    svc: &Service,
    mut entry: JournalEntry,
    a: Answer,
    trace: Option<&HeaderValue>,
) -> Response {
    let mut r = answer(&mut entry, a);
    standard_headers(r.headers_mut(), svc, trace);
    svc.record(entry);
    r
}

async fn reference(State(svc): State<Arc<Service>>) -> impl IntoResponse {
    json_response(200, &svc.catalog.published_reference())
}

async fn schema(State(svc): State<Arc<Service>>, Path(file): Path<String>) -> Response {
    let name = file.strip_suffix(".json").unwrap_or(&file);
    match files::schema_text(name).and_then(|t| serde_json::from_str::<Value>(t).ok()) {
        Some(s) => json_response(200, &with_root_url(&s, &svc.root_url())),
        None => json_response(404, &pipeline::not_found_body()),
    }
}

//! The HTTP face of a [`Host`]: one axum fallback handler that finds the service (main or tenant)
//! and asks the catalog where a request belongs (so axum holds no copy of the route table). It
//! serves the API, the reference and schema documents a deployment serves, the root-level
//! Dockerflow endpoints and the admin API, and applies scenario rules around the pipeline.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use worker_manager_schemas::{
    files, validate::with_root_url, RouteMatch, RouteOutcome, REFERENCE_PATH, SCHEMA_PREFIX,
};

use crate::error::{ApiError, ErrorCode};
use crate::host::{api_relative, split_tenant, Host};
use crate::journal::{bounded, JournalEntry};
use crate::pipeline::{self, Answer, RawRequest};
use crate::scenario::engine::{touched_provider, After, Before, Facts};
use crate::scenario::rules::ErrorAnswer;
use crate::service::Service;

/// Largest request body accepted (the real service's limit is 10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Longest request target (path and query) accepted.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Most header bytes (names and values) accepted.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// How long a client may take to send its body.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A plain JSON error for requests refused before routing.
fn refuse(status: u16, code: &str, message: &str) -> Response {
    json_response(status, &json!({"code": code, "message": message}))
}

/// The router of a host, for embedding wm-mock in an axum application. [`crate::MockServer`]
/// does not use it: it hands requests to [`handle`] directly (see there).
pub fn router(host: Arc<Host>) -> Router {
    Router::new().fallback(dispatch).with_state(host)
}

/// Answers one request for `host`: what [`router`]'s only handler does, without axum's routing
/// layers (request extensions, response futures), which cost about half a microsecond per request
/// and route nothing here, since every request goes to the same place. hyper itself sets the
/// `Content-Length` of a body of known size and sends no body to a `HEAD` request.
pub async fn handle(host: Arc<Host>, req: Request) -> Response {
    dispatch(State(host), req).await
}

/// A JSON response as the real service sends it: pretty-printed, with its standard headers.
pub fn json_response(status: u16, body: &Value) -> Response {
    json_bytes_response(status, json_text(body))
}

/// The pretty-printed JSON text of a body, as sent on the wire.
pub fn json_text(body: &Value) -> Bytes {
    let mut out = Vec::with_capacity(512);
    match serde_json::to_writer_pretty(&mut out, body) {
        Ok(()) => Bytes::from(out),
        Err(_) => Bytes::from_static(b"{}"),
    }
}

/// A JSON response from text already serialized (shared, not copied).
pub fn json_bytes_response(status: u16, text: Bytes) -> Response {
    let mut resp = Response::new(Body::from(text));
    *resp.headers_mut() = JSON_HEADERS.clone();
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp
}

/// The name of the per-request id header.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-for-request-id");

/// The name of the trace id header.
static TRACE_ID: HeaderName = HeaderName::from_static("x-for-trace-id");

/// The headers of a JSON answer, built once and copied for each: the JSON content type, the fixed
/// headers, and placeholders for the two ids [`standard_headers`] fills in. Copying a map of
/// shared values costs less than hashing a dozen names into a new one for every answer.
static JSON_HEADERS: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(|| {
    let mut h = HeaderMap::with_capacity(FIXED_HEADERS.len() + 3);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (k, v) in FIXED_HEADERS.iter() {
        h.insert(k.clone(), v.clone());
    }
    h.insert(REQUEST_ID.clone(), HeaderValue::from_static(""));
    h.insert(TRACE_ID.clone(), HeaderValue::from_static(""));
    h
});

/// A response whose body fails at once: the server closes the connection without a (complete)
/// answer, as a network fault would.
fn broken_connection() -> Response {
    Response::new(Body::from_stream(FailingBody(false)))
}

/// A body stream whose first item is an error.
struct FailingBody(bool);

impl futures_core::Stream for FailingBody {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.0 {
            return std::task::Poll::Ready(None);
        }
        self.0 = true;
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "scenario rule: connection reset",
        ))))
    }
}

/// The fixed headers of every answer (the real service's CORS and security headers), built once.
static FIXED_HEADERS: std::sync::LazyLock<[(HeaderName, HeaderValue); 8]> =
    std::sync::LazyLock::new(|| {
        let h = |k: &'static str, v: &'static str| {
            (HeaderName::from_static(k), HeaderValue::from_static(v))
        };
        [
            h("cache-control", "no-store no-cache must-revalidate"),
            h("access-control-allow-origin", "*"),
            h("access-control-max-age", "900"),
            h(
                "access-control-allow-methods",
                "OPTIONS,GET,HEAD,POST,PUT,DELETE,TRACE,CONNECT",
            ),
            h("access-control-request-method", "*"),
            h(
                "access-control-allow-headers",
                "X-Requested-With,Content-Type,Authorization,Accept,Origin,Cache-Control",
            ),
            h("x-content-type-options", "nosniff"),
            h(
                "content-security-policy",
                "report-uri /__cspreport__;default-src 'none';frame-ancestors 'none';",
            ),
        ]
    });

/// Adds the fixed headers (unless the map was copied from [`JSON_HEADERS`], which holds them) and
/// sets the two ids: a new request id, and the request's trace id or a new one.
fn standard_headers(headers: &mut HeaderMap, svc: &Service, trace_id: Option<&HeaderValue>) {
    if !headers.contains_key(&REQUEST_ID) {
        // Room for all of them at once: growing the map re-hashes what it holds.
        headers.reserve(FIXED_HEADERS.len() + 2);
        for (k, v) in FIXED_HEADERS.iter() {
            headers.insert(k.clone(), v.clone());
        }
    }
    let fresh = || HeaderValue::from_bytes(&svc.ids.request_uuid()).ok();
    match fresh() {
        Some(v) => headers.insert(REQUEST_ID.clone(), v),
        None => headers.remove(&REQUEST_ID),
    };
    match trace_id.cloned().or_else(fresh) {
        Some(v) => headers.insert(TRACE_ID.clone(), v),
        None => headers.remove(&TRACE_ID),
    };
}

/// Host and port as the client addressed them (for the Hawk MAC): `X-Forwarded-Port`, then
/// `X-Forwarded-Proto: https` (443), then the `Host` header's port, then 80.
pub fn host_and_port(headers: &HeaderMap) -> (Cow<'_, str>, u16) {
    static FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
    static FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    let text = |k: &HeaderName| headers.get(k).and_then(|v| v.to_str().ok());
    crate::auth::header_host_port(
        text(&header::HOST),
        text(&FORWARDED_PORT),
        text(&FORWARDED_PROTO),
        false,
    )
}

fn not_found() -> Response {
    json_response(404, &pipeline::not_found_body())
}

/// Finds the service a request is for, then the part of the server that answers it.
async fn dispatch(State(host): State<Arc<Host>>, req: Request) -> Response {
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return refuse(414, "InputTooLarge", "Request target is longer than 16 KiB");
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return refuse(
            431,
            "InputTooLarge",
            "Request headers are larger than 64 KiB",
        );
    }
    let path = req.uri().path();
    let (tenant, rest) = split_tenant(path);
    let (svc, is_tenant) = match tenant {
        Some(id) => match host.tenant(id) {
            Some(svc) => (svc, true),
            None => return not_found(),
        },
        None => (Arc::clone(&host.main), false),
    };
    if api_relative(rest).is_some() {
        // Where the service's part of the request's path starts (no copy of it is made).
        let start = path.len() - rest.len();
        return api(svc, start, req).await;
    }
    if let Some(admin) = rest.strip_prefix(crate::admin::PREFIX) {
        let admin = admin.to_string();
        return crate::admin::handle(&host, svc, is_tenant, admin, req).await;
    }
    match rest {
        REFERENCE_PATH => json_response(200, &svc.catalog.published_reference()),
        "/__heartbeat__" | "/__lbheartbeat__" => json_response(200, &json!({})),
        "/__version__" => json_response(200, &crate::resources::meta::version_object()),
        other => match other.strip_prefix(SCHEMA_PREFIX) {
            Some(file) => {
                let name = file.strip_suffix(".json").unwrap_or(file);
                match files::schema_text(name).and_then(|t| serde_json::from_str::<Value>(t).ok()) {
                    Some(s) => json_response(200, &with_root_url(&s, &svc.root_url())),
                    None => not_found(),
                }
            }
            None => not_found(),
        },
    }
}

/// Answers an API request: route, scenario rules, pipeline, journal. The request's path from
/// byte `start` on is the path within the service, under the API prefix.
async fn api(svc: Arc<Service>, start: usize, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let trace_id = parts.headers.get("x-taskcluster-trace-id").cloned();
    let rel = parts
        .uri
        .path()
        .get(start..)
        .and_then(api_relative)
        .unwrap_or("/");
    let resource = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let method = parts.method.as_str();
    let mut entry = JournalEntry::new(svc.clock.now_ms(), method, resource);
    let mut resp = match svc.catalog.match_route(method, rel) {
        RouteOutcome::NotFound => not_found(),
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
            entry.method = Some(Cow::Borrowed(e.name.as_str()));
            answer_response(&mut entry, pipeline::bad_encoding(&svc, &e.name, &param))
        }
        RouteOutcome::Matched(m) => {
            entry.method = Some(Cow::Borrowed(m.entry.name.as_str()));
            // A request without a body (most GETs) needs no read and no timer.
            let read = if axum::body::HttpBody::size_hint(&body).exact() == Some(0) {
                Ok(Ok(Bytes::new()))
            } else {
                tokio::time::timeout(BODY_READ_TIMEOUT, to_bytes(body, MAX_BODY_BYTES)).await
            };
            let resp = match read {
                Err(_elapsed) => {
                    entry.status = 408;
                    refuse(
                        408,
                        "RequestTimeout",
                        "The request body did not arrive in time",
                    )
                }
                Ok(Ok(bytes)) => {
                    matched(&svc, &m, &parts, method, resource, &bytes, &mut entry).await
                }
                Ok(Err(_)) => {
                    let err = ApiError::new(
                        ErrorCode::InputTooLarge,
                        format!("Request body is larger than {MAX_BODY_BYTES} bytes"),
                    );
                    let (status, body) =
                        pipeline::error_answer(&err, &m, &json!({}), svc.clock.now_ms());
                    entry.status = status;
                    entry.error_code = Some(err.code.as_str().to_string());
                    json_response(status, &body)
                }
            };
            resp
        }
    };
    standard_headers(resp.headers_mut(), &svc, trace_id.as_ref());
    svc.record(entry);
    resp
}

fn answer_response(entry: &mut JournalEntry, a: Answer) -> Response {
    entry.status = a.status;
    entry.error_code = a.error_code.map(|c| c.as_str().to_string());
    entry.client_id = a.client_id;
    entry.conformed = a.conformed;
    let wire = match a.text {
        Some(t) => t,
        None => json_text(&a.body),
    };
    entry.set_response(&a.body, &wire);
    entry.request_body = bounded(a.payload);
    let mut r = json_bytes_response(a.status, wire);
    if a.status == 401 {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("hawk"));
    }
    r
}

/// The envelope answer of a scenario error for a routed request.
fn scenario_error(svc: &Service, m: &RouteMatch<'_, '_>, e: &ErrorAnswer, body: &Value) -> Answer {
    let payload = crate::error::redact_payload(m.routed_name, body);
    let info = crate::error::RequestInfo {
        method: m.routed_name,
        params: &m.params,
        payload: payload.clone(),
        time: svc.clock.now_ms(),
    };
    Answer {
        status: e.status,
        body: crate::error::envelope(&e.code, e.status, &e.message, &info),
        error_code: ErrorCode::parse(&e.code),
        client_id: None,
        conformed: None,
        payload,
        text: None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn matched(
    svc: &Arc<Service>,
    m: &RouteMatch<'_, '_>,
    parts: &Parts,
    method: &str,
    resource: &str,
    bytes: &Bytes,
    entry: &mut JournalEntry,
) -> Response {
    let (host, port) = host_and_port(&parts.headers);
    let header_text = |k: header::HeaderName| parts.headers.get(k).and_then(|v| v.to_str().ok());
    let raw = RawRequest {
        method,
        resource,
        query: parts.uri.query(),
        authorization: header_text(header::AUTHORIZATION),
        content_type: header_text(header::CONTENT_TYPE),
        has_body: parts.headers.contains_key(header::CONTENT_LENGTH)
            || parts.headers.contains_key(header::TRANSFER_ENCODING),
        host,
        port,
        body: bytes,
    };
    let decision = {
        let engine = svc.engine();
        if engine.is_empty() {
            Default::default()
        } else {
            let lenient: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
            let provider = touched_provider(&svc.store(), &m.params, &lenient);
            let claimed = raw.authorization.and_then(crate::authz::claimed_client_id);
            let token = worker_manager_schemas::params::parse_query(raw.query.unwrap_or(""))
                .get("continuationToken")
                .and_then(|v| v.first().cloned());
            let facts = Facts {
                method: &m.entry.name,
                params: &m.params,
                body: &lenient,
                client: claimed.as_deref(),
                provider: provider.as_deref(),
                token: token.as_deref(),
                now: svc.clock.now_ms(),
            };
            engine.decide(&facts, &svc.ids)
        }
    };
    entry.rules = decision.fired.clone();
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    let lenient = || serde_json::from_slice::<Value>(bytes).unwrap_or(json!({}));
    match &decision.before {
        Some(Before::Reset) => {
            entry.status = 0;
            return broken_connection();
        }
        Some(Before::Raw {
            status,
            headers,
            body,
        }) => {
            entry.status = *status;
            let mut r = Response::new(Body::from(body.clone()));
            *r.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v))
                {
                    r.headers_mut().insert(k, v);
                }
            }
            return r;
        }
        Some(Before::Error(e)) => {
            return answer_response(entry, scenario_error(svc, m, e, &lenient()));
        }
        None => {}
    }
    let mut answer = pipeline::process_wire(svc, m, &raw, &decision.overrides);
    match &decision.after {
        Some(After::Duplicate) => {
            answer = pipeline::process_wire(svc, m, &raw, &decision.overrides)
        }
        Some(After::Drop) => {
            answer_response(entry, answer);
            entry.status = 0;
            return broken_connection();
        }
        Some(After::Fail(e)) => answer = scenario_error(svc, m, e, &lenient()),
        Some(After::Stale) => {
            let request = format!(
                "{} {method} {resource}?{}",
                m.entry.name,
                raw.query.unwrap_or("")
            );
            answer = svc.stale_answer(request, answer);
        }
        Some(After::EmptyPage) if answer.status == 200 => {
            if let Some(text) = answer.text.take() {
                answer.body = serde_json::from_slice(&text).unwrap_or(Value::Null);
            }
            empty_page(&mut answer.body, raw.query);
        }
        _ => {}
    }
    answer_response(entry, answer)
}

/// Empties every list of a list answer and points its continuationToken back at the same place
/// (the token the request came with, or one that restarts from the first page).
fn empty_page(body: &mut Value, query: Option<&str>) {
    let Some(m) = body.as_object_mut() else {
        return;
    };
    let mut emptied = false;
    for v in m.values_mut() {
        if let Some(a) = v.as_array_mut() {
            a.clear();
            emptied = true;
        }
    }
    if emptied {
        let token = worker_manager_schemas::params::parse_query(query.unwrap_or(""))
            .get("continuationToken")
            .and_then(|v| v.first().cloned())
            .unwrap_or_else(|| "restart".to_string());
        m.insert("continuationToken".into(), token.into());
    }
}

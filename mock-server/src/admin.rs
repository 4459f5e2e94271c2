//! The admin API under `/__mock__/` (and `/t/<tenant>/__mock__/`): control of a running mock for
//! tests in any language. Every call needs root credentials (Hawk, scope `*`) or, when the server
//! has one, `Authorization: Bearer <admin token>`.
//!
//! | method and path | what it does |
//! |---|---|
//! | `PUT /__mock__/scenario` | replaces state and rules with a scenario (all or nothing; 400 naming the JSON pointer) |
//! | `POST /__mock__/scenario` | appends a scenario: its seed on top of the state, its rules after the others |
//! | `DELETE /__mock__/scenario` | removes every rule (state is kept) |
//! | `GET /__mock__/export` | the whole state as a scenario seed (secrets left out) |
//! | `GET /__mock__/rules` | the scenario rules with how often each matched and fired |
//! | `DELETE /__mock__/rules` | removes every rule (state is kept) |
//! | `POST /__mock__/reset` | back to the state after the last scenario load; rule counters to 0 |
//! | `GET /__mock__/journal?method=&status=&clientId=&rule=` | the request journal, filtered |
//! | `DELETE /__mock__/journal` | clears the journal |
//! | `GET /__mock__/clock` | `{"now", "frozen"}` |
//! | `POST /__mock__/clock` | `{"set": <date-time>, "advance": "1h" or ms, "freeze": bool}` |
//! | `POST /__mock__/proofs` | `{"workerPoolId","workerGroup","workerId"}` → the cloud identity proof of that worker |
//! | `POST /__mock__/tenants` | `{"tenantId"?, "seed"?}` → a new isolated tenant and its root URL |
//! | `GET /__mock__/tenants`, `DELETE /__mock__/tenants/<id>` | list / remove tenants |

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::header;
use axum::response::Response;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::auth::{authenticate, scope_satisfies, AuthRequest};
use crate::authz::ServiceClients;
use crate::host::Host;
use crate::http::{host_and_port, json_response};
use crate::provider::ProviderType;
use crate::scenario::{export_seed, install, LoadMode, Scenario};
use crate::service::Service;
use crate::store::model::WorkerKey;
use crate::time::format_ms;

/// Where the admin API lives under a root URL.
pub const PREFIX: &str = "/__mock__";

/// Largest admin request body (scenarios can be large).
const MAX_ADMIN_BODY: usize = 64 * 1024 * 1024;

fn error(status: u16, code: &str, message: impl Into<String>) -> Response {
    json_response(status, &json!({"code": code, "message": message.into()}))
}

/// Whether the request may use the admin API.
fn authorized(host: &Host, svc: &Service, req: &Request, body: &[u8]) -> Result<(), Box<Response>> {
    let headers = req.headers();
    let authz = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let (Some(token), Some(given)) = (
        &host.admin_token,
        authz.and_then(|a| a.strip_prefix("Bearer ")),
    ) {
        if bool::from(token.as_bytes().ct_eq(given.as_bytes())) {
            return Ok(());
        }
        return Err(Box::new(error(
            401,
            "AuthenticationFailed",
            "Bad admin token",
        )));
    }
    let Some(authz) = authz else {
        return Err(Box::new(error(
            403,
            "InsufficientScopes",
            "The admin API needs root credentials (scope `*`) or the admin token",
        )));
    };
    let (host_name, port) = host_and_port(headers);
    let resource = req.uri().path_and_query().map_or_else(
        || req.uri().path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let auth_req = AuthRequest {
        method: req.method().as_str(),
        resource: &resource,
        host: &host_name,
        port,
        authorization: Some(authz),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        body,
    };
    let who = authenticate(&auth_req, &ServiceClients(svc), svc.clock.now_ms(), &[])
        .map_err(|e| Box::new(error(401, "AuthenticationFailed", e.to_string())))?;
    if who.scopes.iter().any(|s| scope_satisfies(s, "*")) {
        Ok(())
    } else {
        Err(Box::new(error(
            403,
            "InsufficientScopes",
            "The admin API needs scope `*`",
        )))
    }
}

/// Answers an admin request for `svc` (`rest` is the path after [`PREFIX`]).
pub async fn handle(
    host: &Host,
    svc: Arc<Service>,
    is_tenant: bool,
    rest: String,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_ADMIN_BODY).await {
        Ok(b) => b,
        Err(_) => return error(413, "InputTooLarge", "admin request body too large"),
    };
    let req = Request::from_parts(parts, axum::body::Body::empty());
    if let Err(resp) = authorized(host, &svc, &req, &bytes) {
        return *resp;
    }
    let query = worker_manager_schemas::params::parse_query(req.uri().query().unwrap_or(""));
    let q = |k: &str| query.get(k).and_then(|v| v.first()).map(String::as_str);
    let body: Value = if bytes.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                return error(
                    400,
                    "MalformedPayload",
                    format!("Failed to parse JSON: {e}"),
                )
            }
        }
    };
    let method = req.method().as_str();
    match (method, rest.trim_end_matches('/')) {
        ("GET", "") => json_response(200, &index()),
        ("GET", "/rules") => json_response(200, &json!({ "rules": svc.rule_reports() })),
        ("DELETE", "/rules") => {
            svc.clear_rules();
            json_response(200, &json!({}))
        }
        ("POST", "/reset") => {
            svc.reset();
            json_response(200, &json!({}))
        }
        ("GET", "/journal") => {
            let entries: Vec<_> = svc
                .journal()
                .into_iter()
                .filter(|e| q("method").is_none_or(|m| e.method.as_deref() == Some(m)))
                .filter(|e| q("status").is_none_or(|s| e.status.to_string() == s))
                .filter(|e| q("clientId").is_none_or(|c| e.client_id.as_deref() == Some(c)))
                .filter(|e| q("rule").is_none_or(|r| e.rules.iter().any(|x| x == r)))
                .collect();
            json_response(200, &json!({ "entries": entries }))
        }
        ("DELETE", "/journal") => {
            svc.clear_journal();
            json_response(200, &json!({}))
        }
        ("PUT", "/scenario") => load(&svc, &body, LoadMode::Replace),
        ("POST", "/scenario") => load(&svc, &body, LoadMode::Append),
        ("DELETE", "/scenario") => {
            svc.clear_rules();
            json_response(200, &json!({}))
        }
        ("GET", "/export") => json_response(
            200,
            &json!({"description": "exported from a running wm-mock", "seed": export_seed(&svc)}),
        ),
        ("GET", "/clock") => json_response(200, &clock_state(&svc)),
        ("POST", "/clock") => clock_change(&svc, &body),
        ("POST", "/proofs") => proof(&svc, &body),
        ("GET", "/tenants") if !is_tenant => {
            json_response(200, &json!({ "tenants": host.tenant_ids() }))
        }
        ("POST", "/tenants") if !is_tenant => {
            let id = body.get("tenantId").and_then(Value::as_str);
            let seed = body.get("seed").and_then(Value::as_u64);
            match host.create_tenant(id, seed) {
                Ok((id, t)) => json_response(
                    200,
                    &json!({"tenantId": id, "rootUrl": t.root_url(), "clientId": crate::service::ROOT_CLIENT_ID}),
                ),
                Err(e) => error(400, "InputError", e),
            }
        }
        (m, path) if m == "DELETE" && path.starts_with("/tenants/") && !is_tenant => {
            if host.remove_tenant(&path["/tenants/".len()..]) {
                json_response(200, &json!({}))
            } else {
                error(404, "ResourceNotFound", "no such tenant")
            }
        }
        _ => json_response(404, &json!({"error": "Not found"})),
    }
}

fn load(svc: &Service, body: &Value, mode: LoadMode) -> Response {
    let scenario = match Scenario::from_json_str(&body.to_string(), "request body") {
        Ok(s) => s,
        Err(e) => {
            return json_response(
                400,
                &json!({"code": "InputValidationError", "message": e.to_string(), "pointer": e.pointer()}),
            )
        }
    };
    match install(svc, &scenario, mode) {
        Ok(()) => json_response(200, &json!({ "rules": svc.rule_reports() })),
        Err(e) => {
            let e = e.with_source("request body");
            json_response(
                400,
                &json!({"code": "InputValidationError", "message": e.to_string(), "pointer": e.pointer()}),
            )
        }
    }
}

fn index() -> Value {
    json!({"endpoints": [
        "PUT /__mock__/scenario", "POST /__mock__/scenario", "DELETE /__mock__/scenario",
        "GET /__mock__/export",
        "GET /__mock__/rules", "DELETE /__mock__/rules", "POST /__mock__/reset",
        "GET /__mock__/journal", "DELETE /__mock__/journal",
        "GET /__mock__/clock", "POST /__mock__/clock", "POST /__mock__/proofs",
        "GET /__mock__/tenants", "POST /__mock__/tenants", "DELETE /__mock__/tenants/<id>",
    ]})
}

fn clock_state(svc: &Service) -> Value {
    json!({"now": format_ms(svc.clock.now_ms()), "frozen": svc.clock.is_frozen()})
}

fn clock_change(svc: &Service, body: &Value) -> Response {
    if let Some(set) = body.get("set").and_then(Value::as_str) {
        match crate::time::parse_date_time(set) {
            Some(ms) => svc.clock.set(ms),
            None => {
                return error(
                    400,
                    "InputError",
                    format!("`set` is not a date-time: {set}"),
                )
            }
        }
    }
    match body.get("advance") {
        Some(Value::Number(n)) => svc.clock.advance(n.as_i64().unwrap_or(0)),
        Some(Value::String(s)) => match crate::scenario::engine::parse_offset(s) {
            Some(ms) => svc.clock.advance(ms),
            None => {
                return error(
                    400,
                    "InputError",
                    format!("`advance` is not a duration: {s}"),
                )
            }
        },
        Some(_) => {
            return error(
                400,
                "InputError",
                "`advance` is a number of ms or a duration like \"1h\"",
            )
        }
        None => {}
    }
    match body.get("freeze").and_then(Value::as_bool) {
        Some(true) => svc.clock.freeze(),
        Some(false) => svc.clock.resume(),
        None => {}
    }
    json_response(200, &clock_state(svc))
}

fn proof(svc: &Service, body: &Value) -> Response {
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let key = WorkerKey::new(
        field("workerPoolId"),
        field("workerGroup"),
        field("workerId"),
    );
    let store = svc.store();
    let Some(worker) = store.worker(&key) else {
        return error(404, "ResourceNotFound", "Worker not found");
    };
    let kind = store
        .provider(&worker.provider_id)
        .map_or(ProviderType::Null, |p| p.provider_type);
    match crate::proofs::issue(
        svc.proof_key(),
        kind,
        &key.worker_pool_id,
        &key.worker_group,
        &key.worker_id,
    ) {
        Some(p) => json_response(200, &json!({ "workerIdentityProof": p })),
        None => error(
            400,
            "InputError",
            format!(
                "workers of a {} provider need no issued proof",
                kind.as_str()
            ),
        ),
    }
}

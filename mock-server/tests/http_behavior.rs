//! The mock's cross-cutting HTTP behaviour (routing, pipeline order, bodies, query strings, error envelope, headers, timestamps, paging tokens, meta methods, published documents, journal) matches reference §1 and §4.1.
mod common;
use common::*;

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker_manager_mock::MockServer;

/// The path-parameter pattern of `workerPoolId`.
const WPID_RE: &str = "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$";

/// The message of a failed `workerPoolId` path parameter.
fn bad_wpid(value: &str) -> String {
    format!(
        "Invalid URL patterns:\nURL parameter 'workerPoolId' given as '{value}' must match regular expression: '{WPID_RE}'"
    )
}

/// The standard trailer appended to every error message.
fn trailer(method: &str, code: &str, status: u16, time: &str) -> String {
    format!(
        "\n\n---\n\n* method:     {method}\n* errorCode:  {code}\n* statusCode: {status}\n* time:       {time}"
    )
}

/// Whether `s` is `YYYY-MM-DDThh:mm:ss.mmmZ` (the JavaScript `toJSON` form).
fn is_wire_time(s: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            other => c == other,
        })
}

/// Whether `s` looks like a UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A header value as text ("" when absent).
fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// An unsigned request to an absolute URL, returning status, headers and the body text.
async fn plain(
    api: &Api,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = api.http.request(m, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (status, h, text)
}

/// The Hawk `Authorization` header value for a request without payload hash, signed by root.
fn hawk_authorization(api: &Api, method: &str, resource: &str) -> String {
    let (id, token) = api.creds.clone().expect("root credentials");
    let port = api.server.address().port();
    let creds = hawk::Credentials {
        id,
        key: hawk::Key::new(token.as_bytes(), hawk::SHA256).unwrap(),
    };
    let header = hawk::RequestBuilder::new(method, "127.0.0.1", port, resource)
        .request()
        .make_header(&creds)
        .unwrap();
    format!("Hawk {header}")
}

/// Sends a request signed by root without a Hawk payload hash (as a client does for a body it
/// does not hash), so that bodies under non-JSON content types can be sent.
async fn raw_unhashed(
    api: &Api,
    method: &str,
    path: &str,
    body: Option<&str>,
    ct: Option<&str>,
) -> Resp {
    let resource = format!("/api/worker-manager/v1{path}");
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = api
        .http
        .request(m, api.url(path))
        .header("authorization", hawk_authorization(api, method, &resource));
    if let Some(c) = ct {
        req = req.header("content-type", c);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp {
        status,
        body,
        headers,
    }
}

/// A mock whose clock is frozen at the current wall-clock millisecond (so Hawk timestamps stay
/// fresh), and that instant in the wire format.
async fn frozen_now() -> (Api, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let api = Api::with(MockServer::builder().frozen_clock(now)).await;
    (api, worker_manager_mock::time::format_ms(now))
}

/// Sends `head` (request line and headers, without the final blank line) over a fresh TCP
/// connection with `Connection: close`, returning the status code, lower-cased headers and the
/// exact bytes that followed the header block.
async fn tcp(api: &Api, head: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(api.server.address())
        .await
        .unwrap();
    let req = format!("{head}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete header block");
    let head_text = String::from_utf8(buf[..split].to_vec()).unwrap();
    let mut lines = head_text.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, buf[split + 4..].to_vec())
}

/// The value of a header in a [`tcp`] answer.
fn tcp_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Asserts the 404 answer of an unrouted request: exactly `{"error":"Not found"}`, no `code`.
#[track_caller]
fn assert_not_found(r: &Resp) {
    assert_eq!(r.status, 404, "body: {}", r.body);
    assert_eq!(r.body, json!({"error": "Not found"}));
    assert!(r.body.get("code").is_none());
}

/// Asserts the headers every answer under the API prefix carries.
#[track_caller]
fn assert_standard_headers(h: &reqwest::header::HeaderMap) {
    assert_eq!(
        header(h, "cache-control"),
        "no-store no-cache must-revalidate"
    );
    assert_eq!(header(h, "access-control-allow-origin"), "*");
    assert_eq!(header(h, "access-control-max-age"), "900");
    assert_eq!(
        header(h, "access-control-allow-methods"),
        "OPTIONS,GET,HEAD,POST,PUT,DELETE,TRACE,CONNECT"
    );
    assert_eq!(header(h, "access-control-request-method"), "*");
    assert_eq!(
        header(h, "access-control-allow-headers"),
        "X-Requested-With,Content-Type,Authorization,Accept,Origin,Cache-Control"
    );
    assert_eq!(header(h, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(h, "content-security-policy"),
        "report-uri /__cspreport__;default-src 'none';frame-ancestors 'none';"
    );
    assert!(is_uuid(header(h, "x-for-request-id")), "{h:?}");
    assert!(!header(h, "x-for-trace-id").is_empty(), "{h:?}");
    // Each once: answers start from a copied header map and must not repeat any.
    for name in h.keys() {
        assert_eq!(h.get_all(name).iter().count(), 1, "{name} repeated: {h:?}");
    }
}

/// Whether any object key anywhere in `v` starts with `x-`.
fn has_extension_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.starts_with("x-") || has_extension_key(v)),
        Value::Array(a) => a.iter().any(has_extension_key),
        _ => false,
    }
}

/// The workerPoolIds of a listWorkerPools answer.
fn pool_ids(body: &Value) -> Vec<String> {
    body["workerPools"]
        .as_array()
        .expect("workerPools")
        .iter()
        .map(|p| p["workerPoolId"].as_str().unwrap().to_string())
        .collect()
}

/// The providerIds of a listProviders answer.
fn provider_ids(body: &Value) -> Vec<String> {
    body["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .map(|p| p["providerId"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1.1 Routing
// ---------------------------------------------------------------------------------------------

/// An unknown path under the API prefix answers 404 with exactly `{"error":"Not found"}` and no `code`.
#[tokio::test]
async fn unknown_path_is_plain_not_found() {
    let api = Api::start().await;
    assert_not_found(&api.get("/no-such-thing").await);
    assert_not_found(&api.get("/worker-pools/a/b/c").await);
    let r = api.get("/no-such-thing").await;
    assert_eq!(
        header(&r.headers, "content-type"),
        "application/json; charset=utf-8"
    );
}

/// A known path with a method that has no route (PATCH, or POST on a GET-only path) answers the plain 404.
#[tokio::test]
async fn unrouted_method_on_known_path_is_plain_not_found() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let patch = api
        .raw(
            "PATCH",
            "/worker-pool/pp%2Fee",
            Some("{}"),
            Some("application/json"),
        )
        .await;
    assert_not_found(&patch);
    assert_not_found(&api.post("/worker-pools", json!({})).await);
    assert_not_found(&api.delete("/ping").await);
    // The pool is untouched.
    assert_eq!(
        api.get("/worker-pool/pp%2Fee").await.ok()["providerId"],
        "static"
    );
}

/// The router is case-sensitive: `/Worker-pools` is 404 while `/worker-pools` answers.
#[tokio::test]
async fn routing_is_case_sensitive() {
    let api = Api::start().await;
    assert_not_found(&api.get("/Worker-pools").await);
    assert_not_found(&api.get("/PING").await);
    assert_eq!(
        api.get("/worker-pools").await.ok()["workerPools"],
        json!([])
    );
}

/// A trailing slash is tolerated: `/worker-pools/` answers like `/worker-pools`.
#[tokio::test]
async fn trailing_slash_is_tolerated() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let with = api.get("/worker-pools/").await;
    let without = api.get("/worker-pools").await;
    assert_eq!(pool_ids(with.ok()), vec!["pp/ee"]);
    assert_eq!(with.body, without.body);
    assert_eq!(api.get("/ping/").await.ok()["alive"], true);
}

/// OPTIONS on a known path answers 200 text/plain with an `allow` header (and the same body) listing its methods.
#[tokio::test]
async fn options_on_known_path_lists_methods() {
    let api = Api::start().await;
    let r = api.raw("OPTIONS", "/ping", None, None).await;
    assert_eq!(r.status, 200);
    assert!(
        header(&r.headers, "content-type").starts_with("text/plain"),
        "{:?}",
        r.headers
    );
    assert_eq!(header(&r.headers, "allow"), "GET, HEAD");
    assert_eq!(header(&r.headers, "access-control-allow-origin"), "*");

    let (status, h, text) =
        plain(&api, "OPTIONS", &api.url("/worker-pool/pp%2Fee"), &[], None).await;
    assert_eq!(status, 200);
    assert!(header(&h, "content-type").starts_with("text/plain"));
    let allow: BTreeSet<&str> = header(&h, "allow").split(", ").collect();
    assert_eq!(
        allow,
        BTreeSet::from(["DELETE", "GET", "HEAD", "POST", "PUT"])
    );
    assert_eq!(text, header(&h, "allow"));
    assert_eq!(header(&h, "access-control-max-age"), "900");
}

/// OPTIONS on an unknown path is the plain 404.
#[tokio::test]
async fn options_on_unknown_path_is_not_found() {
    let api = Api::start().await;
    assert_not_found(&api.raw("OPTIONS", "/nothing-here", None, None).await);
}

/// HEAD on a GET route answers 200 with the GET's headers and no body bytes at all.
#[tokio::test]
async fn head_on_get_route_has_no_body() {
    let api = Api::start().await;
    let (status, headers, body) = tcp(
        &api,
        &format!(
            "HEAD /api/worker-manager/v1/ping HTTP/1.1\r\nHost: {}",
            api.server.address()
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        tcp_header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        tcp_header(&headers, "x-content-type-options"),
        Some("nosniff")
    );
    assert!(
        body.is_empty(),
        "HEAD answered a body: {:?}",
        String::from_utf8_lossy(&body)
    );

    // An unknown path is still 404 on HEAD.
    let (status, _, body) = tcp(
        &api,
        &format!(
            "HEAD /api/worker-manager/v1/nothing HTTP/1.1\r\nHost: {}",
            api.server.address()
        ),
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.is_empty());
}

/// HEAD on an authenticated GET route, signed for the HEAD method, answers 200 (Express routes HEAD to the GET handler and keeps `HEAD` as the request method).
#[tokio::test]
async fn head_on_authenticated_get_route_is_answered() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let r = api.raw("HEAD", "/worker-pool/pp%2Fee", None, None).await;
    assert_eq!(r.status, 200, "headers: {:?}", r.headers);
    assert_eq!(
        header(&r.headers, "content-type"),
        "application/json; charset=utf-8"
    );
}

/// Splat workerPoolId routes accept both a raw slash and `%2F`.
#[tokio::test]
async fn splat_routes_accept_raw_and_encoded_slash() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let raw = api.get("/worker-pool/pp/ee").await;
    let encoded = api.get("/worker-pool/pp%2Fee").await;
    assert_eq!(raw.ok()["workerPoolId"], "pp/ee");
    assert_eq!(raw.body, encoded.body);
    let stats = api.get("/worker-pool/pp/ee/stats").await;
    assert_eq!(stats.ok()["launchConfigStats"][0]["workerPoolId"], "pp/ee");
    let errors = api.get("/worker-pool-errors/pp/ee").await;
    assert_eq!(errors.ok()["workerPoolErrors"], json!([]));
}

/// An empty splat value (`/worker-pool/`) reaches parameter validation as `""`.
#[tokio::test]
async fn empty_splat_value_fails_validation() {
    let api = Api::start().await;
    let r = api.get("/worker-pool/").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid(""));
    assert_eq!(r.body["requestInfo"]["method"], "workerPool");
}

/// `GET /workers/pp/ee` (raw slash) is listWorkersForWorkerGroup with workerPoolId `pp`: 400.
#[tokio::test]
async fn raw_slash_workers_path_routes_to_worker_group_list() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let r = api.get("/workers/pp/ee").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("pp"));
    assert_eq!(r.body["requestInfo"]["method"], "listWorkersForWorkerGroup");
    assert_eq!(
        r.body["requestInfo"]["params"],
        json!({"workerPoolId": "pp", "workerGroup": "ee"})
    );
}

/// `GET /workers/pp/ee/wg/wi` (raw slash) is listWorkersForWorkerPool with id `pp/ee/wg/wi`: 400.
#[tokio::test]
async fn raw_slash_worker_path_routes_to_pool_worker_list() {
    let api = Api::start().await;
    let r = api.get("/workers/pp/ee/wg/wi").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("pp/ee/wg/wi"));
    assert_eq!(r.body["requestInfo"]["method"], "listWorkersForWorkerPool");
}

/// `GET /worker-pool/pp/ee/launch-configs` (raw slash) is workerPool with id `pp/ee/launch-configs`: 400.
#[tokio::test]
async fn raw_slash_launch_configs_path_routes_to_worker_pool() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "aws", aws_config()).await.ok();
    let r = api.get("/worker-pool/pp/ee/launch-configs").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("pp/ee/launch-configs"));
    assert_eq!(r.body["requestInfo"]["method"], "workerPool");
    assert_eq!(
        r.body["requestInfo"]["params"],
        json!({"workerPoolId": "pp/ee/launch-configs"})
    );
    // Encoded, the same request reaches listWorkerPoolLaunchConfigs.
    let ok = api.get("/worker-pool/pp%2Fee/launch-configs").await;
    assert_eq!(
        ok.ok()["workerPoolLaunchConfigs"].as_array().unwrap().len(),
        1
    );
}

/// Route priority: raw-slash `GET /worker-pool/p/stats` is workerPoolStats for id `p`: 400.
#[tokio::test]
async fn stats_route_wins_over_worker_pool_route() {
    let api = Api::start().await;
    let r = api.get("/worker-pool/p/stats").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("p"));
    assert_eq!(r.body["requestInfo"]["method"], "workerPoolStats");
    assert_eq!(
        r.body["requestInfo"]["params"],
        json!({"workerPoolId": "p"})
    );
}

/// The legacy colon routes answer under the `...WithColon` name, and removeWorker has no colon variant.
#[tokio::test]
async fn colon_routes_name_their_method() {
    let api = Api::start().await;
    let r = api.get("/workers/pp%2Fee:/wg/wi").await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.body["requestInfo"]["method"], "workerWithColon");
    assert_eq!(
        r.body["requestInfo"]["params"],
        json!({"workerPoolId": "pp/ee", "workerGroup": "wg", "workerId": "wi"})
    );
    let del = api.delete("/workers/pp%2Fee:/wg/wi").await;
    del.expect(400, "InvalidRequestArguments");
    assert_eq!(del.message(), bad_wpid("pp/ee:"));
    assert_eq!(del.body["requestInfo"]["method"], "removeWorker");
}

/// A malformed percent-escape in a path parameter is a JSON 400 InvalidRequestArguments (deliberate difference from Express's HTML page).
#[tokio::test]
async fn malformed_percent_escape_is_json_400() {
    let api = Api::start().await;
    let r = api.get("/worker-pool/%ZZ%2Fee").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        "URL parameter 'workerPoolId' is not valid percent-encoding"
    );
    assert_eq!(r.body["requestInfo"]["method"], "workerPool");
    assert_eq!(
        header(&r.headers, "content-type"),
        "application/json; charset=utf-8"
    );
    let w = api.get("/workers/pp%2Fee/w%ZZg/wi").await;
    w.expect(400, "InvalidRequestArguments");
    assert_eq!(
        w.message(),
        "URL parameter 'workerGroup' is not valid percent-encoding"
    );
}

// ---------------------------------------------------------------------------------------------
// 1.2 Pipeline order
// ---------------------------------------------------------------------------------------------

/// PUT /worker-pool/pp (bad id) with an invalid body gives InvalidRequestArguments: params are checked before the schema.
#[tokio::test]
async fn params_are_checked_before_the_schema() {
    let api = Api::start().await;
    let r = api.put("/worker-pool/pp", json!({"nonsense": true})).await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("pp"));
    assert_eq!(r.body["requestInfo"]["method"], "createWorkerPool");
    assert_eq!(r.body["requestInfo"]["payload"], json!({"nonsense": true}));
}

/// Unparsable JSON wins over every later step, even a bad path parameter.
#[tokio::test]
async fn bad_json_is_checked_first() {
    let api = Api::start().await;
    let r = api
        .raw(
            "PUT",
            "/worker-pool/pp?x=1",
            Some("{oops"),
            Some("application/json"),
        )
        .await;
    r.expect(400, "MalformedPayload");
    assert!(
        r.message().starts_with("Failed to parse JSON: "),
        "{}",
        r.message()
    );
}

/// Path parameters are checked before the query string.
#[tokio::test]
async fn params_are_checked_before_the_query() {
    let api = Api::start().await;
    let r = api.get("/worker-pool/pp?x=1").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), bad_wpid("pp"));
}

/// The query string is checked before the content type and the schema.
#[tokio::test]
async fn query_is_checked_before_content_type() {
    let api = Api::start().await;
    let r = raw_unhashed(
        &api,
        "PUT",
        "/worker-pool/pp%2Fee?x=1",
        Some("nonsense"),
        Some("text/plain"),
    )
    .await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(r.message(), "Query-string parameter: x is not supported!");
}

/// The content type is checked before the schema.
#[tokio::test]
async fn content_type_is_checked_before_the_schema() {
    let api = Api::start().await;
    let r = raw_unhashed(
        &api,
        "PUT",
        "/worker-pool/pp%2Fee",
        Some("{\"bad\": 1}"),
        Some("text/plain"),
    )
    .await;
    r.expect(400, "MalformedPayload");
    assert_eq!(
        r.message(),
        "Payload must be JSON with content-type: application/json got content-type: text/plain"
    );
    // A non-JSON body is `{}` at the parse stage.
    assert_eq!(r.body["requestInfo"]["payload"], json!({}));
}

// ---------------------------------------------------------------------------------------------
// 1.3 Body handling
// ---------------------------------------------------------------------------------------------

/// Invalid JSON gives 400 MalformedPayload "Failed to parse JSON: ..." even on methods without input.
#[tokio::test]
async fn invalid_json_is_refused_on_methods_without_input() {
    let api = Api::start().await;
    let ping = api
        .raw("GET", "/ping", Some("{oops"), Some("application/json"))
        .await;
    ping.expect(400, "MalformedPayload");
    assert!(
        ping.message().starts_with("Failed to parse JSON: "),
        "{}",
        ping.message()
    );
    assert_eq!(ping.body["requestInfo"]["method"], "ping");
    assert_eq!(ping.body["requestInfo"]["payload"], json!({}));

    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let del = api
        .raw(
            "DELETE",
            "/worker-pool/pp%2Fee",
            Some("[1,"),
            Some("application/json"),
        )
        .await;
    del.expect(400, "MalformedPayload");
    assert!(del.message().starts_with("Failed to parse JSON: "));
    assert_eq!(del.body["requestInfo"]["method"], "deleteWorkerPool");
    // Nothing was deleted.
    assert_eq!(
        api.get("/worker-pool/pp%2Fee").await.ok()["providerId"],
        "static"
    );
}

/// A body that is not JSON at all is ignored (`{}`) when the content type is not JSON, on a method without input.
#[tokio::test]
async fn non_json_body_is_ignored_without_input() {
    let api = Api::start().await;
    let r = api
        .raw("GET", "/ping", Some("{oops"), Some("text/plain"))
        .await;
    assert_eq!(r.ok()["alive"], true);
}

/// JSON scalars (`123`, `"x"`, `null`, `true`) give MalformedPayload "Failed to parse JSON: Must be an object or array".
#[tokio::test]
async fn json_scalars_are_refused() {
    let api = Api::start().await;
    for scalar in ["123", "\"x\"", "null", "true"] {
        let r = api
            .raw(
                "PUT",
                "/worker-pool/pp%2Fee",
                Some(scalar),
                Some("application/json"),
            )
            .await;
        r.expect(400, "MalformedPayload");
        assert_eq!(
            r.message(),
            "Failed to parse JSON: Must be an object or array",
            "{scalar}"
        );
    }
    let ping = api
        .raw("GET", "/ping", Some("42"), Some("application/json"))
        .await;
    ping.expect(400, "MalformedPayload");
    assert_eq!(
        ping.message(),
        "Failed to parse JSON: Must be an object or array"
    );
}

/// An array body passes parsing and fails createWorkerPool's schema with `data must be object`.
#[tokio::test]
async fn array_body_fails_the_schema() {
    let api = Api::start().await;
    let r = api
        .raw(
            "PUT",
            "/worker-pool/pp%2Fee",
            Some("[]"),
            Some("application/json"),
        )
        .await;
    r.expect(400, "InputValidationError");
    assert_eq!(
        r.message(),
        format!(
            "\nSchema Validation Failed!\nRejecting Schema: {}/schemas/worker-manager/v1/create-worker-pool-request.json#\nErrors:\n  * data must be object",
            api.server.root_url()
        )
    );
    assert_eq!(r.body["requestInfo"]["payload"], json!([]));
}

/// A non-JSON content type on createWorkerPool gives MalformedPayload naming the content type.
#[tokio::test]
async fn non_json_content_type_is_refused_on_input_methods() {
    let api = Api::start().await;
    let body = pool_body("static", json!({})).to_string();
    let r = raw_unhashed(
        &api,
        "PUT",
        "/worker-pool/pp%2Fee",
        Some(&body),
        Some("text/plain"),
    )
    .await;
    r.expect(400, "MalformedPayload");
    assert_eq!(
        r.message(),
        "Payload must be JSON with content-type: application/json got content-type: text/plain"
    );
    api.get("/worker-pool/pp%2Fee")
        .await
        .expect(404, "ResourceNotFound");
}

/// `application/json; charset=utf-8` is accepted as JSON.
#[tokio::test]
async fn json_content_type_with_charset_is_accepted() {
    let api = Api::start().await;
    let body = pool_body("static", json!({})).to_string();
    let r = raw_unhashed(
        &api,
        "PUT",
        "/worker-pool/pp%2Fee",
        Some(&body),
        Some("application/json; charset=utf-8"),
    )
    .await;
    assert_eq!(r.ok()["workerPoolId"], "pp/ee");
    assert_eq!(r.body["providerId"], "static");
}

/// An empty body with a JSON content type is validated as `{}`, giving InputValidationError.
#[tokio::test]
async fn empty_json_body_is_validated_as_empty_object() {
    let api = Api::start().await;
    let resource = "/api/worker-manager/v1/worker-pool/pp%2Fee";
    let head = format!(
        "PUT {resource} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: 0",
        api.server.address(),
        hawk_authorization(&api, "PUT", resource)
    );
    let (status, _, bytes) = tcp(&api, &head).await;
    let r = Resp {
        status,
        body: serde_json::from_slice(&bytes).expect("JSON body"),
        headers: Default::default(),
    };
    r.expect(400, "InputValidationError");
    let m = r.message();
    assert!(
        m.starts_with(&format!(
            "\nSchema Validation Failed!\nRejecting Schema: {}/schemas/worker-manager/v1/create-worker-pool-request.json#\nErrors:",
            api.server.root_url()
        )),
        "{m}"
    );
    for prop in [
        "providerId",
        "description",
        "config",
        "owner",
        "emailOnError",
    ] {
        assert!(
            m.contains(&format!("must have required property '{prop}'")),
            "{m}"
        );
    }
    assert_eq!(r.body["requestInfo"]["payload"], json!({}));
}

/// A request to an input method with no body at all (no Content-Length) is MalformedPayload with `got content-type: null`.
#[tokio::test]
async fn missing_body_reports_null_content_type() {
    let api = Api::start().await;
    let resource = "/api/worker-manager/v1/worker-pool/pp%2Fee";
    let head = format!(
        "PUT {resource} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}",
        api.server.address(),
        hawk_authorization(&api, "PUT", resource)
    );
    let (status, _, body) = tcp(&api, &head).await;
    let body: Value = serde_json::from_slice(&body).expect("JSON body");
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("MalformedPayload")),
        "{body}"
    );
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "Payload must be JSON with content-type: application/json got content-type: null\n\n---"
        ),
        "{msg}"
    );
}

/// A body over 10 MiB is refused with 413 InputTooLarge in the JSON envelope (deliberate difference: upstream answers 500).
#[tokio::test]
async fn oversized_body_is_413() {
    let api = Api::start().await;
    let big = format!(
        "{{\"description\": \"{}\"}}",
        "x".repeat(10 * 1024 * 1024 + 16)
    );
    let (status, h, text) = plain(
        &api,
        "PUT",
        &api.url("/worker-pool/pp%2Fee"),
        &[("content-type", "application/json")],
        Some(big),
    )
    .await;
    let body: Value = serde_json::from_str(&text).expect("JSON body");
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("InputTooLarge")),
        "{body}"
    );
    assert_eq!(
        header(&h, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(body["requestInfo"]["method"], "createWorkerPool");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("* errorCode:  InputTooLarge\n* statusCode: 413\n"));
    api.get("/worker-pool/pp%2Fee")
        .await
        .expect(404, "ResourceNotFound");
}

/// A body just under the limit is read and handled normally (here: failing the schema, not the size check).
#[tokio::test]
async fn body_under_the_limit_is_read() {
    let api = Api::start().await;
    let body = format!("{{\"description\": \"{}\"}}", "x".repeat(9 * 1024 * 1024));
    let r = api
        .raw(
            "PUT",
            "/worker-pool/pp%2Fee",
            Some(&body),
            Some("application/json"),
        )
        .await;
    r.expect(400, "InputValidationError");
    assert!(
        r.message()
            .contains("must NOT have more than 10240 characters"),
        "{}",
        r.message()
    );
}

// ---------------------------------------------------------------------------------------------
// 1.4 Query strings
// ---------------------------------------------------------------------------------------------

/// An undeclared query key is 400 InvalidRequestArguments "Query-string parameter: x is not supported!", on ping too.
#[tokio::test]
async fn unknown_query_key_is_refused() {
    let api = Api::start().await;
    for path in [
        "/worker-pools?x=1",
        "/ping?x=1",
        "/__heartbeat__?x=",
        "/providers?limit=1&x=1",
    ] {
        let r = api.get(path).await;
        r.expect(400, "InvalidRequestArguments");
        assert_eq!(
            r.message(),
            "Query-string parameter: x is not supported!",
            "{path}"
        );
    }
    let ping = api.get("/ping?x=1").await;
    assert_eq!(ping.body["requestInfo"]["method"], "ping");
}

/// A repeated query key is 400 "... must be a string!".
#[tokio::test]
async fn repeated_query_key_is_refused() {
    let api = Api::start().await;
    let r = api.get("/worker-pools?limit=1&limit=2").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        "Query-string parameter: limit must be a string!"
    );
}

/// An empty or non-matching query value fails its pattern with the "does not match expression" message.
#[tokio::test]
async fn query_values_must_match_their_pattern() {
    let api = Api::start().await;
    let r = api.get("/worker-pools?limit=").await;
    r.expect(400, "InvalidRequestArguments");
    assert_eq!(
        r.message(),
        "Query-string parameter: limit=\"\" does not match expression: /^[0-9]+$/"
    );
    let t = api.get("/worker-pools?continuationToken=").await;
    t.expect(400, "InvalidRequestArguments");
    assert_eq!(
        t.message(),
        "Query-string parameter: continuationToken=\"\" does not match expression: /./"
    );
    let p = api.get("/providers?limit=ten").await;
    p.expect(400, "InvalidRequestArguments");
    assert_eq!(
        p.message(),
        "Query-string parameter: limit=\"ten\" does not match expression: /^[0-9]+$/"
    );
}

/// The `bewit` query key is accepted on any method (it is not an undeclared key), while others still are refused.
#[tokio::test]
async fn bewit_query_key_is_accepted_anywhere() {
    let api = Api::start().await;
    let r = api.get("/ping?bewit=abc").await;
    assert_eq!(r.ok()["alive"], true);
    let hb = api.get("/__lbheartbeat__?bewit=abc").await;
    assert_eq!(hb.ok(), &json!({}));
    let other = api.get("/ping?bewit=abc&y=2").await;
    other.expect(400, "InvalidRequestArguments");
    assert_eq!(
        other.message(),
        "Query-string parameter: y is not supported!"
    );
}

// ---------------------------------------------------------------------------------------------
// 1.6 Error envelope
// ---------------------------------------------------------------------------------------------

/// An error body is exactly `{code, message + trailer, requestInfo {method, params (decoded), payload, time}}`.
#[tokio::test]
async fn error_envelope_is_exact() {
    let (api, time) = frozen_now().await;
    let time = time.as_str();
    let r = api.get("/worker-pool/pp%2Fee").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        json!({
            "code": "ResourceNotFound",
            "message": format!("Worker pool does not exist{}", trailer("workerPool", "ResourceNotFound", 404, time)),
            "requestInfo": {
                "method": "workerPool",
                "params": {"workerPoolId": "pp/ee"},
                "payload": {},
                "time": time,
            },
        })
    );
}

/// The envelope's payload is the parsed body, and its trailer carries the status of the error.
#[tokio::test]
async fn error_envelope_carries_the_payload() {
    let (api, time) = frozen_now().await;
    let body = json!({"providerId": "nope", "description": "d", "config": {}, "owner": "a@b.c", "emailOnError": false});
    let r = api.post("/worker-pool/pp%2Fee", body.clone()).await;
    r.expect(400, "InputError");
    assert_eq!(
        r.body["message"],
        format!(
            "Invalid Provider{}",
            trailer("updateWorkerPool", "InputError", 400, &time)
        )
    );
    assert_eq!(r.body["requestInfo"]["payload"], body);
    assert_eq!(
        r.body["requestInfo"]["params"],
        json!({"workerPoolId": "pp/ee"})
    );
}

/// createWorker error bodies redact `providerInfo.staticSecret` as `(OMITTED)` and keep the rest of the payload.
#[tokio::test]
async fn create_worker_error_payload_omits_the_secret() {
    let (api, time) = frozen_now().await;
    let expires = "2099-01-01T00:00:00.000Z";
    let r = api
        .put(
            "/workers/pp%2Fee/wg/wi",
            json!({"expires": expires, "providerInfo": {"staticSecret": SECRET}}),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(
        r.body["message"],
        format!(
            "Worker pool pp/ee does not exist{}",
            trailer("createWorker", "ResourceNotFound", 404, &time)
        )
    );
    assert_eq!(
        r.body["requestInfo"],
        json!({
            "method": "createWorker",
            "params": {"workerPoolId": "pp/ee", "workerGroup": "wg", "workerId": "wi"},
            "payload": {"expires": expires, "providerInfo": {"staticSecret": "(OMITTED)"}},
            "time": time,
        })
    );
    assert!(!r.body.to_string().contains(SECRET));
}

/// updateWorker error bodies redact `providerInfo.staticSecret` too.
#[tokio::test]
async fn update_worker_error_payload_omits_the_secret() {
    let api = Api::start().await;
    let r = api
        .post(
            "/workers/pp%2Fee/wg/wi",
            json!({"expires": in_days(1), "providerInfo": {"staticSecret": SECRET2}}),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.body["requestInfo"]["method"], "updateWorker");
    assert_eq!(
        r.body["requestInfo"]["payload"]["providerInfo"],
        json!({"staticSecret": "(OMITTED)"})
    );
    assert!(!r.body.to_string().contains(SECRET2));
}

/// registerWorker error bodies replace the whole payload with `"(OMITTED)"`.
#[tokio::test]
async fn register_worker_error_payload_is_omitted() {
    let api = Api::start().await;
    let r = api
        .post(
            "/worker/register",
            json!({"workerPoolId": "pp/ee", "providerId": "static", "workerGroup": "wg",
                   "workerId": "wi", "workerIdentityProof": {"staticSecret": SECRET}}),
        )
        .await;
    r.expect(404, "ResourceNotFound");
    assert_eq!(r.message(), "Worker pool pp/ee does not exist");
    assert_eq!(r.body["requestInfo"]["payload"], "(OMITTED)");
    assert_eq!(r.body["requestInfo"]["params"], json!({}));
}

// ---------------------------------------------------------------------------------------------
// 1.7 Response headers and body format
// ---------------------------------------------------------------------------------------------

/// Successful answers carry JSON content type, cache-control, CORS, nosniff, CSP and request/trace ids.
#[tokio::test]
async fn success_has_standard_headers() {
    let api = Api::start().await;
    let r = api.get("/worker-pools").await;
    r.ok();
    assert_eq!(
        header(&r.headers, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_standard_headers(&r.headers);
    assert!(r.headers.get("www-authenticate").is_none());
    assert!(r.headers.get("location").is_none());
}

/// Error envelopes and plain 404s carry the same standard headers.
#[tokio::test]
async fn errors_and_not_found_have_standard_headers() {
    let api = Api::start().await;
    let err = api.get("/worker-pool/pp%2Fee").await;
    err.expect(404, "ResourceNotFound");
    assert_eq!(
        header(&err.headers, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_standard_headers(&err.headers);
    let nf = api.get("/nothing").await;
    assert_not_found(&nf);
    assert_eq!(
        header(&nf.headers, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_standard_headers(&nf.headers);
    let opt = api.raw("OPTIONS", "/worker-pools", None, None).await;
    assert_eq!(opt.status, 200);
    assert_standard_headers(&opt.headers);
    // A 401 adds WWW-Authenticate to the copied headers.
    let (s401, h401, _) = plain(
        &api,
        "GET",
        &api.url("/worker-pools"),
        &[(
            "authorization",
            "Hawk id=\"root\", ts=\"1\", nonce=\"n\", mac=\"bQ==\"",
        )],
        None,
    )
    .await;
    assert_eq!(s401, 401);
    assert_eq!(header(&h401, "www-authenticate"), "hawk");
    assert_standard_headers(&h401);
}

/// `x-for-trace-id` echoes `x-taskcluster-trace-id`, else is a fresh UUID; `x-for-request-id` is a new UUID per request.
#[tokio::test]
async fn trace_and_request_ids() {
    let api = Api::start().await;
    let url = api.url("/ping");
    let (s1, h1, _) = plain(
        &api,
        "GET",
        &url,
        &[("x-taskcluster-trace-id", "my-trace-42")],
        None,
    )
    .await;
    assert_eq!(s1, 200);
    assert_eq!(header(&h1, "x-for-trace-id"), "my-trace-42");
    let (_, h2, _) = plain(&api, "GET", &url, &[], None).await;
    let (_, h3, _) = plain(&api, "GET", &url, &[], None).await;
    assert!(is_uuid(header(&h2, "x-for-trace-id")), "{h2:?}");
    assert_ne!(header(&h2, "x-for-trace-id"), header(&h3, "x-for-trace-id"));
    let ids: BTreeSet<&str> = [&h1, &h2, &h3]
        .iter()
        .map(|h| header(h, "x-for-request-id"))
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| is_uuid(i)), "{ids:?}");
    // Errors echo the trace id too.
    let (s4, h4, _) = plain(
        &api,
        "GET",
        &api.url("/nothing"),
        &[("x-taskcluster-trace-id", "t-404")],
        None,
    )
    .await;
    assert_eq!(s4, 404);
    assert_eq!(header(&h4, "x-for-trace-id"), "t-404");
}

/// Bodies are pretty-printed JSON with 2-space indentation.
#[tokio::test]
async fn bodies_are_pretty_printed() {
    let api = Api::start().await;
    let (_, _, text) = plain(&api, "GET", &api.url("/nothing"), &[], None).await;
    assert_eq!(text, "{\n  \"error\": \"Not found\"\n}");
    let (_, _, ping) = plain(&api, "GET", &api.url("/ping"), &[], None).await;
    let parsed: Value = serde_json::from_str(&ping).unwrap();
    assert_eq!(ping, serde_json::to_string_pretty(&parsed).unwrap());
    assert!(
        ping.starts_with("{\n  \"alive\": true,\n  \"uptime\": "),
        "{ping}"
    );
    let (_, _, err) = plain(&api, "GET", &api.url("/ping?x=1"), &[], None).await;
    let parsed: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(err, serde_json::to_string_pretty(&parsed).unwrap());
    assert!(
        err.starts_with("{\n  \"code\": \"InvalidRequestArguments\",\n  \"message\": "),
        "{err}"
    );
    assert!(
        err.contains("\n  \"requestInfo\": {\n    \"method\": \"ping\","),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// 1.8 Timestamps
// ---------------------------------------------------------------------------------------------

/// Every timestamp in pool, worker and error answers is `YYYY-MM-DDThh:mm:ss.mmmZ`.
#[tokio::test]
async fn timestamps_use_the_wire_format() {
    let api = Api::start().await;
    let pool = api.create_pool("pp/ee", "static", json!({})).await;
    for k in ["created", "lastModified"] {
        assert!(
            is_wire_time(pool.ok()[k].as_str().unwrap()),
            "{k}: {}",
            pool.body[k]
        );
    }
    let worker = api.create_static_worker("pp/ee", "wg", "wi").await;
    for k in ["created", "expires", "lastModified", "lastChecked"] {
        assert!(
            is_wire_time(worker.ok()[k].as_str().unwrap()),
            "{k}: {}",
            worker.body[k]
        );
    }
    let got = api.get("/workers/pp%2Fee/wg/wi").await;
    assert!(is_wire_time(got.ok()["expires"].as_str().unwrap()));
    let err = api.get("/worker-pool/pp%2Fzz").await;
    err.expect(404, "ResourceNotFound");
    let t = err.body["requestInfo"]["time"].as_str().unwrap();
    assert!(is_wire_time(t), "{t}");
    assert!(err.body["message"]
        .as_str()
        .unwrap()
        .ends_with(&format!("* time:       {t}")));
}

/// A date-time without zone, with a space separator, with extra fraction digits or with an offset is accepted and echoed normalized to UTC milliseconds.
#[tokio::test]
async fn lenient_date_times_are_normalized() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let cases = [
        ("w1", "2099-01-02T03:04:05", "2099-01-02T03:04:05.000Z"),
        ("w2", "2099-01-02 03:04:05.5Z", "2099-01-02T03:04:05.500Z"),
        (
            "w3",
            "2099-01-02t03:04:05.123456z",
            "2099-01-02T03:04:05.123Z",
        ),
        (
            "w4",
            "2099-01-02T04:04:05.250+01:00",
            "2099-01-02T03:04:05.250Z",
        ),
        ("w5", "2099-01-02 03:04:05", "2099-01-02T03:04:05.000Z"),
    ];
    for (id, sent, echoed) in cases {
        let r = api
            .put(
                &format!("/workers/pp%2Fee/wg/{id}"),
                json!({"expires": sent, "providerInfo": {"staticSecret": SECRET}}),
            )
            .await;
        assert_eq!(r.ok()["expires"], echoed, "sent {sent}");
        let got = api.get(&format!("/workers/pp%2Fee/wg/{id}")).await;
        assert_eq!(got.ok()["expires"], echoed, "stored {sent}");
    }
}

/// An impossible date (`2099-02-30`) fails the date-time format.
#[tokio::test]
async fn impossible_dates_are_refused() {
    let api = Api::start().await;
    api.create_pool("pp/ee", "static", json!({})).await.ok();
    let r = api
        .put(
            "/workers/pp%2Fee/wg/wi",
            json!({"expires": "2099-02-30T00:00:00.000Z", "providerInfo": {"staticSecret": SECRET}}),
        )
        .await;
    r.expect(400, "InputValidationError");
    assert!(
        r.message()
            .ends_with("\n  * data/expires must match format \"date-time\""),
        "{}",
        r.message()
    );
}

// ---------------------------------------------------------------------------------------------
// 1.9 Paging tokens
// ---------------------------------------------------------------------------------------------

/// listProviders pages by decimal offset: tokens only while more follow, an offset past the end is empty, limit=0 is empty.
#[tokio::test]
async fn list_providers_pages_by_decimal_offset() {
    let api = Api::start().await;
    let all = api.get("/providers").await;
    assert_eq!(
        provider_ids(all.ok()),
        vec!["static", "aws", "google", "azure", "testing"]
    );
    assert!(all.body.get("continuationToken").is_none());
    let p1 = api.get("/providers?limit=2").await;
    assert_eq!(provider_ids(p1.ok()), vec!["static", "aws"]);
    assert_eq!(p1.body["continuationToken"], "2");
    let p2 = api.get("/providers?limit=2&continuationToken=2").await;
    assert_eq!(provider_ids(p2.ok()), vec!["google", "azure"]);
    assert_eq!(p2.body["continuationToken"], "4");
    let p3 = api.get("/providers?limit=2&continuationToken=4").await;
    assert_eq!(provider_ids(p3.ok()), vec!["testing"]);
    assert!(p3.body.get("continuationToken").is_none());
    let past = api.get("/providers?continuationToken=99").await;
    assert_eq!(past.ok()["providers"], json!([]));
    assert!(past.body.get("continuationToken").is_none());
    let zero = api.get("/providers?limit=0").await;
    assert_eq!(zero.ok()["providers"], json!([]));
    assert!(zero.body.get("continuationToken").is_none());
    let bad = api.get("/providers?continuationToken=abc").await;
    bad.expect(400, "InvalidRequestArguments");
    assert_eq!(
        bad.message(),
        "Query-string parameter: continuationToken=\"abc\" does not match expression: /^[0-9]+$/"
    );
}

/// Scheme-B tokens are alphanumeric, present only while more rows follow, and lead to the next page.
#[tokio::test]
async fn list_tokens_are_alphanumeric_and_omitted_at_the_end() {
    let api = Api::start().await;
    for id in ["pa/aa", "pb/bb", "pc/cc"] {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    let p1 = api.get("/worker-pools?limit=2").await;
    assert_eq!(pool_ids(p1.ok()), vec!["pa/aa", "pb/bb"]);
    let token = p1.body["continuationToken"]
        .as_str()
        .expect("token")
        .to_string();
    assert!(
        !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{token}"
    );
    let p2 = api
        .get(&format!("/worker-pools?limit=2&continuationToken={token}"))
        .await;
    assert_eq!(pool_ids(p2.ok()), vec!["pc/cc"]);
    assert!(p2.body.get("continuationToken").is_none(), "{}", p2.body);
    let exact = api.get("/worker-pools?limit=3").await;
    assert_eq!(pool_ids(exact.ok()).len(), 3);
    assert!(exact.body.get("continuationToken").is_none());
}

/// A token with characters outside `[A-Za-z0-9]` is 400 InputError "Invalid continuation token".
#[tokio::test]
async fn token_with_foreign_characters_is_input_error() {
    let api = Api::start().await;
    api.create_pool("pa/aa", "static", json!({})).await.ok();
    for token in ["abc-def", "abc_def", "a%2Fb"] {
        let r = api
            .get(&format!("/worker-pools?continuationToken={token}"))
            .await;
        r.expect(400, "InputError");
        assert_eq!(r.message(), "Invalid continuation token", "{token}");
    }
    let w = api.get("/workers/pa%2Faa?continuationToken=x-y").await;
    w.expect(400, "InputError");
    assert_eq!(w.message(), "Invalid continuation token");
}

/// An alphanumeric token that does not decode restarts from the first page.
#[tokio::test]
async fn undecodable_alphanumeric_token_restarts() {
    let api = Api::start().await;
    for id in ["pa/aa", "pb/bb", "pc/cc"] {
        api.create_pool(id, "static", json!({})).await.ok();
    }
    let r = api
        .get("/worker-pools?limit=2&continuationToken=zzzzzzzzzz")
        .await;
    assert_eq!(pool_ids(r.ok()), vec!["pa/aa", "pb/bb"]);
    assert!(r.body.get("continuationToken").is_some());
}

/// `limit=0` on a scheme-B list with rows is 400 InputError (deliberate difference: upstream answers 500).
#[tokio::test]
async fn limit_zero_is_input_error() {
    let api = Api::start().await;
    api.create_pool("pa/aa", "static", json!({})).await.ok();
    let r = api.get("/worker-pools?limit=0").await;
    r.expect(400, "InputError");
    assert!(
        r.message().starts_with("limit must be at least 1"),
        "{}",
        r.message()
    );
}

/// The page size is capped at 1000 silently, and defaults to 1000.
#[tokio::test]
async fn page_size_is_capped_at_1000() {
    let api = Api::start().await;
    for i in 0..1001 {
        api.create_pool(&format!("p{i:04}/ee"), "static", json!({}))
            .await
            .ok();
    }
    let big = api.get("/worker-pools?limit=5000").await;
    assert_eq!(pool_ids(big.ok()).len(), 1000);
    let token = big.body["continuationToken"]
        .as_str()
        .expect("token")
        .to_string();
    let rest = api
        .get(&format!("/worker-pools?continuationToken={token}"))
        .await;
    assert_eq!(pool_ids(rest.ok()), vec!["p1000/ee"]);
    assert!(rest.body.get("continuationToken").is_none());
    let default = api.get("/worker-pools").await;
    assert_eq!(pool_ids(default.ok()).len(), 1000);
    assert!(default.body.get("continuationToken").is_some());
}

// ---------------------------------------------------------------------------------------------
// 4.1 Service meta
// ---------------------------------------------------------------------------------------------

/// ping answers `{alive: true, uptime: <number>}` and nothing else.
#[tokio::test]
async fn ping_is_alive_with_uptime() {
    let api = Api::start().await;
    let r = api.get("/ping").await;
    let b = r.ok();
    assert_eq!(b["alive"], true);
    assert!(b["uptime"].as_f64().is_some_and(|u| u >= 0.0), "{b}");
    assert_eq!(b.as_object().unwrap().len(), 2, "{b}");
}

/// __lbheartbeat__ and __heartbeat__ answer `{}`; __version__ has string version, commit, source and build.
#[tokio::test]
async fn heartbeats_and_version() {
    let api = Api::start().await;
    assert_eq!(api.get("/__lbheartbeat__").await.ok(), &json!({}));
    assert_eq!(api.get("/__heartbeat__").await.ok(), &json!({}));
    let v = api.get("/__version__").await;
    let obj = v.ok().as_object().unwrap();
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["build", "commit", "source", "version"])
    );
    assert!(obj.values().all(Value::is_string), "{obj:?}");
}

/// The Dockerflow endpoints are also served at the root URL with the same bodies.
#[tokio::test]
async fn dockerflow_endpoints_at_the_root() {
    let api = Api::start().await;
    let root = api.server.root_url();
    for (name, want) in [("__heartbeat__", json!({})), ("__lbheartbeat__", json!({}))] {
        let (status, h, text) = plain(&api, "GET", &format!("{root}/{name}"), &[], None).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(
            header(&h, "content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            want,
            "{name}"
        );
    }
    let (status, _, text) = plain(&api, "GET", &format!("{root}/__version__"), &[], None).await;
    assert_eq!(status, 200);
    let root_version: Value = serde_json::from_str(&text).unwrap();
    let api_version = api.get("/__version__").await;
    assert_eq!(&root_version, api_version.ok());
}

/// A path outside the API prefix that the deployment does not serve is the plain 404.
#[tokio::test]
async fn unknown_root_path_is_not_found() {
    let api = Api::start().await;
    let root = api.server.root_url();
    let (status, _, text) = plain(&api, "GET", &format!("{root}/nothing"), &[], None).await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"error": "Not found"})
    );
    let (status, _, _) = plain(&api, "GET", &format!("{root}/ping"), &[], None).await;
    assert_eq!(status, 404);
}

// ---------------------------------------------------------------------------------------------
// Published documents
// ---------------------------------------------------------------------------------------------

/// api.json is served with serviceName worker-manager, the 27 entries, and no `x-` members.
#[tokio::test]
async fn api_reference_is_served_without_extensions() {
    let api = Api::start().await;
    let url = format!(
        "{}/references/worker-manager/v1/api.json",
        api.server.root_url()
    );
    let (status, h, text) = plain(&api, "GET", &url, &[], None).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-type"),
        "application/json; charset=utf-8"
    );
    assert!(!text.contains("x-route"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["serviceName"], "worker-manager");
    assert_eq!(doc["apiVersion"], "v1");
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 27);
    assert!(!has_extension_key(&doc));
    let names: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 27);
    for n in [
        "ping",
        "createWorkerPool",
        "workerPoolErrorStats",
        "getWorker",
        "registerWorker",
    ] {
        assert!(names.contains(n), "{n}");
    }
    assert!(!names.iter().any(|n| n.ends_with("WithColon")));
    let pool = entries.iter().find(|e| e["name"] == "workerPool").unwrap();
    assert_eq!(pool["route"], "/worker-pool/<workerPoolId>");
    assert_eq!(pool["method"], "get");
}

/// A schema is served with the absolute `$id` `<rootUrl>/schemas/worker-manager/v1/<name>.json#`.
#[tokio::test]
async fn schema_is_served_with_absolute_id() {
    let api = Api::start().await;
    let root = api.server.root_url();
    let url = format!("{root}/schemas/worker-manager/v1/worker-full.json");
    let (status, h, text) = plain(&api, "GET", &url, &[], None).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-type"),
        "application/json; charset=utf-8"
    );
    let s: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        s["$id"],
        format!("{root}/schemas/worker-manager/v1/worker-full.json#")
    );
    assert_eq!(s["type"], "object");
    assert!(s["required"]
        .as_array()
        .unwrap()
        .contains(&json!("workerPoolId")));
}

/// Every input and output schema named in api.json is served with its absolute `$id`.
#[tokio::test]
async fn every_referenced_schema_is_served() {
    let api = Api::start().await;
    let root = api.server.root_url();
    let (_, _, text) = plain(
        &api,
        "GET",
        &format!("{root}/references/worker-manager/v1/api.json"),
        &[],
        None,
    )
    .await;
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut names = BTreeSet::new();
    for e in doc["entries"].as_array().unwrap() {
        for k in ["input", "output"] {
            if let Some(r) = e[k].as_str() {
                let name = r.trim_start_matches("v1/").trim_end_matches(".json#");
                names.insert(name.to_string());
            }
        }
    }
    assert!(names.len() >= 15, "{names:?}");
    for name in names {
        let (status, _, text) = plain(
            &api,
            "GET",
            &format!("{root}/schemas/worker-manager/v1/{name}.json"),
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}");
        let s: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            s["$id"],
            format!("{root}/schemas/worker-manager/v1/{name}.json#"),
            "{name}"
        );
    }
}

/// An unknown schema name is 404 `{"error":"Not found"}`.
#[tokio::test]
async fn unknown_schema_is_not_found() {
    let api = Api::start().await;
    let url = format!(
        "{}/schemas/worker-manager/v1/no-such-schema.json",
        api.server.root_url()
    );
    let (status, _, text) = plain(&api, "GET", &url, &[], None).await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"error": "Not found"})
    );
}

// ---------------------------------------------------------------------------------------------
// Journal
// ---------------------------------------------------------------------------------------------

/// The journal records one entry per API request with its method name, params, status, error code and clientId.
#[tokio::test]
async fn journal_records_each_request() {
    let api = Api::start().await;
    let root_id = api.server.root_credentials().0;
    api.get("/ping").await.ok();
    api.get("/worker-pool/pp%2Fee")
        .await
        .expect(404, "ResourceNotFound");
    assert_not_found(&api.get("/nothing?x=1").await);
    api.put("/worker-pool/pp", json!({}))
        .await
        .expect(400, "InvalidRequestArguments");
    api.create_pool("pp/ee", "static", json!({})).await.ok();

    let j = api.server.service().journal();
    assert_eq!(j.len(), 5, "{j:?}");
    let summary: Vec<(&str, Option<&str>, u16, Option<&str>)> = j
        .iter()
        .map(|e| {
            (
                e.http_method.as_ref(),
                e.method.as_deref(),
                e.status,
                e.error_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("GET", Some("ping"), 200, None),
            ("GET", Some("workerPool"), 404, Some("ResourceNotFound")),
            ("GET", None, 404, None),
            (
                "PUT",
                Some("createWorkerPool"),
                400,
                Some("InvalidRequestArguments")
            ),
            ("PUT", Some("createWorkerPool"), 200, None),
        ]
    );
    assert_eq!(
        j[1].params.get("workerPoolId").map(String::as_str),
        Some("pp/ee")
    );
    assert_eq!(j[2].path, "/api/worker-manager/v1/nothing?x=1");
    assert_eq!(j[1].client_id.as_deref(), Some(root_id.as_str()));
    assert_eq!(j[4].client_id.as_deref(), Some(root_id.as_str()));
}

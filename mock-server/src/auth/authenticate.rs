//! Authentication of one request, end to end, as the real service does it: no credentials
//! (anonymous), a Hawk `Authorization` header, or a bewit; plus where the host and port of the MAC
//! come from.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use super::bewit::{
    check_expiry, check_method, decode_bewit, find_bewit, looks_like_bewit, query_has_bewit,
    BewitError,
};
use super::certificate::{certificate_issuer, validate_certificate, IssuerInfo};
use super::error::AuthError;
use super::ext::parse_ext;
use super::hawk::{
    compute_mac, constant_time_eq, normalize_content_type, normalized_string,
    parse_authorization_header, payload_hash, MacInput, MacKind,
};
use super::js;
use super::scopes::{satisfies, scope_satisfies, ScopeExpr};

/// The scope every request holds, with or without credentials.
pub const ANONYMOUS_ROLE_SCOPE: &str = "assume:anonymous";

/// How far (ms) a Hawk `ts` may be from the server clock.
pub const TIMESTAMP_SKEW_MS: f64 = 900_000.0;

/// The parts of an HTTP request that authentication looks at.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The raw request target (path plus query) exactly as received: no decoding or re-encoding.
    pub resource: &'a str,
    /// The host the client addressed ([`header_host_port`]).
    pub host: &'a str,
    /// The port the client addressed ([`header_host_port`]).
    pub port: u16,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The raw request body, before any parsing.
    pub body: &'a [u8],
}

/// A client as authentication needs it. Cheap to clone: a lookup may hand out the same record to
/// every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The accessToken, used as text (its UTF-8 bytes are the HMAC key).
    pub access_token: Arc<str>,
    /// The client's scopes, already role-expanded (without the anonymous role).
    pub scopes: Arc<[String]>,
    /// When the client expires (ms since the epoch); `None` for never.
    pub expires_ms: Option<i64>,
    /// Whether the client is disabled.
    pub disabled: bool,
}

/// Where authentication finds clients, and (optionally) how it expands roles.
pub trait ClientLookup {
    /// The client with this clientId, if it exists.
    fn client(&self, client_id: &str) -> Option<ClientRecord>;

    /// Role expansion applied to a scope set that has gained scopes of its own (a certificate's,
    /// `authorizedScopes`, `assume:anonymous`): see [`super::roles::expand_roles`]. The default
    /// expands nothing, which is right for deployments without roles.
    fn expand_scopes(&self, scopes: &[String]) -> Vec<String> {
        scopes.to_vec()
    }

    /// What a caller holding `scopes` holds in all: [`with_anonymous`]. A lookup that serves many
    /// requests may remember the answers (it depends only on the arguments and the roles).
    fn held_scopes(&self, scopes: &[String], anonymous_scopes: &[String]) -> Arc<[String]> {
        Arc::from(with_anonymous(self, scopes, anonymous_scopes))
    }
}

/// Who is calling, once authentication succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The clientId the request used (for named temporary credentials, the name); `None` when the
    /// request carried no credentials.
    pub client_id: Option<String>,
    /// The caller's scopes, including `assume:anonymous` and the anonymous scopes.
    pub scopes: Arc<[String]>,
    /// When the credentials expire (ms), when known.
    pub expires_ms: Option<i64>,
}

/// Authenticates a request at `now_ms`, granting every caller `anonymous_scopes` (the anonymous
/// role) on top of its own. A request without credentials succeeds as anonymous; presented
/// credentials either succeed or fail with the real service's message, checked in its order:
/// header syntax, required attributes, client / `ext` / certificate / `authorizedScopes`, MAC over
/// the raw resource, timestamp, payload hash (only when the header has one). Bewits: location,
/// method, encoding, expiry, credentials, MAC.
pub fn authenticate(
    req: &AuthRequest<'_>,
    clients: &dyn ClientLookup,
    now_ms: i64,
    anonymous_scopes: &[String],
) -> Result<Authenticated, AuthError> {
    let authorization = req.authorization.filter(|h| !h.is_empty());
    let anonymous = || Authenticated {
        client_id: None,
        scopes: clients.held_scopes(&[], anonymous_scopes),
        expires_ms: None,
    };
    match (authorization, query_has_bewit(req.resource)) {
        (Some(_), true) => Err(AuthError::TwoSchemes),
        (None, false) => Ok(anonymous()),
        (Some(header), false) => {
            authenticate_header(req, header, clients, now_ms, anonymous_scopes)
        }
        (None, true) if looks_like_bewit(req.resource) => {
            authenticate_bewit(req, clients, now_ms, anonymous_scopes)
        }
        (None, true) => Ok(anonymous()),
    }
}

fn authenticate_header(
    req: &AuthRequest<'_>,
    authorization: &str,
    clients: &dyn ClientLookup,
    now_ms: i64,
    anonymous_scopes: &[String],
) -> Result<Authenticated, AuthError> {
    let header = parse_authorization_header(authorization)?;
    let attrs = header.required()?;
    let loaded = load_credentials(clients, attrs.id, header.ext, now_ms, anonymous_scopes)?;

    let mac_over = |resource: &str| {
        compute_mac(
            loaded.key.as_bytes(),
            &normalized_string(&MacInput {
                kind: MacKind::Header,
                ts: attrs.ts,
                nonce: attrs.nonce,
                method: req.method,
                resource,
                host: req.host,
                port: req.port,
                hash: header.hash,
                ext: header.ext,
                app: header.app,
                dlg: header.dlg,
            }),
        )
    };
    if !constant_time_eq(&mac_over(req.resource), attrs.mac) {
        let path_only = req.resource.split_once('?').map(|(path, _)| path);
        if path_only.is_some_and(|path| constant_time_eq(&mac_over(path), attrs.mac)) {
            return Err(AuthError::QueryNotSigned);
        }
        return Err(AuthError::BadMac);
    }

    // A `ts` that is not a number never counts as stale (NaN compares false), as on the server.
    let ts_ms = js::string_to_number(attrs.ts) * 1000.0;
    if (ts_ms - now_ms as f64).abs() > TIMESTAMP_SKEW_MS {
        return Err(AuthError::StaleTimestamp);
    }

    if let Some(claimed) = header.hash {
        let computed = payload_hash(req.content_type, &hashed_body(req));
        if !constant_time_eq(claimed, &computed) {
            return Err(AuthError::PayloadHash { computed });
        }
    }

    Ok(loaded.into_authenticated(clients, anonymous_scopes))
}

/// The body as the server hashes it: only `application/json` bodies are read (anything else
/// counts as empty), and they are read as UTF-8 text (invalid bytes become U+FFFD).
fn hashed_body(req: &AuthRequest<'_>) -> Vec<u8> {
    if normalize_content_type(req.content_type) == "application/json" {
        String::from_utf8_lossy(req.body).into_owned().into_bytes()
    } else {
        Vec::new()
    }
}

fn authenticate_bewit(
    req: &AuthRequest<'_>,
    clients: &dyn ClientLookup,
    now_ms: i64,
    anonymous_scopes: &[String],
) -> Result<Authenticated, AuthError> {
    let found = find_bewit(req.resource)?;
    if found.value.is_empty() {
        return Err(BewitError::Empty.into());
    }
    check_method(req.method)?;
    let bewit = decode_bewit(found.value)?;
    check_expiry(&bewit, now_ms)?;
    let ext = Some(bewit.ext.as_str()).filter(|e| !e.is_empty());
    let loaded = load_credentials(clients, &bewit.id, ext, now_ms, anonymous_scopes)?;
    let mac = compute_mac(
        loaded.key.as_bytes(),
        &normalized_string(&MacInput {
            kind: MacKind::Bewit,
            ts: &bewit.exp_text(),
            nonce: "",
            method: "GET",
            resource: &found.resource,
            host: req.host,
            port: req.port,
            hash: None,
            ext,
            app: None,
            dlg: None,
        }),
    );
    if !constant_time_eq(&mac, &bewit.mac) {
        return Err(AuthError::BadMac);
    }
    Ok(loaded.into_authenticated(clients, anonymous_scopes))
}

/// Credentials resolved from the id and `ext` of a request, before the MAC check.
struct LoadedCredentials {
    /// The clientId the request used.
    client_id: String,
    /// The MAC key: the accessToken, or a certificate's temporary token.
    key: Arc<str>,
    /// The caller's own scopes (before the anonymous role).
    scopes: Arc<[String]>,
    /// When the credentials expire.
    expires_ms: Option<i64>,
}

impl LoadedCredentials {
    fn into_authenticated(
        self,
        clients: &dyn ClientLookup,
        anonymous_scopes: &[String],
    ) -> Authenticated {
        Authenticated {
            scopes: clients.held_scopes(&self.scopes, anonymous_scopes),
            client_id: Some(self.client_id),
            expires_ms: self.expires_ms,
        }
    }
}

/// Loads the client (or the certificate's issuer) and applies `ext`: certificate first, then
/// `authorizedScopes`, as the server does.
fn load_credentials(
    clients: &dyn ClientLookup,
    credential_name: &str,
    ext: Option<&str>,
    now_ms: i64,
    anonymous_scopes: &[String],
) -> Result<LoadedCredentials, AuthError> {
    let ext = ext.map(parse_ext).transpose()?;
    let certificate = ext.as_ref().and_then(|e| e.certificate.as_ref());
    let issuer_name = match certificate {
        Some(cert) => certificate_issuer(cert, credential_name)?,
        None => None,
    };
    let issuing_id = issuer_name.as_deref().unwrap_or(credential_name);
    let client = load_client(clients, issuing_id, now_ms)?;

    let mut loaded = LoadedCredentials {
        client_id: credential_name.to_string(),
        key: client.access_token.clone(),
        scopes: client.scopes.clone(),
        expires_ms: client.expires_ms,
    };
    let Some(ext) = ext else {
        return Ok(loaded);
    };
    if let Some(cert) = &ext.certificate {
        let issuer = IssuerInfo {
            client_id: issuing_id,
            access_token: &client.access_token,
            scopes: &client.scopes,
        };
        let grant = validate_certificate(
            cert,
            credential_name,
            issuer_name.as_deref(),
            &issuer,
            now_ms,
        )?;
        loaded.key = Arc::from(grant.access_token);
        loaded.scopes = Arc::from(grant.scopes);
        loaded.expires_ms = Some(match loaded.expires_ms {
            Some(e) => e.min(grant.expiry_ms),
            None => grant.expiry_ms,
        });
    }
    if let Some(problem) = ext.authorized_scopes_error {
        return Err(problem.into());
    }
    if let Some(authorized) = ext.authorized_scopes {
        let held = clients.held_scopes(&loaded.scopes, anonymous_scopes);
        let wanted = ScopeExpr::AllOf(authorized.iter().cloned().map(ScopeExpr::Scope).collect());
        if !satisfies(&held, &wanted) {
            return Err(AuthError::AuthorizedScopesNotSatisfied {
                held: scope_listing(&held),
                authorized,
            });
        }
        loaded.scopes = Arc::from(authorized);
    }
    Ok(loaded)
}

/// Looks a client up and refuses unknown, disabled and expired ones.
fn load_client(
    clients: &dyn ClientLookup,
    client_id: &str,
    now_ms: i64,
) -> Result<ClientRecord, AuthError> {
    let client = clients
        .client(client_id)
        .ok_or_else(|| AuthError::ClientNotFound(client_id.to_string()))?;
    if client.disabled {
        return Err(AuthError::ClientDisabled(client_id.to_string()));
    }
    if client.expires_ms.is_some_and(|e| e < now_ms) {
        return Err(AuthError::ClientExpired(client_id.to_string()));
    }
    Ok(client)
}

/// `scopes` plus `assume:anonymous` and the anonymous scopes, role-expanded (by `clients`),
/// without duplicates, in first-seen order.
pub fn with_anonymous<L: ClientLookup + ?Sized>(
    clients: &L,
    scopes: &[String],
    anonymous_scopes: &[String],
) -> Vec<String> {
    let mut all: Vec<String> = scopes.to_vec();
    all.push(ANONYMOUS_ROLE_SCOPE.to_string());
    all.extend(anonymous_scopes.iter().cloned());
    let expanded = clients.expand_scopes(&all);
    let first: Vec<bool> = {
        let mut seen = HashSet::with_capacity(expanded.len());
        expanded.iter().map(|s| seen.insert(s.as_str())).collect()
    };
    expanded
        .into_iter()
        .zip(first)
        .filter_map(|(s, first)| first.then_some(s))
        .collect()
}

/// A scope set as the server lists it in messages: duplicates and scopes implied by another
/// (`a:*` implies `a:b`) dropped, sorted.
fn scope_listing(scopes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = scopes
        .iter()
        .filter(|s| {
            !scopes
                .iter()
                .any(|other| other != *s && scope_satisfies(other, s))
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The host and port a client signed, from the request's headers: the `Host` header's name
/// (lower-cased, without port); the port from `X-Forwarded-Port` if present, else 443 if
/// `X-Forwarded-Proto` is `https`, else the `Host` header's port, else 443 for a TLS connection
/// and 80 otherwise. An `X-Forwarded-Port` that is not a port number gives port 0, which no
/// client signs (the real server computes a MAC over `NaN` there, which never matches either).
pub fn header_host_port<'h>(
    host_header: Option<&'h str>,
    x_forwarded_port: Option<&str>,
    x_forwarded_proto: Option<&str>,
    tls: bool,
) -> (Cow<'h, str>, u16) {
    let (name, host_port) = split_host(host_header.unwrap_or(""));
    let default_port = if tls { 443 } else { 80 };
    let port = if let Some(forwarded) = x_forwarded_port {
        port_number(js::parse_int(forwarded))
    } else if x_forwarded_proto == Some("https") {
        443
    } else {
        host_port.unwrap_or(default_port)
    };
    (lower_case(name), port)
}

/// `name` in lower case, borrowed when it already is (the usual case: no allocation).
fn lower_case(name: &str) -> Cow<'_, str> {
    if name
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

/// Splits a `Host` header into name and port (`[v6]:port` keeps its brackets).
fn split_host(host: &str) -> (&str, Option<u16>) {
    let host = js::trim(host);
    let (name, port_text) = if host.starts_with('[') {
        match host.find(']') {
            Some(end) => (&host[..=end], host[end + 1..].strip_prefix(':')),
            None => (host, None),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = port_text
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .map(|p| port_number(p.parse::<f64>().unwrap_or(f64::NAN)));
    (name, port)
}

/// A port from a parsed number; 0 when it is not one.
fn port_number(n: f64) -> u16 {
    if n.is_finite() && n.fract() == 0.0 && (0.0..=65535.0).contains(&n) {
        n as u16
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_vectors::*;
    use std::collections::HashMap;

    /// The client set of the vectors: `tester` / `no-secret` with `worker-manager:*` and
    /// `auth:create-client:tester-temp`, plus whatever a test adds.
    struct Clients(HashMap<String, ClientRecord>);

    impl ClientLookup for Clients {
        fn client(&self, client_id: &str) -> Option<ClientRecord> {
            self.0.get(client_id).cloned()
        }
    }

    fn record(token: &str, scopes: &[&str]) -> ClientRecord {
        ClientRecord {
            access_token: Arc::from(token),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_ms: None,
            disabled: false,
        }
    }

    fn tester() -> Clients {
        tester_with(record(
            "no-secret",
            &["worker-manager:*", "auth:create-client:tester-temp"],
        ))
    }

    fn tester_with(r: ClientRecord) -> Clients {
        Clients(HashMap::from([("tester".to_string(), r)]))
    }

    fn request(v: &HeaderVector) -> AuthRequest<'_> {
        AuthRequest {
            method: v.method,
            resource: v.resource,
            host: v.host,
            port: v.port,
            authorization: Some(v.authorization),
            content_type: v.content_type,
            body: v.body.as_bytes(),
        }
    }

    fn bewit_request(v: &BewitVector) -> AuthRequest<'_> {
        AuthRequest {
            method: "GET",
            resource: v.resource,
            host: "localhost",
            port: 8080,
            authorization: None,
            content_type: None,
            body: b"",
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn auth_at(
        req: &AuthRequest<'_>,
        clients: &Clients,
        now: i64,
    ) -> Result<Authenticated, AuthError> {
        authenticate(req, clients, now, &[])
    }

    fn message(r: Result<Authenticated, AuthError>) -> String {
        r.err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "accepted".into())
    }

    #[test]
    fn header_vectors_authenticate() {
        let clients = tester();
        for v in HEADER_VECTORS {
            let a = auth_at(&request(v), &clients, NOW_MS)
                .unwrap_or_else(|e| panic!("{}: {e}", v.name));
            assert_eq!(a.client_id.as_deref(), Some(v.id), "{}", v.name);
            assert!(
                a.scopes.iter().any(|s| s == "assume:anonymous"),
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn permanent_scopes_and_restrictions() {
        let clients = tester();
        let a = auth_at(&request(&V1), &clients, NOW_MS).unwrap();
        assert_eq!(
            a.scopes.to_vec(),
            strings(&[
                "worker-manager:*",
                "auth:create-client:tester-temp",
                "assume:anonymous"
            ])
        );
        assert_eq!(a.expires_ms, None);
        for v in [V5, V5B] {
            let a = auth_at(&request(&v), &clients, NOW_MS).unwrap();
            assert_eq!(
                a.scopes.to_vec(),
                strings(&[
                    "worker-manager:get-worker-pool:proj-test/*",
                    "worker-manager:list-workers:proj-test/worker-type~",
                    "assume:anonymous",
                ])
            );
        }
    }

    #[test]
    fn temporary_credentials_vectors() {
        let clients = tester();
        let mut want = strings(&TEMP_SCOPES);
        want.push("assume:anonymous".into());
        for (v, id) in [(V8, "tester"), (V9, "tester-temp"), (V10, "tester-temp")] {
            let a = auth_at(&request(&v), &clients, NOW_MS).unwrap();
            assert_eq!(a.client_id.as_deref(), Some(id), "{}", v.name);
            assert_eq!(a.scopes.to_vec(), want, "{}", v.name);
            assert_eq!(a.expires_ms, Some(TEMP_EXPIRY_MS), "{}", v.name);
        }
        // The client's own expiry wins when earlier.
        let mut short = record(
            "no-secret",
            &["worker-manager:*", "auth:create-client:tester-temp"],
        );
        short.expires_ms = Some(NOW_MS + 1000);
        let a = auth_at(&request(&V9), &tester_with(short), NOW_MS).unwrap();
        assert_eq!(a.expires_ms, Some(NOW_MS + 1000));
    }

    #[test]
    fn https_default_port_vector() {
        let (host, port) = header_host_port(Some("tc.example.com"), None, Some("https"), false);
        assert_eq!((&*host, port), ("tc.example.com", 443));
        let mut req = request(&V4);
        req.host = &host;
        req.port = port;
        assert!(auth_at(&req, &tester(), NOW_MS).is_ok());
        // Without the forwarding header the mock sees port 80: Bad mac, as the real server says.
        let (host80, port80) = header_host_port(Some("tc.example.com"), None, None, false);
        req.host = &host80;
        req.port = port80;
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "Unauthorized: Bad mac"
        );
    }

    #[test]
    fn rust_client_query_shape_is_rejected_with_a_diagnostic() {
        let r = auth_at(&request(&V7), &tester(), NOW_MS);
        assert_eq!(r, Err(AuthError::QueryNotSigned));
        let text = message(r);
        assert!(text.starts_with("Unauthorized: Bad mac"));
        assert!(text.contains("without its query string"));
        assert!(text.contains("taskcluster"));
        // A plain wrong key with a query gives the plain message.
        let other = tester_with(record("other", &["*"]));
        assert_eq!(
            auth_at(&request(&V7), &other, NOW_MS),
            Err(AuthError::BadMac)
        );
    }

    #[test]
    fn bewit_vectors_authenticate() {
        let clients = tester();
        for v in BEWIT_VECTORS {
            let now = (v.exp - 1) * 1000;
            let a = auth_at(&bewit_request(v), &clients, now)
                .unwrap_or_else(|e| panic!("{}: {e}", v.name));
            assert_eq!(a.client_id.as_deref(), Some(v.id), "{}", v.name);
            assert_eq!(
                message(auth_at(&bewit_request(v), &clients, v.exp * 1000)),
                "Unauthorized: Access expired",
                "{}",
                v.name
            );
        }
        let a = auth_at(&bewit_request(&V12), &clients, NOW_MS).unwrap();
        assert_eq!(a.scopes[..2], strings(&TEMP_SCOPES)[..]);
    }

    #[test]
    fn n1_timestamp_window() {
        let clients = tester();
        let req = request(&V1);
        assert!(auth_at(&req, &clients, 1_700_000_900_000).is_ok());
        assert_eq!(
            message(auth_at(&req, &clients, 1_700_000_901_000)),
            "Unauthorized: Stale timestamp"
        );
        assert!(auth_at(&req, &clients, 1_699_999_100_000).is_ok());
        assert_eq!(
            message(auth_at(&req, &clients, 1_699_999_099_000)),
            "Unauthorized: Stale timestamp"
        );
    }

    #[test]
    fn n2_n3_n4_wrong_key_host_or_resource() {
        let other = tester_with(record("different", &["worker-manager:*"]));
        assert_eq!(
            message(auth_at(&request(&V1), &other, NOW_MS)),
            "Unauthorized: Bad mac"
        );
        let mut req = request(&V1);
        req.port = 8081;
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "Unauthorized: Bad mac"
        );
        let mut req = request(&V2);
        req.resource = "/api/worker-manager/v1/worker-pools";
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "Unauthorized: Bad mac"
        );
    }

    #[test]
    fn n5_stale_and_bad_mac_reports_bad_mac() {
        let other = tester_with(record("different", &["*"]));
        assert_eq!(
            message(auth_at(&request(&V1), &other, NOW_MS + 3_600_000)),
            "Unauthorized: Bad mac"
        );
    }

    #[test]
    fn n6_unknown_client() {
        let key = "no-secret";
        let resource = V1.resource;
        let normalized = V1.normalized;
        let mac = compute_mac(key.as_bytes(), normalized);
        let header = format!(
            "Hawk mac=\"{mac}\", hash=\"{}\", id=\"nobody\", ts=\"1700000000\", nonce=\"Xk9dQ2\", ext=\"e30=\"",
            V1.hash.unwrap()
        );
        let req = AuthRequest {
            authorization: Some(&header),
            resource,
            ..request(&V1)
        };
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "Client with clientId 'nobody' not found"
        );
    }

    #[test]
    fn disabled_and_expired_clients() {
        let mut r = record("no-secret", &["*"]);
        r.disabled = true;
        assert_eq!(
            message(auth_at(&request(&V1), &tester_with(r), NOW_MS)),
            "Client with clientId 'tester' is disabled"
        );
        let mut r = record("no-secret", &["*"]);
        r.expires_ms = Some(NOW_MS - 1);
        assert_eq!(
            message(auth_at(&request(&V1), &tester_with(r), NOW_MS)),
            "Client with clientId: 'tester' has expired"
        );
        let mut r = record("no-secret", &["*"]);
        r.expires_ms = Some(NOW_MS);
        assert!(auth_at(&request(&V1), &tester_with(r), NOW_MS).is_ok());
    }

    #[test]
    fn n7_certificate_expiry_is_reported_before_the_stale_timestamp() {
        assert_eq!(
            message(auth_at(&request(&V9), &tester(), 1_700_085_900_001)),
            "ext.certificate.expiry < now"
        );
    }

    #[test]
    fn n8_n9_n10_issuer_checks() {
        let no_create = tester_with(record("no-secret", &["worker-manager:*"]));
        assert_eq!(
            message(auth_at(&request(&V9), &no_create, NOW_MS)),
            "ext.certificate issuer `tester` doesn't have `auth:create-client:tester-temp` for supplied clientId."
        );
        let queue_only = tester_with(record("no-secret", &["queue:*"]));
        assert_eq!(
            message(auth_at(&request(&V8), &queue_only, NOW_MS)),
            "ext.certificate issuer `tester` doesn't satisfy all certificate scopes worker-manager:get-worker-pool:proj-test/*, worker-manager:list-worker-pools.  The temporary credentials were not generated correctly."
        );
        let renamed = V9
            .authorization
            .replace("id=\"tester-temp\"", "id=\"other-name\"");
        let req = AuthRequest {
            authorization: Some(&renamed),
            ..request(&V9)
        };
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "ext.certificate issuer `tester` doesn't have `auth:create-client:other-name` for supplied clientId."
        );
        let lenient = tester_with(record("no-secret", &["*"]));
        assert_eq!(
            message(auth_at(&req, &lenient, NOW_MS)),
            "ext.certificate.signature is not valid, or wrong clientId provided"
        );
    }

    #[test]
    fn n11_bewit_methods() {
        let mut req = bewit_request(&V11);
        req.method = "POST";
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "Unauthorized: Invalid method"
        );
        req.method = "HEAD";
        assert!(auth_at(&req, &tester(), NOW_MS).is_ok());
    }

    #[test]
    fn n12_two_schemes() {
        let mut req = bewit_request(&V11);
        req.authorization = Some(V1.authorization);
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            "Cannot use two authentication schemes at once this request has both bewit in querystring and 'authorization' header"
        );
    }

    #[test]
    fn n13_payload_tampered_after_signing() {
        let body = V3_BODY.replace("\"d\"", "\"e\"");
        let req = AuthRequest {
            body: body.as_bytes(),
            ..request(&V3)
        };
        let computed = payload_hash(Some("application/json"), body.as_bytes());
        assert_eq!(
            message(auth_at(&req, &tester(), NOW_MS)),
            format!(
                "Invalid payload hash: {{{{hash}}}}\nComputed payload hash: {computed}\nThis happens when your request carries a signed hash of the payload and the hash doesn't match the hash we've computed on the server-side."
            )
        );
        // A body under another content type is not read: it hashes as empty.
        let req = AuthRequest {
            content_type: Some("text/plain"),
            ..request(&V3)
        };
        assert!(message(auth_at(&req, &tester(), NOW_MS)).starts_with("Invalid payload hash"));
    }

    #[test]
    fn n14_no_credentials_is_anonymous() {
        let req = AuthRequest {
            authorization: None,
            ..request(&V1)
        };
        let a = authenticate(
            &req,
            &tester(),
            NOW_MS,
            &strings(&["worker-manager:list-providers"]),
        )
        .unwrap();
        assert_eq!(a.client_id, None);
        assert_eq!(
            a.scopes.to_vec(),
            strings(&["assume:anonymous", "worker-manager:list-providers"])
        );
        let empty = AuthRequest {
            authorization: Some(""),
            ..request(&V1)
        };
        assert_eq!(auth_at(&empty, &tester(), NOW_MS).unwrap().client_id, None);
        // An empty bewit alone is no credentials either.
        let req = AuthRequest {
            authorization: None,
            resource: "/p?bewit=",
            ..request(&V1)
        };
        assert_eq!(auth_at(&req, &tester(), NOW_MS).unwrap().client_id, None);
    }

    #[test]
    fn n14_no_credentials_and_no_anonymous_scopes_gives_the_403_text() {
        let req = AuthRequest {
            authorization: None,
            resource: "/api/worker-manager/v1/worker-pools",
            ..request(&V1)
        };
        let a = auth_at(&req, &tester(), NOW_MS).unwrap();
        let required = ScopeExpr::Scope("worker-manager:list-worker-pools".into());
        let missing = crate::auth::scopes::unsatisfied(&a.scopes, &required).unwrap();
        assert_eq!(
            crate::auth::insufficient_scopes_message(a.client_id.as_deref(), &required, &missing),
            "This request requires Taskcluster credentials that satisfy the following scope expression:\n\n```\nworker-manager:list-worker-pools\n```"
        );
    }

    #[test]
    fn n15_authorized_scopes_limit_what_is_held() {
        let a = auth_at(&request(&V5), &tester(), NOW_MS).unwrap();
        let required = ScopeExpr::Scope("worker-manager:list-worker-pools".into());
        assert!(!satisfies(&a.scopes, &required));
        let missing = crate::auth::scopes::unsatisfied(&a.scopes, &required).unwrap();
        assert_eq!(
            crate::auth::insufficient_scopes_message(a.client_id.as_deref(), &required, &missing),
            "Client ID tester does not have sufficient scopes and is missing the following scopes:\n\n```\nworker-manager:list-worker-pools\n```\n\nThis request requires the client to satisfy the following scope expression:\n\n```\nworker-manager:list-worker-pools\n```"
        );
    }

    #[test]
    fn authorized_scopes_must_be_covered() {
        use base64::Engine;
        let ext = base64::engine::general_purpose::STANDARD
            .encode(r#"{"authorizedScopes":["queue:create-task:x"]}"#);
        let clients = tester();
        let h = signed_header("tester", "no-secret", &ext, V1.resource);
        let req = AuthRequest {
            authorization: Some(&h),
            ..request(&V1)
        };
        assert_eq!(
            message(auth_at(&req, &clients, NOW_MS)),
            "Supplied credentials do not satisfy authorizedScopes; credentials have scopes:\n\n```\nassume:anonymous\nauth:create-client:tester-temp\nworker-manager:*\n```\n\nauthorizedScopes are:\n\n```\nqueue:create-task:x\n```"
        );
        // Anonymous scopes count toward what is covered.
        let r = authenticate(&req, &clients, NOW_MS, &strings(&["queue:*"])).unwrap();
        assert_eq!(
            r.scopes.to_vec(),
            strings(&["queue:create-task:x", "assume:anonymous", "queue:*"])
        );
    }

    /// A Node-style header (no hash) for `GET resource` on localhost:8080 at the vectors' time.
    fn signed_header(id: &str, key: &str, ext: &str, resource: &str) -> String {
        let normalized = normalized_string(&MacInput {
            kind: MacKind::Header,
            ts: "1700000000",
            nonce: "Xk9dQ2",
            method: "GET",
            resource,
            host: "localhost",
            port: 8080,
            hash: None,
            ext: Some(ext).filter(|e| !e.is_empty()),
            app: None,
            dlg: None,
        });
        let mac = compute_mac(key.as_bytes(), &normalized);
        let ext_attr = if ext.is_empty() {
            String::new()
        } else {
            format!(", ext=\"{ext}\"")
        };
        format!("Hawk id=\"{id}\", ts=\"1700000000\", nonce=\"Xk9dQ2\"{ext_attr}, mac=\"{mac}\"")
    }

    #[test]
    fn header_errors_surface_with_their_prefix() {
        let cases = [
            ("Bearer x", "Unauthorized: Unauthorized"),
            ("Hawk", "Bad Request: Invalid header syntax"),
            ("Hawk id=\"tester\"", "Bad Request: Missing attributes"),
            (
                "Hawk id=\"tester\", ts=\"1\", nonce=\"n\", mac=\"m\", ext=\"!!\"",
                "Failed to parse ext",
            ),
        ];
        for (h, want) in cases {
            let req = AuthRequest {
                authorization: Some(h),
                ..request(&V1)
            };
            assert_eq!(message(auth_at(&req, &tester(), NOW_MS)), want, "{h}");
        }
    }

    #[test]
    fn non_numeric_ts_is_never_stale() {
        let normalized = V6.normalized.replace("1700000000", "soon");
        let mac = compute_mac(b"no-secret", &normalized);
        let h = format!("Hawk id=\"tester\", ts=\"soon\", nonce=\"Xk9dQ2\", mac=\"{mac}\"");
        let req = AuthRequest {
            authorization: Some(&h),
            ..request(&V6)
        };
        assert!(auth_at(&req, &tester(), NOW_MS).is_ok());
    }

    #[test]
    fn roles_apply_to_the_final_scope_set() {
        struct WithRoles(Clients);
        impl ClientLookup for WithRoles {
            fn client(&self, id: &str) -> Option<ClientRecord> {
                self.0.client(id)
            }
            fn expand_scopes(&self, scopes: &[String]) -> Vec<String> {
                let roles = vec![("anonymous".to_string(), strings(&["anon:read"]))];
                crate::auth::roles::expand_roles(scopes, &roles)
            }
        }
        let a = authenticate(&request(&V1), &WithRoles(tester()), NOW_MS, &[]).unwrap();
        assert!(a.scopes.iter().any(|s| s == "anon:read"));
    }

    #[test]
    fn host_and_port_rules() {
        let hp = |h: Option<&str>, p: Option<&str>, x: Option<&str>, tls: bool| {
            let (host, port) = header_host_port(h, p, x, tls);
            (host.into_owned(), port)
        };
        // Lower case as JavaScript's toLowerCase; no copy when the name already is.
        assert_eq!(
            hp(Some("ÄBC.Example:1"), None, None, false).0,
            "äbc.example"
        );
        assert!(matches!(
            header_host_port(Some("a.example:1"), None, None, false).0,
            Cow::Borrowed("a.example")
        ));
        assert_eq!(
            hp(Some("LocalHost:8080"), None, None, false),
            ("localhost".into(), 8080)
        );
        assert_eq!(
            hp(Some("localhost"), None, None, false),
            ("localhost".into(), 80)
        );
        assert_eq!(
            hp(Some("localhost"), None, None, true),
            ("localhost".into(), 443)
        );
        assert_eq!(
            hp(Some("h:8080"), Some("9090"), Some("https"), false),
            ("h".into(), 9090)
        );
        assert_eq!(
            hp(Some("h:8080"), None, Some("https"), false),
            ("h".into(), 443)
        );
        assert_eq!(
            hp(Some("h:8080"), None, Some("http"), false),
            ("h".into(), 8080)
        );
        assert_eq!(hp(Some("h"), Some("nope"), None, false), ("h".into(), 0));
        assert_eq!(hp(Some("h"), Some("70000"), None, false), ("h".into(), 0));
        assert_eq!(hp(Some("h"), Some(" 81x"), None, false), ("h".into(), 81));
        assert_eq!(
            hp(Some("[::1]:8080"), None, None, false),
            ("[::1]".into(), 8080)
        );
        assert_eq!(hp(None, None, None, false), ("".into(), 80));
    }

    mod independent_client {
        //! The official Rust `hawk` crate as an independent client: whatever it signs, the mock
        //! accepts.
        use super::*;
        use base64::Engine;
        use proptest::prelude::*;
        use std::time::{Duration, UNIX_EPOCH};

        fn credentials(id: &str, token: &str) -> hawk::Credentials {
            hawk::Credentials {
                id: id.to_string(),
                key: hawk::Key::new(token.as_bytes(), hawk::DigestAlgorithm::Sha256).unwrap(),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn hawk_crate_headers_are_accepted(
                method in "(GET|POST|PUT|DELETE|PATCH)",
                path in "/[a-zA-Z0-9/%._~-]{0,30}",
                query in proptest::option::of("[a-zA-Z0-9=&%+._~-]{1,30}"),
                host in "[a-z0-9.-]{1,20}",
                port in 1u16..,
                body in proptest::option::of(".{0,60}"),
                ext_scopes in proptest::option::of(proptest::collection::vec("worker-manager:[a-z-]{0,10}\\*?", 0..3)),
                skew in -900i64..=900,
                nonce in "[a-zA-Z0-9_-]{1,14}",
            ) {
                let resource = match &query {
                    Some(q) => format!("{path}?{q}"),
                    None => path.clone(),
                };
                let ext = ext_scopes.as_ref().map(|s| {
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::json!({"authorizedScopes": s}).to_string())
                });
                let hash = body.as_ref().map(|b| {
                    hawk::PayloadHasher::hash("application/json", hawk::DigestAlgorithm::Sha256, b.as_bytes()).unwrap()
                });
                let ts = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
                let mut builder = hawk::RequestBuilder::new(&method, &host, port, &resource);
                if let Some(h) = &hash {
                    builder = builder.hash(&h[..]);
                }
                if let Some(e) = &ext {
                    builder = builder.ext(e.as_str());
                }
                let header = builder.request().make_header_full(&credentials("tester", "no-secret"), ts, nonce).unwrap();
                let authorization = format!("Hawk {header}");
                let req = AuthRequest {
                    method: &method,
                    resource: &resource,
                    host: &host,
                    port,
                    authorization: Some(&authorization),
                    content_type: body.as_ref().map(|_| "application/json"),
                    body: body.as_deref().unwrap_or("").as_bytes(),
                };
                let now = NOW_MS + skew * 1000;
                let a = auth_at(&req, &tester(), now);
                prop_assert!(a.is_ok(), "{:?} for {}", a, authorization);
                let a = a.unwrap();
                if let Some(s) = &ext_scopes {
                    // authorizedScopes replace the client's scopes.
                    prop_assert!(s.iter().all(|x| a.scopes.contains(x)));
                    prop_assert_eq!(a.scopes.contains(&"worker-manager:*".to_string()), s.iter().any(|x| x == "worker-manager:*"));
                }
                // Changing anything signed breaks it.
                let tampered = AuthRequest { port: port.wrapping_add(1), ..req };
                prop_assert!(auth_at(&tampered, &tester(), now).is_err());
            }

            #[test]
            fn hawk_crate_bewits_are_accepted(
                path in "/[a-zA-Z0-9/%._~-]{0,30}",
                query in proptest::option::of("[a-zA-Z0-9=%+._~-]{1,20}"),
                ttl in 1u64..100_000,
            ) {
                let base = match &query {
                    Some(q) => format!("{path}?{q}"),
                    None => path.clone(),
                };
                let creds = credentials("tester", "no-secret");
                let exp = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + ttl);
                let bewit = hawk::RequestBuilder::new("GET", "localhost", 8080, &base)
                    .request()
                    .make_bewit(&creds, exp)
                    .unwrap()
                    .to_str();
                let sep = if query.is_some() { '&' } else { '?' };
                let resource = format!("{base}{sep}bewit={bewit}");
                let req = AuthRequest {
                    method: "GET",
                    resource: &resource,
                    host: "localhost",
                    port: 8080,
                    authorization: None,
                    content_type: None,
                    body: b"",
                };
                let a = auth_at(&req, &tester(), NOW_MS);
                prop_assert!(a.is_ok(), "{:?} for {}", a, resource);
                let expired = auth_at(&req, &tester(), (1_700_000_000 + ttl as i64) * 1000);
                prop_assert_eq!(expired, Err(AuthError::Bewit(BewitError::Expired)));
            }

            #[test]
            fn arbitrary_headers_never_panic(h in ".{0,120}", resource in "/[ -~]{0,40}") {
                let req = AuthRequest {
                    method: "GET",
                    resource: &resource,
                    host: "localhost",
                    port: 8080,
                    authorization: Some(&h),
                    content_type: None,
                    body: b"",
                };
                let _ = auth_at(&req, &tester(), NOW_MS);
                let anonymous = AuthRequest { authorization: None, ..req };
                let _ = auth_at(&anonymous, &tester(), NOW_MS);
            }
        }
    }
}

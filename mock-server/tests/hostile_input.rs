//! Hostile input: property-based "fuzzing" of every place wm-mock reads untrusted text or bytes.
//!
//! - (a) route matching and percent-decoding (`Catalog::match_route`) on arbitrary methods and
//!   paths;
//! - (b) the whole request pipeline without HTTP (`pipeline::process`) on arbitrary query strings,
//!   content types, bodies (random bytes, random JSON, valid sample bodies with one field mutated)
//!   and `Authorization` headers (random text, Hawk-looking headers, correctly signed headers with
//!   random `ext`, temporary credentials with random certificates), in strict and permissive mode;
//! - (c) raw HTTP over a TCP socket against a running `MockServer` (malformed request lines, huge
//!   headers, invalid UTF-8, missing `Host`, broken bodies);
//! - (d) scenario files (`Scenario::from_json_str`) on arbitrary text and mutated fixtures;
//! - (e) the Hawk header, `ext`, certificate and bewit parsers.
//!
//! Every property says what must hold for *any* input: no panic, no 5xx, every error a well-formed
//! Taskcluster error body, store invariants intact. Case counts are sized so that the whole file
//! runs in well under a minute in debug builds; `PROPTEST_CASES` overrides them all.
//!
//! Besides the properties, a few deterministic tests pin down inputs the fuzzers found (or that
//! they reach only rarely) so that they fail on every run until the bug is fixed.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, TestRunner};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker_manager_mock::auth::bewit::{decode_bewit, find_bewit, looks_like_bewit};
use worker_manager_mock::auth::certificate::{
    certificate_issuer, certificate_signature_string, sign_certificate, temporary_access_token,
    validate_certificate, IssuerInfo,
};
use worker_manager_mock::auth::ext::{decode_base64_lenient, parse_ext};
use worker_manager_mock::auth::hawk::{is_valid_attribute_value, parse_authorization_header};
use worker_manager_mock::auth::scopes::is_valid_scope;
use worker_manager_mock::call::Overrides;
use worker_manager_mock::error::ErrorCode;
use worker_manager_mock::pipeline::{self, Answer, RawRequest};
use worker_manager_mock::provider::ProviderType;
use worker_manager_mock::scenario::{install, LoadMode, Scenario};
use worker_manager_mock::service::ROOT_CLIENT_ID;
use worker_manager_mock::{AuthMode, MockServer, Options, Service};
use worker_manager_schemas::route::encode_component;
use worker_manager_schemas::{Catalog, RouteOutcome, API_PREFIX};

use common::{SECRET, SECRET2};

/// The host and port fuzzed pipeline requests claim to be addressed to (what Hawk signs).
const HOST: &str = "127.0.0.1";
const PORT: u16 = 8080;

// ---------------------------------------------------------------------------------------------
// Shared generators
// ---------------------------------------------------------------------------------------------

/// Proptest settings: `cases` unless `PROPTEST_CASES` says otherwise; failures are persisted next
/// to this file (`hostile_input.proptest-regressions`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    }
}

/// Pieces of paths and values that exercise percent-decoding: valid escapes, broken ones, escapes
/// of bytes that are not UTF-8, separators and control characters.
const PCT_PIECES: &[&str] = &[
    "%",
    "%2",
    "%2F",
    "%2f",
    "%ZZ",
    "%G0",
    "%00",
    "%7F",
    "%C3%A9",
    "%C3",
    "%FF%FE",
    "%E2%82%AC",
    "%F0%9F%98%80",
    "%ED%A0%80",
    "%%",
    "%25",
    "%3A",
    "a",
    "Z9",
    "-",
    "_",
    "/",
    "//",
    ":",
    "?",
    "#",
    " ",
    "é",
    "\u{0}",
    "\u{7f}",
    "+",
    "..",
    ".",
    "~",
    "\u{202e}",
];

/// Arbitrary path-segment text: printable Unicode, anything at all (control characters
/// included), percent-escape soup, or very long runs.
fn garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,24}",
        2 => "(?s).{0,24}",
        4 => vec(select(PCT_PIECES), 1..10).prop_map(|v| v.concat()),
        1 => (select(vec!["a", "%", "%2F", "x/", "%C3%A9"]), 300usize..4000)
            .prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// Text that matches the id patterns (or nearly: up to 40 characters).
fn id_like() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_-]{1,40}"
}

/// Pools, groups, ids, provisioners and worker types the fuzzed service knows (and a few it does
/// not), so that generated requests reach the handlers.
const POOLS: &[&str] = &[
    "proj/static",
    "proj/static",
    "proj/cloud",
    "proj/testing",
    "proj/nope",
    "proj/fresh",
];
const GROUPS: &[&str] = &["wg", "wg", "us-east-1", "tg", "g2"];
const IDS: &[&str] = &["w1", "w2", "new1", "new2", "i-0", "i-1", "t1"];
const PROVISIONERS: &[&str] = &["proj", "nope"];
const WORKER_TYPES: &[&str] = &["static", "cloud", "x"];

/// Coherent (pool, group, worker) keys: existing workers, new workers in existing pools, a
/// worker of a pool that does not exist.
const KEYS3: &[(&str, &str, &str)] = &[
    ("proj/static", "wg", "w1"),
    ("proj/static", "wg", "w2"),
    ("proj/static", "wg", "new1"),
    ("proj/static", "g2", "new2"),
    ("proj/testing", "tg", "t1"),
    ("proj/testing", "tg", "new1"),
    ("proj/cloud", "us-east-1", "i-0"),
    ("proj/fresh", "wg", "w1"),
];

/// Route templates: `{P}` pool, `{G}` group, `{W}` worker, `{Q}` provisioner, `{T}` worker type.
/// Writes to workers are listed twice, as they are where state changes.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/ping"),
    ("GET", "/providers"),
    ("PUT", "/worker-pool/{P}"),
    ("POST", "/worker-pool/{P}"),
    ("DELETE", "/worker-pool/{P}"),
    ("GET", "/worker-pool/{P}/launch-configs"),
    ("GET", "/worker-pool/{P}/stats"),
    ("GET", "/worker-pool/{P}"),
    ("GET", "/worker-pools"),
    ("GET", "/worker-pools/stats"),
    ("GET", "/worker-pool-errors/stats"),
    ("POST", "/worker-pool-errors/{P}"),
    ("GET", "/worker-pool-errors/{P}"),
    ("GET", "/workers/{P}/{G}"),
    ("GET", "/workers/{P}:/{G}"),
    ("GET", "/workers/{P}/{G}/{W}"),
    ("GET", "/workers/{P}:/{G}/{W}"),
    ("GET", "/workers/{P}/{G}/{W}/should-terminate"),
    ("PUT", "/workers/{P}/{G}/{W}"),
    ("PUT", "/workers/{P}/{G}/{W}"),
    ("PUT", "/workers/{P}:/{G}/{W}"),
    ("POST", "/workers/{P}/{G}/{W}"),
    ("POST", "/workers/{P}/{G}/{W}"),
    ("POST", "/workers/{P}:/{G}/{W}"),
    ("DELETE", "/workers/{P}/{G}/{W}"),
    ("GET", "/workers/{P}"),
    ("POST", "/worker/register"),
    ("POST", "/worker/register"),
    ("POST", "/worker/reregister"),
    ("GET", "/provisioners/{Q}/worker-types/{T}/workers"),
    ("GET", "/provisioners/{Q}/worker-types/{T}/workers/{G}/{W}"),
];

/// One path parameter of a generated request.
#[derive(Debug, Clone)]
enum Seg {
    /// A value the service knows (percent-encoded as the clients do).
    Known(Index),
    /// Something shaped like an id, inserted raw.
    Id(String),
    /// Anything, inserted raw.
    Garbage(String),
}

fn seg() -> impl Strategy<Value = Seg> {
    prop_oneof![
        30 => any::<Index>().prop_map(Seg::Known),
        2 => id_like().prop_map(Seg::Id),
        2 => garbage().prop_map(Seg::Garbage),
    ]
}

/// The path of a generated request (relative to the API prefix, without query).
#[derive(Debug, Clone)]
enum PathSpec {
    /// A route template with its parameters; `method` replaces the template's method if set.
    Route {
        route: Index,
        segs: Vec<Seg>,
        /// Use one coherent (pool, group, worker) of [`KEYS3`] for the known parameters.
        coherent: Option<Index>,
        trailing_slash: bool,
    },
    /// Any text at all.
    Raw(String),
}

fn path_spec() -> impl Strategy<Value = PathSpec> {
    prop_oneof![
        9 => (
            any::<Index>(),
            vec(seg(), 3),
            prop::option::weighted(0.6, any::<Index>()),
            prop::bool::weighted(0.1)
        )
            .prop_map(|(route, segs, coherent, trailing_slash)| PathSpec::Route {
                route,
                segs,
                coherent,
                trailing_slash
            }),
        1 => prop_oneof![
            "(?s).{0,60}",
            vec(select(PCT_PIECES), 0..20).prop_map(|v| format!("/{}", v.concat())),
            "/(workers|worker-pool|worker-pool-errors|worker|provisioners)/[a-z%/:.-]{0,40}",
        ]
        .prop_map(PathSpec::Raw),
    ]
}

impl PathSpec {
    /// The template method and the raw path.
    fn realize(&self) -> (&'static str, String) {
        match self {
            PathSpec::Raw(p) => ("GET", p.clone()),
            PathSpec::Route {
                route,
                segs,
                coherent,
                trailing_slash,
            } => {
                let triple = coherent.map(|c| KEYS3[c.index(KEYS3.len())]);
                let (method, template) = ROUTES[route.index(ROUTES.len())];
                let mut out = String::new();
                let mut rest = template;
                let mut i = 0;
                while let Some(start) = rest.find('{') {
                    out.push_str(&rest[..start]);
                    let kind = &rest[start + 1..start + 2];
                    rest = &rest[start + 3..];
                    let known: &[&str] = match kind {
                        "P" => POOLS,
                        "G" => GROUPS,
                        "W" => IDS,
                        "Q" => PROVISIONERS,
                        _ => WORKER_TYPES,
                    };
                    let coherent_value = triple.and_then(|(p, g, w)| match kind {
                        "P" => Some(p),
                        "G" => Some(g),
                        "W" => Some(w),
                        _ => None,
                    });
                    match &segs[i % segs.len()] {
                        Seg::Known(_) if coherent_value.is_some() => {
                            out.push_str(&encode_component(coherent_value.unwrap_or_default()))
                        }
                        Seg::Known(ix) => {
                            out.push_str(&encode_component(known[ix.index(known.len())]))
                        }
                        Seg::Id(s) | Seg::Garbage(s) => out.push_str(s),
                    }
                    i += 1;
                }
                out.push_str(rest);
                if *trailing_slash {
                    out.push('/');
                }
                (method, out)
            }
        }
    }
}

/// An HTTP method: mostly real ones, sometimes odd ones or arbitrary text.
fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"]).prop_map(String::from),
        1 => select(vec!["get", "Get", "PATCH", "TRACE", "CONNECT", "", "G ET", "GET\0", "PUT "])
            .prop_map(String::from),
        1 => "(?s).{0,12}",
    ]
}

/// Numbers at the edges: of JSON, of `i64`/`u64`, of JavaScript's safe integers, of the schemas'
/// bounds.
fn edge_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => select(vec![
                json!(0),
                json!(-1),
                json!(1),
                json!(2),
                json!(38),
                json!(1000),
                json!(1001),
                json!(2_592_000),
                json!(2_592_001),
                json!(-2_592_000),
                json!(i64::MAX),
                json!(i64::MIN),
                json!(u64::MAX),
                json!(u64::MAX - 1),
                json!(1u64 << 63),
                json!(9_007_199_254_740_993u64),
                json!(1e20),
                json!(1e308),
                json!(-1e308),
                json!(0.5),
                json!(-0.0),
                json!(1e-300),
                json!(1.0),
            ]
        ),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => (-1e12f64..1e12).prop_map(Value::from),
    ]
}

/// Strings at the edges: empty, very long, odd Unicode, time-like, id-like, secrets.
fn edge_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(vec![
                "",
                "a",
                "proj/static",
                "proj/cloud",
                "static",
                "aws",
                "testing",
                "null-provider",
                "wg",
                "w1",
                "new1",
                SECRET,
                SECRET2,
                "2030-01-01T00:00:00.000Z",
                "1970-01-01T00:00:00Z",
                "0000-01-01T00:00:00.000Z",
                "9999-12-31T23:59:59.999Z",
                "2024-02-30T00:00:00Z",
                "+275760-09-13T00:00:00.000Z",
                "-1h",
                "+9999999999999999999d",
                "-9223372036854775808ms",
                "7d",
                "someone@example.com",
                "not an email",
                "é☃𝄞",
                "\u{0}\u{1b}[31m",
                "\u{feff}",
                "\u{202e}abc",
                "*",
                "worker-manager:*",
                "null",
                "<script>",
                "a\nb",
            ]
        )
        .prop_map(String::from),
        2 => "\\PC{0,30}",
        1 => "(?s).{0,30}",
        1 => (select(vec!["a", "é", "%", "/"]), 100usize..3000).prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// Property names the request schemas use, so random objects hit real properties.
const KEYS: &[&str] = &[
    "workerPoolId",
    "workerGroup",
    "workerId",
    "providerId",
    "expires",
    "capacity",
    "providerInfo",
    "staticSecret",
    "workerIdentityProof",
    "secret",
    "kind",
    "title",
    "description",
    "extra",
    "config",
    "owner",
    "emailOnError",
    "launchConfigs",
    "lifecycle",
    "reregistrationTimeout",
    "minCapacity",
    "maxCapacity",
    "token",
    "document",
    "signature",
    "systemBootTime",
    "certificate",
    "authorizedScopes",
    "version",
    "seed",
    "start",
    "expiry",
    "scopes",
    "issuer",
    "clientId",
    "rules",
    "match",
    "action",
    "type",
    "workers",
    "workerPools",
    "count",
    "state",
    "now",
    "",
    "__proto__",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(KEYS).prop_map(String::from),
        1 => "\\PC{0,10}",
    ]
}

/// A JSON scalar at the edges.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => edge_number(),
        4 => edge_string().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
    ]
}

/// Arbitrary JSON, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// One change to a JSON document at a node chosen by `node` (in document order).
#[derive(Debug, Clone)]
enum MutKind {
    /// Replace the node with this value.
    Replace(Value),
    /// Replace the node with a value of the same type at the edge of its range.
    Retype(Value),
    /// Remove the node from its parent.
    Delete,
    /// Add a property (to an object; other nodes become a one-property object).
    AddKey(String, Value),
    /// Wrap the node in an array.
    Wrap,
    /// Turn the node into its JSON text.
    Stringify,
}

#[derive(Debug, Clone)]
struct Mutation {
    node: Index,
    kind: MutKind,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let kind = prop_oneof![
        3 => any_json().prop_map(MutKind::Replace),
        4 => scalar().prop_map(MutKind::Retype),
        2 => Just(MutKind::Delete),
        1 => (key(), any_json()).prop_map(|(k, v)| MutKind::AddKey(k, v)),
        1 => Just(MutKind::Wrap),
        1 => Just(MutKind::Stringify),
    ];
    (any::<Index>(), kind).prop_map(|(node, kind)| Mutation { node, kind })
}

/// Every JSON pointer of a document, root first.
fn pointers(v: &Value, base: &str, out: &mut Vec<String>) {
    out.push(base.to_string());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let token = k.replace('~', "~0").replace('/', "~1");
                pointers(x, &format!("{base}/{token}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, &format!("{base}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Applies a mutation; returns the pointer of the node it changed.
fn mutate(doc: &mut Value, m: &Mutation) -> String {
    let mut all = Vec::new();
    pointers(doc, "", &mut all);
    if matches!(m.kind, MutKind::Retype(_)) {
        // Retyping is for leaves (numbers and strings at their edges).
        let leaves: Vec<String> = all
            .iter()
            .filter(|p| {
                doc.pointer(p)
                    .is_some_and(|v| !v.is_object() && !v.is_array())
            })
            .cloned()
            .collect();
        if !leaves.is_empty() {
            all = leaves;
        }
    }
    let at = all[m.node.index(all.len())].clone();
    let node = doc.pointer_mut(&at).expect("pointer from the document");
    match &m.kind {
        MutKind::Replace(v) => *node = v.clone(),
        MutKind::Retype(v) => {
            // Keep the node's type when the generated value allows it, to stay "close to valid".
            let same = matches!(
                (&*node, v),
                (Value::Number(_), Value::Number(_)) | (Value::String(_), Value::String(_))
            );
            *node = if same || !(node.is_number() || node.is_string()) {
                v.clone()
            } else if node.is_number() {
                json!(u64::MAX)
            } else {
                Value::String(String::new())
            };
        }
        MutKind::AddKey(k, v) => match node {
            Value::Object(o) => {
                o.insert(k.clone(), v.clone());
            }
            other => *other = json!({ k.as_str(): v.clone() }),
        },
        MutKind::Wrap => *node = Value::Array(vec![node.take()]),
        MutKind::Stringify => *node = Value::String(node.to_string()),
        MutKind::Delete => {
            if at.is_empty() {
                *doc = Value::Null;
            } else {
                let (parent, last) = at.rsplit_once('/').expect("a non-root pointer");
                let last = last.replace("~1", "/").replace("~0", "~");
                match doc.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    at
}

fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The valid sample bodies of `schema` (`fixtures/samples/valid/<schema>/*.json`).
fn samples(schema: &str) -> Vec<Value> {
    let dir = fixtures_dir().join("samples/valid").join(schema);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Panics
// ---------------------------------------------------------------------------------------------

/// Panics on the server's runtime threads (tokio workers), counted by the hook: a panicking
/// connection task does not bring the server down, so `/ping` alone would not notice it.
static SERVER_PANICS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Set while [`quietly`] runs code under test on this thread: its panics are turned into
    /// test failures (with the message) instead of being printed on every shrinking step.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the last quiet panic happened.
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Installs (once) the panic hook: counts panics on tokio worker threads, keeps quiet on threads
/// inside [`quietly`] (remembering where), prints everything else as usual.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            if thread
                .name()
                .unwrap_or("")
                .starts_with("tokio-runtime-worker")
            {
                SERVER_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            if QUIET.with(|q| q.get()) {
                let at = info.location().map(|l| l.to_string()).unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = at);
                return;
            }
            previous(info);
        }));
    });
}

/// Runs `f`, turning a panic into `Err("<message> (at <file:line:col>)")`.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_panic_hook();
    QUIET.with(|q| q.set(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    out.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".to_string());
        let at = LAST_PANIC.with(|p| p.borrow().clone());
        format!("{message} (at {at})")
    })
}

/// [`quietly`] for properties: a panic fails the case with `what` and the message.
fn no_panic<T>(what: impl FnOnce() -> String, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    quietly(f).map_err(|m| TestCaseError::fail(format!("{} panicked: {m}", what())))
}

// ---------------------------------------------------------------------------------------------
// (a) Route matching and percent-decoding
// ---------------------------------------------------------------------------------------------

/// Any path: a realized route template with hostile parameters, or arbitrary text.
fn any_path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => path_spec().prop_map(|p| p.realize().1),
        1 => "(?s).{0,80}",
        1 => vec(garbage(), 0..6).prop_map(|segs| format!("/{}", segs.join("/"))),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    /// Routing never panics on any method and path, and its answers are coherent: `OPTIONS` only
    /// ever lists methods, a `BadEncoding` names a parameter of the matched method and needs a `%`
    /// in the path, and a match's parameters survive a round trip through `build_path` (the
    /// encoding the official clients use) to the same method and values.
    #[test]
    fn route_matching_never_panics_and_round_trips(method in method(), path in any_path()) {
        let catalog = Catalog::embedded();
        match catalog.match_route(&method, &path) {
            RouteOutcome::Matched(m) => {
                prop_assert_ne!(method.as_str(), "OPTIONS");
                for arg in &m.entry.args {
                    prop_assert!(m.params.contains_key(arg), "{} lacks {arg}", m.entry.name);
                }
                let built = catalog.build_path(&m.entry.name, &m.params).unwrap();
                let again_method = if method == "HEAD" { "GET" } else { method.as_str() };
                match catalog.match_route(again_method, &built) {
                    RouteOutcome::Matched(m2) => {
                        prop_assert_eq!(&m2.entry.name, &m.entry.name, "built {}", built);
                        prop_assert_eq!(&m2.params, &m.params, "built {}", built);
                    }
                    other => prop_assert!(false, "{built} (from {path}) routes to {other:?}"),
                }
            }
            RouteOutcome::BadEncoding { entry, param } => {
                prop_assert!(path.contains('%'), "BadEncoding without a % in {path:?}");
                prop_assert!(entry.args.contains(&param), "{param} is not a parameter of {}", entry.name);
            }
            RouteOutcome::Options { allow } => {
                prop_assert_eq!(method.as_str(), "OPTIONS");
                prop_assert!(!allow.is_empty());
            }
            RouteOutcome::NotFound => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (b) The whole pipeline, without HTTP
// ---------------------------------------------------------------------------------------------

/// The state every fuzzed service starts from: static, cloud and testing pools, workers in
/// several states, an error and a queue record.
fn fuzz_seed() -> &'static Scenario {
    static SEED: OnceLock<Scenario> = OnceLock::new();
    SEED.get_or_init(|| {
        let text = json!({
            "seed": {
                "workerPools": [
                    {"workerPoolId": "proj/static", "providerId": "static",
                     "config": {"lifecycle": {"reregistrationTimeout": 3600}, "workerConfig": {"a": 1}}},
                    {"workerPoolId": "proj/cloud", "providerId": "aws",
                     "config": {"minCapacity": 0, "maxCapacity": 5,
                                "launchConfigs": [{"region": "us-east-1", "launchConfig": {"ImageId": "ami-1"}}]}},
                    {"workerPoolId": "proj/testing", "providerId": "testing", "config": {},
                     "providerData": {"allowCreateWorker": true, "allowUpdateWorker": true}}
                ],
                "workers": [
                    {"workerPoolId": "proj/static", "workerGroup": "wg", "workerId": "w1", "staticSecret": SECRET},
                    {"workerPoolId": "proj/static", "workerGroup": "wg", "workerId": "w2", "staticSecret": SECRET,
                     "state": "stopped", "capacity": 3},
                    {"workerPoolId": "proj/cloud", "workerGroup": "us-east-1", "workerId": "i",
                     "state": "requested", "count": 2},
                    {"workerPoolId": "proj/testing", "workerGroup": "tg", "workerId": "t1", "allowRemoveWorker": true}
                ],
                "workerPoolErrors": [
                    {"workerPoolId": "proj/static", "kind": "k", "title": "t", "description": "d"}
                ],
                "queueWorkers": [
                    {"workerPoolId": "proj/static", "workerGroup": "wg", "workerId": "w1"}
                ]
            }
        })
        .to_string();
        Scenario::from_json_str(&text, "fuzz-seed").expect("the fuzz seed loads")
    })
}

/// A fresh service in `mode` with [`fuzz_seed`] installed.
fn fuzz_service(mode: AuthMode) -> Service {
    let svc = Service::new(Options {
        auth: mode,
        seed: Some(7),
        ..Options::default()
    });
    install(&svc, fuzz_seed(), LoadMode::Append).expect("seed installs");
    svc
}

/// Valid bodies per input schema: the fixture samples plus bodies aimed at the seeded state.
fn body_templates(svc: &Service, schema: &str) -> Vec<Value> {
    let future = common::in_days(365);
    let mut out = samples(schema);
    let extra: Vec<Value> = match schema {
        "create-worker-request" => vec![
            json!({"expires": future, "capacity": 2, "providerInfo": {"staticSecret": SECRET}}),
            json!({"expires": future}),
        ],
        "create-worker-pool-request" | "update-worker-pool-request" => vec![
            json!({"providerId": "static", "description": "d", "owner": "o@example.com",
                   "emailOnError": false, "config": {"lifecycle": {"reregistrationTimeout": 60}}}),
            json!({"providerId": "testing", "description": "d", "owner": "o@example.com",
                   "emailOnError": true, "config": {}}),
            json!({"providerId": "aws", "description": "d", "owner": "o@example.com",
                   "emailOnError": false, "config": {"minCapacity": 0, "maxCapacity": 3,
                   "launchConfigs": [{"region": "eu-west-1", "launchConfig": {"ImageId": "ami-2"}}]}}),
        ],
        "register-worker-request" => vec![
            json!({"workerPoolId": "proj/static", "providerId": "static", "workerGroup": "wg",
                   "workerId": "w1", "workerIdentityProof": {"staticSecret": SECRET}}),
            json!({"workerPoolId": "proj/testing", "providerId": "testing", "workerGroup": "tg",
                   "workerId": "t1", "workerIdentityProof": {"staticSecret": SECRET}}),
            json!({"workerPoolId": "proj/cloud", "providerId": "aws", "workerGroup": "us-east-1",
                   "workerId": "i-0",
                   "workerIdentityProof": worker_manager_mock::proofs::issue(
                       svc.proof_key(), ProviderType::Aws, "proj/cloud", "us-east-1", "i-0")}),
        ],
        "reregister-worker-request" => vec![
            json!({"workerPoolId": "proj/static", "workerGroup": "wg", "workerId": "w1", "secret": "$SECRET"}),
        ],
        "report-worker-error-request" => vec![json!({
            "workerGroup": "wg", "workerId": "w1", "kind": "boom", "title": "t",
            "description": "d", "extra": {}
        })],
        _ => vec![],
    };
    out.extend(extra);
    out
}

/// Every input schema with samples.
const INPUT_SCHEMAS: &[&str] = &[
    "create-worker-request",
    "create-worker-pool-request",
    "update-worker-pool-request",
    "register-worker-request",
    "reregister-worker-request",
    "report-worker-error-request",
];

/// The body of a generated request.
#[derive(Debug, Clone)]
enum BodySpec {
    Empty,
    Bytes(Vec<u8>),
    Text(String),
    Json(Value),
    /// A valid body (of the routed method's input schema if `own`, else of any), optionally with
    /// one mutation.
    Template {
        own: bool,
        schema: Index,
        pick: Index,
        mutation: Option<Mutation>,
    },
}

fn body_spec() -> impl Strategy<Value = BodySpec> {
    prop_oneof![
        1 => Just(BodySpec::Empty),
        1 => vec(any::<u8>(), 0..64).prop_map(BodySpec::Bytes),
        1 => prop_oneof![
            Just("{".to_string()),
            Just("[1,]".to_string()),
            Just("{\"a\":1}{".to_string()),
            Just("{\"a\":\"\\ud800\"}".to_string()),
            Just("1".to_string()),
            Just("\"x\"".to_string()),
            Just(format!("{}{}", "[".repeat(200), "]".repeat(200))),
            Just(format!("{}{}", "[".repeat(5000), "]".repeat(5000))),
            "\\PC{0,40}",
        ]
        .prop_map(BodySpec::Text),
        2 => any_json().prop_map(BodySpec::Json),
        12 => (
            prop::bool::weighted(0.85),
            any::<Index>(),
            any::<Index>(),
            prop::option::weighted(0.5, mutation())
        )
            .prop_map(|(own, schema, pick, mutation)| BodySpec::Template {
                own,
                schema,
                pick,
                mutation
            }),
    ]
}

/// A certificate for temporary credentials issued by root, then perhaps damaged.
#[derive(Debug, Clone)]
struct CertSpec {
    named: bool,
    scopes: Vec<String>,
    start_offset_ms: i64,
    expiry_offset_ms: i64,
    mutation: Option<Mutation>,
    authorized_scopes: Option<Value>,
}

fn scope() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(vec![
                "*",
                "worker-manager:*",
                "worker-manager:manage-worker-pool:proj/*",
                "worker-manager:create-worker:proj/static/*",
                "worker-manager:remove-worker:proj/*",
                "worker-manager:get-worker-pool:*",
                "assume:anonymous",
                "auth:create-client:*",
                "",
                "bad\nscope",
                "é",
            ]
        )
        .prop_map(String::from),
        1 => "\\PC{0,20}",
    ]
}

fn cert_spec() -> impl Strategy<Value = CertSpec> {
    (
        any::<bool>(),
        vec(scope(), 0..4),
        prop_oneof![Just(-60_000i64), -40 * 86_400_000i64..40 * 86_400_000],
        prop_oneof![Just(3_600_000i64), -40 * 86_400_000i64..40 * 86_400_000],
        prop::option::weighted(0.4, mutation()),
        prop::option::weighted(
            0.3,
            prop_oneof![
                3 => vec(scope(), 0..3).prop_map(|v| json!(v)),
                1 => any_json(),
            ],
        ),
    )
        .prop_map(
            |(named, scopes, start_offset_ms, expiry_offset_ms, mutation, authorized_scopes)| {
                CertSpec {
                    named,
                    scopes,
                    start_offset_ms,
                    expiry_offset_ms,
                    mutation,
                    authorized_scopes,
                }
            },
        )
}

/// Whose credentials sign a request.
#[derive(Debug, Clone)]
enum Who {
    Root,
    UnknownClient,
    WrongKey,
    /// The worker credentials the case's last registration returned (root if none yet).
    Worker,
    Temporary(CertSpec),
}

/// Damage done to a correctly signed request.
#[derive(Debug, Clone)]
enum Tamper {
    None,
    /// Signed with another method.
    Method,
    /// Signed over the path without the query (what the Rust client does).
    NoQuery,
    /// Signed for another host.
    Host,
    /// Signed for another port.
    Port,
    /// Signed with a timestamp this many seconds off.
    Skew(i64),
    /// Signed over another body hash.
    Hash,
}

/// The `ext` attribute of a signed request (besides temporary credentials).
#[derive(Debug, Clone)]
enum ExtSpec {
    None,
    RandomBytes(Vec<u8>, bool),
    Json(Value, bool),
}

/// The `Authorization` header of a generated request.
#[derive(Debug, Clone)]
enum AuthSpec {
    None,
    Raw(String),
    HawkLike {
        scheme: String,
        separator: String,
        attrs: Vec<(String, String)>,
        tail: String,
    },
    Signed {
        who: Who,
        ext: ExtSpec,
        tamper: Tamper,
        hash: bool,
    },
    /// A signed URL instead of a header: root's bewit (or one with a wrong key), valid for
    /// `ttl_secs` (expired if negative), appended to the query.
    Bewit {
        ttl_secs: i64,
        right_key: bool,
    },
}

fn auth_spec() -> impl Strategy<Value = AuthSpec> {
    let hawk_like = (
        select(vec!["Hawk", "hawk", "HAWK", "Bearer", "Hawk2", "", "Basic"]).prop_map(String::from),
        select(vec![" ", "  ", "\t", "", "\u{a0}", "\n "]).prop_map(String::from),
        vec(
            (
                prop_oneof![
                    4 => select(vec!["id", "ts", "nonce", "mac", "hash", "ext", "app", "dlg", "bogus", ""])
                        .prop_map(String::from),
                    1 => "\\PC{0,6}",
                ],
                prop_oneof![
                    3 => "[ -~]{0,20}",
                    1 => "\\PC{0,20}",
                    1 => Just(ROOT_CLIENT_ID.to_string()),
                    1 => Just("1234567890".to_string()),
                ],
            ),
            0..9,
        ),
        prop_oneof![
            6 => Just(String::new()),
            1 => "(?s).{0,10}",
            1 => (100usize..1200).prop_map(|n| ", ext=\"".to_string() + &"e30".repeat(n) + "\""),
        ],
    )
        .prop_map(|(scheme, separator, attrs, tail)| AuthSpec::HawkLike {
            scheme,
            separator,
            attrs,
            tail,
        });
    let who = prop_oneof![
        6 => Just(Who::Root),
        1 => Just(Who::UnknownClient),
        1 => Just(Who::WrongKey),
        2 => Just(Who::Worker),
        3 => cert_spec().prop_map(Who::Temporary),
    ];
    let ext = prop_oneof![
        6 => Just(ExtSpec::None),
        1 => (vec(any::<u8>(), 0..40), any::<bool>()).prop_map(|(b, u)| ExtSpec::RandomBytes(b, u)),
        2 => (
            prop_oneof![
                any_json(),
                vec(scope(), 0..3).prop_map(|s| json!({"authorizedScopes": s})),
                any_json().prop_map(|c| json!({"certificate": c})),
            ],
            any::<bool>()
        )
            .prop_map(|(v, u)| ExtSpec::Json(v, u)),
    ];
    let tamper = prop_oneof![
        8 => Just(Tamper::None),
        1 => Just(Tamper::Method),
        1 => Just(Tamper::NoQuery),
        1 => Just(Tamper::Host),
        1 => Just(Tamper::Port),
        1 => prop_oneof![Just(-3600i64), Just(899), Just(901), Just(-899), -100_000i64..100_000]
            .prop_map(Tamper::Skew),
        1 => Just(Tamper::Hash),
    ];
    let signed =
        (who, ext, tamper, any::<bool>()).prop_map(|(who, ext, tamper, hash)| AuthSpec::Signed {
            who,
            ext,
            tamper,
            hash,
        });
    let bewit = (
        prop_oneof![Just(3600i64), Just(-3600), -100_000i64..100_000],
        prop::bool::weighted(0.8),
    )
        .prop_map(|(ttl_secs, right_key)| AuthSpec::Bewit {
            ttl_secs,
            right_key,
        });
    prop_oneof![
        2 => Just(AuthSpec::None),
        1 => prop_oneof!["(?s).{0,60}", "\\PC{0,60}", Just(String::new())].prop_map(AuthSpec::Raw),
        2 => hawk_like,
        7 => signed,
        1 => bewit,
    ]
}

/// The query string of a generated request.
#[derive(Debug, Clone)]
enum QuerySpec {
    None,
    Raw(String),
    Pairs(Vec<(String, String)>),
}

fn query_spec() -> impl Strategy<Value = QuerySpec> {
    let name = prop_oneof![
        6 => select(vec![
                "limit",
                "continuationToken",
                "state",
                "launchConfigId",
                "errorId",
                "includeArchived",
                "quarantined",
                "workerState",
                "workerPoolId",
                "bewit",
                "limit%00",
                "",
            ]
        )
        .prop_map(String::from),
        1 => "\\PC{0,8}",
    ];
    let value = prop_oneof![
        4 => select(vec![
                "$TOKEN",
                "$TOKEN",
                "0",
                "1",
                "2",
                "1000",
                "1001",
                "-1",
                "99999999999999999999999999999",
                "1e3",
                "running",
                "stopped",
                "requested",
                "true",
                "false",
                "proj/static",
                "proj%2Fstatic",
                "w",
                "w313233",
                "o3130",
                "restart",
                "%",
                "%ZZ",
                "a+b",
                "",
            ]
        )
        .prop_map(String::from),
        1 => "[A-Za-z0-9]{0,40}",
        1 => "\\PC{0,20}",
    ];
    prop_oneof![
        8 => Just(QuerySpec::None),
        1 => "(?s).{0,40}".prop_map(QuerySpec::Raw),
        4 => vec((name, value), 1..4).prop_map(QuerySpec::Pairs),
    ]
}

/// One generated request.
#[derive(Debug, Clone)]
struct ReqSpec {
    /// `Some(k)`: a "one-fault" request, sane in every respect except dimension `k` (0 method,
    /// 1 path, 2 query, 3 content type, 4 body, 5 credentials), so that hostile values also reach
    /// the deeper steps; `None`: everything as generated.
    focus: Option<usize>,
    /// Which valid body a one-fault request sends when its body is not the fault.
    sane_body: Index,
    method: Option<String>,
    path: PathSpec,
    query: QuerySpec,
    content_type: Option<String>,
    has_body: Option<bool>,
    body: BodySpec,
    auth: AuthSpec,
}

fn req_spec() -> impl Strategy<Value = ReqSpec> {
    let content_type = prop_oneof![
        8 => Just(Some("application/json".to_string())),
        2 => select(vec![
                "application/json; charset=utf-8",
                "APPLICATION/JSON",
                " application/json ;",
                "application/jsonp",
                "text/plain",
                "multipart/form-data; boundary=x",
                "",
            ]
        )
        .prop_map(|s| Some(s.to_string())),
        1 => Just(None),
        1 => "\\PC{0,30}".prop_map(Some),
    ];
    (
        (prop::option::weighted(0.6, 0usize..6), any::<Index>()),
        prop::option::weighted(0.1, method()),
        path_spec(),
        query_spec(),
        content_type,
        prop::option::weighted(0.1, any::<bool>()),
        body_spec(),
        auth_spec(),
    )
        .prop_map(
            |((focus, sane_body), method, path, query, content_type, has_body, body, auth)| {
                ReqSpec {
                    focus,
                    sane_body,
                    method,
                    path,
                    query,
                    content_type,
                    has_body,
                    body,
                    auth,
                }
            },
        )
}

/// What a case has learned from earlier answers (tokens, secrets, credentials), so that later
/// requests can use real ones.
#[derive(Debug, Default)]
struct CaseState {
    token: Option<String>,
    secret: Option<String>,
    /// clientId, accessToken, certificate (as JSON text).
    worker_creds: Option<(String, String, Option<String>)>,
}

/// A realized request.
struct Built {
    method: String,
    path: String,
    query: Option<String>,
    resource: String,
    content_type: Option<String>,
    has_body: bool,
    body: Vec<u8>,
    authorization: Option<String>,
}

fn realize_body(
    svc: &Service,
    spec: &BodySpec,
    routed_input: Option<&str>,
    st: &CaseState,
) -> Vec<u8> {
    match spec {
        BodySpec::Empty => Vec::new(),
        BodySpec::Bytes(b) => b.clone(),
        BodySpec::Text(t) => t.clone().into_bytes(),
        BodySpec::Json(v) => v.to_string().into_bytes(),
        BodySpec::Template {
            own,
            schema,
            pick,
            mutation,
        } => {
            let schema = match routed_input {
                Some(s) if *own => s,
                _ => INPUT_SCHEMAS[schema.index(INPUT_SCHEMAS.len())],
            };
            let templates = body_templates(svc, schema);
            if templates.is_empty() {
                return b"{}".to_vec();
            }
            let mut body = templates[pick.index(templates.len())].clone();
            if body.get("secret").and_then(Value::as_str) == Some("$SECRET") {
                body["secret"] = json!(st.secret.clone().unwrap_or_else(|| SECRET.to_string()));
            }
            if let Some(m) = mutation {
                mutate(&mut body, m);
            }
            body.to_string().into_bytes()
        }
    }
}

fn realize_query(spec: &QuerySpec, st: &CaseState) -> Option<String> {
    match spec {
        QuerySpec::None => None,
        QuerySpec::Raw(r) => Some(r.clone()),
        QuerySpec::Pairs(pairs) => Some(
            pairs
                .iter()
                .map(|(k, v)| {
                    let v = if v == "$TOKEN" {
                        st.token.clone().unwrap_or_else(|| "w".to_string())
                    } else {
                        v.clone()
                    };
                    format!("{k}={v}")
                })
                .collect::<Vec<_>>()
                .join("&"),
        ),
    }
}

/// Signs a request with the `hawk` crate (an independent implementation), then tampers with it.
#[allow(clippy::too_many_arguments)]
fn hawk_header(
    id: &str,
    key: &str,
    ext: Option<&str>,
    b: &Built,
    path_only: &str,
    tamper: &Tamper,
    hash: bool,
) -> Option<String> {
    let ct = b.content_type.as_deref().unwrap_or("");
    let payload_hash = if hash {
        let body: &[u8] = if matches!(tamper, Tamper::Hash) {
            b"tampered"
        } else {
            &b.body
        };
        Some(hawk::PayloadHasher::hash(ct, hawk::SHA256, body).ok()?)
    } else {
        None
    };
    let method = if matches!(tamper, Tamper::Method) {
        if b.method == "GET" {
            "POST"
        } else {
            "GET"
        }
    } else {
        b.method.as_str()
    };
    let resource = if matches!(tamper, Tamper::NoQuery) {
        path_only
    } else {
        b.resource.as_str()
    };
    let host = if matches!(tamper, Tamper::Host) {
        "example.com"
    } else {
        HOST
    };
    let port = if matches!(tamper, Tamper::Port) {
        PORT + 1
    } else {
        PORT
    };
    let mut rb = hawk::RequestBuilder::new(method, host, port, resource);
    if let Some(h) = &payload_hash {
        rb = rb.hash(&h[..]);
    }
    if let Some(e) = ext {
        rb = rb.ext(e);
    }
    let creds = hawk::Credentials {
        id: id.to_string(),
        key: hawk::Key::new(key.as_bytes(), hawk::SHA256).ok()?,
    };
    let ts = match tamper {
        Tamper::Skew(s) if *s >= 0 => SystemTime::now() + Duration::from_secs(*s as u64),
        Tamper::Skew(s) => SystemTime::now() - Duration::from_secs(s.unsigned_abs()),
        _ => SystemTime::now(),
    };
    let header = rb.request().make_header_full(&creds, ts, "n0nce").ok()?;
    Some(format!("Hawk {header}"))
}

fn b64(bytes: &[u8], url_safe: bool) -> String {
    if url_safe {
        URL_SAFE_NO_PAD.encode(bytes)
    } else {
        STANDARD.encode(bytes)
    }
}

fn realize_auth(svc: &Service, spec: &AuthSpec, b: &Built, st: &CaseState) -> Option<String> {
    match spec {
        AuthSpec::None | AuthSpec::Bewit { .. } => None,
        AuthSpec::Raw(r) => Some(r.clone()),
        AuthSpec::HawkLike {
            scheme,
            separator,
            attrs,
            tail,
        } => {
            let pairs: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            Some(format!("{scheme}{separator}{}{tail}", pairs.join(", ")))
        }
        AuthSpec::Signed {
            who,
            ext,
            tamper,
            hash,
        } => {
            let path_only = b.resource.split('?').next().unwrap_or("");
            let root_token = svc.root_access_token();
            let ext_text = match ext {
                ExtSpec::None => None,
                ExtSpec::RandomBytes(bytes, u) => Some(b64(bytes, *u)),
                ExtSpec::Json(v, u) => Some(b64(v.to_string().as_bytes(), *u)),
            };
            match who {
                Who::Root => hawk_header(
                    ROOT_CLIENT_ID,
                    &root_token,
                    ext_text.as_deref(),
                    b,
                    path_only,
                    tamper,
                    *hash,
                ),
                Who::UnknownClient => hawk_header(
                    "fuzz/nobody",
                    &root_token,
                    ext_text.as_deref(),
                    b,
                    path_only,
                    tamper,
                    *hash,
                ),
                Who::WrongKey => hawk_header(
                    ROOT_CLIENT_ID,
                    "not-the-token",
                    ext_text.as_deref(),
                    b,
                    path_only,
                    tamper,
                    *hash,
                ),
                Who::Worker => {
                    let (id, key, cert) = st.worker_creds.clone().unwrap_or((
                        ROOT_CLIENT_ID.to_string(),
                        root_token.clone(),
                        None,
                    ));
                    let ext = match (cert, ext_text) {
                        (Some(c), _) => {
                            Some(b64(format!("{{\"certificate\":{c}}}").as_bytes(), false))
                        }
                        (None, e) => e,
                    };
                    hawk_header(&id, &key, ext.as_deref(), b, path_only, tamper, *hash)
                }
                Who::Temporary(c) => {
                    let now = svc.clock.now_ms();
                    let seed = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";
                    let (start, expiry) = (now + c.start_offset_ms, now + c.expiry_offset_ms);
                    let name = "fuzz/temporary";
                    let named = c.named.then_some((name, ROOT_CLIENT_ID));
                    let signature = sign_certificate(
                        &root_token,
                        &certificate_signature_string(named, seed, start, expiry, &c.scopes),
                    );
                    let mut cert = json!({
                        "version": 1, "seed": seed, "start": start, "expiry": expiry,
                        "scopes": c.scopes, "signature": signature,
                    });
                    if c.named {
                        cert["issuer"] = json!(ROOT_CLIENT_ID);
                    }
                    if let Some(m) = &c.mutation {
                        mutate(&mut cert, m);
                    }
                    let mut ext = json!({ "certificate": cert });
                    if let Some(a) = &c.authorized_scopes {
                        ext["authorizedScopes"] = a.clone();
                    }
                    let id = if c.named { name } else { ROOT_CLIENT_ID };
                    let key = temporary_access_token(&root_token, seed);
                    let ext = b64(ext.to_string().as_bytes(), false);
                    hawk_header(id, &key, Some(&ext), b, path_only, tamper, *hash)
                }
            }
        }
    }
}

/// The whole request, realized against a service and what the case learned so far.
impl ReqSpec {
    /// The request to send: as generated, or sane except in its focus dimension.
    fn focused(&self) -> ReqSpec {
        let Some(k) = self.focus else {
            return self.clone();
        };
        let mut r = self.clone();
        if k != 0 {
            r.method = None;
        }
        if k != 1 {
            if let PathSpec::Route {
                route,
                segs,
                coherent,
                ..
            } = &self.path
            {
                r.path = PathSpec::Route {
                    route: *route,
                    segs: segs.iter().map(|_| Seg::Known(*route)).collect(),
                    coherent: Some(coherent.unwrap_or(*route)),
                    trailing_slash: false,
                };
            }
        }
        if k != 2 {
            r.query = QuerySpec::None;
        }
        if k != 3 {
            r.content_type = Some("application/json".to_string());
            r.has_body = None;
        }
        if k != 4 {
            r.body = BodySpec::Template {
                own: true,
                schema: self.sane_body,
                pick: self.sane_body,
                mutation: None,
            };
        }
        if k != 5 {
            r.auth = AuthSpec::Signed {
                who: Who::Root,
                ext: ExtSpec::None,
                tamper: Tamper::None,
                hash: true,
            };
        }
        r
    }
}

fn build(svc: &Service, spec: &ReqSpec, st: &CaseState) -> Built {
    let spec = &spec.focused();
    let (template_method, path) = spec.path.realize();
    let method = spec
        .method
        .clone()
        .unwrap_or_else(|| template_method.to_string());
    let routed_input = match svc.catalog.match_route(&method, &path) {
        RouteOutcome::Matched(m) => m
            .entry
            .input
            .as_deref()
            .map(worker_manager_schemas::files::schema_name_from_ref),
        _ => None,
    };
    let body = realize_body(svc, &spec.body, routed_input, st);
    let mut query = realize_query(&spec.query, st);
    let mut resource = match &query {
        Some(q) => format!("{API_PREFIX}{path}?{q}"),
        None => format!("{API_PREFIX}{path}"),
    };
    if let AuthSpec::Bewit {
        ttl_secs,
        right_key,
    } = &spec.auth
    {
        let token = if *right_key {
            svc.root_access_token()
        } else {
            "not-the-token".to_string()
        };
        let exp = if *ttl_secs >= 0 {
            SystemTime::now() + Duration::from_secs(*ttl_secs as u64)
        } else {
            SystemTime::now() - Duration::from_secs(ttl_secs.unsigned_abs())
        };
        let bewit = hawk::Key::new(token.as_bytes(), hawk::SHA256)
            .ok()
            .and_then(|key| {
                let creds = hawk::Credentials {
                    id: ROOT_CLIENT_ID.to_string(),
                    key,
                };
                hawk::RequestBuilder::new(&method, HOST, PORT, &resource)
                    .request()
                    .make_bewit(&creds, exp)
                    .ok()
                    .map(|b| b.to_str())
            });
        if let Some(b) = bewit {
            let q = match &query {
                Some(q) => format!("{q}&bewit={b}"),
                None => format!("bewit={b}"),
            };
            resource = format!("{API_PREFIX}{path}?{q}");
            query = Some(q);
        }
    }
    let mut built = Built {
        method,
        path,
        query,
        resource,
        content_type: spec.content_type.clone(),
        has_body: spec.has_body.unwrap_or(!body.is_empty()),
        body,
        authorization: None,
    };
    built.authorization = realize_auth(svc, &spec.auth, &built, st);
    built
}

/// The only 5xx answers a documented rule allows for client input (none are expected, but this
/// one mirrors upstream deliberately): registerWorker in a static pool whose
/// `lifecycle.reregistrationTimeout` is negative.
fn documented_5xx(method: &str, a: &Answer) -> bool {
    method == "registerWorker"
        && a.status == 500
        && a.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("reregistrationTimeout is negative"))
}

/// The checks every pipeline answer must pass.
fn check_answer(routed: &str, a: &Answer, b: &Built) -> Result<(), TestCaseError> {
    let text = a.body.to_string();
    prop_assert!(
        a.status == 200 || (400..500).contains(&a.status) || documented_5xx(routed, a),
        "{} {} answered {}: {}",
        b.method,
        b.resource,
        a.status,
        text
    );
    if a.status == 200 {
        prop_assert!(a.error_code.is_none());
        prop_assert!(a.body.is_object(), "a success body is an object: {text}");
    } else {
        let code = a.body["code"].as_str();
        prop_assert!(code.is_some(), "error without code: {text}");
        let ec = a.error_code.expect("error answers carry their code");
        prop_assert_eq!(code.unwrap(), ec.as_str());
        prop_assert_eq!(ec.status(), a.status);
        let message = a.body["message"].as_str().unwrap_or("");
        prop_assert!(!message.is_empty(), "error without message: {text}");
        prop_assert!(
            message.contains(&format!("* errorCode:  {}", ec.as_str())),
            "message lacks the trailer: {text}"
        );
        let info = &a.body["requestInfo"];
        prop_assert!(info.is_object(), "error without requestInfo: {text}");
        prop_assert_eq!(info["method"].as_str(), Some(routed), "{}", text);
        prop_assert!(info["params"].is_object(), "requestInfo.params: {text}");
        prop_assert!(info.get("payload").is_some(), "requestInfo.payload: {text}");
        prop_assert!(
            info["time"]
                .as_str()
                .and_then(worker_manager_mock::time::parse_date_time)
                .is_some(),
            "requestInfo.time: {text}"
        );
        if ec == ErrorCode::AuthenticationFailed {
            prop_assert!(b.authorization.is_some() || b.query.is_some());
        }
    }
    // Secrets are never echoed back where upstream redacts them: the whole payload of
    // registerWorker/reregisterWorker, `providerInfo.staticSecret` of createWorker/updateWorker.
    // (Other methods echo their payload, whatever it holds, as upstream does.)
    if let Ok(mut sent) = serde_json::from_slice::<Value>(&b.body) {
        let whole = ["registerWorker", "reregisterWorker"].contains(&routed);
        let static_secret =
            routed.starts_with("createWorker") || routed.starts_with("updateWorker");
        let secret_sent = sent.to_string().contains(SECRET);
        if let Some(v) = sent.pointer_mut("/providerInfo/staticSecret") {
            v.take();
        }
        let in_path = b.resource.contains(SECRET);
        let elsewhere = in_path
            || sent.to_string().contains(SECRET)
            || secret_in_credentials(b.authorization.as_deref());
        if secret_sent && ((whole && !in_path) || (static_secret && !elsewhere)) {
            prop_assert!(!text.contains(SECRET), "secret echoed: {text}");
        }
    }
    Ok(())
}

/// Whether a request carried [`SECRET`] in its credentials: as the Hawk `id` or inside the
/// base64 `ext` (a certificate's issuer, say), which 401 messages echo as the real service's do.
fn secret_in_credentials(authorization: Option<&str>) -> bool {
    let Some(header) = authorization else {
        return false;
    };
    let ext = header
        .split_once("ext=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .and_then(|(b64, _)| STANDARD.decode(b64).ok());
    header.contains(SECRET)
        || ext.is_some_and(|bytes| String::from_utf8_lossy(&bytes).contains(SECRET))
}

#[test]
fn secrets_in_credentials_are_found_in_the_id_and_in_ext() {
    let ext = STANDARD.encode(json!({"certificate": {"issuer": SECRET}}).to_string());
    assert!(secret_in_credentials(Some(&format!(
        r#"Hawk id="x", ts="1", nonce="n", ext="{ext}", mac="m""#
    ))));
    assert!(secret_in_credentials(Some(&format!(
        r#"Hawk id="{SECRET}", ts="1", nonce="n", mac="m""#
    ))));
    let other = STANDARD.encode(json!({"certificate": {"issuer": "root"}}).to_string());
    assert!(!secret_in_credentials(Some(&format!(
        r#"Hawk id="x", ts="1", nonce="n", ext="{other}", mac="m""#
    ))));
    assert!(!secret_in_credentials(None));
}

/// Runs one generated request through routing and the pipeline, checks the answer and the store.
/// Returns the routed method name, if the request was routed.
fn run_one(
    svc: &Service,
    spec: &ReqSpec,
    st: &mut CaseState,
) -> Result<Option<(String, u16)>, TestCaseError> {
    let b = build(svc, spec, st);
    let raw = RawRequest {
        method: &b.method,
        resource: &b.resource,
        query: b.query.as_deref(),
        authorization: b.authorization.as_deref(),
        content_type: b.content_type.as_deref(),
        has_body: b.has_body,
        host: HOST.into(),
        port: PORT,
        body: &b.body,
    };
    let what = || {
        let store = svc.store().check_invariants();
        format!(
            "{} {} (store invariants afterwards: {store:?})",
            b.method, b.resource
        )
    };
    let routed_answer = no_panic(what, || match svc.catalog.match_route(&b.method, &b.path) {
        RouteOutcome::Matched(m) => Some((
            m.routed_name.to_string(),
            pipeline::process(svc, &m, &raw, &Overrides::default()),
        )),
        RouteOutcome::BadEncoding { entry, param } => Some((
            entry.name.clone(),
            pipeline::bad_encoding(svc, &entry.name, &param),
        )),
        _ => None,
    })?;
    let Some((routed, answer)) = routed_answer else {
        return Ok(None);
    };
    check_answer(&routed, &answer, &b)?;
    if let Err(e) = svc.store().check_invariants() {
        return Err(TestCaseError::fail(format!(
            "store invariant broken after {} {}: {e}",
            b.method, b.resource
        )));
    }
    if answer.status == 200 {
        if let Some(t) = answer.body["continuationToken"].as_str() {
            st.token = Some(t.to_string());
        }
        if let Some(s) = answer.body["secret"].as_str() {
            st.secret = Some(s.to_string());
        }
        let c = &answer.body["credentials"];
        if let (Some(id), Some(token)) = (c["clientId"].as_str(), c["accessToken"].as_str()) {
            st.worker_creds = Some((
                id.to_string(),
                token.to_string(),
                c["certificate"].as_str().map(str::to_string),
            ));
        }
    }
    Ok(Some((routed, answer.status)))
}

/// A `TestRunner` for properties that print a summary: `cases` (or `PROPTEST_CASES`), failures
/// persisted next to this file like the `proptest!` ones.
fn runner(cases: u32, max_shrink_iters: u32) -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases: config(cases).cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        max_shrink_iters,
        ..RunnerConfig::default()
    })
}

/// The pipeline never panics and never answers 5xx on hostile requests (routes with hostile
/// parameters, arbitrary query strings and content types, random or nearly valid bodies, random
/// or tampered credentials), in strict and permissive mode, 1 to 6 requests per case against a
/// fresh seeded service; every error is a 4xx with a well-formed Taskcluster error body (`code`,
/// `message` with its trailer, `requestInfo`), secrets are not echoed where upstream redacts
/// them, and the store's invariants hold after every request.
#[test]
fn pipeline_survives_hostile_requests() {
    let tally = std::sync::Mutex::new(std::collections::BTreeMap::<(String, u16), usize>::new());
    let mut runner = runner(1000, 2048);
    let cases = runner.config().cases;
    let result = runner.run(&(any::<bool>(), vec(req_spec(), 1..7)), |(strict, reqs)| {
        let svc = fuzz_service(if strict {
            AuthMode::Strict
        } else {
            AuthMode::Permissive
        });
        let mut st = CaseState::default();
        for r in &reqs {
            if let Some((routed, status)) = run_one(&svc, r, &mut st)? {
                *tally.lock().unwrap().entry((routed, status)).or_default() += 1;
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let tally = tally.into_inner().unwrap();
    let answered: usize = tally.values().sum();
    let ok: usize = tally
        .iter()
        .filter(|((_, s), _)| *s == 200)
        .map(|(_, n)| n)
        .sum();
    let mut ok_by_method = std::collections::BTreeMap::<&str, usize>::new();
    for ((m, s), n) in &tally {
        if *s == 200 {
            *ok_by_method.entry(m.as_str()).or_default() += n;
        }
    }
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for ((_, s), n) in &tally {
        *by_status.entry(*s).or_default() += n;
    }
    println!(
        "pipeline fuzz: {cases} cases, {answered} routed requests, {ok} answered 200; by status \
         {by_status:?}; 200s by method {ok_by_method:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Deterministic regressions for what the fuzzers found
// ---------------------------------------------------------------------------------------------

/// Runs one JSON request through a permissive service's pipeline.
fn call(svc: &Service, method: &str, path: &str, body: Option<Value>) -> Answer {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let resource = format!("{API_PREFIX}{path}");
    let raw = RawRequest {
        method,
        resource: &resource,
        query: None,
        authorization: None,
        content_type: Some("application/json"),
        has_body: !text.is_empty(),
        host: HOST.into(),
        port: PORT,
        body: text.as_bytes(),
    };
    let RouteOutcome::Matched(m) = svc.catalog.match_route(method, path) else {
        panic!("{method} {path} does not route");
    };
    pipeline::process(svc, &m, &raw, &Overrides::default())
}

/// A worker capacity of `u64::MAX` (the schema sets no maximum) in a pool that already has a
/// running worker must not overflow the pool counters: createWorker answers 200 or a 4xx, the
/// store's invariants hold, and `workerPool` still answers. (Found by fuzzing: it used to panic
/// in `Counters::apply` with the store lock held, leaving counters that differ from a recount.)
#[test]
fn huge_worker_capacities_do_not_overflow_pool_counters() {
    let svc = fuzz_service(AuthMode::Permissive);
    let body = json!({"expires": common::in_days(365), "capacity": u64::MAX,
                      "providerInfo": {"staticSecret": SECRET}});
    // proj/static already holds w1 (running, capacity 1).
    let outcome = quietly(|| {
        call(
            &svc,
            "PUT",
            "/workers/proj%2Fstatic/wg/huge",
            Some(body.clone()),
        )
    });
    let invariants = svc.store().check_invariants();
    let status = match outcome {
        Ok(a) => a.status,
        Err(panic) => panic!(
            "createWorker with capacity u64::MAX panicked ({panic}); store invariants afterwards: \
             {invariants:?}"
        ),
    };
    assert!(
        status == 200 || (400..500).contains(&status),
        "status {status}"
    );
    assert_eq!(invariants, Ok(()));
    let pool = call(&svc, "GET", "/worker-pool/proj%2Fstatic", None);
    assert_eq!(pool.status, 200, "{}", pool.body);
}

/// Very long seeded `reregistrationTimeout`s must not break registerWorker: the credential expiry
/// `now + timeout` must neither overflow (`i64::MAX / 1000` s, the most an `i64` of milliseconds
/// holds) nor land past year 9999 and break the output schema (`3e11` s). Either the scenario
/// loader refuses the value, pointing at it, or registerWorker answers 200 or a 4xx; the store's
/// invariants hold. (Found by fuzzing: both used to be accepted, then a panic and a 500.)
#[test]
fn long_seeded_reregistration_timeouts_do_not_break_registration() {
    let mut failures = Vec::new();
    for seconds in [i64::MAX / 1000, 300_000_000_000, 2_592_000] {
        let svc = fuzz_service(AuthMode::Permissive);
        let loaded = Scenario::from_json_str(
            &json!({"seed": {"workers": [{
                "workerPoolId": "proj/cloud", "providerId": "aws", "workerGroup": "us-east-1",
                "workerId": "long", "state": "requested", "reregistrationTimeout": seconds
            }]}})
            .to_string(),
            "long.json",
        );
        let scenario = match loaded {
            Ok(s) => s,
            Err(e) => {
                if e.pointer() != "/seed/workers/0/reregistrationTimeout" {
                    failures.push(format!("{seconds} s: refused at the wrong place: {e}"));
                }
                continue;
            }
        };
        install(&svc, &scenario, LoadMode::Append).expect("the seed applies");
        let proof = worker_manager_mock::proofs::issue(
            svc.proof_key(),
            ProviderType::Aws,
            "proj/cloud",
            "us-east-1",
            "long",
        );
        let body = json!({"workerPoolId": "proj/cloud", "providerId": "aws",
                          "workerGroup": "us-east-1", "workerId": "long",
                          "workerIdentityProof": proof});
        match quietly(|| call(&svc, "POST", "/worker/register", Some(body.clone()))) {
            Err(panic) => failures.push(format!("{seconds} s: registerWorker panicked: {panic}")),
            Ok(a) if a.status != 200 && !(400..500).contains(&a.status) => failures.push(format!(
                "{seconds} s: registerWorker answered {}: {}",
                a.status, a.body
            )),
            Ok(_) => {}
        }
        let invariants = svc.store().check_invariants();
        if let Err(e) = invariants {
            failures.push(format!("{seconds} s: store invariant broken: {e}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------------
// (c) Raw HTTP over TCP
// ---------------------------------------------------------------------------------------------

/// One raw request, as bytes on the wire.
#[derive(Debug, Clone)]
enum WireSpec {
    /// Anything at all.
    Bytes(Vec<u8>),
    /// The HTTP/2 preface followed by anything.
    H2(Vec<u8>),
    /// A request shaped like HTTP/1.
    Http1 {
        method: Vec<u8>,
        target: Vec<u8>,
        version: Vec<u8>,
        host: bool,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        content_length: Option<Vec<u8>>,
        chunked: bool,
        body: Vec<u8>,
        line_end: Vec<u8>,
    },
}

fn wire_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..max),
        1 => "\\PC{0,40}".prop_map(String::into_bytes),
        1 => vec(select(vec![0x80u8, 0xff, 0xc3, 0xa9, 0xed, 0xa0, 0x00, b'%', b'/', b' ', b'\r', b'\n']), 0..24),
    ]
}

fn wire_spec() -> impl Strategy<Value = WireSpec> {
    let target = prop_oneof![
        4 => (vec(select(vec!["/workers/", "proj%2Fstatic", "/wg/", "w1", "/worker-pool/", "%ZZ", "%C3", "?limit=", "%FF", ":", "/stats"]), 0..6), wire_bytes(24))
            .prop_map(|(pieces, tail)| {
                let mut t = API_PREFIX.as_bytes().to_vec();
                t.extend(pieces.concat().into_bytes());
                t.extend(tail);
                t
            }),
        1 => select(vec!["*", "/", "", "http://127.0.0.1/api/worker-manager/v1/ping", "//x", "/t/", "/t/zz/api/worker-manager/v1/ping", "/__mock__/state", "/schemas/worker-manager/v1/%2e%2e%2fapi"])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => (10_000usize..20_000).prop_map(|n| format!("{API_PREFIX}/workers/{}", "a".repeat(n)).into_bytes()),
        1 => wire_bytes(60),
    ];
    let header = prop_oneof![
        3 => (
            select(vec!["authorization", "content-type", "x-forwarded-port", "x-forwarded-proto", "host", "transfer-encoding", "expect", "connection", "x-taskcluster-trace-id", "upgrade"])
                .prop_map(|s| s.as_bytes().to_vec()),
            prop_oneof![
                select(vec!["Hawk id=\"x\", ts=\"1\", nonce=\"n\", mac=\"m\"", "application/json", "https", "99999", "-1", "chunked", "100-continue", "close", "h2c", "", " "])
                    .prop_map(|s| s.as_bytes().to_vec()),
                wire_bytes(40),
            ],
        ),
        1 => (wire_bytes(12), wire_bytes(40)),
        1 => (Just(b"x-huge".to_vec()), (1_000usize..80_000).prop_map(|n| vec![b'h'; n])),
    ];
    let http1 = (
        prop_oneof![
            4 => select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"]).prop_map(|s| s.as_bytes().to_vec()),
            1 => wire_bytes(10),
        ],
        target,
        prop_oneof![
            6 => Just(b"HTTP/1.1".to_vec()),
            1 => select(vec!["HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "", "http/1.1", "HTTP/1.1 extra"]).prop_map(|s| s.as_bytes().to_vec()),
        ],
        prop::bool::weighted(0.8),
        vec(header, 0..5),
        prop::option::weighted(
            0.4,
            prop_oneof![
                (0usize..200).prop_map(|n| n.to_string().into_bytes()),
                select(vec!["abc", "-1", "99999999999999999999", "1, 2", ""]).prop_map(|s| s.as_bytes().to_vec()),
            ]
        ),
        prop::bool::weighted(0.1),
        prop_oneof![
            3 => wire_bytes(80),
            1 => any_json().prop_map(|v| v.to_string().into_bytes()),
            1 => Just(b"5\r\n{\"a\":\r\nZZ\r\n".to_vec()),
        ],
        prop_oneof![6 => Just(b"\r\n".to_vec()), 1 => Just(b"\n".to_vec()), 1 => Just(b"\r".to_vec())],
    )
        .prop_map(
            |(method, target, version, host, headers, content_length, chunked, body, line_end)| {
                WireSpec::Http1 {
                    method,
                    target,
                    version,
                    host,
                    headers,
                    content_length,
                    chunked,
                    body,
                    line_end,
                }
            },
        );
    prop_oneof![
        8 => http1,
        1 => wire_bytes(200).prop_map(WireSpec::Bytes),
        1 => wire_bytes(100).prop_map(WireSpec::H2),
    ]
}

impl WireSpec {
    fn bytes(&self, addr: &str) -> Vec<u8> {
        match self {
            WireSpec::Bytes(b) => b.clone(),
            WireSpec::H2(b) => {
                let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
                out.extend(b);
                out
            }
            WireSpec::Http1 {
                method,
                target,
                version,
                host,
                headers,
                content_length,
                chunked,
                body,
                line_end,
            } => {
                let mut out = Vec::new();
                out.extend(method);
                out.push(b' ');
                out.extend(target);
                out.push(b' ');
                out.extend(version);
                out.extend(line_end);
                if *host {
                    out.extend(format!("Host: {addr}").as_bytes());
                    out.extend(line_end);
                }
                for (k, v) in headers {
                    out.extend(k);
                    out.extend(b": ");
                    out.extend(v);
                    out.extend(line_end);
                }
                if let Some(cl) = content_length {
                    out.extend(b"Content-Length: ");
                    out.extend(cl);
                    out.extend(line_end);
                }
                if *chunked {
                    out.extend(b"Transfer-Encoding: chunked");
                    out.extend(line_end);
                }
                out.extend(line_end);
                out.extend(body);
                out
            }
        }
    }
}

/// Sends raw bytes on a fresh connection, closes the sending side and reads whatever comes back
/// (bounded in time). Returns the status of an HTTP/1 answer, if there was one.
async fn send_raw(addr: std::net::SocketAddr, bytes: &[u8]) -> Option<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    // The server may close early (e.g. after a 431); a failed write is part of the game.
    let _ = stream.write_all(bytes).await;
    let _ = stream.shutdown().await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    let text = String::from_utf8_lossy(&reply[..reply.len().min(64)]).to_string();
    let rest = text.strip_prefix("HTTP/1.")?;
    rest.get(2..5)?.parse().ok()
}

/// Over real HTTP, malformed and hostile raw requests (bad request lines, huge headers, invalid
/// UTF-8 in paths, missing `Host`, bad `Content-Length` and chunking, HTTP/2 garbage) never crash
/// the server or panic a connection task: it answers `/ping` after every one, no answer is a
/// 500, and the store's invariants hold at the end.
#[test]
fn http_server_survives_malformed_requests() {
    install_panic_hook();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(async {
        MockServer::builder()
            .header_read_timeout(Duration::from_secs(2))
            .start()
            .await
            .expect("mock starts")
    });
    let addr = server.address();
    let ping_url = format!("{}/api/worker-manager/v1/ping", server.root_url());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut runner = runner(256, 256);
    let cases = runner.config().cases;
    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
    let result = runner.run(&wire_spec(), |spec| {
        let bytes = spec.bytes(&addr.to_string());
        let status = rt.block_on(send_raw(addr, &bytes));
        *statuses
            .lock()
            .unwrap()
            .entry(status.map_or("none".into(), |s| s.to_string()))
            .or_default() += 1;
        if let Some(s) = status {
            let bad_version = matches!(&spec, WireSpec::Http1 { version, .. } if version != b"HTTP/1.1" && version != b"HTTP/1.0");
            prop_assert!(s < 500 || (s == 505 && bad_version), "answered {s} to {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]));
        }
        let ping = rt.block_on(async { http.get(&ping_url).send().await.map(|r| r.status().as_u16()) });
        prop_assert_eq!(ping.ok(), Some(200), "no /ping after {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]));
        prop_assert_eq!(SERVER_PANICS.load(Ordering::SeqCst), 0, "a server task panicked");
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(server.service().store().check_invariants(), Ok(()));
    println!(
        "raw HTTP: {cases} cases, answers by status: {:?}",
        statuses.lock().unwrap()
    );
    rt.block_on(server.shutdown());
}

// ---------------------------------------------------------------------------------------------
// (d) Scenario files
// ---------------------------------------------------------------------------------------------

fn fixture_scenarios() -> &'static [(String, Value)] {
    static ALL: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let dir = fixtures_dir().join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, serde_json::from_str(&text).unwrap())
            })
            .collect()
    })
}

/// The text of a generated scenario file.
#[derive(Debug, Clone)]
enum ScenarioText {
    Any(String),
    Json(Value),
    /// A fixture with one or two mutations.
    Mutated(Index, Vec<Mutation>),
    /// A fixture cut short.
    Truncated(Index, Index),
}

fn scenario_text() -> impl Strategy<Value = ScenarioText> {
    prop_oneof![
        1 => prop_oneof!["(?s).{0,200}", "\\PC{0,200}"].prop_map(ScenarioText::Any),
        1 => any_json().prop_map(ScenarioText::Json),
        6 => (any::<Index>(), vec(mutation(), 1..3)).prop_map(|(f, m)| ScenarioText::Mutated(f, m)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(f, at)| ScenarioText::Truncated(f, at)),
    ]
}

impl ScenarioText {
    /// The text, and the document it is (when it is JSON).
    fn realize(&self) -> (String, Option<Value>) {
        let all = fixture_scenarios();
        match self {
            ScenarioText::Any(s) => (s.clone(), serde_json::from_str(s).ok()),
            ScenarioText::Json(v) => (v.to_string(), Some(v.clone())),
            ScenarioText::Mutated(f, muts) => {
                let mut doc = all[f.index(all.len())].1.clone();
                for m in muts {
                    mutate(&mut doc, m);
                }
                (serde_json::to_string_pretty(&doc).unwrap(), Some(doc))
            }
            ScenarioText::Truncated(f, at) => {
                let text = serde_json::to_string_pretty(&all[f.index(all.len())].1).unwrap();
                let cut: String = text.chars().take(at.index(text.chars().count())).collect();
                (cut, None)
            }
        }
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Scenario parsing never panics on arbitrary text, arbitrary JSON and mutated fixture
    /// scenarios; every refusal names the source and carries a JSON pointer (`""` for the whole
    /// document or a syntax error, otherwise `/...`) that leads into the document: to the value at
    /// fault, or to the object a required member is missing from.
    #[test]
    fn scenario_parsing_never_panics_and_points_at_the_fault(spec in scenario_text()) {
        let (text, doc) = spec.realize();
        match Scenario::from_json_str(&text, "fuzz.json") {
            Ok(s) => {
                // What loads re-serializes into something that loads again.
                let again = serde_json::to_string(&s).unwrap();
                prop_assert!(Scenario::from_json_str(&again, "again.json").is_ok(), "{again}");
            }
            Err(e) => {
                prop_assert_eq!(e.source_name(), "fuzz.json");
                let shown = e.to_string();
                prop_assert!(shown.starts_with("fuzz.json: "), "{shown}");
                let p = e.pointer();
                prop_assert!(p.is_empty() || p.starts_with('/'), "pointer {p:?} in {shown}");
                prop_assert!(!e.reason().is_empty(), "{shown}");
                if let Some(doc) = doc {
                    // The pointer (or, for a missing member, its parent) exists in the document.
                    let parent = p.rsplit_once('/').map_or("", |(a, _)| a);
                    prop_assert!(
                        doc.pointer(p).is_some() || doc.pointer(parent).is_some(),
                        "pointer {p:?} leads nowhere in the document: {shown}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (e) Hawk header, ext, certificate and bewit parsing
// ---------------------------------------------------------------------------------------------

fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "(?s).{0,80}",
        1 => "\\PC{0,80}",
        4 => (
            select(vec!["Hawk ", "hawk\t", "HAWK  ", "Hawk", "Bearer ", "Hawk\n", " Hawk "]),
            vec(
                (
                    select(vec!["id", "ts", "nonce", "mac", "hash", "ext", "app", "dlg", "x", ""]),
                    select(vec!["=\"", "=", "=\"\"", " = \""]),
                    "[ -~]{0,12}",
                    select(vec!["\"", "", "\\\"", "\"\""]),
                    select(vec![", ", ",", " ", "", ",,"]),
                ),
                0..10
            ),
        )
            .prop_map(|(scheme, parts)| {
                let attrs: String = parts
                    .into_iter()
                    .map(|(k, eq, v, close, sep)| format!("{k}{eq}{v}{close}{sep}"))
                    .collect();
                format!("{scheme}{attrs}")
            }),
        1 => (3000usize..5000).prop_map(|n| format!("Hawk id=\"{}\"", "x".repeat(n))),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    /// The `Authorization` header parser never panics; what it accepts has only valid attribute
    /// values, and an accepted header re-parses the same after a canonical re-serialization.
    #[test]
    fn hawk_header_parsing_never_panics(header in header_text()) {
        if let Ok(h) = parse_authorization_header(&header) {
            let attrs = [
                ("id", &h.id), ("ts", &h.ts), ("nonce", &h.nonce), ("mac", &h.mac),
                ("hash", &h.hash), ("ext", &h.ext), ("app", &h.app), ("dlg", &h.dlg),
            ];
            let mut parts = Vec::new();
            for (name, v) in attrs {
                if let Some(v) = v {
                    prop_assert!(is_valid_attribute_value(v), "{name}={v:?} from {header:?}");
                    parts.push(format!("{name}=\"{v}\""));
                }
            }
            if !parts.is_empty() {
                let canonical = format!("Hawk {}", parts.join(", "));
                prop_assert_eq!(parse_authorization_header(&canonical), Ok(h));
            }
        }
    }

    /// `ext` decoding never panics on any text or base64 of any bytes or JSON; `authorizedScopes`
    /// is only ever a list of valid scopes.
    #[test]
    fn ext_parsing_never_panics(
        ext in prop_oneof![
            "(?s).{0,60}".boxed(),
            (vec(any::<u8>(), 0..60), any::<bool>()).prop_map(|(b, u)| b64(&b, u)).boxed(),
            (any_json(), any::<bool>()).prop_map(|(v, u)| b64(v.to_string().as_bytes(), u)).boxed(),
            (vec(scope(), 0..4), any::<bool>())
                .prop_map(|(s, u)| b64(json!({"authorizedScopes": s}).to_string().as_bytes(), u)).boxed(),
        ]
    ) {
        let _ = decode_base64_lenient(&ext);
        if let Ok(parsed) = parse_ext(&ext) {
            if let Some(scopes) = parsed.authorized_scopes {
                for s in scopes {
                    prop_assert!(is_valid_scope(&s), "{s:?}");
                }
            }
        }
    }

    /// Certificate checks never panic on arbitrary JSON or on a valid certificate with one field
    /// mutated (numbers at the edges of `f64`/`i64` included); a mutated certificate that still
    /// passes keeps its scopes, and its grant expires when the certificate says.
    #[test]
    fn certificate_parsing_never_panics(
        cert in prop_oneof![
            any_json().prop_map(|c| (c, None)).boxed(),
            mutation().prop_map(|m| (json!(null), Some(m))).boxed(),
        ],
        named in any::<bool>(),
        credential_name in prop_oneof![Just("root".to_string()), "\\PC{0,12}"],
    ) {
        let now = 1_800_000_000_000i64;
        let token = "issuer-token";
        let scopes = vec!["*".to_string()];
        let issuer = IssuerInfo { client_id: "issuer", access_token: token, scopes: &scopes };
        let (mut cert, m) = cert;
        if let Some(m) = m {
            let seed = "s".repeat(44);
            let named_as = named.then_some((credential_name.as_str(), "issuer"));
            let sig = sign_certificate(
                token,
                &certificate_signature_string(named_as, &seed, now, now + 3_600_000, &["a:b".to_string()]),
            );
            cert = json!({"version": 1, "seed": seed, "start": now, "expiry": now + 3_600_000,
                          "scopes": ["a:b"], "signature": sig});
            if named {
                cert["issuer"] = json!("issuer");
            }
            mutate(&mut cert, &m);
        }
        if let Ok(issuer_name) = certificate_issuer(&cert, &credential_name) {
            if let Ok(grant) = validate_certificate(&cert, &credential_name, issuer_name.as_deref(), &issuer, now) {
                let want: Vec<String> = cert["scopes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                prop_assert_eq!(grant.scopes, want);
                let expiry = cert["expiry"].as_f64().unwrap_or(f64::NAN);
                prop_assert!((grant.expiry_ms as f64 - expiry).abs() < 1.0, "{} vs {}", grant.expiry_ms, expiry);
            }
        }
    }

    /// Bewit lookup and decoding never panic on arbitrary request targets and values.
    #[test]
    fn bewit_parsing_never_panics(
        resource in prop_oneof![
            "(?s).{0,80}",
            ("/[a-z/]{0,20}", select(vec!["?bewit=", "&bewit=", "?a=1&bewit=", "?bewit="]), "\\PC{0,40}", select(vec!["", "&", "&x=1", "$"]))
                .prop_map(|(p, b, v, t)| format!("{p}{b}{v}{t}")),
            (vec(any::<u8>(), 0..60), any::<bool>())
                .prop_map(|(b, u)| format!("/x?bewit={}", b64(&b, u))),
            "[a-zA-Z0-9+/_=-]{0,40}".prop_map(|s| format!("/x?bewit={}", b64(format!("{s}\\1\\m\\").as_bytes(), true))),
        ]
    ) {
        let _ = looks_like_bewit(&resource);
        if let Ok(found) = find_bewit(&resource) {
            let _ = decode_bewit(found.value);
        }
        if let Some((_, v)) = resource.split_once("bewit=") {
            let _ = decode_bewit(v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------

/// The fuzz setup is sound, so that pipeline failures are about the requests: the seed loads and
/// passes the invariants, every body template is valid, every route template routes, and the
/// generator's correct credentials (Hawk header, bewit) pass strict authentication.
#[test]
fn fuzz_setup_is_sound() {
    for mode in [AuthMode::Strict, AuthMode::Permissive] {
        let svc = fuzz_service(mode);
        assert_eq!(svc.store().check_invariants(), Ok(()));
        assert_eq!(svc.store().worker_count(), 5);
    }
    let svc = fuzz_service(AuthMode::Permissive);
    for schema in INPUT_SCHEMAS {
        for mut body in body_templates(&svc, schema) {
            if body.get("secret").and_then(Value::as_str) == Some("$SECRET") {
                body["secret"] = json!(SECRET);
            }
            let errors = svc.validators.validate(schema, &body).err();
            assert!(
                errors.is_none(),
                "{schema} template {body} is invalid: {errors:?}"
            );
        }
    }
    let names: BTreeSet<&str> = ROUTES
        .iter()
        .map(|(m, t)| {
            let path = t
                .replace("{P}", "proj%2Fstatic")
                .replace("{G}", "wg")
                .replace("{W}", "w1")
                .replace("{Q}", "proj")
                .replace("{T}", "static");
            match svc.catalog.match_route(m, &path) {
                RouteOutcome::Matched(r) => r.routed_name,
                other => panic!("{m} {path}: {other:?}"),
            }
        })
        .collect();
    assert!(names.len() >= 27, "{names:?}");
    // Correct credentials get through strict authentication: a signed header and a bewit.
    let strict = fuzz_service(AuthMode::Strict);
    let mut rng = TestRunner::deterministic();
    let ix = proptest::strategy::ValueTree::current(&any::<Index>().new_tree(&mut rng).unwrap());
    for auth in [
        AuthSpec::Signed {
            who: Who::Root,
            ext: ExtSpec::None,
            tamper: Tamper::None,
            hash: true,
        },
        AuthSpec::Bewit {
            ttl_secs: 600,
            right_key: true,
        },
    ] {
        let spec = ReqSpec {
            focus: Some(5),
            sane_body: ix,
            method: None,
            path: PathSpec::Raw("/worker-pool/proj%2Fstatic".into()),
            query: QuerySpec::None,
            content_type: None,
            has_body: None,
            body: BodySpec::Empty,
            auth: auth.clone(),
        };
        let got = run_one(&strict, &spec, &mut CaseState::default()).unwrap();
        assert_eq!(got, Some(("workerPool".to_string(), 200)), "{auth:?}");
    }
}

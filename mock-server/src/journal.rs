//! The request journal: what each request was, who sent it, which scenario rules fired and how it
//! was answered. Bounded: the oldest entries go first, large bodies are cut, and once the kept
//! response bodies pass a byte budget the oldest ones are replaced by a note of their size.
//! Secrets are redacted from the bodies it keeps.
//!
//! Cost model (issue 9): a response body is kept as the very bytes sent on the wire (a
//! reference-counted [`Bytes`], no copy); it is only parsed again when the journal is read. Only
//! answers that carry secrets (`registerWorker`, `reregisterWorker`: a top-level `secret` or
//! `credentials`) are copied to be redacted. Evicted entries are handed back by
//! [`Journal::push`] so the caller frees them after releasing its lock.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use axum::body::Bytes;
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use worker_manager_schemas::{Catalog, RouteOutcome};

use crate::error::OMITTED;
use crate::host::{api_relative, split_tenant};
use crate::time::Millis;

/// Bodies larger than this (as JSON text) are replaced by a note of their size.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Default budget of response-body bytes the journal keeps (see [`Journal::with_budget`]).
pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;

/// A response body as kept by the journal: JSON text, a note of the size of text that was cut,
/// or nothing (shown as `null`).
///
/// Serializes as the JSON value the text holds, so the journal's JSON is the same as when bodies
/// were kept as [`Value`]s. A note is held as its number and spelled out only when read: the
/// journal makes one per request once its body budget is spent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalBody(Kept);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Kept {
    #[default]
    Nothing,
    Text(Bytes),
    Cut(usize),
}

impl JournalBody {
    /// A body from JSON text already produced (the bytes sent on the wire), cut to a note of its
    /// size when longer than [`MAX_BODY_BYTES`].
    pub fn from_json_text(text: Bytes) -> JournalBody {
        if text.len() > MAX_BODY_BYTES {
            JournalBody::note(text.len())
        } else {
            JournalBody(Kept::Text(text))
        }
    }

    /// A body from a value (serialized compactly), cut like [`JournalBody::from_json_text`].
    pub fn from_value(v: &Value) -> JournalBody {
        match serde_json::to_vec(v) {
            Ok(t) => JournalBody::from_json_text(Bytes::from(t)),
            Err(_) => JournalBody(Kept::Nothing),
        }
    }

    /// The note that replaces a body of `bytes` bytes: reads as `{"bytes":N,"truncated":true}`.
    pub fn note(bytes: usize) -> JournalBody {
        JournalBody(Kept::Cut(bytes))
    }

    /// The JSON text kept (`None`: no body); a note's text is made here.
    pub fn text(&self) -> Option<Cow<'_, [u8]>> {
        match &self.0 {
            Kept::Nothing => None,
            Kept::Text(t) => Some(Cow::Borrowed(t)),
            Kept::Cut(n) => Some(Cow::Owned(note_text(*n).into_bytes())),
        }
    }

    /// How many bytes of text are kept (for a note, the length of its text).
    pub fn len(&self) -> usize {
        match &self.0 {
            Kept::Nothing => 0,
            Kept::Text(t) => t.len(),
            Kept::Cut(n) => NOTE_FRAME_BYTES + decimal_digits(*n),
        }
    }

    /// Whether no text is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body as a JSON value (`null` when there is none).
    pub fn to_json(&self) -> Value {
        match &self.0 {
            Kept::Nothing => Value::Null,
            Kept::Text(t) => serde_json::from_slice(t).unwrap_or(Value::Null),
            Kept::Cut(n) => json!({"bytes": n, "truncated": true}),
        }
    }
}

/// The text of the note for `bytes` cut bytes: what `serde_json` gives that object.
fn note_text(bytes: usize) -> String {
    format!("{{\"bytes\":{bytes},\"truncated\":true}}")
}

/// The length of a note's text without its number.
const NOTE_FRAME_BYTES: usize = r#"{"bytes":,"truncated":true}"#.len();

/// How many decimal digits `n` has.
fn decimal_digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

impl Serialize for JournalBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// One handled request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// When it was handled (mock clock).
    pub time: Millis,
    /// HTTP method (the standard ones are not copied).
    pub http_method: Cow<'static, str>,
    /// Raw path (with query).
    pub path: String,
    /// API method name it was routed to (`None`: matched no method); borrowed from the catalog.
    pub method: Option<Cow<'static, str>>,
    /// Decoded path parameters. Filled in when the journal is read ([`Service::journal`], which
    /// routes the kept path again: see [`JournalEntry::route_params`]); empty in the journal
    /// itself, so that recording a request copies no parameter.
    ///
    /// [`Service::journal`]: crate::service::Service::journal
    pub params: BTreeMap<String, String>,
    /// The clientId the request was signed with (or claimed, when authentication failed).
    pub client_id: Option<String>,
    /// Response status (0: the connection was closed without a response).
    pub status: u16,
    /// Error code of an error answer.
    pub error_code: Option<String>,
    /// Scenario rules that fired, in order.
    pub rules: Vec<String>,
    /// Whether the request conformed to the method's parameters, query and input schema
    /// (`None`: not checked, e.g. authentication failed first).
    pub conformed: Option<bool>,
    /// The request body, secrets redacted.
    pub request_body: Value,
    /// The response body, secrets redacted, as JSON text ([`JournalEntry::response_json`] for
    /// the value).
    pub response_body: JournalBody,
}

/// The `'static` spelling of a standard HTTP method (what a journal entry keeps without a copy).
fn static_http_method(method: &str) -> Option<&'static str> {
    const STANDARD: [&str; 9] = [
        "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
    ];
    STANDARD.into_iter().find(|m| *m == method)
}

impl JournalEntry {
    /// A new entry for a request, before it is answered.
    pub fn new(time: Millis, http_method: &str, path: &str) -> JournalEntry {
        JournalEntry {
            time,
            http_method: static_http_method(http_method)
                .map_or_else(|| Cow::Owned(http_method.to_string()), Cow::Borrowed),
            path: path.to_string(),
            method: None,
            params: BTreeMap::new(),
            client_id: None,
            status: 404,
            error_code: None,
            rules: Vec::new(),
            conformed: None,
            request_body: Value::Null,
            response_body: JournalBody::default(),
        }
    }

    /// The decoded path parameters of the request, from routing its kept path again with
    /// `catalog` (routing is deterministic, so these are the parameters the request was handled
    /// with). Empty when the request matched no method or a parameter did not decode.
    pub fn route_params(&self, catalog: &Catalog) -> BTreeMap<String, String> {
        if self.method.is_none() {
            return BTreeMap::new();
        }
        let path = self.path.split_once('?').map_or(&*self.path, |(p, _)| p);
        let Some(rel) = api_relative(split_tenant(path).1) else {
            return BTreeMap::new();
        };
        match catalog.match_route(&self.http_method, rel) {
            RouteOutcome::Matched(m) => m.params.to_map(),
            _ => BTreeMap::new(),
        }
    }

    /// The request body as a JSON value.
    pub fn request_json(&self) -> Value {
        self.request_body.clone()
    }

    /// The response body as a JSON value (parsed from the kept text; `null` when none).
    pub fn response_json(&self) -> Value {
        self.response_body.to_json()
    }

    /// Records the response: `wire` is the JSON text sent for `body`, shared without a copy
    /// unless `body` carries secrets (then a redacted copy is kept).
    pub fn set_response(&mut self, body: &Value, wire: &Bytes) {
        self.response_body = if has_secrets(body) {
            JournalBody::from_value(&redact_response(body))
        } else {
            JournalBody::from_json_text(wire.clone())
        };
    }
}

/// Whether a response body holds secrets [`redact_response`] hides: a top-level `secret` or
/// `credentials` (registerWorker and reregisterWorker answers).
pub fn has_secrets(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|m| m.contains_key("secret") || m.contains_key("credentials"))
}

/// Redacts the secrets of a response body: worker credentials and reregistration secrets.
pub fn redact_response(body: &Value) -> Value {
    let mut b = body.clone();
    if let Some(m) = b.as_object_mut() {
        if m.contains_key("secret") {
            m.insert("secret".into(), OMITTED.into());
        }
        if let Some(c) = m.get_mut("credentials").and_then(Value::as_object_mut) {
            for k in ["accessToken", "certificate"] {
                if c.contains_key(k) {
                    c.insert(k.into(), OMITTED.into());
                }
            }
        }
    }
    b
}

/// Cuts a body that is too large to keep (measured as compact JSON text, counted without building
/// the text).
pub fn bounded(body: Value) -> Value {
    let size = json_len(&body);
    if size > MAX_BODY_BYTES {
        json!({"truncated": true, "bytes": size})
    } else {
        body
    }
}

/// The length of a value's compact JSON text, counted without building it.
pub fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    match serde_json::to_writer(&mut c, v) {
        Ok(()) => c.0,
        Err(_) => 0,
    }
}

/// What [`Journal::push`] took out of the journal: drop it after releasing the journal's lock, so
/// freeing memory does not hold up other requests.
#[derive(Debug, Default)]
#[must_use = "drop it outside the journal's lock"]
pub struct Evicted {
    /// The entry pushed out by the entry limit (at most one per push; no list, so that a push
    /// allocates nothing).
    pub entry: Option<JournalEntry>,
    /// The first response body pushed out by the byte budget (a push usually takes out one: a
    /// field of its own, so that it needs no allocation).
    pub body: Option<JournalBody>,
    /// Further response bodies pushed out by the byte budget.
    pub more_bodies: Vec<JournalBody>,
}

/// A bounded journal.
#[derive(Debug, Clone)]
pub struct Journal {
    capacity: usize,
    max_bytes: usize,
    /// Response-body bytes held by the entries.
    bytes: usize,
    /// How many of the oldest entries had their response body replaced by a note (always a
    /// prefix of `entries`: bodies go oldest first).
    stripped: usize,
    entries: VecDeque<JournalEntry>,
}

impl Journal {
    /// A journal keeping at most `capacity` entries and [`DEFAULT_MAX_BYTES`] of response bodies.
    pub fn new(capacity: usize) -> Journal {
        Journal::with_budget(capacity, DEFAULT_MAX_BYTES)
    }

    /// A journal keeping at most `capacity` entries and about `max_bytes` of response bodies:
    /// beyond the budget, the oldest entries' response bodies become a note of their size (the
    /// entries themselves stay, up to `capacity`).
    pub fn with_budget(capacity: usize, max_bytes: usize) -> Journal {
        Journal {
            capacity,
            max_bytes,
            bytes: 0,
            stripped: 0,
            entries: VecDeque::new(),
        }
    }

    /// Appends an entry, dropping the oldest beyond capacity and the oldest response bodies
    /// beyond the byte budget. Returns what was taken out, to be dropped outside any lock.
    pub fn push(&mut self, e: JournalEntry) -> Evicted {
        let mut out = Evicted::default();
        if self.capacity == 0 {
            out.entry = Some(e);
            return out;
        }
        if self.entries.len() == self.capacity {
            if let Some(old) = self.entries.pop_front() {
                self.bytes -= old.response_body.len();
                self.stripped = self.stripped.saturating_sub(1);
                out.entry = Some(old);
            }
        }
        self.bytes += e.response_body.len();
        self.entries.push_back(e);
        while self.bytes > self.max_bytes && self.stripped < self.entries.len() {
            let Some(old) = self.entries.get_mut(self.stripped) else {
                break;
            };
            self.stripped += 1;
            let kept = old.response_body.len();
            let note = JournalBody::note(kept);
            if kept <= note.len() {
                // Not worth replacing: the note would be as large.
                continue;
            }
            self.bytes = self.bytes - kept + note.len();
            let body = std::mem::replace(&mut old.response_body, note);
            if out.body.is_none() {
                out.body = Some(body);
            } else {
                out.more_bodies.push(body);
            }
        }
        out
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &VecDeque<JournalEntry> {
        &self.entries
    }

    /// Response-body bytes currently held.
    pub fn body_bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_note_is_the_json_of_its_object() {
        for n in [0, 7, 9, 10, 99, 100, 123_456_789, usize::MAX] {
            let note = JournalBody::note(n);
            let want = json!({"truncated": true, "bytes": n}).to_string();
            assert_eq!(note.text().as_deref(), Some(want.as_bytes()));
            assert_eq!(note.len(), want.len());
        }
    }

    #[test]
    fn secrets_are_redacted_and_bodies_bounded() {
        let r = redact_response(
            &json!({"secret": "s", "credentials": {"clientId": "c", "accessToken": "t", "certificate": "x"}}),
        );
        assert_eq!(r["secret"], OMITTED);
        assert_eq!(r["credentials"]["accessToken"], OMITTED);
        assert_eq!(r["credentials"]["clientId"], "c");
        let big = json!({"a": "x".repeat(MAX_BODY_BYTES)});
        assert_eq!(bounded(big)["truncated"], true);
        let mut j = Journal::new(2);
        for t in 0..3 {
            let _ = j.push(JournalEntry::new(t, "GET", "/"));
        }
        assert_eq!(j.entries().len(), 2);
        assert_eq!(j.entries()[0].time, 1);
    }

    #[test]
    fn responses_are_shared_unless_they_hold_secrets() {
        let body = json!({"workerPoolId": "a/b"});
        let wire = Bytes::from(serde_json::to_string_pretty(&body).unwrap());
        let mut e = JournalEntry::new(0, "GET", "/");
        e.set_response(&body, &wire);
        assert_eq!(e.response_body.text().unwrap().as_ptr(), wire.as_ptr());
        assert_eq!(e.response_json(), body);
        let secret = json!({"secret": "s", "credentials": {"accessToken": "t"}});
        let wire = Bytes::from(secret.to_string());
        e.set_response(&secret, &wire);
        let text = String::from_utf8(e.response_body.text().unwrap().into_owned()).unwrap();
        assert!(!text.contains("\"s\"") && !text.contains("\"t\""), "{text}");
        assert_eq!(e.response_json()["secret"], OMITTED);
        let big = Bytes::from(vec![b' '; MAX_BODY_BYTES + 1]);
        e.set_response(&json!({}), &big);
        assert_eq!(
            e.response_json(),
            json!({"truncated": true, "bytes": MAX_BODY_BYTES + 1})
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["responseBody"],
            e.response_json()
        );
        assert_eq!(
            serde_json::to_value(JournalEntry::new(0, "GET", "/")).unwrap()["responseBody"],
            Value::Null
        );
    }

    #[test]
    fn parameters_are_routed_again_from_the_kept_path() {
        let catalog = Catalog::embedded();
        let entry = |method: &str, path: &str, routed: bool| {
            let mut e = JournalEntry::new(0, method, path);
            e.method = routed.then_some(Cow::Borrowed("any"));
            e
        };
        let want = BTreeMap::from([
            ("workerPoolId".to_string(), "pp/ee".to_string()),
            ("workerGroup".to_string(), "g".to_string()),
            ("workerId".to_string(), "w 1".to_string()),
        ]);
        let plain = "/api/worker-manager/v1/workers/pp%2Fee/g/w%201?x=1";
        assert_eq!(entry("GET", plain, true).route_params(catalog), want);
        assert_eq!(entry("HEAD", plain, true).route_params(catalog), want);
        let tenant = "/t/acme/api/worker-manager/v1/workers/pp%2Fee/g/w%201";
        assert_eq!(entry("DELETE", tenant, true).route_params(catalog), want);
        // Not routed, not decodable, not under the API: none.
        assert!(entry("GET", plain, false).route_params(catalog).is_empty());
        let bad = "/api/worker-manager/v1/worker-pool/%ZZ";
        assert!(entry("GET", bad, true).route_params(catalog).is_empty());
        assert!(entry("GET", "/t/acme", true)
            .route_params(catalog)
            .is_empty());
        let pool = "/api/worker-manager/v1/worker-pool/a%2Fb";
        assert_eq!(
            entry("GET", pool, true).route_params(catalog)["workerPoolId"],
            "a/b"
        );
    }

    #[test]
    fn evicted_entries_are_handed_back() {
        let mut j = Journal::new(1);
        assert!(j.push(JournalEntry::new(0, "GET", "/")).entry.is_none());
        let out = j.push(JournalEntry::new(1, "GET", "/"));
        assert_eq!(out.entry.map(|e| e.time), Some(0));
        let mut none = Journal::new(0);
        assert!(none.push(JournalEntry::new(0, "GET", "/")).entry.is_some());
        assert!(none.entries().is_empty());
    }

    fn entry_with(t: Millis, len: usize) -> JournalEntry {
        let mut e = JournalEntry::new(t, "GET", "/");
        let text = Bytes::from(format!("\"{}\"", "x".repeat(len.saturating_sub(2))));
        e.response_body = JournalBody::from_json_text(text);
        e
    }

    proptest! {
        /// Whatever the bodies and limits: at most `capacity` entries, the newest ones in order;
        /// the body bytes held stay within the budget (plus one body and the notes); the bytes
        /// counted equal the bytes held; stripped bodies are the oldest ones, each a note with
        /// its size.
        #[test]
        fn journal_stays_within_its_bounds(
            capacity in 0usize..20,
            max_bytes in 0usize..2000,
            lens in proptest::collection::vec(0usize..600, 0..60),
        ) {
            let mut j = Journal::with_budget(capacity, max_bytes);
            for (t, len) in lens.iter().enumerate() {
                // Bytes are conserved: what comes in is held, handed back, or became a note.
                let before = j.body_bytes();
                let e = entry_with(t as Millis, *len);
                let incoming = e.response_body.len();
                let out = j.push(e);
                let gone = out.entry.as_ref().map_or(0, |e| e.response_body.len());
                let cut: usize = out
                    .body
                    .iter()
                    .chain(&out.more_bodies)
                    .map(|b| b.len() - JournalBody::note(b.len()).len())
                    .sum();
                prop_assert!(out.body.is_some() || out.more_bodies.is_empty());
                if capacity > 0 {
                    prop_assert_eq!(before + incoming, j.body_bytes() + gone + cut);
                }
            }
            let kept = j.entries();
            prop_assert!(kept.len() <= capacity);
            prop_assert_eq!(kept.len(), lens.len().min(capacity));
            let first = lens.len() - kept.len();
            for (i, e) in kept.iter().enumerate() {
                prop_assert_eq!(e.time, (first + i) as Millis);
            }
            let held: usize = kept.iter().map(|e| e.response_body.len()).sum();
            prop_assert_eq!(held, j.body_bytes());
            let notes = kept.len() * 40;
            prop_assert!(held <= max_bytes + MAX_BODY_BYTES + notes);
            let mut seen_full = false;
            for (i, e) in kept.iter().enumerate() {
                let original = lens[first + i].max(2);
                let v = e.response_json();
                if v.get("truncated").is_some() {
                    prop_assert!(!seen_full, "a newer body was stripped before an older one");
                    prop_assert_eq!(&v["bytes"], &json!(original));
                } else {
                    seen_full |= original > 40;
                    prop_assert_eq!(e.response_body.len(), original);
                }
            }
        }

        /// The counted length is the length of the compact text.
        #[test]
        fn json_len_is_the_text_length(s in ".{0,40}", n in any::<i64>(), b in any::<bool>()) {
            let v = json!({"s": s, "n": n, "list": [b, null, 1.5]});
            prop_assert_eq!(json_len(&v), v.to_string().len());
        }
    }
}

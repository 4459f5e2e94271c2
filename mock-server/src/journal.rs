//! The request journal: what each request was, who sent it, which scenario rules fired and how it
//! was answered. Bounded: the oldest entries go first, and large bodies are cut. Secrets are
//! redacted from the bodies it keeps.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::OMITTED;
use crate::time::Millis;

/// Bodies larger than this (as JSON text) are replaced by a note of their size.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// One handled request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// When it was handled (mock clock).
    pub time: Millis,
    /// HTTP method.
    pub http_method: String,
    /// Raw path (with query).
    pub path: String,
    /// API method name it was routed to (`None`: matched no method).
    pub method: Option<String>,
    /// Decoded path parameters.
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
    /// The response body, secrets redacted.
    pub response_body: Value,
}

impl JournalEntry {
    /// A new entry for a request, before it is answered.
    pub fn new(time: Millis, http_method: &str, path: &str) -> JournalEntry {
        JournalEntry {
            time,
            http_method: http_method.to_string(),
            path: path.to_string(),
            method: None,
            params: BTreeMap::new(),
            client_id: None,
            status: 404,
            error_code: None,
            rules: Vec::new(),
            conformed: None,
            request_body: Value::Null,
            response_body: Value::Null,
        }
    }
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

/// Cuts a body that is too large to keep.
pub fn bounded(body: Value) -> Value {
    let size = body.to_string().len();
    if size > MAX_BODY_BYTES {
        json!({"truncated": true, "bytes": size})
    } else {
        body
    }
}

/// A bounded journal.
#[derive(Debug, Clone)]
pub struct Journal {
    capacity: usize,
    entries: VecDeque<JournalEntry>,
}

impl Journal {
    /// A journal keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> Journal {
        Journal {
            capacity,
            entries: VecDeque::new(),
        }
    }

    /// Appends an entry, dropping the oldest beyond capacity.
    pub fn push(&mut self, e: JournalEntry) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &VecDeque<JournalEntry> {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            j.push(JournalEntry::new(t, "GET", "/"));
        }
        assert_eq!(j.entries().len(), 2);
        assert_eq!(j.entries()[0].time, 1);
    }
}

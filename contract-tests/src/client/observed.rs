//! The client's requests as the mock journaled them, read from the journal's JSON form (so this
//! module depends on the journal's wire format, not on its Rust layout).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use worker_manager_schemas::params::parse_query;

/// One request the client sent, as the mock's journal recorded it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Observed {
    /// When the mock handled it (ms since the epoch, mock clock).
    pub time: i64,
    /// HTTP method.
    pub http_method: String,
    /// Raw path, with the query.
    pub path: String,
    /// The API method it was routed to (`None`: no method matched).
    pub method: Option<String>,
    /// The clientId it was signed with (or claimed, when authentication failed).
    pub client_id: Option<String>,
    /// HTTP status (0: the connection was closed without an answer).
    pub status: u16,
    /// The error code of an error answer.
    pub error_code: Option<String>,
    /// Scenario rules that fired.
    pub rules: Vec<String>,
    /// Whether parameters, query and body conformed (`None`: not checked).
    pub conformed: Option<bool>,
    /// The request body (secrets redacted).
    pub request_body: Value,
    /// The response body (secrets redacted).
    pub response_body: Value,
}

impl Observed {
    /// Reads one journal entry from its JSON form.
    pub fn from_json(v: &Value) -> Option<Observed> {
        serde_json::from_value(v.clone()).ok()
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// The decoded query parameters.
    pub fn query(&self) -> BTreeMap<String, Vec<String>> {
        parse_query(self.path.split_once('?').map_or("", |(_, q)| q))
    }

    /// The first value of query parameter `name`.
    pub fn query_value(&self, name: &str) -> Option<String> {
        self.query().get(name).and_then(|v| v.first().cloned())
    }

    /// The message of an error answer, without the trailer the service appends (`---` and the
    /// request facts), on one line.
    pub fn message(&self) -> String {
        let text = self
            .response_body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("");
        let text = text.split("\n---").next().unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The key that makes two requests "the same request": client, method, path with query and
    /// body. An unknown clientId (a scenario error answered before authentication) matches any.
    pub fn same_request(&self, other: &Observed) -> bool {
        let same_client = match (&self.client_id, &other.client_id) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        same_client
            && self.http_method == other.http_method
            && self.path == other.path
            && self.request_body == other.request_body
    }

    /// Whether the answer was a server error or no answer at all.
    pub fn is_server_error(&self) -> bool {
        self.status >= 500 || self.status == 0
    }
}

//! The semantic coverage matrix: which (method, status, error code, scope outcome, paging state)
//! combinations a run exercised, counted over every response it received.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;
use worker_manager_schemas::{Catalog, HttpMethod, RouteOutcome};

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CoverageKey {
    /// The API method (catalog name), or `unrouted`.
    pub method: String,
    /// The HTTP status.
    pub status: u16,
    /// The error code of an error answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `ok` (authentication and scopes passed), `401` or `403`.
    pub scope: &'static str,
    /// For list calls: `only` (one page), `first`, `continued` or `last`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paging: Option<&'static str>,
}

/// A row of the matrix: a cell and how often it was seen.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    /// The cell.
    #[serde(flatten)]
    pub key: CoverageKey,
    /// Responses seen in it.
    pub count: u64,
}

/// The matrix, shared by the clients of one run.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    cells: Arc<Mutex<BTreeMap<CoverageKey, u64>>>,
}

impl Coverage {
    /// Records one response to `method` `path` (relative to the API prefix, with its query).
    pub fn record(&self, method: HttpMethod, path: &str, status: u16, body: &str) {
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let name = match Catalog::embedded().match_route(method.as_str(), route) {
            RouteOutcome::Matched(m) => m.entry.name.clone(),
            _ => "unrouted".to_string(),
        };
        let json: Option<Value> = serde_json::from_str(body).ok();
        let code = (status >= 300)
            .then(|| json.as_ref()?.get("code")?.as_str().map(str::to_string))
            .flatten();
        let scope = match status {
            401 => "401",
            403 => "403",
            _ => "ok",
        };
        let continued = query
            .split('&')
            .any(|kv| kv.starts_with("continuationToken="));
        let is_list = status == 200
            && json
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|o| o.values().any(Value::is_array) && name.starts_with("list"));
        let more = json
            .as_ref()
            .and_then(|j| j.get("continuationToken"))
            .is_some_and(Value::is_string);
        let paging = is_list.then_some(match (continued, more) {
            (false, false) => "only",
            (false, true) => "first",
            (true, true) => "continued",
            (true, false) => "last",
        });
        let key = CoverageKey {
            method: name,
            status,
            code,
            scope,
            paging,
        };
        *self
            .cells
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default() += 1;
    }

    /// The rows, in method order.
    pub fn rows(&self) -> Vec<CoverageRow> {
        self.cells
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, n)| CoverageRow {
                key: k.clone(),
                count: *n,
            })
            .collect()
    }

    /// The matrix as text: one line per method listing its cells.
    pub fn to_text(rows: &[CoverageRow]) -> String {
        let mut by_method: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for r in rows {
            let mut cell = r.key.status.to_string();
            if let Some(c) = &r.key.code {
                let _ = write!(cell, " {c}");
            }
            if r.key.scope != "ok" && r.key.code.is_none() {
                let _ = write!(cell, " ({})", r.key.scope);
            }
            if let Some(p) = r.key.paging {
                let _ = write!(cell, " [{p} page]");
            }
            let _ = write!(cell, " x{}", r.count);
            by_method.entry(&r.key.method).or_default().push(cell);
        }
        let mut s = String::new();
        for (m, cells) in by_method {
            let _ = writeln!(s, "  {m:<30} {}", cells.join(", "));
        }
        s
    }
}

//! The allow file: known, intentional differences between the two deployments. A divergence an
//! entry matches is reported under "allowed" with the entry's reason and does not fail the run.
//!
//! ```json
//! [
//!   {"method": "listProviders", "kind": "body", "pointer": "/providers",
//!    "reason": "the mock is configured with other providers than production"},
//!   {"method": "workerPool", "kind": "missing-field", "pointer": "/config/*",
//!    "reason": "..."}
//! ]
//! ```
//!
//! `method` is a catalog name or `*`; `kind` one of the divergence kinds; `pointer` (optional: any
//! when absent) a JSON pointer where a `*` segment matches any one segment; `reason` is required
//! and must not be blank. Unknown keys are refused.

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use worker_manager_schemas::Catalog;

use super::compare::{Difference, Kind};

/// Why an allow file was refused.
#[derive(Debug, Error)]
pub enum AllowError {
    /// The file could not be read.
    #[error("cannot read the allow file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// Not a JSON array of entries of the documented shape.
    #[error("the allow file is not a JSON array of {{method, kind, pointer?, reason}}: {0}")]
    Json(String),
    /// An entry has no reason, or a blank one.
    #[error(
        "allow entry {index} ({method} {kind}) has no reason: say why the difference is intended"
    )]
    NoReason {
        /// The entry's position (from 0).
        index: usize,
        /// Its method.
        method: String,
        /// Its kind.
        kind: Kind,
    },
    /// An entry names a method the API definition does not have.
    #[error("allow entry {index} names an unknown method `{method}` (see `wm-contract methods`)")]
    UnknownMethod {
        /// The entry's position (from 0).
        index: usize,
        /// The method named.
        method: String,
    },
    /// An entry's pointer does not start with `/`.
    #[error("allow entry {index}: pointer `{pointer}` must be empty or start with `/`")]
    BadPointer {
        /// The entry's position (from 0).
        index: usize,
        /// The pointer given.
        pointer: String,
    },
}

/// One allowed difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// The method (catalog name), or `*` for any.
    pub method: String,
    /// The kind of divergence.
    pub kind: Kind,
    /// Where (a JSON pointer, `*` segments match any one segment); anywhere when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Why the difference is intended (required).
    #[serde(default)]
    pub reason: String,
}

impl AllowEntry {
    /// Whether the entry covers `difference` in a call of `method`.
    pub fn matches(&self, method: &str, difference: &Difference) -> bool {
        (self.method == "*" || self.method == method)
            && self.kind == difference.kind
            && self
                .pointer
                .as_deref()
                .is_none_or(|p| pointer_matches(p, &difference.pointer))
    }
}

fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), pointer.split('/').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

/// The entries of an allow file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AllowList {
    /// The entries, in file order (the first match wins).
    pub entries: Vec<AllowEntry>,
}

impl AllowList {
    /// Parses and checks an allow file's text.
    pub fn parse(text: &str) -> Result<AllowList, AllowError> {
        let entries: Vec<AllowEntry> =
            serde_json::from_str(text).map_err(|e| AllowError::Json(e.to_string()))?;
        for (index, e) in entries.iter().enumerate() {
            if e.reason.trim().is_empty() {
                return Err(AllowError::NoReason {
                    index,
                    method: e.method.clone(),
                    kind: e.kind,
                });
            }
            if e.method != "*" && Catalog::embedded().get(&e.method).is_none() {
                return Err(AllowError::UnknownMethod {
                    index,
                    method: e.method.clone(),
                });
            }
            if let Some(p) = &e.pointer {
                if !p.is_empty() && !p.starts_with('/') {
                    return Err(AllowError::BadPointer {
                        index,
                        pointer: p.clone(),
                    });
                }
            }
        }
        Ok(AllowList { entries })
    }

    /// Reads and checks an allow file.
    pub fn load(path: &Path) -> Result<AllowList, AllowError> {
        let text = std::fs::read_to_string(path).map_err(|e| AllowError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        AllowList::parse(&text)
    }

    /// The first entry covering `difference` in a call of `method`.
    pub fn find(&self, method: &str, difference: &Difference) -> Option<&AllowEntry> {
        self.entries.iter().find(|e| e.matches(method, difference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_and_need_reasons() {
        let list = AllowList::parse(
            r#"[{"method": "workerPool", "kind": "missing-field", "pointer": "/config/*", "reason": "r"}]"#,
        )
        .expect("valid");
        let d = |pointer: &str| Difference {
            kind: Kind::MissingField,
            pointer: pointer.into(),
            reference: String::new(),
            candidate: String::new(),
        };
        assert!(list.find("workerPool", &d("/config/x")).is_some());
        assert!(list.find("workerPool", &d("/config/x/y")).is_none());
        assert!(list.find("worker", &d("/config/x")).is_none());
        assert!(matches!(
            AllowList::parse(r#"[{"method": "workerPool", "kind": "status"}]"#),
            Err(AllowError::NoReason { index: 0, .. })
        ));
        assert!(matches!(
            AllowList::parse(r#"[{"method": "nope", "kind": "status", "reason": "x"}]"#),
            Err(AllowError::UnknownMethod { .. })
        ));
        assert!(AllowList::parse(r#"[{"method": "*", "kind": "odd", "reason": "x"}]"#).is_err());
    }
}

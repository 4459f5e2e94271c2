//! The request journal: what each request was, who sent it and how it was answered. Bounded:
//! the oldest entries go first. Bodies and secrets are not kept.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::time::Millis;

/// One handled request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The clientId the request was signed with, if any.
    pub client_id: Option<String>,
    /// Response status.
    pub status: u16,
    /// Error code of an error answer.
    pub error_code: Option<String>,
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

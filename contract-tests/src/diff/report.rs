//! The diff report: every divergence (minimized, with the requests and both answers), the allowed
//! ones with their reasons, a table per method, and the clean-up on both sides.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::compare::{Difference, Kind};
use crate::server::{truncate, Cleanup, Response};
use crate::stateful::{Op, RequestSpec};

/// Pages of one operation shown at most (a side that never stops paging sends 64).
pub const PAGES_SHOWN: usize = 4;

/// One side's answer to one request, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The status, if an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The body (JSON when it parses, else text), or why there was no answer.
    pub body: Value,
}

impl Answer {
    /// The report's form of a response (or of its absence).
    pub fn of(r: Option<&Result<Response, String>>) -> Answer {
        match r {
            Some(Ok(r)) => Answer {
                status: Some(r.status),
                body: r.json().unwrap_or_else(|| Value::String(r.body.clone())),
            },
            Some(Err(e)) => Answer {
                status: None,
                body: Value::String(format!("no answer: {e}")),
            },
            None => Answer {
                status: None,
                body: Value::String("(no such request on this side)".into()),
            },
        }
    }

    fn line(&self) -> String {
        let body = match &self.body {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        match self.status {
            Some(s) => format!("{s} {}", truncate(&body, 300)),
            None => truncate(&body, 300),
        }
    }
}

/// One numbered request with both answers.
#[derive(Debug, Clone, Serialize)]
pub struct Paired {
    /// Its number in the sequence (from 1).
    pub number: usize,
    /// The request as sent to the reference (the candidate's differs only by its run prefix).
    pub request: RequestSpec,
    /// The reference's answer.
    pub reference: Answer,
    /// The candidate's answer.
    pub candidate: Answer,
}

/// A divergence: the first difference of a call (or of a sequence), with where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// The method of the diverging call.
    pub method: String,
    /// What differs, where, and both sides' values.
    #[serde(flatten)]
    pub difference: Difference,
    /// Every difference of the diverging call (the first is `difference`).
    pub all: Vec<Difference>,
    /// Where it was found: `stateless case 3 (valid)`, `stateful sequence 2`.
    pub source: String,
    /// For a stateful sequence: its length as first found (before shrinking).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_len: Option<usize>,
    /// For a stateful sequence: the operations of the shrunk sequence, up to the diverging one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<Op>,
    /// How many calls or sequences showed the same divergence (method, kind, pointer); the
    /// first is reported.
    pub occurrences: u32,
    /// The requests, numbered, with both answers: the shortest sequence found that still shows
    /// the divergence (one request for a stateless case; at most [`PAGES_SHOWN`] pages per
    /// operation).
    pub requests: Vec<Paired>,
    /// The number of the diverging request in `requests`.
    pub diverging_request: usize,
    /// The allow entry's reason, for an allowed divergence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
}

impl Divergence {
    /// The key divergences are grouped by: method, kind, pointer with array indices as `*`.
    pub fn signature(&self) -> (String, Kind, String) {
        signature(&self.method, &self.difference)
    }

    fn to_text(&self, n: usize) -> String {
        let d = &self.difference;
        let at = if d.pointer.is_empty() {
            String::new()
        } else {
            format!(" at {}", d.pointer)
        };
        let mut s = format!(
            "{n}. [{}] {}{at}: reference {}, candidate {}\n   found in {}",
            d.kind, self.method, d.reference, d.candidate, self.source
        );
        if let Some(len) = self.original_len {
            let _ = write!(s, ", shrunk from {len} to {} operations", self.ops.len());
        }
        if self.occurrences > 1 {
            let _ = write!(s, " (and {} more times)", self.occurrences - 1);
        }
        s.push('\n');
        if let Some(reason) = &self.allowed {
            let _ = writeln!(s, "   allowed: {reason}");
        }
        for other in self.all.iter().skip(1) {
            let _ = writeln!(
                s,
                "   also [{}] {}: reference {}, candidate {}",
                other.kind, other.pointer, other.reference, other.candidate
            );
        }
        for p in &self.requests {
            let mark = if p.number == self.diverging_request {
                "   <- diverges"
            } else {
                ""
            };
            let _ = writeln!(s, "   {}. {}{mark}", p.number, p.request.to_curl());
            let _ = writeln!(s, "      reference: {}", p.reference.line());
            let _ = writeln!(s, "      candidate: {}", p.candidate.line());
        }
        s
    }
}

/// The grouping key of a difference in a call of `method`.
pub fn signature(method: &str, d: &Difference) -> (String, Kind, String) {
    let pointer = d
        .pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    (method.to_string(), d.kind, pointer)
}

/// Calls (stateless cases and stateful operations) of one method, by outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MethodRow {
    /// Calls compared.
    pub cases: u32,
    /// Calls both sides answered alike.
    pub agreeing: u32,
    /// Calls with a divergence no allow entry covers.
    pub diverging: u32,
    /// Calls whose every difference an allow entry covers.
    pub allowed: u32,
}

/// The result of a `wm-contract diff` run.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// The reference's root URL.
    pub reference: String,
    /// The candidate's root URL.
    pub candidate: String,
    /// The seed (`--seed` replays the same traffic).
    pub seed: u64,
    /// Stateless cases per method.
    pub cases_per_method: u32,
    /// Stateful sequences generated.
    pub stateful_sequences: u32,
    /// Why stateful sequences did not run, if they did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stateful_skipped: Option<String>,
    /// The timestamp tolerance, in seconds.
    pub time_tolerance_secs: u64,
    /// The run prefixes (reference, candidate).
    pub run_prefixes: (String, String),
    /// Divergences no allow entry covers.
    pub divergences: Vec<Divergence>,
    /// Divergences allow entries cover, with their reasons.
    pub allowed: Vec<Divergence>,
    /// Per method: cases, agreeing, diverging, allowed.
    pub methods: BTreeMap<String, MethodRow>,
    /// Pools deleted at the end on the reference.
    pub cleanup_reference: Cleanup,
    /// Pools deleted at the end on the candidate.
    pub cleanup_candidate: Cleanup,
    /// Sequences run while shrinking.
    pub shrink_runs: u32,
    /// Wall time.
    pub duration_ms: u64,
}

impl DiffReport {
    /// Whether the sides agreed (allowed divergences aside).
    pub fn agreed(&self) -> bool {
        self.divergences.is_empty()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The report as text: divergences, allowed ones, the table, clean-up, the verdict.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "wm-contract diff\n  reference: {} (prefix {})\n  candidate: {} (prefix {})\n  \
             seed {}, {} cases per method, {} stateful sequences, timestamps within {} s\n",
            self.reference,
            self.run_prefixes.0,
            self.candidate,
            self.run_prefixes.1,
            self.seed,
            self.cases_per_method,
            self.stateful_sequences,
            self.time_tolerance_secs
        );
        if let Some(why) = &self.stateful_skipped {
            let _ = writeln!(s, "  stateful sequences skipped: {why}");
        }
        let _ = writeln!(
            s,
            "  requests are shown as sent to the reference; the candidate got the same under its \
             own prefix\n"
        );
        let _ = writeln!(s, "DIVERGENCES ({})", self.divergences.len());
        for (i, d) in self.divergences.iter().enumerate() {
            s.push_str(&d.to_text(i + 1));
        }
        let _ = writeln!(s, "\nALLOWED, with reason ({})", self.allowed.len());
        for (i, d) in self.allowed.iter().enumerate() {
            s.push_str(&d.to_text(i + 1));
        }
        let _ = writeln!(
            s,
            "\n{:<34} {:>6} {:>9} {:>10} {:>8}",
            "method", "cases", "agreeing", "diverging", "allowed"
        );
        for (m, r) in &self.methods {
            let _ = writeln!(
                s,
                "{m:<34} {:>6} {:>9} {:>10} {:>8}",
                r.cases, r.agreeing, r.diverging, r.allowed
            );
        }
        for (side, c) in [
            ("reference", &self.cleanup_reference),
            ("candidate", &self.cleanup_candidate),
        ] {
            let _ = writeln!(
                s,
                "clean-up on the {side}: {} deleted, {} already gone, {} failed",
                c.deleted.len(),
                c.gone.len(),
                c.failed.len()
            );
            for (pool, why) in &c.failed {
                let _ = writeln!(s, "  {pool}: {why}");
            }
        }
        let _ = writeln!(
            s,
            "result: {} ({} divergences, {} allowed, {} ms)",
            if self.agreed() { "AGREE" } else { "DIVERGE" },
            self.divergences.len(),
            self.allowed.len(),
            self.duration_ms
        );
        s
    }
}

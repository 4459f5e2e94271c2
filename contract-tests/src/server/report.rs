//! The run's report: per method cases run, passed and failed, each failure with its check, the
//! request, the response and what was expected; as text (for a person), JSON and JUnit XML.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::checks::Check;
use super::coverage::{Coverage, CoverageRow};
use super::semantic::SemanticReport;
use crate::stateful::StatefulOutcome;

/// How much of a response body a failure keeps.
pub const BODY_LIMIT: usize = 2000;

/// How many failures per method and check the text report prints.
const TEXT_FAILURES_PER_CHECK: usize = 3;

/// The request a failure was seen on.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path relative to `<rootUrl>/api/worker-manager/v1`, with the query.
    pub path: String,
    /// The JSON body sent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// The response a failure was seen on.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseRecord {
    /// HTTP status.
    pub status: u16,
    /// The content type, if any.
    #[serde(rename = "contentType", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body, truncated to `BODY_LIMIT` bytes.
    pub body: String,
}

/// One check that did not hold on one case.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The check.
    pub check: Check,
    /// The case number within its method (0-based).
    pub case: u32,
    /// What the request was meant to be (`valid`, `invalid body: ...`).
    pub kind: String,
    /// The request, if one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestRecord>,
    /// The response, if one came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    /// What was expected.
    pub expected: String,
    /// What was found.
    pub found: String,
}

/// One method's results.
#[derive(Debug, Clone, Serialize)]
pub struct MethodReport {
    /// The API method name.
    pub method: String,
    /// Cases run (requests sent, or attempted).
    pub cases: u32,
    /// Cases on which every check held.
    pub passed: u32,
    /// Cases on which some check failed.
    pub failed: u32,
    /// Cases not sent (no request could be generated, or it would have left the run prefix).
    pub skipped: u32,
    /// The failures.
    pub failures: Vec<Failure>,
}

impl MethodReport {
    /// An empty report for `method`.
    pub fn new(method: &str) -> MethodReport {
        MethodReport {
            method: method.to_string(),
            cases: 0,
            passed: 0,
            failed: 0,
            skipped: 0,
            failures: Vec::new(),
        }
    }
}

/// The clean-up of the pools a run created.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cleanup {
    /// Pools deleted with `deleteWorkerPool`.
    pub deleted: Vec<String>,
    /// Pools already gone (404).
    pub gone: Vec<String>,
    /// Pools that could not be deleted, with why.
    pub failed: Vec<(String, String)>,
}

/// The whole run's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The root URL tested.
    #[serde(rename = "rootUrl")]
    pub root_url: String,
    /// The seed (pass it to `--seed` to replay).
    pub seed: u64,
    /// Cases per method asked for.
    #[serde(rename = "casesPerMethod")]
    pub cases_per_method: u32,
    /// The provisioner part of every pool id the run generated.
    #[serde(rename = "runPrefix")]
    pub run_prefix: String,
    /// Whether only GET methods ran.
    #[serde(rename = "readOnly")]
    pub read_only: bool,
    /// Whether requests were signed.
    pub signed: bool,
    /// Where the schemas responses were checked against came from (`embedded`, or `server
    /// (...)` with `--schemas-from-server`).
    #[serde(rename = "schemaSource")]
    pub schema_source: String,
    /// Per method, in run order.
    pub methods: Vec<MethodReport>,
    /// The semantic checks (and the stateful model, and the read-only probes), one entry each.
    pub semantic: Vec<SemanticReport>,
    /// The stateful sequences, if they ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stateful: Option<StatefulOutcome>,
    /// The coverage matrix: every (method, status, code, scope outcome, paging state) seen.
    pub coverage: Vec<CoverageRow>,
    /// The clean-up.
    pub cleanup: Cleanup,
    /// Wall time in milliseconds.
    #[serde(rename = "durationMs")]
    pub duration_ms: u64,
}

/// Cuts `s` to at most `limit` bytes (on a character boundary), marking the cut.
pub fn truncate(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &s[..end], s.len())
}

/// `s` escaped for XML text and attribute values; control characters XML 1.0 forbids are dropped.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

impl Failure {
    /// The failure as indented text lines.
    pub fn to_text(&self, method: &str) -> String {
        let mut s = format!(
            "[{}] {method} case {} ({})\n",
            self.check, self.case, self.kind
        );
        if let Some(r) = &self.request {
            let _ = writeln!(s, "  request:  {} {}", r.method, r.path);
            if let Some(b) = &r.body {
                let _ = writeln!(s, "  body:     {}", truncate(&b.to_string(), 400));
            }
        }
        if let Some(r) = &self.response {
            let _ = writeln!(
                s,
                "  response: {} {}",
                r.status,
                r.content_type.as_deref().unwrap_or("(no content-type)")
            );
            let _ = writeln!(s, "            {}", truncate(&r.body, 400));
        }
        let _ = writeln!(s, "  expected: {}", self.expected);
        let _ = writeln!(s, "  found:    {}", self.found);
        s
    }
}

impl Report {
    /// Cases that failed, over all methods and semantic checks.
    pub fn failed_cases(&self) -> u32 {
        self.methods.iter().map(|m| m.failed).sum::<u32>()
            + self.semantic.iter().map(|s| s.failed).sum::<u32>()
    }

    /// Cases run, over all methods and semantic checks.
    pub fn total_cases(&self) -> u32 {
        self.methods.iter().map(|m| m.cases).sum::<u32>()
            + self.semantic.iter().map(|s| s.cases).sum::<u32>()
    }

    /// The checks that failed at least once.
    pub fn failed_checks(&self) -> BTreeSet<Check> {
        self.methods
            .iter()
            .flat_map(|m| m.failures.iter().map(|f| f.check))
            .chain(
                self.semantic
                    .iter()
                    .flat_map(|s| s.failures.iter().map(|f| f.check)),
            )
            .collect()
    }

    /// The semantic result of `check`, if it was run (or reported as not exercised).
    pub fn semantic(&self, check: Check) -> Option<&SemanticReport> {
        self.semantic.iter().find(|s| s.check == check)
    }

    /// Whether the run passed: no check failed and every created pool was cleaned up.
    pub fn passed(&self) -> bool {
        self.methods.iter().all(|m| m.failures.is_empty())
            && self.semantic.iter().all(|s| s.failures.is_empty())
            && self.cleanup.failed.is_empty()
    }

    /// The plain-text report.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "wm-contract server {} (seed {}, {} cases per method, run prefix {}, {}{})",
            self.root_url,
            self.seed,
            self.cases_per_method,
            self.run_prefix,
            if self.signed { "signed" } else { "anonymous" },
            if self.read_only { ", read-only" } else { "" },
        );
        let _ = writeln!(
            s,
            "\n{:<30} {:>6} {:>6} {:>6} {:>7}",
            "method", "cases", "passed", "failed", "skipped"
        );
        for m in &self.methods {
            let _ = writeln!(
                s,
                "{:<30} {:>6} {:>6} {:>6} {:>7}",
                m.method, m.cases, m.passed, m.failed, m.skipped
            );
        }
        if !self.semantic.is_empty() {
            let _ = writeln!(
                s,
                "
{:<30} {:>6} {:>6} {:>6}  method",
                "semantic check", "cases", "passed", "failed"
            );
            for c in &self.semantic {
                match &c.not_exercised {
                    Some(why) => {
                        let _ = writeln!(s, "{:<30} not exercised: {why}", c.check.name());
                    }
                    None => {
                        let _ = writeln!(
                            s,
                            "{:<30} {:>6} {:>6} {:>6}  {}",
                            c.check.name(),
                            c.cases,
                            c.passed,
                            c.failed,
                            c.method
                        );
                    }
                }
            }
        }
        if let Some(st) = &self.stateful {
            let _ = writeln!(
                s,
                "\nstateful: {} sequences, {} passed, {} requests ({} more sequences while shrinking)",
                st.cases, st.passed, st.requests, st.shrink_runs
            );
        }
        if !self.coverage.is_empty() {
            let _ = writeln!(
                s,
                "\ncoverage (status code (scope) [page] x count, per method):\n{}",
                Coverage::to_text(&self.coverage)
            );
        }
        let failing: Vec<&MethodReport> = self
            .methods
            .iter()
            .filter(|m| !m.failures.is_empty())
            .collect();
        if !failing.is_empty() || self.semantic.iter().any(|c| !c.failures.is_empty()) {
            let _ = writeln!(s, "\nFAILURES");
        }
        {
            for m in failing {
                for check in Check::ALL {
                    let of: Vec<&Failure> =
                        m.failures.iter().filter(|f| f.check == check).collect();
                    for f in of.iter().take(TEXT_FAILURES_PER_CHECK) {
                        let _ = write!(s, "\n{}", f.to_text(&m.method));
                    }
                    if of.len() > TEXT_FAILURES_PER_CHECK {
                        let _ = writeln!(
                            s,
                            "  ... and {} more {check} failures of {} (see --json)",
                            of.len() - TEXT_FAILURES_PER_CHECK,
                            m.method
                        );
                    }
                }
            }
        }
        for c in self.semantic.iter().filter(|c| !c.failures.is_empty()) {
            for f in c.failures.iter().take(TEXT_FAILURES_PER_CHECK) {
                let _ = write!(s, "\n{}", f.to_text(&c.method));
            }
            if c.failures.len() > TEXT_FAILURES_PER_CHECK {
                let _ = writeln!(
                    s,
                    "  ... and {} more {} failures (see --json)",
                    c.failures.len() - TEXT_FAILURES_PER_CHECK,
                    c.check
                );
            }
        }
        let c = &self.cleanup;
        let _ = writeln!(
            s,
            "\ncleanup: {} pools deleted, {} already gone, {} failed",
            c.deleted.len(),
            c.gone.len(),
            c.failed.len()
        );
        for (pool, why) in &c.failed {
            let _ = writeln!(s, "  could not delete {pool}: {why}");
        }
        let checks: Vec<&str> = self.failed_checks().into_iter().map(Check::name).collect();
        if self.passed() {
            let _ = writeln!(
                s,
                "result: PASS ({} cases in {} methods, {} ms)",
                self.total_cases(),
                self.methods.len(),
                self.duration_ms
            );
        } else {
            let _ =
                writeln!(
                s,
                "result: FAIL ({} of {} cases failed; checks failed: {}; replay with --seed {})",
                self.failed_cases(),
                self.total_cases(),
                if checks.is_empty() { "none".to_string() } else { checks.join(", ") },
                self.seed
            );
        }
        s
    }

    /// The JSON report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The JUnit XML report: one test suite per method, one test case per check.
    pub fn to_junit(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let failures: usize = self.methods.iter().map(failed_check_count).sum::<usize>()
            + self
                .semantic
                .iter()
                .filter(|c| !c.failures.is_empty())
                .count();
        let _ = writeln!(
            s,
            "<testsuites name=\"wm-contract server\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
            self.methods.len() * Check::RESPONSE.len() + self.semantic.len(),
            self.duration_ms as f64 / 1000.0
        );
        for m in &self.methods {
            let _ = writeln!(
                s,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"0\">",
                xml_escape(&m.method),
                Check::RESPONSE.len(),
                failed_check_count(m)
            );
            let _ = writeln!(
                s,
                "    <properties><property name=\"seed\" value=\"{}\"/><property name=\"cases\" value=\"{}\"/></properties>",
                self.seed, m.cases
            );
            for check in Check::RESPONSE {
                let of: Vec<&Failure> = m.failures.iter().filter(|f| f.check == check).collect();
                let _ = write!(
                    s,
                    "    <testcase classname=\"wm-contract.server.{}\" name=\"{}\"",
                    xml_escape(&m.method),
                    check.name()
                );
                if of.is_empty() {
                    s.push_str("/>\n");
                    continue;
                }
                let _ = writeln!(s, ">");
                let text: String = of.iter().map(|f| f.to_text(&m.method)).collect();
                let _ = writeln!(
                    s,
                    "      <failure message=\"{} of {} cases failed {}\" type=\"{}\">{}</failure>",
                    of.len(),
                    m.cases,
                    check.name(),
                    check.name(),
                    xml_escape(&text)
                );
                s.push_str("    </testcase>\n");
            }
            s.push_str("  </testsuite>\n");
        }
        if !self.semantic.is_empty() {
            let _ = writeln!(
                s,
                "  <testsuite name=\"semantic\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
                self.semantic.len(),
                self.semantic
                    .iter()
                    .filter(|c| !c.failures.is_empty())
                    .count(),
                self.semantic
                    .iter()
                    .filter(|c| c.not_exercised.is_some())
                    .count()
            );
            for c in &self.semantic {
                let _ = write!(
                    s,
                    "    <testcase classname=\"wm-contract.semantic\" name=\"{}\"",
                    c.check.name()
                );
                if let Some(why) = &c.not_exercised {
                    let _ = writeln!(s, "><skipped message=\"{}\"/></testcase>", xml_escape(why));
                } else if c.failures.is_empty() {
                    s.push_str("/>\n");
                } else {
                    let text: String = c.failures.iter().map(|f| f.to_text(&c.method)).collect();
                    let _ = writeln!(
                        s,
                        "><failure message=\"{} of {} cases failed\" type=\"{}\">{}</failure></testcase>",
                        c.failed,
                        c.cases,
                        c.check.name(),
                        xml_escape(&text)
                    );
                }
            }
            s.push_str("  </testsuite>\n");
        }
        s.push_str("</testsuites>\n");
        s
    }
}

fn failed_check_count(m: &MethodReport) -> usize {
    m.failures
        .iter()
        .map(|f| f.check)
        .collect::<BTreeSet<_>>()
        .len()
}

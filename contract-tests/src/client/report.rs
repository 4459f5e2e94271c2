//! The report of a client run: how the command ended, the contract violations, the behavior
//! checks and the coverage table; as text (for a person), JSON and JUnit XML.

use std::fmt::Write as _;

use serde::Serialize;

use super::analyze::{Coverage, Violation};
use super::behavior::{BehaviorCheck, Outcome};
use crate::server::xml_escape;

/// How the client command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CommandOutcome {
    /// It exited with this status.
    Exited(i32),
    /// A signal ended it.
    Killed,
}

impl CommandOutcome {
    /// Whether it exited with status 0.
    pub fn success(self) -> bool {
        self == CommandOutcome::Exited(0)
    }
}

/// Everything `wm-contract client` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The command line that ran.
    pub command: String,
    /// How it ended.
    pub outcome: CommandOutcome,
    /// The run's seed.
    pub seed: u64,
    /// Requests the mock journaled.
    pub requests: usize,
    /// Requests that broke the contract, in order.
    pub violations: Vec<Violation>,
    /// Methods called × status classes.
    pub coverage: Coverage,
    /// The coverage asked for (`--min-coverage`).
    pub min_coverage: Option<f64>,
    /// The behavior checks.
    pub behavior: Vec<BehaviorCheck>,
}

impl Report {
    /// Whether the coverage reached `--min-coverage` (true without one).
    pub fn coverage_ok(&self) -> bool {
        self.min_coverage
            .is_none_or(|min| self.coverage.percent + 1e-9 >= min)
    }

    /// The behavior checks that failed.
    pub fn failed_checks(&self) -> Vec<&BehaviorCheck> {
        self.behavior
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .collect()
    }

    /// Whether the run passed: the command succeeded, no violation, no failed check, enough
    /// coverage.
    pub fn passed(&self) -> bool {
        self.outcome.success()
            && self.violations.is_empty()
            && self.failed_checks().is_empty()
            && self.coverage_ok()
    }

    /// Why the run failed, one line per reason (empty when it passed).
    pub fn failure_reasons(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.outcome {
            CommandOutcome::Exited(0) => {}
            CommandOutcome::Exited(c) => {
                out.push(format!("the client command failed (exit status {c})"))
            }
            CommandOutcome::Killed => out.push("the client command was killed by a signal".into()),
        }
        if !self.violations.is_empty() {
            out.push(format!("{} contract violation(s)", self.violations.len()));
        }
        for c in self.failed_checks() {
            out.push(format!("behavior check {} failed", c.name));
        }
        if !self.coverage_ok() {
            out.push(format!(
                "coverage {:.1}% is below --min-coverage {:.1}%",
                self.coverage.percent,
                self.min_coverage.unwrap_or_default()
            ));
        }
        out
    }

    /// The report for a person.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "wm-contract client: {} (seed {})",
            self.command, self.seed
        );
        let _ = writeln!(s, "{} requests journaled", self.requests);
        let _ = writeln!(s, "\nContract violations: {}", self.violations.len());
        for v in &self.violations {
            let _ = writeln!(
                s,
                "  [{}] {} -> {}: {}",
                v.kind.as_str(),
                v.request,
                v.status,
                v.reason
            );
        }
        let _ = writeln!(s, "\nClient behavior:");
        for c in &self.behavior {
            let _ = writeln!(s, "  {:<32} {}", c.name, c.outcome.as_str());
            for d in c.details.iter().take(5) {
                let _ = writeln!(s, "      {d}");
            }
        }
        let _ = writeln!(
            s,
            "\nCoverage: {} of {} methods called ({:.1}%)",
            self.coverage.called, self.coverage.total, self.coverage.percent
        );
        let _ = writeln!(
            s,
            "  {:<32} {:>5} {:>5} {:>5} {:>5}",
            "method", "2xx", "4xx", "5xx", "none"
        );
        for (m, c) in &self.coverage.methods {
            if c.total() > 0 {
                let _ = writeln!(
                    s,
                    "  {m:<32} {:>5} {:>5} {:>5} {:>5}",
                    c.ok, c.client_error, c.server_error, c.no_answer
                );
            }
        }
        let missing: Vec<&str> = self
            .coverage
            .methods
            .iter()
            .filter(|(_, c)| c.total() == 0)
            .map(|(m, _)| m.as_str())
            .collect();
        if !missing.is_empty() {
            let _ = writeln!(s, "  not called: {}", missing.join(", "));
        }
        let reasons = self.failure_reasons();
        if reasons.is_empty() {
            let _ = writeln!(s, "\nPASSED");
        } else {
            let _ = writeln!(s, "\nFAILED: {}", reasons.join("; "));
        }
        s
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.insert("passed".into(), self.passed().into());
            m.insert("failureReasons".into(), self.failure_reasons().into());
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// The report as JUnit XML: one test case for the command, one for the contract, one per
    /// behavior check (skipped when not exercised) and one for coverage.
    pub fn to_junit(&self) -> String {
        let mut cases: Vec<(String, Option<String>, bool)> = Vec::new();
        let cmd_failure = (!self.outcome.success()).then(|| format!("{:?}", self.outcome));
        cases.push(("command".into(), cmd_failure, false));
        let contract = (!self.violations.is_empty()).then(|| {
            self.violations
                .iter()
                .map(|v| format!("[{}] {}: {}", v.kind.as_str(), v.request, v.reason))
                .collect::<Vec<_>>()
                .join("\n")
        });
        cases.push(("contract".into(), contract, false));
        for c in &self.behavior {
            let failure = (c.outcome == Outcome::Failed).then(|| c.details.join("\n"));
            cases.push((
                format!("behavior.{}", c.name),
                failure,
                c.outcome == Outcome::NotExercised,
            ));
        }
        let cov = (!self.coverage_ok()).then(|| format!("{:.1}%", self.coverage.percent));
        cases.push(("coverage".into(), cov, false));
        let failures = cases.iter().filter(|c| c.1.is_some()).count();
        let skipped = cases.iter().filter(|c| c.2).count();
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            s,
            "<testsuite name=\"wm-contract client\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            cases.len()
        );
        for (name, failure, skip) in cases {
            let _ = write!(
                s,
                "  <testcase classname=\"client\" name=\"{}\"",
                xml_escape(&name)
            );
            match (failure, skip) {
                (Some(f), _) => {
                    let _ = writeln!(
                        s,
                        "><failure message=\"failed\">{}</failure></testcase>",
                        xml_escape(&f)
                    );
                }
                (None, true) => {
                    let _ = writeln!(s, "><skipped message=\"not exercised\"/></testcase>");
                }
                (None, false) => {
                    let _ = writeln!(s, "/>");
                }
            }
        }
        s.push_str("</testsuite>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts() {
        let r = Report {
            command: "x".into(),
            outcome: CommandOutcome::Exited(3),
            seed: 1,
            requests: 0,
            violations: Vec::new(),
            coverage: Coverage::default(),
            min_coverage: None,
            behavior: Vec::new(),
        };
        let x = r.to_junit();
        assert!(x.contains("failures=\"1\""), "{x}");
        assert!(!r.passed());
        assert_eq!(
            r.failure_reasons(),
            ["the client command failed (exit status 3)"]
        );
    }
}

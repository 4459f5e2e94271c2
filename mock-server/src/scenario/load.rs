//! Reading scenario files: JSON parsing with the JSON pointer of whatever is wrong, then semantic
//! checks (times, counts, method names, ...) that also name a pointer.
//!
//! Every error is a [`ScenarioError`] whose message reads
//! `<file>: <pointer>: <what is wrong>`, e.g.
//! `fixtures/scenarios/x.json: /rules/2/action/type: unknown variant `nope`, expected one of ...`.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::Path;

use serde_json::Value;
use worker_manager_schemas::files::schema_name_from_ref;
use worker_manager_schemas::Catalog;

use crate::clock::Clock;
use crate::provider::{default_providers, Provider};
use crate::scenario::model::{relative_or_absolute, Scenario, Seed};
use crate::scenario::rules::{glob_match, Action, OneOrMany, Rule};
use crate::scenario::seed::check_seed;

/// Why a scenario (or a seed) was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{source_name}: {error}")]
    Io {
        /// The file.
        source_name: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// The text is not JSON, or not JSON of the scenario's shape.
    #[error("{source_name}: {}{message}{}", at(pointer), position(*line, *column))]
    Parse {
        /// The file.
        source_name: String,
        /// JSON pointer of the offending value (`""`: the document, or a syntax error).
        pointer: String,
        /// What is wrong.
        message: String,
        /// 1-based line of the parser's position (0 if unknown).
        line: usize,
        /// 1-based column of the parser's position (0 if unknown).
        column: usize,
    },
    /// The scenario is well-formed but says something impossible.
    #[error("{source_name}: {}{message}", at(pointer))]
    Invalid {
        /// The file (`seed` for a seed applied on its own).
        source_name: String,
        /// JSON pointer of the offending value.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

fn at(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!("{pointer}: ")
    }
}

fn position(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (line {line}, column {column})")
    }
}

impl ScenarioError {
    /// The name of the file (or `seed`) the error is about.
    pub fn source_name(&self) -> &str {
        match self {
            ScenarioError::Io { source_name, .. }
            | ScenarioError::Parse { source_name, .. }
            | ScenarioError::Invalid { source_name, .. } => source_name,
        }
    }

    /// The JSON pointer of the offending value (`""` for the document or an unreadable file).
    pub fn pointer(&self) -> &str {
        match self {
            ScenarioError::Io { .. } => "",
            ScenarioError::Parse { pointer, .. } | ScenarioError::Invalid { pointer, .. } => {
                pointer
            }
        }
    }

    /// What is wrong, without the file name and pointer.
    pub fn reason(&self) -> String {
        match self {
            ScenarioError::Io { error, .. } => error.to_string(),
            ScenarioError::Parse { message, .. } | ScenarioError::Invalid { message, .. } => {
                message.clone()
            }
        }
    }

    /// The same error, attributed to another source (for example, the file a seed came from).
    pub fn with_source(mut self, name: &str) -> ScenarioError {
        match &mut self {
            ScenarioError::Io { source_name, .. }
            | ScenarioError::Parse { source_name, .. }
            | ScenarioError::Invalid { source_name, .. } => *source_name = name.to_string(),
        }
        self
    }
}

/// A semantic problem found by the checks: where and what. Becomes a [`ScenarioError::Invalid`]
/// once the source is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    /// JSON pointer.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Issue {
    /// An issue at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// The error for source `source_name`.
    pub fn into_error(self, source_name: &str) -> ScenarioError {
        ScenarioError::Invalid {
            source_name: source_name.to_string(),
            pointer: self.pointer,
            message: self.message,
        }
    }
}

/// Escapes one JSON pointer reference token (`~` → `~0`, `/` → `~1`).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `base` extended by one reference token.
pub(crate) fn ptr(base: &str, token: impl Display) -> String {
    format!("{base}/{}", escape(&token.to_string()))
}

/// Renders serde_path_to_error's path as a JSON pointer.
fn path_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out = ptr(&out, index),
            Segment::Map { key } => out = ptr(&out, key),
            Segment::Enum { variant } => out = ptr(&out, variant),
            Segment::Unknown => break,
        }
    }
    out
}

/// The quoted name in a serde message such as "unknown field `bogus`, expected ...".
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

impl Scenario {
    /// Parses and checks the text of a scenario; `source_name` (usually the file name) prefixes
    /// every error.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut pointer = path_pointer(e.path());
            let inner = e.into_inner();
            let (line, column) = (inner.line(), inner.column());
            let full = inner.to_string();
            let suffix = format!(" at line {line} column {column}");
            let mut message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
            // The fields of internally tagged enums (rule actions) lose their own path segment;
            // put the unknown field back on the pointer.
            if let Some(field) = quoted_after(&message, "unknown field ") {
                if !pointer.ends_with(&format!("/{}", escape(field))) {
                    pointer = ptr(&pointer, field);
                }
            }
            if message.starts_with("data did not match any variant of untagged enum OneOrMany") {
                message = "expected a string or a list of strings".to_string();
            }
            ScenarioError::Parse {
                source_name: source_name.to_string(),
                pointer,
                message,
                line,
                column,
            }
        })?;
        scenario.check(source_name)?;
        Ok(scenario)
    }

    /// Reads, parses and checks a scenario file; errors name the path as given.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io {
            source_name: name.clone(),
            error,
        })?;
        Scenario::from_json_str(&text, &name)
    }

    /// The semantic checks of a parsed scenario (run by [`Scenario::from_json_str`]): rule
    /// conditions and actions, and the seed (see [`Seed::check`]).
    pub fn check(&self, source_name: &str) -> Result<(), ScenarioError> {
        let now = load_now(&self.seed);
        for (i, rule) in self.rules.iter().enumerate() {
            check_rule(rule, &ptr("/rules", i), now).map_err(|e| e.into_error(source_name))?;
        }
        self.seed.check(source_name)
    }
}

impl Seed {
    /// The checks that need no service: time fields, ids, counts, references, pool configs
    /// against their provider type's schema. The providers are the seed's own or, if it lists
    /// none, the default ones (applying checks again against the service's real providers).
    pub fn check(&self, source_name: &str) -> Result<(), ScenarioError> {
        let defaults;
        let providers: &[Provider] = match &self.providers {
            Some(p) => p,
            None => {
                defaults = default_providers();
                &defaults
            }
        };
        check_seed(self, providers, load_now(self)).map_err(|e| e.into_error(source_name))
    }
}

/// The "now" relative times are checked against at load: the seed's clock, else the wall clock.
fn load_now(seed: &Seed) -> i64 {
    let wall = Clock::system().now_ms();
    seed.clock
        .as_ref()
        .and_then(|c| relative_or_absolute(&c.now, wall))
        .unwrap_or(wall)
}

/// Every name a `params` condition may use (the engine matches path parameters and body
/// fields): any method's path parameters and top-level request body properties.
fn known_param_names(catalog: &Catalog) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for e in catalog.entries() {
        names.extend(e.args.iter().cloned());
        let props = e
            .input
            .as_deref()
            .map(schema_name_from_ref)
            .and_then(worker_manager_schemas::files::schema_text)
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .and_then(|s| s.get("properties").and_then(Value::as_object).cloned());
        names.extend(
            props
                .into_iter()
                .flat_map(|m| m.into_iter().map(|(k, _)| k)),
        );
    }
    names
}

/// Edit distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Checks one rule (`base` = `/rules/<i>`).
fn check_rule(rule: &Rule, base: &str, now: i64) -> Result<(), Issue> {
    let catalog = Catalog::embedded();
    let m = &rule.matcher;
    let mbase = ptr(base, "match");
    if let Some(methods) = &m.method {
        let values = methods.values();
        if values.is_empty() {
            return Err(Issue::new(
                ptr(&mbase, "method"),
                "an empty list of methods matches nothing",
            ));
        }
        for (j, name) in values.iter().enumerate() {
            let at = match methods {
                OneOrMany::One(_) => ptr(&mbase, "method"),
                OneOrMany::Many(_) => ptr(&ptr(&mbase, "method"), j),
            };
            let names = || catalog.entries().iter().map(|e| e.name.as_str());
            if name.contains(['*', '?']) {
                if !names().any(|n| glob_match(name, n)) {
                    return Err(Issue::new(
                        at,
                        format!("the glob `{name}` matches no API method"),
                    ));
                }
            } else if catalog.get(name).is_none() {
                return Err(Issue::new(
                    at,
                    format!("unknown API method `{name}`{}", did_you_mean(name, names())),
                ));
            }
        }
    }
    if !m.params.is_empty() {
        let known = known_param_names(catalog);
        for key in m.params.keys() {
            if !known.contains(key) {
                return Err(Issue::new(
                    ptr(&ptr(&mbase, "params"), key),
                    format!(
                        "no API method has a parameter `{key}`{}",
                        did_you_mean(key, known.iter().map(String::as_str))
                    ),
                ));
            }
        }
    }
    for (field, value) in [("first", m.first), ("every", m.every)] {
        if value == Some(0) {
            return Err(Issue::new(
                ptr(&mbase, field),
                format!("`{field}` must be at least 1"),
            ));
        }
    }
    if let Some(p) = m.probability {
        if !(0.0..=1.0).contains(&p) {
            return Err(Issue::new(
                ptr(&mbase, "probability"),
                format!("probability {p} is outside 0..1"),
            ));
        }
    }
    let mut window = [None, None];
    for (k, (field, value)) in [("from", &m.from), ("until", &m.until)]
        .into_iter()
        .enumerate()
    {
        if let Some(text) = value {
            window[k] = Some(
                relative_or_absolute(text, now)
                    .ok_or_else(|| Issue::new(ptr(&mbase, field), bad_time(text)))?,
            );
        }
    }
    if let [Some(from), Some(until)] = window {
        if from >= until {
            return Err(Issue::new(
                ptr(&mbase, "until"),
                "`until` is not after `from`, so the rule never fires",
            ));
        }
    }
    let abase = ptr(base, "action");
    match &rule.action {
        Action::Latency {
            min_ms: Some(min),
            max_ms: Some(max),
            ..
        } if min > max => Err(Issue::new(
            ptr(&abase, "minMs"),
            format!("minMs {min} is greater than maxMs {max}"),
        )),
        Action::Error(e) if !(400..=599).contains(&e.status) => Err(Issue::new(
            ptr(&abase, "status"),
            format!("an error status must be 400..599, not {}", e.status),
        )),
        Action::ApplyThenFail { error: Some(e), .. } if !(400..=599).contains(&e.status) => {
            Err(Issue::new(
                ptr(&ptr(&abase, "error"), "status"),
                format!("an error status must be 400..599, not {}", e.status),
            ))
        }
        Action::Raw { status, .. } if !(100..=999).contains(status) => Err(Issue::new(
            ptr(&abase, "status"),
            format!("an HTTP status must be 100..999, not {status}"),
        )),
        Action::Paging {
            page_size: Some(0), ..
        } => Err(Issue::new(
            ptr(&abase, "pageSize"),
            "pageSize must be at least 1",
        )),
        _ => Ok(()),
    }
}

/// The message for a time field that cannot be read.
pub(crate) fn bad_time(text: &str) -> String {
    format!(
        "`{text}` is not a time: give a date-time (2026-01-31T12:00:00.000Z) or an offset from \
         now (-1h, +30m, 10s, 7d, -250ms)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ScenarioError {
        Scenario::from_json_str(text, "t.json").expect_err(text)
    }

    #[test]
    fn pointers_of_shape_errors() {
        let e = err(r#"{"rules":[{"action":{"type":"reset"}},{"action":{"type":"nope"}}]}"#);
        assert_eq!(e.pointer(), "/rules/1/action/type");
        let e = err(r#"{"rules":[{"action":{"type":"latency","bogus":1}}]}"#);
        assert_eq!(e.pointer(), "/rules/0/action/bogus");
        let e = err(r#"{"rules":[{"match":{"bogus":1},"action":{"type":"reset"}}]}"#);
        assert_eq!(e.pointer(), "/rules/0/match/bogus");
        let e = err(r#"{"seed":{"workerPools":[{"workerPoolId":"a/b"}]}}"#);
        assert_eq!(e.pointer(), "/seed/workerPools/0");
        assert!(e.to_string().contains("missing field `providerId`"), "{e}");
        let e = err(r#"{"rules":[{"match":{"method":3},"action":{"type":"reset"}}]}"#);
        assert_eq!(e.reason(), "expected a string or a list of strings");
        let e = err("{\"rules\": [1,]}");
        assert!(e.to_string().starts_with("t.json: "), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn pointers_escape_slashes() {
        assert_eq!(ptr("/a", "p/x~y"), "/a/p~1x~0y");
    }

    #[test]
    fn semantic_rule_checks() {
        let cases = [
            (
                r#"{"method":"workerPol"}"#,
                "/rules/0/match/method",
                "did you mean `workerPool`",
            ),
            (
                r#"{"method":["ping","zzz*"]}"#,
                "/rules/0/match/method/1",
                "matches no API method",
            ),
            (
                r#"{"params":{"poolId":"x"}}"#,
                "/rules/0/match/params/poolId",
                "no API method",
            ),
            (
                r#"{"params":{"limit":"5"}}"#,
                "/rules/0/match/params/limit",
                "no API method",
            ),
            (r#"{"every":0}"#, "/rules/0/match/every", "at least 1"),
            (r#"{"first":0}"#, "/rules/0/match/first", "at least 1"),
            (
                r#"{"probability":1.5}"#,
                "/rules/0/match/probability",
                "outside 0..1",
            ),
            (
                r#"{"from":"tomorrow"}"#,
                "/rules/0/match/from",
                "not a time",
            ),
            (
                r#"{"from":"+1h","until":"-1h"}"#,
                "/rules/0/match/until",
                "never fires",
            ),
        ];
        for (m, pointer, reason) in cases {
            let text = format!(r#"{{"rules":[{{"match":{m},"action":{{"type":"reset"}}}}]}}"#);
            let e = err(&text);
            assert_eq!(e.pointer(), pointer, "{text}");
            assert!(e.reason().contains(reason), "{e}");
        }
        let e = err(r#"{"rules":[{"action":{"type":"latency","minMs":9,"maxMs":3}}]}"#);
        assert_eq!(e.pointer(), "/rules/0/action/minMs");
        let ok = r#"{"rules":[{"match":{"method":"list*","params":{"workerPoolId":"p/*","providerId":"aws"}},
                     "action":{"type":"latency","minMs":1,"maxMs":3}}]}"#;
        Scenario::from_json_str(ok, "t.json").unwrap();
    }
}

//! Scenario rules: what to match and what to do instead of (or on top of) the normal answer.
//!
//! A rule is `{"name": .., "match": {..}, "action": {"type": .., ..}}`. Rules are tried in order for
//! every API request; a rule *matches* when all of its `match` conditions hold, and *fires* when it
//! matches inside its count window (`first`, `after`, `every`, `probability`). Latency actions add
//! up and let the request go on to the next rules; any other firing action is the last one applied.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One value or several (`"method": "workerPool"` or `"method": ["workerPool", "list*"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values; any may match.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values.
    pub fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// When a rule matches. Every condition given must hold; an empty match matches every request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Match {
    /// API method names or globs (`*` any run of characters, `?` one character).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<OneOrMany>,
    /// Path (or body) parameters and the glob each must match (`{"workerPoolId": "proj/*"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// The providerId the request touches (the pool's or worker's provider, or the body's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Glob on the clientId the request claims (its Hawk `id`; `none` for no credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Fire only for the first N matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<u64>,
    /// Fire only after N matching requests have passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Fire on every Nth matching request (N, 2N, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Fire only from this time on (date-time, or relative to load time: `-1h`, `+30m`, `10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Fire only before this time (same forms as `from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Fire with this probability (0..1), drawn from the seeded generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// A Taskcluster error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorAnswer {
    /// HTTP status.
    pub status: u16,
    /// Error code (`InternalServerError`, ...).
    pub code: String,
    /// Message (the standard trailer is added).
    #[serde(default)]
    pub message: String,
}

/// What a firing rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// The provider (this one, or the one the request touches) is down: the methods that use it
    /// answer `503 ProviderSetupFailed`, at the point in their checks where upstream does.
    ProviderOutage {
        /// Which provider; default: the one the request touches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
    /// A Taskcluster error instead of the normal answer (nothing is changed).
    Error(ErrorAnswer),
    /// A raw response instead of the normal answer (nothing is changed): any status, headers and
    /// body, malformed bodies included.
    Raw {
        /// HTTP status.
        status: u16,
        /// Headers to send.
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// Body text, sent as is.
        #[serde(default)]
        body: String,
    },
    /// Delay the answer (then go on with the next rules).
    Latency {
        /// Fixed delay in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "ms")]
        ms: Option<u64>,
        /// Random delay: lower bound (ms).
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "minMs")]
        min_ms: Option<u64>,
        /// Random delay: upper bound (ms).
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "maxMs")]
        max_ms: Option<u64>,
    },
    /// Close the connection without any response (nothing is changed).
    Reset,
    /// Change how list methods page.
    Paging {
        /// Serve pages of at most this many items, whatever `limit` says.
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "pageSize")]
        page_size: Option<usize>,
        /// Answer with an empty page that still carries a continuationToken (to the same place).
        #[serde(default, rename = "emptyPage")]
        empty_page: bool,
        /// A continuation token used more than this many times is refused with 400.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "expireTokenAfter"
        )]
        expire_token_after: Option<u32>,
        /// Use upstream's offset tokens, whose pages shift when items are inserted or deleted.
        #[serde(default, rename = "offsetTokens")]
        offset_tokens: bool,
    },
    /// Issue worker credentials (registerWorker, reregisterWorker) that expire after this long.
    CredentialLifetime {
        /// Lifetime in seconds.
        seconds: u64,
    },
    /// Apply the call (its write happens), then answer with an error or drop the reply: the lost
    /// reply a client must survive.
    ApplyThenFail {
        /// Drop the connection instead of answering.
        #[serde(default)]
        drop: bool,
        /// The error to answer with (default 500 InternalServerError).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<ErrorAnswer>,
    },
    /// Deliver the call twice (as a retrying proxy might); the client gets the second answer.
    Duplicate,
    /// A lagging read replica: the call is answered with what the same request (method, path and
    /// query) was answered the previous time, and this answer is kept for the next one. The first
    /// such request gets a fresh answer. Meant for reads: a stale read after a write.
    Stale,
}

/// A scenario rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// A name for reports (default: `rule-<index>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it applies.
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// What it does.
    pub action: Action,
}

/// Matches `text` against a glob: `*` is any run of characters, `?` any one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("list*", "listWorkerPools"));
        assert!(glob_match("*", ""));
        assert!(glob_match("proj/*", "proj/linux"));
        assert!(!glob_match("proj/*", "other/linux"));
        assert!(glob_match("w?rker", "worker"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("workerPool", "workerPool"));
        assert!(!glob_match("workerPool", "workerPools"));
    }

    #[test]
    fn rules_parse_from_json() {
        let r: Rule = serde_json::from_str(
            r#"{"name":"outage","match":{"method":["createWorkerPool","list*"],"first":3},
                "action":{"type":"provider-outage","provider":"aws"}}"#,
        )
        .unwrap();
        assert_eq!(r.matcher.first, Some(3));
        assert!(matches!(r.action, Action::ProviderOutage { .. }));
        let e: Rule = serde_json::from_str(
            r#"{"action":{"type":"error","status":500,"code":"InternalServerError","message":"boom"}}"#,
        )
        .unwrap();
        assert!(matches!(
            e.action,
            Action::Error(ErrorAnswer { status: 500, .. })
        ));
        assert!(serde_json::from_str::<Rule>(r#"{"action":{"type":"nope"}}"#).is_err());
        assert!(
            serde_json::from_str::<Rule>(r#"{"match":{"bogus":1},"action":{"type":"reset"}}"#)
                .is_err()
        );
    }
}

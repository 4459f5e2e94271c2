//! Client-behavior checks over time, read from the journal: how the client reacts to server
//! errors, client errors, paging tokens and expiring credentials. Each check is passed, failed
//! or not exercised (the run never put the client in the situation it checks). The definitions
//! are precise so that a report can be argued with:
//!
//! - **retries-server-errors**: after a 5xx answer or a closed connection, the client sends the
//!   *same request* (same clientId, HTTP method, path with query, body) again. The retries of one
//!   failure form a chain: each is the next same request after the previous one, sent within
//!   [`RETRY_WINDOW_MS`]. A chain fails when the first failure is never retried, when it has more
//!   than [`MAX_RETRIES`] retries, when a retry comes sooner than [`MIN_BACKOFF_MS`] after the
//!   failure it answers, or when a delay is shorter than the one before it (no backoff).
//! - **no-retry-of-client-errors**: after a 4xx answer (other than 408 and 429, which invite a
//!   retry), the client's *next* request (the next one with the same clientId) must not be the
//!   same request within [`RETRY_WINDOW_MS`]: nothing changed, so the same answer will come.
//! - **follows-continuation-tokens**: every `continuationToken` a 2xx answer carried is sent
//!   back later (query `continuationToken`) to the same method and path. The client *stopped
//!   paging* — allowed — when the request that got the token asked for a bounded page (query
//!   `limit`) and the client never asked that method and path again; any other unfollowed token
//!   (a restart, a skipped page, a page without `limit` left behind) fails.
//! - **reregisters-before-expiry**: the worker credentials `registerWorker`/`reregisterWorker`
//!   handed out (clientId and `expires`) are not used after `expires` of the latest credentials
//!   issued to that clientId: a worker must renew before then.
//! - **no-reuse-of-rotated-secret**: no `reregisterWorker` is refused with *"Could not generate
//!   credentials for this secret"* once a secret was handed out: the secret rotates on every
//!   reregistration, and only the newest one works.
//! - **signed-with-valid-credentials**: no request fails authentication because its credentials
//!   (temporary credentials, a client, a bewit) had expired, and no request is signed with worker
//!   credentials after their `expires` even when the service still accepts it (Taskcluster
//!   accepts a certificate up to 5 minutes past its expiry, for clock skew; a client must not
//!   count on that). The difference with *reregisters-before-expiry* is the point of view: that
//!   one asks whether each worker renewed in time, this one whether each request was signed with
//!   live credentials, whoever issued them.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use worker_manager_mock::time::parse_date_time;

use super::observed::Observed;

/// Retries further apart than this (ms) are new requests, not retries.
pub const RETRY_WINDOW_MS: i64 = 60_000;

/// The most retries of one failed request a client may send.
pub const MAX_RETRIES: usize = 5;

/// A retry sooner than this (ms) after the failure it answers is not a backoff.
pub const MIN_BACKOFF_MS: i64 = 10;

/// The message of the mock (and the real service) for a secret that does not match.
const ROTATED_SECRET: &str = "Could not generate credentials for this secret";

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The situation came up and the client behaved.
    Passed,
    /// The client misbehaved at least once.
    Failed,
    /// The situation never came up.
    NotExercised,
}

impl Outcome {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotExercised => "not exercised",
        }
    }
}

/// The result of one behavior check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BehaviorCheck {
    /// The check's name (see the module documentation).
    pub name: &'static str,
    /// How it came out.
    pub outcome: Outcome,
    /// What was seen: one line per occurrence (failures first).
    pub details: Vec<String>,
}

fn result(
    name: &'static str,
    exercised: bool,
    failures: Vec<String>,
    seen: Vec<String>,
) -> BehaviorCheck {
    let outcome = if !failures.is_empty() {
        Outcome::Failed
    } else if exercised {
        Outcome::Passed
    } else {
        Outcome::NotExercised
    };
    let mut details = failures;
    details.extend(seen);
    BehaviorCheck {
        name,
        outcome,
        details,
    }
}

/// Every behavior check over `requests` (oldest first).
pub fn check_all(requests: &[Observed]) -> Vec<BehaviorCheck> {
    vec![
        retries_server_errors(requests),
        no_retry_of_client_errors(requests),
        follows_continuation_tokens(requests),
        reregisters_before_expiry(requests),
        no_reuse_of_rotated_secret(requests),
        signed_with_valid_credentials(requests),
    ]
}

fn describe(r: &Observed) -> String {
    format!("{} {}", r.http_method, r.path)
}

/// The next same request after `i`, within the retry window.
fn next_same(requests: &[Observed], i: usize) -> Option<usize> {
    let r = &requests[i];
    requests
        .iter()
        .enumerate()
        .skip(i + 1)
        .take_while(|(_, x)| x.time - r.time <= RETRY_WINDOW_MS)
        .find(|(_, x)| x.same_request(r))
        .map(|(j, _)| j)
}

/// See the module documentation.
pub fn retries_server_errors(requests: &[Observed]) -> BehaviorCheck {
    let mut in_chain = HashSet::new();
    let (mut failures, mut seen) = (Vec::new(), Vec::new());
    let mut exercised = false;
    for i in 0..requests.len() {
        let r = &requests[i];
        if r.method.is_none() || !r.is_server_error() || in_chain.contains(&i) {
            continue;
        }
        exercised = true;
        let mut chain = vec![i];
        let mut last = i;
        while requests[last].is_server_error() {
            match next_same(requests, last) {
                Some(j) => {
                    chain.push(j);
                    in_chain.insert(j);
                    last = j;
                }
                None => break,
            }
        }
        let gaps: Vec<i64> = chain
            .windows(2)
            .map(|w| requests[w[1]].time - requests[w[0]].time)
            .collect();
        let retries = chain.len() - 1;
        let what = format!(
            "{} answered {}: {retries} retries, delays {gaps:?} ms, last answer {}",
            describe(r),
            r.status,
            requests[last].status
        );
        if retries == 0 {
            failures.push(format!("never retried: {what}"));
        } else if retries > MAX_RETRIES {
            failures.push(format!("more than {MAX_RETRIES} retries: {what}"));
        } else if gaps.iter().any(|g| *g < MIN_BACKOFF_MS) {
            failures.push(format!("retried sooner than {MIN_BACKOFF_MS} ms: {what}"));
        } else if gaps.windows(2).any(|w| w[1] < w[0]) {
            failures.push(format!("delays do not increase: {what}"));
        } else {
            seen.push(what);
        }
    }
    result("retries-server-errors", exercised, failures, seen)
}

/// See the module documentation.
pub fn no_retry_of_client_errors(requests: &[Observed]) -> BehaviorCheck {
    let (mut failures, mut seen) = (Vec::new(), Vec::new());
    let mut exercised = false;
    for (i, r) in requests.iter().enumerate() {
        if !(400..500).contains(&r.status) || matches!(r.status, 408 | 429) || r.method.is_none() {
            continue;
        }
        exercised = true;
        let next = requests[i + 1..]
            .iter()
            .find(|x| x.client_id == r.client_id);
        match next {
            Some(n) if n.same_request(r) && n.time - r.time <= RETRY_WINDOW_MS => {
                failures.push(format!(
                    "repeated after {} {}: {}",
                    r.status,
                    r.error_code.as_deref().unwrap_or(""),
                    describe(r)
                ))
            }
            _ => seen.push(format!(
                "{} answered {}, not repeated",
                describe(r),
                r.status
            )),
        }
    }
    result("no-retry-of-client-errors", exercised, failures, seen)
}

/// See the module documentation.
pub fn follows_continuation_tokens(requests: &[Observed]) -> BehaviorCheck {
    let (mut failures, mut seen) = (Vec::new(), Vec::new());
    let mut exercised = false;
    for (i, r) in requests.iter().enumerate() {
        let Some(token) = r
            .response_body
            .get("continuationToken")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if !(200..300).contains(&r.status) || r.method.is_none() {
            continue;
        }
        exercised = true;
        let later = || {
            requests[i + 1..]
                .iter()
                .filter(|x| x.method == r.method && x.route() == r.route())
        };
        if later().any(|x| x.query_value("continuationToken").as_deref() == Some(token)) {
            seen.push(format!("{}: token followed", describe(r)));
        } else if r.query_value("limit").is_some() && later().next().is_none() {
            seen.push(format!(
                "{}: client stopped paging (bounded page)",
                describe(r)
            ));
        } else {
            failures.push(format!(
                "token `{token}` from {} never sent back",
                describe(r)
            ));
        }
    }
    result("follows-continuation-tokens", exercised, failures, seen)
}

/// `(clientId, expires)` of worker credentials a registration answer handed out.
fn issued(r: &Observed) -> Option<(String, i64)> {
    let registration = matches!(
        r.method.as_deref(),
        Some("registerWorker" | "reregisterWorker")
    );
    if !registration || !(200..300).contains(&r.status) {
        return None;
    }
    let body = &r.response_body;
    let client = body.pointer("/credentials/clientId")?.as_str()?;
    let expires = parse_date_time(body.get("expires")?.as_str()?)?;
    Some((client.to_string(), expires))
}

/// See the module documentation.
pub fn reregisters_before_expiry(requests: &[Observed]) -> BehaviorCheck {
    let mut expiry: BTreeMap<String, i64> = BTreeMap::new();
    let (mut failures, mut used) = (Vec::new(), 0usize);
    for r in requests {
        if let Some(client) = &r.client_id {
            if let Some(expires) = expiry.get(client) {
                used += 1;
                if r.time > *expires {
                    failures.push(format!(
                        "{} used credentials of {client} {} ms after they expired",
                        describe(r),
                        r.time - expires
                    ));
                }
            }
        }
        if let Some((client, expires)) = issued(r) {
            expiry.insert(client, expires);
        }
    }
    let seen = if used > 0 {
        vec![format!(
            "{used} requests with worker credentials, all before expiry"
        )]
    } else {
        Vec::new()
    };
    result("reregisters-before-expiry", used > 0, failures, seen)
}

/// See the module documentation.
pub fn no_reuse_of_rotated_secret(requests: &[Observed]) -> BehaviorCheck {
    let (mut failures, mut seen) = (Vec::new(), Vec::new());
    let mut secret_issued = false;
    let mut exercised = false;
    for r in requests {
        if r.method.as_deref() == Some("reregisterWorker") && secret_issued {
            exercised = true;
            if r.status == 400 && r.message().contains(ROTATED_SECRET) {
                failures.push(format!("{}: {}", describe(r), r.message()));
            } else {
                seen.push(format!("{} answered {}", describe(r), r.status));
            }
        }
        if issued(r).is_some() {
            secret_issued = true;
        }
    }
    result("no-reuse-of-rotated-secret", exercised, failures, seen)
}

/// See the module documentation.
pub fn signed_with_valid_credentials(requests: &[Observed]) -> BehaviorCheck {
    let mut expiry: BTreeMap<String, i64> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut signed = 0usize;
    for r in requests {
        if let Some(client) = &r.client_id {
            signed += 1;
            let auth_failed = r.error_code.as_deref() == Some("AuthenticationFailed");
            if auth_failed && r.message().contains("expir") {
                failures.push(format!("{}: {}", describe(r), r.message()));
            } else if let Some(expires) = expiry.get(client).filter(|e| r.time > **e) {
                failures.push(format!(
                    "{} signed with credentials of {client} that expired {} ms before (answered {})",
                    describe(r),
                    r.time - expires,
                    r.status
                ));
            }
        }
        if let Some((client, expires)) = issued(r) {
            expiry.insert(client, expires);
        }
    }
    let seen = if signed > 0 {
        vec![format!("{signed} signed requests")]
    } else {
        Vec::new()
    };
    result("signed-with-valid-credentials", signed > 0, failures, seen)
}

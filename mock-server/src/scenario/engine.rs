//! The rule engine: decides, for each API request, which scenario rules fire and what they change.
//!
//! Counting is atomic per rule, so a rule for the first N calls fires exactly N times however many
//! requests arrive at once. Decisions use the service's seeded generator, so a seed replays the
//! same random latencies and probabilistic faults (for the same order of requests).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use super::rules::{glob_match, Action, ErrorAnswer, Rule};
use crate::call::Overrides;
use crate::ids::Ids;
use crate::store::model::WorkerKey;
use crate::store::Store;
use crate::time::{Millis, SECOND};
use worker_manager_schemas::PathParams;

/// What the engine knows of a request before handling it.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// API method name (the catalog entry's).
    pub method: &'a str,
    /// Decoded path parameters.
    pub params: &'a PathParams<'a>,
    /// The body, parsed leniently (`Null` if not JSON).
    pub body: &'a Value,
    /// The clientId the request claims (Hawk `id`), if any.
    pub client: Option<&'a str>,
    /// The providerId the request touches, if any (see [`touched_provider`]).
    pub provider: Option<&'a str>,
    /// The continuation token sent, if any.
    pub token: Option<&'a str>,
    /// The mock's clock.
    pub now: Millis,
}

/// Answers a rule gives instead of handling the request.
#[derive(Debug, Clone, PartialEq)]
pub enum Before {
    /// A Taskcluster error (envelope added).
    Error(ErrorAnswer),
    /// A raw response, sent as is.
    Raw {
        /// Status.
        status: u16,
        /// Headers.
        headers: BTreeMap<String, String>,
        /// Body text.
        body: String,
    },
    /// Close the connection without a response.
    Reset,
}

/// Changes a rule makes after the request was handled.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    /// The write happened; answer with this error instead.
    Fail(ErrorAnswer),
    /// The write happened; close the connection without a response.
    Drop,
    /// Replace a list with an empty page that carries a token to the same place.
    EmptyPage,
    /// Handle the request a second time; answer with the second result.
    Duplicate,
    /// Answer with the previous answer to the same request (and keep this one for the next).
    Stale,
}

/// The engine's decision for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Names of the rules that fired, in order.
    pub fired: Vec<String>,
    /// Delay before answering (ms).
    pub latency_ms: u64,
    /// Changes to how the call is handled.
    pub overrides: Overrides,
    /// An answer instead of handling the call.
    pub before: Option<Before>,
    /// A change after handling the call.
    pub after: Option<After>,
}

struct ActiveRule {
    name: String,
    rule: Rule,
    from: Option<Millis>,
    until: Option<Millis>,
    matched: AtomicU64,
    fired: AtomicU64,
}

/// How often a rule matched and fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleReport {
    /// The rule's name.
    pub name: String,
    /// The rule as loaded.
    pub rule: Rule,
    /// Requests its match conditions accepted.
    pub matched: u64,
    /// Requests it fired on.
    pub fired: u64,
}

/// Parses a rule time: a date-time, or a duration relative to `now` (`-1h`, `+30m`, `10s`, `7d`,
/// `250ms`).
pub fn parse_time(text: &str, now: Millis) -> Option<Millis> {
    super::model::relative_or_absolute(text, now)
}

/// Parses a signed duration (`-1h`, `+30m`, `10s`, `7d`, `250ms`) into milliseconds.
pub fn parse_offset(text: &str) -> Option<Millis> {
    let t = text.trim();
    let (sign, t) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "ms" => 1,
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => 3600 * SECOND,
        "d" => 86_400 * SECOND,
        _ => return None,
    };
    n.checked_mul(unit_ms).map(|v| sign * v)
}

/// The providerId a request touches: the body's `providerId`, else the worker's (when the
/// request names one that exists), else the pool's.
pub fn touched_provider(store: &Store, params: &PathParams<'_>, body: &Value) -> Option<String> {
    if let Some(p) = body.get("providerId").and_then(Value::as_str) {
        return Some(p.to_string());
    }
    let field = |k: &str| {
        params
            .get(k)
            .or_else(|| body.get(k).and_then(Value::as_str))
    };
    let pool = field("workerPoolId")?;
    if let (Some(g), Some(i)) = (field("workerGroup"), field("workerId")) {
        if let Some(w) = store.worker(&WorkerKey::new(pool, g, i)) {
            return Some(w.provider_id.to_string());
        }
    }
    store.pool(pool).map(|p| p.provider_id.clone())
}

/// The loaded rules with their counters.
#[derive(Default)]
pub struct Engine {
    rules: Vec<ActiveRule>,
    token_uses: Mutex<HashMap<String, u32>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl Engine {
    /// An engine with no rules (every request is handled normally).
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Adds rules; relative `from`/`until` times are resolved against `now`.
    pub fn add_rules(&mut self, rules: &[Rule], now: Millis) {
        for rule in rules {
            let index = self.rules.len();
            let m = &rule.matcher;
            self.rules.push(ActiveRule {
                name: rule.name.clone().unwrap_or_else(|| format!("rule-{index}")),
                from: m.from.as_deref().and_then(|t| parse_time(t, now)),
                until: m.until.as_deref().and_then(|t| parse_time(t, now)),
                rule: rule.clone(),
                matched: AtomicU64::new(0),
                fired: AtomicU64::new(0),
            });
        }
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
        self.token_uses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        for r in &self.rules {
            r.matched.store(0, Ordering::SeqCst);
            r.fired.store(0, Ordering::SeqCst);
        }
        self.token_uses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Whether any rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules with their counters, in order.
    pub fn reports(&self) -> Vec<RuleReport> {
        self.rules
            .iter()
            .map(|r| RuleReport {
                name: r.name.clone(),
                rule: r.rule.clone(),
                matched: r.matched.load(Ordering::SeqCst),
                fired: r.fired.load(Ordering::SeqCst),
            })
            .collect()
    }

    fn conditions_hold(r: &ActiveRule, f: &Facts<'_>) -> bool {
        let m = &r.rule.matcher;
        if let Some(methods) = &m.method {
            if !methods.values().iter().any(|g| glob_match(g, f.method)) {
                return false;
            }
        }
        for (k, pattern) in &m.params {
            let value = f
                .params
                .get(k)
                .or_else(|| f.body.get(k).and_then(Value::as_str));
            if !value.is_some_and(|v| glob_match(pattern, v)) {
                return false;
            }
        }
        if let Some(p) = &m.provider {
            if f.provider != Some(p.as_str()) {
                return false;
            }
        }
        if let Some(c) = &m.client {
            if !glob_match(c, f.client.unwrap_or("none")) {
                return false;
            }
        }
        r.from.is_none_or(|t| f.now >= t) && r.until.is_none_or(|t| f.now < t)
    }

    fn in_window(r: &ActiveRule, n: u64, ids: &Ids) -> bool {
        let m = &r.rule.matcher;
        m.first.is_none_or(|k| n <= k)
            && m.after.is_none_or(|k| n > k)
            && m.every.is_none_or(|k| k > 0 && n % k == 0)
            && m.probability.is_none_or(|p| ids.unit() < p)
    }

    /// Decides what the rules do to a request.
    pub fn decide(&self, facts: &Facts<'_>, ids: &Ids) -> Decision {
        let mut d = Decision::default();
        for r in &self.rules {
            if !Self::conditions_hold(r, facts) {
                continue;
            }
            let n = r.matched.fetch_add(1, Ordering::SeqCst) + 1;
            if !Self::in_window(r, n, ids) {
                continue;
            }
            r.fired.fetch_add(1, Ordering::SeqCst);
            d.fired.push(r.name.clone());
            match &r.rule.action {
                Action::Latency { ms, min_ms, max_ms } => {
                    d.latency_ms += match (ms, min_ms, max_ms) {
                        (Some(ms), _, _) => *ms,
                        (None, Some(lo), Some(hi)) => ids.between(*lo, (*hi).max(*lo)),
                        (None, lo, hi) => lo.or(*hi).unwrap_or(0),
                    };
                    continue;
                }
                Action::ProviderOutage { provider } => {
                    if let Some(p) = provider.as_deref().or(facts.provider) {
                        d.overrides.failed_providers.push(p.to_string());
                    }
                }
                Action::Error(e) => d.before = Some(Before::Error(e.clone())),
                Action::Raw {
                    status,
                    headers,
                    body,
                } => {
                    d.before = Some(Before::Raw {
                        status: *status,
                        headers: headers.clone(),
                        body: body.clone(),
                    })
                }
                Action::Reset => d.before = Some(Before::Reset),
                Action::Paging {
                    page_size,
                    empty_page,
                    expire_token_after,
                    offset_tokens,
                } => {
                    d.overrides.page_size = *page_size;
                    d.overrides.offset_tokens = *offset_tokens;
                    if *empty_page {
                        d.after = Some(After::EmptyPage);
                    }
                    if let (Some(limit), Some(token)) = (expire_token_after, facts.token) {
                        let mut uses = self.token_uses.lock().unwrap_or_else(|p| p.into_inner());
                        let n = uses.entry(token.to_string()).or_insert(0);
                        *n += 1;
                        if *n > *limit {
                            d.before = Some(Before::Error(ErrorAnswer {
                                status: 400,
                                code: "InputError".into(),
                                message: format!(
                                    "Invalid continuation token: it expired after {limit} uses (scenario rule `{}`)",
                                    r.name
                                ),
                            }));
                        }
                    }
                }
                Action::CredentialLifetime { seconds } => {
                    d.overrides.credential_lifetime = Some(*seconds as Millis * SECOND);
                }
                Action::ApplyThenFail { drop, error } => {
                    d.after = Some(if *drop {
                        After::Drop
                    } else {
                        After::Fail(error.clone().unwrap_or_else(|| ErrorAnswer {
                            status: 500,
                            code: "InternalServerError".into(),
                            message: format!(
                                "Internal Server Error (the change was applied; scenario rule `{}`)",
                                r.name
                            ),
                        }))
                    });
                }
                Action::Duplicate => d.after = Some(After::Duplicate),
                Action::Stale => d.after = Some(After::Stale),
            }
            break;
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(json: &str) -> Rule {
        serde_json::from_str(json).unwrap()
    }

    fn facts<'a>(method: &'a str, params: &'a PathParams<'a>, body: &'a Value) -> Facts<'a> {
        Facts {
            method,
            params,
            body,
            client: Some("me"),
            provider: Some("aws"),
            token: None,
            now: 1_000,
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("-1h"), Some(-3_600_000));
        assert_eq!(parse_offset("+30m"), Some(1_800_000));
        assert_eq!(parse_offset("10s"), Some(10_000));
        assert_eq!(parse_offset("7d"), Some(604_800_000));
        assert_eq!(parse_offset("250ms"), Some(250));
        assert_eq!(parse_offset("h"), None);
        assert_eq!(parse_offset("5y"), None);
    }

    #[test]
    fn first_rule_wins_and_latency_adds_up() {
        let mut e = Engine::new();
        e.add_rules(
            &[
                rule(r#"{"action":{"type":"latency","ms":5}}"#),
                rule(r#"{"match":{"method":"list*"},"action":{"type":"reset"}}"#),
                rule(r#"{"action":{"type":"duplicate"}}"#),
            ],
            0,
        );
        let (p, b) = (BTreeMap::new(), Value::Null);
        let ids = Ids::new(Some(1));
        let d = e.decide(
            &facts("listWorkerPools", &PathParams::from_map(&p).unwrap(), &b),
            &ids,
        );
        assert_eq!((d.latency_ms, d.before.clone()), (5, Some(Before::Reset)));
        assert_eq!(d.fired, vec!["rule-0", "rule-1"]);
        let d = e.decide(
            &facts("workerPool", &PathParams::from_map(&p).unwrap(), &b),
            &ids,
        );
        assert_eq!(d.after, Some(After::Duplicate));
        let reports = e.reports();
        assert_eq!((reports[1].matched, reports[1].fired), (1, 1));
        assert_eq!(reports[2].fired, 1);
    }

    #[test]
    fn params_provider_client_and_time_conditions() {
        let mut e = Engine::new();
        e.add_rules(
            &[rule(
                r#"{"match":{"params":{"workerPoolId":"proj/*"},"provider":"aws","client":"m?","from":"-1s","until":"+1s"},
                    "action":{"type":"provider-outage"}}"#,
            )],
            1_000,
        );
        let ids = Ids::new(Some(1));
        let b = Value::Null;
        let hit = BTreeMap::from([("workerPoolId".to_string(), "proj/x".to_string())]);
        let miss = BTreeMap::from([("workerPoolId".to_string(), "other/x".to_string())]);
        let d = e.decide(
            &facts("workerPool", &PathParams::from_map(&hit).unwrap(), &b),
            &ids,
        );
        assert_eq!(d.overrides.failed_providers, vec!["aws"]);
        assert!(e
            .decide(
                &facts("workerPool", &PathParams::from_map(&miss).unwrap(), &b),
                &ids
            )
            .fired
            .is_empty());
        let hit_params = PathParams::from_map(&hit).unwrap();
        let mut late = facts("workerPool", &hit_params, &b);
        late.now = 5_000;
        assert!(e.decide(&late, &ids).fired.is_empty());
    }

    #[test]
    fn tokens_expire_after_n_uses() {
        let mut e = Engine::new();
        e.add_rules(
            &[rule(r#"{"action":{"type":"paging","expireTokenAfter":2}}"#)],
            0,
        );
        let (p, b) = (BTreeMap::new(), Value::Null);
        let ids = Ids::new(Some(1));
        let params = PathParams::from_map(&p).unwrap();
        let mut f = facts("listWorkerPools", &params, &b);
        f.token = Some("tok");
        assert!(e.decide(&f, &ids).before.is_none());
        assert!(e.decide(&f, &ids).before.is_none());
        assert!(matches!(e.decide(&f, &ids).before, Some(Before::Error(ref x)) if x.status == 400));
    }

    proptest! {
        /// A rule for the first N matching calls fires exactly N times, even when many threads
        /// call at once.
        #[test]
        fn first_n_fires_exactly_n_times(n in 0u64..50, threads in 1usize..8, per_thread in 1usize..40) {
            let mut e = Engine::new();
            e.add_rules(&[rule(&format!(r#"{{"match":{{"first":{n}}},"action":{{"type":"reset"}}}}"#))], 0);
            let ids = Ids::new(Some(3));
            let fired = AtomicU64::new(0);
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        let (p, b) = (BTreeMap::new(), Value::Null);
                        for _ in 0..per_thread {
                            if e.decide(&facts("ping", &PathParams::from_map(&p).unwrap(), &b), &ids).before.is_some() {
                                fired.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                }
            });
            let total = (threads * per_thread) as u64;
            prop_assert_eq!(fired.load(Ordering::SeqCst), n.min(total));
            prop_assert_eq!(e.reports()[0].fired, n.min(total));
            prop_assert_eq!(e.reports()[0].matched, total);
        }

        /// `every: k` fires on calls k, 2k, ...; `after: k` on every call past the k-th.
        #[test]
        fn every_and_after_windows(k in 1u64..10, calls in 0u64..60) {
            let mut e = Engine::new();
            e.add_rules(&[
                rule(&format!(r#"{{"match":{{"method":"a","every":{k}}},"action":{{"type":"reset"}}}}"#)),
                rule(&format!(r#"{{"match":{{"method":"b","after":{k}}},"action":{{"type":"reset"}}}}"#)),
            ], 0);
            let ids = Ids::new(Some(3));
            let (p, b) = (BTreeMap::new(), Value::Null);
            for _ in 0..calls {
                e.decide(&facts("a", &PathParams::from_map(&p).unwrap(), &b), &ids);
                e.decide(&facts("b", &PathParams::from_map(&p).unwrap(), &b), &ids);
            }
            let r = e.reports();
            prop_assert_eq!(r[0].fired, calls / k);
            prop_assert_eq!(r[1].fired, calls.saturating_sub(k));
        }
    }
}

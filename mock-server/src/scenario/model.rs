//! The scenario file format: a [`Scenario`] is a description, a [`Seed`] of state and ordered
//! [`Rule`]s.
//!
//! Every type here is serde (camelCase, unknown fields refused) with defaults, so a file states
//! only what it needs. Time fields are text: an absolute date-time (`2026-11-28T04:46:05.525Z`) or
//! a time relative to the seed's "now" (`-1h`, `+30m`, `10s`, `7d`, `-250ms`); see
//! [`relative_or_absolute`]. They are resolved when the seed is applied
//! ([`crate::scenario::seed::apply_seed`]), against the clock the seed sets (or the service's
//! clock if it sets none).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::clients::{ClientSpec, RoleSpec};
use crate::provider::Provider;
use crate::scenario::rules::Rule;
use crate::store::model::{TaskRun, WorkerState};
use crate::time::{parse_date_time, Millis, DAY, HOUR, MINUTE, SECOND};

/// A scenario: what the mock starts with and how it misbehaves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// The comment block: what the scenario simulates and how to use it. A string, or a list of
    /// lines (joined with newlines).
    #[serde(
        default,
        deserialize_with = "text_or_lines",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The state to start from.
    #[serde(default, skip_serializing_if = "Seed::is_empty")]
    pub seed: Seed,
    /// The rules, tried in order for every request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// Accepts `"text"` or `["line", "line"]` for a description.
fn text_or_lines<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        One(String),
        Lines(Vec<String>),
    }
    Ok(match Option::<Text>::deserialize(d)? {
        None => None,
        Some(Text::One(s)) => Some(s),
        Some(Text::Lines(lines)) => Some(lines.join("\n")),
    })
}

/// The state a scenario starts from. Everything is optional; what is given is added to the
/// service's state (records with the same key are replaced).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Sets the clock (and so the "now" relative times are measured from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<SeedClock>,
    /// Replaces the configured providers (default: keep the service's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub providers: Option<Vec<Provider>>,
    /// Extra clients (clientId, accessToken, scopes). Never exported (they hold secrets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientSpec>,
    /// Roles (roleId, scopes) that `assume:` scopes expand to. Not exported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleSpec>,
    /// Worker pools, installed as createWorkerPool would.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worker_pools: Vec<SeedPool>,
    /// Workers (or groups of them, with `count`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<SeedWorker>,
    /// Worker pool errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worker_pool_errors: Vec<SeedError>,
    /// Queue-side worker records (the source of listWorkers / getWorker).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queue_workers: Vec<SeedQueueWorker>,
}

impl Seed {
    /// Whether the seed sets nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Seed::default()
    }
}

/// The clock a seed sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedClock {
    /// The time to set: a date-time, or relative to the service's current clock (`+1d`).
    pub now: String,
    /// Stop the clock there (`false`: leave it running or frozen as it was).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub frozen: bool,
}

fn default_config() -> Value {
    json!({})
}

fn default_owner() -> String {
    "owner@example.com".to_string()
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(|m| m.is_empty())
}

/// A worker pool of a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPool {
    /// `<provisionerId>/<workerType>`.
    pub worker_pool_id: String,
    /// Its provider; the config is checked against that provider type's schema.
    pub provider_id: String,
    /// Free text (default empty).
    #[serde(default)]
    pub description: String,
    /// Provider configuration (default `{}`); cloud `launchConfigs` become launch configurations.
    #[serde(default = "default_config")]
    pub config: Value,
    /// Owner's e-mail (default `owner@example.com`).
    #[serde(default = "default_owner")]
    pub owner: String,
    /// Whether errors are e-mailed (default false).
    #[serde(default)]
    pub email_on_error: bool,
    /// Creation time (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last change (default: `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Providers the pool used before (hidden; workers they started may still register).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_provider_ids: Vec<String>,
    /// Hidden provider data: the testing provider's flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_data: Option<PoolProviderData>,
}

/// Hidden provider data of a pool (the testing provider's flags, which the API cannot set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolProviderData {
    /// Testing provider: createWorker is allowed in this pool.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_create_worker: bool,
    /// Testing provider: updateWorker is allowed in this pool.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_update_worker: bool,
}

impl PoolProviderData {
    /// The stored (JSON) form.
    pub fn to_value(self) -> Value {
        let mut m = serde_json::Map::new();
        if self.allow_create_worker {
            m.insert("allowCreateWorker".into(), true.into());
        }
        if self.allow_update_worker {
            m.insert("allowUpdateWorker".into(), true.into());
        }
        Value::Object(m)
    }

    /// Reads the flags from a stored value (`None` if neither is set).
    pub fn from_value(v: &Value) -> Option<PoolProviderData> {
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        let d = PoolProviderData {
            allow_create_worker: flag("allowCreateWorker"),
            allow_update_worker: flag("allowUpdateWorker"),
        };
        (d != PoolProviderData::default()).then_some(d)
    }
}

fn default_state() -> WorkerState {
    WorkerState::Running
}

fn is_running(s: &WorkerState) -> bool {
    *s == WorkerState::Running
}

fn default_capacity() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// The scanner's decision that shouldWorkerTerminate reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShouldTerminate {
    /// Whether the worker should terminate.
    pub terminate: bool,
    /// Why (default `none`).
    #[serde(default = "default_reason")]
    pub reason: String,
}

fn default_reason() -> String {
    "none".to_string()
}

/// A worker of a seed, or `count` of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedWorker {
    /// Its pool (need not be seeded: upstream keeps workers of deleted pools).
    pub worker_pool_id: String,
    /// Worker group.
    pub worker_group: String,
    /// Worker id; with `count`, the prefix of `<workerId>-0` .. `<workerId>-(N-1)`.
    pub worker_id: String,
    /// Its provider (default: the seeded pool's; required if the pool is not seeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// State (default `running`).
    #[serde(default = "default_state", skip_serializing_if = "is_running")]
    pub state: WorkerState,
    /// Capacity (default 1).
    #[serde(default = "default_capacity", skip_serializing_if = "is_one")]
    pub capacity: u64,
    /// Creation time (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Expiry (default: now + 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Last change (default: `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Last scanner check (default: `created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
    /// Launch configuration it was started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_config_id: Option<String>,
    /// Static workers: the secret registerWorker must be given (44 URL-safe characters; default:
    /// generated). Never exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_secret: Option<String>,
    /// Credential lifetime after reregistration, in seconds (hidden; default 96 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reregistration_timeout: Option<u64>,
    /// Configuration handed out at registration (hidden; cloud and testing workers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_config: Option<Value>,
    /// When the provider would terminate the instance (hidden; set by registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate_after: Option<String>,
    /// The decision shouldWorkerTerminate reports (default `{false, "none"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_terminate: Option<ShouldTerminate>,
    /// Testing provider: removeWorker is allowed for this worker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_remove_worker: bool,
    /// Testing provider: registerWorker fails with this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_register: Option<String>,
    /// Create this many workers (`<workerId>-0` ..), all alike (at most 1,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl SeedWorker {
    /// The worker ids this entry creates: `workerId`, or `<workerId>-<i>` for `count`.
    pub fn worker_ids(&self) -> impl Iterator<Item = String> + '_ {
        let (n, plain) = match self.count {
            None => (1, true),
            Some(n) => (n, false),
        };
        (0..n).map(move |i| {
            if plain {
                self.worker_id.clone()
            } else {
                format!("{}-{i}", self.worker_id)
            }
        })
    }
}

/// A worker pool error of a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedError {
    /// The pool it was reported for (need not be seeded).
    pub worker_pool_id: String,
    /// Machine-readable kind.
    pub kind: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: String,
    /// Extra data (default `{}`).
    #[serde(default = "default_config", skip_serializing_if = "is_empty_object")]
    pub extra: Value,
    /// When it was reported (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<String>,
    /// Its slugid (default: generated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// Launch configuration of the reporting worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_config_id: Option<String>,
}

/// A queue-side worker record of a seed (what `queue.claimWork` would have created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedQueueWorker {
    /// Task queue id (= worker pool id).
    pub worker_pool_id: String,
    /// Worker group.
    pub worker_group: String,
    /// Worker id.
    pub worker_id: String,
    /// When the queue forgets the worker (default: now + 1 day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// First claim (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_claim: Option<String>,
    /// Quarantined until (default: `firstClaim`, i.e. not quarantined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine_until: Option<String>,
    /// Quarantine history (default empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarantine_details: Vec<Value>,
    /// Last claims, oldest first (default empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_tasks: Vec<TaskRun>,
    /// Last activity (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_date_active: Option<String>,
}

/// Earliest time a seed may name: `0000-01-01T00:00:00.000Z`.
pub const MIN_TIME: Millis = -62_167_219_200_000;
/// Latest time a seed may name: `9999-12-31T23:59:59.999Z`.
pub const MAX_TIME: Millis = 253_402_300_799_999;

/// Resolves a time field: an absolute date-time (as the API accepts them) or an offset from
/// `now`: an optional sign, digits and a unit `ms`, `s`, `m`, `h` or `d` (`-1h`, `+30m`, `10s`,
/// `7d`, `-250ms`; no sign means later). The same forms as rule `from`/`until`. `None` if the text
/// is neither, or the time falls outside years 0000..9999.
pub fn relative_or_absolute(text: &str, now: Millis) -> Option<Millis> {
    let t = text.trim();
    let at = match parse_offset(t) {
        Some(offset) => now.checked_add(offset),
        None => parse_date_time(t),
    };
    at.filter(|ms| (MIN_TIME..=MAX_TIME).contains(ms))
}

/// Parses `[+-]<digits><unit>` into milliseconds.
fn parse_offset(t: &str) -> Option<Millis> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 {
        return None;
    }
    let n: Millis = rest[..digits].parse().ok()?;
    let unit = match &rest[digits..] {
        "ms" => 1,
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        _ => return None,
    };
    n.checked_mul(unit)?.checked_mul(sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_700_000_000_000;

    #[test]
    fn relative_times() {
        assert_eq!(relative_or_absolute("-1h", NOW), Some(NOW - HOUR));
        assert_eq!(relative_or_absolute("+30m", NOW), Some(NOW + 30 * MINUTE));
        assert_eq!(relative_or_absolute("10s", NOW), Some(NOW + 10 * SECOND));
        assert_eq!(relative_or_absolute("7d", NOW), Some(NOW + 7 * DAY));
        assert_eq!(relative_or_absolute("-250ms", NOW), Some(NOW - 250));
        assert_eq!(relative_or_absolute("+0s", NOW), Some(NOW));
    }

    #[test]
    fn absolute_times() {
        assert_eq!(
            relative_or_absolute("2023-11-14T22:13:20.123Z", 0),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            relative_or_absolute("2023-11-14T23:13:20.123+01:00", 0),
            Some(1_700_000_000_123)
        );
    }

    #[test]
    fn bad_times() {
        for bad in [
            "",
            "-",
            "+",
            "1",
            "h",
            "1x",
            "1hh",
            "- 1h",
            "1.5h",
            "yesterday",
            "2023-13-01T00:00:00Z",
            "99999999999999999999d",
            "999999999999d",
            "99999999d",
            "1h30m",
            "2w",
            "now",
        ] {
            assert_eq!(relative_or_absolute(bad, NOW), None, "{bad:?}");
        }
    }

    #[test]
    fn descriptions_may_be_lines() {
        let s: Scenario = serde_json::from_str(r#"{"description": ["a", "b"]}"#).unwrap();
        assert_eq!(s.description.as_deref(), Some("a\nb"));
        let s: Scenario = serde_json::from_str(r#"{"description": "one"}"#).unwrap();
        assert_eq!(s.description.as_deref(), Some("one"));
    }

    #[test]
    fn defaults_fill_a_minimal_worker() {
        let w: SeedWorker = serde_json::from_str(
            r#"{"workerPoolId": "p/x", "workerGroup": "g", "workerId": "w", "count": 3}"#,
        )
        .unwrap();
        assert_eq!(w.state, WorkerState::Running);
        assert_eq!(w.capacity, 1);
        assert_eq!(w.worker_ids().collect::<Vec<_>>(), ["w-0", "w-1", "w-2"]);
        let p: SeedPool =
            serde_json::from_str(r#"{"workerPoolId": "p/x", "providerId": "static"}"#).unwrap();
        assert_eq!(p.owner, "owner@example.com");
        assert_eq!(p.config, json!({}));
    }

    #[test]
    fn seeds_round_trip_through_json() {
        let s: Seed = serde_json::from_str(
            r#"{"clients": [{"clientId": "a", "accessToken": "t", "scopes": ["x"]}],
                "roles": [{"roleId": "r", "scopes": ["y"]}],
                "workerPools": [{"workerPoolId": "p/x", "providerId": "testing",
                                 "providerData": {"allowCreateWorker": true}}]}"#,
        )
        .unwrap();
        let text = serde_json::to_string(&s).unwrap();
        let back: Seed = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}

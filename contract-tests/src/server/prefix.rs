//! The run prefix that keeps a run's writes to its own worker pools.
//!
//! Every worker pool id a run generates gets the provisioner part `wm-contract-<run id>`; the
//! generated worker type part is kept. Mutating requests are only sent when every pool id they
//! carry (path or body) lies under the prefix ([`RunPrefix::confines`]).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use worker_manager_schemas::HttpMethod;

use super::error::RunError;

/// Decoded path parameters by name.
type ParamMap = BTreeMap<String, String>;

/// The fixed start of every run prefix.
pub const PREFIX_START: &str = "wm-contract-";

/// A worker type that breaks the pool id pattern (`_` and capitals are not allowed there), for
/// invalid pool ids that must still lie under the prefix.
const BROKEN_WORKER_TYPE: &str = "Not_Valid";

/// The provisioner part shared by every worker pool id of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPrefix {
    provisioner: String,
}

impl RunPrefix {
    /// The prefix `wm-contract-<run_id>`; it must match `^[a-zA-Z0-9-_]{1,38}$`.
    pub fn new(run_id: &str) -> Result<RunPrefix, RunError> {
        let provisioner = format!("{PREFIX_START}{run_id}");
        let ok = provisioner.len() <= 38
            && !run_id.is_empty()
            && provisioner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(RunError::BadRunPrefix(provisioner));
        }
        Ok(RunPrefix { provisioner })
    }

    /// A fresh short run id (8 hex digits from the clock and the process id), so that two runs,
    /// even with the same seed, never share pools.
    pub fn fresh_run_id() -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mixed = super::seed::mix((nanos as u64) ^ (u64::from(std::process::id()) << 32));
        format!("{:08x}", mixed as u32)
    }

    /// The provisioner part (`wm-contract-1a2b3c4d`).
    pub fn as_str(&self) -> &str {
        &self.provisioner
    }

    /// `<prefix>/<worker type>`, the worker type taken from a generated pool id.
    pub fn pool_id(&self, generated: &str) -> String {
        let worker_type = generated.split_once('/').map_or(generated, |(_, wt)| wt);
        format!("{}/{worker_type}", self.provisioner)
    }

    /// A pool id under the prefix that breaks the pool id pattern.
    pub fn broken_pool_id(&self) -> String {
        format!("{}/{BROKEN_WORKER_TYPE}", self.provisioner)
    }

    /// Whether `pool_id` lies under the prefix.
    pub fn owns(&self, pool_id: &str) -> bool {
        pool_id
            .strip_prefix(&self.provisioner)
            .is_some_and(|rest| rest.starts_with('/'))
    }

    /// Puts the pool named by path parameters under the prefix (`workerPoolId`, or
    /// `provisionerId`), leaving the parameter named `keep` (a deliberately broken one) alone.
    pub fn rewrite_params(&self, params: &mut ParamMap, keep: Option<&str>) {
        for (name, value) in params.iter_mut() {
            if keep == Some(name.as_str()) {
                continue;
            }
            match name.as_str() {
                "workerPoolId" => *value = self.pool_id(value),
                "provisionerId" => value.clone_from(&self.provisioner),
                _ => {}
            }
        }
    }

    /// Puts a body's `workerPoolId` (if a string) under the prefix: equal to `path_pool` when the
    /// route names a pool, else the prefix plus the generated worker type.
    pub fn rewrite_body(&self, body: &mut Value, path_pool: Option<&str>) {
        if let Some(Value::String(id)) = body.get_mut("workerPoolId") {
            *id = match path_pool {
                Some(p) => p.to_string(),
                None => self.pool_id(id),
            };
        }
    }

    /// Whether a request only touches pools under the prefix: always for `GET`; otherwise every
    /// `workerPoolId`/`provisionerId` in the path parameters and a string `workerPoolId` in the
    /// body must be the prefix's.
    pub fn confines(&self, method: HttpMethod, params: &ParamMap, body: Option<&Value>) -> bool {
        if method == HttpMethod::Get {
            return true;
        }
        let params_ok = params.iter().all(|(name, value)| match name.as_str() {
            "workerPoolId" => self.owns(value),
            "provisionerId" => *value == self.provisioner,
            _ => true,
        });
        let body_ok = match body.and_then(|b| b.get("workerPoolId")) {
            Some(Value::String(id)) => self.owns(id),
            _ => true,
        };
        params_ok && body_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_rules() {
        let p = RunPrefix::new("abc123").expect("valid");
        assert_eq!(p.as_str(), "wm-contract-abc123");
        assert_eq!(p.pool_id("x/linux"), "wm-contract-abc123/linux");
        assert!(p.owns("wm-contract-abc123/linux"));
        assert!(!p.owns("wm-contract-abc1234/linux"));
        assert!(RunPrefix::new(&"a".repeat(27)).is_err());
        assert!(RunPrefix::new("a/b").is_err());
        let fresh = RunPrefix::fresh_run_id();
        assert!(RunPrefix::new(&fresh).is_ok());
    }
}

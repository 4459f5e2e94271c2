//! Launch configurations of cloud worker pools, and listWorkerPoolLaunchConfigs.
//!
//! On create and update, each entry of `config.launchConfigs` becomes (or refreshes) a stored
//! launch configuration with an id (`workerManager.launchConfigId`, or one derived from the
//! content); known ids missing from the new list are archived; a known id with different content
//! is `409 RequestConflict` and nothing is stored.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::call::Call;
use crate::error::ApiError;
use crate::service::Service;
use crate::store::model::LaunchConfig;
use crate::store::paging::list_body;
use crate::time::{format_ms, Millis};
use std::ops::Bound;

/// The content of a launch config that identity is judged on: everything but `workerManager`.
fn content(entry: &Value) -> Value {
    let mut c = entry.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("workerManager");
    }
    c
}

/// The id of a launch config entry: the one given, or `lc-` plus 20 hex digits of a hash of the
/// pool id and the content (opaque, like upstream's; the hash differs from upstream's MD5).
pub fn launch_config_id(worker_pool_id: &str, entry: &Value) -> String {
    if let Some(id) = entry
        .pointer("/workerManager/launchConfigId")
        .and_then(Value::as_str)
    {
        return id.to_string();
    }
    let mut h = Sha256::new();
    h.update(worker_pool_id.as_bytes());
    h.update(content(entry).to_string().as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("lc-{}", &hex[..20])
}

/// The outcome of applying a new list of launch configs to a pool.
#[derive(Debug)]
pub struct Plan {
    /// Every launch config of the pool after the change.
    pub configs: BTreeMap<String, LaunchConfig>,
    /// The entries of the new list with `workerManager.launchConfigId` filled in, in input order.
    pub active: Vec<Value>,
}

/// Applies `entries` (the new `config.launchConfigs`) to the pool's existing launch configs.
pub fn plan(
    worker_pool_id: &str,
    entries: &[Value],
    existing: Option<&BTreeMap<String, LaunchConfig>>,
    now: Millis,
) -> Result<Plan, ApiError> {
    let mut configs = existing.cloned().unwrap_or_default();
    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    let mut active = Vec::new();
    for entry in entries {
        let id = launch_config_id(worker_pool_id, entry);
        let this = content(entry);
        let clash = seen.get(&id).is_some_and(|c| *c != this)
            || configs
                .get(&id)
                .is_some_and(|lc| content(&lc.configuration) != this);
        if clash {
            return Err(ApiError::conflict(format!(
                "Launch config with ID `{id}` already exists with different configuration"
            )));
        }
        if seen.insert(id.clone(), this).is_some() {
            continue;
        }
        let mut configuration = entry.clone();
        if let Some(m) = configuration.as_object_mut() {
            let wm = m.entry("workerManager").or_insert_with(|| json!({}));
            if let Some(wm) = wm.as_object_mut() {
                wm.insert("launchConfigId".into(), Value::String(id.clone()));
            }
        }
        active.push(configuration.clone());
        configs
            .entry(id.clone())
            .and_modify(|lc| {
                lc.is_archived = false;
                lc.configuration = configuration.clone();
                lc.last_modified = now;
            })
            .or_insert_with(|| LaunchConfig {
                launch_config_id: id.clone(),
                worker_pool_id: worker_pool_id.to_string(),
                is_archived: false,
                configuration,
                created: now,
                last_modified: now,
            });
    }
    for (id, lc) in configs.iter_mut() {
        if !seen.contains_key(id) && !lc.is_archived {
            lc.is_archived = true;
            lc.last_modified = now;
        }
    }
    Ok(Plan { configs, active })
}

fn render(lc: &LaunchConfig) -> Value {
    json!({
        "launchConfigId": lc.launch_config_id,
        "workerPoolId": lc.worker_pool_id,
        "isArchived": lc.is_archived,
        "configuration": lc.configuration,
        "created": format_ms(lc.created),
        "lastModified": format_ms(lc.last_modified),
    })
}

/// `listWorkerPoolLaunchConfigs`: a pool's launch configs by id; archived ones only with
/// `includeArchived=true`.
pub fn list(svc: &Service, call: &Call<'_>) -> Result<Value, ApiError> {
    let id = call.param("workerPoolId");
    let req = call.page_request()?;
    let include_archived = call.query("includeArchived") == Some("true");
    let store = svc.store_read();
    if store.pool(id).is_none() {
        return Err(ApiError::not_found("Worker pool does not exist"));
    }
    let empty = BTreeMap::new();
    let all = store.launch_configs(id).unwrap_or(&empty);
    let page = req.page(
        'l',
        all,
        (Bound::Unbounded, Bound::Unbounded),
        |k| k.clone(),
        |c| Some(c.to_string()),
        |lc| include_archived || !lc.is_archived,
    );
    Ok(list_body(
        "workerPoolLaunchConfigs",
        page.items.into_iter().map(render),
        page.next_token,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lc(region: &str, id: Option<&str>) -> Value {
        let mut v = json!({"region": region, "launchConfig": {"ImageId": "ami-1"}});
        if let Some(id) = id {
            v["workerManager"] = json!({"launchConfigId": id});
        }
        v
    }

    #[test]
    fn ids_are_stable_and_given_ids_win() {
        let a = launch_config_id("p/x", &lc("us-east-1", None));
        assert_eq!(a, launch_config_id("p/x", &lc("us-east-1", None)));
        assert!(a.starts_with("lc-") && a.len() == 23);
        assert_ne!(a, launch_config_id("p/y", &lc("us-east-1", None)));
        assert_eq!(launch_config_id("p/x", &lc("r", Some("mine"))), "mine");
    }

    #[test]
    fn missing_ids_are_archived_and_come_back() {
        let p1 = plan(
            "p/x",
            &[lc("a", Some("one")), lc("b", Some("two"))],
            None,
            1,
        )
        .unwrap();
        assert_eq!(p1.active.len(), 2);
        let p2 = plan("p/x", &[lc("a", Some("one"))], Some(&p1.configs), 2).unwrap();
        assert!(p2.configs["two"].is_archived);
        assert!(!p2.configs["one"].is_archived);
        let p3 = plan("p/x", &[lc("b", Some("two"))], Some(&p2.configs), 3).unwrap();
        assert!(!p3.configs["two"].is_archived);
        assert!(p3.configs["one"].is_archived);
    }

    #[test]
    fn same_id_different_content_conflicts() {
        let p1 = plan("p/x", &[lc("a", Some("one"))], None, 1).unwrap();
        let err = plan("p/x", &[lc("b", Some("one"))], Some(&p1.configs), 2).unwrap_err();
        assert_eq!(err.code.as_str(), "RequestConflict");
        assert!(plan("p/x", &[lc("a", Some("d")), lc("b", Some("d"))], None, 1).is_err());
        assert!(plan("p/x", &[lc("a", Some("d")), lc("a", Some("d"))], None, 1).is_ok());
    }
}

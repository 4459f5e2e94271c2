//! Clean-up by prefix, for a run that was interrupted.
//!
//! The runner deletes the pools it recorded as created. A run stopped part-way (Ctrl-C) may have
//! sent a create whose answer it never read, so [`sweep_prefix`] instead asks the deployment:
//! it pages through `listWorkerPools` and deletes every pool whose id lies under the run prefix —
//! and nothing else.

use serde_json::Value;
use worker_manager_schemas::{Catalog, HttpMethod};

use super::report::truncate;
use super::{Cleanup, Client, RunPrefix};
use crate::generate::query_string;

/// Decoded path parameters or a query, by name.
type ParamMap = std::collections::BTreeMap<String, String>;

/// Pages `listWorkerPools` asks for at most, so that a misbehaving server (a token that never
/// ends) cannot keep the clean-up going forever.
const MAX_PAGES: usize = 1_000;

/// Deletes every worker pool the deployment lists under `prefix` (`<prefix>/...`). Best effort:
/// what could not be listed or deleted is in [`Cleanup::failed`].
pub async fn sweep_prefix(client: &Client, prefix: &RunPrefix) -> Cleanup {
    let mut out = Cleanup::default();
    let catalog = Catalog::embedded();
    let owned = format!("{}/", prefix.as_str());
    let mut ours = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let path = match list_path(catalog, token.as_deref()) {
            Ok(p) => p,
            Err(e) => {
                out.failed.push(("(listWorkerPools)".into(), e));
                return out;
            }
        };
        let page = match client.send(HttpMethod::Get, &path, None).await {
            Ok(r) if r.status == 200 => r.json().unwrap_or(Value::Null),
            Ok(r) => {
                let why = format!("status {}: {}", r.status, truncate(&r.body, 200));
                out.failed.push(("(listWorkerPools)".into(), why));
                break;
            }
            Err(e) => {
                out.failed.push(("(listWorkerPools)".into(), e.to_string()));
                break;
            }
        };
        let pools = page.get("workerPools").and_then(Value::as_array);
        for id in pools
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("workerPoolId"))
        {
            if let Some(id) = id.as_str().filter(|id| id.starts_with(&owned)) {
                ours.push(id.to_string());
            }
        }
        token = page
            .get("continuationToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    for pool in ours {
        let params: ParamMap = [("workerPoolId".to_string(), pool.clone())].into();
        let path = match catalog.build_path("deleteWorkerPool", &params) {
            Ok(p) => p,
            Err(e) => {
                out.failed.push((pool, e.to_string()));
                continue;
            }
        };
        match client.send(HttpMethod::Delete, &path, None).await {
            Ok(r) if (200..300).contains(&r.status) => out.deleted.push(pool),
            Ok(r) if r.status == 404 => out.gone.push(pool),
            Ok(r) => {
                let why = format!("status {}: {}", r.status, truncate(&r.body, 200));
                out.failed.push((pool, why));
            }
            Err(e) => out.failed.push((pool, e.to_string())),
        }
    }
    out
}

/// The `listWorkerPools` path, with the continuation token when there is one.
fn list_path(catalog: &Catalog, token: Option<&str>) -> Result<String, String> {
    let path = catalog
        .build_path("listWorkerPools", &ParamMap::new())
        .map_err(|e| e.to_string())?;
    Ok(match token {
        Some(t) => {
            let query: ParamMap = [("continuationToken".to_string(), t.to_string())].into();
            format!("{path}?{}", query_string(&query))
        }
        None => path,
    })
}

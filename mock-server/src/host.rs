//! The host: the main mock service plus isolated tenants, each a complete service (own state,
//! scenario, clock and journal) reachable under `<rootUrl>/t/<tenantId>`, so that parallel test
//! suites can share one server without seeing each other.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use worker_manager_schemas::API_PREFIX;

use crate::clock::Clock;
use crate::service::{Options, Service};

/// The services one server serves.
#[derive(Debug)]
pub struct Host {
    /// The service at the root URL.
    pub main: Arc<Service>,
    tenants: RwLock<BTreeMap<String, Arc<Service>>>,
    next_tenant: AtomicU64,
    /// A bearer token that also opens the admin API (besides root credentials).
    pub admin_token: Option<String>,
}

/// Tenant ids: what may follow `/t/`.
pub fn is_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits a request path into the tenant it addresses (`/t/<tenantId>/...`; `None`: the main
/// service) and the path within that service (empty for `/t/<tenantId>` itself).
pub fn split_tenant(path: &str) -> (Option<&str>, &str) {
    match path.strip_prefix("/t/") {
        Some(after) => {
            let (id, rest) = after.split_at(after.find('/').unwrap_or(after.len()));
            (Some(id), rest)
        }
        None => (None, path),
    }
}

/// The API-relative path of a path within a service (`/` for the API prefix itself), if it is
/// under the API prefix: what the catalog routes.
pub fn api_relative(service_path: &str) -> Option<&str> {
    service_path
        .strip_prefix(API_PREFIX)
        .map(|rel| if rel.is_empty() { "/" } else { rel })
}

impl Host {
    /// A host around `main`.
    pub fn new(main: Arc<Service>, admin_token: Option<String>) -> Host {
        Host {
            main,
            tenants: RwLock::new(BTreeMap::new()),
            next_tenant: AtomicU64::new(1),
            admin_token,
        }
    }

    /// The tenant `id`.
    pub fn tenant(&self, id: &str) -> Option<Arc<Service>> {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Ids of all tenants.
    pub fn tenant_ids(&self) -> Vec<String> {
        self.tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Creates a tenant with the main service's options (and `seed`, if given), its own clock
    /// and state; its root client has the main service's credentials. Returns its id and service. `id` is chosen if not given; an existing id is an
    /// error.
    pub fn create_tenant(
        &self,
        id: Option<&str>,
        seed: Option<u64>,
    ) -> Result<(String, Arc<Service>), String> {
        let id = match id {
            Some(id) if !is_tenant_id(id) => {
                return Err(format!("tenant id `{id}` must be 1-64 of [A-Za-z0-9_-]"))
            }
            Some(id) => id.to_string(),
            None => format!("tenant-{}", self.next_tenant.fetch_add(1, Ordering::SeqCst)),
        };
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        if tenants.contains_key(&id) {
            return Err(format!("tenant `{id}` already exists"));
        }
        let options = Options {
            seed: seed.or(self.main.options.seed),
            root_access_token: Some(self.main.root_access_token()),
            ..self.main.options.clone()
        };
        let svc = Arc::new(Service::with_clock(options, Clock::system()));
        svc.set_root_url(&format!("{}/t/{id}", self.main.root_url()));
        tenants.insert(id.clone(), Arc::clone(&svc));
        Ok((id, svc))
    }

    /// Removes a tenant. Returns whether it existed.
    pub fn remove_tenant(&self, id: &str) -> bool {
        self.tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_tenant_and_api_path() {
        let api = "/api/worker-manager/v1";
        assert_eq!(split_tenant("/t/a-1/x/y"), (Some("a-1"), "/x/y"));
        assert_eq!(split_tenant("/t/a-1"), (Some("a-1"), ""));
        assert_eq!(split_tenant("/x/t/a"), (None, "/x/t/a"));
        assert_eq!(api_relative(&format!("{api}/ping")), Some("/ping"));
        assert_eq!(api_relative(api), Some("/"));
        assert_eq!(api_relative(&format!("{api}/")), Some("/"));
        assert_eq!(api_relative("/__mock__/journal"), None);
        assert_eq!(api_relative(""), None);
    }
}

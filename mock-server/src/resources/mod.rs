//! One module per API resource. Each holds its handlers (short: read the call, lock the store,
//! apply plain logic, render) and the rendering of its records.
//!
//! [`handler`] maps a catalog entry's name to its handler. Routes, scopes and schemas come from the
//! catalog; this is only the list of implementations, and a test checks that every catalog entry
//! has one.

pub mod launch_configs;
pub mod meta;
pub mod pool_errors;
pub mod providers;
pub mod queue_view;
pub mod registration;
pub mod worker_pools;
pub mod workers;

use serde_json::Value;

use crate::call::Call;
use crate::error::ApiError;
use crate::service::Service;

/// A handler of one API method.
pub type Handler = fn(&Service, &Call<'_>) -> Result<Value, ApiError>;

/// The handler of the method called `name`, if the mock implements it.
pub fn handler(name: &str) -> Option<Handler> {
    let h: Handler = match name {
        "ping" => meta::ping,
        "lbheartbeat" | "heartbeat" => meta::heartbeat,
        "version" => meta::version,
        "listProviders" => providers::list,
        "createWorkerPool" => worker_pools::create,
        "updateWorkerPool" => worker_pools::update,
        "deleteWorkerPool" => worker_pools::delete,
        "workerPool" => worker_pools::get,
        "listWorkerPools" => worker_pools::list,
        "listWorkerPoolsStats" => worker_pools::list_stats,
        "workerPoolStats" => worker_pools::stats,
        "listWorkerPoolLaunchConfigs" => launch_configs::list,
        "reportWorkerError" => pool_errors::report,
        "listWorkerPoolErrors" => pool_errors::list,
        "workerPoolErrorStats" => pool_errors::stats,
        "worker" => workers::get,
        "createWorker" => workers::create,
        "updateWorker" => workers::update,
        "removeWorker" => workers::remove,
        "shouldWorkerTerminate" => workers::should_terminate,
        "listWorkersForWorkerGroup" => workers::list_for_group,
        "listWorkersForWorkerPool" => workers::list_for_pool,
        "registerWorker" => registration::register,
        "reregisterWorker" => registration::reregister,
        "listWorkers" => queue_view::list,
        "getWorker" => queue_view::get,
        _ => return None,
    };
    Some(h)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_catalog_method_has_a_handler() {
        for e in worker_manager_schemas::Catalog::embedded().entries() {
            assert!(
                super::handler(&e.name).is_some(),
                "{} has no handler",
                e.name
            );
        }
    }
}

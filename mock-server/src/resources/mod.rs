//! One module per API resource. Each holds its handlers (short: read the call, lock the store,
//! apply plain logic, render) and the rendering of its records.
//!
//! [`handler`] maps a catalog entry's name to its handler. Routes, scopes and schemas come from the
//! catalog; this is only the list of implementations, and a test checks that every catalog entry
//! has one.

pub mod launch_configs;
pub mod meta;
pub mod pool_errors;
pub mod pretty;
pub mod providers;
pub mod queue_view;
pub mod registration;
pub mod worker_pools;
pub mod workers;

use axum::body::Bytes;
use serde_json::Value;

use crate::call::Call;
use crate::error::{ApiError, ErrorCode};
use crate::service::Service;

/// A handler of one API method.
pub type Handler = fn(&Service, &Call<'_>) -> Result<Value, ApiError>;

/// A handler that renders its answer from typed views straight to the JSON text sent on the wire
/// (see [`Rendered`]).
pub type TextHandler = fn(&Service, &Call<'_>) -> Result<Rendered, ApiError>;

/// An answer already serialized (pretty-printed, as [`crate::http::json_response`] writes it)
/// from typed views of the store's records: no [`Value`] tree is built, copied or dropped, and
/// the text is produced while the store is locked without cloning what it shows. The methods
/// with large answers use it (issue 9: building, validating and dropping a `Value` per listed
/// worker was most of a list's CPU time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered(pub Bytes);

impl Rendered {
    /// Serializes a typed view (through serde: the largest answers use the hand-written
    /// [`pretty`] writer instead).
    pub fn of(view: &impl serde::Serialize) -> Result<Rendered, ApiError> {
        let mut out = Vec::with_capacity(1024);
        serde_json::to_writer_pretty(&mut out, view)
            .map_err(|e| ApiError::new(ErrorCode::InternalServerError, e.to_string()))?;
        Ok(Rendered::from_text(out))
    }

    /// An answer from its text, trimming the buffer when more than an eighth of it is unused (the
    /// journal keeps the whole allocation as long as it keeps the answer).
    pub fn from_text(mut text: Vec<u8>) -> Rendered {
        if text.capacity() - text.len() > text.len() / 8 {
            text.shrink_to_fit();
        }
        Rendered(Bytes::from(text))
    }

    /// The answer as a JSON value (parsed back from the text).
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.0).unwrap_or(Value::Null)
    }
}

/// The typed handler of the method called `name`, if it has one: used instead of [`handler`].
pub fn text_handler(name: &str) -> Option<TextHandler> {
    let h: TextHandler = match name {
        "listWorkersForWorkerGroup" => workers::list_for_group,
        "listWorkersForWorkerPool" => workers::list_for_pool,
        "workerPool" => worker_pools::get,
        _ => return None,
    };
    Some(h)
}

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
        "workerPool" => |svc, call| worker_pools::get(svc, call).map(|r| r.to_value()),
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
        "listWorkersForWorkerGroup" => {
            |svc, call| workers::list_for_group(svc, call).map(|r| r.to_value())
        }
        "listWorkersForWorkerPool" => {
            |svc, call| workers::list_for_pool(svc, call).map(|r| r.to_value())
        }
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

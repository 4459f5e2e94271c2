//! Service meta methods: ping, lbheartbeat, heartbeat, version.

use serde_json::{json, Value};

use crate::call::Call;
use crate::error::ApiError;
use crate::service::Service;

/// `ping`: alive, with the process uptime in seconds.
pub fn ping(svc: &Service, _call: &Call<'_>) -> Result<Value, ApiError> {
    Ok(json!({"alive": true, "uptime": svc.uptime_secs()}))
}

/// `lbheartbeat` and `heartbeat`: an empty object.
pub fn heartbeat(_svc: &Service, _call: &Call<'_>) -> Result<Value, ApiError> {
    Ok(json!({}))
}

/// The Dockerflow version object of this mock.
pub fn version_object() -> Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": "",
        "source": env!("CARGO_PKG_REPOSITORY"),
        "build": "wm-mock",
    })
}

/// `version`: the Dockerflow version object.
pub fn version(_svc: &Service, _call: &Call<'_>) -> Result<Value, ApiError> {
    Ok(version_object())
}

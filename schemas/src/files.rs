//! The API definition files, embedded at compile time so the crate needs no file system at run time.
//!
//! Every file under `schemas/v1/` is listed here; a test checks the list against the directory.

/// `schemas/v1/api.json`, the API reference and the project's one route table.
pub const API_JSON: &str = include_str!("../v1/api.json");

macro_rules! schema_files {
    ($($name:literal),* $(,)?) => {
        /// Every JSON Schema, as `(name, file text)`; `name` is the file name without `.json`.
        pub const SCHEMAS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../v1/", $name, ".json"))),)*
        ];
    };
}

schema_files!(
    "config-aws",
    "config-azure",
    "config-google",
    "config-null",
    "config-static",
    "config-testing",
    "create-worker-pool-request",
    "create-worker-request",
    "list-workers-response",
    "provider-list",
    "register-worker-request",
    "register-worker-response",
    "report-worker-error-request",
    "reregister-worker-request",
    "reregister-worker-response",
    "should-worker-terminate-response",
    "task-run",
    "update-worker-pool-request",
    "worker-full",
    "worker-lifecycle",
    "worker-list",
    "worker-pool-error",
    "worker-pool-error-list",
    "worker-pool-error-stats",
    "worker-pool-full",
    "worker-pool-launch-config-list",
    "worker-pool-list",
    "worker-pool-list-stats",
    "worker-pool-stats",
    "worker-response",
);

/// The text of the schema called `name` (file name without `.json`), if there is one.
pub fn schema_text(name: &str) -> Option<&'static str> {
    SCHEMAS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Turns a reference as written in `api.json` (`v1/worker-pool-full.json#`) into a schema name
/// (`worker-pool-full`).
pub fn schema_name_from_ref(reference: &str) -> &str {
    let r = reference.trim_end_matches('#');
    let r = r.rsplit('/').next().unwrap_or(r);
    r.strip_suffix(".json").unwrap_or(r)
}

//! The catalog read from api.json is complete and self-consistent.

use std::collections::BTreeSet;

use serde_json::Value;
use worker_manager_schemas::{files, Catalog, Validators};

/// The 22 methods of the seed document (the Go client's docs) must all be in the catalog.
const SEED_METHODS: [&str; 22] = [
    "createWorker",
    "createWorkerPool",
    "deleteWorkerPool",
    "getWorker",
    "heartbeat",
    "lbheartbeat",
    "listProviders",
    "listWorkerPoolErrors",
    "listWorkerPools",
    "listWorkers",
    "listWorkersForWorkerGroup",
    "listWorkersForWorkerPool",
    "ping",
    "registerWorker",
    "removeWorker",
    "reportWorkerError",
    "reregisterWorker",
    "updateWorker",
    "updateWorkerPool",
    "version",
    "worker",
    "workerPool",
];

/// The methods added after the seed that the reference lists.
const NEW_METHODS: [&str; 5] = [
    "listWorkerPoolLaunchConfigs",
    "workerPoolStats",
    "listWorkerPoolsStats",
    "workerPoolErrorStats",
    "shouldWorkerTerminate",
];

#[test]
fn catalog_holds_every_seed_and_new_method() {
    let c = Catalog::embedded();
    for name in SEED_METHODS.iter().chain(NEW_METHODS.iter()) {
        assert!(c.get(name).is_some(), "missing {name}");
    }
    assert_eq!(c.entries().len(), 27);
    let names: BTreeSet<&str> = c.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), 27, "names are unique");
}

#[test]
fn every_schema_compiles() {
    let v = Validators::embedded();
    for (name, _) in files::SCHEMAS {
        v.validator(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn every_schema_file_is_embedded_and_has_a_stable_id() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("v1");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "api.json")
        .map(|n| n.trim_end_matches(".json").to_string())
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = files::SCHEMAS.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
    for (name, text) in files::SCHEMAS {
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            v["$id"],
            format!("/schemas/worker-manager/v1/{name}.json#"),
            "{name}"
        );
    }
}

#[test]
fn routes_args_and_query_agree() {
    let c = Catalog::embedded();
    for e in c.entries() {
        assert_eq!(e.pattern.published(), e.route, "{}", e.name);
        let names: Vec<&str> = e.pattern.param_names();
        assert_eq!(
            names,
            e.args.iter().map(String::as_str).collect::<Vec<_>>(),
            "{}",
            e.name
        );
        for (alias, p) in &e.aliases {
            assert_eq!(p.param_names(), names, "{alias}");
        }
        for q in &e.query {
            assert!(!q.pattern.is_empty(), "{}: {}", e.name, q.name);
        }
        for s in e.input.iter().chain(e.output.iter()) {
            assert!(files::schema_text(s).is_some(), "{}: no schema {s}", e.name);
        }
    }
}

fn placeholders(expr: &Value, out: &mut Vec<String>) {
    match expr {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find('<') {
                let tail = &rest[i + 1..];
                let end = tail.find('>').expect("closed placeholder");
                out.push(tail[..end].to_string());
                rest = &tail[end + 1..];
            }
        }
        Value::Array(a) => a.iter().for_each(|v| placeholders(v, out)),
        Value::Object(m) => m.values().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

#[test]
fn every_scope_parameter_is_a_path_param_a_body_field_or_a_query_key() {
    let c = Catalog::embedded();
    for e in c.entries() {
        let Some(scopes) = &e.scopes else { continue };
        let mut params = Vec::new();
        placeholders(scopes, &mut params);
        let body_fields: Vec<String> = e
            .input
            .as_deref()
            .and_then(files::schema_text)
            .map(|t| {
                let v: Value = serde_json::from_str(t).unwrap();
                v["properties"]
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        for p in params {
            let ok = e.args.contains(&p) || body_fields.contains(&p) || e.query_param(&p).is_some();
            assert!(ok, "{}: scope parameter <{p}> has no source", e.name);
        }
    }
}

#[test]
fn published_reference_drops_extensions() {
    let v = Catalog::embedded().published_reference();
    let text = v.to_string();
    assert!(!text.contains("\"x-route\""));
    assert!(!text.contains("\"x-params\""));
    assert_eq!(v["serviceName"], "worker-manager");
    assert_eq!(v["entries"].as_array().unwrap().len(), 27);
}

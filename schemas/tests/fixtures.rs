//! Every sample body under fixtures/samples validates (valid/) or fails for the stated reason
//! (invalid/: a wrapper naming the JSON pointer and keyword of the one rule the body breaks).

use std::path::{Path, PathBuf};

use serde_json::Value;
use worker_manager_schemas::Validators;

fn samples(kind: &str) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/samples")
        .join(kind);
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let schema = dir.file_name().unwrap().to_string_lossy().into_owned();
        for f in std::fs::read_dir(&dir).unwrap() {
            out.push((schema.clone(), f.unwrap().path()));
        }
    }
    out.sort();
    out
}

fn load(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn valid_fixtures_validate() {
    let v = Validators::embedded();
    let all = samples("valid");
    assert!(all.len() >= 30);
    for (schema, path) in all {
        if let Err(e) = v.validate(&schema, &load(&path)) {
            panic!("{}: {e:?}", path.display());
        }
    }
}

#[test]
fn every_schema_has_a_valid_fixture() {
    let have: std::collections::BTreeSet<String> =
        samples("valid").into_iter().map(|(s, _)| s).collect();
    for (name, _) in worker_manager_schemas::files::SCHEMAS {
        assert!(have.contains(*name), "no valid fixture for {name}");
    }
}

#[test]
fn invalid_fixtures_fail_at_the_stated_pointer() {
    let v = Validators::embedded();
    let all = samples("invalid");
    assert!(all.len() >= 12);
    for (schema, path) in all {
        let w = load(&path);
        let errors = v
            .validate(&schema, &w["body"])
            .expect_err(&format!("{} should fail", path.display()));
        let (pointer, keyword) = (
            w["pointer"].as_str().unwrap(),
            w["keyword"].as_str().unwrap(),
        );
        assert!(
            errors
                .iter()
                .any(|e| e.pointer == pointer && e.keyword == keyword),
            "{}: wanted {keyword} at '{pointer}', got {errors:?}",
            path.display()
        );
    }
}

#[test]
fn messages_read_like_the_real_service() {
    let v = Validators::embedded();
    let body = serde_json::json!({"providerId": "static", "description": "", "config": {},
        "owner": "a@b.c", "emailOnError": false, "extra": 1});
    let errs = v.validate("create-worker-pool-request", &body).unwrap_err();
    let msg = worker_manager_schemas::validate::ajv_message(
        "http://localhost:8080",
        "create-worker-pool-request",
        &errs,
    );
    assert_eq!(
        msg,
        "\nSchema Validation Failed!\nRejecting Schema: http://localhost:8080/schemas/worker-manager/v1/create-worker-pool-request.json#\nErrors:\n  * data must NOT have additional properties: \"extra\""
    );
}

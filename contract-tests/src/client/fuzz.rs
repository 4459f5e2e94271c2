//! `--response-fuzz`: the embedded mock answers with generated variants of its real answers that
//! still validate against the method's output schema.
//!
//! For each successful answer, a value is generated from the output schema (optional properties
//! present or absent, extra properties where the schema allows them, strings and numbers at their
//! bounds, lists of generated items), then the real answer's *identity* is laid over it: every
//! property named `*Id`, `workerGroup`, `credentials`, `secret`, `expires` and
//! `continuationToken` keeps the mock's value (a token the mock did not send is removed), so that
//! a client that goes on with the ids it sent or got still talks about real things. A variant that
//! does not validate (a schema whose properties depend on each other) falls back to the real
//! answer. Variants come from one proptest runner seeded with the run's seed, so a run with the
//! same `--seed` and the same requests replays them.

use std::collections::HashMap;
use std::sync::Mutex;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;
use worker_manager_mock::ResponseTransform;
use worker_manager_schemas::{Catalog, Validators};

use crate::generate::SchemaGenerator;

use super::seeded_runner;

/// Whether a top-level property of an answer carries identity the client depends on.
fn is_identity(key: &str) -> bool {
    key.ends_with("Id")
        || matches!(
            key,
            "workerGroup" | "credentials" | "secret" | "expires" | "continuationToken"
        )
}

/// Lays the identity of `real` over `generated` (both answers to the same method).
pub fn keep_identity(real: &Value, generated: Value) -> Value {
    let (Some(real_map), Value::Object(mut out)) = (real.as_object(), generated) else {
        return real.clone();
    };
    out.remove("continuationToken");
    for (k, v) in real_map {
        if is_identity(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// The transform behind `--response-fuzz`.
#[derive(Debug)]
pub struct ResponseFuzz {
    runner: Mutex<TestRunner>,
    generators: Mutex<HashMap<String, Option<SchemaGenerator>>>,
}

impl ResponseFuzz {
    /// A fuzzer whose variants are determined by `seed`.
    pub fn new(seed: u64) -> ResponseFuzz {
        ResponseFuzz {
            runner: Mutex::new(seeded_runner(seed, "response-fuzz")),
            generators: Mutex::new(HashMap::new()),
        }
    }

    fn generator(&self, output: &str) -> Option<SchemaGenerator> {
        let mut gens = self.generators.lock().unwrap_or_else(|p| p.into_inner());
        gens.entry(output.to_string())
            .or_insert_with(|| SchemaGenerator::embedded(output).ok())
            .clone()
    }

    /// A generated variant of `body`, an answer of `method` (or `body` itself when the method
    /// has no output schema or no variant validates).
    pub fn variant(&self, method: &str, body: Value) -> Value {
        let Some(output) = Catalog::embedded()
            .get(method)
            .and_then(|e| e.output.clone())
        else {
            return body;
        };
        let Some(strategy) = self.generator(&output).and_then(|g| g.valid().ok()) else {
            return body;
        };
        let generated = {
            let mut runner = self.runner.lock().unwrap_or_else(|p| p.into_inner());
            match strategy.new_tree(&mut runner) {
                Ok(tree) => tree.current(),
                Err(_) => return body,
            }
        };
        let variant = keep_identity(&body, generated);
        if Validators::embedded().validate(&output, &variant).is_ok() {
            variant
        } else {
            body
        }
    }
}

impl ResponseTransform for ResponseFuzz {
    fn transform(&self, method: &str, body: Value) -> Value {
        self.variant(method, body)
    }
}

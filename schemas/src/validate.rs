//! Compiled JSON Schema validators for every schema of the API.
//!
//! Schemas are compiled on first use (so a process that never validates a given schema never pays
//! for it), with `$ref`s resolved by `$id` among the embedded files, and with the real service's
//! `date-time` and `email` rules ([`crate::formats`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Retrieve, Uri, ValidationError, Validator};
use serde_json::Value;

use crate::files::SCHEMAS;
use crate::formats::{is_date_time, is_email};

/// The base under which schemas are registered for `$ref` resolution. Internal only: error
/// messages name the schema under the deployment's root URL instead.
const INTERNAL_BASE: &str = "https://worker-manager-mock.invalid";

/// One way an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer to the offending value in the instance (`""` for the root).
    pub pointer: String,
    /// The JSON Schema keyword broken (`required`, `pattern`, `additionalProperties`, ...).
    pub keyword: String,
    /// What is wrong, worded like the real service's validator (`must match pattern "..."`).
    pub message: String,
}

impl SchemaViolation {
    /// The violation as one line of the real service's error message: `data/a/b <problem>`.
    pub fn ajv_line(&self) -> String {
        format!("data{} {}", self.pointer, self.message)
    }
}

/// Errors building a validator.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ValidatorError {
    /// No schema of that name.
    #[error("no schema named `{0}`")]
    Unknown(String),
    /// The schema does not compile.
    #[error("schema `{name}` does not compile: {reason}")]
    Compile {
        /// Which schema.
        name: String,
        /// The compiler's message.
        reason: String,
    },
}

/// A set of schemas and their lazily compiled validators.
pub struct Validators {
    /// Schema documents with absolute `$id`s, by name.
    documents: Arc<HashMap<String, Value>>,
    compiled: HashMap<String, OnceLock<Result<Validator, ValidatorError>>>,
}

impl std::fmt::Debug for Validators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validators")
            .field("schemas", &self.documents.len())
            .finish()
    }
}

struct InMemory(Arc<HashMap<String, Value>>);

impl Retrieve for InMemory {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = uri.as_str().trim_end_matches('#');
        let name = key
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".json"))
            .unwrap_or(key);
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| format!("schema not found: {uri}").into())
    }
}

/// The absolute `$id` a schema is registered under internally.
fn internal_id(name: &str) -> String {
    format!("{INTERNAL_BASE}{}{name}.json", crate::SCHEMA_PREFIX)
}

/// Returns `schema` with its `$id` rewritten from the abstract `/schemas/...json#` form to
/// `<base>/schemas/...json#`: how a deployment serves a schema under its root URL.
pub fn with_root_url(schema: &Value, base: &str) -> Value {
    let mut out = schema.clone();
    if let Some(id) = out.get("$id").and_then(Value::as_str) {
        if id.starts_with('/') {
            let absolute = format!("{}{id}", base.trim_end_matches('/'));
            out["$id"] = Value::String(absolute);
        }
    }
    out
}

impl Validators {
    /// Validators for the embedded schemas (shared, compiled on first use).
    pub fn embedded() -> &'static Validators {
        static V: OnceLock<Validators> = OnceLock::new();
        V.get_or_init(|| {
            let docs = SCHEMAS.iter().map(|(name, text)| {
                let v: Value = serde_json::from_str(text).expect("embedded schema is JSON");
                (name.to_string(), v)
            });
            Validators::new(docs)
        })
    }

    /// Validators for any set of `(name, schema)` documents (for example a deployment's own).
    pub fn new(documents: impl IntoIterator<Item = (String, Value)>) -> Validators {
        let documents: HashMap<String, Value> = documents
            .into_iter()
            .map(|(name, mut doc)| {
                doc["$id"] = Value::String(internal_id(&name));
                (name, doc)
            })
            .collect();
        let compiled = documents
            .keys()
            .map(|k| (k.clone(), OnceLock::new()))
            .collect();
        Validators {
            documents: Arc::new(documents),
            compiled,
        }
    }

    /// Names of all schemas.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.documents.keys().map(String::as_str)
    }

    /// The compiled validator for `name`.
    pub fn validator(&self, name: &str) -> Result<&Validator, ValidatorError> {
        let cell = self
            .compiled
            .get(name)
            .ok_or_else(|| ValidatorError::Unknown(name.to_string()))?;
        cell.get_or_init(|| self.compile(name))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn compile(&self, name: &str) -> Result<Validator, ValidatorError> {
        let doc = self
            .documents
            .get(name)
            .ok_or_else(|| ValidatorError::Unknown(name.to_string()))?;
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .with_format("date-time", is_date_time)
            .with_format("email", is_email)
            .with_retriever(InMemory(Arc::clone(&self.documents)))
            .build(doc)
            .map_err(|e| ValidatorError::Compile {
                name: name.to_string(),
                reason: e.to_string(),
            })
    }

    /// Validates `instance` against schema `name`: `Ok` or every violation found.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), Vec<SchemaViolation>> {
        let validator = self.validator(name).map_err(|e| {
            vec![SchemaViolation {
                pointer: String::new(),
                keyword: "$schema".into(),
                message: e.to_string(),
            }]
        })?;
        let violations: Vec<SchemaViolation> = validator
            .iter_errors(instance)
            .map(|e| violation(&e))
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }
}

/// The real service's message for a schema failure: names the schema under `root_url` and lists
/// every violation as `  * data/<pointer> <problem>`.
pub fn ajv_message(root_url: &str, schema_name: &str, violations: &[SchemaViolation]) -> String {
    let mut msg = format!(
        "\nSchema Validation Failed!\nRejecting Schema: {}{}{schema_name}.json#\nErrors:",
        root_url.trim_end_matches('/'),
        crate::SCHEMA_PREFIX
    );
    for v in violations {
        msg.push_str("\n  * ");
        msg.push_str(&v.ajv_line());
    }
    msg
}

fn violation(e: &ValidationError<'_>) -> SchemaViolation {
    let kind = e.kind();
    let message = match kind {
        ValidationErrorKind::Required { property } => {
            format!(
                "must have required property '{}'",
                property.as_str().unwrap_or_default()
            )
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => format!(
            "must NOT have additional properties: {}",
            unexpected
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ValidationErrorKind::Type { kind } => format!("must be {}", type_name(kind)),
        ValidationErrorKind::Pattern { pattern } => format!("must match pattern \"{pattern}\""),
        ValidationErrorKind::MaxLength { limit } => {
            format!("must NOT have more than {limit} characters")
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("must NOT have fewer than {limit} characters")
        }
        ValidationErrorKind::Minimum { limit } => format!("must be >= {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be <= {limit}"),
        ValidationErrorKind::Format { format } => format!("must match format \"{format}\""),
        ValidationErrorKind::Enum { .. } => "must be equal to one of the allowed values".into(),
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => {
            "must match exactly one schema in oneOf".into()
        }
        ValidationErrorKind::UniqueItems => "must NOT have duplicate items".into(),
        _ => e.to_string(),
    };
    SchemaViolation {
        pointer: e.instance_path().as_str().to_string(),
        keyword: kind.keyword().to_string(),
        message,
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(set) => format!("{set:?}"),
    }
}

//! Proptest strategies generated from the API's JSON Schemas and route table.
//!
//! - [`valid()`] / [`SchemaGenerator::valid`]: values that validate against a schema (required and
//!   optional properties, extra properties where allowed, patterns, lengths, bounds, formats,
//!   `enum`/`const`, `oneOf`/`anyOf`, unique arrays, `$ref`s to other files).
//! - [`invalid()`] / [`SchemaGenerator::violations`]: values that break exactly one rule, tagged
//!   with the [`Violation`] (kind, JSON pointer, keyword) a validator must report.
//! - [`path_params`], [`query`] and their `invalid_` twins: path parameter and query maps for a
//!   catalog entry, and [`query_string`] to put a query map on the wire.
//!
//! Schemas are first read into an internal tree (`schema.rs`); keywords the generators cannot
//! honour (`allOf`, `not`, `if`, `patternProperties`, tuple `items`, formats other than
//! `date-time` and `email`, ...) give a [`GenerateError`] rather than values that may not
//! validate. Sizes stay modest: arrays of at most 4 items (unless `minItems` asks for more),
//! strings mostly a few characters, sometimes up to ~48 more than their minimum or exactly at a
//! bound.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use worker_manager_contract::generate;
//! use worker_manager_schemas::Validators;
//!
//! let strategy = generate::valid("task-run").expect("a supported schema");
//! let mut runner = TestRunner::deterministic();
//! let value = strategy.new_tree(&mut runner).expect("a value").current();
//! assert!(Validators::embedded().validate("task-run", &value).is_ok());
//! ```

mod check;
mod invalid;
mod params;
mod pattern;
mod rng;
mod schema;
mod strings;
mod valid;

use std::fmt;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::Value;
use worker_manager_schemas::files::{schema_name_from_ref, schema_text};

pub use params::{
    invalid_path_params, invalid_path_params_in, invalid_query, path_params, path_params_in, query,
    query_string,
};

/// The kind of rule a generated invalid value breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A required property was removed (keyword `required`, pointer: the object).
    MissingRequired,
    /// The value has a type the schema does not allow (keyword `type`).
    WrongType,
    /// A string does not match its `pattern` (for query and path parameters too).
    PatternBroken,
    /// A string above `maxLength`, or an array above `maxItems`.
    TooLong,
    /// A string below `minLength`, or an array below `minItems`.
    TooShort,
    /// A number below `minimum`/`exclusiveMinimum` or above `maximum`/`exclusiveMaximum`.
    OutOfRange,
    /// A property `additionalProperties: false` forbids (pointer: the object), or an undeclared
    /// query key.
    ForbiddenExtraProperty,
    /// A string that breaks its `format` (`date-time`, `email`).
    BadFormat,
    /// A value outside the `enum`.
    NotInEnum,
    /// A value other than the `const`.
    NotConst,
    /// An array with two equal items where `uniqueItems` forbids it.
    DuplicateItems,
}

/// What a generated invalid value breaks, and what a validator must report for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// The rule broken.
    pub kind: ViolationKind,
    /// The JSON pointer the validator reports (for `MissingRequired` and
    /// `ForbiddenExtraProperty` the object's; inside a `oneOf`/`anyOf` branch the pointer of the
    /// value holding the branches). For path and query parameters: `/<name>`, or `""` for an
    /// undeclared query key.
    pub pointer: String,
    /// The keyword the validator reports (`required`, `type`, `pattern`, `maxLength`,
    /// `minimum`, `additionalProperties`, `format`, `enum`, ...; `oneOf`/`anyOf` for a rule
    /// broken inside a branch).
    pub keyword: String,
    /// The JSON pointer of the location actually changed (the removed or added property, the
    /// spoiled value inside a branch); equal to `pointer` otherwise.
    pub changed: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} at `{}` (keyword {}, changed `{}`)",
            self.kind, self.pointer, self.keyword, self.changed
        )
    }
}

/// Why strategies could not be built for a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenerateError {
    /// No embedded schema has that name.
    UnknownSchema(String),
    /// A schema file is not JSON.
    NotJson {
        /// Which schema.
        name: String,
        /// The parser's message.
        reason: String,
    },
    /// A `$ref` the resolver could not find.
    Unresolved {
        /// Where the `$ref` is (`file#/json/pointer`).
        at: String,
        /// The reference as written.
        reference: String,
    },
    /// A keyword or shape the generators do not support.
    Unsupported {
        /// Where it is (`file#/json/pointer`).
        at: String,
        /// What it is.
        what: String,
    },
    /// A pattern that does not parse, or uses look-arounds the generators cannot honour.
    BadPattern {
        /// Where it is.
        at: String,
        /// The pattern.
        pattern: String,
        /// The parser's or the generator's complaint.
        reason: String,
    },
    /// Rules that no value can meet (`minimum` above `maximum`, `false`, ...).
    Unsatisfiable {
        /// Where.
        at: String,
        /// Why.
        reason: String,
    },
    /// The schema states no rule an invalid value could break (e.g. `{}`).
    NothingToBreak(String),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::UnknownSchema(n) => write!(f, "no schema named `{n}`"),
            GenerateError::NotJson { name, reason } => {
                write!(f, "schema `{name}` is not JSON: {reason}")
            }
            GenerateError::Unresolved { at, reference } => {
                write!(f, "{at}: cannot resolve `$ref` {reference}")
            }
            GenerateError::Unsupported { at, what } => {
                write!(f, "{at}: generation does not support {what}")
            }
            GenerateError::BadPattern {
                at,
                pattern,
                reason,
            } => write!(
                f,
                "{at}: cannot generate from pattern /{pattern}/: {reason}"
            ),
            GenerateError::Unsatisfiable { at, reason } => {
                write!(f, "{at}: no value can be generated: {reason}")
            }
            GenerateError::NothingToBreak(n) => {
                write!(f, "schema `{n}` states no rule to break")
            }
        }
    }
}

impl std::error::Error for GenerateError {}

/// The resolver for the embedded schemas: the document a `$ref`'s file part names
/// (`task-run.json`, `v1/task-run.json#`, `/schemas/worker-manager/v1/task-run.json`).
pub fn embedded_schema(reference: &str) -> Option<Value> {
    let text = schema_text(schema_name_from_ref(reference))?;
    serde_json::from_str(text).ok()
}

/// A schema read once, from which valid and invalid strategies are built.
#[derive(Debug, Clone)]
pub struct SchemaGenerator {
    name: String,
    root: Arc<schema::Node>,
}

impl SchemaGenerator {
    /// The generator for the embedded schema `name` (file name without `.json`).
    pub fn embedded(name: &str) -> Result<SchemaGenerator, GenerateError> {
        let text = schema_text(name).ok_or_else(|| GenerateError::UnknownSchema(name.into()))?;
        let schema: Value = serde_json::from_str(text).map_err(|e| GenerateError::NotJson {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        Self::named(name, &schema, &embedded_schema)
    }

    /// The generator for any schema document; `resolver` returns the document a `$ref` names,
    /// given the reference's file part (`task-run.json`). `$ref`s within the document
    /// (`#/definitions/x`) need no resolver.
    pub fn from_schema(
        schema: &Value,
        resolver: &dyn Fn(&str) -> Option<Value>,
    ) -> Result<SchemaGenerator, GenerateError> {
        let name = schema
            .get("$id")
            .and_then(Value::as_str)
            .map(|id| schema_name_from_ref(id).to_string())
            .unwrap_or_else(|| "schema".to_string());
        Self::named(&name, schema, resolver)
    }

    fn named(
        name: &str,
        schema: &Value,
        resolver: &dyn Fn(&str) -> Option<Value>,
    ) -> Result<SchemaGenerator, GenerateError> {
        Ok(SchemaGenerator {
            name: name.to_string(),
            root: schema::compile(schema, &format!("{name}.json"), resolver)?,
        })
    }

    /// The schema's name (its file name without `.json`, or `schema`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Values that validate against the schema.
    pub fn valid(&self) -> Result<BoxedStrategy<Value>, GenerateError> {
        valid::value(&self.root)
    }

    /// One strategy per rule the schema states, each breaking that rule only.
    pub fn violations(&self) -> Result<Vec<BoxedStrategy<(Violation, Value)>>, GenerateError> {
        invalid::sites(&self.root)
    }

    /// Values that break one rule of the schema (any of [`SchemaGenerator::violations`]).
    pub fn invalid(&self) -> Result<BoxedStrategy<(Violation, Value)>, GenerateError> {
        let sites = self.violations()?;
        if sites.is_empty() {
            return Err(GenerateError::NothingToBreak(self.name.clone()));
        }
        Ok(Union::new(sites).boxed())
    }

    /// Whether `value` is valid by the generators' own reading of the schema (to cross-check
    /// them against a real validator).
    pub fn conforms(&self, value: &Value) -> bool {
        check::conforms(&self.root, value)
    }
}

/// Values that validate against the embedded schema `name` (`register-worker-request`).
pub fn valid(name: &str) -> Result<BoxedStrategy<Value>, GenerateError> {
    SchemaGenerator::embedded(name)?.valid()
}

/// Values that break exactly one rule of the embedded schema `name`, with the [`Violation`]
/// a validator must report.
pub fn invalid(name: &str) -> Result<BoxedStrategy<(Violation, Value)>, GenerateError> {
    SchemaGenerator::embedded(name)?.invalid()
}

/// [`valid()`] for any schema document, with `resolver` for `$ref`s to other files.
pub fn valid_for(
    schema: &Value,
    resolver: &dyn Fn(&str) -> Option<Value>,
) -> Result<BoxedStrategy<Value>, GenerateError> {
    SchemaGenerator::from_schema(schema, resolver)?.valid()
}

/// [`invalid()`] for any schema document, with `resolver` for `$ref`s to other files.
pub fn invalid_for(
    schema: &Value,
    resolver: &dyn Fn(&str) -> Option<Value>,
) -> Result<BoxedStrategy<(Violation, Value)>, GenerateError> {
    SchemaGenerator::from_schema(schema, resolver)?.invalid()
}

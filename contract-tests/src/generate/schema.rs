//! A JSON Schema read into the subset of draft-07 the generators understand.
//!
//! [`compile`] walks a schema document, follows `$ref`s (to other files through the caller's
//! resolver, and to JSON pointers inside a document), parses patterns, and produces a tree of
//! [`Node`]s. Keywords the generators cannot honour make it fail with
//! [`GenerateError::Unsupported`] instead of producing values that might not validate.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::pattern::Pattern;
use super::GenerateError;

/// Annotation keywords: read by no validator, ignored here too.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "definitions",
];

/// Standard keywords whose constraints the generators do not implement.
const UNSUPPORTED: &[&str] = &[
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "dependencies",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "contains",
    "multipleOf",
    "additionalItems",
    "contentMediaType",
    "contentEncoding",
];

/// How deep `$ref`s may nest before we call the schema recursive.
const MAX_REF_DEPTH: usize = 32;

/// JSON types as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    pub(crate) const NULL: Types = Types(1);
    pub(crate) const BOOLEAN: Types = Types(2);
    pub(crate) const INTEGER: Types = Types(4);
    pub(crate) const NUMBER: Types = Types(8);
    pub(crate) const STRING: Types = Types(16);
    pub(crate) const ARRAY: Types = Types(32);
    pub(crate) const OBJECT: Types = Types(64);
    pub(crate) const NONE: Types = Types(0);
    pub(crate) const ALL: Types = Types(127);

    fn named(name: &str) -> Option<Types> {
        Some(match name {
            "null" => Types::NULL,
            "boolean" => Types::BOOLEAN,
            "integer" => Types::INTEGER,
            "number" => Types::NUMBER,
            "string" => Types::STRING,
            "array" => Types::ARRAY,
            "object" => Types::OBJECT,
            _ => return None,
        })
    }

    /// The union of two sets.
    pub(crate) fn with(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }

    /// Whether every type of `other` is in the set.
    pub(crate) fn has(self, other: Types) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Whether a value of JSON type `t` (as [`Types::of`] gives it) is allowed: integers are
    /// numbers too.
    pub(crate) fn allows(self, t: Types) -> bool {
        self.has(t) || (t == Types::INTEGER && self.has(Types::NUMBER))
    }

    /// The type of a value; integral numbers are `INTEGER`.
    pub(crate) fn of(v: &Value) -> Types {
        match v {
            Value::Null => Types::NULL,
            Value::Bool(_) => Types::BOOLEAN,
            Value::Number(n) => {
                if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                    Types::INTEGER
                } else {
                    Types::NUMBER
                }
            }
            Value::String(_) => Types::STRING,
            Value::Array(_) => Types::ARRAY,
            Value::Object(_) => Types::OBJECT,
        }
    }
}

/// A `format` the generators know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `date-time`, with the real service's rules.
    DateTime,
    /// `email`, with the real service's rules.
    Email,
}

/// Constraints on strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringRules {
    pub(crate) min_len: usize,
    pub(crate) max_len: Option<usize>,
    pub(crate) pattern: Option<Arc<Pattern>>,
    pub(crate) format: Option<Format>,
}

impl StringRules {
    fn is_set(&self) -> bool {
        self.min_len > 0
            || self.max_len.is_some()
            || self.pattern.is_some()
            || self.format.is_some()
    }
}

/// Constraints on numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRules {
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_minimum: Option<f64>,
    pub(crate) exclusive_maximum: Option<f64>,
}

impl NumberRules {
    fn is_set(&self) -> bool {
        self.minimum.is_some()
            || self.maximum.is_some()
            || self.exclusive_minimum.is_some()
            || self.exclusive_maximum.is_some()
    }
}

/// What `additionalProperties` allows.
#[derive(Debug, Clone, Default)]
pub(crate) enum Additional {
    /// Absent or `true`.
    #[default]
    Any,
    /// `false`.
    Forbidden,
    /// A schema every extra property must match.
    Schema(Arc<Node>),
}

/// Constraints on objects.
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectRules {
    pub(crate) properties: Vec<(String, Arc<Node>)>,
    pub(crate) required: Vec<String>,
    pub(crate) additional: Additional,
}

impl ObjectRules {
    fn is_set(&self) -> bool {
        !self.properties.is_empty()
            || !self.required.is_empty()
            || !matches!(self.additional, Additional::Any)
    }

    /// The schema of property `name`, if declared.
    pub(crate) fn property(&self, name: &str) -> Option<&Arc<Node>> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }
}

/// Constraints on arrays.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArrayRules {
    pub(crate) items: Option<Arc<Node>>,
    pub(crate) min_items: usize,
    pub(crate) max_items: Option<usize>,
    pub(crate) unique: bool,
}

impl ArrayRules {
    fn is_set(&self) -> bool {
        self.items.is_some() || self.min_items > 0 || self.max_items.is_some() || self.unique
    }
}

/// One schema (or subschema), with `$ref`s already followed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// Where it was read from, for messages (`task-run.json#/properties/runId`).
    pub(crate) at: String,
    /// The `false` schema: nothing validates.
    pub(crate) never: bool,
    pub(crate) types: Option<Types>,
    pub(crate) const_value: Option<Value>,
    pub(crate) enum_values: Option<Vec<Value>>,
    pub(crate) string: StringRules,
    pub(crate) number: NumberRules,
    pub(crate) object: ObjectRules,
    pub(crate) array: ArrayRules,
    pub(crate) one_of: Vec<Arc<Node>>,
    pub(crate) any_of: Vec<Arc<Node>>,
}

impl Node {
    /// The types values are generated in: `type` if given, else the types whose keywords the
    /// schema uses, else all of them (a free-form value).
    pub(crate) fn effective_types(&self) -> Types {
        if let Some(t) = self.types {
            return t;
        }
        let mut t = Types::NONE;
        if self.string.is_set() {
            t = t.with(Types::STRING);
        }
        if self.number.is_set() {
            t = t.with(Types::NUMBER);
        }
        if self.object.is_set() {
            t = t.with(Types::OBJECT);
        }
        if self.array.is_set() {
            t = t.with(Types::ARRAY);
        }
        if t == Types::NONE {
            Types::ALL
        } else {
            t
        }
    }
}

/// Reads a schema document into a [`Node`] tree. `resolver` gets the file part of a `$ref`
/// (`task-run.json`) and returns that document.
pub(crate) fn compile(
    schema: &Value,
    name: &str,
    resolver: &dyn Fn(&str) -> Option<Value>,
) -> Result<Arc<Node>, GenerateError> {
    let mut c = Compiler {
        resolver,
        documents: HashMap::new(),
    };
    let doc = Rc::new(schema.clone());
    c.node(schema, &doc, format!("{name}#"), 0)
}

struct Compiler<'r> {
    resolver: &'r dyn Fn(&str) -> Option<Value>,
    documents: HashMap<String, Rc<Value>>,
}

fn unsupported(at: &str, what: impl Into<String>) -> GenerateError {
    GenerateError::Unsupported {
        at: at.to_string(),
        what: what.into(),
    }
}

fn count(v: &Value, at: &str, key: &str) -> Result<usize, GenerateError> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| unsupported(at, format!("`{key}` that is not a non-negative integer")))
}

fn number(v: &Value, at: &str, key: &str) -> Result<f64, GenerateError> {
    v.as_f64()
        .ok_or_else(|| unsupported(at, format!("`{key}` that is not a number")))
}

impl Compiler<'_> {
    fn node(
        &mut self,
        schema: &Value,
        doc: &Rc<Value>,
        at: String,
        depth: usize,
    ) -> Result<Arc<Node>, GenerateError> {
        let map = match schema {
            Value::Bool(true) => {
                return Ok(Arc::new(Node {
                    at,
                    ..Node::default()
                }))
            }
            Value::Bool(false) => {
                return Ok(Arc::new(Node {
                    at,
                    never: true,
                    ..Node::default()
                }))
            }
            Value::Object(map) => map,
            _ => {
                return Err(unsupported(
                    &at,
                    "a schema that is not an object or a boolean",
                ))
            }
        };
        if let Some(reference) = map.get("$ref") {
            // Draft-07: `$ref` replaces its siblings.
            let reference = reference
                .as_str()
                .ok_or_else(|| unsupported(&at, "a `$ref` that is not a string"))?;
            return self.reference(reference, doc, &at, depth);
        }
        let mut node = Node {
            at: at.clone(),
            ..Node::default()
        };
        for (key, value) in map {
            let here = format!("{at}/{key}");
            match key.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                k if UNSUPPORTED.contains(&k) => {
                    return Err(unsupported(&at, format!("the keyword `{k}`")))
                }
                "type" => node.types = Some(types(value, &here)?),
                "const" => node.const_value = Some(value.clone()),
                "enum" => {
                    let values = value
                        .as_array()
                        .ok_or_else(|| unsupported(&here, "an `enum` that is not an array"))?;
                    node.enum_values = Some(values.clone());
                }
                "minLength" => node.string.min_len = count(value, &here, key)?,
                "maxLength" => node.string.max_len = Some(count(value, &here, key)?),
                "pattern" => {
                    let source = value
                        .as_str()
                        .ok_or_else(|| unsupported(&here, "a `pattern` that is not a string"))?;
                    let pattern =
                        Pattern::parse(source).map_err(|reason| GenerateError::BadPattern {
                            at: here.clone(),
                            pattern: source.to_string(),
                            reason,
                        })?;
                    node.string.pattern = Some(Arc::new(pattern));
                }
                "format" => {
                    node.string.format = Some(match value.as_str() {
                        Some("date-time") => Format::DateTime,
                        Some("email") => Format::Email,
                        other => {
                            return Err(unsupported(
                                &here,
                                format!("the format {}", other.unwrap_or("(not a string)")),
                            ))
                        }
                    })
                }
                "minimum" => node.number.minimum = Some(number(value, &here, key)?),
                "maximum" => node.number.maximum = Some(number(value, &here, key)?),
                "exclusiveMinimum" => {
                    node.number.exclusive_minimum = Some(number(value, &here, key)?)
                }
                "exclusiveMaximum" => {
                    node.number.exclusive_maximum = Some(number(value, &here, key)?)
                }
                "properties" => {
                    let props = value
                        .as_object()
                        .ok_or_else(|| unsupported(&here, "`properties` that is not an object"))?;
                    for (name, sub) in props {
                        let child = self.node(sub, doc, format!("{here}/{name}"), depth)?;
                        node.object.properties.push((name.clone(), child));
                    }
                }
                "required" => {
                    let names = value
                        .as_array()
                        .ok_or_else(|| unsupported(&here, "`required` that is not an array"))?;
                    for n in names {
                        let n = n.as_str().ok_or_else(|| {
                            unsupported(&here, "`required` with a name that is not a string")
                        })?;
                        node.object.required.push(n.to_string());
                    }
                }
                "additionalProperties" => {
                    node.object.additional = match value {
                        Value::Bool(true) => Additional::Any,
                        Value::Bool(false) => Additional::Forbidden,
                        other => Additional::Schema(self.node(other, doc, here, depth)?),
                    }
                }
                "items" => {
                    if value.is_array() {
                        return Err(unsupported(&here, "tuple `items` (an array of schemas)"));
                    }
                    node.array.items = Some(self.node(value, doc, here, depth)?);
                }
                "minItems" => node.array.min_items = count(value, &here, key)?,
                "maxItems" => node.array.max_items = Some(count(value, &here, key)?),
                "uniqueItems" => node.array.unique = value.as_bool().unwrap_or(false),
                "oneOf" | "anyOf" => {
                    let branches = value
                        .as_array()
                        .filter(|b| !b.is_empty())
                        .ok_or_else(|| unsupported(&here, format!("an empty `{key}`")))?;
                    let mut out = Vec::new();
                    for (i, b) in branches.iter().enumerate() {
                        out.push(self.node(b, doc, format!("{here}/{i}"), depth)?);
                    }
                    if key == "oneOf" {
                        node.one_of = out;
                    } else {
                        node.any_of = out;
                    }
                }
                // Unknown keywords are ignored, as validators ignore them.
                _ => {}
            }
        }
        Ok(Arc::new(node))
    }

    fn reference(
        &mut self,
        reference: &str,
        doc: &Rc<Value>,
        at: &str,
        depth: usize,
    ) -> Result<Arc<Node>, GenerateError> {
        if depth >= MAX_REF_DEPTH {
            return Err(unsupported(
                at,
                format!("`$ref`s nested deeper than {MAX_REF_DEPTH} (a recursive schema?)"),
            ));
        }
        let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target_doc = if file.is_empty() {
            Rc::clone(doc)
        } else if let Some(d) = self.documents.get(file) {
            Rc::clone(d)
        } else {
            let d = Rc::new(
                (self.resolver)(file).ok_or_else(|| GenerateError::Unresolved {
                    at: at.to_string(),
                    reference: reference.to_string(),
                })?,
            );
            self.documents.insert(file.to_string(), Rc::clone(&d));
            d
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(unsupported(
                at,
                format!("the `$ref` {reference} (anchor form)"),
            ));
        }
        let target = target_doc
            .pointer(fragment)
            .ok_or_else(|| GenerateError::Unresolved {
                at: at.to_string(),
                reference: reference.to_string(),
            })?
            .clone();
        let name = if file.is_empty() { at } else { file };
        let name = name.split('#').next().unwrap_or(name);
        self.node(
            &target,
            &target_doc,
            format!("{name}#{fragment}"),
            depth + 1,
        )
    }
}

fn types(value: &Value, at: &str) -> Result<Types, GenerateError> {
    let one = |v: &Value| {
        v.as_str()
            .and_then(Types::named)
            .ok_or_else(|| unsupported(at, format!("the type {v}")))
    };
    match value {
        Value::Array(list) => list
            .iter()
            .try_fold(Types::NONE, |acc, v| Ok(acc.with(one(v)?))),
        other => one(other),
    }
}

/// Numeric-aware JSON equality, as JSON Schema compares values (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub(crate) fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

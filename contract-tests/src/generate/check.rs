//! The generators' own reading of a schema: whether a value conforms to a [`Node`].
//!
//! Used where generation needs a decision it cannot make by construction (a value from one
//! `oneOf` branch must match no other branch; a mutated value must match no branch at all), and
//! to cross-check the generators against the real validator in tests.

use serde_json::Value;
use worker_manager_schemas::formats::{is_date_time, is_email};

use super::schema::{json_eq, Additional, Format, Node, StringRules, Types};

/// Whether `value` is valid against `node`.
pub(crate) fn conforms(node: &Node, value: &Value) -> bool {
    if node.never {
        return false;
    }
    if let Some(t) = node.types {
        if !t.allows(Types::of(value)) {
            return false;
        }
    }
    if let Some(c) = &node.const_value {
        if !json_eq(c, value) {
            return false;
        }
    }
    if let Some(values) = &node.enum_values {
        if !values.iter().any(|v| json_eq(v, value)) {
            return false;
        }
    }
    if !node.one_of.is_empty() && node.one_of.iter().filter(|b| conforms(b, value)).count() != 1 {
        return false;
    }
    if !node.any_of.is_empty() && !node.any_of.iter().any(|b| conforms(b, value)) {
        return false;
    }
    match value {
        Value::String(s) => string_ok(&node.string, s),
        Value::Number(n) => n.as_f64().is_some_and(|x| number_ok(node, x)),
        Value::Object(map) => {
            let rules = &node.object;
            rules.required.iter().all(|r| map.contains_key(r))
                && map.iter().all(|(k, v)| match rules.property(k) {
                    Some(sub) => conforms(sub, v),
                    None => match &rules.additional {
                        Additional::Any => true,
                        Additional::Forbidden => false,
                        Additional::Schema(sub) => conforms(sub, v),
                    },
                })
        }
        Value::Array(items) => {
            let rules = &node.array;
            items.len() >= rules.min_items
                && rules.max_items.is_none_or(|m| items.len() <= m)
                && (!rules.unique || all_unique(items))
                && rules
                    .items
                    .as_ref()
                    .is_none_or(|sub| items.iter().all(|v| conforms(sub, v)))
        }
        Value::Null | Value::Bool(_) => true,
    }
}

/// Whether `s` meets every string rule (length in characters, pattern, format).
pub(crate) fn string_ok(rules: &StringRules, s: &str) -> bool {
    let len = s.chars().count();
    len >= rules.min_len
        && rules.max_len.is_none_or(|m| len <= m)
        && rules.pattern.as_ref().is_none_or(|p| p.is_match(s))
        && rules.format.is_none_or(|f| format_ok(f, s))
}

/// Whether `s` is in format `f`, by the real service's rules.
pub(crate) fn format_ok(f: Format, s: &str) -> bool {
    match f {
        Format::DateTime => is_date_time(s),
        Format::Email => is_email(s),
    }
}

fn number_ok(node: &Node, x: f64) -> bool {
    let r = &node.number;
    r.minimum.is_none_or(|m| x >= m)
        && r.maximum.is_none_or(|m| x <= m)
        && r.exclusive_minimum.is_none_or(|m| x > m)
        && r.exclusive_maximum.is_none_or(|m| x < m)
}

/// Whether no two items are equal (numerically aware).
pub(crate) fn all_unique(items: &[Value]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[i + 1..].iter().all(|b| !json_eq(a, b)))
}

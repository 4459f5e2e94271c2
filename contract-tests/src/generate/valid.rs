//! Strategies for values that validate against a [`Node`].

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{Map, Number, Value};

use super::check::{all_unique, conforms};
use super::schema::{json_eq, Additional, Node, Types};
use super::{strings, GenerateError};

/// Largest array a generator makes when the schema does not ask for more.
pub(crate) const MAX_ITEMS: usize = 4;

fn unsatisfiable(node: &Node, reason: impl Into<String>) -> GenerateError {
    GenerateError::Unsatisfiable {
        at: node.at.clone(),
        reason: reason.into(),
    }
}

/// Values valid against `node`.
pub(crate) fn value(node: &Arc<Node>) -> Result<BoxedStrategy<Value>, GenerateError> {
    if node.never {
        return Err(unsatisfiable(node, "the schema `false` accepts nothing"));
    }
    if let Some(c) = &node.const_value {
        if !conforms(node, c) {
            return Err(unsatisfiable(
                node,
                "`const` breaks the schema's other rules",
            ));
        }
        return Ok(Just(c.clone()).boxed());
    }
    if let Some(values) = &node.enum_values {
        let ok: Vec<Value> = values
            .iter()
            .filter(|v| conforms(node, v))
            .cloned()
            .collect();
        if ok.is_empty() {
            return Err(unsatisfiable(node, "no `enum` value meets the other rules"));
        }
        return Ok(proptest::sample::select(ok).boxed());
    }
    if !node.one_of.is_empty() || !node.any_of.is_empty() {
        // Generate from one branch; keep the values the whole node accepts (for `oneOf`: those
        // that match no other branch, and that meet sibling keywords).
        let branches = if node.one_of.is_empty() {
            &node.any_of
        } else {
            &node.one_of
        };
        let mut options = Vec::new();
        for b in branches {
            options.push(value(b)?);
        }
        let whole = Arc::clone(node);
        return Ok(Union::new(options)
            .prop_filter(
                "matches exactly one oneOf branch / the siblings",
                move |v| conforms(&whole, v),
            )
            .boxed());
    }
    let types = node.effective_types();
    if types == Types::ALL && node.types.is_none() {
        return Ok(any_json());
    }
    let mut options: Vec<BoxedStrategy<Value>> = Vec::new();
    if types.has(Types::NULL) {
        options.push(Just(Value::Null).boxed());
    }
    if types.has(Types::BOOLEAN) {
        options.push(any::<bool>().prop_map(Value::Bool).boxed());
    }
    if types.has(Types::NUMBER) {
        options.push(float(node)?);
        // Integral values too, when one fits.
        if let Ok(i) = integer(node) {
            options.push(i);
        }
    } else if types.has(Types::INTEGER) {
        options.push(integer(node)?);
    }
    if types.has(Types::STRING) {
        options.push(
            strings::valid(&node.string, &node.at)?
                .prop_map(Value::String)
                .boxed(),
        );
    }
    if types.has(Types::ARRAY) {
        let (lo, hi) = item_bounds(node)?;
        options.push(array(node, lo, hi)?.prop_map(Value::Array).boxed());
    }
    if types.has(Types::OBJECT) {
        options.push(object(node)?.prop_map(Value::Object).boxed());
    }
    if options.is_empty() {
        return Err(unsatisfiable(node, "an empty `type` list"));
    }
    Ok(Union::new(options).boxed())
}

/// The integer bounds of `node` (`None` where unbounded).
pub(crate) fn integer_bounds(node: &Node) -> (Option<i64>, Option<i64>) {
    let r = &node.number;
    let lo = [
        r.minimum.map(|m| m.ceil() as i64),
        r.exclusive_minimum.map(|m| m.floor() as i64 + 1),
    ]
    .into_iter()
    .flatten()
    .max();
    let hi = [
        r.maximum.map(|m| m.floor() as i64),
        r.exclusive_maximum.map(|m| m.ceil() as i64 - 1),
    ]
    .into_iter()
    .flatten()
    .min();
    (lo, hi)
}

fn integer(node: &Node) -> Result<BoxedStrategy<Value>, GenerateError> {
    let s = match integer_bounds(node) {
        (Some(lo), Some(hi)) if lo > hi => {
            return Err(unsatisfiable(
                node,
                "no integer between minimum and maximum",
            ))
        }
        (Some(lo), Some(hi)) => prop_oneof![6 => lo..=hi, 1 => Just(lo), 1 => Just(hi)].boxed(),
        (Some(lo), None) => prop_oneof![
            4 => lo..=lo.saturating_add(10),
            2 => lo..=lo.saturating_add(100_000),
            1 => Just(lo),
        ]
        .boxed(),
        (None, Some(hi)) => prop_oneof![
            4 => hi.saturating_sub(10)..=hi,
            2 => hi.saturating_sub(100_000)..=hi,
            1 => Just(hi),
        ]
        .boxed(),
        (None, None) => {
            prop_oneof![4 => -10i64..=100, 1 => any::<i32>().prop_map(i64::from)].boxed()
        }
    };
    Ok(s.prop_map(Value::from).boxed())
}

fn float(node: &Node) -> Result<BoxedStrategy<Value>, GenerateError> {
    let r = &node.number;
    let lo = [r.minimum, r.exclusive_minimum]
        .into_iter()
        .flatten()
        .reduce(f64::max);
    let hi = [r.maximum, r.exclusive_maximum]
        .into_iter()
        .flatten()
        .reduce(f64::min);
    let (lo, hi) = match (lo, hi) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + 1000.0),
        (None, Some(b)) => (b - 1000.0, b),
        (None, None) => (-1000.0, 1000.0),
    };
    if lo > hi {
        return Err(unsatisfiable(node, "no number between minimum and maximum"));
    }
    let whole = node.clone();
    Ok(prop_oneof![
        6 => (0.0f64..=1.0).prop_map(move |u| lo + (hi - lo) * u),
        1 => Just(lo),
        1 => Just(hi),
    ]
    .prop_filter_map("number outside an exclusive bound", move |x| {
        let v = Value::Number(Number::from_f64(x)?);
        conforms(&whole, &v).then_some(v)
    })
    .boxed())
}

/// The array sizes a valid array of `node` may have, capped at [`MAX_ITEMS`] unless
/// `minItems` asks for more.
pub(crate) fn item_bounds(node: &Node) -> Result<(usize, usize), GenerateError> {
    let r = &node.array;
    let lo = r.min_items;
    let hi = r
        .max_items
        .map_or(lo.max(MAX_ITEMS), |m| m.min(lo.max(MAX_ITEMS)));
    if lo > hi {
        return Err(unsatisfiable(node, "minItems is above maxItems"));
    }
    match super::invalid::distinct_items(node) {
        Some(n) if r.unique && n < lo => Err(unsatisfiable(
            node,
            format!("minItems {lo} unique items, but only {n} distinct values"),
        )),
        Some(n) if r.unique => Ok((lo, hi.min(n))),
        _ => Ok((lo, hi)),
    }
}

/// Arrays of `lo..=hi` valid items (distinct when `uniqueItems`).
pub(crate) fn array(
    node: &Node,
    lo: usize,
    hi: usize,
) -> Result<BoxedStrategy<Vec<Value>>, GenerateError> {
    let item = match &node.array.items {
        Some(sub) => value(sub)?,
        None => any_json(),
    };
    let items = vec(item, lo..=hi);
    if !node.array.unique {
        return Ok(items.boxed());
    }
    Ok(items
        .prop_map(|items| {
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for v in items {
                if !out.iter().any(|o| json_eq(o, &v)) {
                    out.push(v);
                }
            }
            out
        })
        .prop_filter("too few distinct items", move |items| {
            items.len() >= lo && all_unique(items)
        })
        .boxed())
}

/// Objects valid against `node`: every required property, each optional one present or absent,
/// and (where `additionalProperties` allows) sometimes a few extra properties.
pub(crate) fn object(node: &Node) -> Result<BoxedStrategy<Map<String, Value>>, GenerateError> {
    let rules = &node.object;
    let mut parts: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    for (name, sub) in &rules.properties {
        let name = name.clone();
        let s = value(sub)?;
        if rules.required.contains(&name) {
            parts.push(s.prop_map(move |v| Some((name.clone(), v))).boxed());
        } else {
            parts.push(
                proptest::option::weighted(0.5, s)
                    .prop_map(move |o| o.map(|v| (name.clone(), v)))
                    .boxed(),
            );
        }
    }
    for name in rules
        .required
        .iter()
        .filter(|r| rules.property(r).is_none())
    {
        let s = match &rules.additional {
            Additional::Any => any_json(),
            Additional::Schema(sub) => value(sub)?,
            Additional::Forbidden => {
                return Err(unsatisfiable(
                    node,
                    format!("`{name}` is required but additional properties are forbidden"),
                ))
            }
        };
        let name = name.clone();
        parts.push(s.prop_map(move |v| Some((name.clone(), v))).boxed());
    }
    let extra_chance = if rules.properties.is_empty() {
        0.6
    } else {
        0.25
    };
    let extras: BoxedStrategy<Vec<(String, Value)>> = match &rules.additional {
        Additional::Forbidden => Just(Vec::new()).boxed(),
        Additional::Any => {
            proptest::option::weighted(extra_chance, vec((strings::extra_key(), any_json()), 1..=3))
                .prop_map(Option::unwrap_or_default)
                .boxed()
        }
        Additional::Schema(sub) => proptest::option::weighted(
            extra_chance,
            vec((strings::extra_key(), value(sub)?), 1..=2),
        )
        .prop_map(Option::unwrap_or_default)
        .boxed(),
    };
    let declared: Vec<String> = rules
        .properties
        .iter()
        .map(|(n, _)| n.clone())
        .chain(rules.required.iter().cloned())
        .collect();
    Ok((parts, extras)
        .prop_map(move |(parts, extras)| {
            let mut map = Map::new();
            for (k, v) in parts.into_iter().flatten() {
                map.insert(k, v);
            }
            for (k, v) in extras {
                if !declared.contains(&k) && !map.contains_key(&k) {
                    map.insert(k, v);
                }
            }
            map
        })
        .boxed())
}

/// Small free-form JSON: scalars, and arrays/objects of up to 3 members, 2 levels deep.
pub(crate) fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        (-1000.0f64..1000.0).prop_map(Value::from),
        strings::plain(0, Some(12)).prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..=3).prop_map(Value::Array),
            vec((strings::extra_key(), inner), 0..=3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

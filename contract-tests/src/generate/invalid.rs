//! Strategies for values that break exactly one rule of a [`Node`], one strategy per rule.
//!
//! Each rule the schema states (a required property, a pattern, a bound, ...) becomes a *site*:
//! a strategy that builds a valid value around one spoiled location and tags it with the
//! [`Violation`] the validator must report. Pointers are built bottom-up: a child's violation is
//! relative to the child, and each parent prefixes its property name or item index.
//!
//! Inside `oneOf`/`anyOf` branches, sites are kept but re-tagged: a value that breaks a rule
//! inside a branch (and matches no other branch, which is checked) is reported by the validator
//! as keyword `oneOf`/`anyOf` at the pointer of the node holding the branches. The tag keeps the
//! inner [`ViolationKind`] and the inner location in [`Violation::changed`].

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::{Union, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Number, Value};

use super::check::conforms;
use super::schema::{escape_pointer, json_eq, Additional, Node, Types};
use super::valid::{self, any_json, integer_bounds, item_bounds};
use super::{strings, GenerateError, Violation, ViolationKind};

/// How many values are drawn to decide whether a site inside a branch can ever break the
/// branch without matching another one.
const PROBES: usize = 64;

/// One rule-breaking strategy.
pub(crate) type Site = BoxedStrategy<(Violation, Value)>;

fn tag(kind: ViolationKind, keyword: &str, changed: &str) -> Violation {
    Violation {
        kind,
        pointer: String::new(),
        keyword: keyword.to_string(),
        changed: changed.to_string(),
    }
}

fn here(kind: ViolationKind, keyword: &'static str, s: BoxedStrategy<Value>) -> Site {
    s.prop_map(move |v| (tag(kind, keyword, ""), v)).boxed()
}

/// Every site of `node`.
pub(crate) fn sites(node: &Arc<Node>) -> Result<Vec<Site>, GenerateError> {
    let mut out = Vec::new();
    if node.never {
        return Ok(out);
    }
    if let Some(types) = node.types {
        if let Some(s) = wrong_type(types) {
            out.push(here(ViolationKind::WrongType, "type", s));
        }
    }
    if !node.one_of.is_empty() || !node.any_of.is_empty() {
        out.extend(branch_sites(node)?);
        return Ok(out);
    }
    if let Some(c) = &node.const_value {
        out.extend(not_const(node, c));
        return Ok(out);
    }
    if let Some(values) = &node.enum_values {
        out.extend(not_in_enum(node, values));
        return Ok(out);
    }
    let types = node.effective_types();
    if types.has(Types::STRING) {
        string_sites(node, &mut out);
    }
    if types.allows(Types::INTEGER) {
        number_sites(node, types, &mut out);
    }
    if types.has(Types::OBJECT) {
        object_sites(node, &mut out)?;
    }
    if types.has(Types::ARRAY) {
        array_sites(node, &mut out)?;
    }
    Ok(out)
}

/// Values of some type `types` does not allow.
fn wrong_type(types: Types) -> Option<BoxedStrategy<Value>> {
    let mut options: Vec<BoxedStrategy<Value>> = Vec::new();
    if !types.has(Types::NULL) {
        options.push(Just(Value::Null).boxed());
    }
    if !types.has(Types::BOOLEAN) {
        options.push(any::<bool>().prop_map(Value::Bool).boxed());
    }
    if !types.allows(Types::INTEGER) {
        options.push((-100i64..=100).prop_map(Value::from).boxed());
    }
    if !types.has(Types::NUMBER) {
        options.push(
            (-100i64..=100)
                .prop_filter_map("non-finite", |i| {
                    Number::from_f64(i as f64 + 0.5).map(Value::Number)
                })
                .boxed(),
        );
    }
    if !types.has(Types::STRING) {
        options.push(strings::plain(0, Some(12)).prop_map(Value::String).boxed());
    }
    if !types.has(Types::ARRAY) {
        options.push(vec(any_json(), 0..=2).prop_map(Value::Array).boxed());
    }
    if !types.has(Types::OBJECT) {
        options.push(Just(Value::Object(Map::new())).boxed());
    }
    (!options.is_empty()).then(|| Union::new(options).boxed())
}

fn not_const(node: &Arc<Node>, c: &Value) -> Option<Site> {
    let c = c.clone();
    let s: BoxedStrategy<Value> = match &c {
        Value::Bool(b) => Just(Value::Bool(!b)).boxed(),
        Value::Number(n) => {
            let x = n.as_f64()?;
            (1i64..=100)
                .prop_filter_map("non-finite", move |d| {
                    Number::from_f64(x + d as f64).map(Value::Number)
                })
                .boxed()
        }
        Value::String(s) => {
            let s = s.clone();
            strings::plain(1, Some(8))
                .prop_map(move |tail| Value::String(format!("{s}{tail}")))
                .boxed()
        }
        Value::Array(_) | Value::Object(_) | Value::Null => return None,
    };
    let whole = Arc::clone(node);
    let others = without_value_rules(node);
    Some(here(
        ViolationKind::NotConst,
        "const",
        s.prop_filter("must break const only", move |v| {
            !json_eq(v, &c) && !conforms(&whole, v) && conforms(&others, v)
        })
        .boxed(),
    ))
}

fn not_in_enum(node: &Arc<Node>, values: &[Value]) -> Option<Site> {
    let first = values.first()?.clone();
    let s: BoxedStrategy<Value> = match &first {
        Value::String(_) => {
            let values = values.to_vec();
            (proptest::sample::select(values), strings::plain(1, Some(6)))
                .prop_map(|(v, tail)| {
                    Value::String(format!("{}{tail}", v.as_str().unwrap_or_default()))
                })
                .boxed()
        }
        Value::Number(_) => (-1000i64..=1000).prop_map(Value::from).boxed(),
        Value::Bool(_) => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => return None,
    };
    let values = values.to_vec();
    let others = without_value_rules(node);
    Some(here(
        ViolationKind::NotInEnum,
        "enum",
        s.prop_filter("must break enum only", move |v| {
            !values.iter().any(|e| json_eq(e, v)) && conforms(&others, v)
        })
        .boxed(),
    ))
}

/// `node` without its `const`/`enum`, to check a replacement keeps the other rules.
fn without_value_rules(node: &Node) -> Node {
    Node {
        const_value: None,
        enum_values: None,
        ..node.clone()
    }
}

fn string_sites(node: &Node, out: &mut Vec<Site>) {
    let r = &node.string;
    let mut add = |kind, keyword: &'static str, s: Option<BoxedStrategy<String>>| {
        if let Some(s) = s {
            out.push(here(kind, keyword, s.prop_map(Value::String).boxed()));
        }
    };
    add(
        ViolationKind::PatternBroken,
        "pattern",
        strings::pattern_broken(r),
    );
    add(ViolationKind::TooLong, "maxLength", strings::too_long(r));
    add(ViolationKind::TooShort, "minLength", strings::too_short(r));
    add(ViolationKind::BadFormat, "format", strings::bad_format(r));
}

fn number_sites(node: &Node, types: Types, out: &mut Vec<Site>) {
    let r = &node.number;
    let integral = !types.has(Types::NUMBER);
    let (ilo, ihi) = integer_bounds(node);
    let below = |bound: f64, strict: bool, keyword: &'static str| -> Site {
        let s = if integral {
            let top = ilo.unwrap_or(bound.ceil() as i64).saturating_sub(1);
            (0i64..=100)
                .prop_map(move |d| Value::from(top.saturating_sub(d)))
                .boxed()
        } else {
            let start = if strict { 0.0 } else { 0.001 };
            (start..=100.0f64)
                .prop_filter_map("non-finite", move |d| {
                    Number::from_f64(bound - d).map(Value::Number)
                })
                .boxed()
        };
        here(ViolationKind::OutOfRange, keyword, s)
    };
    let above = |bound: f64, strict: bool, keyword: &'static str| -> Site {
        let s = if integral {
            let bottom = ihi.unwrap_or(bound.floor() as i64).saturating_add(1);
            (0i64..=100)
                .prop_map(move |d| Value::from(bottom.saturating_add(d)))
                .boxed()
        } else {
            let start = if strict { 0.0 } else { 0.001 };
            (start..=100.0f64)
                .prop_filter_map("non-finite", move |d| {
                    Number::from_f64(bound + d).map(Value::Number)
                })
                .boxed()
        };
        here(ViolationKind::OutOfRange, keyword, s)
    };
    if let Some(m) = r.minimum {
        out.push(below(m, false, "minimum"));
    }
    if let Some(m) = r.exclusive_minimum {
        out.push(below(m, true, "exclusiveMinimum"));
    }
    if let Some(m) = r.maximum {
        out.push(above(m, false, "maximum"));
    }
    if let Some(m) = r.exclusive_maximum {
        out.push(above(m, true, "exclusiveMaximum"));
    }
}

/// Prefixes a child's violation with the child's pointer segment.
fn nest(mut v: Violation, segment: &str) -> Violation {
    let seg = escape_pointer(segment);
    v.pointer = format!("/{seg}{}", v.pointer);
    v.changed = format!("/{seg}{}", v.changed);
    v
}

fn object_sites(node: &Arc<Node>, out: &mut Vec<Site>) -> Result<(), GenerateError> {
    let rules = &node.object;
    let base = valid::object(node)?;
    for name in &rules.required {
        let name = name.clone();
        out.push(
            base.clone()
                .prop_map(move |mut map| {
                    map.remove(&name);
                    let changed = format!("/{}", escape_pointer(&name));
                    (
                        tag(ViolationKind::MissingRequired, "required", &changed),
                        Value::Object(map),
                    )
                })
                .boxed(),
        );
    }
    let declared: Vec<String> = rules.properties.iter().map(|(n, _)| n.clone()).collect();
    let fresh = move |key: String, map: &Map<String, Value>| {
        let mut key = key;
        while declared.contains(&key) || map.contains_key(&key) {
            key.push('_');
        }
        key
    };
    if matches!(rules.additional, Additional::Forbidden) {
        let fresh = fresh.clone();
        out.push(
            (base.clone(), strings::extra_key(), any_json())
                .prop_map(move |(mut map, key, v)| {
                    let key = fresh(format!("unexpected{key}"), &map);
                    let changed = format!("/{}", escape_pointer(&key));
                    map.insert(key, v);
                    (
                        tag(
                            ViolationKind::ForbiddenExtraProperty,
                            "additionalProperties",
                            &changed,
                        ),
                        Value::Object(map),
                    )
                })
                .boxed(),
        );
    }
    for (name, sub) in &rules.properties {
        for site in sites(sub)? {
            let name = name.clone();
            out.push(
                (base.clone(), site)
                    .prop_map(move |(mut map, (violation, v))| {
                        map.insert(name.clone(), v);
                        (nest(violation, &name), Value::Object(map))
                    })
                    .boxed(),
            );
        }
    }
    if let Additional::Schema(sub) = &rules.additional {
        for site in sites(sub)? {
            let fresh = fresh.clone();
            out.push(
                (base.clone(), strings::extra_key(), site)
                    .prop_map(move |(mut map, key, (violation, v))| {
                        let key = fresh(key, &map);
                        let violation = nest(violation, &key);
                        map.insert(key, v);
                        (violation, Value::Object(map))
                    })
                    .boxed(),
            );
        }
    }
    Ok(())
}

fn array_sites(node: &Arc<Node>, out: &mut Vec<Site>) -> Result<(), GenerateError> {
    let r = &node.array;
    let (lo, hi) = item_bounds(node)?;
    // Items: a valid array with at least one item, one of them spoiled.
    if r.max_items != Some(0) {
        let base = valid::array(node, lo.max(1), hi.max(1))?;
        let item_sites = match &r.items {
            Some(sub) => sites(sub)?,
            None => Vec::new(),
        };
        for site in item_sites {
            out.push(
                (base.clone(), any::<usize>(), site)
                    .prop_filter_map("empty array", |(mut items, i, (violation, v))| {
                        let i = i.checked_rem(items.len())?;
                        items[i] = v;
                        Some((nest(violation, &i.to_string()), Value::Array(items)))
                    })
                    .boxed(),
            );
        }
    }
    let top = r.max_items.map_or(hi, |m| hi.min(m.saturating_sub(1)));
    if r.unique && lo.max(1) <= top {
        out.push(
            (valid::array(node, lo.max(1), top)?, any::<usize>())
                .prop_filter_map("empty array", |(mut items, i)| {
                    let i = i.checked_rem(items.len())?;
                    let changed = format!("/{}", items.len());
                    items.push(items[i].clone());
                    Some((
                        tag(ViolationKind::DuplicateItems, "uniqueItems", &changed),
                        Value::Array(items),
                    ))
                })
                .boxed(),
        );
    }
    if r.min_items > 0 {
        out.push(
            valid::array(node, 0, r.min_items - 1)?
                .prop_map(|items| {
                    (
                        tag(ViolationKind::TooShort, "minItems", ""),
                        Value::Array(items),
                    )
                })
                .boxed(),
        );
    }
    // Unique arrays cannot outgrow the number of distinct items there are.
    let room = distinct_items(node);
    if let Some(m) = r
        .max_items
        .filter(|&m| !r.unique || room.is_none_or(|n| n > m))
    {
        out.push(
            valid::array(node, m + 1, m + 2)?
                .prop_filter("not enough distinct items", move |items| items.len() > m)
                .prop_map(|items| {
                    (
                        tag(ViolationKind::TooLong, "maxItems", ""),
                        Value::Array(items),
                    )
                })
                .boxed(),
        );
    }
    Ok(())
}

/// Whether some of the first values `site` draws (deterministically) pass `keep`.
fn ever_passes(site: &Site, keep: &dyn Fn(&Value) -> bool) -> bool {
    let config = Config {
        max_local_rejects: 1_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (0..PROBES).any(|_| {
        site.new_tree(&mut runner)
            .is_ok_and(|tree| keep(&tree.current().1))
    })
}

/// How many distinct valid items an array of `node` can hold, when that is small and known.
pub(crate) fn distinct_items(node: &Node) -> Option<usize> {
    let items = node.array.items.as_ref()?;
    if items.const_value.is_some() {
        return Some(1);
    }
    if let Some(values) = &items.enum_values {
        return Some(values.len());
    }
    match items.types {
        Some(t) if t == Types::NULL => Some(1),
        Some(t) if t == Types::BOOLEAN => Some(2),
        Some(t) if t == Types::NULL.with(Types::BOOLEAN) => Some(3),
        _ => None,
    }
}

fn branch_sites(node: &Arc<Node>) -> Result<Vec<Site>, GenerateError> {
    let (branches, keyword) = if node.one_of.is_empty() {
        (&node.any_of, "anyOf")
    } else {
        (&node.one_of, "oneOf")
    };
    let mut out = Vec::new();
    for b in branches {
        for site in sites(b)? {
            let all = branches.clone();
            let matches_none = move |v: &Value| !all.iter().any(|b| conforms(b, v));
            // Some rules cannot be broken without landing in another branch (removing
            // `signature` from an AWS proof leaves a valid Azure proof): drop those.
            if !ever_passes(&site, &matches_none) {
                continue;
            }
            out.push(
                site.prop_filter("still matches a branch", move |(_, v)| matches_none(v))
                    .prop_map(move |(inner, v)| {
                        (
                            Violation {
                                kind: inner.kind,
                                pointer: String::new(),
                                keyword: keyword.to_string(),
                                changed: inner.changed,
                            },
                            v,
                        )
                    })
                    .boxed(),
            );
        }
    }
    Ok(out)
}

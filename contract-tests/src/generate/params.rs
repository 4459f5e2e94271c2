//! Path parameters and query strings for a catalog entry: valid maps, maps with one rule broken,
//! and the percent-encoding that puts a query map on the wire.
//!
//! Path parameters follow the catalog's `x-params` patterns (`workerPoolId`, `workerGroup`,
//! `workerId`). `provisionerId` and `workerType` are not validated by the service; they are
//! generated as the two halves of a valid worker pool id, which is what a real client sends.
//! Query values follow each key's pattern; `limit` is a small number (1 to 1000, mostly up to
//! 20) and `continuationToken` is left out of valid maps (it is an opaque, server-issued cursor).

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::Union;
use worker_manager_schemas::params::BEWIT;
use worker_manager_schemas::{Catalog, Entry};

use super::pattern::Pattern;
use super::schema::StringRules;
use super::{strings, GenerateError, Violation, ViolationKind};

/// Decoded parameters or query values by name.
pub type ParamMap = BTreeMap<String, String>;

/// The worker pool id pattern, used for `provisionerId`/`workerType` when the catalog has no
/// `workerPoolId` pattern of its own.
const POOL_ID: &str = "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$";

/// Unvalidated parameters other than the pool id halves get identifier-like values.
const PLAIN_PARAM: &str = "^[a-zA-Z0-9_-]{1,20}$";

fn rules(at: &str, source: &str) -> Result<StringRules, GenerateError> {
    let pattern = Pattern::parse(source).map_err(|reason| GenerateError::BadPattern {
        at: at.to_string(),
        pattern: source.to_string(),
        reason,
    })?;
    Ok(StringRules {
        pattern: Some(Arc::new(pattern)),
        ..StringRules::default()
    })
}

fn is_pool_half(name: &str) -> bool {
    name == "provisionerId" || name == "workerType"
}

/// Valid path parameters for `entry`, by the embedded catalog's patterns.
pub fn path_params(entry: &Entry) -> Result<BoxedStrategy<ParamMap>, GenerateError> {
    path_params_in(Catalog::embedded(), entry)
}

/// Valid path parameters for `entry`, by `catalog`'s patterns.
pub fn path_params_in(
    catalog: &Catalog,
    entry: &Entry,
) -> Result<BoxedStrategy<ParamMap>, GenerateError> {
    let mut parts: Vec<BoxedStrategy<(String, String)>> = Vec::new();
    let mut halves = false;
    for name in &entry.args {
        let pattern = catalog.param_pattern(name);
        if pattern.is_none() && is_pool_half(name) {
            halves = true;
            continue;
        }
        let at = format!("{}: parameter {name}", entry.name);
        let r = rules(&at, pattern.unwrap_or(PLAIN_PARAM))?;
        let name = name.clone();
        parts.push(
            strings::valid(&r, &at)?
                .prop_map(move |v| (name.clone(), v))
                .boxed(),
        );
    }
    let pool = if halves {
        let at = format!("{}: provisionerId/workerType", entry.name);
        let r = rules(
            &at,
            catalog.param_pattern("workerPoolId").unwrap_or(POOL_ID),
        )?;
        Some(strings::valid(&r, &at)?)
    } else {
        None
    };
    let wanted: Vec<String> = entry
        .args
        .iter()
        .filter(|a| is_pool_half(a))
        .cloned()
        .collect();
    Ok((parts, pool.unwrap_or_else(|| Just(String::new()).boxed()))
        .prop_map(move |(parts, pool)| {
            let mut map: ParamMap = parts.into_iter().collect();
            if let Some((provisioner, worker_type)) = pool.split_once('/') {
                for name in &wanted {
                    let v = if name == "provisionerId" {
                        provisioner
                    } else {
                        worker_type
                    };
                    map.entry(name.clone()).or_insert_with(|| v.to_string());
                }
            }
            map
        })
        .boxed())
}

/// Path parameters for `entry` with exactly one validated parameter not matching its pattern
/// (tag: `PatternBroken` at `/<name>`, keyword `pattern`), by the embedded catalog; `None` when
/// the entry has no validated parameter.
pub fn invalid_path_params(
    entry: &Entry,
) -> Result<Option<BoxedStrategy<(Violation, ParamMap)>>, GenerateError> {
    invalid_path_params_in(Catalog::embedded(), entry)
}

/// [`invalid_path_params`] by `catalog`'s patterns.
pub fn invalid_path_params_in(
    catalog: &Catalog,
    entry: &Entry,
) -> Result<Option<BoxedStrategy<(Violation, ParamMap)>>, GenerateError> {
    let base = path_params_in(catalog, entry)?;
    let mut sites = Vec::new();
    for name in &entry.args {
        let Some(source) = catalog.param_pattern(name) else {
            continue;
        };
        let at = format!("{}: parameter {name}", entry.name);
        let Some(broken) = strings::pattern_broken(&rules(&at, source)?) else {
            continue;
        };
        sites.push(set_one(base.clone(), name, broken));
    }
    Ok((!sites.is_empty()).then(|| Union::new(sites).boxed()))
}

fn set_one(
    base: BoxedStrategy<ParamMap>,
    name: &str,
    broken: BoxedStrategy<String>,
) -> BoxedStrategy<(Violation, ParamMap)> {
    let name = name.to_string();
    (base, broken)
        .prop_map(move |(mut map, v)| {
            map.insert(name.clone(), v);
            let pointer = format!("/{name}");
            (
                Violation {
                    kind: ViolationKind::PatternBroken,
                    pointer: pointer.clone(),
                    keyword: "pattern".into(),
                    changed: pointer,
                },
                map,
            )
        })
        .boxed()
}

/// Valid query maps for `entry`: each declared key present or absent (`continuationToken`
/// always absent), values from the key's pattern, `limit` a small number.
pub fn query(entry: &Entry) -> Result<BoxedStrategy<ParamMap>, GenerateError> {
    let mut parts: Vec<BoxedStrategy<Option<(String, String)>>> = Vec::new();
    for q in &entry.query {
        if q.name == "continuationToken" {
            continue;
        }
        let at = format!("{}: query {}", entry.name, q.name);
        let r = rules(&at, &q.pattern)?;
        let values = if q.name == "limit" {
            let pattern = r.pattern.clone();
            prop_oneof![4 => 1u32..=20, 1 => 1u32..=1000]
                .prop_map(|n| n.to_string())
                .prop_filter("limit pattern", move |s| {
                    pattern.as_ref().is_none_or(|p| p.is_match(s))
                })
                .boxed()
        } else {
            strings::valid(&r, &at)?
        };
        let name = q.name.clone();
        parts.push(
            proptest::option::weighted(0.5, values)
                .prop_map(move |o| o.map(|v| (name.clone(), v)))
                .boxed(),
        );
    }
    Ok(parts
        .prop_map(|parts| parts.into_iter().flatten().collect())
        .boxed())
}

/// Query maps for `entry` that break one rule: a declared key whose value does not match its
/// pattern (`PatternBroken` at `/<key>`), or an undeclared key (`ForbiddenExtraProperty` at
/// `""`, keyword `additionalProperties`, `changed` `/<key>`).
pub fn invalid_query(entry: &Entry) -> Result<BoxedStrategy<(Violation, ParamMap)>, GenerateError> {
    let base = query(entry)?;
    let mut sites = Vec::new();
    for q in &entry.query {
        let at = format!("{}: query {}", entry.name, q.name);
        if let Some(broken) = strings::pattern_broken(&rules(&at, &q.pattern)?) {
            sites.push(set_one(base.clone(), &q.name, broken));
        }
    }
    let declared: Vec<String> = entry.query.iter().map(|q| q.name.clone()).collect();
    sites.push(
        (base, strings::extra_key(), strings::plain(0, Some(8)))
            .prop_map(move |(mut map, key, v)| {
                let mut key = key.replace('[', "(");
                while key.is_empty() || key == BEWIT || declared.contains(&key) {
                    key.push('x');
                }
                let changed = format!("/{}", super::schema::escape_pointer(&key));
                map.insert(key, v);
                (
                    Violation {
                        kind: ViolationKind::ForbiddenExtraProperty,
                        pointer: String::new(),
                        keyword: "additionalProperties".into(),
                        changed,
                    },
                    map,
                )
            })
            .boxed(),
    );
    Ok(Union::new(sites).boxed())
}

/// A query map as a raw query string (without `?`): `key=value` pairs joined by `&`, every byte
/// but `A-Z a-z 0-9 - . _ ~` percent-encoded (so `+` and space survive form decoding).
pub fn query_string(map: &ParamMap) -> String {
    fn encode(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    map.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

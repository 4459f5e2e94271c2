//! The schema-driven generators against the real validator and parameter checks: every valid
//! value validates, every invalid value is reported with the tagged pointer and keyword, for every
//! schema and every catalog entry.

use std::collections::BTreeMap;
use std::fmt::Debug;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestError, TestRunner};
use serde_json::{json, Value};
use worker_manager_contract::generate::{
    self, invalid_path_params, invalid_query, path_params, query, query_string, GenerateError,
    SchemaGenerator, Violation, ViolationKind,
};
use worker_manager_schemas::files::SCHEMAS;
use worker_manager_schemas::{Catalog, QueryError, SchemaViolation, Validators};

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs `test` on `cases` values of `strategy`; panics naming `what` on the first failure.
fn check<S: Strategy>(
    what: &str,
    cases: u32,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: Debug,
{
    match runner(cases).run(strategy, test) {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            panic!("{what}: {reason}\nminimal input: {value:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("{what}: aborted: {reason}"),
    }
}

fn generator(name: &str) -> SchemaGenerator {
    SchemaGenerator::embedded(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn reported(violations: &[SchemaViolation], expected: &Violation) -> bool {
    violations
        .iter()
        .any(|v| v.pointer == expected.pointer && v.keyword == expected.keyword)
}

fn check_invalid(gen: &SchemaGenerator, cases: u32, strategy: &BoxedStrategy<(Violation, Value)>) {
    let name = gen.name();
    check(name, cases, strategy, |(expected, value)| {
        let violations = match Validators::embedded().validate(name, &value) {
            Ok(()) => {
                return Err(TestCaseError::fail(format!(
                    "{name}: validates although it should break {expected}"
                )))
            }
            Err(v) => v,
        };
        prop_assert!(
            reported(&violations, &expected),
            "{name}: expected {expected}, validator said {violations:?}"
        );
        prop_assert!(
            !gen.conforms(&value),
            "{name}: generator's checker accepts it"
        );
        Ok(())
    });
}

#[test]
fn every_valid_value_validates() {
    for (name, _) in SCHEMAS {
        let gen = generator(name);
        let strategy = gen.valid().unwrap_or_else(|e| panic!("{name}: {e}"));
        check(name, 64, &strategy, |value| {
            let result = Validators::embedded().validate(name, &value);
            prop_assert!(result.is_ok(), "{name}: {:?}", result.err());
            prop_assert!(
                gen.conforms(&value),
                "{name}: generator's checker refuses it"
            );
            Ok(())
        });
    }
}

#[test]
fn every_invalid_value_is_reported_where_tagged() {
    for (name, _) in SCHEMAS {
        let gen = generator(name);
        let strategy = gen.invalid().unwrap_or_else(|e| panic!("{name}: {e}"));
        check_invalid(&gen, 64, &strategy);
    }
}

#[test]
fn every_rule_of_every_schema_breaks_as_tagged() {
    let mut total = 0;
    for (name, _) in SCHEMAS {
        let gen = generator(name);
        let sites = gen.violations().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!sites.is_empty(), "{name}: no rule to break");
        total += sites.len();
        for site in &sites {
            check_invalid(&gen, 4, site);
        }
    }
    assert!(total > 300, "only {total} rules found across the schemas");
}

#[test]
fn every_invalid_value_breaks_one_rule_only() {
    // Apart from a wrong type where an `enum`/`const` also applies, a value breaks one rule and
    // the validator reports exactly one violation.
    for (name, _) in SCHEMAS {
        let strategy = generate::invalid(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(name, 32, &strategy, |(expected, value)| {
            let violations = Validators::embedded()
                .validate(name, &value)
                .err()
                .unwrap_or_default();
            if expected.kind != ViolationKind::WrongType {
                prop_assert_eq!(violations.len(), 1, "{}: {:?}", expected, violations);
            }
            Ok(())
        });
    }
}

#[test]
fn path_params_pass_and_broken_ones_fail() {
    let catalog = Catalog::embedded();
    for entry in catalog.entries() {
        let valid = path_params(entry).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        check(&entry.name, 32, &valid, |params| {
            prop_assert_eq!(params.keys().collect::<Vec<_>>(), {
                let mut args: Vec<&String> = entry.args.iter().collect();
                args.sort();
                args
            });
            let checked = catalog.validate_params(entry, &params);
            prop_assert!(checked.is_ok(), "{:?}", checked);
            prop_assert!(catalog.build_path(&entry.name, &params).is_ok());
            Ok(())
        });
        let Some(invalid) =
            invalid_path_params(entry).unwrap_or_else(|e| panic!("{}: {e}", entry.name))
        else {
            assert!(
                entry
                    .args
                    .iter()
                    .all(|a| catalog.param_pattern(a).is_none()),
                "{}: validated parameters but nothing to break",
                entry.name
            );
            continue;
        };
        check(&entry.name, 32, &invalid, |(violation, params)| {
            let name = violation.pointer.trim_start_matches('/');
            match catalog.validate_params(entry, &params) {
                Ok(()) => Err(TestCaseError::fail(format!("{violation} passes"))),
                Err(e) => {
                    prop_assert_eq!(e.params, vec![name.to_string()]);
                    Ok(())
                }
            }
        });
    }
}

#[test]
fn queries_pass_and_broken_ones_fail() {
    let catalog = Catalog::embedded();
    for entry in catalog.entries() {
        let valid = query(entry).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        check(&entry.name, 32, &valid, |map| {
            let raw = query_string(&map);
            prop_assert_eq!(
                catalog.validate_query(entry, Some(&raw)),
                Ok(map),
                "{}",
                raw
            );
            Ok(())
        });
        let invalid = invalid_query(entry).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        check(&entry.name, 64, &invalid, |(violation, map)| {
            let raw = query_string(&map);
            let key = violation.changed[1..].replace("~1", "/").replace("~0", "~");
            match (violation.kind, catalog.validate_query(entry, Some(&raw))) {
                (ViolationKind::PatternBroken, Err(QueryError::Pattern { key: k, .. })) => {
                    prop_assert_eq!(k, key)
                }
                (
                    ViolationKind::ForbiddenExtraProperty,
                    Err(QueryError::Unsupported { key: k }),
                ) => {
                    prop_assert_eq!(k, key)
                }
                (_, other) => {
                    return Err(TestCaseError::fail(format!(
                        "{violation} ({raw}): {other:?}"
                    )))
                }
            }
            Ok(())
        });
    }
}

#[test]
fn query_strings_survive_form_decoding() {
    let map: BTreeMap<String, String> = [
        ("a b".to_string(), "1+1 = 2 & 3%".to_string()),
        ("\u{e9}".to_string(), "/?#[]\n".to_string()),
    ]
    .into_iter()
    .collect();
    let raw = query_string(&map);
    assert_eq!(
        raw,
        "a%20b=1%2B1%20%3D%202%20%26%203%25&%C3%A9=%2F%3F%23%5B%5D%0A"
    );
    let parsed = worker_manager_schemas::params::parse_query(&raw);
    for (k, v) in &map {
        assert_eq!(parsed[k], vec![v.clone()]);
    }
}

/// Values drawn from `strategy` (deterministically).
fn sample<S: Strategy>(strategy: &S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .unwrap_or_else(|e| panic!("{e}"))
                .current()
        })
        .collect()
}

#[test]
fn unanchored_kind_pattern_contains_a_match_and_breaks_without_one() {
    // `kind` is `[-a-z0-9]+` unanchored, maxLength 128: valid kinds need only contain a match.
    let name = "report-worker-error-request";
    let values = sample(&generate::valid(name).expect(name), 300);
    let is_kind_char = |c: char| c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit();
    let kinds: Vec<String> = values
        .iter()
        .filter_map(|v| v["kind"].as_str().map(str::to_string))
        .collect();
    assert_eq!(kinds.len(), values.len());
    assert!(kinds.iter().all(|k| k.chars().any(is_kind_char)));
    assert!(
        kinds.iter().any(|k| !k.chars().all(is_kind_char)),
        "no kind with text around the match"
    );
    assert!(kinds.iter().all(|k| k.chars().count() <= 128));
    let broken = sample(&generate::invalid(name).expect(name), 600);
    let kind_breaks: Vec<&Value> = broken
        .iter()
        .filter(|(v, _)| v.pointer == "/kind" && v.kind == ViolationKind::PatternBroken)
        .map(|(_, value)| &value["kind"])
        .collect();
    assert!(!kind_breaks.is_empty(), "no broken kind drawn");
    for k in kind_breaks {
        let k = k.as_str().expect("kind stays a string");
        assert!(!k.chars().any(is_kind_char), "{k:?} contains a match");
    }
    let too_long: Vec<&(Violation, Value)> = broken
        .iter()
        .filter(|(v, _)| v.pointer == "/kind" && v.kind == ViolationKind::TooLong)
        .collect();
    assert!(!too_long.is_empty(), "no over-long kind drawn");
}

#[test]
fn one_of_proofs_take_every_shape_and_break_as_one_of() {
    let name = "register-worker-request";
    let values = sample(&generate::valid(name).expect(name), 200);
    let mut shapes: Vec<Vec<String>> = values
        .iter()
        .map(|v| {
            let proof = v["workerIdentityProof"].as_object().expect("proof object");
            proof.keys().cloned().collect()
        })
        .collect();
    shapes.sort();
    shapes.dedup();
    assert_eq!(
        shapes,
        vec![
            vec!["document".to_string()],
            vec!["document".to_string(), "signature".to_string()],
            vec!["staticSecret".to_string()],
            vec!["token".to_string()],
        ]
    );
    let broken = sample(&generate::invalid(name).expect(name), 400);
    let in_proof: Vec<&(Violation, Value)> = broken
        .iter()
        .filter(|(v, _)| v.changed.starts_with("/workerIdentityProof") && !v.pointer.is_empty())
        .collect();
    assert!(!in_proof.is_empty());
    for (v, value) in in_proof {
        assert_eq!(v.pointer, "/workerIdentityProof", "{v}");
        assert_eq!(v.keyword, "oneOf", "{v}");
        let errors = Validators::embedded()
            .validate(name, value)
            .expect_err("invalid proof");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].keyword, "oneOf");
    }
}

#[test]
fn unique_items_are_distinct_and_duplicates_are_reported() {
    for name in ["worker-list", "provider-list", "worker-pool-error-list"] {
        let gen = generator(name);
        let array_key = match name {
            "worker-list" => "workers",
            "provider-list" => "providers",
            _ => "workerPoolErrors",
        };
        for v in sample(&gen.valid().expect(name), 100) {
            let items = v[array_key].as_array().expect("array");
            assert!(items.len() <= 4);
            for (i, a) in items.iter().enumerate() {
                assert!(
                    items[i + 1..].iter().all(|b| a != b),
                    "{name}: duplicate in {v}"
                );
            }
        }
        let dup = gen
            .violations()
            .expect(name)
            .into_iter()
            .find(|s| {
                sample(s, 1)
                    .first()
                    .is_some_and(|(v, _)| v.kind == ViolationKind::DuplicateItems)
            })
            .unwrap_or_else(|| panic!("{name}: no uniqueItems rule"));
        for (v, value) in sample(&dup, 20) {
            assert_eq!(v.pointer, format!("/{array_key}"));
            let errors = Validators::embedded()
                .validate(name, &value)
                .expect_err("dup");
            assert_eq!(
                errors
                    .iter()
                    .map(|e| e.keyword.as_str())
                    .collect::<Vec<_>>(),
                ["uniqueItems"]
            );
        }
    }
}

#[test]
fn date_times_are_mostly_canonical_and_always_accepted() {
    let values = sample(&generate::valid("worker-full").expect("worker-full"), 200);
    let created: Vec<&str> = values
        .iter()
        .filter_map(|v| v["created"].as_str())
        .collect();
    let canonical = created
        .iter()
        .filter(|s| s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.')
        .count();
    assert!(
        canonical * 2 > created.len(),
        "{canonical} of {}",
        created.len()
    );
    assert!(canonical < created.len(), "never another accepted form");
}

#[test]
fn schemas_from_elsewhere_use_the_resolver_and_local_refs() {
    let schema = json!({
        "type": "object",
        "definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
        "properties": {
            "port": {"$ref": "#/definitions/port"},
            "run": {"$ref": "other.json#"},
            "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "uniqueItems": true,
                     "minItems": 1, "maxItems": 3},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "maybe": {"type": ["string", "null"], "maxLength": 3},
            "mode": {"anyOf": [{"const": "x"}, {"type": "integer", "minimum": 10}]}
        },
        "required": ["port", "run", "tags", "ratio"],
        "additionalProperties": {"type": "boolean"}
    });
    let resolver =
        |r: &str| (r == "other.json").then(|| json!({"type": "string", "pattern": "^r[0-9]{2}$"}));
    let gen = SchemaGenerator::from_schema(&schema, &resolver).expect("supported");
    for v in sample(&gen.valid().expect("valid"), 200) {
        assert!(gen.conforms(&v), "{v}");
        assert!(v["run"]
            .as_str()
            .is_some_and(|r| r.len() == 3 && r.starts_with('r')));
    }
    for (violation, v) in sample(&gen.invalid().expect("invalid"), 300) {
        assert!(!gen.conforms(&v), "{violation}: {v}");
    }
    assert!(matches!(
        SchemaGenerator::from_schema(&schema, &|_: &str| None::<Value>),
        Err(GenerateError::Unresolved { .. })
    ));
}

#[test]
fn unsupported_schemas_are_refused_clearly() {
    let none = |_: &str| None::<Value>;
    for (schema, needle) in [
        (json!({"allOf": [{"type": "string"}]}), "allOf"),
        (json!({"type": "string", "format": "uri"}), "uri"),
        (
            json!({"type": "array", "items": [{"type": "string"}]}),
            "tuple",
        ),
        (json!({"type": "string", "pattern": "\\bx"}), "look-around"),
        (
            json!({"type": "integer", "minimum": 5, "maximum": 1}),
            "minimum",
        ),
    ] {
        let err = generate::valid_for(&schema, &none)
            .map(|_| ())
            .expect_err("unsupported");
        assert!(err.to_string().contains(needle), "{err}");
    }
    assert!(matches!(
        generate::valid("no-such-schema"),
        Err(GenerateError::UnknownSchema(_))
    ));
    assert!(matches!(
        generate::invalid_for(&json!({}), &none),
        Err(GenerateError::NothingToBreak(_))
    ));
}

//! Scopes and scope expressions: validity, satisfaction (the `*`-suffix rule), the pruned
//! "unsatisfied" expression shown in 403 messages, and endpoint templates with `<name>`
//! placeholders.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;

pub use super::roles::expand_roles;

/// A scope expression as endpoints declare it: a scope, or all / any of sub-expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeExpr {
    /// A single required scope (`"queue:create-task:*"` in JSON).
    Scope(String),
    /// Every member must be satisfied (`{"AllOf": [...]}`); an empty list is always satisfied.
    AllOf(Vec<ScopeExpr>),
    /// At least one member must be satisfied (`{"AnyOf": [...]}`); an empty list never is.
    AnyOf(Vec<ScopeExpr>),
}

/// Why a JSON value is not a scope expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeExprError {
    /// A scope string with characters outside printable ASCII.
    #[error("invalid scope expression: {0:?} is not a valid scope")]
    InvalidScope(String),
    /// Anything that is neither a string nor a one-key `AllOf`/`AnyOf` object holding an array.
    #[error("invalid scope expression: {0}")]
    InvalidShape(String),
}

/// A template placeholder without a value: a programming error in the caller (the real service
/// answers 500 here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Scope expression template expected parameter '{0}' to be a string or number")]
pub struct TemplateError(pub String);

/// Whether `s` is a valid scope: printable ASCII only (0x20–0x7e, space allowed, empty allowed).
pub fn is_valid_scope(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Whether the held scope `held` grants the required scope `required`: equal, or `held` ends in
/// `*` and `required` starts with what comes before that `*`. A `*` anywhere else, or on the
/// required side, is an ordinary character.
pub fn scope_satisfies(held: &str, required: &str) -> bool {
    held == required
        || held
            .strip_suffix('*')
            .is_some_and(|prefix| required.starts_with(prefix))
}

/// Whether the scope set `held` satisfies `expr`.
pub fn satisfies(held: &[String], expr: &ScopeExpr) -> bool {
    match expr {
        ScopeExpr::Scope(r) => held.iter().any(|h| scope_satisfies(h, r)),
        ScopeExpr::AllOf(members) => members.iter().all(|m| satisfies(held, m)),
        ScopeExpr::AnyOf(members) => members.iter().any(|m| satisfies(held, m)),
    }
}

/// What of `expr` the scope set `held` still lacks, as the 403 message shows it: `None` when
/// `held` satisfies `expr`. Satisfied members of an `AllOf` drop out; an `AnyOf` with a satisfied
/// member is satisfied as a whole; an `AllOf`/`AnyOf` left with one member becomes that member.
pub fn unsatisfied(held: &[String], expr: &ScopeExpr) -> Option<ScopeExpr> {
    match expr {
        ScopeExpr::Scope(r) => (!held.iter().any(|h| scope_satisfies(h, r))).then(|| expr.clone()),
        ScopeExpr::AllOf(members) => {
            let mut left: Vec<ScopeExpr> = members
                .iter()
                .filter_map(|m| unsatisfied(held, m))
                .collect();
            match left.len() {
                0 => None,
                1 => left.pop(),
                _ => Some(ScopeExpr::AllOf(left)),
            }
        }
        ScopeExpr::AnyOf(members) => {
            let mut left = Vec::with_capacity(members.len());
            for m in members {
                left.push(unsatisfied(held, m)?);
            }
            if left.len() == 1 {
                left.pop()
            } else {
                Some(ScopeExpr::AnyOf(left))
            }
        }
    }
}

impl ScopeExpr {
    /// Reads an expression from JSON: a string, `{"AllOf": [...]}` or `{"AnyOf": [...]}`.
    pub fn from_json(value: &Value) -> Result<ScopeExpr, ScopeExprError> {
        match value {
            Value::String(s) if is_valid_scope(s) => Ok(ScopeExpr::Scope(s.clone())),
            Value::String(s) => Err(ScopeExprError::InvalidScope(s.clone())),
            Value::Object(map) if map.len() == 1 => {
                let (key, inner) = map.iter().next().ok_or_else(|| shape_error(value))?;
                let Value::Array(items) = inner else {
                    return Err(shape_error(value));
                };
                let members = items
                    .iter()
                    .map(ScopeExpr::from_json)
                    .collect::<Result<Vec<_>, _>>()?;
                match key.as_str() {
                    "AllOf" => Ok(ScopeExpr::AllOf(members)),
                    "AnyOf" => Ok(ScopeExpr::AnyOf(members)),
                    _ => Err(shape_error(value)),
                }
            }
            _ => Err(shape_error(value)),
        }
    }

    /// The expression as JSON (the inverse of [`ScopeExpr::from_json`]).
    pub fn to_json(&self) -> Value {
        match self {
            ScopeExpr::Scope(s) => Value::String(s.clone()),
            ScopeExpr::AllOf(m) => one_key("AllOf", m),
            ScopeExpr::AnyOf(m) => one_key("AnyOf", m),
        }
    }

    /// The expression as the real service prints it in error messages: a lone scope as is, an
    /// object as JSON indented by two spaces.
    pub fn to_message_text(&self) -> String {
        match self {
            ScopeExpr::Scope(s) => s.clone(),
            other => serde_json::to_string_pretty(&other.to_json()).unwrap_or_default(),
        }
    }

    /// Fills in the `<name>` placeholders (a letter, then letters, digits or `_`) of every scope
    /// with `lookup(name)`. Values go in literally and are not scanned again, so a value holding
    /// `*` or `<x>` is just those characters in the required scope.
    /// `lookup` may lend its values (the usual case: they are path parameters of the request).
    pub fn render<'v>(
        &self,
        lookup: impl Fn(&str) -> Option<Cow<'v, str>>,
    ) -> Result<ScopeExpr, TemplateError> {
        self.render_with(&lookup)
    }

    fn render_with<'v>(
        &self,
        lookup: &dyn Fn(&str) -> Option<Cow<'v, str>>,
    ) -> Result<ScopeExpr, TemplateError> {
        Ok(match self {
            ScopeExpr::Scope(s) => ScopeExpr::Scope(render_scope(s, lookup)?),
            ScopeExpr::AllOf(m) => ScopeExpr::AllOf(render_all(m, lookup)?),
            ScopeExpr::AnyOf(m) => ScopeExpr::AnyOf(render_all(m, lookup)?),
        })
    }

    /// The placeholder names the expression uses, each once, in order of first appearance.
    pub fn params_of(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_params(&mut out);
        out
    }

    fn collect_params(&self, out: &mut Vec<String>) {
        match self {
            ScopeExpr::Scope(s) => {
                for piece in split_placeholders(s) {
                    if let Piece::Param(name) = piece {
                        if !out.iter().any(|n| n == name) {
                            out.push(name.to_string());
                        }
                    }
                }
            }
            ScopeExpr::AllOf(m) | ScopeExpr::AnyOf(m) => {
                m.iter().for_each(|e| e.collect_params(out));
            }
        }
    }
}

impl std::fmt::Display for ScopeExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_message_text())
    }
}

impl Serialize for ScopeExpr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ScopeExpr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ScopeExpr::from_json(&value).map_err(serde::de::Error::custom)
    }
}

fn shape_error(value: &Value) -> ScopeExprError {
    ScopeExprError::InvalidShape(value.to_string())
}

fn one_key(key: &str, members: &[ScopeExpr]) -> Value {
    let mut map = Map::new();
    map.insert(
        key.to_string(),
        Value::Array(members.iter().map(ScopeExpr::to_json).collect()),
    );
    Value::Object(map)
}

fn render_all<'v>(
    members: &[ScopeExpr],
    lookup: &dyn Fn(&str) -> Option<Cow<'v, str>>,
) -> Result<Vec<ScopeExpr>, TemplateError> {
    members.iter().map(|m| m.render_with(lookup)).collect()
}

fn render_scope<'v>(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<Cow<'v, str>>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(s.len());
    for piece in split_placeholders(s) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Param(name) => {
                out.push_str(&lookup(name).ok_or_else(|| TemplateError(name.to_string()))?)
            }
        }
    }
    Ok(out)
}

/// A run of literal text or a placeholder name, in a template scope.
enum Piece<'a> {
    Text(&'a str),
    Param(&'a str),
}

/// Splits a template scope into literal text and `<name>` placeholders; a `<` that does not start
/// a well-formed placeholder is literal.
fn split_placeholders(s: &str) -> Pieces<'_> {
    Pieces {
        s,
        text_start: 0,
        i: 0,
        pending: None,
    }
}

/// The pieces of a template scope, in order (an iterator: rendering allocates no list of them).
struct Pieces<'a> {
    s: &'a str,
    /// Where the current literal run began.
    text_start: usize,
    /// Scan position.
    i: usize,
    /// A placeholder found right after a literal run, given out next.
    pending: Option<&'a str>,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if let Some(name) = self.pending.take() {
            return Some(Piece::Param(name));
        }
        let (s, bytes) = (self.s, self.s.as_bytes());
        while self.i < bytes.len() {
            let i = self.i;
            if bytes[i] == b'<' {
                if let Some(len) = placeholder_len(&s[i + 1..]) {
                    let name = &s[i + 1..i + 1 + len];
                    let text = &s[self.text_start..i];
                    self.i = i + len + 2;
                    self.text_start = self.i;
                    if text.is_empty() {
                        return Some(Piece::Param(name));
                    }
                    self.pending = Some(name);
                    return Some(Piece::Text(text));
                }
            }
            self.i += 1;
        }
        if self.text_start < s.len() {
            let text = &s[self.text_start..];
            self.text_start = s.len();
            return Some(Piece::Text(text));
        }
        None
    }
}

/// The length of the name when `rest` starts with `name>`.
fn placeholder_len(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    (bytes.get(len) == Some(&b'>')).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn held(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| s.to_string()).collect()
    }

    fn scope(s: &str) -> ScopeExpr {
        ScopeExpr::Scope(s.to_string())
    }

    #[test]
    fn star_suffix_rule() {
        assert!(scope_satisfies("a:*", "a:"));
        assert!(scope_satisfies("a:*", "a:b"));
        assert!(scope_satisfies("a:*", "a:*"));
        assert!(!scope_satisfies("a:b", "a:*"));
        assert!(scope_satisfies("*", "anything"));
        assert!(scope_satisfies("*", ""));
        assert!(!scope_satisfies("a*b", "a-b"));
        assert!(scope_satisfies("a*b", "a*b"));
        assert!(!scope_satisfies("a:*", "a"));
    }

    #[test]
    fn empty_combinators() {
        assert!(satisfies(&[], &ScopeExpr::AllOf(vec![])));
        assert!(!satisfies(&held(&["*"]), &ScopeExpr::AnyOf(vec![])));
        assert_eq!(unsatisfied(&[], &ScopeExpr::AllOf(vec![])), None);
        assert_eq!(
            unsatisfied(&held(&["*"]), &ScopeExpr::AnyOf(vec![])),
            Some(ScopeExpr::AnyOf(vec![]))
        );
    }

    #[test]
    fn unsatisfied_prunes_like_the_spec_example() {
        let required = ScopeExpr::AllOf(vec![
            scope("worker-manager:manage-worker-pool:a/b"),
            scope("worker-manager:provider:static"),
            scope("queue:foo"),
        ]);
        let have = held(&["worker-manager:*"]);
        assert_eq!(unsatisfied(&have, &required), Some(scope("queue:foo")));
        assert_eq!(
            required.to_message_text(),
            "{\n  \"AllOf\": [\n    \"worker-manager:manage-worker-pool:a/b\",\n    \"worker-manager:provider:static\",\n    \"queue:foo\"\n  ]\n}"
        );
    }

    #[test]
    fn unsatisfied_keeps_unsatisfied_anyof_members() {
        let required = ScopeExpr::AllOf(vec![
            scope("a"),
            ScopeExpr::AnyOf(vec![
                scope("b"),
                ScopeExpr::AllOf(vec![scope("a"), scope("c")]),
            ]),
        ]);
        assert_eq!(
            unsatisfied(&held(&["a"]), &required),
            Some(ScopeExpr::AnyOf(vec![scope("b"), scope("c")]))
        );
    }

    #[test]
    fn json_round_trip_and_rejects() {
        let v = json!({"AllOf": ["a", {"AnyOf": ["b", "c"]}, {"AllOf": []}]});
        let e = ScopeExpr::from_json(&v).unwrap();
        assert_eq!(e.to_json(), v);
        assert_eq!(serde_json::to_value(&e).unwrap(), v);
        let back: ScopeExpr = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
        for bad in [
            json!(1),
            json!(null),
            json!(["a"]),
            json!({"AllOf": "a"}),
            json!({"OneOf": ["a"]}),
            json!({"AllOf": [], "AnyOf": []}),
            json!("tab\tscope"),
            json!({"AllOf": [1]}),
        ] {
            assert!(ScopeExpr::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_render_and_list_params() {
        let t = ScopeExpr::AllOf(vec![
            scope("worker-manager:create-worker:<workerPoolId>/<workerGroup>/<workerId>"),
            scope("assume:worker-pool:<workerPoolId>"),
            scope("literal:<1x>:<>:<a-b>:a<b"),
        ]);
        assert_eq!(
            t.params_of(),
            vec!["workerPoolId", "workerGroup", "workerId"]
        );
        let r = t
            .render(|n| match n {
                "workerPoolId" => Some("proj/type".into()),
                "workerGroup" => Some("g".into()),
                "workerId" => Some("<workerId>".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            r,
            ScopeExpr::AllOf(vec![
                scope("worker-manager:create-worker:proj/type/g/<workerId>"),
                scope("assume:worker-pool:proj/type"),
                scope("literal:<1x>:<>:<a-b>:a<b"),
            ])
        );
        let err = scope("x:<missing>").render(|_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Scope expression template expected parameter 'missing' to be a string or number"
        );
    }

    #[test]
    fn a_star_in_a_parameter_is_literal() {
        let t = scope("worker-manager:list-worker-pool-errors:<workerPoolId>");
        let r = t.render(|_| Some("*".into())).unwrap();
        assert_eq!(r, scope("worker-manager:list-worker-pool-errors:*"));
        assert!(!satisfies(
            &held(&["worker-manager:list-worker-pool-errors:p/q"]),
            &r
        ));
        assert!(satisfies(
            &held(&["worker-manager:list-worker-pool-errors:*"]),
            &r
        ));
        assert!(satisfies(&held(&["worker-manager:*"]), &r));
    }

    #[test]
    fn validity() {
        assert!(is_valid_scope(""));
        assert!(is_valid_scope("a b ~"));
        assert!(!is_valid_scope("a\tb"));
        assert!(!is_valid_scope("é"));
        assert!(!is_valid_scope("\u{7f}"));
    }

    fn scope_strategy() -> impl Strategy<Value = String> {
        "[a-c:*]{0,6}"
    }

    fn expr_strategy() -> impl Strategy<Value = ScopeExpr> {
        let leaf = scope_strategy().prop_map(ScopeExpr::Scope);
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(ScopeExpr::AllOf),
                proptest::collection::vec(inner, 0..4).prop_map(ScopeExpr::AnyOf),
            ]
        })
    }

    /// The splitter as first written, collecting into a list (the oracle of the iterator).
    fn split_reference(s: &str) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut text_start = 0;
        let mut i = 0;
        let bytes = s.as_bytes();
        while i < bytes.len() {
            if bytes[i] == b'<' {
                if let Some(len) = placeholder_len(&s[i + 1..]) {
                    if text_start < i {
                        pieces.push(format!("T{}", &s[text_start..i]));
                    }
                    pieces.push(format!("P{}", &s[i + 1..i + 1 + len]));
                    i += len + 2;
                    text_start = i;
                    continue;
                }
            }
            i += 1;
        }
        if text_start < s.len() {
            pieces.push(format!("T{}", &s[text_start..]));
        }
        pieces
    }

    proptest! {
        #[test]
        fn placeholder_pieces_match_the_list_based_splitter(s in "[a-z<>:_/é]{0,30}") {
            let pieces: Vec<String> = split_placeholders(&s)
                .map(|p| match p {
                    Piece::Text(t) => format!("T{t}"),
                    Piece::Param(n) => format!("P{n}"),
                })
                .collect();
            prop_assert_eq!(pieces, split_reference(&s));
        }
    }

    proptest! {
        #[test]
        fn star_grants_every_extension(prefix in "[ -~]{0,12}", rest in "[ -~]{0,12}") {
            let held = format!("{prefix}*");
            let required = format!("{prefix}{rest}");
            prop_assert!(scope_satisfies(&held, &required));
        }

        #[test]
        fn star_grants_nothing_else(prefix in "[a-c:]{0,6}", required in "[a-c:*]{0,8}") {
            let held = format!("{prefix}*");
            prop_assert_eq!(scope_satisfies(&held, &required), required.starts_with(&prefix));
        }

        #[test]
        fn combinators_follow_members(have in proptest::collection::vec(scope_strategy(), 0..5),
                                      members in proptest::collection::vec(expr_strategy(), 0..4)) {
            let all = ScopeExpr::AllOf(members.clone());
            let any = ScopeExpr::AnyOf(members.clone());
            prop_assert_eq!(satisfies(&have, &all), members.iter().all(|m| satisfies(&have, m)));
            prop_assert_eq!(satisfies(&have, &any), members.iter().any(|m| satisfies(&have, m)));
        }

        #[test]
        fn unsatisfied_is_none_iff_satisfied(have in proptest::collection::vec(scope_strategy(), 0..5),
                                             expr in expr_strategy()) {
            let missing = unsatisfied(&have, &expr);
            prop_assert_eq!(missing.is_none(), satisfies(&have, &expr));
            if let Some(m) = missing {
                // What is reported missing is itself not satisfied.
                prop_assert!(!satisfies(&have, &m));
            }
        }

        #[test]
        fn json_round_trips(expr in expr_strategy()) {
            prop_assert_eq!(ScopeExpr::from_json(&expr.to_json()), Ok(expr.clone()));
            let text = serde_json::to_string(&expr).unwrap();
            let back: ScopeExpr = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, expr);
        }

        #[test]
        fn rendered_stars_never_widen(prefix in "[a-z:]{0,8}", value in "[a-z/*]{0,6}\\*[a-z/*]{0,6}",
                                      mut have in proptest::collection::vec("[a-z:/]{0,12}", 0..4),
                                      holds_literal in any::<bool>()) {
            // Held scopes without a trailing `*` satisfy a rendered scope only by being equal to it.
            let template = ScopeExpr::Scope(format!("{prefix}<p>"));
            let rendered = template.render(|_| Some(Cow::Borrowed(&value))).unwrap();
            let literal = format!("{prefix}{value}");
            prop_assert_eq!(&rendered, &ScopeExpr::Scope(literal.clone()));
            if holds_literal {
                have.push(literal.clone());
            }
            prop_assert_eq!(satisfies(&have, &rendered), holds_literal);
            let held_literal = format!("{prefix}b");
            let required_star = format!("{prefix}*");
            prop_assert!(!scope_satisfies(&held_literal, &required_star));
        }
    }
}

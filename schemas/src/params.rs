//! Validation of path parameters and query strings, with the real service's messages.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Entry};
use crate::path_params::ParamValues;

/// A path parameter that does not match its pattern (`400 InvalidRequestArguments`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// The names of the parameters that failed, in route order.
    pub params: Vec<String>,
    /// The message the real service gives.
    pub message: String,
}

/// A query string the method does not accept (`400 InvalidRequestArguments`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A key the method does not declare.
    #[error("Query-string parameter: {key} is not supported!")]
    Unsupported {
        /// The key.
        key: String,
    },
    /// A key given more than once, or with a nested (bracket) form.
    #[error("Query-string parameter: {key} must be a string!")]
    NotAString {
        /// The key.
        key: String,
    },
    /// A value that does not match the key's pattern.
    #[error("Query-string parameter: {key}=\"{value}\" does not match expression: /{pattern}/")]
    Pattern {
        /// The key.
        key: String,
        /// The decoded value.
        value: String,
        /// The pattern it must match.
        pattern: String,
    },
}

/// The query key reserved for signed URLs; accepted on every method.
pub const BEWIT: &str = "bewit";

impl Catalog {
    /// Checks decoded path parameters against the patterns in `x-params`. Parameters without a
    /// pattern (`provisionerId`, `workerType`) are not validated, as upstream.
    pub fn validate_params<P: ParamValues + ?Sized>(
        &self,
        entry: &Entry,
        params: &P,
    ) -> Result<(), ParamError> {
        let mut failed = Vec::new();
        let mut lines = Vec::new();
        for name in &entry.args {
            let (Some((pattern, regex)), Some(value)) =
                (self.param_regex(name), params.value(name))
            else {
                continue;
            };
            if !regex.is_match(value) {
                lines.push(format!(
                    "URL parameter '{name}' given as '{value}' must match regular expression: '{pattern}'"
                ));
                failed.push(name.clone());
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(ParamError {
                params: failed,
                message: format!("Invalid URL patterns:\n{}", lines.join("\n")),
            })
        }
    }

    /// Parses and checks a raw query string (without the `?`) for `entry`: every key declared
    /// (or `bewit`), each given once, each value matching its pattern. Returns the decoded
    /// values of the declared keys.
    pub fn validate_query(
        &self,
        entry: &Entry,
        raw_query: Option<&str>,
    ) -> Result<BTreeMap<String, String>, QueryError> {
        let parsed = parse_query(raw_query.unwrap_or(""));
        for key in parsed.keys() {
            if key != BEWIT && entry.query_param(key).is_none() {
                return Err(QueryError::Unsupported { key: key.clone() });
            }
        }
        let mut out = BTreeMap::new();
        for (key, values) in parsed {
            if key == BEWIT {
                continue;
            }
            let [value] = <[String; 1]>::try_from(values)
                .map_err(|_| QueryError::NotAString { key: key.clone() })?;
            if key.contains('[') {
                return Err(QueryError::NotAString { key });
            }
            let Some(param) = entry.query_param(&key) else {
                continue;
            };
            if !param.accepts(&value) {
                return Err(QueryError::Pattern {
                    key,
                    value,
                    pattern: param.pattern.clone(),
                });
            }
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// Splits a query string into keys and values, decoding `+` as space and percent-escapes (a
/// malformed escape is kept as written, as the real service's parser does). Keys keep every value
/// they were given.
pub fn parse_query(raw: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = form_decode(k);
        out.entry(key).or_default().push(form_decode(v));
    }
    out
}

fn form_decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    crate::route::decode_component(&plus).unwrap_or(plus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let q = parse_query("limit=10&continuationToken=tok%2F%2B%3D+x&x=%ZZ&&flag");
        assert_eq!(q["limit"], vec!["10"]);
        assert_eq!(q["continuationToken"], vec!["tok/+= x"]);
        assert_eq!(q["x"], vec!["%ZZ"]);
        assert_eq!(q["flag"], vec![""]);
    }
}

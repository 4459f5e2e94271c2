//! The `ext` attribute: base64 (either alphabet, padding optional) of a JSON object that may carry
//! a temporary-credentials `certificate` and `authorizedScopes`.

use serde_json::Value;

use super::js;
use super::scopes::is_valid_scope;

/// Why an `ext` could not be used. Display gives the server's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtError {
    /// Not base64 of JSON.
    #[error("Failed to parse ext")]
    Unparseable,
    /// The JSON `null`: the real server trips over reading a member of it and reports the
    /// JavaScript error.
    #[error("Cannot read properties of null (reading 'certificate')")]
    Null,
    /// `authorizedScopes` is present but not an array.
    #[error("ext.authorizedScopes must be an array")]
    AuthorizedScopesNotArray,
    /// `authorizedScopes` holds something that is not a valid scope string.
    #[error("ext.authorizedScopes must be an array of valid scopes")]
    AuthorizedScopesInvalid,
}

/// The decoded `ext`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ext {
    /// The `certificate` member when present and truthy (JavaScript truthiness: not `null`,
    /// `false`, `0` or `""`); validated later ([`super::certificate`]).
    pub certificate: Option<Value>,
    /// The `authorizedScopes` member when present, truthy and a valid list of scopes. `Some(vec![])`
    /// is a real restriction.
    pub authorized_scopes: Option<Vec<String>>,
    /// Set when `authorizedScopes` is present and truthy but unusable. The server reports this
    /// only after the certificate checks, so it is kept here rather than failing the parse.
    pub authorized_scopes_error: Option<ExtError>,
}

/// Decodes base64 the lenient way the server (Node.js) does: both alphabets, padding optional,
/// stray characters ignored, decoding stops at the first `=`. Never fails.
pub fn decode_base64_lenient(text: &str) -> Vec<u8> {
    js::node_base64_decode(text)
}

/// JavaScript truthiness of a JSON value.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Decodes and parses an `ext` attribute. Bytes that are not UTF-8 are replaced (as the server's
/// decoding does) before the JSON parse. A JSON value other than an object carries no
/// restriction, except `null`, which the server chokes on ([`ExtError::Null`]).
pub fn parse_ext(ext: &str) -> Result<Ext, ExtError> {
    let bytes = decode_base64_lenient(ext);
    let text = String::from_utf8_lossy(&bytes);
    let value: Value = serde_json::from_str(&text).map_err(|_| ExtError::Unparseable)?;
    let map = match value {
        Value::Null => return Err(ExtError::Null),
        Value::Object(map) => map,
        _ => return Ok(Ext::default()),
    };
    let certificate = map.get("certificate").filter(|v| is_truthy(v)).cloned();
    let (authorized_scopes, authorized_scopes_error) = match map.get("authorizedScopes") {
        Some(v) if is_truthy(v) => match read_scope_list(v) {
            Ok(list) => (Some(list), None),
            Err(e) => (None, Some(e)),
        },
        _ => (None, None),
    };
    Ok(Ext {
        certificate,
        authorized_scopes,
        authorized_scopes_error,
    })
}

fn read_scope_list(value: &Value) -> Result<Vec<String>, ExtError> {
    let Value::Array(items) = value else {
        return Err(ExtError::AuthorizedScopesNotArray);
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if is_valid_scope(s) => Ok(s.clone()),
            _ => Err(ExtError::AuthorizedScopesInvalid),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_vectors::{V5, V5B, V9};
    use base64::Engine;
    use proptest::prelude::*;
    use serde_json::json;

    fn b64(v: &Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(v.to_string())
    }

    #[test]
    fn empty_object_means_no_restriction() {
        assert_eq!(parse_ext("e30="), Ok(Ext::default()));
        assert_eq!(parse_ext("e30"), Ok(Ext::default()));
    }

    #[test]
    fn both_alphabets_give_the_same_scopes() {
        let want = vec![
            "worker-manager:get-worker-pool:proj-test/*".to_string(),
            "worker-manager:list-workers:proj-test/worker-type~".to_string(),
        ];
        for v in [V5, V5B] {
            let ext = parse_ext(v.ext.unwrap()).unwrap();
            assert_eq!(ext.authorized_scopes.as_ref(), Some(&want), "{}", v.name);
            assert_eq!(ext.certificate, None);
        }
    }

    #[test]
    fn certificate_is_kept_as_json() {
        let ext = parse_ext(V9.ext.unwrap()).unwrap();
        let cert = ext.certificate.unwrap();
        assert_eq!(cert["issuer"], "tester");
        assert_eq!(cert["start"], 1_699_999_200_000i64);
    }

    #[test]
    fn failures() {
        assert_eq!(parse_ext("!!!"), Err(ExtError::Unparseable));
        assert_eq!(parse_ext("e30"), Ok(Ext::default()));
        assert_eq!(parse_ext("bm90IGpzb24="), Err(ExtError::Unparseable));
        assert_eq!(parse_ext(&b64(&json!(null))), Err(ExtError::Null));
        assert_eq!(ExtError::Unparseable.to_string(), "Failed to parse ext");
        // Non-object JSON restricts nothing.
        assert_eq!(parse_ext(&b64(&json!([1, 2]))), Ok(Ext::default()));
        assert_eq!(parse_ext(&b64(&json!("s"))), Ok(Ext::default()));
    }

    #[test]
    fn authorized_scopes_shapes() {
        let p = |v: Value| parse_ext(&b64(&v)).unwrap();
        assert_eq!(
            p(json!({"authorizedScopes": []})).authorized_scopes,
            Some(vec![])
        );
        assert_eq!(p(json!({"authorizedScopes": null})), Ext::default());
        assert_eq!(p(json!({"authorizedScopes": 0})), Ext::default());
        assert_eq!(
            p(json!({"authorizedScopes": "a"})).authorized_scopes_error,
            Some(ExtError::AuthorizedScopesNotArray)
        );
        assert_eq!(
            p(json!({"authorizedScopes": ["a", 1]})).authorized_scopes_error,
            Some(ExtError::AuthorizedScopesInvalid)
        );
        assert_eq!(
            p(json!({"authorizedScopes": ["tab\t"]})).authorized_scopes_error,
            Some(ExtError::AuthorizedScopesInvalid)
        );
        assert_eq!(p(json!({"certificate": false})).certificate, None);
        assert_eq!(p(json!({"certificate": ""})).certificate, None);
        assert_eq!(p(json!({"certificate": "x"})).certificate, Some(json!("x")));
    }

    proptest! {
        #[test]
        fn any_text_is_handled(s in ".{0,80}") {
            let _ = parse_ext(&s);
        }

        #[test]
        fn scopes_survive_either_alphabet(scopes in proptest::collection::vec("[ -~]{0,20}", 0..5)) {
            let text = json!({"authorizedScopes": scopes}).to_string();
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
                base64::engine::general_purpose::STANDARD_NO_PAD,
            ] {
                let ext = parse_ext(&engine.encode(&text)).unwrap();
                prop_assert_eq!(ext.authorized_scopes.as_ref(), Some(&scopes));
            }
        }
    }
}

//! Signed URLs: finding the `bewit` query parameter the way the server does, removing it from the
//! resource, decoding it, and the method and expiry checks, with the server's messages.

use super::js;

/// Longest request target (in UTF-16 units) the server looks for a bewit in.
pub const MAX_RESOURCE_LENGTH: usize = 4096;

/// Why a bewit was refused. Display gives the hawk library's message;
/// [`BewitError::reply_error`] the HTTP error name it comes with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BewitError {
    /// The request target is longer than [`MAX_RESOURCE_LENGTH`].
    #[error("Resource path exceeds max length")]
    ResourceTooLong,
    /// No usable `bewit=` parameter in the target.
    #[error("Unauthorized")]
    NotFound,
    /// `bewit=` with nothing after it.
    #[error("Empty bewit")]
    Empty,
    /// A method other than GET or HEAD.
    #[error("Invalid method")]
    InvalidMethod,
    /// Characters outside the URL-safe base64 alphabet.
    #[error("Invalid bewit encoding")]
    InvalidEncoding,
    /// The decoded bewit does not have exactly four `\`-separated parts.
    #[error("Invalid bewit structure")]
    InvalidStructure,
    /// An empty id or MAC, or an expiry that is not a non-zero number.
    #[error("Missing bewit attributes")]
    MissingAttributes,
    /// The bewit's expiry has passed.
    #[error("Access expired")]
    Expired,
}

impl BewitError {
    /// The HTTP error name the server puts before the message (`Unauthorized: ...`).
    pub fn reply_error(&self) -> &'static str {
        match self {
            BewitError::ResourceTooLong
            | BewitError::InvalidEncoding
            | BewitError::InvalidStructure
            | BewitError::MissingAttributes => "Bad Request",
            BewitError::NotFound
            | BewitError::Empty
            | BewitError::InvalidMethod
            | BewitError::Expired => "Unauthorized",
        }
    }
}

/// Whether the query string carries a `bewit` parameter that counts as present for the API layer:
/// one with a non-empty value, or the name given more than once. (An empty `bewit=` alone is
/// treated as no credentials at all.)
pub fn query_has_bewit(resource: &str) -> bool {
    let Some((_, query)) = resource.split_once('?') else {
        return false;
    };
    let mut count = 0;
    let mut non_empty = false;
    for part in query.split('&') {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        if percent_decode_plus(name) == b"bewit" {
            count += 1;
            non_empty |= !value.is_empty();
        }
    }
    count > 1 || (count == 1 && non_empty)
}

/// Decodes `%XX` escapes and `+` (as a space) in a query component; malformed escapes stay as they
/// are.
fn percent_decode_plus(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Whether the server routes this target to bewit authentication: it starts with `/` and has
/// `?bewit=` or `&bewit=` somewhere after the first character.
pub fn looks_like_bewit(resource: &str) -> bool {
    resource.starts_with('/')
        && (resource[1..].contains("?bewit=") || resource[1..].contains("&bewit="))
}

/// A bewit found in a request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBewit<'a> {
    /// The raw `bewit` value (may be empty).
    pub value: &'a str,
    /// The target with the parameter removed, as the MAC covers it.
    pub resource: String,
}

/// Finds the bewit the way the server does: the last `?bewit=` / `&bewit=` whose value (up to the
/// next `&`; a `$` is not allowed in it) is followed by nothing or by `&` and at least one more
/// character. The parameters after it are re-attached with the separator that preceded it.
pub fn find_bewit(resource: &str) -> Result<FoundBewit<'_>, BewitError> {
    if js::utf16_len(resource) > MAX_RESOURCE_LENGTH {
        return Err(BewitError::ResourceTooLong);
    }
    if !resource.starts_with('/') {
        return Err(BewitError::NotFound);
    }
    const KEY: &str = "bewit=";
    let positions: Vec<usize> = resource
        .match_indices(['?', '&'])
        .map(|(i, _)| i)
        .filter(|&i| i >= 1 && resource[i + 1..].starts_with(KEY))
        .collect();
    for &sep in positions.iter().rev() {
        let path = &resource[..sep];
        if path.contains(js::is_line_terminator) {
            continue;
        }
        let after = &resource[sep + 1 + KEY.len()..];
        let value_len = after.find(['&', '$']).unwrap_or(after.len());
        let (value, rest) = after.split_at(value_len);
        let tail = if rest.is_empty() {
            None
        } else if let Some(more) = rest.strip_prefix('&') {
            if more.is_empty() || more.contains(js::is_line_terminator) {
                continue;
            }
            Some(more)
        } else {
            continue;
        };
        let mut stripped = path.to_string();
        if let Some(more) = tail {
            stripped.push_str(&resource[sep..sep + 1]);
            stripped.push_str(more);
        }
        return Ok(FoundBewit {
            value,
            resource: stripped,
        });
    }
    Err(BewitError::NotFound)
}

/// Bewits authenticate only GET and HEAD requests.
pub fn check_method(method: &str) -> Result<(), BewitError> {
    match method.to_uppercase().as_str() {
        "GET" | "HEAD" => Ok(()),
        _ => Err(BewitError::InvalidMethod),
    }
}

/// A decoded bewit: `id\exp\mac\ext`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bewit {
    /// The clientId (for named temporary credentials, the name).
    pub id: String,
    /// The expiry in seconds, as the server reads it (`parseInt`).
    pub exp: f64,
    /// The MAC, standard base64.
    pub mac: String,
    /// The ext (empty when none).
    pub ext: String,
}

impl Bewit {
    /// The expiry as it appears in the normalized string.
    pub fn exp_text(&self) -> String {
        js::number_to_string(self.exp)
    }
}

/// Decodes a non-empty bewit value: URL-safe base64 characters only, four `\`-separated parts,
/// non-empty id and MAC, an expiry whose leading digits form a non-zero number. Bytes become
/// characters one to one (Latin-1), as the server decodes them.
pub fn decode_bewit(value: &str) -> Result<Bewit, BewitError> {
    if value.is_empty() {
        return Err(BewitError::Empty);
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(BewitError::InvalidEncoding);
    }
    let text: String = js::node_base64_decode(value)
        .into_iter()
        .map(char::from)
        .collect();
    let parts: Vec<&str> = text.split('\\').collect();
    let [id, exp, mac, ext] = parts.as_slice() else {
        return Err(BewitError::InvalidStructure);
    };
    let exp = js::parse_int(exp);
    if id.is_empty() || exp == 0.0 || exp.is_nan() || mac.is_empty() {
        return Err(BewitError::MissingAttributes);
    }
    Ok(Bewit {
        id: id.to_string(),
        exp,
        mac: mac.to_string(),
        ext: ext.to_string(),
    })
}

/// A bewit has expired once `exp` seconds is at or before `now_ms` (no clock tolerance).
pub fn check_expiry(bewit: &Bewit, now_ms: i64) -> Result<(), BewitError> {
    if bewit.exp * 1000.0 <= now_ms as f64 {
        Err(BewitError::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::hawk::{compute_mac, normalized_string, MacInput, MacKind};
    use crate::auth::test_vectors::BEWIT_VECTORS;
    use proptest::prelude::*;

    #[test]
    fn vectors_decode_strip_and_mac() {
        for v in BEWIT_VECTORS {
            let found = find_bewit(v.resource).unwrap();
            assert_eq!(found.value, v.bewit, "{}", v.name);
            assert_eq!(found.resource, v.resource_without_bewit, "{}", v.name);
            let b = decode_bewit(found.value).unwrap();
            assert_eq!(
                format!("{}\\{}\\{}\\{}", b.id, b.exp_text(), b.mac, b.ext),
                v.decoded
            );
            assert_eq!(b.id, v.id);
            assert_eq!(b.exp, v.exp as f64);
            assert_eq!(b.mac, v.mac);
            assert_eq!(b.ext, v.ext);
            let normalized = normalized_string(&MacInput {
                kind: MacKind::Bewit,
                ts: &b.exp_text(),
                nonce: "",
                method: "GET",
                resource: &found.resource,
                host: "localhost",
                port: 8080,
                hash: None,
                ext: Some(&b.ext),
                app: None,
                dlg: None,
            });
            assert_eq!(normalized, v.normalized, "{}", v.name);
            assert_eq!(
                compute_mac(v.key.as_bytes(), &normalized),
                v.mac,
                "{}",
                v.name
            );
            assert!(query_has_bewit(v.resource));
            assert!(looks_like_bewit(v.resource));
        }
    }

    #[test]
    fn removal_rules() {
        let f = |r: &str| find_bewit(r).map(|b| (b.value.to_string(), b.resource));
        assert_eq!(f("/p?a=1&bewit=B"), Ok(("B".into(), "/p?a=1".into())));
        assert_eq!(f("/p?bewit=B&a=1"), Ok(("B".into(), "/p?a=1".into())));
        assert_eq!(
            f("/p?a=1&bewit=B&c=2"),
            Ok(("B".into(), "/p?a=1&c=2".into()))
        );
        assert_eq!(
            f("/p?bewit=A&bewit=B"),
            Ok(("B".into(), "/p?bewit=A".into()))
        );
        assert_eq!(f("/p?bewit="), Ok(("".into(), "/p".into())));
        // A trailing `&`, or a `$` in the value, makes that occurrence unusable.
        assert_eq!(f("/p?bewit=B&"), Err(BewitError::NotFound));
        assert_eq!(
            f("/p?bewit=A&x=1&bewit=B$"),
            Ok(("A".into(), "/p?x=1&bewit=B$".into()))
        );
        assert_eq!(f("/p?x=1"), Err(BewitError::NotFound));
        assert_eq!(f("p?bewit=B"), Err(BewitError::NotFound));
        let long = format!("/p?bewit={}", "a".repeat(4096));
        assert_eq!(f(&long), Err(BewitError::ResourceTooLong));
    }

    #[test]
    fn api_layer_presence() {
        assert!(!query_has_bewit("/p"));
        assert!(!query_has_bewit("/p?bewit="));
        assert!(!query_has_bewit("/p?bewit"));
        assert!(query_has_bewit("/p?bewit=&bewit="));
        assert!(query_has_bewit("/p?bew%69t=x"));
        assert!(!query_has_bewit("/p?bewitx=1"));
        assert!(!looks_like_bewit("/p?bew%69t=x"));
    }

    #[test]
    fn decode_failures() {
        assert_eq!(decode_bewit(""), Err(BewitError::Empty));
        assert_eq!(decode_bewit("a+b"), Err(BewitError::InvalidEncoding));
        assert_eq!(decode_bewit("a=="), Err(BewitError::InvalidEncoding));
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        assert_eq!(
            decode_bewit(&enc("a\\1\\m")),
            Err(BewitError::InvalidStructure)
        );
        assert_eq!(
            decode_bewit(&enc("a\\1\\m\\e\\x")),
            Err(BewitError::InvalidStructure)
        );
        assert_eq!(
            decode_bewit(&enc("\\1\\m\\")),
            Err(BewitError::MissingAttributes)
        );
        assert_eq!(
            decode_bewit(&enc("a\\0\\m\\")),
            Err(BewitError::MissingAttributes)
        );
        assert_eq!(
            decode_bewit(&enc("a\\x\\m\\")),
            Err(BewitError::MissingAttributes)
        );
        assert_eq!(
            decode_bewit(&enc("a\\1\\\\")),
            Err(BewitError::MissingAttributes)
        );
        let b = decode_bewit(&enc("a\\0012x\\m\\")).unwrap();
        assert_eq!(b.exp_text(), "12");
        assert_eq!(BewitError::InvalidEncoding.reply_error(), "Bad Request");
        assert_eq!(BewitError::Expired.reply_error(), "Unauthorized");
    }

    #[test]
    fn method_and_expiry() {
        assert!(check_method("GET").is_ok());
        assert!(check_method("head").is_ok());
        assert_eq!(check_method("POST"), Err(BewitError::InvalidMethod));
        let b = decode_bewit(BEWIT_VECTORS[0].bewit).unwrap();
        assert!(check_expiry(&b, 1_700_000_899_999).is_ok());
        assert_eq!(
            check_expiry(&b, 1_700_000_900_000),
            Err(BewitError::Expired)
        );
    }

    proptest! {
        #[test]
        fn finding_never_panics(s in "/?[a-z?&=$/\\u{e9}\\n]{0,40}") {
            if let Ok(found) = find_bewit(&s) {
                prop_assert!(found.resource.len() < s.len());
            }
            let _ = query_has_bewit(&s);
            let _ = looks_like_bewit(&s);
        }

        #[test]
        fn decoding_never_panics(s in "[a-zA-Z0-9_-]{0,80}") {
            let _ = decode_bewit(&s);
        }

        #[test]
        fn appended_bewits_are_found(path in "/[a-z/%0-9]{0,20}", query in proptest::option::of("[a-z0-9=&]{1,20}"),
                                     bewit in "[a-zA-Z0-9_-]{1,40}") {
            let base = match &query {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            let sep = if query.is_some() { '&' } else { '?' };
            let target = format!("{base}{sep}bewit={bewit}");
            let found = find_bewit(&target).unwrap();
            prop_assert_eq!(found.value, bewit.as_str());
            prop_assert_eq!(found.resource, base);
        }
    }
}

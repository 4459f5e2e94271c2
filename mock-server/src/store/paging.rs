//! Paging: page sizes, opaque continuation tokens and keyset pages over ordered maps.
//!
//! Tokens are keyset cursors: a token names the last item of the previous page, and the next page
//! starts right after it. So pages stay complete and free of duplicates even when items are
//! inserted or deleted between pages (upstream's offset tokens shift instead), and a page costs
//! O(page size · log n) however deep it is.
//!
//! On the wire a token is a kind letter plus the hex of the cursor text: only `[A-Za-z0-9]`, like
//! upstream's tokens. As upstream: a token with any other character is `400 InputError: Invalid
//! continuation token`; one made of those characters that does not decode restarts from the first
//! page.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::ApiError;

/// Default and maximum page size of every paged method except listProviders.
pub const MAX_PAGE: usize = 1000;

/// Reads the `limit` query value (already checked against `^[0-9]+$`): default and cap 1000.
/// `limit=0` is a `400 InputError` (upstream answers 500 when anything would be listed).
pub fn page_size(limit: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = limit else {
        return Ok(MAX_PAGE);
    };
    let n: u128 = text.parse().unwrap_or(u128::MAX);
    if n == 0 {
        return Err(ApiError::input(
            "limit must be at least 1 (the real service answers 500 here when there is anything to list)",
        ));
    }
    Ok(n.min(MAX_PAGE as u128) as usize)
}

/// A decoded continuation token: the cursor text of the last item seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// Encodes a cursor for list `kind` (one lower-case letter) as an opaque token.
pub fn encode_token(kind: char, cursor: &str) -> String {
    let mut out = String::with_capacity(1 + cursor.len() * 2);
    out.push(kind);
    for b in cursor.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Decodes `token` for list `kind`. `Err`: characters outside `[A-Za-z0-9]` (400). `Ok(None)`:
/// no token, or one that does not decode (start from the beginning, as upstream does).
pub fn decode_token(kind: char, token: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    let Some(token) = token else {
        return Ok(None);
    };
    if !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::input("Invalid continuation token"));
    }
    let Some(hex) = token.strip_prefix(kind) else {
        return Ok(None);
    };
    if hex.len() % 2 != 0 {
        return Ok(None);
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    Ok(bytes.and_then(|b| String::from_utf8(b).ok()).map(Cursor))
}

/// One page of `map` after key `after`: up to `size` values that `keep` accepts, and the key of the
/// last one if more accepted values follow.
pub fn keyset_page<'a, K: Ord + Clone, V>(
    map: &'a BTreeMap<K, V>,
    after: Option<&K>,
    size: usize,
    mut keep: impl FnMut(&V) -> bool,
) -> (Vec<&'a V>, Option<K>) {
    let lower = match after {
        Some(k) => Bound::Excluded(k),
        None => Bound::Unbounded,
    };
    let mut items = Vec::with_capacity(size.min(64));
    let mut last = None;
    for (k, v) in map.range((lower, Bound::Unbounded)) {
        if !keep(v) {
            continue;
        }
        if items.len() == size {
            return (items, last);
        }
        items.push(v);
        last = Some(k.clone());
    }
    (items, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limits() {
        assert_eq!(page_size(None).unwrap(), 1000);
        assert_eq!(page_size(Some("5")).unwrap(), 5);
        assert_eq!(page_size(Some("5000")).unwrap(), 1000);
        assert_eq!(
            page_size(Some("99999999999999999999999999999999999999999")).unwrap(),
            1000
        );
        assert_eq!(
            page_size(Some("0")).unwrap_err().code.as_str(),
            "InputError"
        );
    }

    #[test]
    fn bad_tokens() {
        assert!(decode_token('w', Some("abc-def")).is_err());
        assert!(decode_token('w', Some("a_b")).is_err());
        assert_eq!(decode_token('w', Some("zzzzzzzzzz")).unwrap(), None);
        assert_eq!(decode_token('w', Some("w4")).unwrap(), None);
        assert_eq!(decode_token('w', None).unwrap(), None);
    }

    proptest! {
        #[test]
        fn tokens_round_trip(cursor in ".{0,40}") {
            let t = encode_token('w', &cursor);
            prop_assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()));
            prop_assert_eq!(decode_token('w', Some(&t)).unwrap(), Some(Cursor(cursor)));
        }

        #[test]
        fn pages_cover_everything_once(n in 0usize..200, size in 1usize..50) {
            let map: BTreeMap<usize, usize> = (0..n).map(|i| (i, i)).collect();
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let (items, next) = keyset_page(&map, after.as_ref(), size, |v| v % 3 != 0);
                seen.extend(items.into_iter().copied());
                match next { Some(k) => after = Some(k), None => break }
            }
            let want: Vec<usize> = (0..n).filter(|v| v % 3 != 0).collect();
            prop_assert_eq!(seen, want);
        }
    }
}

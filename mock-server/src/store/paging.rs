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
    keep: impl FnMut(&V) -> bool,
) -> (Vec<&'a V>, Option<K>) {
    let lower = match after {
        Some(k) => Bound::Excluded(k.clone()),
        None => Bound::Unbounded,
    };
    keyset_range(map, (lower, Bound::Unbounded), size, keep)
}

/// The body of a list answer: `{<key>: [items], continuationToken?}`.
pub fn list_body(
    key: &str,
    items: impl Iterator<Item = serde_json::Value>,
    next_token: Option<String>,
) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert(key.to_string(), serde_json::Value::Array(items.collect()));
    if let Some(t) = next_token {
        m.insert("continuationToken".into(), t.into());
    }
    serde_json::Value::Object(m)
}

/// Cursor text of a newest-first key: `<time>.<seq>`.
pub fn recency_cursor(r: &crate::store::model::Recency) -> String {
    format!("{}.{}", (r.0).0, (r.1).0)
}

/// Parses [`recency_cursor`] text.
pub fn parse_recency(c: &str) -> Option<crate::store::model::Recency> {
    let (t, s) = c.split_once('.')?;
    Some(crate::store::model::recency(
        t.parse().ok()?,
        s.parse().ok()?,
    ))
}

/// Token kind of upstream-style offset tokens (a scenario can switch any list to them).
pub const OFFSET_KIND: char = 'o';

/// How a list request asks for its page: size, and where to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Page size.
    pub size: usize,
    /// The continuation token (already checked to be alphanumeric).
    pub token: Option<String>,
    /// Page by offsets, as upstream does, instead of keyset cursors.
    pub offset_mode: bool,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<'a, V> {
    /// The items of the page.
    pub items: Vec<&'a V>,
    /// The token of the next page, if more items follow.
    pub next_token: Option<String>,
}

impl PageRequest {
    /// A page request from the `limit` and `continuationToken` query values; `forced_size`
    /// (a scenario's) replaces the size `limit` asks for.
    pub fn new(
        limit: Option<&str>,
        token: Option<&str>,
        forced_size: Option<usize>,
        offset_mode: bool,
    ) -> Result<PageRequest, ApiError> {
        let size = match forced_size {
            Some(n) => n.max(1),
            None => page_size(limit)?,
        };
        if let Some(t) = token {
            if !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(ApiError::input("Invalid continuation token"));
            }
        }
        Ok(PageRequest {
            size,
            token: token.map(str::to_string),
            offset_mode,
        })
    }

    /// One page of the values of `map` within `range` that `keep` accepts. `kind` tags this list's
    /// keyset tokens; `to_cursor`/`from_cursor` turn keys into cursor text and back.
    pub fn page<'a, K: Ord + Clone, V>(
        &self,
        kind: char,
        map: &'a BTreeMap<K, V>,
        range: (Bound<K>, Bound<K>),
        to_cursor: impl Fn(&K) -> String,
        from_cursor: impl Fn(&str) -> Option<K>,
        mut keep: impl FnMut(&V) -> bool,
    ) -> Page<'a, V> {
        let token = self.token.as_deref();
        if self.offset_mode {
            let offset = decode_token(OFFSET_KIND, token)
                .ok()
                .flatten()
                .and_then(|c| c.0.parse::<usize>().ok())
                .unwrap_or(0);
            let mut kept = map.range(range).filter(|(_, v)| keep(v)).skip(offset);
            let items: Vec<&V> = kept.by_ref().take(self.size).map(|(_, v)| v).collect();
            let more = kept.next().is_some();
            let next_token =
                more.then(|| encode_token(OFFSET_KIND, &(offset + self.size).to_string()));
            return Page { items, next_token };
        }
        let after = decode_token(kind, token)
            .ok()
            .flatten()
            .and_then(|c| from_cursor(&c.0));
        let (lo, hi) = range;
        let lower = match after {
            Some(a) if bound_allows_after(&lo, &a) => Bound::Excluded(a),
            _ => lo,
        };
        let (items, next) = keyset_range(map, (lower, hi), self.size, keep);
        Page {
            items,
            next_token: next.map(|k| encode_token(kind, &to_cursor(&k))),
        }
    }
}

/// Whether starting after `after` stays within a range starting at `lo`.
fn bound_allows_after<K: Ord>(lo: &Bound<K>, after: &K) -> bool {
    match lo {
        Bound::Unbounded => true,
        Bound::Included(l) => after >= l,
        Bound::Excluded(l) => after >= l,
    }
}

fn keyset_range<K: Ord + Clone, V>(
    map: &BTreeMap<K, V>,
    range: (Bound<K>, Bound<K>),
    size: usize,
    mut keep: impl FnMut(&V) -> bool,
) -> (Vec<&V>, Option<K>) {
    let mut items = Vec::with_capacity(size.min(64));
    let mut last = None;
    for (k, v) in map.range(range) {
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

    #[test]
    fn offset_pages_shift_like_upstream() {
        let mut map: BTreeMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
        let req = PageRequest::new(Some("4"), None, None, true).unwrap();
        let p1 = req.page(
            'x',
            &map,
            (Bound::Unbounded, Bound::Unbounded),
            |k| k.to_string(),
            |s| s.parse().ok(),
            |_| true,
        );
        assert_eq!(p1.items, vec![&0, &1, &2, &3]);
        let token = p1.next_token.unwrap();
        map.remove(&0);
        let req2 = PageRequest::new(Some("4"), Some(&token), None, true).unwrap();
        let p2 = req2.page(
            'x',
            &map,
            (Bound::Unbounded, Bound::Unbounded),
            |k| k.to_string(),
            |s| s.parse().ok(),
            |_| true,
        );
        assert_eq!(
            p2.items,
            vec![&5, &6, &7, &8],
            "item 4 is skipped, as with upstream's offsets"
        );
    }

    #[test]
    fn keyset_pages_stay_in_their_range() {
        let map: BTreeMap<u32, u32> = (0..20).map(|i| (i, i)).collect();
        let req = PageRequest::new(Some("3"), None, Some(2), false).unwrap();
        let r = (Bound::Included(5), Bound::Excluded(9));
        let p = req.page(
            'x',
            &map,
            r,
            |k| k.to_string(),
            |s| s.parse().ok(),
            |_| true,
        );
        assert_eq!(p.items, vec![&5, &6], "forced size wins over limit");
        let t = p.next_token.unwrap();
        let req = PageRequest::new(None, Some(&t), Some(2), false).unwrap();
        let p = req.page(
            'x',
            &map,
            (Bound::Included(5), Bound::Excluded(9)),
            |k| k.to_string(),
            |s| s.parse().ok(),
            |_| true,
        );
        assert_eq!(p.items, vec![&7, &8]);
        assert!(p.next_token.is_none());
        assert!(PageRequest::new(None, Some("a-b"), None, false).is_err());
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

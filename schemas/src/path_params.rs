//! [`PathParams`]: the decoded path parameters of one routed request, made without allocating in
//! the usual case (routing runs on every request).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// Most path parameters one route may have ([`crate::RoutePattern::parse`] refuses more; the
/// API's routes have at most three).
pub const MAX_PATH_PARAMS: usize = 4;

/// The decoded path parameters of a routed request, in pattern order.
///
/// Names borrow the route pattern; a value borrows the request's path unless percent-decoding
/// changed it. Held inline (no allocation). Serializes as a JSON object, keys sorted as a
/// `BTreeMap`'s are. [`PathParams::to_map`] gives an owned copy.
#[derive(Debug, Clone, Default)]
pub struct PathParams<'a> {
    pairs: [(&'a str, Cow<'a, str>); MAX_PATH_PARAMS],
    len: usize,
}

/// A parameter did not fit: a route has more than [`MAX_PATH_PARAMS`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a route has at most {MAX_PATH_PARAMS} path parameters")]
pub struct TooManyParams;

impl<'a> PathParams<'a> {
    /// Adds a parameter, or replaces the value of one already there.
    pub fn insert(&mut self, name: &'a str, value: Cow<'a, str>) -> Result<(), TooManyParams> {
        if let Some(slot) = self.pairs[..self.len].iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
            return Ok(());
        }
        let slot = self.pairs.get_mut(self.len).ok_or(TooManyParams)?;
        *slot = (name, value);
        self.len += 1;
        Ok(())
    }

    /// Parameters borrowed from an owned map (for callers that build them by hand).
    pub fn from_map(map: &'a BTreeMap<String, String>) -> Result<PathParams<'a>, TooManyParams> {
        let mut out = PathParams::default();
        for (k, v) in map {
            out.insert(k, Cow::Borrowed(v))?;
        }
        Ok(out)
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find_map(|(n, v)| (n == name).then_some(v))
    }

    /// Whether parameter `name` is there.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The parameters, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs[..self.len].iter().map(|(n, v)| (*n, v.as_ref()))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An owned copy.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// Equal when they hold the same names and values, whatever the order.
impl PartialEq for PathParams<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for PathParams<'_> {}

impl std::ops::Index<&str> for PathParams<'_> {
    type Output = str;

    /// The value of a parameter; panics when there is none (as a map's index does).
    fn index(&self, name: &str) -> &str {
        match self.get(name) {
            Some(v) => v,
            None => panic!("no path parameter `{name}`"),
        }
    }
}

impl Serialize for PathParams<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut sorted: [(&str, &str); MAX_PATH_PARAMS] = [("", ""); MAX_PATH_PARAMS];
        for (slot, pair) in sorted.iter_mut().zip(self.iter()) {
            *slot = pair;
        }
        let sorted = &mut sorted[..self.len];
        sorted.sort_unstable_by_key(|(k, _)| *k);
        let mut map = s.serialize_map(Some(self.len))?;
        for (k, v) in sorted.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Where parameter values can be looked up by name: [`PathParams`] and an owned map.
pub trait ParamValues {
    /// The value of parameter `name`.
    fn value(&self, name: &str) -> Option<&str>;
}

impl ParamValues for PathParams<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl ParamValues for BTreeMap<String, String> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is inserted (up to the limit), it reads, compares and serializes as a
        /// `BTreeMap` holding the same inserts would.
        #[test]
        fn behaves_as_a_map(inserts in proptest::collection::vec(("[a-d]", ".{0,6}"), 0..8)) {
            let mut p = PathParams::default();
            let mut want = BTreeMap::new();
            for (k, v) in &inserts {
                let fits = want.contains_key(k) || want.len() < MAX_PATH_PARAMS;
                let r = p.insert(k, Cow::Borrowed(v));
                prop_assert_eq!(r.is_ok(), fits);
                if fits {
                    want.insert(k.clone(), v.clone());
                }
            }
            prop_assert_eq!(p.to_map(), want.clone());
            prop_assert_eq!(p.len(), want.len());
            for k in ["a", "b", "c", "d"] {
                prop_assert_eq!(p.get(k), want.get(k).map(String::as_str));
                prop_assert_eq!(p.value(k), want.value(k));
            }
            prop_assert_eq!(
                serde_json::to_string(&p).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
            prop_assert_eq!(PathParams::from_map(&want).unwrap(), p);
        }
    }
}

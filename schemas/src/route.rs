//! Route patterns and matching, as the real service's router (Express) does it.
//!
//! A pattern is written like `/workers/:workerPoolId/:workerGroup` (`:name` takes exactly one
//! non-empty path segment) or `/worker-pool/{*workerPoolId}/stats` (`{*name}` takes the rest of
//! the path, slashes included, possibly empty). A param segment may carry a literal suffix written
//! with a backslash, as in the legacy colon routes: `:workerPoolId\:`.
//!
//! Matching works on the raw, still percent-encoded path (relative to the API prefix); captured
//! values are percent-decoded afterwards, so `%2F` inside one segment becomes a `/` in the value.
//! A single trailing slash is tolerated, and a splat is greedy (it keeps a trailing slash), exactly
//! like the real router.
//!
//! Matching compares path segments directly (no regular expression: it runs on every request, and
//! a regex capture cost more than the rest of routing). The tests keep the regular expression the
//! router's rules translate to as an oracle and check the two agree on generated paths.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::catalog::Entry;
use crate::path_params::{ParamValues, PathParams, MAX_PATH_PARAMS};

/// One piece of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A literal path segment, matched byte for byte (case-sensitive).
    Literal(String),
    /// A single-segment parameter, with an optional literal suffix (`:workerPoolId\:`).
    Param {
        /// Parameter name.
        name: String,
        /// Literal text that must follow the value inside the same segment.
        suffix: String,
    },
    /// A parameter that takes the rest of the path, slashes included.
    Splat {
        /// Parameter name.
        name: String,
    },
}

/// A compiled route pattern.
#[derive(Debug, Clone)]
pub struct RoutePattern {
    /// The pattern as written in `api.json` (`x-route`).
    pub source: String,
    /// The parsed segments.
    pub segments: Vec<Segment>,
    /// Where the splat segment is, if there is one (at most one per pattern).
    splat: Option<usize>,
}

/// Why a route pattern could not be compiled.
#[derive(Debug, thiserror::Error)]
#[error("invalid route pattern `{pattern}`: {reason}")]
pub struct PatternError {
    /// The offending pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The characters `encodeURIComponent` leaves alone, as the official clients encode path values.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes a path parameter value the way the official clients do (`/` becomes `%2F`).
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Percent-decodes a captured value like `decodeURIComponent`: `None` for a malformed escape
/// (`%ZZ`, a lone `%`) or bytes that are not UTF-8. `+` stays `+`.
pub fn decode_component(raw: &str) -> Option<String> {
    decode_component_borrowed(raw).map(Cow::into_owned)
}

/// [`decode_component`] that lends `raw` back when it holds no escape (the usual case).
pub fn decode_component_borrowed(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('%') {
        return Some(Cow::Borrowed(raw));
    }
    decode_escapes(raw).map(Cow::Owned)
}

fn decode_escapes(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let s = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(s, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl RoutePattern {
    /// Compiles a pattern such as `/workers/:workerPoolId\:/:workerGroup`.
    pub fn parse(source: &str) -> Result<RoutePattern, PatternError> {
        let err = |reason: &str| PatternError {
            pattern: source.to_string(),
            reason: reason.to_string(),
        };
        let rest = source
            .strip_prefix('/')
            .ok_or_else(|| err("must start with `/`"))?;
        let mut segments = Vec::new();
        for part in rest.split('/') {
            if let Some(inner) = part.strip_prefix("{*") {
                let name = inner
                    .strip_suffix('}')
                    .filter(|n| !n.is_empty() && n.chars().all(is_name_char))
                    .ok_or_else(|| err("malformed splat segment"))?;
                segments.push(Segment::Splat {
                    name: name.to_string(),
                });
            } else if let Some(inner) = part.strip_prefix(':') {
                let name: String = inner.chars().take_while(|c| is_name_char(*c)).collect();
                if name.is_empty() {
                    return Err(err("parameter without a name"));
                }
                let suffix = inner[name.len()..].replace('\\', "");
                if suffix.contains(['{', '}', '*']) {
                    return Err(err("unexpected special character after a parameter"));
                }
                segments.push(Segment::Param { name, suffix });
            } else {
                if part.contains([':', '{', '}', '*']) {
                    return Err(err("unexpected special character in a literal segment"));
                }
                // `/` alone parses as one empty literal segment.
                segments.push(Segment::Literal(part.to_string()));
            }
        }
        let mut splats = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Segment::Splat { .. }))
            .map(|(i, _)| i);
        let splat = splats.next();
        if splats.next().is_some() {
            return Err(err("more than one splat segment"));
        }
        let params = segments
            .iter()
            .filter(|s| !matches!(s, Segment::Literal(_)))
            .count();
        if params > MAX_PATH_PARAMS {
            return Err(err("more path parameters than `MAX_PATH_PARAMS`"));
        }
        Ok(RoutePattern {
            source: source.to_string(),
            segments,
            splat,
        })
    }

    /// Parameter names, in the order they appear.
    pub fn param_names(&self) -> Vec<&str> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param { name, .. } | Segment::Splat { name } => Some(name.as_str()),
                Segment::Literal(_) => None,
            })
            .collect()
    }

    /// The published form of the route, with `<name>` placeholders (`/worker-pool/<workerPoolId>`).
    pub fn published(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            out.push('/');
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::Param { name, suffix } => {
                    out.push('<');
                    out.push_str(name);
                    out.push('>');
                    out.push_str(suffix);
                }
                Segment::Splat { name } => {
                    out.push('<');
                    out.push_str(name);
                    out.push('>');
                }
            }
        }
        out
    }

    /// Matches a raw path. `Ok(None)`: no match. `Err(name)`: it matched but the value of
    /// parameter `name` is not a valid percent-encoding.
    pub fn match_path(&self, raw_path: &str) -> Result<Option<BTreeMap<String, String>>, String> {
        let matched = self.match_path_with(raw_path, &mut Vec::new())?;
        Ok(matched.map(|p| p.to_map()))
    }

    /// [`RoutePattern::match_path`] with a scratch vector the caller may reuse for every pattern it
    /// tries, giving the parameters borrowed from the pattern and the path (no allocation unless a
    /// value needs percent-decoding).
    pub fn match_path_with<'a>(
        &'a self,
        raw_path: &'a str,
        raw: &mut Vec<(&'a str, &'a str)>,
    ) -> Result<Option<PathParams<'a>>, String> {
        raw.clear();
        if !self.capture(raw_path, raw) {
            return Ok(None);
        }
        let mut params = PathParams::default();
        for &(name, value) in raw.iter() {
            let value = decode_component_borrowed(value).ok_or_else(|| name.to_string())?;
            // Cannot fail: `parse` refuses patterns with more parameters than fit.
            params.insert(name, value).map_err(|_| name.to_string())?;
        }
        Ok(Some(params))
    }

    /// Whether `raw_path` matches; if so `out` receives each parameter's raw (still encoded)
    /// value, in pattern order.
    fn capture<'p, 's>(&'s self, raw_path: &'p str, out: &mut Vec<(&'s str, &'p str)>) -> bool {
        let Some(rest) = raw_path.strip_prefix('/') else {
            return false;
        };
        // Most patterns differ in their first literal segment: a quick test before the rest.
        if let Some(Segment::Literal(first)) = self.segments.first() {
            let starts = rest.strip_prefix(first.as_str());
            if !starts.is_some_and(|after| after.is_empty() || after.starts_with('/')) {
                return false;
            }
        }
        match self.splat {
            None => {
                // One optional trailing slash: the path as it is first, then without it.
                self.capture_parts(&self.segments, rest, out)
                    || rest.strip_suffix('/').is_some_and(|r| {
                        out.clear();
                        self.capture_parts(&self.segments, r, out)
                    })
            }
            Some(at) => self.capture_with_splat(at, rest, out),
        }
    }

    /// A pattern with a splat at segment `at`: the segments before it take one path segment each
    /// from the left, those after it one each from the right, and the splat is what lies between
    /// (greedy: a trailing slash stays in it unless segments follow it).
    fn capture_with_splat<'p, 's>(
        &'s self,
        at: usize,
        rest: &'p str,
        out: &mut Vec<(&'s str, &'p str)>,
    ) -> bool {
        let (before, after) = (&self.segments[..at], &self.segments[at + 1..]);
        let Segment::Splat { name } = &self.segments[at] else {
            return false;
        };
        // `before.len()` segments, each followed by a slash, then the remainder.
        let mut head_end = 0;
        for _ in 0..before.len() {
            match rest[head_end..].find('/') {
                Some(i) => head_end += i + 1,
                None => return false,
            }
        }
        let head = rest[..head_end].strip_suffix('/').unwrap_or("");
        if !before.is_empty() && !self.capture_parts(before, head, out) {
            return false;
        }
        let remainder = &rest[head_end..];
        if after.is_empty() {
            out.push((name.as_str(), remainder));
            return true;
        }
        let mark = out.len();
        // The longest splat first: the tail ends at the very end, else before a trailing slash.
        let ends = std::iter::once(remainder).chain(remainder.strip_suffix('/'));
        for end in ends {
            out.truncate(mark);
            let mut tail_start = end.len();
            let mut found = true;
            for _ in 0..after.len() {
                match end[..tail_start].rfind('/') {
                    Some(i) => tail_start = i,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if !found {
                continue;
            }
            out.push((name.as_str(), &end[..tail_start]));
            if self.capture_parts(after, &end[tail_start + 1..], out) {
                return true;
            }
        }
        false
    }

    /// Matches `segments` (no splat among them) against `text`, one path segment each.
    fn capture_parts<'p, 's>(
        &'s self,
        segments: &'s [Segment],
        text: &'p str,
        out: &mut Vec<(&'s str, &'p str)>,
    ) -> bool {
        let mut parts = text.split('/');
        for segment in segments {
            let Some(part) = parts.next() else {
                return false;
            };
            match segment {
                Segment::Literal(l) => {
                    if part != l {
                        return false;
                    }
                }
                Segment::Param { name, suffix } => match part.strip_suffix(suffix.as_str()) {
                    Some(value) if !value.is_empty() => out.push((name.as_str(), value)),
                    _ => return false,
                },
                Segment::Splat { .. } => return false,
            }
        }
        parts.next().is_none()
    }

    /// Builds a raw path from parameter values, encoding them as the official clients do.
    /// Returns the name of the first missing parameter on failure.
    pub fn build<P: ParamValues + ?Sized>(&self, params: &P) -> Result<String, String> {
        let mut out = String::new();
        for s in &self.segments {
            out.push('/');
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::Param { name, suffix } => {
                    let v = params.value(name).ok_or_else(|| name.clone())?;
                    out.push_str(&encode_component(v));
                    out.push_str(suffix);
                }
                Segment::Splat { name } => {
                    let v = params.value(name).ok_or_else(|| name.clone())?;
                    out.push_str(&encode_component(v));
                }
            }
        }
        Ok(out)
    }
}

/// A request matched to an API method.
#[derive(Debug, Clone)]
pub struct RouteMatch<'c: 'p, 'p> {
    /// The catalog entry of the method.
    pub entry: &'c Entry,
    /// The name the request was routed under: the entry's name, or an alias such as
    /// `workerWithColon` (used in `requestInfo.method` of error bodies).
    pub routed_name: &'c str,
    /// Decoded path parameters (borrowing the pattern and the request's path).
    pub params: PathParams<'p>,
}

/// What the router makes of a `(method, path)`.
#[derive(Debug, Clone)]
pub enum RouteOutcome<'c: 'p, 'p> {
    /// A method of the API.
    Matched(RouteMatch<'c, 'p>),
    /// An `OPTIONS` request on a path some method answers: the methods allowed there.
    Options {
        /// HTTP methods allowed on the path, `HEAD` included where `GET` is.
        allow: Vec<&'static str>,
    },
    /// The route matched, but a parameter is not valid percent-encoding (`%ZZ`).
    BadEncoding {
        /// The method the path matched.
        entry: &'c Entry,
        /// The offending parameter.
        param: String,
    },
    /// No route for this method and path: the real service answers `404 {"error": "Not found"}`.
    NotFound,
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(p: &str, path: &str) -> Option<BTreeMap<String, String>> {
        RoutePattern::parse(p).unwrap().match_path(path).unwrap()
    }

    #[test]
    fn single_segment_params_need_an_encoded_slash() {
        let p = "/workers/:workerPoolId/:workerGroup";
        let got = m(p, "/workers/pp%2Fee/wg").unwrap();
        assert_eq!(got["workerPoolId"], "pp/ee");
        assert_eq!(got["workerGroup"], "wg");
        assert!(m(p, "/workers/pp/ee/wg").is_none());
        assert!(
            m(p, "/workers/pp/wg/").is_some(),
            "trailing slash tolerated"
        );
        assert!(m(p, "/workers//wg").is_none(), "segments are non-empty");
    }

    #[test]
    fn splats_take_slashes_and_may_be_empty() {
        let p = "/worker-pool/{*workerPoolId}";
        assert_eq!(m(p, "/worker-pool/pp/ee").unwrap()["workerPoolId"], "pp/ee");
        assert_eq!(
            m(p, "/worker-pool/pp%2Fee").unwrap()["workerPoolId"],
            "pp/ee"
        );
        assert_eq!(m(p, "/worker-pool/").unwrap()["workerPoolId"], "");
        assert_eq!(m(p, "/worker-pool/a%2Fb/").unwrap()["workerPoolId"], "a/b/");
        let s = "/worker-pool/{*workerPoolId}/stats";
        assert_eq!(m(s, "/worker-pool/p/stats").unwrap()["workerPoolId"], "p");
    }

    #[test]
    fn colon_suffix_is_literal() {
        let p = "/workers/:workerPoolId\\:/:workerGroup";
        let got = m(p, "/workers/pp%2Fee:/wg").unwrap();
        assert_eq!(got["workerPoolId"], "pp/ee");
        assert!(m(p, "/workers/pp%2Fee/wg").is_none());
        assert_eq!(
            RoutePattern::parse(p).unwrap().published(),
            "/workers/<workerPoolId>:/<workerGroup>"
        );
    }

    #[test]
    fn literals_are_case_sensitive() {
        assert!(m("/worker-pools", "/Worker-pools").is_none());
        assert!(m("/worker-pools", "/worker-pools/").is_some());
    }

    #[test]
    fn bad_escapes_are_reported() {
        let p = RoutePattern::parse("/worker-pool/{*workerPoolId}").unwrap();
        assert_eq!(p.match_path("/worker-pool/%ZZ"), Err("workerPoolId".into()));
        assert_eq!(decode_component("a+b%20c"), Some("a+b c".into()));
        assert_eq!(decode_component("%"), None);
        assert_eq!(decode_component("%ff"), None, "not UTF-8");
        // Values without an escape are lent, not copied.
        assert!(matches!(
            decode_component_borrowed("a+b"),
            Some(Cow::Borrowed("a+b"))
        ));
        let p = RoutePattern::parse("/workers/:a/:b").unwrap();
        let path = "/workers/x%2Fy/z";
        let got = p.match_path_with(path, &mut Vec::new()).unwrap().unwrap();
        assert_eq!((got.get("a"), got.get("b")), (Some("x/y"), Some("z")));
        assert_eq!(got.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn patterns_hold_at_most_max_path_params() {
        let names: Vec<String> = (0..=MAX_PATH_PARAMS).map(|i| format!("/:p{i}")).collect();
        let ok: String = names[..MAX_PATH_PARAMS].concat();
        assert!(RoutePattern::parse(&ok).is_ok());
        let err = RoutePattern::parse(&names.concat()).unwrap_err();
        assert!(err.reason.contains("MAX_PATH_PARAMS"), "{err}");
    }

    #[test]
    fn build_encodes_like_the_clients() {
        let p = RoutePattern::parse("/worker-pool/{*workerPoolId}").unwrap();
        let params = BTreeMap::from([("workerPoolId".to_string(), "a/b".to_string())]);
        assert_eq!(p.build(&params).unwrap(), "/worker-pool/a%2Fb");
        assert_eq!(p.build(&BTreeMap::new()), Err("workerPoolId".into()));
    }

    /// The regular expression the router's rules translate to (what `path-to-regexp` builds):
    /// the oracle the segment matcher is checked against.
    fn oracle(p: &RoutePattern) -> regex::Regex {
        let mut re = String::from("^");
        for s in &p.segments {
            re.push('/');
            match s {
                Segment::Literal(l) => re.push_str(&regex::escape(l)),
                Segment::Param { suffix, .. } => {
                    re.push_str("([^/]+?)");
                    re.push_str(&regex::escape(suffix));
                }
                Segment::Splat { .. } => re.push_str("(.*)"),
            }
        }
        re.push_str("/?$");
        regex::Regex::new(&re).unwrap()
    }

    fn oracle_match(p: &RoutePattern, path: &str) -> Option<Vec<String>> {
        let caps = oracle(p).captures(path)?;
        Some(
            (1..caps.len())
                .map(|i| caps.get(i).map_or("", |m| m.as_str()).to_string())
                .collect(),
        )
    }

    fn segment_source() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec!["a", "b", "ab", "stats"]).prop_map(str::to_string),
            2 => prop::sample::select(vec![":x", ":y\\:"]).prop_map(str::to_string),
            1 => Just("{*s}".to_string()),
        ]
    }

    fn pattern_source() -> impl Strategy<Value = String> {
        prop::collection::vec(segment_source(), 1..5).prop_map(|parts| {
            // At most one splat; later ones become literals.
            let mut seen = false;
            let parts: Vec<String> = parts
                .into_iter()
                .map(|p| {
                    if p.starts_with("{*") {
                        if seen {
                            return "a".to_string();
                        }
                        seen = true;
                    }
                    p
                })
                .collect();
            format!("/{}", parts.join("/"))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The segment matcher agrees with the regular expression on which paths match and on
        /// every captured value.
        #[test]
        fn segment_matching_agrees_with_the_regex(
            pattern in pattern_source(),
            path in "/[ab:/s%]{0,14}",
        ) {
            let p = RoutePattern::parse(&pattern).unwrap();
            let mut raw = Vec::new();
            let got = p
                .capture(&path, &mut raw)
                .then(|| raw.iter().map(|(_, v)| v.to_string()).collect::<Vec<_>>());
            prop_assert_eq!(got, oracle_match(&p, &path), "pattern {} path {}", pattern, path);
        }

        /// Paths built from a pattern's own parameters match it and give the values back.
        #[test]
        fn built_paths_match_back(
            pattern in pattern_source(),
            values in prop::collection::vec("[ab/:%]{1,4}", 4),
        ) {
            let p = RoutePattern::parse(&pattern).unwrap();
            let params: BTreeMap<String, String> = p
                .param_names()
                .into_iter()
                .zip(values)
                .map(|(n, v)| (n.to_string(), v))
                .collect();
            let path = p.build(&params).unwrap();
            let mut raw = Vec::new();
            prop_assert!(p.capture(&path, &mut raw));
            prop_assert_eq!(
                oracle_match(&p, &path),
                Some(raw.iter().map(|(_, v)| v.to_string()).collect::<Vec<_>>())
            );
        }
    }

    #[test]
    fn root_and_colon_edge_cases_match_like_the_regex() {
        for (pattern, paths) in [
            ("/", vec!["/", "//", "/a", ""]),
            (
                "/workers/:x\\:",
                vec!["/workers/a::", "/workers/:", "/workers/a:/", "/workers/a"],
            ),
            (
                "/w/{*s}/stats",
                vec!["/w//stats", "/w/stats", "/w/a/stats/stats/", "/w/a/stats//"],
            ),
            ("/w/{*s}/:x", vec!["/w/a/b/c", "/w/a/", "/w//", "/w/a/b/"]),
        ] {
            let p = RoutePattern::parse(pattern).unwrap();
            for path in paths {
                let mut raw = Vec::new();
                let got = p
                    .capture(path, &mut raw)
                    .then(|| raw.iter().map(|(_, v)| v.to_string()).collect::<Vec<_>>());
                assert_eq!(got, oracle_match(&p, path), "{pattern} on {path:?}");
            }
        }
    }

    #[test]
    fn malformed_patterns_are_rejected() {
        assert!(RoutePattern::parse("no-slash").is_err());
        assert!(RoutePattern::parse("/a/:").is_err());
        assert!(RoutePattern::parse("/a/{*}").is_err());
        assert!(RoutePattern::parse("/{*a}/{*b}").is_err());
    }
}

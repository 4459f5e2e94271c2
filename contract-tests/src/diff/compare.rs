//! Comparing what two deployments answered to the same call, after normalizing what legitimately
//! differs between them (see the README chapter `wm-contract diff` for the list and the reasons).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker_manager_schemas::Entry;

use crate::server::Response;

/// What a side's run prefix is replaced with before comparing.
pub const RUN_PLACEHOLDER: &str = "wm-contract-<run>";
/// What generated ids and secrets are replaced with.
pub const GENERATED: &str = "<generated>";
/// What a continuation token is replaced with (tokens are opaque: only presence counts).
pub const TOKEN: &str = "<token>";
/// What a side's static provider id is replaced with.
pub const STATIC_PROVIDER: &str = "<static-provider>";

/// Fields whose values each service makes up on its own (slugids, secrets, credentials, the
/// process uptime of `ping`): compared by presence only (and `null` stays `null`).
const GENERATED_FIELDS: &[&str] = &["errorId", "secret", "accessToken", "certificate", "uptime"];

/// List methods whose order the API does not promise: workers are listed newest `created` first
/// and errors by `reported`, with no defined order among equal timestamps (behavior reference
/// §8). Their items are compared as a set. Other lists (pools and stats by id, providers in
/// configuration order, launch configs by id, queue workers by pool/group/id) keep their order.
pub const UNORDERED: &[&str] = &[
    "listWorkersForWorkerPool",
    "listWorkersForWorkerGroup",
    "listWorkerPoolErrors",
];

/// At most this many differences are kept per call (one wrong field often drags others along).
const MAX_DIFFERENCES: usize = 20;

/// The kind of a divergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// One side answered, the other did not (connection refused, reset, timeout).
    Transport,
    /// Different HTTP status.
    Status,
    /// Same error status, different error `code`.
    Code,
    /// A list paged differently: another number of pages, of items on a page, or a
    /// `continuationToken` on one side only.
    Paging,
    /// A field the reference sent and the candidate did not.
    MissingField,
    /// A field the candidate sent and the reference did not.
    ExtraField,
    /// A value that differs (after normalization), or a body that is JSON on one side only.
    Body,
}

impl Kind {
    /// The name used in reports and allow files (`missing-field`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Transport => "transport",
            Kind::Status => "status",
            Kind::Code => "code",
            Kind::Paging => "paging",
            Kind::MissingField => "missing-field",
            Kind::ExtraField => "extra-field",
            Kind::Body => "body",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the two answers to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What differs.
    pub kind: Kind,
    /// Where: a JSON pointer into the (normalized) body, `""` for the whole answer.
    pub pointer: String,
    /// The reference's side of it, in short.
    pub reference: String,
    /// The candidate's side of it, in short.
    pub candidate: String,
}

/// What is particular to one side and normalized away.
#[derive(Debug, Clone)]
pub struct SideNames {
    /// The side's run prefix (`wm-contract-1a2b3c4d`).
    pub prefix: String,
    /// The side's static provider id, if it has one.
    pub static_provider: Option<String>,
}

/// How to compare.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Two timestamps this close (milliseconds) are the same.
    pub time_ms: i64,
}

/// The pages one side answered to one call (one page for a call that does not page).
pub type Pages<'a> = &'a [&'a Result<Response, String>];

/// Compares the answers of the two sides to one call of `entry` (all its pages), after
/// normalization. Empty when they agree.
pub fn compare_call(
    entry: &Entry,
    reference: Pages<'_>,
    candidate: Pages<'_>,
    names: (&SideNames, &SideNames),
    tolerance: Tolerance,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (r, c) in reference.iter().zip(candidate.iter()) {
        if let Some(d) = compare_envelope(r, c) {
            out.push(d);
            return out;
        }
    }
    let oks = |pages: Pages<'_>| -> Vec<Response> {
        pages
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .filter(|r| (200..300).contains(&r.status))
            .cloned()
            .collect()
    };
    let (r_ok, c_ok) = (oks(reference), oks(candidate));
    if r_ok.is_empty() || r_ok.len() != reference.len() || c_ok.len() != candidate.len() {
        // Errors (or no answer on both sides): status, code and transport were compared above.
        return out;
    }
    let parse = |pages: &[Response], n: &SideNames| -> Option<Vec<Value>> {
        pages
            .iter()
            .map(|p| p.json().map(|v| normalize(&v, n, None)))
            .collect()
    };
    match (parse(&r_ok, names.0), parse(&c_ok, names.1)) {
        (Some(rv), Some(cv)) => {
            if rv.iter().chain(&cv).any(is_deployment_aggregate) {
                // Counts over the whole deployment include other users' data.
            } else if is_list(entry) {
                compare_list(entry, &rv, &cv, tolerance, &mut out);
            } else if let (Some(r), Some(c)) = (rv.first(), cv.first()) {
                compare_values(r, c, "", tolerance, &mut out);
            }
        }
        (None, None) => {
            let text = |r: &Response, n: &SideNames| r.body.replace(&n.prefix, RUN_PLACEHOLDER);
            let (r, c) = (text(&r_ok[0], names.0), text(&c_ok[0], names.1));
            if r != c {
                out.push(body_difference("", short_str(&r), short_str(&c)));
            }
        }
        (r, _) => out.push(body_difference(
            "",
            if r.is_some() { "JSON" } else { "not JSON" }.into(),
            if r.is_some() { "not JSON" } else { "JSON" }.into(),
        )),
    }
    out.truncate(MAX_DIFFERENCES);
    out
}

/// Transport, status and error code of one page.
fn compare_envelope(
    r: &Result<Response, String>,
    c: &Result<Response, String>,
) -> Option<Difference> {
    let whole = |kind, reference: String, candidate: String| Difference {
        kind,
        pointer: String::new(),
        reference,
        candidate,
    };
    match (r, c) {
        (Err(_), Err(_)) => None,
        (Ok(r), Err(e)) => Some(whole(Kind::Transport, r.status.to_string(), no_answer(e))),
        (Err(e), Ok(c)) => Some(whole(Kind::Transport, no_answer(e), c.status.to_string())),
        (Ok(r), Ok(c)) if r.status != c.status => Some(whole(
            Kind::Status,
            r.status.to_string(),
            c.status.to_string(),
        )),
        (Ok(r), Ok(c)) if r.status >= 300 => {
            let (rc, cc) = (error_code(r), error_code(c));
            (rc != cc).then(|| {
                let show = |c: Option<String>| c.unwrap_or_else(|| "(no code)".into());
                Difference {
                    kind: Kind::Code,
                    pointer: "/code".into(),
                    reference: show(rc),
                    candidate: show(cc),
                }
            })
        }
        _ => None,
    }
}

fn no_answer(e: &str) -> String {
    format!("no answer ({})", short_str(e))
}

/// The `code` of an error body.
pub fn error_code(r: &Response) -> Option<String> {
    r.json()
        .and_then(|b| b.get("code").and_then(Value::as_str).map(str::to_string))
}

/// A method that pages (declares a `limit` query key).
fn is_list(entry: &Entry) -> bool {
    entry.query_param("limit").is_some()
}

/// A list of the whole deployment (no path parameter), where other users' items mix with the
/// run's: only the run's items are compared, and only when both sides listed to the end.
fn is_global_list(entry: &Entry) -> bool {
    is_list(entry) && entry.args.is_empty()
}

/// An answer about the whole deployment rather than the run's pools: `workerPoolErrorStats`
/// without a pool answers `workerPoolId: ""` and counts every user's errors. Only its status is
/// compared.
fn is_deployment_aggregate(page: &Value) -> bool {
    page.get("workerPoolId").and_then(Value::as_str) == Some("")
}

/// The array-valued top-level field of a list page (`workerPools`, `workers`, ...).
fn list_key(page: &Value) -> Option<String> {
    page.as_object()?
        .iter()
        .find(|(_, v)| v.is_array())
        .map(|(k, _)| k.clone())
}

fn items(page: &Value, key: &str) -> Vec<Value> {
    page.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn has_token(page: &Value) -> bool {
    page.get("continuationToken").is_some()
}

/// Compares the pages of a list: page shapes (items per page, tokens), then the items of all
/// pages together (as a set for [`UNORDERED`] methods), then the other top-level fields.
fn compare_list(
    entry: &Entry,
    reference: &[Value],
    candidate: &[Value],
    tolerance: Tolerance,
    out: &mut Vec<Difference>,
) {
    let Some(key) = reference
        .first()
        .and_then(list_key)
        .or_else(|| candidate.first().and_then(list_key))
    else {
        if let (Some(r), Some(c)) = (reference.first(), candidate.first()) {
            compare_values(r, c, "", tolerance, out);
        }
        return;
    };
    let pointer = format!("/{}", escape(&key));
    let mut r_items: Vec<Value> = reference.iter().flat_map(|p| items(p, &key)).collect();
    let mut c_items: Vec<Value> = candidate.iter().flat_map(|p| items(p, &key)).collect();
    if is_global_list(entry) {
        let complete = |pages: &[Value]| pages.last().is_some_and(|p| !has_token(p));
        if !complete(reference) || !complete(candidate) {
            return;
        }
        r_items.retain(own_item);
        c_items.retain(own_item);
    } else {
        for (n, (r, c)) in reference.iter().zip(candidate).enumerate() {
            let (rn, cn) = (items(r, &key).len(), items(c, &key).len());
            if rn != cn {
                out.push(Difference {
                    kind: Kind::Paging,
                    pointer: pointer.clone(),
                    reference: format!("page {}: {rn} items", n + 1),
                    candidate: format!("page {}: {cn} items", n + 1),
                });
                return;
            }
            if has_token(r) != has_token(c) {
                let show = |t: bool| if t { "a token" } else { "no token" };
                out.push(Difference {
                    kind: Kind::Paging,
                    pointer: "/continuationToken".into(),
                    reference: format!("page {}: {}", n + 1, show(has_token(r))),
                    candidate: format!("page {}: {}", n + 1, show(has_token(c))),
                });
                return;
            }
        }
    }
    if reference.len() != candidate.len() && !is_global_list(entry) {
        out.push(Difference {
            kind: Kind::Paging,
            pointer: String::new(),
            reference: format!("{} pages", reference.len()),
            candidate: format!("{} pages", candidate.len()),
        });
        return;
    }
    if UNORDERED.contains(&entry.name.as_str()) {
        r_items.sort_by(order_key);
        c_items.sort_by(order_key);
    }
    compare_values(
        &Value::Array(r_items),
        &Value::Array(c_items),
        &pointer,
        tolerance,
        out,
    );
    let rest = |page: Option<&Value>| -> Value {
        let mut m = page.and_then(Value::as_object).cloned().unwrap_or_default();
        m.remove(&key);
        m.remove("continuationToken");
        Value::Object(m)
    };
    compare_values(
        &rest(reference.first()),
        &rest(candidate.first()),
        "",
        tolerance,
        out,
    );
}

/// Whether a (normalized) list item belongs to the run: items naming a pool outside the run
/// prefix are other users' (or, when both sides are one deployment, the other side's).
fn own_item(item: &Value) -> bool {
    match item.get("workerPoolId").and_then(Value::as_str) {
        Some(id) => id.starts_with(&format!("{RUN_PLACEHOLDER}/")),
        None => true,
    }
}

/// Sorting unordered list items: by content with timestamps blanked (they differ within the
/// tolerance between the sides).
fn order_key(a: &Value, b: &Value) -> Ordering {
    blank_times(a).to_string().cmp(&blank_times(b).to_string())
}

fn blank_times(v: &Value) -> Value {
    map_strings(v, &|s| {
        if parse_time(s).is_some() {
            "<time>".to_string()
        } else {
            s.to_string()
        }
    })
}

/// `v` with `f` applied to every string (object keys aside).
pub fn map_strings(v: &Value, f: &impl Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(f(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| map_strings(x, f)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), map_strings(x, f)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One side's body with what legitimately differs replaced: the run prefix in every string,
/// generated ids, secrets and credentials, continuation tokens, the static provider's id.
pub fn normalize(v: &Value, names: &SideNames, parent: Option<&str>) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(&names.prefix, RUN_PLACEHOLDER)),
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize(x, names, parent)).collect()),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let key = k.replace(&names.prefix, RUN_PLACEHOLDER);
                let generated = GENERATED_FIELDS.contains(&k.as_str())
                    || (k == "clientId" && parent == Some("credentials"));
                let value = match x {
                    Value::Null => Value::Null,
                    _ if generated => Value::String(GENERATED.into()),
                    Value::String(_) if k == "continuationToken" => Value::String(TOKEN.into()),
                    Value::String(p)
                        if k == "providerId" && names.static_provider.as_deref() == Some(p) =>
                    {
                        Value::String(STATIC_PROVIDER.into())
                    }
                    _ => normalize(x, names, Some(k)),
                };
                out.insert(key, value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn body_difference(pointer: &str, reference: String, candidate: String) -> Difference {
    Difference {
        kind: Kind::Body,
        pointer: pointer.to_string(),
        reference,
        candidate,
    }
}

/// Compares two normalized values; differences are pushed with their JSON pointers.
fn compare_values(r: &Value, c: &Value, pointer: &str, t: Tolerance, out: &mut Vec<Difference>) {
    if out.len() >= MAX_DIFFERENCES {
        return;
    }
    match (r, c) {
        (Value::Object(rm), Value::Object(cm)) => {
            for (k, rv) in rm {
                let p = format!("{pointer}/{}", escape(k));
                match cm.get(k) {
                    Some(cv) => compare_values(rv, cv, &p, t, out),
                    None => out.push(Difference {
                        kind: Kind::MissingField,
                        pointer: p,
                        reference: short(rv),
                        candidate: "(absent)".into(),
                    }),
                }
            }
            for (k, cv) in cm.iter().filter(|(k, _)| !rm.contains_key(*k)) {
                out.push(Difference {
                    kind: Kind::ExtraField,
                    pointer: format!("{pointer}/{}", escape(k)),
                    reference: "(absent)".into(),
                    candidate: short(cv),
                });
            }
        }
        (Value::Array(ra), Value::Array(ca)) if ra.len() != ca.len() => out.push(body_difference(
            pointer,
            format!("{} items", ra.len()),
            format!("{} items", ca.len()),
        )),
        (Value::Array(ra), Value::Array(ca)) => {
            for (i, (rv, cv)) in ra.iter().zip(ca).enumerate() {
                compare_values(rv, cv, &format!("{pointer}/{i}"), t, out);
            }
        }
        (Value::String(rs), Value::String(cs)) => {
            let same = match (parse_time(rs), parse_time(cs)) {
                (Some(a), Some(b)) => (a - b).abs() <= t.time_ms,
                _ => rs == cs,
            };
            if !same {
                out.push(body_difference(pointer, short(r), short(c)));
            }
        }
        _ if r != c => out.push(body_difference(pointer, short(r), short(c))),
        _ => {}
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn short(v: &Value) -> String {
    short_str(&v.to_string())
}

fn short_str(s: &str) -> String {
    crate::server::truncate(s, 120)
}

/// Parses an RFC 3339 date-time (`2026-11-29T03:04:05.678Z`, or with an offset) to
/// milliseconds since the epoch; `None` for anything else.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut ms = frac.get(..digits.min(3))?.to_string();
        while ms.len() < 3 {
            ms.push('0');
        }
        millis = ms.parse().ok()?;
        rest = frac.get(digits..)?;
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let o = rest.as_bytes();
            if o.len() != 6 || !matches!(o[0], b'+' | b'-') || o[3] != b':' {
                return None;
            }
            let sign = if o[0] == b'-' { -1 } else { 1 };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 60 + om)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(parse_time("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_time("2000-03-01T00:00:00Z"), Some(951_868_800_000));
        assert_eq!(parse_time("wm-contract stateful pool"), None);
        assert_eq!(parse_time("2000-03-01T00:00:00"), None);
    }

    #[test]
    fn normalization_and_differences() {
        let names = SideNames {
            prefix: "wm-contract-aaaa".into(),
            static_provider: Some("static".into()),
        };
        let other = SideNames {
            prefix: "wm-contract-bbbb".into(),
            static_provider: Some("static-2".into()),
        };
        let r = normalize(
            &serde_json::json!({"workerPoolId": "wm-contract-aaaa/x", "providerId": "static",
                "credentials": {"clientId": "a", "accessToken": "b"}, "created": "2026-01-01T00:00:00.000Z"}),
            &names,
            None,
        );
        let c = normalize(
            &serde_json::json!({"workerPoolId": "wm-contract-bbbb/x", "providerId": "static-2",
                "credentials": {"clientId": "c", "accessToken": "d"}, "created": "2026-01-01T00:01:00.000Z"}),
            &other,
            None,
        );
        let mut out = Vec::new();
        compare_values(&r, &c, "", Tolerance { time_ms: 300_000 }, &mut out);
        assert!(out.is_empty(), "{out:?}");
        compare_values(&r, &c, "", Tolerance { time_ms: 1000 }, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].pointer, "/created");
    }
}

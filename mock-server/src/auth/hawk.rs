//! The Hawk `Authorization` header: parsing with the exact rules (and failure texts) of the real
//! server's hawk library, the normalized string a MAC covers, the MAC itself, the payload hash, and
//! constant-time comparison.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::js;

/// Longest `Authorization` header (in UTF-16 units) the server looks at.
pub const MAX_HEADER_LENGTH: usize = 4096;

/// The attribute names the server accepts.
const ATTRIBUTE_NAMES: [&str; 8] = ["id", "ts", "nonce", "hash", "ext", "mac", "app", "dlg"];

/// Why an `Authorization` header was refused before any credential was looked at. Display gives
/// the hawk library's message; [`HeaderError::reply_error`] the HTTP error name it comes with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The scheme is not `Hawk` (e.g. `Bearer x`).
    #[error("Unauthorized")]
    NotHawk,
    /// No scheme word, or `Hawk` with nothing after it.
    #[error("Invalid header syntax")]
    InvalidSyntax,
    /// Text that is not a well-formed `name="value"` pair list.
    #[error("Bad header format")]
    BadFormat,
    /// An attribute name outside `id ts nonce hash ext mac app dlg`.
    #[error("Unknown attribute: {0}")]
    UnknownAttribute(String),
    /// The same attribute twice.
    #[error("Duplicate attribute: {0}")]
    DuplicateAttribute(String),
    /// An empty value, or one with a character outside the allowed set.
    #[error("Bad attribute value: {0}")]
    BadAttributeValue(String),
    /// One of `id`, `ts`, `nonce`, `mac` is absent.
    #[error("Missing attributes")]
    MissingAttributes,
    /// The header is longer than [`MAX_HEADER_LENGTH`].
    #[error("Header length too long")]
    TooLong,
}

impl HeaderError {
    /// The HTTP error name the server puts before the message (`Bad Request: ...`).
    pub fn reply_error(&self) -> &'static str {
        match self {
            HeaderError::NotHawk => "Unauthorized",
            _ => "Bad Request",
        }
    }
}

/// The attributes of a parsed Hawk header, verbatim (borrowed from the header text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HawkHeader<'a> {
    /// `id`: the clientId (for named temporary credentials, the temporary name).
    pub id: Option<&'a str>,
    /// `ts`: the timestamp in seconds, as sent.
    pub ts: Option<&'a str>,
    /// `nonce`.
    pub nonce: Option<&'a str>,
    /// `mac`: standard base64 of the HMAC.
    pub mac: Option<&'a str>,
    /// `hash`: standard base64 of the payload hash.
    pub hash: Option<&'a str>,
    /// `ext`: base64 of a JSON object (certificate, authorizedScopes).
    pub ext: Option<&'a str>,
    /// `app` (Oz; no Taskcluster client sends it).
    pub app: Option<&'a str>,
    /// `dlg` (Oz; no Taskcluster client sends it).
    pub dlg: Option<&'a str>,
}

/// The four attributes every Hawk header must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredAttributes<'a> {
    /// `id`.
    pub id: &'a str,
    /// `ts`.
    pub ts: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// `mac`.
    pub mac: &'a str,
}

impl<'a> HawkHeader<'a> {
    /// `id`, `ts`, `nonce` and `mac`, or [`HeaderError::MissingAttributes`].
    pub fn required(&self) -> Result<RequiredAttributes<'_>, HeaderError> {
        match (&self.id, &self.ts, &self.nonce, &self.mac) {
            (Some(id), Some(ts), Some(nonce), Some(mac)) => {
                Ok(RequiredAttributes { id, ts, nonce, mac })
            }
            _ => Err(HeaderError::MissingAttributes),
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<&'a str>> {
        Some(match name {
            "id" => &mut self.id,
            "ts" => &mut self.ts,
            "nonce" => &mut self.nonce,
            "mac" => &mut self.mac,
            "hash" => &mut self.hash,
            "ext" => &mut self.ext,
            "app" => &mut self.app,
            "dlg" => &mut self.dlg,
            _ => return None,
        })
    }
}

/// Parses an `Authorization` header value the way the server's hawk library does. The checks run
/// in its order (length, syntax, scheme, then every attribute pair); when several pairs are bad,
/// the last problem found is reported. Required attributes are checked separately
/// ([`HawkHeader::required`]).
pub fn parse_authorization_header(header: &str) -> Result<HawkHeader<'_>, HeaderError> {
    if header.is_empty() {
        return Err(HeaderError::NotHawk);
    }
    // UTF-16 length as JavaScript counts it; an ASCII header's is its byte length.
    let length = if header.is_ascii() {
        header.len()
    } else {
        js::utf16_len(header)
    };
    if length > MAX_HEADER_LENGTH {
        return Err(HeaderError::TooLong);
    }
    let (scheme, attributes) = split_scheme(header).ok_or(HeaderError::InvalidSyntax)?;
    if !scheme.eq_ignore_ascii_case("hawk") {
        return Err(HeaderError::NotHawk);
    }
    if attributes.is_empty() {
        return Err(HeaderError::InvalidSyntax);
    }
    parse_attributes(attributes)
}

/// Splits `scheme[<whitespace> rest]`; `None` when the header does not have that shape (the
/// scheme is one or more word characters, `rest` runs to the end without a line break).
fn split_scheme(header: &str) -> Option<(&str, &str)> {
    let scheme_len = header
        .find(|c: char| !js::is_word(c))
        .unwrap_or(header.len());
    if scheme_len == 0 {
        return None;
    }
    let (scheme, tail) = header.split_at(scheme_len);
    if tail.is_empty() {
        return Some((scheme, ""));
    }
    if !tail.starts_with(js::is_whitespace) {
        return None;
    }
    let rest = tail.trim_start_matches(js::is_whitespace);
    let has_line_break = if rest.is_ascii() {
        rest.bytes().any(|b| b == b'\n' || b == b'\r')
    } else {
        rest.contains(js::is_line_terminator)
    };
    if has_line_break {
        return None;
    }
    Some((scheme, rest))
}

/// One `name="value"` pair found at some position, and where the text after it starts.
struct Pair<'t> {
    name: &'t str,
    value: &'t str,
    end: usize,
}

/// The character of `text` that starts at byte `at`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|t| t.chars().next())
}

/// `at` moved past the JavaScript whitespace that starts there.
fn skip_whitespace(text: &str, mut at: usize) -> usize {
    while let Some(c) = char_at(text, at).filter(|c| js::is_whitespace(*c)) {
        at += c.len_utf8();
    }
    at
}

/// Tries to read `name="value"`, optional whitespace, then a comma (and whitespace) or the end,
/// starting exactly at byte `start` (a character boundary). The delimiters are ASCII, so the scan
/// works on bytes; only whitespace, which may be wider, is read as characters.
fn pair_at(text: &str, start: usize) -> Option<Pair<'_>> {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() && js::is_word(char::from(bytes[i])) {
        i += 1;
    }
    if i == start || bytes.get(i) != Some(&b'=') || bytes.get(i + 1) != Some(&b'"') {
        return None;
    }
    let value_start = i + 2;
    let mut j = value_start;
    while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\\' {
        j += 1;
    }
    if bytes.get(j) != Some(&b'"') {
        return None;
    }
    let mut k = skip_whitespace(text, j + 1);
    if k < bytes.len() {
        if bytes[k] != b',' {
            return None;
        }
        k = skip_whitespace(text, k + 1);
    }
    Some(Pair {
        name: &text[start..i],
        value: &text[value_start..j],
        end: k,
    })
}

/// Scans the attribute text for pairs anywhere in it (like a global regular-expression replace):
/// any character not inside a pair makes the header malformed.
fn parse_attributes(text: &str) -> Result<HawkHeader<'_>, HeaderError> {
    let mut header = HawkHeader::default();
    let mut problem: Option<HeaderError> = None;
    let mut leftover = false;
    let mut pos = 0;
    while let Some(c) = char_at(text, pos) {
        let Some(pair) = pair_at(text, pos) else {
            leftover = true;
            pos += c.len_utf8();
            continue;
        };
        pos = pair.end;
        if !ATTRIBUTE_NAMES.contains(&pair.name) {
            problem = Some(HeaderError::UnknownAttribute(pair.name.to_string()));
        } else if !is_valid_attribute_value(pair.value) {
            problem = Some(HeaderError::BadAttributeValue(pair.name.to_string()));
        } else if let Some(slot) = header.slot(pair.name) {
            if slot.is_some() {
                problem = Some(HeaderError::DuplicateAttribute(pair.name.to_string()));
            } else {
                *slot = Some(pair.value);
            }
        }
    }
    match problem {
        Some(p) => Err(p),
        None if leftover => Err(HeaderError::BadFormat),
        None => Ok(header),
    }
}

/// Whether an attribute value is non-empty and uses only space, ASCII letters and digits, and
/// ``! # $ % & ' ( ) * + , - . / : ; < = > ? @ [ ] ^ _ ` { | } ~``.
pub fn is_valid_attribute_value(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| ATTRIBUTE_VALUE_BYTES[usize::from(b)])
}

/// Which bytes an attribute value may hold (see [`is_valid_attribute_value`]), as a table: the
/// check runs on every byte of every signed request.
static ATTRIBUTE_VALUE_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c == b' ' || c.is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"!#$%&'()*+,-./:;<=>?@[]^_`{|}~";
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
};

/// Which of the two normalized-string types a MAC is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacKind {
    /// An `Authorization` header (`hawk.1.header`).
    Header,
    /// A bewit in a signed URL (`hawk.1.bewit`).
    Bewit,
}

/// Everything the normalized string is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacInput<'a> {
    /// Header or bewit.
    pub kind: MacKind,
    /// The `ts` attribute verbatim (for a bewit: its expiry).
    pub ts: &'a str,
    /// The nonce (empty for a bewit).
    pub nonce: &'a str,
    /// The request method (upper-cased in the string).
    pub method: &'a str,
    /// The raw request target, path plus query.
    pub resource: &'a str,
    /// The host name (lower-cased in the string).
    pub host: &'a str,
    /// The port.
    pub port: u16,
    /// The `hash` attribute, if any.
    pub hash: Option<&'a str>,
    /// The `ext` attribute, if any.
    pub ext: Option<&'a str>,
    /// The `app` attribute, if any.
    pub app: Option<&'a str>,
    /// The `dlg` attribute, if any.
    pub dlg: Option<&'a str>,
}

/// The normalized string the MAC covers: nine lines each ending in `\n` (type, ts, nonce,
/// METHOD, resource, host, port, hash, ext), plus `app` and `dlg` lines when `app` is present.
pub fn normalized_string(input: &MacInput<'_>) -> String {
    use std::fmt::Write as _;
    let kind = match input.kind {
        MacKind::Header => "header",
        MacKind::Bewit => "bewit",
    };
    let resource = resource_path(input.resource);
    let mut out = String::with_capacity(
        64 + input.ts.len() + input.nonce.len() + resource.len() + input.host.len(),
    );
    for line in ["hawk.1.", kind, "\n", input.ts, "\n", input.nonce, "\n"] {
        out.push_str(line);
    }
    // Upper- and lower-casing allocate only when there is something to change.
    if input.method.bytes().any(|b| !b.is_ascii_uppercase()) {
        out.push_str(&input.method.to_uppercase());
    } else {
        out.push_str(input.method);
    }
    out.push('\n');
    out.push_str(&resource);
    out.push('\n');
    if input
        .host
        .bytes()
        .any(|b| !b.is_ascii_lowercase() && !b".-:0123456789".contains(&b))
    {
        out.push_str(&input.host.to_lowercase());
    } else {
        out.push_str(input.host);
    }
    let _ = write!(out, "\n{}\n{}\n", input.port, input.hash.unwrap_or(""));
    if let Some(ext) = input.ext.filter(|e| !e.is_empty()) {
        if ext.contains(['\\', '\n']) {
            out.push_str(&ext.replace('\\', "\\\\").replace('\n', "\\n"));
        } else {
            out.push_str(ext);
        }
    }
    out.push('\n');
    if let Some(app) = input.app.filter(|a| !a.is_empty()) {
        out.push_str(app);
        out.push('\n');
        out.push_str(input.dlg.unwrap_or(""));
        out.push('\n');
    }
    out
}

/// The path-plus-query part of a request target. Origin-form targets (`/...`) are used as they
/// are; for an absolute-form target (`http://host/p?q`) the scheme and authority are dropped.
fn resource_path(resource: &str) -> std::borrow::Cow<'_, str> {
    if resource.is_empty() || resource.starts_with('/') {
        return resource.into();
    }
    let Some((_, after_scheme)) = resource.split_once("://") else {
        return resource.into();
    };
    let path_start = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let path = &after_scheme[path_start..];
    let path = path.split('#').next().unwrap_or("");
    if path.starts_with('/') {
        path.to_string().into()
    } else {
        format!("/{path}").into()
    }
}

/// The MAC of a normalized string: standard base64 of HMAC-SHA256 keyed with `key` (for Taskcluster,
/// the UTF-8 bytes of the accessToken string, never base64-decoded).
pub fn compute_mac(key: &[u8], normalized: &str) -> String {
    STANDARD.encode(hmac_sha256(key, normalized.as_bytes()))
}

/// Raw HMAC-SHA256 of `message` keyed with `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The content type as it enters the payload hash: parameters after `;` removed, trimmed,
/// lower-cased; empty when absent.
pub fn normalize_content_type(content_type: Option<&str>) -> String {
    let Some(ct) = content_type else {
        return String::new();
    };
    js::trim(ct.split(';').next().unwrap_or("")).to_lowercase()
}

/// The Hawk payload hash: standard base64 of SHA-256 over
/// `hawk.1.payload\n<content type>\n<body>\n`, the content type normalized
/// ([`normalize_content_type`]).
pub fn payload_hash(content_type: Option<&str>, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"hawk.1.payload\n");
    hasher.update(normalize_content_type(content_type).as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.update(b"\n");
    STANDARD.encode(hasher.finalize())
}

/// Compares two strings in constant time (for equal lengths); strings of different lengths are
/// simply unequal.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_vectors::{self, HeaderVector};
    use proptest::prelude::*;

    fn parse(h: &str) -> Result<HawkHeader<'_>, HeaderError> {
        parse_authorization_header(h)
    }

    fn header_input<'a>(v: &'a HeaderVector, h: &'a HawkHeader, resource: &'a str) -> MacInput<'a> {
        MacInput {
            kind: MacKind::Header,
            ts: h.ts.unwrap_or(""),
            nonce: h.nonce.unwrap_or(""),
            method: v.method,
            resource,
            host: v.host,
            port: v.port,
            hash: h.hash,
            ext: h.ext,
            app: None,
            dlg: None,
        }
    }

    #[test]
    fn header_vectors_parse_normalize_and_mac() {
        for v in test_vectors::HEADER_VECTORS {
            let h = parse(v.authorization).unwrap_or_else(|e| panic!("{}: {e}", v.name));
            let req = h.required().unwrap();
            assert_eq!(req.id, v.id, "{}", v.name);
            assert_eq!(req.ts, "1700000000");
            assert_eq!(req.nonce, "Xk9dQ2");
            assert_eq!(h.hash, v.hash, "{}", v.name);
            assert_eq!(h.ext, v.ext, "{}", v.name);
            let signed = v.signed_resource.unwrap_or(v.resource);
            let normalized = normalized_string(&header_input(v, &h, signed));
            assert_eq!(normalized, v.normalized, "{}", v.name);
            assert_eq!(
                compute_mac(v.key.as_bytes(), &normalized),
                req.mac,
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn rust_style_vector_macs() {
        let v = test_vectors::V7;
        let h = parse(v.authorization).unwrap();
        let full = normalized_string(&header_input(&v, &h, v.resource));
        assert_eq!(
            compute_mac(b"no-secret", &full),
            "mS4t7EQSbAbIbnydvvQPxGE/OzEINnEIonqvelOTdCs="
        );
        let path_only =
            normalized_string(&header_input(&v, &h, "/api/worker-manager/v1/worker-pools"));
        assert_eq!(path_only, v.normalized);
        assert_eq!(compute_mac(b"no-secret", &path_only), h.mac.unwrap());
    }

    #[test]
    fn payload_hashes() {
        assert_eq!(
            payload_hash(None, b""),
            "B0weSUXsMcb5UhL41FZbrUJCAotzSI3HawE1NPLRUz8="
        );
        assert_eq!(
            payload_hash(Some("application/json"), test_vectors::V3_BODY.as_bytes()),
            "hz7abvh0O96uu3dfRIhbvvosCC+m5mwb55rXpg6vJJY="
        );
        assert_eq!(
            payload_hash(
                Some(" Application/JSON ; charset=utf-8"),
                test_vectors::V3_BODY.as_bytes()
            ),
            "hz7abvh0O96uu3dfRIhbvvosCC+m5mwb55rXpg6vJJY="
        );
        assert_eq!(normalize_content_type(Some("text/plain;x=y")), "text/plain");
    }

    #[test]
    fn parser_failures_have_the_servers_messages() {
        let cases: &[(&str, HeaderError)] = &[
            ("Bearer x", HeaderError::NotHawk),
            ("Bearer", HeaderError::NotHawk),
            ("Hawk", HeaderError::InvalidSyntax),
            ("Hawk   ", HeaderError::InvalidSyntax),
            ("Hawk,id=\"a\"", HeaderError::InvalidSyntax),
            (" Hawk id=\"a\"", HeaderError::InvalidSyntax),
            ("Hawk id=\"a\"\nts=\"1\"", HeaderError::InvalidSyntax),
            ("Hawk id=a", HeaderError::BadFormat),
            ("Hawk id=\"a\" ts=\"b\"", HeaderError::BadFormat),
            ("Hawk id=\"a\", junk", HeaderError::BadFormat),
            ("Hawk id=\"a\\\"", HeaderError::BadFormat),
            (
                "Hawk foo=\"a\"",
                HeaderError::UnknownAttribute("foo".into()),
            ),
            (
                "Hawk id=\"a\", id=\"b\"",
                HeaderError::DuplicateAttribute("id".into()),
            ),
            ("Hawk id=\"\"", HeaderError::BadAttributeValue("id".into())),
            (
                "Hawk ext=\"a\u{e9}\"",
                HeaderError::BadAttributeValue("ext".into()),
            ),
            (
                "Hawk ext=\"a\tb\"",
                HeaderError::BadAttributeValue("ext".into()),
            ),
            // The last problem wins, and a problem beats leftover text.
            (
                "Hawk foo=\"a\", id=\"\"",
                HeaderError::BadAttributeValue("id".into()),
            ),
            (
                "Hawk id=\"\", foo=\"a\", junk",
                HeaderError::UnknownAttribute("foo".into()),
            ),
            // A pair not followed by a comma or the end is not a pair at all.
            (
                "Hawk id=\"\", foo=\"a\" junk",
                HeaderError::BadAttributeValue("id".into()),
            ),
        ];
        for (header, want) in cases {
            assert_eq!(parse(header).as_ref().err(), Some(want), "{header:?}");
        }
        let long = format!("Hawk id=\"{}\"", "a".repeat(4090));
        assert_eq!(parse(&long), Err(HeaderError::TooLong));
        assert_eq!(HeaderError::NotHawk.reply_error(), "Unauthorized");
        assert_eq!(HeaderError::TooLong.reply_error(), "Bad Request");
        assert_eq!(
            parse("Hawk id=\"a\", ts=\"1\"").unwrap().required(),
            Err(HeaderError::MissingAttributes)
        );
    }

    #[test]
    fn parser_accepts_the_three_clients_orders_and_spacing() {
        for h in [
            "hawk id=\"a\",ts=\"1\",nonce=\"n\",mac=\"m\"",
            "HAWK   mac=\"m\" ,  id=\"a\",ts=\"1\", nonce=\"n\"  ",
            "Hawk id=\"a\", ts=\"1\", nonce=\"n\", mac=\"m\", ext=\"e30=\", hash=\"h\"",
        ] {
            let parsed = parse(h).unwrap_or_else(|e| panic!("{h}: {e}"));
            assert_eq!(
                parsed.required().unwrap(),
                RequiredAttributes {
                    id: "a",
                    ts: "1",
                    nonce: "n",
                    mac: "m"
                }
            );
        }
    }

    #[test]
    fn ext_escaping_and_app_lines() {
        let input = MacInput {
            kind: MacKind::Header,
            ts: "1",
            nonce: "n",
            method: "get",
            resource: "http://Example.com:80/p?q=1#frag",
            host: "Example.COM",
            port: 80,
            hash: None,
            ext: Some("a\\b\nc"),
            app: Some("app"),
            dlg: None,
        };
        assert_eq!(
            normalized_string(&input),
            "hawk.1.header\n1\nn\nGET\n/p?q=1\nexample.com\n80\n\na\\\\b\\nc\napp\n\n"
        );
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }

    /// The parser as first written, on a `Vec<char>` (the oracle of the byte-scanning one).
    struct CharPair {
        name: String,
        value: String,
        end: usize,
    }

    /// Tries to read `name="value"`, optional whitespace, then a comma (and whitespace) or the end,
    /// starting exactly at `start`.
    fn char_pair_at(chars: &[char], start: usize) -> Option<CharPair> {
        let mut i = start;
        while i < chars.len() && js::is_word(chars[i]) {
            i += 1;
        }
        if i == start || chars.get(i) != Some(&'=') || chars.get(i + 1) != Some(&'"') {
            return None;
        }
        let name: String = chars[start..i].iter().collect();
        let value_start = i + 2;
        let mut j = value_start;
        while j < chars.len() && chars[j] != '"' && chars[j] != '\\' {
            j += 1;
        }
        if chars.get(j) != Some(&'"') {
            return None;
        }
        let value: String = chars[value_start..j].iter().collect();
        let mut k = j + 1;
        while k < chars.len() && js::is_whitespace(chars[k]) {
            k += 1;
        }
        if k < chars.len() {
            if chars[k] != ',' {
                return None;
            }
            k += 1;
            while k < chars.len() && js::is_whitespace(chars[k]) {
                k += 1;
            }
        }
        Some(CharPair {
            name,
            value,
            end: k,
        })
    }

    /// The attributes as the character-based parser kept them (owned); its `Debug` text is the
    /// same as [`HawkHeader`]'s for the same values.
    #[derive(Default)]
    struct OwnedHeader([Option<String>; 8]);

    impl OwnedHeader {
        fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
            let i = ["id", "ts", "nonce", "mac", "hash", "ext", "app", "dlg"]
                .iter()
                .position(|n| *n == name)?;
            Some(&mut self.0[i])
        }
    }

    impl std::fmt::Debug for OwnedHeader {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let [id, ts, nonce, mac, hash, ext, app, dlg] = &self.0;
            f.debug_struct("HawkHeader")
                .field("id", id)
                .field("ts", ts)
                .field("nonce", nonce)
                .field("mac", mac)
                .field("hash", hash)
                .field("ext", ext)
                .field("app", app)
                .field("dlg", dlg)
                .finish()
        }
    }

    /// Scans the attribute text for pairs anywhere in it (like a global regular-expression replace):
    /// any character not inside a pair makes the header malformed.
    fn char_parse_attributes(text: &str) -> Result<OwnedHeader, HeaderError> {
        let chars: Vec<char> = text.chars().collect();
        let mut header = OwnedHeader::default();
        let mut problem: Option<HeaderError> = None;
        let mut leftover = false;
        let mut pos = 0;
        while pos < chars.len() {
            let Some(pair) = char_pair_at(&chars, pos) else {
                leftover = true;
                pos += 1;
                continue;
            };
            pos = pair.end;
            if !ATTRIBUTE_NAMES.contains(&pair.name.as_str()) {
                problem = Some(HeaderError::UnknownAttribute(pair.name));
            } else if !is_valid_attribute_value(&pair.value) {
                problem = Some(HeaderError::BadAttributeValue(pair.name));
            } else if let Some(slot) = header.slot(&pair.name) {
                if slot.is_some() {
                    problem = Some(HeaderError::DuplicateAttribute(pair.name));
                } else {
                    *slot = Some(pair.value);
                }
            }
        }
        match problem {
            Some(p) => Err(p),
            None if leftover => Err(HeaderError::BadFormat),
            None => Ok(header),
        }
    }

    /// The normalized string as first written, with `format!` (the oracle of the faster one).
    fn normalized_reference(input: &MacInput<'_>) -> String {
        let kind = match input.kind {
            MacKind::Header => "header",
            MacKind::Bewit => "bewit",
        };
        let mut out = format!(
            "hawk.1.{kind}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            input.ts,
            input.nonce,
            input.method.to_uppercase(),
            resource_path(input.resource),
            input.host.to_lowercase(),
            input.port,
            input.hash.unwrap_or(""),
        );
        if let Some(ext) = input.ext.filter(|e| !e.is_empty()) {
            out.push_str(&ext.replace('\\', "\\\\").replace('\n', "\\n"));
        }
        out.push('\n');
        if let Some(app) = input.app.filter(|a| !a.is_empty()) {
            out.push_str(app);
            out.push('\n');
            out.push_str(input.dlg.unwrap_or(""));
            out.push('\n');
        }
        out
    }

    #[test]
    fn attribute_value_characters_are_the_servers_set() {
        let allowed = |c: char| {
            c == ' ' || c.is_ascii_alphanumeric() || "!#$%&'()*+,-./:;<=>?@[]^_`{|}~".contains(c)
        };
        for c in (0u32..0x400).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(is_valid_attribute_value(&text), allowed(c), "{c:?}");
        }
        assert!(!is_valid_attribute_value(""));
    }

    proptest! {
        /// The normalized string is the same as the `format!`-built one for any method, host,
        /// ext and app, ASCII or not.
        #[test]
        fn normalized_string_matches_the_reference(
            method in "[a-zA-Zé]{1,7}",
            host in "[a-zA-Z0-9.:ÄÉ-]{1,20}",
            ext in proptest::option::of("[a-z\\\\\n\\\\ ]{0,12}"),
            app in proptest::option::of("[a-z]{0,5}"),
            bewit in any::<bool>(),
        ) {
            let input = MacInput {
                kind: if bewit { MacKind::Bewit } else { MacKind::Header },
                ts: "1353832234",
                nonce: "j4h3g2",
                method: &method,
                resource: "http://example.com:8000/resource/1?b=1&a=2",
                host: &host,
                port: 8000,
                hash: Some("abc="),
                ext: ext.as_deref(),
                app: app.as_deref(),
                dlg: Some("d"),
            };
            prop_assert_eq!(normalized_string(&input), normalized_reference(&input));
        }
    }

    proptest! {
        /// The byte-scanning attribute parser gives what the character-based one gave, including
        /// on non-ASCII text and JavaScript whitespace such as U+00A0.
        #[test]
        fn attribute_parser_matches_the_char_based_one(
            s in "[ ,=\"a-z\\\\\t\u{a0}\u{2028}é0-9]{0,60}",
            t in ".{0,40}",
        ) {
            for text in [s.clone(), t.clone(), format!("id=\"{t}\", {s}")] {
                prop_assert_eq!(
                    format!("{:?}", parse_attributes(&text)),
                    format!("{:?}", char_parse_attributes(&text))
                );
            }
        }
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in ".{0,200}") {
            let _ = parse(&s);
            let _ = parse(&format!("Hawk {s}"));
        }

        #[test]
        fn parser_never_panics_on_near_misses(s in "(Hawk|hawk|Bearer)?[ ,=\"a-z\\\\\t]{0,60}") {
            let _ = parse(&s);
        }

        #[test]
        fn well_formed_headers_round_trip(id in "[a-zA-Z0-9/_-]{1,20}", ts in "[0-9]{1,10}",
                                          nonce in "[a-zA-Z0-9]{1,14}", mac in "[a-zA-Z0-9+/=]{1,44}",
                                          ext in proptest::option::of("[ -!#-\\[\\]-~]{1,30}")) {
            let mut h = format!("Hawk id=\"{id}\", ts=\"{ts}\", nonce=\"{nonce}\", mac=\"{mac}\"");
            if let Some(e) = &ext {
                h.push_str(&format!(", ext=\"{e}\""));
            }
            let parsed = parse(&h).unwrap();
            prop_assert_eq!(parsed.id, Some(id.as_str()));
            prop_assert_eq!(parsed.ext, ext.as_deref());
        }

        #[test]
        fn macs_match_the_hawk_crate(method in "(GET|POST|PUT|DELETE|HEAD)",
                                     path in "/[a-zA-Z0-9/%._~-]{0,30}(\\?[a-zA-Z0-9=&%+._~-]{0,30})?",
                                     host in "[a-z0-9.-]{1,20}", port in any::<u16>(),
                                     ts in 0u64..4_000_000_000, nonce in "[a-zA-Z0-9]{0,12}",
                                     key in "[ -~]{1,40}", ext in proptest::option::of("[a-zA-Z0-9+/=]{1,40}"),
                                     hash in proptest::option::of(proptest::collection::vec(any::<u8>(), 32))) {
            use std::time::{Duration, UNIX_EPOCH};
            let hawk_key = hawk::Key::new(key.as_bytes(), hawk::DigestAlgorithm::Sha256).unwrap();
            let theirs = hawk::mac::Mac::new(
                hawk::mac::MacType::Header, &hawk_key, UNIX_EPOCH + Duration::from_secs(ts),
                &nonce, &method, &host, port, &path, hash.as_deref(), ext.as_deref(),
            ).unwrap();
            let hash_b64 = hash.as_ref().map(|h| STANDARD.encode(h));
            let ts_text = ts.to_string();
            let ours = compute_mac(key.as_bytes(), &normalized_string(&MacInput {
                kind: MacKind::Header, ts: &ts_text, nonce: &nonce, method: &method, resource: &path,
                host: &host, port, hash: hash_b64.as_deref(), ext: ext.as_deref(), app: None, dlg: None,
            }));
            prop_assert_eq!(ours, STANDARD.encode(theirs.as_ref()));
        }
    }
}

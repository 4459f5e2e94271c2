//! A hand-written pretty JSON writer for the largest answers (pages of workers), producing byte
//! for byte what `serde_json::to_writer_pretty` gives for the same object (tests compare them).
//!
//! Why: a page of 100 workers is about 36 KiB of text; through serde's pretty formatter it cost
//! ~50 µs, most of it per-field dispatch, escaping scans of timestamps and UTF-8 checks (issue 9).
//! Here member names and indentation are written as constant byte strings, timestamps straight
//! from the clock's digits, and strings are escaped only when one of their bytes needs it.

use crate::time::{write_ms, Millis};

/// An object being written at some depth: members are added in order (callers keep the sorted
/// key order a `serde_json::Value` object has).
pub struct Object<'o> {
    out: &'o mut Vec<u8>,
    /// Spaces before a member (two per level).
    indent: usize,
    first: bool,
}

impl<'o> Object<'o> {
    /// Starts an object whose members sit `depth` levels deep (1 for a top-level object).
    pub fn begin(out: &'o mut Vec<u8>, depth: usize) -> Object<'o> {
        out.push(b'{');
        Object {
            out,
            indent: 2 * depth,
            first: true,
        }
    }

    /// Writes `"key": ` after the separator and indentation; the value comes next.
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'\n');
        push_spaces(self.out, self.indent);
        // Member names are this crate's constants: plain ASCII, nothing to escape.
        debug_assert!(!needs_escape(key));
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\": ");
        self.out
    }

    /// A string member.
    pub fn str(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        push_str(out, value);
    }

    /// An unsigned integer member.
    pub fn u64(&mut self, key: &str, value: u64) {
        use std::io::Write as _;
        let out = self.key(key);
        let _ = write!(out, "{value}");
    }

    /// A boolean member.
    pub fn bool(&mut self, key: &str, value: bool) {
        let out = self.key(key);
        out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// A member whose value is JSON text already indented for this depth (see
    /// `Store::pool_config_text`).
    pub fn raw(&mut self, key: &str, text: &str) {
        let out = self.key(key);
        out.extend_from_slice(text.as_bytes());
    }

    /// A time member, as `format_ms` text.
    pub fn time(&mut self, key: &str, ms: Millis) {
        let out = self.key(key);
        out.push(b'"');
        write_ms(out, ms);
        out.push(b'"');
    }

    /// An array member whose elements are written by `each` (given the output and the depth of
    /// the element's own members), one per item.
    pub fn array<T>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Vec<u8>, usize, T),
    ) {
        let indent = self.indent;
        let out = self.key(key);
        out.push(b'[');
        let mut any = false;
        for item in items {
            if any {
                out.push(b',');
            }
            any = true;
            out.push(b'\n');
            push_spaces(out, indent + 2);
            each(out, indent / 2 + 2, item);
        }
        if any {
            out.push(b'\n');
            push_spaces(out, indent);
        }
        out.push(b']');
    }

    /// Closes the object (`{}` when it has no members).
    pub fn end(self) {
        if !self.first {
            self.out.push(b'\n');
            push_spaces(self.out, self.indent.saturating_sub(2));
        }
        self.out.push(b'}');
    }
}

/// Whether JSON text of `s` needs an escape (a control character, `"` or `\\`). Scans every byte
/// without stopping early, which the compiler turns into wide compares.
fn needs_escape(s: &str) -> bool {
    s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// Appends `n` spaces.
fn push_spaces(out: &mut Vec<u8>, n: usize) {
    const SPACES: &[u8; 32] = b"                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.extend_from_slice(&SPACES[..k]);
        left -= k;
    }
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    if !needs_escape(s) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Rare: let serde_json escape it (writing to a Vec cannot fail).
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        /// Objects, nested arrays, strings needing escapes and empty containers come out as
        /// serde_json's pretty printer writes them (members written in sorted key order, as a
        /// `Value` object holds them).
        #[test]
        fn output_equals_serde_pretty(
            a in ".{0,12}",
            b in "[\"\\\\\u{0}-\u{1f}\u{7f}é/]{0,8}",
            n in any::<u64>(),
            ms in 0i64..4_102_444_800_000,
            rows in proptest::collection::vec(("[a-z\"]{0,5}", any::<u64>()), 0..4),
            depth in 1usize..4,
        ) {
            let mut out = Vec::new();
            let mut o = Object::begin(&mut out, depth);
            o.str("a", &a);
            o.str("b", &b);
            o.u64("n", n);
            o.array("rows", rows.iter(), |out, depth, (s, k)| {
                let mut r = Object::begin(out, depth);
                r.array("empty", std::iter::empty::<()>(), |_, _, ()| {});
                r.u64("k", *k);
                r.str("s", s);
                r.end();
            });
            o.time("t", ms);
            o.end();
            let value = json!({
                "a": a, "b": b, "n": n, "t": crate::time::format_ms(ms),
                "rows": rows.iter().map(|(s, k)| json!({"s": s, "k": k, "empty": []})).collect::<Vec<_>>(),
            });
            // At depth d the object is what serde writes for it nested d - 1 arrays deep.
            let mut nested = value;
            for _ in 1..depth {
                nested = json!([nested]);
            }
            let pretty = serde_json::to_string_pretty(&nested).unwrap();
            let text = String::from_utf8(out).unwrap();
            let indent = " ".repeat(2 * (depth - 1));
            let inner = pretty
                .lines()
                .skip(depth - 1)
                .take(pretty.lines().count() - 2 * (depth - 1))
                .map(|l| l.strip_prefix(indent.as_str()).unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n");
            // serde indents the nested object's first line too; the writer's caller does that.
            let text = text.replace(&format!("\n{indent}"), "\n");
            prop_assert_eq!(text, inner);
        }

        /// Empty objects are `{}`.
        #[test]
        fn empty_objects(depth in 1usize..4) {
            let mut out = Vec::new();
            Object::begin(&mut out, depth).end();
            prop_assert_eq!(out, b"{}".to_vec());
        }
    }
}

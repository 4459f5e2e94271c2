//! The few JavaScript value rules the real (Node.js) server applies to what a client sends, so the
//! mock reaches the same verdict on odd input: whitespace and number parsing, number printing,
//! UTF-16 lengths, and Node's forgiving base64 decoder.

/// Whether `c` is whitespace for JavaScript (`\s` in a regular expression, `String.prototype.trim`):
/// the ASCII blanks, the line terminators, and the Unicode space separators.
pub(crate) fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Whether `c` ends a line for JavaScript (what `.` in a regular expression does not match).
pub(crate) fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Whether `c` is a word character of a JavaScript regular expression (`\w`, ASCII only).
pub(crate) fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `s` without JavaScript whitespace at either end (`String.prototype.trim`).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_whitespace)
}

/// The length of `s` as JavaScript counts it (UTF-16 code units).
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `Number(s)` for a string: what `"1700000000" * 1000` sees. Surrounding whitespace is ignored, an
/// empty string is 0, `0x`/`0o`/`0b` prefixes are honoured, anything else that is not a decimal
/// literal is NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = trim(s);
    if t.is_empty() {
        return 0.0;
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let radix = match t.get(..2) {
        Some("0x") | Some("0X") => Some(16),
        Some("0o") | Some("0O") => Some(8),
        Some("0b") | Some("0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &t[2..];
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut value = 0.0f64;
        for c in digits.chars() {
            match c.to_digit(radix) {
                Some(d) => value = value * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        return value;
    }
    if is_decimal_literal(t) {
        t.parse::<f64>().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// Whether `t` is a JavaScript `StrDecimalLiteral` without the `Infinity` forms: optional sign,
/// digits with an optional fraction (or a fraction alone), optional exponent.
fn is_decimal_literal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - frac_start;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// `parseInt(s, 10)`: leading whitespace skipped, an optional sign, then the longest run of decimal
/// digits (NaN when there is none); whatever follows is ignored.
pub(crate) fn parse_int(s: &str) -> f64 {
    let t = s.trim_start_matches(is_whitespace);
    let (negative, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return f64::NAN;
    }
    let value = rest[..digits_len].parse::<f64>().unwrap_or(f64::NAN);
    if negative {
        -value
    } else {
        value
    }
}

/// `String(n)` for a number, as JavaScript prints it (shortest round-trip digits, exponent form
/// below 1e-6 and from 1e21 on, `0` for both zeros).
pub(crate) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n == 0.0 {
        return "0".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the same shortest digits JavaScript uses, as `d.ddde<exp>`.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i64 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i64;
    let point = exp + 1; // position of the decimal point relative to the digits
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

/// The 6-bit value of a base64 character in either alphabet (`+`/`-` are 62, `/`/`_` are 63).
fn base64_value(c: char) -> Option<u8> {
    Some(match c {
        'A'..='Z' => c as u8 - b'A',
        'a'..='z' => c as u8 - b'a' + 26,
        '0'..='9' => c as u8 - b'0' + 52,
        '+' | '-' => 62,
        '/' | '_' => 63,
        _ => return None,
    })
}

/// `Buffer.from(s, 'base64')` as Node decodes it: both alphabets, padding optional, characters
/// outside the alphabets skipped, decoding stops at the first `=`. Never fails; a trailing lone
/// character is dropped.
pub(crate) fn node_base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut count = 0u8;
    for c in s.chars() {
        if c == '=' {
            break;
        }
        let Some(v) = base64_value(c) else { continue };
        acc = (acc << 6) | u32::from(v);
        count += 1;
        if count == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            count = 0;
        }
    }
    match count {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_from_strings() {
        assert_eq!(string_to_number("1700000000"), 1_700_000_000.0);
        assert_eq!(string_to_number("  17 "), 17.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x10"), 16.0);
        assert_eq!(string_to_number("1e3"), 1000.0);
        assert_eq!(string_to_number(".5"), 0.5);
        assert_eq!(string_to_number("5."), 5.0);
        assert!(string_to_number("abc").is_nan());
        assert!(string_to_number("12abc").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("-0x10").is_nan());
        assert!(string_to_number("1_000").is_nan());
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
    }

    #[test]
    fn parse_int_takes_the_leading_digits() {
        assert_eq!(parse_int("1700000900"), 1_700_000_900.0);
        assert_eq!(parse_int(" 12abc"), 12.0);
        assert_eq!(parse_int("-5"), -5.0);
        assert_eq!(parse_int("+7"), 7.0);
        assert!(parse_int("").is_nan());
        assert!(parse_int("x1").is_nan());
        assert!(parse_int("-").is_nan());
    }

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (1_699_999_200_000.0, "1699999200000"),
            (1.5, "1.5"),
            (-2.0, "-2"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (123.456, "123.456"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
        ];
        for (n, want) in cases {
            assert_eq!(number_to_string(n), want, "{n}");
        }
    }

    #[test]
    fn node_base64_is_forgiving() {
        assert_eq!(node_base64_decode("e30="), b"{}");
        assert_eq!(node_base64_decode("e30"), b"{}");
        assert_eq!(node_base64_decode("e3 0"), b"{}");
        assert_eq!(node_base64_decode("e30=garbage"), b"{}");
        assert_eq!(node_base64_decode("V-8"), node_base64_decode("V+8"));
        assert_eq!(node_base64_decode("_w"), node_base64_decode("/w"));
        assert_eq!(node_base64_decode("Q"), b"");
        assert_eq!(node_base64_decode(""), b"");
    }

    proptest! {
        #[test]
        fn node_base64_decodes_what_the_base64_crate_encodes(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            use base64::Engine;
            let std = base64::engine::general_purpose::STANDARD.encode(&data);
            let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&data);
            prop_assert_eq!(node_base64_decode(&std), data.clone());
            prop_assert_eq!(node_base64_decode(&url), data);
        }

        #[test]
        fn integers_print_plainly(n in -9_007_199_254_740_991i64..9_007_199_254_740_991i64) {
            prop_assert_eq!(number_to_string(n as f64), n.to_string());
        }

        #[test]
        fn printed_numbers_read_back(n in any::<f64>().prop_filter("finite", |n| n.is_finite())) {
            let back = string_to_number(&number_to_string(n));
            prop_assert!(back == n || (n == 0.0 && back == 0.0));
        }

        #[test]
        fn number_parsing_never_panics(s in ".{0,40}") {
            let _ = string_to_number(&s);
            let _ = parse_int(&s);
        }
    }
}

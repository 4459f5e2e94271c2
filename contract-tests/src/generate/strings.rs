//! String strategies: free text, pattern-driven strings of a chosen length, `date-time` and
//! `email` values, and strings that break exactly one string rule.
//!
//! A string is built from a target length and a seed (both drawn, and shrunk, by proptest): the
//! length is chosen inside every bound that applies (`minLength`, `maxLength`, the lengths the
//! pattern can match), mostly short, sometimes at the bounds; then the pattern fills exactly that
//! many characters. This is construction, not filtering, so long `maxLength`s cost nothing.

use proptest::prelude::*;
use proptest::strategy::Union;

use super::check::{format_ok, string_ok};
use super::pattern::{free_text, Pattern};
use super::rng::SplitMix;
use super::schema::{Format, StringRules};
use super::GenerateError;

/// Lengths in `lo..=hi` (`hi` unbounded when `None`): mostly within a few characters of `lo`,
/// sometimes up to ~48 more, sometimes exactly at either bound.
pub(crate) fn length_strategy(lo: usize, hi: Option<usize>) -> BoxedStrategy<usize> {
    let cap = |n: usize| hi.map_or(lo.saturating_add(n), |h| h.min(lo.saturating_add(n)));
    let mut options: Vec<(u32, BoxedStrategy<usize>)> = vec![
        (5, (lo..=cap(8)).boxed()),
        (2, (lo..=cap(48)).boxed()),
        (1, Just(lo).boxed()),
    ];
    if let Some(h) = hi.filter(|&h| h <= lo.saturating_add(64)) {
        options.push((1, Just(h).boxed()));
    }
    Union::new_weighted(options).boxed()
}

/// Strings of a length drawn from `lengths`: from `pattern` if given, else free text.
fn sized(
    pattern: Option<&std::sync::Arc<Pattern>>,
    lengths: BoxedStrategy<usize>,
) -> BoxedStrategy<String> {
    let pattern = pattern.cloned();
    (lengths, any::<u64>())
        .prop_filter_map("pattern could not fill the length", move |(len, seed)| {
            let mut rng = SplitMix::new(seed);
            match &pattern {
                Some(p) => p.generate(len, &mut rng),
                None => Some(free_text(len, &mut rng)),
            }
        })
        .boxed()
}

/// Free text of `lo..=hi` characters (short mostly).
pub(crate) fn plain(lo: usize, hi: Option<usize>) -> BoxedStrategy<String> {
    sized(None, length_strategy(lo, hi))
}

/// The bounds a valid string's length must respect: the schema's and the pattern's.
fn valid_bounds(rules: &StringRules) -> (usize, Option<usize>) {
    let (plo, phi) = rules
        .pattern
        .as_ref()
        .map_or((0, None), |p| p.length_bounds());
    let lo = rules.min_len.max(plo);
    let hi = match (rules.max_len, phi) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    (lo, hi)
}

/// Strings valid under `rules`.
pub(crate) fn valid(rules: &StringRules, at: &str) -> Result<BoxedStrategy<String>, GenerateError> {
    if let Some(format) = rules.format {
        // Formats are generated as such; other rules (rare with a format) by filtering.
        let rules = rules.clone();
        let base = match format {
            Format::DateTime => date_time(),
            Format::Email => email(),
        };
        return Ok(base
            .prop_filter(
                "formatted string breaks a length or pattern rule",
                move |s| string_ok(&rules, s),
            )
            .boxed());
    }
    let (lo, hi) = valid_bounds(rules);
    if hi.is_some_and(|h| h < lo) {
        return Err(GenerateError::Unsatisfiable {
            at: at.to_string(),
            reason: format!("no string length fits between {lo} and {hi:?}"),
        });
    }
    Ok(sized(rules.pattern.as_ref(), length_strategy(lo, hi)))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `date-time` values: mostly `YYYY-MM-DDThh:mm:ss.sssZ` (what JavaScript's `toJSON` gives),
/// sometimes other forms the real service accepts (no fraction, other fraction lengths, an
/// offset, lower-case `t`/`z`, a space separator, no zone).
pub(crate) fn date_time() -> BoxedStrategy<String> {
    (
        (1970u32..=2099, 1u32..=12, 1u32..=31),
        (0u32..=23, 0u32..=59, 0u32..=59, 0u32..=999),
        (0u8..=19, any::<u64>()),
    )
        .prop_map(|((y, mo, d), (h, mi, s, ms), (form, seed))| {
            let d = d.min(days_in_month(y, mo));
            let date = format!("{y:04}-{mo:02}-{d:02}");
            let time = format!("{h:02}:{mi:02}:{s:02}");
            let mut rng = SplitMix::new(seed);
            match form {
                0..=13 => format!("{date}T{time}.{ms:03}Z"),
                14 => format!("{date}T{time}Z"),
                15 => {
                    let sign = if rng.one_in(2) { '+' } else { '-' };
                    let oh = rng.range(0, 14);
                    let om = *rng.pick(&[0, 30, 45]).unwrap_or(&0);
                    format!("{date}T{time}.{ms:03}{sign}{oh:02}:{om:02}")
                }
                16 => format!("{date}t{time}z"),
                17 => {
                    let digits = rng.range(1, 6);
                    let frac: String = (0..digits)
                        .map(|_| char::from(b'0' + rng.range(0, 9) as u8))
                        .collect();
                    format!("{date}T{time}.{frac}Z")
                }
                18 => format!("{date} {time}Z"),
                _ => format!("{date}T{time}"),
            }
        })
        .boxed()
}

fn word(rng: &mut SplitMix, lo: usize, hi: usize, extra: &[u8]) -> String {
    let len = rng.range(lo, hi);
    (0..len)
        .map(|i| {
            if i > 0 && i + 1 < len && !extra.is_empty() && rng.one_in(6) {
                char::from(*rng.pick(extra).unwrap_or(&b'a'))
            } else {
                let alnum = b"abcdefghijklmnopqrstuvwxyz0123456789";
                char::from(*rng.pick(alnum).unwrap_or(&b'a'))
            }
        })
        .collect()
}

/// `email` values the real service accepts: `local[.local]@label.label[.label]`.
pub(crate) fn email() -> BoxedStrategy<String> {
    any::<u64>()
        .prop_map(|seed| {
            let mut rng = SplitMix::new(seed);
            let atoms = rng.range(1, 2);
            let local: Vec<String> = (0..atoms).map(|_| word(&mut rng, 1, 8, b"+_-")).collect();
            let labels = rng.range(1, 2);
            let mut domain: Vec<String> =
                (0..labels).map(|_| word(&mut rng, 1, 10, b"-")).collect();
            domain.push(word(&mut rng, 2, 4, b""));
            format!("{}@{}", local.join("."), domain.join("."))
        })
        .boxed()
}

/// Names for extra properties: mostly `x`-prefixed identifiers, sometimes arbitrary text
/// (possibly empty, possibly with `/` or `~`).
pub(crate) fn extra_key() -> BoxedStrategy<String> {
    any::<u64>()
        .prop_map(|seed| {
            let mut rng = SplitMix::new(seed);
            if rng.one_in(5) {
                let len = rng.range(0, 4);
                free_text(len, &mut rng)
            } else {
                format!("x{}", word(&mut rng, 0, 6, b"_-"))
            }
        })
        .boxed()
}

/// Which string rule a broken string breaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    Length,
    Pattern,
    Format,
}

/// Whether `s` keeps every rule except `broken`.
fn keeps_others(rules: &StringRules, s: &str, broken: Rule) -> bool {
    let len = s.chars().count();
    (broken == Rule::Length || (len >= rules.min_len && rules.max_len.is_none_or(|m| len <= m)))
        && (broken == Rule::Pattern || rules.pattern.as_ref().is_none_or(|p| p.is_match(s)))
        && (broken == Rule::Format || rules.format.is_none_or(|f| format_ok(f, s)))
}

/// Strings longer than `maxLength` that keep the pattern; `None` when there is no `maxLength`,
/// when the pattern cannot be that long, or with a `format`.
pub(crate) fn too_long(rules: &StringRules) -> Option<BoxedStrategy<String>> {
    let max = rules.max_len?;
    if rules.format.is_some() {
        return None;
    }
    let (plo, phi) = rules
        .pattern
        .as_ref()
        .map_or((0, None), |p| p.length_bounds());
    let lo = max.checked_add(1)?.max(plo);
    let hi = phi.map_or(max + 3, |p| p.min(max + 3));
    if lo > hi {
        return None;
    }
    let keep = rules.clone();
    Some(
        sized(rules.pattern.as_ref(), (lo..=hi).boxed())
            .prop_filter("must break maxLength only", move |s| {
                s.chars().count() > max && keeps_others(&keep, s, Rule::Length)
            })
            .boxed(),
    )
}

/// Strings shorter than `minLength` that keep the pattern; `None` when `minLength` is 0, when
/// the pattern cannot be that short, or with a `format`.
pub(crate) fn too_short(rules: &StringRules) -> Option<BoxedStrategy<String>> {
    let min = rules.min_len;
    if min == 0 || rules.format.is_some() {
        return None;
    }
    let (plo, phi) = rules
        .pattern
        .as_ref()
        .map_or((0, None), |p| p.length_bounds());
    let hi = phi.map_or(min - 1, |p| p.min(min - 1));
    if plo > hi {
        return None;
    }
    let keep = rules.clone();
    Some(
        sized(rules.pattern.as_ref(), (plo..=hi).boxed())
            .prop_filter("must break minLength only", move |s| {
                s.chars().count() < min && keeps_others(&keep, s, Rule::Length)
            })
            .boxed(),
    )
}

/// Strings that do not match the pattern but keep the length rules.
///
/// For a pattern anchored at both ends: a matching string with one character replaced by one the
/// pattern never uses. Otherwise (a "contains a match" pattern): a string made only of such
/// characters, which cannot contain a match unless the pattern matches the empty string (then
/// `None`: nothing breaks it). `None` also with a `format`, or when every candidate character
/// can appear in a match.
pub(crate) fn pattern_broken(rules: &StringRules) -> Option<BoxedStrategy<String>> {
    let pattern = rules.pattern.clone()?;
    if rules.format.is_some() || pattern.outsiders().is_empty() {
        return None;
    }
    let outsiders: Vec<char> = pattern.outsiders().to_vec();
    let (lo, hi) = valid_bounds(rules);
    let swap_lo = lo.max(1);
    let base = if pattern.is_anchored() && hi.is_none_or(|h| swap_lo <= h) {
        let p = pattern.clone();
        (length_strategy(swap_lo, hi), any::<u64>())
            .prop_filter_map("pattern could not fill the length", move |(len, seed)| {
                let mut rng = SplitMix::new(seed);
                let s = p.generate(len, &mut rng)?;
                let mut chars: Vec<char> = s.chars().collect();
                let at = rng.range(0, chars.len().checked_sub(1)?);
                chars[at] = *rng.pick(&outsiders)?;
                Some(chars.into_iter().collect::<String>())
            })
            .boxed()
    } else {
        if !pattern.is_anchored() && pattern.min_match() == 0 {
            return None;
        }
        let len_lo = if pattern.min_match() == 0 {
            rules.min_len.max(1)
        } else {
            rules.min_len
        };
        if rules.max_len.is_some_and(|m| m < len_lo) {
            return None;
        }
        (length_strategy(len_lo, rules.max_len), any::<u64>())
            .prop_map(move |(len, seed)| {
                let mut rng = SplitMix::new(seed);
                (0..len)
                    .map(|_| *rng.pick(&outsiders).unwrap_or(&'!'))
                    .collect::<String>()
            })
            .boxed()
    };
    let keep = rules.clone();
    Some(
        base.prop_filter("must break the pattern only", move |s| {
            !pattern.is_match(s) && keeps_others(&keep, s, Rule::Pattern)
        })
        .boxed(),
    )
}

/// Strings that break the `format` and keep the other rules (a valid value with one part
/// spoiled); `None` without a format.
pub(crate) fn bad_format(rules: &StringRules) -> Option<BoxedStrategy<String>> {
    let format = rules.format?;
    let base = match format {
        Format::DateTime => (date_time(), 0u8..=9)
            .prop_map(|(s, how)| {
                let chars: Vec<char> = s.chars().collect();
                let take = |a: usize, b: usize| -> String {
                    chars
                        .get(a.min(b)..b.min(chars.len()))
                        .unwrap_or_default()
                        .iter()
                        .collect()
                };
                let tail = take(10, chars.len());
                match how {
                    0 => format!("{}-13-{}", take(0, 4), take(8, chars.len())),
                    1 => format!("{}32{}", take(0, 8), tail),
                    2 => format!("{}X{}", take(0, 10), take(11, chars.len())),
                    3 => format!("{}{}", take(0, 16), take(19, chars.len())),
                    4 => format!("{}+0100", take(0, 19)),
                    5 => format!("{}T25{}", take(0, 10), take(13, chars.len())),
                    6 => take(0, 10),
                    7 => format!("{}.Z", take(0, 19)),
                    8 => "yesterday".to_string(),
                    _ => String::new(),
                }
            })
            .boxed(),
        Format::Email => (email(), 0u8..=6)
            .prop_map(|(s, how)| {
                let (local, domain) = s.rsplit_once('@').unwrap_or((&s, "example.com"));
                let first_label = domain.split('.').next().unwrap_or("x");
                match how {
                    0 => format!("{local}{domain}"),
                    1 => format!("{local}@{first_label}"),
                    2 => format!("@{domain}"),
                    3 => format!("{local}@@{domain}"),
                    4 => format!("{local} x@{domain}"),
                    5 => format!("{local}@-{domain}"),
                    _ => format!("{local}@{first_label}..com"),
                }
            })
            .boxed(),
    };
    let keep = rules.clone();
    Some(
        base.prop_filter("must break the format only", move |s| {
            !format_ok(format, s) && keeps_others(&keep, s, Rule::Format)
        })
        .boxed(),
    )
}

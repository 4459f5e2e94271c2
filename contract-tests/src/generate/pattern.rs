//! Regular-expression patterns as the generator needs them: parsed once (with `regex-syntax`) into
//! a small tree that can generate a matching string of an exact length, test a string (a
//! backtracking matcher, enough for the short strings we make) and tell which characters can
//! appear in a match (to build strings that cannot match).
//!
//! JSON Schema `pattern`s are unanchored: `[-a-z0-9]+` means "contains a match". A leading `^`
//! and a trailing `$` are taken off for generation; a side left unanchored gets random padding.
//! Other look-arounds (`\b`, multi-line anchors, `^` in the middle) are not supported for
//! generation and make [`Pattern::parse`] fail with a clear message.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::rng::SplitMix;

/// A node of the pattern tree with the bounds (in characters) of what it matches.
#[derive(Debug, Clone)]
struct Rx {
    kind: RxKind,
    min: usize,
    max: Option<usize>,
}

#[derive(Debug, Clone)]
enum RxKind {
    Empty,
    Lit(Vec<char>),
    Class(Vec<(char, char)>),
    Start,
    End,
    Concat(Vec<Rx>),
    Alt(Vec<Rx>),
    Rep {
        min: u32,
        max: Option<u32>,
        sub: Box<Rx>,
    },
}

/// Characters tried, in this order of preference, when a string must avoid a pattern's alphabet.
const OUTSIDERS: &[char] = &[
    '!', ' ', '~', '#', '*', '@', ':', '+', '%', '/', '.', '\u{e9}', '\u{65e5}', '\n', '_', '-',
    'A', 'z', '0',
];

/// Characters used for padding and free text besides printable ASCII.
const EXOTIC: &[char] = &['\u{e9}', '\u{df}', '\u{3a9}', '\u{65e5}', '\u{1f600}', '\t'];

impl Rx {
    fn new(kind: RxKind) -> Rx {
        let (min, max) = match &kind {
            RxKind::Empty | RxKind::Start | RxKind::End => (0, Some(0)),
            RxKind::Lit(cs) => (cs.len(), Some(cs.len())),
            RxKind::Class(_) => (1, Some(1)),
            RxKind::Concat(items) => items.iter().fold((0usize, Some(0usize)), |(lo, hi), r| {
                (
                    lo.saturating_add(r.min),
                    hi.zip(r.max).map(|(a, b)| a.saturating_add(b)),
                )
            }),
            RxKind::Alt(bs) => {
                let lo = bs.iter().map(|b| b.min).min().unwrap_or(0);
                let hi = bs
                    .iter()
                    .try_fold(0usize, |acc, b| b.max.map(|m| acc.max(m)));
                (lo, hi)
            }
            RxKind::Rep { min, max, sub } => {
                let lo = (*min as usize).saturating_mul(sub.min);
                let hi = match (max, sub.max) {
                    (_, Some(0)) => Some(0),
                    (Some(n), Some(m)) => Some((*n as usize).saturating_mul(m)),
                    _ => None,
                };
                (lo, hi)
            }
        };
        Rx { kind, min, max }
    }

    fn from_hir(hir: &Hir) -> Result<Rx, String> {
        let kind = match hir.kind() {
            HirKind::Empty => RxKind::Empty,
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0)
                    .map_err(|_| "a literal that is not UTF-8".to_string())?;
                RxKind::Lit(text.chars().collect())
            }
            HirKind::Class(Class::Unicode(c)) => {
                RxKind::Class(c.ranges().iter().map(|r| (r.start(), r.end())).collect())
            }
            HirKind::Class(Class::Bytes(c)) => {
                let mut ranges = Vec::new();
                for r in c.ranges() {
                    if r.end() > 0x7f {
                        return Err("a byte class beyond ASCII".into());
                    }
                    ranges.push((char::from(r.start()), char::from(r.end())));
                }
                RxKind::Class(ranges)
            }
            HirKind::Look(Look::Start) => RxKind::Start,
            HirKind::Look(Look::End) => RxKind::End,
            HirKind::Look(other) => return Err(format!("the look-around {other:?}")),
            HirKind::Repetition(rep) => RxKind::Rep {
                min: rep.min,
                max: rep.max,
                sub: Box::new(Rx::from_hir(&rep.sub)?),
            },
            HirKind::Capture(cap) => return Rx::from_hir(&cap.sub),
            HirKind::Concat(items) => {
                RxKind::Concat(items.iter().map(Rx::from_hir).collect::<Result<_, _>>()?)
            }
            HirKind::Alternation(bs) => {
                RxKind::Alt(bs.iter().map(Rx::from_hir).collect::<Result<_, _>>()?)
            }
        };
        Ok(Rx::new(kind))
    }

    fn has_look(&self) -> bool {
        match &self.kind {
            RxKind::Start | RxKind::End => true,
            RxKind::Empty | RxKind::Lit(_) | RxKind::Class(_) => false,
            RxKind::Concat(items) | RxKind::Alt(items) => items.iter().any(Rx::has_look),
            RxKind::Rep { sub, .. } => sub.has_look(),
        }
    }

    fn fits(&self, len: usize) -> bool {
        self.min <= len && self.max.is_none_or(|m| len <= m)
    }

    fn collect_alphabet(&self, out: &mut Vec<(char, char)>) {
        match &self.kind {
            RxKind::Lit(cs) => out.extend(cs.iter().map(|&c| (c, c))),
            RxKind::Class(ranges) => out.extend(ranges.iter().copied()),
            RxKind::Concat(items) | RxKind::Alt(items) => {
                items.iter().for_each(|r| r.collect_alphabet(out))
            }
            RxKind::Rep { sub, max, .. } => {
                if *max != Some(0) {
                    sub.collect_alphabet(out)
                }
            }
            RxKind::Empty | RxKind::Start | RxKind::End => {}
        }
    }

    /// Appends a string of exactly `len` characters that this node matches; false when the
    /// choices made cannot reach that length.
    fn fill(&self, len: usize, rng: &mut SplitMix, out: &mut String) -> bool {
        if !self.fits(len) {
            return false;
        }
        match &self.kind {
            RxKind::Empty | RxKind::Start | RxKind::End => len == 0,
            RxKind::Lit(cs) => {
                out.extend(cs.iter());
                true
            }
            RxKind::Class(ranges) => match pick_in(ranges, rng) {
                Some(c) => {
                    out.push(c);
                    true
                }
                None => false,
            },
            RxKind::Concat(items) => {
                let refs: Vec<&Rx> = items.iter().collect();
                fill_seq(&refs, len, rng, out)
            }
            RxKind::Alt(bs) => {
                let fitting: Vec<&Rx> = bs.iter().filter(|b| b.fits(len)).collect();
                match rng.pick(&fitting) {
                    Some(b) => b.fill(len, rng, out),
                    None => false,
                }
            }
            RxKind::Rep { min, max, sub } => {
                let mut lo = *min as usize;
                let mut hi = max.map_or(usize::MAX, |m| m as usize);
                match sub.max {
                    Some(0) if len > 0 => return false,
                    Some(0) => hi = lo,
                    Some(m) => lo = lo.max(len.div_ceil(m)),
                    None => {}
                }
                // Copies that can be empty add nothing: no more of them than characters.
                hi = hi.min(len.checked_div(sub.min).unwrap_or(lo.max(len)));
                if lo > hi {
                    return false;
                }
                let n = rng.range(lo, hi);
                let copies = vec![&**sub; n];
                fill_seq(&copies, len, rng, out)
            }
        }
    }

    /// Whether this node matches `s` from `pos`, with `k` deciding about the rest.
    fn matches(&self, s: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match &self.kind {
            RxKind::Empty => k(pos),
            RxKind::Lit(cs) => s[pos..].starts_with(cs) && k(pos + cs.len()),
            RxKind::Class(ranges) => pos < s.len() && in_ranges(ranges, s[pos]) && k(pos + 1),
            RxKind::Start => pos == 0 && k(pos),
            RxKind::End => pos == s.len() && k(pos),
            RxKind::Concat(items) => match_seq(items, s, pos, k),
            RxKind::Alt(bs) => bs.iter().any(|b| b.matches(s, pos, k)),
            RxKind::Rep { min, max, sub } => match_rep(sub, *min, *max, 0, s, pos, k),
        }
    }
}

fn fill_seq(items: &[&Rx], len: usize, rng: &mut SplitMix, out: &mut String) -> bool {
    // Bounds of what the items after index i can still take.
    let mut suffix_min = vec![0usize; items.len() + 1];
    let mut suffix_max = vec![Some(0usize); items.len() + 1];
    for i in (0..items.len()).rev() {
        suffix_min[i] = suffix_min[i + 1].saturating_add(items[i].min);
        suffix_max[i] = suffix_max[i + 1]
            .zip(items[i].max)
            .map(|(a, b)| a.saturating_add(b));
    }
    let mut rest = len;
    for (i, item) in items.iter().enumerate() {
        let lo = match suffix_max[i + 1] {
            Some(m) => item.min.max(rest.saturating_sub(m)),
            None => item.min,
        };
        let Some(room) = rest.checked_sub(suffix_min[i + 1]) else {
            return false;
        };
        let hi = item.max.map_or(room, |m| m.min(room));
        if lo > hi {
            return false;
        }
        // The last item takes what is left; earlier ones a random share.
        let take = if i + 1 == items.len() {
            rest
        } else {
            rng.range(lo, hi)
        };
        if !item.fill(take, rng, out) {
            return false;
        }
        rest -= take;
    }
    rest == 0
}

fn match_seq(items: &[Rx], s: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match items.split_first() {
        None => k(pos),
        Some((first, rest)) => first.matches(s, pos, &mut |p| match_seq(rest, s, p, k)),
    }
}

fn match_rep(
    sub: &Rx,
    min: u32,
    max: Option<u32>,
    count: u32,
    s: &[char],
    pos: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    if max.is_none_or(|m| count < m) {
        let more = sub.matches(s, pos, &mut |p| {
            // An empty iteration past the minimum would loop for ever.
            if p == pos && count >= min {
                false
            } else {
                match_rep(sub, min, max, count.saturating_add(1), s, p, k)
            }
        });
        if more {
            return true;
        }
    }
    count >= min && k(pos)
}

fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(a, b)| a <= c && c <= b)
}

/// A character of `ranges`, mostly printable ASCII when the class has some.
fn pick_in(ranges: &[(char, char)], rng: &mut SplitMix) -> Option<char> {
    let ascii: Vec<(char, char)> = ranges
        .iter()
        .filter_map(|&(a, b)| {
            let lo = a.max(' ');
            let hi = b.min('~');
            (lo <= hi).then_some((lo, hi))
        })
        .collect();
    let from = if !ascii.is_empty() && !rng.one_in(8) {
        &ascii[..]
    } else {
        ranges
    };
    let total: u64 = from
        .iter()
        .map(|&(a, b)| u64::from(b as u32 - a as u32) + 1)
        .sum();
    if total == 0 {
        return None;
    }
    let mut n = rng.next_u64() % total;
    for &(a, b) in from {
        let size = u64::from(b as u32 - a as u32) + 1;
        if n < size {
            // Inside a range that spans the surrogate gap, fall back to its start.
            return Some(char::from_u32(a as u32 + n as u32).unwrap_or(a));
        }
        n -= size;
    }
    None
}

/// A random character for free text: printable ASCII mostly, sometimes something wider.
pub(crate) fn free_char(rng: &mut SplitMix) -> char {
    if rng.one_in(10) {
        *rng.pick(EXOTIC).unwrap_or(&'x')
    } else {
        pick_in(&[(' ', '~')], rng).unwrap_or('x')
    }
}

/// A string of `len` random free-text characters.
pub(crate) fn free_text(len: usize, rng: &mut SplitMix) -> String {
    (0..len).map(|_| free_char(rng)).collect()
}

/// A parsed `pattern`.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    full: Rx,
    core: Rx,
    start_anchored: bool,
    end_anchored: bool,
    outsiders: Vec<char>,
}

impl Pattern {
    /// Parses `source` (the regex syntax of JSON Schema patterns that Rust's regex crates share).
    pub(crate) fn parse(source: &str) -> Result<Pattern, String> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(source)
            .map_err(|e| e.to_string())?;
        let full = Rx::from_hir(&hir)?;
        let mut items: Vec<Rx> = match &full.kind {
            RxKind::Concat(items) => items.clone(),
            _ => vec![full.clone()],
        };
        let start_anchored = matches!(items.first().map(|r| &r.kind), Some(RxKind::Start));
        if start_anchored {
            items.remove(0);
        }
        let end_anchored = matches!(items.last().map(|r| &r.kind), Some(RxKind::End));
        if end_anchored {
            items.pop();
        }
        let core = match items.len() {
            0 => Rx::new(RxKind::Empty),
            1 => items.remove(0),
            _ => Rx::new(RxKind::Concat(items)),
        };
        if core.has_look() {
            return Err("`^` or `$` away from the pattern's ends".into());
        }
        let mut alphabet = Vec::new();
        core.collect_alphabet(&mut alphabet);
        let outsiders = OUTSIDERS
            .iter()
            .copied()
            .filter(|&c| !in_ranges(&alphabet, c))
            .collect();
        Ok(Pattern {
            full,
            core,
            start_anchored,
            end_anchored,
            outsiders,
        })
    }

    /// Whether the pattern is anchored at both ends (the whole string must match).
    pub(crate) fn is_anchored(&self) -> bool {
        self.start_anchored && self.end_anchored
    }

    /// The least number of characters a match has.
    pub(crate) fn min_match(&self) -> usize {
        self.core.min
    }

    /// Bounds (in characters) of the strings that contain a match.
    pub(crate) fn length_bounds(&self) -> (usize, Option<usize>) {
        if self.is_anchored() {
            (self.core.min, self.core.max)
        } else {
            (self.core.min, None)
        }
    }

    /// Characters that appear in no match (from a fixed list of candidates).
    pub(crate) fn outsiders(&self) -> &[char] {
        &self.outsiders
    }

    /// Whether `s` contains a match (JSON Schema semantics).
    pub(crate) fn is_match(&self, s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        (0..=chars.len()).any(|start| self.full.matches(&chars, start, &mut |_| true))
    }

    /// A string of exactly `len` characters that contains a match (padding the unanchored
    /// sides), or `None` when the random choices could not reach that length.
    pub(crate) fn generate(&self, len: usize, rng: &mut SplitMix) -> Option<String> {
        let mut out = String::new();
        if self.is_anchored() {
            return self.core.fill(len, rng, &mut out).then_some(out);
        }
        let hi = self.core.max.map_or(len, |m| m.min(len));
        if self.core.min > hi {
            return None;
        }
        // Mostly most of the length goes to the match itself.
        let core_len = if rng.one_in(3) {
            rng.range(self.core.min, hi)
        } else {
            hi
        };
        let pad = len - core_len;
        let before = match (self.start_anchored, self.end_anchored) {
            (false, false) => rng.range(0, pad),
            (true, _) => 0,
            (false, true) => pad,
        };
        out.push_str(&free_text(before, rng));
        if !self.core.fill(core_len, rng, &mut out) {
            return None;
        }
        out.push_str(&free_text(pad - before, rng));
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(p: &Pattern, len: usize, seeds: u64) -> Vec<String> {
        (0..seeds)
            .filter_map(|s| p.generate(len, &mut SplitMix::new(s)))
            .collect()
    }

    #[test]
    fn generated_strings_match_and_have_the_length_asked() {
        for source in [
            "^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$",
            "^([a-zA-Z0-9-_]*)$",
            "[-a-z0-9]+",
            ".",
            "^(true|false)$",
            "^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$",
            "^([a-zA-Z0-9/-]+)?$",
        ] {
            let p = Pattern::parse(source).expect(source);
            let (lo, hi) = p.length_bounds();
            for len in lo..=hi.unwrap_or(lo + 20).min(lo + 40) {
                for s in sample(&p, len, 20) {
                    assert_eq!(s.chars().count(), len, "{source}: {s:?}");
                    assert!(p.is_match(&s), "{source}: {s:?}");
                }
            }
        }
    }

    #[test]
    fn matcher_is_unanchored_unless_told() {
        let kind = Pattern::parse("[-a-z0-9]+").expect("kind");
        assert!(kind.is_match("ABC-DEF"));
        assert!(kind.is_match("!!a!!"));
        assert!(!kind.is_match("ABC!"));
        assert!(!kind.is_match(""));
        let id = Pattern::parse("^([a-zA-Z0-9-_]*)$").expect("id");
        assert!(id.is_match(""));
        assert!(!id.is_match("a b"));
        let dot = Pattern::parse(".").expect("dot");
        assert!(!dot.is_match(""));
        assert!(!dot.is_match("\n"));
        assert!(dot.is_match("\nx"));
    }

    #[test]
    fn outsiders_avoid_the_alphabet() {
        let p = Pattern::parse("^[a-zA-Z0-9_-]{44}$").expect("secret");
        assert!(!p.outsiders().is_empty());
        assert!(p
            .outsiders()
            .iter()
            .all(|c| !c.is_ascii_alphanumeric() && *c != '_'));
        assert_eq!(Pattern::parse(".").expect("dot").outsiders(), &['\n']);
    }

    #[test]
    fn unsupported_look_arounds_are_refused() {
        assert!(Pattern::parse(r"\bword").is_err());
        assert!(Pattern::parse("a^b").is_err());
    }
}

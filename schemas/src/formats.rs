//! String formats checked the way the real service checks them (Ajv 8 with ajv-formats 2).
//!
//! The JSON Schema crate's own checks are stricter than the real service in two places that
//! clients meet: a `date-time` without a time zone is accepted upstream, and an e-mail address
//! needs a dot in its domain. Using the service's rules keeps the mock from rejecting what
//! production accepts, or accepting what it rejects.

use chrono::NaiveDate;

/// Checks a `date-time` the way the real service does: `YYYY-MM-DD`, a `T`, `t` or space, then
/// `hh:mm:ss` with optional fraction and an optional zone (`Z`, `z`, `+hh:mm`, `-hh:mm`).
/// Impossible dates (`2030-02-30`) and times are rejected.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 19 {
        return false;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return false;
    }
    let (date, time) = (&s[..10], &s[11..]);
    is_full_date(date) && is_time(time)
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_full_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    match (digits(&s[0..4]), digits(&s[5..7]), digits(&s[8..10])) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d).is_some(),
        _ => false,
    }
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&s[0..2]), digits(&s[3..5]), digits(&s[6..8]))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "" | "Z" | "z" => true,
        zone => {
            let z = zone.as_bytes();
            z.len() == 6
                && matches!(z[0], b'+' | b'-')
                && z[3] == b':'
                && digits(&zone[1..3]).is_some_and(|h| h <= 23)
                && digits(&zone[4..6]).is_some_and(|m| m <= 59)
        }
    }
}

/// Checks an `email` the way the real service does: a local part, `@`, and a domain of at least
/// two dot-separated labels (`a@b.c` passes, `a@b` does not).
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_as_upstream_accepts_them() {
        for ok in [
            "2026-11-28T04:46:05.525Z",
            "2026-11-28t04:46:05Z",
            "2026-11-28 04:46:05",
            "2026-11-28T04:46:05",
            "2026-11-28T04:46:05.1+01:00",
            "2024-02-29T00:00:00Z",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2030-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-28",
            "2026-11-28T25:00:00Z",
            "2026-11-28T04:46:05.Z",
            "2026-11-28X04:46:05Z",
            "yesterday",
            "2026-11-28T04:46:05+0100",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert!(is_email("a@b.c"));
        assert!(is_email("me+tag@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("@b.c"));
        assert!(!is_email("a@.c"));
        assert!(!is_email("no-at-sign"));
    }
}

//! Timestamps as the real service writes and reads them.
//!
//! All times in the mock are milliseconds since the Unix epoch (`i64`). On the wire they are
//! ISO-8601 UTC with exactly three fractional digits and `Z` (`2026-11-28T04:46:05.525Z`), the
//! JavaScript `toJSON` form; dates in requests are stored to the millisecond and echoed in that form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// One second, in milliseconds.
pub const SECOND: Millis = 1000;
/// One minute, in milliseconds.
pub const MINUTE: Millis = 60 * SECOND;
/// One hour, in milliseconds.
pub const HOUR: Millis = 60 * MINUTE;
/// One day, in milliseconds.
pub const DAY: Millis = 24 * HOUR;

/// Formats a time the way the real service does: `2026-11-28T04:46:05.525Z`.
pub fn format_ms(ms: Millis) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => "1970-01-01T00:00:00.000Z".to_string(),
    }
}

/// Parses a `date-time` accepted by the schemas (see `worker_manager_schemas::formats`): `T`, `t`
/// or space between date and time, optional fraction, optional zone (none means UTC). Returns
/// milliseconds, truncating finer precision.
pub fn parse_date_time(s: &str) -> Option<Millis> {
    if !worker_manager_schemas::formats::is_date_time(s) {
        return None;
    }
    let date = NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").ok()?;
    let rest = &s[11..];
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time_text, zone) = rest.split_at(zone_at);
    let time = NaiveTime::parse_from_str(time_text, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(time_text, "%H:%M:%S"))
        .ok()?;
    let naive = NaiveDateTime::new(date, time);
    let utc = match zone {
        "" | "Z" | "z" => naive.and_utc(),
        offset => DateTime::parse_from_str(
            &format!("{} {offset}", naive.format("%Y-%m-%dT%H:%M:%S%.f")),
            "%Y-%m-%dT%H:%M:%S%.f %:z",
        )
        .ok()?
        .with_timezone(&Utc),
    };
    Some(utc.timestamp_millis())
}

/// The start of the UTC day containing `ms`.
pub fn day_start(ms: Millis) -> Millis {
    ms - ms.rem_euclid(DAY)
}

/// The start of the UTC hour containing `ms`.
pub fn hour_start(ms: Millis) -> Millis {
    ms - ms.rem_euclid(HOUR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript_to_json() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn parses_lenient_forms() {
        let z = parse_date_time("2023-11-14T22:13:20.123Z").unwrap();
        assert_eq!(z, 1_700_000_000_123);
        assert_eq!(parse_date_time("2023-11-14 22:13:20.123"), Some(z));
        assert_eq!(parse_date_time("2023-11-14t22:13:20.1234567z"), Some(z));
        assert_eq!(parse_date_time("2023-11-14T23:13:20.123+01:00"), Some(z));
        assert_eq!(parse_date_time("2023-11-14T21:13:20.123-01:00"), Some(z));
        assert_eq!(parse_date_time("2030-02-30T00:00:00Z"), None);
    }

    #[test]
    fn day_and_hour_starts() {
        let t = parse_date_time("2026-11-28T04:46:05.525Z").unwrap();
        assert_eq!(format_ms(day_start(t)), "2026-11-28T00:00:00.000Z");
        assert_eq!(format_ms(hour_start(t)), "2026-11-28T04:00:00.000Z");
    }
}

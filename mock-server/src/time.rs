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

/// First millisecond of year 0 and first of year 10000: between them the four-digit form is
/// written by hand; outside, chrono writes the signed, longer years.
const HAND_RANGE: std::ops::Range<Millis> = -62_167_219_200_000..253_402_300_800_000;

/// Formats a time the way the real service does: `2026-11-28T04:46:05.525Z`.
///
/// Written by hand (no format-string interpretation, one allocation): this runs for every
/// timestamp of every rendered record, and chrono's formatter was a quarter of the CPU time of a
/// workers listing (issue 9). Years outside 0..=9999 go through chrono.
pub fn format_ms(ms: Millis) -> String {
    match format_ms_bytes(ms) {
        Some(b) => b.iter().map(|&c| c as char).collect(),
        None => format_ms_chrono(ms),
    }
}

/// [`format_ms`] into a stack buffer, for years 0..=9999 (`None` outside).
fn format_ms_bytes(ms: Millis) -> Option<[u8; 24]> {
    if !HAND_RANGE.contains(&ms) {
        return None;
    }
    let days = ms.div_euclid(DAY);
    // In 0..DAY, so it fits in 32 bits (cheaper division than 64-bit).
    let in_day = u32::try_from(ms.rem_euclid(DAY)).unwrap_or(0);
    let mut b = *b"0000-00-00T00:00:00.000Z";
    b[..10].copy_from_slice(&date_text(days));
    let (h, min, sec, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    b[11..13].copy_from_slice(two_digits(h));
    b[14..16].copy_from_slice(two_digits(min));
    b[17..19].copy_from_slice(two_digits(sec));
    b[20] = b'0' + (milli / 100) as u8;
    b[21..23].copy_from_slice(two_digits(milli % 100));
    Some(b)
}

/// The two ASCII digits of `v` (0..=99).
fn two_digits(v: u32) -> &'static [u8] {
    const DIGITS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let i = 2 * (v as usize % 100);
    &DIGITS[i..i + 2]
}

thread_local! {
    /// The last days formatted on this thread and their `YYYY-MM-DD`, by day number modulo 4:
    /// the times of one answer (a page of workers has four per worker: created, expires and two
    /// recent ones) fall on a few days.
    static DATES: std::cell::Cell<[(i64, [u8; 10]); 4]> =
        const { std::cell::Cell::new([(0, *b"1970-01-01"); 4]) };
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), for years 0..=9999.
fn date_text(days: i64) -> [u8; 10] {
    let slot = days.rem_euclid(4) as usize;
    let mut dates = DATES.get();
    if dates[slot].0 == days {
        return dates[slot].1;
    }
    let (y, m, d) = civil_from_days(days);
    let (y, m, d) = (
        u32::try_from(y).unwrap_or(0),
        u32::try_from(m).unwrap_or(0),
        u32::try_from(d).unwrap_or(0),
    );
    let mut b = *b"0000-00-00";
    b[..2].copy_from_slice(two_digits(y / 100));
    b[2..4].copy_from_slice(two_digits(y % 100));
    b[5..7].copy_from_slice(two_digits(m));
    b[8..10].copy_from_slice(two_digits(d));
    dates[slot] = (days, b);
    DATES.set(dates);
    b
}

/// Appends the [`format_ms`] text of `ms` (no quotes) to `out`, without allocating for years
/// 0..=9999.
pub fn write_ms(out: &mut Vec<u8>, ms: Millis) {
    match format_ms_bytes(ms) {
        Some(b) => out.extend_from_slice(&b),
        None => out.extend_from_slice(format_ms_chrono(ms).as_bytes()),
    }
}

/// A time that serializes as [`format_ms`] text without allocating (typed renders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub Millis);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match format_ms_bytes(self.0) {
            Some(b) => s.serialize_str(std::str::from_utf8(&b).map_err(serde::ser::Error::custom)?),
            None => s.serialize_str(&format_ms_chrono(self.0)),
        }
    }
}

/// Year, month (1-12) and day (1-31) of a day number (days since 1970-01-01), in the proleptic
/// Gregorian calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// [`format_ms`] through chrono's formatter (years outside 0..=9999, and the reference of the
/// tests).
fn format_ms_chrono(ms: Millis) -> String {
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
    fn hand_formatting_matches_chrono_at_the_edges() {
        for ms in [
            HAND_RANGE.start - 1,
            HAND_RANGE.start,
            HAND_RANGE.end - 1,
            HAND_RANGE.end,
            -1,
            0,
            951_782_400_000,    // 2000-02-29
            4_107_542_399_999,  // 2100-02-28T23:59:59.999
            -2_208_988_800_001, // 1899-12-31T23:59:59.999
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(format_ms(ms), format_ms_chrono(ms), "{ms}");
        }
        assert_eq!(format_ms(HAND_RANGE.start), "0000-01-01T00:00:00.000Z");
        assert_eq!(format_ms(HAND_RANGE.end - 1), "9999-12-31T23:59:59.999Z");
    }

    proptest::proptest! {
        /// The hand formatter writes exactly what chrono writes, over years 0 to 10000 and
        /// beyond.
        #[test]
        fn hand_formatting_equals_chrono(ms in -63_000_000_000_000i64..254_000_000_000_000) {
            proptest::prop_assert_eq!(format_ms(ms), format_ms_chrono(ms));
        }

        /// Runs of times on a few neighbouring days (where the last day's date text is reused)
        /// format as chrono does, whatever the order.
        #[test]
        fn neighbouring_days_format_like_chrono(
            base in 0i64..253_000_000_000_000,
            offsets in proptest::collection::vec(-2 * DAY..2 * DAY, 1..40),
        ) {
            for o in offsets {
                let mut out = Vec::new();
                write_ms(&mut out, base + o);
                proptest::prop_assert_eq!(out, format_ms_chrono(base + o).into_bytes());
            }
        }

        /// A [`Timestamp`] serializes as the formatted text.
        #[test]
        fn timestamps_serialize_as_formatted(ms in -63_000_000_000_000i64..254_000_000_000_000) {
            proptest::prop_assert_eq!(
                serde_json::to_value(Timestamp(ms)).unwrap(),
                serde_json::Value::String(format_ms(ms))
            );
        }

        /// ... and round-trips through the parser.
        #[test]
        fn formatted_times_parse_back(ms in HAND_RANGE) {
            proptest::prop_assert_eq!(parse_date_time(&format_ms(ms)), Some(ms));
        }
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

//! Times as people in Finland read them: Europe/Helsinki (EET, and EEST
//! from the last Sunday of March to the last Sunday of October, changing
//! at 01:00 UTC as in the whole EU).

/// Days since 1970-01-01 to (year, month, day) — Howard Hinnant's algorithm.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Unix time of 01:00 UTC on the last Sunday of `month`.
fn last_sunday_0100(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) % 7 == 0 is a Sunday.
    let sunday = last - (last + 4).rem_euclid(7);
    sunday * 86_400 + 3_600
}

/// Seconds east of UTC in Helsinki at `unix`.
fn offset(unix: i64) -> i64 {
    let (y, _, _) = civil(unix.div_euclid(86_400));
    if unix >= last_sunday_0100(y, 3) && unix < last_sunday_0100(y, 10) {
        3 * 3_600
    } else {
        2 * 3_600
    }
}

/// `2026-11-22 18:05` in Helsinki time.
pub fn local(unix: i64) -> String {
    let t = unix + offset(unix);
    let (y, m, d) = civil(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        s / 3600,
        (s % 3600) / 60
    )
}

/// The zone's name in Helsinki at `unix`: `EET`, or `EEST` in summer.
pub fn zone(unix: i64) -> &'static str {
    if offset(unix) == 3 * 3_600 {
        "EEST"
    } else {
        "EET"
    }
}

/// `2026-11-22 18:05 EET`: Helsinki time with its zone, for pages that
/// say which time they mean.
pub fn local_zoned(unix: i64) -> String {
    format!("{} {}", local(unix), zone(unix))
}

/// `2026-11-22 18:05:03` in Helsinki time: a cell a spreadsheet reads as
/// a date and time.
pub fn local_seconds(unix: i64) -> String {
    format!(
        "{}:{:02}",
        local(unix),
        (unix + offset(unix)).rem_euclid(60)
    )
}

/// The Unix time of the midnight that starts `2026-01-15` in Helsinki;
/// `None` for anything but such a date.
pub fn parse_local_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() != 10 || s.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let utc_midnight = parse_utc(s)?;
    // The offset two hours before that instant is the offset at local
    // midnight: Helsinki changes at 03:00 or 04:00, never near midnight.
    Some(utc_midnight - offset(utc_midnight - 2 * 3_600))
}

/// ISO 8601 in UTC, for exports.
pub fn iso_utc(unix: i64) -> String {
    let (y, m, d) = civil(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

/// The Unix time of `2026-01-15T12:00:00Z`, of a date `2026-01-15` (its
/// midnight UTC), or of Unix seconds `1768478400`; `None` for anything else.
pub fn parse_utc(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (s, None),
    };
    let num = |part: &str, len: usize| -> Option<u32> {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    if d.next().is_some() || !(1..=12).contains(&m) || day == 0 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, day);
    if civil(days) != (i64::from(y), m, day) {
        // 2026-02-30 and the like.
        return None;
    }
    let secs = match time {
        None => 0,
        Some(t) => {
            let mut p = t.split(':');
            let (h, mi, se) = (num(p.next()?, 2)?, num(p.next()?, 2)?, num(p.next()?, 2)?);
            if p.next().is_some() || h > 23 || mi > 59 || se > 59 {
                return None;
            }
            i64::from(h * 3600 + mi * 60 + se)
        }
    };
    Some(days * 86_400 + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helsinki_time_and_daylight_saving() {
        // 2026-01-15 12:00 UTC is 14:00 in Helsinki (EET).
        assert_eq!(local(1_768_478_400), "2026-01-15 14:00");
        // 2026-07-01 12:00 UTC is 15:00 (EEST).
        assert_eq!(local(1_782_907_200), "2026-07-01 15:00");
        // DST starts 2026-03-29 01:00 UTC.
        assert_eq!(local(1_774_745_999), "2026-03-29 02:59");
        assert_eq!(local(1_774_746_000), "2026-03-29 04:00");
        // and ends 2026-10-25 01:00 UTC.
        assert_eq!(local(1_792_890_000), "2026-10-25 03:00");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_768_478_400), "2026-01-15T12:00:00Z");
    }

    #[test]
    fn helsinki_zones_and_local_dates() {
        assert_eq!(local_zoned(1_768_478_400), "2026-01-15 14:00 EET");
        assert_eq!(local_zoned(1_782_907_200), "2026-07-01 15:00 EEST");
        assert_eq!(local_seconds(1_782_907_261), "2026-07-01 15:01:01");
        // Winter midnight is 22:00 UTC the day before, summer 21:00.
        assert_eq!(parse_local_date("2026-01-15"), Some(1_768_435_200 - 7_200));
        let summer = parse_local_date("2026-07-01").unwrap();
        assert_eq!(local(summer), "2026-07-01 00:00");
        assert_eq!(zone(summer), "EEST");
        // The days the clocks change start at local midnight too.
        for day in ["2026-03-29", "2026-10-25", "2026-03-30", "2026-10-26"] {
            let t = parse_local_date(day).unwrap();
            assert_eq!(local(t), format!("{day} 00:00"));
        }
        for bad in ["", "2026-02-30", "1768478400", "2026-01-15T12:00:00Z"] {
            assert_eq!(parse_local_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn utc_times_are_parsed_from_what_exports_write() {
        assert_eq!(parse_utc("2026-01-15T12:00:00Z"), Some(1_768_478_400));
        assert_eq!(parse_utc("2026-01-15"), Some(1_768_435_200));
        assert_eq!(parse_utc("1768478400"), Some(1_768_478_400));
        assert_eq!(parse_utc(&iso_utc(1_782_907_261)), Some(1_782_907_261));
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "2026-01-15T12:00:00",
            "2026-01-15T24:00:00Z",
            "26-01-15",
            "2026-01-15T12:00Z",
            "yesterday",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}

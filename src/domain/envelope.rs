//! The mbox envelope line (`From sender date`): its sender and its asctime-like date. The
//! readers use it to find where messages start; the normalizer falls back on its date when a
//! message has no usable `Date:`.

/// Splits an envelope into sender and the rest, knowing pipermail's `a at b` senders.
pub fn split_sender(rest: &str) -> (&str, &str) {
    let rest = rest.trim_start();
    let first_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let after = rest[first_end..].trim_start();
    if let Some(a) = after.strip_prefix("at ") {
        let a = a.trim_start();
        let dom_end = a.find(char::is_whitespace).unwrap_or(a.len());
        let consumed = rest.len() - a.len() + dom_end;
        return (&rest[..consumed], rest[consumed..].trim());
    }
    (&rest[..first_end], after.trim())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

pub fn looks_like_date(s: &str) -> bool {
    let has_month = s
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w.len() >= 3 && MONTHS.contains(&w[..3].to_ascii_lowercase().as_str()));
    let has_time = s.as_bytes().windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    });
    has_month && has_time
}

/// Parses an envelope's asctime-like date (`Tue Mar  1 03:09:56 2005`, maybe with a zone)
/// into seconds since the epoch, taking the time as UTC when no zone is given.
pub fn envelope_date(envelope: &str) -> Option<i64> {
    let tail = split_sender(envelope).1;
    let mut month = None;
    let mut day = None;
    let mut hms = None;
    let mut year = None;
    let mut tz_minutes = 0i64;
    for tok in tail.split_whitespace() {
        let lower = tok.to_ascii_lowercase();
        if month.is_none()
            && lower.len() >= 3
            && let Some(m) = MONTHS.iter().position(|m| lower.starts_with(m))
        {
            month = Some(m as u32 + 1);
            continue;
        }
        if tok.contains(':') && hms.is_none() {
            let parts: Vec<u32> = tok.split(':').filter_map(|p| p.parse().ok()).collect();
            if parts.len() >= 2 {
                hms = Some((parts[0], parts[1], parts.get(2).copied().unwrap_or(0)));
            }
            continue;
        }
        if (tok.starts_with('+') || tok.starts_with('-')) && tok.len() == 5 {
            if let Ok(v) = tok[1..].parse::<i64>() {
                let m = (v / 100) * 60 + v % 100;
                tz_minutes = if tok.starts_with('-') { -m } else { m };
            }
            continue;
        }
        if let Ok(n) = tok.parse::<i32>() {
            if tok.len() == 4 {
                year = Some(n);
            } else if day.is_none() && (1..=31).contains(&n) {
                day = Some(n as u32);
            }
        }
    }
    let (h, mi, s) = hms?;
    let date = chrono::NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let dt = date.and_hms_opt(h, mi, s)?;
    Some(dt.and_utc().timestamp() - tz_minutes * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asctime_dates() {
        assert_eq!(envelope_date("mboxrd@z Thu Jan  1 00:00:00 1970"), Some(0));
        assert_eq!(
            envelope_date("jane at example.org  Tue Mar  1 03:09:56 2005"),
            Some(1109646596)
        );
        assert_eq!(envelope_date("-"), None);
    }
}

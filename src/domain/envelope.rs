//! The mbox envelope line (`From sender date`): its sender and its asctime-like date, and
//! the quoting that keeps body lines from passing for one. The readers use it to find where
//! messages start; the normalizer falls back on its date when a message has no usable
//! `Date:`; the exports quote what they write with it.

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

/// Whether mboxrd quotes this body line: `From ` behind any number of `>` (`From `,
/// `>From `, `>>From ` …). Writers put one more `>` before such a line, so that no line of
/// a message passes for an envelope; readers take one off ([`mboxrd_unquoted`]), which
/// gives every line back exactly. Writing and reading share this test so that the two
/// cannot drift apart.
pub fn mboxrd_quotes(line: &[u8]) -> bool {
    let gts = line.iter().take_while(|&&b| b == b'>').count();
    line[gts..].starts_with(b"From ")
}

/// A line of an mbox with its `From ` quoting undone. Applied to mboxo files too, where it
/// restores the common case and only touches lines that were quoted `>From ` already in
/// the original.
pub fn mboxrd_unquoted(line: &[u8]) -> &[u8] {
    if line.first() == Some(&b'>') && mboxrd_quotes(line) {
        &line[1..]
    } else {
        line
    }
}

/// Whether mboxo, the quoting of pipermail's text archives, quotes this body line: only a
/// line that starts `From ` gains a `>`, so `>From ` lines come out as they went in and
/// the quoting cannot be undone exactly. Exports in pipermail's format write it to match
/// what pipermail wrote.
pub fn mboxo_quotes(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mboxrd_quoting_round_trips() {
        for line in [
            &b"From me\n"[..],
            b">From me\n",
            b">>From me\n",
            b"From\n",
            b">Frome\n",
            b"text\n",
            b"",
        ] {
            let mut quoted = Vec::new();
            if mboxrd_quotes(line) {
                quoted.push(b'>');
            }
            quoted.extend_from_slice(line);
            assert_eq!(mboxrd_unquoted(&quoted), line);
        }
        assert!(mboxrd_quotes(b">>From x"));
        assert!(!mboxo_quotes(b">From x"));
        assert!(mboxo_quotes(b"From x"));
    }

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

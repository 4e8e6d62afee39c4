//! Which message of the archive a fold of quoted history quotes.
//!
//! A quoted header names a sender and a time, written by the quoting client in its own
//! words and time zone (`Thursday, February 25, 2016 4:59 PM`, `25 February 2016 at
//! 16:59`, `Thu, 25 Feb 2016 16:59:00 +0000`). The archive knows the thread's messages
//! with their senders and UTC times, so a fold can link to the message it quotes. A wrong
//! link is worse than none: a fold links only when exactly one message of the thread has
//! that sender and a time that the quoted time can be, in the quoting message's zone or,
//! failing that, in exactly one zone of the world.

use chrono::NaiveDate;

/// A message of the same thread that a fold may quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub name: String,
    pub addr: String,
    /// Seconds since the epoch, UTC.
    pub date: i64,
    /// Where the fold's summary links to (the message's page, or its anchor on a thread
    /// page).
    pub href: String,
}

/// A quoted time read off a header or an attribution: local wall-clock readings (two
/// when a numeric date could be read day-first or month-first), as seconds since the
/// epoch as if they were UTC, and the zone when the text says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct QuotedTime {
    pub local: Vec<i64>,
    pub offset: Option<i64>,
}

/// Month names and their usual abbreviations in the languages mail clients write
/// attributions in most. Exact words only: a prefix rule would read the French `mardi`
/// as March.
const MONTHS: [(&str, u32); 104] = [
    ("january", 1),
    ("jan", 1),
    ("janvier", 1),
    ("janv", 1),
    ("januar", 1),
    ("jänner", 1),
    ("enero", 1),
    ("ene", 1),
    ("gennaio", 1),
    ("gen", 1),
    ("janeiro", 1),
    ("januari", 1),
    ("february", 2),
    ("feb", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("februar", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevereiro", 2),
    ("fev", 2),
    ("februari", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("märz", 3),
    ("mär", 3),
    ("mrz", 3),
    ("marzo", 3),
    ("março", 3),
    ("maart", 3),
    ("mrt", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mag", 5),
    ("maio", 5),
    ("mei", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("juni", 6),
    ("junio", 6),
    ("giugno", 6),
    ("giu", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("juillet", 7),
    ("juil", 7),
    ("juli", 7),
    ("julio", 7),
    ("luglio", 7),
    ("lug", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("settembre", 9),
    ("setembro", 9),
    ("set", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("outubro", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    ("dezember", 12),
    ("dez", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

fn month_word(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.');
    MONTHS.iter().find(|(n, _)| *n == w).map(|&(_, m)| m)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(String),
    Word(String),
    Sep(char),
}

fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digits = false;
    let push = |cur: &mut String, digits: bool, out: &mut Vec<Tok>| {
        if !cur.is_empty() {
            out.push(if digits {
                Tok::Num(std::mem::take(cur))
            } else {
                Tok::Word(std::mem::take(cur))
            });
        }
    };
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_digit() {
            if !digits {
                push(&mut cur, digits, &mut out);
            }
            digits = true;
            cur.push(c);
        } else if c.is_alphabetic() {
            if digits {
                push(&mut cur, digits, &mut out);
            }
            digits = false;
            cur.push(c);
        } else {
            push(&mut cur, digits, &mut out);
            if !c.is_whitespace() {
                out.push(Tok::Sep(c));
            }
        }
    }
    push(&mut cur, digits, &mut out);
    out
}

fn num(t: Option<&Tok>) -> Option<(u32, usize)> {
    match t {
        Some(Tok::Num(n)) if n.len() <= 4 => n.parse().ok().map(|v| (v, n.len())),
        _ => None,
    }
}

/// Reads a quoted time. `None` when the text does not hold a date and a time of day.
pub(super) fn parse(s: &str) -> Option<QuotedTime> {
    if s.len() > 120 {
        return None;
    }
    let t = tokens(s);
    // The time of day: `H:MM` or `H:MM:SS`, then an optional AM/PM and zone.
    let at = (0..t.len()).find(|&i| {
        matches!(num(t.get(i)), Some((h, 1..=2)) if h < 24)
            && t.get(i + 1) == Some(&Tok::Sep(':'))
            && matches!(num(t.get(i + 2)), Some((m, 2)) if m < 60)
    })?;
    let (mut hour, _) = num(t.get(at))?;
    let (minute, _) = num(t.get(at + 2))?;
    let mut end = at + 3;
    let mut second = 0;
    if t.get(end) == Some(&Tok::Sep(':'))
        && let Some((sec, 2)) = num(t.get(end + 1))
    {
        second = sec.min(59);
        end += 2;
    }
    match t.get(end) {
        Some(Tok::Word(w)) if w == "pm" || (w == "p" && t.get(end + 1) == Some(&Tok::Sep('.'))) => {
            if hour < 12 {
                hour += 12;
            }
            end += 1;
        }
        Some(Tok::Word(w)) if w == "am" || (w == "a" && t.get(end + 1) == Some(&Tok::Sep('.'))) => {
            if hour == 12 {
                hour = 0;
            }
            end += 1;
        }
        _ => {}
    }
    let offset = zone(&t[end.min(t.len())..]);
    // The date, in the tokens other than the time's.
    let rest: Vec<&Tok> = t[..at].iter().chain(&t[end.min(t.len())..]).collect();
    let dates = dates(&rest);
    let local: Vec<i64> = dates
        .into_iter()
        .filter_map(|(y, m, d)| {
            NaiveDate::from_ymd_opt(y, m, d)?
                .and_hms_opt(hour, minute, second)
                .map(|dt| dt.and_utc().timestamp())
        })
        .collect();
    (!local.is_empty()).then_some(QuotedTime { local, offset })
}

/// A numeric zone right after the time: `+0100`, `-05:00`, `GMT+01:00`, `UTC`.
fn zone(t: &[Tok]) -> Option<i64> {
    let mut i = 0;
    if matches!(t.first(), Some(Tok::Word(w)) if w == "gmt" || w == "utc") {
        i = 1;
        if !matches!(t.get(1), Some(Tok::Sep('+' | '-'))) {
            return Some(0);
        }
    }
    let sign = match t.get(i) {
        Some(Tok::Sep('+')) => 1,
        Some(Tok::Sep('-')) => -1,
        _ => return None,
    };
    let (h, m) = match (num(t.get(i + 1)), t.get(i + 2), num(t.get(i + 3))) {
        (Some((hm, 4)), _, _) => (hm / 100, hm % 100),
        (Some((h, 1..=2)), Some(Tok::Sep(':')), Some((m, 2))) => (h, m),
        (Some((h, 1..=2)), _, _) => (h, 0),
        _ => return None,
    };
    (h <= 14 && m < 60).then(|| sign * i64::from(h * 3600 + m * 60))
}

fn year(v: u32, digits: usize) -> Option<i32> {
    match digits {
        4 if (1970..=2100).contains(&v) => Some(v as i32),
        2 => Some(2000 + v as i32),
        _ => None,
    }
}

/// The calendar dates a text can mean: one with a month name, one or two when numeric.
fn dates(t: &[&Tok]) -> Vec<(i32, u32, u32)> {
    // A month name stands next to a number (`25 February`, `Feb 25,`, `févr. 2016`), or
    // one word away (`25 de febrero de 2016`); one next to a number wins, as `mar` may be
    // a Spanish weekday (`mar, 25 feb 2016`).
    let is_num = |j: usize| matches!(t.get(j), Some(Tok::Num(_)));
    let words: Vec<(usize, u32)> = t
        .iter()
        .enumerate()
        .filter_map(|(i, tok)| match tok {
            Tok::Word(w) => month_word(w).map(|m| (i, m)),
            _ => None,
        })
        .collect();
    let within =
        |i: usize, d: usize| (1..=d).any(|k| is_num(i + k) || i.checked_sub(k).is_some_and(is_num));
    let month = words
        .iter()
        .find(|(i, _)| within(*i, 1))
        .or_else(|| words.iter().find(|(i, _)| within(*i, 2)))
        .map(|&(_, m)| m);
    if let Some(m) = month {
        let nums: Vec<(u32, usize)> = t.iter().filter_map(|tok| num(Some(tok))).collect();
        let Some(&(y, yd)) = nums.iter().find(|(_, d)| *d == 4) else {
            return Vec::new();
        };
        let Some(y) = year(y, yd) else {
            return Vec::new();
        };
        let Some(&(d, _)) = nums.iter().find(|(v, dd)| *dd <= 2 && (1..=31).contains(v)) else {
            return Vec::new();
        };
        return vec![(y, m, d)];
    }
    // Numeric: three numbers joined by one separator (`2016-02-25`, `25/02/2016`,
    // `25.02.16`).
    for w in t.windows(5) {
        let (Some(a), Some(b), Some(c)) = (num(Some(w[0])), num(Some(w[2])), num(Some(w[4])))
        else {
            continue;
        };
        let (Tok::Sep(s1), Tok::Sep(s2)) = (w[1], w[3]) else {
            continue;
        };
        if s1 != s2 || !matches!(s1, '/' | '.' | '-') {
            continue;
        }
        if a.1 == 4 {
            return year(a.0, a.1)
                .map(|y| vec![(y, b.0, c.0)])
                .unwrap_or_default();
        }
        let Some(y) = year(c.0, c.1) else { continue };
        let mut out = Vec::new();
        if (1..=12).contains(&b.0) {
            out.push((y, b.0, a.0));
        }
        if (1..=12).contains(&a.0) && a.0 != b.0 {
            out.push((y, a.0, b.0));
        }
        return out;
    }
    Vec::new()
}

/// Lower case, without quotes, with single spaces; `Last, First` turned around.
fn norm_name(s: &str) -> String {
    let s = s.trim().trim_matches(['"', '\'']).trim();
    let s = match s.split_once(", ") {
        Some((last, first)) if !first.contains(',') && !s.contains('@') => {
            format!("{first} {last}")
        }
        _ => s.to_string(),
    };
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether the quoted sender (a name, an address or both) is this message's sender.
fn same_sender(who: &str, addr: &str, e: &Earlier) -> bool {
    let addr = addr.trim();
    if !addr.is_empty() && !e.addr.is_empty() {
        return addr.eq_ignore_ascii_case(e.addr.trim());
    }
    let who = norm_name(who);
    !who.is_empty()
        && ((!e.name.trim().is_empty() && who == norm_name(&e.name))
            || who.eq_ignore_ascii_case(e.addr.trim()))
}

/// Zones run from UTC-12 to UTC+14 in quarter hours.
const ZONE_MIN: i64 = -12 * 3600;
const ZONE_MAX: i64 = 14 * 3600;

/// Whether a quoted wall-clock reading `local` in zone `offset` is the UTC time `utc`:
/// clients show minutes, so the reading may be up to a minute behind (and is allowed a
/// little ahead, for clocks that round).
fn at(local: i64, offset: i64, utc: i64) -> bool {
    (-90..=30).contains(&(local - offset - utc))
}

fn any_zone(local: i64, utc: i64) -> bool {
    let d = local - utc;
    if !(ZONE_MIN - 90..=ZONE_MAX + 30).contains(&d) {
        return false;
    }
    let q = (d + 450).div_euclid(900) * 900;
    at(local, q, utc)
}

/// The one message among `candidates` that a fold naming `who` (`addr`) at `when`
/// quotes, if exactly one fits. `zone` is the quoting message's UTC offset in seconds.
pub(super) fn find<'a>(
    who: &str,
    addr: &str,
    when: &str,
    zone: Option<i64>,
    candidates: &'a [Earlier],
) -> Option<&'a Earlier> {
    if candidates.is_empty() || (who.is_empty() && addr.is_empty()) {
        return None;
    }
    let t = parse(when)?;
    let by_sender: Vec<&Earlier> = candidates
        .iter()
        .filter(|e| same_sender(who, addr, e))
        .collect();
    let only = |fits: &dyn Fn(&Earlier) -> bool| {
        let mut it = by_sender.iter().filter(|e| fits(e));
        match (it.next(), it.next()) {
            (Some(e), None) => Some(*e),
            _ => None,
        }
    };
    if let Some(o) = t.offset {
        return only(&|e| t.local.iter().any(|&l| at(l, o, e.date)));
    }
    if let Some(o) = zone
        && let Some(e) = only(&|e| t.local.iter().any(|&l| at(l, o, e.date)))
    {
        return Some(e);
    }
    only(&|e| t.local.iter().any(|&l| any_zone(l, e.date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn reads_the_forms_clients_write() {
        let t = |s: &str| parse(s).map(|q| (q.local, q.offset));
        let feb25 = utc(2016, 2, 25, 16, 59);
        for s in [
            "Thursday, February 25, 2016 4:59 PM",
            "25 February 2016 at 16:59",
            "Thu, Feb 25, 2016 at 4:59 PM",
            "25 févr. 2016 à 16:59",
            "Donnerstag, 25. Februar 2016 16:59",
            "jueves, 25 de febrero de 2016 16:59",
            "2016-02-25 16:59",
            "mar, 25 feb 2016 16:59",
        ] {
            assert_eq!(t(s), Some((vec![feb25], None)), "{s}");
        }
        assert_eq!(
            t("Thu, 25 Feb 2016 16:59:00 +0100"),
            Some((vec![feb25], Some(3600)))
        );
        assert_eq!(
            t("Thu 25/02/2016 16:59 GMT-05:00"),
            Some((vec![feb25], Some(-5 * 3600)))
        );
        // Day-first and month-first both possible.
        assert_eq!(
            t("03/04/2016 09:15"),
            Some((vec![utc(2016, 4, 3, 9, 15), utc(2016, 3, 4, 9, 15)], None))
        );
        assert_eq!(
            t("12:00 AM, 1 Jan 2020"),
            Some((vec![utc(2020, 1, 1, 0, 0)], None))
        );
        for s in [
            "",
            "yesterday",
            "Feb 2016",
            "25 February 2016",
            "at 16:59",
            "16:59 on 99/99/2016",
        ] {
            assert_eq!(t(s), None, "{s}");
        }
    }

    fn e(name: &str, addr: &str, date: i64, href: &str) -> Earlier {
        Earlier {
            name: name.into(),
            addr: addr.into(),
            date,
            href: href.into(),
        }
    }

    #[test]
    fn links_only_one_fitting_message() {
        // Sent at 15:59 UTC from a +01:00 client; quoted as 16:59.
        let sent = utc(2016, 2, 25, 15, 59) + 37;
        let c = vec![
            e("Markus Kummer", "mk@example.org", sent, "a"),
            e("Markus Kummer", "mk@example.org", sent + 86_400, "b"),
            e("Jane Doe", "jane@example.org", sent, "c"),
        ];
        let when = "25 February 2016 at 16:59";
        let found = |who, addr, zone| find(who, addr, when, zone, &c).map(|e| e.href.as_str());
        assert_eq!(found("Markus Kummer", "", Some(3600)), Some("a"));
        assert_eq!(found("Kummer, Markus", "", None), Some("a"));
        assert_eq!(found("", "MK@example.org", None), Some("a"));
        assert_eq!(found("Jane Doe", "", Some(3600)), Some("c"));
        // Another sender, another minute, a wrong zone: no link.
        assert_eq!(found("John Roe", "", Some(3600)), None);
        assert_eq!(
            find("Markus Kummer", "", "25 February 2016 at 16:52", None, &c),
            None
        );
        assert_eq!(
            find(
                "Markus Kummer",
                "",
                "Thu, 25 Feb 2016 16:59:00 +0200",
                None,
                &c
            ),
            None
        );
        // Two messages that both fit: no link rather than a wrong one.
        let twice = vec![
            e("Markus Kummer", "", sent, "a"),
            e("Markus Kummer", "", sent - 3600, "b"),
        ];
        assert_eq!(find("Markus Kummer", "", when, None, &twice), None);
        // ...unless the quoting message's zone decides.
        assert_eq!(
            find("Markus Kummer", "", when, Some(3600), &twice).map(|e| e.href.as_str()),
            Some("a")
        );
    }
}

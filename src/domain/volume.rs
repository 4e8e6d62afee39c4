//! pipermail's archive volumes. Mailman 2 files each message into one volume named after
//! its date by the list's `archive_volume_frequency` (Mailman's `dateToVolName`): yearly
//! `2005`, monthly `2005-August`, quarterly `2005q3`, weekly `Week-of-Mon-20050822` and
//! daily `20050824`. Every volume has a `.txt` archive and a folder of pages under that name,
//! so old links of an archive of any frequency can only be resolved knowing all five.

use chrono::{Datelike, NaiveDate};

use super::month::{MONTH_NAMES, Month, parse_month};

/// One pipermail volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    Year(i32),
    /// Year and quarter (1 to 4).
    Quarter(i32, u32),
    Month(Month),
    /// The Monday that starts the week.
    Week(NaiveDate),
    Day(NaiveDate),
}

impl Volume {
    /// The volume a pipermail name stands for: `2005`, `2005q3`, `2005-August`,
    /// `Week-of-Mon-20050822`, `20050824`. Anything else (or a date that does not exist, or a
    /// week that does not start on a Monday) is not a volume.
    pub fn parse(name: &str) -> Option<Volume> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if let Some(d) = name.strip_prefix("Week-of-Mon-") {
            let day = ymd(d)?;
            return (day.weekday() == chrono::Weekday::Mon).then_some(Volume::Week(day));
        }
        if name.len() == 4 && digits(name) {
            return name.parse().ok().map(Volume::Year);
        }
        if name.len() == 8 && digits(name) {
            return ymd(name).map(Volume::Day);
        }
        if let Some((y, q)) = name.split_once('q')
            && y.len() == 4
            && digits(y)
            && matches!(q, "1" | "2" | "3" | "4")
        {
            return Some(Volume::Quarter(y.parse().ok()?, q.parse().ok()?));
        }
        let (y, m) = parse_month(name)?;
        Month::from_ym(y, m).map(Volume::Month)
    }

    /// The volume's name as Mailman wrote it.
    pub fn name(self) -> String {
        match self {
            Volume::Year(y) => format!("{y:04}"),
            Volume::Quarter(y, q) => format!("{y:04}q{q}"),
            Volume::Month(m) => format!("{:04}-{}", m.year(), MONTH_NAMES[m.month() as usize - 1]),
            Volume::Week(d) => d.format("Week-of-Mon-%Y%m%d").to_string(),
            Volume::Day(d) => d.format("%Y%m%d").to_string(),
        }
    }

    /// The days the volume covers: its first day and the day after its last.
    pub fn days(self) -> Option<(NaiveDate, NaiveDate)> {
        let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1);
        match self {
            Volume::Year(y) => Some((first_of(y, 1)?, first_of(y + 1, 1)?)),
            Volume::Quarter(y, q) => {
                let start = first_of(y, 3 * q - 2)?;
                let end = if q == 4 {
                    first_of(y + 1, 1)?
                } else {
                    first_of(y, 3 * q + 1)?
                };
                Some((start, end))
            }
            Volume::Month(m) => {
                let next = m.next()?;
                Some((
                    first_of(m.year(), m.month())?,
                    first_of(next.year(), next.month())?,
                ))
            }
            Volume::Week(d) => Some((d, d.checked_add_days(chrono::Days::new(7))?)),
            Volume::Day(d) => Some((d, d.succ_opt()?)),
        }
    }

    /// The volume's span as UTC timestamps, start inclusive, end exclusive. Mailman cut
    /// volumes in its server's local time, which the archive does not record: a message
    /// within hours of a boundary can sit in the neighbouring volume here.
    pub fn span(self) -> Option<(i64, i64)> {
        let (a, b) = self.days()?;
        let ts = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
        Some((ts(a)?, ts(b)?))
    }

    /// The months the volume touches, in order: one for a month, a day or most weeks, three
    /// for a quarter, twelve for a year.
    pub fn months(self) -> Vec<Month> {
        let Some((a, b)) = self.days() else {
            return Vec::new();
        };
        let last = b.pred_opt().unwrap_or(a);
        let (Some(mut m), Some(end)) = (
            Month::from_ym(a.year(), a.month()),
            Month::from_ym(last.year(), last.month()),
        ) else {
            return Vec::new();
        };
        let mut out = vec![m];
        while m < end {
            match m.next() {
                Some(n) => {
                    out.push(n);
                    m = n;
                }
                None => break,
            }
        }
        out
    }
}

fn ymd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s[..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..].parse().ok()?,
    )
}

/// The volume of a pipermail text archive's file name: `2005q3.txt`, `20050824.txt.gz`.
pub fn of_file(name: &str) -> Option<Volume> {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    Volume::parse(stem.strip_suffix(".txt")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frequency_round_trips() {
        for name in [
            "2005",
            "2005q1",
            "2005q4",
            "2005-August",
            "Week-of-Mon-20050822",
            "20050824",
            "20040229",
        ] {
            let v = Volume::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(v.name(), name);
        }
    }

    #[test]
    fn not_volumes() {
        for name in [
            "",
            "attachments",
            "2005q5",
            "2005q0",
            "20050230",
            "Week-of-Mon-20050823", // a Tuesday
            "Week-of-Mon-2005082",
            "Week-of-Mon-+0050822",
            "205",
            "2005-Augus",
            "index.html",
            "q1",
            "+005",
            "+0050824",
            "Week-of-Mon-2005082é",
            "2005082é",
        ] {
            assert_eq!(Volume::parse(name), None, "{name}");
        }
        assert_eq!(of_file("2005-August"), None, "a folder, not an archive");
        assert_eq!(of_file("2005q3.txt.gz"), Some(Volume::Quarter(2005, 3)));
    }

    #[test]
    fn spans_and_months() {
        let q = Volume::parse("2005q4").unwrap();
        let (a, b) = q.span().unwrap();
        assert_eq!(a, 1_128_124_800); // 2005-10-01
        assert_eq!(b, 1_136_073_600); // 2006-01-01
        assert_eq!(q.months().len(), 3);
        assert_eq!(Volume::parse("2005").unwrap().months().len(), 12);
        // A week across a month's end touches both months.
        let w = Volume::parse("Week-of-Mon-20050829").unwrap();
        let ms: Vec<i64> = w.months().iter().map(|m| m.code()).collect();
        assert_eq!(ms, vec![200508, 200509]);
        assert_eq!(Volume::parse("20050824").unwrap().months().len(), 1);
    }

    #[test]
    fn a_date_falls_in_its_volume() {
        let t = 1_124_856_227; // Wed 2005-08-24 04:03:47 UTC
        for kind in [
            "2005",
            "2005q3",
            "2005-August",
            "Week-of-Mon-20050822",
            "20050824",
        ] {
            let v = Volume::parse(kind).unwrap();
            let (a, b) = v.span().unwrap();
            assert!(a <= t && t < b, "{kind}");
        }
    }
}

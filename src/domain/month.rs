//! Months, the unit of every archive listing: a month is kept as its `YYYYMM` code
//! (`200804` for April 2008), which sorts and compares as months do and is what the store
//! records for each message.

pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar month of the years 0 to 9999, held as its `YYYYMM` code: only a real month
/// can be made, so its year, number and name never need checking where it is used, and
/// months order as their codes do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i64);

impl Month {
    /// Four-digit years keep the code `YYYYMM` and every month's URL the same shape.
    const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

    pub fn from_ym(year: i32, month: u32) -> Option<Month> {
        (Self::YEARS.contains(&year) && (1..=12).contains(&month))
            .then(|| Month(i64::from(year) * 100 + i64::from(month)))
    }

    /// A month as the store records it.
    pub fn from_code(code: i64) -> Option<Month> {
        let year = i32::try_from(code.div_euclid(100)).ok()?;
        let month = u32::try_from(code.rem_euclid(100)).ok()?;
        Month::from_ym(year, month)
    }

    /// The month of a timestamp, in UTC.
    pub fn from_timestamp(t: i64) -> Option<Month> {
        use chrono::Datelike;
        let d = chrono::DateTime::from_timestamp(t, 0)?;
        Month::from_ym(d.year(), d.month())
    }

    pub fn year(self) -> i32 {
        (self.0 / 100) as i32
    }

    /// 1 (January) to 12.
    pub fn month(self) -> u32 {
        (self.0 % 100) as u32
    }

    /// `YYYYMM`, as the store records it.
    pub fn code(self) -> i64 {
        self.0
    }

    /// "April 2008".
    pub fn name(self) -> String {
        format!("{} {}", MONTH_NAMES[self.month() as usize - 1], self.year())
    }

    /// The month after this one (none after December 9999).
    pub fn next(self) -> Option<Month> {
        match self.month() {
            12 => Month::from_ym(self.year() + 1, 1),
            m => Month::from_ym(self.year(), m + 1),
        }
    }

    /// The month before this one (none before January of the year 0).
    pub fn prev(self) -> Option<Month> {
        match self.month() {
            1 => Month::from_ym(self.year() - 1, 12),
            m => Month::from_ym(self.year(), m - 1),
        }
    }
}

/// The `YYYYMM` code of a timestamp's month, in UTC.
pub fn utc_month(t: i64) -> Option<i64> {
    Month::from_timestamp(t).map(Month::code)
}

/// `2008-April` -> (2008, 4).
pub fn parse_month(stem: &str) -> Option<(i32, u32)> {
    let (y, m) = stem.split_once('-')?;
    if y.len() != 4 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = MONTH_NAMES.iter().position(|n| n.eq_ignore_ascii_case(m))? as u32 + 1;
    Some((year, month))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_months_are_made() {
        assert_eq!(Month::from_ym(2008, 0), None);
        assert_eq!(Month::from_ym(2008, 13), None);
        assert_eq!(Month::from_ym(-1, 5), None);
        assert_eq!(Month::from_ym(10_000, 1), None);
        for code in [
            200800,
            200813,
            200899,
            -200801,
            1_000_001,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(Month::from_code(code), None, "{code}");
        }
        let m = Month::from_code(200804).unwrap();
        assert_eq!((m.year(), m.month(), m.code()), (2008, 4, 200804));
        assert_eq!(Month::from_ym(2008, 4), Some(m));
        assert_eq!(Month::from_ym(0, 1).map(Month::code), Some(1));
        assert_eq!(Month::from_ym(9999, 12).map(Month::code), Some(999912));
    }

    #[test]
    fn names_and_timestamps() {
        assert_eq!(Month::from_ym(2008, 4).unwrap().name(), "April 2008");
        assert_eq!(Month::from_ym(1999, 12).unwrap().name(), "December 1999");
        assert_eq!(Month::from_ym(2000, 1).unwrap().name(), "January 2000");
        // 2008-04-30 23:59:59 and 2008-05-01 00:00:00 UTC.
        assert_eq!(
            Month::from_timestamp(1_209_599_999),
            Month::from_ym(2008, 4)
        );
        assert_eq!(
            Month::from_timestamp(1_209_600_000),
            Month::from_ym(2008, 5)
        );
        assert_eq!(Month::from_timestamp(0), Month::from_ym(1970, 1));
        assert_eq!(Month::from_timestamp(-1), Month::from_ym(1969, 12));
        assert_eq!(Month::from_timestamp(i64::MAX), None);
        assert_eq!(utc_month(1_209_600_000), Some(200805));
    }

    #[test]
    fn steps_cross_years_and_stop_at_the_ends() {
        let m = |y, n| Month::from_ym(y, n).unwrap();
        assert_eq!(m(2008, 12).next(), Some(m(2009, 1)));
        assert_eq!(m(2009, 1).prev(), Some(m(2008, 12)));
        assert_eq!(m(2008, 4).next(), Some(m(2008, 5)));
        assert_eq!(m(2008, 4).prev(), Some(m(2008, 3)));
        assert_eq!(m(9999, 12).next(), None);
        assert_eq!(m(0, 1).prev(), None);
        let mut x = m(1999, 1);
        for _ in 0..36 {
            let n = x.next().unwrap();
            assert!(n > x);
            assert_eq!(n.prev(), Some(x));
            x = n;
        }
        assert_eq!(x, m(2002, 1));
    }

    #[test]
    fn months_order_as_time_does() {
        let mut v = [m(2008, 10), m(2007, 12), m(2008, 2), m(2008, 1)];
        v.sort();
        assert_eq!(v, [m(2007, 12), m(2008, 1), m(2008, 2), m(2008, 10)]);
        fn m(y: i32, n: u32) -> Month {
            Month::from_ym(y, n).unwrap()
        }
    }
}

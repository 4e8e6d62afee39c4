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

/// The `YYYYMM` code of a timestamp's month, in UTC.
pub fn utc_month(t: i64) -> Option<i64> {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp(t, 0)?;
    Some(d.year() as i64 * 100 + d.month() as i64)
}

/// YYYYMM -> "April 2008".
pub fn month_name(m: i64) -> String {
    let idx = (m % 100 - 1).clamp(0, 11) as usize;
    format!("{} {}", MONTH_NAMES[idx], m / 100)
}

/// The month after / before YYYYMM.
pub fn month_step(m: i64, forward: bool) -> i64 {
    let (y, mo) = (m / 100, m % 100);
    match (forward, mo) {
        (true, 12) => (y + 1) * 100 + 1,
        (true, _) => m + 1,
        (false, 1) => (y - 1) * 100 + 12,
        (false, _) => m - 1,
    }
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

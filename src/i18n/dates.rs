//! Dates as the reader's language writes them. Every page shows instants in UTC or in the
//! sender's own offset, says which, and keeps the exact instant in `<time datetime>`; only
//! the words and the order of the parts change with the language.

use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};

use super::{Arg, Lang};

impl Lang {
    /// The month's name as a heading or a calendar shows it (nominative where the
    /// language declines it).
    pub fn month_name(self, month: u32) -> String {
        self.t(&format!("month-{month}"))
    }

    /// The month's abbreviation, for the columns of the year tables.
    pub fn month_short(self, month: u32) -> String {
        self.t(&format!("month-short-{month}"))
    }

    /// Every month's full name and abbreviation, January first, for calendar tables.
    pub fn month_names(self) -> Vec<(String, String)> {
        (1..=12)
            .map(|m| (self.month_name(m), self.month_short(m)))
            .collect()
    }

    /// A month of a year, as the month pages are titled ("April 2008", "avril 2008",
    /// "2008年4月").
    pub fn month_label(self, year: i32, month: u32) -> String {
        let year = year.to_string();
        let mnum = month.to_string();
        self.tr(
            "date-month",
            &[
                ("month", Arg::S(&self.month_name(month))),
                ("year", Arg::S(&year)),
                ("mnum", Arg::S(&mnum)),
            ],
        )
    }

    fn date_of<Tz: chrono::TimeZone>(self, d: &DateTime<Tz>) -> String {
        let (day, mnum, year) = (d.day().to_string(), d.month(), d.year().to_string());
        self.tr(
            "date-day",
            &[
                ("day", Arg::S(&day)),
                ("month", Arg::S(&self.t(&format!("month-of-{mnum}")))),
                ("mnum", Arg::S(&mnum.to_string())),
                ("year", Arg::S(&year)),
            ],
        )
    }

    /// The day of an instant in UTC, or a dash when there is none.
    pub fn day(self, t: &Option<i64>) -> String {
        match t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)) {
            Some(d) => self.date_of(&d),
            None => "—".to_string(),
        }
    }

    /// An instant in UTC, to the minute, saying it is UTC.
    pub fn datetime(self, t: &Option<i64>) -> String {
        match t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)) {
            Some(d) => {
                let time = format!("{:02}:{:02}", d.hour(), d.minute());
                self.tr(
                    "date-utc",
                    &[("date", Arg::S(&self.date_of(&d))), ("time", Arg::S(&time))],
                )
            }
            None => self.t("date-none"),
        }
    }

    /// An instant as the sender's clock showed it, with the weekday and the offset
    /// (`+0200`); empty when the offset is not a real one.
    pub fn local(self, t: &Option<i64>, offset_minutes: i64) -> String {
        let Some(d) = t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)) else {
            return String::new();
        };
        let Some(tz) = i32::try_from(offset_minutes * 60)
            .ok()
            .and_then(FixedOffset::east_opt)
        else {
            return String::new();
        };
        let d = d.with_timezone(&tz);
        let time = format!("{:02}:{:02}", d.hour(), d.minute());
        let zone = d.format("%z").to_string();
        let weekday = self.t(&format!("weekday-{}", d.weekday().number_from_monday()));
        self.tr(
            "date-local",
            &[
                ("weekday", Arg::S(&weekday)),
                ("date", Arg::S(&self.date_of(&d))),
                ("time", Arg::S(&time)),
                ("zone", Arg::S(&zone)),
            ],
        )
    }
}

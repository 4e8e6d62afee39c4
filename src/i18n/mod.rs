//! The web interface's words in the reader's language.
//!
//! The catalogs are Fluent files (`locales/<code>.ftl`), compiled into the binary so that
//! the single executable stays the whole installation. Fluent rather than gettext because
//! its messages carry their own plural and gender selectors (Arabic has six plural forms,
//! Russian three) and its files are plain text that Pontoon, Weblate and Crowdin edit
//! directly. The bundles are built with `fluent-bundle` itself: one bundle per language,
//! parsed once, shared by every request.
//!
//! Dates go through the catalogs too (month and weekday names, and the order of day, month
//! and year), so that a translator owns every word and every pattern a page shows; digit
//! grouping is the only rule kept in code. Numbers use Latin digits in every language,
//! Arabic included, as the archive's URLs, Message-IDs and quoted dates do.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The languages the interface ships complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
    Es,
    Ar,
    Ru,
    Zh,
    De,
}

/// A value a message is formatted with: numbers choose plural forms and are grouped in
/// the reader's locale; text is shown as it is.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    N(i64),
    S(&'a str),
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::N(n)
    }
}

impl From<usize> for Arg<'_> {
    fn from(n: usize) -> Self {
        Arg::N(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Arg<'_> {
    fn from(n: u32) -> Self {
        Arg::N(i64::from(n))
    }
}

impl From<i32> for Arg<'_> {
    fn from(n: i32) -> Self {
        Arg::N(i64::from(n))
    }
}

impl From<&i64> for Arg<'_> {
    fn from(n: &i64) -> Self {
        Arg::N(*n)
    }
}

impl From<&usize> for Arg<'_> {
    fn from(n: &usize) -> Self {
        Arg::from(*n)
    }
}

impl From<u64> for Arg<'_> {
    fn from(n: u64) -> Self {
        Arg::N(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<&u64> for Arg<'_> {
    fn from(n: &u64) -> Self {
        Arg::from(*n)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::S(s)
    }
}

impl<'a> From<&'a &'a str> for Arg<'a> {
    fn from(s: &'a &'a str) -> Self {
        Arg::S(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::S(s)
    }
}

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<Bundle>> =
    LazyLock::new(|| Lang::ALL.iter().map(|l| bundle(*l)).collect());

/// Each language's messages that take no argument, formatted once: most of a page's words
/// are these, and a page rendered on every request (the page cache off, a signed-in
/// reader) would otherwise format each of them again.
static PLAIN: LazyLock<Vec<std::collections::HashMap<&'static str, String>>> =
    LazyLock::new(|| {
        Lang::ALL
            .iter()
            .map(|l| {
                message_ids(*l)
                    .filter_map(|id| match format_checked(*l, id, &[]) {
                        Some((text, errors)) if errors.is_empty() => Some((id, text)),
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    });

/// The identifiers of a catalog's messages: a message starts a line with its identifier
/// and ` =`; continuation lines are indented and comments start with `#`.
fn message_ids(lang: Lang) -> impl Iterator<Item = &'static str> {
    lang.source()
        .lines()
        .filter_map(|l| l.split_once(" ="))
        .map(|(id, _)| id)
        .filter(|id| {
            id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn index(lang: Lang) -> usize {
    Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0)
}

fn bundle(lang: Lang) -> Bundle {
    // A catalog with a syntax error keeps the messages that parse; the catalog test
    // fails on the error, so none ships.
    let res = FluentResource::try_new(lang.source().to_string()).unwrap_or_else(|(r, _)| r);
    let id = lang.code().parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Unicode isolation marks around every argument would land in titles, attributes and
    // feeds; pages isolate the reader-supplied text they show with `<bdi>` and `dir`.
    b.set_use_isolating(false);
    b.set_formatter(Some(lang.formatter()));
    let _ = b.add_resource(res);
    b
}

/// Integers with the locale's group separator; `MIN2` leaves four-digit numbers whole
/// (Spanish writes 2500 but 12 500).
fn grouped<const SEP: char, const MIN2: bool, M>(v: &FluentValue, _: &M) -> Option<String> {
    let FluentValue::Number(n) = v else {
        return None;
    };
    let x = n.value;
    if x.fract() != 0.0 || x.abs() >= 1e15 {
        return None;
    }
    Some(group_digits(x as i64, SEP, MIN2))
}

fn group_digits(n: i64, sep: char, min2: bool) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 8);
    if n < 0 {
        out.push('-');
    }
    if digits.len() <= 3 || (min2 && digits.len() <= 4) {
        out.push_str(&digits);
        return out;
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

type Formatter = fn(&FluentValue, &intl_memoizer::concurrent::IntlLangMemoizer) -> Option<String>;

impl Lang {
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Fr,
        Lang::Es,
        Lang::Ar,
        Lang::Ru,
        Lang::Zh,
        Lang::De,
    ];

    /// The BCP 47 tag, as `<html lang>`, `Content-Language` and the language cookie
    /// carry it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ar => "ar",
            Lang::Ru => "ru",
            Lang::Zh => "zh",
            Lang::De => "de",
        }
    }

    /// The language's name in itself, for the language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
            Lang::Ar => "العربية",
            Lang::Ru => "Русский",
            Lang::Zh => "中文",
            Lang::De => "Deutsch",
        }
    }

    /// `rtl` for the languages written right to left.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            _ => "ltr",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../locales/en.ftl"),
            Lang::Fr => include_str!("../../locales/fr.ftl"),
            Lang::Es => include_str!("../../locales/es.ftl"),
            Lang::Ar => include_str!("../../locales/ar.ftl"),
            Lang::Ru => include_str!("../../locales/ru.ftl"),
            Lang::Zh => include_str!("../../locales/zh.ftl"),
            Lang::De => include_str!("../../locales/de.ftl"),
        }
    }

    fn formatter(self) -> Formatter {
        match self {
            Lang::En | Lang::Zh | Lang::Ar => grouped::<',', false, _>,
            Lang::Fr => grouped::<'\u{202F}', false, _>,
            Lang::Es => grouped::<'.', true, _>,
            Lang::De => grouped::<'.', false, _>,
            Lang::Ru => grouped::<'\u{A0}', false, _>,
        }
    }

    /// A language named by a tag (`fr`, `fr-CA`, `zh-Hans-CN`, `AR`): its primary subtag
    /// decides.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// A language named exactly by its code (`fr`, any case), as the language cookie and
    /// the settings hold it.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The message `key`, without arguments.
    pub fn t(self, key: &str) -> String {
        self.tr(key, &[])
    }

    /// The message `key` formatted with `args`. A key missing from this language's
    /// catalog falls back to English, and a key missing from English shows as itself
    /// (the catalog tests fail on both).
    pub fn tr(self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        if args.is_empty()
            && let Some(text) = PLAIN.get(index(self)).and_then(|m| m.get(key))
        {
            return text.clone();
        }
        format(self, key, args)
            .or_else(|| format(Lang::En, key, args))
            .unwrap_or_else(|| key.to_string())
    }

    /// The message `key` with one argument (templates call this rather than build a
    /// slice).
    pub fn t1<'a>(self, key: &str, name: &str, value: impl Into<Arg<'a>>) -> String {
        self.tr(key, &[(name, value.into())])
    }

    /// The message `key` with two arguments.
    pub fn t2<'a, 'b>(
        self,
        key: &str,
        n1: &str,
        v1: impl Into<Arg<'a>>,
        n2: &str,
        v2: impl Into<Arg<'b>>,
    ) -> String {
        self.tr(key, &[(n1, v1.into()), (n2, v2.into())])
    }

    /// The message named by a prefix and a word (`order-` and `date`).
    pub fn tk(self, prefix: &str, word: &str) -> String {
        self.t(&format!("{prefix}{word}"))
    }

    /// A count with its noun in the right plural form: the message's `$n`.
    pub fn n(self, key: &str, n: impl Into<Arg<'static>>) -> String {
        self.tr(key, &[("n", n.into())])
    }

    /// A number with the locale's digit grouping.
    pub fn num(self, n: impl Into<Arg<'static>>) -> String {
        match n.into() {
            Arg::N(n) => {
                let (sep, min2) = self.grouping();
                group_digits(n, sep, min2)
            }
            Arg::S(s) => s.to_string(),
        }
    }

    /// The group separator, and whether four-digit numbers stay whole.
    fn grouping(self) -> (char, bool) {
        match self {
            Lang::En | Lang::Zh | Lang::Ar => (',', false),
            Lang::Fr => ('\u{202F}', false),
            Lang::Es => ('.', true),
            Lang::De => ('.', false),
            Lang::Ru => ('\u{A0}', false),
        }
    }
}

fn format(lang: Lang, key: &str, args: &[(&str, Arg<'_>)]) -> Option<String> {
    format_checked(lang, key, args).map(|(text, _)| text)
}

/// The message and the problems Fluent met formatting it (an unknown argument, a
/// missing variant): the catalog tests read them.
fn format_checked(
    lang: Lang,
    key: &str,
    args: &[(&str, Arg<'_>)],
) -> Option<(String, Vec<fluent_bundle::FluentError>)> {
    let bundle = BUNDLES.get(index(lang))?;
    let pattern = bundle.get_message(key)?.value()?;
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        match v {
            Arg::N(n) => fa.set(*k, FluentValue::from(*n)),
            Arg::S(s) => fa.set(*k, FluentValue::from(*s)),
        }
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fa), &mut errors);
    Some((text.into_owned(), errors))
}

pub mod dates;
pub mod negotiate;

#[cfg(test)]
mod tests;

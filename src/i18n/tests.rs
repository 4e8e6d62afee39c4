//! The catalogs are complete and used: every language has exactly English's keys, every
//! key is used by a page and every key a page uses exists, and every message formats in
//! every language without a Fluent error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fluent_bundle::FluentResource;

use super::*;

fn keys(lang: Lang) -> BTreeSet<String> {
    let res = match FluentResource::try_new(lang.source().to_string()) {
        Ok(r) => r,
        Err((_, errors)) => panic!("{}.ftl does not parse: {errors:?}", lang.code()),
    };
    drop(res);
    message_ids(lang).map(str::to_string).collect()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "rs" || x == "html" || x == "xml")
        {
            out.push(p);
        }
    }
}

/// The source of the pages, the renderer and the search notes: everything that names a
/// message key.
fn sources() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    files(&root.join("templates"), &mut all);
    all.retain(|p| !p.ends_with("i18n/tests.rs"));
    all.iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Keys the code builds from a prefix and a number or a word.
const FAMILIES: &[(&str, &[&str])] = &[
    (
        "month-",
        &[
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
        ],
    ),
    (
        "month-of-",
        &[
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
        ],
    ),
    (
        "month-short-",
        &[
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
        ],
    ),
    ("weekday-", &["1", "2", "3", "4", "5", "6", "7"]),
    ("order-", &["thread", "date", "author", "subject"]),
];

#[test]
fn every_language_has_exactly_the_english_keys() {
    let en = keys(Lang::En);
    assert!(en.len() > 100, "{}", en.len());
    let mut problems = Vec::new();
    for l in Lang::ALL {
        let k = keys(l);
        for missing in en.difference(&k) {
            problems.push(format!("{}.ftl lacks {missing}", l.code()));
        }
        for extra in k.difference(&en) {
            problems.push(format!(
                "{}.ftl has {extra}, which en.ftl has not",
                l.code()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_is_used_and_every_used_key_exists() {
    let src = sources();
    let en = keys(Lang::En);
    let built: BTreeSet<String> = FAMILIES
        .iter()
        .flat_map(|(p, ends)| ends.iter().map(move |e| format!("{p}{e}")))
        .collect();
    let unused: Vec<&String> = en
        .iter()
        .filter(|k| !built.contains(*k) && !src.contains(&format!("\"{k}\"")))
        .collect();
    assert!(unused.is_empty(), "keys no page uses: {unused:?}");
    for k in &built {
        assert!(en.contains(k), "en.ftl lacks {k}");
    }
    // Every literal a page passes to a lookup names a key.
    let mut asked = BTreeSet::new();
    for call in [".t(\"", ".n(\"", ".tr(\"", "Note::new(\"", "unit: \""] {
        for (at, _) in src.match_indices(call) {
            let rest = &src[at + call.len()..];
            let key: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if rest[key.len()..].starts_with('"') && key.contains('-') {
                asked.insert(key);
            }
        }
    }
    for (at, _) in src.match_indices("\"search-stats-") {
        let key: String = src[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        asked.insert(key);
    }
    assert!(
        asked.len() > 100,
        "the scan found the lookups ({})",
        asked.len()
    );
    let missing: Vec<&String> = asked.iter().filter(|k| !en.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys pages use that en.ftl lacks: {missing:?}"
    );
}

#[test]
fn every_message_formats_in_every_language() {
    let text_args = [
        "list", "q", "key", "id", "ms", "type", "date", "month", "mnum", "year", "day", "weekday",
        "time", "zone", "what", "term", "order",
    ];
    let mut problems = Vec::new();
    for l in Lang::ALL {
        for k in keys(Lang::En) {
            for n in [0i64, 1, 2, 3, 5, 11, 21, 101, 1000, 1_234_567] {
                let mut args: Vec<(&str, Arg<'_>)> =
                    text_args.iter().map(|a| (*a, Arg::S("x"))).collect();
                args.push(("n", Arg::N(n)));
                match format_checked(l, &k, &args) {
                    Some((text, errors)) => {
                        if !errors.is_empty() {
                            problems.push(format!("{} {k}: {errors:?}", l.code()));
                        }
                        if text.trim().is_empty() {
                            problems.push(format!("{} {k} is empty", l.code()));
                        }
                    }
                    None => problems.push(format!("{} {k} has no value", l.code())),
                }
            }
        }
    }
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn counts_take_the_language_plural_and_grouping() {
    assert_eq!(Lang::En.n("count-messages", 1), "1 message");
    assert_eq!(Lang::En.n("count-messages", 12345), "12,345 messages");
    assert_eq!(Lang::De.num(1234567), "1.234.567");
    assert_eq!(Lang::Fr.num(12345), "12\u{202F}345");
    assert_eq!(Lang::Es.num(2500), "2500");
    assert_eq!(Lang::Es.num(12500), "12.500");
    assert_eq!(Lang::Ru.num(-1000), "-1\u{A0}000");
    assert_eq!(Lang::En.num(999), "999");
    // Russian has three forms for whole numbers: 1, 2-4, 5-20 (and 21 is like 1).
    let ru: Vec<String> = [1, 2, 5, 21]
        .iter()
        .map(|n| Lang::Ru.n("count-messages", *n as i64))
        .collect();
    assert_ne!(ru[0], ru[1].replace('2', "1"));
    assert_ne!(ru[1].replace('2', "5"), ru[2]);
    assert_eq!(ru[0].replace('1', ""), ru[3].replace("21", ""));
    // Arabic has a dual.
    assert_ne!(
        Lang::Ar.n("count-messages", 2).replace('2', ""),
        Lang::Ar.n("count-messages", 3).replace('3', "")
    );
}

#[test]
fn dates_follow_the_language() {
    let t = Some(1_207_224_000); // 2008-04-03 12:00 UTC, a Thursday
    assert_eq!(Lang::En.day(&t), "3 Apr 2008");
    assert_eq!(Lang::En.datetime(&t), "3 Apr 2008, 12:00 UTC");
    assert_eq!(Lang::En.month_label(2008, 4), "April 2008");
    assert_eq!(Lang::Zh.month_label(2008, 4), "2008年4月");
    assert_eq!(Lang::En.local(&t, 120), "Thu 3 Apr 2008, 14:00 +0200");
    assert_eq!(Lang::En.local(&t, 100_000_000), "");
    assert_eq!(Lang::En.day(&None), "—");
    for l in Lang::ALL {
        assert!(l.day(&t).contains("2008"), "{}: {}", l.code(), l.day(&t));
        assert!(!l.datetime(&t).contains("month-"), "{}", l.datetime(&t));
        // A year is never grouped as a number.
        assert!(!l.month_label(2008, 4).contains("2,008"));
    }
}

#[test]
fn tags_name_languages_by_their_primary_subtag() {
    assert_eq!(Lang::from_tag("zh-Hant-TW"), Some(Lang::Zh));
    assert_eq!(Lang::from_tag("AR"), Some(Lang::Ar));
    assert_eq!(Lang::from_tag("pt-BR"), None);
    assert_eq!(Lang::from_code("fr-CA"), None);
    assert_eq!(Lang::from_code("DE"), Some(Lang::De));
    for l in Lang::ALL {
        assert_eq!(Lang::from_code(l.code()), Some(l));
    }
    assert_eq!(Lang::Ar.dir(), "rtl");
    assert_eq!(Lang::Fr.dir(), "ltr");
}

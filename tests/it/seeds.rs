//! The messages this archive exists for: the seed pages beside the corpora
//! (`$LARCH_CORPORA/../seeds`), pipermail pages of real list mail, rebuilt as messages at
//! test time, imported as mail and read back through the server. Their URLs were wrapped
//! by the sender's client, their quoted history runs five messages deep, their subjects
//! carry list tags: each page must still read as its senders meant it.
//!
//! Without `LARCH_CORPORA` (or without the seeds beside it) the test skips, saying so,
//! except under CI (`CI=true`), where it fails.

use std::path::{Path, PathBuf};

use larch::web::util::enc;
use scraper::{Html, Selector};

use crate::common::*;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The seeds folder, or `None` (with a loud note) when it is not there.
pub fn seeds_dir() -> Option<PathBuf> {
    let found = std::env::var_os("LARCH_CORPORA")
        .map(|c| PathBuf::from(c).join("../seeds"))
        .filter(|d| d.is_dir());
    if found.is_none() {
        let why = "the seed pages ($LARCH_CORPORA/../seeds) are not available";
        assert!(!in_ci(), "CI is set but {why}");
        eprintln!("SKIPPED: {why}");
    }
    found
}

/// A seed page rebuilt as a message.
pub struct SeedMessage {
    /// The seed file's name without its extension.
    pub name: String,
    pub message_id: String,
    pub subject: String,
    /// The body as the page shows it.
    pub body: String,
    /// The message as an RFC 5322 file.
    pub eml: String,
}

/// pipermail's `Thu Apr 28 06:11:49 EDT 2016` as an RFC 5322 date.
fn rfc5322_date(d: &str) -> String {
    let f: Vec<&str> = d.split_whitespace().collect();
    assert_eq!(f.len(), 6, "a pipermail date: {d}");
    let zone = match f[4] {
        "EDT" => "-0400",
        "EST" => "-0500",
        "CDT" => "-0500",
        "CST" => "-0600",
        "PDT" => "-0700",
        "PST" => "-0800",
        "CEST" => "+0200",
        "CET" => "+0100",
        _ => "+0000",
    };
    format!("{}, {} {} {} {} {zone}", f[0], f[2], f[1], f[5], f[3])
}

/// A pipermail article page as text: subject, empty line, `Name address at domain`, date,
/// the body, and pipermail's own `More information about the … mailing list` line.
fn rebuild(name: &str, page: &str) -> SeedMessage {
    let lines: Vec<&str> = page.lines().collect();
    let subject = lines[0].trim().to_string();
    let sender = lines[2].trim();
    let words: Vec<&str> = sender.split_whitespace().collect();
    assert!(
        words.len() >= 3 && words[words.len() - 2] == "at",
        "a pipermail sender line: {sender}"
    );
    let addr = format!("{}@{}", words[words.len() - 3], words[words.len() - 1]);
    let from_name = words[..words.len() - 3].join(" ");
    let date = rfc5322_date(lines[3]);
    let end = lines
        .iter()
        .rposition(|l| l.starts_with("More information about the "))
        .unwrap_or(lines.len());
    let body = lines[4..end].join("\n").trim_matches('\n').to_string() + "\n";
    let message_id = format!("seed-{name}@seeds.larch.invalid");
    let eml = format!(
        "From: \"{from_name}\" <{addr}>\nSubject: {subject}\nDate: {date}\nMessage-ID: <{message_id}>\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}"
    );
    SeedMessage {
        name: name.to_string(),
        message_id,
        subject,
        body,
        eml,
    }
}

/// Every seed page, rebuilt, by file name.
pub fn seed_messages(dir: &Path) -> Vec<SeedMessage> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the seeds folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            rebuild(&name, &std::fs::read_to_string(p).expect("read a seed"))
        })
        .collect()
}

/// The lists a seed belongs to, from its subject's tags (a cross-post has one per list).
pub fn seed_lists(m: &SeedMessage) -> Vec<String> {
    let mut lists = Vec::new();
    let mut rest = m.subject.as_str();
    while let Some(inner) = rest.trim_start().strip_prefix('[') {
        let Some(close) = inner.find(']') else { break };
        lists.push(inner[..close].to_lowercase());
        rest = &inner[close + 1..];
    }
    assert!(
        !lists.is_empty(),
        "a seed subject with a list tag: {}",
        m.subject
    );
    lists
}

async fn get(url: &str) -> String {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.text().await.unwrap()
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// Whether a link's target is a whole URL: a scheme, a host with a dot and a top-level
/// domain of letters (a link cut by a line break ends at `https://intgo` or `https://www.t`).
fn complete_url(href: &str) -> bool {
    // Links within the archive: absolute paths, fragments, relative paths (`raw`).
    if !href.contains("://") && !href.contains(':') || href.starts_with("mailto:") {
        return true;
    }
    let Some(rest) = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))
        .or_else(|| href.strip_prefix("ftp://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
    let tld = host.rsplit('.').next().unwrap_or("");
    host.contains('.') && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// The SafeLinks of a text and the targets they wrap, read as a person would: the
/// wrapper's pieces put together (quote marks dropped) up to its last parameter.
fn safelinks_targets(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches(['>', ' ']))
        .collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(at) = l.find("https://na01.safelinks.protection.outlook.com/") else {
            continue;
        };
        let mut url = l[at..].to_string();
        for next in &lines[i + 1..] {
            if url.contains("reserved=0") {
                break;
            }
            url.push_str(next);
        }
        let end = url.find("reserved=0").expect("a complete SafeLink") + "reserved=0".len();
        let query = &url[..end];
        let target = query
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("url="))
            .expect("a url parameter");
        out.push(
            percent_encoding::percent_decode_str(target)
                .decode_utf8()
                .unwrap()
                .into_owned(),
        );
    }
    out
}

#[tokio::test]
async fn seed_messages_read_perfectly() {
    let Some(dir) = seeds_dir() else { return };
    let seeds = seed_messages(&dir);
    assert!(seeds.len() >= 2, "two seed pages at least");
    let tmp = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = store(data.path()).await;
    for m in &seeds {
        let file = tmp.path().join(format!("{}.eml", m.name));
        std::fs::write(&file, &m.eml).unwrap();
        for list in seed_lists(m) {
            let s = import(&store, &list, std::slice::from_ref(&file)).await;
            assert_eq!(s.new, 1, "{} into {list}: {s}", m.name);
        }
    }
    let base = serve(store).await;

    let mut checked_safelinks = 0;
    let mut checked_history = 0;
    for m in &seeds {
        let lists = seed_lists(m);
        for list in &lists {
            let url = format!("{base}/{}/m/{}/", enc(list), enc(&m.message_id));
            let page = get(&url).await;
            let doc = Html::parse_document(&page);

            // Every link is whole.
            for a in select(&doc, "a[href]") {
                let href = a.value().attr("href").unwrap();
                assert!(complete_url(href), "{}: a link cut short: {href}", m.name);
            }

            // SafeLinks go to their decoded target, shown as such; the wrapper is in the
            // title, not in the text.
            let targets = safelinks_targets(&m.body);
            let body = select(&doc, "div.body").pop().expect("a body");
            let body_text: String = body.text().collect();
            for t in &targets {
                let link = select(&doc, "div.body a[href]")
                    .into_iter()
                    .find(|a| a.value().attr("href") == Some(t.as_str()))
                    .unwrap_or_else(|| panic!("{}: no link to {t}", m.name));
                assert_eq!(link.text().collect::<String>(), *t);
                assert!(
                    link.value()
                        .attr("title")
                        .is_some_and(|w| w.contains("safelinks.protection.outlook.com")),
                    "{}: the wrapper of {t} is kept in the title",
                    m.name
                );
            }
            if !targets.is_empty() {
                assert!(
                    !body_text.contains("safelinks") && !body_text.contains("%7C"),
                    "{}: pieces of a wrapper are left in the text",
                    m.name
                );
                checked_safelinks += targets.len();
            }

            // Quoted history: one fold per earlier message, each named after its sender
            // and dated, with names and dates as the text gives them.
            let earlier = select(&doc, "details.earlier");
            if m.body.contains("wrote:") && m.body.contains("> From:") {
                assert_eq!(earlier.len(), 5, "{}: five earlier messages", m.name);
                let mut senders = std::collections::HashSet::new();
                for d in &earlier {
                    let who: String = select_in(d, "summary .qwho");
                    let when: String = select_in(d, "summary .qwhen");
                    assert!(
                        !who.is_empty() && !when.is_empty(),
                        "{}: {who} {when}",
                        m.name
                    );
                    assert!(
                        m.body.contains(&who) && m.body.contains(&when),
                        "{who} {when}"
                    );
                    senders.insert(who);
                }
                assert_eq!(senders.len(), 3, "{}: three people wrote them", m.name);
                assert!(
                    select(&doc, "div.body .qfoot").len() >= 4,
                    "{}: the quoted list footers are dimmed",
                    m.name
                );
                checked_history += 1;
            }

            // The subject as sent on the page, without list tags in its title.
            let h1: String = select(&doc, "h1")[0].text().collect();
            assert_eq!(h1, m.subject);
            let title: String = select(&doc, "title")[0].text().collect();
            for l in &lists {
                assert!(
                    !title.to_lowercase().contains(&format!("[{l}]")),
                    "{}: list tag in the title {title}",
                    m.name
                );
            }
        }
        // And in the listings.
        let list_page = get(&format!("{base}/{}/", enc(&lists[0]))).await;
        let doc = Html::parse_document(&list_page);
        let shown: Vec<String> = select(&doc, "main a")
            .iter()
            .map(|a| a.text().collect::<String>())
            .filter(|t| m.subject.ends_with(t.as_str()) && !t.is_empty())
            .collect();
        assert!(!shown.is_empty(), "{}: the subject is listed", m.name);
        for t in shown {
            assert!(!t.contains('['), "{}: list tags in a listing: {t}", m.name);
        }
    }
    assert!(checked_safelinks >= 5, "the five SafeLinks were checked");
    assert!(checked_history >= 2, "the quoted history was checked");
}

fn select_in(el: &scraper::ElementRef<'_>, css: &str) -> String {
    el.select(&Selector::parse(css).unwrap())
        .next()
        .map(|e| e.text().collect())
        .unwrap_or_default()
}

/// A thread of three messages whose last one quotes the other two (an Outlook header block
/// in the sender's zone, an attribution in another zone) and a third person the archive
/// has never seen: the two folds link to the messages they quote, on the message page and
/// within the thread page; the third does not link at all.
#[tokio::test]
async fn quoted_history_links_to_the_messages_it_quotes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mbox = "From mk@example.org Thu Feb 25 15:59:12 2016
From: Markus Kummer <mk@example.org>
To: list@example.org
Subject: [Igf] Agenda
Message-ID: <agenda@example.org>
Date: Thu, 25 Feb 2016 15:59:12 +0000

The agenda is attached.

From jane@example.org Fri Feb 26 09:30:40 2016
From: \"Doe, Jane\" <jane@example.org>
To: list@example.org
Subject: Re: [Igf] Agenda
Message-ID: <reply1@example.org>
In-Reply-To: <agenda@example.org>
Date: Fri, 26 Feb 2016 04:30:40 -0500

Thanks Markus.

From lynn@example.org Mon Feb 29 11:00:00 2016
From: Lynn <lynn@example.org>
To: list@example.org
Subject: Re: [Igf] Agenda
Message-ID: <reply2@example.org>
In-Reply-To: <reply1@example.org>
Date: Mon, 29 Feb 2016 12:00:00 +0100

Agreed.

> On 26 February 2016 at 04:30, Jane Doe <jane@example.org>
> wrote:
> Thanks Markus.
>
> -----Original Message-----
> From: Markus Kummer [mailto:mk@example.org]
> Sent: Thursday, February 25, 2016 4:59 PM
> To: list@example.org
> Subject: Agenda
>
> The agenda is attached.
>
> From: Someone Else [mailto:else@example.net]
> Sent: Wednesday, February 24, 2016 9:00 AM
> To: Markus Kummer
> Subject: Agenda
>
> Could you send the agenda?
> Thanks,
> Someone
";
    let file = tmp.path().join("thread.mbox");
    std::fs::write(&file, mbox).unwrap();
    let store = store(data.path()).await;
    assert_eq!(import(&store, "igf", &[file]).await.new, 3);
    let search = larch::search::Search::for_store(&store).unwrap();
    assert_eq!(search.catch_up(&store).await.unwrap(), Some(3));
    drop(search);
    let base = serve(store).await;

    let folds = |page: &str| -> Vec<(String, Option<String>)> {
        let doc = Html::parse_document(page);
        select(&doc, "details.earlier > summary")
            .into_iter()
            .map(|s| {
                let who = select_in(&s, ".qwho");
                let link = s
                    .select(&Selector::parse("a.qwhen").unwrap())
                    .next()
                    .and_then(|a| a.value().attr("href").map(str::to_string));
                (who, link)
            })
            .collect()
    };
    let page = get(&format!("{base}/igf/m/reply2@example.org/")).await;
    assert_eq!(
        folds(&page),
        vec![
            (
                "Jane Doe".to_string(),
                Some("/igf/m/reply1@example.org/".to_string())
            ),
            (
                "Markus Kummer".to_string(),
                Some("/igf/m/agenda@example.org/".to_string())
            ),
            ("Someone Else".to_string(), None),
        ]
    );

    let page = get(&format!("{base}/igf/t/agenda@example.org/")).await;
    let doc = Html::parse_document(&page);
    let anchors: Vec<String> = select(&doc, "[id^=m-]")
        .iter()
        .filter_map(|e| e.value().attr("id").map(|i| format!("#{i}")))
        .collect();
    let got = folds(&page);
    assert_eq!(got.len(), 3, "{got:?}");
    for (who, link) in &got[..2] {
        let link = link.as_ref().unwrap_or_else(|| panic!("{who}: no link"));
        assert!(
            anchors.contains(link),
            "{who}: {link} is not a message on the page"
        );
    }
    assert_eq!(
        got[0].1.as_ref(),
        anchors.get(1),
        "Jane's fold links to her message"
    );
    assert_eq!(
        got[1].1.as_ref(),
        anchors.first(),
        "Markus's fold links to his"
    );
    assert_eq!(got[2].1, None);

    // Search results leave the list's tag out of subjects too, highlighted or not.
    let page = get(&format!("{base}/search?q=agenda")).await;
    let doc = Html::parse_document(&page);
    let results: Vec<String> = select(&doc, "li.hit a.subject")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    assert!(!results.is_empty(), "the search finds the thread");
    for s in &results {
        assert!(s.ends_with("Agenda") && !s.contains("[Igf]"), "{s}");
    }
}

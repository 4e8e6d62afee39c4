//! The real server on a loopback port over archives imported from the real corpora:
//! pipermail links, page contents, downloads, feeds and HTTP behaviour.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use futures::StreamExt;
use larch::web::util::enc;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::common::*;

fn client(follow: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(if follow {
            Policy::limited(5)
        } else {
            Policy::none()
        })
        .build()
        .unwrap()
}

fn pct_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Message keys linked from a page (`/list/m/KEY/`).
fn linked_keys(html: &str, list: &str) -> Vec<String> {
    let needle = format!("href=\"/{list}/m/");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        if let Some(end) = rest.find('"')
            && let Some(key) = rest[..end].strip_suffix('/')
        {
            out.push(pct_decode(key));
        }
    }
    out
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

struct Pipermail {
    /// month dir name -> [(number, Message-ID)]
    months: HashMap<String, Vec<(i64, String)>>,
    /// month dir name -> numbers linked from thread.html
    thread_numbers: HashMap<String, HashSet<i64>>,
}

fn read_pipermail(root: &Path) -> Pipermail {
    let mut months: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    let mut thread_numbers = HashMap::new();
    for e in std::fs::read_dir(root).unwrap().flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let month = e.file_name().to_string_lossy().into_owned();
        let mut pages = Vec::new();
        for p in std::fs::read_dir(e.path()).unwrap().flatten() {
            let name = p.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_suffix(".html")
                .and_then(|n| n.parse::<i64>().ok())
            {
                let html = String::from_utf8_lossy(&std::fs::read(p.path()).unwrap()).into_owned();
                pages.push((n, page_message_id(&html).unwrap()));
            }
        }
        let thread = String::from_utf8_lossy(&std::fs::read(e.path().join("thread.html")).unwrap())
            .into_owned();
        let nums: HashSet<i64> = thread
            .split("HREF=\"")
            .skip(1)
            .filter_map(|s| s.get(..6)?.parse().ok())
            .collect();
        thread_numbers.insert(month.clone(), nums);
        months.insert(month, pages);
    }
    Pipermail {
        months,
        thread_numbers,
    }
}

#[tokio::test]
async fn pipermail_links_pages_and_downloads() {
    let Some(c) = corpora() else { return };
    let root = c.join("pipermail/linux-uvc-devel");
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    import(&store, "linux-uvc-devel", std::slice::from_ref(&root)).await;
    let base = serve(store.clone()).await;
    let pm = read_pipermail(&root);
    let follow = client(true);
    let nofollow = client(false);

    // Every article page redirects to the page of the message it names.
    let mut jobs = Vec::new();
    for (month, pages) in &pm.months {
        for (n, mid) in pages {
            jobs.push((
                format!("{base}/pipermail/linux-uvc-devel/{month}/{n:06}.html"),
                mid.clone(),
            ));
        }
    }
    let total = jobs.len();
    let pages_in_corpus: usize = pm.months.values().map(Vec::len).sum();
    assert!(
        pm.months.len() > 50 && total == pages_in_corpus && total > 7000,
        "the corpus's article pages: {total} in {} months",
        pm.months.len()
    );
    let failures: Vec<String> = futures::stream::iter(jobs)
        .map(|(url, mid)| {
            let follow = follow.clone();
            async move {
                let res = follow.get(&url).send().await.unwrap();
                let final_url = res.url().to_string();
                let status = res.status();
                let body = res.text().await.unwrap();
                let shown = body
                    .split("<dd class=\"mid\" dir=\"ltr\">")
                    .nth(1)
                    .and_then(|s| s.split("</dd>").next())
                    .map(html_unescape);
                if status != StatusCode::OK || shown.as_deref() != Some(mid.as_str()) {
                    Some(format!(
                        "{url} -> {final_url} {status} shows {shown:?}, wanted {mid}"
                    ))
                } else {
                    None
                }
            }
        })
        .buffer_unordered(8)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {total} article links fail, e.g. {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    eprintln!("{total} pipermail article links land on their message");

    // Each month's four index pages and its text archives answer 200 or 301.
    assert!(!pm.months.is_empty());
    for month in pm.months.keys() {
        for page in [
            "thread.html",
            "date.html",
            "author.html",
            "subject.html",
            "",
            "index.html",
        ] {
            let url = format!("{base}/pipermail/linux-uvc-devel/{month}/{page}");
            let s = nofollow.get(&url).send().await.unwrap().status();
            assert!(
                s == StatusCode::MOVED_PERMANENTLY || s == StatusCode::OK,
                "{url}: {s}"
            );
            assert_eq!(
                follow.get(&url).send().await.unwrap().status(),
                StatusCode::OK,
                "{url} after redirects"
            );
        }
        for ext in ["txt", "txt.gz"] {
            let url = format!("{base}/pipermail/linux-uvc-devel/{month}.{ext}");
            let s = nofollow.get(&url).send().await.unwrap().status();
            assert!(
                s == StatusCode::MOVED_PERMANENTLY || s == StatusCode::OK,
                "{url}: {s}"
            );
        }
    }
    // Unknown numbers and months: a helpful 404, never a 500.
    for p in [
        "2008-April/999999.html",
        "2099-April/thread.html",
        "attachments/x/y.bin",
        "nonsense",
        "2008-April/../../etc",
    ] {
        let res = nofollow
            .get(format!("{base}/pipermail/linux-uvc-devel/{p}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
        assert!(
            res.text().await.unwrap().contains("search"),
            "{p}: the 404 points to search"
        );
    }

    // The month by thread shows the same messages as pipermail's thread.html.
    let id = list_id(&store, "linux-uvc-devel").await;
    let numbers: HashMap<i64, String> = store
        .pipermail_numbers(id)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut months_checked = 0;
    for (month, nums) in &pm.thread_numbers {
        let (y, m) = larch::domain::month::parse_month(month).unwrap();
        let want: HashSet<String> = nums.iter().map(|n| numbers[n].clone()).collect();
        assert!(
            !want.is_empty(),
            "{month}: pipermail's thread.html lists messages"
        );
        let mut got: HashSet<String> = HashSet::new();
        let mut page = 1;
        loop {
            let url = format!("{base}/linux-uvc-devel/{y:04}/{m:02}/?page={page}");
            let html = follow.get(&url).send().await.unwrap().text().await.unwrap();
            // A message's key is its Message-ID, but for a message reusing an id with
            // other content (`id#hash`).
            got.extend(linked_keys(&html, "linux-uvc-devel"));
            if !html.contains(&format!("?page={}\"", page + 1)) {
                break;
            }
            page += 1;
        }
        // A message reusing a Message-ID with other content is shown too; pipermail hid it.
        let extra: Vec<_> = got.difference(&want).filter(|k| !k.contains('#')).collect();
        let missing: Vec<_> = want.difference(&got).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{month}: extra {extra:?} missing {missing:?}"
        );
        months_checked += 1;
    }
    assert_eq!(months_checked, pm.months.len(), "every month is checked");
    eprintln!("{months_checked} month thread pages match pipermail's thread.html");

    // The thread page holds every message of the thread: check the largest threads.
    let mut threads = store.recent_threads(id, 100_000).await.unwrap();
    threads.sort_by_key(|t| -t.message_count);
    assert!(
        threads.len() >= 5 && threads[4].message_count > 10,
        "five large threads to check"
    );
    for t in threads.iter().take(5) {
        let url = format!("{base}/linux-uvc-devel/t/{}/", enc(&t.root_mkey));
        let html = follow.get(&url).send().await.unwrap().text().await.unwrap();
        let members: HashSet<String> = store
            .thread_messages(id, t.thread_no)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.mkey)
            .collect();
        let shown: HashSet<String> = linked_keys(&html, "linux-uvc-devel").into_iter().collect();
        assert_eq!(
            shown, members,
            "thread page of {} ({} messages)",
            t.root_mkey, t.message_count
        );
    }

    // A month's mbox.gz re-imports to the same Message-IDs.
    let bytes = follow
        .get(format!("{base}/linux-uvc-devel/2008/04/mbox.gz"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let other = tempfile::tempdir().unwrap();
    let file = other.path().join("2008-04.mbox.gz");
    std::fs::write(&file, &bytes).unwrap();
    let store2 = crate::common::store(&other.path().join("data")).await;
    let s = import(&store2, "copy", &[file]).await;
    let id2 = list_id(&store2, "copy").await;
    let want: HashSet<String> = store
        .month_messages(id, 200804, larch::store::Order::Date, 100_000, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.mkey)
        .collect();
    let got: HashSet<String> = store2
        .parent_links(id2)
        .await
        .unwrap()
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let want_ids: HashSet<String> = want
        .iter()
        .map(|k| k.split('#').next().unwrap_or(k).to_string())
        .collect();
    assert_eq!(got, want_ids, "re-imported month: {s}");
}

#[tokio::test]
async fn http_behaviour_and_odd_message_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let ids = [
        "a/b@x",
        "per%cent+plus@x",
        "hash#q?uery@x",
        "sp ace@x",
        "ünï@例え.jp",
    ];
    let mut mbox = String::new();
    for (i, id) in ids.iter().enumerate() {
        mbox.push_str(&format!(
            "From x@y Mon Jan  1 00:00:00 2024\nFrom: A <a@example.org>\nSubject: odd {i} <script>alert(1)</script>\n\
             Date: Mon, 1 Jan 2024 0{i}:00:00 +0000\nMessage-ID: <{id}>\n{}\nhello {i}\n\n",
            if i > 0 { format!("In-Reply-To: <{}>\n", ids[0]) } else { String::new() }
        ));
    }
    let f = dir.path().join("odd.mbox");
    std::fs::write(&f, mbox).unwrap();
    import(&store, "odd", &[f]).await;
    let odd = list_id(&store, "odd").await;
    store.add_alias(odd, "odd_old.example.org").await.unwrap();
    store
        .update_list(odd, None, Some("Odd ids <b>escaped</b>"), None, None, None)
        .await
        .unwrap();
    let base = serve(store.clone()).await;
    let follow = client(true);
    let nofollow = client(false);
    // An alias (an old pipermail name) redirects to the list's own URLs.
    let res = nofollow
        .get(format!("{base}/pipermail/odd_old.example.org/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(res.headers()["location"], "/odd/");
    let front = follow
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        front.contains("Odd ids &#60;b&#62;escaped&#60;/b&#62;")
            || front.contains("Odd ids &lt;b&gt;"),
        "descriptions are escaped"
    );
    for id in ids {
        // The resolver and every URL form round-trip the id.
        let res = follow
            .get(format!("{base}/r/{}", enc(id)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{id}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&larch::domain::escape::esc(id)),
            "{id} shown on its page"
        );
        assert!(!html.contains("<script>alert"), "subjects are escaped");
        let raw = follow
            .get(format!("{base}/odd/m/{}/raw", enc(id)))
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), StatusCode::OK);
        assert!(raw.text().await.unwrap().contains(&format!("<{id}>")));
        let t = follow
            .get(format!("{base}/odd/t/{}/", enc(id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let keys: HashSet<String> = linked_keys(&t, "odd").into_iter().collect();
        assert_eq!(keys.len(), ids.len(), "the thread page has every message");
    }
    // Addresses are obfuscated by default, and shown when the list says so.
    let page = |id: &str| format!("{base}/odd/m/{}/", enc(id));
    let html = follow
        .get(page(ids[1]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("a at example.org") && !html.contains("a@example.org"));
    store
        .update_list(odd, None, None, None, Some(false), None)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let html = follow
        .get(page(ids[1]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("a@example.org"),
        "obfuscation switched off for the list"
    );

    // Validators: the same page twice gives the same ETag and a 304.
    let url = format!("{base}/odd/");
    let res = nofollow.get(&url).send().await.unwrap();
    let etag = res.headers()["etag"].clone();
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let again = nofollow
        .get(&url)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // HEAD, compression.
    assert_eq!(
        nofollow.head(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let gz = nofollow
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    // Feeds are well-formed Atom.
    for feed in ["/odd/new.atom", &format!("/odd/t/{}/atom", enc(ids[0]))] {
        let res = follow.get(format!("{base}{feed}")).send().await.unwrap();
        assert_eq!(
            res.headers()["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        let xml = res.text().await.unwrap();
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut entries = 0;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"entry" => {
                    entries += 1
                }
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{feed} is not well-formed XML: {e}"),
            }
        }
        assert!(xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
        assert_eq!(entries, ids.len(), "{feed}");
    }
    // Errors are pages, never 500s: an HTML page that says what went wrong and leads on.
    for p in [
        "/nope/",
        "/odd/m/missing@x/",
        "/odd/2024/13/",
        "/odd/9999/01/date/",
        "/odd/m/%FF%FE/",
        // No stored text holds a NUL (PostgreSQL cannot): asked for, it names nothing.
        "/r/%00",
        "/odd/m/a%00b/",
        "/od%00d/",
        "/odd/m/a%00b/raw",
    ] {
        let res = follow.get(format!("{base}{p}")).send().await.unwrap();
        let s = res.status();
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::BAD_REQUEST,
            "{p}: {s}"
        );
        assert_eq!(
            res.headers()["content-type"],
            "text/html; charset=utf-8",
            "{p}"
        );
        let page = res.text().await.unwrap();
        let doc = scraper::Html::parse_document(&page);
        let sel = |css: &str| scraper::Selector::parse(css).unwrap();
        let heading: String = doc
            .select(&sel("h1"))
            .next()
            .map(|h| h.text().collect())
            .unwrap_or_default();
        assert!(
            !heading.trim().is_empty(),
            "{p}: the error page has a heading: {page}"
        );
        assert!(
            doc.select(&sel("a[href=\"/\"]")).next().is_some()
                && doc
                    .select(&sel("form[action$=\"search\"]"))
                    .next()
                    .is_some(),
            "{p}: the error page leads home and offers a search: {page}"
        );
    }
}

/// Every URL of a private list answers 404, as for a list that does not exist, also when
/// the page was cached while the list was public; the front page and the search box do
/// not name it. Each URL is first checked to serve its content while the list is public.
#[tokio::test]
async fn a_private_list_is_served_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let mbox = "From x@y Mon Jan  1 00:00:00 2024\n\
From: Ann <ann@example.org>\nSubject: hushhush plans\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\
Message-ID: <root@hush>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
--b\nContent-Type: text/plain\n\nhushhush body\n\
--b\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\n\
hushhush attachment\n--b--\n\n\
From x@y Mon Jan  1 00:00:00 2024\n\
From: Ben <ben@example.org>\nSubject: Re: hushhush plans\nDate: Mon, 1 Jan 2024 01:00:00 +0000\n\
Message-ID: <reply@hush>\nIn-Reply-To: <root@hush>\n\nhushhush reply\n";
    let f = dir.path().join("hush.mbox");
    std::fs::write(&f, mbox).unwrap();
    import(&store, "hush", &[f]).await;
    let hush = list_id(&store, "hush").await;
    store.add_alias(hush, "hush_old.example.org").await.unwrap();
    let search = larch::search::Search::for_store(&store).unwrap();
    assert_eq!(search.rebuild(&store, &|_, _| {}).await.unwrap(), 2);
    drop(search);
    let base = serve(store.clone()).await;
    let http = client(false);
    let urls = [
        "/hush",
        "/hush/",
        "/hush/mbox.gz",
        "/hush/new.atom",
        "/hush/2024/01/",
        "/hush/2024/01/date/",
        "/hush/2024/01/author/",
        "/hush/2024/01/subject/",
        "/hush/2024/01/mbox.gz",
        "/hush/m/root@hush/",
        "/hush/m/root@hush",
        "/hush/m/root@hush/raw",
        "/hush/m/root@hush/a/0/notes.txt",
        "/hush/t/root@hush/",
        "/hush/t/root@hush/mbox.gz",
        "/hush/t/root@hush/atom",
        "/r/root@hush",
        "/r/reply@hush",
        "/hush/search?q=hushhush",
        "/pipermail/hush",
        "/pipermail/hush/",
        "/pipermail/hush/2024-January/thread.html",
        "/pipermail/hush/2024-January/date.html",
        "/pipermail/hush/2024-January.txt",
        "/pipermail/hush/2024-January.txt.gz",
        "/pipermail/hush_old.example.org/",
    ];
    // Public: each URL serves its page or redirects (and the page is now cached).
    for u in urls {
        let res = http.get(format!("{base}{u}")).send().await.unwrap();
        let status = res.status();
        assert!(
            status == StatusCode::OK || status.is_redirection(),
            "{u} while public: {status}"
        );
    }
    let front = http.get(format!("{base}/")).send().await.unwrap();
    assert!(front.text().await.unwrap().contains("href=\"/hush/\""));
    let search = http
        .get(format!("{base}/search?q=hushhush"))
        .send()
        .await
        .unwrap();
    assert!(search.text().await.unwrap().contains("/hush/m/root@hush/"));

    store
        .update_list(hush, None, None, Some(true), None, None)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for u in urls {
        let res = http.get(format!("{base}{u}")).send().await.unwrap();
        let status = res.status();
        let location = res.headers().get("location").cloned();
        let body = res.bytes().await.unwrap();
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{u} while private ({location:?})"
        );
        // The language menu's links come back to the address asked for, query and all:
        // the reader's own words, not the list's.
        let text = String::from_utf8_lossy(&body);
        let text = match (
            text.find("<nav class=\"languages\""),
            text.find("</footer>"),
        ) {
            (Some(a), Some(b)) if a < b => format!("{}{}", &text[..a], &text[b..]),
            _ => text.into_owned(),
        };
        assert!(
            !text.contains("hushhush"),
            "{u} shows the private list's mail"
        );
    }
    let front = http
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !front.contains("/hush/"),
        "the front page names the private list"
    );
    let search = http
        .get(format!("{base}/search?q=hushhush"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !search.contains("/hush/") && !search.contains("hushhush plans"),
        "search shows the private list"
    );
}

/// Elements and attributes on a page that could run or load something: anything beyond
/// the site's own script, stylesheet, search form and empty icon.
fn page_hazards(page: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(page);
    let all = scraper::Selector::parse("*").unwrap();
    let mut bad = Vec::new();
    for el in doc.select(&all) {
        let v = el.value();
        let name = v.name();
        match name {
            "script" if v.attr("src") == Some("/static/nav.js") => {}
            "link"
                if v.attr("href")
                    .is_some_and(|h| h.starts_with('/') || h == "data:,") => {}
            "form" if v.attr("action").is_some_and(|a| a.starts_with('/')) => {}
            "svg" if v.attr("class") == Some("chart") => {} // the activity chart
            "script" | "img" | "svg" | "iframe" | "object" | "embed" | "style" | "link"
            | "form" | "base" => bad.push(format!("<{name}>")),
            _ => {}
        }
        for (a, val) in v.attrs() {
            let l = val.trim().to_ascii_lowercase();
            if a.starts_with("on")
                || a == "style"
                || l.starts_with("javascript:")
                || (l.starts_with("data:") && l != "data:,")
            {
                bad.push(format!("{name} {a}={val}"));
            }
        }
    }
    bad
}

/// Hostile headers, filenames and parts, through the real pages; attachments come back
/// byte for byte with download headers and a type that cannot run.
#[tokio::test]
async fn hostile_mail_through_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let html_att = "<html><body><script>alert(1)</script></body></html>";
    let mut parts = String::new();
    for i in 0..2000 {
        parts.push_str(&format!("--b\nContent-Type: text/plain\n\npart {i}\n"));
    }
    let mbox = format!(
        "From x@y Mon Jan  1 00:00:00 2024\n\
         From: \"<img src=x onerror=alert(1)>\" <evil@example.org>\n\
         Subject: =?utf-8?b?4oCuZXZpbCA8c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+?=\n\
         Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <hostile@x>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"a\"\n\n\
         --a\nContent-Type: text/html\n\n<svg onload=alert(1)><a href=\"javascript:alert(1)\">x</a><p style=\"position:fixed\">y</p>\n\
         --a\nContent-Type: text/html; name=\"../../<script>.html\"\nContent-Disposition: attachment; filename=\"../../<script>.html\"\n\n{html_att}\n\
         --a--\n\n\
         From x@y Mon Jan  1 00:00:00 2024\nFrom: many@example.org\nSubject: many parts\n\
         Date: Mon, 1 Jan 2024 01:00:00 +0000\nMessage-ID: <many@x>\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n{parts}--b--\n"
    );
    let f = dir.path().join("hostile.mbox");
    std::fs::write(&f, mbox).unwrap();
    let s = import(&store, "h", &[f]).await;
    assert_eq!(s.new, 2, "{s}");
    let base = serve(store).await;
    let http = client(true);
    for path in [
        "/".to_string(),
        "/h/".to_string(),
        "/h/2024/01/".to_string(),
        "/h/2024/01/author/".to_string(),
        "/h/m/hostile@x/".to_string(),
        "/h/t/hostile@x/".to_string(),
        "/h/new.atom".to_string(),
        "/h/m/many@x/".to_string(),
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            !page.contains('\u{202E}'),
            "{path}: a bidi override reached the page"
        );
        if path.ends_with(".atom") {
            for tag in ["<script", "<svg", "<img", "<a "] {
                assert!(!page.contains(tag), "{path}: raw {tag} in the feed");
            }
        } else {
            let bad = page_hazards(&page);
            assert!(bad.is_empty(), "{path}: {bad:?}");
        }
    }
    // The attachment: listed, and served as a download of the original bytes.
    let page = http
        .get(format!("{base}/h/m/hostile@x/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let href = page
        .split("href=\"a/0/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("attachment link");
    let res = http
        .get(format!("{base}/h/m/hostile@x/a/0/{href}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(
        !disposition.contains('/') || disposition.contains("%2F"),
        "no path in the name: {disposition}"
    );
    assert_eq!(res.text().await.unwrap().trim_end(), html_att);
}

/// A digest shows its messages in place; an attached raster image is shown inline from the
/// archive's own URL; attachment names lose any path.
#[tokio::test]
async fn digests_images_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let mbox = "From x@y Mon Jan  1 00:00:00 2024\nFrom: list-request@example.org\nSubject: Digest, Vol 1, Issue 2\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <digest@x>\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"o\"\n\n--o\nContent-Type: text/plain\n\nToday's topics: two.\n\
--o\nContent-Type: multipart/digest; boundary=\"d\"\n\n--d\n\nFrom: Ann <ann@example.org>\nSubject: First topic\n\
Date: Sun, 31 Dec 2023 10:00:00 +0000\n\nFirst body.\n--d\n\nFrom: Ben <ben@example.org>\nSubject: Second topic\n\
Date: Sun, 31 Dec 2023 11:00:00 +0000\n\nSecond body.\n--d--\n\n--o\nContent-Type: image/png; name=\"../../etc/shot.png\"\n\
Content-Disposition: attachment; filename=\"../../etc/shot.png\"\nContent-Transfer-Encoding: base64\n\n\
iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ\n--o--\n\n\
From x@y Mon Jan  1 00:00:00 2024\nFrom: c@example.org\nSubject: refs\nDate: Mon, 1 Jan 2024 02:00:00 +0000\n\
Message-ID: <refs@x>\n\nAs said in <digest@x>, not in <nowhere@x>.\n";
    let f = dir.path().join("digest.mbox");
    std::fs::write(&f, mbox).unwrap();
    import(&store, "d", &[f]).await;
    let base = serve(store).await;
    let page = client(true)
        .get(format!("{base}/d/m/digest@x/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("<blockquote class=\"embedded\">").count(),
        2,
        "both digest messages shown"
    );
    assert!(page.contains("First topic") && page.contains("Second body."));
    assert!(
        page.contains("<img src=\"a/"),
        "inline image from the archive"
    );
    assert!(
        page.contains("><bdi>shot.png</bdi></a>") && !page.contains("etc/shot"),
        "the name has no path"
    );
    assert!(
        page_hazards(&page).iter().all(|h| h == "<img>"),
        "{:?}",
        page_hazards(&page)
    );
    let embedded: Vec<&str> = page
        .split("<blockquote class=\"embedded\">")
        .skip(1)
        .map(|b| b.split("</blockquote>").next().unwrap_or(""))
        .collect();
    insta::assert_snapshot!("digest_parts", embedded.join("\n----\n"));

    // A reference to an archived message links to it; an unknown one stays text.
    let page = client(true)
        .get(format!("{base}/d/m/refs@x/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<a href=\"/r/digest@x\">&lt;digest@x&gt;</a>"),
        "{page}"
    );
    assert!(!page.contains("/r/nowhere"));
}

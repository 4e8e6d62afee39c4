//! Search over an archive imported from the real corpora: query semantics checked against
//! the store (the source of truth) with SQL, result pages over HTTP, live indexing,
//! removal, private lists, feeds and downloads of results.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use larch::search::query::parse;
use larch::search::{Found, Order, Request, Search};
use larch::store::Store;
use sqlx::Row;

use crate::common::*;

pub struct Fx {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    /// The archive's database, for the checks' own SQL.
    pub db: Db,
    pub search: Arc<Search>,
    pub base: String,
    /// list name -> id
    pub lists: HashMap<String, i64>,
}

impl Fx {
    fn public(&self) -> Vec<i64> {
        self.lists
            .iter()
            .filter(|(n, _)| n.as_str() != "secret")
            .map(|(_, id)| *id)
            .collect()
    }

    fn run(&self, q: &str, order: Order, offset: usize, limit: usize) -> Found {
        let parsed = parse(q);
        let lists: HashMap<String, Option<i64>> = parsed
            .list_names()
            .into_iter()
            .map(|n| {
                let id = self.lists.get(&n).copied().filter(|_| n != "secret");
                (n, id)
            })
            .collect();
        self.search
            .run(&Request {
                parsed: &parsed,
                lists: &lists,
                visible: Some(self.public()),
                scope: None,
                order,
                offset,
                limit,
            })
            .expect("search runs")
    }

    fn ids(&self, q: &str) -> HashSet<i64> {
        let f = self.run(q, Order::Relevance, 0, 10_000);
        assert!(f.total <= 10_000, "{q}: too many results for a set check");
        f.ids.into_iter().collect()
    }

    fn count(&self, q: &str) -> usize {
        self.run(q, Order::Relevance, 0, 1).total
    }

    async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(self.db.sql(sql))
            .fetch_one(&*self.db)
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }
}

fn total_of(html: &str) -> usize {
    let i = html
        .find("data-total=\"")
        .expect("results count on the page")
        + 12;
    html[i..].split('"').next().unwrap().parse().unwrap()
}

/// Message keys of the results on a page, in order.
fn hit_keys(html: &str) -> Vec<String> {
    html.split("<a class=\"subject\" href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.to_string())
        .collect()
}

/// Imports the corpora into a fresh data directory, indexes it, and serves it.
pub async fn fixture(lists: &[(&str, &str, bool)]) -> Option<Fx> {
    let c = corpora()?;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let mut ids = HashMap::new();
    for (name, rel, private) in lists {
        import(&store, name, &[c.join(rel)]).await;
        let id = list_id(&store, name).await;
        if *private {
            store
                .update_list(id, None, None, Some(true), None, None)
                .await
                .unwrap();
        }
        ids.insert(name.to_string(), id);
    }
    let search = Arc::new(Search::for_store(&store).unwrap());
    let t = Instant::now();
    let n = search.rebuild(&store, &|_, _| {}).await.unwrap();
    eprintln!("indexed {n} messages in {:.1} s", t.elapsed().as_secs_f64());
    larch::search::spawn_indexer(store.clone(), search.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = larch::web::router_with(store.clone(), search.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Some(Fx {
        _dir: dir,
        db: db(&store).await,
        store,
        search,
        base: format!("http://{addr}"),
        lists: ids,
    })
}

const LISTS: &[(&str, &str, bool)] = &[
    ("uvc", "pipermail/linux-uvc-devel", false),
    ("msgs", "messages", false),
    ("secret", "maildir/notmuch/lkml", true),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_semantics() {
    let Some(fx) = fixture(LISTS).await else {
        return;
    };
    let uvc = fx.lists["uvc"];
    let msgs = fx.lists["msgs"];
    let visible = format!("{uvc},{msgs}");

    // Every visible stored message is indexed once.
    let stored = fx
        .scalar(&format!(
            "SELECT COUNT(DISTINCT m.id) FROM messages m JOIN nodes n ON n.message_id = m.id
             WHERE n.list_id IN ({visible}) AND NOT m.removed"
        ))
        .await as usize;
    assert_eq!(fx.count(""), stored);

    // Words: all must match.
    let a = fx.ids("bandwidth");
    let b = fx.ids("isochronous");
    let ab = fx.ids("bandwidth isochronous");
    assert!(!ab.is_empty());
    assert_eq!(ab, &a & &b, "words are ANDed");
    // Exclusion and OR partition the sets exactly.
    let a_not_b = fx.ids("bandwidth -isochronous");
    assert_eq!(a_not_b, &a - &b);
    assert_eq!(fx.ids("bandwidth OR isochronous"), &a | &b);
    assert_eq!(fx.ids("NOT isochronous bandwidth"), &a - &b);
    let c = fx.ids("webcam");
    assert_eq!(fx.ids("(bandwidth OR isochronous) webcam"), &(&a | &b) & &c);
    assert_eq!(
        fx.ids("webcam -(bandwidth OR isochronous)"),
        &c - &(&a | &b)
    );

    // Phrases: a subset of the words, and each hit holds the words in order.
    let words = fx.ids("frame rate");
    let phrase = fx.ids("\"frame rate\"");
    assert!(!phrase.is_empty() && phrase.len() < words.len());
    assert!(phrase.is_subset(&words));
    let texts = texts(&fx, &phrase).await;
    for (id, t) in &texts {
        assert!(
            normalized(t).contains(" frame rate "),
            "phrase hit {id} lacks the phrase: {t}"
        );
    }
    // Stemming for words, not for phrases.
    assert_eq!(fx.count("subject:patches"), fx.count("subject:patch"));
    assert!(fx.count("subject:\"patches\"") < fx.count("subject:patch"));
    assert!(fx.count("patches") > fx.count("\"patches\""));

    // subject: and body:
    let subj = fx.ids("subject:webcam");
    assert!(!subj.is_empty() && subj.is_subset(&c));
    for (_, s) in subjects(&fx, &subj).await {
        assert!(
            s.to_lowercase().contains("webcam"),
            "subject:webcam hit {s:?}"
        );
    }
    let body = fx.ids("body:webcam");
    assert!(!body.is_empty(), "body:webcam finds bodies");
    assert!(body.is_subset(&c));
    for (id, b) in bodies(&fx, &body).await {
        assert!(
            normalized(&b).contains(" webcam"),
            "body:webcam hit {id} has no webcam in its body"
        );
    }

    // from: by address equals the store's count for that sender.
    let row = sqlx::query(fx.db.sql(
        "SELECT lower(m.from_addr), COUNT(*) FROM messages m JOIN nodes n ON n.message_id = m.id
         WHERE n.list_id = ? AND m.from_addr != '' GROUP BY lower(m.from_addr)
         ORDER BY 2 DESC LIMIT 1",
    ))
    .bind(uvc)
    .fetch_one(&*fx.db)
    .await
    .unwrap();
    let (addr, n): (String, i64) = (row.get(0), row.get(1));
    let by_addr = fx
        .scalar(&format!(
            "SELECT COUNT(DISTINCT m.id) FROM messages m JOIN nodes n ON n.message_id = m.id
             WHERE n.list_id IN ({visible}) AND lower(m.from_addr) = '{}'",
            addr.replace('\'', "''")
        ))
        .await;
    assert!(by_addr >= n);
    assert_eq!(
        fx.count(&format!("from:{addr}")) as i64,
        by_addr,
        "from:{addr}"
    );
    assert_eq!(
        fx.count(&format!("from:\"{addr}\"")) as i64,
        by_addr,
        "quoted from:{addr}"
    );

    // msgid: exactly the message, for a sample of every list.
    let sample = sqlx::query(fx.db.sql(&format!(
        "SELECT m.id, m.message_id FROM messages m JOIN nodes n ON n.message_id = m.id
         WHERE n.list_id IN ({visible}) AND m.mkey = m.message_id ORDER BY m.id % 97, m.id LIMIT 60"
    )))
    .fetch_all(&*fx.db)
    .await
    .unwrap();
    assert_eq!(sample.len(), 60, "a sample of 60 messages");
    for r in &sample {
        let (id, mid): (i64, String) = (r.get(0), r.get(1));
        let found = fx.ids(&format!("msgid:<{mid}>"));
        assert_eq!(found, HashSet::from([id]), "msgid:{mid}");
    }

    // has:attachment equals the store's count.
    let with_att = fx
        .scalar(&format!(
            "SELECT COUNT(DISTINCT m.id) FROM messages m JOIN nodes n ON n.message_id = m.id
             WHERE n.list_id IN ({visible}) AND m.attachment_count > 0"
        ))
        .await;
    assert!(with_att > 0);
    assert_eq!(fx.count("has:attachment") as i64, with_att);

    // Dates, each form, against the store.
    let in_range = |lo: &str, hi: &str| {
        format!(
            "SELECT COUNT(DISTINCT m.id) FROM messages m JOIN nodes n ON n.message_id = m.id
             WHERE n.list_id IN ({visible}) AND m.date >= {} AND m.date < {}",
            epoch(lo),
            epoch(hi)
        )
    };
    for (q, lo, hi) in [
        ("date:2008", "2008-01-01", "2009-01-01"),
        ("date:2008-04", "2008-04-01", "2008-05-01"),
        ("date:2008-04-15", "2008-04-15", "2008-04-16"),
        ("date:2007..2008", "2007-01-01", "2009-01-01"),
        ("date:2007-11..2008-02", "2007-11-01", "2008-03-01"),
        ("after:2010-01-01", "2010-01-01", "9999-01-01"),
        ("after:2010", "2010-01-01", "9999-01-01"),
        ("before:2008-06", "1970-01-01", "2008-06-01"),
        ("before:2002-01-01", "1970-01-01", "2002-01-01"),
        (
            "after:2007-06-01 before:2007-07",
            "2007-06-01",
            "2007-07-01",
        ),
    ] {
        let want = fx.scalar(&in_range(lo, hi)).await;
        assert_eq!(fx.count(q) as i64, want, "{q}");
        assert!(
            want > 0,
            "{q} matches nothing in the store: pick another date"
        );
    }

    // List scoping, and facet counts equal to the store's for the same filter.
    let uvc_total = fx
        .scalar(&format!(
            "SELECT COUNT(*) FROM nodes n JOIN messages m ON m.id = n.message_id
             WHERE n.list_id = {uvc} AND NOT m.removed"
        ))
        .await;
    let f = fx.run("list:uvc", Order::Newest, 0, 10);
    assert_eq!(f.total as i64, uvc_total);
    let dates: Vec<i64> = sqlx::query_scalar(fx.db.sql(&format!(
        "SELECT m.date FROM nodes n JOIN messages m ON m.id = n.message_id
         WHERE n.list_id = {uvc} AND m.date IS NOT NULL AND NOT m.removed"
    )))
    .fetch_all(&*fx.db)
    .await
    .unwrap();
    let mut by_year = std::collections::BTreeMap::new();
    for d in dates {
        let year = chrono::Datelike::year(&chrono::DateTime::from_timestamp(d, 0).expect("a date"));
        *by_year.entry(year).or_insert(0u64) += 1;
    }
    let years: Vec<(i32, u64)> = by_year.into_iter().collect();
    assert_eq!(f.per_year, years, "year counts of list:uvc");
    let f = fx.run("date:2008", Order::Newest, 0, 10);
    let mut per_list = f.per_list.clone();
    per_list.sort();
    let mut want = Vec::new();
    for id in [uvc, msgs] {
        let n = fx
            .scalar(&format!(
                "SELECT COUNT(*) FROM nodes n JOIN messages m ON m.id = n.message_id
                 WHERE n.list_id = {id} AND m.date >= {} AND m.date < {}",
                epoch("2008-01-01"),
                epoch("2009-01-01")
            ))
            .await;
        if n > 0 {
            want.push((id, n as u64));
        }
    }
    want.sort();
    assert_eq!(per_list, want, "list counts of date:2008");
    let words_uvc = fx.count("webcam list:uvc");
    let (_, page) = fx.get("/uvc/search?q=webcam").await;
    assert_eq!(total_of(&page), words_uvc, "the list's own search box");
    assert!(words_uvc < c.len());

    // CJK: two characters from a stored subject find that message.
    let rows = sqlx::query(fx.db.sql(&format!(
        "SELECT m.id, m.subject FROM messages m JOIN nodes n ON n.message_id = m.id
         WHERE n.list_id IN ({visible}) ORDER BY m.id"
    )))
    .fetch_all(&*fx.db)
    .await
    .unwrap();
    let mut cjk_checked = 0;
    for r in &rows {
        let (id, subject): (i64, String) = (r.get(0), r.get(1));
        let chars: Vec<char> = subject.chars().collect();
        let Some(w) = chars
            .windows(2)
            .find(|w| w.iter().all(|&c| larch::search::tokenize::is_cjk(c)))
        else {
            continue;
        };
        let term: String = w.iter().collect();
        let found = fx.ids(&term);
        assert!(
            found.contains(&id),
            "CJK term {term} does not find message {id}"
        );
        let found = fx.ids(&format!("subject:{term}"));
        assert!(found.contains(&id));
        cjk_checked += 1;
        if cjk_checked == 20 {
            break;
        }
    }
    eprintln!("CJK subjects checked: {cjk_checked}");
    assert!(cjk_checked > 0, "the corpora hold CJK subjects");

    // Sort orders and pagination.
    let newest = fx.run("video", Order::Newest, 0, 500);
    let dates = dates_of(&fx, &newest.ids).await;
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let oldest = fx.run("video", Order::Oldest, 0, 500);
    let dates = dates_of(&fx, &oldest.ids).await;
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    for order in [Order::Relevance, Order::Newest, Order::Oldest] {
        let whole = fx.run("video", order, 0, 100).ids;
        let mut paged = Vec::new();
        for p in 0..5 {
            paged.extend(fx.run("video", order, p * 20, 20).ids);
        }
        assert_eq!(paged, whole, "pages of 20 = the first 100 ({order:?})");
        assert_eq!(paged.iter().collect::<HashSet<_>>().len(), 100);
    }
    // Over HTTP: pages do not overlap and agree with the count.
    let (_, p1) = fx.get("/search?q=video&o=new").await;
    let (_, p2) = fx.get("/search?q=video&o=new&p=2").await;
    let (k1, k2) = (hit_keys(&p1), hit_keys(&p2));
    assert_eq!(k1.len(), 20);
    assert!(k1.iter().all(|k| !k2.contains(k)));
    assert_eq!(total_of(&p1), fx.count("video"));
    // Relevance: every message with the word in its subject ranks above every message that
    // has it only in quoted text.
    let ranked = fx.run("webcam", Order::Relevance, 0, 10_000).ids;
    assert_eq!(ranked.len(), c.len());
    let mut last_subject = None;
    let mut first_quoted = None;
    for (rank, (id, t)) in texts_in_order(&fx, &ranked).await.into_iter().enumerate() {
        let has = |s: &str| {
            normalized(s)
                .split(' ')
                .any(|w| w == "webcam" || w == "webcams")
        };
        let (own, quoted): (Vec<&str>, Vec<&str>) = t
            .body
            .lines()
            .partition(|l| !l.trim_start().starts_with('>'));
        if has(&t.subject) {
            last_subject = Some((rank, id));
        } else if !has(&t.from) && !has(&own.join("\n")) && has(&quoted.join("\n")) {
            first_quoted.get_or_insert((rank, id));
        }
    }
    let (Some(subject), Some(quoted)) = (last_subject, first_quoted) else {
        panic!("webcam has hits both in subjects and in quoted text only");
    };
    assert!(
        subject.0 < quoted.0,
        "subject match (rank, id) {subject:?} ranks below quoted-only mention {quoted:?}"
    );

    // Grouping by thread: one result per thread, every matching thread once, and the
    // "matching in thread" counts add up to the ungrouped results.
    assert!(
        a.len() <= 1000,
        "bandwidth: grouping draws on the best 1,000 results"
    );
    let mut want_threads = HashSet::new();
    for id in &a {
        want_threads.insert(thread_of_id(&fx, *id).await);
    }
    let mut seen = HashMap::new();
    let mut matching = 0;
    let pages = want_threads.len().div_ceil(20);
    for page in 1..=pages {
        let (_, grouped) = fx.get(&format!("/search?q=bandwidth&t=1&p={page}")).await;
        assert_eq!(
            total_of(&grouped),
            want_threads.len(),
            "one result per thread"
        );
        let keys = hit_keys(&grouped);
        assert!(!keys.is_empty(), "page {page} of {pages} has results");
        for k in &keys {
            let thread = thread_of_link(&fx, k).await;
            if let Some(other) = seen.insert(thread, k.clone()) {
                panic!("{k} and {other} are of one thread, both shown");
            }
        }
        matching += grouped
            .split(" matching in thread</a>")
            .filter_map(|s| s.rsplit('>').next()?.parse::<usize>().ok())
            .sum::<usize>();
    }
    assert_eq!(
        seen.keys().copied().collect::<HashSet<_>>(),
        want_threads,
        "every thread with a match is shown once"
    );
    assert_eq!(matching, a.len(), "the per-thread counts cover every match");

    // Private lists never show.
    let secret_id: String = sqlx::query_scalar(
        fx.db.sql("SELECT m.message_id FROM messages m JOIN nodes n ON n.message_id = m.id WHERE n.list_id = ? LIMIT 1"),
    )
    .bind(fx.lists["secret"])
    .fetch_one(&*fx.db)
    .await
    .unwrap();
    let (_, page) = fx
        .get(&format!(
            "/search?q=msgid:{}",
            enc_q(&format!("\"{secret_id}\""))
        ))
        .await;
    assert_eq!(total_of(&page), 0);
    let (_, page) = fx.get("/search?q=list:secret").await;
    assert_eq!(total_of(&page), 0);
    assert!(page.contains("no public list named"));
    let (status, _) = fx.get("/secret/search?q=linux").await;
    assert_eq!(status, 404);
    let (_, page) = fx.get("/search?q=linux").await;
    assert!(
        !page.contains("/secret/"),
        "facets and hits never name the private list"
    );

    // Atom and mbox.gz of a result set.
    let (status, atom) = fx.get("/search?q=bandwidth+isochronous&x=atom").await;
    assert_eq!(status, 200);
    let mut reader = quick_xml::Reader::from_str(&atom);
    let mut entries = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"entry" => entries += 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("search Atom is not well-formed: {e}"),
        }
    }
    assert_eq!(entries, ab.len().min(50));
    let bytes = reqwest::get(format!("{}/search?q=bandwidth+isochronous&x=mbox", fx.base))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut mbox = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut mbox)
        .unwrap();
    let dl = tempfile::tempdir().unwrap();
    std::fs::write(dl.path().join("r.mbox"), &mbox).unwrap();
    let other = store(&dl.path().join("data")).await;
    let s = import(&other, "r", &[dl.path().join("r.mbox")]).await;
    assert_eq!(s.new as usize, ab.len(), "the mbox holds every result");

    // Removal hides a message from results at once; the index drops it within seconds.
    let victim = fx.run("bandwidth isochronous", Order::Newest, 0, 1).ids[0];
    let key: String = sqlx::query_scalar(fx.db.sql("SELECT mkey FROM messages WHERE id = ?"))
        .bind(victim)
        .fetch_one(&*fx.db)
        .await
        .unwrap();
    let before = fx.get("/search?q=bandwidth+isochronous&o=new").await.1;
    assert!(
        hit_keys(&before)
            .iter()
            .any(|k| k.contains(&larch::web::util::enc(&key)))
    );
    fx.store.remove_message(&key, true).await.unwrap();
    let after = fx.get("/search?q=bandwidth+isochronous&o=new").await.1;
    assert!(
        !hit_keys(&after)
            .iter()
            .any(|k| k.contains(&larch::web::util::enc(&key)))
    );
    wait_caught_up(&fx).await;
    assert_eq!(fx.count("bandwidth isochronous"), ab.len() - 1);
    assert_eq!(fx.count(&format!("msgid:\"{key}\"")), 0);

    // Live ingestion: searchable within seconds while the server runs.
    let msg = b"From: Live Sender <live@example.org>\r\nSubject: zyzzyva quokka\r\nMessage-ID: <live-1@example.org>\r\nDate: Tue, 1 Sep 2026 10:00:00 +0000\r\n\r\nfreshly arrived\r\n".to_vec();
    larch::ingest::ingest_one(&fx.store, "uvc", msg)
        .await
        .unwrap();
    let t = Instant::now();
    loop {
        let (_, page) = fx.get("/search?q=zyzzyva+quokka").await;
        if total_of(&page) == 1 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "live mail not searchable in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("live message searchable after {:?}", t.elapsed());

    // Hostile text in a result (subject, sender, body excerpt) is shown, never run.
    let msg = b"From: \"<img src=x onerror=alert(1)>\" <evil@example.org>\r\nSubject: zqxhostile <script>alert(1)</script> \xe2\x80\xae\r\nMessage-ID: <hostile-1@example.org>\r\nDate: Tue, 1 Sep 2026 10:00:00 +0000\r\n\r\nzqxhostile <script>alert(2)</script> <a href=\"javascript:x\">y</a>\r\n".to_vec();
    larch::ingest::ingest_one(&fx.store, "uvc", msg)
        .await
        .unwrap();
    let t = Instant::now();
    let page = loop {
        let (_, page) = fx.get("/search?q=zqxhostile").await;
        if total_of(&page) == 1 {
            break page;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "hostile mail not searchable"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for bad in ["<script>alert", "<img", "href=\"javascript"] {
        assert!(!page.contains(bad), "search page shows {bad} unescaped");
    }
    assert!(
        page.contains("&lt;script&gt;"),
        "the hostile subject is shown as text"
    );
    let (_, atom) = fx.get("/search?q=zqxhostile&x=atom").await;
    assert!(!atom.contains("<script"), "Atom escapes hostile subjects");
}

pub async fn wait_caught_up(fx: &Fx) {
    let t = Instant::now();
    while fx.search.lag(&fx.store).await.unwrap() > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "index did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Seconds since the epoch at the start of a UTC day, `YYYY-MM-DD`.
fn epoch(day: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .expect("a day")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
}

fn enc_q(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn normalized(s: &str) -> String {
    let t: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    format!(" {} ", t.split_whitespace().collect::<Vec<_>>().join(" "))
}

async fn texts(fx: &Fx, ids: &HashSet<i64>) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for id in ids {
        let r = sqlx::query(
            fx.db
                .sql("SELECT subject, body_text, from_name FROM messages WHERE id = ?"),
        )
        .bind(id)
        .fetch_one(&*fx.db)
        .await
        .unwrap();
        let s: String = r.get(0);
        let b: String = r.get(1);
        let f: String = r.get(2);
        out.push((*id, format!("{s}\n{b}\n{f}")));
    }
    out
}

/// What a message says where search looks: subject, sender and body, from the store.
struct Text {
    subject: String,
    from: String,
    body: String,
}

async fn texts_in_order(fx: &Fx, ids: &[i64]) -> Vec<(i64, Text)> {
    let mut out = Vec::new();
    for id in ids {
        let r = sqlx::query(fx.db.sql(
            "SELECT subject, body_text, from_name || ' ' || from_addr FROM messages WHERE id = ?",
        ))
        .bind(id)
        .fetch_one(&*fx.db)
        .await
        .unwrap();
        out.push((
            *id,
            Text {
                subject: r.get(0),
                body: r.get(1),
                from: r.get(2),
            },
        ));
    }
    out
}

async fn bodies(fx: &Fx, ids: &HashSet<i64>) -> Vec<(i64, String)> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    texts_in_order(fx, &ids)
        .await
        .into_iter()
        .map(|(id, t)| (id, t.body))
        .collect()
}

/// (list, thread) of a message in the visible lists it belongs to (one, in these corpora).
async fn thread_of_id(fx: &Fx, id: i64) -> (i64, i64) {
    let rows: Vec<(i64, i64)> = sqlx::query_as(fx.db.sql(&format!(
        "SELECT list_id, thread_no FROM nodes WHERE message_id = ? AND list_id IN ({})",
        fx.public()
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    )))
    .bind(id)
    .fetch_all(&*fx.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "message {id} is in one visible list");
    rows[0]
}

/// (list, thread) of a hit's link, `/{list}/m/{key}/`.
async fn thread_of_link(fx: &Fx, link: &str) -> (i64, i64) {
    let mut parts = link.trim_matches('/').split('/');
    let (Some(list), Some("m"), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("not a message link: {link}");
    };
    let key = percent_encoding::percent_decode_str(key)
        .decode_utf8_lossy()
        .into_owned();
    let list = fx.lists[list];
    let thread: i64 = sqlx::query_scalar(
        fx.db
            .sql("SELECT thread_no FROM nodes WHERE list_id = ? AND mkey = ?"),
    )
    .bind(list)
    .bind(&key)
    .fetch_one(&*fx.db)
    .await
    .unwrap();
    (list, thread)
}

async fn subjects(fx: &Fx, ids: &HashSet<i64>) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for id in ids {
        let s: String = sqlx::query_scalar(fx.db.sql("SELECT subject FROM messages WHERE id = ?"))
            .bind(id)
            .fetch_one(&*fx.db)
            .await
            .unwrap();
        out.push((*id, s));
    }
    out
}

async fn dates_of(fx: &Fx, ids: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    for id in ids {
        let d: Option<i64> =
            sqlx::query_scalar(fx.db.sql("SELECT date FROM messages WHERE id = ?"))
                .bind(id)
                .fetch_one(&*fx.db)
                .await
                .unwrap();
        out.push(d.unwrap_or(i64::MIN));
    }
    out
}

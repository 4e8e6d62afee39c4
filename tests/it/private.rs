//! Private archives: members read them after logging in, and nobody else learns a byte of
//! them. A crawler walks the real server as an anonymous reader, as a user granted only
//! the public list, and as a member of the private list, and every page is searched for
//! words that only the private list holds.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use larch::store::Store;
use larch::web::auth::AuthConfig;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::common::*;

/// `larch` with a text on its standard input.
fn larch(data: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    larch_cli(data, args, stdin.as_bytes())
}

/// Words, names and addresses found only in the private list's mail.
const SECRETS: &[&str] = &[
    "zanzibarite",
    "quillfeather",
    "Hushed Sender",
    "hushed-sender",
    "Private agenda",
    "obsidianmoth",
];

fn message(
    from: &str,
    id: &str,
    reply_to: Option<&str>,
    subject: &str,
    body: &str,
    day: u32,
) -> String {
    let refs = reply_to
        .map(|r| format!("In-Reply-To: <{r}>\nReferences: <{r}>\n"))
        .unwrap_or_default();
    format!(
        "From x@y Mon Jan  1 00:00:00 2024\nFrom: {from}\nSubject: {subject}\n\
         Date: Mon, {day} Jan 2024 10:00:00 +0000\nMessage-ID: <{id}>\n{refs}\n{body}\n\n"
    )
}

/// A public and a private list sharing words, an author and one cross-posted message.
async fn archive(dir: &Path) -> Store {
    let store = store(&dir.join("data")).await;
    let shared = message(
        "Ann Both <ann@example.org>",
        "cross@example.org",
        None,
        "Budget for everyone",
        "The shared budget word is marigold.",
        2,
    );
    let open = [
        message(
            "Ann Both <ann@example.org>",
            "o1@example.org",
            None,
            "Public marigold notes",
            "marigold in the open list",
            3,
        ),
        message(
            "Ole Open <ole@example.org>",
            "o2@example.org",
            Some("o1@example.org"),
            "Re: Public marigold notes",
            "A reply that quotes <p1@hush.example> by id.",
            4,
        ),
        shared.clone(),
    ]
    .concat();
    let hush = [
        message(
            "Hushed Sender <hushed-sender@hush.example>",
            "p1@hush.example",
            None,
            "Private agenda",
            "zanzibarite marigold quillfeather",
            5,
        ),
        message(
            "Ann Both <ann@example.org>",
            "p2@hush.example",
            Some("p1@hush.example"),
            "Re: Private agenda",
            "obsidianmoth and marigold",
            6,
        ),
        shared,
    ]
    .concat();
    for (name, text) in [("open", open), ("hush", hush)] {
        let f = dir.join(format!("{name}.mbox"));
        std::fs::write(&f, text).unwrap();
        import(&store, name, &[f]).await;
    }
    let hush = list_id(&store, "hush").await;
    store
        .update_list(hush, None, None, Some(true), None, None)
        .await
        .unwrap();
    let search = larch::search::Search::for_store(&store).unwrap();
    search.rebuild(&store, &|_, _| {}).await.unwrap();
    store
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The real server (with its socket layer, which knows the client's address) on a free
/// loopback port.
async fn serve_with(store: Store, auth: AuthConfig) -> String {
    let search = Arc::new(larch::search::Search::for_store(&store).unwrap());
    let config = larch::web::WebConfig {
        auth,
        ..Default::default()
    };
    let app = larch::web::router_configured(store, search, &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(larch::web::server::run(
        listener,
        app,
        larch::web::server::Limits::default(),
        std::future::pending(),
    ));
    format!("http://{addr}")
}

fn encoded(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Logs in through the form as a browser does; the session cookie, or the status of a
/// refusal.
async fn log_in(base: &str, user: &str, password: &str) -> Result<String, StatusCode> {
    let http = client();
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let csrf_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("larch_login="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let page = form.text().await.unwrap();
    let csrf = field(&page, "csrf");
    let res = http
        .post(format!("{base}/login"))
        .header("cookie", &csrf_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encoded(&[
            ("user", user),
            ("password", password),
            ("next", "/hush/"),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    if res.status() != StatusCode::SEE_OTHER {
        return Err(res.status());
    }
    assert_eq!(res.headers()["location"], "/hush/");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("larch_session="))
        .unwrap()
        .to_string();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    Ok(cookie.split(';').next().unwrap().to_string())
}

/// A hidden field's value in a page.
fn field(page: &str, name: &str) -> String {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_default()
        .to_string()
}

/// Every same-site link of a page (and its forms' GET targets are not followed).
fn links(page: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(page);
    let sel = scraper::Selector::parse("a[href], link[href]").unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr("href"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.split('#').next().unwrap_or(h).to_string())
        .collect()
}

/// What one reader sees: every page reachable from `/` plus every route form aimed at
/// the private list, by URL (status and body as text; gzip bodies unpacked).
async fn crawl(base: &str, cookie: Option<&str>) -> HashMap<String, (StatusCode, String)> {
    let http = client();
    let probes = [
        "/hush",
        "/hush/",
        "/hush/mbox.gz",
        "/hush/new.atom",
        "/hush/2024/01/",
        "/hush/2024/01/date/",
        "/hush/2024/01/author/",
        "/hush/2024/01/subject/",
        "/hush/2024/01/mbox.gz",
        "/hush/m/p1@hush.example/",
        "/hush/m/p1@hush.example",
        "/hush/m/p1@hush.example/raw",
        "/hush/m/p2@hush.example/",
        "/hush/t/p1@hush.example/",
        "/hush/t/p1@hush.example/mbox.gz",
        "/hush/t/p1@hush.example/atom",
        "/hush/m/cross@example.org/",
        "/r/p1@hush.example",
        "/r/p2@hush.example",
        "/r/cross@example.org",
        "/hush/search?q=marigold",
        "/search?q=marigold",
        "/search?q=zanzibarite",
        "/search?q=list:hush",
        "/search?q=list:hush+marigold",
        "/search?q=from:hushed-sender@hush.example",
        "/search?q=from:ann@example.org",
        "/search?q=marigold&x=atom",
        "/search?q=marigold&x=mbox",
        "/search?q=zanzibarite&x=atom",
        "/pipermail/hush/",
        "/pipermail/hush/2024-January/thread.html",
        "/pipermail/hush/2024-January/000000.html",
        "/pipermail/hush/2024-January.txt",
        "/pipermail/hush/2024-January.txt.gz",
        "/mailman/private/hush/",
        "/mailman/private/hush/2024-January/date.html",
        "/mailman/private/hush/2024-January/000001.html",
        "/open/m/o2@example.org/",
    ];
    let mut queue: VecDeque<String> = std::iter::once("/".to_string())
        .chain(probes.iter().map(|p| p.to_string()))
        .collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut out = HashMap::new();
    while let Some(url) = queue.pop_front() {
        assert!(out.len() < 3000, "the crawl does not end");
        let mut req = http.get(format!("{base}{url}"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let bytes = res.bytes().await.unwrap();
        let gz = bytes.starts_with(&[0x1f, 0x8b]);
        let text = if gz {
            use std::io::Read;
            let mut s = String::new();
            let _ = flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut s);
            s
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let mut next: Vec<String> = location
            .into_iter()
            .filter(|l| l.starts_with('/'))
            .collect();
        if !gz && !url.ends_with("/raw") {
            next.extend(links(&text));
        }
        for n in next {
            // Searches are asked by the probes above; following their facets would add
            // terms without end.
            if n.contains("search?") {
                continue;
            }
            if seen.insert(n.clone()) {
                queue.push_back(n);
            }
        }
        out.insert(url, (status, text));
    }
    // Each address that names a secret, asked again with a stand-in for it.
    let controls: Vec<String> = out
        .keys()
        .flat_map(|u| {
            SECRETS
                .iter()
                .filter(|s| u.contains(*s))
                .map(|s| u.replace(s, &stand_in(s)))
        })
        .collect();
    for control in controls {
        let mut req = http.get(format!("{base}{control}"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        out.insert(control, (status, res.text().await.unwrap()));
    }
    out
}

/// A word no message holds, as long as `secret`.
fn stand_in(secret: &str) -> String {
    "q".repeat(secret.len())
}

fn leaks(pages: &HashMap<String, (StatusCode, String)>) -> Vec<String> {
    let mut found = Vec::new();
    for (url, (_, text)) in pages {
        // A link names the list: that it exists is private too.
        if text.contains("href=\"/hush") {
            found.push(format!("{url} links to the private list"));
        }
        for s in SECRETS {
            let mut shown = text.matches(s).count();
            // A page may say back what its address asked (a search box holding the
            // query): only more than it says for an unknown word of that length counts.
            if url.contains(s) {
                let control = pages.get(&url.replace(s, &stand_in(s)));
                shown =
                    shown.saturating_sub(control.map_or(0, |c| c.1.matches(&stand_in(s)).count()));
            }
            if shown > 0 {
                found.push(format!("{url} shows {s:?}"));
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_read_private_lists_and_nobody_else_reads_a_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = archive(dir.path()).await;
    let data = dir.path().join("data");
    store.close().await;
    // Accounts, made as an admin would.
    ok(larch(
        &data,
        &["user", "add", "member"],
        "member password\n",
    ));
    ok(larch(&data, &["user", "grant", "member", "hush"], ""));
    ok(larch(
        &data,
        &["user", "add", "outsider"],
        "outsider password\n",
    ));
    ok(larch(&data, &["user", "grant", "outsider", "open"], ""));
    ok(larch(
        &data,
        &["user", "add", "boss", "--admin"],
        "boss password\n",
    ));
    let typo = larch(&data, &["user", "grant", "member", "hsuh"], "");
    assert!(
        !typo.status.success(),
        "a grant of a list that does not exist"
    );
    assert!(String::from_utf8_lossy(&typo.stderr).contains("no list named"));
    let listing = ok(larch(&data, &["user", "list"], ""));
    assert!(
        listing.contains("member") && listing.contains("hush"),
        "{listing}"
    );
    let stored: String = {
        let store = crate::common::store(&data).await;
        let db = db(&store).await;
        sqlx::query_scalar(db.sql("SELECT group_concat(password_hash) FROM users"))
            .fetch_one(&*db)
            .await
            .unwrap()
    };
    assert!(!stored.contains("password"), "only hashes are stored");

    let store = crate::common::store(&data).await;
    let base = serve_with(store.clone(), AuthConfig::default()).await;

    // Anonymous: the private list does not exist, whatever is asked.
    let anon = crawl(&base, None).await;
    assert_eq!(
        leaks(&anon),
        Vec::<String>::new(),
        "anonymous reads private mail"
    );
    let (status, page) = &anon["/hush/"];
    assert_eq!(*status, StatusCode::NOT_FOUND);
    assert!(page.contains("href=\"/login\""), "the 404 offers a login");
    let (_, missing) = anon.get("/hush/m/p1@hush.example/").unwrap();
    let nothing = client()
        .get(format!("{base}/nosuchlist/m/p1@hush.example/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The same page but for the list's name (the message's key keeps its host).
    let same = missing
        .replace("hush.example", "\0")
        .replace("hush%2Eexample", "\u{1}")
        .replace("hush", "nosuchlist")
        .replace('\0', "hush.example")
        .replace('\u{1}', "hush%2Eexample");
    if same != nothing {
        let at = same
            .char_indices()
            .zip(nothing.chars())
            .find(|((_, a), b)| a != b)
            .map_or(0, |((i, _), _)| i);
        eprintln!(
            "differs at {at}: {:?} | {:?}",
            &same[at.saturating_sub(80)..(at + 80).min(same.len())],
            &nothing[at.saturating_sub(80)..(at + 80).min(nothing.len())]
        );
    }
    assert_eq!(
        same, nothing,
        "a private list's page answers as a list that does not exist"
    );
    assert!(
        anon.len() > 20,
        "the crawl reached the archive: {}",
        anon.len()
    );
    // The cross-posted message is there under the public list, and its Message-ID link to
    // the private message is plain text.
    assert!(anon["/open/m/cross@example.org/"].1.contains("marigold"));
    assert!(
        !anon["/open/m/o2@example.org/"]
            .1
            .contains("/r/p1@hush.example")
    );

    // A user granted only the public list sees exactly as much.
    let outsider = log_in(&base, "outsider", "outsider password")
        .await
        .unwrap();
    let theirs = crawl(&base, Some(&outsider)).await;
    assert_eq!(
        leaks(&theirs),
        Vec::<String>::new(),
        "a non-member reads private mail"
    );
    assert!(
        theirs["/"].1.contains("outsider"),
        "the header names who is logged in"
    );

    // A member reads all of it, on every route form.
    let member = log_in(&base, "member", "member password").await.unwrap();
    let mine = crawl(&base, Some(&member)).await;
    let shown = leaks(&mine);
    assert!(
        shown
            .iter()
            .any(|l| l.contains("links to the private list"))
    );
    for s in SECRETS {
        assert!(
            shown.iter().any(|l| l.contains(s)),
            "the member never sees {s:?}"
        );
    }
    for u in [
        "/hush/",
        "/hush/m/p1@hush.example/",
        "/hush/m/p1@hush.example/raw",
        "/hush/t/p1@hush.example/",
        "/hush/2024/01/",
        "/hush/new.atom",
        "/hush/mbox.gz",
        "/search?q=zanzibarite",
    ] {
        assert_eq!(mine[u].0, StatusCode::OK, "{u} for the member");
        assert!(
            SECRETS.iter().any(|s| mine[u].1.contains(s)),
            "{u} for the member"
        );
    }
    assert!(
        mine["/open/m/o2@example.org/"]
            .1
            .contains("/r/p1@hush.example")
    );
    assert!(
        mine["/hush/"].1.contains("class=\"private\""),
        "a private list says so"
    );
    assert!(!mine["/open/"].1.contains("class=\"private\""));
    // Pages for a member stay out of shared caches and of the anonymous page cache.
    let res = client()
        .get(format!("{base}/hush/"))
        .header("cookie", &member)
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("private")
    );
    assert!(
        res.headers()
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Cookie"))
    );
    let after = crawl(&base, None).await;
    assert_eq!(
        leaks(&after),
        Vec::<String>::new(),
        "a member's pages were cached for all"
    );

    // The admin reads every list.
    let boss = log_in(&base, "boss", "boss password").await.unwrap();
    let res = client()
        .get(format!("{base}/hush/m/p2@hush.example/"))
        .header("cookie", &boss)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Refused: a wrong password, an unknown user (the same answer), a forged cookie, an
    // expired session, the session of a deleted user.
    let wrong = log_in(&base, "member", "not it").await.unwrap_err();
    let unknown = log_in(&base, "nobody", "not it").await.unwrap_err();
    assert_eq!(
        (wrong, unknown),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    let page_for = |cookie: String| {
        let base = base.clone();
        async move {
            let res = client()
                .get(format!("{base}/hush/m/p1@hush.example/"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            res.status()
        }
    };
    assert_eq!(page_for(member.clone()).await, StatusCode::OK);
    let forged = format!("larch_session={}", "0".repeat(64));
    assert_eq!(page_for(forged).await, StatusCode::NOT_FOUND);
    let db = db(&store).await;
    sqlx::query(db.sql("UPDATE sessions SET expires_at = 0 WHERE user_id = (SELECT id FROM users WHERE name = 'member')"))
        .execute(&*db)
        .await
        .unwrap();
    assert_eq!(
        page_for(member.clone()).await,
        StatusCode::NOT_FOUND,
        "expired"
    );
    let member = log_in(&base, "member", "member password").await.unwrap();
    assert_eq!(page_for(member.clone()).await, StatusCode::OK);
    ok(larch(&data, &["user", "del", "member"], ""));
    assert_eq!(
        page_for(member).await,
        StatusCode::NOT_FOUND,
        "deleted user"
    );
    // A revoked grant closes the list at the next request.
    ok(larch(&data, &["user", "grant", "outsider", "hush"], ""));
    assert_eq!(page_for(outsider.clone()).await, StatusCode::OK);
    ok(larch(&data, &["user", "revoke", "outsider", "hush"], ""));
    assert_eq!(
        page_for(outsider.clone()).await,
        StatusCode::NOT_FOUND,
        "revoked"
    );

    // Logging out needs the session's form token; with it, the session ends.
    let http = client();
    let res = http
        .post(format!("{base}/logout"))
        .header("cookie", &outsider)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encoded(&[("csrf", "forged")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "logout without the form token"
    );
    ok(larch(&data, &["user", "grant", "outsider", "hush"], ""));
    assert_eq!(
        page_for(outsider.clone()).await,
        StatusCode::OK,
        "still logged in"
    );
    let page = http
        .get(format!("{base}/"))
        .header("cookie", &outsider)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = field(&page, "csrf");
    assert_eq!(
        token.len(),
        64,
        "the header's logout form carries the token"
    );
    let res = http
        .post(format!("{base}/logout"))
        .header("cookie", &outsider)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encoded(&[("csrf", token.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page_for(outsider).await,
        StatusCode::NOT_FOUND,
        "logged out"
    );

    // A login form posted from elsewhere (no form cookie, or a token of another form).
    let res = http
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encoded(&[
            ("user", "boss"),
            ("password", "boss password"),
            ("csrf", "x"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "login without its form cookie"
    );
    assert!(
        res.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with("larch_session"))
    );
}

/// Failed logins are throttled per account (and per address), the same way for names
/// that exist and names that do not; the figure is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let store = archive(dir.path()).await;
    let data = dir.path().join("data");
    ok(larch(
        &data,
        &["user", "add", "member"],
        "member password\n",
    ));
    let base = serve_with(store, AuthConfig::default()).await;
    let started = std::time::Instant::now();
    let mut answers = Vec::new();
    for _ in 0..8 {
        answers.push(log_in(&base, "member", "guess").await.unwrap_err());
    }
    let tried = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(tried, 5, "{answers:?}");
    assert!(
        answers[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
    // Once throttled, even the right password waits: a guesser learns nothing.
    assert_eq!(
        log_in(&base, "member", "member password")
            .await
            .unwrap_err(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // An unknown name is throttled alike.
    let mut unknown = Vec::new();
    for _ in 0..6 {
        unknown.push(log_in(&base, "ghost", "guess").await.unwrap_err());
    }
    assert_eq!(unknown[5], StatusCode::TOO_MANY_REQUESTS, "{unknown:?}");
    // Per address: 20 failures over any names, then nothing from there.
    let mut from_here = Vec::new();
    for i in 0..12 {
        from_here.push(
            log_in(&base, &format!("name{i}"), "guess")
                .await
                .unwrap_err(),
        );
    }
    assert!(
        from_here.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{from_here:?}"
    );
    eprintln!(
        "login throttle: 5 password checks per account and 20 per address in 15 minutes \
         (at most 0.33 guesses per minute per account); {} attempts answered in {:.1} s",
        8 + 1 + 6 + 12,
        started.elapsed().as_secs_f64()
    );
}

/// A single-sign-on proxy's user header is believed from the proxies listed, and from
/// nowhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_header_counts_only_from_a_trusted_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let store = archive(dir.path()).await;
    let data = dir.path().join("data");
    ok(larch(
        &data,
        &["user", "add", "member"],
        "member password\n",
    ));
    ok(larch(&data, &["user", "grant", "member", "hush"], ""));
    let header = axum::http::HeaderName::from_static("x-remote-user");
    let untrusted = serve_with(
        store.clone(),
        AuthConfig {
            proxy_header: Some(header.clone()),
            trusted_proxies: vec!["192.0.2.1".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let trusted = serve_with(
        store,
        AuthConfig {
            proxy_header: Some(header),
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let get = |base: String| async move {
        client()
            .get(format!("{base}/hush/m/p1@hush.example/"))
            .header("x-remote-user", "member")
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(get(untrusted).await, StatusCode::NOT_FOUND);
    assert_eq!(get(trusted).await, StatusCode::OK);
}

/// Feed readers cannot log in: a user's secret feed token opens the private feeds, and
/// nothing else; revoked, it opens nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_token_opens_private_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = archive(dir.path()).await;
    let data = dir.path().join("data");
    ok(larch(
        &data,
        &["user", "add", "member"],
        "member password\n",
    ));
    ok(larch(&data, &["user", "grant", "member", "hush"], ""));
    let token = ok(larch(&data, &["user", "feed-token", "member"], ""));
    let token = token.trim();
    assert_eq!(token.len(), 64);
    let base = serve_with(store, AuthConfig::default()).await;
    let get = |u: String| async move {
        let res = client().get(u).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    };
    let (s, feed) = get(format!("{base}/hush/new.atom?feed={token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(feed.contains("Private agenda"));
    let (s, _) = get(format!("{base}/hush/m/p1@hush.example/?feed={token}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a feed token is not a login");
    let (s, _) = get(format!("{base}/hush/new.atom?feed={}", "1".repeat(64))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    ok(larch(
        &data,
        &["user", "feed-token", "member", "--revoke"],
        "",
    ));
    let (s, _) = get(format!("{base}/hush/new.atom?feed={token}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "revoked");
}

//! The PostgreSQL backend against SQLite: the same real mail imported into an archive on
//! each must give the same archive (the canonical dump of every list) and the same site,
//! page for page and byte for byte, before and after a removal. The pages are found by
//! following the links of the SQLite archive's site from its front page, so every page
//! kind the site links to is compared, not a list kept by hand.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use larch::search::Search;
use larch::store::Store;

use super::common::{corpora, import, list_id};
use super::pg;

/// The lists both archives hold: a pipermail archive (numbers, scrubbed attachments), a
/// notmuch maildir (threading edge cases) and HyperKitty's repaired messages (charsets,
/// dates).
const LISTS: &[(&str, &str)] = &[
    ("uvc", "pipermail/linux-uvc-devel"),
    ("notmuch", "maildir/notmuch"),
    ("hk", "messages/hyperkitty"),
];

/// Pages compared, at most: the front page, every list's and month's pages come first in
/// the walk, then threads and messages.
const MAX_PAGES: usize = 900;

struct Side {
    _dir: tempfile::TempDir,
    store: Store,
    base: String,
    /// Messages its own search index took.
    indexed: usize,
}

/// An archive holding [`LISTS`], served on a loopback port. A PostgreSQL archive builds its
/// own index in a second data directory, as a second server on the same database would,
/// and serves a copy of `same_index_as`'s: which of two equally good hits comes first
/// depends on how an index's segments fell, not on the store, and the pages must be
/// compared on the same index.
async fn side(database: Option<&str>, root: &Path, same_index_as: Option<&Path>) -> Side {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), database).await.unwrap();
    let t = Instant::now();
    for (name, rel) in LISTS {
        import(&store, name, &[root.join(rel)]).await;
    }
    let imported = t.elapsed().as_secs_f64();
    let indexed = match same_index_as {
        None => {
            let search = Search::for_store(&store).unwrap();
            search.rebuild(&store, &|_, _| {}).await.unwrap()
        }
        Some(from) => {
            let node = tempfile::tempdir().unwrap();
            let other = Store::open_with(node.path(), database).await.unwrap();
            let search = Search::for_store(&other).unwrap();
            let n = search.rebuild(&other, &|_, _| {}).await.unwrap();
            copy_tree(
                &larch::search::index_dir(from),
                &larch::search::index_dir(dir.path()),
            );
            n
        }
    };
    eprintln!(
        "{}: imported in {imported:.1} s, indexed {indexed} messages in {:.1} s",
        if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        t.elapsed().as_secs_f64() - imported
    );
    let search = Arc::new(Search::for_store(&store).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = larch::web::router_with(store.clone(), search);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Side {
        _dir: dir,
        store,
        base: format!("http://{addr}"),
        indexed,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The site-relative links of a page, `&amp;` read as `&`.
fn links(base: &str, html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        let path = match href.strip_prefix(base) {
            Some(p) => p.to_string(),
            None => href,
        };
        if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/static/") {
            out.push(path.split('#').next().unwrap_or("").to_string());
        }
    }
    out
}

/// A page as both sites must answer it: its status, type and body, with the site's own
/// address, the searches' timings and the login form's one-time token taken out.
async fn fetch(client: &reqwest::Client, base: &str, path: &str) -> (u16, String, Vec<u8>) {
    let resp = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.bytes().await.unwrap().to_vec();
    let body = match String::from_utf8(body) {
        Ok(text) => without_csrf(&without_timings(&text.replace(base, "BASE"))).into_bytes(),
        Err(e) => e.into_bytes(),
    };
    (status, kind, body)
}

/// The login form's token, which is random, as `X`.
fn without_csrf(text: &str) -> String {
    const FIELD: &str = "name=\"csrf\" value=\"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(FIELD) {
        out.push_str(&rest[..i + FIELD.len()]);
        rest = &rest[i + FIELD.len()..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
        out.push('X');
    }
    out.push_str(rest);
    out
}

/// `results in 4.0 ms` as `results in T ms`: how long a search took differs from run to
/// run.
fn without_timings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" ms") {
        let head = &rest[..i];
        let number = head
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
            .len();
        out.push_str(&head[..number]);
        if number < head.len() {
            out.push('T');
        }
        out.push_str(" ms");
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

/// The kind of page an address names, for the walk's summary.
fn shape(path: &str) -> &'static str {
    let p = path.split('?').next().unwrap_or("");
    if p.starts_with("/api/") {
        "api"
    } else if p.contains("search") {
        "search"
    } else if p.ends_with(".gz") || p.ends_with(".atom") || p.contains("/raw") {
        "download"
    } else if p.contains("/attachments/") || p.contains("/a/") {
        "attachment"
    } else if p.contains("/m/") {
        "message"
    } else if p.contains("/t/") {
        "thread"
    } else if p.split('/').filter(|s| !s.is_empty()).count() >= 3 {
        "month"
    } else {
        "other"
    }
}

/// Compares every page reachable from `starts` (and the front page) on both sites;
/// returns how many were compared.
async fn compare_sites(a: &Side, b: &Side, starts: &[String]) -> usize {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<String> = VecDeque::new();
    for s in std::iter::once("/".to_string()).chain(starts.iter().cloned()) {
        if seen.insert(s.clone()) {
            queue.push_back(s);
        }
    }
    let mut compared = 0;
    let mut kinds: BTreeMap<u16, usize> = BTreeMap::new();
    let mut shapes: BTreeMap<&str, usize> = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        if compared >= MAX_PAGES {
            break;
        }
        let (sa, ka, ba) = fetch(&client, &a.base, &path).await;
        let (sb, kb, bb) = fetch(&client, &b.base, &path).await;
        compared += 1;
        *kinds.entry(sa).or_default() += 1;
        *shapes.entry(shape(&path)).or_default() += 1;
        assert_eq!((sa, &ka), (sb, &kb), "status and type of {path}");
        // The change log's order within one import batch follows where the import's
        // batches happened to end, which differs between two imports into SQLite too; its
        // content is compared whole below.
        if ba != bb && !path.contains("/changes") {
            let ta = String::from_utf8_lossy(&ba);
            let tb = String::from_utf8_lossy(&bb);
            let line = ta
                .lines()
                .zip(tb.lines())
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("SQLite:     {x}\nPostgreSQL: {y}"))
                .unwrap_or_else(|| format!("lengths {} and {}", ba.len(), bb.len()));
            panic!("{path} differs between the backends; first difference:\n{line}");
        }
        if ka.starts_with("text/html") {
            for l in links(&a.base, &String::from_utf8_lossy(&ba)) {
                if seen.insert(l.clone()) {
                    queue.push_back(l);
                }
            }
        }
    }
    eprintln!("compared {compared} pages (statuses {kinds:?}; {shapes:?})");
    compared
}

#[test]
fn postgresql_archive_matches_sqlite_page_for_page() {
    let Some(root) = corpora() else { return };
    let Some(server) = pg::server() else { return };
    let url = server.fresh_database("pages");
    super::common::within(std::time::Duration::from_secs(900), move || async move {
        let lite = side(None, &root, None).await;
        let post = side(Some(&url), &root, Some(lite.store.dir())).await;
        assert!(post.store.is_shared() && !lite.store.is_shared());
        assert_eq!(lite.indexed, post.indexed, "messages indexed");

        for (name, _) in LISTS {
            let a = lite
                .store
                .dump_list(list_id(&lite.store, name).await)
                .await
                .unwrap();
            let b = post
                .store
                .dump_list(list_id(&post.store, name).await)
                .await
                .unwrap();
            assert!(a.lines().count() > 10, "{name} holds messages");
            if a != b {
                let (x, y) = a
                    .lines()
                    .zip(b.lines())
                    .find(|(x, y)| x != y)
                    .unwrap_or(("(shorter)", "(shorter)"));
                panic!("{name}'s canonical dump differs:\nSQLite:     {x}\nPostgreSQL: {y}");
            }
        }

        for (name, _) in LISTS {
            let mut logs = Vec::new();
            for s in [&lite.store, &post.store] {
                let id = list_id(s, name).await;
                let mut log: Vec<(String, &str)> = s
                    .changes_after(id, 0, 1_000_000)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| (c.mkey, c.kind.as_str()))
                    .collect();
                log.sort();
                logs.push(log);
            }
            assert_eq!(logs[0], logs[1], "{name}'s change log");
        }

        // Search, the API and a resolver, which no page links to.
        let mut starts: Vec<String> = [
            "/search?q=camera",
            "/search?q=from%3Alaurent",
            "/search?q=subject%3A%22uvc%22&sort=date",
            "/uvc/search?q=driver+webcam",
            "/api/v1/lists",
            "/api/v1/lists/uvc",
            "/api/v1/lists/uvc/months",
            "/api/v1/lists/notmuch/changes",
            "/api/v1/search?q=thread",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (name, _) in LISTS {
            starts.push(format!("/{name}/"));
        }
        let n = compare_sites(&lite, &post, &starts).await;
        assert!(n >= 300, "only {n} pages reached");

        // A removal, then the same walk from the removed message's page.
        let victim = lite
            .store
            .latest_messages(list_id(&lite.store, "uvc").await, 1)
            .await
            .unwrap()
            .remove(0)
            .mkey;
        for s in [&lite.store, &post.store] {
            assert!(matches!(
                s.remove_message(&victim, false).await.unwrap(),
                larch::store::Removal::Done(_)
            ));
        }
        let page = format!("/uvc/m/{}/", percent_encode(&victim));
        compare_sites(&lite, &post, &[page, "/uvc/".to_string()]).await;
    });
}

fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A database across a network is reached over TLS, the server's certificate verified: the
/// archive's connections are encrypted (as the server itself reports), and a server whose
/// certificate the given authority did not sign is refused with a clear error.
#[test]
fn tls_to_postgresql_is_encrypted_and_verified() {
    let Some(server) = pg::server() else { return };
    let Some(ca) = server.ca().map(Path::to_path_buf) else {
        assert!(
            !crate::common::in_ci(),
            "CI is set but the PostgreSQL test cluster has no certificate (openssl missing)"
        );
        crate::common::skip("no openssl to make the test cluster a certificate with");
        return;
    };
    let url = server.fresh_database("tls");
    let name = url.rsplit('/').next().unwrap().to_string();
    let verified = format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display());
    let tmp = tempfile::tempdir().unwrap();
    let (other_key, other_cert) = (tmp.path().join("other.key"), tmp.path().join("other.crt"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&other_key)
        .arg("-out")
        .arg(&other_cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let forged = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        other_cert.display()
    );
    crate::common::within(std::time::Duration::from_secs(120), move || async move {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(dir.path(), Some(&verified)).await.unwrap();
        store.ensure_list("tls", false).await.unwrap();
        let seen = server
            .admin(&format!(
                "SELECT count(*) FILTER (WHERE s.ssl) || ' of ' || count(*)
                 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.application_name = 'larch' AND a.datname = '{name}'"
            ))
            .unwrap();
        let (encrypted, all) = seen.trim().split_once(" of ").unwrap();
        assert!(
            all != "0" && encrypted == all,
            "encrypted connections: {seen}"
        );

        // The command line takes the same URL.
        let out = crate::common::larch_cli(dir.path(), &["--database", &verified, "lists"], b"");
        assert!(out.status.success(), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("tls"),
            "{out:?}"
        );

        let refused = Store::open_with(tempfile::tempdir().unwrap().path(), Some(&forged)).await;
        let Err(e) = refused else {
            panic!("a server whose certificate the given authority did not sign was trusted")
        };
        let e = format!("{e:#}").to_lowercase();
        assert!(e.contains("certificate") || e.contains("tls"), "{e}");
        store.close().await;
    });
}

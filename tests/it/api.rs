//! The JSON API over HTTP, on the real server: every endpoint on part of a real archive,
//! every collection walked page by page (the pages together hold the whole, each row
//! once), the change log followed across a delivery and removals, private lists kept from
//! those who may not read them, CORS, and every answer checked against
//! docs/api.schema.json by a validator for the part of JSON Schema that file uses.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use larch::store::Store;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::common::*;

// ---- the schema ---------------------------------------------------------------------

/// docs/api.schema.json, and a validator for the keywords it may use. A keyword outside
/// them fails the check, so the file cannot say more than is checked.
struct Schema(Value);

const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "oneOf",
];

impl Schema {
    fn load() -> Schema {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.schema.json");
        let text = std::fs::read_to_string(&path).expect("docs/api.schema.json");
        Schema(serde_json::from_str(&text).expect("the schema is JSON"))
    }

    /// Panics, saying where, unless `v` is a `def` of the schema.
    fn check(&self, def: &str, v: &Value) {
        let mut errors = Vec::new();
        let schema = serde_json::json!({ "$ref": format!("#/$defs/{def}") });
        self.errors(&schema, v, "$", &mut errors);
        assert!(
            errors.is_empty(),
            "not a {def}: {errors:#?}\n{}",
            serde_json::to_string_pretty(v).unwrap_or_default()
        );
    }

    fn errors(&self, s: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
        let Some(s) = s.as_object() else {
            out.push(format!("{at}: schema is not an object"));
            return;
        };
        for k in s.keys() {
            assert!(KEYWORDS.contains(&k.as_str()), "unsupported keyword {k}");
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/$defs/").expect("local $ref");
            let target = &self.0["$defs"][name];
            assert!(target.is_object(), "no definition {name}");
            self.errors(target, v, at, out);
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => panic!("bad type {t}"),
            };
            if !types.iter().any(|t| is_type(v, t)) {
                out.push(format!("{at}: {v} is not {types:?}"));
                return;
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            out.push(format!("{at}: {v} is not one of {e:?}"));
        }
        if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
            let fits = alts
                .iter()
                .filter(|a| {
                    let mut e = Vec::new();
                    self.errors(a, v, at, &mut e);
                    e.is_empty()
                })
                .count();
            if fits != 1 {
                out.push(format!("{at}: fits {fits} of oneOf"));
            }
        }
        if let Some(o) = v.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().expect("required names");
                if !o.contains_key(r) {
                    out.push(format!("{at}: missing {r}"));
                }
            }
            for (k, val) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.errors(ps, val, &format!("{at}.{k}"), out),
                    None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        out.push(format!("{at}: unexpected {k}"))
                    }
                    None => {}
                }
            }
        }
        if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
            for (i, item) in a.iter().enumerate() {
                self.errors(items, item, &format!("{at}[{i}]"), out);
            }
        }
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "null" => v.is_null(),
        _ => panic!("unknown type {t}"),
    }
}

#[test]
fn the_validator_refuses_what_the_schema_does_not_allow() {
    let s = Schema::load();
    let mut e = Vec::new();
    let bad = serde_json::json!({ "error": 3, "extra": true });
    s.errors(
        &serde_json::json!({ "$ref": "#/$defs/error" }),
        &bad,
        "$",
        &mut e,
    );
    assert_eq!(e.len(), 2, "{e:?}");
    let item = serde_json::json!({
        "key": "k", "parent": null, "date": null, "subject": null, "from": null,
        "removed": true, "links": { "self": "/a", "page": "/b" }
    });
    s.check("message_item", &item);
    let mut e = Vec::new();
    let mut wrong = item.clone();
    wrong["from"] = serde_json::json!({ "name": "x" });
    s.errors(
        &serde_json::json!({ "$ref": "#/$defs/message_item" }),
        &wrong,
        "$",
        &mut e,
    );
    assert!(!e.is_empty());
}

// ---- a client ---------------------------------------------------------------------

struct Api {
    http: reqwest::Client,
    base: String,
    schema: Schema,
    /// A session cookie: requests as a signed-in reader.
    cookie: Option<String>,
}

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

impl Api {
    fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            schema: Schema::load(),
            cookie: None,
        }
    }

    fn signed_in(&self, cookie: &str) -> Api {
        Api {
            cookie: Some(cookie.to_string()),
            ..Api::new(&self.base)
        }
    }

    async fn request(&self, method: reqwest::Method, path: &str) -> Got {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json"),
                "{path}: {headers:?}"
            );
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
        };
        Got {
            status,
            headers,
            json,
        }
    }

    async fn get(&self, path: &str) -> Got {
        self.request(reqwest::Method::GET, path).await
    }

    /// A 200 answer that is a `def` of the schema.
    async fn ok(&self, path: &str, def: &str) -> Value {
        let got = self.get(path).await;
        assert_eq!(got.status, StatusCode::OK, "{path}: {}", got.json);
        self.schema.check(def, &got.json);
        got.json
    }

    /// An error answer with this status, in the error shape.
    async fn fails(&self, path: &str, status: StatusCode) -> Value {
        let got = self.get(path).await;
        assert_eq!(got.status, status, "{path}: {}", got.json);
        self.schema.check("error", &got.json);
        got.json
    }

    /// Every page of a collection, from `path` (which has a query string) on, following
    /// `next`: the rows of `field`, checked to come once each by `id`.
    async fn walk(&self, path: &str, def: &str, field: &str, id: &str) -> (Vec<Value>, usize) {
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut url = path.to_string();
        for pages in 1..=10_000 {
            let page = self.ok(&url, def).await;
            for r in page[field].as_array().unwrap() {
                let key = r[id].as_str().unwrap().to_string();
                assert!(seen.insert(key.clone()), "{key} twice walking {path}");
                rows.push(r.clone());
            }
            match page["next"].as_str() {
                Some(next) => url = format!("{path}&cursor={next}"),
                None => return (rows, pages),
            }
        }
        panic!("{path}: no end after 10,000 pages")
    }

    /// Every change after `since` (from the start without one), following `next` while
    /// there is `more`: (kind, key) in order, and the cursor to go on from.
    async fn changes(&self, list: &str, since: Option<&str>) -> (Vec<(String, String)>, String) {
        let mut out = Vec::new();
        let mut since = since.map(str::to_string);
        for _ in 0..10_000 {
            let mut path = format!("{}?limit=50", larch::web::urls::api_changes(list));
            if let Some(s) = &since {
                path.push_str(&format!("&since={s}"));
            }
            let page = self.ok(&path, "changes_page").await;
            for c in page["changes"].as_array().unwrap() {
                out.push((
                    c["kind"].as_str().unwrap().to_string(),
                    c["key"].as_str().unwrap().to_string(),
                ));
            }
            since = Some(page["next"].as_str().unwrap().to_string());
            if page["more"] == Value::Bool(false) {
                return (out, since.unwrap_or_default());
            }
        }
        panic!("no end to the changes of {list}")
    }
}

fn q(s: &str) -> String {
    larch::domain::escape::enc_query(s)
}

fn names(rows: &[Value], field: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[field].as_str().unwrap().to_string())
        .collect()
}

/// One message in mbox form.
fn mail(id: &str, subject: &str, body: &str, day: u32, reply_to: Option<&str>) -> String {
    let refs = reply_to
        .map(|r| format!("In-Reply-To: <{r}>\nReferences: <{r}>\n"))
        .unwrap_or_default();
    format!(
        "From x@y Mon Jan  1 00:00:00 2024\nFrom: Ann Both <ann@example.org>\nSubject: {subject}\n\
         Date: Mon, {day} Jan 2024 10:00:00 +0000\nMessage-ID: <{id}>\n{refs}\n{body}\n\n"
    )
}

async fn rebuild_index(store: &Store) {
    larch::search::Search::for_store(store)
        .unwrap()
        .rebuild(store, &|_, _| {})
        .await
        .unwrap();
}

fn cli_ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- a real archive ---------------------------------------------------------------

const UVC: &str = "linux-uvc-devel";
/// Four months of the list: a few hundred messages, threads across months.
const MONTHS: &[&str] = &[
    "2006-March.txt",
    "2006-April.txt",
    "2006-May.txt",
    "2006-June.txt",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_walks_a_real_archive_page_by_page() {
    let Some(c) = corpora() else { return };
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let uvc = c.join("pipermail").join(UVC);
    let paths: Vec<_> = MONTHS.iter().map(|m| uvc.join(m)).collect();
    import(&store, UVC, &paths).await;
    import(&store, "perceval", &[c.join("pipermail/perceval-samples")]).await;
    let notmuch = c.join("maildir/notmuch/attachment");
    import(&store, "notmuch-attachments", &[notmuch]).await;
    rebuild_index(&store).await;
    let base = serve(store.clone()).await;
    let api = Api::new(&base);

    // The root, and the lists: one at a time, the same as all at once.
    let root = api.ok("/api/v1/", "root").await;
    assert_eq!(api.ok("/api/v1", "root").await, root);
    let (lists, pages) = api
        .walk("/api/v1/lists?limit=1", "lists_page", "lists", "name")
        .await;
    assert_eq!(pages, 3);
    let all = api.ok("/api/v1/lists?limit=200", "lists_page").await;
    assert_eq!(all["lists"].as_array().unwrap(), &lists);
    assert_eq!(
        names(&lists, "name"),
        ["linux-uvc-devel", "notmuch-attachments", "perceval"]
    );

    // Each list walked down to its messages.
    let mut attachments = 0;
    let mut every: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in &lists {
        let name = l["name"].as_str().unwrap();
        let (keys, n) = whole_list(&api, &store, l).await;
        attachments += n;
        every.insert(name.to_string(), keys);
    }
    assert!(attachments > 0, "no attachment listed");
    let keys = every[UVC].clone();
    assert!(keys.len() > 200, "{}", keys.len());
    let list_path = root["links"]["lists"].as_str().unwrap().to_string() + "/" + UVC;
    let detail = api.ok(&list_path, "list_detail").await;
    let messages = detail["list"]["messages"].as_i64().unwrap();
    let months_path = format!("{list_path}/months?limit=2");

    // Where the log of a list ends, nothing follows.
    let (_, head) = api.changes(UVC, None).await;
    assert_eq!(api.changes(UVC, Some(&head)).await.0, []);
    let cursor = detail["changes_cursor"].as_str().unwrap();
    assert_eq!(api.changes(UVC, Some(cursor)).await.0, []);

    // Search, in the web's query language, walked to its end (the same hits as one page),
    // and within one list.
    let word = "webcam";
    let path = format!("/api/v1/search?q={}&limit=20", q(word));
    let (hits, pages) = api.walk(&path, "search_page", "hits", "key").await;
    assert!(pages > 1, "{pages}");
    let first = api.ok(&path, "search_page").await;
    assert_eq!(first["total"].as_u64().unwrap() as usize, hits.len());
    let whole = api
        .ok(&path.replace("limit=20", "limit=200"), "search_page")
        .await;
    assert_eq!(
        names(whole["hits"].as_array().unwrap(), "key")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        names(&hits, "key").into_iter().collect::<BTreeSet<_>>()
    );
    for h in &hits {
        let list = h["list"].as_str().unwrap();
        assert!(every[list].contains(h["key"].as_str().unwrap()), "{h}");
        let text = format!("{} {}", h["subject"], h["snippet"]).to_lowercase();
        assert!(text.contains(word), "{h}");
    }
    let scoped = format!(
        "{}?q={}&limit=200",
        detail["list"]["links"]["search"].as_str().unwrap(),
        q(word)
    );
    let s = api.ok(&scoped, "search_page").await;
    assert_eq!(s["total"], first["total"]);
    let narrowed = api
        .ok(
            &format!("/api/v1/search?q={}", q(&format!("{word} date:2006-04"))),
            "search_page",
        )
        .await;
    assert!(narrowed["total"].as_u64() < first["total"].as_u64());
    for h in narrowed["hits"].as_array().unwrap() {
        assert!(h["date"].as_str().unwrap().starts_with("2006-04"), "{h}");
    }
    let none = api
        .ok("/api/v1/search?q=list:nosuchlist+webcam", "search_page")
        .await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["notes"].as_array().unwrap().len(), 1, "{none}");

    // A delivery and removals, as a mirror following the change log sees them.
    let data = store.dir().to_path_buf();
    let new_id = "api-mirror-test@example.org";
    let delivery = mail(
        new_id,
        "A new message for mirrors",
        "Hello mirrors.",
        5,
        None,
    );
    cli_ok(larch_cli(
        &data,
        &["ingest", "--list", UVC, "--public"],
        delivery.as_bytes(),
    ));
    cli_ok(larch_cli(&data, &["ingest", "--drain"], b""));
    let (after_ingest, cursor) = api.changes(UVC, Some(cursor)).await;
    assert_eq!(after_ingest, [("new".to_string(), new_id.to_string())]);
    let m = api
        .ok(&larch::web::urls::api_message(UVC, new_id), "message")
        .await;
    assert_eq!(m["subject"], "A new message for mirrors");
    let grown = api.ok(&list_path, "list_detail").await;
    assert_eq!(grown["list"]["messages"].as_i64(), Some(messages + 1));

    let gone = keys.iter().nth(10).unwrap().clone();
    let erased = keys.iter().nth(20).unwrap().clone();
    cli_ok(larch_cli(&data, &["remove", &gone], b""));
    cli_ok(larch_cli(&data, &["remove", &erased, "--purge"], b""));
    let (after_removal, next) = api.changes(UVC, Some(&cursor)).await;
    assert_eq!(
        after_removal,
        [
            ("removed".to_string(), gone.clone()),
            ("removed".to_string(), erased.clone()),
            ("purged".to_string(), erased.clone()),
        ]
    );
    assert_eq!(api.changes(UVC, Some(&next)).await.0, []);
    api.fails(&larch::web::urls::api_message(UVC, &gone), StatusCode::GONE)
        .await;
    let t = api
        .ok(
            &format!("{}?limit=200", larch::web::urls::api_thread(UVC, &gone)),
            "thread_page",
        )
        .await;
    let row = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == gone.as_str())
        .unwrap();
    assert_eq!(row["removed"], true);
    assert_eq!(row["subject"], Value::Null);
    assert_eq!(row["from"], Value::Null);

    // Errors are JSON with their status, never a page.
    let months_cursor = api.ok(&months_path, "months_page").await["next"]
        .as_str()
        .unwrap()
        .to_string();
    let bad_requests = [
        format!("{list_path}/months?cursor=not-a-cursor!"),
        format!("{list_path}/months?cursor=AAAA"),
        format!("/api/v1/lists?cursor={months_cursor}"),
        format!("{list_path}/changes?since={months_cursor}"),
        format!("{list_path}/months?limit=0"),
        format!("{list_path}/months?limit=many"),
        format!("{list_path}/months/2006-13/threads"),
        format!("{list_path}/months/April/threads"),
        "/api/v1/search".to_string(),
        "/api/v1/search?q=x&o=sideways".to_string(),
        "/api/v1/search?q=x&cursor=czo5OTk5OTk5".to_string(),
        format!("{list_path}/messages/%FF%FE"),
    ];
    for path in &bad_requests {
        api.fails(path, StatusCode::BAD_REQUEST).await;
    }
    for path in [
        "/api/v1/lists/no-such-list".to_string(),
        "/api/v1/lists/no-such-list/months".to_string(),
        format!("{list_path}/messages/no-such-message@x"),
        format!("{list_path}/threads/no-such-message@x"),
        format!("{list_path}/months/1999-01/threads"),
        "/api/v1/nothing-here".to_string(),
        "/api/v1/lists/x/y/z".to_string(),
    ] {
        api.fails(&path, StatusCode::NOT_FOUND).await;
    }
    let post = api.request(reqwest::Method::POST, &list_path).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    api.schema.check("error", &post.json);

    // Anyone's page may read public answers; the preflight says what it may send.
    let got = api.get(&list_path).await;
    assert_eq!(got.headers["access-control-allow-origin"], "*");
    assert_eq!(got.headers["cache-control"], "no-cache");
    let pre = api.request(reqwest::Method::OPTIONS, &list_path).await;
    assert_eq!(pre.status, StatusCode::NO_CONTENT);
    assert_eq!(pre.headers["access-control-allow-origin"], "*");
    assert!(
        pre.headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("GET")
    );
    let head = api.request(reqwest::Method::HEAD, &list_path).await;
    assert_eq!(head.status, StatusCode::OK);
    eprintln!("api walk: {:?}", started.elapsed());
}

/// Walks one list from its own answer down: its months two at a time, each month's
/// threads seven at a time, each thread's messages three at a time, then every message.
/// Each walk must give what one large page gives, and the counts must add up to the
/// list's. The keys of its messages, and how many attachments they list.
async fn whole_list(api: &Api, store: &Store, l: &Value) -> (BTreeSet<String>, usize) {
    let name = l["name"].as_str().unwrap();
    let detail = api
        .ok(l["links"]["self"].as_str().unwrap(), "list_detail")
        .await;
    assert_eq!(&detail["list"], l);
    let messages = l["messages"].as_i64().unwrap();
    let months_path = format!("{}?limit=2", l["links"]["months"].as_str().unwrap());
    let (months, _) = api
        .walk(&months_path, "months_page", "months", "month")
        .await;
    let whole = api
        .ok(&months_path.replace("limit=2", "limit=200"), "months_page")
        .await;
    assert_eq!(whole["months"].as_array().unwrap(), &months, "{name}");
    let id = list_id(store, name).await;
    let stored: Vec<i64> = store
        .month_counts(id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.count)
        .collect();
    let served: Vec<i64> = months
        .iter()
        .map(|m| m["messages"].as_i64().unwrap())
        .collect();
    assert_eq!(served, stored, "{name}");

    let mut threads: BTreeMap<String, Value> = BTreeMap::new();
    for m in &months {
        let path = format!("{}?limit=7", m["links"]["threads"].as_str().unwrap());
        let (rows, _) = api
            .walk(&path, "month_threads_page", "threads", "key")
            .await;
        let whole = api
            .ok(&path.replace("limit=7", "limit=200"), "month_threads_page")
            .await;
        assert_eq!(whole["threads"].as_array().unwrap(), &rows, "{path}");
        let in_month: i64 = rows
            .iter()
            .map(|t| t["messages_in_month"].as_i64().unwrap())
            .sum();
        assert_eq!(in_month, m["messages"].as_i64().unwrap(), "{path}");
        for t in rows {
            threads.insert(t["key"].as_str().unwrap().to_string(), t);
        }
    }
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut by_thread = 0;
    for t in threads.values() {
        let path = format!("{}?limit=3", t["links"]["self"].as_str().unwrap());
        let (rows, _) = api.walk(&path, "thread_page", "messages", "key").await;
        assert_eq!(rows.len() as i64, t["messages"].as_i64().unwrap(), "{path}");
        let whole = api
            .ok(&path.replace("limit=3", "limit=200"), "thread_page")
            .await;
        assert_eq!(whole["messages"].as_array().unwrap(), &rows, "{path}");
        assert_eq!(whole["thread"]["key"], t["key"]);
        by_thread += rows.len();
        keys.extend(names(&rows, "key"));
    }
    assert_eq!(by_thread, keys.len(), "{name}: a message in two threads");
    // The change log from its start names every message once, as new; the months' threads
    // hold every message with a month (an undated one is in a month's thread only when
    // it replies to a dated one).
    let (log, _) = api.changes(name, None).await;
    assert!(log.iter().all(|(kind, _)| kind == "new"), "{name}");
    let logged: BTreeSet<String> = log.iter().map(|(_, k)| k.clone()).collect();
    assert_eq!(log.len(), logged.len(), "{name}");
    assert_eq!(logged.len() as i64, messages, "{name}");
    assert!(keys.is_subset(&logged), "{name}");
    assert!(keys.len() as i64 >= served.iter().sum::<i64>(), "{name}");
    let keys = logged;

    // Every message: its headers, text, attachments and links; addresses hidden as on
    // its page.
    let mut attachments = 0;
    for k in &keys {
        let m = api
            .ok(&larch::web::urls::api_message(name, k), "message")
            .await;
        assert_eq!(m["key"].as_str(), Some(k.as_str()));
        let address = m["from"]["address"].as_str().unwrap();
        assert!(!address.contains('@'), "{m}");
        let mut links: Vec<String> = ["page", "raw", "thread_page"]
            .iter()
            .map(|l| m["links"][l].as_str().unwrap().to_string())
            .collect();
        for a in m["attachments"].as_array().unwrap() {
            attachments += 1;
            links.push(a["url"].as_str().unwrap().to_string());
        }
        if k == keys.first().unwrap() || m["attachments"] != serde_json::json!([]) {
            for link in links {
                let url = format!("{}{link}", api.base);
                let res = reqwest::get(&url).await.unwrap();
                assert_eq!(res.status(), StatusCode::OK, "{url}");
            }
            api.ok(m["links"]["thread"].as_str().unwrap(), "thread_page")
                .await;
        }
    }
    (keys, attachments)
}

// ---- private lists ----------------------------------------------------------------

/// A public and a private list sharing a word and one cross-posted message.
async fn two_lists(dir: &Path) -> Store {
    let store = store(&dir.join("data")).await;
    let cross = mail(
        "cross@example.org",
        "Budget for everyone",
        "marigold",
        2,
        None,
    );
    let open = [
        mail(
            "o1@example.org",
            "Public marigold notes",
            "marigold",
            3,
            None,
        ),
        cross.clone(),
    ]
    .concat();
    let hush = [
        mail(
            "p1@hush.example",
            "Private agenda",
            "zanzibarite marigold",
            5,
            None,
        ),
        mail(
            "p2@hush.example",
            "Re: Private agenda",
            "marigold",
            6,
            Some("p1@hush.example"),
        ),
        cross,
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
    rebuild_index(&store).await;
    store
}

/// A session for a new user granted `lists`, as the login form would open it.
async fn session(store: &Store, user: &str, lists: &[&str]) -> String {
    assert!(store.add_user(user, "unused", false).await.unwrap());
    let grants: Vec<String> = lists.iter().map(|l| l.to_string()).collect();
    store.set_grants(user, &grants, true).await.unwrap();
    let (id, _) = store.password_hash(user).await.unwrap().unwrap();
    let token = larch::domain::secret::new_token().unwrap();
    store
        .create_session(&larch::domain::secret::token_hash(&token), id, "csrf", 3600)
        .await
        .unwrap();
    format!("larch_session={token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_lists_are_only_for_those_granted_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = two_lists(dir.path()).await;
    let member = session(&store, "ann", &["hush"]).await;
    let other = session(&store, "bob", &["open"]).await;
    let base = serve(store.clone()).await;
    let anon = Api::new(&base);

    let hush_paths = [
        "/api/v1/lists/hush".to_string(),
        "/api/v1/lists/hush/months".to_string(),
        "/api/v1/lists/hush/months/2024-01/threads".to_string(),
        "/api/v1/lists/hush/threads/p1@hush.example".to_string(),
        "/api/v1/lists/hush/messages/p1@hush.example".to_string(),
        "/api/v1/lists/hush/changes".to_string(),
        "/api/v1/lists/hush/search?q=marigold".to_string(),
    ];
    for reader in [&anon, &anon.signed_in(&other)] {
        let lists = reader.ok("/api/v1/lists", "lists_page").await;
        assert_eq!(names(lists["lists"].as_array().unwrap(), "name"), ["open"]);
        let nothing = reader
            .fails("/api/v1/lists/nothing", StatusCode::NOT_FOUND)
            .await;
        for path in &hush_paths {
            // Exactly as a list that does not exist.
            assert_eq!(
                reader.fails(path, StatusCode::NOT_FOUND).await,
                nothing,
                "{path}"
            );
        }
        let hits = reader.ok("/api/v1/search?q=marigold", "search_page").await;
        assert_eq!(hits["total"], 2, "{hits}");
        for h in hits["hits"].as_array().unwrap() {
            assert_eq!(h["list"], "open");
        }
        let none = reader
            .ok("/api/v1/search?q=zanzibarite", "search_page")
            .await;
        assert_eq!(none["total"], 0);
        let cross = reader
            .ok("/api/v1/lists/open/messages/cross@example.org", "message")
            .await;
        assert_eq!(cross["lists"], serde_json::json!(["open"]));
    }

    // The member reads it all, in answers no shared cache keeps and no other site reads.
    let ann = anon.signed_in(&member);
    let lists = ann.ok("/api/v1/lists?limit=1", "lists_page").await;
    assert_eq!(names(lists["lists"].as_array().unwrap(), "name"), ["hush"]);
    let (all, _) = ann
        .walk("/api/v1/lists?limit=1", "lists_page", "lists", "name")
        .await;
    assert_eq!(names(&all, "name"), ["hush", "open"]);
    assert_eq!(all[0]["private"], true);
    let defs = [
        "list_detail",
        "months_page",
        "month_threads_page",
        "thread_page",
        "message",
        "changes_page",
        "search_page",
    ];
    for (path, def) in hush_paths.iter().zip(defs) {
        ann.ok(path, def).await;
        let got = ann.get(path).await;
        assert_eq!(got.headers["cache-control"], "private, no-cache", "{path}");
        assert!(
            !got.headers.contains_key("access-control-allow-origin"),
            "{path}"
        );
        assert!(
            got.headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Cookie")),
            "{path}"
        );
    }
    let t = ann
        .ok("/api/v1/lists/hush/threads/p2@hush.example", "thread_page")
        .await;
    assert_eq!(
        names(t["messages"].as_array().unwrap(), "key"),
        ["p1@hush.example", "p2@hush.example"]
    );
    assert_eq!(t["messages"][1]["parent"], "p1@hush.example");
    let hits = ann.ok("/api/v1/search?q=marigold", "search_page").await;
    assert_eq!(hits["total"], 4, "{hits}");
    let cross = ann
        .ok("/api/v1/lists/open/messages/cross@example.org", "message")
        .await;
    assert_eq!(cross["lists"], serde_json::json!(["hush", "open"]));
    let (log, _) = ann.changes("hush", None).await;
    assert_eq!(log.len(), 3);
}

/// An archive stored before the change log existed gets one when it is next opened: each
/// message new in its lists, in arrival order, then the removals since.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_archive_gets_its_change_log_from_what_it_holds() {
    if sqlite_only("the change log's migration, over an SQLite archive made before it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = two_lists(dir.path()).await;
    store
        .remove_message("p2@hush.example", false)
        .await
        .unwrap();
    store.remove_message("o1@example.org", true).await.unwrap();
    // Back to the schema before the log: its migration not yet applied.
    let db = sqlite_db(&store).await;
    for sql in [
        "DROP TRIGGER changes_node_insert",
        "DROP TRIGGER changes_node_update",
        "DROP TRIGGER changes_node_delete",
        "DROP TRIGGER changes_message_removed",
        "DROP TRIGGER changes_message_purged",
        "DROP TABLE changes",
        "DELETE FROM _sqlx_migrations WHERE version = 8",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db.close().await;
    let reopened = Store::open(store.dir()).await.unwrap();
    let log = |list: &'static str| {
        let s = reopened.clone();
        async move {
            let id = list_id(&s, list).await;
            s.changes_after(id, 0, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.kind.as_str(), c.mkey))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        log("hush").await,
        [
            ("new", "p1@hush.example".to_string()),
            ("new", "p2@hush.example".to_string()),
            ("new", "cross@example.org".to_string()),
            ("removed", "p2@hush.example".to_string()),
        ]
    );
    assert_eq!(
        log("open").await,
        [
            ("new", "o1@example.org".to_string()),
            ("new", "cross@example.org".to_string()),
            ("removed", "o1@example.org".to_string()),
            ("purged", "o1@example.org".to_string()),
        ]
    );
    // And it goes on from there.
    let before = reopened.changes_head().await.unwrap();
    reopened
        .remove_message("cross@example.org", false)
        .await
        .unwrap();
    let hush = list_id(&reopened, "hush").await;
    let after = reopened.changes_after(hush, before, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].mkey, "cross@example.org");
}

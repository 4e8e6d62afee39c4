//! Running the server as a service: `/metrics` read as Prometheus reads it, JSON logs, a
//! stop under load (SIGTERM: nothing accepted is dropped, the exit is clean and prompt),
//! the indexer's stop, and the nginx snippet in `contrib/`.
//!
//! The archives here are generated (a few thousand messages in threads over three months),
//! so these tests need no corpus.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;

const LARCH: &str = env!("CARGO_BIN_EXE_larch");
const LIST: &str = "ops";

// ---- an archive -------------------------------------------------------------------------

const WORDS: &[&str] = &[
    "archive", "thread", "patch", "kernel", "release", "mailing", "list", "question", "answer",
    "build", "failure", "driver", "memory", "review", "version", "branch", "commit", "socket",
    "signal", "server", "client", "timeout", "index", "search",
];

/// An mbox of `n` messages: threads of five (a root and four replies), spread over
/// January to March 2024, with bodies of varied words so that downloads do not shrink to
/// nothing when gzipped.
fn write_mbox(path: &Path, n: usize, body_lines: usize) {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = String::new();
    for i in 0..n {
        let root = i - i % 5;
        let month = 1 + (i * 3 / n.max(1)) as u32;
        let day = 1 + (i % 27) as u32;
        let (h, m) = ((i / 60) % 24, i % 60);
        out.push_str(&format!(
            "From sender{s}@example.org Mon Jan  1 00:00:00 2024\n\
             From: Sender {s} <sender{s}@example.org>\n\
             To: {LIST}@example.org\n\
             Subject: {re}Topic number {root}\n\
             Date: Mon, {day:02} {mon} 2024 {h:02}:{m:02}:00 +0000\n\
             Message-ID: <m{i}@ops.test>\n",
            s = i % 17,
            re = if i == root { "" } else { "Re: " },
            mon = ["Jan", "Feb", "Mar"][(month - 1) as usize],
        ));
        if i != root {
            out.push_str(&format!("In-Reply-To: <m{root}@ops.test>\n"));
        }
        out.push('\n');
        for _ in 0..body_lines {
            let line: Vec<&str> = (0..10)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect();
            out.push_str(&line.join(" "));
            out.push_str(&format!(" {}\n", next() % 100_000));
        }
        out.push('\n');
    }
    std::fs::write(path, out).expect("write the mbox");
}

/// A data directory holding `n` generated messages in list `ops`.
async fn archive(tmp: &Path, n: usize, body_lines: usize) -> PathBuf {
    let mbox = tmp.join("ops.mbox");
    write_mbox(&mbox, n, body_lines);
    let data = tmp.join("data");
    let store = store(&data).await;
    let s = import(&store, LIST, &[mbox]).await;
    assert_eq!(s.new as usize, n, "{s}");
    store.close().await;
    data
}

// ---- a server process -------------------------------------------------------------------

/// `larch serve` on a port of its choosing; killed when dropped (also when a test fails).
/// Its standard error is read on a thread of its own for the whole of its life, so that
/// logging never blocks on a full pipe.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(data: &Path, env: &[(&str, &str)]) -> Server {
        let mut cmd = larch_command(data);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env("LARCH_LOG", "info")
            .env_remove("LARCH_LOG_FORMAT")
            .env_remove("LARCH_BASE_URL")
            .env_remove("LARCH_PAGE_CACHE")
            .env_remove("LARCH_TEST_PAUSE_AT");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start larch serve");
        let stderr = child.stderr.take().expect("stderr");
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("listening on http://") {
                    let addr: String = line[at + "listening on http://".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':'))
                        .collect();
                    let _ = tx.send(addr);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not say where it listens"));
        Server {
            child,
            base: format!("http://{addr}"),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(40)..].join("\n")
    }

    /// Waits until the index holds every message, as `/healthz` reports it.
    async fn wait_indexed(&self, client: &reqwest::Client) {
        let started = Instant::now();
        loop {
            let text = match client.get(self.url("/healthz")).send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains("\nsearch_lag 0\n") && !text.contains("\nsearch_docs 0\n") {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the index did not catch up: {text}\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// The exit status, waiting up to `limit` for it.
    fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(s) = self.child.try_wait().expect("wait for the server") {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client")
}

fn enc(s: &str) -> String {
    larch::web::util::enc(s).to_string()
}

// ---- /metrics -----------------------------------------------------------------------------

/// One sample line: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// What a scrape says, read line by line as Prometheus reads the text format (0.0.4).
#[derive(Debug, Default)]
struct Scrape {
    help: HashMap<String, String>,
    kind: HashMap<String, String>,
    samples: Vec<Sample>,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Reads `k="v",…}` after a `{`, with the format's escapes; returns the labels and the rest
/// of the line after the `}`.
fn parse_labels(mut s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    loop {
        if let Some(rest) = s.strip_prefix('}') {
            return Ok((labels, rest));
        }
        let eq = s.find('=').ok_or("a label without =")?;
        let key = &s[..eq];
        if !is_name(key) {
            return Err(format!("bad label name {key:?}"));
        }
        let mut chars = s[eq + 1..]
            .strip_prefix('"')
            .ok_or("unquoted value")?
            .char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next().ok_or("unterminated value")? {
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    'n' => value.push('\n'),
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    c => return Err(format!("bad escape \\{c}")),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        if labels.insert(key.to_string(), value).is_some() {
            return Err(format!("label {key} twice"));
        }
        s = &s[eq + 1 + 1 + end + 1..];
        s = s.strip_prefix(',').unwrap_or(s);
    }
}

fn parse_exposition(text: &str) -> Result<Scrape, String> {
    let mut scrape = Scrape::default();
    for (n, line) in text.lines().enumerate() {
        let fail = |why: &str| format!("line {}: {why}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest
                .split_once(' ')
                .ok_or_else(|| fail("HELP without text"))?;
            if scrape.help.insert(name.into(), help.into()).is_some() {
                return Err(fail("a second HELP"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| fail("TYPE without type"))?;
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(fail("unknown type"));
            }
            if scrape.samples.iter().any(|s| family(&s.name, kind) == name) {
                return Err(fail("TYPE after its samples"));
            }
            if scrape.kind.insert(name.into(), kind.into()).is_some() {
                return Err(fail("a second TYPE"));
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| fail("no value"))?;
        let name = &line[..name_end];
        if !is_name(name) {
            return Err(fail("bad metric name"));
        }
        let (labels, rest) = match line[name_end..].strip_prefix('{') {
            Some(l) => parse_labels(l).map_err(|e| fail(&e))?,
            None => (BTreeMap::new(), &line[name_end..]),
        };
        let value = rest
            .strip_prefix(' ')
            .ok_or_else(|| fail("no space before the value"))?;
        // No timestamps: the value is the whole rest.
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| fail("the value is not a number"))?,
        };
        scrape.samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    Ok(scrape)
}

/// The family a sample belongs to: a histogram's series carry suffixes.
fn family<'a>(sample: &'a str, kind_hint: &str) -> &'a str {
    if kind_hint == "histogram" {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(f) = sample.strip_suffix(suffix) {
                return f;
            }
        }
    }
    sample
}

impl Scrape {
    fn family_of<'a>(&self, sample: &'a str) -> &'a str {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(f) = sample.strip_suffix(suffix)
                && self.kind.get(f).is_some_and(|k| k == "histogram")
            {
                return f;
            }
        }
        sample
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| {
                s.name == name
                    && s.labels.len() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).is_some_and(|x| x == v))
            })
            .map(|s| s.value)
    }

    /// Every rule of the format this server must keep, and the prefix.
    fn check(&self) {
        for s in &self.samples {
            let f = self.family_of(&s.name);
            assert!(f.starts_with("larch_"), "{} has no larch_ prefix", s.name);
            assert!(self.help.contains_key(f), "{f} has no HELP");
            assert!(self.kind.contains_key(f), "{f} has no TYPE");
            if self.kind[f] == "counter" {
                assert!(f.ends_with("_total"), "counter {f} does not end in _total");
                assert!(s.value >= 0.0, "{s:?}");
            }
        }
        for (f, kind) in &self.kind {
            assert!(self.help.contains_key(f), "{f} has a TYPE and no HELP");
            if kind != "histogram" {
                continue;
            }
            // Per series (labels but `le`): cumulative buckets, ending at +Inf = _count.
            let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
            for s in self
                .samples
                .iter()
                .filter(|s| s.name == format!("{f}_bucket"))
            {
                let mut key = s.labels.clone();
                let le = key
                    .remove("le")
                    .unwrap_or_else(|| panic!("{s:?} has no le"));
                let le: f64 = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or_else(|_| panic!("le {le:?}"))
                };
                series.entry(key).or_default().push((le, s.value));
            }
            assert!(!series.is_empty(), "histogram {f} has no buckets");
            for (key, buckets) in &series {
                for w in buckets.windows(2) {
                    assert!(w[0].0 < w[1].0, "{f} {key:?}: bounds out of order");
                    assert!(w[0].1 <= w[1].1, "{f} {key:?}: buckets not cumulative");
                }
                let last = buckets.last().unwrap();
                assert!(last.0.is_infinite(), "{f} {key:?}: no +Inf bucket last");
                let labels: Vec<(&str, &str)> =
                    key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let count = self.value(&format!("{f}_count"), &labels);
                assert_eq!(count, Some(last.1), "{f} {key:?}: +Inf is not _count");
                assert!(
                    self.value(&format!("{f}_sum"), &labels).is_some(),
                    "{f} {key:?}: no _sum"
                );
            }
        }
    }
}

#[test]
fn the_test_parser_reads_the_format() {
    let s = parse_exposition(
        "# HELP larch_x_total A thing.\n# TYPE larch_x_total counter\n\
         larch_x_total{route=\"/a \\\"b\\\" \\\\ c\",status=\"200\"} 3\n",
    )
    .unwrap();
    assert_eq!(s.samples[0].labels["route"], "/a \"b\" \\ c");
    assert_eq!(s.samples[0].value, 3.0);
    assert!(parse_exposition("larch_x{a=\"1\" 3\n").is_err());
    assert!(parse_exposition("larch_x 3 4 5\n").is_err());
}

#[tokio::test]
async fn metrics_are_prometheus_text_counted_by_route() {
    let tmp = tempfile::tempdir().unwrap();
    let data = archive(tmp.path(), 300, 5).await;
    let server = Server::start(&data, &[]);
    let c = client();
    server.wait_indexed(&c).await;

    let msg = format!("/{LIST}/m/{}/", enc("m7@ops.test"));
    let thread = format!("/{LIST}/t/{}/", enc("m5@ops.test"));
    let probe = "/zz-raw-path-probe/x/y/z";
    let hits: Vec<(String, u16)> = vec![
        ("/".into(), 200),
        (format!("/{LIST}/"), 200),
        (format!("/{LIST}/2024/01/"), 200),
        (msg.clone(), 200),
        (msg.clone(), 200),
        (thread.clone(), 200),
        ("/search?q=kernel".into(), 200),
        ("/no-such-list/".into(), 404),
        (format!("/{LIST}/m/{}/", enc("nothing@ops.test")), 404),
        (probe.into(), 404),
    ];
    for (path, want) in &hits {
        let r = c.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), *want, "{path}");
        r.bytes().await.unwrap();
    }

    let r = c.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        header("content-type").starts_with("text/plain; version=0.0.4"),
        "{}",
        header("content-type")
    );
    assert_eq!(header("cache-control"), "no-store");
    let text = r.text().await.unwrap();
    let scrape = parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    scrape.check();

    // Requests by route pattern and status; only patterns, never a path asked for.
    let requests = |route: &str, status: &str| {
        scrape
            .value(
                "larch_http_requests_total",
                &[("route", route), ("status", status)],
            )
            .unwrap_or(0.0)
    };
    use larch::web::urls;
    assert!(requests(urls::INDEX, "200") >= 1.0, "{text}");
    assert!(requests(urls::LIST, "200") >= 1.0, "{text}");
    assert!(requests(urls::MONTH, "200") >= 1.0, "{text}");
    assert!(requests(urls::MESSAGE, "200") >= 2.0, "{text}");
    assert!(requests(urls::THREAD, "200") >= 1.0, "{text}");
    assert!(requests(urls::SEARCH, "200") >= 1.0, "{text}");
    assert!(requests(urls::HEALTHZ, "200") >= 1.0, "{text}");
    assert_eq!(requests(urls::LIST, "404"), 1.0, "{text}");
    assert_eq!(requests(urls::MESSAGE, "404"), 1.0, "{text}");
    assert!(requests("unmatched", "404") >= 1.0, "{text}");
    let patterns: BTreeSet<&str> = [
        urls::INDEX,
        urls::HEALTHZ,
        urls::METRICS,
        urls::ROBOTS,
        urls::STATIC,
        urls::SEARCH,
        urls::LIST_SEARCH,
        urls::RESOLVE,
        urls::LIST_BARE,
        urls::LIST,
        urls::LIST_MBOX,
        urls::LIST_ATOM,
        urls::MONTH,
        urls::MONTH_ORDER,
        urls::MONTH_MBOX,
        urls::MESSAGE,
        urls::MESSAGE_BARE,
        urls::MESSAGE_RAW,
        urls::ATTACHMENT,
        urls::THREAD,
        urls::THREAD_MBOX,
        urls::THREAD_ATOM,
        urls::PIPERMAIL_BARE,
        urls::PIPERMAIL,
        urls::PIPERMAIL_PATH,
        "unmatched",
    ]
    .into();
    for s in &scrape.samples {
        if let Some(route) = s.labels.get("route") {
            // Routes added elsewhere are patterns too: no raw segment of ours in them.
            assert!(
                patterns.contains(route.as_str())
                    || (!route.contains(LIST) && !route.contains("ops.test")),
                "a raw path as a label: {s:?}"
            );
        }
    }
    assert!(!text.contains("zz-raw-path-probe"), "{text}");
    assert!(!text.contains("no-such-list"), "{text}");
    assert!(!text.contains("ops.test"), "{text}");

    // Latency per route, and the archive's state.
    assert!(
        scrape
            .value(
                "larch_http_request_duration_seconds_count",
                &[("route", urls::MESSAGE)]
            )
            .is_some_and(|n| n >= 3.0),
        "{text}"
    );
    let gauge = |name: &str| {
        scrape
            .value(name, &[])
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    assert_eq!(gauge("larch_messages_stored"), 300.0);
    assert_eq!(gauge("larch_rejects_stored"), 0.0);
    assert_eq!(gauge("larch_search_index_docs"), 300.0);
    assert_eq!(gauge("larch_search_index_lag"), 0.0);
    assert_eq!(gauge("larch_search_indexer_failing_rounds"), 0.0);
    assert_eq!(gauge("larch_spool_depth"), 0.0);
    assert!(
        gauge("larch_page_cache_hits_total") >= 1.0,
        "the message twice"
    );
    assert!(gauge("larch_page_cache_misses_total") >= 5.0);
    assert!(gauge("larch_page_cache_bytes") > 0.0);
    assert_eq!(gauge("larch_deliveries_stored_total"), 0.0);
    assert_eq!(
        scrape.value(
            "larch_deliveries_skipped_total",
            &[("reason", "x-no-archive")]
        ),
        Some(0.0)
    );
    assert_eq!(scrape.kind["larch_http_requests_total"], "counter");
    assert_eq!(
        scrape.kind["larch_http_request_duration_seconds"],
        "histogram"
    );
    assert_eq!(scrape.kind["larch_spool_depth"], "gauge");

    // The scrape itself is counted on the next one.
    let again = c.get(server.url("/metrics")).send().await.unwrap();
    let again = parse_exposition(&again.text().await.unwrap()).unwrap();
    assert!(
        again
            .value(
                "larch_http_requests_total",
                &[("route", urls::METRICS), ("status", "200")]
            )
            .is_some_and(|n| n >= 1.0)
    );
}

// ---- logs ---------------------------------------------------------------------------------

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = archive(tmp.path(), 20, 2).await;
    let mut server = Server::start(&data, &[("LARCH_LOG_FORMAT", "json")]);
    let c = client();
    server.wait_indexed(&c).await;
    let r = c
        .get(server.url(&format!("/{LIST}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.sigterm();
    let status = server.wait_exit(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.log_tail()
    );
    // The reader thread has the last lines once the pipe closes.
    std::thread::sleep(Duration::from_millis(200));
    let lines = server.log.lock().unwrap().clone();
    assert!(lines.len() >= 3, "{lines:?}");
    let mut messages = Vec::new();
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(v["level"].is_string(), "{line}");
        assert!(v["target"].is_string(), "{line}");
        messages.push(v["message"].as_str().unwrap_or_default().to_string());
    }
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("listening on http://")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("finished processing request")),
        "a request's line: {messages:?}"
    );
    assert!(messages.iter().any(|m| m == "stopped"), "{messages:?}");
}

#[test]
fn an_unknown_log_format_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = larch_command(tmp.path())
        .arg("lists")
        .env("LARCH_LOG_FORMAT", "yaml")
        .output()
        .expect("run larch");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LARCH_LOG_FORMAT") && err.contains("json"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

// ---- stopping -----------------------------------------------------------------------------

/// One request of a client under load.
#[derive(Debug)]
struct Outcome {
    path: String,
    started: Instant,
    result: Result<(), String>,
    /// The error was a refused connection (nothing was sent).
    refused: bool,
}

/// Reads a whole answer; with `slow`, at [`SLOW_READ`] bytes a second, as a client on a
/// slow line downloads (paced by bytes, not by chunks, whose size varies with load).
async fn fetch(c: &reqwest::Client, url: &str, slow: bool) -> Result<(), reqwest::Error> {
    let started = tokio::time::Instant::now();
    let mut r = c.get(url).send().await?;
    let status = r.status();
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await? {
        body.extend_from_slice(&chunk);
        if slow {
            let due = Duration::from_secs_f64(body.len() as f64 / SLOW_READ);
            tokio::time::sleep_until(started + due).await;
        }
    }
    assert_eq!(status, 200, "{url}");
    if url.ends_with("mbox.gz") {
        let mut mbox = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut mbox)
            .unwrap_or_else(|e| panic!("{url} does not gunzip: {e}"));
        let n = mbox
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"From "))
            .count();
        assert_eq!(n, LOAD_MESSAGES, "{url}: messages in the download");
        eprintln!("{url}: {} bytes in {:?}", body.len(), started.elapsed());
    }
    Ok(())
}

const LOAD_MESSAGES: usize = 3_000;
/// Bytes a second a slow client reads: the list's download then takes a few seconds.
const SLOW_READ: f64 = 1_000_000.0;

fn is_refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// SIGTERM while clients keep asking (pages, searches, slow downloads, and one client
/// that opens a new connection for every request): every request the server took is
/// answered in full; after the stop, clients are refused; the process exits 0 within 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_drops_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = archive(tmp.path(), LOAD_MESSAGES, 30).await;
    let mut server = Server::start(&data, &[("LARCH_LOG", "info,tower_http=warn")]);
    let c = client();
    server.wait_indexed(&c).await;

    let pages: Vec<String> = vec![
        format!("/{LIST}/m/{}/", enc("m12@ops.test")),
        format!("/{LIST}/t/{}/", enc("m10@ops.test")),
        format!("/{LIST}/2024/02/"),
        format!("/{LIST}/2024/03/date/"),
        "/search?q=kernel+patch".into(),
        format!("/{LIST}/search?q=socket&o=new"),
        format!("/{LIST}/m/{}/raw", enc("m77@ops.test")),
        "/healthz".into(),
    ];
    let download = format!("/{LIST}/mbox.gz");
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    // (slow downloads, fresh connection per request)
    let kinds = [
        (false, false),
        (false, false),
        (false, false),
        (false, false),
        (true, false),
        (true, false),
        (false, true),
    ];
    for (k, (slow, fresh)) in kinds.into_iter().enumerate() {
        let client = if fresh {
            reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap()
        } else {
            client()
        };
        let (base, pages, download, stop) = (
            server.base.clone(),
            pages.clone(),
            download.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            let mut i = k;
            while !stop.load(Ordering::Relaxed) {
                let path = if slow {
                    download.clone()
                } else {
                    pages[i % pages.len()].clone()
                };
                i += 1;
                let started = Instant::now();
                let result = fetch(&client, &format!("{base}{path}"), slow).await;
                let refused = result.as_ref().is_err_and(is_refused);
                outcomes.push(Outcome {
                    path,
                    started,
                    result: result.map_err(|e| format!("{e:?}")),
                    refused,
                });
                if refused {
                    break; // the server is gone
                }
            }
            outcomes
        }));
    }

    // Let the load run, slow downloads included, then stop the server in the midst of it.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let signalled = Instant::now();
    server.sigterm();
    let status = tokio::task::block_in_place(|| server.wait_exit(Duration::from_secs(12)));
    let took = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for c in clients {
        outcomes.extend(
            tokio::time::timeout(Duration::from_secs(60), c)
                .await
                .expect("clients finish")
                .expect("a client panicked"),
        );
    }
    let log = server.log_tail();
    let status = status.unwrap_or_else(|| panic!("still running 12 s after SIGTERM:\n{log}"));
    assert_eq!(status.code(), Some(0), "exit status {status}:\n{log}");
    assert!(
        took < Duration::from_secs(10),
        "stopped after {took:?}:\n{log}"
    );

    let before = outcomes.iter().filter(|o| o.started < signalled).count();
    let answered = outcomes.iter().filter(|o| o.result.is_ok()).count();
    let downloads_across = outcomes
        .iter()
        .filter(|o| o.path.ends_with("mbox.gz") && o.started < signalled && o.result.is_ok())
        .count();
    eprintln!(
        "{} requests, {before} before the signal, {answered} answered, {downloads_across} \
         downloads answered in full that had started before it; exit after {took:?}",
        outcomes.len()
    );
    for o in &outcomes {
        match &o.result {
            Ok(()) => {}
            Err(e) => {
                assert!(
                    o.refused && o.started >= signalled,
                    "{} started {:?} {} the signal failed: {e}\n{log}",
                    o.path,
                    if o.started < signalled {
                        signalled - o.started
                    } else {
                        o.started - signalled
                    },
                    if o.started < signalled {
                        "before"
                    } else {
                        "after"
                    },
                );
            }
        }
    }
    assert!(before >= 20, "too little load before the signal: {before}");
    assert!(
        downloads_across >= 1,
        "no download was in flight at the signal: {outcomes:#?}"
    );
    assert!(
        outcomes.iter().any(|o| o.refused),
        "no client was refused after the stop"
    );
}

/// The indexer, told to stop amid a long catch-up, commits what it has applied and ends
/// promptly; the next catch-up finishes the job with every message indexed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexer_stops_with_its_work_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("first.mbox");
    write_mbox(&mbox, 100, 1);
    let store = store(&tmp.path().join("data")).await;
    import(&store, LIST, &[mbox]).await;
    let search = Arc::new(larch::search::Search::for_store(&store).unwrap());
    search.catch_up(&store).await.unwrap();
    let first = search.applied().expect("a built index");

    // Many more messages queued at once: the next catch-up runs in several batches.
    let more = tmp.path().join("more.mbox");
    write_mbox_from(&more, 100, 15_000);
    import(&store, "more", &[more]).await;
    let indexer = larch::search::spawn_indexer(store.clone(), search.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    assert!(
        indexer.stop(Duration::from_secs(20)).await,
        "the indexer did not stop"
    );
    let took = asked.elapsed();
    let applied = search.applied().expect("still a built index");
    eprintln!("stopped after {took:?}, applied {first} -> {applied}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(applied >= first);
    // Whatever was committed is whole: one entry per message, none twice.
    let docs = search.doc_count();
    assert!((100..=15_100).contains(&docs), "{docs}");

    search.catch_up(&store).await.unwrap();
    assert_eq!(search.doc_count(), 15_100);
    store.close().await;
}

/// A message indexed again (here: archived for a second list) replaces its entry, whether
/// its first entry was committed earlier, by this writer in an earlier batch of the same
/// round, or by another writer the reader has not caught up with: the indexer deletes
/// only entries it knows may exist, so each case must be seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindexed_messages_replace_their_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let first = [tmp.path().join("first.mbox")];
    write_mbox(&first[0], 10, 1);
    let store = store(&tmp.path().join("data")).await;
    import(&store, LIST, &first).await;
    let search = larch::search::Search::for_store(&store).unwrap();
    search.catch_up(&store).await.unwrap();
    assert_eq!(search.doc_count(), 10);

    // Committed entries: the same ten archived for another list.
    import(&store, "second", &first).await;
    search.catch_up(&store).await.unwrap();
    assert_eq!(search.doc_count(), 10, "a cross-post is one entry");

    // Several batches in one round: 1,500 new messages and then the same 1,500 again,
    // so the second batch re-indexes entries added, not yet committed, by the first.
    let many = [tmp.path().join("many.mbox")];
    write_mbox_from(&many[0], 10, 1_500);
    import(&store, "third", &many).await;
    import(&store, "fourth", &many).await;
    search.catch_up(&store).await.unwrap();
    assert_eq!(search.doc_count(), 1_510);

    // Another writer (another process's) indexes new messages and commits; this one, whose
    // reader has not been told, then re-indexes them at once.
    let other = larch::search::Search::for_store(&store).unwrap();
    let more = [tmp.path().join("more.mbox")];
    write_mbox_from(&more[0], 1_510, 200);
    import(&store, "fifth", &more).await;
    other.catch_up(&store).await.unwrap();
    import(&store, "sixth", &more).await;
    search.catch_up(&store).await.unwrap();
    assert_eq!(search.doc_count(), 1_710);
    store.close().await;
}

/// [`write_mbox`] with Message-IDs starting at `from`, so that a second mbox adds new
/// messages.
fn write_mbox_from(path: &Path, from: usize, n: usize) {
    write_mbox(path, from + n, 1);
    let text = std::fs::read_to_string(path).unwrap();
    let start = text
        .find(&format!("Message-ID: <m{from}@ops.test>"))
        .and_then(|at| text[..at].rfind("\nFrom ").map(|p| p + 1))
        .expect("message `from`");
    std::fs::write(path, &text[start..]).unwrap();
}

// ---- contrib --------------------------------------------------------------------------

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// `contrib/nginx/larch.conf` as nginx itself reads it (`nginx -t`), in a throwaway
/// configuration with a made-up certificate. Skipped, saying so, without nginx and openssl.
#[test]
fn the_nginx_snippet_is_valid() {
    let (Some(nginx), Some(openssl)) = (on_path("nginx"), on_path("openssl")) else {
        skip("nginx or openssl is not installed; `nginx -t` on contrib/nginx/larch.conf not run");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let made = Command::new(openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=lists.example.org", "-keyout"])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(made.success(), "openssl could not make a certificate");
    let snippet = std::fs::read_to_string(repo().join("contrib/nginx/larch.conf")).unwrap();
    for path in [
        "/etc/letsencrypt/live/lists.example.org/fullchain.pem",
        "/etc/letsencrypt/live/lists.example.org/privkey.pem",
    ] {
        assert!(snippet.contains(path), "the snippet no longer names {path}");
    }
    let snippet = snippet
        .replace(
            "/etc/letsencrypt/live/lists.example.org/fullchain.pem",
            &dir.join("cert.pem").display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/lists.example.org/privkey.pem",
            &dir.join("key.pem").display().to_string(),
        );
    // What the snippet promises.
    for needle in [
        "proxy_pass http://larch",
        "127.0.0.1:8080",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "client_max_body_size 64m",
        "location = /metrics",
        "deny all",
        "location /static/",
    ] {
        assert!(snippet.contains(needle), "the snippet lacks {needle}");
    }
    assert!(!snippet.contains("proxy_buffering off"));
    std::fs::write(dir.join("larch.conf"), snippet).unwrap();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "error_log stderr;\npid {}/nginx.pid;\nevents {{}}\nhttp {{\n    include {}/larch.conf;\n}}\n",
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-e", "stderr"])
        .output()
        .expect("run nginx -t");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "nginx -t failed:\n{said}");
    assert!(said.contains("test is successful"), "{said}");
}

/// The unit file: `systemd-analyze verify` when systemd's tools are here (with the
/// binary's path pointed at one that exists).
#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(repo().join("contrib/systemd/larch.service")).unwrap();
    for needle in [
        "ExecStart=/usr/local/bin/larch serve --data /var/lib/larch --listen 127.0.0.1:8080",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=15",
        "StateDirectory=larch",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "EnvironmentFile=",
        "LARCH_LOG_FORMAT",
    ] {
        assert!(unit.contains(needle), "the unit lacks {needle}");
    }
    let Some(analyze) = on_path("systemd-analyze") else {
        skip("systemd-analyze is not installed; the unit was only read");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("larch.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/larch", LARCH)).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "systemd-analyze verify:\n{said}");
    assert!(!said.contains("larch.service:"), "{said}");
}

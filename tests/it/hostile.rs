//! The real `larch` binary against hostile mail and hostile clients. Each case imports mail
//! built here, serves it from a child process and attacks it while a watchdog probes
//! `/healthz`. One bad message or one bad client may cost the server a bounded amount of
//! time and memory, never its liveness: a stack overflow or an abort takes the archive
//! down for every reader, which is why the child must still be running at the end of each
//! case, and why the server runs as its own process rather than as a router in the test.
//!
//! The cases run one at a time: each measures latency, and two servers under attack on a
//! two-core machine would only measure each other.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{larch_command, sqlite_db, sqlite_only};
use futures::StreamExt;
use larch::web::util::enc;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 2024-01-01T00:00:00Z and 2024-02-01T00:00:00Z.
const JAN_2024: i64 = 1_704_067_200;
const FEB_2024: i64 = 1_706_745_600;
/// Generous on purpose: the design target is 300 MB on a million messages; these archives
/// are tiny, so anything near this bound is a leak or an unbounded buffer.
const RSS_LIMIT_KB: u64 = 400 * 1024;
const HEALTHZ_LIMIT: Duration = Duration::from_secs(2);

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---- mail -----------------------------------------------------------------------------

#[derive(Clone)]
struct Mail {
    id: String,
    from: String,
    subject: String,
    date: i64,
    in_reply_to: Option<String>,
    references: Vec<String>,
    /// Extra header lines; a `Content-Type` here replaces the plain-text default.
    headers: Vec<String>,
    body: String,
}

impl Mail {
    fn new(id: impl Into<String>, subject: impl Into<String>, date: i64, body: &str) -> Mail {
        Mail {
            id: id.into(),
            from: "Alice Example <alice@example.org>".into(),
            subject: subject.into(),
            date,
            in_reply_to: None,
            references: Vec::new(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn sender(mut self, from: &str) -> Mail {
        self.from = from.into();
        self
    }

    fn reply_to(mut self, id: &str) -> Mail {
        self.in_reply_to = Some(id.into());
        self
    }

    fn header(mut self, h: &str) -> Mail {
        self.headers.push(h.into());
        self
    }

    fn write(&self, out: &mut String) {
        let date = chrono::DateTime::from_timestamp(self.date, 0)
            .unwrap()
            .to_rfc2822();
        out.push_str("From x@y Mon Jan  1 00:00:00 2024\n");
        out.push_str(&format!(
            "From: {}\nSubject: {}\nDate: {date}\nMessage-ID: <{}>\n",
            self.from, self.subject, self.id
        ));
        if let Some(r) = &self.in_reply_to {
            out.push_str(&format!("In-Reply-To: <{r}>\n"));
        }
        if !self.references.is_empty() {
            // Folded as a mail client folds it: continuation lines start with a space.
            let mut line = String::from("References:");
            for r in &self.references {
                let item = format!(" <{r}>");
                if line.len() + item.len() > 76 {
                    out.push_str(&line);
                    out.push('\n');
                    line.clear();
                }
                line.push_str(&item);
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("MIME-Version: 1.0\n");
        if !self
            .headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("content-type:"))
        {
            out.push_str("Content-Type: text/plain; charset=utf-8\n");
        }
        for h in &self.headers {
            out.push_str(h);
            out.push('\n');
        }
        out.push('\n');
        for line in self.body.lines() {
            if line.starts_with("From ") {
                out.push('>');
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
}

fn write_mbox(path: &Path, mails: &[Mail]) {
    let mut out = String::new();
    for m in mails {
        m.write(&mut out);
    }
    std::fs::write(path, out).unwrap();
}

/// Random bytes that do not compress, from a fixed seed so that every run is the same.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Base64 in 76-character lines, as MIME wants it.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 + 4);
    for line in data.chunks(57) {
        for c in line.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// A multipart message carrying one attachment.
fn with_attachment(m: Mail, text: &str, name: &str, ctype: &str, data: &[u8]) -> Mail {
    let body = format!(
        "--B0UNDARY\nContent-Type: text/plain; charset=utf-8\n\n{text}\n--B0UNDARY\n\
         Content-Type: {ctype}; name=\"{name}\"\nContent-Disposition: attachment; \
         filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n{}--B0UNDARY--\n",
        base64(data)
    );
    Mail { body, ..m }.header("Content-Type: multipart/mixed; boundary=\"B0UNDARY\"")
}

// ---- the command line -----------------------------------------------------------------

fn larch(data: &Path, args: &[&str]) -> String {
    let out = larch_command(data)
        .args(args)
        .env("LARCH_LOG", "warn")
        .output()
        .expect("run larch");
    assert!(
        out.status.success(),
        "larch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes the mails as an mbox beside the data directory and imports them with the binary.
fn import(data: &Path, list: &str, mails: &[Mail]) {
    let mbox = data.with_file_name(format!("{list}.mbox"));
    write_mbox(&mbox, mails);
    let out = larch(data, &["import", "--list", list, mbox.to_str().unwrap()]);
    let n = mails.len();
    assert!(
        out.contains(&format!("read {n}, new {n},")) && out.contains("rejected 0,"),
        "every message of {list} stored: {out}"
    );
}

fn data_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("data")
}

// ---- the server -----------------------------------------------------------------------

/// The server as a child process, killed when dropped (also when a test panics).
struct Server {
    child: Child,
    addr: String,
    base: String,
    log: Arc<Mutex<VecDeque<String>>>,
}

/// The address after `listening on http://`, whatever colour codes surround the line.
fn listen_addr(line: &str) -> Option<String> {
    let at = line.find("listening on http://")? + "listening on http://".len();
    let addr: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '[' | ']'))
        .collect();
    (!addr.is_empty()).then_some(addr)
}

impl Server {
    fn start(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
        let mut cmd = larch_command(data);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("LARCH_LOG", "warn,larch=info");
        for k in [
            "LARCH_BASE_URL",
            "LARCH_PAGE_CACHE",
            "LARCH_PAGE_CACHE_MB",
            "LARCH_HEADER_TIMEOUT_SECS",
            "LARCH_IDLE_TIMEOUT_SECS",
            "LARCH_MAX_CONNECTIONS",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start larch serve");
        let stderr = child.stderr.take().unwrap();
        let log: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        // Drained for the server's whole life: a full pipe would block its logging.
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                if let Some(a) = listen_addr(&line) {
                    let _ = tx.send(a);
                }
                if let Ok(mut l) = sink.lock() {
                    if l.len() >= 200 {
                        l.pop_front();
                    }
                    l.push_back(line);
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "the server did not report its address:\n{}",
                    log.lock()
                        .unwrap()
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        };
        Server {
            child,
            base: format!("http://{addr}"),
            addr,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_tail(&self) -> String {
        self.log
            .lock()
            .map(|l| l.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    fn rss_kb(&self) -> u64 {
        rss_kb(self.pid()).unwrap_or(0)
    }

    /// A panic, an abort or a stack overflow ends the process; a handled error does not.
    fn assert_alive(&mut self, label: &str) {
        let state = self.child.try_wait();
        if !matches!(state, Ok(None)) {
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "{label}: the server died ({state:?}); its last log lines:\n{}",
                self.log_tail()
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A request that failed because the server died panics with a bare connection
        // error; say why it died.
        if std::thread::panicking()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            std::thread::sleep(Duration::from_millis(200));
            eprintln!(
                "the server had exited ({status}); its last log lines:\n{}",
                self.log_tail()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of a process in KiB, from `/proc/PID/status`.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

// ---- the watchdog ---------------------------------------------------------------------

#[derive(Debug, Default)]
struct Probes {
    count: usize,
    worst: Duration,
    failures: Vec<String>,
    peak_rss_kb: u64,
}

/// Probes `/healthz` every 200 ms on a fresh connection each time (a reader arriving
/// during the attack, not one whose connection was accepted before it), and samples the
/// server's RSS alongside.
struct Watchdog {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Probes>,
    started: Instant,
}

impl Watchdog {
    fn start(server: &Server) -> Watchdog {
        let url = server.url("/healthz");
        let pid = server.pid();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let mut p = Probes::default();
            while !flag.load(Ordering::Relaxed) {
                let t = Instant::now();
                let outcome = match client.get(&url).send().await {
                    Ok(r) if r.status() == StatusCode::OK => match r.text().await {
                        Ok(body) if body.starts_with("ok") => None,
                        Ok(body) => Some(format!("healthz said {body:?}")),
                        Err(e) => Some(format!("healthz body: {e}")),
                    },
                    Ok(r) => Some(format!("healthz answered {}", r.status())),
                    Err(e) => Some(format!("healthz failed: {e}")),
                };
                let took = t.elapsed();
                p.count += 1;
                p.worst = p.worst.max(took);
                if let Some(f) = outcome {
                    p.failures.push(format!("{f} (after {took:?})"));
                }
                p.peak_rss_kb = p.peak_rss_kb.max(rss_kb(pid).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(200).saturating_sub(took)).await;
            }
            p
        });
        Watchdog {
            stop,
            task,
            started: Instant::now(),
        }
    }

    async fn stop(self) -> Probes {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("watchdog task")
    }
}

/// The end of every case: the watchdog's verdict, the server alive, its memory bounded.
async fn finish(server: &mut Server, dog: Watchdog, label: &str) {
    let took = dog.started.elapsed();
    let p = dog.stop().await;
    server.assert_alive(label);
    let rss = server.rss_kb();
    eprintln!(
        "{label}: {} healthz probes over {:.1} s, worst {} ms; RSS peak {} MB, now {} MB",
        p.count,
        took.as_secs_f64(),
        p.worst.as_millis(),
        p.peak_rss_kb.max(rss) / 1024,
        rss / 1024
    );
    assert!(p.count > 0, "{label}: the watchdog ran");
    assert!(
        p.failures.is_empty(),
        "{label}: healthz probes failed: {:#?}",
        p.failures
    );
    assert!(
        p.worst < HEALTHZ_LIMIT,
        "{label}: healthz took {:?} at worst",
        p.worst
    );
    assert!(
        p.peak_rss_kb.max(rss) < RSS_LIMIT_KB,
        "{label}: RSS reached {} MB",
        p.peak_rss_kb.max(rss) / 1024
    );
}

// ---- HTTP -----------------------------------------------------------------------------

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// A whole mbox.gz download: its gzipped size and the mbox.
async fn download_mbox(c: &reqwest::Client, url: &str) -> (usize, Vec<u8>) {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    let gz = r.bytes().await.expect("the whole download");
    let mut mbox = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut mbox)
        .expect("the download gunzips");
    (gz.len(), mbox)
}

async fn get(c: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let r = c
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {}: {e}", short(url)));
    let status = r.status();
    let body = r
        .text()
        .await
        .unwrap_or_else(|e| panic!("GET {} body: {e}", short(url)));
    (status, body)
}

/// URLs in failure messages, cut to a readable length.
fn short(url: &str) -> String {
    if url.len() > 120 {
        format!("{}…({} bytes)", &url[..100], url.len())
    } else {
        url.to_string()
    }
}

/// `/healthz` as (first word, fields).
async fn health(c: &reqwest::Client, server: &Server) -> (String, HashMap<String, i64>) {
    let (status, body) = get(c, &server.url("/healthz")).await;
    assert!(
        body.contains("page_renders"),
        "/healthz answered {status}: {body:.300}"
    );
    let mut lines = body.lines();
    let word = lines.next().unwrap_or_default().to_string();
    let fields = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect();
    (word, fields)
}

fn is_whole_page(body: &str) -> bool {
    body.trim_end().ends_with("</html>")
}

/// How deep `<ul>` elements nest in a page.
fn ul_depth(html: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let b = html.as_bytes();
    for (i, _) in html.match_indices('<') {
        let rest = &b[i..];
        if rest.starts_with(b"<ul>") || rest.starts_with(b"<ul ") {
            depth += 1;
            max = max.max(depth);
        } else if rest.starts_with(b"</ul>") {
            depth = depth.saturating_sub(1);
        }
    }
    max
}

const TCP_ESTABLISHED: u8 = 1;

/// The server side of each IPv4 connection to `server_port`, by the client's port: its TCP
/// state and the bytes in its send queue, from `/proc/net/tcp`. Lets a test see whether the
/// server closed a connection without reading from it (which would unstall it).
fn server_sockets(server_port: u16) -> HashMap<u16, (u8, u64)> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next()?, 16).ok();
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if port(f.get(1)?)? != server_port {
                return None;
            }
            let state = u8::from_str_radix(f.get(3)?, 16).ok()?;
            let queued = u64::from_str_radix(f.get(4)?.split(':').next()?, 16).ok()?;
            Some((port(f.get(2)?)?, (state, queued)))
        })
        .collect()
}

/// What the server did with one connection, as seen in `/proc/net/tcp`.
#[derive(Debug)]
struct CloseWatch {
    last_progress: Instant,
    closed: Option<Instant>,
    /// (seconds since the start, state and send queue, or `None` when not listed).
    history: Vec<(f64, Option<(u8, u64)>)>,
}

/// Watches the server's side of the connections from `ports` until each is closed (or
/// 60 s have passed). A listing of `/proc/net/tcp` read while sockets come and go can miss
/// a line, so a connection counts as closed when its state leaves ESTABLISHED, or when it
/// has been missing from five listings in a row.
async fn watch_closes(server_port: u16, ports: Vec<u16>, start: Instant) -> Vec<CloseWatch> {
    let mut w: Vec<(CloseWatch, Option<u64>, Option<Instant>, u32)> = ports
        .iter()
        .map(|_| {
            let cw = CloseWatch {
                last_progress: start,
                closed: None,
                history: Vec::new(),
            };
            (cw, None, None, 0)
        })
        .collect();
    while w.iter().any(|x| x.0.closed.is_none()) && start.elapsed() < Duration::from_secs(60) {
        let sockets = server_sockets(server_port);
        let now = Instant::now();
        for ((cw, queued, missing_since, missing), port) in w.iter_mut().zip(&ports) {
            if cw.closed.is_some() {
                continue;
            }
            let seen = sockets.get(port).copied();
            if cw.history.last().is_none_or(|h| h.1 != seen) {
                cw.history.push(((now - start).as_secs_f64(), seen));
            }
            match seen {
                Some((TCP_ESTABLISHED, q)) => {
                    (*missing_since, *missing) = (None, 0);
                    if *queued != Some(q) {
                        *queued = Some(q);
                        cw.last_progress = now;
                    }
                }
                Some(_) => cw.closed = Some(now),
                None => {
                    let since = *missing_since.get_or_insert(now);
                    *missing += 1;
                    if *missing >= 5 {
                        cw.closed = Some(since);
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    w.into_iter().map(|x| x.0).collect()
}

/// Sends a request on a fresh connection and reads until the server closes it.
async fn raw_exchange(addr: &str, request: &str) -> Vec<u8> {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .expect("read the answer");
    out
}

// ---- 1. deep threads ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_reply_chains_and_reference_bombs() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    const CHAIN: usize = 5_000;
    let mut mails: Vec<Mail> = (0..CHAIN)
        .map(|i| {
            let subject = if i == 0 {
                "A long talk"
            } else {
                "Re: A long talk"
            };
            let m = Mail::new(
                format!("c{i}@deep"),
                subject,
                JAN_2024 + 10 * i as i64,
                &format!("Reply number {i}.\n"),
            );
            if i == 0 {
                m
            } else {
                m.reply_to(&format!("c{}@deep", i - 1))
            }
        })
        .collect();
    let mut bomb = Mail::new(
        "bomb@deep",
        "Ancestors everywhere",
        JAN_2024 + 86_400,
        "This message names six thousand ancestors.\n",
    );
    bomb.references = (0..6_000).map(|i| format!("g{i}@b")).collect();
    mails.push(bomb);
    import(&data, "deep", &mails);

    let mut server = Server::start(&data, &[], &[]);
    let dog = Watchdog::start(&server);
    let c = client();
    let last = format!("c{}@deep", CHAIN - 1);
    // Each page with a text it must show, so that an empty page does not pass.
    let pages = [
        ("/deep/2024/01/".to_string(), "A long talk"),
        ("/deep/2024/01/date/".to_string(), "A long talk"),
        (format!("/deep/t/{}/", enc("c0@deep")), "Reply number 0."),
        (format!("/deep/t/{}/", enc(&last)), "Reply number 0."),
        (format!("/deep/m/{}/", enc(&last)), "Reply number 4999."),
        (format!("/deep/m/{}/", enc("c0@deep")), "Reply number 0."),
        (
            format!("/deep/m/{}/", enc("bomb@deep")),
            "six thousand ancestors",
        ),
        (
            format!("/deep/t/{}/", enc("bomb@deep")),
            "six thousand ancestors",
        ),
    ];
    for (p, text) in &pages {
        let (status, body) = get(&c, &server.url(p)).await;
        let depth = ul_depth(&body);
        eprintln!(
            "deep: {p} {status}, {} bytes, <ul> depth {depth}",
            body.len()
        );
        assert_eq!(status, StatusCode::OK, "{p}");
        assert!(is_whole_page(&body), "{p} is a whole page");
        assert!(body.contains(text), "{p} shows {text:?}");
        assert!(depth <= 32, "{p}: <ul> nested {depth} deep");
    }
    server.assert_alive("deep threads");

    // Purged while the server runs: the month page must not trip over what is left.
    let out = larch(&data, &["remove", "bomb@deep", "--purge"]);
    eprintln!("deep: {}", out.trim());
    let bomb_page = server.url(&format!("/deep/m/{}/", enc("bomb@deep")));
    let t = Instant::now();
    loop {
        let (status, _) = get(&c, &bomb_page).await;
        if matches!(status, StatusCode::GONE | StatusCode::NOT_FOUND) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the purged message still answers {status}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, body) = get(&c, &server.url("/deep/2024/01/")).await;
    assert_eq!(status, StatusCode::OK, "month page after the purge");
    assert!(is_whole_page(&body));
    assert!(
        !body.contains("Ancestors everywhere"),
        "the purged message left the month page"
    );
    finish(&mut server, dog, "deep threads").await;
}

// ---- 2. bodies that were quadratic or recursive to render ------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_bombs_stay_cheap() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    let many_urls: String = (0..20_000)
        .map(|i| format!("http://e{i}.example/p "))
        .collect();
    let divs = format!(
        "<html><body><p>Bomb marker 5.</p>{}deep{}</body></html>",
        "<div>".repeat(50_000),
        "</div>".repeat(50_000)
    );
    let bodies: Vec<(&str, String, bool)> = vec![
        ("bare-schemes@r", "http:// ".repeat(12_000), false),
        ("parens@r", format!("http://a{}", ")".repeat(50_000)), false),
        ("many-urls@r", many_urls, false),
        ("angles@r", format!("{}>", "<".repeat(100_000)), false),
        ("quotes@r", ">".repeat(100_000), false),
        ("divs@r", divs, true),
    ];
    let mails: Vec<Mail> = bodies
        .iter()
        .enumerate()
        .map(|(i, (id, body, html))| {
            let m = Mail::new(
                *id,
                format!("Render bomb {id}"),
                JAN_2024 + 60 * i as i64,
                &if *html {
                    format!("{body}\n")
                } else {
                    // A page that shows no body survives anything: the marker proves it shows one.
                    format!("Bomb marker {i}.\n{body}\n")
                },
            );
            if *html {
                m.header("Content-Type: text/html; charset=utf-8")
            } else {
                m
            }
        })
        .collect();
    import(&data, "render", &mails);

    let mut server = Server::start(&data, &[], &[]);
    let c = client();
    let (_, before) = health(&c, &server).await;
    let dog = Watchdog::start(&server);
    let mut urls = Vec::new();
    for (i, (id, _, _)) in bodies.iter().enumerate() {
        for kind in ["m", "t"] {
            urls.push((
                format!("/render/{kind}/{}/", enc(id)),
                format!("Bomb marker {i}."),
            ));
        }
    }
    // Three concurrent requests per page, each with its own query string, all pages at once.
    let mut n = 0;
    let mut jobs = Vec::new();
    for (u, marker) in &urls {
        for _ in 0..3 {
            n += 1;
            let (c, url, path) = (c.clone(), server.url(&format!("{u}?x={n}")), u.clone());
            let marker = marker.clone();
            jobs.push(tokio::spawn(async move {
                let (status, body) = get(&c, &url).await;
                let shown = body.contains(&marker);
                (path, status, body.len(), is_whole_page(&body), shown)
            }));
        }
    }
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for j in jobs {
        let (path, status, len, whole, shown) = j.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(whole, "{path}: a whole page ({len} bytes)");
        assert!(
            shown,
            "{path}: the message's body is on the page ({len} bytes)"
        );
        sizes.insert(path, len);
    }
    for (p, len) in &sizes {
        eprintln!("render: {p} {len} bytes");
    }
    // A second round with new query strings is served from the cache.
    for (u, _) in &urls {
        n += 1;
        let (status, body) = get(&c, &server.url(&format!("{u}?x={n}"))).await;
        assert_eq!(status, StatusCode::OK, "{u}");
        assert!(is_whole_page(&body), "{u}");
    }
    let (_, after) = health(&c, &server).await;
    let renders = after["page_renders"] - before["page_renders"];
    // The default cache keeps pages up to 4 MiB; a larger one is rendered per request.
    let allowed: i64 = sizes
        .values()
        .map(|&len| if len <= 4 << 20 { 1 } else { 4 })
        .sum();
    eprintln!("render: {renders} renders for {} pages", urls.len());
    assert!(
        renders <= allowed,
        "{renders} renders for {} distinct pages: unknown query parameters bypass the cache",
        urls.len()
    );
    finish(&mut server, dog, "render bombs").await;
}

// ---- 3. clients that stop reading a download ------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_downloads_are_dropped() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    const MESSAGES: usize = 40;
    let mails: Vec<Mail> = (0..MESSAGES)
        .map(|i| {
            let m = Mail::new(
                format!("b{i}@big"),
                format!("Payload {i}"),
                JAN_2024 + 3_600 * i as i64,
                "",
            );
            with_attachment(
                m,
                &format!("Payload number {i}."),
                &format!("blob{i}.bin"),
                "application/octet-stream",
                &noise(i as u64 + 1, 300_000),
            )
        })
        .collect();
    import(&data, "big", &mails);

    let mut server = Server::start(&data, &[("LARCH_IDLE_TIMEOUT_SECS", "3")], &[]);
    let c = client();
    let dog = Watchdog::start(&server);
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let stall_start = Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..12 {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        // A small receive window, so that the kernel cannot take the whole download for us.
        sock.set_recv_buffer_size(16 * 1024).unwrap();
        let mut s = sock.connect(addr).await.unwrap();
        s.write_all(b"GET /big/mbox.gz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        stalled.push(s);
    }
    // The server gives up on each stalled client 3 s after its last byte moved. How soon
    // the kernel's buffers fill depends on how fast the server compresses twelve downloads
    // at once, so each connection's clock starts at the last progress seen on the server's
    // side of it, watched from now on.
    let ports: Vec<u16> = stalled
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect();
    let monitor = tokio::spawn(watch_closes(addr.port(), ports, stall_start));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Readers are served while the stalled downloads hold their connections.
    let t = Instant::now();
    let (status, body) = get(&c, &server.url(&format!("/big/m/{}/", enc("b7@big")))).await;
    let page_took = t.elapsed();
    assert_eq!(status, StatusCode::OK);
    assert!(is_whole_page(&body));
    assert!(
        page_took < HEALTHZ_LIMIT,
        "a message page took {page_took:?} during the stall"
    );
    let (gz_len, mbox) = download_mbox(&c, &server.url("/big/mbox.gz")).await;
    let entries = mbox
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"From "))
        .count();
    eprintln!(
        "stall: full download {} bytes gzipped, {} bytes of mbox, {entries} messages, done {:.1} s into the stall",
        gz_len,
        mbox.len(),
        stall_start.elapsed().as_secs_f64()
    );
    assert_eq!(entries, MESSAGES, "every message in the download");
    assert!(gz_len > 10_000_000, "the download is large ({gz_len})");

    let closes = monitor.await.unwrap();
    for (i, w) in closes.iter().enumerate() {
        let Some(closed) = w.closed else {
            panic!(
                "stalled connection {i} still open 60 s into the stall: {:?}",
                w.history
            );
        };
        let idle = (closed - w.last_progress).as_secs_f64();
        eprintln!(
            "stall: connection {i} last moved {:.1} s into the stall, closed {idle:.1} s later",
            (w.last_progress - stall_start).as_secs_f64()
        );
        assert!(
            idle < 6.0,
            "stalled connection {i} closed {idle:.1} s after its last progress (idle timeout 3 s): {:?}",
            w.history
        );
    }
    let mut got = Vec::new();
    for (i, mut s) in stalled.into_iter().enumerate() {
        let mut n = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        let end = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) => return "EOF".to_string(),
                    Ok(k) => n += k,
                    Err(e) => return format!("error {e}"),
                }
            }
        })
        .await;
        let end = end.unwrap_or_else(|_| "still open after 10 s".into());
        got.push((i, n, end));
    }
    eprintln!("stall: stalled connections (index, bytes read, end): {got:?}");
    for (i, n, end) in &got {
        assert!(
            end == "EOF" || end.starts_with("error"),
            "stalled connection {i} was not closed by the server: {end} after {n} bytes"
        );
        assert!(
            *n < gz_len,
            "stalled connection {i} got the whole download ({n} bytes)"
        );
    }
    finish(&mut server, dog, "stalled downloads").await;
}

// ---- 4. clients that trickle their request --------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_clients_are_cut_off() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    import(
        &data,
        "slow",
        &[Mail::new("s1@slow", "Hello", JAN_2024, "Hello.\n")],
    );
    let mut server = Server::start(&data, &[("LARCH_HEADER_TIMEOUT_SECS", "2")], &[]);
    let dog = Watchdog::start(&server);
    const REQUEST: &[u8] = b"GET /slow/ HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let addr = server.addr.clone();
        tasks.push(tokio::spawn(async move {
            let s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let start = Instant::now();
            let (mut r, mut w) = s.into_split();
            let mut sent = 0usize;
            let closed = async {
                let mut buf = [0u8; 1024];
                loop {
                    match r.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                }
            };
            let trickle = async {
                for b in REQUEST {
                    if w.write_all(&[*b]).await.is_err() {
                        return;
                    }
                    sent += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                std::future::pending::<()>().await
            };
            let done = tokio::time::timeout(Duration::from_secs(20), async {
                tokio::select! {
                    () = closed => {}
                    () = trickle => {}
                }
            })
            .await;
            (done.is_ok().then(|| start.elapsed()), sent)
        }));
    }
    let mut worst = Duration::ZERO;
    let mut open = 0;
    let mut most_sent = 0;
    for t in tasks {
        let (closed, sent) = t.await.unwrap();
        most_sent = most_sent.max(sent);
        match closed {
            Some(d) => worst = worst.max(d),
            None => open += 1,
        }
    }
    eprintln!(
        "trickle: 200 connections, {open} never closed, slowest closed after {:.1} s, at most {most_sent} of {} bytes sent",
        worst.as_secs_f64(),
        REQUEST.len()
    );
    assert_eq!(open, 0, "connections left open by the server");
    assert!(
        worst < Duration::from_secs(6),
        "a trickling connection lived {worst:?} with a 2 s header timeout"
    );
    let (status, _) = get(&client(), &server.url("/slow/")).await;
    assert_eq!(status, StatusCode::OK);
    finish(&mut server, dog, "trickling clients").await;
}

// ---- 5. the page cache's bounds --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_cache_stays_bounded() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    // January: 100 threads of 40 messages with long subjects; the first thread's messages
    // have long bodies, so its page is > 2 MiB. February: a small month, never requested
    // before the concurrent burst.
    let words = [
        "larch", "spruce", "cedar", "pine", "alder", "birch", "rowan",
    ];
    let mut mails = Vec::new();
    for t in 0..100 {
        let subject: String = (0..100)
            .map(|w| words[(t + w) % words.len()])
            .collect::<Vec<_>>()
            .join(" ");
        let root = format!("t{t}-0@cache");
        for i in 0..40 {
            let id = format!("t{t}-{i}@cache");
            let mut body = format!("Message {i} of thread {t}.\n");
            if t == 0 {
                body.push_str(
                    &"A long line of the first thread, to make its page large.\n".repeat(1_200),
                );
            }
            let m = Mail::new(
                id,
                if i == 0 {
                    subject.clone()
                } else {
                    format!("Re: {subject}")
                },
                JAN_2024 + (t * 40 + i) as i64 * 60,
                &body,
            );
            mails.push(if i == 0 { m } else { m.reply_to(&root) });
        }
    }
    for i in 0..30 {
        mails.push(Mail::new(
            format!("f{i}@cache"),
            format!("February note {i}"),
            FEB_2024 + 3_600 * i,
            "Short.\n",
        ));
    }
    import(&data, "cache", &mails);

    let mut server = Server::start(&data, &[("LARCH_PAGE_CACHE_MB", "2")], &[]);
    let c = client();
    let dog = Watchdog::start(&server);
    let big_url = server.url("/cache/t/t0-0@cache/");
    let (status, big) = get(&c, &big_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(is_whole_page(&big), "the large page is whole");
    assert!(
        big.len() > 2 << 20,
        "the thread page is > 2 MiB ({})",
        big.len()
    );
    let head = c.head(&big_url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK, "HEAD on a large page");

    // 600 distinct small pages that the cache may keep, far more than its 2 MiB budget,
    // and every tenth beside the large page under a query string of its own (the page is
    // past the largest entry, so each of those renders it again).
    const BUDGET: i64 = 2 << 20;
    let ids: Vec<String> = mails.iter().map(|m| m.id.clone()).collect();
    let phase = Instant::now();
    let results: Vec<(usize, usize, bool, StatusCode, Option<i64>)> =
        futures::stream::iter(0..600usize)
            .map(|i| {
                let c = c.clone();
                let big = format!("{big_url}?z={i}");
                let small = server.url(&format!("/cache/m/{}/", enc(&ids[i * 6])));
                let healthz = server.url("/healthz");
                async move {
                    let (s1, b1) = if i % 10 == 0 {
                        get(&c, &big).await
                    } else {
                        (StatusCode::OK, String::new())
                    };
                    assert_eq!(s1, StatusCode::OK, "{big}");
                    let (s2, _) = get(&c, &small).await;
                    let cached = if i % 20 == 0 {
                        let (_, h) = get(&c, &healthz).await;
                        h.lines()
                            .find_map(|l| l.strip_prefix("page_cache_bytes "))
                            .and_then(|v| v.trim().parse().ok())
                    } else {
                        None
                    };
                    (i, b1.len(), is_whole_page(&b1), s2, cached)
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
    let mut most_cached = 0;
    for (i, len, whole, small, cached) in results {
        assert_eq!(small, StatusCode::OK, "message page {i}");
        if i % 10 != 0 {
            continue;
        }
        assert!(whole, "response {i} to the large page is whole");
        assert_eq!(
            len,
            big.len(),
            "response {i} to the large page has its length"
        );
        if let Some(b) = cached {
            most_cached = most_cached.max(b);
        }
    }
    let (_, h) = health(&c, &server).await;
    most_cached = most_cached.max(h["page_cache_bytes"]);
    eprintln!(
        "cache: large page {} bytes x 60 whole, 600 small pages, in {:.1} s; page_cache_bytes at most {most_cached}; RSS {} MB",
        big.len(),
        phase.elapsed().as_secs_f64(),
        server.rss_kb() / 1024
    );
    assert!(
        most_cached <= BUDGET,
        "page_cache_bytes {most_cached} > {BUDGET}"
    );
    assert!(most_cached > 0, "the cache kept the small pages");

    // 100 concurrent first requests for one page render it once (a few at most).
    let (_, before) = health(&c, &server).await;
    let feb = server.url("/cache/2024/02/");
    let burst: Vec<_> = (0..100)
        .map(|_| {
            let (c, url) = (c.clone(), feb.clone());
            tokio::spawn(async move { get(&c, &url).await })
        })
        .collect();
    let mut lens = Vec::new();
    for b in burst {
        let (status, body) = b.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(is_whole_page(&body));
        lens.push(body.len());
    }
    let (_, after) = health(&c, &server).await;
    let renders = after["page_renders"] - before["page_renders"];
    eprintln!("cache: 100 concurrent first requests, {renders} renders");
    assert!(
        lens.iter().all(|l| *l == lens[0]),
        "the same page each time"
    );
    assert!(
        renders <= 3,
        "{renders} renders for 100 concurrent requests of one page"
    );

    // 3,000 requests for lists with 60,000-character names.
    let long = "n".repeat(60_000);
    let rss_before = server.rss_kb();
    let phase = Instant::now();
    let statuses: Vec<StatusCode> = futures::stream::iter(0..3_000)
        .map(|i| {
            let c = c.clone();
            let url = server.url(&format!("/{i:05}{long}/"));
            async move {
                c.get(&url)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("long name {i}: {e}"))
                    .status()
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let not_404 = statuses
        .iter()
        .filter(|s| **s != StatusCode::NOT_FOUND)
        .count();
    let (_, h) = health(&c, &server).await;
    eprintln!(
        "cache: 3000 long names in {:.1} s, {not_404} not 404; page_cache_bytes {}; RSS {} MB before, {} MB after",
        phase.elapsed().as_secs_f64(),
        h["page_cache_bytes"],
        rss_before / 1024,
        server.rss_kb() / 1024
    );
    assert_eq!(not_404, 0, "every unknown long list name is a 404");
    assert!(h["page_cache_bytes"] <= BUDGET);
    finish(&mut server, dog, "page cache").await;
}

// ---- 6. the Host header ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_header_never_reaches_feeds() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    let mails: Vec<Mail> = (0..5)
        .map(|i| {
            let m = Mail::new(
                format!("h{i}@feed"),
                format!("Feed item {i}"),
                JAN_2024 + 600 * i,
                "Text.\n",
            );
            if i == 0 { m } else { m.reply_to("h0@feed") }
        })
        .collect();
    import(&data, "feed", &mails);
    let thread_feed = format!("/feed/t/{}/atom", enc("h0@feed"));

    let mut server = Server::start(&data, &[], &[]);
    let dog = Watchdog::start(&server);
    let c = client();
    for path in ["/feed/new.atom", thread_feed.as_str()] {
        let raw = raw_exchange(
            &server.addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: attacker.example\r\nX-Forwarded-Host: attacker.example\r\n\
                 Connection: close\r\n\r\n"
            ),
        )
        .await;
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text:.200}");
        assert!(
            !text.contains("attacker.example"),
            "{path}: the Host header reached the feed"
        );
        // The next reader, with an honest Host, gets no trace of it either (cache).
        let (status, body) = get(&c, &server.url(path)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!body.contains("attacker.example"), "{path}: cached");
        assert!(
            body.contains(&format!("href=\"{}/", server.base)),
            "{path}: links start with the listen address: {body:.600}"
        );
    }
    finish(&mut server, dog, "host header").await;
    drop(server);

    let mut server = Server::start(&data, &[], &["--base-url", "https://lists.example.org"]);
    let dog = Watchdog::start(&server);
    for path in ["/feed/new.atom", thread_feed.as_str()] {
        let raw = raw_exchange(
            &server.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"),
        )
        .await;
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 200"), "{path}: {text:.200}");
        assert!(!text.contains("attacker.example"), "{path}");
        let hrefs: Vec<&str> = text
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert!(!hrefs.is_empty(), "{path} has links");
        for h in &hrefs {
            assert!(
                h.starts_with("https://lists.example.org/"),
                "{path}: link {h} does not start with the base URL"
            );
        }
    }
    finish(&mut server, dog, "host header with --base-url").await;
}

// ---- 7. a damaged row -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_row_is_one_error() {
    if sqlite_only("it damages rows the way a damaged SQLite file holds them") {
        return;
    }
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    let mails: Vec<Mail> = (0..10)
        .map(|i| {
            Mail::new(
                format!("d{i}@dmg"),
                format!("Topic {i}"),
                JAN_2024 + 3_600 * i,
                "Body.\n",
            )
        })
        .collect();
    import(&data, "dmg", &mails);
    // Wait for nothing else: the import has committed and no server runs.
    {
        let store = larch::store::Store::open(&data).await.unwrap();
        let r = sqlx::query("UPDATE messages SET subject = CAST(x'fffe41' AS TEXT) WHERE mkey = ?")
            .bind("d3@dmg")
            .execute(&sqlite_db(&store).await)
            .await
            .unwrap();
        assert_eq!(r.rows_affected(), 1);
        // And one whose stored raw copy no longer inflates.
        let r = sqlx::query("UPDATE messages SET raw = x'00112233' WHERE mkey = ?")
            .bind("d5@dmg")
            .execute(&sqlite_db(&store).await)
            .await
            .unwrap();
        assert_eq!(r.rows_affected(), 1);
        sqlx::query("INSERT INTO search_queue (message_id) SELECT id FROM messages WHERE mkey = ?")
            .bind("d3@dmg")
            .execute(&sqlite_db(&store).await)
            .await
            .unwrap();
        store.close().await;
    }

    let mut server = Server::start(&data, &[], &[]);
    let dog = Watchdog::start(&server);
    let c = client();
    let t = Instant::now();
    let (word, fields) = loop {
        let (word, fields) = health(&c, &server).await;
        if fields.get("search_skipped_rows").copied().unwrap_or(0) >= 1
            && fields.get("search_lag") == Some(&0)
        {
            break (word, fields);
        }
        if t.elapsed() > Duration::from_secs(10) {
            panic!("the indexer never skipped the damaged row: {word} {fields:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("damaged: healthz {word} {fields:?}");
    assert_eq!(word, "ok");

    let (status, _) = get(&c, &server.url(&format!("/dmg/m/{}/", enc("d3@dmg")))).await;
    eprintln!("damaged: the damaged message's page answers {status}");
    assert!(
        matches!(status, StatusCode::OK | StatusCode::INTERNAL_SERVER_ERROR),
        "{status}"
    );
    server.assert_alive("damaged row");
    let mut pages = vec!["/dmg/".to_string(), "/dmg/2024/01/".to_string()];
    for i in [0, 2, 4, 9] {
        pages.push(format!("/dmg/m/{}/", enc(&format!("d{i}@dmg"))));
        pages.push(format!("/dmg/t/{}/", enc(&format!("d{i}@dmg"))));
    }
    let mut failed = Vec::new();
    for p in &pages {
        let (status, body) = get(&c, &server.url(p)).await;
        if status != StatusCode::OK || !is_whole_page(&body) {
            failed.push(format!("{p} {status}"));
        }
    }
    assert!(
        failed.is_empty(),
        "pages beside the damaged row: {failed:?}"
    );
    // The download holds every message; the unreadable one says so under its Message-ID.
    let (_, mbox) = download_mbox(&c, &server.url("/dmg/mbox.gz")).await;
    let mbox = String::from_utf8_lossy(&mbox);
    assert_eq!(mbox.matches("\nFrom mboxrd@z ").count() + 1, 10, "{mbox}");
    let note = mbox
        .split("From mboxrd@z ")
        .find(|e| e.contains("<d5@dmg>"))
        .expect("the damaged message has its entry");
    assert!(
        note.contains("could not be read from the archive"),
        "{note}"
    );
    finish(&mut server, dog, "damaged row").await;
}

// ---- 8. Message-IDs of private lists --------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_message_ids_are_not_linked() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    larch(&data, &["list-set", "priv", "--private", "true"]);
    import(
        &data,
        "priv",
        &[Mail::new(
            "secret@x",
            "Board minutes",
            JAN_2024,
            "Confidential.\n",
        )],
    );
    import(
        &data,
        "pub",
        &[
            Mail::new("pub2@x", "Earlier", JAN_2024, "An earlier public note.\n"),
            Mail::new(
                "pub1@x",
                "Pointers",
                JAN_2024 + 60,
                "As discussed in <secret@x>, and before that in <pub2@x>.\n",
            ),
        ],
    );
    let mut server = Server::start(&data, &[], &[]);
    let dog = Watchdog::start(&server);
    let c = client();
    for p in [
        format!("/pub/m/{}/", enc("pub1@x")),
        format!("/pub/t/{}/", enc("pub1@x")),
    ] {
        let (status, body) = get(&c, &server.url(&p)).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        // The control: ids of public messages are links, so the absence below means something.
        assert!(body.contains("/r/pub2@x"), "{p} links the public id");
        assert!(
            !body.contains("/r/secret@x") && !body.contains("/r/secret%40x"),
            "{p} links a private list's message"
        );
        assert!(body.contains("secret"), "{p} shows the id as text");
    }
    let (status, _) = get(&c, &server.url("/r/secret@x")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "/r/ of a private message");
    let (status, _) = get(&c, &server.url("/r/pub2@x")).await;
    assert!(status.is_redirection(), "/r/ of a public message: {status}");
    for p in ["/priv/", "/priv/m/secret@x/", "/priv/2024/01/"] {
        let (status, body) = get(&c, &server.url(p)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        assert!(!body.contains("Board minutes"), "{p}");
    }
    finish(&mut server, dog, "private ids").await;
}

// ---- 9. downloads are not compressed twice --------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_not_compressed_twice() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    let mut gz_attachment = Vec::new();
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(&mut gz_attachment, flate2::Compression::best());
        e.write_all(&b"some log line\n".repeat(500)).unwrap();
        e.finish().unwrap();
    }
    let mails = vec![
        Mail::new("g1@dl", "Logs", JAN_2024, &"A plain message. ".repeat(100)),
        with_attachment(
            Mail::new("g2@dl", "Re: Logs", JAN_2024 + 60, "").reply_to("g1@dl"),
            "The log is attached.",
            "log.gz",
            "application/gzip",
            &gz_attachment,
        ),
    ];
    import(&data, "dl", &mails);
    let mut server = Server::start(&data, &[], &[]);
    let dog = Watchdog::start(&server);
    let c = client();
    for p in [
        "/dl/mbox.gz".to_string(),
        "/dl/2024/01/mbox.gz".to_string(),
        format!("/dl/t/{}/mbox.gz", enc("g1@dl")),
    ] {
        let r = c
            .get(server.url(&p))
            .header("Accept-Encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{p}");
        assert!(
            r.headers().get("content-encoding").is_none(),
            "{p} compressed again: {:?}",
            r.headers().get("content-encoding")
        );
        let gz = r.bytes().await.unwrap();
        let mut mbox = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut mbox)
            .unwrap_or_else(|e| panic!("{p} gunzips once into text: {e}"));
        assert!(mbox.starts_with("From "), "{p}");
        assert!(mbox.contains("Message-ID: <g1@dl>"), "{p}");
    }
    // The control: pages themselves are compressed.
    let page = server.url(&format!("/dl/m/{}/", enc("g2@dl")));
    let r = c
        .get(&page)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip"),
        "pages are compressed"
    );
    let (_, html) = get(&c, &page).await;
    let href = html
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("a/") && h.ends_with("log.gz"))
        .expect("an attachment link")
        .to_string();
    let att = if href.starts_with('/') {
        server.url(&href)
    } else {
        format!("{page}{href}")
    };
    let r = c
        .get(&att)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{att}");
    assert!(
        r.headers().get("content-encoding").is_none(),
        "a gzip attachment compressed again"
    );
    assert_eq!(&r.bytes().await.unwrap()[..], &gz_attachment[..]);

    let (status, robots) = get(&c, &server.url("/robots.txt")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        robots.lines().any(|l| l.trim() == "Disallow: /*/m/*/a/"),
        "robots.txt keeps crawlers off attachments: {robots}"
    );
    finish(&mut server, dog, "downloads").await;
}

// ---- 10. removed messages -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_messages_leave_listings() {
    let _one_at_a_time = SERIAL.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir(&tmp);
    let quentin = "Quentin Vanishing <quentin@vanish.example>";
    let mails = vec![
        Mail::new("keep1@rm", "Ordinary topic", JAN_2024, "Hello.\n"),
        Mail::new(
            "keep2@rm",
            "Re: Ordinary topic",
            JAN_2024 + 60,
            "Hello again.\n",
        )
        .sender("Bob Builder <bob@rm.example>")
        .reply_to("keep1@rm"),
        Mail::new(
            "gone@rm",
            "Zanzibar clandestine plans",
            JAN_2024 + 120,
            "Delete me.\n",
        )
        .sender(quentin),
        Mail::new("reply@rm", "Unrelated words", JAN_2024 + 180, "A reply.\n")
            .sender("Bob Builder <bob@rm.example>")
            .reply_to("gone@rm"),
        Mail::new(
            "leaf@rm",
            "Xylophone disclosure",
            JAN_2024 + 240,
            "Delete me too.\n",
        )
        .sender(quentin)
        .reply_to("keep1@rm"),
    ];
    import(&data, "rm", &mails);
    let mut server = Server::start(&data, &[], &[]);
    let dog = Watchdog::start(&server);
    let c = client();
    let pages = [
        "/rm/2024/01/".to_string(),
        "/rm/2024/01/date/".to_string(),
        "/rm/2024/01/author/".to_string(),
        "/rm/2024/01/subject/".to_string(),
        "/rm/".to_string(),
        format!("/rm/m/{}/", enc("reply@rm")),
        format!("/rm/t/{}/", enc("reply@rm")),
        "/rm/new.atom".to_string(),
    ];
    let secrets = [
        "Zanzibar",
        "Xylophone",
        "Quentin",
        "quentin",
        "Vanishing",
        "vanish.example",
    ];
    // The control, and pages cached before the removal.
    let (_, month) = get(&c, &server.url("/rm/2024/01/")).await;
    assert!(month.contains("Zanzibar") && month.contains("Quentin"));
    for p in &pages {
        let (status, _) = get(&c, &server.url(p)).await;
        assert_eq!(status, StatusCode::OK, "{p}");
    }
    larch(&data, &["remove", "gone@rm"]);
    larch(&data, &["remove", "leaf@rm"]);
    // The cache notices the store's write within about a second.
    let gone = server.url(&format!("/rm/m/{}/", enc("gone@rm")));
    let t = Instant::now();
    while get(&c, &gone).await.0 != StatusCode::GONE {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the removed message still answers"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let mut leaks = Vec::new();
    for p in &pages {
        let (status, body) = get(&c, &server.url(p)).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        for s in secrets {
            if body.contains(s) {
                leaks.push(format!("{p} shows {s:?}"));
            }
        }
    }
    assert!(leaks.is_empty(), "removed messages still shown: {leaks:#?}");
    let (_, month) = get(&c, &server.url("/rm/2024/01/")).await;
    assert!(month.contains("Ordinary topic") && month.contains("Unrelated words"));
    finish(&mut server, dog, "removed messages").await;
}

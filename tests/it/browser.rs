//! The pages in a real browser: builds the demo archive, serves it, and runs
//! `tests/browser/pages.mjs` (Playwright driving Debian's Chromium) on a few pages at phone
//! and desktop widths, light and dark, the seed messages among them (see `seeds.rs`).
//! Screenshots land in `target/screenshots`.
//!
//! Needs `node`, `/usr/bin/chromium` and `tests/browser/node_modules` (`npm ci` there). Without
//! them the test skips, saying so, except under CI (`CI=true`), where it fails.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_port, in_ci};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What is missing to run the browser, if anything.
fn missing_tools(browser_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        missing.push("node".to_string());
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(CHROMIUM.to_string());
    }
    let playwright = browser_dir.join("node_modules/playwright-core");
    if !playwright.exists() {
        missing.push(format!(
            "{} (run `npm ci` in tests/browser)",
            playwright.display()
        ));
    }
    missing
}

/// The HTTP status of `GET path`, or `None` if the server does not answer.
fn http_status(addr: &str, path: &str) -> Option<u16> {
    let response = http_get(addr, path)?;
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    head.split_whitespace().nth(1)?.parse().ok()
}

fn http_get(addr: &str, path: &str) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(response)
}

fn run_larch(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_larch"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run larch")
}

#[test]
fn pages_in_a_real_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");

    let missing = missing_tools(&browser_dir);
    if !missing.is_empty() {
        let what = missing.join(", ");
        if in_ci() {
            panic!("CI is set but the browser test's tools are missing: {what}");
        }
        crate::common::skip(&format!("the browser test needs {what}"));
        return;
    }

    // The sample archive.
    let data = tempfile::tempdir().expect("tempdir");
    let demo = run_larch(data.path(), &["demo", "--no-serve"]);
    assert!(
        demo.status.success(),
        "larch demo --no-serve failed:\n{}{}",
        String::from_utf8_lossy(&demo.stdout),
        String::from_utf8_lossy(&demo.stderr)
    );

    // The seed messages, imported as mail into their lists (a cross-post into each).
    let mut seed_paths = Vec::new();
    if let Some(dir) = crate::seeds::seeds_dir() {
        for m in crate::seeds::seed_messages(&dir) {
            let file = data.path().join(format!("{}.eml", m.name));
            std::fs::write(&file, &m.eml).expect("write a seed message");
            let lists = crate::seeds::seed_lists(&m);
            for list in &lists {
                let out = run_larch(
                    data.path(),
                    &["import", "--list", list, &file.to_string_lossy()],
                );
                assert!(
                    out.status.success(),
                    "importing {} into {list} failed:\n{}{}",
                    m.name,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            seed_paths.push(format!(
                "/{}/m/{}/",
                larch::web::util::enc(&lists[0]),
                larch::web::util::enc(&m.message_id)
            ));
            seed_paths.push(format!("/{}/", larch::web::util::enc(&lists[0])));
            // A message in several lists: the page that lets the reader choose.
            if lists.len() > 1 {
                seed_paths.push(larch::web::urls::resolve(&m.message_id));
            }
        }
    }

    // Serve it; the server's log goes to a file shown if anything fails.
    let addr = format!("127.0.0.1:{}", free_port());
    let log_path = data.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("create server log");
    let child = Command::new(env!("CARGO_BIN_EXE_larch"))
        .arg("--data")
        .arg(data.path())
        .args(["serve", "--listen", &addr])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .spawn()
        .expect("start larch serve");
    let mut server = Server(child);
    let server_log = || {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };

    let started = Instant::now();
    while http_status(&addr, "/healthz") != Some(200) {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("larch serve exited with {status}:\n{}", server_log());
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "larch serve did not answer /healthz within 30 s:\n{}",
            server_log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Search pages need the server's first indexing pass.
    while !http_get(&addr, "/healthz")
        .is_some_and(|r| String::from_utf8_lossy(&r).contains("search_lag 0"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the search index did not catch up:\n{}",
            server_log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The pages, each of which must answer 200 before the browser looks at it.
    let mut paths = vec![
        "/",
        "/larch-users/",
        "/larch-users/2024/01/",
        "/larch-users/t/larch-users.0.0%40demo.larch/",
        "/larch-users/m/larch-users.jp%40demo.larch/",
        "/search?q=dark+mode",
        "/larch-users/search?q=pipermail&t=1",
        "/search",
        "/login",
    ];
    paths.extend(seed_paths.iter().map(String::as_str));
    for path in &paths {
        assert_eq!(
            http_status(&addr, path),
            Some(200),
            "{path} does not answer 200:\n{}",
            server_log()
        );
    }
    let mut urls: Vec<String> = paths.iter().map(|p| format!("http://{addr}{p}")).collect();
    // The error page, which answers 404 (the browser script expects that status of it).
    let missing = "/no-such-list/";
    assert_eq!(http_status(&addr, missing), Some(404), "{missing}");
    urls.push(format!("404=http://{addr}{missing}"));

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let shots = std::path::absolute(target.join("screenshots")).expect("absolute path");
    std::fs::create_dir_all(&shots).expect("create screenshot dir");
    eprintln!("screenshots: {}", shots.display());

    let out = Command::new("node")
        .current_dir(&browser_dir)
        .arg("pages.mjs")
        .arg(&shots)
        .args(&urls)
        .stdin(Stdio::null())
        .output()
        .expect("run node pages.mjs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the browser checks failed ({}):\n{report}\nserver log:\n{}",
        out.status,
        server_log()
    );
    println!("{report}");
    drop(server);
}

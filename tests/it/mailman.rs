//! Mailman 3 archiving into larch through the real plugin: `mailman-hyperkitty` 1.2.1,
//! installed from PyPI into a virtualenv under `target/`, run by `tests/mailman/drive.py`
//! with Mailman's own configuration loading against `larch serve`, configured with the
//! files in `contrib/mailman3/`.
//!
//! Needs `python3` with `venv` and PyPI; without them the test skips, saying so, except
//! under CI (`CI=true`), where it fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{in_ci, pypi_python};

const PLUGIN: &str = "mailman-hyperkitty==1.2.1";
const KEY: &str = "k-3f9a0c7e1b";
const LIST: &str = "larch-test";
const FQDN: &str = "larch-test@lists.example.org";
const MESSAGE_ID: &str = "plugin.1+x/y@example.org";
const SUBJECT: &str = "Archived live from Mailman 3";

/// The server process, stopped when the test ends however it ends.
struct Server {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Server {
    fn start(data: &Path, key: Option<&str>) -> Server {
        let addr = format!("127.0.0.1:{}", free_port());
        std::fs::create_dir_all(data).expect("create the data directory");
        let log = data.join("serve.log");
        let out = std::fs::File::create(&log).expect("create the server log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_larch"));
        cmd.arg("--data")
            .arg(data)
            .args(["serve", "--listen", &addr, "--base-url"])
            .arg(format!("http://{addr}"))
            .env_remove("LARCH_ARCHIVER_KEY")
            .env_remove("LARCH_BASE_URL")
            // Its own lines, not one per request, when a failure shows the log.
            .env("LARCH_LOG", "info,tower_http=warn")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("clone the log"))
            .stderr(out);
        if let Some(k) = key {
            cmd.env("LARCH_ARCHIVER_KEY", k);
        }
        let child = cmd.spawn().expect("start larch serve");
        let mut server = Server { child, addr, log };
        let started = Instant::now();
        while server.get("/healthz").0 != 200 {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("larch serve exited with {status}:\n{}", server.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "larch serve did not answer within 30 s:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request(&format!("GET {path} HTTP/1.0\r\n\r\n"))
    }

    /// Status and body of one HTTP/1.0 exchange; 0 when the server does not answer.
    fn request(&self, request: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(&self.addr) else {
            return (0, String::new());
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, b)| b.to_string());
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn run_larch(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_larch"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run larch")
}

/// Skips the test (or fails it under CI) for want of something outside the repository.
fn unavailable(why: &str) {
    if in_ci() {
        panic!("CI is set but the Mailman plugin test cannot run: {why}");
    }
    crate::common::skip(&format!("the Mailman plugin test needs {why}"));
}

/// What `drive.py` reports of one run of the plugin.
#[derive(Debug, serde::Deserialize)]
struct Drive {
    permalink_before: String,
    archived: Option<String>,
    list_url: String,
    permalink: String,
    queued: usize,
    log: Vec<String>,
}

/// Mailman's side, in a directory of its own: `contrib/mailman3/mailman.cfg` as shipped
/// but for the path of the plugin's file, and that file with this server's address and a
/// key.
fn mailman_side(dir: &Path, server: &Server, key: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir).expect("create the Mailman directory");
    let plugin_cfg = dir.join("mailman-hyperkitty.cfg");
    let shipped = std::fs::read_to_string(root.join("contrib/mailman3/mailman-hyperkitty.cfg"))
        .expect("read contrib/mailman3/mailman-hyperkitty.cfg");
    let ours: String = shipped
        .lines()
        .map(|l| {
            if l.starts_with("base_url:") {
                format!("base_url: {}", server.url("/"))
            } else if l.starts_with("api_key:") {
                format!("api_key: {key}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(
        ours, shipped,
        "base_url and api_key lines in the shipped file"
    );
    std::fs::write(&plugin_cfg, ours).expect("write the plugin's configuration");
    let shipped = std::fs::read_to_string(root.join("contrib/mailman3/mailman.cfg"))
        .expect("read contrib/mailman3/mailman.cfg");
    let ours: String = shipped
        .lines()
        .map(|l| {
            if l.starts_with("configuration:") {
                format!("configuration: {}", plugin_cfg.display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(ours, shipped, "a configuration line in the shipped file");
    let cfg = dir.join("mailman.cfg");
    std::fs::write(&cfg, ours).expect("write mailman.cfg");
    cfg
}

fn drive(python: &Path, mailman_cfg: &Path, message: &Path) -> Drive {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mailman/drive.py");
    let dir = mailman_cfg.parent().expect("the Mailman directory");
    let out = Command::new(python)
        .arg(&script)
        .arg(mailman_cfg)
        .arg(message)
        .arg(FQDN)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run drive.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "drive.py failed ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("drive.py's report ({e}):\n{stdout}"))
}

/// Names of the messages waiting in the data directory's spool.
fn spooled(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("spool/new"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".msg"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn mailman_hyperkitty_plugin_archives_into_larch() {
    let python = match pypi_python(PLUGIN) {
        Ok(p) => p,
        Err(why) => return unavailable(&why),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    // Lists a delivery creates are private until published; this one is published first,
    // so that its page can be read.
    let out = run_larch(&data, &["list-set", LIST, "--private", "false"]);
    assert!(out.status.success(), "{out:?}");

    let message = tmp.path().join("message.eml");
    std::fs::write(
        &message,
        format!(
            "From: Jane Doe <jane@example.org>\nTo: {FQDN}\nSubject: {SUBJECT}\n\
             Date: Tue, 1 Apr 2025 10:00:00 +0000\nMessage-ID: <{MESSAGE_ID}>\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
             Sent through mailman-hyperkitty.\n"
        ),
    )
    .expect("write the message");

    let server = Server::start(&data, Some(KEY));
    let permalink = server.url(&larch::web::urls::message(LIST, MESSAGE_ID));
    let list_url = server.url(&larch::web::urls::list(LIST));

    // A wrong key: the plugin is refused, keeps the message for later, nothing is spooled.
    let before = spooled(&data);
    let wrong = drive(
        &python,
        &mailman_side(&tmp.path().join("mailman-wrong"), &server, "not-the-key"),
        &message,
    );
    eprintln!("plugin with a wrong key: {wrong:?}");
    assert_eq!(wrong.archived, None);
    assert_eq!(wrong.queued, 1, "the plugin keeps the message to retry");
    assert_eq!(
        (wrong.list_url.as_str(), wrong.permalink.as_str()),
        ("", "")
    );
    assert!(
        wrong.log.iter().any(|l| l.contains("(401)")),
        "{:?}",
        wrong.log
    );
    let after = spooled(&data);
    assert!(
        after.iter().all(|n| before.contains(n)),
        "a refused delivery was spooled: {after:?}"
    );

    // The right key.
    let run = drive(
        &python,
        &mailman_side(&tmp.path().join("mailman"), &server, KEY),
        &message,
    );
    eprintln!("plugin with the key: {run:?}");
    assert_eq!(run.archived.as_deref(), Some(permalink.as_str()), "{run:?}");
    assert_eq!(run.permalink_before, permalink);
    assert_eq!(run.permalink, permalink);
    assert_eq!(run.list_url, list_url);
    assert_eq!(run.queued, 0, "{run:?}");

    // The message reaches the store through the spool; the running server drains it.
    let started = Instant::now();
    let page = loop {
        let (status, body) = server.get(&larch::web::urls::message(LIST, MESSAGE_ID));
        if status == 200 {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the permalink {permalink} answers {status} 10 s after the delivery \
             (spool: {:?}):\n{}",
            spooled(&data),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(page.contains(SUBJECT), "{page}");
    assert!(spooled(&data).is_empty(), "{:?}", spooled(&data));
    eprintln!("followed {permalink}: 200, “{SUBJECT}” on the page");
    drop(server);

    // No key configured: the API is not there.
    let bare = tmp.path().join("bare");
    let server = Server::start(&bare, None);
    let (status, body) = server.request(&format!(
        "GET /api/mailman/urls?mlist={LIST}%40lists.example.org HTTP/1.0\r\n\
         Authorization: Token {KEY}\r\n\r\n"
    ));
    assert_eq!(status, 404, "{body}");
    assert!(body.starts_with("{\"error\":"), "{body}");
    let (status, _) = server.request(&format!(
        "POST /api/mailman/archive HTTP/1.0\r\nAuthorization: Token {KEY}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 4\r\n\r\n--x-"
    ));
    assert_eq!(status, 404);
    assert!(spooled(&bare).is_empty());
}

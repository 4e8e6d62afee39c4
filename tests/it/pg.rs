//! A PostgreSQL server for the PostgreSQL backend's tests: the one `LARCH_TEST_POSTGRES`
//! names (a URL to a database whose user may `CREATE DATABASE`), else a throw-away cluster
//! that this test binary starts the first time a test asks, and that dies with it.
//!
//! The cluster's programs are Debian's (`/usr/lib/postgresql/<version>/bin`, the newest
//! version there), else `initdb` and `postgres` on the `PATH`. `initdb` and `postgres`
//! refuse to run as root, so as root they run as the `postgres` user, through `runuser`.
//! Without them the tests that need a server skip, saying why, except under CI, where they
//! fail.
//!
//! The server dies with the test process however that ends (a panic, a kill): it runs
//! under a small shell wrapper whose standard input is a pipe only this process holds.
//! When the process ends the pipe closes, the wrapper's `read` returns, and the wrapper
//! stops the server and removes the cluster's folder.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::common::{free_port, in_ci, skip};

/// How long a started server has to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How long psql waits for a connection, in seconds.
const CONNECT_WITHIN: u32 = 10;

/// The wrapper the server runs under: `$1` the programs' folder, `$2` the cluster's
/// folder, `$3` the port, then the server's own further options. The pipe on its standard input moves to fd 3, read by a
/// background job: when the pipe closes (the test process is gone) the job stops the
/// server (SIGQUIT: immediate shutdown, which also ends the server's children) and the
/// wrapper removes the folder. When the server exits by itself instead, the wrapper ends
/// the job and exits, leaving the folder and its log for the test process to report.
const WRAPPER: &str = r#"bin=$1 dir=$2 port=$3
shift 3
exec 3<&0 </dev/null
"$bin/postgres" -D "$dir/data" -c listen_addresses=127.0.0.1 -p "$port" -k "$dir" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c max_connections=300 -c shared_buffers=128MB "$@" 3<&- >&2 &
p=$!
(read x <&3; kill -QUIT "$p" 2>/dev/null; exit 0) &
r=$!
exec 3<&-
echo "$p"
wait "$p"
kill "$r" 2>/dev/null
wait "$r" && rm -rf -- "$dir"
"#;

/// A PostgreSQL server for tests: the one named by `LARCH_TEST_POSTGRES` (a URL to a
/// database whose user may `CREATE DATABASE`), else a throw-away cluster started once per
/// test binary.
pub struct Pg {
    admin_url: String,
    psql: PathBuf,
    /// The authority that signed the throw-away cluster's certificate, when `openssl` was
    /// there to make them: connections may then be encrypted and verified.
    ca: Option<PathBuf>,
    /// The throw-away cluster's wrapper: holding it holds the pipe that keeps the server
    /// running. Never dropped (it lives in a static), so the pipe closes only when the
    /// process ends.
    _wrapper: Option<Mutex<Child>>,
}

/// Why there is no server.
enum Unavailable {
    /// Nothing to run one with: the tests skip (under CI they fail).
    Missing(String),
    /// A server was there to be had but did not start or answer: the tests fail.
    Failed(String),
}

static SERVER: OnceLock<Result<Pg, Unavailable>> = OnceLock::new();

/// The server, or `None` (after saying that the test is skipped, and why) when no server
/// can be had and this is not a CI run; under CI it panics with the reason instead. A
/// server that should start but does not always panics.
pub fn server() -> Option<&'static Pg> {
    match SERVER.get_or_init(start) {
        Ok(pg) => Some(pg),
        Err(Unavailable::Missing(why)) if in_ci() => {
            panic!("CI is set but there is no PostgreSQL server for the tests: {why}")
        }
        Err(Unavailable::Missing(why)) => {
            skip(why);
            None
        }
        Err(Unavailable::Failed(why)) => panic!("{why}"),
    }
}

impl Pg {
    /// A new empty database with a unique name; returns its URL
    /// (`postgres://user@127.0.0.1:port/name` for the throw-away cluster).
    pub fn fresh_database(&self, label: &str) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut clean: String = label
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9') => c,
                _ => '_',
            })
            .collect();
        // PostgreSQL cuts names at 63 bytes; the pid and counter must survive.
        clean.truncate(30);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("larch_{clean}_{}_{n}", std::process::id());
        // template0: no session is ever connected to it, so creating from it cannot fail
        // for another session's sake, and it is the template a server lets one pick the
        // encoding with.
        let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'");
        if let Err(e) = run_psql(&self.psql, &self.admin_url, &sql, CONNECT_WITHIN) {
            panic!("could not create the test database {name}: {e}");
        }
        with_database(&self.admin_url, &name)
    }

    /// The certificate to verify the server's TLS with, when it speaks TLS.
    pub fn ca(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// The administrator's URL, for a process that is to use this server too.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Runs one SQL command as the server's administrator (to cut a database off for a
    /// while, say); its output, or psql's complaint.
    pub fn admin(&self, sql: &str) -> Result<String, String> {
        run_psql(&self.psql, &self.admin_url, sql, CONNECT_WITHIN)
    }
}

fn start() -> Result<Pg, Unavailable> {
    if let Some(url) = std::env::var("LARCH_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let psql = find_psql(None).ok_or_else(|| {
            Unavailable::Failed(
                "LARCH_TEST_POSTGRES is set but there is no psql to reach it with \
                 (install the PostgreSQL client)"
                    .into(),
            )
        })?;
        if let Err(e) = run_psql(&psql, &url, "SELECT 1", CONNECT_WITHIN) {
            return Err(Unavailable::Failed(format!(
                "LARCH_TEST_POSTGRES={url} does not answer: {e}"
            )));
        }
        return Ok(Pg {
            admin_url: url,
            psql,
            ca: None,
            _wrapper: None,
        });
    }
    let Programs { bin, psql, owner } = local_programs()?;
    let dir = cluster_dir("larch-pg-")?;
    let started = start_cluster(&bin, &psql, &dir, owner);
    if started.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    started
}

/// What runs a cluster on this machine.
struct Programs {
    /// The server's programs' folder.
    bin: PathBuf,
    psql: PathBuf,
    /// The postgres user's uid and gid when running as root.
    owner: Option<(u32, u32)>,
}

fn local_programs() -> Result<Programs, Unavailable> {
    let Some(bin) = server_programs() else {
        return Err(Unavailable::Missing(
            "no PostgreSQL server programs (initdb and postgres in \
             /usr/lib/postgresql/<version>/bin or on the PATH); install postgresql, \
             or set LARCH_TEST_POSTGRES to a server's URL"
                .into(),
        ));
    };
    let Some(psql) = find_psql(Some(&bin)) else {
        return Err(Unavailable::Missing(format!(
            "PostgreSQL's server programs are in {} but psql is nowhere",
            bin.display()
        )));
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let as_root = unsafe { libc::geteuid() } == 0;
    let owner = if as_root {
        if find_on_path("runuser").is_none() {
            return Err(Unavailable::Missing(
                "running as root, and there is no runuser to run PostgreSQL's server as \
                 the postgres user with"
                    .into(),
            ));
        }
        let Some(ids) = postgres_user() else {
            return Err(Unavailable::Missing(
                "running as root, and there is no postgres user to run PostgreSQL's server \
                 as"
                .into(),
            ));
        };
        Some(ids)
    } else {
        None
    };
    Ok(Programs { bin, psql, owner })
}

/// A new folder for a cluster. From when its server starts, the server's wrapper removes
/// it; until then, whoever made it does on failure.
fn cluster_dir(prefix: &str) -> Result<PathBuf, Unavailable> {
    Ok(tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| Unavailable::Failed(format!("could not make the cluster's folder: {e}")))?
        .keep())
}

/// A failure to set up or start the cluster in `dir`.
fn failed(dir: &Path, what: &str, e: &dyn std::fmt::Display) -> Unavailable {
    Unavailable::Failed(format!(
        "PostgreSQL test cluster in {}: {what}: {e}",
        dir.display()
    ))
}

/// A cluster's folder made the postgres user's (when running as root), who writes the
/// server's files in it.
fn own_dir(dir: &Path, owner: Option<(u32, u32)>) -> Result<(), Unavailable> {
    let fail = |what: &str, e: &dyn std::fmt::Display| failed(dir, what, e);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| fail("chmod 755", &e))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))
            .map_err(|e| fail("chown to the postgres user", &e))?;
    }
    Ok(())
}

/// initdb in `dir`/data, then the server under its wrapper, until it answers.
fn start_cluster(
    bin: &Path,
    psql: &Path,
    dir: &Path,
    owner: Option<(u32, u32)>,
) -> Result<Pg, Unavailable> {
    own_dir(dir, owner)?;
    let fail = |what: &str, e: &dyn std::fmt::Display| failed(dir, what, e);
    let as_root = owner.is_some();
    let out = server_command(as_root, &bin.join("initdb"))
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        .args(["--locale=C", "-D"])
        .arg(dir.join("data"))
        // A folder the postgres user may enter, whatever this process's is.
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail("could not run initdb", &e))?;
    if !out.status.success() {
        return Err(Unavailable::Failed(format!(
            "initdb -D {}/data failed ({}):\n{}{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let tls = make_certificate(dir, owner);
    let tls_options: Vec<String> = match &tls {
        Some((_, cert)) => vec![
            "-c".into(),
            "ssl=on".into(),
            "-c".into(),
            format!("ssl_cert_file={}", cert.display()),
            "-c".into(),
            format!("ssl_key_file={}", dir.join("server.key").display()),
        ],
        None => Vec::new(),
    };
    let (wrapper, port) = launch(bin, psql, dir, as_root, None, &tls_options)?;
    Ok(Pg {
        admin_url: admin_url(port),
        psql: psql.to_path_buf(),
        ca: tls.map(|(ca, _)| ca),
        _wrapper: Some(Mutex::new(wrapper)),
    })
}

fn admin_url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// Starts the server of the cluster in `dir`/data under its wrapper, on `port` or else a
/// free one, with the server's further `options`, and waits until it answers: the wrapper
/// and the port.
fn launch(
    bin: &Path,
    psql: &Path,
    dir: &Path,
    as_root: bool,
    given: Option<u16>,
    options: &[String],
) -> Result<(Child, u16), Unavailable> {
    let fail = |what: &str, e: &dyn std::fmt::Display| failed(dir, what, e);
    let log_path = dir.join("server.log");
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    // The port is free when picked, but another process may take it before the server
    // binds it: then the server exits at once, and another port is tried (unless the
    // port was given).
    let mut attempts = 0;
    loop {
        attempts += 1;
        let port = given.unwrap_or_else(free_port);
        let admin_url = admin_url(port);
        let log_file = File::create(&log_path).map_err(|e| fail("create server.log", &e))?;
        let log_file2 = log_file
            .try_clone()
            .map_err(|e| fail("clone server.log", &e))?;
        let mut wrapper = server_command(as_root, Path::new("sh"))
            .arg("-c")
            .arg(WRAPPER)
            .arg("sh")
            .arg(bin)
            .arg(dir)
            .arg(port.to_string())
            .args(options)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file2)
            // Out of the terminal's process group: a ^C reaches the test process, whose
            // exit then stops the server in order, through the pipe.
            .process_group(0)
            .spawn()
            .map_err(|e| fail("could not start the server's wrapper", &e))?;
        drop(log_file);
        // The wrapper says the server's pid once it has started it; its stdout is not
        // needed after that.
        let mut pid = String::new();
        let stdout = wrapper
            .stdout
            .take()
            .expect("the wrapper's stdout is piped");
        let _ = BufReader::new(stdout).read_line(&mut pid);
        let since = Instant::now();
        loop {
            if let Ok(Some(status)) = wrapper.try_wait() {
                let log = log();
                let port_taken = log.contains("could not bind")
                    || log.contains("could not create any TCP/IP sockets");
                if port_taken && attempts < 3 && given.is_none() {
                    break;
                }
                return Err(Unavailable::Failed(format!(
                    "the PostgreSQL test server (pid {}, port {port}) exited ({status}) \
                     before it accepted connections; its log:\n{log}",
                    pid.trim()
                )));
            }
            // A short wait for the connection: should another program hold the port, it
            // may accept the connection and never answer.
            if run_psql(psql, &admin_url, "SELECT 1", 2).is_ok() {
                return Ok((wrapper, port));
            }
            if since.elapsed() > READY_WITHIN {
                let log = log();
                // Closing the pipe stops the server (and removes the folder).
                drop(wrapper);
                return Err(Unavailable::Failed(format!(
                    "the PostgreSQL test server (pid {}, port {port}) did not accept \
                     connections within {} s; its log:\n{log}",
                    pid.trim(),
                    READY_WITHIN.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A certificate authority, and a server certificate for 127.0.0.1 it signed, with the
/// server's key, in `dir` and owned by the server's user: (authority, certificate, key).
/// Made with `openssl` when it is there; else the cluster speaks without TLS, and the TLS
/// test says it skipped.
fn make_certificate(dir: &Path, owner: Option<(u32, u32)>) -> Option<(PathBuf, PathBuf)> {
    let openssl = find_on_path("openssl")?;
    let file = |name: &str| dir.join(name);
    let run = |args: &[&str]| -> Option<()> {
        let out = Command::new(&openssl)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .ok()?;
        out.status.success().then_some(())
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-days", "7", "-subj", "/CN=larch test authority"],
        &["-keyout", "ca.key", "-out", "ca.crt"],
    ]
    .concat())?;
    run(&[
        &["req"][..],
        &ec,
        &[
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    ]
    .concat())?;
    std::fs::write(file("server.ext"), "subjectAltName=IP:127.0.0.1\n").ok()?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "7",
        "-extfile",
        "server.ext",
        "-out",
        "server.crt",
    ])?;
    let key = file("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).ok()?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&key, Some(uid), Some(gid)).ok()?;
        std::os::unix::fs::chown(file("server.crt"), Some(uid), Some(gid)).ok()?;
    }
    Some((file("ca.crt"), file("server.crt")))
}

/// A primary and a hot standby streaming from it, both throw-away clusters of their own
/// for one test (the shared cluster's databases would all be replayed too, and a test that
/// stops the standby would stop it for others). Both die with the test process, as the
/// shared cluster does.
pub struct Streaming {
    primary: Pg,
    bin: PathBuf,
    psql: PathBuf,
    as_root: bool,
    standby_dir: PathBuf,
    standby_port: u16,
    /// The standby's wrapper while it runs.
    standby: Mutex<Option<Child>>,
}

/// A primary with a standby (see [`Streaming`]), or `None` after saying why the test is
/// skipped; under CI, missing programs fail the test instead.
pub fn streaming() -> Option<Streaming> {
    match start_streaming() {
        Ok(s) => Some(s),
        Err(Unavailable::Missing(why)) if in_ci() => {
            panic!("CI is set but a streaming replica cannot be set up for the tests: {why}")
        }
        Err(Unavailable::Missing(why)) => {
            skip(&why);
            None
        }
        Err(Unavailable::Failed(why)) => panic!("{why}"),
    }
}

fn start_streaming() -> Result<Streaming, Unavailable> {
    let Programs { bin, psql, owner } = local_programs()?;
    for program in ["pg_basebackup", "pg_ctl"] {
        if !bin.join(program).is_file() {
            return Err(Unavailable::Missing(format!(
                "no {program} beside PostgreSQL's server programs in {}",
                bin.display()
            )));
        }
    }
    let as_root = owner.is_some();
    let primary_dir = cluster_dir("larch-pg-primary-")?;
    let primary = start_cluster(&bin, &psql, &primary_dir, owner).inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&primary_dir);
    })?;
    let standby_dir = cluster_dir("larch-pg-standby-")?;
    let standby = (|| {
        own_dir(&standby_dir, owner)?;
        // A fast checkpoint: the default spreads it over minutes. -R writes the standby's
        // settings (standby.signal, primary_conninfo) into the copy.
        let out = server_command(as_root, &bin.join("pg_basebackup"))
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync", "-D"])
            .arg(standby_dir.join("data"))
            .args(["-d", &primary.admin_url])
            .current_dir(&standby_dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| failed(&standby_dir, "could not run pg_basebackup", &e))?;
        if !out.status.success() {
            return Err(failed(
                &standby_dir,
                "pg_basebackup failed",
                &format!(
                    "{}\n{}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            ));
        }
        launch(&bin, &psql, &standby_dir, as_root, None, &[])
    })();
    let (wrapper, standby_port) = standby.inspect_err(|_| {
        let _ = std::fs::remove_dir_all(&standby_dir);
    })?;
    Ok(Streaming {
        primary,
        bin,
        psql,
        as_root,
        standby_dir,
        standby_port,
        standby: Mutex::new(Some(wrapper)),
    })
}

impl Streaming {
    pub fn primary(&self) -> &Pg {
        &self.primary
    }

    /// The URL of a database of the primary (from [`Pg::fresh_database`]) on the standby.
    pub fn standby_url(&self, primary_url: &str) -> String {
        let name = primary_url.rsplit('/').next().unwrap_or_default();
        with_database(&admin_url(self.standby_port), name)
    }

    /// Runs one SQL command on the standby; its output, or psql's complaint.
    pub fn standby_sql(&self, sql: &str) -> Result<String, String> {
        run_psql(
            &self.psql,
            &admin_url(self.standby_port),
            sql,
            CONNECT_WITHIN,
        )
    }

    /// Stops the standby (a fast shutdown: its sessions are ended), keeping its files.
    pub fn stop_standby(&self) {
        let mut standby = self.standby.lock().unwrap_or_else(|e| e.into_inner());
        let Some(mut wrapper) = standby.take() else {
            return;
        };
        let out = server_command(self.as_root, &self.bin.join("pg_ctl"))
            .args(["stop", "-m", "fast", "-w", "-D"])
            .arg(self.standby_dir.join("data"))
            .current_dir(&self.standby_dir)
            .stdin(Stdio::null())
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The server exited by itself: its wrapper leaves the folder and ends.
        let _ = wrapper.wait();
    }

    /// Starts the stopped standby again, on its port.
    pub fn start_standby(&self) {
        let mut standby = self.standby.lock().unwrap_or_else(|e| e.into_inner());
        if standby.is_some() {
            return;
        }
        match launch(
            &self.bin,
            &self.psql,
            &self.standby_dir,
            self.as_root,
            Some(self.standby_port),
            &[],
        ) {
            Ok((wrapper, _)) => *standby = Some(wrapper),
            Err(Unavailable::Missing(why) | Unavailable::Failed(why)) => {
                panic!("the standby did not start again: {why}")
            }
        }
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let standby = self.standby.get_mut().unwrap_or_else(|e| e.into_inner());
        if standby.take().is_none() {
            // Stopped: no wrapper is left to remove its folder.
            let _ = std::fs::remove_dir_all(&self.standby_dir);
        }
        // A running standby's wrapper, dropped, closes its pipe: the server stops and its
        // folder goes; so does the primary's when `primary` is dropped.
    }
}

/// `program` as the user that may run PostgreSQL's server: this one, or as root the
/// `postgres` user.
fn server_command(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The `postgres` user's uid and gid.
fn postgres_user() -> Option<(u32, u32)> {
    // SAFETY: the name is a NUL-terminated string; the record getpwnam returns is read at
    // once, before any other call could reuse it, and only when it is not null.
    unsafe {
        let pw = libc::getpwnam(c"postgres".as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

/// The folder holding `initdb` and `postgres`: Debian's newest, else the `PATH`'s.
fn server_programs() -> Option<PathBuf> {
    let has_server = |bin: &Path| bin.join("initdb").is_file() && bin.join("postgres").is_file();
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            has_server(bin.as_path()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).or_else(|| {
        let bin = find_on_path("initdb")?.parent()?.to_path_buf();
        has_server(bin.as_path()).then_some(bin)
    })
}

/// psql: the one beside the server's programs, else the `PATH`'s.
fn find_psql(bin: Option<&Path>) -> Option<PathBuf> {
    bin.map(|b| b.join("psql"))
        .filter(|p| p.is_file())
        .or_else(|| find_on_path("psql"))
        .or_else(|| {
            server_programs()
                .map(|b| b.join("psql"))
                .filter(|p| p.is_file())
        })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs one SQL command through psql against `url`, waiting at most `connect_within`
/// seconds for the connection; its output (unaligned, tuples only), or psql's complaint.
fn run_psql(psql: &Path, url: &str, sql: &str, connect_within: u32) -> Result<String, String> {
    let out = Command::new(psql)
        // No ~/.psqlrc, never a password prompt, stop at the first error.
        .args(["-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .args(["-d", url, "-c", sql])
        .env("PGCONNECT_TIMEOUT", connect_within.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", psql.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "psql exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `url` with its database (the path) replaced by `name`, the rest (user, host, port,
/// parameters) kept.
fn with_database(url: &str, name: &str) -> String {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let path = url[authority..]
        .find(['/', '?'])
        .map_or(url.len(), |i| authority + i);
    let query = url[path..].find('?').map_or("", |i| &url[path + i..]);
    format!("{}/{name}{query}", &url[..path])
}

#[test]
fn fresh_databases_are_distinct_and_answer() {
    let Some(pg) = server() else { return };
    let a = pg.fresh_database("Pg test: A");
    let b = pg.fresh_database("Pg test: A");
    assert_ne!(a, b);
    assert!(a.contains("/larch_pg_test__a_"), "{a}");
    let out =
        run_psql(&pg.psql, &a, "SELECT 1", CONNECT_WITHIN).unwrap_or_else(|e| panic!("{a}: {e}"));
    assert_eq!(out.trim(), "1");
    let db = run_psql(&pg.psql, &b, "SELECT current_database()", CONNECT_WITHIN)
        .unwrap_or_else(|e| panic!("{b}: {e}"));
    assert_eq!(Some(db.trim()), b.rsplit('/').next());
}

#[test]
fn database_urls_keep_the_server_and_parameters() {
    assert_eq!(
        with_database("postgres://u@127.0.0.1:5433/postgres", "x"),
        "postgres://u@127.0.0.1:5433/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    assert_eq!(
        with_database("postgresql://h?a=b", "x"),
        "postgresql://h/x?a=b"
    );
}

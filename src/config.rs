//! Where the data lives, how writers share it, and what `larch.toml` says.
//!
//! One data directory holds the SQLite store, the search index, the delivery spool and
//! `larch.toml`. Writers (`import`, the spool's drain) take an exclusive lock on it so that
//! each sees the threading state the previous one left; readers (`serve`) need no lock
//! thanks to SQLite's WAL.
//!
//! Every setting of `larch.toml` is also a flag or an environment variable, which win over
//! the file, so that a container can be configured without one and a systemd unit can
//! override one line. An unknown key is an error naming its line: a misspelt
//! `archiver_key` must not silently leave the archiver API off, nor a misspelt `private`
//! publish a list.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATA: &str = "./larch-data";

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "larch.toml";

/// An exclusive lock on a data directory, released when dropped.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Waits for the lock.
    pub fn acquire(data: &Path) -> anyhow::Result<WriteLock> {
        std::fs::create_dir_all(data)?;
        let file = File::create(data.join("write.lock"))?;
        file.lock()?;
        Ok(WriteLock { _file: file })
    }

    /// Tries for up to `secs` seconds; `None` if another writer keeps it.
    pub fn try_acquire(data: &Path, secs: u64) -> anyhow::Result<Option<WriteLock>> {
        std::fs::create_dir_all(data)?;
        let file = File::create(data.join("write.lock"))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(WriteLock { _file: file })),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
    }
}

pub fn data_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA))
}

/// The database this process's commands open (see [`choose_database`]): one process
/// serves one archive, and every command that opens the store asks here. An error when
/// `larch.toml` could not be read and the command line named no database: the file may
/// name it, so no store is opened (a command that reports on the file says why).
static DATABASE: std::sync::OnceLock<Result<Option<String>, String>> = std::sync::OnceLock::new();

/// The streaming replica `larch serve` reads pages from, chosen as [`DATABASE`] is. Only
/// the server reads it: every other command writes, or must see the latest state.
static DATABASE_READ: std::sync::OnceLock<Result<Option<String>, String>> =
    std::sync::OnceLock::new();

/// Settles where the archive is: `--database` / `LARCH_DATABASE_URL` when given, else
/// `database` in `larch.toml`, else `larch.db` in the data directory; and likewise where
/// the server reads pages from (`--database-read` / `LARCH_DATABASE_READ_URL`, else
/// `database_read`).
pub fn choose_database(
    data: &Path,
    arg: Option<String>,
    read: Option<String>,
) -> anyhow::Result<()> {
    let loaded = std::cell::OnceCell::new();
    let file = || {
        loaded
            .get_or_init(|| Config::load(data).map_err(|e| format!("{e:#}")))
            .clone()
    };
    let url = match arg.filter(|u| !u.is_empty()) {
        Some(u) => Ok(Some(u)),
        None => file().map(|c| c.database),
    };
    let read = match read.filter(|u| !u.is_empty()) {
        Some(u) => Ok(Some(u)),
        None => file().map(|c| c.database_read),
    };
    // A replica of larch.db cannot exist: said when the server starts, rather than
    // serving from the file as if the setting were not there.
    let read = match (&url, read) {
        (Ok(None), Ok(Some(_))) => Err("a read replica (--database-read, LARCH_DATABASE_READ_URL \
             or database_read in larch.toml) needs the archive in PostgreSQL (--database): \
             SQLite has no replicas"
            .to_string()),
        (_, read) => read,
    };
    let _ = DATABASE.set(url);
    let _ = DATABASE_READ.set(read);
    Ok(())
}

/// Whether [`choose_database`] settled on a database server rather than the data
/// directory's own file.
pub fn database_is_shared() -> bool {
    DATABASE.get().is_some_and(|d| matches!(d, Ok(Some(_))))
}

/// Opens the archive [`choose_database`] settled on (SQLite in `data` when nothing did).
pub async fn open_store(data: &Path) -> anyhow::Result<crate::store::Store> {
    let url = match DATABASE.get() {
        Some(Err(e)) => anyhow::bail!("{e}"),
        Some(Ok(url)) => url.clone(),
        None => None,
    };
    Ok(crate::store::Store::open_with(data, url.as_deref()).await?)
}

/// [`open_store`] for `larch serve`: with the read replica [`choose_database`] settled on,
/// if any, for its pages.
pub async fn open_serving_store(data: &Path) -> anyhow::Result<crate::store::Store> {
    let read = match DATABASE_READ.get() {
        Some(Err(e)) => anyhow::bail!("{e}"),
        Some(Ok(read)) => read.clone(),
        None => None,
    };
    let (Some(read), Some(Ok(Some(url)))) = (read, DATABASE.get()) else {
        return open_store(data).await;
    };
    Ok(crate::store::Store::open_with_replica(data, url, &read).await?)
}

/// `larch.toml`.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address `larch serve` listens on (`--listen`, `LARCH_LISTEN`).
    pub listen: Option<String>,
    /// The archive's public URL (`--base-url`, `LARCH_BASE_URL`).
    pub base_url: Option<String>,
    /// The key of Mailman 3's archiver plugin (`--archiver-key`, `LARCH_ARCHIVER_KEY`).
    pub archiver_key: Option<String>,
    /// Whether a list first seen through live delivery is created private (default
    /// true; `--live-lists-private`, `LARCH_LIVE_LISTS_PRIVATE`).
    pub live_lists_private: Option<bool>,
    /// Days a login lasts (default 30; `LARCH_SESSION_DAYS`).
    pub session_days: Option<u32>,
    /// A request header naming the signed-in reader, set by a single-sign-on proxy in
    /// front of larch (`X-Remote-User`; `LARCH_AUTH_HEADER`). Believed only from
    /// `trusted_proxies`; off when unset.
    pub auth_header: Option<String>,
    /// Addresses of the proxies whose `auth_header` and `X-Forwarded-For` are believed
    /// (`LARCH_TRUSTED_PROXIES`, comma-separated): nginx on the same host is `127.0.0.1`.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    #[serde(default)]
    pub limits: Limits,
    /// Per-list settings, applied when the server starts and when a delivery creates
    /// the list.
    #[serde(default)]
    pub lists: BTreeMap<String, ListConfig>,
    /// Mailman 3 list addresses (`announce@example.org`) archived under another name than
    /// their local part.
    #[serde(default)]
    pub mailman_lists: BTreeMap<String, String>,
    /// The archive's database, when not `larch.db` in the data directory: a `postgres://`
    /// URL (`--database`, `LARCH_DATABASE_URL`).
    pub database: Option<String>,
    /// A streaming replica of `database` that `larch serve` reads its pages from
    /// (`--database-read`, `LARCH_DATABASE_READ_URL`).
    pub database_read: Option<String>,
    /// The language of pages for readers whose browsers ask for none that ships, on
    /// pages of no list with a language of its own (`en` when unset).
    pub language: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest message taken, in bytes (`LARCH_MAX_MESSAGE_SIZE`).
    pub max_message_size: Option<u64>,
    /// Seconds a client has to send its request headers (`LARCH_HEADER_TIMEOUT_SECS`).
    pub header_timeout_secs: Option<u64>,
    /// Seconds a connection may stay idle (`LARCH_IDLE_TIMEOUT_SECS`).
    pub idle_timeout_secs: Option<u64>,
    /// Connections served at once (`LARCH_MAX_CONNECTIONS`).
    pub max_connections: Option<u64>,
}

/// What `larch list-set` sets, for one list.
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListConfig {
    pub title: Option<String>,
    pub description: Option<String>,
    pub private: Option<bool>,
    pub obfuscate: Option<bool>,
    /// The list's posting address, for replies to messages that carry no `List-Post`.
    pub post_address: Option<String>,
    /// The language of the list's pages (`fr`), as Mailman's preferred language.
    pub language: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Config {
    /// Reads `larch.toml` from the data directory; no file is the empty configuration.
    pub fn load(data: &Path) -> anyhow::Result<Config> {
        let path = data.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        }
    }

    /// How the server signs readers in: the file's settings, the environment over them.
    pub fn auth(&self) -> anyhow::Result<crate::web::auth::AuthConfig> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let days: u32 = match env("LARCH_SESSION_DAYS") {
            Some(d) => d.trim().parse().ok().filter(|d| *d > 0).ok_or_else(|| {
                anyhow::anyhow!("LARCH_SESSION_DAYS={d:?} is not a number of days")
            })?,
            None => self.session_days.unwrap_or(30),
        };
        let header = env("LARCH_AUTH_HEADER").or_else(|| self.auth_header.clone());
        let proxies: Vec<String> = match env("LARCH_TRUSTED_PROXIES") {
            Some(p) => p.split(',').map(|s| s.trim().to_string()).collect(),
            None => self.trusted_proxies.clone(),
        };
        let proxy_header = header
            .map(|h| {
                axum::http::HeaderName::from_bytes(h.trim().as_bytes())
                    .map_err(|_| anyhow::anyhow!("{h:?} is not a header name"))
            })
            .transpose()?;
        let trusted_proxies = proxies
            .iter()
            .map(|p| {
                p.parse()
                    .map_err(|_| anyhow::anyhow!("trusted proxy {p:?} is not an IP address"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(crate::web::auth::AuthConfig {
            session_lifetime: std::time::Duration::from_secs(u64::from(days) * 24 * 3600),
            secure_cookies: false,
            proxy_header,
            trusted_proxies,
            throttle: Default::default(),
        })
    }

    /// Parses the text of a `larch.toml`; errors name the line and column.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(u) = &self.base_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(format!(
                "base_url {u:?} must start with http:// or https://"
            ));
        }
        if self.archiver_key.as_deref().is_some_and(|k| k.len() < 16) {
            return Err("archiver_key must be at least 16 characters".into());
        }
        if let Some(n) = self.limits.max_message_size
            && !(1..=u64::from(u32::MAX)).contains(&n)
        {
            return Err(format!("limits.max_message_size must be 1 to {}", u32::MAX));
        }
        for (name, v) in [
            ("header_timeout_secs", self.limits.header_timeout_secs),
            ("idle_timeout_secs", self.limits.idle_timeout_secs),
            ("max_connections", self.limits.max_connections),
        ] {
            if v == Some(0) {
                return Err(format!("limits.{name} must be above 0"));
            }
        }
        if self.session_days == Some(0) {
            return Err("session_days must be above 0".into());
        }
        for p in &self.trusted_proxies {
            p.parse::<std::net::IpAddr>()
                .map_err(|_| format!("trusted_proxies: {p:?} is not an IP address"))?;
        }
        if let Some(h) = &self.auth_header {
            axum::http::HeaderName::from_bytes(h.as_bytes())
                .map_err(|_| format!("auth_header {h:?} is not a header name"))?;
        }
        for (address, list) in &self.mailman_lists {
            if !address.contains('@') {
                return Err(format!("mailman_lists: {address:?} is not a list address"));
            }
            crate::store::spool::check_list_name(list)
                .map_err(|e| format!("mailman_lists.{address:?}: {e}"))?;
        }
        Ok(())
    }

    /// Whether a new list is created private by a live delivery that did not say.
    pub fn live_private(&self, list: &str) -> bool {
        self.lists
            .get(list)
            .and_then(|l| l.private)
            .or(self.live_lists_private)
            .unwrap_or(true)
    }
}

/// A boolean from the environment, if set: `true`/`false`, `1`/`0`, `yes`/`no`.
pub fn env_bool(name: &str) -> anyhow::Result<Option<bool>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => anyhow::bail!("{name}={v:?} is not true or false"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_reads() {
        let c = Config::parse(
            r#"
listen = "127.0.0.1:9000"
base_url = "https://lists.example.org"
archiver_key = "0123456789abcdef0123"
live_lists_private = false

[limits]
max_message_size = 1000000
idle_timeout_secs = 20

[lists.announce]
title = "Announcements"
private = true
aliases = ["announce-old"]

[mailman_lists]
"general@example.org" = "general-2"
"#,
        )
        .unwrap();
        assert_eq!(c.listen.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(c.limits.idle_timeout_secs, Some(20));
        assert_eq!(c.lists["announce"].aliases, ["announce-old"]);
        assert!(c.live_private("announce"));
        assert!(!c.live_private("other"));
        assert!(Config::default().live_private("other"));
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let e = Config::parse("listen = \"x\"\n\narchiver_kye = \"k\"\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("archiver_kye"), "{e}");
        let e = Config::parse("[lists.a]\nprivat = true\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = Config::parse("[limits]\nidle_timeout_secs = 0\n").unwrap_err();
        assert!(e.contains("idle_timeout_secs"), "{e}");
        assert!(Config::parse("base_url = \"lists.example.org\"").is_err());
        assert!(Config::parse("archiver_key = \"short\"").is_err());
    }
}

#[cfg(test)]
mod documented {
    /// The `larch.toml` the migration guide shows is one larch reads.
    #[test]
    fn the_guides_example_reads() {
        let guide = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("migrating-from-mailman2.md");
        let text = std::fs::read_to_string(guide).unwrap();
        let start = text.find("```toml\n").expect("a toml example") + "```toml\n".len();
        let end = start + text[start..].find("```").expect("its end");
        let c = super::Config::parse(&text[start..end]).unwrap();
        assert_eq!(c.lists["announce"].private, Some(false));
    }

    /// The pieces of `larch.toml` the Mailman 3 guide shows, together, are one larch reads.
    #[test]
    fn the_mailman3_guides_examples_read() {
        let guide = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join("mailman3.md");
        let text = std::fs::read_to_string(guide).unwrap();
        let mut toml = String::new();
        for block in text.split("```toml\n").skip(1) {
            toml.push_str(block.split("```").next().unwrap());
        }
        let c = super::Config::parse(&toml).unwrap();
        assert!(c.archiver_key.is_some());
        assert_eq!(c.mailman_lists["general@lists.example.org"], "general-2");
    }
}

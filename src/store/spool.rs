//! The delivery spool: where live mail waits between the list server and the store.
//!
//! A list server hands a message over and moves on; Mailman 2 even does it while holding
//! the list's lock, and only logs a failed archiver. So a delivery must never wait for the
//! store (an import may hold it for an hour) and must never be lost once accepted. It is
//! written here first, durably (the file and its directory are fsync'd, and it appears in
//! `new/` by an atomic rename from `tmp/`, so a crash leaves either nothing or the whole
//! message), and the store takes it later: the server drains the spool continuously,
//! `larch ingest --drain` does it without one.
//!
//! File names sort in arrival order (nanoseconds since the epoch, then the writer's process
//! id and a counter), which the drain keeps. A file is removed only after the transaction
//! that stored its message committed; a crash in between re-delivers it, and the store's
//! duplicate check makes that harmless. A file the drain cannot read is moved to `bad/`,
//! never deleted.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// First bytes of every spool file, before the header line: recognizes our own files and
/// leaves room for another layout later.
const MAGIC: &str = "larch-spool 1 ";

/// Longest list name a delivery may carry: a list name is a mailbox's local part.
pub const MAX_LIST_NAME: usize = 128;

/// How a list that a delivery creates is shown: the delivery's explicit choice, or the
/// configured default for lists first seen live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privacy {
    Private,
    Public,
    /// Neither flag given: the drain applies the configured default (private unless
    /// `larch.toml` says otherwise).
    Default,
}

/// What travels with a message in its spool file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    pub list: String,
    pub privacy: Privacy,
    /// Where it came from (`ingest`, `api`), for logs and metrics.
    #[serde(default)]
    pub via: String,
    /// `Some(limit)` when the message was larger than the limit: the file then holds its
    /// start, and the store keeps it as a reject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_limit: Option<u64>,
}

/// One message waiting in the spool.
#[derive(Debug)]
pub struct Spooled {
    pub path: PathBuf,
    pub name: String,
    pub envelope: Envelope,
    pub data: Vec<u8>,
}

/// A spool file that could not be read back: moved aside, reported, never dropped.
#[derive(Debug)]
pub struct Unreadable {
    pub name: String,
    pub why: String,
}

pub struct Spool {
    dir: PathBuf,
}

/// What live delivery has done since the process started, for `/metrics` and logs. Shared
/// between whoever spools (the archiver API), the drain, and the pages that report it.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    /// Messages written into the spool by this process (the archiver API).
    pub spooled: AtomicU64,
    /// Spool files taken into the store, whatever became of them.
    pub drained: AtomicU64,
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    /// Not archived because they asked not to be (`X-No-Archive`, `Archive: no`).
    pub skipped_no_archive: AtomicU64,
    /// Drain rounds that failed (the store busy or failing); their messages wait.
    pub drain_failures: AtomicU64,
    /// Spool files moved to `bad/`.
    pub unreadable: AtomicU64,
}

impl DeliveryStats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Whether a list name is one a delivery may create: no path separators, no controls or
/// spaces, not empty, not absurdly long. Imports are not held to it (old archives have the
/// names they have), live deliveries are: they come from configuration files and the API.
pub fn check_list_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the list name is empty".into());
    }
    if name.len() > MAX_LIST_NAME {
        return Err(format!(
            "the list name is longer than {MAX_LIST_NAME} bytes"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '/' | '\\'))
    {
        return Err(format!("the list name contains {c:?}"));
    }
    Ok(())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Spool {
    /// The spool of a data directory (created on first use).
    pub fn open(data: &Path) -> io::Result<Spool> {
        let dir = data.join("spool");
        for sub in ["tmp", "new", "bad"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Spool { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one message durably; when this returns `Ok` the message survives a crash or
    /// a power cut.
    pub fn put(&self, envelope: &Envelope, message: &[u8]) -> io::Result<String> {
        check_list_name(&envelope.list).map_err(io::Error::other)?;
        let header = serde_json::to_string(envelope).map_err(io::Error::other)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{nanos:024}.{:010}.{n:06}.msg", std::process::id());
        let tmp = self.dir.join("tmp").join(&name);
        let result = (|| {
            let mut f = File::create_new(&tmp)?;
            f.write_all(MAGIC.as_bytes())?;
            f.write_all(header.as_bytes())?;
            f.write_all(b"\n")?;
            f.write_all(message)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, self.dir.join("new").join(&name))?;
            sync_dir(&self.dir.join("new"))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| name)
    }

    /// Names waiting in `new/`, oldest first.
    pub fn waiting(&self) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(self.dir.join("new"))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".msg"))
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// How many messages wait.
    pub fn depth(&self) -> u64 {
        self.waiting().map_or(0, |w| w.len() as u64)
    }

    /// Files moved aside because they could not be read back.
    pub fn bad(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.join("bad"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort_unstable();
        names
    }

    /// Reads the oldest messages, up to `max` of them and about `max_bytes` in all (at least
    /// one). A file that cannot be understood is moved to `bad/` and reported.
    pub fn take(&self, max: usize, max_bytes: u64) -> io::Result<(Vec<Spooled>, Vec<Unreadable>)> {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        let mut bytes = 0u64;
        for name in self.waiting()? {
            if out.len() >= max || (bytes >= max_bytes && !out.is_empty()) {
                break;
            }
            let path = self.dir.join("new").join(&name);
            let raw = match fs::read(&path) {
                Ok(r) => r,
                // Taken by another drain since the listing.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            bytes += raw.len() as u64;
            match parse(&raw) {
                Ok((envelope, at)) => {
                    let mut data = raw;
                    data.drain(..at);
                    out.push(Spooled {
                        path,
                        name,
                        envelope,
                        data,
                    });
                }
                Err(why) => {
                    fs::rename(&path, self.dir.join("bad").join(&name))?;
                    bad.push(Unreadable { name, why });
                }
            }
        }
        Ok((out, bad))
    }

    /// Forgets messages the store now holds.
    pub fn done(&self, taken: &[Spooled]) -> io::Result<()> {
        for s in taken {
            match fs::remove_file(&s.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The envelope of a spool file and where its message starts.
fn parse(raw: &[u8]) -> Result<(Envelope, usize), String> {
    let rest = raw
        .strip_prefix(MAGIC.as_bytes())
        .ok_or("not a larch spool file")?;
    let end = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("the spool header has no end")?;
    let envelope: Envelope =
        serde_json::from_slice(&rest[..end]).map_err(|e| format!("bad spool header: {e}"))?;
    check_list_name(&envelope.list)?;
    Ok((envelope, MAGIC.len() + end + 1))
}

/// Makes a rename or creation in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(list: &str) -> Envelope {
        Envelope {
            list: list.into(),
            privacy: Privacy::Default,
            via: "test".into(),
            over_limit: None,
        }
    }

    #[test]
    fn messages_come_back_in_arrival_order_and_leave_when_done() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        for i in 0..5 {
            spool
                .put(&env("a"), format!("Subject: {i}\n\nbody\n").as_bytes())
                .unwrap();
        }
        assert_eq!(spool.depth(), 5);
        let (taken, bad) = spool.take(3, u64::MAX).unwrap();
        assert!(bad.is_empty());
        let subjects: Vec<_> = taken
            .iter()
            .map(|s| String::from_utf8_lossy(&s.data[..10]).to_string())
            .collect();
        assert_eq!(subjects, ["Subject: 0", "Subject: 1", "Subject: 2"]);
        spool.done(&taken).unwrap();
        assert_eq!(spool.depth(), 2);
        assert!(
            fs::read_dir(dir.path().join("spool/tmp"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn a_foreign_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        fs::write(dir.path().join("spool/new/0.msg"), b"hello").unwrap();
        spool.put(&env("a"), b"Subject: x\n\ny\n").unwrap();
        let (taken, bad) = spool.take(10, u64::MAX).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!(spool.bad(), ["0.msg"]);
    }

    #[test]
    fn list_names_that_could_escape_or_confuse_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        for name in ["", "../x", "a b", "a\nb", &"x".repeat(200)] {
            assert!(spool.put(&env(name), b"x").is_err(), "{name:?}");
        }
        assert_eq!(spool.depth(), 0);
    }
}

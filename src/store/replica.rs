//! Page reads from a PostgreSQL streaming replica (`--database-read`), so that readers'
//! load leaves the primary to deliveries.
//!
//! Only reads that a page may answer slightly late go there ([`Store::reader`] and
//! [`on_reader!`]): writes, and reads that decide a write (duplicate checks, counters,
//! sign-ins), stay on the primary. A replica replays the primary's commits in order, so it
//! only ever lags: what it shows is an older state of the archive, never a wrong one.
//!
//! A read that fails on the replica is run again on the primary, which is never older.
//! Unless the replica only cancelled that one query (a conflict with recovery), it is set
//! aside: reads go to the primary until a probe finds it answering again *and* caught up
//! with every write generation pages were served at from the primary meanwhile. The page
//! cache keys pages by that generation ([`Store::generation`]): a page rendered from a
//! replica still behind it would be kept under a generation whose writes it lacks, until
//! the next write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use super::db::{Pool, on_pool};
use super::{Error, Result, Store};

/// How often a replica set aside is tried again (by the reads of the write generation that
/// pages make anyway).
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// How long a read waits for a connection to the replica before the primary answers it: a
/// replica that went away costs the read that finds out this long, once.
pub(super) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) struct Replica {
    pub(super) pool: Pool,
    /// Where it is (host, port, database), for the log.
    label: String,
    /// Whether reads go to the replica now.
    up: AtomicBool,
    /// The newest write generation read from the primary while the replica was set aside:
    /// it comes back only once it has replayed that far.
    floor: AtomicI64,
    /// Held while a generation is read from the primary and while the replica is brought
    /// back, so that no generation newer than the replica is handed out once it is back.
    switch: tokio::sync::Mutex<()>,
    /// A probe in flight, and when the last one started.
    probing: AtomicBool,
    probed: std::sync::Mutex<Option<Instant>>,
}

impl Replica {
    pub(super) fn new(pool: Pool, label: String, up: bool) -> Replica {
        Replica {
            pool,
            label,
            up: AtomicBool::new(up),
            floor: AtomicI64::new(i64::MIN),
            switch: tokio::sync::Mutex::new(()),
            probing: AtomicBool::new(false),
            probed: std::sync::Mutex::new(None),
        }
    }

    pub(super) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Sends reads to the primary until a probe brings the replica back.
    pub(super) fn set_aside(&self, e: &Error) {
        if self.up.swap(false, Ordering::AcqRel) {
            tracing::warn!("read replica set aside, pages read from the primary: {e}");
        }
    }

    /// Tries the replica in the background (at most one probe at a time, one per
    /// [`PROBE_EVERY`]): no page waits on a replica that does not answer.
    fn probe_if_due(self: &Arc<Self>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let due = match self.probed.lock() {
            Ok(mut last) => {
                let due = last.is_none_or(|t| t.elapsed() >= PROBE_EVERY);
                if due {
                    *last = Some(Instant::now());
                }
                due
            }
            Err(_) => false,
        };
        if !due {
            self.probing.store(false, Ordering::Release);
            return;
        }
        let r = self.clone();
        tokio::spawn(async move {
            match read_generation(&r.pool).await {
                Ok(g) => {
                    let _switch = r.switch.lock().await;
                    let floor = r.floor.load(Ordering::Acquire);
                    if g >= floor {
                        r.up.store(true, Ordering::Release);
                        tracing::info!(
                            "read replica answers and has caught up: pages read from it again"
                        );
                    } else {
                        tracing::debug!("read replica answers but is behind ({g} < {floor})");
                    }
                }
                Err(e) => tracing::debug!("read replica still unavailable: {e}"),
            }
            r.probing.store(false, Ordering::Release);
        });
    }
}

/// The store's write generation as one database has it.
pub(super) async fn read_generation(pool: &Pool) -> Result<i64> {
    on_pool!(pool, |p, _d| Ok(sqlx::query_scalar(
        "SELECT value FROM generation WHERE id = 1"
    )
    .fetch_one(p)
    .await?))
}

/// Runs a read on [`Store::reader`]: the body is an expression of type [`Result`] as in
/// [`on_pool!`](super::db::on_pool). A failure on the replica runs it again on the primary
/// (see [`Store::read_again`]).
macro_rules! on_reader {
    ($store:expr, |$p:ident, $d:ident| $body:expr) => {{
        let store: &$crate::store::Store = $store;
        let mut pool = store.reader();
        loop {
            let result: $crate::store::Result<_> =
                async { $crate::store::db::on_pool!(pool, |$p, $d| $body) }.await;
            match result {
                Err(e) if store.read_again(pool, &e) => pool = store.pool(),
                done => break done,
            }
        }
    }};
}
pub(crate) use on_reader;

impl Store {
    /// Where page reads go: the replica when there is one and it is not set aside, else
    /// the primary.
    pub(super) fn reader(&self) -> &Pool {
        match &self.replica {
            Some(r) if r.is_up() => &r.pool,
            _ => &self.pool,
        }
    }

    /// Where a read goes whose answer later reads must not be older than (a position a
    /// client follows a log from): the replica whenever there is one, with no fallback,
    /// since the primary's answer may be newer than what the replica shows next.
    pub(super) fn steady_reader(&self) -> &Pool {
        self.replica.as_ref().map_or(&self.pool, |r| &r.pool)
    }

    /// After a read on `used` failed with `e`: whether to run it again on the primary.
    /// Only failures on the replica are, and only those of the database (a damaged row is
    /// damaged on the primary too).
    pub(super) fn read_again(&self, used: &Pool, e: &Error) -> bool {
        let Some(r) = &self.replica else {
            return false;
        };
        if !std::ptr::eq(used, &r.pool) || !e.is_database() {
            return false;
        }
        if e.is_recovery_conflict() {
            tracing::debug!(
                "read replica cancelled a read (conflict with recovery); reading from the primary"
            );
        } else {
            r.set_aside(e);
        }
        true
    }

    /// The write generation pages are cached by: read where pages read, so that a page is
    /// never rendered from an older state than the generation it is kept under. With the
    /// replica set aside it is the primary's, and the replica comes back only once it has
    /// replayed the newest one handed out (see the module's comment).
    pub async fn generation(&self) -> Result<i64> {
        let Some(r) = &self.replica else {
            return read_generation(&self.pool).await;
        };
        if r.is_up() {
            match read_generation(&r.pool).await {
                Ok(g) => return Ok(g),
                Err(e) => r.set_aside(&e),
            }
        }
        let switch = r.switch.lock().await;
        // Brought back while this waited: the primary's generation may be newer than the
        // replica's pages.
        if r.is_up() {
            match read_generation(&r.pool).await {
                Ok(g) => return Ok(g),
                Err(e) => r.set_aside(&e),
            }
        }
        let g = read_generation(&self.pool).await?;
        r.floor.fetch_max(g, Ordering::AcqRel);
        drop(switch);
        r.probe_if_due();
        Ok(g)
    }

    /// The store the search index follows the change queue through for one round: the
    /// replica, or the primary while it is set aside, and not both. The queue and the
    /// messages it names must be read from one database: entries read from the primary
    /// could name messages a lagging replica does not show yet, which the index would then
    /// take as removed.
    pub fn for_search(&self) -> Store {
        match &self.replica {
            Some(r) if r.is_up() => Store {
                pool: r.pool.clone(),
                replica: None,
                dir: self.dir.clone(),
            },
            _ => self.clone(),
        }
    }

    /// After a round of [`Store::for_search`] failed: a database failure while the replica
    /// was in use sets it aside, so that the next round reads from the primary.
    pub fn search_round_failed(&self, e: &anyhow::Error) {
        if let (Some(r), Some(e)) = (&self.replica, e.downcast_ref::<Error>())
            && e.is_database()
            && !e.is_recovery_conflict()
        {
            r.set_aside(e);
        }
    }

    /// Which database pages read from, for the server's log.
    pub fn reads_from(&self) -> String {
        match &self.replica {
            None => "the database".into(),
            Some(r) if r.is_up() => format!("the read replica {}", r.label),
            Some(r) => format!("the primary until the read replica {} answers", r.label),
        }
    }
}

//! Live archiving in the server: a task that moves spooled deliveries into the store as
//! they arrive. It sits on top of the stages (it joins the spool, the pipeline and the
//! write lock) so that neither the web layer nor the pipeline has to know the other.
//!
//! The drain takes the data directory's write lock only while it writes, and only if it is
//! free: while an import holds it, deliveries wait in the spool (they are already safe
//! there) and go in as soon as the import ends.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, WriteLock};
use crate::ingest;
use crate::store::Store;
use crate::store::spool::{DeliveryStats, Spool};

/// How often the spool is looked at when idle: a delivery shows within this plus the time
/// to store and index it. A look is one read of an empty directory, so it can be often.
const POLL: Duration = Duration::from_millis(50);

/// After a failed round (store busy or failing), wait this long before the next.
const BACKOFF: Duration = Duration::from_secs(2);

/// The running drain task.
pub struct Drainer {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drainer {
    /// Starts draining `spool` into `store`. Lists first seen here are created as their
    /// delivery said, else as `larch.toml` says (private unless it says otherwise).
    pub fn spawn(
        data: PathBuf,
        store: Store,
        spool: Arc<Spool>,
        stats: Arc<DeliveryStats>,
        config: Arc<Config>,
    ) -> Drainer {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let pause =
                    match drain_while_waiting(&data, &store, &spool, &stats, &config, &stopped)
                        .await
                    {
                        Ok(()) => POLL,
                        Err(e) => {
                            DeliveryStats::add(&stats.drain_failures, 1);
                            tracing::warn!("spool drain failed, will retry: {e:#}");
                            BACKOFF
                        }
                    };
                if *stopped.borrow() {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Drainer { stop, task }
    }

    /// Stops after the round in progress (its messages committed, their files removed);
    /// what is left waits in the spool for the next start.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Drains round after round while messages wait and the write lock is free.
async fn drain_while_waiting(
    data: &std::path::Path,
    store: &Store,
    spool: &Spool,
    stats: &DeliveryStats,
    config: &Config,
    stopped: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if spool.depth() == 0 {
        return Ok(());
    }
    let Some(_lock) = WriteLock::try_acquire(data, 0)? else {
        // An import holds the store; the messages are safe where they are.
        return Ok(());
    };
    while !*stopped.borrow() {
        let report = ingest::drain_round(store, spool, &|l| config.live_private(l), stats).await?;
        if report.taken == 0 && report.unreadable.is_empty() {
            break;
        }
        tracing::debug!(
            "stored {} spooled messages: {}",
            report.taken,
            report.summary
        );
    }
    Ok(())
}

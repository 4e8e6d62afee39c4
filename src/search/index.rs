//! The index's life: opening (and rebuilding what cannot be opened), applying the store's
//! change queue in order with the last applied sequence number committed alongside, and
//! the task that keeps a running server's index current.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tantivy::directory::error::LockError;
use tantivy::{ReloadPolicy, TantivyError, Term};

use super::schema::{Entry, open_index, schema};
use super::{PAYLOAD_PREFIX, Search};
use crate::store::{IndexDoc, Store};

/// The writer, fed [`Entry`]s.
type IndexWriter = tantivy::IndexWriter<Entry>;

/// At least this often an index following a shared store commits what it applied (see
/// [`Search::apply_queue`]).
const SHARED_COMMIT: std::time::Duration = std::time::Duration::from_millis(500);

const WRITER_HEAP_PER_THREAD: usize = 64 << 20;
/// Commit at least this often during long catch-ups so a crash loses little work.
const COMMIT_EVERY: usize = 100_000;
/// KiB of message text the index writer's queue may hold (see [`Entry::weight`]).
pub(super) const QUEUE_KIB: u32 = 32 * 1024;
/// Queue entries read and indexed at a time: their messages' texts are read from the
/// store at once, so this bounds what a long catch-up (an import's) holds besides the
/// writer's queue.
const QUEUE_BATCH: i64 = 2_000;

impl Search {
    /// Opens the index in `dir`, creating it when missing. An index that cannot be opened
    /// (damaged, or written by another version) is moved aside and rebuilt: it is derived.
    pub fn open(dir: &Path) -> anyhow::Result<Search> {
        let (schema, f) = schema();
        let index = match open_index(dir, &schema) {
            Ok(i) => i,
            Err(e) => {
                let aside = dir.with_extension(format!("broken-{}", std::process::id()));
                tracing::warn!(
                    "search index at {} cannot be used ({e:#}); moving it to {} and rebuilding",
                    dir.display(),
                    aside.display()
                );
                std::fs::rename(dir, &aside)
                    .with_context(|| format!("cannot move {} aside", dir.display()))?;
                open_index(dir, &schema)?
            }
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Search {
            index,
            reader,
            f,
            busy: Default::default(),
            queue_budget: Arc::new(tokio::sync::Semaphore::new(QUEUE_KIB as usize)),
            applied_seen: Mutex::new(None),
            position: Arc::new(AtomicI64::new(-1)),
            skipped: Default::default(),
            failures: Default::default(),
        })
    }

    /// The index beside a store.
    pub fn for_store(store: &Store) -> anyhow::Result<Search> {
        Search::open(&store.dir().join("search"))
    }

    /// The last store change applied, or `None` for an index never built.
    pub fn applied(&self) -> Option<i64> {
        let metas = self.index.load_metas().ok()?;
        metas
            .payload?
            .strip_prefix(PAYLOAD_PREFIX)?
            .trim()
            .parse()
            .ok()
    }

    /// How many queued store changes the index has not applied yet.
    pub async fn lag(&self, store: &Store) -> anyhow::Result<i64> {
        let head = store.search_queue_head().await?;
        let applied = {
            let mut seen = self
                .applied_seen
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            match *seen {
                Some((at, a)) if at.elapsed() < std::time::Duration::from_millis(250) => a,
                _ => {
                    let a = self.applied();
                    *seen = Some((std::time::Instant::now(), a));
                    a
                }
            }
        };
        Ok(match applied {
            Some(a) => (head - a).max(0),
            None => head.max(1),
        })
    }

    fn note_skipped(&self, n: u64) {
        self.skipped
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Damaged message rows left out of the index since the process started.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Catch-ups that failed in a row (0 when the last one worked).
    pub fn failures(&self) -> u32 {
        self.failures.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn writer(&self, threads: usize) -> anyhow::Result<Option<IndexWriter>> {
        match self
            .index
            .writer_with_num_threads(threads, WRITER_HEAP_PER_THREAD * threads)
        {
            Ok(w) => Ok(Some(w)),
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies the store's pending changes. Returns how many entries were written, or
    /// `None` when another process holds the index (it will do the work).
    pub async fn catch_up(&self, store: &Store) -> anyhow::Result<Option<usize>> {
        self.catch_up_until(store, &AtomicBool::new(false)).await
    }

    /// [`Search::catch_up`], ending early once `stop` is set: what was applied by then is
    /// committed (the queue is applied in order, so the next round resumes right after it),
    /// except in a first build, which is dropped whole (a part of it committed would claim
    /// the messages not yet read).
    async fn catch_up_until(
        &self,
        store: &Store,
        stop: &AtomicBool,
    ) -> anyhow::Result<Option<usize>> {
        let _g = self.busy.lock().await;
        let head = store.search_queue_head().await?;
        if self.applied().is_some_and(|a| a >= head) {
            return Ok(Some(0));
        }
        let Some(writer) = self.writer(1)? else {
            return Ok(None);
        };
        // Re-read under the writer lock: another process may have just committed.
        let Some(from) = self.applied() else {
            return self
                .rebuild_with(store, writer, &|_, _| {}, stop)
                .await
                .map(Some);
        };
        self.apply_queue(store, writer, from, stop, None).await
    }

    /// The queue position this index is applying, published as it goes (negative when no
    /// round is running), for an import to pace itself by.
    pub fn position(&self) -> Arc<AtomicI64> {
        self.position.clone()
    }

    /// Applies the store's changes while another task of this process writes them (an
    /// import), one writer kept open throughout, until `done` is set and the queue is
    /// empty. Indexing then overlaps the import instead of following it, so the archive
    /// is searchable when the import ends, in less time than an import and a rebuild
    /// one after the other. `None` when another process holds the index (a running
    /// server, which applies the changes itself).
    pub async fn follow(&self, store: &Store, done: &AtomicBool) -> anyhow::Result<Option<usize>> {
        let _g = self.busy.lock().await;
        let Some(writer) = self.writer(1)? else {
            return Ok(None);
        };
        let never = AtomicBool::new(false);
        let (writer, from, built) = match self.applied() {
            Some(from) => (writer, from, 0),
            None => {
                // Never built: build from what is stored so far, then follow the queue.
                let built = self.rebuild_with(store, writer, &|_, _| {}, &never).await?;
                let Some(writer) = self.writer(1)? else {
                    return Ok(Some(built));
                };
                let from = self.applied().unwrap_or(0);
                (writer, from, built)
            }
        };
        let n = self
            .apply_queue(store, writer, from, &never, Some(done))
            .await?;
        Ok(n.map(|n| n + built))
    }

    /// Applies the queue after `from` with `writer`, committing every [`COMMIT_EVERY`]
    /// entries and at the end. With `more`, an empty queue is waited on until `more` is
    /// set; without, it ends the round.
    async fn apply_queue(
        &self,
        store: &Store,
        writer: IndexWriter,
        from: i64,
        stop: &AtomicBool,
        more: Option<&AtomicBool>,
    ) -> anyhow::Result<Option<usize>> {
        let writer = Arc::new(Mutex::new(writer));
        let mut pos = from;
        let position = Published(&self.position);
        position.set(pos);
        let mut written = 0;
        let mut since_commit = 0;
        // Entries added since the last commit: the reader does not see them yet. What
        // other processes committed before this writer was taken, it must see (see
        // [`Search::indexed`]).
        self.reader.reload()?;
        let mut fresh = std::collections::HashSet::new();
        // On a shared store the other servers' deliveries arrive in this queue too, and
        // this data directory's server reads this index: they must show within a second
        // or two, not when an import's next commit comes.
        let mut committed = std::time::Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if store.is_shared() && since_commit > 0 && committed.elapsed() >= SHARED_COMMIT {
                self.commit(&writer, pos).await?;
                since_commit = 0;
                fresh.clear();
                committed = std::time::Instant::now();
            }
            // Read before the queue: once the writer says it is done, one more empty
            // read means nothing is left.
            let finished = more.is_none_or(|m| m.load(Ordering::Acquire));
            let batch = store.search_queue_after(pos, QUEUE_BATCH).await?;
            let Some(&(last, _)) = batch.last() else {
                if finished {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let mut ids: Vec<i64> = batch.iter().map(|b| b.1).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut skipped = 0;
            let docs = store.index_docs(&ids, &mut skipped).await?;
            self.note_skipped(skipped);
            written += docs.len();
            since_commit += docs.len();
            let delete = self.indexed(ids, &fresh);
            fresh.extend(docs.iter().map(|d| d.id));
            self.apply(&writer, delete, docs).await?;
            pos = last;
            position.set(pos);
            if since_commit >= COMMIT_EVERY {
                self.commit(&writer, pos).await?;
                since_commit = 0;
                fresh.clear();
                committed = std::time::Instant::now();
            }
        }
        self.commit(&writer, pos).await?;
        if stop.load(Ordering::Relaxed) {
            // Merges can take minutes on a large index; a stopping server cannot wait.
            release(writer).await?;
        } else {
            finish(writer).await?;
        }
        store.search_queue_prune(pos).await?;
        Ok(Some(written))
    }

    /// Rebuilds the index from the store. `progress(done, total)` is called as it goes.
    /// Waits (up to a minute) while another process holds the index.
    pub async fn rebuild(
        &self,
        store: &Store,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> anyhow::Result<usize> {
        let _g = self.busy.lock().await;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        // A running server holds the index only while it applies new mail: wait for it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let writer = loop {
            if let Some(w) = self.writer(threads)? {
                break w;
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!(
                    "the search index stayed in use by another larch process for a minute; try again later"
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        self.rebuild_with(store, writer, progress, &AtomicBool::new(false))
            .await
    }

    /// Builds the whole index with `writer`; abandoned, nothing committed, once `stop` is
    /// set.
    async fn rebuild_with(
        &self,
        store: &Store,
        writer: IndexWriter,
        progress: &(dyn Fn(u64, u64) + Sync),
        stop: &AtomicBool,
    ) -> anyhow::Result<usize> {
        // Changes queued after this point are applied by the next catch-up.
        let head = store.search_queue_head().await?;
        let total = store.message_count().await?.max(0) as u64;
        writer.delete_all_documents()?;
        let writer = Arc::new(Mutex::new(writer));
        let mut after = 0;
        let mut written = 0;
        // Read the next page from the store while the previous one is being indexed.
        let mut pending: Option<tokio::task::JoinHandle<anyhow::Result<()>>> = None;
        loop {
            let mut skipped = 0;
            let (docs, last) = store.index_docs_page(after, 2_000, &mut skipped).await?;
            self.note_skipped(skipped);
            if let Some(h) = pending.take() {
                h.await??;
            }
            let Some(last) = last else { break };
            if stop.load(Ordering::Relaxed) {
                // Dropped uncommitted: a part of a build committed would claim the rest.
                release(writer).await?;
                return Ok(0);
            }
            after = last;
            written += docs.len();
            pending = Some(self.spawn_apply(&writer, Vec::new(), docs));
            progress(written as u64, total);
        }
        self.commit(&writer, head).await?;
        finish(writer).await?;
        store.search_queue_prune(head).await?;
        Ok(written)
    }

    /// Those of `ids` that may have an entry to replace: committed ones (a term lookup) and
    /// those in `fresh`. A new message has none, and asking the writer to delete it anyway
    /// is not free: each delete is held (about 700 bytes) until the next commit and then
    /// searched for in every segment: indexing while importing held up to 70 MB of deletes
    /// (one per message between two commits) for messages that were never indexed.
    fn indexed(&self, ids: Vec<i64>, fresh: &std::collections::HashSet<i64>) -> Vec<i64> {
        let searcher = self.reader.searcher();
        ids.into_iter()
            .filter(|id| {
                fresh.contains(id)
                    || searcher
                        .doc_freq(&Term::from_field_u64(self.f.id, *id as u64))
                        .map_or(true, |n| n > 0)
            })
            .collect()
    }

    async fn apply(
        &self,
        writer: &Arc<Mutex<IndexWriter>>,
        delete: Vec<i64>,
        docs: Vec<IndexDoc>,
    ) -> anyhow::Result<()> {
        self.spawn_apply(writer, delete, docs).await?
    }

    /// Deletes the entries of `delete`, then adds `docs`, on a blocking thread.
    fn spawn_apply(
        &self,
        writer: &Arc<Mutex<IndexWriter>>,
        delete: Vec<i64>,
        docs: Vec<IndexDoc>,
    ) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        let w = writer.clone();
        let f = self.f;
        let budget = self.queue_budget.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let w = w
                .lock()
                .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
            for id in delete {
                w.delete_term(Term::from_field_u64(f.id, id as u64));
            }
            for d in docs {
                let mut e = Entry::new(f, d);
                // Waits while the writer's queue holds its budget's worth of text.
                e.permit = futures::executor::block_on(
                    budget.clone().acquire_many_owned(e.weight().min(QUEUE_KIB)),
                )
                .ok();
                w.add_document(e)?;
            }
            Ok(())
        })
    }

    async fn commit(&self, writer: &Arc<Mutex<IndexWriter>>, seq: i64) -> anyhow::Result<()> {
        let w = writer.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut w = w
                .lock()
                .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
            let mut c = w.prepare_commit()?;
            c.set_payload(&format!("{PAYLOAD_PREFIX}{seq}"));
            crate::pause::pause_at("index-commit");
            c.commit()?;
            Ok(())
        })
        .await??;
        // Searchable now, not after merges finish or the file watcher notices.
        self.reader.reload()?;
        Ok(())
    }
}

/// Lets a writer go without waiting for its merges (a merge left unfinished is redone
/// later) and drops what it has not committed. Dropping a writer joins its indexing
/// threads, so it happens on the blocking pool.
async fn release(writer: Arc<Mutex<IndexWriter>>) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || drop(writer)).await?;
    Ok(())
}

async fn finish(writer: Arc<Mutex<IndexWriter>>) -> anyhow::Result<()> {
    // Wait for merges so that segments do not pile up across many small catch-ups.
    let Ok(m) = Arc::try_unwrap(writer) else {
        return Ok(());
    };
    let w = m
        .into_inner()
        .map_err(|_| anyhow::anyhow!("index writer poisoned"))?;
    tokio::task::spawn_blocking(move || w.wait_merging_threads()).await??;
    Ok(())
}

/// The task that keeps a running server's index current; see [`spawn_indexer`].
pub struct Indexer {
    stop: Arc<StopFlag>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct StopFlag {
    set: AtomicBool,
    wake: tokio::sync::Notify,
}

impl Indexer {
    /// A handle that asks the task to stop, for a caller that starts the stop elsewhere
    /// (alongside other things) and waits for it later with [`Indexer::stop`].
    pub fn stopper(&self) -> IndexerStop {
        IndexerStop(self.stop.clone())
    }

    /// Stops the task and waits for it, up to `limit`: a round in progress commits what it
    /// has applied first. `false` when it was still running at the limit (a slow commit:
    /// the store's queue keeps what was not applied, so the next start does it).
    pub async fn stop(self, limit: std::time::Duration) -> bool {
        self.stopper().request();
        tokio::time::timeout(limit, self.task).await.is_ok()
    }
}

/// Asks an [`Indexer`] to stop.
#[derive(Clone)]
pub struct IndexerStop(Arc<StopFlag>);

impl IndexerStop {
    /// Returns at once; the task ends after its round in progress.
    pub fn request(&self) {
        self.0.set.store(true, Ordering::Relaxed);
        // A stored permit: the task sees it even if it is not waiting at this moment.
        self.0.wake.notify_one();
    }
}

/// Keeps the index of a running server up to date: polls the store's queue twice a
/// second and applies what is new, so imported or ingested mail is searchable within
/// about a second. Dropping the returned handle leaves the task running.
pub fn spawn_indexer(store: Store, search: Arc<Search>) -> Indexer {
    let stop = Arc::new(StopFlag::default());
    let flag = stop.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // After a failure (a full disk, say), wait longer each time, up to a minute, so
        // the log is not flooded; the queue keeps every change meanwhile.
        let mut failures: u32 = 0;
        let mut wait = std::time::Duration::ZERO;
        loop {
            tokio::select! {
                () = async {
                    tokio::time::sleep(wait).await;
                    tick.tick().await;
                } => {}
                () = flag.wake.notified() => {}
            }
            if flag.set.load(Ordering::Relaxed) {
                break;
            }
            // Its own task, so that even a panic is a failed round, not a dead indexer. The
            // round reads from one database (the read replica while it answers).
            let (st, se, fl) = (store.for_search(), search.clone(), flag.clone());
            let round = tokio::spawn(async move { se.catch_up_until(&st, &fl.set).await })
                .await
                .unwrap_or_else(|e| Err(anyhow::anyhow!("catch-up panicked: {e}")));
            match round {
                Ok(n) => {
                    search.failures.store(0, Ordering::Relaxed);
                    if let Some(n) = n.filter(|n| *n > 0) {
                        tracing::info!("search index: {n} entries updated");
                    }
                    failures = 0;
                    wait = std::time::Duration::ZERO;
                }
                Err(e) => {
                    store.search_round_failed(&e);
                    failures = failures.saturating_add(1);
                    search.failures.store(failures, Ordering::Relaxed);
                    wait = std::time::Duration::from_millis(500)
                        .saturating_mul(1 << failures.min(7))
                        .min(std::time::Duration::from_secs(60));
                    tracing::warn!("search index catch-up failed: {e:#}; retrying in {wait:?}");
                }
            }
        }
        tracing::debug!("search indexer stopped");
    });
    Indexer { stop, task }
}

/// Where the index lives for a data directory.
pub fn index_dir(data: &Path) -> PathBuf {
    data.join("search")
}

/// The position a round of [`Search::apply_queue`] publishes; negative again when the round
/// ends, however it ends, so that nothing waits on an index that has stopped.
struct Published<'a>(&'a AtomicI64);

impl Published<'_> {
    fn set(&self, pos: i64) {
        self.0.store(pos, Ordering::Release);
    }
}

impl Drop for Published<'_> {
    fn drop(&mut self) {
        self.0.store(-1, Ordering::Release);
    }
}

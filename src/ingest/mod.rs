//! Import pipeline: sources -> raw messages -> normalized messages -> store + threads.
//!
//! Reading and parsing run on their own thread; the store writes batches of messages in
//! single transactions together with the threading changes they cause, so a crash at any
//! point leaves a consistent store and re-running the import completes it with no
//! duplicates. Memory stays bounded: no message is held beyond the size limit
//! ([`DEFAULT_MAX_MESSAGE_SIZE`] unless the caller sets one), and the messages in flight
//! between the two sides are bounded both in number and in bytes ([`IN_FLIGHT_BYTES`]).

pub mod mbox;
pub mod pipermail;
pub mod source;

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::month::utc_month;
use crate::domain::normalize::{self, Normalized, Origin};
use crate::domain::thread::{Incoming, Threader};
use source::{Event, Format, RawItem};

use crate::store::{Batch, ListRow, Member, NewMessage, Store, spool};

/// Messages per transaction: large enough to amortize commits (each writes every index page
/// its batch touched to the log; 4,000 rather than 1,000 made an import about 15 % faster),
/// small enough to keep a batch's memory and a crash's lost work small.
const BATCH: usize = 4000;
/// [`BATCH`] on a shared store (PostgreSQL): writes are one transaction at a time there too,
/// and the other servers' live deliveries wait for an import's batch to commit; a small
/// batch keeps that wait well under a second, for some of the import's speed.
const SHARED_BATCH: usize = 250;

/// How far, in queue entries, an import on a shared store may run ahead of its own search
/// index ([`ImportOptions::indexed`]): two batches, so the index always has the next one
/// to work on, and a delivery behind them waits for at most that much indexing.
const SHARED_LAG: i64 = 2 * SHARED_BATCH as i64;

/// An index that has not moved for this long is not keeping up for some reason of its own
/// (rebuilding, stuck): the import goes on without it rather than wait.
const PACE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits until the search index following this import is within [`SHARED_LAG`] entries of
/// the queue's head, or has not moved for [`PACE_PATIENCE`].
async fn keep_pace(store: &Store, indexed: &std::sync::atomic::AtomicI64) -> anyhow::Result<()> {
    use std::sync::atomic::Ordering;
    let head = store.search_queue_head().await?;
    let mut last = indexed.load(Ordering::Acquire);
    let mut moved = std::time::Instant::now();
    while last >= 0 && head - last > SHARED_LAG && moved.elapsed() < PACE_PATIENCE {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let now = indexed.load(Ordering::Acquire);
        if now != last {
            last = now;
            moved = std::time::Instant::now();
        }
    }
    Ok(())
}

/// Largest message an import or a live delivery takes, unless configured otherwise (see
/// [`crate::domain::MAX_MESSAGE_SIZE`]); a larger one is rejected, with its source and
/// offset, and never read into memory whole.
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = crate::domain::MAX_MESSAGE_SIZE;

/// What the reject record of an oversized message keeps of it: its start, which holds the
/// headers that identify it. The source file and offset locate the rest.
pub const OVERSIZED_KEPT_BYTES: usize = crate::domain::OVERSIZED_KEPT_BYTES;

/// Bytes of parsed messages waiting between the reader and the store. The channel bounds
/// their number; this bounds their weight, so a run of large messages cannot pile up. A
/// message heavier than this still passes, alone.
pub const IN_FLIGHT_BYTES: u64 = 64 * 1024 * 1024;

/// How an import treats its input.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Messages larger than this many bytes are rejected without being read whole.
    pub max_message_size: u64,
    /// The privacy of the list if the import creates it (`None`: public, as pipermail's
    /// archives were by default). An existing list keeps its own.
    pub private: Option<bool>,
    /// Archive messages that ask not to be (`X-No-Archive`, `Archive: no`), for an archive
    /// whose owner decided otherwise.
    pub archive_all: bool,
    /// The change-queue position this process's search index has applied (negative while
    /// it is not following the queue), published by the index as it follows the import.
    /// On a shared store the import keeps within [`SHARED_LAG`] entries of it: the other
    /// servers' live deliveries queue behind the import's messages, and must be searchable
    /// on this server within seconds, not when the index has caught up with the import.
    pub indexed: Option<std::sync::Arc<std::sync::atomic::AtomicI64>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            private: None,
            archive_all: false,
            indexed: None,
        }
    }
}

/// The reject reason of a message over the size limit.
pub fn oversized_reason(limit: u64) -> String {
    format!("message larger than {limit} bytes")
}

/// What an import did; read = new + duplicate + rejected + no_archive, always.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub read: u64,
    pub new: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Messages not archived because they asked not to be (`X-No-Archive: yes`,
    /// `X-Archive: no`, `Archive: no`), as Mailman does.
    pub no_archive: u64,
    /// `Some(private)` when this run created the list.
    pub created_private: Option<bool>,
    /// Of `new`: messages already stored for another list (cross-posts).
    pub cross_posted: u64,
    /// Of `new`: a Message-ID already taken by different content, kept under another key.
    pub variants: u64,
    pub threads: i64,
    pub skipped_files: Vec<(PathBuf, String)>,
    /// `Content-Length` headers that the mbox contradicted and that were therefore ignored
    /// (the messages were cut by their `From ` lines instead). Not messages: read is
    /// unaffected.
    pub content_length_ignored: u64,
}

impl Summary {
    /// Adds another run's message counts (read, new, duplicate, rejected, skipped) to
    /// these, for totals over several runs.
    pub fn add_counts(&mut self, other: &Summary) {
        self.read += other.read;
        self.new += other.new;
        self.duplicate += other.duplicate;
        self.rejected += other.rejected;
        self.no_archive += other.no_archive;
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {}, new {}, duplicate {}, rejected {}, threads {}",
            self.read, self.new, self.duplicate, self.rejected, self.threads
        )?;
        if self.no_archive > 0 {
            write!(f, "; skipped: X-No-Archive {}", self.no_archive)?;
        }
        if self.cross_posted > 0 || self.variants > 0 {
            write!(
                f,
                " ({} already archived for another list, {} reusing a Message-ID)",
                self.cross_posted, self.variants
            )?;
        }
        if !self.skipped_files.is_empty() {
            write!(f, "; {} files skipped (no mail)", self.skipped_files.len())?;
        }
        if self.content_length_ignored > 0 {
            write!(
                f,
                "; {} Content-Length headers ignored (contradicted by the mbox)",
                self.content_length_ignored
            )?;
        }
        Ok(())
    }
}

enum Parsed {
    Message {
        source: Arc<str>,
        offset: u64,
        n: Box<Normalized>,
        raw_z: Vec<u8>,
        raw_size: usize,
        number: Numbering,
        month: Option<i64>,
        /// Attachments read back from the pipermail tree: their old paths under
        /// `attachments/` and their index among the message's attachments.
        scrubbed: Vec<(String, i64)>,
    },
    Reject {
        source: Arc<str>,
        offset: u64,
        reason: String,
        raw: Vec<u8>,
    },
    Skipped(PathBuf, String),
    ContentLengthIgnored,
    /// The message asks not to be archived.
    NoArchive,
}

/// How a message gets its pipermail article number.
enum Numbering {
    /// From the month's HTML page.
    Html(i64),
    /// The month has HTML pages but none names this message: no number.
    Unknown,
    /// No HTML: the next number in archive order.
    Position,
}

/// Whether a message asks not to be archived, read as Mailman reads it: any `X-No-Archive`
/// header (common practice writes `yes`, and no other value makes sense), `X-Archive: no`,
/// and RFC 5064's `Archive: no`. Only the header block is read, once, line by line.
pub fn asks_not_to_be_archived(raw: &[u8]) -> bool {
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        let value_no = || {
            // The value with its folded continuation lines does not matter beyond its
            // first word.
            let v = line[colon + 1..].trim_ascii();
            let word = v.split(|&b| b == b';' || b.is_ascii_whitespace()).next();
            word.is_some_and(|w| w.eq_ignore_ascii_case(b"no"))
        };
        if name.eq_ignore_ascii_case(b"x-no-archive")
            || (name.eq_ignore_ascii_case(b"x-archive") || name.eq_ignore_ascii_case(b"archive"))
                && value_no()
        {
            return true;
        }
    }
    false
}

fn parse_item(item: RawItem, archive_all: bool) -> Parsed {
    if let Some(reason) = item.reject {
        return Parsed::Reject {
            source: item.source,
            offset: item.offset,
            reason,
            raw: item.data,
        };
    }
    if !archive_all && asks_not_to_be_archived(&item.data) {
        return Parsed::NoArchive;
    }
    let origin = Origin {
        envelope: item.envelope.as_deref(),
        pipermail: item.pipermail,
    };
    match normalize::normalize(&item.data, origin) {
        Ok(mut n) => match crate::store::compress(&item.data) {
            Ok(raw_z) => {
                let number = match &item.html_slot {
                    Some(slot) => slot
                        .number_for(&n.message_id)
                        .map_or(Numbering::Unknown, Numbering::Html),
                    None => Numbering::Position,
                };
                let month = item.month.or_else(|| n.date.and_then(utc_month));
                let mut scrubbed = Vec::new();
                if let Some(at) = &item.scrubbed {
                    for r in pipermail::recover_scrubbed(&n.body_text, at) {
                        scrubbed.push((r.path, n.attachments.len() as i64));
                        n.attachments.push(r.attachment);
                    }
                }
                Parsed::Message {
                    scrubbed,
                    source: item.source,
                    offset: item.offset,
                    n: Box::new(n),
                    raw_size: item.data.len(),
                    raw_z,
                    number,
                    month,
                }
            }
            Err(e) => Parsed::Reject {
                source: item.source,
                offset: item.offset,
                reason: format!("cannot compress: {e}"),
                raw: item.data,
            },
        },
        Err(e) => Parsed::Reject {
            source: item.source,
            offset: item.offset,
            reason: e.to_string(),
            raw: item.data,
        },
    }
}

/// Progress reporting, so the CLI can draw a bar and tests can stay quiet.
pub trait Progress: Send {
    fn tick(&self, _read: u64) {}
}
impl Progress for () {}

/// Imports `paths` into list `list_name` with the default options.
pub async fn import(
    store: &Store,
    list_name: &str,
    paths: &[PathBuf],
    format: Format,
    progress: &dyn Progress,
) -> anyhow::Result<Summary> {
    let options = ImportOptions::default();
    import_with(store, list_name, paths, format, progress, &options).await
}

/// How much of the in-flight budget an item takes, in KiB (the semaphore counts in u32).
fn weight_kib(p: &Parsed) -> u32 {
    let bytes = match p {
        Parsed::Message { n, raw_z, .. } => {
            raw_z.len()
                + n.body_text.len()
                + n.body_html.as_ref().map_or(0, String::len)
                + n.attachments.iter().map(|a| a.data.len()).sum::<usize>()
        }
        Parsed::Reject { raw, .. } => raw.len(),
        Parsed::Skipped(..) | Parsed::ContentLengthIgnored | Parsed::NoArchive => 0,
    };
    let kib = (bytes as u64 / 1024 + 1).min(IN_FLIGHT_BYTES / 1024);
    u32::try_from(kib).unwrap_or(u32::MAX)
}

/// Imports `paths` into list `list_name`.
pub async fn import_with(
    store: &Store,
    list_name: &str,
    paths: &[PathBuf],
    format: Format,
    progress: &dyn Progress,
    options: &ImportOptions,
) -> anyhow::Result<Summary> {
    source::check_paths(paths).map_err(|e| anyhow::anyhow!(e))?;
    let private = options.private.unwrap_or(false);
    let mut writer = ListWriter::open(store, list_name, private, Threading::Whole).await?;

    type Item = (Parsed, Option<tokio::sync::OwnedSemaphorePermit>);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Item>(2 * BATCH);
    let budget = Arc::new(tokio::sync::Semaphore::new(
        (IN_FLIGHT_BYTES / 1024) as usize,
    ));
    let paths_owned = paths.to_vec();
    let max_message_size = options.max_message_size;
    let archive_all = options.archive_all;
    let reader = std::thread::spawn(move || {
        source::walk(&paths_owned, format, max_message_size, &mut |ev| {
            let parsed = match ev {
                Event::Message(item) => parse_item(item, archive_all),
                Event::Skipped(p, why) => Parsed::Skipped(p, why),
                Event::ContentLengthIgnored => Parsed::ContentLengthIgnored,
                Event::NumbersByPosition => return true,
            };
            // Permits come back as the store side drops the items, also when it stops
            // early (the channel then drops what it holds), so this wait always ends.
            let permit =
                futures::executor::block_on(budget.clone().acquire_many_owned(weight_kib(&parsed)))
                    .ok();
            tx.blocking_send((parsed, permit)).is_ok()
        });
    });

    let batch = if store.is_shared() {
        SHARED_BATCH
    } else {
        BATCH
    };
    let mut pending: Vec<Item> = Vec::with_capacity(batch);
    loop {
        let got = rx.recv_many(&mut pending, batch).await;
        if got == 0 {
            break;
        }
        // Fill the batch up a little more while the reader keeps pace.
        while pending.len() < batch {
            match rx.try_recv() {
                Ok(p) => pending.push(p),
                Err(_) => break,
            }
        }
        writer.write_batch(store, pending.drain(..)).await?;
        progress.tick(writer.summary.read);
        if let Some(indexed) = &options.indexed
            && store.is_shared()
        {
            keep_pace(store, indexed).await?;
        }
    }
    if reader.join().is_err() {
        anyhow::bail!("the reader thread failed");
    }
    writer.finish(store).await
}

/// One message from a live delivery, read up to the size limit.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The message, or for one over the limit its first [`OVERSIZED_KEPT_BYTES`].
    pub data: Vec<u8>,
    /// `Some(limit)` when the input was larger than `limit` bytes.
    pub over_limit: Option<u64>,
}

impl Delivery {
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.over_limit.is_none()
    }
}

/// Reads one message (standard input, a pipe) without ever holding more than `limit` bytes
/// of it. Past the limit the rest is read and discarded, so the writer on the other side of
/// a pipe finishes normally.
pub fn read_delivery(r: &mut dyn Read, limit: u64) -> std::io::Result<Delivery> {
    let mut data = Vec::new();
    r.take(limit.saturating_add(1)).read_to_end(&mut data)?;
    if data.len() as u64 <= limit {
        return Ok(Delivery {
            data,
            over_limit: None,
        });
    }
    data.truncate(OVERSIZED_KEPT_BYTES);
    data.shrink_to_fit();
    std::io::copy(r, &mut std::io::sink())?;
    Ok(Delivery {
        data,
        over_limit: Some(limit),
    })
}

/// Stores one message delivered live straight into the store, in its own transaction,
/// bypassing the spool (tests, tools). A leading mbox envelope line is dropped. A message
/// that cannot be parsed is kept as a reject, as during imports; only storage failures are
/// errors. A message over [`DEFAULT_MAX_MESSAGE_SIZE`] is a reject.
pub async fn ingest_one(store: &Store, list_name: &str, data: Vec<u8>) -> anyhow::Result<Summary> {
    let over_limit =
        (data.len() as u64 > DEFAULT_MAX_MESSAGE_SIZE).then_some(DEFAULT_MAX_MESSAGE_SIZE);
    let mut data = data;
    if over_limit.is_some() {
        data.truncate(OVERSIZED_KEPT_BYTES);
    }
    ingest_delivery(store, list_name, Delivery { data, over_limit }).await
}

/// [`ingest_one`] for a message read by [`read_delivery`]: one over the limit is recorded as
/// a reject with what was kept of it. A list it creates is public.
pub async fn ingest_delivery(
    store: &Store,
    list_name: &str,
    delivery: Delivery,
) -> anyhow::Result<Summary> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let source = format!("delivery/{nanos}.{}", std::process::id());
    let item = delivered_item(source, delivery);
    let mut writer = ListWriter::open(store, list_name, false, Threading::Touched).await?;
    writer
        .write_batch(store, [(parse_item(item, false), None)])
        .await?;
    writer.finish(store).await
}

/// A live delivery as the pipeline's input: its mbox envelope line (which MTAs and
/// Mailman 2's pipe may put first) taken off, a message over the limit a reject.
fn delivered_item(source: String, delivery: Delivery) -> RawItem {
    let Delivery {
        mut data,
        over_limit,
    } = delivery;
    let mut envelope = None;
    if over_limit.is_none() && data.starts_with(b"From ") {
        let end = data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| i + 1);
        envelope = Some(String::from_utf8_lossy(&data[..end]).trim_end().to_string());
        data.drain(..end);
    }
    RawItem {
        source: Arc::from(source),
        offset: 0,
        data,
        envelope,
        pipermail: false,
        html_slot: None,
        month: None,
        scrubbed: None,
        reject: over_limit.map(oversized_reason),
    }
}

/// Messages taken from the spool per round: one transaction per list in the round, so a
/// burst of mail costs a few commits, not one each.
pub const DRAIN_BATCH: usize = 500;

/// Spool bytes read per round, at most (one larger message still passes, alone).
pub const DRAIN_BYTES: u64 = 64 * 1024 * 1024;

/// What one drain round did.
#[derive(Debug, Default)]
pub struct DrainReport {
    /// Spool files taken into the store.
    pub taken: u64,
    /// What became of them, over all lists.
    pub summary: Summary,
    /// Lists this round created, and whether private.
    pub created: Vec<(String, bool)>,
    /// Spool files moved aside as unreadable.
    pub unreadable: Vec<spool::Unreadable>,
}

/// Moves the oldest spooled messages into the store, in arrival order: each list's messages
/// in one transaction, their spool files removed once it committed. A list first seen here
/// is created private when its delivery said `--private`, public when it said `--public`,
/// and otherwise as `private_default` answers for its name.
/// Call it under the data directory's write lock. An error leaves the messages not yet
/// stored in the spool for the next round.
pub async fn drain_round(
    store: &Store,
    spool: &spool::Spool,
    private_default: &(dyn Fn(&str) -> bool + Sync),
    stats: &spool::DeliveryStats,
) -> anyhow::Result<DrainReport> {
    let (taken, unreadable) = spool.take(DRAIN_BATCH, DRAIN_BYTES)?;
    spool::DeliveryStats::add(&stats.unreadable, unreadable.len() as u64);
    for u in &unreadable {
        tracing::error!("spool file {} moved to spool/bad: {}", u.name, u.why);
    }
    let mut report = DrainReport {
        unreadable,
        ..Default::default()
    };
    // Each list's messages together, in the order they arrived.
    let mut groups: Vec<(String, Vec<spool::Spooled>)> = Vec::new();
    for s in taken {
        match groups.iter_mut().find(|(l, _)| *l == s.envelope.list) {
            Some((_, g)) => g.push(s),
            None => groups.push((s.envelope.list.clone(), vec![s])),
        }
    }
    for (list, group) in groups {
        let private = match group[0].envelope.privacy {
            spool::Privacy::Private => true,
            spool::Privacy::Public => false,
            spool::Privacy::Default => private_default(&list),
        };
        let mut writer = ListWriter::open(store, &list, private, Threading::Touched).await?;
        let items: Vec<_> = group
            .iter()
            .map(|s| {
                let delivery = Delivery {
                    data: s.data.clone(),
                    over_limit: s.envelope.over_limit,
                };
                let item = delivered_item(format!("spool/{}", s.name), delivery);
                (parse_item(item, false), None)
            })
            .collect();
        writer.write_batch(store, items).await?;
        spool.done(&group)?;
        let s = &writer.summary;
        if let Some(p) = s.created_private {
            tracing::info!(
                "created list {list} ({}) for a live delivery",
                if p { "private" } else { "public" }
            );
            report.created.push((list.clone(), p));
        }
        report.taken += group.len() as u64;
        use spool::DeliveryStats as D;
        D::add(&stats.drained, group.len() as u64);
        D::add(&stats.stored, s.new);
        D::add(&stats.duplicates, s.duplicate);
        D::add(&stats.rejected, s.rejected);
        D::add(&stats.skipped_no_archive, s.no_archive);
        report.summary.add_counts(s);
    }
    Ok(report)
}

/// How a writer gets the threading state: the whole list at once (imports, which touch
/// much of it), or the nodes each message touches as it comes (live delivery, whose cost
/// must not grow with the list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threading {
    Whole,
    Touched,
}

/// Writes messages into one list, a batch per transaction: the one path for imports and
/// live deliveries. It holds the list's threading state and pipermail numbering across
/// batches, so that each batch commits its messages together with the threading changes
/// they cause, and an interrupted run resumes from the last commit.
struct ListWriter {
    list: ListRow,
    threader: Threader,
    threading: Threading,
    next_number: i64,
    summary: Summary,
}

/// Where a message went in the store: its row, its key, whether it joins this list now,
/// and whether its row was written by this import.
struct Placed {
    message_pk: i64,
    mkey: String,
    joins_list: bool,
    inserted: bool,
}

impl ListWriter {
    async fn open(
        store: &Store,
        list_name: &str,
        private_if_new: bool,
        threading: Threading,
    ) -> anyhow::Result<ListWriter> {
        let (list, created) = store.ensure_list(list_name, private_if_new).await?;
        let threader = match threading {
            Threading::Whole => store.load_threader(&list).await?,
            Threading::Touched => {
                Threader::partial(list.next_thread, store.next_seq(list.id).await?)
            }
        };
        let next_number = store.next_pipermail_number(list.id).await?;
        Ok(ListWriter {
            list,
            threader,
            threading,
            next_number,
            summary: Summary {
                created_private: created.then_some(private_if_new),
                ..Summary::default()
            },
        })
    }

    /// With [`Threading::Touched`], reads the stored nodes under `keys` (and their
    /// ancestors) that the threader does not hold yet.
    async fn touch(&mut self, batch: &mut Batch, keys: &[&str]) -> anyhow::Result<()> {
        if self.threading == Threading::Whole {
            return Ok(());
        }
        let mut seen = std::collections::HashSet::new();
        let wanted: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !self.threader.knows(k) && seen.insert(*k))
            .collect();
        if !wanted.is_empty() {
            let rows = batch.touched_nodes(self.list.id, &wanted).await?;
            self.threader.load_touched(rows);
        }
        Ok(())
    }

    /// Everything threading `n` under `key` may look at: its own node, those its headers
    /// name, and for a reply with no reply headers the latest message with its subject.
    async fn touch_message(
        &mut self,
        batch: &mut Batch,
        key: &str,
        n: &Normalized,
    ) -> anyhow::Result<()> {
        if self.threading == Threading::Whole {
            return Ok(());
        }
        let mut keys: Vec<&str> = vec![key];
        keys.extend(n.in_reply_to.as_deref());
        keys.extend(n.references.iter().map(String::as_str));
        let headerless = n.in_reply_to.as_deref().is_none_or(|r| r == key)
            && n.references.iter().all(|r| r == key);
        let subject_node = if headerless && n.is_reply_subject && !n.subject_key.is_empty() {
            batch
                .latest_with_subject(self.list.id, &n.subject_key)
                .await?
        } else {
            None
        };
        keys.extend(subject_node.as_deref());
        self.touch(batch, &keys).await
    }

    /// Stores `items` and the threading changes they cause in one transaction.
    /// Each item's memory permit, if it has one, is released as the item is stored.
    async fn write_batch(
        &mut self,
        store: &Store,
        items: impl IntoIterator<Item = (Parsed, Option<tokio::sync::OwnedSemaphorePermit>)>,
    ) -> anyhow::Result<()> {
        let items: Vec<_> = items.into_iter().collect();
        let mut batch = store.begin().await?;
        // Another server sharing the store may have written to this list since this
        // writer last did (its numbers moved): threading must start from what it wrote.
        let (next_thread, next_seq, next_number) = batch.list_counters(self.list.id).await?;
        if self.threader.counters() != (next_thread, next_seq) {
            self.list.next_thread = next_thread;
            self.threader = match self.threading {
                Threading::Whole => store.load_threader(&self.list).await?,
                Threading::Touched => Threader::partial(next_thread, next_seq),
            };
        }
        self.next_number = self.next_number.max(next_number);
        let ids: Vec<&str> = items
            .iter()
            .filter_map(|(p, _)| match p {
                Parsed::Message { n, .. } => Some(n.message_id.as_str()),
                _ => None,
            })
            .collect();
        batch.know_message_ids(&ids).await?;
        let mut members = HashMap::new();
        for (p, _permit) in items {
            self.store_one(&mut batch, &mut members, p).await?;
        }
        let changes = self.threader.take_changes();
        batch
            .write_threads(self.list.id, &changes, &members)
            .await?;
        batch.commit().await?;
        Ok(())
    }

    async fn finish(mut self, store: &Store) -> anyhow::Result<Summary> {
        self.summary.threads = store.thread_count(self.list.id).await?;
        Ok(self.summary)
    }

    async fn store_one(
        &mut self,
        batch: &mut Batch,
        members: &mut HashMap<String, Member>,
        p: Parsed,
    ) -> anyhow::Result<()> {
        let summary = &mut self.summary;
        let (source, offset, n, raw_z, raw_size, number, month, scrubbed) = match p {
            Parsed::Skipped(path, why) => {
                summary.skipped_files.push((path, why));
                return Ok(());
            }
            Parsed::ContentLengthIgnored => {
                summary.content_length_ignored += 1;
                return Ok(());
            }
            Parsed::NoArchive => {
                summary.read += 1;
                summary.no_archive += 1;
                return Ok(());
            }
            Parsed::Reject {
                source,
                offset,
                reason,
                raw,
            } => {
                summary.read += 1;
                summary.rejected += 1;
                batch
                    .insert_reject(self.list.id, &source, offset, &reason, &raw)
                    .await?;
                return Ok(());
            }
            Parsed::Message {
                source,
                offset,
                n,
                raw_z,
                raw_size,
                number,
                month,
                scrubbed,
            } => (source, offset, n, raw_z, raw_size, number, month, scrubbed),
        };
        summary.read += 1;
        let new = NewMessage {
            mkey: "",
            n: &n,
            raw_compressed: &raw_z,
            raw_size,
            source: &source,
            offset,
        };
        let Some(placed) = self.place(batch, new).await? else {
            return Ok(());
        };
        if placed.joins_list {
            self.touch_message(batch, &placed.mkey, &n).await?;
            self.threader.add(&Incoming {
                key: &placed.mkey,
                in_reply_to: n.in_reply_to.as_deref(),
                references: &n.references,
                is_reply_subject: n.is_reply_subject,
                subject_key: &n.subject_key,
                date: n.date,
            });
            members.insert(
                placed.mkey.clone(),
                Member {
                    message_pk: placed.message_pk,
                    date: n.date,
                    month,
                },
            );
        }
        // The old attachment URLs lead to the files this import stored with the message; a
        // message stored before without them keeps its own attachments.
        if placed.inserted {
            for (path, idx) in &scrubbed {
                batch
                    .set_pipermail_attachment(self.list.id, path, placed.message_pk, *idx)
                    .await?;
            }
        }
        self.number(batch, &placed, number).await
    }

    /// Finds the message among those stored, or stores it: the same Message-ID and content
    /// is one message (a duplicate, or a cross-post when another list holds it); the same
    /// Message-ID with other content is a variant under a key of its own. `None` when it
    /// could only be kept as a reject.
    async fn place(
        &mut self,
        batch: &mut Batch,
        new: NewMessage<'_>,
    ) -> anyhow::Result<Option<Placed>> {
        let n = new.n;
        let existing = batch.find_by_message_id(&n.message_id).await?;
        let same = existing
            .iter()
            .find(|e| e.content_hash == n.content_hash[..]);
        if let Some(e) = same {
            self.touch(batch, &[&e.mkey]).await?;
            let summary = &mut self.summary;
            let joins_list = !self.threader.contains(&e.mkey);
            if joins_list {
                summary.new += 1;
                summary.cross_posted += 1;
            } else {
                summary.duplicate += 1;
            }
            return Ok(Some(Placed {
                message_pk: e.message_pk,
                mkey: e.mkey.clone(),
                joins_list,
                inserted: false,
            }));
        }
        let summary = &mut self.summary;
        let mut mkey = n.message_id.clone();
        if !existing.is_empty() {
            summary.variants += 1;
            mkey = normalize::variant_key(&n.message_id, &n.content_hash);
        }
        // Only a key with `#` can meet a variant's key; a plain id with no stored message
        // of that id is free, which spares a query per message.
        let may_collide = !existing.is_empty() || mkey.contains('#');
        if may_collide && batch.mkey_taken(&mkey).await? {
            mkey = format!("{}#{}", n.message_id, hex::encode(n.content_hash));
            if batch.mkey_taken(&mkey).await? {
                summary.rejected += 1;
                let reason = "message key collides with a stored message";
                batch.reject_message(self.list.id, &new, reason).await?;
                return Ok(None);
            }
        }
        let message_pk = batch
            .insert_message(&NewMessage { mkey: &mkey, ..new })
            .await?;
        summary.new += 1;
        Ok(Some(Placed {
            message_pk,
            mkey,
            joins_list: true,
            inserted: true,
        }))
    }

    /// Records the message's pipermail article number in this list: the number its HTML
    /// page had, or the next one in archive order.
    async fn number(
        &mut self,
        batch: &mut Batch,
        placed: &Placed,
        number: Numbering,
    ) -> anyhow::Result<()> {
        let list = self.list.id;
        match number {
            Numbering::Html(num) => {
                batch
                    .set_pipermail_number(list, num, placed.message_pk, true)
                    .await?;
                self.next_number = self.next_number.max(num + 1);
            }
            Numbering::Unknown => {}
            Numbering::Position => {
                // A message stored just now has no number yet; only older ones need a look.
                if placed.inserted || !batch.has_pipermail_number(list, placed.message_pk).await? {
                    batch
                        .set_pipermail_number(list, self.next_number, placed.message_pk, false)
                        .await?;
                    self.next_number += 1;
                }
            }
        }
        Ok(())
    }
}

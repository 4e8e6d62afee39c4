//! Import pipeline: sources -> raw messages -> normalized messages -> store + threads.
//!
//! Reading and parsing run on their own thread; the store writes batches of messages in
//! single transactions together with the threading changes they cause, so a crash at any
//! point leaves a consistent store and re-running the import completes it with no
//! duplicates. Memory stays bounded: a bounded channel between the two sides and one
//! message at a time in the reader.

pub mod mbox;
pub mod normalize;
pub mod pipermail;
pub mod source;
pub mod thread;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use normalize::{Normalized, Origin};
use source::{Event, Format, RawItem};
use thread::{Incoming, Threader};

use crate::store::{Batch, ListRow, Member, NewMessage, Store};

/// Messages per transaction: large enough to amortize commits, small enough to keep a
/// batch's memory and a crash's lost work small.
const BATCH: usize = 1000;

/// What an import did; read = new + duplicate + rejected, always.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub read: u64,
    pub new: u64,
    pub duplicate: u64,
    pub rejected: u64,
    /// Of `new`: messages already stored for another list (cross-posts).
    pub cross_posted: u64,
    /// Of `new`: a Message-ID already taken by different content, kept under another key.
    pub variants: u64,
    pub threads: i64,
    pub skipped_files: Vec<(PathBuf, String)>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {}, new {}, duplicate {}, rejected {}, threads {}",
            self.read, self.new, self.duplicate, self.rejected, self.threads
        )?;
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
    },
    Reject {
        source: Arc<str>,
        offset: u64,
        reason: String,
        raw: Vec<u8>,
    },
    Skipped(PathBuf, String),
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

fn compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(raw.len() / 3),
        flate2::Compression::fast(),
    );
    e.write_all(raw)?;
    e.finish()
}

/// YYYY*100+MM of a timestamp, in UTC.
pub fn utc_month(t: i64) -> Option<i64> {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp(t, 0)?;
    Some(d.year() as i64 * 100 + d.month() as i64)
}

fn parse_item(item: RawItem) -> Parsed {
    let origin = Origin {
        envelope: item.envelope.as_deref(),
        pipermail: item.pipermail,
    };
    match normalize::normalize(&item.data, origin) {
        Ok(n) => match compress(&item.data) {
            Ok(raw_z) => {
                let number = match &item.html_slot {
                    Some(slot) => slot
                        .number_for(&n.message_id)
                        .map_or(Numbering::Unknown, Numbering::Html),
                    None => Numbering::Position,
                };
                let month = item.month.or_else(|| n.date.and_then(utc_month));
                Parsed::Message {
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

/// Imports `paths` into list `list_name`.
pub async fn import(
    store: &Store,
    list_name: &str,
    paths: &[PathBuf],
    format: Format,
    progress: &dyn Progress,
) -> anyhow::Result<Summary> {
    source::check_paths(paths).map_err(|e| anyhow::anyhow!(e))?;
    let list = store.ensure_list(list_name).await?;
    let mut threader = store.load_threader(&list).await?;
    let mut next_number = store.next_pipermail_number(list.id).await?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Parsed>(2 * BATCH);
    let paths_owned = paths.to_vec();
    let reader = std::thread::spawn(move || {
        source::walk(&paths_owned, format, &mut |ev| {
            let parsed = match ev {
                Event::Message(item) => parse_item(item),
                Event::Skipped(p, why) => Parsed::Skipped(p, why),
                Event::NumbersByPosition => return true,
            };
            tx.blocking_send(parsed).is_ok()
        });
    });

    let mut summary = Summary::default();
    let mut pending: Vec<Parsed> = Vec::with_capacity(BATCH);
    loop {
        let got = rx.recv_many(&mut pending, BATCH).await;
        if got == 0 {
            break;
        }
        // Fill the batch up a little more while the reader keeps pace.
        while pending.len() < BATCH {
            match rx.try_recv() {
                Ok(p) => pending.push(p),
                Err(_) => break,
            }
        }
        let mut batch = store.begin().await?;
        let mut members = HashMap::new();
        for p in pending.drain(..) {
            store_one(
                &mut batch,
                &list,
                &mut threader,
                &mut next_number,
                &mut members,
                &mut summary,
                p,
            )
            .await?;
        }
        let changes = threader.take_changes();
        batch.write_threads(list.id, &changes, &members).await?;
        batch.commit().await?;
        progress.tick(summary.read);
    }
    if reader.join().is_err() {
        anyhow::bail!("the reader thread failed");
    }
    summary.threads = store.thread_count(list.id).await?;
    Ok(summary)
}

/// Stores one message delivered live (`larch ingest`, an MTA pipe, Mailman's external
/// archiver) in its own transaction. A leading mbox envelope line is dropped. A message
/// that cannot be parsed is kept as a reject, as during imports; only storage failures
/// are errors (and worth retrying).
pub async fn ingest_one(
    store: &Store,
    list_name: &str,
    mut data: Vec<u8>,
) -> anyhow::Result<Summary> {
    let mut envelope = None;
    if data.starts_with(b"From ") {
        let end = data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| i + 1);
        envelope = Some(String::from_utf8_lossy(&data[..end]).trim_end().to_string());
        data.drain(..end);
    }
    let list = store.ensure_list(list_name).await?;
    let mut threader = store.load_threader(&list).await?;
    let mut next_number = store.next_pipermail_number(list.id).await?;
    let item = RawItem {
        source: Arc::from("stdin"),
        offset: 0,
        data,
        envelope,
        pipermail: false,
        html_slot: None,
        month: None,
    };
    let parsed = parse_item(item);
    let mut summary = Summary::default();
    let mut batch = store.begin().await?;
    let mut members = HashMap::new();
    store_one(
        &mut batch,
        &list,
        &mut threader,
        &mut next_number,
        &mut members,
        &mut summary,
        parsed,
    )
    .await?;
    let changes = threader.take_changes();
    batch.write_threads(list.id, &changes, &members).await?;
    batch.commit().await?;
    summary.threads = store.thread_count(list.id).await?;
    Ok(summary)
}

async fn store_one(
    batch: &mut Batch,
    list: &ListRow,
    threader: &mut Threader,
    next_number: &mut i64,
    members: &mut HashMap<String, Member>,
    summary: &mut Summary,
    p: Parsed,
) -> anyhow::Result<()> {
    let (source, offset, n, raw_z, raw_size, number, month) = match p {
        Parsed::Skipped(path, why) => {
            summary.skipped_files.push((path, why));
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
                .insert_reject(list.id, &source, offset, &reason, &raw)
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
        } => (source, offset, n, raw_z, raw_size, number, month),
    };
    summary.read += 1;
    let existing = batch.find_by_message_id(&n.message_id).await?;
    let same = existing
        .iter()
        .find(|e| e.content_hash == n.content_hash[..]);
    let (pk, mkey, is_new_member, inserted) = match same {
        Some(e) if threader.contains(&e.mkey) => {
            summary.duplicate += 1;
            (e.id, e.mkey.clone(), false, false)
        }
        Some(e) => {
            summary.new += 1;
            summary.cross_posted += 1;
            (e.id, e.mkey.clone(), true, false)
        }
        None => {
            let mut mkey = n.message_id.clone();
            if !existing.is_empty() {
                summary.variants += 1;
                mkey = format!("{}#{}", n.message_id, hex::encode(&n.content_hash[..6]));
            }
            // Only a key with `#` can meet a variant's key; a plain id with no stored
            // message of that id is free, which spares a query per message.
            let may_collide = !existing.is_empty() || mkey.contains('#');
            if may_collide && batch.mkey_taken(&mkey).await? {
                mkey = format!("{}#{}", n.message_id, hex::encode(n.content_hash));
                if batch.mkey_taken(&mkey).await? {
                    summary.rejected += 1;
                    let reason = "message key collides with a stored message";
                    let raw = crate::store::inflate(&raw_z)?;
                    batch
                        .insert_reject(list.id, &source, offset, reason, &raw)
                        .await?;
                    return Ok(());
                }
            }
            let m = NewMessage {
                mkey: &mkey,
                n: &n,
                raw_compressed: &raw_z,
                raw_size,
                source: &source,
                offset,
            };
            let pk = batch.insert_message(&m).await?;
            summary.new += 1;
            (pk, mkey, true, true)
        }
    };
    if is_new_member {
        threader.add(&Incoming {
            key: &mkey,
            in_reply_to: n.in_reply_to.as_deref(),
            references: &n.references,
            is_reply_subject: n.is_reply_subject,
            subject_key: &n.subject_key,
            date: n.date,
        });
        members.insert(
            mkey,
            Member {
                id: pk,
                date: n.date,
                month,
            },
        );
    }
    match number {
        Numbering::Html(num) => {
            batch.set_pipermail_number(list.id, num, pk, true).await?;
            *next_number = (*next_number).max(num + 1);
        }
        Numbering::Unknown => {}
        Numbering::Position => {
            // A message stored just now has no number yet; only older ones need a look.
            if inserted || !batch.has_pipermail_number(list.id, pk).await? {
                batch
                    .set_pipermail_number(list.id, *next_number, pk, false)
                    .await?;
                *next_number += 1;
            }
        }
    }
    Ok(())
}

//! Downloads and feeds: mbox.gz per month, thread and list (streamed: one message in
//! memory at a time), and Atom feeds of new messages per list and per thread.

use std::io::Write;
use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::auth::Viewer;
use super::urls;
use super::util::{rfc3339, sender};
use super::{AppState, WebError, visible_list};
use crate::domain::month::Month;
use crate::store::{ExportRow, ExportScope, ListRow};

type St = State<Arc<AppState>>;

/// Appends one message to an mboxrd stream: envelope, `>From ` escaping, blank line.
pub fn mboxrd_entry(out: &mut Vec<u8>, row: &ExportRow) {
    let raw = match row.raw() {
        Ok(raw) => raw,
        Err(e) => {
            // A damaged stored copy is one message of the download, said so where the
            // reader sees it, never an empty entry nor the end of everyone else's.
            tracing::error!(
                "export: cannot inflate message {} ({e}); a note stands in",
                row.id
            );
            unreadable_entry(row)
        }
    };
    let raw = raw.as_slice();
    let _ = writeln!(out, "From mboxrd@z Thu Jan  1 00:00:00 1970");
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if crate::domain::envelope::mboxrd_quotes(line) {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    if !raw.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// A stand-in for a message whose stored copy cannot be read: its Message-ID and a
/// subject that says what happened, so that the reader of the mbox knows one is missing.
fn unreadable_entry(row: &ExportRow) -> Vec<u8> {
    let id: String = row
        .message_id
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>'))
        .collect();
    format!(
        "Message-ID: <{id}>\nSubject: [this message could not be read from the archive]\n\
         Content-Type: text/plain; charset=utf-8\n\n\
         The archive's stored copy of this message is damaged.\n"
    )
    .into_bytes()
}

/// Gzips a stream of export rows into a streamed body, flushing after each message. The
/// formatting and compression of each message run on the blocking pool: a message can be
/// tens of megabytes, and the async workers must stay free for every other request.
pub fn gz_body<S, F>(rows: S, entry: F) -> Body
where
    S: Stream<Item = crate::store::Result<ExportRow>> + Send + 'static,
    F: Fn(&mut Vec<u8>, &ExportRow) + Copy + Send + Sync + 'static,
{
    type Gz = flate2::write::GzEncoder<Vec<u8>>;
    let encoder: Gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let stream = futures::stream::unfold(
        (Box::pin(rows), Some(encoder)),
        move |(mut rows, enc)| async move {
            let mut e = enc?;
            match rows.next().await {
                Some(Ok(row)) => {
                    let work = tokio::task::spawn_blocking(move || {
                        let mut buf = Vec::with_capacity(row.raw_len_estimate() + 64);
                        entry(&mut buf, &row);
                        e.write_all(&buf).and_then(|_| e.flush())?;
                        let chunk = std::mem::take(e.get_mut());
                        Ok::<(Gz, Vec<u8>), std::io::Error>((e, chunk))
                    });
                    match work.await {
                        Ok(Ok((e, chunk))) => Some((
                            Ok::<Bytes, std::io::Error>(Bytes::from(chunk)),
                            (rows, Some(e)),
                        )),
                        Ok(Err(err)) => failed(err, rows),
                        Err(err) => failed(std::io::Error::other(err), rows),
                    }
                }
                Some(Err(err)) => failed(std::io::Error::other(err), rows),
                None => {
                    let done = e.finish().ok()?;
                    Some((Ok(Bytes::from(done)), (rows, None)))
                }
            }
        },
    );
    Body::from_stream(stream)
}

/// The rows still to export and the encoder, between two chunks of a download.
type GzState<R> = (R, Option<flate2::write::GzEncoder<Vec<u8>>>);

/// Ends a download with an error, so that the client sees a failed transfer rather than a
/// file that looks complete.
fn failed<R>(err: std::io::Error, rows: R) -> Option<(Result<Bytes, std::io::Error>, GzState<R>)> {
    tracing::error!("export failed: {err}");
    Some((Err(err), (rows, None)))
}

pub(super) fn mbox_response(body: Body, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "public, max-age=300".to_string()),
        ],
        body,
    )
        .into_response()
}

pub async fn list_mbox(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let body = gz_body(
        st.store.export_stream(l.id, ExportScope::List),
        mboxrd_entry,
    );
    Ok(mbox_response(
        body,
        &format!("{}.mbox.gz", safe_name(&l.name)),
    ))
}

pub async fn month_mbox(
    State(st): St,
    viewer: Viewer,
    Path((list, year, month)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let (Ok(y), Ok(m)) = (year.parse::<i32>(), month.parse::<u32>()) else {
        return Err(WebError::NotFound);
    };
    let m = Month::from_ym(y, m).ok_or(WebError::NotFound)?;
    let body = gz_body(
        st.store.export_stream(l.id, ExportScope::Month(m.code())),
        mboxrd_entry,
    );
    Ok(mbox_response(
        body,
        &format!(
            "{}-{:04}-{:02}.mbox.gz",
            safe_name(&l.name),
            m.year(),
            m.month()
        ),
    ))
}

pub async fn thread_mbox(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    thread_mbox_of(&st, &l, &mkey).await
}

/// The thread of a message of the list, as a gzipped mboxrd download.
pub(super) async fn thread_mbox_of(
    st: &AppState,
    l: &ListRow,
    mkey: &str,
) -> Result<Response, WebError> {
    let t = super::thread::thread_of_message(st, l, mkey).await?;
    let body = gz_body(
        st.store.export_stream(l.id, ExportScope::Thread(t)),
        mboxrd_entry,
    );
    Ok(mbox_response(
        body,
        &format!("{}-thread.mbox.gz", safe_name(&l.name)),
    ))
}

fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

// ---- Atom -------------------------------------------------------------------------

struct Entry {
    id: String,
    url: String,
    title: String,
    author: String,
    updated: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed {
    id: String,
    title: String,
    self_url: String,
    alt_url: String,
    updated: String,
    entries: Vec<Entry>,
}

/// The fields of one message that an Atom entry shows.
struct EntryOf<'a> {
    list: &'a str,
    mkey: &'a str,
    subject: &'a str,
    from_name: &'a str,
    from_addr: &'a str,
    date: &'a Option<i64>,
    body: &'a str,
}

fn entry(base: &str, m: EntryOf) -> Entry {
    let url = format!("{base}{}", urls::message(m.list, m.mkey));
    Entry {
        id: url.clone(),
        url,
        title: if m.subject.is_empty() {
            super::lang::current().t("no-subject")
        } else {
            xml_text(m.subject)
        },
        author: xml_text(&sender(m.from_name, m.from_addr)),
        updated: rfc3339(m.date),
        summary: xml_text(m.body).chars().take(2000).collect(),
    }
}

fn entries(base: &str, list: &str, rows: &[ExportRow]) -> Vec<Entry> {
    rows.iter()
        .map(|r| {
            entry(
                base,
                EntryOf {
                    list,
                    mkey: &r.mkey,
                    subject: &r.subject,
                    from_name: &r.from_name,
                    from_addr: &r.from_addr,
                    date: &r.date,
                    body: &r.body_text,
                },
            )
        })
        .collect()
}

/// XML 1.0 forbids most control characters even when escaped; mail has them.
fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            c == '\t' || c == '\n' || c == '\r' || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

fn atom(feed: Feed) -> Result<Response, WebError> {
    let xml = feed.render().map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

pub async fn list_atom(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let base = st.base_url.clone();
    let rows = st.store.latest_messages(l.id, 50).await?;
    let alt_url = format!("{base}{}", urls::list(&l.name));
    atom(Feed {
        id: alt_url.clone(),
        title: super::lang::current().tr("feed-list-title", &[("list", l.name.as_str().into())]),
        self_url: format!("{base}{}", urls::list_atom(&l.name)),
        updated: rows
            .first()
            .map(|r| rfc3339(&r.date))
            .unwrap_or_else(|| rfc3339(&None)),
        entries: entries(&base, &l.name, &rows),
        alt_url,
    })
}

pub async fn thread_atom(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let t = super::thread::thread_of_message(&st, &l, &mkey).await?;
    let base = st.base_url.clone();
    let mut rows: Vec<ExportRow> = st
        .store
        .export_stream(l.id, ExportScope::Thread(t))
        .filter_map(|r| async move { r.ok() })
        .map(|mut r| {
            r.drop_raw();
            r
        })
        .collect()
        .await;
    rows.reverse();
    rows.truncate(50);
    let alt_url = format!("{base}{}", urls::thread(&l.name, &mkey));
    atom(Feed {
        id: alt_url.clone(),
        title: format!(
            "{}: {}",
            l.name,
            rows.last().map(|r| r.subject.clone()).unwrap_or_default()
        ),
        self_url: format!("{base}{}", urls::thread_atom(&l.name, &mkey)),
        updated: rows
            .first()
            .map(|r| rfc3339(&r.date))
            .unwrap_or_else(|| rfc3339(&None)),
        entries: entries(&base, &l.name, &rows),
        alt_url,
    })
}

/// An Atom feed of search results; each entry links to the message in `list`.
pub(super) fn search_feed(
    title: String,
    self_url: String,
    alt_url: String,
    base: &str,
    items: Vec<(String, crate::store::HitRow)>,
) -> Result<Response, WebError> {
    let entries = items
        .iter()
        .map(|(list, r)| {
            entry(
                base,
                EntryOf {
                    list,
                    mkey: &r.mkey,
                    subject: &r.subject,
                    from_name: &r.from_name,
                    from_addr: &r.from_addr,
                    date: &r.date,
                    body: &r.body_text,
                },
            )
        })
        .collect::<Vec<_>>();
    let updated = items
        .iter()
        .filter_map(|(_, r)| r.date)
        .max()
        .map_or_else(|| rfc3339(&None), |d| rfc3339(&Some(d)));
    atom(Feed {
        id: alt_url.clone(),
        title: xml_text(&title),
        self_url,
        alt_url,
        updated,
        entries,
    })
}

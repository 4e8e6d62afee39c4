//! One message: its page, its raw bytes, its attachments, the redirect from the address
//! without a slash, and the Message-ID resolver that finds the lists holding it.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Viewer;
use super::thread::{earlier_messages, item, linkable_ids, thread_order};
use super::urls;
use super::util::{self, sender};
use super::{AppState, WebError, list_tags, visible_list};
use crate::domain::escape::Html;
use crate::domain::month::Month;
use crate::i18n::Lang;
use crate::render::outline::{self, Entry};
use crate::render::{ListTags, listing_subject};
use crate::store::{AttachmentInfo, Blob, ListRow, MessageItem, MessageView};

type St = State<Arc<AppState>>;

/// A message of a visible list, or the 404 / 410 a reader should see instead; its texts
/// cut to what a page can show (`with_body`), or left empty (downloads).
async fn visible_message(
    st: &AppState,
    l: &ListRow,
    mkey: &str,
    with_body: bool,
) -> Result<MessageView, WebError> {
    let max_chars = if with_body {
        (crate::render::MAX_SHOWN_TEXT_BYTES + 1) as i64
    } else {
        0
    };
    let m = st
        .store
        .message_in_list(l.id, mkey, max_chars)
        .await?
        .ok_or_else(|| not_archived(l, mkey))?;
    if m.removed {
        return Err(WebError::Gone);
    }
    Ok(m)
}

pub(super) fn not_archived(l: &ListRow, key: &str) -> WebError {
    WebError::NotFoundHint(super::lang::current().tr(
        "error-no-message",
        &[("key", key.into()), ("list", l.name.as_str().into())],
    ))
}

// ---- message ----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    /// Marks the pages of a private list, which only its members see.
    private: bool,
    list: String,
    m: MessageView,
    /// The subject for the page's title: without list tags, as in listings (the heading
    /// keeps it as sent).
    title_subject: String,
    lists: Vec<String>,
    body: Html,
    attachments: Vec<AttachmentInfo>,
    prev_date: Option<MessageItem>,
    next_date: Option<MessageItem>,
    prev_thread: Option<String>,
    next_thread: Option<String>,
    outline: Html,
    thread_root: String,
    reply: String,
    local_date: String,
    thread_size: usize,
    month_link: Option<(String, String)>,
    /// The sender's address as this list shows addresses.
    from_shown: String,
    /// A PGP or S/MIME signature is attached.
    signed: bool,
    /// Attached messages (forwards, digest parts): (subject, from, date, rendered body).
    embedded: Vec<(String, String, String, Html)>,
    /// Relative URLs of attached raster images, shown inline.
    images: Vec<String>,
    lang: Lang,
}

/// Attached messages larger than this are listed as attachments, not shown in place.
const EMBED_MAX: i64 = 1024 * 1024;

/// An attached message rendered for display inside its parent.
fn embedded_message(raw: &[u8], obfuscate: bool, lang: Lang) -> (String, String, String, Html) {
    use crate::domain::normalize::{Origin, normalize};
    match normalize(raw, Origin::default()) {
        Ok(n) => {
            let html = crate::render::body(
                &crate::render::Body {
                    text: &n.body_text,
                    html: n.body_html.as_deref(),
                    text_from_html: n.text_from_html,
                    flowed: n.flowed,
                },
                crate::render::Options {
                    obfuscate,
                    lang,
                    ..Default::default()
                },
            );
            let from = if obfuscate {
                sender(&n.from_name, &util::obfuscate(&n.from_addr))
            } else {
                sender(&n.from_name, &n.from_addr)
            };
            (n.subject, from, lang.datetime(&n.date), html)
        }
        Err(_) => (
            lang.t("msg-unreadable-attached"),
            String::new(),
            String::new(),
            Html::default(),
        ),
    }
}

/// Redirects only within a list the reader may see: a redirect would tell that it exists.
pub async fn message_redirect(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    Ok(super::moved(&urls::message(&l.name, &mkey)))
}

pub async fn message_page(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    if l.name != list {
        return Ok(super::moved(&urls::message(&l.name, &mkey)));
    }
    let m = visible_message(&st, &l, &mkey, true).await?;
    let tags = list_tags(&st).await?;
    let attached = attached(&st, &m).await?;
    let place = place(&st, &l, &m, &mkey, &tags).await?;
    let (body, embedded) =
        render_message(&st, &viewer, &l, &m, &place.items, attached.messages).await?;
    let lang = super::lang::current();
    Ok(MessagePage {
        private: l.private,
        title_subject: listing_subject(&m.subject, &tags).into_owned(),
        body,
        local_date: lang.local(&m.date, m.tz_offset),
        list: l.name.clone(),
        lists: m
            .lists()
            .into_iter()
            .filter(|(name, private)| viewer.can_read(name, *private))
            .map(|(n, _)| n)
            .collect(),
        signed: is_signed(&attached.list),
        attachments: attached.list,
        prev_date: place.prev_date,
        next_date: place.next_date,
        prev_thread: place.prev_thread,
        next_thread: place.next_thread,
        outline: place.outline,
        thread_root: place.root,
        thread_size: place.size,
        embedded,
        images: attached.images,
        from_shown: if l.obfuscate {
            util::obfuscate(&m.from_addr)
        } else {
            m.from_addr.clone()
        },
        month_link: m.date.and_then(Month::from_timestamp).map(|mo| {
            (
                urls::month(&l.name, mo),
                lang.month_label(mo.year(), mo.month()),
            )
        }),
        reply: reply_link(&l, &m),
        m,
        lang,
    }
    .into_response())
}

/// What a message page shows of its attachments beyond the list of them.
struct Attached {
    list: Vec<AttachmentInfo>,
    /// Attached messages (forwards, digest parts), shown in place.
    messages: Vec<Vec<u8>>,
    /// Links to attached raster images, shown inline.
    images: Vec<String>,
}

async fn attached(st: &AppState, m: &MessageView) -> Result<Attached, WebError> {
    let list = if m.attachment_count > 0 {
        st.store.attachments(m.id).await?
    } else {
        Vec::new()
    };
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut images = Vec::new();
    for a in &list {
        if a.content_type == "message/rfc822" && messages.len() < 50 && a.size <= EMBED_MAX {
            if let Some(data) = st.store.attachment(m.id, a.idx).await? {
                messages.push(data.data);
            }
        } else if matches!(
            a.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        ) {
            images.push(urls::attachment_here(
                a.idx,
                if a.filename.is_empty() {
                    "image"
                } else {
                    &a.filename
                },
            ));
        }
    }
    Ok(Attached {
        list,
        messages,
        images,
    })
}

/// Where a message stands: its neighbours by date in the list, and its thread.
struct Place {
    prev_date: Option<MessageItem>,
    next_date: Option<MessageItem>,
    prev_thread: Option<String>,
    next_thread: Option<String>,
    root: String,
    size: usize,
    /// The thread's outline, this message marked.
    outline: Html,
    /// The thread's messages by key.
    items: HashMap<String, MessageItem>,
}

async fn place(
    st: &AppState,
    l: &ListRow,
    m: &MessageView,
    mkey: &str,
    tags: &ListTags,
) -> Result<Place, WebError> {
    let (mut prev_date, mut next_date) = st.store.neighbours_by_date(l.id, mkey).await?;
    for i in prev_date.iter_mut().chain(next_date.iter_mut()) {
        i.subject = listing_subject(&i.subject, tags).into_owned();
    }
    let (order, items) = thread_order(st, l.id, m.thread_no).await?;
    let pos = order.iter().position(|(_, k)| k == mkey);
    let in_thread = |p: Option<usize>| p.and_then(|p| order.get(p)).map(|(_, k)| k.clone());
    let rows: Vec<(usize, Entry)> = order
        .iter()
        .take(400)
        .filter_map(|(d, k)| {
            let i = items.get(k)?;
            let row = if k == mkey {
                Entry::Current {
                    subject: listing_subject(&i.subject, tags).into_owned(),
                    who: sender(&i.from_name, &i.from_addr),
                }
            } else {
                item(&l.name, i, false, tags, super::lang::current())
            };
            Some((*d, row))
        })
        .collect();
    Ok(Place {
        prev_date,
        next_date,
        prev_thread: in_thread(pos.and_then(|p| p.checked_sub(1))),
        next_thread: in_thread(pos.map(|p| p + 1)),
        root: order.first().map(|(_, k)| k.clone()).unwrap_or_default(),
        size: order.len(),
        outline: outline::nested_list(&rows, "tree"),
        items,
    })
}

/// The message's body and its attached messages, rendered; off the async workers when
/// they are large.
async fn render_message(
    st: &AppState,
    viewer: &Viewer,
    l: &ListRow,
    m: &MessageView,
    items: &HashMap<String, MessageItem>,
    attached: Vec<Vec<u8>>,
) -> Result<(Html, Vec<(String, String, String, Html)>), WebError> {
    let known = linkable_ids(
        st,
        viewer,
        &crate::render::message_id_refs(&m.body_text, 200),
    )
    .await?;
    let earlier = earlier_messages(items, |k| urls::message(&l.name, k));
    let kept = super::kept_files(st, l, &m.mkey, &m.body_text).await?;
    let zone = m.tz_offset * 60;
    let (text, html) = (m.body_text.clone(), m.body_html.clone());
    let (text_from_html, flowed, obfuscate) = (m.text_from_html, m.flowed, l.obfuscate);
    let lang = super::lang::current();
    let cost = text.len()
        + html.as_ref().map_or(0, String::len)
        + attached.iter().map(Vec::len).sum::<usize>();
    super::heavy(st, cost, move || {
        let body = crate::render::body(
            &crate::render::Body {
                text: &text,
                html: html.as_deref(),
                text_from_html,
                flowed,
            },
            crate::render::Options {
                obfuscate,
                known_ids: Some(&known),
                earlier: &earlier,
                zone: Some(zone),
                kept_files: &kept,
                lang,
            },
        );
        let embedded: Vec<_> = attached
            .iter()
            .map(|raw| embedded_message(raw, obfuscate, lang))
            .collect();
        (body, embedded)
    })
    .await
}

/// A reply in the reader's mail client, keeping the thread together.
fn reply_link(l: &ListRow, m: &MessageView) -> String {
    let subject = if m.subject.to_ascii_lowercase().starts_with("re:") {
        m.subject.clone()
    } else {
        format!("Re: {}", m.subject)
    };
    format!(
        "mailto:{}?subject={}&In-Reply-To={}",
        util::enc_query(&reply_address(l, m)),
        util::enc_query(&subject),
        util::enc_query(&format!("<{}>", m.message_id))
    )
}

fn is_signed(attachments: &[AttachmentInfo]) -> bool {
    attachments.iter().any(|a| {
        matches!(
            a.content_type.as_str(),
            "application/pgp-signature"
                | "application/pkcs7-signature"
                | "application/x-pkcs7-signature"
        )
    })
}

/// The list's posting address as the message's `List-Post` gave it, else as the list's
/// settings give it; without either the reply leaves the recipient to the reader's mail
/// client. Subject and In-Reply-To keep the thread together either way.
fn reply_address(l: &ListRow, m: &MessageView) -> String {
    m.list_post
        .clone()
        .or_else(|| l.post_address.clone())
        .unwrap_or_default()
}

/// Bytes read from the store per query when streaming a raw message or an attachment.
const BLOB_CHUNK: usize = 1024 * 1024;

pub async fn raw_message(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let m = visible_message(&st, &l, &mkey, false).await?;
    let body = st.store.raw_chunks(m.id, BLOB_CHUNK);
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Attachments are always downloads, with a type that cannot run in the page's origin.
pub async fn attachment(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey, idx, _name)): Path<(String, String, String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let m = visible_message(&st, &l, &mkey, false).await?;
    let idx: i64 = idx.parse().map_err(|_| WebError::NotFound)?;
    let a = st
        .store
        .attachments(m.id)
        .await?
        .into_iter()
        .find(|a| a.idx == idx)
        .ok_or(WebError::NotFound)?;
    let safe_type = match a.content_type.as_str() {
        t if t.starts_with("image/") && t != "image/svg+xml" => a.content_type.clone(),
        "application/pdf" | "application/zip" | "application/gzip" => a.content_type.clone(),
        t if t.starts_with("text/") => "text/plain; charset=utf-8".to_string(),
        _ => "application/octet-stream".to_string(),
    };
    let fallback: String = a
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = if fallback.is_empty() {
        format!("attachment-{idx}")
    } else {
        fallback
    };
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        util::enc_query(if a.filename.is_empty() {
            &fallback
        } else {
            &a.filename
        })
    );
    let mut res = Body::from_stream(
        st.store
            .blob_chunks(Blob::Attachment(m.id, idx), BLOB_CHUNK),
    )
    .into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        safe_type.parse().map_err(|_| WebError::NotFound)?,
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition.parse().map_err(|_| WebError::NotFound)?,
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox"
            .parse()
            .map_err(|_| WebError::NotFound)?,
    );
    Ok(res)
}

// ---- resolver ---------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "choice.html")]
struct ChoicePage {
    id: String,
    places: Vec<(String, String)>,
    lang: Lang,
}

pub async fn resolve(
    State(st): St,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.trim_start_matches('<').trim_end_matches('>').to_string();
    let places: Vec<(String, String)> = st
        .store
        .placements(&id)
        .await?
        .into_iter()
        .filter(|p| viewer.can_read(&p.list, p.private))
        .map(|p| (p.list, p.mkey))
        .collect();
    match places.len() {
        0 => Err(WebError::NotFoundHint(
            super::lang::current().tr("error-no-list-archives", &[("id", id.as_str().into())]),
        )),
        1 => Ok(Redirect::to(&urls::message(&places[0].0, &places[0].1)).into_response()),
        _ => Ok(ChoicePage {
            id,
            places,
            lang: super::lang::current(),
        }
        .into_response()),
    }
}

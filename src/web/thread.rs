//! A thread on one page, bodies in full up to a budget, and the thread order that the
//! month listings and each message's outline share.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::auth::Viewer;
use super::message::not_archived;
use super::urls;
use super::util::{rfc3339, sender};
use super::{AppState, WebError, list_tags, visible_list};
use crate::domain::escape::Html;
use crate::domain::thread::{NodeRow, display_order, keep_placed};
use crate::i18n::Lang;
use crate::render::outline::Entry;
use crate::render::{ListTags, listing_subject};
use crate::store::{BodyRow, ListRow, MessageItem};

type St = State<Arc<AppState>>;

/// A message as one row of a listing: a month page, or a message's thread outline.
pub(super) fn item(
    list: &str,
    i: &MessageItem,
    with_date: bool,
    tags: &ListTags,
    lang: Lang,
) -> Entry {
    Entry::Message {
        href: urls::message(list, &i.mkey),
        subject: if i.subject.is_empty() {
            lang.t("no-subject")
        } else {
            listing_subject(&i.subject, tags).into_owned()
        },
        who: sender(&i.from_name, &i.from_addr),
        date: with_date.then(|| (rfc3339(&i.date), lang.datetime(&i.date))),
    }
}

/// Pre-order (depth, key) of a thread's nodes, keeping only the rows `keep` accepts; a
/// dropped row's children move up to its depth.
pub(super) fn shown_rows(
    nodes: &[NodeRow],
    keep: impl Fn(&NodeRow) -> bool,
) -> Vec<(usize, String)> {
    keep_placed(&display_order(nodes), |i| keep(&nodes[i]))
        .into_iter()
        .map(|p| (p.depth, nodes[p.row].key.clone()))
        .collect()
}

// ---- thread -----------------------------------------------------------------------

struct ThreadMsg {
    depth: usize,
    key: String,
    anchor: String,
    from: String,
    date: Option<i64>,
    subject: String,
    body: Html,
    /// The body is on this page (false past the thread page's budget).
    full: bool,
    /// The message was removed: its place is kept, and nothing else.
    removed: bool,
    marked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "thread.html")]
struct ThreadPage {
    /// Marks the pages of a private list, which only its members see.
    private: bool,
    list: String,
    subject: String,
    root: String,
    messages: Vec<ThreadMsg>,
    lang: Lang,
}

/// The display order of a thread, (depth, key) in pre-order over real messages, and its
/// messages by key.
pub(super) async fn thread_order(
    st: &AppState,
    list_id: i64,
    thread: i64,
) -> Result<(Vec<(usize, String)>, HashMap<String, MessageItem>), WebError> {
    let data = st.store.threads_data(list_id, &[thread]).await?;
    let order = shown_rows(&data.nodes, |n| n.real);
    Ok((
        order,
        data.items
            .into_iter()
            .map(|m| (m.mkey.clone(), m))
            .collect(),
    ))
}

/// The thread's messages as folds of quoted history may name them, each with where a
/// fold links to. Removed messages are left out: the store keeps no sender for them.
pub(super) fn earlier_messages(
    items: &HashMap<String, MessageItem>,
    href: impl Fn(&str) -> String,
) -> Vec<crate::render::Earlier> {
    items
        .values()
        .filter(|i| !i.from_name.is_empty() || !i.from_addr.is_empty())
        .filter_map(|i| {
            Some(crate::render::Earlier {
                name: i.from_name.clone(),
                addr: i.from_addr.clone(),
                date: i.date?,
                href: href(&i.mkey),
            })
        })
        .collect()
}

/// A thread page shows message bodies in full up to this much stored text, and this many
/// messages; later messages are listed with a link to their own page. A thread of
/// ordinary replies stays far below both; a thread of thousands, or of huge messages,
/// would otherwise make a page of hundreds of megabytes.
const THREAD_TEXT_BUDGET: usize = 8 << 20;
const THREAD_FULL_MAX: usize = 1000;

pub async fn thread_page(
    State(st): St,
    viewer: Viewer,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let t = thread_of_message(&st, &l, &mkey).await?;
    let (order, items) = thread_order(&st, l.id, t).await?;
    let (bodies, used) = thread_bodies(&st, l.id, &order).await?;
    let rendered = render_bodies(&st, &viewer, &l, &items, bodies, used).await?;
    let tags = list_tags(&st).await?;
    let mut messages = Vec::new();
    for (depth, key) in order {
        let Some(i) = items.get(&key) else { continue };
        // None past the page's budget; Some(None) for a removed message.
        let body = rendered.get(&key).cloned();
        messages.push(ThreadMsg {
            depth: depth.min(12),
            anchor: urls::anchor(&key),
            marked: key == mkey,
            // A removed message keeps its place in the thread, and nothing else (the
            // store leaves its sender and subject empty).
            from: sender(&i.from_name, &i.from_addr),
            date: i.date,
            subject: listing_subject(&i.subject, &tags).into_owned(),
            full: body.is_some(),
            removed: body.as_ref().is_some_and(Option::is_none),
            body: body.flatten().unwrap_or_default(),
            key,
        });
    }
    let root = messages.first().map(|m| m.key.clone()).unwrap_or_default();
    let subject = messages
        .first()
        .map(|m| m.subject.clone())
        .unwrap_or_default();
    Ok(ThreadPage {
        private: l.private,
        list: l.name,
        subject,
        root,
        messages,
        lang: super::lang::current(),
    }
    .into_response())
}

/// The stored texts of the thread's messages, in thread order, as many as the page's
/// budget allows; and how many bytes they hold.
async fn thread_bodies(
    st: &AppState,
    list_id: i64,
    order: &[(usize, String)],
) -> Result<(HashMap<String, BodyRow>, usize), WebError> {
    let max_chars = (crate::render::MAX_SHOWN_TEXT_BYTES + 1) as i64;
    let mut bodies: HashMap<String, BodyRow> = HashMap::new();
    let mut used = 0usize;
    for chunk in order.chunks(25) {
        if used >= THREAD_TEXT_BUDGET || bodies.len() >= THREAD_FULL_MAX {
            break;
        }
        let keys: Vec<String> = chunk.iter().map(|(_, k)| k.clone()).collect();
        for (k, b) in st.store.bodies_by_key(list_id, &keys, max_chars).await? {
            used += b.body_text.len() + b.body_html.as_ref().map_or(0, String::len);
            bodies.insert(k, b);
        }
    }
    Ok((bodies, used))
}

/// The bodies rendered by key (None for a removed message), off the async workers when
/// they are large (`used` bytes).
async fn render_bodies(
    st: &AppState,
    viewer: &Viewer,
    l: &ListRow,
    items: &HashMap<String, MessageItem>,
    bodies: HashMap<String, BodyRow>,
    used: usize,
) -> Result<HashMap<String, Option<Html>>, WebError> {
    let refs: Vec<String> = bodies
        .values()
        .flat_map(|b| crate::render::message_id_refs(&b.body_text, 50))
        .take(1000)
        .collect();
    let known = linkable_ids(st, viewer, &refs).await?;
    let mut kept = HashMap::new();
    for (k, b) in &bodies {
        let files = super::kept_files(st, l, k, &b.body_text).await?;
        if !files.is_empty() {
            kept.insert(k.clone(), files);
        }
    }
    let obfuscate = l.obfuscate;
    let lang = super::lang::current();
    let earlier = earlier_messages(items, |k| format!("#{}", urls::anchor(k)));
    super::heavy(st, used, move || {
        bodies
            .iter()
            .map(|(k, b)| {
                let html = (!b.removed).then(|| {
                    crate::render::body(
                        &crate::render::Body {
                            text: &b.body_text,
                            html: b.body_html.as_deref(),
                            text_from_html: b.text_from_html,
                            flowed: b.flowed,
                        },
                        crate::render::Options {
                            obfuscate,
                            known_ids: Some(&known),
                            earlier: &earlier,
                            zone: Some(b.tz_offset * 60),
                            kept_files: kept.get(k).map_or(&[], Vec::as_slice),
                            lang,
                        },
                    )
                });
                (k.clone(), html)
            })
            .collect()
    })
    .await
}

/// Which of these Message-IDs a reader may follow: archived in a list the reader can see.
pub(super) async fn linkable_ids(
    st: &AppState,
    viewer: &Viewer,
    refs: &[String],
) -> Result<HashSet<String>, WebError> {
    Ok(st
        .store
        .known_message_ids(refs)
        .await?
        .into_iter()
        .filter(|(_, list, private)| viewer.can_read(list, *private))
        .map(|(id, _, _)| id)
        .collect())
}

/// The thread of a message of a visible list, or the reader's 404.
pub(super) async fn thread_of_message(
    st: &AppState,
    l: &ListRow,
    mkey: &str,
) -> Result<i64, WebError> {
    st.store
        .thread_of(l.id, mkey)
        .await?
        .ok_or_else(|| not_archived(l, mkey))
}

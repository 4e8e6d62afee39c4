//! Browsing pages: the lists, a list's overview, a month in four orderings, a thread, a
//! message, its raw bytes and attachments, and the Message-ID resolver.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::util::{self, enc, fmt_date, month_name, month_url, sender};
use super::{AppState, WebError, list_tags, visible_list};
use crate::domain::escape::Html;
use crate::domain::thread::{NodeRow, display_order, keep_placed};
use crate::render::outline::{self, Entry};
use crate::render::{ListTags, chart, listing_subject};
use crate::store::{AttachmentInfo, Blob, ListRow, MessageItem, MessageView, Order, ThreadSummary};
use axum::body::Body;

type St = State<Arc<AppState>>;

/// Messages per page in the date, author and subject orderings.
const PAGE: i64 = 300;
/// Threads per page in the thread ordering.
const THREAD_PAGE: usize = 150;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

// ---- front page -------------------------------------------------------------------

struct IndexRow {
    name: String,
    description: String,
    messages: i64,
    threads: i64,
    first: Option<i64>,
    last: Option<i64>,
    chart: Html,
}

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
struct IndexPage {
    lists: Vec<IndexRow>,
}

pub async fn index(State(st): St) -> Result<impl IntoResponse, WebError> {
    let mut lists = Vec::new();
    for l in st.store.list_summaries().await? {
        if !super::is_visible(l.private) {
            continue;
        }
        let Some(row) = st.store.list_by_name(&l.name).await? else {
            continue;
        };
        let months = st.store.month_counts(row.id).await?;
        lists.push(IndexRow {
            chart: chart::bars(&last_months(&months, 24), 120, 24),
            name: l.name,
            description: l.description,
            messages: l.messages,
            threads: l.threads,
            first: l.first_date,
            last: l.last_date,
        });
    }
    Ok(IndexPage { lists })
}

/// Counts of the last `n` months up to the newest one that has mail, zeros included.
fn last_months(months: &[crate::store::MonthCount], n: usize) -> Vec<(String, i64)> {
    let Some(last) = months.last().map(|m| m.month) else {
        return Vec::new();
    };
    let counts: HashMap<i64, i64> = months.iter().map(|m| (m.month, m.count)).collect();
    let mut out = Vec::new();
    let mut m = last;
    for _ in 0..n {
        out.push((month_name(m), counts.get(&m).copied().unwrap_or(0)));
        m = util::month_step(m, false);
    }
    out.reverse();
    out
}

// ---- list overview ----------------------------------------------------------------

struct YearRow {
    year: i64,
    total: i64,
    /// (count, url) per calendar month; count 0 = no link.
    months: Vec<(i64, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "list.html")]
struct ListPage {
    name: String,
    title: String,
    description: String,
    total: i64,
    years: Vec<YearRow>,
    threads: Vec<ThreadSummary>,
    chart: Html,
}

pub async fn list_redirect(State(st): St, Path(list): Path<String>) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    Ok(super::moved(&format!("/{}/", enc(&l.name))))
}

pub async fn list_page(State(st): St, Path(list): Path<String>) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    if l.name != list {
        return Ok(super::moved(&format!("/{}/", enc(&l.name))));
    }
    let months = st.store.month_counts(l.id).await?;
    let mut years: Vec<YearRow> = Vec::new();
    for m in months.iter().rev() {
        let y = m.month / 100;
        if years.last().is_none_or(|r| r.year != y) {
            years.push(YearRow {
                year: y,
                total: 0,
                months: vec![(0, String::new()); 12],
            });
        }
        if let Some(row) = years.last_mut() {
            let idx = ((m.month % 100) - 1).clamp(0, 11) as usize;
            row.months[idx] = (m.count, month_url(&l.name, m.month));
            row.total += m.count;
        }
    }
    let total = months.iter().map(|m| m.count).sum();
    let tags = list_tags(&st).await?;
    let mut threads = st.store.recent_threads(l.id, 30).await?;
    for t in &mut threads {
        t.subject = listing_subject(&t.subject, &tags).into_owned();
    }
    let chart = chart::bars(&last_months(&months, 60), 600, 60);
    Ok(ListPage {
        title: list_title(&l),
        name: l.name,
        description: l.description,
        total,
        years,
        threads,
        chart,
    }
    .into_response())
}

fn list_title(l: &ListRow) -> String {
    if l.title.is_empty() {
        l.name.clone()
    } else {
        l.title.clone()
    }
}

// ---- month ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "month.html")]
struct MonthPage {
    list: String,
    label: String,
    base: String,
    order: &'static str,
    total: i64,
    body: Html,
    prev_month: Option<String>,
    next_month: Option<String>,
    page: i64,
    pages: i64,
}

fn parse_month(year: &str, month: &str) -> Result<i64, WebError> {
    let y: i64 = year.parse().map_err(|_| WebError::NotFound)?;
    let m: i64 = month.parse().map_err(|_| WebError::NotFound)?;
    if !(1..=12).contains(&m) || !(1000..=9999).contains(&y) || month.len() != 2 {
        return Err(WebError::NotFound);
    }
    Ok(y * 100 + m)
}

async fn month_neighbours(
    st: &AppState,
    list_id: i64,
    ym: i64,
) -> Result<(Option<i64>, Option<i64>), WebError> {
    let months = st.store.month_counts(list_id).await?;
    let prev = months.iter().rev().find(|m| m.month < ym).map(|m| m.month);
    let next = months.iter().find(|m| m.month > ym).map(|m| m.month);
    Ok((prev, next))
}

fn item(list: &str, i: &MessageItem, with_date: bool, tags: &ListTags) -> Entry {
    Entry::Message {
        href: format!("/{}/m/{}/", enc(list), enc(&i.mkey)),
        subject: if i.subject.is_empty() {
            "(no subject)".to_string()
        } else {
            listing_subject(&i.subject, tags).into_owned()
        },
        who: sender(&i.from_name, &i.from_addr),
        date: with_date.then(|| fmt_date(&i.date)),
    }
}

/// Pre-order (depth, key) of a thread's nodes, keeping only the rows `keep` accepts; a
/// dropped row's children move up to its depth.
fn shown_rows(nodes: &[NodeRow], keep: impl Fn(&NodeRow) -> bool) -> Vec<(usize, String)> {
    keep_placed(&display_order(nodes), |i| keep(&nodes[i]))
        .into_iter()
        .map(|p| (p.depth, nodes[p.row].key.clone()))
        .collect()
}

pub async fn month_thread(
    State(st): St,
    Path((list, year, month)): Path<(String, String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    let ym = parse_month(&year, &month)?;
    let total = st.store.month_count(l.id, ym).await?;
    if total == 0 {
        return Err(empty_month(&l, ym));
    }
    let threads = st.store.month_threads(l.id, ym).await?;
    let pages = threads.len().div_ceil(THREAD_PAGE).max(1) as i64;
    if q.page() > pages {
        return Ok(last_page(&month_url(&l.name, ym), pages));
    }
    let page = q.page();
    let in_month: HashSet<String> = st.store.month_keys(l.id, ym).await?.into_iter().collect();
    let shown: Vec<i64> = threads
        .iter()
        .skip((page - 1) as usize * THREAD_PAGE)
        .take(THREAD_PAGE)
        .copied()
        .collect();
    let (nodes, items) = st.store.threads_data(l.id, &shown).await?;
    let items: HashMap<&str, &MessageItem> = items.iter().map(|m| (m.mkey.as_str(), m)).collect();
    let mut by_thread: HashMap<i64, Vec<NodeRow>> = HashMap::new();
    for n in nodes {
        by_thread.entry(n.thread).or_default().push(n);
    }
    let tags = list_tags(&st).await?;
    let mut rows: Vec<(usize, Entry)> = Vec::new();
    for t in &shown {
        let Some(nodes) = by_thread.get(t) else {
            continue;
        };
        let keys = shown_rows(nodes, |n| n.real && in_month.contains(&n.key));
        for (d, k) in keys {
            if let Some(i) = items.get(k.as_str()) {
                rows.push((d, item(&l.name, i, false, &tags)));
            }
        }
    }
    let (prev, next) = month_neighbours(&st, l.id, ym).await?;
    Ok(MonthPage {
        label: month_name(ym),
        base: month_url(&l.name, ym),
        list: l.name.clone(),
        order: "thread",
        total,
        body: outline::nested_list(&rows, "tree"),
        prev_month: prev.map(|m| month_url(&l.name, m)),
        next_month: next.map(|m| month_url(&l.name, m)),
        page,
        pages,
    }
    .into_response())
}

/// A page number past the end goes to the last page (temporarily: the month may grow), so
/// that every page number a client invents does not become a page of its own.
fn last_page(base: &str, pages: i64) -> Response {
    let to = if pages > 1 {
        format!("{base}?page={pages}")
    } else {
        base.to_string()
    };
    Redirect::to(&to).into_response()
}

fn empty_month(l: &ListRow, ym: i64) -> WebError {
    WebError::NotFoundHint(format!(
        "{} has no messages in {}. See the list's overview for the months it has.",
        l.name,
        month_name(ym)
    ))
}

pub async fn month_ordered(
    State(st): St,
    Path((list, year, month, order)): Path<(String, String, String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    let ym = parse_month(&year, &month)?;
    let (order, name) = match order.as_str() {
        "date" => (Order::Date, "date"),
        "author" => (Order::Author, "author"),
        "subject" => (Order::Subject, "subject"),
        "thread" => return Ok(super::moved(&month_url(&l.name, ym))),
        _ => return Err(WebError::NotFound),
    };
    let total = st.store.month_count(l.id, ym).await?;
    if total == 0 {
        return Err(empty_month(&l, ym));
    }
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    if q.page() > pages {
        return Ok(last_page(
            &format!("{}{name}/", month_url(&l.name, ym)),
            pages,
        ));
    }
    let page = q.page();
    let items = st
        .store
        .month_messages(l.id, ym, order, PAGE, (page - 1) * PAGE)
        .await?;
    let tags = list_tags(&st).await?;
    let mut rows: Vec<(usize, Entry)> = Vec::new();
    let mut group = String::new();
    for i in &items {
        // Author and subject orderings read as groups, like pipermail's pages.
        let g = match order {
            Order::Author => sender(&i.from_name, &i.from_addr),
            Order::Subject => crate::domain::normalize::subject_key(&i.subject).0,
            Order::Date => String::new(),
        };
        if order != Order::Date && g != group {
            rows.push((
                0,
                Entry::Heading(if g.is_empty() {
                    "(none)".into()
                } else {
                    g.clone()
                }),
            ));
            group = g;
        }
        rows.push((
            usize::from(order != Order::Date),
            item(&l.name, i, true, &tags),
        ));
    }
    let (prev, next) = month_neighbours(&st, l.id, ym).await?;
    Ok(MonthPage {
        label: month_name(ym),
        base: month_url(&l.name, ym),
        list: l.name.clone(),
        order: name,
        total,
        body: outline::nested_list(&rows, "flat"),
        prev_month: prev.map(|m| format!("{}{name}/", month_url(&l.name, m))),
        next_month: next.map(|m| format!("{}{name}/", month_url(&l.name, m))),
        page,
        pages,
    }
    .into_response())
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
    list: String,
    subject: String,
    root: String,
    messages: Vec<ThreadMsg>,
}

/// The display order of a thread, (depth, key) in pre-order over real messages, and its
/// messages by key.
async fn thread_order(
    st: &AppState,
    list_id: i64,
    thread: i64,
) -> Result<(Vec<(usize, String)>, HashMap<String, MessageItem>), WebError> {
    let (nodes, items) = st.store.threads_data(list_id, &[thread]).await?;
    let order = shown_rows(&nodes, |n| n.real);
    Ok((
        order,
        items.into_iter().map(|m| (m.mkey.clone(), m)).collect(),
    ))
}

/// The thread's messages as folds of quoted history may name them, each with where a
/// fold links to. Removed messages are left out: the store keeps no sender for them.
fn earlier_messages(
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

pub fn anchor(key: &str) -> String {
    format!("m-{}", hex::encode(sha2_short(key)))
}

fn sha2_short(key: &str) -> [u8; 6] {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(key.as_bytes());
    let mut out = [0u8; 6];
    out.copy_from_slice(&d[..6]);
    out
}

/// A thread page shows message bodies in full up to this much stored text, and this many
/// messages; later messages are listed with a link to their own page. A thread of
/// ordinary replies stays far below both; a thread of thousands, or of huge messages,
/// would otherwise make a page of hundreds of megabytes.
const THREAD_TEXT_BUDGET: usize = 8 << 20;
const THREAD_FULL_MAX: usize = 1000;

pub async fn thread_page(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    let t = thread_of_message(&st, &l, &mkey).await?;
    let (order, items) = thread_order(&st, l.id, t).await?;
    let max_chars = (crate::render::MAX_SHOWN_TEXT_BYTES + 1) as i64;
    let mut bodies: HashMap<String, crate::store::BodyRow> = HashMap::new();
    let mut used = 0usize;
    for chunk in order.chunks(25) {
        if used >= THREAD_TEXT_BUDGET || bodies.len() >= THREAD_FULL_MAX {
            break;
        }
        let keys: Vec<String> = chunk.iter().map(|(_, k)| k.clone()).collect();
        for (k, b) in st.store.bodies_by_key(l.id, &keys, max_chars).await? {
            used += b.body_text.len() + b.body_html.as_ref().map_or(0, String::len);
            bodies.insert(k, b);
        }
    }
    let refs: Vec<String> = bodies
        .values()
        .flat_map(|b| crate::render::message_id_refs(&b.body_text, 50))
        .take(1000)
        .collect();
    let known = linkable_ids(&st, &refs).await?;
    let obfuscate = l.obfuscate;
    let earlier = earlier_messages(&items, |k| format!("#{}", anchor(k)));
    let rendered: HashMap<String, Option<Html>> = super::heavy(&st, used, move || {
        bodies
            .iter()
            .map(|(k, b)| {
                let html = if b.removed {
                    None
                } else {
                    Some(crate::render::body(
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
                        },
                    ))
                };
                (k.clone(), html)
            })
            .collect()
    })
    .await?;
    let tags = list_tags(&st).await?;
    let mut messages = Vec::new();
    for (depth, key) in order {
        let Some(i) = items.get(&key) else { continue };
        // None past the page's budget; Some(None) for a removed message.
        let body = rendered.get(&key).cloned();
        messages.push(ThreadMsg {
            depth: depth.min(12),
            anchor: anchor(&key),
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
        list: l.name,
        subject,
        root,
        messages,
    }
    .into_response())
}

/// Which of these Message-IDs a reader may follow: archived in a list the reader can see.
async fn linkable_ids(st: &AppState, refs: &[String]) -> Result<HashSet<String>, WebError> {
    Ok(st
        .store
        .known_message_ids(refs)
        .await?
        .into_iter()
        .filter(|(_, private)| super::is_visible(*private))
        .map(|(id, _)| id)
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

fn not_archived(l: &ListRow, key: &str) -> WebError {
    WebError::NotFoundHint(format!(
        "The message <{key}> is not in the archive of {}.",
        l.name
    ))
}

// ---- message ----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    list: String,
    m: MessageView,
    /// The subject for the page's title: without list tags, as in listings (the heading
    /// keeps it as sent).
    title_subject: String,
    key_enc: String,
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
}

/// Attached messages larger than this are listed as attachments, not shown in place.
const EMBED_MAX: i64 = 1024 * 1024;

/// An attached message rendered for display inside its parent.
fn embedded_message(raw: &[u8], obfuscate: bool) -> (String, String, String, Html) {
    use crate::domain::normalize::{Origin, normalize};
    match normalize(raw, Origin::default()) {
        Ok(n) => {
            let html = crate::render::body(
                &crate::render::Body {
                    text: &n.body_text,
                    html: n.body_html.as_deref(),
                    text_from_html: n.text_from_html,
                    flowed: n.flowed_code(),
                },
                crate::render::Options {
                    obfuscate,
                    ..Default::default()
                },
            );
            let from = if obfuscate {
                sender(&n.from_name, &util::obfuscate(&n.from_addr))
            } else {
                sender(&n.from_name, &n.from_addr)
            };
            (n.subject, from, fmt_date(&n.date), html)
        }
        Err(_) => (
            "(unreadable attached message)".into(),
            String::new(),
            String::new(),
            Html::default(),
        ),
    }
}

/// Redirects only within a list the reader may see: a redirect would tell that it exists.
pub async fn message_redirect(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    Ok(super::moved(&format!(
        "/{}/m/{}/",
        enc(&l.name),
        enc(&mkey)
    )))
}

pub async fn message_page(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    if l.name != list {
        return Ok(super::moved(&format!(
            "/{}/m/{}/",
            enc(&l.name),
            enc(&mkey)
        )));
    }
    let m = visible_message(&st, &l, &mkey, true).await?;
    let lists = m
        .lists()
        .into_iter()
        .filter(|(_, private)| super::is_visible(*private))
        .map(|(n, _)| n)
        .collect();
    let attachments = if m.attachment_count > 0 {
        st.store.attachments(m.id).await?
    } else {
        Vec::new()
    };
    // Forwarded messages and digest parts are shown in place, images inline.
    let mut embedded_raw: Vec<Vec<u8>> = Vec::new();
    let mut images = Vec::new();
    for a in &attachments {
        if a.content_type == "message/rfc822" && embedded_raw.len() < 50 && a.size <= EMBED_MAX {
            if let Some(data) = st.store.attachment(m.id, a.idx).await? {
                embedded_raw.push(data.data);
            }
        } else if matches!(
            a.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        ) {
            images.push(format!(
                "a/{}/{}",
                a.idx,
                enc(if a.filename.is_empty() {
                    "image"
                } else {
                    &a.filename
                })
            ));
        }
    }
    let tags = list_tags(&st).await?;
    let (mut prev_date, mut next_date) = st.store.neighbours_by_date(l.id, &mkey).await?;
    for i in prev_date.iter_mut().chain(next_date.iter_mut()) {
        i.subject = listing_subject(&i.subject, &tags).into_owned();
    }
    let (order, items) = thread_order(&st, l.id, m.thread_no).await?;
    let pos = order.iter().position(|(_, k)| *k == mkey);
    let prev_thread = pos
        .and_then(|p| p.checked_sub(1))
        .and_then(|p| order.get(p))
        .map(|(_, k)| k.clone());
    let next_thread = pos.and_then(|p| order.get(p + 1)).map(|(_, k)| k.clone());
    let rows: Vec<(usize, Entry)> = order
        .iter()
        .take(400)
        .filter_map(|(d, k)| {
            let i = items.get(k)?;
            let row = if *k == mkey {
                Entry::Current {
                    subject: listing_subject(&i.subject, &tags).into_owned(),
                    who: sender(&i.from_name, &i.from_addr),
                }
            } else {
                item(&l.name, i, false, &tags)
            };
            Some((*d, row))
        })
        .collect();
    let subject = if m.subject.to_ascii_lowercase().starts_with("re:") {
        m.subject.clone()
    } else {
        format!("Re: {}", m.subject)
    };
    let reply = format!(
        "mailto:{}?subject={}&In-Reply-To={}",
        util::enc_query(&reply_address(&l, &m)),
        util::enc_query(&subject),
        util::enc_query(&format!("<{}>", m.message_id))
    );
    let signed = attachments.iter().any(|a| {
        matches!(
            a.content_type.as_str(),
            "application/pgp-signature"
                | "application/pkcs7-signature"
                | "application/x-pkcs7-signature"
        )
    });
    let known = linkable_ids(&st, &crate::render::message_id_refs(&m.body_text, 200)).await?;
    let list_enc = enc(&l.name);
    let earlier = earlier_messages(&items, |k| format!("/{list_enc}/m/{}/", enc(k)));
    let zone = m.tz_offset * 60;
    let (text, html) = (m.body_text.clone(), m.body_html.clone());
    let (text_from_html, flowed, obfuscate) = (m.text_from_html, m.flowed, l.obfuscate);
    let cost = text.len()
        + html.as_ref().map_or(0, String::len)
        + embedded_raw.iter().map(Vec::len).sum::<usize>();
    let (body, embedded) = super::heavy(&st, cost, move || {
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
            },
        );
        let embedded: Vec<_> = embedded_raw
            .iter()
            .map(|raw| embedded_message(raw, obfuscate))
            .collect();
        (body, embedded)
    })
    .await?;
    Ok(MessagePage {
        title_subject: listing_subject(&m.subject, &tags).into_owned(),
        key_enc: enc(&m.mkey),
        body,
        local_date: util::fmt_local(&m.date, m.tz_offset),
        list: l.name.clone(),
        lists,
        attachments,
        prev_date,
        next_date,
        prev_thread: prev_thread.map(|k| enc(&k)),
        next_thread: next_thread.map(|k| enc(&k)),
        outline: outline::nested_list(&rows, "tree"),
        thread_root: order.first().map(|(_, k)| enc(k)).unwrap_or_default(),
        thread_size: order.len(),
        signed,
        embedded,
        images,
        from_shown: if l.obfuscate {
            util::obfuscate(&m.from_addr)
        } else {
            m.from_addr.clone()
        },
        month_link: m
            .date
            .and_then(crate::domain::month::utc_month)
            .map(|mo| (month_url(&l.name, mo), month_name(mo))),
        reply,
        m,
    }
    .into_response())
}

/// The list's posting address is not stored yet, so the reply leaves the recipient to the
/// reader's mail client; Subject and In-Reply-To keep the thread together.
fn reply_address(_l: &ListRow, _m: &MessageView) -> String {
    String::new()
}

/// Bytes read from the store per query when streaming a raw message or an attachment.
const BLOB_CHUNK: usize = 1024 * 1024;

pub async fn raw_message(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
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
    Path((list, mkey, idx, _name)): Path<(String, String, String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
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
}

pub async fn resolve(State(st): St, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = id.trim_start_matches('<').trim_end_matches('>').to_string();
    let places: Vec<(String, String)> = st
        .store
        .placements(&id)
        .await?
        .into_iter()
        .filter(|p| super::is_visible(p.private))
        .map(|p| (p.list, p.mkey))
        .collect();
    match places.len() {
        0 => Err(WebError::NotFoundHint(format!(
            "No list archives the message <{id}>."
        ))),
        1 => Ok(
            Redirect::to(&format!("/{}/m/{}/", enc(&places[0].0), enc(&places[0].1)))
                .into_response(),
        ),
        _ => Ok(ChoicePage { id, places }.into_response()),
    }
}

// ---- errors and static files ------------------------------------------------------

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    hint: &'a str,
}

pub fn error_page(status: StatusCode, title: &str, hint: &str) -> Response {
    let body = ErrorPage { title, hint }
        .render()
        .unwrap_or_else(|_| title.to_string());
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Crawlers may read pages but not fetch every raw message and download.
pub async fn robots() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User-agent: *\nDisallow: /*/raw\nDisallow: /*mbox.gz\nDisallow: /*/m/*/a/\nDisallow: /search\nDisallow: /*/search\nDisallow: /r/\n",
    )
        .into_response()
}

pub async fn static_file(Path(file): Path<String>) -> Result<Response, WebError> {
    let (body, ctype): (&'static str, &'static str) = match file.as_str() {
        "style.css" => (
            include_str!("../../static/style.css"),
            "text/css; charset=utf-8",
        ),
        "nav.js" => (
            include_str!("../../static/nav.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return Err(WebError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}

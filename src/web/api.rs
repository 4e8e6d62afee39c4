//! The read-only JSON API under `/api/v1/` (docs/api.md; every answer's shape in
//! docs/api.schema.json): lists, months, threads, messages, search, and each list's change
//! log for mirrors. It shows exactly what the pages show: every list goes through
//! [`visible_list`] or [`Viewer::can_read`], removed messages keep their place without
//! sender or subject, and addresses are hidden where the list hides them.
//!
//! Collections come a page at a time. A page's `next` is an opaque cursor: the position
//! after its last row (keyset, so a walk meets each row once and a page costs the same
//! wherever it starts), written as base64url so that clients pass it back rather than
//! build it. Search pages by offset, which the index needs anyway.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::auth::Viewer;
use super::{AppState, WebError, urls, visible_list};
use crate::domain::month::Month;
use crate::search::{Order, query};
use crate::store::{ListRow, ListSummary, ThreadSummary};

type St = State<Arc<AppState>>;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;
/// Search reads its matches from the top down to the page asked for: past this many, the
/// query should be narrowed (as the search page's last page number says too).
const MAX_SEARCH_OFFSET: usize = 10_000;
/// A body longer than this many characters is cut (and says so); the raw message has it
/// whole.
const MAX_BODY_CHARS: usize = 1 << 20;
/// No cursor larger than this was ever handed out.
const MAX_CURSOR_LEN: usize = 4096;

// ---- errors -----------------------------------------------------------------------

/// Every failure answers `{"error": "..."}` with its status: a client of the API never
/// has to read an HTML error page.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

/// The pages' errors, said in JSON: the same statuses, a short reason, internals only in
/// the log.
impl From<WebError> for ApiError {
    fn from(e: WebError) -> ApiError {
        match e {
            WebError::NotFound | WebError::NotFoundHint(_) => ApiError::not_found("not found"),
            WebError::Gone => ApiError::new(StatusCode::GONE, "removed from the archive"),
            WebError::BadRequest(h) => ApiError::bad(h),
            WebError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden"),
            WebError::Busy(e) => {
                tracing::warn!("answered 503: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the archive is busy; try again in a few seconds",
                )
            }
            WebError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<crate::store::Error> for ApiError {
    fn from(e: crate::store::Error) -> ApiError {
        WebError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

type Answer = Result<Response, ApiError>;

fn ok<T: Serialize>(value: T) -> Answer {
    Ok(axum::Json(value).into_response())
}

/// Path segments, or a JSON 400 when they cannot be read (not UTF-8).
pub struct ApiPath<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|_| ApiError::bad("this address cannot be read"))
    }
}

// ---- routing, CORS ----------------------------------------------------------------

/// A read-only route: GET (and HEAD), the CORS preflight, and a JSON 405 for the rest.
pub fn read<H, T>(handler: H) -> MethodRouter<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>>,
    T: 'static,
{
    get(handler).options(preflight).fallback(not_allowed)
}

async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Accept, If-None-Match",
            ),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}

async fn not_allowed() -> Response {
    let mut res =
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "the API is read-only").into_response();
    res.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    res
}

/// Any other address under the API.
pub async fn unknown() -> ApiError {
    ApiError::not_found("no such API address; see /api/v1/")
}

/// Lets pages of other sites read what an anonymous reader may read (`*`): a browser
/// never sends cookies with a request answered `*`, so a signed-in reader's private
/// lists cannot reach another site this way, and their answers carry no CORS header at
/// all. Anonymous answers say `no-cache` (a mirror must see the change log as it is);
/// signed-in ones are marked private by `auth::identify`.
pub async fn cors(viewer: Viewer, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let mut res = next.run(req).await;
    let anonymous = viewer.is_anonymous();
    let headers = res.headers_mut();
    if method == Method::OPTIONS || (anonymous && matches!(method, Method::GET | Method::HEAD)) {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    if anonymous {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
    }
    res
}

// ---- parameters and cursors -------------------------------------------------------

/// The query string, read leniently (as the search page reads it): bad escapes become
/// U+FFFD, unknown names are ignored, the last of a repeated name counts.
struct Params(HashMap<String, String>);

impl Params {
    fn read(raw: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `limit`: 50 unless given, at most 200.
    fn limit(&self) -> Result<i64, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n.min(MAX_LIMIT)),
                _ => Err(ApiError::bad("limit must be a whole number from 1 to 200")),
            },
        }
    }

    /// The position a cursor of `kind` (read from parameter `name`) stands for.
    fn cursor(&self, name: &str, kind: Kind) -> Result<Option<String>, ApiError> {
        self.get(name).map(|c| kind.open(c)).transpose()
    }
}

/// What a cursor continues: a cursor handed out by one collection is refused by another,
/// rather than read as a position it never was.
#[derive(Clone, Copy)]
enum Kind {
    Lists,
    Months,
    Threads,
    Messages,
    Search,
    Changes,
}

impl Kind {
    fn tag(self) -> char {
        match self {
            Kind::Lists => 'l',
            Kind::Months => 'm',
            Kind::Threads => 't',
            Kind::Messages => 'n',
            Kind::Search => 's',
            Kind::Changes => 'c',
        }
    }

    fn seal(self, position: &str) -> String {
        b64_encode(format!("{}:{position}", self.tag()).as_bytes())
    }

    fn open(self, cursor: &str) -> Result<String, ApiError> {
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(bad_cursor());
        }
        let bytes = b64_decode(cursor).ok_or_else(bad_cursor)?;
        let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(t), Some(':')) if t == self.tag() && !chars.as_str().is_empty() => {
                Ok(chars.as_str().to_string())
            }
            _ => Err(bad_cursor()),
        }
    }
}

fn bad_cursor() -> ApiError {
    ApiError::bad("the cursor is not one this collection handed out")
}

/// A position made of numbers (and, last, one free text), as sealed in a cursor.
fn numbers<const N: usize>(position: &str) -> Result<([i64; N], &str), ApiError> {
    let mut parts = position.splitn(N + 1, ':');
    let mut out = [0i64; N];
    for n in &mut out {
        *n = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad_cursor)?;
    }
    Ok((out, parts.next().unwrap_or("")))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5).
fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits are the padding of the last group: six or more is a truncated cursor,
    // and set bits one that was never encoded.
    (bits < 6 && acc == 0).then_some(out)
}

/// One page of `rows` fetched with one row more than `limit`: the rows to show, and the
/// cursor of the next page when there is one.
fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    kind: Kind,
    pos: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| kind.seal(&pos(r)))
    } else {
        None
    };
    (rows, next)
}

// ---- JSON shapes (docs/api.schema.json) --------------------------------------------

fn date(t: Option<i64>) -> Option<String> {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// A month as the API writes it: `2008-04`.
fn month_name(m: Month) -> String {
    format!("{:04}-{:02}", m.year(), m.month())
}

fn parse_month(s: &str) -> Option<Month> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())) {
        return None;
    }
    Month::from_ym(y.parse().ok()?, m.parse().ok()?)
}

#[derive(Serialize)]
struct Sender {
    name: String,
    address: String,
}

/// The sender as the list shows it: the address written `jane at example.org` when the
/// list obfuscates addresses.
fn sender(obfuscate: bool, name: &str, addr: &str) -> Sender {
    Sender {
        name: name.to_string(),
        address: if obfuscate {
            super::util::obfuscate(addr)
        } else {
            addr.to_string()
        },
    }
}

#[derive(Serialize)]
struct ListLinks {
    #[serde(rename = "self")]
    this: String,
    page: String,
    months: String,
    changes: String,
    search: String,
}

#[derive(Serialize)]
struct ListJson {
    name: String,
    title: String,
    description: String,
    private: bool,
    messages: i64,
    threads: i64,
    first_date: Option<String>,
    last_date: Option<String>,
    links: ListLinks,
}

impl From<ListSummary> for ListJson {
    fn from(l: ListSummary) -> ListJson {
        ListJson {
            links: ListLinks {
                this: urls::api_list(&l.name),
                page: urls::list(&l.name),
                months: urls::api_months(&l.name),
                changes: urls::api_changes(&l.name),
                search: urls::api_search(Some(&l.name)),
            },
            name: l.name,
            title: l.title,
            description: l.description,
            private: l.private,
            messages: l.messages,
            threads: l.threads,
            first_date: date(l.first_date),
            last_date: date(l.last_date),
        }
    }
}

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
    page: String,
}

#[derive(Serialize)]
struct ThreadJson {
    key: String,
    subject: String,
    first_date: Option<String>,
    last_date: Option<String>,
    messages: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages_in_month: Option<i64>,
    links: Links,
}

fn thread_json(list: &str, t: ThreadSummary, in_month: Option<i64>) -> ThreadJson {
    ThreadJson {
        links: Links {
            this: urls::api_thread(list, &t.root_mkey),
            page: urls::thread(list, &t.root_mkey),
        },
        key: t.root_mkey,
        subject: t.subject,
        first_date: date(t.first_date),
        last_date: date(t.last_date),
        messages: t.message_count,
        messages_in_month: in_month,
    }
}

// ---- handlers ---------------------------------------------------------------------

/// The list a request names, if the viewer may read it; else the 404 a list that does not
/// exist gets.
async fn list(st: &AppState, viewer: &Viewer, name: &str) -> Result<ListRow, ApiError> {
    visible_list(st, viewer, name).await.map_err(|e| match e {
        WebError::NotFound | WebError::NotFoundHint(_) => ApiError::not_found("no such list"),
        e => e.into(),
    })
}

/// Where the API starts: its collections.
pub async fn root() -> Answer {
    ok(serde_json::json!({
        "version": 1,
        "links": {
            "lists": urls::API_LISTS,
            "search": urls::api_search(None),
        }
    }))
}

/// The lists the viewer may read, by name.
pub async fn lists(State(st): St, viewer: Viewer, RawQuery(raw): RawQuery) -> Answer {
    let p = Params::read(raw.as_deref());
    let limit = p.limit()?;
    let mut after = p.cursor("cursor", Kind::Lists)?;
    let limit_n = usize::try_from(limit).unwrap_or(0);
    const BATCH: usize = 256;
    let mut shown: Vec<ListSummary> = Vec::new();
    let mut more = false;
    // Lists the viewer may not read are skipped here, so a batch can yield fewer than it
    // read; each batch moves on past every list it read, so this ends.
    'batches: loop {
        let batch = st.store.lists_after(after.as_deref(), BATCH as i64).await?;
        let last = batch.len() < BATCH;
        for l in batch {
            after = Some(l.name.clone());
            if !viewer.can_read(&l.name, l.private) {
                continue;
            }
            if shown.len() == limit_n {
                more = true;
                break 'batches;
            }
            shown.push(l);
        }
        if last {
            break;
        }
    }
    let next = if more {
        shown.last().map(|l| Kind::Lists.seal(&l.name))
    } else {
        None
    };
    ok(serde_json::json!({
        "lists": shown.into_iter().map(ListJson::from).collect::<Vec<_>>(),
        "next": next,
    }))
}

/// One list with its counts, and where its change log stands now: a mirror reads this
/// before copying the list, then follows the changes from that cursor.
pub async fn list_info(State(st): St, viewer: Viewer, ApiPath(name): ApiPath<String>) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    let head = st.store.changes_head().await?;
    let summary = st
        .store
        .list_summary(l.id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such list"))?;
    ok(serde_json::json!({
        "list": ListJson::from(summary),
        "changes_cursor": Kind::Changes.seal(&head.to_string()),
    }))
}

#[derive(Serialize)]
struct MonthLinks {
    threads: String,
    page: String,
}

#[derive(Serialize)]
struct MonthJson {
    month: String,
    messages: i64,
    links: MonthLinks,
}

pub async fn months(
    State(st): St,
    viewer: Viewer,
    ApiPath(name): ApiPath<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    let p = Params::read(raw.as_deref());
    let limit = p.limit()?;
    let after = match p.cursor("cursor", Kind::Months)? {
        Some(pos) => numbers::<1>(&pos)?.0[0],
        None => 0,
    };
    let rows = st.store.months_after(l.id, after, limit + 1).await?;
    let (rows, next) = page(rows, limit, Kind::Months, |m| m.month.to_string());
    let months: Vec<MonthJson> = rows
        .iter()
        .filter_map(|m| {
            let month = Month::from_code(m.month)?;
            Some(MonthJson {
                month: month_name(month),
                messages: m.count,
                links: MonthLinks {
                    threads: urls::api_month_threads(&l.name, month),
                    page: urls::month(&l.name, month),
                },
            })
        })
        .collect();
    ok(serde_json::json!({ "list": l.name, "months": months, "next": next }))
}

pub async fn month_threads(
    State(st): St,
    viewer: Viewer,
    ApiPath((name, month)): ApiPath<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    let month = parse_month(&month).ok_or_else(|| ApiError::bad("a month is written YYYY-MM"))?;
    let p = Params::read(raw.as_deref());
    let limit = p.limit()?;
    let after = match p.cursor("cursor", Kind::Threads)? {
        Some(pos) => {
            let ([date, thread], _) = numbers::<2>(&pos)?;
            Some((date, thread))
        }
        None => None,
    };
    if st.store.month_count(l.id, month.code()).await? == 0 {
        return Err(ApiError::not_found(
            "the list has no messages in this month",
        ));
    }
    let rows = st
        .store
        .month_threads_after(l.id, month.code(), after, limit + 1)
        .await?;
    let (rows, next) = page(rows, limit, Kind::Threads, |t| {
        format!("{}:{}", t.first_in_month, t.thread.thread_no)
    });
    let threads: Vec<ThreadJson> = rows
        .into_iter()
        .map(|t| thread_json(&l.name, t.thread, Some(t.in_month)))
        .collect();
    ok(serde_json::json!({
        "list": l.name,
        "month": month_name(month),
        "threads": threads,
        "next": next,
    }))
}

#[derive(Serialize)]
struct MessageItemJson {
    key: String,
    parent: Option<String>,
    date: Option<String>,
    /// `None` for a removed message, which keeps only its place.
    subject: Option<String>,
    from: Option<Sender>,
    removed: bool,
    links: Links,
}

/// The messages of the thread holding message `key`, by date.
pub async fn thread(
    State(st): St,
    viewer: Viewer,
    ApiPath((name, key)): ApiPath<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    let p = Params::read(raw.as_deref());
    let limit = p.limit()?;
    let after = match p.cursor("cursor", Kind::Messages)? {
        Some(pos) => {
            let ([date, seq], key) = numbers::<2>(&pos)?;
            Some((date, seq, key.to_string()))
        }
        None => None,
    };
    let t = st
        .store
        .thread_holding(l.id, &key)
        .await?
        .ok_or_else(|| ApiError::not_found("the list holds no such message"))?;
    let rows = st
        .store
        .thread_messages_after(l.id, t.thread_no, after, limit + 1)
        .await?;
    let (rows, next) = page(rows, limit, Kind::Messages, |m| {
        let (d, s, k) = m.position();
        format!("{d}:{s}:{k}")
    });
    let messages: Vec<MessageItemJson> = rows
        .into_iter()
        .map(|m| MessageItemJson {
            links: Links {
                this: urls::api_message(&l.name, &m.mkey),
                page: urls::message(&l.name, &m.mkey),
            },
            date: date(m.date),
            subject: (!m.removed).then_some(m.subject),
            from: (!m.removed).then(|| sender(l.obfuscate, &m.from_name, &m.from_addr)),
            removed: m.removed,
            parent: m.parent,
            key: m.mkey,
        })
        .collect();
    ok(serde_json::json!({
        "list": l.name,
        "thread": thread_json(&l.name, t, None),
        "messages": messages,
        "next": next,
    }))
}

#[derive(Serialize)]
struct BodyJson {
    text: String,
    /// Longer than the API gives: the raw message has it whole.
    truncated: bool,
    /// The text was made from the message's HTML (which the API never gives).
    from_html: bool,
}

#[derive(Serialize)]
struct AttachmentJson {
    index: i64,
    filename: String,
    content_type: String,
    size: i64,
    url: String,
}

#[derive(Serialize)]
struct MessageLinks {
    #[serde(rename = "self")]
    this: String,
    page: String,
    raw: String,
    thread: String,
    thread_page: String,
}

#[derive(Serialize)]
struct MessageJson {
    list: String,
    key: String,
    message_id: String,
    subject: String,
    from: Sender,
    date: Option<String>,
    in_reply_to: Option<String>,
    /// The key of the thread's first message (what the thread's links name).
    thread: Option<String>,
    /// Every list holding the message that the viewer may read.
    lists: Vec<String>,
    body: BodyJson,
    attachments: Vec<AttachmentJson>,
    links: MessageLinks,
}

pub async fn message(
    State(st): St,
    viewer: Viewer,
    ApiPath((name, key)): ApiPath<(String, String)>,
) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    let m = st
        .store
        .message_in_list(l.id, &key, (MAX_BODY_CHARS + 1) as i64)
        .await?
        .ok_or_else(|| ApiError::not_found("the list holds no such message"))?;
    if m.removed {
        return Err(WebError::Gone.into());
    }
    let attachments = if m.attachment_count > 0 {
        st.store.attachments(m.id).await?
    } else {
        Vec::new()
    };
    let root = st
        .store
        .thread_holding(l.id, &m.mkey)
        .await?
        .map(|t| t.root_mkey);
    let mut text = m.body_text.clone();
    let truncated = match text.char_indices().nth(MAX_BODY_CHARS) {
        Some((at, _)) => {
            text.truncate(at);
            true
        }
        None => false,
    };
    if l.obfuscate {
        text = super::heavy(&st, text.len(), move || {
            crate::render::obfuscated_text(&text)
        })
        .await?;
    }
    let thread_key = root.clone().unwrap_or_else(|| m.mkey.clone());
    ok(MessageJson {
        links: MessageLinks {
            this: urls::api_message(&l.name, &m.mkey),
            page: urls::message(&l.name, &m.mkey),
            raw: urls::message_raw(&l.name, &m.mkey),
            thread: urls::api_thread(&l.name, &thread_key),
            thread_page: urls::thread(&l.name, &thread_key),
        },
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentJson {
                url: urls::attachment(&l.name, &m.mkey, a.idx, &a.filename),
                index: a.idx,
                filename: a.filename,
                content_type: a.content_type,
                size: a.size,
            })
            .collect(),
        lists: m
            .lists()
            .into_iter()
            .filter(|(n, private)| viewer.can_read(n, *private))
            .map(|(n, _)| n)
            .collect(),
        body: BodyJson {
            text,
            truncated,
            from_html: m.text_from_html,
        },
        from: sender(l.obfuscate, &m.from_name, &m.from_addr),
        date: date(m.date),
        in_reply_to: m.in_reply_to.clone(),
        thread: root,
        subject: m.subject.clone(),
        message_id: m.message_id.clone(),
        key: m.mkey.clone(),
        list: l.name,
    })
}

#[derive(Serialize)]
struct ChangeLinks {
    message: String,
}

#[derive(Serialize)]
struct ChangeJson {
    kind: &'static str,
    key: String,
    at: Option<String>,
    links: ChangeLinks,
}

/// What changed in a list after `since`, oldest first. `next` is always given: the
/// position to ask from next time, even when nothing changed.
pub async fn changes(
    State(st): St,
    viewer: Viewer,
    ApiPath(name): ApiPath<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    let p = Params::read(raw.as_deref());
    let limit = p.limit()?;
    let since = match p.cursor("since", Kind::Changes)? {
        Some(pos) => numbers::<1>(&pos)?.0[0],
        None => 0,
    };
    let mut rows = st.store.changes_after(l.id, since, limit + 1).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(0);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let last = rows.last().map_or(since, |c| c.seq);
    let changes: Vec<ChangeJson> = rows
        .into_iter()
        .map(|c| ChangeJson {
            kind: c.kind.as_str(),
            links: ChangeLinks {
                message: urls::api_message(&l.name, &c.mkey),
            },
            key: c.mkey,
            at: date(Some(c.at)),
        })
        .collect();
    ok(serde_json::json!({
        "list": l.name,
        "changes": changes,
        "next": Kind::Changes.seal(&last.to_string()),
        "more": more,
    }))
}

#[derive(Serialize)]
struct HitJson {
    list: String,
    key: String,
    subject: String,
    from: Sender,
    date: Option<String>,
    snippet: String,
    links: Links,
}

pub async fn search_all(State(st): St, viewer: Viewer, RawQuery(raw): RawQuery) -> Answer {
    search(st, viewer, None, raw).await
}

pub async fn search_list(
    State(st): St,
    viewer: Viewer,
    ApiPath(name): ApiPath<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let l = list(&st, &viewer, &name).await?;
    search(st, viewer, Some(l), raw).await
}

/// The search page's query language and visibility, a page of hits as plain text.
async fn search(
    st: Arc<AppState>,
    viewer: Viewer,
    scope: Option<ListRow>,
    raw: Option<String>,
) -> Answer {
    let p = Params::read(raw.as_deref());
    let q = p.get("q").unwrap_or("").trim().to_string();
    if q.is_empty() {
        return Err(ApiError::bad("q (the query) is required"));
    }
    let limit = usize::try_from(p.limit()?).unwrap_or(0);
    let offset = match p.cursor("cursor", Kind::Search)? {
        Some(pos) => usize::try_from(numbers::<1>(&pos)?.0[0]).map_err(|_| bad_cursor())?,
        None => 0,
    };
    if offset >= MAX_SEARCH_OFFSET {
        return Err(bad_cursor());
    }
    let limit = limit.min(MAX_SEARCH_OFFSET - offset);
    let parsed = query::parse(&q);
    let all = st.store.all_lists().await?;
    let obfuscating: HashMap<i64, bool> = all.iter().map(|l| (l.id, l.obfuscate)).collect();
    let lang = super::lang::current();
    let mut notes: Vec<String> = parsed
        .notes
        .iter()
        .map(|n| super::search::note_text(lang, n))
        .collect();
    let order = match p.get("o") {
        Some("relevance") => Order::Relevance,
        Some("new") => Order::Newest,
        Some("old") => Order::Oldest,
        Some(_) => return Err(ApiError::bad("o is relevance, new or old")),
        None if parsed.has_text() => Order::Relevance,
        None => Order::Newest,
    };
    let scope_id = scope.as_ref().map(|l| l.id);
    let window = (order, offset, limit);
    let (found, named_notes) =
        super::search::search_for(&st, &viewer, &all, &parsed, scope_id, window).await?;
    notes.extend(named_notes);
    let rows = st.store.hit_rows(&found.ids, true).await?;
    let hl = found.highlighter(&st.search);
    let rows_and_snippets = tokio::task::spawn_blocking(move || {
        rows.into_iter()
            .map(|h| {
                let snippet = hl.body(&h.body_text).text;
                (h, snippet)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| WebError::Internal(e.into()))?;
    let hits: Vec<HitJson> = rows_and_snippets
        .into_iter()
        .filter_map(|(h, snippet)| {
            let (list_id, list, _, _) = super::search::shown_in(&h, &viewer, scope_id)?.clone();
            let obfuscate = obfuscating.get(&list_id).copied().unwrap_or(true);
            Some(HitJson {
                links: Links {
                    this: urls::api_message(&list, &h.mkey),
                    page: urls::message(&list, &h.mkey),
                },
                from: sender(obfuscate, &h.from_name, &h.from_addr),
                date: date(h.date),
                snippet: if obfuscate {
                    crate::render::obfuscated_text(&snippet)
                } else {
                    snippet
                },
                subject: h.subject,
                key: h.mkey,
                list,
            })
        })
        .collect();
    let end = offset + limit;
    let next =
        (end < found.total && end < MAX_SEARCH_OFFSET).then(|| Kind::Search.seal(&end.to_string()));
    ok(serde_json::json!({
        "query": q,
        "total": found.total,
        "notes": notes,
        "hits": hits,
        "next": next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        for s in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "t:123:45",
            "n:9223372036854775807:3:ü@x/y",
        ] {
            let e = b64_encode(s.as_bytes());
            assert!(
                e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(b64_decode(&e).as_deref(), Some(s.as_bytes()), "{s}");
        }
        assert_eq!(b64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64_encode(b"fo"), "Zm8");
    }

    #[test]
    fn cursors_are_refused_unless_handed_out_by_the_same_collection() {
        let c = Kind::Months.seal("200604");
        assert_eq!(Kind::Months.open(&c).unwrap(), "200604");
        assert!(Kind::Threads.open(&c).is_err());
        for bad in [
            "",
            "!!!",
            "A",
            "Zm9vYmFy",
            "bTo",
            &"A".repeat(5000),
            "bToyMDA2MDQ=",
            "Zm8x",
        ] {
            assert!(Kind::Months.open(bad).is_err(), "{bad}");
        }
        assert!(numbers::<1>("x").is_err());
        assert!(numbers::<2>("1").is_err());
        assert_eq!(numbers::<2>("1:-2:a:b").unwrap(), ([1, -2], "a:b"));
    }

    #[test]
    fn months_are_written_yyyy_mm() {
        let m = parse_month("2008-04").unwrap();
        assert_eq!(month_name(m), "2008-04");
        for bad in [
            "2008-4",
            "2008-13",
            "08-04",
            "2008/04",
            "+008-04",
            "2008-04-01",
            "",
        ] {
            assert!(parse_month(bad).is_none(), "{bad}");
        }
    }
}

//! public-inbox's addresses, so that the tools of kernel-style workflows (`b4`, `lei`,
//! `git send-email` links, `Link:` trailers) work against a larch base URL as they do
//! against lore: `/LIST/MSGID/` and its `raw`, `T/`, `t/` and `t.mbox.gz`, and `/all/…`
//! across every list the reader may see. The Message-ID is the path segment, percent-
//! encoded as public-inbox and b4 write it (`quote_plus`: `%40` for `@`, `+` for a space).
//!
//! b4 reads `t.mbox.gz` as the raw gzip of an mboxrd: it is served with
//! `Content-Type: application/gzip` and never `Content-Encoding`, or its own decompression
//! would fail on bytes already inflated.
//!
//! `POST /LIST/?x=m&q=QUERY` (`&t=1` for whole threads) answers a search as such an mbox,
//! as lei's remote externals and b4's follow-up searches ask; public-inbox's prefixes that
//! larch's query language shares (`s:`, `f:`, `b:`, `m:`, `d:`) mean the same, and an empty
//! result is a 404, as public-inbox answers it.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::Viewer;
use super::{AppState, WebError, urls, visible_list};
use crate::store::ListRow;

type St = State<Arc<AppState>>;

/// The pseudo-list of public-inbox's `/all/` extindex: every list the reader may see.
const ALL: &str = "all";

/// The list an address names, or None for `/all/` (when no list is called `all`): every
/// list the reader may see. A list the reader may not see is not found.
async fn scope_list(
    st: &AppState,
    viewer: &Viewer,
    list: &str,
) -> Result<Option<ListRow>, WebError> {
    if list == ALL && st.store.list_by_name(ALL).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(visible_list(st, viewer, list).await?))
}

/// The list and message key a public-inbox address names. Under `/all/` (when no list is
/// called `all`) the first list, by name, that archives the message and that the reader
/// may see.
async fn place(
    st: &AppState,
    viewer: &Viewer,
    list: &str,
    mid: &str,
) -> Result<(ListRow, String), WebError> {
    let l = scope_list(st, viewer, list).await?;
    let id = mid.trim().trim_start_matches('<').trim_end_matches('>');
    let mut candidates = vec![id.to_string()];
    if id.contains('+') {
        // `quote_plus` writes a space as `+` (a `+` of the id itself comes as `%2B`).
        candidates.push(id.replace('+', " "));
    }
    for id in &candidates {
        for p in st.store.placements(id).await? {
            if !viewer.can_read(&p.list, p.private) {
                continue;
            }
            match &l {
                Some(l) if l.name == p.list => return Ok((l.clone(), p.mkey)),
                Some(_) => {}
                None => {
                    let l = visible_list(st, viewer, &p.list).await?;
                    return Ok((l, p.mkey));
                }
            }
        }
    }
    let lang = super::lang::current();
    Err(WebError::NotFoundHint(match l {
        Some(l) => lang.tr(
            "error-no-message",
            &[("key", id.into()), ("list", l.name.as_str().into())],
        ),
        None => lang.tr("error-no-message-anywhere", &[("key", id.into())]),
    }))
}

/// `/LIST/MSGID/`: the message's page.
pub async fn message(
    State(st): St,
    viewer: Viewer,
    Path((list, mid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (l, mkey) = place(&st, &viewer, &list, &mid).await?;
    Ok(super::moved(&urls::message(&l.name, &mkey)))
}

/// `/LIST/MSGID/raw`: the message as it was received.
pub async fn raw(
    State(st): St,
    viewer: Viewer,
    Path((list, mid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (l, mkey) = place(&st, &viewer, &list, &mid).await?;
    Ok(super::moved(&urls::message_raw(&l.name, &mkey)))
}

/// `/LIST/MSGID/T/` and `/LIST/MSGID/t/`: the thread, at the message.
pub async fn thread(
    State(st): St,
    viewer: Viewer,
    Path((list, mid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (l, mkey) = place(&st, &viewer, &list, &mid).await?;
    // The thread page takes any of its messages' keys, and marks that one.
    Ok(super::moved(&urls::thread_at(&l.name, &mkey, &mkey)))
}

/// `/LIST/MSGID/t.mbox.gz`: the whole thread as a gzipped mboxrd, what `b4 am` fetches.
pub async fn thread_mbox(
    State(st): St,
    viewer: Viewer,
    Path((list, mid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (l, mkey) = place(&st, &viewer, &list, &mid).await?;
    super::export::thread_mbox_of(&st, &l, &mkey).await
}

/// `/MSGID/` at the site's root: the message's page in the first list, by name, that
/// archives it and that the reader may see.
pub async fn root_message(st: &AppState, viewer: &Viewer, mid: &str) -> Result<Response, WebError> {
    let (l, mkey) = place(st, viewer, ALL, mid).await?;
    Ok(super::moved(&urls::message(&l.name, &mkey)))
}

/// Most search hits a search mbox holds, and most messages once their threads are added.
const MBOX_HITS: usize = 1_000;
const MBOX_MESSAGES: usize = 10_000;

/// `POST /LIST/?x=m&q=QUERY[&t=1]`: the messages matching a search (with `t=1` their whole
/// threads), newest first, as a gzipped mboxrd.
pub async fn search_mbox(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let mut q = String::new();
    let (mut as_mbox, mut threads) = (false, false);
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match &*k {
            "q" => q = v.into_owned(),
            "x" => as_mbox = v == "m",
            "t" => threads = v == "1",
            _ => {}
        }
    }
    if !as_mbox || q.trim().is_empty() {
        return Ok((
            StatusCode::BAD_REQUEST,
            "A search here is POST /LIST/?x=m&q=QUERY (t=1 for whole threads).\n",
        )
            .into_response());
    }
    let scope = scope_list(&st, &viewer, &list).await?.map(|l| l.id);
    let parsed = crate::search::query::parse(&q);
    let all = st.store.all_lists().await?;
    let window = (crate::search::Order::Newest, 0, MBOX_HITS);
    let (found, _) = super::search::search_for(&st, &viewer, &all, &parsed, scope, window).await?;
    let rows = st.store.hit_rows(&found.ids, false).await?;
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut threads_done = std::collections::HashSet::new();
    for h in &rows {
        let Some((list_id, _, _, thread_no)) = super::search::shown_in(h, &viewer, scope) else {
            continue;
        };
        if !threads {
            if seen.insert(h.id) {
                ids.push(h.id);
            }
            continue;
        }
        if threads_done.insert((*list_id, *thread_no)) {
            for id in st.store.thread_message_ids(*list_id, *thread_no).await? {
                if seen.insert(id) {
                    ids.push(id);
                }
            }
        }
        if ids.len() >= MBOX_MESSAGES {
            ids.truncate(MBOX_MESSAGES);
            break;
        }
    }
    if ids.is_empty() {
        return Ok((StatusCode::NOT_FOUND, "No results found\n").into_response());
    }
    let body = super::export::gz_body(st.store.export_ids(ids), super::export::mboxrd_entry);
    Ok(super::export::mbox_response(body, "results.mbox.gz"))
}

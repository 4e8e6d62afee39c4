//! public-inbox's addresses, so that the tools of kernel-style workflows (`b4`, `lei`,
//! `git send-email` links, `Link:` trailers) work against a larch base URL as they do
//! against lore: `/LIST/MSGID/` and its `raw`, `T/`, `t/` and `t.mbox.gz`, and `/all/…`
//! across every list the reader may see. The Message-ID is the path segment, percent-
//! encoded as public-inbox and b4 write it (`quote_plus`: `%40` for `@`, `+` for a space).
//!
//! b4 reads `t.mbox.gz` as the raw gzip of an mboxrd: it is served with
//! `Content-Type: application/gzip` and never `Content-Encoding`, or its own decompression
//! would fail on bytes already inflated.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;

use super::auth::Viewer;
use super::{AppState, WebError, urls, visible_list};
use crate::store::ListRow;

type St = State<Arc<AppState>>;

/// The pseudo-list of public-inbox's `/all/` extindex: every list the reader may see.
const ALL: &str = "all";

/// The list and message key a public-inbox address names. Under `/all/` (when no list is
/// called `all`) the first list, by name, that archives the message and that the reader
/// may see.
async fn place(
    st: &AppState,
    viewer: &Viewer,
    list: &str,
    mid: &str,
) -> Result<(ListRow, String), WebError> {
    let named = if list == ALL {
        st.store.list_by_name(ALL).await?.is_some()
    } else {
        true
    };
    let l = if named {
        Some(visible_list(st, viewer, list).await?)
    } else {
        None
    };
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
    Err(WebError::NotFoundHint(format!(
        "No message <{id}> in {}.",
        l.map_or_else(|| "the lists you can read".to_string(), |l| l.name)
    )))
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

//! Minimal pages: the lists, a list's recent threads, a thread, a message.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AppState, WebError};
use crate::ingest::thread::{TreeNode, build_tree};
use crate::store::{ListSummary, MessageItem, MessageView, ThreadSummary};

type St = State<Arc<AppState>>;

pub fn fmt_date(t: &Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "(no date)".into())
}

/// Addresses are shown as pipermail did (`jane at example.org`) to starve harvesters.
pub fn obfuscate(addr: &str) -> String {
    addr.replace('@', " at ")
}

/// Message keys are percent-encoded as one path segment so that `/`, `%`, `#`, `?`
/// and spaces survive the round trip.
pub fn enc(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
struct IndexPage {
    lists: Vec<ListSummary>,
}

pub async fn index(State(st): St) -> Result<impl IntoResponse, WebError> {
    let lists = st
        .store
        .list_summaries()
        .await?
        .into_iter()
        .filter(|l| !l.private)
        .collect();
    Ok(IndexPage { lists })
}

#[derive(Template, WebTemplate)]
#[template(path = "list.html")]
struct ListPage {
    name: String,
    description: String,
    threads: Vec<ThreadSummary>,
}

async fn visible_list(st: &AppState, name: &str) -> Result<crate::store::ListRow, WebError> {
    // The one visibility rule: private lists are not served (access control comes later).
    match st.store.list_by_name(name).await? {
        Some(l) if !l.private => Ok(l),
        _ => Err(WebError::NotFound),
    }
}

pub async fn list_page(
    State(st): St,
    Path(list): Path<String>,
) -> Result<impl IntoResponse, WebError> {
    let l = visible_list(&st, &list).await?;
    let threads = st.store.recent_threads(l.id, 50).await?;
    Ok(ListPage {
        name: l.name,
        description: l.description,
        threads,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    list: String,
    m: MessageView,
}

pub async fn message_page(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<impl IntoResponse, WebError> {
    let l = visible_list(&st, &list).await?;
    let m = st
        .store
        .message_in_list(l.id, &mkey)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(MessagePage { list: l.name, m })
}

pub async fn raw_message(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    let m = st
        .store
        .message_in_list(l.id, &mkey)
        .await?
        .ok_or(WebError::NotFound)?;
    let raw = st
        .store
        .raw_message(m.id)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        raw,
    )
        .into_response())
}

/// A thread row flattened for the template: depth gives the indentation.
struct Row {
    depth: usize,
    item: Option<MessageItem>,
    marked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "thread.html")]
struct ThreadPage {
    list: String,
    subject: String,
    rows: Vec<Row>,
}

fn flatten(
    nodes: &[TreeNode],
    depth: usize,
    items: &std::collections::HashMap<String, MessageItem>,
    mark: &str,
    out: &mut Vec<Row>,
) {
    for n in nodes {
        out.push(Row {
            depth,
            item: items.get(&n.key).cloned(),
            marked: n.key == mark,
        });
        flatten(&n.children, depth + 1, items, mark, out);
    }
}

pub async fn thread_page(
    State(st): St,
    Path((list, mkey)): Path<(String, String)>,
) -> Result<impl IntoResponse, WebError> {
    let l = visible_list(&st, &list).await?;
    let t = st
        .store
        .thread_of(l.id, &mkey)
        .await?
        .ok_or(WebError::NotFound)?;
    let nodes = st.store.thread_nodes(l.id, t).await?;
    let items: std::collections::HashMap<String, MessageItem> = st
        .store
        .thread_messages(l.id, t)
        .await?
        .into_iter()
        .map(|m| (m.mkey.clone(), m))
        .collect();
    let tree = build_tree(&nodes);
    let mut rows = Vec::new();
    flatten(&tree, 0, &items, &mkey, &mut rows);
    let subject = rows
        .iter()
        .find_map(|r| r.item.as_ref().map(|i| i.subject.clone()))
        .unwrap_or_default();
    Ok(ThreadPage {
        list: l.name,
        subject,
        rows,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
}

pub fn error_page(status: StatusCode, title: &str) -> Response {
    let body = ErrorPage { title }
        .render()
        .unwrap_or_else(|_| title.to_string());
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

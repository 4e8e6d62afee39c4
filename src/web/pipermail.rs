//! pipermail compatibility: every URL a Mailman 2 archive published keeps working under
//! `/pipermail/{list}/` (and the list's aliases): index and month pages redirect (301) to
//! their new pages, article pages redirect through the recorded article number, and the
//! month text archives are served as pipermail served them, addresses obfuscated.

use std::io::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::auth::Viewer;
use super::urls;
use super::{AppState, WebError, visible_list};
use crate::domain::month::{Month, parse_month};
use crate::store::{ExportRow, ExportScope};

type St = State<Arc<AppState>>;

pub async fn list_root(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    Ok(super::moved(&urls::list(&l.name)))
}

fn moved(to: &str) -> Result<Response, WebError> {
    Ok(super::moved(to))
}

pub async fn path(
    State(st): St,
    viewer: Viewer,
    Path((list, rest)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    if rest.is_empty() || rest == "index.html" || rest == "index.htm" {
        return moved(&urls::list(&l.name));
    }
    let not_here = |what: &str| {
        WebError::NotFoundHint(format!(
            "The old archive address “{what}” of {} does not match anything in this archive. \
             Try the search box above or the list's overview.",
            l.name
        ))
    };
    // Month text archives.
    for (suffix, gz) in [(".txt.gz", true), (".txt", false)] {
        if let Some(stem) = rest.strip_suffix(suffix) {
            let ym = pipermail_month(stem).ok_or_else(|| not_here(&rest))?;
            if st.store.month_count(l.id, ym.code()).await? == 0 {
                return Err(not_here(&rest));
            }
            return Ok(month_text(&st, l.id, ym, gz, &rest));
        }
    }
    let (month_part, page) = match rest.split_once('/') {
        Some((a, b)) => (a, b),
        None => (rest.as_str(), ""),
    };
    if month_part == "attachments" {
        return Err(not_here(&rest));
    }
    let ym = pipermail_month(month_part).ok_or_else(|| not_here(&rest))?;
    if st.store.month_count(l.id, ym.code()).await? == 0 {
        return Err(not_here(&rest));
    }
    match page {
        "" | "index.html" | "thread.html" => moved(&urls::month(&l.name, ym)),
        "date.html" => moved(&urls::month_order(&l.name, ym, "date")),
        "author.html" => moved(&urls::month_order(&l.name, ym, "author")),
        "subject.html" => moved(&urls::month_order(&l.name, ym, "subject")),
        p => {
            let number = p
                .strip_suffix(".html")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse::<i64>().ok())
                .ok_or_else(|| not_here(&rest))?;
            match st.store.pipermail_number(l.id, number).await? {
                Some(mkey) => moved(&urls::message(&l.name, &mkey)),
                None => Err(not_here(&rest)),
            }
        }
    }
}

/// asctime as pipermail wrote it in envelopes: `Tue Apr  1 14:36:36 2008`.
fn asctime(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_else(|| "Thu Jan  1 00:00:00 1970".into())
}

fn rfc2822(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc2822())
        .unwrap_or_default()
}

/// One message in pipermail's text-archive form.
fn text_entry(out: &mut Vec<u8>, r: &ExportRow) {
    let addr = super::util::obfuscate(&r.from_addr);
    let one_line = |s: &str| s.replace(['\r', '\n'], " ");
    let _ = writeln!(out, "From {addr}  {}", asctime(r.date));
    if r.from_name.is_empty() {
        let _ = writeln!(out, "From: {addr}");
    } else {
        let _ = writeln!(out, "From: {addr} ({})", one_line(&r.from_name));
    }
    let _ = writeln!(out, "Date: {}", rfc2822(r.date));
    let _ = writeln!(out, "Subject: {}", one_line(&r.subject));
    if let Some(irt) = &r.in_reply_to {
        let _ = writeln!(out, "In-Reply-To: <{}>", one_line(irt));
    }
    if !r.refs.is_empty() {
        let refs: Vec<String> = r.refs.split(' ').map(|x| format!("<{x}>")).collect();
        let _ = writeln!(out, "References: {}", refs.join("\n\t"));
    }
    let _ = writeln!(out, "Message-ID: <{}>\n", one_line(&r.message_id));
    for line in r.body_text.lines() {
        if crate::domain::envelope::mboxo_quotes(line.as_bytes()) {
            out.push(b'>');
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"\n");
}

/// The month a pipermail name (`2008-April`) stands for.
fn pipermail_month(stem: &str) -> Option<Month> {
    parse_month(stem).and_then(|(y, m)| Month::from_ym(y, m))
}

fn month_text(st: &AppState, list_id: i64, ym: Month, gz: bool, name: &str) -> Response {
    let rows = st
        .store
        .export_stream(list_id, ExportScope::Month(ym.code()));
    if gz {
        let body = super::export::gz_body(rows, text_entry);
        return (
            [
                (header::CONTENT_TYPE, "application/gzip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            body,
        )
            .into_response();
    }
    use futures::StreamExt;
    let stream = rows.map(|r| match r {
        Ok(r) => {
            let mut buf = Vec::new();
            text_entry(&mut buf, &r);
            Ok::<bytes::Bytes, std::io::Error>(bytes::Bytes::from(buf))
        }
        Err(e) => Err(std::io::Error::other(e.to_string())),
    });
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

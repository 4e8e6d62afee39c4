//! pipermail compatibility: every URL a Mailman 2 archive published keeps working under
//! `/pipermail/{list}/` (and the list's aliases), whatever its volume frequency (yearly,
//! quarterly, monthly, weekly, daily): index and volume pages redirect (301) to their new
//! pages, article pages redirect through the recorded article number, scrubbed attachments
//! to the stored file, and the volumes' text archives are served as pipermail served them,
//! addresses obfuscated.

use std::io::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::auth::Viewer;
use super::urls;
use super::{AppState, WebError, visible_list};
use crate::domain::month::Month;
use crate::domain::volume::Volume;
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
        WebError::NotFoundHint(super::lang::current().tr(
            "error-old-address",
            &[("what", what.into()), ("list", l.name.as_str().into())],
        ))
    };
    // Text archives of a volume.
    for (suffix, gz) in [(".txt.gz", true), (".txt", false)] {
        if let Some(stem) = rest.strip_suffix(suffix) {
            let volume = Volume::parse(stem).ok_or_else(|| not_here(&rest))?;
            let scope = match volume {
                Volume::Month(m) if st.store.month_count(l.id, m.code()).await? > 0 => {
                    ExportScope::Month(m.code())
                }
                Volume::Month(_) => return Err(not_here(&rest)),
                v => {
                    let (a, b) = v.span().ok_or_else(|| not_here(&rest))?;
                    if !st.store.any_in_span(l.id, a, b).await? {
                        return Err(not_here(&rest));
                    }
                    ExportScope::Span(a, b)
                }
            };
            return Ok(volume_text(&st, l.id, scope, gz, &rest));
        }
    }
    let (volume_part, page) = match rest.split_once('/') {
        Some((a, b)) => (a, b),
        None => (rest.as_str(), ""),
    };
    if volume_part == "attachments" {
        return match st.store.pipermail_attachment(l.id, page).await? {
            Some((mkey, idx, name)) => moved(&urls::attachment(&l.name, &mkey, idx, &name)),
            None => Err(not_here(&rest)),
        };
    }
    let volume = Volume::parse(volume_part).ok_or_else(|| not_here(&rest))?;
    let ym = volume_month(&st, l.id, volume)
        .await?
        .ok_or_else(|| not_here(&rest))?;
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

/// The month page that stands for a volume's indexes: the month itself, or the first month
/// of a year, quarter, week or day that holds any of its messages. None when the volume
/// holds nothing.
async fn volume_month(
    st: &AppState,
    list_id: i64,
    volume: Volume,
) -> Result<Option<Month>, WebError> {
    if let Volume::Month(m) = volume {
        return Ok((st.store.month_count(list_id, m.code()).await? > 0).then_some(m));
    }
    let Some((a, b)) = volume.span() else {
        return Ok(None);
    };
    if !st.store.any_in_span(list_id, a, b).await? {
        return Ok(None);
    }
    let months = volume.months();
    for m in &months {
        if st.store.month_count(list_id, m.code()).await? > 0 {
            return Ok(Some(*m));
        }
    }
    Ok(months.first().copied())
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

fn volume_text(st: &AppState, list_id: i64, scope: ExportScope, gz: bool, name: &str) -> Response {
    let rows = st.store.export_stream(list_id, scope);
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

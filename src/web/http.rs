//! Caching validators: every successful HTML page gets a strong ETag from its bytes and a
//! `Cache-Control` that lets a shared proxy keep it for a while; a matching
//! `If-None-Match` answers 304. Streams (downloads) pass through untouched.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use sha2::{Digest, Sha256};

/// Pages larger than this are not buffered for an ETag: they are streamed as they are.
const MAX_BUFFER: usize = 8 * 1024 * 1024;

/// The whole body when it is at most `limit` bytes; otherwise a body that yields what was
/// read so far and then the rest, so that a large page is still served whole (never cut,
/// never emptied) without being held in memory twice.
pub async fn buffer_up_to(body: Body, limit: usize) -> Result<Bytes, Body> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let head = buf.freeze();
                let rest = futures::stream::iter([Ok(head), Err(e)]);
                return Err(Body::from_stream(rest));
            }
        };
        if buf.len() + chunk.len() > limit {
            let head = buf.freeze();
            let rest =
                futures::stream::iter([Ok::<Bytes, axum::Error>(head), Ok(chunk)]).chain(stream);
            return Err(Body::from_stream(rest));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

pub async fn validators(req: Request, next: Next) -> Response {
    let cacheable = matches!(*req.method(), Method::GET | Method::HEAD);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let res = next.run(req).await;
    if !cacheable || res.status() != StatusCode::OK || res.headers().contains_key(header::ETAG) {
        return res;
    }
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("text/html")
                || v.starts_with("application/atom+xml")
                || v.starts_with("text/css")
                || v.starts_with("text/javascript")
        });
    if !is_page {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match buffer_up_to(body, MAX_BUFFER).await {
        Ok(b) => b,
        Err(body) => return Response::from_parts(parts, body),
    };
    let digest = Sha256::digest(&bytes);
    let etag = format!("\"{}\"", hex::encode(&digest[..12]));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, v);
    }
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("public, max-age=300"));
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

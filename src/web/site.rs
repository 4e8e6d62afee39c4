//! What every page shares beyond its own content: the error page, the stylesheet and
//! script, and the rules for crawlers.

use askama::Template;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::WebError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    hint: &'a str,
    lang: crate::i18n::Lang,
}

pub fn error_page(status: StatusCode, title: &str, hint: &str) -> Response {
    let body = ErrorPage {
        title,
        hint,
        lang: super::lang::current(),
    }
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
        "User-agent: *\nDisallow: /*/raw\nDisallow: /*mbox.gz\nDisallow: /*/m/*/a/\nDisallow: /search\nDisallow: /*/search\nDisallow: /r/\nDisallow: /language\n",
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

//! Which language a page speaks, decided once per request and then read by every
//! template, error page and renderer call of that request.
//!
//! The reader's explicit choice (the footer's language menu, kept in a cookie) comes
//! first, then the browser's `Accept-Language`, then the list's own language (`language`
//! in its settings, as Mailman's preferred language of a list), then the site's. The
//! choice lives in a task-local rather than in every page's arguments: it is a property
//! of the request, like its deadline, and every page, error and fragment needs it.
//!
//! Caching: the page cache keys each page by its language as well as its path, and every
//! answer says `Vary: Accept-Language, Cookie` with its `Content-Language`, so a shared
//! cache in front keeps one copy per header combination (see the README).

use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::i18n::Lang;

/// The cookie the language menu sets: a language code, or nothing.
pub const COOKIE: &str = "larch_lang";
/// The longest address the menu sends the reader back to; longer ones go to the front page.
const MAX_NEXT: usize = 2048;

#[derive(Clone)]
struct Current {
    lang: Lang,
    /// The address asked for: the menu's links bring the reader back to it (worked out
    /// only when a page shows the menu).
    uri: axum::http::Uri,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// The language of the page being answered; English outside a request (tests, tools).
pub fn current() -> Lang {
    CURRENT.try_with(|c| c.lang).unwrap_or(Lang::En)
}

/// The language menu: every shipped language with the address that chooses it and comes
/// back to this page.
pub fn menu() -> Vec<(Lang, String)> {
    let here = CURRENT
        .try_with(|c| here(&c.uri))
        .unwrap_or_else(|_| super::urls::INDEX.to_string());
    Lang::ALL
        .into_iter()
        .map(|l| (l, super::urls::language(l.code(), &here)))
        .collect()
}

/// The address to come back to after a choice: the page's path with the query only where
/// the page reads it. A cached page keeps no query it does not read (its copy is shared
/// by every request of its key), so its menu names the key.
fn here(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let searching = path == super::urls::SEARCH || path.ends_with("/search");
    let here = if searching {
        match uri.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        }
    } else {
        super::cache::cache_key(path, uri.query())
    };
    if here.len() > MAX_NEXT {
        super::urls::INDEX.to_string()
    } else {
        here
    }
}

/// The language a request is answered in (see the module's comment for the order).
async fn choose(st: &AppState, asked: Asked) -> Lang {
    if let Some(l) = asked.reader {
        return l;
    }
    if let Some((name, viewer)) = asked.list
        && let Some(l) = list_language(st, &viewer, &name).await
    {
        return l;
    }
    st.language
}

/// What a request says about its language, taken out of it: the request itself is not
/// held while the list is looked up (its body is not shared between threads).
struct Asked {
    /// The reader's choice, or else their browser's.
    reader: Option<Lang>,
    /// The list the page is about, by its name in the address, and who asks.
    list: Option<(String, super::auth::Viewer)>,
}

fn asked(req: &Request) -> Asked {
    let chosen = super::auth::cookie(req.headers(), COOKIE).and_then(Lang::from_code);
    let reader = chosen.or_else(|| {
        req.headers()
            .get_all(header::ACCEPT_LANGUAGE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(crate::i18n::negotiate::accept_language)
    });
    if reader.is_some() {
        return Asked { reader, list: None };
    }
    let first = req.uri().path().trim_start_matches('/').split('/').next();
    let name = first
        .filter(|s| !s.is_empty())
        .and_then(|s| percent_encoding::percent_decode_str(s).decode_utf8().ok())
        .map(|s| s.into_owned());
    let viewer = req.extensions().get::<super::auth::Viewer>().cloned();
    Asked {
        reader,
        list: name.zip(viewer),
    }
}

/// The language of the list a page is about, when the reader may see the list (a private
/// list's setting is not shown to those for whom the list does not exist).
async fn list_language(st: &AppState, viewer: &super::auth::Viewer, name: &str) -> Option<Lang> {
    let lists = super::list_languages(st).await.ok()?;
    let (private, lang) = lists.get(name)?;
    viewer.can_read(name, *private).then_some(*lang).flatten()
}

/// Decides the request's language, answers within it, and labels the answer.
pub async fn negotiate(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let lang = choose(&st, asked(&req)).await;
    let uri = req.uri().clone();
    req.extensions_mut().insert(lang);
    let mut res = CURRENT.scope(Current { lang, uri }, next.run(req)).await;
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    res.extensions_mut().insert(lang);
    res
}

#[derive(serde::Deserialize)]
pub struct Choice {
    #[serde(default)]
    set: String,
    #[serde(default)]
    next: String,
}

/// The language menu's target: keeps the choice in a cookie (`auto` forgets it) and
/// sends the reader back to the page they were on. Only a path on this site is followed.
pub async fn choose_language(State(st): State<Arc<AppState>>, Query(c): Query<Choice>) -> Response {
    let next = super::auth::local_next(Some(&c.next));
    let secure = if st.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = match Lang::from_code(&c.set) {
        Some(l) => format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
            l.code()
        ),
        None if c.set == "auto" => format!("{COOKIE}=; Path=/; Max-Age=0; SameSite=Lax{secure}"),
        None => {
            return super::WebError::BadRequest(current().t("error-no-language")).into_response();
        }
    };
    let (Ok(location), Ok(cookie)) = (HeaderValue::from_str(&next), HeaderValue::from_str(&cookie))
    else {
        return super::WebError::BadRequest(current().t("error-no-language")).into_response();
    };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::SET_COOKIE, cookie),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

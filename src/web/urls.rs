//! Every address of the site, spelled once. The router declares its routes with the
//! patterns here, and every link, redirect and feed entry is made by the builder beside its
//! pattern, so a route cannot move without its links moving with it. Builders percent-encode
//! each segment (list names and message keys hold `/`, `%`, spaces and any other character)
//! so that the router hands the handler back exactly the name or key it was given.

use crate::domain::escape::{enc, enc_query};
use crate::domain::month::Month;

pub const INDEX: &str = "/";
pub const HEALTHZ: &str = "/healthz";
pub const METRICS: &str = "/metrics";
pub const ROBOTS: &str = "/robots.txt";
pub const STATIC: &str = "/static/{file}";
pub const SEARCH: &str = "/search";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
/// The language menu's target (`web::lang`).
pub const LANGUAGE: &str = "/language";
pub const LIST_SEARCH: &str = "/{list}/search";
pub const RESOLVE: &str = "/r/{id}";
/// A list without its trailing slash: redirects to [`LIST`].
pub const LIST_BARE: &str = "/{list}";
pub const LIST: &str = "/{list}/";
pub const LIST_MBOX: &str = "/{list}/mbox.gz";
pub const LIST_ATOM: &str = "/{list}/new.atom";
pub const MONTH: &str = "/{list}/{year}/{month}/";
pub const MONTH_ORDER: &str = "/{list}/{year}/{month}/{order}/";
pub const MONTH_MBOX: &str = "/{list}/{year}/{month}/mbox.gz";
pub const MESSAGE: &str = "/{list}/m/{mkey}/";
/// A message without its trailing slash: redirects to [`MESSAGE`].
pub const MESSAGE_BARE: &str = "/{list}/m/{mkey}";
pub const MESSAGE_RAW: &str = "/{list}/m/{mkey}/raw";
pub const ATTACHMENT: &str = "/{list}/m/{mkey}/a/{idx}/{name}";
pub const THREAD: &str = "/{list}/t/{mkey}/";
pub const THREAD_MBOX: &str = "/{list}/t/{mkey}/mbox.gz";
pub const THREAD_ATOM: &str = "/{list}/t/{mkey}/atom";
/// A message's thread as an mbox, under the message's own address: where `b4` looks once
/// an address of public-inbox's form has redirected it to the message's page.
pub const MESSAGE_THREAD_MBOX: &str = "/{list}/m/{mkey}/t.mbox.gz";
/// public-inbox's addresses, by Message-ID (`all` for every list): the message, its raw
/// form, its thread (nested `T/` and flat `t/`) and the thread as an mbox. The segment
/// after the list shares its name with [`MONTH`]'s year: the router tells them apart by
/// what follows.
pub const PUBLIC_INBOX_MESSAGE: &str = "/{list}/{year}/";
pub const PUBLIC_INBOX_RAW: &str = "/{list}/{year}/raw";
pub const PUBLIC_INBOX_THREAD: &str = "/{list}/{year}/T/";
pub const PUBLIC_INBOX_FLAT: &str = "/{list}/{year}/t/";
pub const PUBLIC_INBOX_MBOX: &str = "/{list}/{year}/t.mbox.gz";
/// Addresses a Mailman 2 archive published, kept working by redirects.
pub const PIPERMAIL_BARE: &str = "/pipermail/{list}";
pub const PIPERMAIL: &str = "/pipermail/{list}/";
pub const PIPERMAIL_PATH: &str = "/pipermail/{list}/{*rest}";
/// Where Mailman 2 served private archives (behind its own login): the same pages.
pub const MAILMAN_PRIVATE_BARE: &str = "/mailman/private/{list}";
pub const MAILMAN_PRIVATE: &str = "/mailman/private/{list}/";
pub const MAILMAN_PRIVATE_PATH: &str = "/mailman/private/{list}/{*rest}";
/// HyperKitty's addresses, for archives that come from Mailman 3: a list, a month, a
/// message or a thread (by the hash of its first message), all redirected.
pub const HYPERKITTY_LIST_BARE: &str = "/hyperkitty/list/{address}";
pub const HYPERKITTY_LIST: &str = "/hyperkitty/list/{address}/";
pub const HYPERKITTY_PATH: &str = "/hyperkitty/list/{address}/{*rest}";
/// Mailman 3's archiver protocol, at the paths its `mailman-hyperkitty` plugin joins onto
/// the base URL it is configured with: a delivery, and the address of a list or message.
pub const MAILMAN_ARCHIVE: &str = "/api/mailman/archive";
pub const MAILMAN_URLS: &str = "/api/mailman/urls";
/// The JSON API (docs/api.md): read-only, versioned in its path so that a change of shape
/// is a new prefix rather than a break for the mirrors that follow it.
pub const API_ROOT: &str = "/api/v1/";
pub const API_ROOT_BARE: &str = "/api/v1";
pub const API_LISTS: &str = "/api/v1/lists";
pub const API_LIST: &str = "/api/v1/lists/{list}";
pub const API_MONTHS: &str = "/api/v1/lists/{list}/months";
pub const API_MONTH_THREADS: &str = "/api/v1/lists/{list}/months/{month}/threads";
pub const API_THREAD: &str = "/api/v1/lists/{list}/threads/{mkey}";
pub const API_MESSAGE: &str = "/api/v1/lists/{list}/messages/{mkey}";
pub const API_CHANGES: &str = "/api/v1/lists/{list}/changes";
pub const API_LIST_SEARCH: &str = "/api/v1/lists/{list}/search";
pub const API_SEARCH: &str = "/api/v1/search";
/// Any other address under the API: answered in JSON, never by a page.
pub const API_OTHER: &str = "/api/v1/{*rest}";

/// Chooses a language and comes back to `next`.
pub fn language(code: &str, next: &str) -> String {
    format!(
        "{LANGUAGE}?set={}&next={}",
        enc_query(code),
        enc_query(next)
    )
}

pub fn static_file(file: &str) -> String {
    format!("/static/{}", enc(file))
}

/// The search page of one list, or of all lists.
pub fn search(scope: Option<&str>) -> String {
    match scope {
        Some(list) => list_search(list),
        None => SEARCH.to_string(),
    }
}

pub fn list_search(list: &str) -> String {
    format!("/{}/search", enc(list))
}

pub fn resolve(message_id: &str) -> String {
    format!("/r/{}", enc(message_id))
}

pub fn list(list: &str) -> String {
    format!("/{}/", enc(list))
}

pub fn list_mbox(list: &str) -> String {
    format!("{}mbox.gz", self::list(list))
}

pub fn list_atom(list: &str) -> String {
    format!("{}new.atom", self::list(list))
}

/// A month's page, its messages in thread order.
pub fn month(list: &str, month: Month) -> String {
    format!("/{}/{:04}/{:02}/", enc(list), month.year(), month.month())
}

/// A month in one of its orderings (`date`, `author`, `subject`); `thread` is the month's
/// own page, which the ordered address only redirects to.
pub fn month_order(list: &str, month: Month, order: &str) -> String {
    if order == "thread" {
        return self::month(list, month);
    }
    format!("{}{}/", self::month(list, month), enc(order))
}

pub fn month_mbox(list: &str, month: Month) -> String {
    format!("{}mbox.gz", self::month(list, month))
}

pub fn message(list: &str, key: &str) -> String {
    format!("/{}/m/{}/", enc(list), enc(key))
}

pub fn message_raw(list: &str, key: &str) -> String {
    format!("{}{}", message(list, key), RAW_HERE)
}

pub fn attachment(list: &str, key: &str, idx: i64, name: &str) -> String {
    format!("{}{}", message(list, key), attachment_here(idx, name))
}

/// The raw message, relative to its message page (the page links it that way).
pub const RAW_HERE: &str = "raw";

/// An attachment, relative to its message page (the page links it that way). The name
/// is for the reader's download only; an attachment without one still needs a segment
/// there, or its address would match no route.
pub fn attachment_here(idx: i64, name: &str) -> String {
    let name = if name.is_empty() { "attachment" } else { name };
    format!("a/{idx}/{}", enc(name))
}

pub fn thread(list: &str, key: &str) -> String {
    format!("/{}/t/{}/", enc(list), enc(key))
}

/// A message in place on its thread's page.
pub fn thread_at(list: &str, root: &str, key: &str) -> String {
    format!("{}#{}", thread(list, root), anchor(key))
}

/// The fragment id of a message on its thread page: short, and the same whatever
/// characters the key holds.
pub fn anchor(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(key.as_bytes());
    format!("m-{}", hex::encode(&d[..6]))
}

pub fn thread_mbox(list: &str, key: &str) -> String {
    format!("{}mbox.gz", thread(list, key))
}

pub fn thread_atom(list: &str, key: &str) -> String {
    format!("{}atom", thread(list, key))
}

pub fn pipermail(list: &str) -> String {
    format!("/pipermail/{}/", enc(list))
}

pub fn api_list(list: &str) -> String {
    format!("/api/v1/lists/{}", enc(list))
}

pub fn api_months(list: &str) -> String {
    format!("{}/months", api_list(list))
}

/// A month's threads; the month is written `YYYY-MM`.
pub fn api_month_threads(list: &str, month: Month) -> String {
    format!(
        "{}/months/{:04}-{:02}/threads",
        api_list(list),
        month.year(),
        month.month()
    )
}

/// The thread holding message `key`.
pub fn api_thread(list: &str, key: &str) -> String {
    format!("{}/threads/{}", api_list(list), enc(key))
}

pub fn api_message(list: &str, key: &str) -> String {
    format!("{}/messages/{}", api_list(list), enc(key))
}

pub fn api_changes(list: &str) -> String {
    format!("{}/changes", api_list(list))
}

/// The search of one list, or of all lists.
pub fn api_search(scope: Option<&str>) -> String {
    match scope {
        Some(list) => format!("{}/search", api_list(list)),
        None => API_SEARCH.to_string(),
    }
}

/// An address of the site for use elsewhere (feeds, the archiver API's answers): `base`
/// is the archive's public URL without its trailing slash, `path` one of the builders'.
pub fn absolute(base: &str, path: &str) -> String {
    format!("{base}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Path;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A router over the same patterns as the site's, each route answering with its own
    /// pattern and the segments it read, decoded as the site's handlers read them.
    fn echo() -> Router {
        async fn none() -> String {
            String::new()
        }
        async fn all(Path(p): Path<Vec<(String, String)>>) -> String {
            p.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
        let mut r = Router::new();
        for pattern in [
            INDEX,
            HEALTHZ,
            METRICS,
            ROBOTS,
            SEARCH,
            MAILMAN_ARCHIVE,
            MAILMAN_URLS,
            API_ROOT,
            API_ROOT_BARE,
            API_LISTS,
            API_SEARCH,
        ] {
            r = r.route(pattern, get(move || async move { format!("{pattern}\n") }));
        }
        for pattern in [
            STATIC,
            LIST_SEARCH,
            RESOLVE,
            LIST_BARE,
            LIST,
            LIST_MBOX,
            LIST_ATOM,
            MONTH,
            MONTH_ORDER,
            MONTH_MBOX,
            MESSAGE,
            MESSAGE_BARE,
            MESSAGE_RAW,
            ATTACHMENT,
            THREAD,
            THREAD_MBOX,
            THREAD_ATOM,
            PIPERMAIL_BARE,
            PIPERMAIL,
            PIPERMAIL_PATH,
            API_LIST,
            API_MONTHS,
            API_MONTH_THREADS,
            API_THREAD,
            API_MESSAGE,
            API_CHANGES,
            API_LIST_SEARCH,
            API_OTHER,
        ] {
            r = r.route(
                pattern,
                get(move |p: Path<Vec<(String, String)>>| async move {
                    format!("{pattern}\n{}", all(p).await)
                }),
            );
        }
        r.fallback(none)
    }

    async fn routed(url: &str) -> String {
        let res = echo()
            .oneshot(Request::get(url).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    fn expect(pattern: &str, segments: &[(&str, &str)]) -> String {
        let segs: Vec<String> = segments.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{pattern}\n{}", segs.join("\n"))
    }

    #[tokio::test]
    async fn every_builder_reaches_its_route_with_its_segments() {
        let lists = ["dev", "dev@lists.example.org", "a b/c%d", "ünï"];
        let keys = [
            "x@y",
            "a/b%c+d#e?f g@h",
            "ünïcødé@例え.jp",
            "100%@x",
            "..",
            "2008",
        ];
        assert_eq!(routed(INDEX).await, "/\n");
        assert_eq!(routed(&search(None)).await, "/search\n");
        // Fixed paths beside the list routes: a list named `api` keeps its own pages.
        assert_eq!(routed(MAILMAN_ARCHIVE).await, "/api/mailman/archive\n");
        assert_eq!(routed(MAILMAN_URLS).await, "/api/mailman/urls\n");
        assert_eq!(routed(&list("api")).await, expect(LIST, &[("list", "api")]));
        assert_eq!(routed(API_ROOT).await, "/api/v1/\n");
        assert_eq!(routed(&api_search(None)).await, "/api/v1/search\n");
        assert_eq!(
            routed("/api/v1/nothing/here").await,
            expect(API_OTHER, &[("rest", "nothing/here")])
        );
        assert_eq!(
            routed(&static_file("style.css")).await,
            expect(STATIC, &[("file", "style.css")])
        );
        for id in keys {
            assert_eq!(
                routed(&resolve(id)).await,
                expect(RESOLVE, &[("id", id)]),
                "{id}"
            );
        }
        for l in lists {
            let ls = [("list", l)];
            assert_eq!(routed(&list(l)).await, expect(LIST, &ls), "{l}");
            assert_eq!(routed(&list_mbox(l)).await, expect(LIST_MBOX, &ls));
            assert_eq!(routed(&list_atom(l)).await, expect(LIST_ATOM, &ls));
            assert_eq!(routed(&search(Some(l))).await, expect(LIST_SEARCH, &ls));
            assert_eq!(routed(&pipermail(l)).await, expect(PIPERMAIL, &ls));
            for (m, y, mo) in [((2008, 4), "2008", "04"), ((1999, 12), "1999", "12")] {
                let m = Month::from_ym(m.0, m.1).unwrap();
                let ms = [("list", l), ("year", y), ("month", mo)];
                assert_eq!(routed(&month(l, m)).await, expect(MONTH, &ms));
                assert_eq!(routed(&month_mbox(l, m)).await, expect(MONTH_MBOX, &ms));
                assert_eq!(
                    routed(&month_order(l, m, "thread")).await,
                    expect(MONTH, &ms)
                );
                for o in ["date", "author", "subject"] {
                    let os = [("list", l), ("year", y), ("month", mo), ("order", o)];
                    assert_eq!(
                        routed(&month_order(l, m, o)).await,
                        expect(MONTH_ORDER, &os)
                    );
                }
            }
            assert_eq!(routed(&api_list(l)).await, expect(API_LIST, &ls));
            assert_eq!(routed(&api_months(l)).await, expect(API_MONTHS, &ls));
            assert_eq!(routed(&api_changes(l)).await, expect(API_CHANGES, &ls));
            assert_eq!(
                routed(&api_search(Some(l))).await,
                expect(API_LIST_SEARCH, &ls)
            );
            let april = Month::from_ym(2008, 4).unwrap();
            assert_eq!(
                routed(&api_month_threads(l, april)).await,
                expect(API_MONTH_THREADS, &[("list", l), ("month", "2008-04")])
            );
            for k in keys {
                let ks = [("list", l), ("mkey", k)];
                assert_eq!(routed(&api_thread(l, k)).await, expect(API_THREAD, &ks));
                assert_eq!(routed(&api_message(l, k)).await, expect(API_MESSAGE, &ks));
                assert_eq!(routed(&message(l, k)).await, expect(MESSAGE, &ks), "{k}");
                assert_eq!(routed(&message_raw(l, k)).await, expect(MESSAGE_RAW, &ks));
                assert_eq!(routed(&thread(l, k)).await, expect(THREAD, &ks));
                assert_eq!(routed(&thread_mbox(l, k)).await, expect(THREAD_MBOX, &ks));
                assert_eq!(routed(&thread_atom(l, k)).await, expect(THREAD_ATOM, &ks));
                let unnamed = [
                    ("list", l),
                    ("mkey", k),
                    ("idx", "0"),
                    ("name", "attachment"),
                ];
                assert_eq!(
                    routed(&attachment(l, k, 0, "")).await,
                    expect(ATTACHMENT, &unnamed)
                );
                for name in ["a.pdf", "ü b/c?.png"] {
                    let a = [("list", l), ("mkey", k), ("idx", "3"), ("name", name)];
                    assert_eq!(
                        routed(&attachment(l, k, 3, name)).await,
                        expect(ATTACHMENT, &a)
                    );
                }
            }
        }
    }
}

//! Search pages: `/search` and `/{list}/search`, as HTML, Atom or mbox.gz. Every result
//! set is a plain GET URL, so a search can be bookmarked, linked and subscribed to.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};

use super::util::{enc, enc_query, fmt_date, sender};
use super::{AppState, WebError, is_visible, visible_list};
use crate::search::query;
use crate::search::{Order, Request};
use crate::store::{HitRow, ListRow};

type St = State<Arc<AppState>>;

const PER_PAGE: usize = 20;
const MAX_PAGE: usize = 500;
/// Results grouped by thread are drawn from this many best matches.
const COLLAPSE_POOL: usize = 1_000;
const FEED_ENTRIES: usize = 50;
/// mbox downloads of results are capped: an archive export is the tool for more.
pub const MBOX_CAP: usize = 10_000;

/// The query string, read leniently: invalid percent-escapes and invalid UTF-8 become
/// U+FFFD instead of an error page.
#[derive(Debug, Default, Clone)]
struct Params {
    q: String,
    order: Option<Order>,
    page: usize,
    thread: bool,
    x: String,
}

fn params(raw: Option<&str>) -> Params {
    let mut p = Params {
        page: 1,
        ..Default::default()
    };
    for pair in raw.unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.replace('+', " ");
        let v = percent_encoding::percent_decode_str(&v)
            .decode_utf8_lossy()
            .into_owned();
        match k {
            "q" => p.q = v,
            "o" => {
                p.order = match v.as_str() {
                    "relevance" => Some(Order::Relevance),
                    "new" => Some(Order::Newest),
                    "old" => Some(Order::Oldest),
                    _ => None,
                }
            }
            "p" => p.page = v.parse().unwrap_or(1).clamp(1, MAX_PAGE),
            "t" => p.thread = v == "1",
            "x" => p.x = v,
            _ => {}
        }
    }
    p
}

fn order_name(o: Order) -> &'static str {
    match o {
        Order::Relevance => "relevance",
        Order::Newest => "new",
        Order::Oldest => "old",
    }
}

struct Hit {
    url: String,
    subject: String,
    from: String,
    date: String,
    lists: Vec<(String, String)>,
    snippet: String,
    /// With grouping by thread: the thread page and how many matches it holds.
    thread: Option<(String, usize)>,
}

struct Facet {
    label: String,
    count: u64,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct Page {
    q: String,
    action: String,
    scope: Option<String>,
    searched: bool,
    total: usize,
    unit: &'static str,
    ms: String,
    order: &'static str,
    thread: bool,
    hits: Vec<Hit>,
    per_list: Vec<Facet>,
    per_year: Vec<Facet>,
    notes: Vec<String>,
    pages: Vec<(usize, Option<String>)>,
    prev: Option<String>,
    next: Option<String>,
    atom: String,
    mbox: String,
    lag: i64,
}

pub async fn search_all(State(st): St, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    run(st, None, raw).await
}

pub async fn search_list(
    State(st): St,
    Path(list): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &list).await?;
    run(st, Some(l), raw).await
}

async fn run(
    st: Arc<AppState>,
    scope: Option<ListRow>,
    raw: Option<String>,
) -> Result<Response, WebError> {
    let started = Instant::now();
    let p = params(raw.as_deref());
    let parsed = query::parse(&p.q);
    let all = st.store.all_lists().await?;
    let names: HashMap<i64, &ListRow> = all.iter().map(|l| (l.id, l)).collect();
    let visible: Option<Vec<i64>> = if all.iter().all(|l| is_visible(l.private)) {
        None
    } else {
        Some(
            all.iter()
                .filter(|l| is_visible(l.private))
                .map(|l| l.id)
                .collect(),
        )
    };
    let mut notes = parsed.notes.clone();
    let mut lists = HashMap::new();
    for name in parsed.list_names() {
        let id = match visible_list(&st, &name).await {
            Ok(l) => Some(l.id),
            Err(_) => {
                notes.push(format!("There is no public list named “{name}”."));
                None
            }
        };
        lists.insert(name, id);
    }
    let order = p.order.unwrap_or(if parsed.has_text() {
        Order::Relevance
    } else {
        Order::Newest
    });
    let base = match &scope {
        Some(l) => format!("/{}/search", enc(&l.name)),
        None => "/search".to_string(),
    };
    let searched = !p.q.trim().is_empty();
    let export = match p.x.as_str() {
        "atom" => Some(FEED_ENTRIES),
        "mbox" => Some(MBOX_CAP),
        _ => None,
    };
    let (offset, limit) = match export {
        Some(n) => (0, n),
        None if p.thread => (0, COLLAPSE_POOL),
        None => ((p.page - 1) * PER_PAGE, PER_PAGE),
    };
    let found = if searched {
        let search = st.search.clone();
        let parsed = parsed.clone();
        let scope_id = scope.as_ref().map(|l| l.id);
        Some(
            tokio::task::spawn_blocking(move || {
                search.run(&Request {
                    parsed: &parsed,
                    lists: &lists,
                    visible,
                    scope: scope_id,
                    order,
                    offset,
                    limit,
                })
            })
            .await
            .map_err(anyhow::Error::from)??,
        )
    } else {
        None
    };
    let link_list = |h: &HitRow| -> Option<(String, bool, i64)> {
        let pick = h.lists.iter().find(|(id, _, private, _)| {
            is_visible(*private) && scope.as_ref().is_none_or(|s| s.id == *id)
        })?;
        let obf = names.get(&pick.0).is_none_or(|l| l.obfuscate);
        Some((pick.1.clone(), obf, pick.3))
    };

    if let (Some(found), Some(_)) = (&found, export) {
        if p.x == "mbox" {
            let body = super::export::gz_body(
                st.store.export_ids(found.ids.clone()),
                super::export::mboxrd_entry,
            );
            return Ok(super::export::mbox_response(body, "search.mbox.gz"));
        }
        let rows = st.store.hit_rows(&found.ids, true).await?;
        let items: Vec<(String, HitRow)> = rows
            .into_iter()
            .filter_map(|h| Some((link_list(&h)?.0, h)))
            .collect();
        let host = st.base_url.clone();
        let self_url = format!("{host}{base}?q={}&x=atom", enc_query(&p.q));
        let alt_url = format!("{host}{base}?q={}", enc_query(&p.q));
        return super::export::search_feed(
            format!("Search: {}", p.q),
            self_url,
            alt_url,
            &host,
            items,
        );
    }

    let mut hits = Vec::new();
    let mut total = 0;
    let mut unit = "results";
    let mut per_list = Vec::new();
    let mut per_year = Vec::new();
    let mut pages_total = 0;
    if let Some(found) = &found {
        total = found.total;
        // Grouped by thread: the best match stands for its thread; later matches count.
        let (page_ids, counts): (Vec<i64>, HashMap<i64, usize>) = if p.thread {
            let light = st.store.hit_rows(&found.ids, false).await?;
            let mut seen: HashMap<(String, i64), i64> = HashMap::new();
            let mut order_ids = Vec::new();
            let mut counts: HashMap<i64, usize> = HashMap::new();
            for h in &light {
                let Some((list, _, thread)) = link_list(h) else {
                    continue;
                };
                let lead = *seen.entry((list, thread)).or_insert_with(|| {
                    order_ids.push(h.id);
                    h.id
                });
                *counts.entry(lead).or_default() += 1;
            }
            total = order_ids.len();
            unit = match (found.total > COLLAPSE_POOL, total == 1) {
                (true, true) => "thread among the first 1,000 results",
                (true, false) => "threads among the first 1,000 results",
                (false, true) => "thread",
                (false, false) => "threads",
            };
            let start = ((p.page - 1) * PER_PAGE).min(order_ids.len());
            let end = (start + PER_PAGE).min(order_ids.len());
            (order_ids[start..end].to_vec(), counts)
        } else {
            (found.ids.clone(), HashMap::new())
        };
        if !p.thread && total == 1 {
            unit = "result";
        }
        pages_total = total.div_ceil(PER_PAGE).min(MAX_PAGE);
        let rows = st.store.hit_rows(&page_ids, true).await?;
        let hl = found.highlighter(&st.search);
        let rows_and_snips = tokio::task::spawn_blocking(move || {
            rows.into_iter()
                .map(|h| {
                    let subj = hl.subject(&h.subject);
                    let body = hl.body(&h.body_text);
                    (h, subj, body)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(anyhow::Error::from)?;
        for (h, subj, snippet) in rows_and_snips {
            let Some((list, obf, _)) = link_list(&h) else {
                continue;
            };
            let url = format!("/{}/m/{}/", enc(&list), enc(&h.mkey));
            let from = if obf {
                sender(&h.from_name, &h.from_addr)
            } else if h.from_name.is_empty() {
                h.from_addr.clone()
            } else {
                h.from_name.clone()
            };
            let subject = subj.unwrap_or_else(|| {
                super::util::esc(if h.subject.is_empty() {
                    "(no subject)"
                } else {
                    &h.subject
                })
            });
            hits.push(Hit {
                thread: counts
                    .get(&h.id)
                    .map(|n| (format!("/{}/t/{}/", enc(&list), enc(&h.mkey)), *n)),
                url,
                subject,
                from,
                date: fmt_date(&h.date),
                lists: h
                    .lists
                    .iter()
                    .filter(|l| is_visible(l.2))
                    .map(|l| (l.1.clone(), format!("/{}/", enc(&l.1))))
                    .collect(),
                snippet,
            });
        }
        let with_q = |extra: String| {
            let q = format!("{} {extra}", p.q.trim());
            link(&base, &q, p.order, 1, p.thread)
        };
        let mut lists_sorted: Vec<(String, u64)> = found
            .per_list
            .iter()
            .filter_map(|(id, n)| {
                let l = names.get(id)?;
                is_visible(l.private).then(|| (l.name.clone(), *n))
            })
            .collect();
        lists_sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if scope.is_none() {
            per_list = lists_sorted
                .into_iter()
                .map(|(name, count)| Facet {
                    href: with_q(format!("list:{name}")),
                    label: name,
                    count,
                })
                .collect();
        }
        per_year = found
            .per_year
            .iter()
            .rev()
            .map(|(y, count)| Facet {
                label: y.to_string(),
                count: *count,
                href: with_q(format!("date:{y}")),
            })
            .collect();
    }
    let lag = st.search.lag(&st.store).await.unwrap_or(0);
    let page_link = |n: usize| link(&base, &p.q, p.order, n, p.thread);
    let pages = page_window(p.page, pages_total)
        .into_iter()
        .map(|n| (n, (n != p.page).then(|| page_link(n))))
        .collect();
    let page = Page {
        action: base.clone(),
        scope: scope.as_ref().map(|l| l.name.clone()),
        searched,
        total,
        unit,
        ms: format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        order: order_name(order),
        thread: p.thread,
        hits,
        per_list,
        per_year,
        notes,
        prev: (p.page > 1 && pages_total > 0).then(|| page_link(p.page - 1)),
        next: (p.page < pages_total).then(|| page_link(p.page + 1)),
        pages,
        atom: format!("{base}?q={}&x=atom", enc_query(&p.q)),
        mbox: format!(
            "{base}?q={}&o={}&x=mbox",
            enc_query(&p.q),
            order_name(order)
        ),
        q: p.q,
        lag,
    };
    Ok(page.into_response())
}

fn link(base: &str, q: &str, order: Option<Order>, page: usize, thread: bool) -> String {
    let mut s = format!("{base}?q={}", enc_query(q.trim()));
    if let Some(o) = order {
        s.push_str("&o=");
        s.push_str(order_name(o));
    }
    if thread {
        s.push_str("&t=1");
    }
    if page > 1 {
        s.push_str(&format!("&p={page}"));
    }
    s
}

/// Page numbers to offer: the first, the last, and a few around the current one.
fn page_window(current: usize, total: usize) -> Vec<usize> {
    if total <= 1 {
        return Vec::new();
    }
    let mut v: Vec<usize> = (1..=total)
        .filter(|&n| n == 1 || n == total || n.abs_diff(current) <= 3)
        .collect();
    v.dedup();
    v
}

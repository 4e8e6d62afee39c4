//! Search pages: `/search` and `/{list}/search`, as HTML, Atom or mbox.gz. Every result
//! set is a plain GET URL, so a search can be bookmarked, linked and subscribed to.

use crate::i18n::Lang;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};

use super::auth::Viewer;
use super::urls;
use super::util::{enc_query, sender};
use super::{AppState, WebError, visible_list};
use crate::domain::escape::Html;
use crate::render::marked;
use crate::search::query;
use crate::search::{Found, Order, Request};
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
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
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
    subject: Html,
    from: String,
    date: String,
    /// The exact instant, for `<time datetime>`.
    instant: String,
    lists: Vec<(String, String)>,
    snippet: Html,
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
    /// "N results in M ms", in the reader's language.
    stats: String,
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
    lang: Lang,
}

pub async fn search_all(
    State(st): St,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    run(st, viewer, None, raw).await
}

pub async fn search_list(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    run(st, viewer, Some(l), raw).await
}

/// One search request as read: what each step of building its answer needs.
struct Ask {
    p: Params,
    parsed: query::Parsed,
    /// A list page's own search.
    scope: Option<ListRow>,
    /// Who searches: what they may read bounds every hit, count and facet.
    viewer: Viewer,
    /// Every list by id: names, privacy and obfuscation for the hits and the counts.
    lists: HashMap<i64, ListRow>,
    /// The search page's own path, which every link of the page starts from.
    base: String,
    order: Order,
}

impl Ask {
    /// The list a hit is shown under (the first the reader may see, the scope's when the
    /// search is scoped), whether it obfuscates addresses, and the hit's thread there.
    fn shown_in(&self, h: &HitRow) -> Option<(String, bool, i64)> {
        let pick = shown_in(h, &self.viewer, self.scope.as_ref().map(|s| s.id))?;
        let obf = self.lists.get(&pick.0).is_none_or(|l| l.obfuscate);
        Some((pick.1.clone(), obf, pick.3))
    }

    /// A link to this search with `extra` added to the query (a facet).
    fn narrowed(&self, extra: &str) -> String {
        let q = format!("{} {extra}", self.p.q.trim());
        link(&self.base, &q, self.p.order, 1, self.p.thread)
    }

    fn page_link(&self, n: usize) -> String {
        link(&self.base, &self.p.q, self.p.order, n, self.p.thread)
    }
}

/// The list a hit is shown under: the first holding it that the reader may see, and the
/// scope's when the search is scoped. (list id, name, private, thread number there.)
pub(super) fn shown_in<'h>(
    h: &'h HitRow,
    viewer: &Viewer,
    scope: Option<i64>,
) -> Option<&'h (i64, String, bool, i64)> {
    h.lists.iter().find(|(id, name, private, _)| {
        viewer.can_read(name, *private) && scope.is_none_or(|s| s == *id)
    })
}

/// The ids of the lists the reader may search; `None` when that is every list (the index
/// then filters nothing).
pub(super) fn visible_ids<'a>(
    all: impl IntoIterator<Item = &'a ListRow>,
    viewer: &Viewer,
) -> Option<Vec<i64>> {
    let mut every = true;
    let mut ids = Vec::new();
    for l in all {
        if viewer.can_read(&l.name, l.private) {
            ids.push(l.id);
        } else {
            every = false;
        }
    }
    (!every).then_some(ids)
}

/// What the HTML page shows of a result set.
struct Results {
    hits: Vec<Hit>,
    total: usize,
    unit: &'static str,
    per_list: Vec<Facet>,
    per_year: Vec<Facet>,
    pages_total: usize,
}

impl Default for Results {
    fn default() -> Self {
        Results {
            hits: Vec::new(),
            total: 0,
            unit: "search-stats-results",
            per_list: Vec::new(),
            per_year: Vec::new(),
            pages_total: 0,
        }
    }
}

async fn run(
    st: Arc<AppState>,
    viewer: Viewer,
    scope: Option<ListRow>,
    raw: Option<String>,
) -> Result<Response, WebError> {
    let started = Instant::now();
    let p = params(raw.as_deref());
    let parsed = query::parse(&p.q);
    let all = st.store.all_lists().await?;
    let lang = super::lang::current();
    let mut notes: Vec<String> = parsed.notes.iter().map(|n| note_text(lang, n)).collect();
    let order = p.order.unwrap_or(if parsed.has_text() {
        Order::Relevance
    } else {
        Order::Newest
    });
    let base = urls::search(scope.as_ref().map(|l| l.name.as_str()));
    let ask = Ask {
        lists: all.into_iter().map(|l| (l.id, l)).collect(),
        p,
        parsed,
        scope,
        viewer,
        base,
        order,
    };
    let export = match ask.p.x.as_str() {
        "atom" => Some(FEED_ENTRIES),
        "mbox" => Some(MBOX_CAP),
        _ => None,
    };
    let searched = !ask.p.q.trim().is_empty();
    let found = if searched {
        let (offset, limit) = match export {
            Some(n) => (0, n),
            None if ask.p.thread => (0, COLLAPSE_POOL),
            None => ((ask.p.page - 1) * PER_PAGE, PER_PAGE),
        };
        let scope = ask.scope.as_ref().map(|l| l.id);
        let window = (ask.order, offset, limit);
        let (found, named_notes) = search_for(
            &st,
            &ask.viewer,
            ask.lists.values(),
            &ask.parsed,
            scope,
            window,
        )
        .await?;
        notes.extend(named_notes);
        Some(found)
    } else {
        None
    };
    let results = match (&found, export) {
        (Some(found), Some(_)) => return exported(&st, &ask, found).await,
        (Some(found), None) => results(&st, &ask, found).await?,
        (None, _) => Results::default(),
    };
    let lag = st.search.lag(&st.store).await.unwrap_or(0);
    let ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0);
    Ok(page(ask, results, notes, searched, ms, lag).into_response())
}

/// The `list:` names of a query resolved to the lists the reader may see; a name that
/// resolves to none gets a note on the page.
pub(super) async fn named_lists(
    st: &AppState,
    viewer: &Viewer,
    parsed: &query::Parsed,
    notes: &mut Vec<String>,
) -> HashMap<String, Option<i64>> {
    let lang = super::lang::current();
    let mut lists = HashMap::new();
    for name in parsed.list_names() {
        let id = match visible_list(st, viewer, &name).await {
            Ok(l) => Some(l.id),
            Err(_) => {
                notes.push(lang.tr("note-no-list", &[("list", name.as_str().into())]));
                None
            }
        };
        lists.insert(name, id);
    }
    lists
}

/// Runs a query for a reader on the index, off the async workers: only the lists the
/// reader may see, the query's `list:` names resolved, the matches from `offset` (in
/// `order`) up to `limit`. Also the notes on `list:` names that name no list the reader
/// sees. The pages, the JSON API and public-inbox's search all search through here.
pub(super) async fn search_for<'a>(
    st: &AppState,
    viewer: &Viewer,
    all: impl IntoIterator<Item = &'a ListRow>,
    parsed: &query::Parsed,
    scope: Option<i64>,
    (order, offset, limit): (Order, usize, usize),
) -> Result<(Found, Vec<String>), WebError> {
    let visible = visible_ids(all, viewer);
    let mut notes = Vec::new();
    let named = named_lists(st, viewer, parsed, &mut notes).await;
    let search = st.search.clone();
    let parsed = parsed.clone();
    let found = tokio::task::spawn_blocking(move || {
        search.run(&Request {
            parsed: &parsed,
            lists: &named,
            visible,
            scope,
            order,
            offset,
            limit,
        })
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok((found, notes))
}

/// The results as an mbox.gz download or an Atom feed.
async fn exported(st: &AppState, ask: &Ask, found: &Found) -> Result<Response, WebError> {
    if ask.p.x == "mbox" {
        let body = super::export::gz_body(
            st.store.export_ids(found.ids.clone()),
            super::export::mboxrd_entry,
        );
        return Ok(super::export::mbox_response(body, "search.mbox.gz"));
    }
    let rows = st.store.hit_rows(&found.ids, true).await?;
    let items: Vec<(String, HitRow)> = rows
        .into_iter()
        .filter_map(|h| Some((ask.shown_in(&h)?.0, h)))
        .collect();
    let host = &st.base_url;
    let q = enc_query(&ask.p.q);
    super::export::search_feed(
        super::lang::current().tr("feed-search-title", &[("q", ask.p.q.as_str().into())]),
        format!("{host}{}?q={q}&x=atom", ask.base),
        format!("{host}{}?q={q}", ask.base),
        host,
        items,
    )
}

/// One page of hits with their excerpts, the counts per list and year, and the paging.
async fn results(st: &AppState, ask: &Ask, found: &Found) -> Result<Results, WebError> {
    let mut out = Results {
        total: found.total,
        ..Results::default()
    };
    let (page_ids, counts) = if ask.p.thread {
        let (ids, counts, threads) = by_thread(st, ask, found).await?;
        out.total = threads;
        out.unit = match (found.total > COLLAPSE_POOL, threads == 1) {
            (true, _) => "search-stats-threads-capped",
            (false, _) => "search-stats-threads",
        };
        (ids, counts)
    } else {
        (found.ids.clone(), HashMap::new())
    };
    out.pages_total = out.total.div_ceil(PER_PAGE).min(MAX_PAGE);
    out.hits = hits(st, ask, found, &page_ids, &counts).await?;
    out.per_list = if ask.scope.is_none() {
        list_facets(ask, found)
    } else {
        Vec::new()
    };
    out.per_year = found
        .per_year
        .iter()
        .rev()
        .map(|(y, count)| Facet {
            label: y.to_string(),
            count: *count,
            href: ask.narrowed(&format!("date:{y}")),
        })
        .collect();
    Ok(out)
}

/// Grouped by thread: the best match stands for its thread and later matches count for
/// it. Returns this page's leading ids, the matches per leading id, and the thread count.
async fn by_thread(
    st: &AppState,
    ask: &Ask,
    found: &Found,
) -> Result<(Vec<i64>, HashMap<i64, usize>, usize), WebError> {
    let light = st.store.hit_rows(&found.ids, false).await?;
    let mut seen: HashMap<(String, i64), i64> = HashMap::new();
    let mut leads = Vec::new();
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for h in &light {
        let Some((list, _, thread)) = ask.shown_in(h) else {
            continue;
        };
        let lead = *seen.entry((list, thread)).or_insert_with(|| {
            leads.push(h.id);
            h.id
        });
        *counts.entry(lead).or_default() += 1;
    }
    let start = ((ask.p.page - 1) * PER_PAGE).min(leads.len());
    let end = (start + PER_PAGE).min(leads.len());
    Ok((leads[start..end].to_vec(), counts, leads.len()))
}

/// The hits of one page, excerpts highlighted off the async workers.
async fn hits(
    st: &AppState,
    ask: &Ask,
    found: &Found,
    ids: &[i64],
    counts: &HashMap<i64, usize>,
) -> Result<Vec<Hit>, WebError> {
    let mut rows = st.store.hit_rows(ids, true).await?;
    // Results name their list beside the subject: the list's own tags are left out.
    let tags = super::list_tags(st).await?;
    for h in &mut rows {
        if let std::borrow::Cow::Owned(s) = crate::render::listing_subject(&h.subject, &tags) {
            h.subject = s;
        }
    }
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
    let mut hits = Vec::new();
    for (h, subj, snippet) in rows_and_snips {
        let Some((list, obf, _)) = ask.shown_in(&h) else {
            continue;
        };
        let from = if obf {
            sender(&h.from_name, &h.from_addr)
        } else if h.from_name.is_empty() {
            h.from_addr.clone()
        } else {
            h.from_name.clone()
        };
        let subject = match subj {
            Some(e) => marked(&e.text, &e.marks),
            None if h.subject.is_empty() => Html::escape(&super::lang::current().t("no-subject")),
            None => Html::escape(&h.subject),
        };
        hits.push(Hit {
            thread: counts
                .get(&h.id)
                .map(|n| (urls::thread(&list, &h.mkey), *n)),
            url: urls::message(&list, &h.mkey),
            subject,
            from,
            date: super::lang::current().datetime(&h.date),
            instant: super::util::rfc3339(&h.date),
            lists: h
                .lists
                .iter()
                .filter(|l| ask.viewer.can_read(&l.1, l.2))
                .map(|l| (l.1.clone(), urls::list(&l.1)))
                .collect(),
            snippet: marked(&snippet.text, &snippet.marks),
        });
    }
    Ok(hits)
}

/// Matches per list the reader may see, most first, each a link narrowing the search.
fn list_facets(ask: &Ask, found: &Found) -> Vec<Facet> {
    let mut lists: Vec<(String, u64)> = found
        .per_list
        .iter()
        .filter_map(|(id, n)| {
            let l = ask.lists.get(id)?;
            ask.viewer
                .can_read(&l.name, l.private)
                .then(|| (l.name.clone(), *n))
        })
        .collect();
    lists.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    lists
        .into_iter()
        .map(|(name, count)| Facet {
            href: ask.narrowed(&format!("list:{name}")),
            label: name,
            count,
        })
        .collect()
}

fn page(ask: Ask, r: Results, notes: Vec<String>, searched: bool, ms: String, lag: i64) -> Page {
    let lang = super::lang::current();
    let current = ask.p.page;
    let pages = page_window(current, r.pages_total)
        .into_iter()
        .map(|n| (n, (n != current).then(|| ask.page_link(n))))
        .collect();
    let q = enc_query(&ask.p.q);
    Page {
        action: ask.base.clone(),
        scope: ask.scope.as_ref().map(|l| l.name.clone()),
        searched,
        total: r.total,
        stats: lang.tr(r.unit, &[("n", r.total.into()), ("ms", ms.as_str().into())]),
        order: order_name(ask.order),
        thread: ask.p.thread,
        hits: r.hits,
        per_list: r.per_list,
        per_year: r.per_year,
        notes,
        prev: (current > 1 && r.pages_total > 0).then(|| ask.page_link(current - 1)),
        next: (current < r.pages_total).then(|| ask.page_link(current + 1)),
        pages,
        atom: format!("{}?q={q}&x=atom", ask.base),
        mbox: format!("{}?q={q}&o={}&x=mbox", ask.base, order_name(ask.order)),
        q: ask.p.q,
        lag,
        lang,
    }
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

/// A note on how a query was read, in `lang`.
pub(super) fn note_text(lang: Lang, n: &crate::search::query::Note) -> String {
    let args: Vec<(&str, crate::i18n::Arg<'_>)> = n
        .args
        .iter()
        .map(|(k, v)| (*k, crate::i18n::Arg::S(v)))
        .collect();
    lang.tr(n.key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_read_leniently() {
        let p = params(Some("q=a+b%21&p=3&o=old&t=1&x=atom&q=c%20d"));
        assert_eq!(p.q, "c d");
        assert_eq!(p.page, 3);
        assert_eq!(p.order, Some(Order::Oldest));
        assert!(p.thread);
        assert_eq!(p.x, "atom");
        let p = params(Some("q=%ff%zz+x&p=0&o=sideways&&=&t"));
        assert_eq!(p.q, "\u{FFFD}%zz x");
        assert_eq!(p.page, 1);
        assert_eq!(p.order, None);
        assert!(!p.thread);
        assert_eq!(params(None).page, 1);
        assert_eq!(params(Some("p=99999")).page, MAX_PAGE);
    }
}

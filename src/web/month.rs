//! A month of a list, in its four orderings (thread, date, author, subject), paged: the
//! listing pipermail readers know, at the same addresses in the new shape.

use crate::i18n::Lang;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Viewer;
use super::urls;
use super::{AppState, WebError, list_tags, visible_list};

use serde::Deserialize;

use super::thread::{item, shown_rows};
use super::util::sender;
use crate::domain::escape::Html;
use crate::domain::month::Month;
use crate::domain::thread::NodeRow;
use crate::render::outline::{self, Entry};
use crate::store::{ListRow, MessageItem, Order};

type St = State<Arc<AppState>>;

/// Messages per page in the date, author and subject orderings.
const PAGE: i64 = 300;
/// The thread ordering's pages hold whole threads up to this many of the month's messages
/// (a longer thread has a page of its own): a page costs what it shows, and a busy month's
/// first page of a fixed number of threads once held 2,000 messages in 300 KB.
const THREAD_PAGE_MESSAGES: i64 = PAGE;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "month.html")]
struct MonthPage {
    /// Marks the pages of a private list, which only its members see.
    private: bool,
    list: String,
    label: String,
    month: Month,
    order: &'static str,
    total: i64,
    body: Html,
    prev_month: Option<String>,
    next_month: Option<String>,
    page: i64,
    pages: i64,
    lang: Lang,
    /// The page's title: list, month and order, in the reader's language.
    month_title: String,
}

fn month_title(lang: Lang, list: &str, label: &str, order: &str) -> String {
    lang.tr(
        "month-title",
        &[
            ("list", list.into()),
            ("month", label.into()),
            ("order", lang.tk("order-", order).as_str().into()),
        ],
    )
}

/// The month a listing's address names: a four-digit year and a two-digit month.
fn parse_month(year: &str, month: &str) -> Result<Month, WebError> {
    let y: i32 = year.parse().map_err(|_| WebError::NotFound)?;
    let m: u32 = month.parse().map_err(|_| WebError::NotFound)?;
    if !(1000..=9999).contains(&y) || month.len() != 2 {
        return Err(WebError::NotFound);
    }
    Month::from_ym(y, m).ok_or(WebError::NotFound)
}

async fn month_neighbours(
    st: &AppState,
    list_id: i64,
    ym: Month,
) -> Result<(Option<Month>, Option<Month>), WebError> {
    let months = st.store.month_counts(list_id).await?;
    let mut having = months.iter().filter_map(|m| Month::from_code(m.month));
    let prev = having.clone().rev().find(|m| *m < ym);
    let next = having.find(|m| *m > ym);
    Ok((prev, next))
}

pub async fn month_thread(
    State(st): St,
    viewer: Viewer,
    Path((list, year, month)): Path<(String, String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let ym = parse_month(&year, &month)?;
    let total = st.store.month_count(l.id, ym.code()).await?;
    if total == 0 {
        return Err(empty_month(&l, ym));
    }
    let threads = st.store.month_threads(l.id, ym.code()).await?;
    let cuts = thread_pages(&threads, THREAD_PAGE_MESSAGES);
    let pages = cuts.len().max(1) as i64;
    if q.page() > pages {
        return Ok(last_page(&urls::month(&l.name, ym), pages));
    }
    let page = q.page();
    let shown: Vec<i64> = cuts
        .get((page - 1) as usize)
        .map(|r| threads[r.clone()].iter().map(|t| t.0).collect())
        .unwrap_or_default();
    let data = st.store.threads_data(l.id, &shown).await?;
    // A thread shown here may go on in other months: their messages are left out.
    let in_month: HashSet<&str> = data
        .items
        .iter()
        .zip(&data.months)
        .filter(|(_, m)| **m == Some(ym.code()))
        .map(|(i, _)| i.mkey.as_str())
        .collect();
    let items: HashMap<&str, &MessageItem> =
        data.items.iter().map(|m| (m.mkey.as_str(), m)).collect();
    let mut by_thread: HashMap<i64, Vec<NodeRow>> = HashMap::new();
    for n in data.nodes {
        by_thread.entry(n.thread).or_default().push(n);
    }
    let tags = list_tags(&st).await?;
    let lang = super::lang::current();
    let mut rows: Vec<(usize, Entry)> = Vec::new();
    for t in &shown {
        let Some(nodes) = by_thread.get(t) else {
            continue;
        };
        let keys = shown_rows(nodes, |n| n.real && in_month.contains(n.key.as_str()));
        for (d, k) in keys {
            if let Some(i) = items.get(k.as_str()) {
                rows.push((d, item(&l.name, i, false, &tags, lang)));
            }
        }
    }
    let (prev, next) = month_neighbours(&st, l.id, ym).await?;
    Ok(MonthPage {
        private: l.private,
        label: lang.month_label(ym.year(), ym.month()),
        month_title: month_title(
            lang,
            &l.name,
            &lang.month_label(ym.year(), ym.month()),
            "thread",
        ),
        month: ym,
        list: l.name.clone(),
        order: "thread",
        total,
        body: outline::nested_list(&rows, "tree"),
        prev_month: prev.map(|m| urls::month(&l.name, m)),
        next_month: next.map(|m| urls::month(&l.name, m)),
        page,
        pages,
        lang,
    }
    .into_response())
}

/// Cuts a month's threads, each with its number of the month's messages, into pages of
/// whole threads holding at most `budget` messages, but a thread longer than that alone.
fn thread_pages(threads: &[(i64, i64)], budget: i64) -> Vec<std::ops::Range<usize>> {
    let mut pages = Vec::new();
    let (mut start, mut held) = (0, 0);
    for (i, (_, count)) in threads.iter().enumerate() {
        if i > start && held + count > budget {
            pages.push(start..i);
            (start, held) = (i, 0);
        }
        held += count;
    }
    if start < threads.len() {
        pages.push(start..threads.len());
    }
    pages
}

/// A page number past the end goes to the last page (temporarily: the month may grow), so
/// that every page number a client invents does not become a page of its own.
fn last_page(base: &str, pages: i64) -> Response {
    let to = if pages > 1 {
        format!("{base}?page={pages}")
    } else {
        base.to_string()
    };
    Redirect::to(&to).into_response()
}

fn empty_month(l: &ListRow, ym: Month) -> WebError {
    let lang = super::lang::current();
    WebError::NotFoundHint(lang.tr(
        "error-empty-month",
        &[
            ("list", l.name.as_str().into()),
            (
                "month",
                lang.month_label(ym.year(), ym.month()).as_str().into(),
            ),
        ],
    ))
}

pub async fn month_ordered(
    State(st): St,
    viewer: Viewer,
    Path((list, year, month, order)): Path<(String, String, String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    let ym = parse_month(&year, &month)?;
    let (order, name) = match order.as_str() {
        "date" => (Order::Date, "date"),
        "author" => (Order::Author, "author"),
        "subject" => (Order::Subject, "subject"),
        "thread" => return Ok(super::moved(&urls::month(&l.name, ym))),
        _ => return Err(WebError::NotFound),
    };
    let total = st.store.month_count(l.id, ym.code()).await?;
    if total == 0 {
        return Err(empty_month(&l, ym));
    }
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    if q.page() > pages {
        return Ok(last_page(&urls::month_order(&l.name, ym, name), pages));
    }
    let page = q.page();
    let items = st
        .store
        .month_messages(l.id, ym.code(), order, PAGE, (page - 1) * PAGE)
        .await?;
    let tags = list_tags(&st).await?;
    let lang = super::lang::current();
    let mut rows: Vec<(usize, Entry)> = Vec::new();
    let mut group = String::new();
    for i in &items {
        // Author and subject orderings read as groups, like pipermail's pages.
        let g = match order {
            Order::Author => sender(&i.from_name, &i.from_addr),
            Order::Subject => crate::domain::normalize::subject_key(&i.subject).0,
            Order::Date => String::new(),
        };
        if order != Order::Date && g != group {
            rows.push((
                0,
                Entry::Heading(if g.is_empty() {
                    lang.t("month-group-none")
                } else {
                    g.clone()
                }),
            ));
            group = g;
        }
        rows.push((
            usize::from(order != Order::Date),
            item(&l.name, i, true, &tags, lang),
        ));
    }
    let (prev, next) = month_neighbours(&st, l.id, ym).await?;
    Ok(MonthPage {
        private: l.private,
        label: lang.month_label(ym.year(), ym.month()),
        month_title: month_title(
            lang,
            &l.name,
            &lang.month_label(ym.year(), ym.month()),
            name,
        ),
        month: ym,
        list: l.name.clone(),
        order: name,
        total,
        body: outline::nested_list(&rows, "flat"),
        prev_month: prev.map(|m| urls::month_order(&l.name, m, name)),
        next_month: next.map(|m| urls::month_order(&l.name, m, name)),
        page,
        pages,
        lang,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::thread_pages;

    #[test]
    fn pages_hold_whole_threads_within_the_budget() {
        let t = |counts: &[i64]| -> Vec<(i64, i64)> {
            counts
                .iter()
                .enumerate()
                .map(|(i, c)| (i as i64, *c))
                .collect()
        };
        assert!(thread_pages(&t(&[]), 10).is_empty());
        assert_eq!(thread_pages(&t(&[3, 3, 3]), 10), vec![0..3]);
        assert_eq!(thread_pages(&t(&[4, 4, 4, 1]), 10), vec![0..2, 2..4]);
        // A thread over the budget takes a page of its own, wherever it falls.
        assert_eq!(thread_pages(&t(&[2, 25, 2]), 10), vec![0..1, 1..2, 2..3]);
        assert_eq!(thread_pages(&t(&[25]), 10), vec![0..1]);
        assert_eq!(thread_pages(&t(&[10, 10]), 10), vec![0..1, 1..2]);
    }
}

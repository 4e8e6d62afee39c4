//! The front page and each list's overview: where a reader starts, and what tells them
//! how much a list holds and when it was busy.

use crate::i18n::Lang;
use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::auth::Viewer;
use super::urls;
use super::{AppState, WebError, list_tags, visible_list};

use crate::domain::escape::Html;
use crate::domain::month::Month;
use crate::render::{chart, listing_subject};
use crate::store::{ListRow, ThreadSummary};

type St = State<Arc<AppState>>;

struct IndexRow {
    name: String,
    description: String,
    messages: i64,
    threads: i64,
    first: Option<i64>,
    last: Option<i64>,
    chart: Html,
}

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
struct IndexPage {
    lists: Vec<IndexRow>,
    lang: Lang,
}

pub async fn index(State(st): St, viewer: Viewer) -> Result<impl IntoResponse, WebError> {
    let lang = super::lang::current();
    let mut lists = Vec::new();
    for l in st.store.list_summaries().await? {
        if !viewer.can_read(&l.name, l.private) {
            continue;
        }
        let Some(row) = st.store.list_by_name(&l.name).await? else {
            continue;
        };
        let months = st.store.month_counts(row.id).await?;
        lists.push(IndexRow {
            chart: chart::bars(
                &last_months(&months, 24, lang),
                120,
                24,
                &lang.t("chart-index-label"),
            ),
            name: l.name,
            description: l.description,
            messages: l.messages,
            threads: l.threads,
            first: l.first_date,
            last: l.last_date,
        });
    }
    Ok(IndexPage { lists, lang })
}

/// Counts of the last `n` months up to the newest one that has mail, zeros included.
fn last_months(months: &[crate::store::MonthCount], n: usize, lang: Lang) -> Vec<(String, i64)> {
    let counts: HashMap<i64, i64> = months.iter().map(|m| (m.month, m.count)).collect();
    let mut out = Vec::new();
    let mut m = months.last().and_then(|m| Month::from_code(m.month));
    for _ in 0..n {
        let Some(this) = m else { break };
        out.push((
            lang.month_label(this.year(), this.month()),
            counts.get(&this.code()).copied().unwrap_or(0),
        ));
        m = this.prev();
    }
    out.reverse();
    out
}

// ---- list overview ----------------------------------------------------------------

struct YearRow {
    year: i64,
    total: i64,
    /// (count, url) per calendar month; count 0 = no link.
    months: Vec<(i64, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "list.html")]
struct ListPage {
    /// Marks the pages of a private list, which only its members see.
    private: bool,
    name: String,
    title: String,
    description: String,
    total: i64,
    years: Vec<YearRow>,
    threads: Vec<ThreadSummary>,
    chart: Html,
    lang: Lang,
}

pub async fn list_redirect(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, &list).await?;
    Ok(super::moved(&urls::list(&l.name)))
}

pub async fn list_page(
    State(st): St,
    viewer: Viewer,
    Path(list): Path<String>,
) -> Result<Response, WebError> {
    let l = match visible_list(&st, &viewer, &list).await {
        Ok(l) => l,
        // public-inbox answers a bare `/MSGID/` at its root, and b4 asks there when its
        // configured list does not hold the message.
        Err(e) if list.contains('@') => {
            return super::public_inbox::root_message(&st, &viewer, &list)
                .await
                .or(Err(e));
        }
        Err(e) => return Err(e),
    };
    if l.name != list {
        return Ok(super::moved(&urls::list(&l.name)));
    }
    let months = st.store.month_counts(l.id).await?;
    let mut years: Vec<YearRow> = Vec::new();
    for (month, count) in months
        .iter()
        .rev()
        .filter_map(|m| Some((Month::from_code(m.month)?, m.count)))
    {
        let y = i64::from(month.year());
        if years.last().is_none_or(|r| r.year != y) {
            years.push(YearRow {
                year: y,
                total: 0,
                months: vec![(0, String::new()); 12],
            });
        }
        if let Some(row) = years.last_mut() {
            row.months[month.month() as usize - 1] = (count, urls::month(&l.name, month));
            row.total += count;
        }
    }
    let total = months.iter().map(|m| m.count).sum();
    let tags = list_tags(&st).await?;
    let mut threads = st.store.recent_threads(l.id, 30).await?;
    for t in &mut threads {
        t.subject = listing_subject(&t.subject, &tags).into_owned();
    }
    let lang = super::lang::current();
    let chart = chart::bars(
        &last_months(&months, 60, lang),
        600,
        60,
        &lang.t("chart-list-label"),
    );
    Ok(ListPage {
        private: l.private,
        title: list_title(&l),
        name: l.name,
        description: l.description,
        total,
        years,
        threads,
        chart,
        lang,
    }
    .into_response())
}

fn list_title(l: &ListRow) -> String {
    if l.title.is_empty() {
        l.name.clone()
    } else {
        l.title.clone()
    }
}

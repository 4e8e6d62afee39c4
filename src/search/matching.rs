//! Turning a parsed query into tantivy's: which fields each term searches, how exact and
//! stemmed matches are weighted, the list and date filters, and the order of results.

use std::collections::HashMap;
use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Order as TOrder, Term};

use super::query::{Expr, Leaf, Scope};
use super::{Found, Order, Request, Search, tally, tokenize};

impl Search {
    /// Runs a query. CPU-bound: call from a blocking thread.
    pub fn run(&self, req: &Request) -> anyhow::Result<Found> {
        let f = self.f;
        let searcher = self.reader.searcher();
        let user: Box<dyn Query> = if req.parsed.is_empty() {
            Box::new(AllQuery)
        } else {
            self.build(&req.parsed.expr, req.lists)
                .unwrap_or_else(|| Box::new(EmptyQuery))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, user)];
        if let Some(v) = &req.visible {
            clauses.push((
                Occur::Must,
                Box::new(TermSetQuery::new(
                    v.iter().map(|&id| Term::from_field_u64(f.list, id as u64)),
                )),
            ));
        }
        if let Some(l) = req.scope {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.list, l as u64),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        let limit = req.limit.clamp(1, 10_000);
        let top = tantivy::collector::TopDocs::with_limit(limit).and_offset(req.offset);
        let (addrs, counts): (Vec<DocAddress>, tally::Counts) = match req.order {
            Order::Relevance => {
                let (t, c) = searcher.search(&query, &(top.order_by_score(), tally::Tally))?;
                (t.into_iter().map(|(_, a)| a).collect(), c)
            }
            Order::Newest | Order::Oldest => {
                let o = if req.order == Order::Newest {
                    TOrder::Desc
                } else {
                    TOrder::Asc
                };
                let (t, c) = searcher.search(
                    &query,
                    &(top.order_by_fast_field::<i64>("date", o), tally::Tally),
                )?;
                (t.into_iter().map(|(_, a)| a).collect(), c)
            }
        };
        let mut ids = Vec::with_capacity(addrs.len());
        let mut columns: HashMap<u32, tantivy::columnar::Column<u64>> = HashMap::new();
        for a in addrs {
            if let std::collections::hash_map::Entry::Vacant(e) = columns.entry(a.segment_ord) {
                e.insert(
                    searcher
                        .segment_reader(a.segment_ord)
                        .fast_fields()
                        .u64("id")?,
                );
            }
            if let Some(id) = columns.get(&a.segment_ord).and_then(|c| c.first(a.doc_id)) {
                ids.push(id as i64);
            }
        }
        let total = counts.total;
        let per_list = counts.lists.iter().map(|&(l, n)| (l as i64, n)).collect();
        let per_year = counts.years;
        Ok(Found {
            total,
            ids,
            per_list,
            per_year,
            searcher,
            query,
        })
    }

    fn build(&self, e: &Expr, lists: &HashMap<String, Option<i64>>) -> Option<Box<dyn Query>> {
        match e {
            Expr::Leaf(l) => self.leaf(l, lists),
            Expr::And(v) => {
                let mut clauses = Vec::new();
                let mut positive = false;
                for c in v {
                    if let Expr::Not(inner) = c {
                        if let Some(q) = self.build(inner, lists) {
                            clauses.push((Occur::MustNot, q));
                        }
                    } else if let Some(q) = self.build(c, lists) {
                        clauses.push((Occur::Must, q));
                        positive = true;
                    }
                }
                if clauses.is_empty() {
                    return None;
                }
                if !positive {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(Box::new(BooleanQuery::new(clauses)))
            }
            Expr::Or(v) => {
                let clauses: Vec<(Occur, Box<dyn Query>)> = v
                    .iter()
                    .filter_map(|c| self.build(c, lists))
                    .map(|q| (Occur::Should, q))
                    .collect();
                (!clauses.is_empty())
                    .then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
            }
            Expr::Not(_) => self.build(&Expr::And(vec![e.clone()]), lists),
        }
    }

    fn leaf(&self, l: &Leaf, lists: &HashMap<String, Option<i64>>) -> Option<Box<dyn Query>> {
        let f = self.f;
        let term_q =
            |t: Term| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>;
        Some(match l {
            Leaf::Text {
                scope,
                text,
                phrase,
            } => return self.text(*scope, text, *phrase),
            Leaf::List(name) => match lists.get(name).copied().flatten() {
                Some(id) => term_q(Term::from_field_u64(f.list, id as u64)),
                None => Box::new(EmptyQuery),
            },
            Leaf::MsgId(id) => term_q(Term::from_field_text(f.msgid, id)),
            Leaf::HasAttachment => term_q(Term::from_field_text(f.has, "attachment")),
            Leaf::Date { lo, hi } => {
                let b = |v: &Option<i64>, incl: bool| match v {
                    Some(v) if incl => Bound::Included(Term::from_field_i64(f.date, *v)),
                    Some(v) => Bound::Excluded(Term::from_field_i64(f.date, *v)),
                    None => Bound::Unbounded,
                };
                if let (Some(a), Some(b)) = (lo, hi)
                    && a >= b
                {
                    return Some(Box::new(EmptyQuery));
                }
                Box::new(RangeQuery::new(b(lo, true), b(hi, false)))
            }
        })
    }

    /// Words or a phrase in the fields a scope covers. Unquoted words are stemmed
    /// ("patches" finds "patch") in subjects and the author's own text; phrases match the
    /// exact words. Quoted text is indexed once, unstemmed (it repeats the parent, which is
    /// indexed with stems), and weighs least; subjects weigh most.
    fn text(&self, scope: Scope, text: &str, phrase: bool) -> Option<Box<dyn Query>> {
        let f = self.f;
        let stem = tokenize::terms(&mut tokenize::stemmed(), text);
        let exact = tokenize::terms(&mut tokenize::exact(), text);
        if exact.is_empty() {
            return None;
        }
        let (s, x) = (&stem, &exact);
        let phrase = phrase || stem.len() > 1;
        let parts: Vec<(Field, &Vec<String>, f32)> = match (scope, phrase) {
            (Scope::Any, false) => vec![
                (f.subject, s, 3.0),
                (f.body, s, 1.0),
                (f.quoted, x, 0.3),
                (f.from, x, 1.0),
                (f.attach, x, 1.0),
            ],
            (Scope::Any, true) => vec![
                (f.subject_x, x, 3.0),
                (f.body_x, x, 1.0),
                (f.quoted, x, 0.3),
                (f.from, x, 1.0),
                (f.attach, x, 1.0),
            ],
            (Scope::From, _) => vec![(f.from, x, 1.0)],
            (Scope::Subject, false) => vec![(f.subject, s, 1.0)],
            (Scope::Subject, true) => vec![(f.subject_x, x, 1.0)],
            (Scope::Body, false) => vec![(f.body, s, 1.0), (f.quoted, x, 0.3)],
            (Scope::Body, true) => vec![(f.body_x, x, 1.0), (f.quoted, x, 0.3)],
        };
        let clauses: Vec<(Occur, Box<dyn Query>)> = parts
            .into_iter()
            .filter(|(_, toks, _)| !toks.is_empty())
            .map(|(field, toks, boost)| {
                let q: Box<dyn Query> = if toks.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &toks[0]),
                        IndexRecordOption::WithFreqs,
                    ))
                } else {
                    Box::new(PhraseQuery::new(
                        toks.iter()
                            .map(|t| Term::from_field_text(field, t))
                            .collect(),
                    ))
                };
                let q: Box<dyn Query> = if boost == 1.0 {
                    q
                } else {
                    Box::new(BoostQuery::new(q, boost))
                };
                (Occur::Should, q)
            })
            .collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

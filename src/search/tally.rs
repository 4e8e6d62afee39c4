//! Counting a result set by list and by year in one pass over the matches, from the
//! columnar (fast) fields: cheaper than tantivy's facet collector, which walks facet
//! ordinals and strings, and it gives the match count for free.

use std::sync::OnceLock;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// First and last year counted; dates outside are rare and left out of the year counts.
const FIRST_YEAR: i32 = 1970;
const YEARS: usize = 200;

/// Unix time at the start of each year from 1970.
fn year_starts() -> &'static [i64] {
    static STARTS: OnceLock<Vec<i64>> = OnceLock::new();
    STARTS.get_or_init(|| {
        (0..=YEARS as i32)
            .filter_map(|i| {
                chrono::NaiveDate::from_ymd_opt(FIRST_YEAR + i, 1, 1)?
                    .and_hms_opt(0, 0, 0)
                    .map(|d| d.and_utc().timestamp())
            })
            .collect()
    })
}

/// Matches, matches per list id, matches per year.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub lists: Vec<(u64, u64)>,
    pub years: Vec<(i32, u64)>,
}

pub struct Tally;

pub struct SegmentTally {
    lists: Option<Column<u64>>,
    dates: Option<Column<i64>>,
    total: usize,
    per_list: Vec<(u64, u64)>,
    per_year: Vec<u64>,
}

impl Collector for Tally {
    type Fruit = Counts;
    type Child = SegmentTally;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<SegmentTally> {
        let ff = seg.fast_fields();
        Ok(SegmentTally {
            lists: ff.u64("list").ok(),
            dates: ff.i64("date").ok(),
            total: 0,
            per_list: Vec::new(),
            per_year: vec![0; YEARS],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut out = Counts::default();
        let mut years = std::collections::BTreeMap::new();
        for p in parts {
            out.total += p.total;
            for (l, n) in p.lists {
                match out.lists.iter_mut().find(|(k, _)| *k == l) {
                    Some(e) => e.1 += n,
                    None => out.lists.push((l, n)),
                }
            }
            for (y, n) in p.years {
                *years.entry(y).or_insert(0) += n;
            }
        }
        out.years = years.into_iter().collect();
        Ok(out)
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.total += 1;
        if let Some(col) = &self.lists {
            for l in col.values_for_doc(doc) {
                // A handful of lists: a linear scan beats hashing.
                match self.per_list.iter_mut().find(|(k, _)| *k == l) {
                    Some(e) => e.1 += 1,
                    None => self.per_list.push((l, 1)),
                }
            }
        }
        if let Some(date) = self.dates.as_ref().and_then(|c| c.first(doc)) {
            let starts = year_starts();
            let i = starts.partition_point(|&s| s <= date);
            if i > 0 && i < starts.len() {
                self.per_year[i - 1] += 1;
            }
        }
    }

    fn harvest(self) -> Counts {
        Counts {
            total: self.total,
            lists: self.per_list,
            years: self
                .per_year
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (FIRST_YEAR + i as i32, *n))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_boundaries() {
        let s = year_starts();
        assert_eq!(s[0], 0);
        assert_eq!(s[46], 1451606400); // 2016-01-01
        let i = s.partition_point(|&x| x <= 1451606399);
        assert_eq!(FIRST_YEAR + i as i32 - 1, 2015);
    }
}

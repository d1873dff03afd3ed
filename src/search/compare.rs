//! Several searches counted per period over one shared span and interval,
//! beside the whole archive's count for each period: the comparison chart.

use super::*;

/// Matches per period of each search, and of every article, on one axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Never `Auto`: the interval chosen.
    pub interval: Interval,
    /// The periods, oldest first: `2022`, `2022-05` or `2022-05-16`.
    pub periods: Vec<String>,
    /// Per search, its matches in each period.
    pub series: Vec<Vec<u64>>,
    /// Per search, every match (dated or not).
    pub totals: Vec<u64>,
    /// Every article (of the shared filters) in each period.
    pub all: Vec<u64>,
}

/// Per-month and per-day counts: `(202205, n)` and `(20220516, n)`.
type Raw = (Vec<(u64, u64)>, Vec<(u64, u64)>);

impl SearchIndex {
    /// Counts each query's matches per period, with `filters` applied to
    /// all of them. The span runs from the first to the last period any
    /// search has a match in; `Auto` chooses days, months or years from it.
    pub fn compare(
        &self,
        queries: &[ParsedQuery],
        filters: &Filters,
        asked: Interval,
    ) -> Result<Comparison> {
        let searcher = self.searcher.clone();
        let request = Request {
            filters: filters.clone(),
            histogram: Some(Interval::Day),
            ..Default::default()
        };
        let mut totals = Vec::new();
        let mut raws = Vec::new();
        for query in queries {
            let full = self.filtered(query.query.box_clone(), query, &request);
            let (total, raw) = self
                .count_by_period(&searcher, full.as_ref(), &request)
                .map_err(query_fault)?;
            totals.push(total);
            raws.push(raw);
        }
        let everything = ParsedQuery {
            query: Box::new(AllQuery),
            highlight: Box::new(AllQuery),
            ignored: Vec::new(),
            dates: query::DateSpan::default(),
            words: Vec::new(),
        };
        let full = self.filtered(Box::new(AllQuery), &everything, &request);
        let (_, all) = self.count_by_period(&searcher, full.as_ref(), &request)?;
        Ok(align(asked, &raws, &all, totals))
    }

    fn count_by_period(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        request: &Request,
    ) -> Result<(u64, Raw)> {
        let periods = aggregations(request).expect("a histogram is asked for");
        let (total, results) = searcher.search(query, &(Count, periods))?;
        let results = serde_json::to_value(&results)
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        let read = |name: &str| {
            buckets(&results, name)
                .into_iter()
                .map(|(key, count)| (key.as_f64().unwrap_or(0.0) as u64, count))
                .collect::<Vec<_>>()
        };
        Ok((total as u64, (read("months"), read("days"))))
    }
}

/// Puts every series on the span of the searches' matches: each padded
/// with empty periods at both ends, the archive's counts cut to the span.
fn align(asked: Interval, raws: &[Raw], all: &Raw, totals: Vec<u64>) -> Comparison {
    let span = |pick: fn(&Raw) -> &Vec<(u64, u64)>| {
        let keys = raws
            .iter()
            .flat_map(|raw| pick(raw).iter().filter(|(_, n)| *n > 0).map(|(k, _)| *k));
        let first = keys.clone().min();
        first.zip(keys.max())
    };
    let (Some(months), Some(days)) = (span(|r| &r.0), span(|r| &r.1)) else {
        return Comparison {
            interval: if asked == Interval::Auto {
                Interval::Month
            } else {
                asked
            },
            periods: Vec::new(),
            series: vec![Vec::new(); raws.len()],
            totals,
            all: Vec::new(),
        };
    };
    let place = |raw: &Raw| -> Histogram {
        let within = |list: &[(u64, u64)], (first, last): (u64, u64)| {
            let mut kept: Vec<(u64, u64)> = list
                .iter()
                .copied()
                .filter(|(k, _)| (first..=last).contains(k))
                .collect();
            kept.push((first, 0));
            kept.push((last, 0));
            kept.sort_unstable();
            kept
        };
        histogram(asked, &within(&raw.0, months), &within(&raw.1, days))
    };
    let placed: Vec<Histogram> = raws.iter().map(place).collect();
    let everything = place(all);
    Comparison {
        interval: everything.interval,
        periods: everything.buckets.iter().map(|(p, _)| p.clone()).collect(),
        series: placed
            .into_iter()
            .map(|h| h.buckets.into_iter().map(|(_, n)| n).collect())
            .collect(),
        totals,
        all: everything.buckets.into_iter().map(|(_, n)| n).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_share_one_span_padded_with_empty_periods() {
        let a: Raw = (vec![(202201, 2)], vec![(20220105, 2)]);
        let b: Raw = (
            vec![(202203, 1), (202205, 4)],
            vec![(20220301, 1), (20220520, 4)],
        );
        let all: Raw = (
            vec![(202112, 9), (202201, 5), (202205, 6), (202207, 1)],
            vec![(20211201, 9), (20220105, 5), (20220520, 6), (20220701, 1)],
        );
        let c = align(Interval::Auto, &[a, b], &all, vec![2, 5]);
        assert_eq!(c.interval, Interval::Month);
        assert_eq!(
            c.periods,
            ["2022-01", "2022-02", "2022-03", "2022-04", "2022-05"]
        );
        assert_eq!(c.series, [vec![2, 0, 0, 0, 0], vec![0, 0, 1, 0, 4]]);
        assert_eq!(c.all, [5, 0, 0, 0, 6]);
    }

    #[test]
    fn a_short_span_is_counted_by_day() {
        let a: Raw = (vec![(202201, 1)], vec![(20220130, 1)]);
        let b: Raw = (vec![(202202, 1)], vec![(20220201, 1)]);
        let c = align(Interval::Auto, &[a, b.clone()], &b, vec![1, 1]);
        assert_eq!(c.interval, Interval::Day);
        assert_eq!(c.periods, ["2022-01-30", "2022-01-31", "2022-02-01"]);
        assert_eq!(c.series, [vec![1, 0, 0], vec![0, 0, 1]]);
    }

    #[test]
    fn nothing_matched_gives_no_periods() {
        let empty: Raw = (Vec::new(), Vec::new());
        let c = align(
            Interval::Auto,
            std::slice::from_ref(&empty),
            &empty,
            vec![0],
        );
        assert!(c.periods.is_empty());
        assert_eq!(c.series, [Vec::<u64>::new()]);
    }
}

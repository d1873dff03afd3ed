//! Facets and the date histogram: tantivy aggregations asked for with a
//! search and read back as counts per value and per period.

use super::*;

/// Most values one facet lists unless asked for more or fewer.
pub const FACET_VALUES: usize = 10;
/// Most buckets one aggregation may make (tantivy's own limit).
pub(super) const MAX_BUCKETS: usize = 65_000;

/// The aggregation request for the facets and histogram asked for, if any.
pub(super) fn aggregations(request: &Request) -> Option<AggregationCollector> {
    let mut spec = serde_json::Map::new();
    for facet in &request.facets {
        let field = match facet {
            Facet::Source => "source_name",
            Facet::Section => "section_name",
            Facet::Tag => "tag_name",
            Facet::Author => "author_name",
            Facet::Language => "language",
            Facet::Year => continue,
        };
        let size = match request.longer_facet {
            Some((longer, size)) if longer == *facet => size,
            _ => request.facet_values,
        };
        spec.insert(
            facet.name().to_owned(),
            serde_json::json!({ "terms": { "field": field, "size": size } }),
        );
    }
    let by_key = |field: &str| serde_json::json!({ "terms": { "field": field, "size": MAX_BUCKETS, "order": { "_key": "asc" } } });
    if request.facets.contains(&Facet::Year) || request.histogram.is_some() {
        spec.insert("months".into(), by_key("month"));
    }
    if matches!(request.histogram, Some(Interval::Day | Interval::Auto)) {
        spec.insert("days".into(), by_key("day"));
    }
    if spec.is_empty() {
        return None;
    }
    let aggregations: Aggregations = serde_json::from_value(serde_json::Value::Object(spec))
        .expect("the aggregation request is valid");
    Some(AggregationCollector::from_aggs(
        aggregations,
        AggContextParams::default(),
    ))
}

/// `(key, count)` of each bucket of a terms aggregation, in its order.
pub(super) fn buckets(results: &serde_json::Value, name: &str) -> Vec<(serde_json::Value, u64)> {
    results[name]["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| (b["key"].clone(), b["doc_count"].as_u64().unwrap_or(0)))
        .collect()
}

pub(super) fn read_aggregations(
    results: &AggregationResults,
    request: &Request,
) -> Result<(Vec<FacetCounts>, Option<Histogram>)> {
    let results = serde_json::to_value(results)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let number = |key: &serde_json::Value| key.as_f64().unwrap_or(0.0) as u64;
    let months: Vec<(u64, u64)> = buckets(&results, "months")
        .into_iter()
        .map(|(key, count)| (number(&key), count))
        .collect();
    let mut facets = Vec::new();
    for facet in &request.facets {
        let more = results[facet.name()]["sum_other_doc_count"]
            .as_u64()
            .is_some_and(|n| n > 0);
        let values = match facet {
            Facet::Year => {
                let mut years: BTreeMap<u64, u64> = BTreeMap::new();
                for (month, count) in &months {
                    *years.entry(month / 100).or_default() += count;
                }
                years
                    .into_iter()
                    .rev()
                    .map(|(y, c)| (format!("{y:04}"), c))
                    .collect()
            }
            _ => {
                let mut values: Vec<(String, u64)> = buckets(&results, facet.name())
                    .into_iter()
                    .map(|(key, count)| (key.as_str().unwrap_or_default().to_owned(), count))
                    .collect();
                // Most matches first; equal counts by name, so the order is stable.
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                values
            }
        };
        facets.push(FacetCounts {
            facet: *facet,
            values,
            more,
        });
    }
    let histogram = request.histogram.map(|asked| {
        let days: Vec<(u64, u64)> = buckets(&results, "days")
            .into_iter()
            .map(|(key, count)| (number(&key), count))
            .collect();
        histogram(asked, &months, &days)
    });
    Ok((facets, histogram))
}

/// Counts per day, month or year from first to last, gaps included as zeros.
/// `Auto` picks days for up to three months, months for up to fifteen years, years beyond.
pub(super) fn histogram(asked: Interval, months: &[(u64, u64)], days: &[(u64, u64)]) -> Histogram {
    let span_months = match (months.first(), months.last()) {
        (Some((first, _)), Some((last, _))) => {
            (last / 100 * 12 + last % 100) - (first / 100 * 12 + first % 100) + 1
        }
        _ => 0,
    };
    let interval = match asked {
        Interval::Auto if span_months <= 3 => Interval::Day,
        Interval::Auto if span_months <= 180 => Interval::Month,
        Interval::Auto => Interval::Year,
        other => other,
    };
    let buckets = match interval {
        Interval::Day => {
            let date = |key: u64| {
                chrono::NaiveDate::from_ymd_opt(
                    (key / 10_000) as i32,
                    (key / 100 % 100) as u32,
                    (key % 100) as u32,
                )
            };
            let counts: BTreeMap<chrono::NaiveDate, u64> = days
                .iter()
                .filter_map(|(k, c)| Some((date(*k)?, *c)))
                .collect();
            let mut out = Vec::new();
            if let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().last()) {
                let mut day = *first;
                while day <= *last && out.len() < MAX_BUCKETS {
                    out.push((
                        day.format("%Y-%m-%d").to_string(),
                        counts.get(&day).copied().unwrap_or(0),
                    ));
                    day = day.succ_opt().unwrap_or(*last + chrono::TimeDelta::days(1));
                }
            }
            out
        }
        Interval::Month | Interval::Auto => {
            let counts: BTreeMap<u64, u64> = months.iter().copied().collect();
            let mut out = Vec::new();
            if let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().last()) {
                let mut month = *first;
                while month <= *last {
                    out.push((
                        format!("{:04}-{:02}", month / 100, month % 100),
                        counts.get(&month).copied().unwrap_or(0),
                    ));
                    month = if month % 100 == 12 {
                        (month / 100 + 1) * 100 + 1
                    } else {
                        month + 1
                    };
                }
            }
            out
        }
        Interval::Year => {
            let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
            for (month, count) in months {
                *counts.entry(month / 100).or_default() += count;
            }
            let mut out = Vec::new();
            if let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().last()) {
                for year in *first..=*last {
                    out.push((
                        format!("{year:04}"),
                        counts.get(&year).copied().unwrap_or(0),
                    ));
                }
            }
            out
        }
    };
    Histogram { interval, buckets }
}

/// The most common values of one facet among the matches, with counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCounts {
    pub facet: Facet,
    /// Most matches first; years newest first.
    pub values: Vec<(String, u64)>,
    /// Matches have values beyond those listed (`Request::facet_values`,
    /// or `Request::longer_facet`'s length for that facet).
    pub more: bool,
}

/// Matching articles per day, month or year, oldest first, empty periods included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    /// Never `Auto`: the interval chosen.
    pub interval: Interval,
    /// The period (`2022`, `2022-05` or `2022-05-16`) and its count.
    pub buckets: Vec<(String, u64)>,
}

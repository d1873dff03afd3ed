//! The search page's chart of matches over time: the bars' geometry, each
//! a link to its period, and the same counts as CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;

use super::SearchForm;
use crate::archive::{self, Archive};
use crate::search::query::period;
use crate::search::{Histogram, Interval, QueryError, Request};
use crate::web::PageError;
use crate::web::pages::Params;

/// The chart of matches over time.
pub(super) struct ChartView {
    /// Said by screen readers and shown under the chart.
    pub(super) caption: String,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) bars: Vec<Bar>,
    pub(super) first: String,
    pub(super) last: String,
    pub(super) csv_href: String,
    pub(super) json_href: String,
}

pub(super) struct Bar {
    pub(super) x: u32,
    pub(super) y: u32,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) label: String,
    pub(super) count: u64,
    pub(super) href: String,
}

/// The chart's geometry: one bar a period, scaled to the busiest.
pub(super) fn chart(form: &SearchForm, histogram: &Histogram) -> ChartView {
    const HEIGHT: u32 = 120;
    let n = histogram.buckets.len() as u32;
    let bar_width = (600 / n.max(1)).clamp(2, 40);
    let max = histogram
        .buckets
        .iter()
        .map(|(_, c)| *c)
        .max()
        .unwrap_or(0)
        .max(1);
    let unit = match histogram.interval {
        Interval::Day => "day",
        Interval::Month => "month",
        _ => "year",
    };
    let bars = histogram
        .buckets
        .iter()
        .enumerate()
        .map(|(i, (label, count))| {
            let height = ((*count as f64 / max as f64) * f64::from(HEIGHT)).round() as u32;
            let href = match period(label) {
                Some((start, end)) => form.with(|f| {
                    f.from = Some(start.format("%Y-%m-%d").to_string());
                    f.to = Some((end - TimeDelta::days(1)).format("%Y-%m-%d").to_string());
                }),
                None => form.with(|_| {}),
            };
            Bar {
                x: i as u32 * bar_width,
                y: HEIGHT - height.max(u32::from(*count > 0)),
                width: bar_width.saturating_sub(1).max(1),
                height: height.max(u32::from(*count > 0)),
                label: label.clone(),
                count: *count,
                href: format!("/search?{href}"),
            }
        })
        .collect();
    let first = histogram
        .buckets
        .first()
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let last = histogram
        .buckets
        .last()
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let (peak, peak_count) = histogram
        .buckets
        .iter()
        .max_by_key(|(_, c)| *c)
        .cloned()
        .unwrap_or_default();
    // What the counts depend on: the query and the filters. The API takes
    // nothing else (it refuses `versions`, `more` and `terms=on`, page-only settings).
    let state = form.with(|f| {
        f.sort = None;
        f.versions = None;
        f.more = None;
        f.terms = None;
    });
    ChartView {
        caption: format!(
            "Matching articles per {unit}, {first} to {last}; the most, {peak_count}, in {peak}."
        ),
        width: n * bar_width,
        height: HEIGHT,
        bars,
        first,
        last,
        csv_href: format!("/search/histogram.csv?{state}"),
        json_href: format!("/api/v1/search?{state}&histogram=auto&limit=1&fields=id"),
    }
}

/// `/search/histogram.csv?…`: the chart's counts, one period a line.
pub async fn histogram_csv(
    State(archive): State<Archive>,
    Params(form): Params<SearchForm>,
) -> Result<Response, PageError> {
    let form = form.tidy();
    let (filters, _) = form.filters();
    let request = Request {
        limit: 1,
        filters,
        histogram: Some(Interval::Auto),
        ..Default::default()
    };
    let mut csv = String::from("period,count\n");
    match archive.search(form.query(), &request).await {
        Ok(found) => {
            for (period, count) in found.histogram.map(|h| h.buckets).unwrap_or_default() {
                csv.push_str(&format!("{period},{count}\n"));
            }
        }
        Err(archive::Error::Query(QueryError::Empty)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"newsarchive-histogram.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

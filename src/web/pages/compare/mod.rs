//! `/compare?q=…&q=…`: two to five searches over time on one SVG chart
//! (colours, dash patterns, markers and numbered labels, so it reads in
//! greyscale and without JavaScript), as counts or as each period's share
//! of all articles, with the table and its CSV and JSON.

mod chart;

use askama::Template;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::grouped;
use super::search::SearchForm;
use super::{Layout, render};
use crate::archive::Archive;
use crate::article::parse_iso_date;
use crate::research::compare::{MAX_SEARCHES, compare};
use crate::search::query::{DateSpan, end_of};
use crate::search::{Comparison, Filters, Interval};
use crate::web::PageError;

/// What the chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Count,
    Share,
}

/// The state of a comparison, as its URL carries it.
#[derive(Debug, Clone)]
pub struct CompareForm {
    pub queries: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Interval,
    pub measure: Measure,
}

impl CompareForm {
    /// Reads `q` (repeated), `from`, `to`, `interval` and `measure`;
    /// blank searches are dropped, anything else unknown is refused.
    pub fn parse(raw: Option<&str>) -> Result<CompareForm, String> {
        let mut form = CompareForm {
            queries: Vec::new(),
            from: None,
            to: None,
            interval: Interval::Auto,
            measure: Measure::Count,
        };
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let set = !value.trim().is_empty();
            match &*name {
                "q" if set => form.queries.push(value.trim().to_owned()),
                "q" => {}
                "from" if set => form.from = Some(value.into_owned()),
                "to" if set => form.to = Some(value.into_owned()),
                "from" | "to" => {}
                "interval" => {
                    form.interval = match &*value {
                        "auto" | "" => Interval::Auto,
                        "day" => Interval::Day,
                        "month" => Interval::Month,
                        "year" => Interval::Year,
                        other => {
                            return Err(format!(
                                "`interval` is `auto`, `day`, `month` or `year`, not `{other}`"
                            ));
                        }
                    }
                }
                "measure" => {
                    form.measure = match &*value {
                        "count" | "" => Measure::Count,
                        "share" => Measure::Share,
                        other => {
                            return Err(format!("`measure` is `count` or `share`, not `{other}`"));
                        }
                    }
                }
                other => return Err(format!("`{other}` is not a setting of a comparison")),
            }
        }
        if form.queries.len() > MAX_SEARCHES {
            return Err(format!(
                "a comparison holds at most {MAX_SEARCHES} searches, and this one has {}",
                form.queries.len()
            ));
        }
        Ok(form)
    }

    /// The URL query string of this state, changed by `change`.
    pub fn with(&self, change: impl FnOnce(&mut CompareForm)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for q in &next.queries {
            out.append_pair("q", q);
        }
        if let Some(from) = &next.from {
            out.append_pair("from", from);
        }
        if let Some(to) = &next.to {
            out.append_pair("to", to);
        }
        match next.interval {
            Interval::Auto => {}
            Interval::Day => _ = out.append_pair("interval", "day"),
            Interval::Month => _ = out.append_pair("interval", "month"),
            Interval::Year => _ = out.append_pair("interval", "year"),
        }
        if next.measure == Measure::Share {
            out.append_pair("measure", "share");
        }
        out.finish()
    }

    /// The shared date filter; the error names the date that is not one.
    fn filters(&self) -> Result<Filters, String> {
        let date = |name: &str, value: &Option<String>| match value.as_deref() {
            None => Ok(None),
            Some(v) => parse_iso_date(v)
                .map(|d| Some((v.to_owned(), d)))
                .ok_or_else(|| format!("`{name}={v}` is not a date such as 2022-05-16")),
        };
        let from = date("from", &self.from)?.map(|(_, d)| d);
        let until = date("to", &self.to)?.map(|(written, d)| end_of(&written, d));
        Ok(Filters {
            dates: DateSpan { from, until },
            ..Default::default()
        })
    }
}

/// A search page's query as one search of a comparison: its filters
/// written into the query (`source:"…"`, `published:[… TO …]`).
pub fn first_search(form: &SearchForm) -> String {
    let mut q = form.query().to_owned();
    let quoted = |v: &str| v.replace('"', "");
    for (field, value) in [
        ("source", &form.source),
        ("section", &form.section),
        ("tag", &form.tag),
        ("author", &form.author),
        ("language", &form.language),
    ] {
        if let Some(v) = value {
            q.push_str(&format!(" {field}:\"{}\"", quoted(v)));
        }
    }
    if form.from.is_some() || form.to.is_some() {
        q.push_str(&format!(
            " published:[{} TO {}]",
            form.from.as_deref().unwrap_or("*"),
            form.to.as_deref().unwrap_or("*")
        ));
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair("q", &q);
    out.finish()
}

/// One search on the page: its line's key and its links.
struct SeriesView {
    number: usize,
    query: String,
    total: String,
    /// The legend's sample of its line and marker (SVG).
    key_svg: String,
    search_href: String,
    remove_href: String,
}

/// One period of the table.
struct RowView {
    period: String,
    /// Per search: its count and its share of all articles, as text.
    cells: Vec<(String, String)>,
    all: String,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    layout: Layout,
    /// The inputs: each search so far, and an empty one while there is room.
    inputs: Vec<String>,
    from: String,
    to: String,
    interval: &'static str,
    share: bool,
    message: Option<String>,
    series: Vec<SeriesView>,
    /// The chart's SVG, drawn here rather than in the template (its
    /// coordinates are arithmetic); every value in it is a number or a
    /// fixed string.
    chart_svg: Option<String>,
    caption: String,
    rows: Vec<RowView>,
    measure_toggle: (String, String),
    csv_href: String,
    json_href: String,
}

/// `/compare?q=…&q=…`: the chart, its table and the form.
pub async fn page(
    State(archive): State<Archive>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, PageError> {
    let form = CompareForm::parse(raw.as_deref()).map_err(bad)?;
    let filters = form.filters().map_err(bad)?;
    let mut view = ComparePage {
        layout: Layout::with_query(""),
        inputs: {
            let mut inputs = form.queries.clone();
            if inputs.len() < MAX_SEARCHES {
                inputs.push(String::new());
            }
            inputs
        },
        from: form.from.clone().unwrap_or_default(),
        to: form.to.clone().unwrap_or_default(),
        interval: match form.interval {
            Interval::Day => "day",
            Interval::Month => "month",
            Interval::Year => "year",
            Interval::Auto => "auto",
        },
        share: form.measure == Measure::Share,
        message: None,
        series: Vec::new(),
        chart_svg: None,
        caption: String::new(),
        rows: Vec::new(),
        measure_toggle: match form.measure {
            Measure::Count => (
                "Show each period's share of all articles".to_owned(),
                format!("/compare?{}", form.with(|f| f.measure = Measure::Share)),
            ),
            Measure::Share => (
                "Show counts of articles".to_owned(),
                format!("/compare?{}", form.with(|f| f.measure = Measure::Count)),
            ),
        },
        csv_href: format!("/compare.csv?{}", form.with(|_| {})),
        json_href: format!("/compare.json?{}", form.with(|_| {})),
    };
    if form.queries.is_empty() {
        return render(&view);
    }
    let comparison = match run(&archive, &form, &filters).await? {
        Ok(comparison) => comparison,
        Err(message) => {
            view.message = Some(message);
            return render(&view);
        }
    };
    if form.queries.len() == 1 {
        view.message = Some("Add another search in the form to draw them side by side.".into());
    }
    view.series = form
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| SeriesView {
            number: i + 1,
            query: q.clone(),
            total: grouped(comparison.totals[i]),
            key_svg: chart::key(i),
            search_href: format!("/search?{}", {
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                s.append_pair("q", q);
                s.finish()
            }),
            remove_href: format!(
                "/compare?{}",
                form.with(|f| {
                    f.queries.remove(i);
                })
            ),
        })
        .collect();
    view.rows = table(&comparison);
    if !comparison.periods.is_empty() {
        view.chart_svg = Some(chart::chart(&comparison, form.measure));
        view.caption = caption(&form, &comparison);
    } else {
        view.message = Some("None of these searches matches a dated article.".into());
    }
    render(&view)
}

/// `/compare.csv?…`: the table, one period a line.
pub async fn csv(
    State(archive): State<Archive>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (form, comparison) = comparison_for(&archive, raw.as_deref()).await?;
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut header = vec!["period".to_owned()];
    for q in &form.queries {
        header.push(format!("{q} (articles)"));
        header.push(format!("{q} (share)"));
    }
    header.push("all articles".to_owned());
    let written = writer.write_record(&header).is_ok()
        && comparison.periods.iter().enumerate().all(|(p, period)| {
            let mut row = vec![period.clone()];
            for series in &comparison.series {
                row.push(series[p].to_string());
                row.push(format!("{:.6}", share(series[p], comparison.all[p])));
            }
            row.push(comparison.all[p].to_string());
            writer.write_record(&row).is_ok()
        });
    let body = writer
        .into_inner()
        .ok()
        .filter(|_| written)
        .ok_or_else(PageError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"newsarchive-compare.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Serialize)]
struct ComparisonJson {
    /// `day`, `month` or `year`.
    interval: Interval,
    periods: Vec<String>,
    searches: Vec<SeriesJson>,
    /// Every article in each period.
    all_articles: Vec<u64>,
}

#[derive(Serialize)]
struct SeriesJson {
    q: String,
    total: u64,
    counts: Vec<u64>,
    /// Each period's count over all articles of the period (0 when there are none).
    shares: Vec<f64>,
}

/// `/compare.json?…`: the same numbers as JSON.
pub async fn json(
    State(archive): State<Archive>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let (form, c) = comparison_for(&archive, raw.as_deref()).await?;
    let searches = form
        .queries
        .iter()
        .zip(&c.series)
        .zip(&c.totals)
        .map(|((q, counts), total)| SeriesJson {
            q: q.clone(),
            total: *total,
            shares: counts
                .iter()
                .zip(&c.all)
                .map(|(n, all)| share(*n, *all))
                .collect(),
            counts: counts.clone(),
        })
        .collect();
    Ok(Json(ComparisonJson {
        interval: c.interval,
        periods: c.periods,
        searches,
        all_articles: c.all,
    })
    .into_response())
}

async fn comparison_for(
    archive: &Archive,
    raw: Option<&str>,
) -> Result<(CompareForm, Comparison), PageError> {
    let form = CompareForm::parse(raw).map_err(bad)?;
    let filters = form.filters().map_err(bad)?;
    if form.queries.is_empty() {
        return Err(bad("give one to five searches as `q`".to_owned()));
    }
    let comparison = run(archive, &form, &filters)
        .await?
        .map_err(PageError::bad_request)?;
    Ok((form, comparison))
}

/// The comparison, or what is wrong with one of its searches.
async fn run(
    archive: &Archive,
    form: &CompareForm,
    filters: &Filters,
) -> Result<Result<Comparison, String>, PageError> {
    match compare(archive, &form.queries, filters, form.interval).await? {
        Ok(comparison) => Ok(Ok(comparison)),
        Err(bad) => Ok(Err(format!(
            "Search {} (“{}”) cannot be run: {}.",
            bad.search + 1,
            form.queries[bad.search],
            bad.error
        ))),
    }
}

fn bad(why: String) -> PageError {
    PageError::bad_request(format!("This comparison could not be drawn: {why}."))
}

/// A period's count over all its articles (0 when there are none).
fn share(count: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        count as f64 / all as f64
    }
}

fn table(c: &Comparison) -> Vec<RowView> {
    c.periods
        .iter()
        .enumerate()
        .map(|(p, period)| RowView {
            period: period.clone(),
            cells: c
                .series
                .iter()
                .map(|s| {
                    (
                        grouped(s[p]),
                        format!("{:.2}%", 100.0 * share(s[p], c.all[p])),
                    )
                })
                .collect(),
            all: grouped(c.all[p]),
        })
        .collect()
}

fn caption(form: &CompareForm, c: &Comparison) -> String {
    let unit = match c.interval {
        Interval::Day => "day",
        Interval::Month => "month",
        _ => "year",
    };
    let what = match form.measure {
        Measure::Count => format!("Matching articles per {unit}"),
        Measure::Share => format!("Share of all articles per {unit}"),
    };
    let each: Vec<String> = form
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| format!("line {} “{q}”, {} in all", i + 1, grouped(c.totals[i])))
        .collect();
    format!(
        "{what}, {} to {}: {}.",
        c.periods.first().map(String::as_str).unwrap_or_default(),
        c.periods.last().map(String::as_str).unwrap_or_default(),
        each.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_repeated_searches_and_refuses_what_it_does_not_know() {
        let form = CompareForm::parse(Some("q=flood&q=&q=drought+aid&interval=year")).unwrap();
        assert_eq!(form.queries, ["flood", "drought aid"]);
        assert_eq!(form.interval, Interval::Year);
        assert_eq!(form.with(|_| {}), "q=flood&q=drought+aid&interval=year");
        let six = "q=a&q=b&q=c&q=d&q=e&q=f";
        assert!(
            CompareForm::parse(Some(six))
                .unwrap_err()
                .contains("at most 5")
        );
        assert!(
            CompareForm::parse(Some("q=a&colour=red"))
                .unwrap_err()
                .contains("`colour`")
        );
        assert!(
            CompareForm::parse(Some("q=a&measure=pie"))
                .unwrap_err()
                .contains("`pie`")
        );
    }

    #[test]
    fn a_search_page_state_becomes_one_search_with_its_filters_inside() {
        let form = SearchForm {
            q: Some("flood".into()),
            source: Some("The \"Dawn\"".into()),
            from: Some("2022-01-01".into()),
            ..Default::default()
        };
        assert_eq!(
            first_search(&form),
            "q=flood+source%3A%22The+Dawn%22+published%3A%5B2022-01-01+TO+*%5D"
        );
    }
}

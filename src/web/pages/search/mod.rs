//! The search page: ranked or dated results with highlighted snippets,
//! filters kept in the URL, facets that narrow, removable filter chips, an
//! SVG chart of matches over time (`chart`: and its counts as CSV), and the
//! help page.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use serde::{Deserialize, Serialize};

mod chart;

pub use chart::histogram_csv;
use chart::{ChartView, chart};

use super::{ArticleCard, Layout, Params, grouped, render};
use crate::archive::{self, Archive, SearchResult};
use crate::article::parse_iso_date;
use crate::research::matches::count_stories;
use crate::research::terms::significant_terms;
use crate::search::query::{DateSpan, end_of};
use crate::search::{
    Cursor, FACET_VALUES, Facet, FacetCounts, Filters, Interval, Previous, QueryError, Request,
    Sort,
};
use crate::web::PageError;

/// Results per search page.
const RESULTS_PER_PAGE: usize = 10;

/// Values listed for the facet a reader asked to see more of.
const MORE_FACET_VALUES: usize = 100;

/// The whole state of a search, as its URL carries it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SearchForm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Sort>,
    /// `all`: every copy of a story, not one result per story.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Versions>,
    /// Where the page starts: after the result this cursor names (the
    /// last one of the page before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The facet listed at length (`MORE_FACET_VALUES` values, not `FACET_VALUES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<Facet>,
    /// `terms=on`: list the words that set the matches apart (asked for:
    /// it costs far more than the search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<On>,
}

/// A setting that is on when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    On,
}

/// Which copies of a story the results show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Versions {
    All,
}

impl SearchForm {
    /// Empty form fields mean "not set".
    pub fn tidy(mut self) -> Self {
        for field in [
            &mut self.q,
            &mut self.from,
            &mut self.to,
            &mut self.source,
            &mut self.section,
            &mut self.tag,
            &mut self.author,
            &mut self.language,
        ] {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        if self.sort == Some(Sort::Relevance) {
            self.sort = None;
        }
        self
    }

    pub fn query(&self) -> &str {
        self.q.as_deref().unwrap_or_default()
    }

    /// The URL query string of this state, changed by `change`, from the first page.
    pub fn with(&self, change: impl FnOnce(&mut SearchForm)) -> String {
        let mut next = self.clone();
        next.after = None;
        change(&mut next);
        serde_urlencoded::to_string(&next).unwrap_or_default()
    }

    /// The filters, and notes about the ones that could not be read.
    pub fn filters(&self) -> (Filters, Vec<String>) {
        let mut notes = Vec::new();
        let mut date = |name: &str, value: &Option<String>| {
            let value = value.as_deref()?;
            let parsed = parse_iso_date(value);
            if parsed.is_none() {
                notes.push(format!(
                    "`{name}={value}` is not a date such as 2022-05-16, so it was left out"
                ));
            }
            parsed
        };
        let from = date("from", &self.from);
        let until = date("to", &self.to)
            .zip(self.to.as_deref())
            .map(|(d, written)| end_of(written, d));
        let filters = Filters {
            dates: DateSpan { from, until },
            source: self.source.clone(),
            section: self.section.clone(),
            tag: self.tag.clone(),
            author: self.author.clone(),
            language: self.language.clone(),
        };
        (filters, notes)
    }
}

/// A search result as the results page shows it.
struct ResultView {
    path: String,
    headline_html: String,
    snippet_html: Option<String>,
    card: ArticleCard,
    /// Articles telling this story (1: only this one).
    versions: i64,
    /// Where they are listed: the article page's versions section.
    versions_href: String,
}

impl From<&SearchResult> for ResultView {
    fn from(r: &SearchResult) -> Self {
        let path = match &r.snippet {
            Some(s) => format!("{}#p{}", r.article.path(), s.paragraph + 1),
            None => r.article.path(),
        };
        ResultView {
            path,
            headline_html: r.headline_html.clone(),
            snippet_html: r.snippet.as_ref().map(|s| s.html.clone()),
            card: ArticleCard::from(&r.article),
            versions: r.versions,
            versions_href: format!("{}#versions", r.article.path()),
        }
    }
}

/// A link with a label.
struct Choice {
    label: String,
    href: String,
    /// Marks the current choice.
    current: bool,
    count: Option<u64>,
}

/// A facet's values as links that narrow the search.
struct FacetView {
    title: &'static str,
    values: Vec<Choice>,
    /// Its name in URLs, for the section's anchor.
    name: &'static str,
    /// Lists more of its values, or fewer when it lists many.
    toggle: Option<Choice>,
    /// Says the list is still not every value.
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    message: Option<String>,
    notes: Vec<String>,
    total: u64,
    results: Vec<ResultView>,
    first: u64,
    previous: Option<String>,
    next: Option<String>,
    /// The first page's link, when this page starts past the last result.
    start_over: Option<String>,
    /// Active filters, each with the link that removes it.
    chips: Vec<Choice>,
    sorts: Vec<Choice>,
    facets: Vec<FacetView>,
    chart: Option<ChartView>,
    feed_href: String,
    /// The hidden form fields that keep the filters when the query changes.
    kept: Vec<(&'static str, String)>,
    /// "Did you mean": the suggested query and its link.
    suggestion: Option<Choice>,
    /// Switches between one result per story and every version.
    versions_toggle: Choice,
    /// Every match as CSV and as NDJSON.
    downloads: Option<Downloads>,
    /// This search on the comparison chart, ready for another beside it.
    compare_href: String,
    /// Words and phrases that set the matches apart, each narrowing the search.
    terms: Vec<Choice>,
    /// The matches they were counted in.
    terms_sample: usize,
    /// The link that lists them, when they are not listed.
    terms_href: Option<String>,
}

/// Significant terms the results page lists.
const PAGE_TERMS: usize = 12;

/// The links that download every match.
struct Downloads {
    /// The number of matches, with thousands separated: "12,345".
    total: String,
    csv_href: String,
    ndjson_href: String,
}

/// `/search?q=…&source=…&from=…&sort=…`: results, facets and the chart.
pub async fn page(
    State(archive): State<Archive>,
    Params(form): Params<SearchForm>,
) -> Result<Html<String>, PageError> {
    let mut form = form.tidy();
    let query = form.query().to_owned();
    let after = match form.after.as_deref().map(str::parse::<Cursor>) {
        None => None,
        Some(Ok(cursor)) => Some(cursor),
        Some(Err(_)) => {
            return Err(PageError::bad_request(
                "This link's place in the results (`after=`) is not one this site gives out. \
                 Search again to start from the first page.",
            ));
        }
    };
    let (filters, mut notes) = form.filters();
    // A cursor goes on in the order it was given for; the page shows that order.
    if let Some(cursor) = after
        && form.sort.unwrap_or_default() != cursor.sort
    {
        notes.push(format!(
            "The sort in the link was ignored: these results go on sorted by {}, like the page before.",
            cursor.sort.name()
        ));
        form.sort = Some(cursor.sort).filter(|s| *s != Sort::Relevance);
    }
    let mut view = SearchPage {
        layout: Layout::with_query(&query),
        query: query.clone(),
        message: None,
        notes,
        total: 0,
        results: Vec::new(),
        first: 0,
        previous: None,
        next: None,
        start_over: None,
        chips: chips(&form),
        sorts: sorts(&form),
        facets: Vec::new(),
        chart: None,
        feed_href: format!(
            "/search.atom?{}",
            form.with(|f| {
                f.sort = None;
                f.more = None;
            })
        ),
        kept: kept(&form),
        suggestion: None,
        downloads: None,
        terms: Vec::new(),
        terms_sample: 0,
        terms_href: None,
        compare_href: format!("/compare?{}", super::compare::first_search(&form)),
        versions_toggle: match form.versions {
            Some(Versions::All) => Choice {
                label: "Show one result per story".to_owned(),
                href: format!("/search?{}", form.with(|f| f.versions = None)),
                current: true,
                count: None,
            },
            None => Choice {
                label: "Show every version of each story".to_owned(),
                href: format!(
                    "/search?{}",
                    form.with(|f| f.versions = Some(Versions::All))
                ),
                current: false,
                count: None,
            },
        },
    };
    if query.trim().is_empty() {
        return render(&view);
    }
    let request = Request {
        limit: RESULTS_PER_PAGE,
        after,
        sort: form.sort.unwrap_or_default(),
        filters,
        facets: vec![
            Facet::Source,
            Facet::Section,
            Facet::Tag,
            Facet::Author,
            Facet::Language,
            Facet::Year,
        ],
        facet_values: FACET_VALUES,
        longer_facet: form.more.map(|facet| (facet, MORE_FACET_VALUES)),
        histogram: Some(Interval::Auto),
        all_versions: form.versions == Some(Versions::All),
        previous: true,
    };
    match archive.search(&query, &request).await {
        Ok(found) => {
            let link = |after: Option<Cursor>| {
                format!(
                    "/search?{}",
                    form.with(|f| f.after = after.map(|c| c.to_string()))
                )
            };
            view.total = found.total;
            if found.total > 0 {
                let state = form.with(|f| f.more = None);
                // The rows a download holds: one per story unless every version is shown.
                let rows = if request.all_versions {
                    found.total
                } else if found.previous.is_none() && found.next.is_none() {
                    found.results.len() as u64
                } else {
                    count_stories(&archive, &query, &request).await?
                };
                view.downloads = Some(Downloads {
                    total: grouped(rows),
                    csv_href: format!("/search.csv?{state}"),
                    ndjson_href: format!("/search.ndjson?{state}"),
                });
            }
            view.first = found.shown_before + 1;
            view.notes.extend(
                found
                    .ignored
                    .iter()
                    .map(|note| format!("Part of the query was ignored: {note}")),
            );
            if found.relaxed {
                view.notes.push(
                    "Few articles have every word, so articles with all but one are shown too (those with every word as you typed it first).".to_owned(),
                );
            }
            view.suggestion = found.suggestion.map(|q| Choice {
                href: format!("/search?{}", form.with(|f| f.q = Some(q.clone()))),
                label: q,
                current: false,
                count: None,
            });
            view.results = found.results.iter().map(ResultView::from).collect();
            view.previous = found.previous.map(|previous| match previous {
                Previous::First => link(None),
                Previous::After(cursor) => link(Some(cursor)),
            });
            view.next = found.next.map(|cursor| link(Some(cursor)));
            if found.results.is_empty() && found.total > 0 {
                // A cursor past the last result: an old link, or one from another search.
                view.start_over = Some(link(None));
            }
            view.facets = found.facets.iter().map(|f| facet_view(&form, f)).collect();
            // Asked for, on the first page: what sets the matches apart, each a narrower search.
            if found.total > 0 && form.terms.is_none() {
                view.terms_href = Some(format!(
                    "/search?{}#terms",
                    form.with(|f| f.terms = Some(On::On))
                ));
            }
            if after.is_none() && found.total > 0 && form.terms.is_some() {
                let found = significant_terms(&archive, &query, &request, PAGE_TERMS).await?;
                view.terms_sample = found.sample;
                view.terms = found
                    .terms
                    .into_iter()
                    .map(|t| {
                        let phrase = if t.term.contains(' ') {
                            format!("\"{}\"", t.term)
                        } else {
                            t.term.clone()
                        };
                        Choice {
                            href: format!(
                                "/search?{}",
                                form.with(|f| f.q = Some(format!("{query} {phrase}")))
                            ),
                            label: t.term,
                            current: false,
                            count: Some(t.matches),
                        }
                    })
                    .collect();
            }
            view.chart = found
                .histogram
                .as_ref()
                .filter(|h| !h.buckets.is_empty())
                .map(|h| chart(&form, h));
            render(&view)
        }
        Err(archive::Error::Query(QueryError::Empty)) => {
            view.message = Some(QueryError::Empty.to_string());
            render(&view)
        }
        Err(e) => {
            let mut error = PageError::from(e);
            error.query = query;
            Err(error)
        }
    }
}

fn chips(form: &SearchForm) -> Vec<Choice> {
    let chip = |label: String, change: fn(&mut SearchForm)| Choice {
        label,
        href: format!("/search?{}", form.with(change)),
        current: false,
        count: None,
    };
    let mut out = Vec::new();
    if let Some(v) = &form.source {
        out.push(chip(format!("Source: {v}"), |f| f.source = None));
    }
    if let Some(v) = &form.section {
        out.push(chip(format!("Section: {v}"), |f| f.section = None));
    }
    if let Some(v) = &form.tag {
        out.push(chip(format!("Tag: {v}"), |f| f.tag = None));
    }
    if let Some(v) = &form.author {
        out.push(chip(format!("Author: {v}"), |f| f.author = None));
    }
    if let Some(v) = &form.language {
        out.push(chip(format!("Language: {v}"), |f| f.language = None));
    }
    match (&form.from, &form.to) {
        (None, None) => {}
        (from, to) => out.push(chip(
            format!(
                "Published {} to {}",
                from.as_deref().unwrap_or("the start"),
                to.as_deref().unwrap_or("now")
            ),
            |f| {
                f.from = None;
                f.to = None;
            },
        )),
    }
    out
}

fn sorts(form: &SearchForm) -> Vec<Choice> {
    [
        ("Best match", Sort::Relevance),
        ("Newest", Sort::Newest),
        ("Oldest", Sort::Oldest),
    ]
    .into_iter()
    .map(|(label, sort)| Choice {
        label: label.to_owned(),
        href: format!(
            "/search?{}",
            form.with(|f| f.sort = (sort != Sort::Relevance).then_some(sort))
        ),
        current: form.sort.unwrap_or_default() == sort,
        count: None,
    })
    .collect()
}

/// The filters besides the query, for the form on the page.
fn kept(form: &SearchForm) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, value) in [
        ("from", &form.from),
        ("to", &form.to),
        ("source", &form.source),
        ("section", &form.section),
        ("tag", &form.tag),
        ("author", &form.author),
        ("language", &form.language),
    ] {
        if let Some(value) = value {
            out.push((name, value.clone()));
        }
    }
    if let Some(sort) = form.sort {
        out.push(("sort", format!("{sort:?}").to_lowercase()));
    }
    if form.versions == Some(Versions::All) {
        out.push(("versions", "all".to_owned()));
    }
    out
}

/// A facet's values as links that narrow the search (as many as the search
/// listed: more for the facet the reader expanded), with the link between.
fn facet_view(form: &SearchForm, counts: &FacetCounts) -> FacetView {
    let (title, lower) = match counts.facet {
        Facet::Source => ("Sources", "sources"),
        Facet::Section => ("Sections", "sections"),
        Facet::Tag => ("Tags", "tags"),
        Facet::Author => ("Authors", "authors"),
        Facet::Language => ("Languages", "languages"),
        Facet::Year => ("Years", "years"),
    };
    // Year lists every year already.
    let expanded = form.more == Some(counts.facet) && counts.facet != Facet::Year;
    let toggle = |label: String, more: Option<Facet>| Choice {
        label,
        href: format!(
            "/search?{}#facet-{}",
            form.with(|f| f.more = more),
            counts.facet.name()
        ),
        current: false,
        count: None,
    };
    let toggle = if expanded {
        Some(toggle(format!("Fewer {lower}"), None))
    } else if counts.more {
        Some(toggle(format!("More {lower}"), Some(counts.facet)))
    } else {
        None
    };
    let values = counts
        .values
        .iter()
        .map(|(value, count)| {
            let v = Some(value.clone());
            let (current, href) = match counts.facet {
                Facet::Source => (form.source == v, form.with(|f| f.source = v.clone())),
                Facet::Section => (form.section == v, form.with(|f| f.section = v.clone())),
                Facet::Tag => (form.tag == v, form.with(|f| f.tag = v.clone())),
                Facet::Author => (form.author == v, form.with(|f| f.author = v.clone())),
                Facet::Language => (form.language == v, form.with(|f| f.language = v.clone())),
                Facet::Year => {
                    let (from, to) = (format!("{value}-01-01"), format!("{value}-12-31"));
                    let current = form.from.as_deref() == Some(from.as_str())
                        && form.to.as_deref() == Some(to.as_str());
                    (
                        current,
                        form.with(|f| {
                            f.from = Some(from);
                            f.to = Some(to);
                        }),
                    )
                }
            };
            Choice {
                label: value.clone(),
                href: format!("/search?{href}"),
                current,
                count: Some(*count),
            }
        })
        .collect();
    FacetView {
        title,
        name: counts.facet.name(),
        values,
        toggle,
        note: (expanded && counts.more)
            .then(|| format!("The {} most common {lower}.", counts.values.len())),
    }
}

#[derive(Template)]
#[template(path = "search_help.html")]
struct HelpPage {
    layout: Layout,
}

/// `/search/help`: the query language, with examples.
pub async fn help() -> Result<Html<String>, PageError> {
    render(&HelpPage {
        layout: Layout::with_query(""),
    })
}

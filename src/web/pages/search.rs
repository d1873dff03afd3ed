//! The search page: ranked results with highlighted snippets.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use serde::Deserialize;

use super::{ArticleCard, Layout, MAX_PAGE, Params, check_page, render};
use crate::archive::{self, Archive, SearchResult};
use crate::search::QueryError;
use crate::web::PageError;

/// Results per search page.
const RESULTS_PER_PAGE: u32 = 10;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    page: Option<u32>,
}

/// A search result as the results page shows it.
struct ResultView {
    path: String,
    headline_html: String,
    snippet_html: Option<String>,
    card: ArticleCard,
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
        }
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    message: Option<String>,
    ignored: Vec<String>,
    total: u64,
    results: Vec<ResultView>,
    first: u64,
    previous: Option<String>,
    next: Option<String>,
}

/// `/search?q=`: ranked results with highlighted snippets.
pub async fn page(
    State(archive): State<Archive>,
    Params(params): Params<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let query = params.q.unwrap_or_default();
    let page = check_page(params.page)?;
    let mut view = SearchPage {
        layout: Layout::with_query(&query),
        query: query.clone(),
        message: None,
        ignored: Vec::new(),
        total: 0,
        results: Vec::new(),
        first: 0,
        previous: None,
        next: None,
    };
    if query.trim().is_empty() {
        return render(&view);
    }
    let offset = (page - 1) * RESULTS_PER_PAGE;
    let request = crate::search::Request {
        limit: RESULTS_PER_PAGE as usize,
        offset: offset as usize,
        ..Default::default()
    };
    match archive.search(&query, &request).await {
        Ok(found) => {
            let link = |p: u32| {
                let q = serde_urlencoded::to_string([("q", query.as_str())]).unwrap_or_default();
                if p == 1 {
                    format!("/search?{q}")
                } else {
                    format!("/search?{q}&page={p}")
                }
            };
            view.total = found.total;
            view.first = u64::from(offset) + 1;
            view.ignored = found.ignored;
            view.results = found.results.iter().map(ResultView::from).collect();
            view.previous = (page > 1).then(|| link(page - 1));
            view.next = (u64::from(offset + RESULTS_PER_PAGE) < found.total && page < MAX_PAGE)
                .then(|| link(page + 1));
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

//! HTML pages: each handler beside the askama view it renders.

use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::PageError;
use crate::archive::{self, Archive, SearchResult};
use crate::article::{Article, format_date};
use crate::search::QueryError;

/// Articles per page on lists.
const PER_PAGE: u32 = 20;
/// Results per search page.
const RESULTS_PER_PAGE: u32 = 10;
/// Deepest page number accepted.
const MAX_PAGE: u32 = 10_000;

/// What the shared page frame needs.
pub struct Layout {
    pub css: &'static str,
    /// The search box's value.
    pub query: String,
}

impl Layout {
    pub fn with_query(query: &str) -> Layout {
        Layout {
            css: super::STYLESHEET_PATH.as_str(),
            query: query.to_owned(),
        }
    }
}

/// Query-string parameters; a malformed one gets a readable 400 page.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Params)
            .map_err(|e| PageError::bad_request(format!("The address has a bad parameter: {e}.")))
    }
}

fn render(page: &impl Template) -> Result<Html<String>, PageError> {
    page.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "rendering a page failed");
        PageError::unavailable()
    })
}

fn check_page(page: Option<u32>) -> Result<u32, PageError> {
    match page.unwrap_or(1) {
        0 => Err(PageError::bad_request("Page numbers start at 1.")),
        p if p > MAX_PAGE => Err(PageError::bad_request(format!(
            "Page numbers go up to {MAX_PAGE}."
        ))),
        p => Ok(p),
    }
}

/// An article as a list shows it.
pub struct ArticleCard {
    pub path: String,
    pub headline: String,
    pub standfirst: String,
    pub source: Option<String>,
    pub byline: String,
    pub date_iso: Option<String>,
    pub date_text: Option<String>,
}

impl From<&Article> for ArticleCard {
    fn from(a: &Article) -> Self {
        let c = &a.content;
        let standfirst = c
            .subheading
            .clone()
            .or_else(|| c.paragraphs.first().map(|p| shorten(p, 220)))
            .unwrap_or_default();
        ArticleCard {
            path: a.path(),
            headline: c.headline.clone(),
            standfirst,
            source: c.source.as_ref().map(|s| s.name.clone()),
            byline: c.authors.join(", "),
            date_iso: c.published_at.as_ref().map(format_date),
            date_text: a.display_date(),
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':']))
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<u32>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    cards: Vec<ArticleCard>,
    total: i64,
    page: u32,
    newer: Option<String>,
    older: Option<String>,
}

/// `/`: the latest articles, newest first.
pub async fn home(
    State(archive): State<Archive>,
    Params(q): Params<PageQuery>,
) -> Result<Html<String>, PageError> {
    let page = check_page(q.page)?;
    let store = archive.store();
    let total = store.article_count().await?;
    let offset = i64::from((page - 1) * PER_PAGE);
    let articles = store.latest(i64::from(PER_PAGE), offset).await?;
    if page > 1 && articles.is_empty() {
        return Err(PageError::not_found(format!(
            "There is no page {page}: the archive has {total} articles, {PER_PAGE} to a page."
        )));
    }
    let older = (offset + i64::from(PER_PAGE) < total).then(|| format!("/?page={}", page + 1));
    let newer = match page {
        1 => None,
        2 => Some("/".to_owned()),
        p => Some(format!("/?page={}", p - 1)),
    };
    render(&HomePage {
        layout: Layout::with_query(""),
        cards: articles.iter().map(ArticleCard::from).collect(),
        total,
        page,
        newer,
        older,
    })
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    layout: Layout,
    a: Article,
    byline: String,
    published_iso: Option<String>,
    published_text: Option<String>,
    updated_iso: String,
    updated_text: String,
}

async fn load_article(archive: &Archive, id: &str) -> Result<Article, PageError> {
    let missing = || PageError::not_found(format!("There is no article {id} in the archive."));
    let id: i64 = id.parse().map_err(|_| missing())?;
    archive.store().article(id).await?.ok_or_else(missing)
}

/// `/articles/{id}`: redirects to the permalink with the slug.
pub async fn article_without_slug(
    State(archive): State<Archive>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let article = load_article(&archive, &id).await?;
    Ok(Redirect::permanent(&article.path()))
}

/// `/articles/{id}/{slug}`: one article; an old or mistyped slug redirects.
pub async fn article(
    State(archive): State<Archive>,
    Path((id, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let a = load_article(&archive, &id).await?;
    if slug != a.slug {
        return Ok(Redirect::permanent(&a.path()).into_response());
    }
    let page = ArticlePage {
        layout: Layout::with_query(""),
        byline: a.content.authors.join(", "),
        published_iso: a.content.published_at.as_ref().map(format_date),
        published_text: a.display_date(),
        updated_iso: format_date(&a.updated_at),
        updated_text: a.updated_at.format("%-d %B %Y").to_string(),
        a,
    };
    Ok(render(&page)?.into_response())
}

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
struct SearchPageView {
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
pub async fn search(
    State(archive): State<Archive>,
    Params(params): Params<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let query = params.q.unwrap_or_default();
    let page = check_page(params.page)?;
    let mut view = SearchPageView {
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
    match archive
        .search(&query, RESULTS_PER_PAGE as usize, offset as usize)
        .await
    {
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

/// Any address we have no page for.
pub async fn not_found() -> PageError {
    PageError::not_found("There is no page at this address. Try searching the archive instead.")
}

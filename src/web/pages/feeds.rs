//! What machines read: Atom feeds (RFC 4287) of the whole archive and of each
//! source, section, tag and author; `sitemap.xml` (an index of
//! `/sitemaps/{n}.xml` past 50,000 articles); `robots.txt`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::Params;
use super::lists::{kind_names, name_filter};
use super::name_path;
use super::search::SearchForm;
use crate::archive::Archive;
use crate::article::{Article, format_date};
use crate::search::escape_html;
use crate::store::{ArticleFilter, NameKind};
use crate::web::{BaseUrl, PageError};

/// Entries in a feed.
const FEED_ENTRIES: i64 = 50;
/// URLs in one sitemap file (the protocol's limit).
const SITEMAP_URLS: i64 = 50_000;

struct Entry {
    id: String,
    title: String,
    href: String,
    published: Option<String>,
    updated: String,
    authors: Vec<String>,
    categories: Vec<String>,
    summary: String,
    /// The body as HTML (escaped once more by the template, as `type="html"` wants).
    content_html: String,
}

impl Entry {
    fn new(base: &str, a: &Article) -> Entry {
        let c = &a.content;
        let content_html = c
            .paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>", escape_html(p)))
            .collect::<String>();
        Entry {
            id: format!("{base}/articles/{}", a.id),
            title: c.headline.clone(),
            href: format!("{base}{}", a.path()),
            published: c.published_at.as_ref().map(format_date),
            updated: format_date(&a.updated_at),
            authors: c.authors.clone(),
            categories: c.section.iter().chain(c.tags.iter()).cloned().collect(),
            summary: c
                .subheading
                .clone()
                .or_else(|| c.paragraphs.first().map(|p| super::shorten(p, 300)))
                .unwrap_or_default(),
            content_html,
        }
    }
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed {
    id: String,
    title: String,
    self_href: String,
    alternate_href: String,
    updated: String,
    entries: Vec<Entry>,
}

/// `/search.atom?q=…`: the newest articles matching a search, to follow a topic.
pub async fn search_feed(
    State(archive): State<Archive>,
    BaseUrl(base): BaseUrl,
    Params(form): Params<SearchForm>,
) -> Result<Response, PageError> {
    let form = form.tidy();
    let query = form.query().to_owned();
    if query.trim().is_empty() {
        return Err(PageError::bad_request(
            "A search feed needs a query: /search.atom?q=words",
        ));
    }
    let (filters, _) = form.filters();
    let request = crate::search::Request {
        limit: FEED_ENTRIES as usize,
        sort: crate::search::Sort::Newest,
        filters,
        ..Default::default()
    };
    let found = archive.search(&query, &request).await?;
    let state = form.with(|f| f.sort = None);
    let articles: Vec<Article> = found.results.into_iter().map(|r| r.article).collect();
    let updated = articles
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    let feed = Feed {
        id: format!("{base}/search.atom?{state}"),
        title: format!("newsarchive: search for {query}"),
        self_href: format!("{base}/search.atom?{state}"),
        alternate_href: format!("{base}/search?{state}"),
        updated: format_date(&updated),
        entries: articles.iter().map(|a| Entry::new(&base, a)).collect(),
    };
    render_xml(&feed, "application/atom+xml; charset=utf-8")
}

fn xml(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn render_xml(template: &impl Template, content_type: &'static str) -> Result<Response, PageError> {
    let body = template.render().map_err(|e| {
        tracing::error!(error = %e, "rendering a feed failed");
        PageError::internal()
    })?;
    Ok(xml(content_type, body))
}

async fn feed(
    archive: &Archive,
    base: &str,
    filter: &ArticleFilter,
    page_path: &str,
    title: String,
) -> Result<Response, PageError> {
    let articles = archive.store().list(filter, FEED_ENTRIES, 0).await?;
    let updated = articles
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    let self_path = if page_path == "/" {
        "/feed.atom".to_owned()
    } else {
        format!("{page_path}/feed.atom")
    };
    render_xml(
        &Feed {
            id: format!("{base}{self_path}"),
            title,
            self_href: format!("{base}{self_path}"),
            alternate_href: format!("{base}{page_path}"),
            updated: format_date(&updated),
            entries: articles.iter().map(|a| Entry::new(base, a)).collect(),
        },
        "application/atom+xml; charset=utf-8",
    )
}

/// `/changes.atom`: the archive's latest changes: new articles, revisions
/// (an outlet's silent edit to a followed feed's item among them, each
/// linking to what changed) and deletions.
pub async fn changes_feed(
    State(archive): State<Archive>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, PageError> {
    let changes = archive.store().recent_changes(FEED_ENTRIES).await?;
    let entries = changes
        .iter()
        .map(|c| {
            let headline = c
                .headline
                .clone()
                .unwrap_or_else(|| format!("Article {}", c.article_id));
            let article = crate::article::article_path(c.article_id, &c.slug);
            let (title, href) = if c.deleted {
                (format!("Deleted: {headline}"), format!("{article}/history"))
            } else if c.revision == 1 {
                (format!("New: {headline}"), article.clone())
            } else {
                (
                    format!("Revision {}: {headline}", c.revision),
                    format!(
                        "{article}/history?from={}&to={}",
                        c.revision - 1,
                        c.revision
                    ),
                )
            };
            let by = c
                .origin
                .as_deref()
                .map(|o| format!(" by {o}"))
                .unwrap_or_default();
            let summary = if c.deleted {
                format!("Article {} was deleted{by}.", c.article_id)
            } else {
                format!("Article {} revision {}{by}.", c.article_id, c.revision)
            };
            Entry {
                id: format!(
                    "{base}/articles/{}/changes/{}{}",
                    c.article_id,
                    c.revision,
                    if c.deleted { "/deleted" } else { "" }
                ),
                title,
                href: format!("{base}{href}"),
                published: None,
                updated: format_date(&c.changed_at),
                authors: Vec::new(),
                categories: Vec::new(),
                content_html: format!("<p>{}</p>", escape_html(&summary)),
                summary,
            }
        })
        .collect();
    let updated = changes.first().map_or_else(Utc::now, |c| c.changed_at);
    render_xml(
        &Feed {
            id: format!("{base}/changes.atom"),
            title: "newsarchive: latest changes".into(),
            self_href: format!("{base}/changes.atom"),
            alternate_href: format!("{base}/"),
            updated: format_date(&updated),
            entries,
        },
        "application/atom+xml; charset=utf-8",
    )
}

/// `/feed.atom`: the latest articles of the whole archive.
pub async fn archive_feed(
    State(archive): State<Archive>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, PageError> {
    feed(
        &archive,
        &base,
        &ArticleFilter::default(),
        "/",
        "newsarchive: latest articles".into(),
    )
    .await
}

async fn name_feed(
    archive: Archive,
    base: String,
    kind: NameKind,
    name: String,
) -> Result<Response, PageError> {
    let filter = name_filter(kind, &name);
    if archive.store().count(&filter).await? == 0 {
        let (singular, _) = kind_names(kind);
        return Err(PageError::not_found(format!(
            "The archive has no articles for the {} “{name}”.",
            singular.to_lowercase()
        )));
    }
    let title = format!("newsarchive: {name}");
    feed(&archive, &base, &filter, &name_path(kind, &name), title).await
}

macro_rules! name_feeds {
    ($($kind:ident: $handler:ident;)*) => {$(
        #[doc = concat!("The feed of one ", stringify!($kind), ".")]
        pub async fn $handler(
            State(archive): State<Archive>,
            BaseUrl(base): BaseUrl,
            Path(name): Path<String>,
        ) -> Result<Response, PageError> {
            name_feed(archive, base, NameKind::$kind, name).await
        }
    )*};
}

name_feeds! {
    Source: source_feed;
    Section: section_feed;
    Tag: tag_feed;
    Author: author_feed;
}

#[derive(Template)]
#[template(path = "sitemap.xml")]
struct Sitemap {
    urls: Vec<(String, Option<String>)>,
}

#[derive(Template)]
#[template(path = "sitemap_index.xml")]
struct SitemapIndex {
    sitemaps: Vec<String>,
}

impl SitemapIndex {
    /// One part per 50,000 of `articles`.
    fn new(base: &str, articles: i64) -> SitemapIndex {
        let parts = (articles + SITEMAP_URLS - 1) / SITEMAP_URLS;
        SitemapIndex {
            sitemaps: (1..=parts)
                .map(|n| format!("{base}/sitemaps/{n}.xml"))
                .collect(),
        }
    }
}

/// `/sitemap.xml`: every article and browsing page, or an index of parts past 50,000 articles.
pub async fn sitemap(
    State(archive): State<Archive>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, PageError> {
    let total = archive.store().article_count().await?;
    if total > SITEMAP_URLS {
        return render_xml(
            &SitemapIndex::new(&base, total),
            "application/xml; charset=utf-8",
        );
    }
    let mut urls: Vec<(String, Option<String>)> = [
        "/",
        "/archive",
        "/sources",
        "/sections",
        "/tags",
        "/authors",
    ]
    .iter()
    .map(|p| (format!("{base}{p}"), None))
    .collect();
    urls.extend(article_urls(&archive, &base, 0).await?);
    render_xml(&Sitemap { urls }, "application/xml; charset=utf-8")
}

/// `/sitemaps/{n}.xml`: the n-th 50,000 articles.
pub async fn sitemap_part(
    State(archive): State<Archive>,
    BaseUrl(base): BaseUrl,
    Path(part): Path<String>,
) -> Result<Response, PageError> {
    let missing = || PageError::not_found("There is no such sitemap part.");
    let n: i64 = part
        .strip_suffix(".xml")
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(missing)?;
    let urls = article_urls(&archive, &base, (n - 1).saturating_mul(SITEMAP_URLS)).await?;
    if urls.is_empty() {
        return Err(missing());
    }
    render_xml(&Sitemap { urls }, "application/xml; charset=utf-8")
}

async fn article_urls(
    archive: &Archive,
    base: &str,
    offset: i64,
) -> Result<Vec<(String, Option<String>)>, PageError> {
    Ok(archive
        .store()
        .permalinks(offset, SITEMAP_URLS)
        .await?
        .into_iter()
        .map(|(id, slug, updated)| {
            (
                format!("{base}{}", crate::article::article_path(id, &slug)),
                Some(format_date(&updated)),
            )
        })
        .collect())
}

/// `/robots.txt`: crawl everything but search results; where the sitemap is.
pub async fn robots(BaseUrl(base): BaseUrl) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /search\nDisallow: /api/\n\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_archive_gets_a_sitemap_index_of_parts() {
        let xml = SitemapIndex::new("https://news.example", 120_001)
            .render()
            .unwrap();
        assert!(xml.starts_with("<?xml"));
        assert_eq!(xml.matches("<sitemap>").count(), 3);
        assert!(xml.contains("<loc>https://news.example/sitemaps/3.xml</loc>"));
        assert_eq!(SitemapIndex::new("", 50_000).sitemaps.len(), 1);
    }
}

//! The article page: the story with paragraph anchors, links to its authors,
//! source, section, tags and day, and related articles.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{ArticleCard, Layout, Link, render, shorten};
use crate::archive::Archive;
use crate::article::{Article, format_date};
use crate::store::NameKind;
use crate::web::{BaseUrl, PageError};

/// How many related articles the page shows.
const RELATED: usize = 5;

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage {
    layout: Layout,
    a: Article,
    /// Absolute permalink, for `rel=canonical` and OpenGraph.
    canonical_url: String,
    description: String,
    authors: Vec<Link>,
    source: Option<Link>,
    section: Option<Link>,
    tags: Vec<Link>,
    published_iso: Option<String>,
    published_text: Option<String>,
    /// The day's page in the date archive.
    day_path: Option<String>,
    updated_iso: String,
    updated_text: String,
    related: Vec<ArticleCard>,
}

async fn load_article(archive: &Archive, id: &str) -> Result<Article, PageError> {
    let missing = || PageError::not_found(format!("There is no article {id} in the archive."));
    let id: i64 = id.parse().map_err(|_| missing())?;
    archive.store().article(id).await?.ok_or_else(missing)
}

/// `/articles/{id}`: redirects to the permalink with the slug.
pub async fn without_slug(
    State(archive): State<Archive>,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    let article = load_article(&archive, &id).await?;
    Ok(Redirect::permanent(&article.path()))
}

/// `/articles/{id}/{slug}`: one article; an old or mistyped slug redirects.
pub async fn page(
    State(archive): State<Archive>,
    BaseUrl(base): BaseUrl,
    Path((id, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let a = load_article(&archive, &id).await?;
    if slug != a.slug {
        return Ok(Redirect::permanent(&a.path()).into_response());
    }
    let related = match archive.related(&a, RELATED).await {
        Ok(related) => related,
        Err(e) => {
            // The story matters more than its neighbours: show it without them.
            tracing::warn!(error = %e, id = a.id, "finding related articles failed");
            Vec::new()
        }
    };
    let c = &a.content;
    let description = c
        .subheading
        .clone()
        .or_else(|| c.paragraphs.first().map(|p| shorten(p, 200)))
        .unwrap_or_else(|| c.headline.clone());
    let page = ArticlePage {
        layout: Layout::with_query(""),
        canonical_url: format!("{base}{}", a.path()),
        description,
        authors: c
            .authors
            .iter()
            .map(|n| Link::to(NameKind::Author, n))
            .collect(),
        source: c
            .source
            .as_ref()
            .map(|s| Link::to(NameKind::Source, &s.name)),
        section: c.section.as_ref().map(|s| Link::to(NameKind::Section, s)),
        tags: c.tags.iter().map(|t| Link::to(NameKind::Tag, t)).collect(),
        published_iso: c.published_at.as_ref().map(format_date),
        published_text: a.display_date(),
        day_path: c
            .published_at
            .map(|d| format!("/archive/{}", d.format("%Y/%m/%d"))),
        updated_iso: format_date(&a.updated_at),
        updated_text: a.updated_at.format("%-d %B %Y").to_string(),
        related: related.iter().map(ArticleCard::from).collect(),
        a,
    };
    Ok(render(&page)?.into_response())
}

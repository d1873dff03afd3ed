//! The article page: the story with paragraph anchors, links to its authors,
//! source, section, tags and day, the other outlets that published the same
//! story, and related articles.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use serde::Deserialize;

use super::{ArticleCard, Layout, Link, Params, render, shorten};
use crate::archive::Archive;
use crate::article::{Article, format_date};
use crate::store::NameKind;
use crate::web::{BaseUrl, PageError};

/// How many related articles the page shows.
const RELATED: usize = 5;
/// Most versions of a story the page lists.
const VERSIONS: i64 = 100;

/// `?text=captured`: the body as captured, boilerplate included.
#[derive(Deserialize, Default)]
pub struct ArticleQuery {
    text: Option<TextChoice>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum TextChoice {
    Captured,
    Archived,
}

/// Another article telling the same story.
struct VersionView {
    href: String,
    headline: String,
    source: Option<String>,
    date: Option<String>,
}

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
    /// The publisher's own last change, when the page or feed said.
    modified_iso: Option<String>,
    modified_text: Option<String>,
    /// The other articles of its story, and the heading over them.
    versions: Vec<VersionView>,
    versions_heading: String,
    related: Vec<ArticleCard>,
    /// The paragraphs shown: as archived, or as captured when asked.
    paragraphs: Vec<String>,
    /// Paragraphs left out as the source's boilerplate (0: none).
    left_out: usize,
    /// Showing the text as captured.
    showing_captured: bool,
}

/// The article a path names; a deleted one's tombstone answers 410.
pub(super) async fn load_article(archive: &Archive, id: &str) -> Result<Article, PageError> {
    let missing = || PageError::not_found(format!("There is no article {id} in the archive."));
    let id: i64 = id.parse().map_err(|_| missing())?;
    if let Some(article) = archive.store().article(id).await? {
        return Ok(article);
    }
    match archive.store().tombstone(id).await? {
        Some(tombstone) => Err(PageError::gone(&tombstone)),
        None => Err(missing()),
    }
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
    Params(query): Params<ArticleQuery>,
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
    let others: Vec<Article> = archive
        .store()
        .story_versions(a.story_id, VERSIONS)
        .await?
        .into_iter()
        .filter(|v| v.id != a.id)
        .collect();
    let own_source = a.content.source.as_ref().map(|s| s.name.as_str());
    let mut outlets: Vec<&str> = others
        .iter()
        .filter_map(|v| v.content.source.as_ref().map(|s| s.name.as_str()))
        .filter(|name| Some(*name) != own_source)
        .collect();
    outlets.sort_unstable();
    outlets.dedup();
    let versions_heading = match outlets.len() {
        0 => "Other versions of this story".to_owned(),
        1 => "Also published by 1 other outlet".to_owned(),
        n => format!("Also published by {n} other outlets"),
    };
    let versions = others
        .iter()
        .map(|v| VersionView {
            href: v.path(),
            headline: v.content.headline.clone(),
            source: v.content.source.as_ref().map(|s| s.name.clone()),
            date: v.display_date(),
        })
        .collect();
    let showing_captured = query.text == Some(TextChoice::Captured) && a.captured.is_some();
    let left_out = a
        .captured
        .as_ref()
        .map_or(0, |c| c.len().saturating_sub(a.content.paragraphs.len()));
    let paragraphs = match (&a.captured, showing_captured) {
        (Some(captured), true) => captured.clone(),
        _ => a.content.paragraphs.clone(),
    };
    let c = &a.content;
    let description = c
        .subheading
        .clone()
        .or_else(|| c.paragraphs.first().map(|p| shorten(p, 200)))
        .unwrap_or_else(|| c.headline.clone());
    let page = ArticlePage {
        layout: Layout {
            lang: c.language.clone().unwrap_or_else(|| "en".to_owned()),
            ..Layout::with_query("")
        },
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
        modified_iso: c.modified_at.as_ref().map(format_date),
        modified_text: c
            .modified_at
            .map(|d| d.format("%-d %B %Y, %H:%M UTC").to_string()),
        versions,
        versions_heading,
        paragraphs,
        left_out,
        showing_captured,
        related: related.iter().map(ArticleCard::from).collect(),
        a,
    };
    Ok(render(&page)?.into_response())
}

//! RSS 2.0, Atom and JSON Feed documents, read with `feed-rs`: one article
//! per item, its full text when the item carries it (`content:encoded`,
//! Atom `content`, JSON Feed `content_html`), else its summary, marked
//! `summary_only`. Each item succeeds or fails on its own.

use feed_rs::model::{Entry, Feed, Text};

use super::ParseError;
use super::html::fragment_paragraphs;
use crate::article::{ArticleInput, NewArticle, Source, SourceInput, format_date};

/// A parsed feed: its title and, per item in document order, the article or
/// why the item could not be one.
#[derive(Debug)]
pub struct FeedItems {
    pub title: Option<String>,
    pub items: Vec<Result<NewArticle, ParseError>>,
}

/// Whether a JSON document is a JSON Feed rather than articles.
pub fn is_json_feed(content: &str) -> bool {
    let head: String = content
        .chars()
        .take(512)
        .filter(|c| !c.is_whitespace())
        .collect();
    head.starts_with('{') && head.contains("\"version\":\"https://jsonfeed.org/version/")
}

/// Parses a feed document; `feed_url` resolves relative links.
pub fn parse_feed(content: &[u8], feed_url: Option<&str>) -> Result<FeedItems, ParseError> {
    let feed = feed_rs::parser::Builder::new()
        .base_uri(feed_url)
        .build()
        .parse(content)
        .map_err(|e| ParseError::whole(format!("not an RSS, Atom or JSON feed: {e}")))?;
    let title = feed.title.as_ref().map(plain).filter(|t| !t.is_empty());
    let items = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            item_article(&feed, entry, title.as_deref()).map_err(|message| {
                let label = entry.title.as_ref().map(plain).unwrap_or_default();
                ParseError::whole(if label.is_empty() {
                    format!("item {}: {message}", i + 1)
                } else {
                    format!("item {} (“{label}”): {message}", i + 1)
                })
            })
        })
        .collect();
    Ok(FeedItems { title, items })
}

fn item_article(feed: &Feed, entry: &Entry, source: Option<&str>) -> Result<NewArticle, String> {
    let summary = match &entry.summary {
        Some(text) => paragraphs(text).map_err(|e| format!("its summary: {e}"))?,
        None => Vec::new(),
    };
    let full = match entry
        .content
        .as_ref()
        .and_then(|c| Some((c, c.body.as_deref()?)))
    {
        Some((c, body)) if c.content_type.subty() == "plain" => {
            crate::article::split_paragraphs(body)
        }
        Some((_, body)) => fragment_paragraphs(body).map_err(|e| format!("its content: {e}"))?,
        None => Vec::new(),
    };
    let summary_only = full.is_empty();
    let (body, subheading) = if summary_only {
        (summary, None)
    } else {
        let standfirst = (!summary.is_empty()).then(|| summary.join(" "));
        (full, standfirst.filter(|s| s.chars().count() <= 500))
    };
    if body.is_empty() {
        return Err("the item has neither content nor a summary".to_owned());
    }
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .map(|l| l.href.clone())
        .filter(|u| crate::story::url_key(u).is_some());
    let site = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| url::Url::parse(&l.href).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization());
    let published = entry.published.or(entry.updated);
    let modified = entry.updated.filter(|u| Some(*u) != published);
    ArticleInput {
        headline: entry.title.as_ref().map(plain),
        subheading,
        authors: entry
            .authors
            .iter()
            .filter_map(|p| p.name.clone())
            .collect(),
        source: source.map(|name| {
            SourceInput::Full(Source {
                name: name.to_owned(),
                site,
            })
        }),
        url: link,
        published_at: published.as_ref().map(format_date),
        modified_at: modified.as_ref().map(format_date),
        section: None,
        tags: entry
            .categories
            .iter()
            .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
            .collect(),
        language: entry
            .language
            .clone()
            .or_else(|| feed.language.clone())
            .map(|l| l.replace('_', "-")),
        paragraphs: Some(body),
        body: None,
        summary_only,
    }
    .validate()
    .map_err(|e| e.to_string())
}

/// A feed text (plain or HTML) as one line; empty when its HTML is refused.
fn plain(text: &Text) -> String {
    paragraphs(text).unwrap_or_default().join(" ")
}

fn paragraphs(text: &Text) -> Result<Vec<String>, ParseError> {
    if text.content_type.subty() == "html" || text.content.contains('<') {
        fragment_paragraphs(&text.content)
    } else {
        Ok(crate::article::split_paragraphs(&text.content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_text_items_keep_their_paragraphs() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><link>https://t.example/</link>
<item><title>Story</title><link>https://t.example/a</link><description>Short.</description><content:encoded><![CDATA[<p>One two.</p><p>Three four.</p>]]></content:encoded></item></channel></rss>"#;
        let feed = parse_feed(rss, None).unwrap();
        let article = feed.items[0].as_ref().unwrap();
        assert_eq!(article.paragraphs, ["One two.", "Three four."]);
        assert_eq!(article.subheading.as_deref(), Some("Short."));
        assert!(!article.summary_only);
    }
}

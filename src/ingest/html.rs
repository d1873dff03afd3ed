//! Saved web pages: the story extracted the way a reader view does. Metadata
//! comes from the page's own markup first (JSON-LD `NewsArticle`, OpenGraph
//! and `<meta>` tags, `<time>`, `rel=canonical`, `<html lang>`), then from
//! the visible page; the body is what the reader view (`reader`) finds,
//! less the lines no story holds (`clutter`). A page that lists stories
//! rather than telling one is refused (`listing`).

use chrono::{DateTime, Utc};
use dom_query::{Document, Selection};
use serde_json::Value;
use url::Url;

use super::clutter;
use super::listing::{LISTING_TYPES, Signals, listing_reason};
use super::reader::{blocks_in, clean, main_content};
use super::text::strip_boilerplate;
use super::{ParseError, markup};
use crate::article::{ArticleInput, NewArticle, Source, SourceInput, format_date, parse_date};

/// The largest page we parse, in bytes.
pub const MAX_PAGE_BYTES: usize = 10 * 1024 * 1024;

/// JSON-LD types that describe a story.
const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
];

/// Parses a saved page. `page_url`, when known (a feed item's link, say),
/// resolves relative links and stands in for a missing canonical URL.
pub fn parse_html(content: &str, page_url: Option<&str>) -> Result<NewArticle, ParseError> {
    if content.len() > MAX_PAGE_BYTES {
        return Err(ParseError::whole(format!(
            "the page is {:.1} MB, more than the {} MB a page may have",
            content.len() as f64 / 1e6,
            MAX_PAGE_BYTES / 1024 / 1024
        )));
    }
    if super::is_binary(content.as_bytes()) {
        return Err(ParseError::whole(
            "not an HTML page: the file holds binary data (NUL bytes)",
        ));
    }
    // A stray NUL or two (a damaged page) is dropped.
    let content = content.replace('\0', "");
    let content = content.as_str();
    if !content.contains('<') {
        return Err(ParseError::whole("not an HTML page: it has no tags at all"));
    }
    markup::check(content)?;
    let doc = Document::from(content);
    let ld = json_ld_article(&doc);
    let ld = ld.as_ref();
    let base = page_url.and_then(|u| Url::parse(u).ok());

    let url = first([
        link_href(&doc, "link[rel=canonical]", base.as_ref()),
        ld.and_then(ld_url)
            .and_then(|u| absolute(&u, base.as_ref())),
        meta(&doc, "og:url").and_then(|u| absolute(&u, base.as_ref())),
        base.as_ref().map(Url::to_string),
    ])
    .filter(|u| crate::story::url_key(u).is_some());

    let headline = first([
        ld.and_then(|a| ld_text(a, "headline")),
        meta(&doc, "og:title"),
        meta(&doc, "twitter:title"),
        text_of(&doc.select("article h1, main h1")),
        text_of(&doc.select("h1")),
        text_of(&doc.select("title")),
    ])
    .ok_or_else(|| ParseError::whole("no article found in the page: it has no headline"))?;

    // A standfirst the page declares, which its body may repeat.
    let standfirst = ld.and_then(|a| ld_text(a, "alternativeHeadline"));
    let subheading = first([
        standfirst.clone(),
        ld.and_then(|a| ld_text(a, "description")),
        meta(&doc, "og:description"),
        meta(&doc, "description"),
        meta(&doc, "twitter:description"),
    ]);

    let mut authors = ld.map(ld_authors).unwrap_or_default();
    if authors.is_empty() {
        authors = metas(&doc, "author")
            .into_iter()
            .chain(metas(&doc, "article:author"))
            .filter(|a| Url::parse(a).is_err())
            .collect();
    }
    if authors.is_empty() {
        authors = visible_byline(&doc);
    }

    let published = first([
        ld.and_then(|a| ld_text(a, "datePublished")),
        meta(&doc, "article:published_time"),
        meta(&doc, "datePublished"),
        meta(&doc, "pubdate"),
        meta(&doc, "parsely-pub-date"),
        meta(&doc, "dc.date"),
        doc.select("[itemprop=datePublished]")
            .attr("datetime")
            .or_else(|| doc.select("[itemprop=datePublished]").attr("content"))
            .map(|s| s.to_string()),
        doc.select("article time[datetime], time[pubdate], time.published, time.entry-date")
            .attr("datetime")
            .map(|s| s.to_string()),
    ])
    .and_then(|d| page_date(&d));
    let modified = first([
        ld.and_then(|a| ld_text(a, "dateModified")),
        meta(&doc, "article:modified_time"),
        meta(&doc, "og:updated_time"),
        meta(&doc, "dateModified"),
        doc.select("time.updated, [itemprop=dateModified]")
            .attr("datetime")
            .map(|s| s.to_string()),
    ])
    .and_then(|d| page_date(&d));

    let publisher = ld.and_then(|a| a.get("publisher"));
    let source_name = first([
        publisher.and_then(|p| ld_text(p, "name")),
        meta(&doc, "og:site_name"),
        meta(&doc, "application-name"),
        url.as_deref()
            .and_then(|u| Url::parse(u).ok())
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_owned())
            }),
    ]);
    let site = first([
        publisher
            .and_then(|p| ld_text(p, "url"))
            .and_then(|u| absolute(&u, base.as_ref()))
            .map(|u| u.trim_end_matches('/').to_owned()),
        url.as_deref()
            .and_then(|u| Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization()),
    ])
    .filter(|u| crate::story::url_key(u).is_some());

    let section = first([
        ld.and_then(|a| ld_list(a, "articleSection").into_iter().next()),
        meta(&doc, "article:section"),
    ]);
    let mut tags = ld.map(|a| ld_list(a, "keywords")).unwrap_or_default();
    if tags.is_empty() {
        tags = metas(&doc, "article:tag");
    }
    if tags.is_empty() {
        tags = first([meta(&doc, "news_keywords"), meta(&doc, "keywords")])
            .map(|k| comma_list(&k))
            .unwrap_or_default();
    }
    tags.truncate(50);

    let language = first([
        ld.and_then(|a| ld_text(a, "inLanguage")),
        doc.select("html").attr("lang").map(|s| s.to_string()),
        meta(&doc, "og:locale"),
        meta(&doc, "language"),
    ])
    .map(|l| l.trim().replace('_', "-").to_ascii_lowercase())
    .filter(|l| {
        (1..=35).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });

    let declares_article =
        ld.is_some() || meta(&doc, "og:type").is_some_and(|t| t.eq_ignore_ascii_case("article"));
    let declared_listing = declared_listing(&doc);
    let (mut paragraphs, link_share, cards) =
        main_content(doc, &headline, page_url.filter(|u| Url::parse(u).is_ok()));
    let kind = Signals {
        declares_article,
        declared_listing,
        cards,
        link_share,
    };
    if let Some(why) = listing_reason(&kind) {
        return Err(ParseError::whole(format!(
            "no article found in the page: {why}"
        )));
    }
    if paragraphs.is_empty()
        && let Some(body) = ld.and_then(|a| ld_text(a, "articleBody"))
    {
        paragraphs = body.split('\n').map(str::to_owned).collect();
    }
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (h, standfirst) = (fold(&headline), standfirst.as_deref().map(fold));
    paragraphs.retain(|p| {
        let p = fold(p);
        p != h
            && Some(&p) != standfirst.as_ref()
            && !authors.iter().any(|a| p == format!("By {a}") || p == *a)
            && !clutter::is_clutter(&p)
    });
    clutter::drop_repeated(&mut paragraphs);
    // Notes about the author come after the story, never in its first half.
    let half = paragraphs.len() / 2;
    let mut index = 0;
    paragraphs.retain(|p| {
        index += 1;
        index <= half || !clutter::is_author_bio(p, &authors)
    });
    // A description that repeats a paragraph is the lead copied, not a
    // standfirst: the paragraph stays in the story, the copy goes.
    let subheading = subheading.filter(|sub| {
        let sub = fold(sub);
        !paragraphs.iter().any(|p| fold(p) == sub)
    });
    let paragraphs = strip_boilerplate(paragraphs);
    if paragraphs.is_empty() {
        return Err(ParseError::whole(
            "no article found in the page: there is no body text beside the headline",
        ));
    }

    ArticleInput {
        headline: Some(headline),
        subheading,
        authors,
        source: source_name.map(|name| match site {
            Some(site) => SourceInput::Full(Source {
                name,
                site: Some(site),
            }),
            None => SourceInput::Name(name),
        }),
        url,
        published_at: published,
        modified_at: modified,
        section,
        tags,
        language,
        paragraphs: Some(paragraphs),
        body: None,
        summary_only: false,
    }
    .validate()
    .map_err(|e| ParseError::whole(e.to_string()))
}

/// A listing type the page's JSON-LD gives itself, if any.
fn declared_listing(doc: &Document) -> Option<String> {
    doc.select("script[type='application/ld+json']")
        .nodes()
        .iter()
        .filter_map(|s| serde_json::from_str::<Value>(&s.text()).ok())
        .find_map(|value| ld_type_among(&value, LISTING_TYPES))
}

/// The first of `types` that a JSON-LD value (or its `@graph`) gives as a `@type`.
fn ld_type_among(value: &Value, types: &[&str]) -> Option<String> {
    match value {
        Value::Array(items) => items.iter().find_map(|v| ld_type_among(v, types)),
        Value::Object(object) => {
            if let Some(graph) = object.get("@graph") {
                return ld_type_among(graph, types);
            }
            let named = |t: &Value| t.as_str().filter(|t| types.contains(t)).map(str::to_owned);
            match object.get("@type")? {
                Value::Array(ts) => ts.iter().find_map(named),
                t => named(t),
            }
        }
        _ => None,
    }
}

fn first<const N: usize>(candidates: [Option<String>; N]) -> Option<String> {
    candidates
        .into_iter()
        .flatten()
        .map(|s| clean(&s))
        .find(|s| !s.is_empty())
}

fn text_of(selection: &Selection) -> Option<String> {
    selection
        .nodes()
        .first()
        .map(|n| clean(&n.text()))
        .filter(|t| !t.is_empty())
}

/// Every `content` of `<meta property=key>` or `<meta name=key>`, in order.
fn metas(doc: &Document, key: &str) -> Vec<String> {
    doc.select("meta[content]")
        .nodes()
        .iter()
        .filter(|m| {
            ["property", "name", "itemprop"]
                .iter()
                .any(|attr| m.attr(attr).is_some_and(|v| v.eq_ignore_ascii_case(key)))
        })
        .filter_map(|m| m.attr("content").map(|c| clean(&c)))
        .filter(|c| !c.is_empty())
        .collect()
}

fn meta(doc: &Document, key: &str) -> Option<String> {
    metas(doc, key).into_iter().next()
}

fn link_href(doc: &Document, selector: &str, base: Option<&Url>) -> Option<String> {
    doc.select(selector)
        .attr("href")
        .and_then(|h| absolute(&h, base))
}

/// `href` resolved against `base`; only http(s) results are kept.
fn absolute(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    let url = match base {
        Some(base) => base.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A date as pages write them, as the archive's RFC 3339 form.
fn page_date(text: &str) -> Option<String> {
    let text = text.trim();
    let parsed: Option<DateTime<Utc>> = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .or_else(|_| DateTime::parse_from_rfc2822(text))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_date(text));
    parsed.map(|d| format_date(&d))
}

fn visible_byline(doc: &Document) -> Vec<String> {
    let found = first([
        text_of(&doc.select("[itemprop=author] [itemprop=name]")),
        text_of(&doc.select("a[rel=author]")),
        text_of(&doc.select(".byline .author, .author-name, .byline")),
    ]);
    found
        .map(|b| {
            let b = b
                .strip_prefix("By ")
                .or(b.strip_prefix("by "))
                .unwrap_or(&b);
            b.split(" and ")
                .flat_map(|part| part.split(','))
                .map(clean)
                .filter(|a| !a.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(clean)
        .filter(|t| !t.is_empty())
        .collect()
}

/// The first JSON-LD object on the page that describes a story.
fn json_ld_article(doc: &Document) -> Option<Value> {
    fn find(value: Value) -> Option<Value> {
        match value {
            Value::Array(items) => items.into_iter().find_map(find),
            Value::Object(ref object) => {
                if let Some(graph) = object.get("@graph") {
                    return find(graph.clone());
                }
                let typed = match object.get("@type") {
                    Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.as_str()),
                    Some(Value::Array(ts)) => ts
                        .iter()
                        .any(|t| t.as_str().is_some_and(|t| ARTICLE_TYPES.contains(&t))),
                    _ => false,
                };
                typed.then_some(value)
            }
            _ => None,
        }
    }
    doc.select("script[type='application/ld+json']")
        .nodes()
        .iter()
        .filter_map(|s| serde_json::from_str::<Value>(&s.text()).ok())
        .find_map(find)
}

/// A JSON-LD value as text: a string, a number, or an object's `name`.
fn ld_text(object: &Value, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_owned),
        Value::Array(items) => items.iter().find_map(|i| i.as_str().map(str::to_owned)),
        _ => None,
    }
}

/// A JSON-LD value that may be a list or a comma-separated string.
fn ld_list(object: &Value, key: &str) -> Vec<String> {
    match object.get(key) {
        Some(Value::String(s)) => comma_list(s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(clean)
            .filter(|t| !t.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn ld_url(object: &Value) -> Option<String> {
    ld_text(object, "url").or_else(|| match object.get("mainEntityOfPage")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("@id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    })
}

fn ld_authors(object: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(clean(s)),
        Value::Object(o) => o.get("name").and_then(Value::as_str).map(clean),
        _ => None,
    };
    match object.get("author") {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
    .into_iter()
    .filter(|a| !a.is_empty())
    .collect()
}

/// The paragraphs of an HTML fragment (a feed item's content): its blocks,
/// or its whole text as one paragraph when it has none. Refused, as a page
/// is, when it nests too deep or has too many elements.
pub(super) fn fragment_paragraphs(fragment: &str) -> Result<Vec<String>, ParseError> {
    markup::check(fragment)?;
    let doc = Document::fragment(fragment);
    let found = blocks_in(&doc.select("html"));
    Ok(if found.is_empty() {
        let text = clean(&doc.text());
        if text.is_empty() {
            Vec::new()
        } else {
            vec![text]
        }
    } else {
        strip_boilerplate(found)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_keep_each_paragraph() {
        let p = fragment_paragraphs(
            "<p>One two.</p><p>Three four.</p><div class=\"share\"><a href=\"#\">Share on Twitter</a></div>",
        )
        .unwrap();
        assert_eq!(p, ["One two.", "Three four."]);
    }
}

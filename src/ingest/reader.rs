//! The reader view: the story's paragraphs found in a page by
//! `dom_smoothie` (a port of Mozilla's Readability) reading the whole page,
//! then the page's furniture (navigation, share buttons, related links,
//! captions, newsletter boxes, comments) taken out of what it found; a page
//! of several stories read in the one its headline names; and the share of
//! the text in links, which tells a list of stories from one.

use dom_query::{Document, Selection};
use dom_smoothie::{Config, Readability};
use rustc_hash::FxHashSet;

use super::html::parse_html;
use super::markup;

/// Page furniture that is never part of the story.
pub(super) const CHROME: &str = "script, style, noscript, template, iframe, form, nav, aside, footer, \
    body > header, [role=navigation], [role=complementary], [role=banner], \
    [role=contentinfo], [aria-hidden=true], #comments, #respond, .comments, .comment-respond, \
    .comments-area, .comment-list, .sharedaddy, .share, .sharing, .social-share, .share-buttons, \
    .related, .related-posts, .jp-relatedposts, .yarpp-related, .newsletter, .subscribe, \
    .cookie, .cookie-notice, #cookie-notice, .cookie-banner, .gdpr, .advert, .ad, .ads, \
    .advertisement, .adsbygoogle, .sidebar, .widget, .breadcrumb, .breadcrumbs, .tags-links, \
    .post-navigation, .nav-links, .byline, .entry-meta, .post-meta, figure, figcaption, \
    .caption, .credit, [class*=gallery], [class*=slideshow], [class*=carousel], \
    [class*=author-bio], [class*=author-info], [class*=newsletter], .standfirst, .dek, \
    [itemprop=alternativeHeadline], [itemprop=description], [class*=abstract], [class*=subtitle], \
    [class*=summary], [class*=Summary], [class*=standfirst], [class*=chapo], p.intro, \
    [class*=related], [class*=Related]";

/// Block elements that hold the story's text.
const BLOCKS: &str = "p, h2, h3, h4, blockquote, li, pre";

/// The body paragraphs the reader view finds, without the furniture it
/// kept; the share of their text inside links; and the story teasers
/// (`<article>` elements) the page shows outside its furniture. The reader
/// view reads the whole page, which its scoring is made for; the
/// furniture is taken out of what it found. A page it finds nothing in
/// is read from its main element (or body) without the furniture.
pub(super) fn main_content(
    doc: Document,
    headline: &str,
    page_url: Option<&str>,
) -> (Vec<String>, f64, usize) {
    // A page of several stories one after another (endless scrolling) is
    // read in the story its headline names.
    let doc = own_story(&doc, headline).unwrap_or(doc);
    remove_microdata_carriers(&doc);
    let config = Config {
        max_elements_to_parse: 200_000,
        keep_classes: true,
        ..Config::default()
    };
    let from_readability = Readability::with_document(doc.clone(), page_url, Some(config))
        .ok()
        .and_then(|mut r| r.parse().ok())
        .map(|article| Document::from(article.content));
    let found = from_readability.as_ref().map(blocks).unwrap_or_default();
    let mut furniture = furniture_texts(&doc, &found);
    doc.select(CHROME).remove();
    // A paragraph the story shows outside its furniture too stays.
    for block in blocks_in(&doc.select("body")) {
        furniture.remove(&block);
    }
    let cards = doc.select("body article").length();
    if let Some(content) = from_readability {
        content.select(CHROME).remove();
        let mut paragraphs = blocks(&content);
        // The reader view unwraps and renames what it keeps, so furniture
        // is known by its text.
        paragraphs.retain(|p| !furniture.contains(p));
        if !paragraphs.is_empty() {
            return (paragraphs, link_share(&content.select("body")), cards);
        }
    }
    let scope = doc.select("article, main, [role=main]");
    let scope = if scope.exists() {
        scope
    } else {
        doc.select("body")
    };
    (blocks_in(&scope), link_share(&scope), cards)
}

/// The text blocks of the page's furniture: what `CHROME` matches, but
/// not an element that holds most of the story the reader view `found`
/// (a form around the whole page, as ASP.NET pages have; an `<aside>`
/// used as the story's frame).
fn furniture_texts(doc: &Document, found: &[String]) -> FxHashSet<String> {
    let story: rustc_hash::FxHashSet<&str> = found.iter().map(String::as_str).collect();
    let story_length: usize = found.iter().map(String::len).sum();
    let mut texts = FxHashSet::default();
    for node in doc.select(CHROME).nodes() {
        let mut blocks = blocks_in(&Selection::from(*node));
        // A standfirst or caption written straight into a `<div>`, which
        // the reader view makes a paragraph of.
        if blocks.is_empty() {
            let text = clean(&node.text());
            if !text.is_empty() {
                blocks.push(text);
            }
        }
        let of_story: usize = blocks
            .iter()
            .filter(|b| story.contains(b.as_str()))
            .map(String::len)
            .sum();
        if 2 * of_story < story_length {
            texts.extend(blocks);
        }
    }
    texts
}

/// Removes the blocks that carry schema.org data for machines as text
/// (the page's URL, dates, `true`, XPath strings, a copy of the lead),
/// hidden by the page's style sheet: an `itemscope` element outside the
/// text's blocks, holding no paragraph, whose three or more child elements
/// all carry `itemprop`. (A name marked up inside a sentence stays.)
fn remove_microdata_carriers(doc: &Document) {
    for node in doc.select("[itemscope]").nodes() {
        let children = node.element_children();
        let carrier = children.len() >= 3
            && children.iter().all(|c| c.has_attr("itemprop"))
            && !Selection::from(*node).select("p").exists()
            && !node.ancestors(None).iter().any(|a| a.is(BLOCKS));
        if carrier {
            node.remove_from_parent();
        }
    }
}

/// Characters of text an `<article>` needs to be taken for the page's story.
const STORY_TEXT: usize = 1_000;

/// The `<article>` whose heading is the page's headline, as a page of its
/// own, when the page holds three articles or more, only one is headed so,
/// and it holds a story's worth of text.
fn own_story(doc: &Document, headline: &str) -> Option<Document> {
    // Stories one after another, not a story and a teaser or two.
    let articles = doc.select("article");
    if articles.length() < 3 {
        return None;
    }
    let wanted = clean(headline).to_lowercase();
    let headed: Vec<_> = articles
        .nodes()
        .iter()
        .filter(|article| {
            Selection::from(**article)
                .select("h1, h2, h3")
                .nodes()
                .iter()
                .any(|h| clean(&h.text()).to_lowercase() == wanted)
        })
        .copied()
        .collect();
    let [story] = headed.as_slice() else {
        return None;
    };
    let text: usize = blocks_in(&Selection::from(*story))
        .iter()
        .map(String::len)
        .sum();
    if text < STORY_TEXT {
        return None;
    }
    Some(Document::from(format!(
        "<html><body>{}</body></html>",
        Selection::from(*story).html()
    )))
}

/// Of the text of the blocks in `scope`, the share inside links.
fn link_share(scope: &Selection) -> f64 {
    let length = |selection: Selection| -> usize {
        selection
            .nodes()
            .iter()
            .map(|n| clean(&n.text()).chars().count())
            .sum()
    };
    let text: usize = blocks_in(scope).iter().map(|b| b.chars().count()).sum();
    let links = length(scope.select("p a, h2 a, h3 a, h4 a, li a, blockquote a, pre a"));
    if text == 0 {
        0.0
    } else {
        (links as f64 / text as f64).min(1.0)
    }
}

pub(super) fn blocks(doc: &Document) -> Vec<String> {
    blocks_in(&doc.select("body"))
}

/// The text of each block in `scope`, outermost blocks only.
pub(super) fn blocks_in(scope: &Selection) -> Vec<String> {
    scope
        .select(BLOCKS)
        .nodes()
        .iter()
        .filter(|node| {
            !node
                .ancestors(None)
                .iter()
                .any(|a| a.is("p, blockquote, li, pre"))
        })
        .map(|node| clean(&node.text()))
        .filter(|t| !t.is_empty())
        .collect()
}

pub(super) fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Which extractor `newsarchive extract-body` runs.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Extractor {
    /// The importer's: the reader view, furniture and clutter taken out.
    Ours,
    /// dom_smoothie (a Readability port) alone.
    DomSmoothie,
}

/// The body paragraphs one extractor finds in a page, for comparing them
/// (`newsarchive extract-body`, bench/extraction.py). Empty when it finds none.
pub fn extract_body(html: &str, with: Extractor) -> Vec<String> {
    if markup::check(html).is_err() {
        return Vec::new();
    }
    match with {
        Extractor::Ours => parse_html(html, None)
            .map(|a| a.paragraphs)
            .unwrap_or_default(),
        Extractor::DomSmoothie => Readability::new(html, None, None)
            .ok()
            .and_then(|mut r| r.parse().ok())
            .map(|article| blocks(&Document::from(article.content)))
            .unwrap_or_default(),
    }
}

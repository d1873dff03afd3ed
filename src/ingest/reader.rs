//! The reader view: the story's paragraphs found in a page by
//! `dom_smoothie` (a port of Mozilla's Readability) reading the whole page,
//! with a second opinion (the page's largest group of paragraphs) when it
//! read the menus or a fragment; then the page's furniture (navigation,
//! share buttons, related links, captions, newsletter boxes, comments)
//! taken out of what it found, and links to other stories standing alone; a
//! page of several stories read in the one its headline names; and the
//! share of the text in links, which tells a list of stories from one.

use dom_query::{Document, NodeId, NodeRef, Selection};
use dom_smoothie::{Config, Readability};
use rustc_hash::{FxHashMap, FxHashSet};

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
    [class*=related], [class*=Related], article header p";

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
    unmark_subheadings(&doc);
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
    let mut furniture = FxHashSet::default();
    for (node, texts) in furniture_of(&doc, &found) {
        furniture.extend(texts);
        node.remove_from_parent();
    }
    // A paragraph the story shows outside its furniture too stays.
    for block in blocks_in(&doc.select("body")) {
        furniture.remove(&block);
    }
    let cards = doc.select("body article").length();
    let cluster = paragraph_cluster(&doc);
    if let Some(content) = from_readability {
        remove_small_furniture(&content);
        let mut paragraphs = story_blocks(&content.select("body"));
        // The reader view unwraps and renames what it keeps, so furniture
        // is known by its text.
        paragraphs.retain(|p| !furniture.contains(p));
        let found = Found {
            text: paragraphs.iter().map(|p| p.chars().count()).sum(),
            link_share: link_share(&content.select("body")),
        };
        let missed = cluster
            .as_ref()
            .is_some_and(|c| reader_missed_story(&found, &text_of(c)));
        if !paragraphs.is_empty() && !missed {
            return (paragraphs, found.link_share, cards);
        }
    }
    if let Some(cluster) = cluster {
        return (story_blocks(&cluster), link_share(&cluster), cards);
    }
    let scope = doc.select("article, main, [role=main]");
    let scope = if scope.exists() {
        scope
    } else {
        doc.select("body")
    };
    (blocks_in(&scope), link_share(&scope), cards)
}

/// The page's furniture and the text blocks of each: what `CHROME`
/// matches, but not an element that holds most of the story the reader
/// view `found` (a form around the whole page, as ASP.NET pages have; an
/// `<aside>` used as the story's frame; a story container whose class
/// names a slideshow it can open).
fn furniture_of<'a>(doc: &'a Document, found: &[String]) -> Vec<(NodeRef<'a>, Vec<String>)> {
    let story_length: usize = found.iter().map(String::len).sum();
    let mut furniture = Vec::new();
    for node in doc.select(CHROME).nodes() {
        let text = clean(&node.text());
        // The story's paragraphs found in the element's text: the reader
        // view made paragraphs of the `<div>`s some pages write them in.
        let of_story: usize = if 2 * text.len() >= story_length {
            found
                .iter()
                .filter(|b| text.contains(b.as_str()))
                .map(String::len)
                .sum()
        } else {
            0
        };
        let mut blocks = blocks_in(&Selection::from(*node));
        // A standfirst or caption written straight into a `<div>`, which
        // the reader view makes a paragraph of.
        if blocks.is_empty() && !text.is_empty() {
            blocks.push(text);
        }
        if 2 * of_story < story_length {
            furniture.push((*node, blocks));
        }
    }
    furniture
}

/// Removes from what the reader view kept the elements `CHROME` matches,
/// unless one holds half its text or more: then it is the story's own
/// container, whatever its class says.
fn remove_small_furniture(content: &Document) {
    let length = |node: &NodeRef| clean(&node.text()).chars().count();
    let Some(body) = content.select("body").nodes().first().copied() else {
        return;
    };
    let total = length(&body);
    for node in content.select(CHROME).nodes() {
        if 2 * length(node) < total {
            node.remove_from_parent();
        }
    }
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

/// Takes the `id` and `class` off the subheadings outside the furniture:
/// the reader view drops a heading whose names look like page chrome to it
/// (`<h3 id="header_subheading1">` reads as a page header), and a
/// subheading takes no part in its scoring otherwise.
fn unmark_subheadings(doc: &Document) {
    for node in doc.select("h2, h3, h4").nodes() {
        let heading = Selection::from(*node);
        if !heading.is(CHROME) && !node.ancestors(None).iter().any(|a| a.is(CHROME)) {
            heading.remove_attrs(&["id", "class"]);
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

/// What the reader view found: its characters of text, and their share
/// inside links.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Found {
    text: usize,
    link_share: f64,
}

/// Characters of paragraph text an element needs to be taken for a story.
const CLUSTER_TEXT: usize = 500;

/// Whether the reader view missed the story that the page's largest group
/// of paragraphs (`cluster`) holds: it read the navigation (most of its
/// text in links) or a fragment (less than half the group's text). Pages
/// whose scoring Readability gets wrong have both: a story in plain
/// `<p>` elements under one parent, and menus or a teaser it chose instead.
fn reader_missed_story(reader: &Found, cluster: &Found) -> bool {
    if cluster.text < CLUSTER_TEXT || cluster.link_share >= 0.5 {
        return false;
    }
    reader.link_share >= 0.5 || 2 * reader.text < cluster.text
}

/// The element whose own `<p>` children hold the most text outside links
/// (the "top node" of goose and newspaper), when it holds a story's worth
/// in three paragraphs or more: the second opinion on where the story is.
fn paragraph_cluster(doc: &Document) -> Option<Selection<'_>> {
    // Per parent: the parent, its paragraphs' text outside links, their number.
    let mut by_parent: FxHashMap<NodeId, (NodeRef, usize, usize)> = FxHashMap::default();
    for p in doc.select("body p").nodes() {
        let Some(parent) = p.parent() else { continue };
        let entry = by_parent.entry(parent.id).or_insert((parent, 0, 0));
        entry.1 += unlinked_text(p);
        entry.2 += 1;
    }
    let (parent, text, count) = by_parent
        .into_values()
        .max_by_key(|(parent, text, _)| (*text, std::cmp::Reverse(parent.id)))?;
    (text >= CLUSTER_TEXT && count >= 3).then(|| Selection::from(parent))
}

/// Characters of `node`'s text outside its links.
fn unlinked_text(node: &NodeRef) -> usize {
    let (text, links) = text_and_links(node);
    text.saturating_sub(links)
}

/// Characters of `node`'s text, and of the text of its links.
fn text_and_links(node: &NodeRef) -> (usize, usize) {
    let links = Selection::from(*node)
        .select("a")
        .nodes()
        .iter()
        .map(|a| clean(&a.text()).chars().count())
        .sum();
    (clean(&node.text()).chars().count(), links)
}

/// The text of `scope`'s blocks and its share inside links.
fn text_of(scope: &Selection) -> Found {
    Found {
        text: story_blocks(scope).iter().map(|b| b.chars().count()).sum(),
        link_share: link_share(scope),
    }
}

/// Longest block that may be a link to another story rather than text.
const TEASER: usize = 200;

/// The blocks of `scope` without those that are a link to another story
/// (a block whose text is nearly all one link or several: "[How Trump
/// retooled his charity]", a teaser's headline, a tag), nor a short line
/// ending in a colon that leads into them ("More on the family:").
fn story_blocks(scope: &Selection) -> Vec<String> {
    let mut kept: Vec<(String, bool)> = Vec::new();
    for Block { text, links } in text_blocks(scope) {
        let length = text.chars().count();
        let teaser = length <= TEASER && 10 * links >= 9 * length;
        if teaser
            && let Some((last, _)) = kept.last()
            && last.ends_with(':')
            && last.chars().count() <= TEASER / 2
        {
            kept.pop();
        }
        kept.push((text, teaser));
    }
    kept.into_iter()
        .filter(|(_, teaser)| !teaser)
        .map(|(text, _)| text)
        .collect()
}

/// A paragraph of text and the characters of it inside links.
struct Block {
    text: String,
    links: usize,
}

/// Elements whose text is never story text, nor holds any.
const SKIPPED: &str = "h1, h5, h6, script, style, noscript, template, svg, button, select, \
    textarea, input";
/// Elements that sit inside a line of text.
const INLINE: &str = "a, abbr, b, bdi, cite, code, data, del, dfn, em, font, i, ins, kbd, \
    mark, q, s, samp, small, span, strong, sub, sup, time, u, var";

/// Characters of loose text an element needs for it to be taken for
/// paragraphs: a story written between `<br>`s has them, a box of labels
/// ("Game Info", "Published", an author line) or a table cell does not.
const LOOSE_TEXT: usize = 400;

/// The paragraphs of `scope` in their order: its outermost blocks (`p`,
/// `h2`–`h4`, `blockquote`, `li`, `pre`), and the text written straight into
/// an element that holds a story's worth of it, one paragraph per stretch
/// between line breaks and blocks. Pages that write paragraphs as text
/// between `<br>`s (and reader views that keep them so) lose none of it.
fn text_blocks(scope: &Selection) -> Vec<Block> {
    let mut blocks = Vec::new();
    for node in scope.nodes() {
        walk(node, &mut blocks);
    }
    blocks
}

/// Adds the paragraphs of `node`'s children to `blocks`.
fn walk(node: &NodeRef, blocks: &mut Vec<Block>) {
    // The element's own paragraphs, each marked when it is loose text.
    let mut own: Vec<(Block, bool)> = Vec::new();
    let mut line = Block {
        text: String::new(),
        links: 0,
    };
    for child in node.children() {
        if child.is_text() {
            line.text.push_str(&child.text());
        } else if !child.is_element() || child.is(SKIPPED) {
            continue;
        } else if child.is(BLOCKS) {
            end_line(&mut own, &mut line);
            let (_, links) = text_and_links(&child);
            let text = clean(&child.text());
            if !text.is_empty() {
                own.push((Block { text, links }, false));
            }
        } else if child.is("br") {
            end_line(&mut own, &mut line);
        } else if child.is(INLINE) && !Selection::from(child).select(BLOCKS).exists() {
            let text = child.text();
            line.links += if child.is("a") {
                clean(&text).chars().count()
            } else {
                text_and_links(&child).1
            };
            line.text.push_str(&text);
        } else {
            end_line(&mut own, &mut line);
            let mut inner = Vec::new();
            walk(&child, &mut inner);
            own.extend(inner.into_iter().map(|b| (b, false)));
        }
    }
    end_line(&mut own, &mut line);
    let loose: usize = own
        .iter()
        .filter(|(_, loose)| *loose)
        .map(|(b, _)| b.text.chars().count())
        .sum();
    let keep_loose = loose >= LOOSE_TEXT;
    blocks.extend(
        own.into_iter()
            .filter(|(_, is_loose)| keep_loose || !is_loose)
            .map(|(b, _)| b),
    );
}

/// Closes the line of loose text being gathered, as a paragraph when it has text.
fn end_line(own: &mut Vec<(Block, bool)>, line: &mut Block) {
    let text = clean(&line.text);
    if !text.is_empty() {
        own.push((
            Block {
                text,
                links: line.links,
            },
            true,
        ));
    }
    line.text.clear();
    line.links = 0;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: usize, link_share: f64) -> Found {
        Found { text, link_share }
    }

    #[test]
    fn the_reader_view_missed_the_story_when_it_read_menus_or_a_fragment() {
        let story = found(2_000, 0.05);
        assert!(reader_missed_story(&found(900, 0.94), &story));
        assert!(reader_missed_story(&found(400, 0.0), &story));
        assert!(!reader_missed_story(&found(1_800, 0.1), &story));
        // A group too small, or itself links, is no second opinion.
        assert!(!reader_missed_story(&found(100, 0.9), &found(400, 0.0)));
        assert!(!reader_missed_story(&found(100, 0.9), &found(2_000, 0.6)));
    }

    #[test]
    fn the_largest_group_of_paragraphs_is_found_under_its_parent() {
        let sentence = "The council voted on Tuesday to close the old bridge for repairs. ";
        let doc = Document::from(format!(
            "<html><body><div id=menu><p><a href=/a>Sport</a></p><p><a href=/b>News</a></p>\
             <p><a href=/c>Weather</a></p></div><div id=story><p>{0}{0}</p><p>{0}{0}</p>\
             <p>{0}{0}</p><p>{0}{0}</p></div><div id=teaser><p>{0}</p></div></body></html>",
            sentence
        ));
        let cluster = paragraph_cluster(&doc).expect("a cluster");
        assert_eq!(cluster.attr("id").as_deref(), Some("story"));
        let small = Document::from(format!("<html><body><p>{sentence}</p></body></html>"));
        assert!(paragraph_cluster(&small).is_none());
    }

    #[test]
    fn a_story_container_whose_class_names_furniture_is_still_the_story() {
        let paragraph = |n: usize| {
            format!(
                "<div>Paragraph {n} of the story: the council voted on Tuesday to close the old \
                 bridge for repairs, and the work will take most of the year.</div>"
            )
        };
        let body: String = (1..=6).map(paragraph).collect();
        let page = format!(
            "<html><body><nav><a href=/a>Sport</a> <a href=/b>News</a></nav><main><article>\
             <h1>Bridge to close</h1><div class=\"story__content story__content--is-slideshow-closed \
             field-type-text-with-summary\">{body}<blockquote><div>A quoted passage that the \
             story reports, long enough to count as one of its paragraphs.</div></blockquote>\
             </div></article></main></body></html>"
        );
        let (paragraphs, _, _) = main_content(Document::from(page), "Bridge to close", None);
        assert_eq!(paragraphs.len(), 7, "{paragraphs:?}");
        assert!(paragraphs[6].starts_with("A quoted passage"));
    }

    #[test]
    fn paragraphs_written_between_line_breaks_are_story_text_labels_are_not() {
        let sentence =
            "The council voted on Tuesday to close the old bridge for repairs this year.";
        let doc = Document::from(format!(
            "<html><body><section>{sentence} It <b>will</b> reopen in May.<br><br>\
             <h2>Why</h2><br>{sentence} {sentence}<br><br>{sentence} {sentence}<br>\
             <p>A paragraph in its own element.</p>{sentence}</section>\
             <div class=info>Published<br>Author: A. Writer</div>\
             <table><tr><td>Member</td><td>State</td></tr></table></body></html>"
        ));
        let texts: Vec<String> = text_blocks(&doc.select("body"))
            .into_iter()
            .map(|b| b.text)
            .collect();
        assert_eq!(texts.len(), 6, "{texts:?}");
        assert_eq!(texts[0], format!("{sentence} It will reopen in May."));
        assert_eq!(texts[1], "Why");
        assert_eq!(texts[2], format!("{sentence} {sentence}"));
        assert_eq!(texts[4], "A paragraph in its own element.");
        assert_eq!(texts[5], sentence);
        assert!(
            !texts
                .iter()
                .any(|t| t.contains("Published") || t == "Member")
        );
    }

    #[test]
    fn links_to_other_stories_and_their_lead_in_are_not_story_text() {
        let doc = Document::from(
            "<html><body><p>The council met on <a href=/t>Tuesday</a> to vote.</p>\
             <p>[<a href=/x>How the bridge was built</a>]</p>\
             <p>More on the bridge:</p><p><a href=/y>The bridge at 100</a></p>\
             <p>It voted to close it: the repairs start in May.</p></body></html>",
        );
        assert_eq!(
            story_blocks(&doc.select("body")),
            [
                "The council met on Tuesday to vote.",
                "It voted to close it: the repairs start in May."
            ]
        );
    }
}

//! The properties the fuzz targets check, shared with the regression test
//! that replays the saved corpus (`tests/it/fuzz_corpus.rs`).
#![allow(dead_code)] // each fuzz target uses only its own part

use newsarchive::article::NewArticle;
use newsarchive::ingest::{NdjsonReader, parse_feed, parse_html, parse_json_line, parse_text};
use newsarchive::search::{IndexRoot, Request, SearchIndex};

/// A plain-text article (headline, paragraphs, optional front matter):
/// parsing never panics, and what it accepts exports and re-imports unchanged.
pub fn text_article(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(article) = parse_text(text) {
        round_trips(&article);
    }
}

/// NDJSON import: every line is an article or an error naming its line,
/// never a panic, and accepted articles export and re-import unchanged.
pub fn ndjson_import(data: &[u8]) {
    let mut last_line = 0;
    for (line, parsed) in NdjsonReader::new(data) {
        assert!(line > last_line, "line numbers go forward");
        last_line = line;
        match parsed {
            Ok(article) => round_trips(&article),
            Err(e) => assert!(
                e.to_string().contains(&format!("line {line}")),
                "the error names its line: {e}"
            ),
        }
    }
}

/// Hostile HTML (deep nesting, huge attribute lists, broken encodings) as
/// a saved page and as a feed item's content: never a panic or a stack
/// overflow, and what is accepted exports and re-imports unchanged.
pub fn html_page(data: &[u8]) {
    // On the deep stack every caller of the extraction gives it.
    newsarchive::ingest::on_parse_stack(|| html_page_here(data));
}

fn html_page_here(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    if let Ok(article) = parse_html(&html, Some("https://example.org/story")) {
        round_trips(&article);
    }
    let escaped = html
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>F</title><item><title>Item</title>\
         <description>{escaped}</description></item></channel></rss>"
    );
    if let Ok(items) = parse_feed(feed.as_bytes(), None) {
        for article in items.items.into_iter().flatten() {
            round_trips(&article);
        }
    }
}

fn round_trips(article: &NewArticle) {
    assert!(
        !article.headline.trim().is_empty(),
        "an article has a headline"
    );
    let json = serde_json::to_string(article).expect("an article serialises");
    let again = parse_json_line(&json, 1)
        .unwrap_or_else(|e| panic!("the export of an accepted article is refused ({e}): {json}"));
    assert_eq!(&again, article, "export then import changed the article");
}

/// An empty search index in a temporary directory, for the query target.
pub struct QueryIndex {
    index: SearchIndex,
    _dir: tempfile::TempDir,
}

impl QueryIndex {
    pub fn new() -> QueryIndex {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = IndexRoot::new(dir.path().join("index"));
        let lock = root.lock().expect("rebuild lock");
        let generation = root.new_generation(&lock).expect("generation");
        let index = SearchIndex::create(&root, &generation).expect("index");
        QueryIndex { index, _dir: dir }
    }

    /// A reader's query: parsing, running and suggesting never panic (a
    /// refused query is an error the reader sees, not a crash).
    pub fn query(&self, data: &[u8]) {
        let Ok(raw) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(parsed) = self.index.parse(raw) {
            let request = Request {
                facets: vec![newsarchive::search::Facet::Source],
                ..Request::default()
            };
            let _ = self.index.search(&parsed, &request);
        }
        let _ = self.index.suggest(raw);
    }
}

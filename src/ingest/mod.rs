//! Turns outside formats (plain text with optional front matter, JSON,
//! NDJSON, saved HTML pages, RSS/Atom/JSON feeds, WARC crawls) into
//! validated articles.
//! Never writes anything by itself.

mod apart;
mod clutter;
mod feed;
mod html;
mod json;
mod listing;
mod markup;
mod reader;
mod text;
mod warc;

use std::path::Path;

pub use apart::{Kind, PARSE_BUDGET, on_parse_stack, read_apart, read_in_children, serve_child};
pub use feed::{FeedItems, is_json_feed, parse_feed};
pub use html::{MAX_PAGE_BYTES, parse_html};
pub use json::{NdjsonReader, parse_json, parse_json_line};
pub use reader::{Extractor, extract_body};
pub use text::parse_text;
pub use warc::{Skip, WarcItem, WarcPage, read_warc};

/// A file format the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text: headline line, blank-line separated paragraphs, optional front matter.
    Text,
    /// One JSON article or an array of them.
    Json,
    /// One JSON article per line.
    Ndjson,
    /// A saved web page.
    Html,
    /// An RSS 2.0, Atom or JSON Feed document: one article per item.
    Feed,
    /// A web-archive crawl (`.warc`, `.warc.gz`): one article per HTML page.
    Warc,
}

impl Format {
    /// The format a file's extension names, if it is one we read.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".warc") || name.ends_with(".warc.gz") {
            return Some(Format::Warc);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" | "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            "rss" | "atom" | "xml" => Some(Format::Feed),
            _ => None,
        }
    }
}

/// True when `bytes` hold more NUL bytes than a text page damaged here
/// and there might (one per 64 KiB): binary data, not a page.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().filter(|b| **b == 0).count() > bytes.len() / 65_536
}

/// Why a file or line could not be read as an article; `line` is 1-based when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

//! Turns outside formats (plain text with optional front matter, JSON,
//! NDJSON, saved HTML pages, RSS/Atom/JSON feeds) into validated articles.
//! Never writes anything by itself.

mod feed;
mod html;
mod json;
mod markup;
mod text;

use std::path::Path;
use std::time::Duration;

pub use feed::{FeedItems, is_json_feed, parse_feed};
pub use html::{MAX_PAGE_BYTES, parse_html};
pub use json::{NdjsonReader, parse_json, parse_json_line};
pub use text::parse_text;

/// How long reading one page or one feed document may take before the
/// reader gives up on it.
pub const PARSE_BUDGET: Duration = Duration::from_secs(10);

/// The stack each parse runs on. The markup check bounds nesting at 512
/// levels, so the recursion in html5ever, dom_query and dom_smoothie stays
/// far inside it; the default 2 MiB of a worker thread does not.
const PARSE_STACK: usize = 256 * 1024 * 1024;

/// A thread for one parse, with [`PARSE_STACK`].
fn parse_thread() -> std::thread::Builder {
    std::thread::Builder::new()
        .name("parse".into())
        .stack_size(PARSE_STACK)
}

/// Runs `parse` at once on a thread of its own with the deep stack
/// [`parse_apart`] gives, and returns its result (for checks and tools
/// that have no budget to keep).
pub fn on_parse_stack<T: Send>(parse: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        parse_thread()
            .spawn_scoped(scope, parse)
            .expect("a parse thread starts")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Runs `parse` on a thread of its own with a deep stack and waits at most
/// `budget` for it. The thread cannot be stopped: a parse given up on runs
/// to its end, which the markup limits bound, and its result is dropped.
pub async fn parse_apart<T: Send + 'static>(
    budget: Duration,
    parse: impl FnOnce() -> Result<T, ParseError> + Send + 'static,
) -> Result<T, ParseError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    parse_thread()
        .spawn(move || {
            let _ = tx.send(parse());
        })
        .map_err(|e| ParseError::whole(format!("could not start a thread to read it: {e}")))?;
    match tokio::time::timeout(budget, rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(ParseError::whole(
            "reading it failed unexpectedly (the reader panicked)",
        )),
        Err(_) => Err(ParseError::whole(format!(
            "reading it took longer than {} s, so it was given up",
            budget.as_secs()
        ))),
    }
}

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
}

impl Format {
    /// The format a file's extension names, if it is one we read.
    pub fn from_path(path: &Path) -> Option<Format> {
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

//! Reading a page or a feed apart from the caller, within a time budget.
//! The server reads each document in a child process of its own binary
//! (`newsarchive read-document`), so that a crash in the parsing libraries
//! (a stack overflow is no panic: it aborts the whole process) ends that
//! child, not the server, and a document past its budget is stopped by
//! killing it. Elsewhere (the command line, tests) a document is read on a
//! thread with a deep stack.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;

use super::{FeedItems, ParseError, parse_feed, parse_html, parse_json_line};

/// How long reading one page or one feed document may take.
pub const PARSE_BUDGET: Duration = Duration::from_secs(10);

/// The stack each document is read on, in KiB: `NEWSARCHIVE_PARSE_STACK_KB`
/// or 256 MiB. The markup check bounds nesting at 512 levels, so the
/// recursion in html5ever, dom_query and dom_smoothie stays far inside it;
/// the default 2 MiB of a thread does not.
static PARSE_STACK: LazyLock<usize> = LazyLock::new(|| {
    std::env::var("NEWSARCHIVE_PARSE_STACK_KB")
        .ok()
        .and_then(|kb| kb.parse::<usize>().ok())
        .map_or(256 * 1024 * 1024, |kb| kb.max(16) * 1024)
});

/// Documents read at once, in children or threads: each may take a core.
static READERS: Semaphore = Semaphore::const_new(4);

/// The binary whose `read-document` command reads documents, once the
/// server has named it.
static CHILD_READER: OnceLock<PathBuf> = OnceLock::new();

/// From now on, read documents in child processes of `binary`.
pub fn read_in_children(binary: PathBuf) {
    let _ = CHILD_READER.set(binary);
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A saved web page: one article.
    Page,
    /// An RSS, Atom or JSON feed: one article per item.
    Feed,
}

/// Reads `bytes` as `kind` in this thread: a page is one item.
fn read_here(kind: Kind, bytes: &[u8], url: Option<&str>) -> Result<FeedItems, ParseError> {
    match kind {
        Kind::Page => Ok(FeedItems {
            title: None,
            items: vec![parse_html(&String::from_utf8_lossy(bytes), url)],
        }),
        Kind::Feed => parse_feed(bytes, url),
    }
}

/// A thread with the deep stack documents are read on.
fn parse_thread() -> std::thread::Builder {
    std::thread::Builder::new()
        .name("parse".into())
        .stack_size(*PARSE_STACK)
}

/// Runs `parse` at once on a thread with the deep stack and returns its
/// result (for checks and tools that keep no budget).
pub fn on_parse_stack<T: Send>(parse: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        parse_thread()
            .spawn_scoped(scope, parse)
            .expect("a parse thread starts")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Reads `bytes` as `kind` apart from the caller (see the module), giving
/// up after `budget`.
pub async fn read_apart(
    kind: Kind,
    bytes: Vec<u8>,
    url: Option<String>,
    budget: Duration,
) -> Result<FeedItems, ParseError> {
    let _turn = READERS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    match CHILD_READER.get() {
        Some(binary) => read_in_child(binary, kind, bytes, url, budget).await,
        None => read_on_thread(kind, bytes, url, budget).await,
    }
}

fn too_long(budget: Duration) -> ParseError {
    ParseError::whole(format!(
        "reading it took longer than {} s, so it was given up",
        budget.as_secs()
    ))
}

/// On a thread, which cannot be stopped: a read given up on runs to its
/// end, which the markup limits bound, and its result is dropped.
async fn read_on_thread(
    kind: Kind,
    bytes: Vec<u8>,
    url: Option<String>,
    budget: Duration,
) -> Result<FeedItems, ParseError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    parse_thread()
        .spawn(move || {
            let _ = tx.send(read_here(kind, &bytes, url.as_deref()));
        })
        .map_err(|e| ParseError::whole(format!("could not start a thread to read it: {e}")))?;
    match tokio::time::timeout(budget, rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(ParseError::whole(
            "reading it failed unexpectedly (the reader panicked)",
        )),
        Err(_) => Err(too_long(budget)),
    }
}

/// What a child answers on its standard output: the document, each item an
/// article in the import format or why it is none; or why the whole
/// document is none.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Answer {
    Read {
        title: Option<String>,
        items: Vec<Item>,
    },
    Refused(Refusal),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Item {
    Article(serde_json::Value),
    Refused(Refusal),
}

#[derive(Serialize, Deserialize)]
struct Refusal {
    line: Option<usize>,
    message: String,
}

impl From<ParseError> for Refusal {
    fn from(e: ParseError) -> Refusal {
        Refusal {
            line: e.line,
            message: e.message,
        }
    }
}

impl From<Refusal> for ParseError {
    fn from(r: Refusal) -> ParseError {
        ParseError {
            line: r.line,
            message: r.message,
        }
    }
}

/// `newsarchive read-document`: reads the document on standard input and
/// writes its [`Answer`] as JSON on standard output.
pub fn serve_child(kind: Kind, url: Option<&str>) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes)?;
    let answer = on_parse_stack(|| match read_here(kind, &bytes, url) {
        Ok(read) => Answer::Read {
            title: read.title,
            items: read
                .items
                .into_iter()
                .map(|item| match item {
                    Ok(article) => Item::Article(
                        serde_json::to_value(&article).expect("an article serialises"),
                    ),
                    Err(e) => Item::Refused(e.into()),
                })
                .collect(),
        },
        Err(e) => Answer::Refused(e.into()),
    });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &answer)?;
    out.flush()
}

/// In a child process, killed when the budget runs out.
async fn read_in_child(
    binary: &std::path::Path,
    kind: Kind,
    bytes: Vec<u8>,
    url: Option<String>,
    budget: Duration,
) -> Result<FeedItems, ParseError> {
    let mut command = tokio::process::Command::new(binary);
    command
        .arg("read-document")
        .arg("--kind")
        .arg(match kind {
            Kind::Page => "page",
            Kind::Feed => "feed",
        })
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(url) = &url {
        command.arg("--url").arg(url);
    }
    let mut child = command
        .spawn()
        .map_err(|e| ParseError::whole(format!("could not start the page reader: {e}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let run = async move {
        // A child that dies early stops reading: its exit says why.
        let _ = stdin.write_all(&bytes).await;
        drop(stdin);
        child.wait_with_output().await
    };
    let output = match tokio::time::timeout(budget, run).await {
        Err(_) => return Err(too_long(budget)),
        Ok(Err(e)) => return Err(ParseError::whole(format!("the page reader failed: {e}"))),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        tracing::warn!(
            status = %output.status,
            stderr = %stderr.trim(),
            "a document crashed its reader"
        );
        return Err(ParseError::whole(format!(
            "reading it crashed the page reader ({}); the document was refused",
            output.status
        )));
    }
    match serde_json::from_slice::<Answer>(&output.stdout) {
        Ok(Answer::Read { title, items }) => Ok(FeedItems {
            title,
            items: items
                .into_iter()
                .map(|item| match item {
                    Item::Article(json) => parse_json_line(&json.to_string(), 1),
                    Item::Refused(r) => Err(r.into()),
                })
                .collect(),
        }),
        Ok(Answer::Refused(r)) => Err(r.into()),
        Err(e) => Err(ParseError::whole(format!(
            "the page reader answered what could not be read: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_page_and_a_feed_read_on_a_thread() {
        let page = b"<html><head><title>Harbour</title></head><body><article><h1>Harbour</h1>\
            <p>The council met on Tuesday to argue about the harbour and its future.</p>\
            </article></body></html>"
            .to_vec();
        let read = read_apart(Kind::Page, page, None, PARSE_BUDGET)
            .await
            .unwrap();
        assert_eq!(read.items.len(), 1);
        assert_eq!(read.items[0].as_ref().unwrap().headline, "Harbour");
        let err = read_apart(Kind::Feed, b"not a feed".to_vec(), None, PARSE_BUDGET)
            .await
            .unwrap_err();
        assert!(err.message.contains("not an RSS"), "{err}");
    }
}

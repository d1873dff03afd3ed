//! Following feeds: polls each registered feed on its interval with a
//! conditional GET (ETag / Last-Modified), backs off after failures, and
//! saves every new item through the archive's one write path. Fetching goes
//! through `reqwest` with timeouts and a size limit; a local file can be
//! followed too and is re-read on each poll.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, USER_AGENT};

mod address;

pub use address::{Reach, check_url, not_public};

use crate::archive::{self, Archive};
use crate::import::Importer;
use crate::ingest;
use crate::revision::Origin;
use crate::store::{FeedRecord, PollRecord};

/// The largest feed document we read.
pub const MAX_FEED_BYTES: usize = ingest::MAX_PAGE_BYTES;
/// How long one fetch may take, from connecting to the last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many feeds are polled at once.
pub const CONCURRENT_POLLS: usize = 4;
/// How long a claimed feed stays with the node that claimed it before
/// another may take it over (that node died mid-poll, say): well beyond a
/// round of polls, each bounded by [`FETCH_TIMEOUT`].
const CLAIM_LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// The shortest interval a feed may be polled at.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// The longest a failing feed waits between polls.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// How often the follower looks for due feeds when none is due sooner.
const IDLE_CHECK: Duration = Duration::from_secs(30);

/// Why a feed could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("`{0}` is neither an http(s) URL nor a readable file: give a feed's address or a path")]
    BadLocation(String),
    #[error("url: {0}")]
    Refused(String),
    #[error("the interval must be at least {} minute(s)", MIN_INTERVAL.as_secs() / 60)]
    IntervalTooShort,
    #[error(transparent)]
    Archive(#[from] archive::Error),
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// The feed answered "not modified".
    pub not_modified: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Items that could not be articles, with the reason.
    pub refused: Vec<String>,
    /// Why the poll failed, if it did.
    pub error: Option<String>,
}

/// The feed's location as stored: an http(s) URL as given, or a file as an
/// absolute `file://` URL.
pub fn location(given: &str) -> Result<String, FollowError> {
    let bad = || FollowError::BadLocation(given.to_owned());
    if crate::article::is_web_url(given) {
        // An address the URL parser cannot read is kept as given: its polls
        // fail and say why, as an unreachable feed's do.
        return Ok(url::Url::parse(given).map_or_else(|_| given.to_owned(), |u| u.to_string()));
    }
    match url::Url::parse(given) {
        Ok(url) if url.scheme() == "file" => {
            let path = url.to_file_path().map_err(|_| bad())?;
            file_location(&path).ok_or_else(bad)
        }
        _ => file_location(Path::new(given)).ok_or_else(bad),
    }
}

fn file_location(path: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    path.is_file()
        .then(|| url::Url::from_file_path(&path).ok())
        .flatten()
        .map(|u| u.to_string())
}

/// Registers a feed (location as [`location`] reads it) polled every
/// `interval`; it is due at once. An address the follower may not fetch
/// from under `reach` is refused. Needs no HTTP client: nothing is fetched.
pub async fn register(
    archive: &Archive,
    given: &str,
    interval: Duration,
    reach: Reach,
) -> Result<FeedRecord, FollowError> {
    if interval < MIN_INTERVAL {
        return Err(FollowError::IntervalTooShort);
    }
    let url = location(given)?;
    if let Some(parsed) = url::Url::parse(&url).ok().filter(|u| u.scheme() != "file") {
        check_url(&parsed, reach).map_err(FollowError::Refused)?;
    }
    let secs = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
    Ok(archive
        .store()
        .follow_feed(&url, secs)
        .await
        .map_err(archive::Error::from)?)
}

/// Polls feeds for one archive.
#[derive(Clone)]
pub struct Follower {
    archive: Archive,
    client: reqwest::Client,
    reach: Reach,
}

impl Follower {
    /// A follower fetching from the addresses `reach` allows.
    pub fn new(archive: Archive, reach: Reach) -> Follower {
        let client = address::client(reach, FETCH_TIMEOUT, CONNECT_TIMEOUT);
        Follower {
            archive,
            client,
            reach,
        }
    }

    /// Registers a feed, as [`register`] does.
    pub async fn follow(&self, given: &str, interval: Duration) -> Result<FeedRecord, FollowError> {
        register(&self.archive, given, interval, self.reach).await
    }

    /// Polls every feed that is due now and that no other node claimed,
    /// [`CONCURRENT_POLLS`] at a time, so that one slow or hostile feed
    /// holds up no other.
    pub async fn poll_due(&self) -> archive::Result<Vec<(FeedRecord, PollReport)>> {
        use futures_util::{StreamExt, TryStreamExt};
        let now = Utc::now();
        let due = self
            .archive
            .store()
            .claim_due_feeds(now, now + CLAIM_LEASE)
            .await?;
        futures_util::stream::iter(due)
            .map(|feed| async move {
                let report = self.poll(&feed).await?;
                Ok((feed, report))
            })
            .buffer_unordered(CONCURRENT_POLLS)
            .try_collect()
            .await
    }

    /// Polls one feed now and records the outcome and the next poll time.
    pub async fn poll(&self, feed: &FeedRecord) -> archive::Result<PollReport> {
        let mut report = PollReport::default();
        let mut record = PollRecord::default();
        let mut validators = (None, None);
        match self.fetch(feed).await {
            Ok(Fetched::NotModified) => report.not_modified = true,
            Ok(Fetched::Document {
                bytes,
                etag,
                last_modified,
            }) => {
                validators = (etag, last_modified);
                let base = feed.url.starts_with("http").then(|| feed.url.clone());
                let parsed =
                    ingest::read_apart(ingest::Kind::Feed, bytes, base, ingest::PARSE_BUDGET).await;
                match parsed {
                    Ok(items) => {
                        record.title = items.title.clone();
                        let mut articles = Vec::new();
                        for item in items.items {
                            match item {
                                Ok(article) => articles.push(article),
                                Err(e) => report.refused.push(e.to_string()),
                            }
                        }
                        let mut importer =
                            Importer::new(&self.archive, Origin::Feed(feed.url.clone()));
                        match importer.save_all(articles).await {
                            Ok(()) => {
                                report.created = importer.counts.created;
                                report.updated = importer.counts.updated;
                                report.unchanged = importer.counts.unchanged;
                            }
                            Err(e) => report.error = Some(format!("saving its items failed: {e}")),
                        }
                    }
                    Err(e) => report.error = Some(e.to_string()),
                }
            }
            Err(e) => report.error = Some(e),
        }
        let failures = if report.error.is_some() {
            feed.failures + 1
        } else {
            0
        };
        // Refused items are shown as the feed's last error, but only a
        // failed poll (`report.error`) backs off. The validators of a
        // failed poll are not kept, so the next one fetches the feed whole.
        record.failed = report.error.is_some();
        if !record.failed {
            (record.etag, record.last_modified) = validators;
        }
        record.error = report.error.clone().or_else(|| {
            report.refused.first().map(|first| {
                format!(
                    "{} item(s) refused; the first: {first}",
                    report.refused.len()
                )
            })
        });
        record.articles_created = report.created as i64;
        record.next_poll_at = next_poll(Utc::now(), feed.interval_secs, failures);
        self.archive.store().record_poll(feed.id, &record).await?;
        match &report.error {
            Some(error) => {
                tracing::warn!(feed = %feed.url, %error, failures, "polling a feed failed")
            }
            None => tracing::info!(
                feed = %feed.url,
                created = report.created,
                refused = report.refused.len(),
                not_modified = report.not_modified,
                "polled a feed"
            ),
        }
        Ok(report)
    }

    async fn fetch(&self, feed: &FeedRecord) -> Result<Fetched, String> {
        if feed.url.starts_with("file:") {
            return read_file(&feed.url);
        }
        // Checked at each poll too: the setting may have changed since the
        // feed was followed.
        if let Ok(url) = url::Url::parse(&feed.url) {
            check_url(&url, self.reach).map_err(|why| format!("not fetched: {why}"))?;
        }
        let mut request = self.client.get(&feed.url).header(
            USER_AGENT,
            concat!(
                "newsarchive/",
                env!("CARGO_PKG_VERSION"),
                " (feed follower)"
            ),
        );
        if let Some(etag) = &feed.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &feed.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| format!("could not fetch the feed: {}", error_chain(&e)))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(format!("the feed's server answered {status}"));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_FEED_BYTES as u64)
        {
            return Err(too_large());
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("the feed stopped arriving: {}", error_chain(&e)))?
        {
            if bytes.len() + chunk.len() > MAX_FEED_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Document {
            bytes,
            etag,
            last_modified,
        })
    }

    /// Polls due feeds until the task is dropped: the server runs this.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.poll_due().await {
                tracing::error!(error = %e, "polling feeds failed");
            }
            let wait = match self.archive.store().next_feed_due().await {
                Ok(Some(next)) => (next - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(IDLE_CHECK),
                _ => IDLE_CHECK,
            };
            tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
        }
    }
}

enum Fetched {
    NotModified,
    Document {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

fn read_file(location: &str) -> Result<Fetched, String> {
    let path: PathBuf = url::Url::parse(location)
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .ok_or_else(|| format!("`{location}` is not a file path"))?;
    let size = std::fs::metadata(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > MAX_FEED_BYTES as u64 {
        return Err(too_large());
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Fetched::Document {
        bytes,
        etag: None,
        last_modified: None,
    })
}

fn too_large() -> String {
    format!(
        "the feed is larger than {} MB, more than a feed may have",
        MAX_FEED_BYTES / 1024 / 1024
    )
}

/// The error and its causes, so "error sending request" says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// When to poll next: after the interval, doubled for each failure in a
/// row, at most [`MAX_BACKOFF`] (and never sooner than the interval).
pub fn next_poll(now: DateTime<Utc>, interval_secs: i64, failures: i64) -> DateTime<Utc> {
    let factor = 1i64 << failures.clamp(0, 20);
    let wait = interval_secs
        .saturating_mul(factor)
        .min(MAX_BACKOFF.as_secs() as i64)
        .max(interval_secs);
    now + chrono::Duration::seconds(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_double_the_wait_up_to_a_day() {
        let now = Utc::now();
        let secs = |failures| (next_poll(now, 600, failures) - now).num_seconds();
        assert_eq!(secs(0), 600);
        assert_eq!(secs(1), 1200);
        assert_eq!(secs(3), 4800);
        assert_eq!(secs(12), 86_400);
        assert_eq!(secs(60), 86_400);
    }

    #[test]
    fn locations_are_urls_or_existing_files() {
        assert_eq!(
            location("https://example.com/feed.xml").unwrap(),
            "https://example.com/feed.xml"
        );
        assert!(location("ftp://example.com/feed").is_err());
        assert!(location("/no/such/feed.xml").is_err());
        let file = location("Cargo.toml").unwrap();
        assert!(
            file.starts_with("file:///") && file.ends_with("/Cargo.toml"),
            "{file}"
        );
    }
}

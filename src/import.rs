//! Importing: the one batching importer ([`Importer`]) that the CLI, the
//! API and followed feeds all save through, and the CLI's files and
//! directories, each read with the ingest module. A file with a bad article
//! writes nothing; large NDJSON files are streamed and saved in batches; a
//! feed's items succeed or fail one by one; a WARC crawl's pages are read
//! record by record, the others skipped and counted by reason.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt as _;

use crate::archive::{self, Archive};
use crate::article::NewArticle;
use crate::ingest::{self, Format, NdjsonReader, ParseError, Skip, WarcItem};
use crate::revision::{Fields, Origin};
use crate::store::{Outcome, Prepared, Saved};

/// Articles saved per transaction.
pub const BATCH: usize = 1_000;
/// Articles saved per transaction from a large NDJSON file: fewer, larger
/// transactions write each page of the database's indexes fewer times.
pub const BULK_BATCH: usize = 5_000;

/// The one way articles from outside (a file, an API body, a followed
/// feed's items) reach the archive: queued with their line (or item) number,
/// saved a batch per transaction with what made them, and counted the same
/// way everywhere.
pub struct Importer {
    archive: Archive,
    origin: Origin,
    batch: usize,
    pending: Vec<(usize, Prepared)>,
    /// What the saved articles did, so far.
    pub counts: Counts,
}

impl Importer {
    pub fn new(archive: &Archive, origin: Origin) -> Self {
        Self::with_batch(archive, origin, BATCH)
    }

    /// An importer saving `batch` articles per transaction.
    pub fn with_batch(archive: &Archive, origin: Origin, batch: usize) -> Self {
        Importer {
            archive: archive.clone(),
            origin,
            batch,
            pending: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// Queues `article`, line (or item) `line` of its source; a full batch
    /// is saved. Returns what this call saved, each with its line.
    pub async fn push(
        &mut self,
        line: usize,
        article: NewArticle,
    ) -> archive::Result<Vec<(usize, Saved)>> {
        self.push_prepared(line, Prepared::new(article)).await
    }

    /// [`Self::push`] for an article prepared ahead (on a reading thread).
    pub async fn push_prepared(
        &mut self,
        line: usize,
        article: Prepared,
    ) -> archive::Result<Vec<(usize, Saved)>> {
        self.pending.push((line, article));
        if self.pending.len() >= self.batch {
            self.flush().await
        } else {
            Ok(Vec::new())
        }
    }

    /// Saves `articles` (numbered from 1) and what was queued before them.
    pub async fn save_all(&mut self, articles: Vec<NewArticle>) -> archive::Result<()> {
        for (i, article) in articles.into_iter().enumerate() {
            self.push(i + 1, article).await?;
        }
        self.flush().await?;
        Ok(())
    }

    /// Saves what is queued, in one transaction.
    pub async fn flush(&mut self) -> archive::Result<Vec<(usize, Saved)>> {
        if self.pending.is_empty() {
            return Ok(Vec::new());
        }
        let (lines, articles): (Vec<usize>, Vec<Prepared>) = self.pending.drain(..).unzip();
        let saved = self.archive.save_prepared(&articles, &self.origin).await?;
        self.counts.add(&saved);
        Ok(lines.into_iter().zip(saved).collect())
    }
}

/// What one file did to the archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The fields the updates changed, all together.
    pub changed: Fields,
}

impl Counts {
    fn add(&mut self, saved: &[Saved]) {
        for s in saved {
            match s.outcome {
                Outcome::Created => self.created += 1,
                Outcome::Updated => self.updated += 1,
                Outcome::Unchanged => self.unchanged += 1,
            }
            for field in s.changed.iter() {
                self.changed.insert(field);
            }
        }
    }

    /// Adds another file's counts.
    pub fn merge(&mut self, other: Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        for field in other.changed.iter() {
            self.changed.insert(field);
        }
    }

    /// Total articles seen.
    pub fn total(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.total() == 1 {
            return match (self.created, self.updated) {
                (1, _) => f.write_str("imported"),
                (_, 1) => write!(f, "updated: {}", self.changed),
                _ => f.write_str("unchanged"),
            };
        }
        write!(
            f,
            "{} imported, {} updated, {} unchanged",
            self.created, self.updated, self.unchanged
        )?;
        if !self.changed.is_empty() {
            write!(f, " (changed: {})", self.changed)?;
        }
        Ok(())
    }
}

/// Why a file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error(
        "not a format newsarchive reads (use .txt, .json, .ndjson, .jsonl, .html, .htm, .rss, .atom, .xml, .warc or .warc.gz)"
    )]
    UnknownFormat,
    #[error("{0}")]
    Archive(#[from] archive::Error),
}

/// The files to import: each path itself, or the readable files under a directory, sorted.
/// Files in directories with other extensions and hidden files are skipped.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| (path.clone(), e))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .follow_links(true)
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                })
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file() && Format::from_path(e.path()).is_some())
                .map(|e| e.into_path())
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// What one file did, with the items of a feed (or the records of a
/// crawl) that were refused.
#[derive(Debug, Default)]
pub struct FileReport {
    pub counts: Counts,
    /// Feed items that could not be articles; the others were saved.
    pub refused: Vec<ParseError>,
    /// A crawl's records that hold no article, by reason.
    pub skipped: Skipped,
    /// A crawl's records that could not be read (damaged, or a page the
    /// extraction failed on), by number, with what is wrong.
    pub damaged: Vec<(usize, String)>,
}

/// A crawl's records that hold no article, counted by reason.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Skipped(pub BTreeMap<Skip, u64>);

impl Skipped {
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

impl std::fmt::Display for Skipped {
    /// "12 records skipped (7 not HTML, 3 redirect, 2 not an article)".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reasons: Vec<String> = self
            .0
            .iter()
            .map(|(reason, n)| format!("{n} {}", reason.name()))
            .collect();
        write!(
            f,
            "{} records skipped ({})",
            self.total(),
            reasons.join(", ")
        )
    }
}

/// Reads a page or feed file whole, refusing one too large to be either and
/// one that is binary.
fn read_markup(path: &Path) -> Result<Vec<u8>, FileError> {
    let size = std::fs::metadata(path)?.len();
    if size > ingest::MAX_PAGE_BYTES as u64 {
        return Err(ParseError::whole(format!(
            "the file is {:.1} MB, more than the {} MB a page or feed may have",
            size as f64 / 1e6,
            ingest::MAX_PAGE_BYTES / 1024 / 1024
        ))
        .into());
    }
    let bytes = std::fs::read(path)?;
    if ingest::is_binary(&bytes) {
        return Err(ParseError::whole("the file holds binary data (NUL bytes), not text").into());
    }
    Ok(bytes)
}

/// Saves a feed's good items and reports the refused ones.
async fn save_feed(
    archive: &Archive,
    feed: ingest::FeedItems,
    origin: Origin,
) -> Result<FileReport, FileError> {
    let mut report = FileReport::default();
    let mut articles = Vec::new();
    for item in feed.items {
        match item {
            Ok(article) => articles.push(article),
            Err(e) => report.refused.push(e),
        }
    }
    let mut importer = Importer::new(archive, origin);
    importer.save_all(articles).await?;
    report.counts = importer.counts;
    Ok(report)
}

/// How far an import has come, told as it goes: what was read of the file
/// (in bytes) and how many articles were saved since the last tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    pub bytes: u64,
    pub articles: u64,
}

/// Imports an NDJSON file, any size: a first pass checks that every line is
/// an article (or nothing is written), then one thread reads, parses and
/// prepares the lines while this task saves them, a large batch per
/// transaction.
async fn import_ndjson(
    archive: &Archive,
    path: &Path,
    origin: Origin,
    progress: &(dyn Fn(Tick) + Sync),
) -> Result<FileReport, FileError> {
    let checked = path.to_owned();
    tokio::task::spawn_blocking(move || -> Result<(), FileError> {
        for (_, parsed) in NdjsonReader::new(BufReader::new(File::open(&checked)?)) {
            parsed?;
        }
        Ok(())
    })
    .await
    .map_err(archive::Error::from)??;
    let (sender, mut lines) = tokio::sync::mpsc::channel(BULK_BATCH);
    let reading = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || -> Result<(), FileError> {
        let mut lines = NdjsonReader::new(BufReader::new(File::open(&reading)?));
        while let Some((line, parsed)) = lines.next() {
            let article = Prepared::new(parsed?);
            if sender
                .blocking_send((line, article, lines.bytes_read))
                .is_err()
            {
                break; // the saving side stopped on an error of its own
            }
        }
        Ok(())
    });
    let mut importer = Importer::with_batch(archive, origin, BULK_BATCH);
    let mut told = Tick::default();
    let mut read = 0;
    let mut tell = |importer: &Importer, read: u64| {
        let saved = importer.counts.total();
        progress(Tick {
            bytes: read - told.bytes,
            articles: saved - told.articles,
        });
        told = Tick {
            bytes: read,
            articles: saved,
        };
    };
    while let Some((line, article, bytes_read)) = lines.recv().await {
        read = bytes_read;
        if !importer.push_prepared(line, article).await?.is_empty() {
            tell(&importer, read);
        }
    }
    reader.await.map_err(archive::Error::from)??;
    importer.flush().await?;
    tell(&importer, read);
    Ok(FileReport {
        counts: importer.counts,
        ..Default::default()
    })
}

/// Pages of a crawl extracted at once (each on a thread or in a child of its own).
const CRAWL_READERS: usize = 4;

/// What became of one record of a crawl, in the file's order.
enum Record {
    Article(usize, Box<NewArticle>),
    Skipped(Skip),
    Failed(usize, String),
}

/// Imports a WARC crawl read from `input` (a file, a request body) in
/// constant memory: a thread reads it record by record, each HTML page is
/// extracted like a saved page (its `WARC-Date` standing in for a missing
/// publication date), and the articles are saved in batches through
/// `importer`. `saved` is told what each batch saved (numbered by record).
pub async fn import_warc(
    importer: &mut Importer,
    input: impl Read + Send + 'static,
    progress: &(dyn Fn(Tick) + Sync),
    saved: &mut (dyn FnMut(Vec<(usize, Saved)>) + Send),
) -> Result<FileReport, FileError> {
    let bytes = Arc::new(AtomicU64::new(0));
    let counted = CountedRead {
        inner: input,
        bytes: bytes.clone(),
    };
    let (sender, items) = tokio::sync::mpsc::channel::<WarcItem>(CRAWL_READERS * 4);
    let reader = tokio::task::spawn_blocking(move || {
        ingest::read_warc(counted, |item| sender.blocking_send(item).is_ok())
    });
    let items = futures_util::stream::unfold(items, |mut items| async move {
        items.recv().await.map(|item| (item, items))
    });
    let records = items
        .map(|item| async move {
            match item {
                WarcItem::Skipped { reason, .. } => Record::Skipped(reason),
                WarcItem::Damaged { record, message } => Record::Failed(record, message),
                WarcItem::Page(page) => {
                    let url = Some(page.url.clone());
                    let read = ingest::read_apart(
                        ingest::Kind::Page,
                        page.html,
                        url,
                        ingest::PARSE_BUDGET,
                    );
                    match read.await.map(|mut read| read.items.pop()) {
                        Ok(Some(Ok(mut article))) => {
                            article.published_at.get_or_insert(page.captured);
                            Record::Article(page.record, Box::new(article))
                        }
                        Ok(_) => Record::Skipped(Skip::NotAnArticle),
                        Err(e) => Record::Failed(
                            page.record,
                            format!(
                                "record {} at byte {} ({}): {e}",
                                page.record, page.offset, page.url
                            ),
                        ),
                    }
                }
            }
        })
        .buffered(CRAWL_READERS);
    let mut records = std::pin::pin!(records);
    let mut report = FileReport::default();
    let mut told = Tick::default();
    let mut tell = |importer: &Importer| {
        let now = Tick {
            bytes: bytes.load(Ordering::Relaxed),
            articles: importer.counts.total(),
        };
        progress(Tick {
            bytes: now.bytes - told.bytes,
            articles: now.articles - told.articles,
        });
        told = now;
    };
    while let Some(record) = records.next().await {
        match record {
            Record::Article(number, article) => {
                let batch = importer.push(number, *article).await?;
                if !batch.is_empty() {
                    saved(batch);
                    tell(importer);
                }
            }
            Record::Skipped(reason) => *report.skipped.0.entry(reason).or_default() += 1,
            Record::Failed(number, message) => report.damaged.push((number, message)),
        }
    }
    saved(importer.flush().await?);
    tell(importer);
    reader.await.map_err(archive::Error::from)??;
    report.counts = importer.counts;
    Ok(report)
}

/// A reader that counts what was read, for progress.
struct CountedRead<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for CountedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Imports one file. `progress` is told what was read and saved as it goes.
pub async fn import_file(
    archive: &Archive,
    path: &Path,
    progress: &(dyn Fn(Tick) + Sync),
) -> Result<FileReport, FileError> {
    let format = Format::from_path(path).ok_or(FileError::UnknownFormat)?;
    let origin = Origin::File(path.display().to_string());
    let mut importer = Importer::new(archive, origin.clone());
    match format {
        Format::Html => {
            let bytes = read_markup(path)?;
            let size = bytes.len() as u64;
            let article = ingest::read_apart(ingest::Kind::Page, bytes, None, ingest::PARSE_BUDGET)
                .await?
                .items
                .pop()
                .unwrap_or_else(|| Err(ParseError::whole("no article found in the page")))?;
            importer.push(1, article).await?;
            importer.flush().await?;
            progress(Tick {
                bytes: size,
                articles: 1,
            });
        }
        Format::Feed => {
            let bytes = read_markup(path)?;
            let size = bytes.len() as u64;
            let feed =
                ingest::read_apart(ingest::Kind::Feed, bytes, None, ingest::PARSE_BUDGET).await?;
            let report = save_feed(archive, feed, origin).await?;
            progress(Tick {
                bytes: size,
                articles: report.counts.total(),
            });
            return Ok(report);
        }
        Format::Text | Format::Json => {
            let content = std::fs::read_to_string(path)?;
            if format == Format::Json && ingest::is_json_feed(&content) {
                let feed = ingest::parse_feed(content.as_bytes(), None)?;
                let report = save_feed(archive, feed, origin).await?;
                progress(Tick {
                    bytes: content.len() as u64,
                    articles: report.counts.total(),
                });
                return Ok(report);
            }
            let articles = if format == Format::Text {
                vec![ingest::parse_text(&content)?]
            } else {
                ingest::parse_json(&content)?
            };
            importer.save_all(articles).await?;
            progress(Tick {
                bytes: content.len() as u64,
                articles: importer.counts.total(),
            });
        }
        Format::Ndjson => return import_ndjson(archive, path, origin, progress).await,
        Format::Warc => {
            let file = File::open(path)?;
            return import_warc(&mut importer, file, progress, &mut |_| {}).await;
        }
    }
    importer.flush().await?;
    Ok(FileReport {
        counts: importer.counts,
        ..Default::default()
    })
}

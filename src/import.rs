//! Importing: the one batching importer ([`Importer`]) that the CLI, the
//! API and followed feeds all save through, and the CLI's files and
//! directories, each read with the ingest module. A file with a bad article
//! writes nothing; large NDJSON files are streamed and saved in batches; a
//! feed's items succeed or fail one by one.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::archive::{self, Archive};
use crate::article::NewArticle;
use crate::ingest::{self, Format, NdjsonReader, ParseError};
use crate::revision::{Fields, Origin};
use crate::store::{Outcome, Saved};

/// Articles saved per transaction.
pub const BATCH: usize = 1_000;

/// The one way articles from outside (a file, an API body, a followed
/// feed's items) reach the archive: queued with their line (or item) number,
/// saved a batch per transaction with what made them, and counted the same
/// way everywhere.
pub struct Importer {
    archive: Archive,
    origin: Origin,
    pending: Vec<(usize, NewArticle)>,
    /// What the saved articles did, so far.
    pub counts: Counts,
}

impl Importer {
    pub fn new(archive: &Archive, origin: Origin) -> Self {
        Importer {
            archive: archive.clone(),
            origin,
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
        self.pending.push((line, article));
        if self.pending.len() >= BATCH {
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
        let (lines, articles): (Vec<usize>, Vec<NewArticle>) = self.pending.drain(..).unzip();
        let saved = self.archive.save(&articles, &self.origin).await?;
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
        "not a format newsarchive reads (use .txt, .json, .ndjson, .jsonl, .html, .htm, .rss, .atom or .xml)"
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

/// What one file did, with the items of a feed that were refused.
#[derive(Debug, Default)]
pub struct FileReport {
    pub counts: Counts,
    /// Feed items that could not be articles; the others were saved.
    pub refused: Vec<ParseError>,
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
    if bytes.contains(&0) {
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

/// Imports one file. `progress` is told how many bytes were read as it goes.
pub async fn import_file(
    archive: &Archive,
    path: &Path,
    progress: &(dyn Fn(u64) + Sync),
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
            progress(size);
        }
        Format::Feed => {
            let bytes = read_markup(path)?;
            let size = bytes.len() as u64;
            let feed =
                ingest::read_apart(ingest::Kind::Feed, bytes, None, ingest::PARSE_BUDGET).await?;
            let report = save_feed(archive, feed, origin).await?;
            progress(size);
            return Ok(report);
        }
        Format::Text | Format::Json => {
            let content = std::fs::read_to_string(path)?;
            if format == Format::Json && ingest::is_json_feed(&content) {
                let feed = ingest::parse_feed(content.as_bytes(), None)?;
                let report = save_feed(archive, feed, origin).await?;
                progress(content.len() as u64);
                return Ok(report);
            }
            let articles = if format == Format::Text {
                vec![ingest::parse_text(&content)?]
            } else {
                ingest::parse_json(&content)?
            };
            importer.save_all(articles).await?;
            progress(content.len() as u64);
        }
        Format::Ndjson => {
            // First pass: every line must be an article, or nothing is written.
            for (_, parsed) in NdjsonReader::new(BufReader::new(File::open(path)?)) {
                parsed?;
            }
            let mut reported = 0;
            let mut lines = NdjsonReader::new(BufReader::new(File::open(path)?));
            while let Some((line, parsed)) = lines.next() {
                if !importer.push(line, parsed?).await?.is_empty() {
                    progress(lines.bytes_read - reported);
                    reported = lines.bytes_read;
                }
            }
            importer.flush().await?;
            progress(lines.bytes_read - reported);
        }
    }
    importer.flush().await?;
    Ok(FileReport {
        counts: importer.counts,
        refused: Vec::new(),
    })
}

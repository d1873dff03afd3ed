//! Every match of a search, in the search's order, a batch at a time: the
//! same filters and story collapsing as the search page, from one pinned
//! view of the index, so memory stays constant however many there are.
//! The next batch is fetched while the current one is written.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::archive::{Archive, Result};
use crate::article::Article;
use crate::search::{ParsedQuery, QueryError, Request, SearchIndex};

/// Matches fetched at a time: one search for the ids, one query for the
/// rows. Rows without the article text are small, so more come at once.
pub const BATCH: usize = 2_000;
pub const BATCH_WITHOUT_BODY: usize = 5_000;

/// Whether the rows need the articles' paragraphs or only their other fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Needed,
    Left,
}

/// Every match of one search, batch by batch.
pub struct Matches {
    /// How many articles match: what the search reports as `total`.
    pub total: u64,
    /// How many rows the matches make: `total` with every version, else
    /// the number of stories among them.
    pub rows: u64,
    /// The parts of the query that were ignored, in words.
    pub ignored: Vec<String>,
    first: Option<Vec<Article>>,
    /// The batches after the first, fetched one ahead of the reader.
    rest: Option<mpsc::Receiver<Result<Vec<Article>>>>,
}

impl Matches {
    /// Runs the search's first batch, so that a bad query is known before
    /// anything is written. A query of no words matches nothing.
    pub async fn start(
        archive: &Archive,
        query: &str,
        request: &Request,
        body: Body,
    ) -> Result<Matches> {
        let index = archive.index()?;
        let mut matches = Matches {
            total: 0,
            rows: 0,
            ignored: Vec::new(),
            first: None,
            rest: None,
        };
        let parsed = match index.parse(query) {
            Ok(parsed) => Arc::new(parsed),
            Err(QueryError::Empty) => {
                matches.ignored = vec![QueryError::Empty.to_string()];
                return Ok(matches);
            }
            Err(e) => return Err(e.into()),
        };
        matches.ignored = parsed.ignored.clone();
        let started = std::time::Instant::now();
        let mut batches = Batches {
            archive: archive.clone(),
            index: index.clone(),
            parsed: parsed.clone(),
            request: Request {
                limit: match body {
                    Body::Needed => BATCH,
                    Body::Left => BATCH_WITHOUT_BODY,
                },
                after: None,
                facets: Vec::new(),
                longer_facet: None,
                histogram: None,
                previous: false,
                ..request.clone()
            },
            body,
            done: false,
        };
        let (first, total) = batches.next().await?.unwrap_or_default();
        matches.first = Some(first);
        matches.total = total;
        matches.rows = if request.all_versions {
            total
        } else {
            let request = batches.request.clone();
            tokio::task::spawn_blocking(move || index.count_stories(&parsed, &request))
                .await?
                .map_err(crate::archive::Error::Search)?
        };
        archive
            .metrics()
            .record_search(started.elapsed().as_secs_f64());
        if !batches.done {
            // One batch waits while the reader writes the one before: the
            // search and the database work while the rows are written.
            let (sender, receiver) = mpsc::channel(1);
            tokio::spawn(async move {
                loop {
                    let batch = match batches.next().await {
                        Ok(Some((batch, _))) => Ok(batch),
                        Ok(None) => break,
                        Err(e) => Err(e),
                    };
                    let failed = batch.is_err();
                    // The reader went away: the download was cut short.
                    if sender.send(batch).await.is_err() || failed {
                        break;
                    }
                }
            });
            matches.rest = Some(receiver);
        }
        Ok(matches)
    }

    /// The next batch of matching articles, None after the last.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Article>>> {
        if let Some(first) = self.first.take().filter(|batch| !batch.is_empty()) {
            return Ok(Some(first));
        }
        match self.rest.as_mut() {
            Some(rest) => rest.recv().await.transpose(),
            None => Ok(None),
        }
    }
}

/// The search run a batch at a time, each after the last one's cursor.
struct Batches {
    archive: Archive,
    index: Arc<SearchIndex>,
    parsed: Arc<ParsedQuery>,
    request: Request,
    body: Body,
    done: bool,
}

impl Batches {
    /// The next batch and the search's total, None after the last.
    async fn next(&mut self) -> Result<Option<(Vec<Article>, u64)>> {
        if self.done {
            return Ok(None);
        }
        let (index, parsed, request) = (
            self.index.clone(),
            self.parsed.clone(),
            self.request.clone(),
        );
        let hits = tokio::task::spawn_blocking(move || index.search(&parsed, &request))
            .await?
            .map_err(|e| match e {
                crate::search::Error::Query(q) => crate::archive::Error::Query(q),
                other => crate::archive::Error::Search(other),
            })?;
        self.request.after = hits.next;
        self.done = hits.next.is_none() || hits.hits.is_empty();
        if hits.hits.is_empty() {
            return Ok(None);
        }
        let ids: Vec<i64> = hits.hits.iter().map(|h| h.id).collect();
        // An article deleted since the index's view was pinned is left out.
        let store = self.archive.store();
        let articles = match self.body {
            Body::Needed => store.articles_by_ids(&ids).await?,
            Body::Left => store.articles_by_ids_without_body(&ids).await?,
        };
        Ok(Some((articles, hits.total)))
    }
}

/// The stories among the matches of a search: the rows of its download
/// when it shows one result per story.
pub async fn count_stories(archive: &Archive, query: &str, request: &Request) -> Result<u64> {
    let index = archive.index()?;
    let parsed = index.parse(query)?;
    let request = request.clone();
    tokio::task::spawn_blocking(move || index.count_stories(&parsed, &request))
        .await?
        .map_err(crate::archive::Error::Search)
}

//! Every match of a search, in the search's order, a batch at a time: the
//! same filters and story collapsing as the search page, from one pinned
//! view of the index, so memory stays constant however many there are.

use std::sync::Arc;

use crate::archive::{Archive, Result};
use crate::article::Article;
use crate::search::{ParsedQuery, QueryError, Request, SearchIndex};

/// Matches fetched at a time: one search for the ids, one query for the rows.
pub const BATCH: usize = 2_000;

/// Every match of one search, batch by batch.
pub struct Matches {
    archive: Archive,
    index: Arc<SearchIndex>,
    parsed: Option<Arc<ParsedQuery>>,
    request: Request,
    /// How many articles match: what the search reports as `total`.
    pub total: u64,
    /// How many rows the matches make: `total` with every version, else
    /// the number of stories among them.
    pub rows: u64,
    /// The parts of the query that were ignored, in words.
    pub ignored: Vec<String>,
    first: Option<Vec<Article>>,
    done: bool,
}

impl Matches {
    /// Runs the search's first batch, so that a bad query is known before
    /// anything is written. A query of no words matches nothing.
    pub async fn start(archive: &Archive, query: &str, request: &Request) -> Result<Matches> {
        let index = archive.index()?;
        let mut matches = Matches {
            archive: archive.clone(),
            index: index.clone(),
            parsed: None,
            request: Request {
                limit: BATCH,
                after: None,
                facets: Vec::new(),
                longer_facet: None,
                histogram: None,
                previous: false,
                ..request.clone()
            },
            total: 0,
            rows: 0,
            ignored: Vec::new(),
            first: None,
            done: false,
        };
        match index.parse(query) {
            Ok(parsed) => {
                matches.ignored = parsed.ignored.clone();
                matches.parsed = Some(Arc::new(parsed));
            }
            Err(QueryError::Empty) => {
                matches.ignored = vec![QueryError::Empty.to_string()];
                matches.done = true;
                return Ok(matches);
            }
            Err(e) => return Err(e.into()),
        }
        let started = std::time::Instant::now();
        matches.first = matches.fetch().await?;
        matches.rows = if request.all_versions {
            matches.total
        } else {
            let (parsed, request) = (matches.parsed.clone(), matches.request.clone());
            let parsed = parsed.expect("parsed above");
            tokio::task::spawn_blocking(move || index.count_stories(&parsed, &request))
                .await?
                .map_err(crate::archive::Error::Search)?
        };
        archive
            .metrics()
            .record_search(started.elapsed().as_secs_f64());
        Ok(matches)
    }

    /// The next batch of matching articles, None after the last.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Article>>> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        self.fetch().await
    }

    async fn fetch(&mut self) -> Result<Option<Vec<Article>>> {
        let Some(parsed) = self.parsed.clone().filter(|_| !self.done) else {
            return Ok(None);
        };
        let (index, request) = (self.index.clone(), self.request.clone());
        let hits = tokio::task::spawn_blocking(move || index.search(&parsed, &request))
            .await?
            .map_err(|e| match e {
                crate::search::Error::Query(q) => crate::archive::Error::Query(q),
                other => crate::archive::Error::Search(other),
            })?;
        self.total = hits.total;
        self.request.after = hits.next;
        self.done = hits.next.is_none();
        if hits.hits.is_empty() {
            self.done = true;
            return Ok(None);
        }
        let ids: Vec<i64> = hits.hits.iter().map(|h| h.id).collect();
        // An article deleted since the index's view was pinned is left out.
        Ok(Some(self.archive.store().articles_by_ids(&ids).await?))
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

//! Several searches over time on one axis: each query parsed and counted
//! per period beside the whole archive, from one pinned view of the index.

use crate::archive::{Archive, Error, Result};
use crate::search::{Comparison, Filters, Interval, QueryError};

/// Most searches one comparison holds.
pub const MAX_SEARCHES: usize = 5;

/// A query of the comparison that cannot be run, and which one (0-based).
#[derive(Debug)]
pub struct BadSearch {
    pub search: usize,
    pub error: QueryError,
}

/// Counts each query's matches per period on a shared span.
pub async fn compare(
    archive: &Archive,
    queries: &[String],
    filters: &Filters,
    interval: Interval,
) -> Result<std::result::Result<Comparison, BadSearch>> {
    let index = archive.index()?;
    let mut parsed = Vec::new();
    for (search, query) in queries.iter().enumerate() {
        match index.parse(query) {
            Ok(p) => parsed.push(p),
            Err(error) => return Ok(Err(BadSearch { search, error })),
        }
    }
    let filters = filters.clone();
    let comparison =
        tokio::task::spawn_blocking(move || index.compare(&parsed, &filters, interval))
            .await?
            .map_err(|e| match e {
                crate::search::Error::Query(q) => Error::Query(q),
                other => Error::Search(other),
            })?;
    Ok(Ok(comparison))
}

//! Downloads of every match of a search (`/search.csv`, `/search.ndjson`,
//! `/api/v1/search/export`): the rows stream out a batch at a time as the
//! client reads them, so a download of any size holds one batch in memory.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt as _, stream};

use crate::research::{Matches, Rows};

/// The header that says how many rows the download holds: the search's
/// `total` with every version, else the stories among the matches.
pub const TOTAL_HEADER: &str = "x-total-count";

/// The rows of every match as a streamed attachment,
/// `newsarchive-search.csv` or `.ndjson`.
pub fn response(matches: Matches, rows: Rows) -> Response {
    let format = rows.format();
    let name = format!("newsarchive-search.{}", format.extension());
    let count = matches.rows;
    let header_row = rows.header();
    let batches = stream::unfold(
        (Some(matches), rows, Some(header_row)),
        |(matches, rows, header_row)| async move {
            let mut matches = matches?;
            if let Some(first) = header_row.filter(|h| !h.is_empty()) {
                return Some((Ok(Bytes::from(first)), (Some(matches), rows, None)));
            }
            match matches.next_batch().await {
                Ok(Some(articles)) => {
                    let chunk = Bytes::from(rows.write(&articles));
                    Some((Ok(chunk), (Some(matches), rows, None)))
                }
                Ok(None) => None,
                Err(e) => {
                    // The status is sent; cutting the body short is how an
                    // HTTP client learns the download is incomplete.
                    tracing::error!(error = %e, "a download stopped before its last row");
                    Some((
                        Err(std::io::Error::other(e.to_string())),
                        (None, rows, None),
                    ))
                }
            }
        },
    );
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = (
        [
            (header::CONTENT_TYPE, format.media_type()),
            (header::CACHE_CONTROL, "no-store"),
        ],
        // Fused: the compression layer may ask again after the end.
        Body::from_stream(batches.fuse()),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(TOTAL_HEADER, HeaderValue::from(count));
    response
}

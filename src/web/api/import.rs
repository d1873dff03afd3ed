//! `POST /api/v1/import`: NDJSON, one article per line, matched like the CLI
//! import (URL, then content), streamed and saved in batches, each line
//! with a result and bad lines failing alone; or one saved web page
//! (`text/html`), or one RSS, Atom or JSON feed, each item with a result;
//! or a WARC crawl, each page with a result and the other records counted.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde::Serialize;
use utoipa::ToSchema;

use super::articles::INDEX_WAIT;
use super::auth::{TokenAccess, needs};
use super::openapi::problem;
use crate::archive::Archive;
use crate::ingest::{Kind, MAX_PAGE_BYTES, PARSE_BUDGET, ParseError, parse_json_line, read_apart};
use crate::revision::Origin;
use crate::store::Outcome;
use crate::web::ApiError;

/// Largest import body.
pub const IMPORT_BODY_LIMIT: u64 = 256 * 1024 * 1024;
/// Longest an import request may take (a full 256 MiB body takes minutes).
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Longest single line.
const LINE_LIMIT: usize = 4 * 1024 * 1024;
/// Most failed lines, and most saved lines, the report names one by one;
/// past them lines are only counted, so the report stays small whatever
/// the body holds.
pub const MAX_RESULTS: usize = 1_000;
/// Longest reason given for one failed line, in characters.
const MAX_REASON_CHARS: usize = 500;
const NDJSON_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/x-jsonlines",
];
const HTML_TYPES: &[&str] = &["text/html", "application/xhtml+xml"];
const WARC_TYPES: &[&str] = &["application/warc"];
/// Largest crawl body: crawls are read record by record, so only time bounds them.
pub const WARC_BODY_LIMIT: u64 = 4 * 1024 * 1024 * 1024;
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
];

/// `?url=`: the address a posted page or feed came from, to resolve its
/// relative links and stand in for a missing canonical URL.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The page's or feed's own address (http or https).
    #[param(schema_with = super::feeds::web_url_schema)]
    url: Option<String>,
}

/// What became of one line.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum LineStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

#[derive(Serialize, ToSchema)]
struct LineResult {
    /// The line's number, from 1 (for a feed, the item's; for a page, 1).
    line: usize,
    status: LineStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<i64>,
    /// Why the line failed, naming its number and the field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Serialize, Default, ToSchema)]
struct Summary {
    /// Lines that were not blank.
    lines: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
    /// Lines counted here but left out of `results`: past the first 1,000
    /// failed lines and the first 1,000 saved ones.
    omitted: usize,
}

#[derive(Serialize, ToSchema)]
struct ImportReport {
    summary: Summary,
    /// A crawl's records that hold no article, by reason (`not HTML`,
    /// `redirect`, `revisit`, `not an article`…); only for WARC bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<BTreeMap<String, u64>>,
    results: Vec<LineResult>,
}

/// The archive's one batching importer, with a result per line.
struct Importer {
    batches: crate::import::Importer,
    results: Results,
}

/// The report as it grows.
struct Results {
    report: ImportReport,
    /// Lines saved so far, named in the report or not.
    saved_results: usize,
}

impl Importer {
    fn new(archive: &Archive, origin: &Origin) -> Self {
        Importer {
            batches: crate::import::Importer::new(archive, origin.clone()),
            results: Results {
                report: ImportReport {
                    summary: Summary::default(),
                    skipped: None,
                    results: Vec::new(),
                },
                saved_results: 0,
            },
        }
    }

    async fn line(&mut self, number: usize, bytes: &[u8]) -> Result<(), ApiError> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        self.results.report.summary.lines += 1;
        match parse_json_line(text, number) {
            Ok(article) => {
                let saved = self.batches.push(number, article).await?;
                self.results.saved(saved);
            }
            Err(e) => self.results.fail(number, e.message),
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ApiError> {
        let saved = self.batches.flush().await?;
        self.results.saved(saved);
        Ok(())
    }

    /// The report, its summary counted as every import counts.
    fn finish(mut self) -> ImportReport {
        let counts = self.batches.counts;
        let report = &mut self.results.report;
        report.summary.created = counts.created as usize;
        report.summary.updated = counts.updated as usize;
        report.summary.unchanged = counts.unchanged as usize;
        report.results.sort_by_key(|r| r.line);
        self.results.report
    }
}

impl Results {
    fn fail(&mut self, line: usize, reason: String) {
        self.report.summary.failed += 1;
        if self.report.summary.failed > MAX_RESULTS {
            self.report.summary.omitted += 1;
            return;
        }
        self.report.results.push(LineResult {
            line,
            status: LineStatus::Failed,
            id: None,
            revision: None,
            // A reason may quote the line.
            reason: Some(crate::web::pages::shorten(&reason, MAX_REASON_CHARS)),
        });
    }

    fn saved(&mut self, saved: Vec<(usize, crate::store::Saved)>) {
        for (line, s) in saved {
            self.saved_results += 1;
            if self.saved_results > MAX_RESULTS {
                self.report.summary.omitted += 1;
                continue;
            }
            let status = match s.outcome {
                Outcome::Created => LineStatus::Created,
                Outcome::Updated => LineStatus::Updated,
                Outcome::Unchanged => LineStatus::Unchanged,
            };
            self.report.results.push(LineResult {
                line,
                status,
                id: Some(s.id),
                revision: Some(s.revision),
                reason: None,
            });
        }
    }
}

/// A whole page or feed: read up to [`MAX_PAGE_BYTES`], then each article
/// (one for a page, one per item for a feed) saved or reported as failed.
async fn import_document(
    archive: &Archive,
    origin: &Origin,
    content_type: &str,
    page_url: Option<&str>,
    body: Body,
) -> Result<ImportReport, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "Body too large",
            format!("a page or feed may hold at most {MAX_PAGE_BYTES} bytes"),
        )
    };
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::unreadable_body(&e))?;
        if bytes.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(too_big());
        }
        bytes.extend_from_slice(&chunk);
    }
    // A page that is not an article, or a document that is not a feed,
    // fails as its one item, as a bad NDJSON line does.
    let is_page = HTML_TYPES.contains(&content_type);
    let items = if is_page && crate::ingest::is_binary(&bytes) {
        vec![Err(ParseError::whole(
            "the body holds binary data (NUL bytes), not a web page",
        ))]
    } else {
        // Parsing a large page takes a while: off the request threads.
        let url = page_url.map(str::to_owned);
        let kind = if is_page { Kind::Page } else { Kind::Feed };
        read_apart(kind, bytes, url, PARSE_BUDGET)
            .await
            .map_or_else(|e| vec![Err(e)], |read| read.items)
    };
    let mut importer = Importer::new(archive, origin);
    for (i, item) in items.into_iter().enumerate() {
        importer.results.report.summary.lines += 1;
        match item {
            Ok(article) => {
                let saved = importer.batches.push(i + 1, article).await?;
                importer.results.saved(saved);
            }
            Err(e) => importer.results.fail(i + 1, e.to_string()),
        }
    }
    importer.flush().await?;
    Ok(importer.finish())
}

/// A WARC crawl streamed from the body into the one crawl importer: each
/// HTML page a result (numbered by its record), damaged records failed
/// with their offset, the other records counted by reason.
async fn import_crawl(
    archive: &Archive,
    origin: &Origin,
    body: Body,
) -> Result<ImportReport, ApiError> {
    let mut received = 0u64;
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        received += chunk.len() as u64;
        if received > WARC_BODY_LIMIT {
            return Err(std::io::Error::other(format!(
                "the body is larger than the {WARC_BODY_LIMIT} bytes a crawl may have"
            )));
        }
        Ok(chunk)
    });
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let mut importer = Importer::new(archive, origin);
    let results = &mut importer.results;
    let crawl = crate::import::import_warc(&mut importer.batches, reader, &|_| {}, &mut |saved| {
        results.saved(saved)
    })
    .await
    .map_err(|e| match e {
        crate::import::FileError::Archive(e) => ApiError::from(e),
        crate::import::FileError::Read(e) => ApiError::bad_request(e.to_string()),
        other => ApiError::bad_request(other.to_string()),
    })?;
    for (record, message) in crawl.damaged {
        importer.results.fail(record, message);
    }
    let summary = &mut importer.results.report.summary;
    summary.lines = crawl.counts.total() as usize + summary.failed;
    importer.results.report.skipped = Some(
        crawl
            .skipped
            .0
            .iter()
            .map(|(reason, n)| (reason.name().to_owned(), *n))
            .collect(),
    );
    Ok(importer.finish())
}

/// Logs an import of `what` (a page or feed, a crawl), waits for the index
/// to take it, and answers with its report.
async fn answer(
    archive: &Archive,
    token: &impl std::fmt::Display,
    report: ImportReport,
    what: &str,
) -> Result<Response, ApiError> {
    tracing::info!(
        token = %token,
        created = report.summary.created,
        failed = report.summary.failed,
        "import of {what} through the API"
    );
    if !archive.wait_indexed(INDEX_WAIT).await? {
        tracing::warn!("the index did not catch up with an import in time");
    }
    Ok(Json(report).into_response())
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        "Body too large",
        format!("an import body may hold at most {IMPORT_BODY_LIMIT} bytes; split the file"),
    )
}

/// Imports NDJSON, one article per line (the fields of `ArticleInput`),
/// matched like the command-line import: by URL, then by content. A bad
/// line fails alone; the answer has a summary counting every line and a
/// result per line for the first 1,000 failed and the first 1,000 saved
/// lines (`summary.omitted` counts the rest; a reason is at most 500
/// characters). The body is streamed: up to 256 MiB, each line up to 4 MiB.
///
/// Also takes one saved web page (`text/html`: the story is extracted as a
/// reader view does) or one feed (`application/rss+xml`,
/// `application/atom+xml`, `application/feed+json`, `application/xml`:
/// one article per item, a bad item failing alone), each up to 10 MiB. A
/// page that is not an article, or a document that is not a feed, is one
/// failed result with the reason.
///
/// Also takes a web-archive crawl (`application/warc`, plain or gzipped
/// record by record, up to 4 GiB), streamed: each HTML response is
/// extracted like a page (its `WARC-Date` standing in for a missing
/// publication date) and numbered by its record; a damaged record fails
/// alone, naming its offset; the other records are counted by reason in
/// `skipped`.
#[utoipa::path(
    post,
    path = "/import",
    tag = "articles",
    security(("token" = ["articles"])),
    params(ImportParams),
    request_body(
        content(
            (serde_json::Value = "application/x-ndjson"),
            (serde_json::Value = "text/html"),
            (serde_json::Value = "application/rss+xml"),
            (serde_json::Value = "application/atom+xml"),
            (String = "application/warc"),
        ),
        description = "One JSON article per line (NDJSON); or a web page; or a feed. Any \
            text is read: each line or item that is not an article is reported as failed, \
            with its number and the reason.",
    ),
    responses(
        (status = 200, description = "What became of each line", body = ImportReport),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 413, response = problem::TooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn import(
    State(archive): State<Archive>,
    access: TokenAccess<needs::Articles>,
    super::ApiQuery(params): super::ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(url) = params
        .url
        .as_deref()
        .filter(|u| !crate::article::is_web_url(u))
    {
        return Err(ApiError::bad_request(format!(
            "bad query parameter: url: `{url}` is not an http(s) address without spaces"
        )));
    }
    let page_url = params.url;
    if WARC_TYPES.contains(&content_type.as_str()) {
        if headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|n| n > WARC_BODY_LIMIT)
        {
            return Err(too_large());
        }
        let report = import_crawl(&archive, &access.origin, body).await?;
        return answer(&archive, &access.token, report, "a crawl").await;
    }
    if HTML_TYPES.contains(&content_type.as_str()) || FEED_TYPES.contains(&content_type.as_str()) {
        let report = import_document(
            &archive,
            &access.origin,
            &content_type,
            page_url.as_deref(),
            body,
        )
        .await?;
        return answer(&archive, &access.token, report, "a page or feed").await;
    }
    if !NDJSON_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!(
                "send NDJSON, one article per line, as {}; a web page as {}; a feed as {}; or a WARC crawl as {}",
                NDJSON_TYPES.join(" or "),
                HTML_TYPES.join(" or "),
                FEED_TYPES.join(" or "),
                WARC_TYPES.join(" or ")
            ),
        ));
    }
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > IMPORT_BODY_LIMIT)
    {
        return Err(too_large());
    }
    let mut importer = Importer::new(&archive, &access.origin);
    let mut stream = body.into_data_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let (mut line, mut received, mut overlong) = (0usize, 0u64, false);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::unreadable_body(&e))?;
        received += chunk.len() as u64;
        if received > IMPORT_BODY_LIMIT {
            importer.flush().await?;
            return Err(too_large());
        }
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let complete = piece.ends_with(b"\n");
            if !overlong {
                buffer.extend_from_slice(piece);
            }
            if buffer.len() > LINE_LIMIT {
                overlong = true;
                buffer.clear();
            }
            if complete {
                line += 1;
                if overlong {
                    importer.results.report.summary.lines += 1;
                    importer
                        .results
                        .fail(line, format!("line {line}: longer than {LINE_LIMIT} bytes"));
                    overlong = false;
                } else {
                    importer.line(line, &buffer).await?;
                }
                buffer.clear();
            }
        }
    }
    if !buffer.is_empty() || overlong {
        line += 1;
        if overlong {
            importer.results.report.summary.lines += 1;
            importer
                .results
                .fail(line, format!("line {line}: longer than {LINE_LIMIT} bytes"));
        } else {
            importer.line(line, &buffer).await?;
        }
    }
    importer.flush().await?;
    let report = importer.finish();
    let summary = &report.summary;
    tracing::info!(
        token = %access.token,
        created = summary.created,
        updated = summary.updated,
        unchanged = summary.unchanged,
        failed = summary.failed,
        "import through the API"
    );
    if !archive.wait_indexed(INDEX_WAIT).await? {
        tracing::warn!("the index did not catch up with an import in time");
    }
    Ok(Json(report).into_response())
}

//! `GET /api/v1/search/export`: every match of a search as CSV or NDJSON,
//! streamed, with the search's filters, story collapsing and order.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiQuery, lists, problem, required_query, schemas};
use crate::archive::Archive;
use crate::research::{Column, Format, Matches, Rows};
use crate::search::{self, Sort};
use crate::web::{ApiError, download};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// The query, as for `/search`.
    #[param(
        required = true,
        max_length = 1000,
        pattern = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000\ufffe-\uffff]"
    )]
    q: Option<String>,
    /// `csv` (RFC 4180, UTF-8, a header row; lists joined by `; `) or
    /// `ndjson` (one article a line: the import format plus `id`, `path`,
    /// `word_count` and `story_id`).
    #[param(required = true, value_type = Option<schemas::FormatDoc>, inline)]
    format: Option<Format>,
    #[param(schema_with = lists::from_schema)]
    from: Option<String>,
    #[param(schema_with = lists::to_schema)]
    to: Option<String>,
    /// Only articles from this source (its exact name).
    source: Option<String>,
    /// Only articles in this section.
    section: Option<String>,
    /// Only articles with this tag.
    tag: Option<String>,
    /// Only articles with this author in the byline.
    author: Option<String>,
    /// Only articles in this language (its primary language).
    language: Option<String>,
    /// `relevance` (default), `newest` or `oldest`: the order of the rows.
    #[param(value_type = Option<schemas::SortDoc>, inline)]
    sort: Option<Sort>,
    /// `true`: every copy of a story. By default a story appears once, as
    /// its best-matching article, as in `/search`.
    all_versions: Option<bool>,
    /// The columns (CSV, in this order) or fields (NDJSON): `id`,
    /// `published_at`, `headline`, `subheading`, `source`, `authors`,
    /// `section`, `tags`, `language`, `url`, `path`, `word_count`,
    /// `story_id`, `modified_at`, `paragraphs`, `summary_only`. `id` always
    /// comes. Default: CSV `id,published_at,headline,source,authors,section,tags,language,url,path,word_count,story_id`;
    /// NDJSON every field.
    #[param(value_type = Option<Vec<schemas::ExportFieldDoc>>, style = Form, explode = false, min_items = 1, inline)]
    fields: Option<String>,
}

/// Every match of a search as CSV or NDJSON, streamed: no page size and no
/// cap. The rows come in the search's order; `X-Total-Count` says how many
/// there are, the search's `total`. Downloads have a rate limit of their own.
#[utoipa::path(
    get,
    path = "/search/export",
    tag = "search",
    params(ExportParams),
    responses(
        (status = 200, description = "Every match, one row each", content(
            (String = "text/csv"),
            (String = "application/x-ndjson"),
        ), headers(
            ("x-total-count" = u64, description = "How many rows follow"),
        )),
        (status = 400, response = problem::BadRequest),
        (status = 429, response = problem::TooManyRequests),
        (status = 503, response = problem::Unavailable),
    )
)]
pub async fn export(
    State(archive): State<Archive>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let query = required_query(params.q)?;
    let format = params
        .format
        .ok_or_else(|| ApiError::bad_request("`format` is required: `csv` or `ndjson`"))?;
    let columns = params
        .fields
        .as_deref()
        .map(Column::parse_list)
        .transpose()
        .map_err(ApiError::bad_request)?;
    let request = search::Request {
        sort: params.sort.unwrap_or_default(),
        filters: search::Filters {
            dates: lists::date_span(params.from.as_deref(), params.to.as_deref())?,
            source: params.source,
            section: params.section,
            tag: params.tag,
            author: params.author,
            language: params.language,
        },
        all_versions: params.all_versions.unwrap_or(false),
        ..Default::default()
    };
    let rows = Rows::new(format, columns);
    let matches = Matches::start(&archive, &query, &request, rows.body()).await?;
    Ok(download::response(matches, rows))
}

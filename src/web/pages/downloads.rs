//! `/search.csv` and `/search.ndjson`: every match of the search page's
//! search, with its filters, order and story collapsing, streamed.

use axum::extract::State;
use axum::response::Response;

use super::Params;
use super::search::{SearchForm, Versions};
use crate::archive::Archive;
use crate::research::{Format, Matches, Rows};
use crate::search::Request;
use crate::web::{PageError, download};

/// `/search.csv?…`: every match of the page's search as CSV.
pub async fn csv(state: State<Archive>, form: Params<SearchForm>) -> Result<Response, PageError> {
    download(state, form, Format::Csv).await
}

/// `/search.ndjson?…`: every match of the page's search as NDJSON.
pub async fn ndjson(
    state: State<Archive>,
    form: Params<SearchForm>,
) -> Result<Response, PageError> {
    download(state, form, Format::Ndjson).await
}

/// Every match of the page's search, in its order, with its filters and
/// story collapsing.
async fn download(
    State(archive): State<Archive>,
    Params(form): Params<SearchForm>,
    format: Format,
) -> Result<Response, PageError> {
    let form = form.tidy();
    let (filters, notes) = form.filters();
    if let Some(note) = notes.into_iter().next() {
        return Err(PageError::bad_request(format!(
            "The download was not made: {note}."
        )));
    }
    if form.query().trim().is_empty() {
        return Err(PageError::bad_request(
            "A download needs a search: give one or more words in `q`.",
        ));
    }
    let request = Request {
        sort: form.sort.unwrap_or_default(),
        filters,
        all_versions: form.versions == Some(Versions::All),
        ..Default::default()
    };
    let rows = Rows::new(format, None);
    let matches = Matches::start(&archive, form.query(), &request, rows.body())
        .await
        .map_err(|e| {
            let mut error = PageError::from(e);
            error.query = form.query().to_owned();
            error
        })?;
    Ok(download::response(matches, rows))
}

//! The web's two error faces: a readable HTML page for browsers and an
//! RFC 9457 `application/problem+json` body for the API. Internal details are
//! logged once and never sent to the client.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::archive;

/// An error in the form the path's readers expect: problem+json under
/// `/api/`, a readable page elsewhere (for middleware, which answers
/// before any handler chooses).
pub fn error_for(
    path: &str,
    status: StatusCode,
    slug: &str,
    title: &'static str,
    detail: String,
) -> Response {
    if path.starts_with("/api/") {
        ApiError::new(status, slug, title, detail).into_response()
    } else {
        PageError {
            status,
            title,
            detail,
            query: String::new(),
        }
        .into_response()
    }
}

/// An error shown to a person in the browser.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    /// The search box's value on the error page.
    pub query: String,
}

impl PageError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            title: "Page not found",
            detail: detail.into(),
            query: String::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            title: "That request could not be understood",
            detail: detail.into(),
            query: String::new(),
        }
    }

    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            title: "That action is not available here",
            detail: "This address can only be read (GET); nothing here can be sent to it.".into(),
            query: String::new(),
        }
    }

    /// Our side failed (a bug, not the request): the details were logged
    /// with the request id the page names.
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "The archive could not answer",
            detail: format!(
                "Something went wrong on our side; it was logged as request {}. \
                 If it keeps happening, tell the archive's keepers that id.",
                super::request_id()
            ),
            query: String::new(),
        }
    }

    /// The article was deleted: its tombstone names what it was.
    pub fn gone(tombstone: &crate::store::Tombstone) -> Self {
        let what = match (&tombstone.headline, tombstone.published_at) {
            (Some(headline), Some(at)) => {
                format!("“{headline}”, published {},", at.format("%-d %B %Y"))
            }
            (Some(headline), None) => format!("“{headline}”"),
            (None, _) => format!("Article {}", tombstone.id),
        };
        Self {
            status: StatusCode::GONE,
            title: "This article was deleted",
            detail: format!(
                "{what} was deleted from the archive on {}. Its address will not be given \
                 to another article.",
                tombstone.deleted_at.format("%-d %B %Y")
            ),
            query: String::new(),
        }
    }
}

impl From<archive::Error> for PageError {
    fn from(e: archive::Error) -> Self {
        match e {
            archive::Error::Query(q) => PageError::bad_request(q.to_string()),
            archive::Error::Store(e @ crate::store::Error::NulInText) => {
                PageError::bad_request(e.to_string())
            }
            archive::Error::Rebuilding(progress) => PageError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                title: "Search is catching up",
                detail: format!(
                    "The search index is being rebuilt from the archive ({progress}). \
                     Search will be back in a moment; browsing by date, source, section, \
                     tag and author works meanwhile."
                ),
                query: String::new(),
            },
            archive::Error::Store(crate::store::Error::Full) => PageError {
                status: StatusCode::INSUFFICIENT_STORAGE,
                title: "The archive's disk is full",
                detail: "Nothing could be saved; the archive's keepers need to free space.".into(),
                query: String::new(),
            },
            other => {
                let page = PageError::internal();
                tracing::error!(error = %other, request_id = %super::request_id(), "request failed");
                page
            }
        }
    }
}

impl From<crate::store::Error> for PageError {
    fn from(e: crate::store::Error) -> Self {
        archive::Error::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: super::pages::Layout,
    status: u16,
    title: &'a str,
    detail: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            layout: super::pages::Layout::with_query(&self.query),
            status: self.status.as_u16(),
            title: self.title,
            detail: &self.detail,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page failed");
                (self.status, self.detail).into_response()
            }
        }
    }
}

/// An API error, sent as RFC 9457 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ApiError {
    /// What kind of problem: `urn:newsarchive:problem:<name>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: &'static str,
    /// The HTTP status code.
    #[serde(serialize_with = "serialize_status")]
    #[schema(value_type = u16)]
    pub status: StatusCode,
    /// What went wrong with this request, and what to do about it.
    pub detail: String,
    /// Headers the answer needs besides the body, e.g. `WWW-Authenticate`.
    #[serde(skip)]
    pub headers: Vec<(axum::http::HeaderName, &'static str)>,
}

fn serialize_status<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("urn:newsarchive:problem:{slug}"),
            title,
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: axum::http::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// The request body could not be read: 408 when it stalled past the
    /// body deadline, 400 otherwise.
    pub fn unreadable_body(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if e.is::<tower_http::timeout::TimeoutError>() {
                return Self::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request-timeout",
                    "Request Timeout",
                    "the request body stopped arriving for longer than the server waits; send it again",
                );
            }
            cause = e.source();
        }
        Self::bad_request(format!("the request body could not be read: {error}"))
    }

    /// Article `id` was deleted (its tombstone is kept; its id is never reused).
    pub fn gone(id: i64) -> Self {
        Self::new(
            StatusCode::GONE,
            "gone",
            "Gone",
            format!(
                "article {id} was deleted; its revisions are at /api/v1/articles/{id}/revisions"
            ),
        )
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }
}

impl From<archive::Error> for ApiError {
    fn from(e: archive::Error) -> Self {
        use crate::store::Error as Store;
        match e {
            archive::Error::Store(Store::NotFound(id)) => {
                ApiError::not_found(format!("there is no article with id `{id}`"))
            }
            archive::Error::Store(Store::Gone(id)) => ApiError::gone(id),
            archive::Error::Store(e @ Store::NulInText) => ApiError::bad_request(e.to_string()),
            archive::Error::Store(Store::FeedNotFound(which)) => {
                ApiError::not_found(format!("no followed feed has the id or URL `{which}`"))
            }
            archive::Error::Store(Store::RevisionMismatch {
                id,
                current,
                expected,
            }) => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
                format!(
                    "article {id} is at revision {current}, not {expected}: fetch it again and retry"
                ),
            ),
            archive::Error::Store(Store::UrlTaken(id)) => ApiError::new(
                StatusCode::CONFLICT,
                "url-taken",
                "Conflict",
                format!(
                    "article {id} already has this URL: update it with PUT or PATCH /api/v1/articles/{id}"
                ),
            ),
            archive::Error::Query(q) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "Bad query",
                q.to_string(),
            ),
            archive::Error::Rebuilding(progress) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "index-rebuilding",
                "Search index rebuilding",
                format!("the search index is being rebuilt from the database ({progress}); retry shortly"),
            )
            .with_header(header::RETRY_AFTER, "10"),
            archive::Error::Store(Store::Full) => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage-full",
                "Insufficient storage",
                "the archive's disk is full: nothing from this request was saved; \
                 retry once space has been freed",
            ),
            other => {
                let id = super::request_id();
                tracing::error!(error = %other, request_id = %id, "API request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal server error",
                    format!(
                        "the archive failed to answer (a bug, not the request); it was logged \
                         as request {id}"
                    ),
                )
            }
        }
    }
}

impl From<crate::store::Error> for ApiError {
    fn from(e: crate::store::Error) -> Self {
        archive::Error::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self).expect("problem serialises");
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            response
                .headers_mut()
                .insert(name, axum::http::HeaderValue::from_static(value));
        }
        response
    }
}

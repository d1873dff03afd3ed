//! HTML pages: each handler beside the askama view it renders. This file
//! holds what the pages share: the layout, parameters, article cards, pagers.

pub mod api_docs;
pub mod archive;
pub mod article;
pub mod compare;
pub mod downloads;
pub mod feeds;
pub mod history;
pub mod lists;
pub mod search;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Html;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::PageError;
use crate::article::{Article, format_date};
use crate::store::NameKind;

/// Articles per page on lists.
pub const PER_PAGE: u32 = 20;
/// Deepest page number accepted.
pub const MAX_PAGE: u32 = 10_000;

/// What the shared page frame needs.
pub struct Layout {
    pub css: &'static str,
    /// The search box's value.
    pub query: String,
    /// The page's language (`<html lang>`): English, the interface's,
    /// unless the page is one article in another language.
    pub lang: String,
}

impl Layout {
    pub fn with_query(query: &str) -> Layout {
        Layout {
            css: super::STYLESHEET_PATH.as_str(),
            query: query.to_owned(),
            lang: "en".to_owned(),
        }
    }
}

/// Query-string parameters; a malformed one gets a readable 400 page.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Params)
            .map_err(|e| PageError::bad_request(format!("The address has a bad parameter: {e}.")))
    }
}

/// `?page=N` on lists.
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<u32>,
}

impl PageQuery {
    /// The page number, checked.
    pub fn page(&self) -> Result<u32, PageError> {
        check_page(self.page)
    }
}

pub fn render(page: &impl Template) -> Result<Html<String>, PageError> {
    page.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "rendering a page failed");
        PageError::internal()
    })
}

pub fn check_page(page: Option<u32>) -> Result<u32, PageError> {
    match page.unwrap_or(1) {
        0 => Err(PageError::bad_request("Page numbers start at 1.")),
        p if p > MAX_PAGE => Err(PageError::bad_request(format!(
            "Page numbers go up to {MAX_PAGE}."
        ))),
        p => Ok(p),
    }
}

/// Characters escaped in a path segment: everything but letters, digits and `-._~`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The page of a source, section, tag or author.
pub fn name_path(kind: NameKind, name: &str) -> String {
    format!("{}/{}", kind_path(kind), utf8_percent_encode(name, SEGMENT))
}

/// The index page of a kind of name.
pub fn kind_path(kind: NameKind) -> &'static str {
    match kind {
        NameKind::Source => "/sources",
        NameKind::Section => "/sections",
        NameKind::Tag => "/tags",
        NameKind::Author => "/authors",
    }
}

/// A link: where it goes and what it says.
pub struct Link {
    pub href: String,
    pub text: String,
}

impl Link {
    pub fn to(kind: NameKind, name: &str) -> Link {
        Link {
            href: name_path(kind, name),
            text: name.to_owned(),
        }
    }
}

/// An article as a list shows it.
pub struct ArticleCard {
    pub path: String,
    pub headline: String,
    pub standfirst: String,
    pub source: Option<Link>,
    pub authors: Vec<Link>,
    pub date_iso: Option<String>,
    pub date_text: Option<String>,
}

impl From<&Article> for ArticleCard {
    fn from(a: &Article) -> Self {
        let c = &a.content;
        let standfirst = c
            .subheading
            .clone()
            .or_else(|| c.paragraphs.first().map(|p| shorten(p, 220)))
            .unwrap_or_default();
        ArticleCard {
            path: a.path(),
            headline: c.headline.clone(),
            standfirst,
            source: c
                .source
                .as_ref()
                .map(|s| Link::to(NameKind::Source, &s.name)),
            authors: c
                .authors
                .iter()
                .map(|n| Link::to(NameKind::Author, n))
                .collect(),
            date_iso: c.published_at.as_ref().map(format_date),
            date_text: a.display_date(),
        }
    }
}

/// Cuts a text at a word boundary near `max` characters.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':']))
}

/// Links to the neighbouring pages of a paginated list.
#[derive(Default)]
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl Pager {
    /// Pages of `per_page` items under `path` (page 1 has no parameter).
    pub fn new(path: &str, page: u32, per_page: u32, total: i64) -> Pager {
        let at = |p: u32| {
            let sep = if path.contains('?') { '&' } else { '?' };
            if p == 1 {
                path.to_owned()
            } else {
                format!("{path}{sep}page={p}")
            }
        };
        Pager {
            newer: (page > 1).then(|| at(page - 1)),
            older: (i64::from(page) * i64::from(per_page) < total && page < MAX_PAGE)
                .then(|| at(page + 1)),
        }
    }
}

/// A page asked for with a method other than GET or HEAD.
pub async fn method_not_allowed() -> PageError {
    PageError::method_not_allowed()
}

/// Any address we have no page for.
pub async fn not_found() -> PageError {
    PageError::not_found("There is no page at this address. Try searching the archive instead.")
}

/// A count with its thousands separated by commas: 12345 → "12,345".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

//! An article's history page: its revisions (when, what made each, which
//! fields changed) and what changed between any two of them, word by word,
//! in the headline and the paragraphs, the other fields side by side.
//! Deleted articles keep their history.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, Params, render};
use crate::archive::Archive;
use crate::article::{NewArticle, article_path};
use crate::revision::{self, Field, Piece};
use crate::store::{RevisionInfo, summarise};
use crate::web::PageError;

/// `?from=N&to=M`: the two revisions to compare.
#[derive(Deserialize, Default)]
pub struct Compare {
    from: Option<i64>,
    to: Option<i64>,
}

/// One revision in the list.
struct RevisionRow {
    revision: i64,
    iso: String,
    when: String,
    origin: Option<String>,
    /// "headline, paragraphs"; None for the first revision held.
    changed: Option<String>,
    /// The link comparing it with the revision before.
    compare_href: Option<String>,
}

/// A field other than the headline and the paragraphs, before and after.
struct FieldChange {
    name: &'static str,
    before: String,
    after: String,
}

/// What changed between two revisions.
struct Difference {
    from: i64,
    to: i64,
    headline: Vec<Piece>,
    headline_changed: bool,
    paragraphs: Vec<Vec<Piece>>,
    paragraphs_changed: bool,
    fields: Vec<FieldChange>,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    headline: String,
    /// The article's page; None once it was deleted.
    article_href: Option<String>,
    history_href: String,
    rows: Vec<RevisionRow>,
    difference: Option<Difference>,
    revisions: Vec<i64>,
}

/// `/articles/{id}/{slug}/history`: the revisions, and with `from` and `to`
/// what changed between two of them.
pub async fn page(
    State(archive): State<Archive>,
    Path((id, slug)): Path<(String, String)>,
    Params(compare): Params<Compare>,
) -> Result<Response, PageError> {
    let missing = || PageError::not_found(format!("There is no article {id} in the archive."));
    let id: i64 = id.parse().map_err(|_| missing())?;
    let store = archive.store();
    let (current_slug, article_href) = match store.article(id).await? {
        Some(a) => (a.slug.clone(), Some(a.path())),
        None => match store.tombstone(id).await? {
            Some(t) => (t.slug, None),
            None => return Err(missing()),
        },
    };
    let history_href = format!("{}/history", article_path(id, &current_slug));
    if slug != current_slug {
        return Ok(Redirect::permanent(&history_href).into_response());
    }
    let records = store.article_history(id).await?;
    let Some(latest) = records.last() else {
        return Err(missing());
    };
    let revisions: Vec<i64> = records.iter().map(|r| r.revision).collect();
    let difference = match (compare.from, compare.to) {
        (None, None) => None,
        (from, to) => {
            let to = to.unwrap_or(latest.revision);
            let from = from.unwrap_or(to - 1);
            let record = |n: i64| {
                records.iter().find(|r| r.revision == n).ok_or_else(|| {
                    PageError::bad_request(format!(
                        "Article {id} has no revision {n}; it has revisions {}.",
                        revisions
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            };
            let (old, new) = (record(from)?, record(to)?);
            Some(difference(from, &old.content, to, &new.content))
        }
    };
    let headline = latest.content.headline.clone();
    let infos = summarise(&records);
    let page = HistoryPage {
        layout: Layout::with_query(""),
        rows: infos
            .iter()
            .rev()
            .map(|r| row(&history_href, r, &revisions))
            .collect(),
        headline,
        article_href,
        history_href,
        difference,
        revisions,
    };
    Ok(render(&page)?.into_response())
}

fn row(history_href: &str, info: &RevisionInfo, revisions: &[i64]) -> RevisionRow {
    let before = revisions.iter().rev().find(|&&r| r < info.revision);
    RevisionRow {
        revision: info.revision,
        iso: crate::article::format_date(&info.made_at),
        when: info.made_at.format("%-d %B %Y, %H:%M UTC").to_string(),
        origin: info.origin.clone(),
        changed: info.changed.map(|c| {
            if c.is_empty() {
                "nothing".to_owned()
            } else {
                c.to_string()
            }
        }),
        compare_href: before.map(|b| format!("{history_href}?from={b}&to={}", info.revision)),
    }
}

/// What changed from revision `from` (`old`) to `to` (`new`).
fn difference(from: i64, old: &NewArticle, to: i64, new: &NewArticle) -> Difference {
    let changed = revision::changed(old, new);
    let fields = changed
        .iter()
        .filter(|f| !matches!(f, Field::Headline | Field::Paragraphs))
        .map(|f| FieldChange {
            name: f.name(),
            before: field_text(old, f),
            after: field_text(new, f),
        })
        .collect();
    Difference {
        from,
        to,
        headline: revision::diff_words(&old.headline, &new.headline),
        headline_changed: changed.contains(Field::Headline),
        paragraphs: revision::diff_paragraphs(&old.paragraphs, &new.paragraphs),
        paragraphs_changed: changed.contains(Field::Paragraphs),
        fields,
    }
}

/// A field's value as the history shows it ("(none)" when absent).
fn field_text(article: &NewArticle, field: Field) -> String {
    let text = match field {
        Field::Headline => article.headline.clone(),
        Field::Subheading => article.subheading.clone().unwrap_or_default(),
        Field::Authors => article.authors.join(", "),
        Field::Source => article
            .source
            .as_ref()
            .map_or_else(String::new, |s| match &s.site {
                Some(site) => format!("{} ({site})", s.name),
                None => s.name.clone(),
            }),
        Field::Url => article.url.clone().unwrap_or_default(),
        Field::PublishedAt => article
            .published_at
            .as_ref()
            .map(crate::article::format_date)
            .unwrap_or_default(),
        Field::ModifiedAt => article
            .modified_at
            .as_ref()
            .map(crate::article::format_date)
            .unwrap_or_default(),
        Field::Section => article.section.clone().unwrap_or_default(),
        Field::Tags => article.tags.join(", "),
        Field::Language => article.language.clone().unwrap_or_default(),
        Field::Paragraphs => format!("{} paragraphs", article.paragraphs.len()),
        Field::SummaryOnly => if article.summary_only {
            "only a feed's summary"
        } else {
            "the full text"
        }
        .to_owned(),
    };
    if text.is_empty() {
        "(none)".to_owned()
    } else {
        text
    }
}

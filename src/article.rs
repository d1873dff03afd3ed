//! The article as a newsroom knows it: validated domain types, the import/API
//! field format, slugs, word counts and content hashes. No I/O here.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Longest headline we accept, in characters.
pub const MAX_HEADLINE_CHARS: usize = 1_000;
/// Most paragraphs one article may have.
pub const MAX_PARAGRAPHS: usize = 10_000;
/// Longest language tag (BCP 47 allows 35 characters).
const MAX_LANGUAGE_CHARS: usize = 35;

/// The characters the archive treats as blank: Unicode white space,
/// control characters and the two noncharacters XML forbids (U+FFFE,
/// U+FFFF). Runs of them collapse to one space, and a value made
/// only of them is empty. Kept as ranges so that the API schema's patterns
/// (built from the same table) say exactly what the validation does.
const BLANK: &[(char, char)] = &[
    ('\u{0}', '\u{20}'),
    ('\u{7f}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
    ('\u{fffe}', '\u{ffff}'),
];

/// Whether `c` is white space or a control character.
pub fn is_blank(c: char) -> bool {
    BLANK.iter().any(|&(from, to)| (from..=to).contains(&c))
}

/// The blank characters as the inside of a regular-expression class, in
/// `\uXXXX` escapes that ECMA-262, Python and Rust regexes all read alike.
fn blank_class() -> String {
    BLANK
        .iter()
        .map(|&(from, to)| {
            if from == to {
                format!("\\u{:04x}", from as u32)
            } else {
                format!("\\u{:04x}-\\u{:04x}", from as u32, to as u32)
            }
        })
        .collect()
}

/// A pattern matching values with at least one character that is not blank.
pub fn not_blank_pattern() -> String {
    format!("[^{}]", blank_class())
}

/// A pattern matching exactly the URLs [`ArticleInput::validate`] accepts.
pub fn url_pattern() -> String {
    let blank = blank_class();
    format!("^[Hh][Tt][Tt][Pp][Ss]?://[^/{blank}][^{blank}]*$")
}

/// A publication an article came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Publication name, e.g. "Dawn".
    pub name: String,
    /// The publication's site, e.g. "https://www.dawn.com".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// An article's content as a writer supplies it (an import file, the API).
/// Built only through [`ArticleInput::validate`], so every value is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewArticle {
    pub headline: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subheading: Option<String>,
    pub authors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(with = "opt_rfc3339", skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// When the publisher last changed the story, as its page says.
    #[serde(with = "opt_rfc3339", skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub paragraphs: Vec<String>,
    /// The body is only the summary a feed gave, not the full story.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub summary_only: bool,
}

/// An article as the archive holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub revision: i64,
    #[serde(flatten)]
    pub content: NewArticle,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub ingested_at: DateTime<Utc>,
    pub word_count: i64,
    pub content_hash: String,
    /// The story this article tells: the id of its first article. Equal to
    /// `id` for an article no other copy was found for.
    pub story_id: i64,
    /// Every paragraph as imported, when some of them are hidden as
    /// boilerplate its source repeats on every page (`content.paragraphs`
    /// holds the ones readers see). The record is this, never the cut text.
    pub captured: Option<Vec<String>>,
    /// What made the current revision ("import of FILE", "API, token NAME",
    /// "feed URL"); None for revisions made before origins were kept.
    pub origin: Option<String>,
}

impl Article {
    /// The article as the archive's record holds it: every paragraph as
    /// imported, boilerplate included.
    pub fn record(&self) -> NewArticle {
        match &self.captured {
            Some(all) => NewArticle {
                paragraphs: all.clone(),
                ..self.content.clone()
            },
            None => self.content.clone(),
        }
    }

    /// How many paragraphs are hidden as boilerplate.
    pub fn hidden_paragraphs(&self) -> usize {
        self.captured
            .as_ref()
            .map_or(0, |all| all.len() - self.content.paragraphs.len())
    }

    /// The article's permalink path on the site.
    pub fn path(&self) -> String {
        article_path(self.id, &self.slug)
    }

    /// The date shown to readers: published when known.
    pub fn display_date(&self) -> Option<String> {
        self.content
            .published_at
            .map(|d| d.format("%-d %B %Y").to_string())
    }
}

/// The permalink path of an article.
pub fn article_path(id: i64, slug: &str) -> String {
    format!("/articles/{id}/{slug}")
}

/// Why an article was refused. The message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// The source field accepts a plain name or `{ "name": ..., "site": ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "a source name, or an object with a `name` and optionally a `site` URL"
)]
pub enum SourceInput {
    /// The publication's name; a blank name means no source.
    Name(String),
    Full(Source),
}

/// The import and API format of an article. Unknown fields are refused.
/// (The API's document describes it in `web::api::schemas`, whose tests
/// hold the two to the same fields.)
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// Required; white space is collapsed.
    pub headline: Option<String>,
    pub subheading: Option<String>,
    /// Bylines, in order; blank and repeated names are dropped.
    #[serde(default)]
    pub authors: Vec<String>,
    pub source: Option<SourceInput>,
    /// The story's address: an http(s) URL without spaces. Articles are matched by it.
    pub url: Option<String>,
    pub published_at: Option<String>,
    pub modified_at: Option<String>,
    pub section: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A language tag such as `en` or `en-GB`.
    pub language: Option<String>,
    /// The body as paragraphs; blank ones are dropped.
    pub paragraphs: Option<Vec<String>>,
    /// The body as one text, paragraphs separated by blank lines (instead of `paragraphs`).
    pub body: Option<String>,
    /// True when the body is only a summary (a feed item without its full text).
    #[serde(default)]
    pub summary_only: bool,
}

impl ArticleInput {
    /// Checks every field and builds the article.
    pub fn validate(self) -> Result<NewArticle, ValidationError> {
        let raw_headline = self.headline.unwrap_or_default();
        if raw_headline.chars().count() > MAX_HEADLINE_CHARS {
            return Err(ValidationError::new(
                "headline",
                format!("longer than {MAX_HEADLINE_CHARS} characters"),
            ));
        }
        let headline = clean_line(&raw_headline);
        if headline.is_empty() {
            return Err(ValidationError::new("headline", "a headline is required"));
        }
        if self
            .paragraphs
            .as_ref()
            .is_some_and(|p| p.len() > MAX_PARAGRAPHS)
        {
            return Err(ValidationError::new(
                "paragraphs",
                format!("more than {MAX_PARAGRAPHS} paragraphs"),
            ));
        }
        let paragraphs = match (self.paragraphs, self.body) {
            (Some(_), Some(_)) => {
                return Err(ValidationError::new(
                    "body",
                    "give either `paragraphs` or `body`, not both",
                ));
            }
            (Some(list), None) => list.iter().map(|p| clean_paragraph(p)).collect(),
            (None, Some(body)) => split_paragraphs(&body),
            (None, None) => Vec::new(),
        };
        let paragraphs: Vec<String> = paragraphs.into_iter().filter(|p| !p.is_empty()).collect();
        if paragraphs.len() > MAX_PARAGRAPHS {
            return Err(ValidationError::new(
                "paragraphs",
                format!("more than {MAX_PARAGRAPHS} paragraphs"),
            ));
        }
        let url = self.url.map(|u| check_url("url", u)).transpose()?;
        let source = match self.source {
            None => None,
            Some(SourceInput::Name(name)) => {
                non_empty(Some(name)).map(|name| Source { name, site: None })
            }
            Some(SourceInput::Full(Source { name, site })) => {
                let name = clean_line(&name);
                if name.is_empty() {
                    return Err(ValidationError::new("source", "the source needs a name"));
                }
                let site = site.map(|s| check_url("source.site", s)).transpose()?;
                Some(Source { name, site })
            }
        };
        let published_at = date_field("published_at", self.published_at)?;
        let modified_at = date_field("modified_at", self.modified_at)?;
        let language = self.language.map(|l| l.to_ascii_lowercase());
        if let Some(l) = &language
            && !((1..=MAX_LANGUAGE_CHARS).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(ValidationError::new(
                "language",
                format!("`{l}` is not a language tag such as `en` or `en-GB`"),
            ));
        }
        Ok(NewArticle {
            headline,
            subheading: non_empty(self.subheading),
            authors: clean_list(self.authors),
            source,
            url,
            published_at,
            modified_at,
            section: non_empty(self.section),
            tags: clean_list(self.tags),
            language,
            paragraphs,
            summary_only: self.summary_only,
        })
    }
}

/// Reads an optional date field in the API's date forms.
fn date_field(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<DateTime<Utc>>, ValidationError> {
    value
        .map(|d| {
            parse_iso_date(&d).ok_or_else(|| {
                ValidationError::new(
                    field,
                    format!("`{d}` is not an ISO 8601 date (2022-05-16 or 2022-05-16T09:30:00Z)"),
                )
            })
        })
        .transpose()
}

impl NewArticle {
    /// The article with the language of its text (`language::detect`) when
    /// it does not say; as it is when it does, or when its text is too short
    /// or mixed to tell. The write path stores what this gives, after the
    /// merge rule, so a copy without a language keeps the record's.
    pub fn in_its_language(&self) -> Cow<'_, NewArticle> {
        if self.language.is_some() {
            return Cow::Borrowed(self);
        }
        match crate::language::detect(&self.headline, &self.paragraphs) {
            Some(code) => Cow::Owned(NewArticle {
                language: Some(code.to_owned()),
                ..self.clone()
            }),
            None => Cow::Borrowed(self),
        }
    }

    /// The language the article says it is in, or else the one its text is
    /// in (what `in_its_language` would store), without copying it.
    pub fn language_of_text(&self) -> Option<&str> {
        self.language
            .as_deref()
            .or_else(|| crate::language::detect(&self.headline, &self.paragraphs))
    }

    /// Number of words in the body.
    pub fn word_count(&self) -> i64 {
        count_words(self.paragraphs.iter().map(String::as_str))
    }

    /// sha256 over everything the writer supplied: equal hashes mean "unchanged".
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("an article always serialises");
        hex(&Sha256::digest(canonical))
    }

    /// sha256 over the body: finds the same story imported without a URL.
    pub fn body_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for p in &self.paragraphs {
            hasher.update(p.as_bytes());
            hasher.update(b"\n\n");
        }
        hex(&hasher.finalize())
    }

    /// Folded headline, source and publication day: finds the same story after its body was edited.
    pub fn headline_key(&self) -> String {
        let fold = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric() || c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!(
            "{}|{}|{}",
            fold(&self.headline),
            self.source
                .as_ref()
                .map(|s| fold(&s.name))
                .unwrap_or_default(),
            self.published_at
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        )
    }

    /// The normalised key its URL is matched by (see `crate::story::url_key`).
    pub fn url_key(&self) -> Option<String> {
        self.url.as_deref().map(crate::story::match_key)
    }

    /// A URL-safe slug made from the headline.
    pub fn slug(&self) -> String {
        make_slug(&self.headline)
    }
}

/// Words in paragraphs: runs of non-space holding a letter or digit.
pub fn count_words<'a>(paragraphs: impl Iterator<Item = &'a str>) -> i64 {
    paragraphs
        .flat_map(str::split_whitespace)
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count() as i64
}

/// A URL-safe slug of at most about 80 characters, cut at a word boundary.
pub fn make_slug(headline: &str) -> String {
    let full = slug::slugify(headline);
    let mut out = String::new();
    for word in full.split('-') {
        if !out.is_empty() && out.len() + word.len() + 1 > 80 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        "article".to_owned()
    } else {
        out
    }
}

/// Parses an ISO 8601 date or date-time; a date alone means midnight UTC and
/// a time without an offset is taken as UTC.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Parses exactly the API's date forms: an RFC 3339 date-time
/// (`2022-05-16T09:30:00+05:00`) or a full date (`2022-05-16`, midnight UTC).
pub fn parse_iso_date(s: &str) -> Option<DateTime<Utc>> {
    let bytes = s.as_bytes();
    if bytes.len() > 10 {
        if !matches!(bytes[10], b'T' | b't') {
            return None;
        }
        return DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.with_timezone(&Utc));
    }
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Formats a timestamp the way the archive stores and serves it.
pub fn format_date(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Splits a text into paragraphs at blank lines; lines inside a paragraph are
/// joined by a space, and runs of white space inside it collapse to one space.
pub fn split_paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim_matches(is_blank);
        if line.is_empty() {
            if !current.is_empty() {
                out.push(clean_paragraph(&current.join(" ")));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(clean_paragraph(&current.join(" ")));
    }
    out
}

fn clean_paragraph(p: &str) -> String {
    p.split(is_blank)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn clean_line(s: &str) -> String {
    clean_paragraph(s)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| clean_line(&s)).filter(|s| !s.is_empty())
}

fn clean_list(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let item = clean_line(&item);
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Whether `url` is what the archive accepts as a web address: http(s),
/// a host, no blanks (exactly [`url_pattern`]).
pub fn is_web_url(url: &str) -> bool {
    let rest = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"));
    rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/') && !rest.contains(is_blank))
}

fn check_url(field: &'static str, url: String) -> Result<String, ValidationError> {
    match is_web_url(&url) {
        true => Ok(url),
        false => Err(ValidationError::new(
            field,
            format!(
                "`{url}` is not an http(s) URL without spaces (leave the field out if there is none)"
            ),
        )),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(d))
    }
}

mod opt_rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_date(d)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Result<NewArticle, ValidationError> {
        serde_json::from_str::<ArticleInput>(json)
            .unwrap()
            .validate()
    }

    #[test]
    fn a_headline_is_required() {
        let err = input(r#"{"paragraphs": ["text"]}"#).unwrap_err();
        assert_eq!(err.field, "headline");
    }

    #[test]
    fn urls_must_be_http() {
        let err = input(r#"{"headline": "H", "url": "javascript:alert(1)"}"#).unwrap_err();
        assert_eq!(err.field, "url");
        assert!(input(r#"{"headline": "H", "url": "https://example.org/a"}"#).is_ok());
    }

    #[test]
    fn dates_are_iso_8601() {
        let a = input(r#"{"headline": "H", "published_at": "2022-05-16"}"#).unwrap();
        assert_eq!(
            format_date(&a.published_at.unwrap()),
            "2022-05-16T00:00:00Z"
        );
        let a = input(r#"{"headline": "H", "published_at": "2022-05-16T09:30:00+05:00"}"#).unwrap();
        assert_eq!(
            format_date(&a.published_at.unwrap()),
            "2022-05-16T04:30:00Z"
        );
        let err = input(r#"{"headline": "H", "published_at": "16/05/2022"}"#).unwrap_err();
        assert_eq!(err.field, "published_at");
    }

    #[test]
    fn unknown_fields_are_named() {
        let err =
            serde_json::from_str::<ArticleInput>(r#"{"headline": "H", "titel": "x"}"#).unwrap_err();
        assert!(err.to_string().contains("titel"), "{err}");
    }

    #[test]
    fn source_is_a_name_or_an_object() {
        let a = input(r#"{"headline": "H", "source": "Dawn"}"#).unwrap();
        assert_eq!(a.source.unwrap().name, "Dawn");
        let a =
            input(r#"{"headline": "H", "source": {"name": "Dawn", "site": "https://dawn.com"}}"#)
                .unwrap();
        assert_eq!(a.source.unwrap().site.as_deref(), Some("https://dawn.com"));
    }

    #[test]
    fn slugs_are_short_and_ascii() {
        assert_eq!(
            make_slug("Pakistan’s “new” govt & the US"),
            "pakistan-s-new-govt-the-us"
        );
        assert!(make_slug(&"word ".repeat(100)).len() <= 80);
        assert_eq!(make_slug("“”"), "article");
    }

    #[test]
    fn hashes_tell_content_changes_apart() {
        let a = input(r#"{"headline": "H", "paragraphs": ["one", "two"]}"#).unwrap();
        let mut b = a.clone();
        b.tags.push("x".into());
        assert_ne!(a.content_hash(), b.content_hash());
        assert_eq!(a.body_hash(), b.body_hash());
        assert_eq!(a.word_count(), 2);
    }
}

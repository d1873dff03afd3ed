//! Revisions as decisions over plain data: what made a revision, how an
//! incoming copy merges into the article it matched (never erasing what the
//! copy does not know), which fields two versions differ in, and the word
//! by word difference between them. No I/O here; the store saves the result.

use std::fmt;

use crate::article::NewArticle;

/// What made a revision, as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `newsarchive import` (or `POST /api/v1/import`) of the named file.
    File(String),
    /// The JSON API, with the name of the token that wrote.
    Api { token: String },
    /// A followed feed, by its URL.
    Feed(String),
    /// Anything else the archive does by itself (named).
    Archive(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(name) => write!(f, "import of {name}"),
            Origin::Api { token } => write!(f, "API, token {token}"),
            Origin::Feed(url) => write!(f, "feed {}", public_address(url)),
            Origin::Archive(what) => f.write_str(what),
        }
    }
}

/// A feed's address as the public history may show it: without the user
/// name, password and query string that can carry credentials
/// (`https://user:key@example.org/rss?token=x` is `https://example.org/rss`).
/// A path that is not a URL (a followed file) is shown as it is.
pub fn public_address(address: &str) -> String {
    let Ok(mut url) = url::Url::parse(address) else {
        return address.to_owned();
    };
    if !url.has_host() {
        return address.to_owned();
    }
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// A field of an article, as revisions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Headline,
    Subheading,
    Authors,
    Source,
    Url,
    PublishedAt,
    ModifiedAt,
    Section,
    Tags,
    Language,
    Paragraphs,
    SummaryOnly,
}

impl Field {
    /// Every field, in the order lists name them.
    pub const ALL: [Field; 12] = [
        Field::Headline,
        Field::Subheading,
        Field::Authors,
        Field::Source,
        Field::Url,
        Field::PublishedAt,
        Field::ModifiedAt,
        Field::Section,
        Field::Tags,
        Field::Language,
        Field::Paragraphs,
        Field::SummaryOnly,
    ];

    /// The field's name in the import format and the API.
    pub fn name(self) -> &'static str {
        match self {
            Field::Headline => "headline",
            Field::Subheading => "subheading",
            Field::Authors => "authors",
            Field::Source => "source",
            Field::Url => "url",
            Field::PublishedAt => "published_at",
            Field::ModifiedAt => "modified_at",
            Field::Section => "section",
            Field::Tags => "tags",
            Field::Language => "language",
            Field::Paragraphs => "paragraphs",
            Field::SummaryOnly => "summary_only",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of fields (the ones a revision changed), cheap to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields(u16);

impl Fields {
    pub fn insert(&mut self, field: Field) {
        self.0 |= field.bit();
    }

    pub fn contains(self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The fields in the set, in [`Field::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// The names of the fields, in order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Field::name).collect()
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

/// The fields in which `old` and `new` differ.
pub fn changed(old: &NewArticle, new: &NewArticle) -> Fields {
    let mut fields = Fields::default();
    let mut note = |field, differs: bool| {
        if differs {
            fields.insert(field);
        }
    };
    note(Field::Headline, old.headline != new.headline);
    note(Field::Subheading, old.subheading != new.subheading);
    note(Field::Authors, old.authors != new.authors);
    note(Field::Source, old.source != new.source);
    note(Field::Url, old.url != new.url);
    note(Field::PublishedAt, old.published_at != new.published_at);
    note(Field::ModifiedAt, old.modified_at != new.modified_at);
    note(Field::Section, old.section != new.section);
    note(Field::Tags, old.tags != new.tags);
    note(Field::Language, old.language != new.language);
    note(Field::Paragraphs, old.paragraphs != new.paragraphs);
    note(Field::SummaryOnly, old.summary_only != new.summary_only);
    fields
}

/// The merge rule for an incoming copy of an article the archive already
/// holds (an import, a feed item): every field the copy carries replaces the
/// record's, and a field it lacks (absent or empty) keeps the record's value,
/// because the copy does not know it, not because it was cleared. A feed's
/// summary never replaces a full text. Only the API clears a field, by
/// replacing the whole article.
pub fn merge(record: &NewArticle, incoming: &NewArticle) -> NewArticle {
    fn pick<T: Clone>(incoming: &Option<T>, record: &Option<T>) -> Option<T> {
        incoming.clone().or_else(|| record.clone())
    }
    fn pick_list(incoming: &[String], record: &[String]) -> Vec<String> {
        if incoming.is_empty() {
            record
        } else {
            incoming
        }
        .to_vec()
    }
    let source = match (&incoming.source, &record.source) {
        // The same outlet named without its site keeps the site known.
        (Some(new), Some(old)) if new.name == old.name && new.site.is_none() => Some(old.clone()),
        (new, old) => pick(new, old),
    };
    let summary_over_text = incoming.summary_only && !record.summary_only;
    let (paragraphs, summary_only) =
        if incoming.paragraphs.is_empty() || (summary_over_text && !record.paragraphs.is_empty()) {
            (record.paragraphs.clone(), record.summary_only)
        } else {
            (incoming.paragraphs.clone(), incoming.summary_only)
        };
    NewArticle {
        headline: incoming.headline.clone(),
        subheading: pick(&incoming.subheading, &record.subheading),
        authors: pick_list(&incoming.authors, &record.authors),
        source,
        url: pick(&incoming.url, &record.url),
        published_at: pick(&incoming.published_at, &record.published_at),
        modified_at: pick(&incoming.modified_at, &record.modified_at),
        section: pick(&incoming.section, &record.section),
        tags: pick_list(&incoming.tags, &record.tags),
        language: pick(&incoming.language, &record.language),
        paragraphs,
        summary_only,
    }
}

/// A run of words in a difference between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<T = String> {
    Same(T),
    Added(T),
    Removed(T),
}

/// The word-by-word difference from `old` to `new` of one line of text
/// (a headline).
pub fn diff_words(old: &str, new: &str) -> Vec<Piece> {
    let mut paragraphs = diff_paragraphs(&[old], &[new]);
    paragraphs.pop().unwrap_or_default()
}

/// The word-by-word difference from `old` to `new` of a body, as the new
/// body's paragraphs (a removed paragraph break joins two paragraphs).
pub fn diff_paragraphs<S: AsRef<str>>(old: &[S], new: &[S]) -> Vec<Vec<Piece>> {
    let join = |p: &[S]| {
        p.iter()
            .map(|p| p.as_ref().replace('\n', " "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (old, new) = (join(old), join(new));
    let diff = similar::TextDiff::configure().diff_words(&old, &new);
    let mut paragraphs = vec![Vec::new()];
    for change in diff.iter_all_changes() {
        let text = change.value();
        let current = paragraphs.last_mut().expect("one paragraph at least");
        match change.tag() {
            // Paragraphs are joined by one newline, which is its own token.
            similar::ChangeTag::Equal | similar::ChangeTag::Insert if text.contains('\n') => {
                paragraphs.push(Vec::new());
            }
            similar::ChangeTag::Delete if text.contains('\n') => push(current, Piece::Same(" ")),
            similar::ChangeTag::Equal => push(current, Piece::Same(text)),
            similar::ChangeTag::Insert => push(current, Piece::Added(text)),
            similar::ChangeTag::Delete => push(current, Piece::Removed(text)),
        }
    }
    paragraphs
}

/// Appends `piece` to `pieces`, joining it to the last piece of its kind.
/// Spaces between two changed words of one kind stay inside the change.
fn push(pieces: &mut Vec<Piece>, piece: Piece<&str>) {
    let owned = match piece {
        Piece::Same(t) => Piece::Same(t.to_owned()),
        Piece::Added(t) => Piece::Added(t.to_owned()),
        Piece::Removed(t) => Piece::Removed(t.to_owned()),
    };
    match (pieces.last_mut(), &owned) {
        (Some(Piece::Same(a)), Piece::Same(b))
        | (Some(Piece::Added(a)), Piece::Added(b))
        | (Some(Piece::Removed(a)), Piece::Removed(b)) => a.push_str(b),
        _ => pieces.push(owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{ArticleInput, Source};

    #[test]
    fn a_feeds_origin_shows_no_credentials() {
        let origin = |url: &str| Origin::Feed(url.to_owned()).to_string();
        assert_eq!(
            origin("https://desk:s3cret@example.org/rss?token=abc#x"),
            "feed https://example.org/rss"
        );
        assert_eq!(
            origin("http://example.org:8080/feed.xml"),
            "feed http://example.org:8080/feed.xml"
        );
        assert_eq!(origin("/srv/feeds/saved.xml"), "feed /srv/feeds/saved.xml");
    }

    fn article(json: serde_json::Value) -> NewArticle {
        serde_json::from_value::<ArticleInput>(json)
            .unwrap()
            .validate()
            .unwrap()
    }

    #[test]
    fn a_bare_copy_keeps_what_the_record_knows() {
        let page = article(serde_json::json!({
            "headline": "Floods cut the road",
            "source": {"name": "The Frontier Post Weekly", "site": "https://frontier.example"},
            "url": "https://frontier.example/floods",
            "authors": ["News Desk"],
            "published_at": "2022-05-16",
            "section": "Pakistan",
            "tags": ["floods"],
            "paragraphs": ["The road was cut.", "Help came."],
        }));
        let bare = article(serde_json::json!({
            "headline": "Floods cut the road",
            "paragraphs": ["The road was cut.", "Help came."],
        }));
        let merged = merge(&page, &bare);
        assert_eq!(merged, page, "nothing the copy lacks is erased");
        assert!(changed(&page, &merged).is_empty());

        let edited = article(serde_json::json!({
            "headline": "Floods cut the main road",
            "source": "The Frontier Post Weekly",
            "paragraphs": ["The road was cut.", "Help came at night."],
        }));
        let merged = merge(&page, &edited);
        assert_eq!(merged.headline, "Floods cut the main road");
        assert_eq!(merged.paragraphs[1], "Help came at night.");
        assert_eq!(merged.authors, ["News Desk"]);
        assert_eq!(
            merged.source,
            Some(Source {
                name: "The Frontier Post Weekly".into(),
                site: Some("https://frontier.example".into())
            }),
            "the outlet named without its site keeps the site"
        );
        assert_eq!(changed(&page, &merged).to_string(), "headline, paragraphs");
    }

    #[test]
    fn a_summary_never_replaces_the_full_text() {
        let full = article(serde_json::json!({
            "headline": "H", "paragraphs": ["One.", "Two.", "Three."],
        }));
        let mut summary = article(serde_json::json!({"headline": "H", "paragraphs": ["One."]}));
        summary.summary_only = true;
        let merged = merge(&full, &summary);
        assert_eq!(merged.paragraphs, full.paragraphs);
        assert!(!merged.summary_only);
        // A newer summary over an older summary does replace it.
        let mut older = summary.clone();
        older.paragraphs = vec!["Zero.".into()];
        assert_eq!(merge(&older, &summary).paragraphs, ["One."]);
    }

    #[test]
    fn the_word_diff_marks_added_and_removed_words_by_paragraph() {
        let old = ["The minister said no.", "Nothing else."];
        let new = [
            "The minister said yes.",
            "Nothing else.",
            "A new paragraph.",
        ];
        let diff = diff_paragraphs(&old, &new);
        assert_eq!(diff.len(), 3);
        assert!(
            diff[0].contains(&Piece::Removed("no.".into())),
            "{:?}",
            diff[0]
        );
        assert!(
            diff[0].contains(&Piece::Added("yes.".into())),
            "{:?}",
            diff[0]
        );
        assert_eq!(diff[1], [Piece::Same("Nothing else.".into())]);
        assert_eq!(diff[2], [Piece::Added("A new paragraph.".into())]);
        assert_eq!(
            diff_words("Floods cut the road", "Floods cut the main road"),
            [
                Piece::Same("Floods cut the ".into()),
                Piece::Added("main ".into()),
                Piece::Same("road".into())
            ]
        );
    }
}

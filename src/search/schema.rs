//! The index schema: its fields (resolved once) and the analyzers that
//! make exact and stemmed tokens, in each language the index knows.

use super::cjk::{BigramTokenizer, ChineseTokenizer};
use super::*;

/// How a language's text is cut into words and brought to their stems.
#[derive(Debug, Clone, Copy)]
pub(super) enum Analysis {
    Stem(Language),
    Chinese,
    Bigrams,
}

/// The languages with a text field of their own: the primary codes that
/// ask for it, the field's (and its analyzer's) name, and the analysis.
/// English, and every language without an analysis of its own, is in `text`.
pub(super) const LANGUAGES: [(&[&str], &str, Analysis); 19] = [
    (&["ar"], "text_ar", Analysis::Stem(Language::Arabic)),
    (&["da"], "text_da", Analysis::Stem(Language::Danish)),
    (&["nl"], "text_nl", Analysis::Stem(Language::Dutch)),
    (&["fi"], "text_fi", Analysis::Stem(Language::Finnish)),
    (&["fr"], "text_fr", Analysis::Stem(Language::French)),
    (&["de"], "text_de", Analysis::Stem(Language::German)),
    (&["el"], "text_el", Analysis::Stem(Language::Greek)),
    (&["hu"], "text_hu", Analysis::Stem(Language::Hungarian)),
    (&["it"], "text_it", Analysis::Stem(Language::Italian)),
    (
        &["no", "nb", "nn"],
        "text_no",
        Analysis::Stem(Language::Norwegian),
    ),
    (&["pt"], "text_pt", Analysis::Stem(Language::Portuguese)),
    (&["ro"], "text_ro", Analysis::Stem(Language::Romanian)),
    (&["ru"], "text_ru", Analysis::Stem(Language::Russian)),
    (&["es"], "text_es", Analysis::Stem(Language::Spanish)),
    (&["sv"], "text_sv", Analysis::Stem(Language::Swedish)),
    (&["ta"], "text_ta", Analysis::Stem(Language::Tamil)),
    (&["tr"], "text_tr", Analysis::Stem(Language::Turkish)),
    (&["zh"], "text_zh", Analysis::Chinese),
    (&["ja", "ko"], "text_cjk", Analysis::Bigrams),
];

/// The schema's fields, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub revision: Field,
    /// For `headline:` and a headline match's small extra weight.
    pub headline: Field,
    /// Headline, subheading and body as one text: what plain words are
    /// ranked against (so a short headline does not add a score of its
    /// own), what `body:` and `text:` ask and what related articles share.
    /// The body is analysed once with positions here and once exact in
    /// `text_exact`, not a third time in a field of its own.
    pub text: Field,
    pub text_exact: Field,
    /// The text of articles in the languages of `LANGUAGES`, in that order,
    /// analysed in their language instead of in `text`.
    pub text_in: [Field; LANGUAGES.len()],
    pub author: Field,
    pub source: Field,
    pub section: Field,
    pub tag: Field,
    pub language: Field,
    pub published: Field,
    /// Exact names, for filters and facets.
    pub source_name: Field,
    pub section_name: Field,
    pub tag_name: Field,
    pub author_name: Field,
    /// Publication month as `YYYYMM` and day as `YYYYMMDD`, for histograms.
    pub month: Field,
    pub day: Field,
    /// The story the article tells (`Article::story_id`), for one result per story.
    pub story: Field,
}

pub(super) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST | STORED),
        revision: b.add_u64_field("revision", FAST),
        headline: b.add_text_field("headline", text(STEMMED)),
        text: b.add_text_field("text", text(STEMMED)),
        text_exact: b.add_text_field("text_exact", text(EXACT)),
        text_in: LANGUAGES.map(|(_, name, _)| b.add_text_field(name, text(name))),
        author: b.add_text_field("author", text(EXACT)),
        source: b.add_text_field("source", text(EXACT)),
        section: b.add_text_field("section", text(EXACT)),
        tag: b.add_text_field("tag", text(EXACT)),
        // The primary language (`en` of `en-GB`), for `lang:` and its facet.
        language: b.add_text_field("language", STRING | FAST),
        published: b.add_date_field(
            "published",
            DateOptions::default()
                .set_indexed()
                .set_fast()
                .set_precision(DateTimePrecision::Seconds),
        ),
        source_name: b.add_text_field("source_name", STRING | FAST),
        section_name: b.add_text_field("section_name", STRING | FAST),
        tag_name: b.add_text_field("tag_name", STRING | FAST),
        author_name: b.add_text_field("author_name", STRING | FAST),
        month: b.add_u64_field("month", FAST),
        day: b.add_u64_field("day", FAST),
        story: b.add_u64_field("story", FAST),
    };
    (b.build(), fields)
}

/// Words split at anything not a letter or digit (so `Bhutto-Zardari` is two
/// words and a phrase), lowercased, accents and quote styles folded.
pub(super) fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The exact analyzer plus English stemming (`restoring` and `restore` meet).
pub(super) fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// A language's own analyzer: its words, lowercased, stemmed, then with
/// accents folded (so `election` finds `élection`; stemming first, since
/// the stemmers know the accented endings).
pub(super) fn language_analyzer(analysis: Analysis) -> TextAnalyzer {
    match analysis {
        Analysis::Stem(language) => TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(60))
            .filter(LowerCaser)
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .build(),
        Analysis::Chinese => TextAnalyzer::builder(ChineseTokenizer)
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
        Analysis::Bigrams => TextAnalyzer::builder(BigramTokenizer)
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    }
}

pub(super) fn register_analyzers(index: &Index) {
    index.tokenizers().register(STEMMED, stemmed_analyzer());
    index.tokenizers().register(EXACT, exact_analyzer());
    for (_, name, analysis) in LANGUAGES {
        index
            .tokenizers()
            .register(name, language_analyzer(analysis));
    }
}

impl Fields {
    /// The text field of an article in `language` (a tag such as `fr-CA`).
    pub(super) fn text_of(&self, language: Option<&str>) -> Field {
        let Some(language) = language else {
            return self.text;
        };
        let primary = crate::language::primary(language);
        LANGUAGES
            .iter()
            .position(|(codes, _, _)| codes.contains(&primary.as_str()))
            .map_or(self.text, |i| self.text_in[i])
    }

    /// Every field that holds an article's analysed text.
    pub(super) fn texts(&self) -> impl Iterator<Item = Field> + '_ {
        std::iter::once(self.text).chain(self.text_in.iter().copied())
    }
}

/// The index keeps dates in nanoseconds (about 1678 to 2261): dates beyond
/// are indexed at the nearest end of that span; the database keeps them exact.
pub(super) fn index_date(seconds: i64) -> DateTime {
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    DateTime::from_timestamp_secs(seconds.clamp(-LIMIT, LIMIT))
}

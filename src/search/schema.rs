//! The index schema: its fields (resolved once) and the analyzers that
//! make exact and stemmed tokens.

use super::*;

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
        author: b.add_text_field("author", text(EXACT)),
        source: b.add_text_field("source", text(EXACT)),
        section: b.add_text_field("section", text(EXACT)),
        tag: b.add_text_field("tag", text(EXACT)),
        language: b.add_text_field("language", STRING),
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

pub(super) fn register_analyzers(index: &Index) {
    index.tokenizers().register(STEMMED, stemmed_analyzer());
    index.tokenizers().register(EXACT, exact_analyzer());
}

/// The index keeps dates in nanoseconds (about 1678 to 2261): dates beyond
/// are indexed at the nearest end of that span; the database keeps them exact.
pub(super) fn index_date(seconds: i64) -> DateTime {
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    DateTime::from_timestamp_secs(seconds.clamp(-LIMIT, LIMIT))
}

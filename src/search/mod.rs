//! The only place that touches tantivy. This file opens a generation of the
//! index pinned at one commit and runs searches on it (filters, sorting,
//! stories collapsed, pages cut); the parts have files of their own:
//! `schema` (fields and analyzers), `generations` (the index directory and
//! its atomic swap), `writer` (applying the change log, commits with their
//! payload), `parse` (queries with limits), `bm25` (the archive's scoring),
//! `relax` (most of the words), `facets` (counts and the date histogram),
//! `compare` (several searches' histograms on one axis), `stories` (the
//! stories among the matches), `terms` (words and phrases for significant
//! terms),
//! `suggest` ("did you mean"), `highlight` (`<mark>` and snippets), `page`
//! (cursors) and `query` (aliases and dates).

mod bm25;
mod cjk;
mod compare;
mod excluded;
mod facets;
mod generations;
mod highlight;
pub mod page;
mod parse;
pub mod query;
mod relax;
mod schema;
mod stories;
mod suggest;
mod terms;
mod writer;

use std::collections::BTreeMap;
use std::fs;
use std::ops::Bound;
use std::sync::LazyLock;

use levenshtein_automata::LevenshteinAutomatonBuilder;
use std::path::PathBuf;

use chrono::{Datelike, Utc};
use serde::{Deserialize, Serialize};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::{Collector, Count};
use tantivy::directory::Directory as _;
use tantivy::directory::error::LockError;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, MoreLikeThisQuery, Occur, Query,
    QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
};

use crate::article::Article;
pub use compare::Comparison;
pub use facets::{FACET_VALUES, FacetCounts, Histogram};
pub use generations::{IndexRoot, RebuildLock};
pub use highlight::{Highlighter, Snippet, escape_html};
pub use page::{Cursor, Previous};
pub use parse::ParsedQuery;
pub use schema::Fields;
pub use terms::Word;
pub use writer::Writer;
use {facets::*, parse::*, relax::*, schema::*};

/// Bumped whenever the schema or analyzers change; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 7;
/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Deepest parenthesis nesting accepted in a query.
pub const MAX_QUERY_DEPTH: usize = 20;

const STEMMED: &str = "news_stemmed";
const EXACT: &str = "news_exact";
const WRITER_MEMORY: usize = 256_000_000;

/// Errors from the search index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("another process holds the search index writer")]
    WriterBusy,
    #[error("there is no search index at {0}")]
    Missing(PathBuf),
    #[error("the search index at {0} has schema version {1}, this build needs {SCHEMA_VERSION}")]
    WrongVersion(PathBuf, u32),
    #[error(transparent)]
    Query(#[from] QueryError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a query was refused before searching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is empty: type one or more words")]
    Empty,
    #[error("the query is {0} characters long; the limit is {MAX_QUERY_CHARS}")]
    TooLong(usize),
    #[error("the query nests parentheses {0} deep; the limit is {MAX_QUERY_DEPTH}")]
    TooDeep(usize),
    #[error("the query asks for something the index cannot answer ({0}); try plain words")]
    Unanswerable(String),
}

/// What the index records with each commit: how far into the change log it got.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Progress {
    pub schema_version: u32,
    pub last_seq: i64,
}

/// One generation of the index, pinned at one commit: every search through
/// it sees exactly that commit, and `progress` is that commit's payload.
/// `refreshed` gives the same generation pinned at its latest commit.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    dir: PathBuf,
    generation: String,
    searcher: Searcher,
    progress: Progress,
    /// The text fields of the languages other than English that the pinned
    /// commit holds articles in: a query is analysed in each of them too.
    languages: Vec<Field>,
}

impl SearchIndex {
    /// Opens an existing generation at its latest commit. A missing
    /// directory or one without a commit is an error, never a new index.
    pub fn open(root: &IndexRoot, generation: &str) -> Result<SearchIndex> {
        let dir = root.generation_dir(generation);
        if !dir.join("meta.json").is_file() {
            return Err(Error::Missing(dir));
        }
        Self::with_index(Index::open(open_directory(&dir)?)?, dir, generation)
    }

    /// Creates an empty index in the new (empty) directory of `generation`.
    pub fn create(root: &IndexRoot, generation: &str) -> Result<SearchIndex> {
        let dir = root.generation_dir(generation);
        let (schema, _) = build_schema();
        let index = Index::create(open_directory(&dir)?, schema, Default::default())?;
        Self::with_index(index, dir, generation)
    }

    fn with_index(index: Index, dir: PathBuf, generation: &str) -> Result<SearchIndex> {
        let (_, fields) = build_schema();
        let progress = read_progress(&index.load_metas()?);
        if progress.schema_version != SCHEMA_VERSION {
            return Err(Error::WrongVersion(dir, progress.schema_version));
        }
        register_analyzers(&index);
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let (searcher, progress) = pin(&index, &reader)?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            dir,
            generation: generation.to_owned(),
            languages: languages_in(&searcher, &fields)?,
            searcher,
            progress,
        })
    }

    /// This generation pinned at its latest commit.
    pub fn refreshed(&self) -> Result<SearchIndex> {
        let (searcher, progress) = pin(&self.index, &self.reader)?;
        Ok(SearchIndex {
            index: self.index.clone(),
            reader: self.reader.clone(),
            fields: self.fields,
            dir: self.dir.clone(),
            generation: self.generation.clone(),
            languages: languages_in(&searcher, &self.fields)?,
            searcher,
            progress,
        })
    }

    /// The generation this index lives in.
    pub fn generation(&self) -> &str {
        &self.generation
    }

    /// How far into the change log the pinned commit got.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// Number of articles in the pinned commit.
    pub fn article_count(&self) -> Result<u64> {
        Ok(self.searcher.num_docs())
    }

    /// Every indexed article's id and revision, by id (duplicates kept, so they show).
    pub fn revisions(&self) -> Result<Vec<(i64, i64)>> {
        let searcher = self.searcher.clone();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let ids = segment.fast_fields().u64("id")?;
            let revisions = segment.fast_fields().u64("revision")?;
            for doc in segment.doc_ids_alive() {
                let id = ids.first(doc).unwrap_or_default() as i64;
                let revision = revisions.first(doc).unwrap_or_default() as i64;
                out.push((id, revision));
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Articles most like `article` by their distinctive words, best first, itself excluded.
    pub fn related(&self, article: &Article, limit: usize) -> Result<Vec<Hit>> {
        let f = self.fields;
        let c = &article.content;
        let text = |s: &str| tantivy::schema::OwnedValue::Str(s.to_owned());
        let mut fields = vec![(f.headline, vec![text(&c.headline)])];
        let body = f.text_of(c.language_of_text());
        fields.push((body, c.paragraphs.iter().map(|p| text(p)).collect()));
        let like = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(2)
            .with_min_term_frequency(1)
            .with_min_word_length(3)
            .with_max_query_terms(25)
            .with_document_fields(fields);
        let itself = TermQuery::new(
            Term::from_field_u64(f.id, article.id as u64),
            IndexRecordOption::Basic,
        );
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(like) as Box<dyn Query>),
            (Occur::MustNot, Box::new(itself)),
        ]);
        let searcher = self.searcher.clone();
        let best = page::AfterCursor {
            sort: Sort::Relevance,
            after: None,
            page: limit,
            window: limit,
            track_stories: false,
            previous: false,
        };
        let window = searcher.search(&query, &best)?;
        Ok(window.matches.iter().map(Hit::from).collect())
    }

    /// Runs a parsed query with the request's filters: the total, one page
    /// of hits in the order asked for, and the facets and histogram asked for.
    pub fn search(&self, query: &ParsedQuery, request: &Request) -> Result<Hits> {
        self.search_now(query, request).map_err(query_fault)
    }

    fn search_now(&self, query: &ParsedQuery, request: &Request) -> Result<Hits> {
        let searcher = self.searcher.clone();
        let strict = self.filtered(query.query.box_clone(), query, request);
        let (mut total, mut window, mut aggregated) =
            self.run(&searcher, strict.as_ref(), request)?;
        // Readers misremember: when all the words find few articles, look
        // for most of them, all-word matches still first.
        let mut relaxed = false;
        if (total as u64) < RELAX_BELOW && query.words.len() >= 2 {
            let texts: Vec<Field> = std::iter::once(self.fields.text)
                .chain(self.languages.iter().copied())
                .collect();
            let loose = self.filtered(relax(query, &searcher, &texts)?, query, request);
            let (loose_total, loose_window, loose_aggregated) =
                self.run(&searcher, loose.as_ref(), request)?;
            if loose_total > total {
                (total, window, aggregated) = (loose_total, loose_window, loose_aggregated);
                relaxed = true;
            }
        }
        let page = page::cut(window, request.order(), request.limit, request.all_versions);
        let hits = page.matches.iter().map(Hit::from).collect();
        let highlighter = Highlighter::new(&searcher, query.highlight.as_ref(), self.fields)?;
        let (facets, histogram) = match aggregated {
            Some(results) => read_aggregations(&results, request)?,
            None => (Vec::new(), None),
        };
        Ok(Hits {
            total: total as u64,
            hits,
            shown_before: page.shown_before as u64,
            next: page.next,
            previous: page.previous,
            highlighter,
            facets,
            histogram,
            relaxed,
        })
    }

    /// `main` with the date and name filters of the query and the request.
    fn filtered(
        &self,
        main: Box<dyn Query>,
        query: &ParsedQuery,
        request: &Request,
    ) -> Box<dyn Query> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main)];
        let filter = |q: Box<dyn Query>| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
            )
        };
        let dates = query.dates.and(request.filters.dates);
        if let (Some(from), Some(until)) = (dates.from, dates.until)
            && from >= until
        {
            clauses.push((Occur::Must, Box::new(EmptyQuery)));
        } else if !dates.is_open() {
            let bound = |d: Option<chrono::DateTime<Utc>>, make: fn(Term) -> Bound<Term>| {
                d.map_or(Bound::Unbounded, |d| {
                    make(Term::from_field_date(
                        f.published,
                        index_date(d.timestamp()),
                    ))
                })
            };
            let range = RangeQuery::new(
                bound(dates.from, Bound::Included),
                bound(dates.until, Bound::Excluded),
            );
            clauses.push(filter(Box::new(range)));
        }
        let names = [
            (f.source_name, &request.filters.source),
            (f.section_name, &request.filters.section),
            (f.tag_name, &request.filters.tag),
            (f.author_name, &request.filters.author),
        ];
        let language = request
            .filters
            .language
            .as_deref()
            .map(crate::language::primary);
        for (field, value) in names.into_iter().chain([(f.language, &language)]) {
            if let Some(value) = value {
                let term = TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                );
                clauses.push(filter(Box::new(term)));
            }
        }
        if clauses.len() == 1 {
            clauses.pop().expect("one clause").1
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }

    /// Counts, the window of matches a page is cut from (see `page`), and
    /// the aggregations asked for, in one pass.
    fn run(
        &self,
        searcher: &Searcher,
        full: &dyn Query,
        request: &Request,
    ) -> Result<(usize, page::Window, Option<AggregationResults>)> {
        // One result per story: a wider window, so that enough stories
        // remain once each story's copies are left out.
        let shown = request.limit.max(1);
        let window = page::AfterCursor {
            sort: request.order(),
            after: request.after,
            page: shown,
            window: if request.all_versions {
                shown
            } else {
                shown * STORY_WINDOW + 20
            },
            track_stories: !request.all_versions,
            previous: request.previous,
        };
        collect(searcher, full, window, aggregations(request))
    }
}

/// The parser accepts some constructs the schema cannot run, such as
/// `field:*` on a text field; whichever step meets them (the strict or
/// relaxed search, the highlighter, the histograms) it is the query's fault.
fn query_fault(error: Error) -> Error {
    match error {
        Error::Tantivy(tantivy::TantivyError::SchemaError(why)) => {
            Error::Query(QueryError::Unanswerable(why))
        }
        Error::Tantivy(tantivy::TantivyError::FieldNotFound(field)) => Error::Query(
            QueryError::Unanswerable(format!("there is no field `{field}`")),
        ),
        other => other,
    }
}

/// How many results per result shown are fetched when collapsing stories.
const STORY_WINDOW: usize = 4;

/// Weight of a headline match beside the whole text's.
const HEADLINE_BOOST: f32 = 0.3;

/// Fewer matches than this (a page's worth) for all the words, and the
/// search is relaxed: articles with all but one of them fill the page.
const RELAX_BELOW: u64 = 10;

/// Counts matches and collects the top documents (and aggregations) in one pass.
fn collect<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    top: C,
    aggregations: Option<AggregationCollector>,
) -> Result<(usize, C::Fruit, Option<AggregationResults>)> {
    Ok(match aggregations {
        Some(aggregations) => {
            let (total, docs, results) = searcher.search(query, &(Count, top, aggregations))?;
            (total, docs, Some(results))
        }
        None => {
            let (total, docs) = searcher.search(query, &(Count, top))?;
            (total, docs, None)
        }
    })
}

/// The text fields of `LANGUAGES` that some article of the searcher's
/// commit is in (by the primary language it is indexed with).
fn languages_in(searcher: &Searcher, fields: &Fields) -> Result<Vec<Field>> {
    let mut present = Vec::new();
    for ((codes, _, _), field) in LANGUAGES.iter().zip(fields.text_in) {
        for code in *codes {
            if searcher.doc_freq(&Term::from_field_text(fields.language, code))? > 0 {
                present.push(field);
                break;
            }
        }
    }
    Ok(present)
}

/// The progress a commit recorded; an index without commits yet has none
/// and is of this version at the start of the log.
fn read_progress(metas: &tantivy::IndexMeta) -> Progress {
    match metas.payload.as_deref() {
        None => Progress {
            schema_version: SCHEMA_VERSION,
            last_seq: 0,
        },
        // A payload that does not read is from some other version.
        Some(payload) => serde_json::from_str(payload).unwrap_or_default(),
    }
}

fn open_directory(dir: &std::path::Path) -> Result<tantivy::directory::MmapDirectory> {
    if !dir.is_dir() {
        return Err(Error::Missing(dir.to_owned()));
    }
    tantivy::directory::MmapDirectory::open(dir)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// The latest commit and a searcher that shows exactly it. A commit that
/// lands between the reload and reading its record is noticed (the segments
/// differ) and read again; two records with the same segments and deletes
/// hold the same documents, so the progress read is what the searcher shows.
fn pin(index: &Index, reader: &IndexReader) -> Result<(Searcher, Progress)> {
    let mut attempts = 0;
    loop {
        reader.reload()?;
        let searcher = reader.searcher();
        let metas = index.load_metas()?;
        let committed: BTreeMap<_, _> = metas
            .segments
            .iter()
            .map(|segment| (segment.id(), segment.delete_opstamp()))
            .collect();
        if &committed == searcher.generation().segments() {
            return Ok((searcher, read_progress(&metas)));
        }
        attempts += 1;
        if attempts >= 100 {
            return Err(Error::Io(std::io::Error::other(
                "the index kept changing while it was being read",
            )));
        }
    }
}

/// What a search asks for besides its words.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub limit: usize,
    /// Where the page starts: after the result this cursor names.
    pub after: Option<Cursor>,
    /// The order asked for; a cursor keeps its own (see [`Request::order`]).
    pub sort: Sort,
    pub filters: Filters,
    pub facets: Vec<Facet>,
    /// The most values a facet other than year lists (the most common first).
    pub facet_values: usize,
    /// One facet listed at greater length: the facet and its most values.
    pub longer_facet: Option<(Facet, usize)>,
    pub histogram: Option<Interval>,
    /// Every copy of a story, rather than its best-matching one.
    pub all_versions: bool,
    /// Say where the page before starts (`Hits::previous`); on a deep page
    /// of one result per story this costs a little more.
    pub previous: bool,
}

impl Request {
    /// The order of the results: a cursor goes on in the order it was
    /// given for, whatever `sort` asks.
    pub fn order(&self) -> Sort {
        self.after.map_or(self.sort, |cursor| cursor.sort)
    }
}

impl Default for Request {
    fn default() -> Self {
        Request {
            limit: 10,
            after: None,
            sort: Sort::Relevance,
            filters: Filters::default(),
            facets: Vec::new(),
            facet_values: FACET_VALUES,
            longer_facet: None,
            histogram: None,
            all_versions: false,
            previous: false,
        }
    }
}

/// Filters a reader sets beside the query: all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub dates: query::DateSpan,
    /// Exact names.
    pub source: Option<String>,
    pub section: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    /// A language tag: articles in its primary language (`fr-CA` asks `fr`).
    pub language: Option<String>,
}

/// The order of results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (BM25, headline matches boosted).
    #[default]
    Relevance,
    /// Most recently published first; undated articles last.
    Newest,
    /// First published first.
    Oldest,
}

impl Sort {
    pub fn name(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
        }
    }
}

/// What results can be counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Facet {
    Source,
    Section,
    Tag,
    Author,
    /// The primary language (`fr` of `fr-CA`).
    Language,
    Year,
}

impl Facet {
    pub fn name(self) -> &'static str {
        match self {
            Facet::Source => "source",
            Facet::Section => "section",
            Facet::Tag => "tag",
            Facet::Author => "author",
            Facet::Language => "language",
            Facet::Year => "year",
        }
    }
}

/// The width of a histogram's bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Day,
    Month,
    Year,
    /// Chosen from the span of the results.
    Auto,
}

/// One matching article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: i64,
    /// The story it tells (`Article::story_id`).
    pub story: i64,
    /// Relevance; None when sorted by date.
    pub score: Option<f32>,
}

impl From<&page::Match> for Hit {
    fn from(m: &page::Match) -> Hit {
        Hit {
            id: m.id() as i64,
            story: m.story as i64,
            score: m.score,
        }
    }
}

/// A page of results, the means to highlight them, and the counts asked for.
pub struct Hits {
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Results on the pages before this one.
    pub shown_before: u64,
    /// Where the next page starts; None on the last page.
    pub next: Option<Cursor>,
    /// Where the page before starts; None on the first page, and unless
    /// the request asked for it.
    pub previous: Option<Previous>,
    pub highlighter: Highlighter,
    pub facets: Vec<FacetCounts>,
    pub histogram: Option<Histogram>,
    /// True when too few articles had all the words, and these have most of them.
    pub relaxed: bool,
}

#[cfg(test)]
mod tests {
    use super::highlight::{mark, stem_clue};
    use super::*;

    #[test]
    fn dates_beyond_the_index_span_are_clamped_not_overflowed() {
        let year_one = -62_135_596_800; // 0001-01-01T00:00:00Z
        let year_9999 = 253_402_300_799; // 9999-12-31T23:59:59Z
        assert!(index_date(year_one) < index_date(0));
        assert!(index_date(year_9999) > index_date(0));
        assert_eq!(index_date(0), DateTime::from_timestamp_secs(0));
    }

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn analyzers_fold_quotes_accents_and_stem() {
        assert_eq!(
            tokens(&mut exact_analyzer(), "Pakistan’s Café"),
            ["pakistan", "s", "cafe"]
        );
        assert_eq!(
            tokens(&mut stemmed_analyzer(), "restoring"),
            tokens(&mut stemmed_analyzer(), "restore")
        );
        assert_eq!(
            tokens(&mut exact_analyzer(), "Bhutto-Zardari"),
            ["bhutto", "zardari"]
        );
    }

    #[test]
    fn every_word_contains_the_clue_of_its_stem() {
        // Words whose stems the stemmer rewrites, and the text of the
        // stories fixture, which has quotes, names and numbers.
        let tricky = "happy happiness relational organization abilities possibly \
            fluency reasonably operator sensitivity hoping hopping cried generously \
            gently early only singly news skies dying lying conditional hopeful \
            electrical formalize activity analogies fully carelessly agreed \
            feeding sizing hypocrisy 2022 Bhutto-Zardari Blinken’s";
        let fixture = include_str!("../../tests/fixtures/stories.ndjson");
        let mut analyzer = stemmed_analyzer();
        let mut checked = 0;
        for word in tricky.split_whitespace().chain(fixture.split_whitespace()) {
            for part in word.split(|c: char| !c.is_alphanumeric()) {
                if part.is_empty() || !part.is_ascii() {
                    continue;
                }
                for stem in tokens(&mut analyzer, part) {
                    if let Some(clue) = stem_clue(&stem) {
                        assert!(
                            part.to_ascii_lowercase().contains(&clue),
                            "{part} stems to {stem}, which `{clue}` does not begin"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 200, "only {checked} words had a clue");
        assert_eq!(stem_clue("die"), None);
        assert_eq!(stem_clue("café"), None);
    }

    #[test]
    fn marks_escape_everything_else() {
        assert_eq!(
            mark("a <b> & c & d", &[0..1, 12..13]),
            "<mark>a</mark> &lt;b&gt; &amp; c &amp; <mark>d</mark>"
        );
    }

    #[test]
    fn nesting_is_measured() {
        assert_eq!(nesting_depth("((a) (b (c)))"), 3);
        assert_eq!(normalise_query("“food security”"), "\"food security\"");
    }
}

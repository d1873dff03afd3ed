//! The only place that touches tantivy: the index schema and analyzers, the
//! index directory (generations and the atomic swap), the writer with its
//! commit payload, query parsing with limits, filters, sorting, facets and
//! date histograms, ranking and `<mark>` snippets.

mod bm25;
mod generations;
pub mod page;
pub mod query;

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
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, MoreLikeThisQuery, Occur,
    Query, QueryParser, RangeQuery, TermQuery,
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
pub use generations::{IndexRoot, RebuildLock};
pub use page::{Cursor, Previous};

/// Bumped whenever the schema or analyzers change; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 5;
/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Deepest parenthesis nesting accepted in a query.
pub const MAX_QUERY_DEPTH: usize = 20;

const STEMMED: &str = "news_stemmed";
const EXACT: &str = "news_exact";
const WRITER_MEMORY: usize = 64_000_000;

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

/// The schema's fields, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub revision: Field,
    /// For `headline:` and a headline match's small extra weight.
    pub headline: Field,
    /// For `body:` and related articles.
    pub body: Field,
    /// Headline, subheading and body as one text: what plain words are
    /// ranked against, so a short headline does not add a score of its own.
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

fn build_schema() -> (Schema, Fields) {
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
        body: b.add_text_field("body", text(STEMMED)),
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
fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The exact analyzer plus English stemming (`restoring` and `restore` meet).
fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn register_analyzers(index: &Index) {
    index.tokenizers().register(STEMMED, stemmed_analyzer());
    index.tokenizers().register(EXACT, exact_analyzer());
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

    /// Takes the one writer of this generation; `WriterBusy` when another
    /// process has it. Files a killed commit left behind (segments and
    /// delete files no commit refers to) are removed first, so that they
    /// can never stand in the new writer's way.
    pub fn writer(&self) -> Result<Writer> {
        // A fresh handle: tantivy keeps its list of managed files in memory
        // from the moment an index is opened, and a writer working from an
        // old list would forget files other processes made since.
        let index = Index::open(open_directory(&self.dir)?)?;
        register_analyzers(&index);
        let writer = match index.writer(WRITER_MEMORY) {
            Ok(writer) => writer,
            Err(tantivy::TantivyError::LockFailure(LockError::LockBusy, _)) => {
                return Err(Error::WriterBusy);
            }
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = writer.garbage_collect_files().wait() {
            tracing::warn!(error = %e, "collecting unused index files failed");
        }
        remove_strays(&index, &self.dir)?;
        Ok(Writer {
            writer,
            fields: self.fields,
        })
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

    /// Parses a reader's query leniently, within the length and nesting
    /// limits: aliases and date filters first, then tantivy's syntax.
    pub fn parse(&self, raw: &str) -> Result<ParsedQuery, QueryError> {
        let text = normalise_query(raw);
        let chars = text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong(chars));
        }
        let depth = nesting_depth(&text);
        if depth > MAX_QUERY_DEPTH {
            return Err(QueryError::TooDeep(depth));
        }
        let rewritten = query::rewrite(&text);
        if !rewritten.text.chars().any(char::is_alphanumeric) {
            // Dates alone ask for every article of the period.
            if rewritten.dates.is_open() {
                return Err(QueryError::Empty);
            }
            return Ok(ParsedQuery {
                query: Box::new(AllQuery),
                ignored: rewritten.ignored,
                dates: rewritten.dates,
                words: Vec::new(),
            });
        }
        let f = self.fields;
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![
                f.text,
                f.text_exact,
                f.headline,
                f.author,
                f.source,
                f.section,
                f.tag,
            ],
        );
        parser.set_conjunction_by_default();
        // A word in the headline counts a little more, not as a whole
        // second score; every text field is scored with the archive's BM25.
        let weight = |field: Field| {
            if field == f.headline {
                Some(HEADLINE_BOOST)
            } else {
                [
                    f.text,
                    f.text_exact,
                    f.body,
                    f.author,
                    f.source,
                    f.section,
                    f.tag,
                ]
                .contains(&field)
                .then_some(1.0)
            }
        };
        let retune = |query| bm25::retune(query, &weight);
        let (query, errors) = parser.parse_query_lenient(&rewritten.text);
        let query = retune(query);
        let mut ignored = rewritten.ignored;
        ignored.extend(errors.iter().map(|e| e.to_string()));
        // For relaxing, each word alone: in any form, and as typed (the
        // fields that do not stem).
        let typed = QueryParser::for_index(
            &self.index,
            vec![f.text_exact, f.author, f.source, f.section, f.tag],
        );
        let words = plain_words(&rewritten.text)
            .iter()
            .filter_map(|w| Some((parser.parse_query(w).ok()?, typed.parse_query(w).ok()?)))
            .map(|(any_form, as_typed)| Word {
                any_form: retune(any_form),
                as_typed: retune(as_typed),
            })
            .collect();
        Ok(ParsedQuery {
            query,
            ignored,
            dates: rewritten.dates,
            words,
        })
    }

    /// "Did you mean": the query with each word the index does not know
    /// replaced by the most common known word at most two edits away (one
    /// for short words). None when every word is known or nothing is close,
    /// and for queries with operators, phrases or fields.
    pub fn suggest(&self, raw: &str) -> Result<Option<String>> {
        let rewritten = query::rewrite(&normalise_query(raw));
        let words = plain_words(&rewritten.text);
        if words.is_empty() {
            return Ok(None);
        }
        let searcher = self.searcher.clone();
        let fields = [self.fields.text_exact];
        let known = |term: &str| -> Result<u64> {
            let mut n = 0;
            for field in fields {
                n += searcher.doc_freq(&Term::from_field_text(field, term))?;
            }
            Ok(n)
        };
        let mut analyzer = exact_analyzer();
        let mut changed = false;
        let mut out = Vec::with_capacity(words.len());
        for word in words {
            let mut terms = Vec::new();
            analyzer
                .token_stream(word)
                .process(&mut |t| terms.push(t.text.clone()));
            let [term] = terms.as_slice() else {
                out.push(word.to_owned());
                continue;
            };
            if known(term)? > 0 || term.chars().count() < 3 {
                out.push(word.to_owned());
                continue;
            }
            let distance = if term.chars().count() <= 4 { 1 } else { 2 };
            let mut best: Option<(String, u64)> = None;
            for segment in searcher.segment_readers() {
                for field in fields {
                    let inverted = segment.inverted_index(field)?;
                    let mut stream = inverted
                        .terms()
                        .search(near(term, distance))
                        .into_stream()?;
                    while stream.advance() {
                        let candidate = String::from_utf8_lossy(stream.key()).into_owned();
                        let freq = u64::from(stream.value().doc_freq);
                        if best.as_ref().is_none_or(|(_, f)| freq > *f) {
                            best = Some((candidate, freq));
                        }
                    }
                }
            }
            match best {
                Some((candidate, _)) => {
                    changed = true;
                    out.push(candidate);
                }
                None => out.push(word.to_owned()),
            }
        }
        Ok(changed.then(|| out.join(" ")))
    }

    /// Articles most like `article` by their distinctive words, best first, itself excluded.
    pub fn related(&self, article: &Article, limit: usize) -> Result<Vec<Hit>> {
        let f = self.fields;
        let c = &article.content;
        let text = |s: &str| tantivy::schema::OwnedValue::Str(s.to_owned());
        let mut fields = vec![(f.headline, vec![text(&c.headline)])];
        fields.push((f.body, c.paragraphs.iter().map(|p| text(p)).collect()));
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
        self.search_now(query, request).map_err(|e| match e {
            // The parser accepts some constructs the schema cannot run, such
            // as `field:*` on a text field; whichever step meets them (the
            // strict or relaxed search, the highlighter) it is the query's fault.
            Error::Tantivy(tantivy::TantivyError::SchemaError(why)) => {
                Error::Query(QueryError::Unanswerable(why))
            }
            Error::Tantivy(tantivy::TantivyError::FieldNotFound(field)) => Error::Query(
                QueryError::Unanswerable(format!("there is no field `{field}`")),
            ),
            other => other,
        })
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
            let loose = self.filtered(relax(query, &searcher, self.fields.text)?, query, request);
            let (loose_total, loose_window, loose_aggregated) =
                self.run(&searcher, loose.as_ref(), request)?;
            if loose_total > total {
                (total, window, aggregated) = (loose_total, loose_window, loose_aggregated);
                relaxed = true;
            }
        }
        let page = page::cut(window, request.order(), request.limit, request.all_versions);
        let hits = page.matches.iter().map(Hit::from).collect();
        let highlighter = Highlighter::new(&searcher, query.query.as_ref(), self.fields)?;
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
        for (field, value) in names {
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

/// How many results per result shown are fetched when collapsing stories.
const STORY_WINDOW: usize = 4;

/// Weight of a headline match beside the whole text's.
const HEADLINE_BOOST: f32 = 0.3;

/// Fewer matches than this (a page's worth) for all the words, and the
/// search is relaxed: articles with all but one of them fill the page.
const RELAX_BELOW: u64 = 10;

/// All but one of the query's words must match. Articles with every word
/// in the form typed rank first (their match is boosted far above any
/// other); the rest by the words they have. Each word found adds its BM25
/// and its rarity (IDF), the whole rarity when found as typed and a share
/// of it when found only through its stem. So an article with two of three
/// words as typed comes before one that has all three only through stemming
/// (`populated` finding `population`), and the story that lacks the word the
/// reader got wrong (most often a common one) comes before articles that
/// lack one of the rare words.
fn relax(query: &ParsedQuery, searcher: &Searcher, text: Field) -> Result<Box<dyn Query>> {
    let n = query.words.len();
    let every_word_as_typed = BooleanQuery::new(
        query
            .words
            .iter()
            .map(|word| (Occur::Must, word.as_typed.box_clone()))
            .collect(),
    );
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(every_word_as_typed), 1000.0)),
    )];
    for word in &query.words {
        let rarity = rarity(searcher, word.any_form.as_ref(), text)?;
        let scored: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Should, word.any_form.box_clone()),
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    word.any_form.box_clone(),
                    STEM_SHARE * RARITY_WEIGHT * rarity,
                )),
            ),
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    word.as_typed.box_clone(),
                    (1.0 - STEM_SHARE) * RARITY_WEIGHT * rarity,
                )),
            ),
        ];
        clauses.push((Occur::Should, Box::new(BooleanQuery::new(scored))));
    }
    Ok(Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        n - 1,
    )))
}

/// A word's BM25 IDF in the text field: ln(1 + (N - n + 0.5) / (n + 0.5))
/// for the n of N articles that have it (the rarest of its terms, for a
/// word the analyzer splits).
fn rarity(searcher: &Searcher, word: &dyn Query, text: Field) -> Result<f32> {
    let mut terms = Vec::new();
    word.query_terms(&mut |term, _| {
        if term.field() == text {
            terms.push(term.clone());
        }
    });
    let counts = terms
        .iter()
        .map(|term| searcher.doc_freq(term))
        .collect::<tantivy::Result<Vec<u64>>>()?;
    let found_in = counts.into_iter().min().unwrap_or(0);
    Ok(bm25::idf(found_in, searcher.num_docs()))
}

/// How much a found word's rarity counts beside BM25 in a relaxed search
/// (`bench/known_item.py --articles 3729`, MRR@10 of all 14,510 queries:
/// 1.5 gave 0.957, 2.5 0.959, 4 0.961, 6 0.962, 9 0.962, 14 0.961).
const RARITY_WEIGHT: f32 = 6.0;

/// The share of a word's rarity counted when it is found only through its
/// stem (`bench/known_item.py`: 0.3 ranked remembered stories best of 0,
/// 0.3 and 0.5).
const STEM_SHARE: f32 = 0.3;

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

/// Most values one facet lists unless asked for more or fewer.
pub const FACET_VALUES: usize = 10;
/// Most buckets one aggregation may make (tantivy's own limit).
const MAX_BUCKETS: usize = 65_000;

/// The aggregation request for the facets and histogram asked for, if any.
fn aggregations(request: &Request) -> Option<AggregationCollector> {
    let mut spec = serde_json::Map::new();
    for facet in &request.facets {
        let field = match facet {
            Facet::Source => "source_name",
            Facet::Section => "section_name",
            Facet::Tag => "tag_name",
            Facet::Author => "author_name",
            Facet::Year => continue,
        };
        let size = match request.longer_facet {
            Some((longer, size)) if longer == *facet => size,
            _ => request.facet_values,
        };
        spec.insert(
            facet.name().to_owned(),
            serde_json::json!({ "terms": { "field": field, "size": size } }),
        );
    }
    let by_key = |field: &str| serde_json::json!({ "terms": { "field": field, "size": MAX_BUCKETS, "order": { "_key": "asc" } } });
    if request.facets.contains(&Facet::Year) || request.histogram.is_some() {
        spec.insert("months".into(), by_key("month"));
    }
    if matches!(request.histogram, Some(Interval::Day | Interval::Auto)) {
        spec.insert("days".into(), by_key("day"));
    }
    if spec.is_empty() {
        return None;
    }
    let aggregations: Aggregations = serde_json::from_value(serde_json::Value::Object(spec))
        .expect("the aggregation request is valid");
    Some(AggregationCollector::from_aggs(
        aggregations,
        AggContextParams::default(),
    ))
}

/// `(key, count)` of each bucket of a terms aggregation, in its order.
fn buckets(results: &serde_json::Value, name: &str) -> Vec<(serde_json::Value, u64)> {
    results[name]["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| (b["key"].clone(), b["doc_count"].as_u64().unwrap_or(0)))
        .collect()
}

fn read_aggregations(
    results: &AggregationResults,
    request: &Request,
) -> Result<(Vec<FacetCounts>, Option<Histogram>)> {
    let results = serde_json::to_value(results)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let number = |key: &serde_json::Value| key.as_f64().unwrap_or(0.0) as u64;
    let months: Vec<(u64, u64)> = buckets(&results, "months")
        .into_iter()
        .map(|(key, count)| (number(&key), count))
        .collect();
    let mut facets = Vec::new();
    for facet in &request.facets {
        let more = results[facet.name()]["sum_other_doc_count"]
            .as_u64()
            .is_some_and(|n| n > 0);
        let values = match facet {
            Facet::Year => {
                let mut years: BTreeMap<u64, u64> = BTreeMap::new();
                for (month, count) in &months {
                    *years.entry(month / 100).or_default() += count;
                }
                years
                    .into_iter()
                    .rev()
                    .map(|(y, c)| (format!("{y:04}"), c))
                    .collect()
            }
            _ => {
                let mut values: Vec<(String, u64)> = buckets(&results, facet.name())
                    .into_iter()
                    .map(|(key, count)| (key.as_str().unwrap_or_default().to_owned(), count))
                    .collect();
                // Most matches first; equal counts by name, so the order is stable.
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                values
            }
        };
        facets.push(FacetCounts {
            facet: *facet,
            values,
            more,
        });
    }
    let histogram = request.histogram.map(|asked| {
        let days: Vec<(u64, u64)> = buckets(&results, "days")
            .into_iter()
            .map(|(key, count)| (number(&key), count))
            .collect();
        histogram(asked, &months, &days)
    });
    Ok((facets, histogram))
}

/// Counts per day, month or year from first to last, gaps included as zeros.
/// `Auto` picks days for up to three months, months for up to fifteen years, years beyond.
fn histogram(asked: Interval, months: &[(u64, u64)], days: &[(u64, u64)]) -> Histogram {
    let span_months = match (months.first(), months.last()) {
        (Some((first, _)), Some((last, _))) => {
            (last / 100 * 12 + last % 100) - (first / 100 * 12 + first % 100) + 1
        }
        _ => 0,
    };
    let interval = match asked {
        Interval::Auto if span_months <= 3 => Interval::Day,
        Interval::Auto if span_months <= 180 => Interval::Month,
        Interval::Auto => Interval::Year,
        other => other,
    };
    let buckets = match interval {
        Interval::Day => {
            let date = |key: u64| {
                chrono::NaiveDate::from_ymd_opt(
                    (key / 10_000) as i32,
                    (key / 100 % 100) as u32,
                    (key % 100) as u32,
                )
            };
            let counts: BTreeMap<chrono::NaiveDate, u64> = days
                .iter()
                .filter_map(|(k, c)| Some((date(*k)?, *c)))
                .collect();
            let mut out = Vec::new();
            if let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().last()) {
                let mut day = *first;
                while day <= *last && out.len() < MAX_BUCKETS {
                    out.push((
                        day.format("%Y-%m-%d").to_string(),
                        counts.get(&day).copied().unwrap_or(0),
                    ));
                    day = day.succ_opt().unwrap_or(*last + chrono::TimeDelta::days(1));
                }
            }
            out
        }
        Interval::Month | Interval::Auto => {
            let counts: BTreeMap<u64, u64> = months.iter().copied().collect();
            let mut out = Vec::new();
            if let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().last()) {
                let mut month = *first;
                while month <= *last {
                    out.push((
                        format!("{:04}-{:02}", month / 100, month % 100),
                        counts.get(&month).copied().unwrap_or(0),
                    ));
                    month = if month % 100 == 12 {
                        (month / 100 + 1) * 100 + 1
                    } else {
                        month + 1
                    };
                }
            }
            out
        }
        Interval::Year => {
            let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
            for (month, count) in months {
                *counts.entry(month / 100).or_default() += count;
            }
            let mut out = Vec::new();
            if let (Some(first), Some(last)) = (counts.keys().next(), counts.keys().last()) {
                for year in *first..=*last {
                    out.push((
                        format!("{year:04}"),
                        counts.get(&year).copied().unwrap_or(0),
                    ));
                }
            }
            out
        }
    };
    Histogram { interval, buckets }
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

/// Removes files named like a segment's (`<32 hex digits>.<kind>`) that the
/// latest commit does not use: what a killed commit or merge left behind.
/// Called with the writer held, so no commit is under way; tantivy's meta
/// lock keeps readers that are opening segments safe meanwhile.
fn remove_strays(index: &Index, dir: &std::path::Path) -> Result<()> {
    let _meta_lock = index
        .directory()
        .acquire_lock(&tantivy::directory::META_LOCK)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let metas = index.load_metas()?;
    let mut living = std::collections::HashMap::new();
    for segment in &metas.segments {
        let delete = segment
            .has_deletes()
            .then(|| segment.relative_path(tantivy::index::SegmentComponent::Delete));
        living.insert(segment.id().uuid_string(), delete);
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((id, kind)) = name.split_once('.') else {
            continue;
        };
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let stray = match living.get(id) {
            None => true,
            Some(delete) => {
                kind.ends_with("del") && delete.as_deref() != Some(std::path::Path::new(&name))
            }
        };
        if stray {
            tracing::info!(file = %name, "removing a file no commit of the index uses");
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A query ready to run, with what lenient parsing had to ignore.
pub struct ParsedQuery {
    query: Box<dyn Query>,
    /// Parts of the query that could not be understood, in words.
    pub ignored: Vec<String>,
    /// The publication dates the query itself asked for.
    pub dates: query::DateSpan,
    /// Each word of a query of plain words, parsed alone (for relaxing).
    words: Vec<Word>,
}

/// One word of a query, for relaxing it.
struct Word {
    /// The word in any form: stemmed, as typed, or a name.
    any_form: Box<dyn Query>,
    /// The word only in the form typed (accents and case aside).
    as_typed: Box<dyn Query>,
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
    Year,
}

impl Facet {
    pub fn name(self) -> &'static str {
        match self {
            Facet::Source => "source",
            Facet::Section => "section",
            Facet::Tag => "tag",
            Facet::Author => "author",
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

/// The most common values of one facet among the matches, with counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCounts {
    pub facet: Facet,
    /// Most matches first; years newest first.
    pub values: Vec<(String, u64)>,
    /// Matches have values beyond those listed (`Request::facet_values`,
    /// or `Request::longer_facet`'s length for that facet).
    pub more: bool,
}

/// Matching articles per day, month or year, oldest first, empty periods included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    /// Never `Auto`: the interval chosen.
    pub interval: Interval,
    /// The period (`2022`, `2022-05` or `2022-05-16`) and its count.
    pub buckets: Vec<(String, u64)>,
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

/// A passage of an article with the matched words in `<mark>`, escaped otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Safe HTML: escaped text with `<mark>` around matches.
    pub html: String,
    /// Index of the paragraph the passage comes from (0-based).
    pub paragraph: usize,
}

/// Finds and marks the best matching passage of an article.
pub struct Highlighter {
    body: SnippetGenerator,
    headline: SnippetGenerator,
    /// Text a paragraph must contain (lowercase) to hold a match; None
    /// when some matched term is too short or not ASCII to tell.
    clues: Option<Vec<String>>,
}

impl Highlighter {
    fn new(searcher: &Searcher, query: &dyn Query, fields: Fields) -> Result<Highlighter> {
        let mut body = SnippetGenerator::create(searcher, query, fields.text)?;
        body.set_max_num_chars(240);
        let mut headline = SnippetGenerator::create(searcher, query, fields.text)?;
        headline.set_max_num_chars(10_000);
        // The terms the snippet generator looks for (it also drops those
        // the index lacks, so these may be a few more).
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == fields.text {
                terms.push(term.value().as_str().map(stem_clue));
            }
        });
        let clues = terms.into_iter().flatten().collect();
        Ok(Highlighter {
            body,
            headline,
            clues,
        })
    }

    /// False when `text` cannot hold a match, found without analysing it:
    /// analysing (stemming) every paragraph of every result is most of a
    /// search's time, and most paragraphs hold none of the query's words.
    fn may_match(&self, text: &str) -> bool {
        let Some(clues) = &self.clues else {
            return true;
        };
        // Folding could turn a non-ASCII letter into one of the clue's.
        if text.chars().any(|c| !c.is_ascii() && c.is_alphanumeric()) {
            return true;
        }
        let lower = text.to_ascii_lowercase();
        clues.iter().any(|clue| lower.contains(clue.as_str()))
    }

    /// The headline with matches marked (escaped HTML).
    pub fn headline(&self, headline: &str) -> String {
        let snippet = self.headline.snippet(headline);
        if snippet.highlighted().is_empty() {
            escape_html(headline)
        } else {
            // The fragment may be trimmed; mark the ranges in the whole headline.
            let offset = snippet.fragment_range().start;
            let ranges: Vec<_> = snippet
                .highlighted()
                .iter()
                .map(|r| r.start + offset..r.end + offset)
                .collect();
            mark(headline, &ranges)
        }
    }

    /// The paragraph passage with the most matched words, or None when no paragraph matches.
    pub fn snippet(&self, paragraphs: &[String]) -> Option<Snippet> {
        // Best: the most distinct query words, then the most matches.
        let mut best: Option<((usize, usize), Snippet)> = None;
        for (index, text) in paragraphs.iter().enumerate() {
            if !self.may_match(text) {
                continue;
            }
            let snippet = self.body.snippet(text);
            let mut words: Vec<String> = snippet
                .highlighted()
                .iter()
                .filter_map(|r| snippet.fragment().get(r.clone()))
                .map(str::to_lowercase)
                .collect();
            words.sort_unstable();
            words.dedup();
            let count = (words.len(), snippet.highlighted().len());
            if count.1 > 0 && best.as_ref().is_none_or(|(c, _)| count > *c) {
                let html = mark(snippet.fragment(), snippet.highlighted());
                // The fragment starts and ends with a word: text cut before
                // or after it is marked with an ellipsis, but punctuation
                // alone (an opening quote, the closing full stop) is kept.
                let range = snippet.fragment_range();
                let edge = |cut: &str, ellipsis: &'static str| {
                    if cut.chars().any(char::is_alphanumeric) {
                        ellipsis.to_owned()
                    } else {
                        escape_html(cut)
                    }
                };
                let html = format!(
                    "{}{html}{}",
                    edge(text[..range.start].trim_start(), "… "),
                    edge(text[range.end..].trim_end(), " …")
                );
                best = Some((
                    count,
                    Snippet {
                        html,
                        paragraph: index,
                    },
                ));
            }
        }
        best.map(|(_, s)| s)
    }
}

/// What any word that stems to `term` starts with: the English (Porter2)
/// stemmer only rewrites a word's ending and at most changes the stem's last
/// letter (`happy` to `happi`, `relational` to `relat`), so all but the
/// stem's last letter begin the word. Stems under four letters are too
/// short to trust (`dying` stems to `die`), and non-ASCII ones were folded.
fn stem_clue(term: &str) -> Option<String> {
    (term.len() >= 4 && term.is_ascii()).then(|| term[..term.len() - 1].to_owned())
}

fn mark(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 13);
    let mut at = 0;
    for r in ranges {
        if r.start < at || r.end > text.len() {
            continue;
        }
        out.push_str(&escape_html(&text[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&text[r.start..r.end]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&escape_html(&text[at..]));
    out
}

/// Escapes text for HTML content and attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Matches the terms at most `distance` edits (a transposition is one) from `term`.
fn near(term: &str, distance: u8) -> Near {
    static ONE: LazyLock<LevenshteinAutomatonBuilder> =
        LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true));
    static TWO: LazyLock<LevenshteinAutomatonBuilder> =
        LazyLock::new(|| LevenshteinAutomatonBuilder::new(2, true));
    let builder = if distance <= 1 { &ONE } else { &TWO };
    Near(builder.build_dfa(term))
}

/// A Levenshtein automaton that walks tantivy's term dictionary.
struct Near(levenshtein_automata::DFA);

impl tantivy_fst::Automaton for Near {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(
            self.0.distance(*state),
            levenshtein_automata::Distance::Exact(_)
        )
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The words of a query made only of words (no phrases, fields, operators
/// or groups); empty otherwise.
fn plain_words(text: &str) -> Vec<&str> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let plain = words.iter().all(|w| {
        !matches!(*w, "AND" | "OR" | "NOT")
            && !w.starts_with(['-', '+'])
            && !w.contains(['"', '(', ')', ':', '[', ']', '{', '}', '^', '~', '*'])
            && w.chars().any(char::is_alphanumeric)
    });
    if plain { words } else { Vec::new() }
}

/// Curly quotes become straight ones, so `“food security”` is a phrase.
fn normalise_query(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '“' | '”' | '„' | '«' | '»' => '"',
            '‘' | '’' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The index writer: applies articles in change-log order and commits with progress.
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
}

impl Writer {
    /// Replaces the documents of every id in `touched` with the current state
    /// in `articles` (an id missing from `articles` was deleted), then commits,
    /// recording `last_seq`. Either the whole batch becomes durable or none of it.
    pub fn apply(&mut self, touched: &[i64], articles: &[Article], last_seq: i64) -> Result<()> {
        for id in touched {
            self.writer
                .delete_term(Term::from_field_u64(self.fields.id, *id as u64));
        }
        for article in articles {
            self.writer.add_document(self.document(article))?;
        }
        self.commit(last_seq)
    }

    /// Adds articles to a fresh index without deleting (used by a rebuild).
    pub fn add(&mut self, articles: &[Article]) -> Result<()> {
        for article in articles {
            self.writer.add_document(self.document(article))?;
        }
        Ok(())
    }

    /// Commits what was added, recording `last_seq` as the progress.
    pub fn commit(&mut self, last_seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&Progress {
            schema_version: SCHEMA_VERSION,
            last_seq,
        })
        .expect("progress serialises");
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// Drops what was added since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        Ok(())
    }

    /// Waits for background merges and releases the writer lock.
    pub fn finish(self) -> Result<()> {
        Ok(self.writer.wait_merging_threads()?)
    }

    fn document(&self, article: &Article) -> TantivyDocument {
        let f = self.fields;
        let c = &article.content;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, article.id as u64);
        doc.add_u64(f.story, article.story_id as u64);
        doc.add_u64(f.revision, article.revision as u64);
        doc.add_text(f.headline, &c.headline);
        for p in &c.paragraphs {
            doc.add_text(f.body, p);
        }
        for part in std::iter::once(&c.headline)
            .chain(&c.subheading)
            .chain(&c.paragraphs)
        {
            doc.add_text(f.text, part);
            doc.add_text(f.text_exact, part);
        }
        for author in &c.authors {
            doc.add_text(f.author, author);
            doc.add_text(f.author_name, author);
        }
        if let Some(source) = &c.source {
            doc.add_text(f.source, &source.name);
            doc.add_text(f.source_name, &source.name);
        }
        if let Some(section) = &c.section {
            doc.add_text(f.section, section);
            doc.add_text(f.section_name, section);
        }
        for tag in &c.tags {
            doc.add_text(f.tag, tag);
            doc.add_text(f.tag_name, tag);
        }
        if let Some(language) = &c.language {
            doc.add_text(f.language, language);
        }
        if let Some(published) = c.published_at {
            doc.add_date(f.published, index_date(published.timestamp()));
            let month = published.year().max(0) as u64 * 100 + u64::from(published.month());
            doc.add_u64(f.month, month);
            doc.add_u64(f.day, month * 100 + u64::from(published.day()));
        }
        doc
    }
}

/// The index keeps dates in nanoseconds (about 1678 to 2261): dates beyond
/// are indexed at the nearest end of that span; the database keeps them exact.
fn index_date(seconds: i64) -> DateTime {
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    DateTime::from_timestamp_secs(seconds.clamp(-LIMIT, LIMIT))
}

#[cfg(test)]
mod tests {
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

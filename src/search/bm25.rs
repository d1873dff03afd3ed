//! BM25 with the archive's own parameters: tantivy fixes k1 and b, so the
//! parser's term queries are swapped for ones scored here.
//!
//! tantivy scores with k1 = 1.2 and b = 0.75. With full length
//! normalisation and quicker saturation (`K1`, `B`), a short story that
//! names the words a reader remembers is not pushed down by a long article
//! that repeats them: remembered stories ranked higher in
//! `bench/known_item.py` (BENCHMARKS.md, "Known-item search quality").
//! Phrases and the other leaf queries keep tantivy's own BM25, since their
//! scorers cannot be given other parameters, and get their field's weight
//! as a boost.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, EmptyScorer, EnableScoring, Explanation,
    Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// Term saturation: how quickly more occurrences stop adding (tried on
/// every real article's known-item queries: 0.4, 0.6 and 0.8 within 0.0005
/// of MRR@10 at b = 1).
const K1: Score = 0.6;
/// Length normalisation: 1 sets the article's length against the average
/// in full (0.9 gave 0.001 less MRR@10 than 1 at k1 = 0.6).
const B: Score = 1.0;

/// `query` with each term query on a field `weight` knows scored here, with
/// that field's weight (a word over several such fields as one query, see
/// `any_field`). Other leaves on such a field whose weight is not 1 are
/// boosted by it. Anything else, and the inside of a `BoostQuery` (which
/// tantivy does not open), is left as it is.
pub fn retune(query: Box<dyn Query>, weight: &dyn Fn(Field) -> Option<Score>) -> Box<dyn Query> {
    if let Some(term) = query.downcast_ref::<TermQuery>() {
        return match weight(term.term().field()) {
            Some(w) => Box::new(Bm25Term {
                original: term.clone(),
                weight: w,
            }),
            None => query,
        };
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        if let Some(word) = any_field(boolean, weight) {
            return Box::new(word);
        }
        let clauses = boolean
            .clauses()
            .iter()
            .map(|(occur, clause)| (*occur, retune(clause.box_clone(), weight)))
            .collect();
        return Box::new(BooleanQuery::with_minimum_required_clauses(
            clauses,
            boolean.get_minimum_number_should_match(),
        ));
    }
    if query.is::<BoostQuery>() {
        return query;
    }
    let mut fields = Vec::new();
    query.query_terms(&mut |term, _| fields.push(term.field()));
    fields.sort_unstable();
    fields.dedup();
    match (fields.as_slice(), fields.first().and_then(|f| weight(*f))) {
        ([_], Some(w)) if w != 1.0 => Box::new(BoostQuery::new(query, w)),
        _ => query,
    }
}

/// What the parser makes of a plain word, the word in each default field
/// (only `Should` term clauses, at most one required), as one query that
/// sums its terms in its own union (`Bm25Union`). tantivy's union calls
/// scorers it does not know through dynamic dispatch, which made searches
/// for one common word about 40% slower on the raw engine.
fn any_field(
    boolean: &BooleanQuery,
    weight: &dyn Fn(Field) -> Option<Score>,
) -> Option<Bm25AnyField> {
    if boolean.clauses().len() < 2 || boolean.get_minimum_number_should_match() > 1 {
        return None;
    }
    let terms = boolean
        .clauses()
        .iter()
        .map(|(occur, clause)| {
            let term = clause.downcast_ref::<TermQuery>()?;
            let w = weight(term.term().field())?;
            (*occur == Occur::Should).then(|| Bm25Term {
                original: term.clone(),
                weight: w,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Bm25AnyField { terms })
}

/// BM25's IDF of a term that `found_in` of `articles` articles have:
/// ln(1 + (N - n + 0.5) / (n + 0.5)).
pub fn idf(found_in: u64, articles: u64) -> Score {
    ((articles.saturating_sub(found_in) as Score + 0.5) / (found_in as Score + 0.5)).ln_1p()
}

/// One term, scored with `K1` and `B`, times its field's weight.
#[derive(Clone, Debug)]
struct Bm25Term {
    original: TermQuery,
    weight: Score,
}

impl Query for Bm25Term {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        match scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Ok(Box::new(self.bm25_weight(statistics_provider)?)),
            EnableScoring::Disabled { .. } => self.original.weight(scoring),
        }
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.original.query_terms(visitor);
    }
}

impl Bm25Term {
    fn bm25_weight(&self, stats: &dyn Bm25StatisticsProvider) -> tantivy::Result<Bm25TermWeight> {
        let term = self.original.term();
        let articles = stats.total_num_docs()?;
        let found_in = stats.doc_freq(term)?;
        let tokens = stats.total_num_tokens(term.field())?;
        let idf = idf(found_in, articles);
        let average_length = if articles == 0 || tokens == 0 {
            1.0
        } else {
            tokens as Score / articles as Score
        };
        // tantivy stores each length as one of 256 codes: the denominator's
        // length part, per code.
        let mut by_length = [0.0; 256];
        for (code, slot) in by_length.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(code as u8) as Score;
            *slot = K1 * (1.0 - B + B * length / average_length);
        }
        Ok(Bm25TermWeight {
            term: term.clone(),
            weight: self.weight * idf * (K1 + 1.0),
            average_length,
            by_length,
        })
    }
}

/// A word in any of several fields: the sum of its terms' scores.
#[derive(Clone, Debug)]
struct Bm25AnyField {
    terms: Vec<Bm25Term>,
}

impl Query for Bm25AnyField {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        match scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Ok(Box::new(Bm25AnyFieldWeight {
                terms: self
                    .terms
                    .iter()
                    .map(|term| term.bm25_weight(statistics_provider))
                    .collect::<tantivy::Result<_>>()?,
            })),
            EnableScoring::Disabled { .. } => BooleanQuery::new(
                self.terms
                    .iter()
                    .map(|term| {
                        (
                            Occur::Should,
                            Box::new(term.original.clone()) as Box<dyn Query>,
                        )
                    })
                    .collect(),
            )
            .weight(scoring),
        }
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for term in &self.terms {
            term.query_terms(visitor);
        }
    }
}

struct Bm25AnyFieldWeight {
    terms: Vec<Bm25TermWeight>,
}

impl Weight for Bm25AnyFieldWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut found = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            if let Some(scorer) = term.term_scorer(reader, boost)? {
                found.push(scorer);
            }
        }
        Ok(match found.len() {
            0 => Box::new(EmptyScorer),
            1 => Box::new(found.pop().expect("one scorer")),
            _ => Box::new(Bm25Union::new(found)),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut explanation =
            Explanation::new("BM25, summed over fields", score_of(self, reader, doc)?);
        for term in &self.terms {
            if let Ok(detail) = term.explain(reader, doc) {
                explanation.add_detail(detail);
            }
        }
        Ok(explanation)
    }
}

/// A document's score under `weight`, for explaining it; an error when the
/// document does not match.
fn score_of(weight: &dyn Weight, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Score> {
    let mut scorer = weight.scorer(reader, 1.0)?;
    if scorer.doc() > doc || scorer.seek(doc) != doc {
        return Err(TantivyError::InvalidArgument(format!(
            "document {doc} does not match"
        )));
    }
    Ok(scorer.score())
}

/// The documents of any of a few term scorers, each once, with their sum.
struct Bm25Union {
    scorers: Vec<Bm25TermScorer>,
    doc: DocId,
}

impl Bm25Union {
    fn new(scorers: Vec<Bm25TermScorer>) -> Bm25Union {
        let doc = scorers.iter().map(DocSet::doc).min().unwrap_or(TERMINATED);
        Bm25Union { scorers, doc }
    }
}

impl DocSet for Bm25Union {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        let mut next = TERMINATED;
        for scorer in &mut self.scorers {
            let doc = if scorer.doc() == current {
                scorer.advance()
            } else {
                scorer.doc()
            };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for scorer in &mut self.scorers {
            let doc = if scorer.doc() < target {
                scorer.seek(target)
            } else {
                scorer.doc()
            };
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .map(DocSet::size_hint)
            .max()
            .unwrap_or(0)
    }
}

impl Scorer for Bm25Union {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.scorers
            .iter_mut()
            .filter(|scorer| scorer.doc() == doc)
            .map(|scorer| scorer.score())
            .sum()
    }
}

struct Bm25TermWeight {
    term: Term,
    /// The field's weight times the term's IDF times (k1 + 1).
    weight: Score,
    average_length: Score,
    /// The length part of the denominator, per length code.
    by_length: [Score; 256],
}

impl Bm25TermWeight {
    /// The term's scorer in one segment; None when the segment lacks it.
    fn term_scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<Bm25TermScorer>> {
        let field = self.term.field();
        let Some(postings) = reader
            .inverted_index(field)?
            .read_postings(&self.term, IndexRecordOption::WithFreqs)?
        else {
            return Ok(None);
        };
        let lengths = reader
            .fieldnorms_readers()
            .get_field(field)?
            .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        Ok(Some(Bm25TermScorer {
            postings,
            lengths,
            by_length: self.by_length,
            weight: self.weight * boost,
        }))
    }
}

impl Weight for Bm25TermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(reader, boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut explanation = Explanation::new("BM25", score_of(self, reader, doc)?);
        explanation.add_const("k1", K1);
        explanation.add_const("b", B);
        explanation.add_const("average length", self.average_length);
        Ok(explanation)
    }
}

struct Bm25TermScorer {
    postings: SegmentPostings,
    lengths: FieldNormReader,
    by_length: [Score; 256],
    weight: Score,
}

impl DocSet for Bm25TermScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for Bm25TermScorer {
    fn score(&mut self) -> Score {
        let tf = self.postings.term_freq() as Score;
        let code = self.lengths.fieldnorm_id(self.postings.doc());
        self.weight * tf / (tf + self.by_length[code as usize])
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::QueryParser;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{DocAddress, Index, TantivyDocument};

    use super::*;

    /// An index in a temporary directory with a headline and a text field.
    fn index(articles: &[(&str, &str)]) -> (tempfile::TempDir, Index, Field, Field) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut schema = Schema::builder();
        let headline = schema.add_text_field("headline", TEXT);
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_dir(dir.path(), schema.build()).expect("index");
        let mut writer = index.writer(15_000_000).expect("writer");
        for (h, t) in articles {
            let mut doc = TantivyDocument::default();
            doc.add_text(headline, h);
            doc.add_text(text, t);
            writer.add_document(doc).expect("add");
        }
        writer.commit().expect("commit");
        (dir, index, headline, text)
    }

    fn scores(index: &Index, query: &dyn Query) -> Vec<(u32, Score)> {
        let searcher = index.reader().expect("reader").searcher();
        let mut found: Vec<(u32, Score)> = searcher
            .search(query, &TopDocs::with_limit(10).order_by_score())
            .expect("search")
            .into_iter()
            .map(|(score, address)| (address.doc_id, score))
            .collect();
        found.sort_by_key(|(doc, _)| *doc);
        found
    }

    #[test]
    fn terms_score_with_the_archive_k1_and_b() {
        // Lengths 2, 4 and 8 (stored exactly), average 14 / 3.
        let (_dir, index, _, text) = index(&[
            ("a", "storm coast"),
            ("b", "storm storm storm calm"),
            ("c", "storm one two three four five six seven"),
        ]);
        let parser = QueryParser::for_index(&index, vec![text]);
        let weight = |field: Field| (field == text).then_some(1.0);
        let query = retune(parser.parse_query("storm").expect("parse"), &weight);
        let idf = ((3.0f32 - 3.0 + 0.5) / (3.0 + 0.5)).ln_1p();
        let expected = |tf: f32, length: f32| {
            idf * (K1 + 1.0) * tf / (tf + K1 * (1.0 - B + B * length / (14.0 / 3.0)))
        };
        let found = scores(&index, query.as_ref());
        let wanted = [
            (0, expected(1.0, 2.0)),
            (1, expected(3.0, 4.0)),
            (2, expected(1.0, 8.0)),
        ];
        assert_eq!(found.len(), 3);
        for ((doc, score), (want_doc, want)) in found.iter().zip(wanted) {
            assert_eq!(*doc, want_doc);
            assert!((score - want).abs() < 1e-4, "doc {doc}: {score} != {want}");
        }
        // With tantivy's own k1 = 1.2 and b = 0.75, saying the word three
        // times counts for more: the parameters made a difference.
        let default = scores(&index, parser.parse_query("storm").expect("parse").as_ref());
        assert!(default[1].1 / default[0].1 > found[1].1 / found[0].1 + 0.1);
        // Counting, which does not score, finds the same articles.
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.search(query.as_ref(), &Count).expect("count"), 3);
    }

    #[test]
    fn a_field_weight_scales_terms_and_phrases_and_leaves_boosts_alone() {
        let (_dir, index, headline, text) = index(&[
            ("port strike ends", "dockers vote"),
            ("markets", "port strike ends as dockers vote"),
        ]);
        let parser = QueryParser::for_index(&index, vec![headline, text]);
        let full = |field: Field| Some(if field == headline { 1.0 } else { 0.0 });
        let tenth = |field: Field| Some(if field == headline { 0.1 } else { 0.0 });
        for typed in ["port", "\"port strike\""] {
            let parsed = parser.parse_query(typed).expect("parse");
            let whole = scores(&index, retune(parsed.box_clone(), &full).as_ref());
            let part = scores(&index, retune(parsed, &tenth).as_ref());
            assert_eq!(whole.len(), 2, "{typed}");
            assert!(
                (part[0].1 - 0.1 * whole[0].1).abs() < 1e-4,
                "{typed}: {part:?} {whole:?}"
            );
            assert_eq!(part[1].1, 0.0, "{typed}");
        }
        // A boost the reader typed wraps a query tantivy does not open.
        let boosted = parser.parse_query("headline:port^2").expect("parse");
        let kept = retune(boosted.box_clone(), &tenth);
        assert_eq!(
            scores(&index, kept.as_ref()),
            scores(&index, boosted.as_ref())
        );
    }

    #[test]
    fn a_word_in_several_fields_scores_the_sum_of_its_fields() {
        let (_dir, index, headline, text) = index(&[
            ("storm at sea", "the coast was calm"),
            ("calm", "a storm hit the coast and the storm passed"),
            ("coast storm", "nothing else"),
            ("harbour", "boats"),
            ("storm", "the coast road"),
        ]);
        let mut parser = QueryParser::for_index(&index, vec![headline, text]);
        parser.set_conjunction_by_default();
        let weight = |field: Field| Some(if field == headline { 0.3 } else { 1.0 });
        // The same words as a plain boolean query of single terms.
        let by_hand = |words: &[&str]| -> Box<dyn Query> {
            let word = |w: &str| -> Box<dyn Query> {
                let clauses = [(headline, 0.3), (text, 1.0)]
                    .into_iter()
                    .map(|(field, w_field)| {
                        let term = TermQuery::new(
                            Term::from_field_text(field, w),
                            IndexRecordOption::WithFreqs,
                        );
                        let scored = Bm25Term {
                            original: term,
                            weight: w_field,
                        };
                        (Occur::Should, Box::new(scored) as Box<dyn Query>)
                    })
                    .collect();
                Box::new(BooleanQuery::new(clauses))
            };
            Box::new(BooleanQuery::new(
                words.iter().map(|w| (Occur::Must, word(w))).collect(),
            ))
        };
        let searcher = index.reader().expect("reader").searcher();
        for words in [&["storm"][..], &["storm", "coast"], &["coast", "calm"]] {
            let retuned = retune(
                parser.parse_query(&words.join(" ")).expect("parse"),
                &weight,
            );
            let union = scores(&index, retuned.as_ref());
            let plain = scores(&index, by_hand(words).as_ref());
            assert_eq!(union.len(), plain.len(), "{words:?}");
            for ((doc, a), (plain_doc, b)) in union.iter().zip(&plain) {
                assert_eq!(doc, plain_doc, "{words:?}");
                assert!((a - b).abs() < 1e-5, "{words:?} doc {doc}: {a} != {b}");
                let explained = retuned
                    .explain(&searcher, DocAddress::new(0, *doc))
                    .expect("explain");
                assert!((explained.value() - a).abs() < 1e-5, "{words:?} doc {doc}");
            }
            let count = searcher.search(retuned.as_ref(), &Count).expect("count");
            assert_eq!(count, plain.len(), "{words:?}");
        }
        // A single word is one query over its fields, not a boolean one,
        // and a document it does not match has no explanation.
        let storm = retune(parser.parse_query("storm").expect("parse"), &weight);
        assert!(storm.is::<Bm25AnyField>());
        assert!(storm.explain(&searcher, DocAddress::new(0, 3)).is_err());
    }
}

//! Words a query leaves out (`-"story story"`, `NOT body:"a b"`): their
//! query wrapped so that tantivy 0.27's exclusion can ask it about any
//! article.
//!
//! tantivy's `Exclude` asks the left-out query whether it holds each
//! article the rest of the query found, through `DocSet::seek_danger`,
//! also for articles before the one the left-out query already stands on.
//! `PhraseScorer::seek_danger` asserts that never happens (a panic in
//! debug builds; release builds skip the check). This wrapper answers with
//! `DocSet`'s own `seek_danger`, which handles an article already passed,
//! so a phrase left out alone is safe. No library offers this: it is a
//! work-around for that one assertion.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// A query used only to leave articles out.
#[derive(Debug)]
pub(super) struct Excluded(pub(super) Box<dyn Query>);

impl Clone for Excluded {
    fn clone(&self) -> Self {
        Excluded(self.0.box_clone())
    }
}

impl Query for Excluded {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExcludedWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExcludedWeight(Box<dyn Weight>);

impl Weight for ExcludedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ExcludedScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct ExcludedScorer(Box<dyn Scorer>);

impl DocSet for ExcludedScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for ExcludedScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}

/// `query` with each clause it leaves out (`MustNot`, at any depth)
/// wrapped in `Excluded`.
pub(super) fn guard_exclusions(query: Box<dyn Query>) -> Box<dyn Query> {
    use tantivy::query::{BooleanQuery, Occur};
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let clauses = boolean
        .clauses()
        .iter()
        .map(|(occur, clause)| {
            let clause = guard_exclusions(clause.box_clone());
            match occur {
                Occur::MustNot => (*occur, Box::new(Excluded(clause)) as Box<dyn Query>),
                _ => (*occur, clause),
            }
        })
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        boolean.get_minimum_number_should_match(),
    ))
}

//! The relaxed search: when too few articles have every word, the ones
//! with all but one, ranked by the words they have and how rare they are.

use super::*;

/// All but one of the query's words must match. Articles with every word
/// in the form typed rank first (their match is boosted far above any
/// other); the rest by the words they have. Each word found adds its BM25
/// and its rarity (IDF), the whole rarity when found as typed and a share
/// of it when found only through its stem. So an article with two of three
/// words as typed comes before one that has all three only through stemming
/// (`populated` finding `population`), and the story that lacks the word the
/// reader got wrong (most often a common one) comes before articles that
/// lack one of the rare words.
pub(super) fn relax(
    query: &ParsedQuery,
    searcher: &Searcher,
    text: Field,
) -> Result<Box<dyn Query>> {
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
pub(super) fn rarity(searcher: &Searcher, word: &dyn Query, text: Field) -> Result<f32> {
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
pub(super) const RARITY_WEIGHT: f32 = 6.0;

/// The share of a word's rarity counted when it is found only through its
/// stem (`bench/known_item.py`: 0.3 ranked remembered stories best of 0,
/// 0.3 and 0.5).
pub(super) const STEM_SHARE: f32 = 0.3;

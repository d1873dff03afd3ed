//! The relaxed search: when too few articles have every word, the ones
//! with all but one, ranked by the words they have and how rare they are.

use super::*;

/// All but one of the query's words must match, and articles rank by the
/// words they have. Each word found adds its BM25 and its rarity (IDF): the
/// whole rarity when found as typed, most of it when found only through its
/// stem. So the story that lacks the word the reader got wrong (most often
/// a common one) comes before articles that lack one of the rare words, and
/// the form typed only breaks near ties: a reader who remembers `supplied`
/// where the story says `supplies` still finds it (there is no tier of
/// articles with every word as typed above the rest; such a tier put them
/// first and cost the `typed inflected` queries of `bench/known_item.py`
/// 0.04 of MRR@10).
pub(super) fn relax(
    query: &ParsedQuery,
    searcher: &Searcher,
    texts: &[Field],
) -> Result<Box<dyn Query>> {
    let n = query.words.len();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in &query.words {
        let rarity = rarity(searcher, word.any_form.as_ref(), texts)?;
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

/// A word's BM25 IDF in the text: ln(1 + (N - n + 0.5) / (n + 0.5)) for
/// the n of N articles that have it: in each language's text field the
/// rarest of its terms (for a word the analyzer splits), summed over the
/// fields, since an article's text is in one of them.
pub(super) fn rarity(searcher: &Searcher, word: &dyn Query, texts: &[Field]) -> Result<f32> {
    let mut terms = Vec::new();
    word.query_terms(&mut |term, _| {
        if texts.contains(&term.field()) {
            terms.push(term.clone());
        }
    });
    let mut found_in = 0;
    for text in texts {
        let counts = terms
            .iter()
            .filter(|term| term.field() == *text)
            .map(|term| searcher.doc_freq(term))
            .collect::<tantivy::Result<Vec<u64>>>()?;
        found_in += counts.into_iter().min().unwrap_or(0);
    }
    Ok(bm25::idf(found_in, searcher.num_docs()))
}

/// How much a found word's rarity counts beside BM25 in a relaxed search.
/// Tuned with `STEM_SHARE` on both query sets of `bench/known_item.py`
/// (300 articles, seed 1; MRR@10 of the typed set / the distinctive set):
/// 3 gave 0.736 / 0.975, 4 0.737 / 0.975, 6 0.734 / 0.976 at a share of 0.6.
pub(super) const RARITY_WEIGHT: f32 = 4.0;

/// The share of a word's rarity counted when it is found only through its
/// stem (same runs: 0.5 gave 0.734 / 0.976, 0.6 0.737 / 0.975, 0.7 0.736 /
/// 0.973 at a weight of 4; 0.3 with the old tier 0.730 / 0.975).
pub(super) const STEM_SHARE: f32 = 0.6;

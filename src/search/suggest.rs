//! "Did you mean": unknown words replaced by the most common known word a
//! few edits away.

use super::*;

impl SearchIndex {
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
}

/// Matches the terms at most `distance` edits (a transposition is one) from `term`.
pub(super) fn near(term: &str, distance: u8) -> Near {
    static ONE: LazyLock<LevenshteinAutomatonBuilder> =
        LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true));
    static TWO: LazyLock<LevenshteinAutomatonBuilder> =
        LazyLock::new(|| LevenshteinAutomatonBuilder::new(2, true));
    let builder = if distance <= 1 { &ONE } else { &TWO };
    Near(builder.build_dfa(term))
}

/// A Levenshtein automaton that walks tantivy's term dictionary.
pub(super) struct Near(levenshtein_automata::DFA);

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

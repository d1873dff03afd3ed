//! The index's part in telling what sets a search's matches apart: an
//! article's words as the exact field holds them (with their form in the
//! text), and in how many articles of the archive a word or a two-word
//! phrase appears.

use tantivy::query::PhraseQuery;

use super::*;

/// One word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// As the index holds it: lowercased, accents folded.
    pub key: String,
    /// As the text writes it.
    pub shown: String,
}

impl SearchIndex {
    /// The words of `text`, in order, as the exact field cuts them.
    pub fn words(text: &str) -> Vec<Word> {
        let mut analyzer = exact_analyzer();
        let mut words = Vec::new();
        analyzer.token_stream(text).process(&mut |token| {
            words.push(Word {
                key: token.text.clone(),
                shown: text
                    .get(token.offset_from..token.offset_to)
                    .unwrap_or(&token.text)
                    .to_owned(),
            });
        });
        words
    }

    /// In how many articles each word appears.
    pub fn word_frequencies(&self, keys: &[&str]) -> Result<Vec<u64>> {
        keys.iter()
            .map(|key| {
                let term = Term::from_field_text(self.fields.text_exact, key);
                Ok(self.searcher.doc_freq(&term)?)
            })
            .collect()
    }

    /// In how many articles each two-word phrase appears.
    pub fn phrase_frequencies(&self, pairs: &[(&str, &str)]) -> Result<Vec<u64>> {
        pairs
            .iter()
            .map(|(first, second)| {
                let terms = [first, second]
                    .map(|w| Term::from_field_text(self.fields.text_exact, w))
                    .to_vec();
                let phrase = PhraseQuery::new(terms);
                Ok(self.searcher.search(&phrase, &Count)? as u64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_their_written_form_beside_the_folded_one() {
        let words = SearchIndex::words("Zürich's Mayor said");
        let keys: Vec<&str> = words.iter().map(|w| w.key.as_str()).collect();
        let shown: Vec<&str> = words.iter().map(|w| w.shown.as_str()).collect();
        assert_eq!(keys, ["zurich", "s", "mayor", "said"]);
        assert_eq!(shown, ["Zürich", "s", "Mayor", "said"]);
    }
}

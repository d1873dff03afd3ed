//! The index's part in telling what sets a search's matches apart: an
//! article's words as the exact field holds them (with their form in the
//! text), and in how many articles of the archive a word or a two-word
//! phrase appears (counted in a spread-out sample of a large archive).

use tantivy::query::{EnableScoring, PhraseQuery};
use tantivy::{DocId, DocSet as _, TERMINATED};

/// Articles a phrase is looked for in: all of them in an archive this
/// size or smaller, else a sample of about this many, in [`WINDOWS`]
/// stretches spread over each segment. A phrase search over a million
/// articles costs about ten milliseconds; over the sample, a twentieth.
pub const PHRASE_SAMPLE: u32 = 50_000;
/// Stretches of the sample in each segment, so that no one period of the
/// archive stands for all of it (each stretch costs a seek per phrase).
const WINDOWS: u32 = 4;

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

    /// In how many articles each two-word phrase appears: counted exactly
    /// up to [`PHRASE_SAMPLE`] articles, estimated from a sample of that
    /// many beyond (never fewer than `at_least`, the articles known to
    /// hold it).
    pub fn phrase_frequencies(&self, pairs: &[(&str, &str)], at_least: &[u64]) -> Result<Vec<u64>> {
        self.phrase_frequencies_in(pairs, at_least, PHRASE_SAMPLE)
    }

    fn phrase_frequencies_in(
        &self,
        pairs: &[(&str, &str)],
        at_least: &[u64],
        sample_size: u32,
    ) -> Result<Vec<u64>> {
        let searcher = &self.searcher;
        let articles = searcher.num_docs();
        let sample =
            (articles > u64::from(sample_size)).then(|| self.phrase_sample(articles, sample_size));
        let looked_at = sample.iter().flatten().map(|w| w.alive).sum::<u64>();
        pairs
            .iter()
            .zip(at_least)
            .map(|((first, second), at_least)| {
                let terms = [first, second]
                    .map(|w| Term::from_field_text(self.fields.text_exact, w))
                    .to_vec();
                let phrase = PhraseQuery::new(terms);
                let Some(windows) = &sample else {
                    return Ok(searcher.search(&phrase, &Count)? as u64);
                };
                let weight = phrase.weight(EnableScoring::disabled_from_searcher(searcher))?;
                let mut found = 0u64;
                for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
                    let alive = segment.alive_bitset();
                    let mut scorer = weight.scorer(segment, 1.0)?;
                    for window in windows.iter().filter(|w| w.segment == ordinal) {
                        let mut doc = scorer.doc();
                        if doc < window.start {
                            doc = scorer.seek(window.start);
                        }
                        while doc != TERMINATED && doc < window.end {
                            found += u64::from(alive.is_none_or(|a| a.is_alive(doc)));
                            doc = scorer.advance();
                        }
                    }
                }
                let estimate = (found * articles).checked_div(looked_at).unwrap_or(0);
                Ok(estimate.max(*at_least))
            })
            .collect()
    }

    /// The stretches of each segment that make the phrase sample: about
    /// `size` documents in all, each segment's share in [`WINDOWS`]
    /// windows evenly spread over it.
    fn phrase_sample(&self, articles: u64, size: u32) -> Vec<Window> {
        let mut windows = Vec::new();
        for (segment, reader) in self.searcher.segment_readers().iter().enumerate() {
            let max_doc = reader.max_doc();
            let share = u64::from(max_doc) * u64::from(size) / articles;
            let length = (share / u64::from(WINDOWS)).max(1) as DocId;
            let stride = (max_doc / WINDOWS).max(length);
            let alive = reader.alive_bitset();
            let mut start = 0;
            while start < max_doc {
                let end = start.saturating_add(length).min(max_doc);
                let alive = (start..end)
                    .filter(|&doc| alive.is_none_or(|a| a.is_alive(doc)))
                    .count() as u64;
                windows.push(Window {
                    segment,
                    start,
                    end,
                    alive,
                });
                start = start.saturating_add(stride);
            }
        }
        windows
    }
}

/// Documents `start..end` of one segment, `alive` of them not deleted.
struct Window {
    segment: usize,
    start: DocId,
    end: DocId,
    alive: u64,
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

    fn article(id: i64, paragraph: String) -> Article {
        let now = Utc::now();
        Article {
            id,
            slug: format!("a-{id}"),
            revision: 1,
            content: crate::article::NewArticle {
                headline: format!("Article {id}"),
                subheading: None,
                authors: Vec::new(),
                source: None,
                url: None,
                published_at: None,
                modified_at: None,
                section: None,
                tags: Vec::new(),
                language: Some("en".into()),
                paragraphs: vec![paragraph],
                summary_only: false,
            },
            updated_at: now,
            ingested_at: now,
            word_count: 6,
            content_hash: String::new(),
            story_id: id,
            captured: None,
            origin: None,
        }
    }

    #[test]
    fn phrases_are_counted_exactly_in_a_small_archive_and_estimated_in_a_large_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path().join("index"));
        let lock = root.lock().unwrap();
        let generation = root.new_generation(&lock).unwrap();
        let index = SearchIndex::create(&root, &generation).unwrap();
        let mut writer = index.writer().unwrap();
        // "prime minister" in every third article, "minister prime" (the
        // same words the other way round) in none, "harbour" alone in
        // every seventh.
        let articles: Vec<Article> = (1..=6_000)
            .map(|id| {
                let text = match (id % 3, id % 7) {
                    (0, _) => "the prime minister spoke today",
                    (_, 0) => "a minister and a prime harbour",
                    _ => "nothing to see here at all",
                };
                article(id, text.to_owned())
            })
            .collect();
        writer.add(&articles).unwrap();
        writer.commit(1).unwrap();
        let index = index.refreshed().unwrap();
        let pairs = [("prime", "minister"), ("minister", "prime")];
        assert_eq!(
            index.phrase_frequencies_in(&pairs, &[0, 0], 6_000).unwrap(),
            [2_000, 0]
        );
        let estimated = index.phrase_frequencies_in(&pairs, &[0, 3], 600).unwrap();
        assert!(
            (1_800..=2_200).contains(&estimated[0]),
            "estimated {estimated:?} from a sample of 600"
        );
        assert_eq!(
            estimated[1], 3,
            "never fewer than the articles known to hold it"
        );
    }
}

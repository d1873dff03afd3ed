//! What sets a search's matches apart: the words and two-word phrases much
//! more common in a sample of its matches (the best-matching article of
//! each story, up to [`SAMPLE`]) than in the archive as a whole, scored as
//! Elasticsearch's significant-terms aggregation does by default (JLH),
//! with the stop words of each article's language left out.

use std::collections::HashMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::archive::{Archive, Error, Result};
use crate::search::{Request, SearchIndex, Sort};

/// Matches the terms are counted in: the best-matching one of each story.
pub const SAMPLE: usize = 100;
/// Most terms one request may ask for.
pub const MAX_TERMS: usize = 50;
/// Candidates of each kind weighed against the archive (the most frequent
/// in the sample); two-word phrases cost a phrase search each.
const WORD_CANDIDATES: usize = 300;
const PHRASE_CANDIDATES: usize = 24;

/// A word or phrase that sets the matches apart.
#[derive(Debug, Clone, PartialEq)]
pub struct SignificantTerm {
    /// As the matches most often write it.
    pub term: String,
    /// Sampled matches that hold it.
    pub matches: u64,
    /// `matches` over the sample's size.
    pub share: f64,
    /// How much more common it is in the sample than in the archive (JLH).
    pub score: f64,
}

/// The terms and the sample they were counted in.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    pub terms: Vec<SignificantTerm>,
    /// Articles in the sample.
    pub sample: usize,
}

/// The `n` terms that most set the matches of `query` apart.
pub async fn significant_terms(
    archive: &Archive,
    query: &str,
    request: &Request,
    n: usize,
) -> Result<Terms> {
    let index = archive.index()?;
    let parsed = index.parse(query)?;
    let exclude: FxHashSet<String> = SearchIndex::words(query)
        .into_iter()
        .map(|w| w.key)
        .collect();
    let sample_request = Request {
        limit: SAMPLE,
        after: None,
        sort: Sort::Relevance,
        facets: Vec::new(),
        longer_facet: None,
        histogram: None,
        all_versions: false,
        previous: false,
        ..request.clone()
    };
    let started = std::time::Instant::now();
    let searching = index.clone();
    let hits = tokio::task::spawn_blocking(move || searching.search(&parsed, &sample_request))
        .await?
        .map_err(|e| match e {
            crate::search::Error::Query(q) => Error::Query(q),
            other => Error::Search(other),
        })?;
    let ids: Vec<i64> = hits.hits.iter().map(|h| h.id).collect();
    let articles = archive.store().articles_by_ids(&ids).await?;
    let texts: Vec<(Option<String>, Vec<String>)> = articles
        .into_iter()
        .map(|a| {
            let c = a.content;
            let text = std::iter::once(c.headline)
                .chain(c.subheading)
                .chain(c.paragraphs)
                .collect();
            (c.language, text)
        })
        .collect();
    let sample = texts.len();
    let sampled = started.elapsed();
    tokio::task::spawn_blocking(move || {
        let counted = count(&texts, &exclude);
        let counted_at = started.elapsed();
        let archived = index.article_count()?;
        let words: Vec<&Candidate> = counted.words.iter().take(WORD_CANDIDATES).collect();
        let phrases: Vec<&Candidate> = counted.phrases.iter().take(PHRASE_CANDIDATES).collect();
        let word_keys: Vec<&str> = words.iter().map(|c| c.keys[0].as_str()).collect();
        let phrase_keys: Vec<(&str, &str)> = phrases
            .iter()
            .map(|c| (c.keys[0].as_str(), c.keys[1].as_str()))
            .collect();
        let in_sample: Vec<u64> = phrases.iter().map(|c| c.in_sample).collect();
        let word_frequencies = index.word_frequencies(&word_keys)?;
        let words_at = started.elapsed();
        let in_archive = word_frequencies
            .into_iter()
            .chain(index.phrase_frequencies(&phrase_keys, &in_sample)?);
        let weighed: Vec<(&Candidate, u64)> =
            words.into_iter().chain(phrases).zip(in_archive).collect();
        tracing::debug!(
            sample_ms = sampled.as_millis() as u64,
            counted_ms = (counted_at - sampled).as_millis() as u64,
            words_ms = (words_at - counted_at).as_millis() as u64,
            phrases_ms = (started.elapsed() - words_at).as_millis() as u64,
            "significant terms"
        );
        Ok::<_, crate::search::Error>(Terms {
            terms: choose(&weighed, sample, archived, n),
            sample,
        })
    })
    .await?
    .map_err(Error::Search)
}

/// A word or phrase of the sample, with how many sampled articles hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    /// One word or two, as the index holds them.
    keys: Vec<String>,
    shown: String,
    in_sample: u64,
}

/// The sample's words and phrases, most frequent first.
struct Counted {
    words: Vec<Candidate>,
    phrases: Vec<Candidate>,
}

/// Counts in how many articles each word and each two-word phrase appears
/// (each once per article), leaving out stop words of the article's
/// language, short words, numbers and the query's own words. A term held
/// by fewer than two articles is left out. Words are interned as numbers,
/// so that a phrase is a pair of them.
fn count(texts: &[(Option<String>, Vec<String>)], exclude: &FxHashSet<String>) -> Counted {
    #[derive(Default)]
    struct Interned {
        key: String,
        /// Written forms and how often each was seen.
        forms: HashMap<String, u64>,
        excluded: bool,
    }
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut words: Vec<Interned> = Vec::new();
    let mut word_articles: FxHashMap<u32, u64> = FxHashMap::default();
    let mut pair_articles: FxHashMap<(u32, u32), u64> = FxHashMap::default();
    let mut stops: HashMap<String, FxHashSet<&'static str>> = HashMap::new();
    let (mut seen_words, mut seen_pairs) = (FxHashSet::default(), FxHashSet::default());
    for (language, paragraphs) in texts {
        let primary = language
            .as_deref()
            .map_or_else(|| "en".to_owned(), crate::language::primary);
        let stop = stops
            .entry(primary)
            .or_insert_with_key(|primary| stop_words(primary));
        seen_words.clear();
        seen_pairs.clear();
        for paragraph in paragraphs {
            let mut previous: Option<u32> = None;
            for word in SearchIndex::words(paragraph) {
                let kept = word.key.chars().nth(2).is_some()
                    && !word.key.bytes().all(|c| c.is_ascii_digit())
                    && !stop.contains(word.key.as_str())
                    // Folding took the accents off: "été" is a stop word, "ete" is not.
                    && (word.shown.is_ascii() || !stop.contains(word.shown.to_lowercase().as_str()));
                if !kept {
                    previous = None;
                    continue;
                }
                let id = match ids.get(&word.key) {
                    Some(id) => *id,
                    None => {
                        words.push(Interned {
                            excluded: exclude.contains(&word.key),
                            key: word.key.clone(),
                            forms: HashMap::new(),
                        });
                        let id = (words.len() - 1) as u32;
                        ids.insert(word.key, id);
                        id
                    }
                };
                let entry = &mut words[id as usize];
                if seen_words.insert(id) {
                    *entry.forms.entry(word.shown).or_default() += 1;
                    *word_articles.entry(id).or_default() += 1;
                }
                if let Some(before) = previous
                    && seen_pairs.insert((before, id))
                {
                    *pair_articles.entry((before, id)).or_default() += 1;
                }
                previous = Some(id);
            }
        }
    }
    // The most common written form; of equals, the one that sorts last
    // (lower case: a capital may only start a sentence).
    let shown = |w: &Interned| {
        w.forms
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)))
            .map(|(form, _)| form.clone())
            .unwrap_or_else(|| w.key.clone())
    };
    let mut single: Vec<Candidate> = word_articles
        .into_iter()
        .filter(|(id, n)| *n >= 2 && !words[*id as usize].excluded)
        .map(|(id, n)| {
            let w = &words[id as usize];
            Candidate {
                keys: vec![w.key.clone()],
                shown: shown(w),
                in_sample: n,
            }
        })
        .collect();
    let mut phrases: Vec<Candidate> = pair_articles
        .into_iter()
        .filter(|((a, b), n)| {
            *n >= 2 && !(words[*a as usize].excluded && words[*b as usize].excluded)
        })
        .map(|((a, b), n)| {
            let (a, b) = (&words[a as usize], &words[b as usize]);
            Candidate {
                keys: vec![a.key.clone(), b.key.clone()],
                shown: format!("{} {}", shown(a), shown(b)),
                in_sample: n,
            }
        })
        .collect();
    let order = |a: &Candidate, b: &Candidate| {
        b.in_sample
            .cmp(&a.in_sample)
            .then_with(|| a.keys.cmp(&b.keys))
    };
    single.sort_by(order);
    phrases.sort_by(order);
    Counted {
        words: single,
        phrases,
    }
}

/// The stop words of a primary language (`fr`); English when it has none.
fn stop_words(primary: &str) -> FxHashSet<&'static str> {
    stop_words::lookup(primary)
        .or_else(|| stop_words::lookup("en"))
        .unwrap_or_default()
        .iter()
        .copied()
        .collect()
}

/// JLH: how much more common a term is in the sample (`fg`) than in the
/// archive (`bg`), times how much of the sample holds it. None when it is
/// not more common in the sample.
fn jlh(in_sample: u64, sample: usize, in_archive: u64, archived: u64) -> Option<f64> {
    if sample == 0 || archived == 0 {
        return None;
    }
    let fg = in_sample as f64 / sample as f64;
    // The sample is part of the archive: a term it holds is in the archive too.
    let bg = in_archive.max(in_sample) as f64 / archived as f64;
    (fg > bg).then(|| (fg - bg) * (fg / bg))
}

/// The `n` best-scoring terms; a word nearly always seen inside a chosen
/// phrase is left out for the phrase.
fn choose(
    weighed: &[(&Candidate, u64)],
    sample: usize,
    archived: u64,
    n: usize,
) -> Vec<SignificantTerm> {
    let mut scored: Vec<(&Candidate, f64)> = weighed
        .iter()
        .filter_map(|(c, in_archive)| Some((*c, jlh(c.in_sample, sample, *in_archive, archived)?)))
        .collect();
    // Best first; of equals, phrases before their words, so that a word
    // that only ever comes in a phrase gives way to it.
    scored.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| b.0.keys.len().cmp(&a.0.keys.len()))
            .then_with(|| a.0.keys.cmp(&b.0.keys))
    });
    let mut chosen: Vec<&(&Candidate, f64)> = Vec::new();
    for entry in &scored {
        let (candidate, _) = entry;
        let inside_a_phrase = candidate.keys.len() == 1
            && chosen.iter().any(|(phrase, _)| {
                phrase.keys.len() == 2
                    && phrase.keys.contains(&candidate.keys[0])
                    && phrase.in_sample as f64 >= 0.8 * candidate.in_sample as f64
            });
        if !inside_a_phrase {
            chosen.push(entry);
        }
        if chosen.len() == n {
            break;
        }
    }
    chosen
        .into_iter()
        .map(|(c, score)| SignificantTerm {
            term: c.shown.clone(),
            matches: c.in_sample,
            share: c.in_sample as f64 / sample as f64,
            score: *score,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(list: &[&str]) -> Vec<(Option<String>, Vec<String>)> {
        list.iter()
            .map(|t| (Some("en".to_owned()), vec![(*t).to_owned()]))
            .collect()
    }

    #[test]
    fn words_and_phrases_are_counted_once_per_article_without_stop_words() {
        let counted = count(
            &texts(&[
                "The Central Bank raised rates. The central bank said rates rise.",
                "Central bank officials and the Treasury met.",
                "A ferry sank.",
            ]),
            &FxHashSet::from_iter(["rates".to_owned()]),
        );
        let words: Vec<(&str, u64)> = counted
            .words
            .iter()
            .map(|c| (c.shown.as_str(), c.in_sample))
            .collect();
        assert_eq!(words, [("bank", 2), ("Central", 2)]);
        let phrases: Vec<(&str, u64)> = counted
            .phrases
            .iter()
            .map(|c| (c.shown.as_str(), c.in_sample))
            .collect();
        assert_eq!(phrases, [("Central bank", 2)]);
    }

    #[test]
    fn a_term_scores_only_when_more_common_in_the_sample() {
        assert_eq!(jlh(10, 100, 1_000, 10_000), None);
        assert!(jlh(50, 100, 1_000, 100_000).unwrap() > jlh(20, 100, 1_000, 100_000).unwrap());
        assert!(jlh(20, 100, 100, 100_000).unwrap() > jlh(20, 100, 1_000, 100_000).unwrap());
    }

    #[test]
    fn a_word_inside_a_chosen_phrase_gives_way_to_it() {
        let phrase = Candidate {
            keys: vec!["central".into(), "bank".into()],
            shown: "central bank".into(),
            in_sample: 40,
        };
        let word = Candidate {
            keys: vec!["bank".into()],
            shown: "bank".into(),
            in_sample: 45,
        };
        let other = Candidate {
            keys: vec!["inflation".into()],
            shown: "inflation".into(),
            in_sample: 30,
        };
        let chosen = choose(
            &[(&phrase, 100), (&word, 300), (&other, 500)],
            100,
            100_000,
            5,
        );
        let terms: Vec<&str> = chosen.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(terms, ["central bank", "inflation"]);
        assert_eq!(chosen[0].matches, 40);
        assert!((chosen[0].share - 0.4).abs() < 1e-9);
    }
}

//! Boilerplate a source repeats on every page (a subscribe line, a footer
//! credit): which paragraphs may be boilerplate and the key they are counted
//! under. The store counts them and removes learned ones. No I/O here.
//!
//! The rule: a paragraph of at most [`MAX_CHARS`] characters among an
//! article's first [`FIRST`] or last [`LAST`] paragraphs is boilerplate of
//! its source once it has appeared, word for word, in articles of that
//! source telling [`STORIES`] different stories (copies of one story do not
//! count twice). It is then hidden in the source's articles, old and new
//! (from pages and the index), unless it is all an article has; the record
//! keeps every paragraph, so a later change of judgement costs no text.

/// Paragraphs at the top of an article that are looked at.
pub const FIRST: usize = 2;
/// Paragraphs at the end of an article that are looked at.
pub const LAST: usize = 3;
/// Longest paragraph that can be boilerplate, in characters.
pub const MAX_CHARS: usize = 300;
/// Different stories a paragraph must appear in to be learned.
pub const STORIES: i64 = 3;

/// The paragraphs of a body that may be boilerplate, with their keys.
pub fn candidates(paragraphs: &[String]) -> Vec<(i64, &str)> {
    let n = paragraphs.len();
    let mut out: Vec<(i64, &str)> = paragraphs
        .iter()
        .enumerate()
        .filter(|(i, p)| (*i < FIRST || *i + LAST >= n) && p.chars().count() <= MAX_CHARS)
        .map(|(_, p)| (key(p), p.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup_by_key(|(k, _)| *k);
    out
}

/// The positions of the paragraphs to hide: those whose key is learned,
/// unless that would hide them all.
pub fn hidden(paragraphs: &[String], learned: impl Fn(i64) -> bool) -> Vec<usize> {
    let positions: Vec<usize> = (0..paragraphs.len())
        .filter(|&i| learned(key(&paragraphs[i])))
        .collect();
    if positions.len() == paragraphs.len() {
        Vec::new()
    } else {
        positions
    }
}

/// The positions hidden once the newly learned `text` joins `hidden`; None
/// when nothing changes or every paragraph would be hidden.
pub fn also_hide(paragraphs: &[String], hidden: &[usize], text: &str) -> Option<Vec<usize>> {
    let after: Vec<usize> = (0..paragraphs.len())
        .filter(|i| hidden.contains(i) || paragraphs[*i] == text)
        .collect();
    (after.len() < paragraphs.len() && after != hidden).then_some(after)
}

/// The paragraphs a reader sees: all but the hidden positions.
pub fn shown<'a>(paragraphs: &'a [String], hidden: &[usize]) -> Vec<&'a str> {
    paragraphs
        .iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
        .map(|(_, p)| p.as_str())
        .collect()
}

/// A paragraph's key: 63 bits of a stable hash of its exact text (it is stored).
pub fn key(paragraph: &str) -> i64 {
    (crate::story::stable_hash(paragraph.as_bytes()) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_paragraphs_near_the_edges_are_candidates() {
        let body: Vec<String> = (0..8)
            .map(|i| format!("Paragraph {i}."))
            .chain(["x".repeat(MAX_CHARS + 1)])
            .collect();
        let texts: Vec<&str> = candidates(&body).into_iter().map(|(_, t)| t).collect();
        let mut expected = vec![
            "Paragraph 0.",
            "Paragraph 1.",
            "Paragraph 6.",
            "Paragraph 7.",
        ];
        expected.sort_by_key(|t| key(t));
        let mut texts = texts;
        texts.sort_by_key(|t| key(t));
        assert_eq!(texts, expected);
        assert_eq!(key("Subscribe now."), key("Subscribe now."));
        assert_ne!(key("Subscribe now."), key("Subscribe now!"));
    }
}

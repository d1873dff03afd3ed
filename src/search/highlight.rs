//! Highlights: the headline with its matches in `<mark>`, and the best
//! matching passage of the body as a snippet.

use super::*;
use crate::article::NewArticle;

/// A passage of an article with the matched words in `<mark>`, escaped otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Safe HTML: escaped text with `<mark>` around matches.
    pub html: String,
    /// Index of the paragraph the passage comes from (0-based).
    pub paragraph: usize,
}

/// Finds and marks the best matching passage of an article, in the
/// analysis of the article's language.
pub struct Highlighter {
    fields: Fields,
    /// For each text field the query asks (English's `text` always): the
    /// generators of body passages and of headlines.
    by_field: Vec<(Field, SnippetGenerator, SnippetGenerator)>,
    /// Text a paragraph in English must contain (lowercase) to hold a
    /// match; None when some matched term is too short or not ASCII to tell.
    clues: Option<Vec<String>>,
}

impl Highlighter {
    pub(super) fn new(
        searcher: &Searcher,
        query: &dyn Query,
        fields: Fields,
    ) -> Result<Highlighter> {
        let mut asked = vec![fields.text];
        query.query_terms(&mut |term, _| {
            let field = term.field();
            if !asked.contains(&field) && fields.texts().any(|f| f == field) {
                asked.push(field);
            }
        });
        let mut by_field = Vec::with_capacity(asked.len());
        for field in asked {
            let mut body = SnippetGenerator::create(searcher, query, field)?;
            body.set_max_num_chars(240);
            let mut headline = SnippetGenerator::create(searcher, query, field)?;
            headline.set_max_num_chars(10_000);
            by_field.push((field, body, headline));
        }
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
            fields,
            by_field,
            clues,
        })
    }

    /// The generators for the article's language (English's when the query
    /// asks nothing of its field, which then marks nothing).
    fn generators(&self, article: &NewArticle) -> (&SnippetGenerator, &SnippetGenerator, bool) {
        let field = self.fields.text_of(article.language_of_text());
        let (field, body, headline) = self
            .by_field
            .iter()
            .find(|(f, _, _)| *f == field)
            .unwrap_or(&self.by_field[0]);
        (body, headline, *field == self.fields.text)
    }

    /// False when `text` cannot hold a match, found without analysing it:
    /// analysing (stemming) every paragraph of every result is most of a
    /// search's time, and most paragraphs hold none of the query's words.
    /// Only English's stems give such clues.
    fn may_match(&self, text: &str, english: bool) -> bool {
        let Some(clues) = self.clues.as_ref().filter(|_| english) else {
            return true;
        };
        // Folding could turn a non-ASCII letter into one of the clue's.
        if text.chars().any(|c| !c.is_ascii() && c.is_alphanumeric()) {
            return true;
        }
        let lower = text.to_ascii_lowercase();
        clues.iter().any(|clue| lower.contains(clue.as_str()))
    }

    /// The article's headline with matches marked (escaped HTML), and the
    /// paragraph passage with the most matched words (None when no
    /// paragraph matches), both in the analysis of its language, which is
    /// worked out once.
    pub fn marks(&self, article: &NewArticle) -> (String, Option<Snippet>) {
        let (body, headline, english) = self.generators(article);
        (
            Self::headline(headline, &article.headline),
            self.snippet(body, english, &article.paragraphs),
        )
    }

    fn headline(generator: &SnippetGenerator, headline: &str) -> String {
        let snippet = generator.snippet(headline);
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

    fn snippet(
        &self,
        body: &SnippetGenerator,
        english: bool,
        paragraphs: &[String],
    ) -> Option<Snippet> {
        // Best: the most distinct query words, then the most matches.
        let mut best: Option<((usize, usize), Snippet)> = None;
        for (index, text) in paragraphs.iter().enumerate() {
            if !self.may_match(text, english) {
                continue;
            }
            let snippet = body.snippet(text);
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
pub(super) fn stem_clue(term: &str) -> Option<String> {
    (term.len() >= 4 && term.is_ascii()).then(|| term[..term.len() - 1].to_owned())
}

pub(super) fn mark(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
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

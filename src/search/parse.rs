//! Reading a reader's query: normalised, bounded in length and nesting,
//! aliases and dates rewritten, then parsed leniently, each plain word kept
//! for relaxing.

use super::*;

impl SearchIndex {
    /// Parses a reader's query leniently, within the length and nesting
    /// limits: aliases and date filters first, then tantivy's syntax.
    pub fn parse(&self, raw: &str) -> Result<ParsedQuery, QueryError> {
        let text = normalise_query(raw);
        let chars = text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong(chars));
        }
        let depth = nesting_depth(&text);
        if depth > MAX_QUERY_DEPTH {
            return Err(QueryError::TooDeep(depth));
        }
        let rewritten = query::rewrite(&text);
        if !rewritten.text.chars().any(char::is_alphanumeric) {
            // Dates alone ask for every article of the period.
            if rewritten.dates.is_open() {
                return Err(QueryError::Empty);
            }
            return Ok(ParsedQuery {
                query: Box::new(AllQuery),
                ignored: rewritten.ignored,
                dates: rewritten.dates,
                words: Vec::new(),
            });
        }
        let f = self.fields;
        // Words are looked for in every language the archive holds, each
        // analysed the way that language's articles were.
        let mut defaults = vec![
            f.text,
            f.text_exact,
            f.headline,
            f.author,
            f.source,
            f.section,
            f.tag,
        ];
        defaults.extend(&self.languages);
        let mut parser = QueryParser::for_index(&self.index, defaults);
        parser.set_conjunction_by_default();
        // A word in the headline counts a little more, not as a whole
        // second score; every text field is scored with the archive's BM25.
        let weight = |field: Field| {
            if field == f.headline {
                Some(HEADLINE_BOOST)
            } else {
                ([f.text_exact, f.author, f.source, f.section, f.tag].contains(&field)
                    || f.texts().any(|text| text == field))
                .then_some(1.0)
            }
        };
        let retune = |query| bm25::retune(query, &weight);
        let (query, errors) = parser.parse_query_lenient(&rewritten.text);
        let query = retune(query);
        let mut ignored = rewritten.ignored;
        ignored.extend(errors.iter().map(|e| e.to_string()));
        // For relaxing, each word alone: in any form, and as typed (the
        // fields that do not stem).
        let typed = QueryParser::for_index(
            &self.index,
            vec![f.text_exact, f.author, f.source, f.section, f.tag],
        );
        let words = plain_words(&rewritten.text)
            .iter()
            .filter_map(|w| Some((parser.parse_query(w).ok()?, typed.parse_query(w).ok()?)))
            .map(|(any_form, as_typed)| Word {
                any_form: retune(any_form),
                as_typed: retune(as_typed),
            })
            .collect();
        Ok(ParsedQuery {
            query,
            ignored,
            dates: rewritten.dates,
            words,
        })
    }
}

/// A query ready to run, with what lenient parsing had to ignore.
pub struct ParsedQuery {
    pub(super) query: Box<dyn Query>,
    /// Parts of the query that could not be understood, in words.
    pub ignored: Vec<String>,
    /// The publication dates the query itself asked for.
    pub dates: query::DateSpan,
    /// Each word of a query of plain words, parsed alone (for relaxing).
    pub(super) words: Vec<Word>,
}

/// One word of a query, for relaxing it.
pub(super) struct Word {
    /// The word in any form: stemmed, as typed, or a name.
    pub(super) any_form: Box<dyn Query>,
    /// The word only in the form typed (accents and case aside).
    pub(super) as_typed: Box<dyn Query>,
}

/// The words of a query made only of words (no phrases, fields, operators
/// or groups); empty otherwise.
pub(super) fn plain_words(text: &str) -> Vec<&str> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let plain = words.iter().all(|w| {
        !matches!(*w, "AND" | "OR" | "NOT")
            && !w.starts_with(['-', '+'])
            && !w.contains(['"', '(', ')', ':', '[', ']', '{', '}', '^', '~', '*'])
            && w.chars().any(char::is_alphanumeric)
    });
    if plain { words } else { Vec::new() }
}

/// Curly quotes become straight ones, so `“food security”` is a phrase.
pub(super) fn normalise_query(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '“' | '”' | '„' | '«' | '»' => '"',
            '‘' | '’' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

pub(super) fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

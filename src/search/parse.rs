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
                highlight: Box::new(AllQuery),
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
        // Highlights show every form the stemmed fields would have matched
        // (the highlighter reads only the terms, so the parse as it is).
        let highlight = query.box_clone();
        let query = excluded::guard_exclusions(retune(phrases_as_written(query, &f)));
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
            highlight,
            ignored,
            dates: rewritten.dates,
            words,
        })
    }
}

/// A query ready to run, with what lenient parsing had to ignore.
pub struct ParsedQuery {
    pub(super) query: Box<dyn Query>,
    /// The query as parsed, phrases on stemmed fields kept: what the
    /// highlighter marks.
    pub(super) highlight: Box<dyn Query>,
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

/// A quoted phrase asks for the words as written: the parser makes one
/// phrase query per default field, and where the one on `text_exact` (the
/// same words, case and accents folded; it holds the headline too) stands,
/// those on the stemming fields (the text fields and the headline's) are
/// left out. Each of them would read the positions of every common word of
/// the phrase again, which made phrases the slowest searches at a million
/// articles. Phrases in Chinese, Japanese and Korean keep their own fields,
/// since `text_exact` holds those scripts as whole runs.
pub(super) fn phrases_as_written(query: Box<dyn Query>, f: &Fields) -> Box<dyn Query> {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let phrase_on = |clause: &dyn Query| {
        clause
            .downcast_ref::<tantivy::query::PhraseQuery>()
            .map(|phrase| phrase.field())
    };
    let has_exact = boolean
        .clauses()
        .iter()
        .any(|(_, clause)| phrase_on(clause.as_ref()) == Some(f.text_exact));
    let stemming = |field: Field| {
        field == f.text
            || field == f.headline
            || LANGUAGES
                .iter()
                .zip(f.text_in)
                .any(|((_, _, analysis), text)| {
                    text == field && matches!(analysis, Analysis::Stem(_))
                })
    };
    let clauses = boolean
        .clauses()
        .iter()
        .filter(|(occur, clause)| {
            !(has_exact
                && *occur == Occur::Should
                && phrase_on(clause.as_ref()).is_some_and(stemming))
        })
        .map(|(occur, clause)| (*occur, phrases_as_written(clause.box_clone(), f)))
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        boolean.get_minimum_number_should_match(),
    ))
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

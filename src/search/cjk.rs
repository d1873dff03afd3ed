//! Words in scripts written without spaces: Chinese by jieba's dictionary,
//! Japanese and Korean as overlapping pairs of characters (no Japanese
//! segmenter on Cargo's registry ships its dictionary inside the crate:
//! lindera's downloads it while building, which these machines cannot do).

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// The tokens of a text, made all at once and handed out one by one.
pub struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokens {
    fn new(tokens: Vec<Token>) -> Tokens {
        Tokens { tokens, next: 0 }
    }
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text: text[from..to].to_owned(),
        position_length: 1,
    }
}

/// Chinese words by jieba's dictionary. A word of three or more characters
/// also yields the dictionary words inside it at its own position (北京大学
/// gives 北京 and 大学 too), so a shorter word finds it and a phrase of
/// words still lines up.
#[derive(Clone, Default)]
pub struct ChineseTokenizer;

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let mut tokens = Vec::new();
        let mut position = 0;
        for word in JIEBA.cut(text, true) {
            if !word.word.chars().any(char::is_alphanumeric) {
                continue;
            }
            let chars: Vec<(usize, char)> = word.word.char_indices().collect();
            let at = |k: usize| chars.get(k).map_or(word.word.len(), |(i, _)| *i);
            for len in [2, 3] {
                if chars.len() <= len {
                    continue;
                }
                for start in 0..=chars.len() - len {
                    let inner = &word.word[at(start)..at(start + len)];
                    if JIEBA.has_word(inner) {
                        let from = word.byte_start + at(start);
                        tokens.push(token(text, from, from + inner.len(), position));
                    }
                }
            }
            tokens.push(token(text, word.byte_start, word.byte_end, position));
            position += 1;
        }
        Tokens::new(tokens)
    }
}

/// Runs of Han, kana and Hangul as overlapping pairs of characters (東京都
/// gives 東京 and 京都; a lone character stays one token), and other words
/// whole: any word of two characters or more inside a run finds it.
#[derive(Clone, Default)]
pub struct BigramTokenizer;

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}' // Han extension A
        | '\u{4E00}'..='\u{9FFF}' // Han
        | '\u{F900}'..='\u{FAFF}' // Han compatibility
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{1100}'..='\u{11FF}' // Hangul jamo
        | '\u{FF66}'..='\u{FF9F}' // half-width katakana
        | '\u{20000}'..='\u{2FA1F}' // Han extensions B to F, compatibility supplement
    )
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let mut tokens = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if is_cjk(c) {
                let mut run = vec![start];
                while let Some(&(i, next)) = chars.peek() {
                    if !is_cjk(next) {
                        break;
                    }
                    run.push(i);
                    chars.next();
                }
                let end = chars.peek().map_or(text.len(), |(i, _)| *i);
                run.push(end);
                // run holds each character's start, then the run's end.
                if run.len() == 2 {
                    tokens.push(token(text, run[0], run[1], tokens.len()));
                }
                for pair in run.windows(3) {
                    tokens.push(token(text, pair[0], pair[2], tokens.len()));
                }
            } else if c.is_alphanumeric() {
                let mut end = start + c.len_utf8();
                while let Some(&(i, next)) = chars.peek() {
                    if !next.is_alphanumeric() || is_cjk(next) {
                        break;
                    }
                    end = i + next.len_utf8();
                    chars.next();
                }
                tokens.push(token(text, start, end, tokens.len()));
            }
        }
        Tokens::new(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<T: Tokenizer>(mut tokenizer: T, text: &str) -> Vec<(String, usize)> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position));
        }
        out
    }

    #[test]
    fn chinese_words_and_the_words_inside_them_share_a_position() {
        let tokens = texts(ChineseTokenizer, "我在北京大学学习。");
        assert!(tokens.contains(&("北京".to_owned(), 2)), "{tokens:?}");
        assert!(tokens.contains(&("北京大学".to_owned(), 2)), "{tokens:?}");
        assert!(!tokens.iter().any(|(t, _)| t == "。"), "{tokens:?}");
    }

    #[test]
    fn cjk_runs_become_pairs_and_other_words_stay_whole() {
        assert_eq!(
            texts(BigramTokenizer, "東京都 NHK 日"),
            [
                ("東京".to_owned(), 0),
                ("京都".to_owned(), 1),
                ("NHK".to_owned(), 2),
                ("日".to_owned(), 3)
            ]
        );
    }
}

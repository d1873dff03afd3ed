//! JSON and NDJSON articles, in the same field format as the API.

use std::io::BufRead;

use super::ParseError;
use crate::article::{ArticleInput, NewArticle};

/// Parses one JSON article or an array of articles.
pub fn parse_json(content: &str) -> Result<Vec<NewArticle>, ParseError> {
    let value: serde_json::Value = serde_json::from_str(content).map_err(json_error)?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        value @ serde_json::Value::Object(_) => vec![value],
        _ => {
            return Err(ParseError::at(
                1,
                "expected an article object or an array of articles",
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let input: ArticleInput = serde_json::from_value(item)
                .map_err(|e| ParseError::whole(format!("article {} of the array: {e}", i + 1)))?;
            input
                .validate()
                .map_err(|e| ParseError::whole(format!("article {} of the array: {e}", i + 1)))
        })
        .collect()
}

/// Parses one NDJSON line; `line` is used in the error.
pub fn parse_json_line(text: &str, line: usize) -> Result<NewArticle, ParseError> {
    let input: ArticleInput = serde_json::from_str(text).map_err(|e| {
        ParseError::at(
            line,
            format!("{} (column {})", strip_position(&e), e.column()),
        )
    })?;
    input
        .validate()
        .map_err(|e| ParseError::at(line, e.to_string()))
}

/// Reads NDJSON one line at a time, skipping blank lines, so a large file is never held whole.
pub struct NdjsonReader<R> {
    reader: R,
    line: usize,
    buf: String,
    /// Bytes read so far.
    pub bytes_read: u64,
}

impl<R: BufRead> NdjsonReader<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            line: 0,
            buf: String::new(),
            bytes_read: 0,
        }
    }
}

impl<R: BufRead> Iterator for NdjsonReader<R> {
    /// The line number, and the article or why it is not one.
    type Item = (usize, Result<NewArticle, ParseError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.reader.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(n) if self.buf.trim().is_empty() => self.bytes_read += n as u64,
                Ok(n) => {
                    self.bytes_read += n as u64;
                    return Some((self.line, parse_json_line(self.buf.trim(), self.line)));
                }
                Err(e) => return Some((self.line, Err(ParseError::at(self.line, e.to_string())))),
            }
        }
    }
}

fn json_error(e: serde_json::Error) -> ParseError {
    ParseError::at(
        e.line(),
        format!("{} (column {})", strip_position(&e), e.column()),
    )
}

/// serde_json appends " at line L column C"; we report the line ourselves.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_errors_name_their_line() {
        let input =
            "{\"headline\": \"One\"}\n\n{\"headline\": \"Two\", \"colour\": 1}\n{\"headline\": }\n";
        let results: Vec<_> = NdjsonReader::new(input.as_bytes()).collect();
        assert_eq!(results.len(), 3);
        assert!(results[0].1.is_ok());
        let err = results[1].1.as_ref().unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("colour"), "{err}");
        assert_eq!(results[2].1.as_ref().unwrap_err().line, Some(4));
    }

    #[test]
    fn json_accepts_one_or_many() {
        assert_eq!(parse_json(r#"{"headline": "A"}"#).unwrap().len(), 1);
        assert_eq!(
            parse_json(r#"[{"headline": "A"}, {"headline": "B"}]"#)
                .unwrap()
                .len(),
            2
        );
        let err = parse_json("[{\"headline\": \"A\"},\n {\"headline\": \"\"}]").unwrap_err();
        assert!(err.message.contains("article 2"), "{err}");
        let err = parse_json("{\n\"headline\": \"A\",\n}").unwrap_err();
        assert_eq!(err.line, Some(3));
    }
}

//! The escaper of the XML templates (feeds, sitemaps): HTML's escaping, and
//! characters XML 1.0 forbids (control characters other than tab and line
//! ends, U+FFFE, U+FFFF) left out, so that no stored text can make a
//! document ill-formed. Text is cleaned of them at ingest too; this keeps
//! articles stored before that, and any other value, from breaking a feed.

use std::fmt::{self, Write};

use askama::filters::{Escaper, Html};

/// Whether XML 1.0 allows `c` in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[derive(Debug, Clone, Copy)]
pub struct Xml;

impl Escaper for Xml {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        for part in string.split(|c| !is_xml_char(c)) {
            Html.write_escaped_str(&mut dest, part)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_left_out_and_the_rest_escaped() {
        let mut out = String::new();
        Xml.write_escaped_str(&mut out, "a\u{ffff}b\u{fffe}<c>\u{1}&\u{b}d\té")
            .unwrap();
        assert_eq!(out, "ab&#60;c&#62;&#38;d\té");
    }
}

//! Plain-text articles: an optional front-matter block (`---` lines around
//! `key: value` pairs), the headline on the first non-empty line, then
//! paragraphs separated by blank lines. Scraped comment-form, share and
//! subscribe boilerplate is removed.

use super::ParseError;
use crate::article::{ArticleInput, NewArticle, Source, SourceInput, format_date, parse_date};

/// Blocks that start a page footer: they and everything after them are dropped.
const FOOTER_STARTS: &[&str] = &[
    "leave a reply",
    "leave a comment",
    "post a comment",
    "add a comment",
    "comments",
    "share this",
    "share this article",
    "share this story",
    "related posts",
    "related articles",
    "you may also like",
    "post navigation",
    "like this",
];

/// Blocks dropped wherever they appear.
const BOILERPLATE_PREFIXES: &[&str] = &[
    "your email address will not be published",
    "required fields are marked",
    "save my name, email, and website",
    "click to share on",
    "share on facebook",
    "share on twitter",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "cancel reply",
    "post comment",
];

const FRONT_MATTER_KEYS: &str =
    "published, source, site, url, authors, section, tags, language, subheading";

/// Parses a plain-text article.
pub fn parse_text(content: &str) -> Result<NewArticle, ParseError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let lines: Vec<&str> = content.lines().collect();
    let mut input = ArticleInput::default();
    let mut site: Option<String> = None;
    let mut start = 0;
    let first = lines.iter().position(|l| !l.trim().is_empty());
    if let Some(first) = first
        && lines[first].trim() == "---"
    {
        let end = lines[first + 1..]
            .iter()
            .position(|l| l.trim() == "---")
            .map(|i| i + first + 1)
            .ok_or_else(|| {
                ParseError::at(first + 1, "front matter opened with `---` is never closed")
            })?;
        for (i, raw) in lines.iter().enumerate().take(end).skip(first + 1) {
            let line_no = i + 1;
            if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
                continue;
            }
            let (key, value) = raw.split_once(':').ok_or_else(|| {
                ParseError::at(
                    line_no,
                    format!(
                        "expected `key: value` in the front matter, found `{}`",
                        raw.trim()
                    ),
                )
            })?;
            let value = value.trim().to_owned();
            // An empty value means the field is unknown.
            let given = (!value.is_empty()).then(|| value.clone());
            match key.trim().to_ascii_lowercase().as_str() {
                "published" | "published_at" | "date" => {
                    // Front matter may also say `2022-05-16 09:30` (taken as UTC).
                    input.published_at = given.map(|v| match parse_date(&v) {
                        Some(d) => format_date(&d),
                        None => v,
                    });
                }
                "source" => input.source = Some(SourceInput::Name(value)),
                "site" => site = given,
                "url" => input.url = given,
                "authors" | "author" | "byline" => input.authors = split_list(&value),
                "section" => input.section = Some(value),
                "tags" | "tag" => input.tags = split_list(&value),
                "language" | "lang" => input.language = given,
                "subheading" => input.subheading = Some(value),
                other => {
                    return Err(ParseError::at(
                        line_no,
                        format!("unknown front-matter key `{other}` (known: {FRONT_MATTER_KEYS})"),
                    ));
                }
            }
        }
        start = end + 1;
    }
    let body = &lines[start.min(lines.len())..];
    let headline_at = body
        .iter()
        .position(|l| !l.trim().is_empty())
        .ok_or_else(|| {
            ParseError::whole("the file has no headline: it is empty after the front matter")
        })?;
    input.headline = Some(body[headline_at].trim().to_owned());
    input.paragraphs = Some(strip_boilerplate(crate::article::split_paragraphs(
        &body[headline_at + 1..].join("\n"),
    )));
    if let Some(site) = site {
        let name = match input.source.take() {
            Some(SourceInput::Name(name)) => name,
            _ => {
                return Err(ParseError::whole(
                    "front matter gives `site` without `source`",
                ));
            }
        };
        input.source = Some(SourceInput::Full(Source {
            name,
            site: Some(site),
        }));
    }
    input
        .validate()
        .map_err(|e| ParseError::whole(e.to_string()))
}

fn split_list(value: &str) -> Vec<String> {
    let sep = if value.contains(';') { ';' } else { ',' };
    value
        .split(sep)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn normalise(block: &str) -> String {
    block
        .trim()
        .trim_end_matches([':', '.', '!', '*', ' '])
        .to_lowercase()
        .replace('’', "'")
}

/// Drops a scraped footer (from its first marker on) and boilerplate blocks.
pub(super) fn strip_boilerplate(paragraphs: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(paragraphs.len());
    for (i, p) in paragraphs.into_iter().enumerate() {
        let n = normalise(&p);
        if i > 0 && p.len() < 60 && FOOTER_STARTS.contains(&n.as_str()) {
            break;
        }
        if BOILERPLATE_PREFIXES.iter().any(|b| n.starts_with(b)) {
            continue;
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../samples/000_f0d819e84fc44671.txt");

    #[test]
    fn the_seed_keeps_its_story_and_loses_its_footer() {
        let a = parse_text(SEED).unwrap();
        assert_eq!(
            a.headline,
            "Pakistan and United States have Resumed Attempts to Restore Relations"
        );
        assert_eq!(a.paragraphs.len(), 11);
        assert!(a.paragraphs[2].contains("“Global Food Security Call to Action.”"));
        assert!(a.paragraphs[4].contains("Security Council’s Open Debate"));
        assert!(a.paragraphs[4].contains("Conflicts & Food Security"));
        assert!(a.paragraphs[1].contains("Bilawal Bhutto-Zardari"));
        assert!(a.paragraphs[10].ends_with("Mr Kugelman stated in one of these tweets."));
        for p in &a.paragraphs {
            assert!(
                !p.contains("Leave a Reply") && !p.contains("email address"),
                "{p}"
            );
        }
    }

    #[test]
    fn front_matter_supplies_metadata() {
        let text = "---\npublished: 2022-05-16\nsource: Dawn\nsite: https://www.dawn.com\nauthors: A. Writer; B. Writer\ntags: diplomacy, usa\n---\nHeadline here\n\nFirst paragraph\nwraps here.\n\nSecond.\n";
        let a = parse_text(text).unwrap();
        assert_eq!(a.headline, "Headline here");
        assert_eq!(a.paragraphs, ["First paragraph wraps here.", "Second."]);
        assert_eq!(a.authors, ["A. Writer", "B. Writer"]);
        assert_eq!(a.tags, ["diplomacy", "usa"]);
        assert_eq!(
            a.source.unwrap().site.as_deref(),
            Some("https://www.dawn.com")
        );
    }

    #[test]
    fn bad_front_matter_names_the_line() {
        let err = parse_text("---\nsource: Dawn\ncolour: red\n---\nHeadline\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("colour"));
        let err = parse_text("---\nsource Dawn\n---\nHeadline\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        let err = parse_text("---\nsource: Dawn\nHeadline\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        let err = parse_text("---\npublished: last tuesday\n---\nHeadline\n").unwrap_err();
        assert!(err.message.contains("published_at"), "{err}");
        assert!(parse_text("\n\n  \n").is_err());
    }

    #[test]
    fn a_first_paragraph_named_comments_is_kept() {
        let a = parse_text("Headline\n\nComments\n\nBody text.\n").unwrap();
        assert_eq!(a.paragraphs, ["Comments", "Body text."]);
    }
}

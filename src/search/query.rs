//! The reader's query language on top of tantivy's: field aliases
//! (`byline:` for `author:`) and date filters written in the query
//! (`published:2022-05`, `published:[2022-05-01 TO 2022-05-31]`), taken out
//! of the text before tantivy parses the rest.

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};

/// Names readers use for fields, and the index field each means.
const ALIASES: &[(&str, &str)] = &[
    ("headline", "headline"),
    ("title", "headline"),
    ("body", "text"),
    ("text", "text"),
    ("author", "author"),
    ("byline", "author"),
    ("by", "author"),
    ("source", "source"),
    ("section", "section"),
    ("tag", "tag"),
    ("language", "language"),
    ("lang", "language"),
];

/// Names of the date filter.
const DATE_FIELDS: &[&str] = &["published", "date"];

/// A span of publication times: `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateSpan {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl DateSpan {
    /// The span both spans allow.
    pub fn and(self, other: DateSpan) -> DateSpan {
        DateSpan {
            from: self.from.max(other.from),
            until: match (self.until, other.until) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }
}

/// Where an inclusive `to` bound ends: `to` as written (`2022-05-31` or
/// `2022-05-31T18:00:00Z`) and as parsed; a date alone means the whole day.
pub fn end_of(written: &str, parsed: DateTime<Utc>) -> DateTime<Utc> {
    if written.len() == 10 {
        parsed + TimeDelta::days(1)
    } else {
        parsed + TimeDelta::seconds(1)
    }
}

/// A query with its date filters taken out and its field names made canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// What tantivy parses.
    pub text: String,
    /// The dates the query asked for.
    pub dates: DateSpan,
    /// What could not be understood, in words.
    pub ignored: Vec<String>,
}

/// Rewrites aliases and takes out date filters, leaving quoted phrases alone.
pub fn rewrite(query: &str) -> Rewritten {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Rewritten::default();
    let mut i = 0;
    let mut in_quote = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            in_quote = !in_quote;
        }
        let at_word_start = i == 0 || matches!(chars[i - 1], ' ' | '\t' | '\n' | '(' | '-' | '+');
        if in_quote || !at_word_start || !c.is_ascii_alphabetic() {
            out.text.push(c);
            i += 1;
            continue;
        }
        let name_end = (i..chars.len())
            .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '_'))
            .unwrap_or(chars.len());
        if chars.get(name_end) != Some(&':') {
            out.text.push(c);
            i += 1;
            continue;
        }
        let name: String = chars[i..name_end].iter().collect::<String>().to_lowercase();
        // `field:*` would ask for every article with any value there, which
        // the index cannot answer for text fields.
        let value_end = name_end + 2;
        if chars.get(name_end + 1) == Some(&'*')
            && chars
                .get(value_end)
                .is_none_or(|c| c.is_whitespace() || *c == ')')
        {
            if i > 0 && matches!(chars[i - 1], '-' | '+') {
                out.text.pop();
            }
            out.ignored.push(format!(
                "`{name}:*` (any value) cannot be searched; give a word or name after `{name}:`"
            ));
            i = value_end;
            continue;
        }
        if DATE_FIELDS.contains(&name.as_str()) {
            let (value, end) = date_value(&chars, name_end + 1);
            let negated = i > 0 && chars[i - 1] == '-';
            if negated {
                out.text.pop();
                out.ignored.push(format!(
                    "`-{name}:{value}`: articles cannot be excluded by date; use a range"
                ));
            } else {
                match parse_span(&value) {
                    Some(span) => out.dates = out.dates.and(span),
                    None => out.ignored.push(format!(
                        "`{name}:{value}`: dates look like 2022, 2022-05, 2022-05-16 or [2022-05-01 TO 2022-05-31]"
                    )),
                }
            }
            i = end;
            continue;
        }
        match ALIASES.iter().find(|(alias, _)| *alias == name) {
            Some((_, field)) => {
                out.text.push_str(field);
                out.text.push(':');
                i = name_end + 1;
            }
            None => {
                out.text.push(c);
                i += 1;
            }
        }
    }
    out.text = out.text.trim().to_owned();
    out
}

/// The value after `published:`: a bracketed range or one word.
fn date_value(chars: &[char], start: usize) -> (String, usize) {
    if let Some(&open @ ('[' | '{')) = chars.get(start) {
        let close = if open == '[' { ']' } else { '}' };
        let end = (start..chars.len())
            .find(|&j| chars[j] == close)
            .map_or(chars.len(), |j| j + 1);
        return (chars[start..end].iter().collect(), end);
    }
    let end = (start..chars.len())
        .find(|&j| chars[j].is_whitespace() || chars[j] == ')')
        .unwrap_or(chars.len());
    (chars[start..end].iter().collect(), end)
}

/// `2022`, `2022-05`, `2022-05-16`, or `[A TO B]` with `*` for an open end.
pub fn parse_span(value: &str) -> Option<DateSpan> {
    if let Some(inner) = value
        .strip_prefix(['[', '{'])
        .and_then(|v| v.strip_suffix([']', '}']))
    {
        let (a, b) = inner
            .split_once(" TO ")
            .or_else(|| inner.split_once(" to "))?;
        let (a, b) = (a.trim(), b.trim());
        let from = if a == "*" { None } else { Some(period(a)?.0) };
        let until = if b == "*" { None } else { Some(period(b)?.1) };
        if let (Some(from), Some(until)) = (from, until)
            && from >= until
        {
            return None;
        }
        return Some(DateSpan { from, until });
    }
    let (from, until) = period(value)?;
    Some(DateSpan {
        from: Some(from),
        until: Some(until),
    })
}

/// The year, month or day a date names, as [start, end).
pub fn period(value: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let parts: Vec<&str> = value.split('-').collect();
    let number = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let year = number(parts.first()?, 4)? as i32;
    let (start, step) = match parts.len() {
        1 => (NaiveDate::from_ymd_opt(year, 1, 1)?, Step::Months(12)),
        2 => (
            NaiveDate::from_ymd_opt(year, number(parts[1], 2)?, 1)?,
            Step::Months(1),
        ),
        3 => (
            NaiveDate::from_ymd_opt(year, number(parts[1], 2)?, number(parts[2], 2)?)?,
            Step::Day,
        ),
        _ => return None,
    };
    let end = match step {
        Step::Months(n) => start.checked_add_months(Months::new(n))?,
        Step::Day => start.checked_add_signed(TimeDelta::days(1))?,
    };
    Some((
        start.and_hms_opt(0, 0, 0)?.and_utc(),
        end.and_hms_opt(0, 0, 0)?.and_utc(),
    ))
}

enum Step {
    Months(u32),
    Day,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> DateTime<Utc> {
        period(s).unwrap().0
    }

    #[test]
    fn aliases_become_index_fields_outside_quotes() {
        let r = rewrite("byline:kugelman title:pakistan \"byline:x\" -by:smith");
        assert_eq!(
            r.text,
            "author:kugelman headline:pakistan \"byline:x\" -author:smith"
        );
        assert!(r.ignored.is_empty());
        assert_eq!(
            rewrite("colour:red").text,
            "colour:red",
            "unknown fields stay for tantivy to report"
        );
        assert_eq!(rewrite("https://x").text, "https://x");
    }

    #[test]
    fn dates_in_the_query_become_a_span() {
        let r = rewrite("blinken published:2022-05");
        assert_eq!(r.text, "blinken");
        assert_eq!(r.dates.from, Some(day("2022-05-01")));
        assert_eq!(r.dates.until, Some(day("2022-06-01")));
        let r = rewrite("published:[2022-05-01 TO 2022-05-31] (a OR b)");
        assert_eq!(r.text, "(a OR b)");
        assert_eq!(r.dates.until, Some(day("2022-06-01")));
        let r = rewrite("date:2022 published:[* TO 2022-03]");
        assert_eq!(r.dates.from, Some(day("2022-01-01")));
        assert_eq!(r.dates.until, Some(day("2022-04-01")));
        let r = rewrite("published:2022-12-31");
        assert_eq!(r.dates.until, Some(day("2023-01-01")));
    }

    #[test]
    fn any_value_fields_are_ignored_with_a_reason() {
        for q in ["x tag:*", "x -language:*", "x text_exact:*", "x (source:*)"] {
            let r = rewrite(q);
            assert!(!r.text.contains(":*"), "{q}: {}", r.text);
            assert_eq!(r.ignored.len(), 1, "{q}");
        }
        assert_eq!(rewrite("tag:*ation").text, "tag:*ation");
    }

    #[test]
    fn bad_dates_are_ignored_with_a_reason() {
        for q in [
            "x published:yesterday",
            "x published:2022-13",
            "x published:[2022 TO 2021]",
            "x published:[2022",
            "x -published:2022",
        ] {
            let r = rewrite(q);
            assert_eq!(r.text, "x", "{q}");
            assert_eq!(r.ignored.len(), 1, "{q}");
            assert!(r.dates.is_open(), "{q}");
        }
    }
}

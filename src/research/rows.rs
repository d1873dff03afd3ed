//! Articles as the rows of a download: CSV (RFC 4180, UTF-8, a header row,
//! lists joined by "; ") or NDJSON (one article a line, in the import
//! format plus the archive's id, path, word count and story), with the
//! columns a reader chose.

use serde::{Deserialize, Serialize};

use crate::article::{Article, NewArticle, format_date};
use crate::research::Body;

/// How the rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// A field of an exported article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Id,
    PublishedAt,
    Headline,
    Subheading,
    Source,
    Authors,
    Section,
    Tags,
    Language,
    Url,
    Path,
    WordCount,
    StoryId,
    ModifiedAt,
    Paragraphs,
    SummaryOnly,
}

impl Column {
    pub const ALL: [Column; 16] = [
        Column::Id,
        Column::PublishedAt,
        Column::Headline,
        Column::Subheading,
        Column::Source,
        Column::Authors,
        Column::Section,
        Column::Tags,
        Column::Language,
        Column::Url,
        Column::Path,
        Column::WordCount,
        Column::StoryId,
        Column::ModifiedAt,
        Column::Paragraphs,
        Column::SummaryOnly,
    ];

    /// A CSV download's columns unless the reader chooses.
    pub const CSV_DEFAULT: [Column; 12] = [
        Column::Id,
        Column::PublishedAt,
        Column::Headline,
        Column::Source,
        Column::Authors,
        Column::Section,
        Column::Tags,
        Column::Language,
        Column::Url,
        Column::Path,
        Column::WordCount,
        Column::StoryId,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::PublishedAt => "published_at",
            Column::Headline => "headline",
            Column::Subheading => "subheading",
            Column::Source => "source",
            Column::Authors => "authors",
            Column::Section => "section",
            Column::Tags => "tags",
            Column::Language => "language",
            Column::Url => "url",
            Column::Path => "path",
            Column::WordCount => "word_count",
            Column::StoryId => "story_id",
            Column::ModifiedAt => "modified_at",
            Column::Paragraphs => "paragraphs",
            Column::SummaryOnly => "summary_only",
        }
    }

    /// `fields=a,b,c`: the columns in the order given, `id` first when it
    /// is not named. The error names the field that is not one.
    pub fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        let mut columns = Vec::new();
        for name in list.split(',').map(str::trim) {
            let column = Column::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
                    format!(
                        "`fields` names `{name}`, which exported articles do not have; choose from {}",
                        known.join(", ")
                    )
                })?;
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        if !columns.contains(&Column::Id) {
            columns.insert(0, Column::Id);
        }
        Ok(columns)
    }

    /// The value in a CSV cell: lists joined by "; ", paragraphs by a blank line.
    fn cell(self, article: &Article) -> String {
        let a = &article.content;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            Column::Id => article.id.to_string(),
            Column::PublishedAt => a.published_at.as_ref().map(format_date).unwrap_or_default(),
            Column::ModifiedAt => a.modified_at.as_ref().map(format_date).unwrap_or_default(),
            Column::Headline => a.headline.clone(),
            Column::Subheading => text(&a.subheading),
            Column::Source => a
                .source
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            Column::Authors => a.authors.join("; "),
            Column::Section => text(&a.section),
            Column::Tags => a.tags.join("; "),
            Column::Language => text(&a.language),
            Column::Url => text(&a.url),
            Column::Path => article.path(),
            Column::WordCount => article.word_count.to_string(),
            Column::StoryId => article.story_id.to_string(),
            Column::Paragraphs => a.paragraphs.join("\n\n"),
            Column::SummaryOnly => a.summary_only.to_string(),
        }
    }
}

/// An article as an NDJSON line: the import format and the archive's fields.
#[derive(Serialize)]
struct Record<'a> {
    id: i64,
    #[serde(flatten)]
    content: &'a NewArticle,
    path: String,
    word_count: i64,
    story_id: i64,
}

/// Writes articles as rows of one format and set of columns.
pub struct Rows {
    format: Format,
    /// None: every field (NDJSON's default).
    columns: Option<Vec<Column>>,
}

impl Rows {
    /// `columns` None: the format's default (CSV's twelve columns, every
    /// field in NDJSON).
    pub fn new(format: Format, columns: Option<Vec<Column>>) -> Rows {
        let columns = match format {
            Format::Csv => Some(columns.unwrap_or_else(|| Column::CSV_DEFAULT.to_vec())),
            Format::Ndjson => columns,
        };
        Rows { format, columns }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the rows hold the articles' paragraphs.
    pub fn body(&self) -> Body {
        match &self.columns {
            Some(columns) if !columns.contains(&Column::Paragraphs) => Body::Left,
            _ => Body::Needed,
        }
    }

    /// What comes before the first row: CSV's header line.
    pub fn header(&self) -> Vec<u8> {
        match (&self.format, &self.columns) {
            (Format::Csv, Some(columns)) => csv_line(columns.iter().map(|c| c.name().to_owned())),
            _ => Vec::new(),
        }
    }

    /// The rows of these articles.
    pub fn write(&self, articles: &[Article]) -> Vec<u8> {
        let out = Vec::with_capacity(articles.len() * 256);
        match self.format {
            Format::Csv => {
                let columns = self.columns.as_deref().unwrap_or(&Column::CSV_DEFAULT);
                let mut writer = csv_writer(out);
                for article in articles {
                    writer
                        .write_record(columns.iter().map(|c| c.cell(article)))
                        .expect("a record writes into memory");
                }
                writer.into_inner().expect("memory flushes")
            }
            Format::Ndjson => articles.iter().fold(out, |mut out, article| {
                let record = Record {
                    id: article.id,
                    content: &article.content,
                    path: article.path(),
                    word_count: article.word_count,
                    story_id: article.story_id,
                };
                match &self.columns {
                    None => serde_json::to_writer(&mut out, &record),
                    Some(columns) => {
                        let mut value =
                            serde_json::to_value(&record).expect("an article serialises");
                        if let Some(object) = value.as_object_mut() {
                            object.retain(|key, _| columns.iter().any(|c| c.name() == key));
                        }
                        serde_json::to_writer(&mut out, &value)
                    }
                }
                .expect("JSON writes into memory");
                out.push(b'\n');
                out
            }),
        }
    }
}

fn csv_writer(out: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// One CSV record, quoted where RFC 4180 needs it, ended by CRLF.
fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv_writer(Vec::new());
    writer
        .write_record(cells)
        .expect("a record writes into memory");
    writer.into_inner().expect("memory flushes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_kept_in_order_with_id_first_and_unknown_ones_named() {
        let columns = Column::parse_list("headline,source").unwrap();
        assert_eq!(columns, [Column::Id, Column::Headline, Column::Source]);
        let error = Column::parse_list("headline,body").unwrap_err();
        assert!(error.contains("`body`"), "{error}");
        assert!(error.contains("word_count"), "{error}");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let line = csv_line(["a,b".to_owned(), "say \"hi\"".to_owned(), "x\ny".to_owned()]);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\"\r\n"
        );
    }
}

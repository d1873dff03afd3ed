//! The OpenAPI descriptions of the import and API format's input types
//! (`article::ArticleInput` and the source forms it takes). The domain types
//! stay free of the document; these mirrors carry it, and the tests below
//! hold each mirror to exactly the fields serde reads.

#![allow(dead_code)] // the mirrors are only ever described, never built

use utoipa::ToSchema;
use utoipa::openapi::schema::{
    AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Object, Schema};

use crate::article::{MAX_HEADLINE_CHARS, not_blank_pattern, url_pattern};

/// A publication an article came from.
#[derive(ToSchema)]
#[schema(as = Source)]
#[serde(deny_unknown_fields)]
pub struct SourceDoc {
    /// Publication name, e.g. "Dawn".
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// The publication's site, e.g. "https://www.dawn.com".
    #[schema(schema_with = url_schema)]
    pub site: Option<String>,
}

/// The source field accepts a plain name or `{ "name": ..., "site": ... }`.
#[derive(ToSchema)]
#[schema(as = SourceInput)]
#[serde(untagged)]
pub enum SourceInputDoc {
    /// The publication's name; a blank name means no source.
    Name(String),
    Full(SourceDoc),
}

/// The order of results.
#[derive(ToSchema)]
#[schema(as = Sort)]
#[serde(rename_all = "lowercase")]
pub enum SortDoc {
    /// Best match first (BM25, headline matches boosted).
    Relevance,
    /// Most recently published first; undated articles last.
    Newest,
    /// First published first.
    Oldest,
}

/// What results can be counted by.
#[derive(ToSchema)]
#[schema(as = Facet)]
#[serde(rename_all = "lowercase")]
pub enum FacetDoc {
    Source,
    Section,
    Tag,
    Author,
    Language,
    Year,
}

/// A field of an exported article: a column of CSV, a key of NDJSON.
#[derive(ToSchema)]
#[schema(as = ExportField)]
#[serde(rename_all = "snake_case")]
pub enum ExportFieldDoc {
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

/// The format of a download.
#[derive(ToSchema)]
#[schema(as = ExportFormat)]
#[serde(rename_all = "lowercase")]
pub enum FormatDoc {
    /// RFC 4180, UTF-8, a header row.
    Csv,
    /// One JSON article a line.
    Ndjson,
}

/// The width of a histogram's bars.
#[derive(ToSchema)]
#[schema(as = Interval)]
#[serde(rename_all = "lowercase")]
pub enum IntervalDoc {
    Day,
    Month,
    Year,
    /// Chosen from the span of the results.
    Auto,
}

/// The import and API format of an article. Unknown fields are refused.
#[derive(ToSchema)]
#[schema(as = ArticleInput)]
#[serde(deny_unknown_fields)]
pub struct ArticleInputDoc {
    /// Required; white space is collapsed.
    #[schema(schema_with = headline_schema, required = true)]
    pub headline: Option<String>,
    pub subheading: Option<String>,
    /// Bylines, in order; blank and repeated names are dropped.
    #[serde(default)]
    pub authors: Vec<String>,
    pub source: Option<SourceInputDoc>,
    /// The story's address: an http(s) URL without spaces. Articles are matched by it.
    #[schema(schema_with = url_schema)]
    pub url: Option<String>,
    #[schema(schema_with = published_schema)]
    pub published_at: Option<String>,
    #[schema(schema_with = modified_schema)]
    pub modified_at: Option<String>,
    pub section: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A language tag such as `en` or `en-GB`.
    #[schema(pattern = "^[A-Za-z0-9-]{1,35}$")]
    pub language: Option<String>,
    /// The body as paragraphs; blank ones are dropped.
    #[schema(max_items = 10000)]
    pub paragraphs: Option<Vec<String>>,
    /// The body as one text, paragraphs separated by blank lines (instead of `paragraphs`).
    pub body: Option<String>,
    /// True when the body is only a summary (a feed item without its full text).
    #[serde(default)]
    pub summary_only: bool,
}

fn nullable(kind: Type, nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([kind, Type::Null])
    } else {
        SchemaType::new(kind)
    }
}

/// A string with at least one character that is not blank, and at most `max_length`.
pub fn not_blank_schema(max_length: Option<usize>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(max_length)
        .pattern(Some(not_blank_pattern()))
        .build()
}

fn headline_schema() -> Object {
    not_blank_schema(Some(MAX_HEADLINE_CHARS))
}

fn name_schema() -> Object {
    not_blank_schema(None)
}

fn url_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(Type::String, true))
        .pattern(Some(url_pattern()))
        .build()
}

/// An RFC 3339 date-time (`2022-05-16T09:30:00Z`) or a full date
/// (`2022-05-16`, midnight UTC), as [`parse_iso_date`] reads them.
pub fn date_schema(nullable: bool, description: &str) -> Schema {
    let mut schema = AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .description(Some(format!(
            "{description} An RFC 3339 date-time such as 2022-05-16T09:30:00Z, or a date such as 2022-05-16 (midnight UTC)."
        )));
    if nullable {
        schema = schema.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    schema.into()
}

fn published_schema() -> Schema {
    date_schema(true, "When the story was first published.")
}

fn modified_schema() -> Schema {
    date_schema(true, "When the publisher last changed the story.")
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde::de::{self, Visitor};
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;

    use super::*;
    use crate::article::{ArticleInput, Source};

    /// The field names serde's derive reads for a struct: its
    /// `deserialize_struct` is handed them, and this deserializer keeps them.
    struct FieldNames(Vec<&'static str>);

    #[derive(Debug)]
    struct Done;

    impl std::fmt::Display for Done {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("done")
        }
    }
    impl std::error::Error for Done {}
    impl de::Error for Done {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Done
        }
    }

    impl<'de> de::Deserializer<'de> for &mut FieldNames {
        type Error = Done;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Done> {
            Err(Done)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Done> {
            self.0 = fields.to_vec();
            Err(Done)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    fn serde_fields<T: for<'de> Deserialize<'de>>() -> Vec<String> {
        let mut names = FieldNames(Vec::new());
        let _ = T::deserialize(&mut names);
        let mut fields: Vec<String> = names.0.iter().map(|f| f.to_string()).collect();
        fields.sort();
        fields
    }

    fn documented_fields<T: PartialSchema>() -> Vec<String> {
        let RefOr::T(Schema::Object(object)) = T::schema() else {
            panic!("an object schema");
        };
        let mut fields: Vec<String> = object.properties.keys().cloned().collect();
        fields.sort();
        fields
    }

    /// The values a unit enum's schema lists.
    fn documented_values<T: PartialSchema>() -> Vec<String> {
        let json = serde_json::to_value(T::schema()).unwrap();
        let mut values: Vec<String> = json["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("an enum schema: {json}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        values.sort();
        values
    }

    /// The names serde writes for each of `all`.
    fn serde_values<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        let mut values: Vec<String> = all
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        values.sort();
        values
    }

    #[test]
    fn the_document_names_exactly_the_values_search_reads() {
        use crate::search::{Facet, Interval, Sort};
        assert_eq!(
            documented_values::<SortDoc>(),
            serde_values(&[Sort::Relevance, Sort::Newest, Sort::Oldest])
        );
        assert_eq!(
            documented_values::<FacetDoc>(),
            serde_values(&[
                Facet::Source,
                Facet::Section,
                Facet::Tag,
                Facet::Author,
                Facet::Language,
                Facet::Year
            ])
        );
        assert_eq!(
            documented_values::<IntervalDoc>(),
            serde_values(&[
                Interval::Day,
                Interval::Month,
                Interval::Year,
                Interval::Auto
            ])
        );
    }

    #[test]
    fn the_document_names_exactly_the_columns_and_formats_downloads_read() {
        use crate::research::{Column, Format};
        assert_eq!(
            documented_values::<ExportFieldDoc>(),
            serde_values(&Column::ALL)
        );
        assert_eq!(
            documented_values::<FormatDoc>(),
            serde_values(&[Format::Csv, Format::Ndjson])
        );
    }

    #[test]
    fn the_document_describes_exactly_the_fields_the_import_reads() {
        let read = serde_fields::<ArticleInput>();
        assert!(read.contains(&"headline".to_owned()), "{read:?}");
        assert_eq!(documented_fields::<ArticleInputDoc>(), read);
        assert_eq!(documented_fields::<SourceDoc>(), serde_fields::<Source>());
    }
}

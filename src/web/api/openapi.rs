//! The API's OpenAPI 3.1 document: the handlers' own annotations, gathered as
//! the router is built, plus the few rules serde attributes cannot state.

use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{Modify, OpenApi as _, PartialSchema, ToSchema};

use super::schemas::ArticleInputDoc;

/// The reusable error answers, each an RFC 9457 problem. These types only
/// describe answers for the document; handlers answer with [`ApiError`].
#[allow(dead_code)]
pub mod problem {
    use utoipa::ToResponse;

    use crate::web::ApiError;

    /// A query parameter is malformed or out of range; `detail` names it.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BadRequest(ApiError);

    /// No valid token, or an expired one (`detail` says when it expired):
    /// send `Authorization: Bearer <token>` with a current token.
    #[derive(ToResponse)]
    #[response(
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"newsarchive\"`"))
    )]
    pub struct Unauthorized(ApiError);

    /// The token was revoked (`token-revoked`), or lacks the scope this
    /// operation needs (`missing-scope`; `detail` names the scope).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Forbidden(ApiError);

    /// There is no article with this id.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct NotFound(ApiError);

    /// The article was deleted; its id is never given to another article.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Gone(ApiError);

    /// Another article already has this URL.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Conflict(ApiError);

    /// `If-Match` names a revision the article is no longer at: fetch it again.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PreconditionFailed(ApiError);

    /// The body is larger than the limit.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct TooLarge(ApiError);

    /// The body is not in a media type this endpoint reads.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(ApiError);

    /// The body is not valid JSON.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BadJson(ApiError);

    /// The article is not valid; `detail` names the field.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Invalid(ApiError);

    /// Over the per-client rate limit.
    #[derive(ToResponse)]
    #[response(
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds until a request will be accepted"))
    )]
    pub struct TooManyRequests(ApiError);

    /// The archive could not answer; try again in a moment.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unavailable(ApiError);
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "newsarchive",
        description = "A news archive's articles: read, search and list them without a token; \
            create, change, delete and import them, follow feeds, list the followed feeds \
            and read `/metrics` with `Authorization: Bearer <token>` and a token whose \
            scope allows it (make one with `newsarchive token create --name NAME --scope \
            SCOPE`; the scopes are `read`, `articles`, `feeds`, `metrics` and `admin`). A \
            token without the scope gets 403 naming it; an expired one 401. Errors are RFC \
            9457 problem details (`application/problem+json`).",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "articles", description = "Reading and writing articles"),
        (name = "search", description = "Full-text search"),
        (name = "lists", description = "Sources, sections, tags and authors with article counts"),
        (name = "feeds", description = "RSS, Atom and JSON feeds the server follows"),
        (name = "service", description = "The service itself"),
    ),
    components(
        schemas(crate::web::ApiError, super::lists::ArticleField),
        responses(
        problem::BadRequest,
        problem::Unauthorized,
        problem::Forbidden,
        problem::NotFound,
        problem::Gone,
        problem::Conflict,
        problem::PreconditionFailed,
        problem::TooLarge,
        problem::UnsupportedMediaType,
        problem::BadJson,
        problem::Invalid,
        problem::TooManyRequests,
        problem::Unavailable,
    )),
    modifiers(&BearerToken),
)]
struct ApiDoc;

/// Writes, the feed list and `/metrics` carry `Authorization: Bearer <token>`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from `newsarchive token create --name NAME --scope SCOPE`. \
                         Each operation's security requirement names the scopes of which \
                         the token needs one; `admin` allows every operation.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document: the info above, the operations the router gathered,
/// and the article rules the derived schemas cannot say.
pub fn document(operations: OpenApi) -> OpenApi {
    let mut doc = ApiDoc::openapi().merge_from(operations);
    let schemas = &mut doc.components.get_or_insert_with(Default::default).schemas;
    if let Some(input) = schemas.get_mut("ArticleInput") {
        forbid_body_with_paragraphs(input);
    }
    doc
}

/// A merge patch (RFC 7396) of an article, documented from the article's own schema.
pub struct ArticlePatch;

impl PartialSchema for ArticlePatch {
    fn schema() -> RefOr<Schema> {
        let mut schema = patch_schema(ArticleInputDoc::schema());
        forbid_body_with_paragraphs(&mut schema);
        schema
    }
}

impl ToSchema for ArticlePatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <ArticleInputDoc as ToSchema>::schemas(schemas);
    }
}

/// `body` and `paragraphs` are two ways to give the same text: not both.
fn forbid_body_with_paragraphs(schema: &mut RefOr<Schema>) {
    let absent = |field: &str| {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .property(field, ObjectBuilder::new().schema_type(Type::Null))
    };
    let mut article = std::mem::replace(schema, RefOr::T(Schema::default()));
    let description = match &mut article {
        RefOr::T(Schema::Object(object)) => object.description.take(),
        _ => None,
    };
    *schema = AllOfBuilder::new()
        .item(article)
        .item(
            AnyOfBuilder::new()
                .item(absent("paragraphs"))
                .item(absent("body")),
        )
        .description(description)
        .into();
}

/// The article's schema with every field optional and, but for the
/// headline, nullable: `null` removes a field.
fn patch_schema(input: RefOr<Schema>) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = input else {
        return input;
    };
    object.required.clear();
    object.description = Some(
        "A JSON merge patch (RFC 7396) of an article: the fields to change; `null` removes a \
         field. The headline can be changed but not removed."
            .into(),
    );
    for (name, property) in object.properties.iter_mut() {
        if name != "headline" {
            allow_null(property);
        }
    }
    RefOr::T(Schema::Object(object))
}

/// Lets a schema also accept `null`.
fn allow_null(schema: &mut RefOr<Schema>) {
    let null = || ObjectBuilder::new().schema_type(Type::Null).build();
    match schema {
        RefOr::T(Schema::Object(object)) => add_null(&mut object.schema_type),
        RefOr::T(Schema::Array(array)) => add_null(&mut array.schema_type),
        RefOr::T(Schema::OneOf(one_of)) => {
            if !one_of.items.iter().any(is_null) {
                one_of.items.push(null().into());
            }
        }
        RefOr::T(Schema::AnyOf(any_of)) => {
            if !any_of.items.iter().any(is_null) {
                any_of.items.push(null().into());
            }
        }
        other => {
            let inner = std::mem::replace(other, RefOr::T(Schema::default()));
            *other = OneOfBuilder::new().item(inner).item(null()).into();
        }
    }
}

fn add_null(kind: &mut SchemaType) {
    *kind = match std::mem::replace(kind, SchemaType::AnyValue) {
        SchemaType::Type(Type::Null) => SchemaType::Type(Type::Null),
        SchemaType::Type(one) => SchemaType::from_iter([one, Type::Null]),
        SchemaType::Array(mut many) => {
            if !many.contains(&Type::Null) {
                many.push(Type::Null);
            }
            SchemaType::Array(many)
        }
        SchemaType::AnyValue => SchemaType::AnyValue,
    };
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null))
}

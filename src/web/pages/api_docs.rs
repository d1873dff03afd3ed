//! `/api`: the JSON API described for people, rendered from the same
//! OpenAPI document that `/api/openapi.json` serves.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use serde_json::Value;

use super::{Layout, render};
use crate::web::{AppState, BaseUrl, PageError};

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    layout: Layout,
    /// The archive's address, for the examples.
    base: String,
    description: String,
    groups: Vec<Group>,
    objects: Vec<Object>,
}

/// The operations under one tag.
struct Group {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    /// The scopes of which a token needs one (`admin` always does), when
    /// the operation needs a token.
    token_scopes: Option<Vec<String>>,
    params: Vec<Field>,
    body: Option<String>,
    responses: Vec<Field>,
}

/// A parameter, a response or an object's field: a name, what it holds, what it is for.
struct Field {
    name: String,
    kind: Kind,
    required: bool,
    description: String,
}

/// A value's type in words, linking to the object it names.
struct Kind {
    text: String,
    link: Option<String>,
}

struct Object {
    name: String,
    description: String,
    fields: Vec<Field>,
    /// For objects that are one of several shapes.
    choices: Vec<Kind>,
}

/// `GET /api`: every operation with its parameters and answers, and every object.
pub async fn page(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
) -> Result<Html<String>, PageError> {
    let doc: &Value = &state.api_doc;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Group {
            name: text(&tag["name"]),
            description: text(&tag["description"]),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            let operation = operation(doc, path, method, op);
            let tag = text(&op["tags"][0]);
            match groups.iter_mut().find(|g| g.name == tag) {
                Some(group) => group.operations.push(operation),
                None => groups.push(Group {
                    name: tag,
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    let objects = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| object(name, schema))
        .collect();
    render(&ApiPage {
        layout: Layout::with_query(""),
        base,
        description: text(&doc["info"]["description"]),
        groups,
        objects,
    })
}

fn operation(doc: &Value, path: &str, method: &str, op: &Value) -> Operation {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Field {
            name: format!("{} ({})", text(&p["name"]), text(&p["in"])),
            kind: kind(&p["schema"]),
            required: p["required"].as_bool().unwrap_or(false),
            description: [&p["description"], &p["schema"]["description"]]
                .into_iter()
                .map(text)
                .find(|d| !d.is_empty())
                .unwrap_or_default(),
        })
        .collect();
    let body = op["requestBody"]["content"].as_object().map(|content| {
        content
            .iter()
            .map(|(media_type, c)| format!("{media_type}: {}", kind(&c["schema"]).text))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let response = resolve(doc, response);
            let content = response["content"].as_object();
            let kind = content
                .and_then(|c| c.values().next())
                .map(|c| kind(&c["schema"]))
                .unwrap_or(Kind {
                    text: "no body".into(),
                    link: None,
                });
            let media = content
                .and_then(|c| c.keys().next().cloned())
                .unwrap_or_default();
            Field {
                name: status.clone(),
                kind,
                required: false,
                description: format!("{} {media}", text(&response["description"]))
                    .trim()
                    .to_owned(),
            }
        })
        .collect();
    Operation {
        anchor: text(&op["operationId"]),
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: text(&op["summary"]),
        token_scopes: op["security"].as_array().map(|alternatives| {
            alternatives
                .iter()
                .filter_map(|requirement| requirement["token"].as_array())
                .flatten()
                .filter_map(|scope| scope.as_str().map(str::to_owned))
                .collect()
        }),
        params,
        body,
        responses,
    }
}

/// The component a `$ref` points at, or the value itself.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(value),
        None => value,
    }
}

fn object(name: &str, schema: &Value) -> Object {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    // An article input is its fields plus a rule, under `allOf`.
    let base = schema["allOf"].get(0).unwrap_or(schema);
    let required: Vec<&str> = base["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let fields = base["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(field, s)| Field {
            name: field.clone(),
            kind: kind(s),
            required: required.contains(&field.as_str()),
            description: text(&s["description"]),
        })
        .collect();
    let choices = schema["oneOf"]
        .as_array()
        .or(schema["enum"].as_array())
        .into_iter()
        .flatten()
        .map(|choice| match choice.as_str() {
            Some(value) => Kind {
                text: format!("\"{value}\""),
                link: None,
            },
            None => kind(choice),
        })
        .collect();
    let description = [&schema["description"], &base["description"]]
        .into_iter()
        .map(text)
        .find(|d| !d.is_empty())
        .unwrap_or_default();
    Object {
        name: name.to_owned(),
        description,
        fields,
        choices,
    }
}

/// A schema in words: "string or null", "array of Article", "integer, 1 to 100".
fn kind(schema: &Value) -> Kind {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default().to_owned();
        return Kind {
            link: Some(format!("#object-{name}")),
            text: name,
        };
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema[key].as_array() {
            let kinds: Vec<Kind> = choices.iter().map(kind).collect();
            let link = kinds.iter().find_map(|k| k.link.clone());
            let text = kinds
                .into_iter()
                .map(|k| k.text)
                .collect::<Vec<_>>()
                .join(" or ");
            return Kind { text, link };
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec!["any value"],
    };
    let mut link = None;
    let words: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => {
                let items = kind(&schema["items"]);
                link = items.link;
                format!("array of {}", items.text)
            }
            "string" => match schema["format"].as_str() {
                Some(format) => format!("string ({format})"),
                None => "string".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect();
    let mut text = words.join(" or ");
    if let (Some(min), Some(max)) = (schema["minimum"].as_i64(), schema["maximum"].as_i64()) {
        text.push_str(&format!(", {min} to {max}"));
    } else if let Some(max) = schema["maximum"].as_i64() {
        text.push_str(&format!(", at most {max}"));
    }
    if let Some(max) = schema["maxLength"].as_i64() {
        text.push_str(&format!(", at most {max} characters"));
    }
    if schema["pattern"].is_string() {
        text.push_str(", matching the pattern in the document");
    }
    Kind { text, link }
}

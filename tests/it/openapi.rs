//! The API's OpenAPI 3.1 document, generated from the handlers, and the API
//! page rendered from it: every route is described and every description is routed.

use axum::body::Body;
use axum::http::Request;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[tokio::test]
async fn the_document_describes_every_route_it_lists_and_each_answer() {
    let app = TestApp::with_seed().await;
    let reply = app.get("/api/openapi.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type(), "application/json");
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/api/v1/articles",
        "/api/v1/articles/{id}",
        "/api/v1/import",
        "/api/v1/search",
        "/api/v1/search/export",
        "/api/v1/sources",
        "/api/v1/sections",
        "/api/v1/tags",
        "/api/v1/authors",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    let mut operations = 0;
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            operations += 1;
            // A bare request (no token, no body, no parameters) reaches the
            // handler, and its answer is one the document lists.
            let request = Request::builder()
                .method(method.to_ascii_uppercase().as_str())
                .uri(path.replace("{id}", "1"))
                .body(Body::empty())
                .unwrap();
            let reply = app.request(request).await;
            assert!(
                !reply.body.contains("no API endpoint") && reply.status != 405,
                "{method} {path} is documented but not routed: {}",
                reply.body
            );
            let status = reply.status.as_str();
            assert!(
                operation["responses"].get(status).is_some(),
                "{method} {path} answered {status}, which the document does not list"
            );
            // Writes, the followed feeds and the metrics need a token.
            let private =
                method != "get" || path.starts_with("/api/v1/feeds") || path == "/metrics";
            assert_eq!(
                operation["security"].is_array(),
                private,
                "{method} {path}: only writes, feeds and metrics need a token"
            );
            if private {
                assert_eq!(status, "401", "{method} {path} without a token");
                assert!(
                    operation["responses"].get("403").is_some(),
                    "{method} {path} can answer 403 (a token without the scope)"
                );
            }
        }
    }
    assert_eq!(operations, 23);
}

#[tokio::test]
async fn the_document_states_the_rules_the_server_applies() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    // `fields=` names exactly the fields an article has.
    let mut fields: Vec<&str> = schemas["ArticleField"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut properties: Vec<&str> = schemas["Article"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    properties.sort_unstable();
    assert_eq!(fields, properties);
    // The search box and the headline agree on what "not blank" means.
    let input = &schemas["ArticleInput"]["allOf"][0];
    let headline = &input["properties"]["headline"];
    let q = doc["paths"]["/api/v1/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "q")
        .unwrap();
    assert_eq!(q["required"], true);
    assert_eq!(q["schema"]["pattern"], headline["pattern"]);
    assert_eq!(input["required"], serde_json::json!(["headline"]));
    assert_eq!(input["additionalProperties"], false);
    // A patch may remove any field but the headline.
    let patch = &schemas["ArticlePatch"]["allOf"][0]["properties"];
    assert_eq!(patch["headline"]["type"], "string");
    assert!(
        patch["section"]["type"]
            .as_array()
            .unwrap()
            .contains(&"null".into())
    );
}

#[tokio::test]
async fn the_api_page_shows_every_operation_and_object() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json").await.json();
    let page = app.get("/api").await;
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                let heading = format!("<code>{} {path}</code>", method.to_ascii_uppercase());
                assert!(page.body.contains(&heading), "{heading} is missing");
            }
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            page.body.contains(&format!("id=\"object-{name}\"")),
            "{name}"
        );
    }
    // Every link to an object lands on it.
    for link in page.body.split("href=\"#").skip(1) {
        let target = link.split('"').next().unwrap();
        assert!(
            page.body.contains(&format!("id=\"{target}\"")),
            "#{target} leads nowhere"
        );
    }
}

#[tokio::test]
async fn a_query_with_no_words_finds_nothing_and_says_why() {
    let app = TestApp::with_seed().await;
    let reply = app.get("/api/v1/search?q=%21%21%21").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["total"], 0);
    assert!(json["warnings"][0].as_str().unwrap().contains("empty"));
    // Blank is not a query at all.
    let reply = app.get("/api/v1/search?q=%20%1C").await;
    assert_eq!(reply.status, 400);
}

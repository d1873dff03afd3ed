//! Search behaviour beyond the seed: exact forms first, folding, fields.

use crate::helpers::{TestApp, article};

async fn app_with(articles: &[serde_json::Value]) -> TestApp {
    let app = TestApp::new().await;
    let batch: Vec<_> = articles.iter().cloned().map(article).collect();
    app.archive.save(&batch).await.unwrap();
    app.indexed().await;
    app
}

#[tokio::test]
async fn exact_forms_rank_above_stemmed_ones() {
    let app = app_with(&[
        serde_json::json!({"headline": "Council votes", "paragraphs": ["Engineers will restore the old bridge deck."]}),
        serde_json::json!({"headline": "Council meets", "paragraphs": ["Engineers are restoring the old bridge deck."]}),
    ])
    .await;
    let page = app.archive.search("restoring", 10, 0).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.results[0].article.content.headline, "Council meets");
    let page = app.archive.search("restore", 10, 0).await.unwrap();
    assert_eq!(page.results[0].article.content.headline, "Council votes");
}

#[tokio::test]
async fn accents_and_apostrophes_are_folded() {
    let app = app_with(&[serde_json::json!({
        "headline": "Café owners on the waterfront",
        "authors": ["Maren Ødegård"],
        "paragraphs": ["The council’s plan worries the café’s regulars."]
    })])
    .await;
    for query in [
        "cafe",
        "CAFÉ",
        "odegard",
        "author:ødegård",
        "council's",
        "council’s",
    ] {
        let page = app.archive.search(query, 10, 0).await.unwrap();
        assert_eq!(page.total, 1, "{query}");
    }
}

#[tokio::test]
async fn field_queries_search_one_field() {
    let app = app_with(&[
        serde_json::json!({"headline": "Ferries replace the bridge", "source": "Harbour Gazette", "tags": ["transport"], "paragraphs": ["Text."]}),
        serde_json::json!({"headline": "Market report", "source": "Daily Ledger", "tags": ["business"], "paragraphs": ["Ferries were late again."]}),
    ])
    .await;
    let count = |q: &'static str| {
        let archive = app.archive.clone();
        async move { archive.search(q, 10, 0).await.unwrap().total }
    };
    assert_eq!(count("ferries").await, 2);
    assert_eq!(count("headline:ferries").await, 1);
    assert_eq!(count("source:\"harbour gazette\"").await, 1);
    assert_eq!(count("tag:business").await, 1);
    assert_eq!(
        count("ferries -transport").await,
        1,
        "the tag counts as a word of the article"
    );
    assert_eq!(count("ferries -bridge").await, 1);
    assert_eq!(count("market OR bridge").await, 2);
}

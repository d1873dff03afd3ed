//! The seed article: imported exactly, found by the searches a reader would try.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_seed_is_stored_with_its_typography_and_without_its_footer() {
    let app = TestApp::with_seed().await;
    let article = app
        .archive
        .store()
        .article(1)
        .await
        .unwrap()
        .expect("article 1");
    let c = &article.content;
    assert_eq!(
        c.headline,
        "Pakistan and United States have Resumed Attempts to Restore Relations"
    );
    assert_eq!(c.paragraphs.len(), 11);
    assert!(c.paragraphs[2].contains("“Global Food Security Call to Action.”"));
    assert!(
        c.paragraphs
            .iter()
            .any(|p| p.contains("Conflicts & Food Security"))
    );
    assert!(
        c.paragraphs
            .iter()
            .any(|p| p.contains("Pakistan’s perspective"))
    );
    assert!(
        c.paragraphs
            .iter()
            .all(|p| !p.contains("Leave a Reply") && !p.contains("Required fields"))
    );
    assert_eq!(article.revision, 1);
    assert_eq!(
        article.slug,
        "pakistan-and-united-states-have-resumed-attempts-to-restore-relations"
    );
    assert!(article.word_count > 400, "{}", article.word_count);
}

#[tokio::test]
async fn searches_a_reader_would_try_find_the_seed_with_highlights() {
    let app = TestApp::with_seed().await;
    for (query, marked) in [
        ("Bhutto-Zardari", "<mark>Bhutto</mark>-<mark>Zardari</mark>"),
        ("bhutto zardari", "<mark>Bhutto</mark>-<mark>Zardari</mark>"),
        ("Kugelman", "<mark>Kugelman</mark>"),
        (
            "\"food security\"",
            "<mark>food</mark> <mark>security</mark>",
        ),
        ("“food security”", "<mark>food</mark> <mark>security</mark>"),
        ("restoring", "<mark>restore</mark>"),
    ] {
        let page = app
            .archive
            .search(query, &Default::default())
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{query}");
        let snippet = page.results[0]
            .snippet
            .as_ref()
            .unwrap_or_else(|| panic!("no snippet for {query}"));
        assert!(
            snippet.html.to_lowercase().contains(&marked.to_lowercase()),
            "{query}: {}",
            snippet.html
        );
    }
    // The headline is highlighted too, by stem.
    let page = app
        .archive
        .search("restoring", &Default::default())
        .await
        .unwrap();
    assert!(
        page.results[0]
            .headline_html
            .contains("<mark>Restore</mark>"),
        "{}",
        page.results[0].headline_html
    );
}

#[tokio::test]
async fn the_removed_footer_is_not_searchable() {
    let app = TestApp::with_seed().await;
    for query in ["reply", "\"leave a reply\"", "required fields"] {
        let page = app
            .archive
            .search(query, &Default::default())
            .await
            .unwrap();
        assert_eq!(page.total, 0, "{query} should find nothing");
    }
}

#[tokio::test]
async fn the_search_page_and_api_show_highlighted_snippets() {
    let app = TestApp::with_seed().await;
    let page = app.get("/search?q=Kugelman").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<mark>Kugelman</mark>"), "{}", page.body);
    assert!(page.body.contains(
        "/articles/1/pakistan-and-united-states-have-resumed-attempts-to-restore-relations#p7"
    ));
    let api = app.get("/api/v1/search?q=%22food%20security%22").await;
    assert_eq!(api.status, 200);
    let json = api.json();
    assert_eq!(json["total"], 1);
    let hit = &json["results"][0];
    assert_eq!(hit["id"], 1);
    assert_eq!(
        hit["headline"],
        "Pakistan and United States have Resumed Attempts to Restore Relations"
    );
    assert_eq!(
        hit["path"],
        "/articles/1/pakistan-and-united-states-have-resumed-attempts-to-restore-relations"
    );
    assert!(hit["published_at"].is_null());
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("<mark>food</mark> <mark>security</mark>")
    );
}

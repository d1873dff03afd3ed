//! Articles in many languages: detected when they do not say, analysed in
//! their language, found by another form of a word, filtered and counted.

use crate::helpers::{TestApp, api_token, app_with, article, write};

/// Real sentences from news in each language, none of them tagged.
fn multilingual() -> Vec<serde_json::Value> {
    let story = |headline: &str, body: &str| serde_json::json!({ "headline": headline, "paragraphs": [body] });
    vec![
        story(
            "Élections municipales : la participation en hausse",
            "Les élections municipales se sont déroulées dimanche dans toutes les communes du pays. \
             Les électeurs se sont rendus aux urnes plus nombreux qu'il y a six ans, selon le ministère de l'Intérieur.",
        ),
        story(
            "Die Regierung baut neue Häuser",
            "Die Bundesregierung will in den nächsten Jahren deutlich mehr Häuser und Wohnungen bauen. \
             Der Bauminister sagte am Montag, die Mieten in den großen Städten seien zu stark gestiegen.",
        ),
        story(
            "Los ministros firman los acuerdos comerciales",
            "Los ministros de comercio firmaron el martes los acuerdos que reducen los aranceles entre los dos países. \
             Según el gobierno, las exportaciones podrían crecer durante los próximos años.",
        ),
        story(
            "Президент подписал новые законы",
            "Президент подписал во вторник новые законы о бюджете и налогах. \
             По словам министра финансов, изменения вступят в силу в начале следующего года.",
        ),
        story(
            "الحكومة تعلن ميزانية العام المقبل",
            "أعلنت الحكومة يوم الثلاثاء عن ميزانية العام المقبل التي تتضمن زيادة في الإنفاق على التعليم والصحة. \
             وقال وزير المالية إن العجز سينخفض خلال السنوات القادمة.",
        ),
        story(
            "北京大学举办经济论坛",
            "北京大学周二举办了一场关于经济发展的国际论坛，来自二十多个国家的学者参加了会议。\
             与会专家认为，明年全球经济增长将会放缓。",
        ),
        story(
            "東京都知事が新しい予算案を発表",
            "東京都の知事は火曜日、来年度の予算案を発表した。教育と福祉への支出を増やす一方で、\
             公共事業の費用を削減する方針だという。",
        ),
        story(
            "Ministers sign the trade agreements",
            "Trade ministers signed the agreements on Tuesday, cutting tariffs between the two countries. \
             The government said exports could grow over the coming years.",
        ),
    ]
}

async fn archive() -> TestApp {
    app_with(&multilingual()).await
}

async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let json = app
        .get(&format!(
            "/api/v1/search?q={}&fields=headline,language",
            percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC)
        ))
        .await
        .json();
    json["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|r| r["headline"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn another_form_of_a_word_finds_the_article_in_its_language() {
    let app = archive().await;
    // Each query is a form the article does not use.
    let cases = [
        (
            "élection",
            "Élections municipales : la participation en hausse",
        ),
        (
            "election",
            "Élections municipales : la participation en hausse",
        ),
        ("Haus", "Die Regierung baut neue Häuser"),
        ("acuerdo", "Los ministros firman los acuerdos comerciales"),
        ("закон", "Президент подписал новые законы"),
        ("حكومة", "الحكومة تعلن ميزانية العام المقبل"),
    ];
    for (query, headline) in cases {
        let found = found(&app, query).await;
        assert!(found.iter().any(|h| h == headline), "{query}: {found:?}");
    }
}

#[tokio::test]
async fn a_word_inside_a_run_of_chinese_or_japanese_finds_the_article() {
    let app = archive().await;
    for (query, headline) in [
        ("北京", "北京大学举办经济论坛"),
        ("经济", "北京大学举办经济论坛"),
        ("予算", "東京都知事が新しい予算案を発表"),
        ("知事", "東京都知事が新しい予算案を発表"),
    ] {
        assert_eq!(found(&app, query).await, [headline], "{query}");
    }
}

#[tokio::test]
async fn languages_are_detected_stored_and_filtered() {
    let app = archive().await;
    // Stored as detected.
    let json = app
        .get("/api/v1/search?q=ministers&fields=headline,language")
        .await
        .json();
    assert_eq!(json["results"][0]["language"], "en", "{json}");
    // `lang:` in the query and the `language` parameter narrow alike, and
    // count by language.
    assert_eq!(
        found(&app, "lang:fr").await,
        ["Élections municipales : la participation en hausse"]
    );
    let json = app
        .get("/api/v1/search?q=acuerdos%20OR%20agreements&language=es&facets=language")
        .await
        .json();
    assert_eq!(json["total"], 1, "{json}");
    let json = app
        .get("/api/v1/search?q=acuerdos%20OR%20agreements&facets=language")
        .await
        .json();
    let languages: Vec<&str> = json["facets"]["language"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(languages, ["en", "es"], "{json}");
    // The article page says its language; the search page counts by it.
    let json = app.get("/api/v1/search?q=lang:ru&fields=path").await.json();
    let page = app.get(json["results"][0]["path"].as_str().unwrap()).await;
    assert!(page.body.contains(r#"lang="ru""#), "{}", page.body);
    let page = app.get("/search?q=acuerdos%20OR%20agreements").await;
    assert!(page.body.contains("Languages"), "{}", page.body);
    assert!(page.body.contains("language=es"), "{}", page.body);
}

#[tokio::test]
async fn a_language_the_article_gives_is_kept_over_detection() {
    let app = TestApp::new().await;
    let given = article(serde_json::json!({
        "headline": "Ministers sign the trade agreements",
        "language": "en-GB",
        "url": "https://example.com/trade",
        "paragraphs": ["Trade ministers signed the agreements on Tuesday, cutting tariffs between the two countries."]
    }));
    app.archive
        .save(&[given], &crate::helpers::TESTS)
        .await
        .unwrap();
    // The same story again without a language: the record keeps `en-GB`
    // and nothing changes.
    let again = article(serde_json::json!({
        "headline": "Ministers sign the trade agreements",
        "url": "https://example.com/trade",
        "paragraphs": ["Trade ministers signed the agreements on Tuesday, cutting tariffs between the two countries."]
    }));
    app.archive
        .save(&[again], &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    let json = app
        .get("/api/v1/search?q=ministers&fields=language,revision")
        .await
        .json();
    assert_eq!(json["results"][0]["language"], "en-gb", "{json}");
    assert_eq!(json["results"][0]["revision"], 1, "{json}");
}

#[tokio::test]
async fn the_api_stores_the_detected_language_of_what_it_creates_and_replaces() {
    let app = TestApp::new().await;
    let token = api_token(&app, "cms").await;
    let french = multilingual().swap_remove(0);
    let reply = app
        .request(write(
            "POST",
            "/api/v1/articles",
            Some(&token),
            french.clone(),
        ))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["language"], "fr", "{}", reply.body);
    let reply = app
        .request(write("PUT", "/api/v1/articles/1", Some(&token), french))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["language"], "fr", "{}", reply.body);
    assert_eq!(reply.json()["revision"], 1, "unchanged: {}", reply.body);
}

//! Saved web pages: the exact fields and paragraphs extracted from pages in
//! the styles of real news sites, and clear errors for pages that are not
//! articles.

use newsarchive::article::NewArticle;
use newsarchive::ingest::parse_html;
use serde_json::json;

fn page(name: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/pages/{name}")).unwrap()
}

fn fields(article: &NewArticle) -> serde_json::Value {
    serde_json::to_value(article).unwrap()
}

#[test]
fn a_wordpress_page_loses_its_comment_form_and_furniture() {
    let article = parse_html(&page("wordpress.html"), None).unwrap();
    assert_eq!(
        fields(&article),
        json!({
            "headline": "Pakistan and United States have Resumed Attempts to Restore Relations",
            "authors": ["Staff Reporter"],
            "source": {"name": "The Islamabad Ledger", "site": "https://islamabadledger.example"},
            "url": "https://islamabadledger.example/2022/05/16/pakistan-us-relations/",
            "published_at": "2022-05-16T04:30:00Z",
            "modified_at": "2022-05-16T09:05:00Z",
            "section": "Politics",
            "tags": ["Diplomacy", "United States"],
            "language": "en-us",
            "paragraphs": [
                "Pakistan and the US will start attempts to restore bilateral relations this week in New York, with a series of discussions between respective foreign policy officials.",
                "Foreign Minister Bilawal Bhutto-Zardari arrives in New York on Tuesday for a UN summit on food security convened by the United States, as well as a bilateral discussion with Secretary of State Antony Blinken.",
                "Mr Blinken had invited Mr Bhutto-Zardari to the May 18 ministerial conference on “Global Food Security Call to Action.”",
                "“Pakistan may still be a useful ally,” said Michael Kugelman, the Wilson Center’s South Asia division director. That is “why, even with their numerous incompatibilities, Washington has never chosen for a divorce with Islamabad,” he stated.",
                "The so-called diplomatic letter incident has “added unwarranted strain to US-Pakistan ties, but the connection may yet be restored,” according to Prof Hassan Abbas of the National Defense University in Washington."
            ]
        })
    );
}

#[test]
fn a_page_with_json_ld_is_read_from_its_metadata() {
    let article = parse_html(&page("jsonld.html"), None).unwrap();
    assert_eq!(
        fields(&article),
        json!({
            "headline": "Floods displace thousands in Sindh",
            "subheading": "Relief camps overwhelmed as the Indus rises",
            "authors": ["Amina Qureshi", "Tom O'Neill"],
            "source": {"name": "Harbour Times", "site": "https://harbourtimes.example"},
            "url": "https://harbourtimes.example/world/asia/floods-sindh-2022",
            "published_at": "2022-08-26T06:15:00Z",
            "modified_at": "2022-08-26T18:40:00Z",
            "section": "World",
            "tags": ["Pakistan", "Floods", "Climate"],
            "language": "en-gb",
            "paragraphs": [
                "More than 30,000 people have left their homes in Sindh province after the Indus burst its banks near Sukkur on Thursday night, officials said.",
                "The provincial disaster management authority said relief camps in Khairpur and Larkana were already full, and appealed for tents, clean water and medicine.",
                "“We have never seen water like this,” said Ghulam Rasool, a farmer from Rohri.",
                "Forecasters expect more rain over the weekend."
            ]
        })
    );
}

#[test]
fn a_page_with_only_opengraph_keeps_what_it_says() {
    let article = parse_html(&page("opengraph.html"), None).unwrap();
    assert_eq!(
        fields(&article),
        json!({
            "headline": "Port strike ends after pay deal",
            "subheading": "Dock workers return on Monday after a nine-day stoppage.",
            "authors": [],
            "source": {"name": "Coastline Post", "site": "https://www.coastlinepost.example"},
            "url": "https://www.coastlinepost.example/business/port-strike-ends?utm_medium=social&utm_source=twitter",
            "tags": [],
            "paragraphs": [
                "Dock workers at the city’s container port will return to work on Monday after union members accepted a pay offer of 7 per cent over two years.",
                "The nine-day stoppage left more than 40 ships waiting offshore and delayed deliveries to supermarkets across the region.",
                "The port authority said it expected to clear the backlog within a fortnight."
            ]
        })
    );
}

#[test]
fn a_page_without_metadata_is_read_from_its_content() {
    let article = parse_html(
        &page("plain.html"),
        Some("https://citynews.example/news/cycle-lanes"),
    )
    .unwrap();
    assert_eq!(
        fields(&article),
        json!({
            "headline": "Council approves new cycle lanes",
            "authors": [],
            "source": {"name": "citynews.example", "site": "https://citynews.example"},
            "url": "https://citynews.example/news/cycle-lanes",
            "tags": [],
            "paragraphs": [
                "The city council voted 31 to 12 on Tuesday to build protected cycle lanes on four main roads, the largest such scheme in the city's history.",
                "Work on the first lane, along Harbour Road, is due to start in March and will take about six months, the council's transport committee said.",
                "Shop owners on Harbour Road said they feared losing parking spaces, but the council said loading bays would be kept."
            ]
        })
    );
}

#[test]
fn pages_that_are_not_articles_are_refused_with_the_reason() {
    let err = parse_html(&page("empty.html"), None).unwrap_err();
    assert!(err.message.contains("no article found"), "{err}");
    let err = parse_html("just some text, no markup", None).unwrap_err();
    assert!(err.message.contains("not an HTML page"), "{err}");
    let err = parse_html("<p>a\0b</p>", None).unwrap_err();
    assert!(err.message.contains("binary"), "{err}");
    let err = parse_html("<html><body><h1>Only a headline</h1></body></html>", None).unwrap_err();
    assert!(err.message.contains("no body text"), "{err}");
    let huge = format!(
        "<html><body>{}</body></html>",
        "<p>word</p>".repeat(1_200_000)
    );
    let err = parse_html(&huge, None).unwrap_err();
    assert!(err.message.contains("MB"), "{err}");
}

#[test]
fn the_importer_names_each_bad_page_and_goes_on_with_the_rest() {
    let data = tempfile::tempdir().unwrap();
    let incoming = tempfile::tempdir().unwrap();
    let dir = incoming.path();
    for name in ["wordpress.html", "binary.html", "empty.html"] {
        std::fs::copy(format!("tests/fixtures/pages/{name}"), dir.join(name)).unwrap();
    }
    std::fs::copy("tests/fixtures/feeds/broken.rss", dir.join("broken.rss")).unwrap();
    let huge = format!(
        "<html><body><h1>Huge</h1>{}</body></html>",
        "<p>word word word</p>".repeat(2_700_000)
    );
    std::fs::write(dir.join("huge.html"), huge).unwrap();
    let out = crate::helpers::run(data.path(), &["import", dir.to_str().unwrap()]);
    let text = crate::helpers::stdout(&out);
    assert!(!out.status.success());
    assert!(text.contains("wordpress.html: imported"), "{text}");
    assert!(
        text.contains("binary.html: failed: the file holds binary data"),
        "{text}"
    );
    assert!(
        text.contains("empty.html: failed: no article found in the page"),
        "{text}"
    );
    assert!(
        text.contains("huge.html: failed: the file is 56.7 MB, more than the 10 MB"),
        "{text}"
    );
    assert!(
        text.contains("broken.rss: failed: not an RSS, Atom or JSON feed"),
        "{text}"
    );
    assert!(
        text.contains("5 file(s), 4 failed; articles: 1 imported"),
        "{text}"
    );
}

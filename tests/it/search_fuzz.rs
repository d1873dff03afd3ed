//! The whole search request, fuzzed through the real router: any query with
//! any parameters, on the search page, its chart's CSV, its feed and the
//! API, is answered, and never with a 5xx (a bad request is the reader's
//! error, a 4xx that says why).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::TestApp;

/// Pieces a query is made of: words the archive holds, operators, fields
/// (real and unknown), dates (real and impossible), numbers, odd characters.
const QUERY_PIECES: &[&str] = &[
    "Blinken",
    "food",
    "security",
    "relations",
    "Bhutto-Zardari",
    "the",
    "a",
    "+",
    "-",
    "!",
    "^",
    "^2",
    "^1e309",
    "*",
    "?",
    "~",
    "~2",
    ":",
    "\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "TO",
    "AND",
    "OR",
    "NOT",
    "headline:",
    "body:",
    "tag:",
    "source:",
    "section:",
    "author:",
    "byline:",
    "language:",
    "lang:",
    "published:",
    "date:",
    "field:",
    "field:*",
    "*:*",
    "published:2022-05",
    "published:2017-13-45",
    "published:[2022-05-01 TO 2022-05-31]",
    "published:[* TO 2022]",
    "2022-05-16",
    "999999999999999999999999",
    "-0",
    "é",
    "漢字",
    "\u{0}",
    "\u{ffff}",
    "\\",
    "/",
    "'",
    "&",
    "%",
    "#",
    "\t",
    "\n",
];

/// Parameters the search routes take, and values (good, bad and odd) for them.
const PARAMS: &[&str] = &[
    "from",
    "to",
    "source",
    "section",
    "tag",
    "author",
    "sort",
    "limit",
    "cursor",
    "after",
    "facets",
    "facet_limit",
    "histogram",
    "all_versions",
    "versions",
    "fields",
    "more",
    "page",
    "previous",
    "q",
    "unknown",
];
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "10",
    "100",
    "101",
    "1000",
    "99999999999999999999",
    "2022-05-16",
    "2022-05",
    "2017-13-45",
    "2022-02-30",
    "relevance",
    "newest",
    "oldest",
    "day",
    "month",
    "year",
    "auto",
    "true",
    "false",
    "all",
    "source,tag",
    "source,section,tag,author,year",
    "nonsense",
    "headline,url",
    "id",
    "tag",
    "Dawn",
    "auto",
    "x y",
    "%",
    "\u{0}",
    "é",
];

const ROUTES: &[&str] = &[
    "/search",
    "/api/v1/search",
    "/search/histogram.csv",
    "/search.atom",
];

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn request_strategy() -> impl Strategy<Value = String> {
    let query = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(QUERY_PIECES).prop_map(str::to_owned),
            1 => "\\PC{0,12}",
        ],
        0..8,
    )
    .prop_map(|pieces| pieces.join(" "));
    let param = (
        prop::sample::select(PARAMS),
        prop_oneof![
            4 => prop::sample::select(VALUES).prop_map(str::to_owned),
            1 => "\\PC{0,16}",
        ],
    );
    (
        prop::sample::select(ROUTES),
        query,
        prop::collection::vec(param, 0..6),
    )
        .prop_map(|(route, q, params)| {
            let mut uri = format!("{route}?q={}", encode(&q));
            for (name, value) in params {
                uri.push_str(&format!("&{name}={}", encode(&value)));
            }
            uri
        })
}

#[test]
fn no_search_request_gets_a_server_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::with_seed());
    let cases: u32 = std::env::var("SEARCH_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let answered = std::cell::Cell::new(0u32);
    runner
        .run(&request_strategy(), |uri| {
            let reply = runtime.block_on(app.get(&uri));
            answered.set(answered.get() + 1);
            if reply.status.is_server_error() {
                return Err(TestCaseError::fail(format!(
                    "{uri} answered {}: {}",
                    reply.status, reply.body
                )));
            }
            Ok(())
        })
        .unwrap();
    assert!(
        answered.get() >= cases,
        "{} requests for {cases} cases",
        answered.get()
    );
}

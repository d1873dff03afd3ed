//! Prometheus metrics: the counters, gauges and histograms the server and the
//! archive record, and their text exposition for `GET /metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::store::Outcome;

/// One HTTP answer: the method, the route pattern (`/articles/{id}`, never
/// the concrete path, so the label set stays small) and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: &'static str,
}

/// Every status code's label, made once: no allocation per request.
static STATUS_LABELS: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| (0..1000).map(|code| code.to_string()).collect());

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets from 0.5 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Everything the archive measures about itself.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<RouteLabels>,
    search_duration: Histogram,
    saved: Family<OutcomeLabels, Counter>,
    articles: Gauge,
    index_lag: Gauge,
    database_bytes: Gauge,
    index_bytes: Gauge,
}

/// Values read at scrape time rather than counted as they happen.
pub struct Snapshot {
    pub articles: i64,
    pub index_lag: i64,
    pub database_bytes: u64,
    pub index_bytes: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("newsarchive");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let request_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's head to its answer's head, by route",
            Unit::Seconds,
            request_duration.clone(),
        );
        let search_duration = latency_histogram();
        registry.register_with_unit(
            "search_duration",
            "Time to run one search (index query, highlights and database lookup)",
            Unit::Seconds,
            search_duration.clone(),
        );
        let saved = Family::<OutcomeLabels, Counter>::default();
        for outcome in ["created", "updated", "unchanged"] {
            // Shown as 0 from the start, so rates work before the first import.
            drop(saved.get_or_create(&OutcomeLabels { outcome }));
        }
        registry.register(
            "articles_saved",
            "Articles written by imports and the API, by outcome (created, updated, unchanged)",
            saved.clone(),
        );
        let articles = Gauge::default();
        registry.register("articles", "Articles in the archive", articles.clone());
        let index_lag = Gauge::default();
        registry.register(
            "index_lag_changes",
            "Changes written to the database but not yet searchable",
            index_lag.clone(),
        );
        let database_bytes = Gauge::default();
        registry.register_with_unit(
            "database_size",
            "Size of the SQLite database with its write-ahead log",
            Unit::Bytes,
            database_bytes.clone(),
        );
        let index_bytes = Gauge::default();
        registry.register_with_unit(
            "index_size",
            "Size of the search index on disk",
            Unit::Bytes,
            index_bytes.clone(),
        );
        Metrics {
            registry,
            requests,
            request_duration,
            search_duration,
            saved,
            articles,
            index_lag,
            database_bytes,
            index_bytes,
        }
    }
}

impl Metrics {
    /// Counts one HTTP answer (its method, one of the standard ones or
    /// `OTHER`, and its route pattern) and its duration.
    pub fn record_request(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        let route = route.to_owned();
        let status = STATUS_LABELS
            .get(usize::from(status))
            .map_or("other", String::as_str);
        self.request_duration
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Records how long one search took.
    pub fn record_search(&self, seconds: f64) {
        self.search_duration.observe(seconds);
    }

    /// Counts saved articles by outcome.
    pub fn record_saved(&self, outcomes: impl IntoIterator<Item = Outcome>) {
        for outcome in outcomes {
            let outcome = match outcome {
                Outcome::Created => "created",
                Outcome::Updated => "updated",
                Outcome::Unchanged => "unchanged",
            };
            self.saved.get_or_create(&OutcomeLabels { outcome }).inc();
        }
    }

    /// The Prometheus text exposition, with the scrape-time values set first.
    pub fn encode(&self, now: &Snapshot) -> String {
        self.articles.set(now.articles);
        self.index_lag.set(now.index_lag);
        self.database_bytes
            .set(i64::try_from(now.database_bytes).unwrap_or(i64::MAX));
        self.index_bytes
            .set(i64::try_from(now.index_bytes).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_metric_with_its_labels() {
        let metrics = Metrics::default();
        metrics.record_request("GET", "/articles/{id}", 200, 0.003);
        metrics.record_search(0.01);
        metrics.record_saved([Outcome::Created, Outcome::Created, Outcome::Unchanged]);
        let text = metrics.encode(&Snapshot {
            articles: 2,
            index_lag: 1,
            database_bytes: 4096,
            index_bytes: 8192,
        });
        for line in [
            r#"newsarchive_http_requests_total{method="GET",route="/articles/{id}",status="200"} 1"#,
            r#"newsarchive_http_request_duration_seconds_count{route="/articles/{id}"} 1"#,
            "newsarchive_search_duration_seconds_count 1",
            r#"newsarchive_articles_saved_total{outcome="created"} 2"#,
            r#"newsarchive_articles_saved_total{outcome="unchanged"} 1"#,
            "newsarchive_articles 2",
            "newsarchive_index_lag_changes 1",
            "newsarchive_database_size_bytes 4096",
            "newsarchive_index_size_bytes 8192",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}

//! The raw-engine benchmark (`newsarchive bench-search`): a query set run
//! in-process straight against the search index, without HTTP, database or
//! snippets, so that `bench/run.py` can show what the service layer costs.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::search::{self, Facet, Interval, SearchIndex};

/// How to run the query set.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Threads searching at once, each going round the query set from its own place.
    pub threads: usize,
    /// How long to keep searching; every thread makes at least one full round.
    pub duration: Duration,
    /// Ask every query for all five facets and an automatic histogram.
    pub facets: bool,
}

/// One query of the file `bench/corpus.py` writes.
#[derive(Debug, Deserialize)]
struct BenchQuery {
    id: String,
    kind: String,
    q: String,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Deserialize)]
struct QueryFile {
    queries: Vec<BenchQuery>,
}

/// What a run measured: every search's time, by query.
#[derive(Debug, Serialize)]
pub struct Report {
    pub threads: usize,
    pub facets: bool,
    /// Wall time of the timed part (after one untimed warm-up round).
    pub seconds: f64,
    pub searches: usize,
    pub queries: Vec<QueryTimes>,
}

#[derive(Debug, Serialize)]
pub struct QueryTimes {
    pub id: String,
    pub kind: String,
    /// Matching articles (stories collapsed as the API counts them).
    pub total: u64,
    /// Each search's time, parsing included, in microseconds.
    pub micros: Vec<u64>,
}

struct Prepared {
    query: BenchQuery,
    request: search::Request,
}

/// Reads the query file: a JSON object whose `queries` each have `id`,
/// `kind`, `q` and optional `from`/`to` dates.
fn read_queries(path: &Path, facets: bool) -> anyhow::Result<Vec<Prepared>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: QueryFile = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a query file", path.display()))?;
    file.queries
        .into_iter()
        .map(|query| {
            let date = |name: &str, value: &Option<String>| {
                value
                    .as_deref()
                    .map(|v| {
                        crate::article::parse_iso_date(v).with_context(|| {
                            format!(
                                "{}: query {}: `{name}` is not a date",
                                path.display(),
                                query.id
                            )
                        })
                    })
                    .transpose()
            };
            let from = date("from", &query.from)?;
            let until = date("to", &query.to)?
                .map(|d| search::query::end_of(query.to.as_deref().unwrap_or_default(), d));
            let request = search::Request {
                filters: search::Filters {
                    dates: search::query::DateSpan { from, until },
                    ..Default::default()
                },
                facets: if facets {
                    vec![
                        Facet::Source,
                        Facet::Section,
                        Facet::Tag,
                        Facet::Author,
                        Facet::Year,
                    ]
                } else {
                    Vec::new()
                },
                histogram: facets.then_some(Interval::Auto),
                ..Default::default()
            };
            Ok(Prepared { query, request })
        })
        .collect()
}

/// Parses and runs one query, returning how many articles matched.
fn search_once(index: &SearchIndex, prepared: &Prepared) -> anyhow::Result<u64> {
    let parsed = index
        .parse(&prepared.query.q)
        .with_context(|| format!("query {} `{}`", prepared.query.id, prepared.query.q))?;
    let hits = index
        .search(&parsed, &prepared.request)
        .with_context(|| format!("query {} `{}`", prepared.query.id, prepared.query.q))?;
    Ok(hits.total)
}

/// Runs the query file against `index`: one untimed round on one thread to
/// warm the caches, then `options.threads` threads for `options.duration`.
pub fn run(index: &SearchIndex, queries: &Path, options: Options) -> anyhow::Result<Report> {
    let prepared = read_queries(queries, options.facets)?;
    anyhow::ensure!(
        !prepared.is_empty(),
        "{}: the query file holds no queries",
        queries.display()
    );
    let totals = prepared
        .iter()
        .map(|p| search_once(index, p))
        .collect::<anyhow::Result<Vec<u64>>>()?;
    let count = prepared.len();
    let threads = options.threads.max(1);
    let started = Instant::now();
    let per_thread = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let prepared = &prepared;
                scope.spawn(move || -> anyhow::Result<Vec<Vec<u64>>> {
                    let mut micros = vec![Vec::new(); count];
                    let mut n = t * count / threads;
                    let mut done = 0;
                    while done < count || started.elapsed() < options.duration {
                        let which = n % count;
                        let one = Instant::now();
                        search_once(index, &prepared[which])?;
                        let took = u64::try_from(one.elapsed().as_micros()).unwrap_or(u64::MAX);
                        micros[which].push(took);
                        n += 1;
                        done += 1;
                    }
                    Ok(micros)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a search thread panicked")))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let mut queries: Vec<QueryTimes> = prepared
        .into_iter()
        .zip(totals)
        .map(|(p, total)| QueryTimes {
            id: p.query.id,
            kind: p.query.kind,
            total,
            micros: Vec::new(),
        })
        .collect();
    for thread in per_thread {
        for (times, mut micros) in queries.iter_mut().zip(thread) {
            times.micros.append(&mut micros);
        }
    }
    Ok(Report {
        threads,
        facets: options.facets,
        seconds,
        searches: queries.iter().map(|q| q.micros.len()).sum(),
        queries,
    })
}

/// The search index of an archive, once everything written is searchable.
pub async fn ready_index(archive: &crate::archive::Archive) -> anyhow::Result<Arc<SearchIndex>> {
    while !archive.wait_indexed(Duration::from_secs(60)).await? {
        if let Some(error) = archive.index_error() {
            anyhow::bail!("the search index cannot catch up: {error}");
        }
    }
    Ok(archive.index()?)
}

//! `search` and `bench-search`: results to read, rows for other tools, and
//! the search engine timed alone.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::open;
use crate::archive::Location;

/// `search --format`: rows for other tools.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RowFormat {
    Csv,
    Ndjson,
}

impl From<RowFormat> for crate::research::Format {
    fn from(format: RowFormat) -> Self {
        match format {
            RowFormat::Csv => crate::research::Format::Csv,
            RowFormat::Ndjson => crate::research::Format::Ndjson,
        }
    }
}

/// `search --sort`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Relevance,
    Newest,
    Oldest,
}

impl From<SortArg> for crate::search::Sort {
    fn from(sort: SortArg) -> Self {
        match sort {
            SortArg::Relevance => crate::search::Sort::Relevance,
            SortArg::Newest => crate::search::Sort::Newest,
            SortArg::Oldest => crate::search::Sort::Oldest,
        }
    }
}

/// What `search --format` prints.
pub(super) struct RowsWanted {
    pub format: crate::research::Format,
    /// None: every match (`--all`).
    pub limit: Option<usize>,
    pub sort: crate::search::Sort,
    pub all_versions: bool,
    pub fields: Option<String>,
}

/// Prints the matches of a search as CSV or NDJSON rows, a batch at a time.
pub(super) async fn search_rows(
    at: &Location,
    query: &str,
    wanted: RowsWanted,
) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let columns = match wanted
        .fields
        .as_deref()
        .map(crate::research::Column::parse_list)
    {
        Some(Err(why)) => {
            eprintln!("error: --fields: {why}");
            return Ok(ExitCode::from(2));
        }
        Some(Ok(columns)) => Some(columns),
        None => None,
    };
    let archive = open(at).await?;
    archive.wait_indexed(Duration::from_secs(60)).await?;
    let request = crate::search::Request {
        sort: wanted.sort,
        all_versions: wanted.all_versions,
        ..Default::default()
    };
    let rows = crate::research::Rows::new(wanted.format, columns);
    let mut matches =
        match crate::research::Matches::start(&archive, query, &request, rows.body()).await {
            Ok(matches) => matches,
            Err(crate::archive::Error::Query(e)) => {
                archive.close().await?;
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e.into()),
        };
    for note in &matches.ignored {
        eprintln!("(ignored: {note})");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    out.write_all(&rows.header())?;
    let mut left = wanted.limit.unwrap_or(usize::MAX);
    while left > 0
        && let Some(batch) = matches.next_batch().await?
    {
        let batch = &batch[..batch.len().min(left)];
        left -= batch.len();
        out.write_all(&rows.write(batch))?;
    }
    out.flush()?;
    drop(out);
    archive.close().await?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn search(
    at: &Location,
    query: &str,
    limit: usize,
    sort: crate::search::Sort,
    all_versions: bool,
) -> anyhow::Result<ExitCode> {
    let archive = open(at).await?;
    archive.wait_indexed(Duration::from_secs(60)).await?;
    let request = crate::search::Request {
        limit,
        sort,
        all_versions,
        ..Default::default()
    };
    let page = match archive.search(query, &request).await {
        Ok(page) => page,
        Err(crate::archive::Error::Query(e)) => {
            archive.close().await?;
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    archive.close().await?;
    let bold = std::io::stdout().is_terminal();
    for note in &page.ignored {
        println!("(ignored: {note})");
    }
    println!("{} result(s) for {query}", page.total);
    for (rank, result) in page.results.iter().enumerate() {
        let a = &result.article;
        println!(
            "\n{}. {}",
            rank + 1,
            terminal_text(&result.headline_html, bold)
        );
        let mut meta = vec![a.path()];
        if let Some(source) = &a.content.source {
            meta.push(source.name.clone());
        }
        if let Some(date) = a.display_date() {
            meta.push(date);
        }
        if let Some(score) = result.score {
            meta.push(format!("score {score:.2}"));
        }
        println!("   {}", meta.join(" · "));
        if let Some(snippet) = &result.snippet {
            println!("   {}", terminal_text(&snippet.html, bold));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns snippet HTML into terminal text: marks in bold (or `**`), entities decoded.
fn terminal_text(html: &str, bold: bool) -> String {
    let (on, off) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("**", "**")
    };
    html.replace("<mark>", on)
        .replace("</mark>", off)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `bench-search QUERIES`: the query file run in-process against the index,
/// each search's time printed as JSON.
pub(super) async fn bench_search(
    at: &Location,
    queries: PathBuf,
    threads: u64,
    seconds: f64,
    facets: bool,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        seconds.is_finite() && (0.0..=86_400.0).contains(&seconds),
        "--seconds must be between 0 and 86400, not {seconds}"
    );
    let archive = open(at).await?;
    let index = crate::bench::ready_index(&archive).await?;
    let options = crate::bench::Options {
        threads: usize::try_from(threads).unwrap_or(1),
        duration: Duration::from_secs_f64(seconds),
        facets,
    };
    let report =
        tokio::task::spawn_blocking(move || crate::bench::run(&index, &queries, options)).await??;
    archive.close().await?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}

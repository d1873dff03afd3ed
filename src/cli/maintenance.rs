//! `reindex`, `check`, `backup`, `restore`, `export` and `copy-db`: keeping
//! the archive whole, and copies of it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use super::{describe, open, open_store};
use crate::archive::{Archive, Location};

/// `reindex`: the search index rebuilt from the database and swapped in.
pub(super) async fn reindex(at: &Location) -> anyhow::Result<ExitCode> {
    let archive = open(at).await?;
    let count = archive
        .reindex()
        .await
        .context("rebuilding the search index")?;
    archive.close().await?;
    println!("Rebuilt the search index: {count} articles.");
    Ok(ExitCode::SUCCESS)
}

/// Up to a minute for the indexer to catch up before comparing.
const CHECK_WAIT: Duration = Duration::from_secs(60);

pub(super) async fn check(at: &Location, repair: bool) -> anyhow::Result<ExitCode> {
    let archive = match Archive::open_unhealed(at).await {
        Ok(archive) => archive,
        Err(e @ crate::archive::Error::Search(_)) => {
            println!("index: the search index cannot be opened: {e}");
            if !repair {
                println!("1 problem(s) found; `newsarchive check --repair` rebuilds the index.");
                return Ok(ExitCode::FAILURE);
            }
            println!("repair: rebuilding the search index from the database");
            let archive = open(at).await?;
            let report = archive.check(Duration::from_secs(3600)).await?;
            archive.close().await?;
            return Ok(print_check(&report, "Repaired"));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(describe(at)));
        }
    };
    let report = archive.check(CHECK_WAIT).await?;
    if report.is_ok() || !repair {
        archive.close().await?;
        let code = print_check(&report, "OK");
        if !report.is_ok() {
            println!("`newsarchive check --repair` fixes what it can.");
        }
        return Ok(code);
    }
    print_check(&report, "OK");
    if !report.database_problems.is_empty() {
        archive.store().rebuild_database_indexes().await?;
        println!("repair: rebuilt the database's indexes (REINDEX)");
    }
    if !report.index_problems.is_empty() {
        let count = archive.reindex().await?;
        println!("repair: rebuilt the search index from the database ({count} articles)");
    }
    let after = archive.check(CHECK_WAIT).await?;
    archive.close().await?;
    let code = print_check(&after, "Repaired");
    if !after.database_problems.is_empty() {
        println!(
            "The database itself is damaged; restore it from a backup with `newsarchive restore`."
        );
    }
    Ok(code)
}

/// Prints a check report; success when it found nothing.
fn print_check(report: &crate::archive::CheckReport, ok_word: &str) -> ExitCode {
    for problem in &report.database_problems {
        println!("database: {problem}");
    }
    for problem in &report.index_problems {
        println!("index: {problem}");
    }
    if report.is_ok() {
        println!(
            "{ok_word}: database intact; the index holds exactly the {} articles of the database at their current revisions.",
            report.articles
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "{} problem(s) found.",
            report.database_problems.len() + report.index_problems.len()
        );
        ExitCode::FAILURE
    }
}

/// `backup DEST`: a consistent copy of the database.
pub(super) async fn backup(at: &Location, dest: &Path) -> anyhow::Result<ExitCode> {
    let report = crate::backup::backup(at, dest).await?;
    println!(
        "Backed up {} articles to {} ({} bytes).",
        report.articles,
        dest.display(),
        report.bytes
    );
    Ok(ExitCode::SUCCESS)
}

/// `restore SRC`: a backup into an empty data directory, then the index rebuilt and checked.
pub(super) async fn restore(at: &Location, src: &Path) -> anyhow::Result<ExitCode> {
    let articles = crate::backup::restore(src, at).await?;
    println!(
        "Restored {articles} articles into {}; rebuilding the search index.",
        at.data_dir.display()
    );
    let archive = open(at).await?;
    let report = archive.check(Duration::from_secs(24 * 3600)).await?;
    archive.close().await?;
    Ok(print_check(&report, "Restored"))
}

/// `export [--output FILE]`: every article as NDJSON in the import format.
pub(super) async fn export(at: &Location, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let count = match output {
        Some(path) => crate::backup::export_to_file(at, path).await?,
        None => crate::backup::export(at, &mut std::io::stdout().lock()).await?,
    };
    eprintln!("Exported {count} articles.");
    Ok(ExitCode::SUCCESS)
}

/// `copy-db --to TARGET`: the archive's database into an empty other one.
pub(super) async fn copy_db(at: &Location, to: &str) -> anyhow::Result<ExitCode> {
    use crate::store::Database;
    let target = if to.starts_with("postgres://") || to.starts_with("postgresql://") {
        Database::choose(
            Some(to),
            &at.data_dir,
            crate::store::DEFAULT_MAX_CONNECTIONS,
        )?
    } else {
        let path = PathBuf::from(to.strip_prefix("sqlite:").unwrap_or(to));
        anyhow::ensure!(
            !path.as_os_str().is_empty() && !to.contains("://"),
            "--to takes a postgres:// URL or the path of a new SQLite file, not `{to}`"
        );
        if path.exists() {
            anyhow::bail!(
                "{}: already exists; copy-db writes a new SQLite file",
                path.display()
            );
        }
        Database::File(path)
    };
    anyhow::ensure!(
        target != at.database,
        "--to names the archive's own database"
    );
    let source = open_store(at).await?;
    let into = crate::store::Store::open(&target)
        .await
        .with_context(|| format!("opening the target database {}", target.describe()))?;
    let report = source
        .copy_into(&into, &|table, rows| {
            if rows % 100_000 == 0 {
                eprintln!("{table}: {rows} rows");
            }
        })
        .await
        .with_context(|| format!("copying into {}", target.describe()));
    source.close().await;
    into.close().await;
    let report = report?;
    for (table, rows) in &report.tables {
        println!("{table}\t{rows}");
    }
    println!(
        "Copied the archive into {}. Check it with `newsarchive check` and that database.",
        target.describe()
    );
    Ok(ExitCode::SUCCESS)
}

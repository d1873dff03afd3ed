//! `import`, `follow`, `feeds` and `unfollow`: articles in from files and
//! feeds, through the one importer, with a progress bar on a terminal.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::{open, open_store};
use crate::archive::Location;
use crate::import::{self, Counts};

pub(super) async fn import(
    at: &Location,
    paths: &[PathBuf],
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let files = import::collect_files(paths)
        .map_err(|(path, e)| anyhow::anyhow!("{}: {e}", path.display()))?;
    let archive = open(at).await?;
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total_bytes)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {msg} {elapsed_precise} elapsed, {eta_precise} left",
        )
        .expect("valid template"),
    );
    let saved = std::sync::atomic::AtomicU64::new(0);
    let mut totals = Counts::default();
    let mut failed = 0;
    let mut refused_items = 0;
    for file in &files {
        let tick = |tick: import::Tick| {
            use std::sync::atomic::Ordering::Relaxed;
            let articles = saved.fetch_add(tick.articles, Relaxed) + tick.articles;
            let rate = articles as f64 / bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{articles} articles, {rate:.0}/s,"));
            bar.inc(tick.bytes);
        };
        let (ok, line) = match import::import_file(&archive, file, &tick).await {
            Ok(report) => {
                totals.merge(report.counts);
                let mut line = format!("{}: {}", file.display(), report.counts);
                if report.skipped.total() > 0 {
                    line.push_str(&format!("; {}", report.skipped));
                }
                for refused in &report.refused {
                    refused_items += 1;
                    line.push_str(&format!("\n{}: failed: {refused}", file.display()));
                }
                for (_, damaged) in &report.damaged {
                    refused_items += 1;
                    line.push_str(&format!("\n{}: failed: {damaged}", file.display()));
                }
                (report.refused.is_empty() && report.damaged.is_empty(), line)
            }
            Err(e) => {
                failed += 1;
                (false, format!("{}: failed: {e}", file.display()))
            }
        };
        if quiet && ok {
            continue;
        }
        bar.suspend(|| println!("{line}"));
    }
    bar.finish_and_clear();
    if totals.created + totals.updated > 0 {
        archive.store().analyze().await?;
    }
    println!(
        "{} file(s), {failed} failed; articles: {} imported, {} updated, {} unchanged, {refused_items} feed item(s) or crawl record(s) refused.",
        files.len(),
        totals.created,
        totals.updated,
        totals.unchanged
    );
    let mut waited = Duration::ZERO;
    while !archive.wait_indexed(Duration::from_secs(1)).await? {
        waited += Duration::from_secs(1);
        if let Some(error) = archive.index_error() {
            println!(
                "The search index could not take the new articles yet ({error}); \
                 they are saved, and the next `newsarchive serve` or import indexes them."
            );
            break;
        }
        if waited >= Duration::from_secs(600) {
            println!(
                "The search index is still catching up; a running `newsarchive serve` finishes it."
            );
            break;
        }
    }
    archive.close().await?;
    Ok(if failed + refused_items > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub(super) async fn follow(
    at: &Location,
    location: &str,
    minutes: u64,
    no_poll: bool,
    reach: crate::follow::Reach,
) -> anyhow::Result<ExitCode> {
    let archive = open(at).await?;
    let follower = crate::follow::Follower::new(archive.clone(), reach);
    let feed = match follower
        .follow(location, Duration::from_secs(minutes * 60))
        .await
    {
        Ok(feed) => feed,
        Err(e) => {
            archive.close().await?;
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "Following {} (feed {}), every {minutes} minute(s).",
        feed.url, feed.id
    );
    let mut code = ExitCode::SUCCESS;
    if !no_poll {
        let report = follower.poll(&feed).await?;
        for refused in &report.refused {
            println!("{}: failed: {refused}", feed.url);
        }
        match &report.error {
            Some(error) => {
                println!("Polling it failed: {error}. `serve` tries again later.");
                code = ExitCode::FAILURE;
            }
            None => println!(
                "Polled now: {} new, {} updated, {} unchanged, {} refused.",
                report.created,
                report.updated,
                report.unchanged,
                report.refused.len()
            ),
        }
        archive.wait_indexed(Duration::from_secs(60)).await?;
    }
    archive.close().await?;
    Ok(code)
}

/// `feeds`: the followed feeds, one line each.
pub(super) async fn feeds(at: &Location) -> anyhow::Result<ExitCode> {
    let store = open_store(at).await?;
    let feeds = store.feeds().await;
    store.close().await;
    let feeds = feeds?;
    if feeds.is_empty() {
        println!("No feeds are followed; add one with `newsarchive follow URL`.");
    }
    for feed in &feeds {
        println!(
            "{}\t{}\t{}\tevery {} min\t{} article(s)\tnext poll {}{}",
            feed.id,
            feed.url,
            feed.title.as_deref().unwrap_or("(not polled yet)"),
            feed.interval_secs / 60,
            feed.articles_created,
            crate::article::format_date(&feed.next_poll_at),
            feed.last_error
                .as_deref()
                .map(|e| format!("\tlast error ({} in a row): {e}", feed.failures))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `unfollow FEED`: stop following a feed; its articles stay.
pub(super) async fn unfollow(at: &Location, feed: &str) -> anyhow::Result<ExitCode> {
    let store = open_store(at).await?;
    let removed = store.unfollow_feed(feed).await;
    store.close().await;
    match removed {
        Ok(feed) => {
            println!(
                "No longer following {} ({}); its articles stay.",
                feed.url, feed.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}; `newsarchive feeds` lists the followed feeds.");
            Ok(ExitCode::FAILURE)
        }
    }
}

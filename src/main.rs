//! The `newsarchive` binary: parses the command line, starts logging, runs the command.

use std::process::ExitCode;

use clap::Parser as _;

/// mimalloc instead of the system allocator: a page served from the cache
/// spends about a tenth of its time allocating and freeing (perf, on the
/// page benchmark in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = newsarchive::cli::Cli::parse();
    newsarchive::telemetry::init(cli.log_format);
    match newsarchive::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! The `newsarchive` binary: parses the command line, starts logging, runs the command.

use std::process::ExitCode;

use clap::Parser as _;

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

//! `convo-bench`: load benchmark for the Convo homeserver. Parses arguments and runs a scenario.

// The report is one `json!` object with many fields.
#![recursion_limit = "256"]

mod cli;
mod client;
mod message;
mod procfs;
mod scenarios;
mod setup;
mod stats;

use std::process::ExitCode;

use clap::Parser as _;

/// mimalloc rather than glibc's malloc: the bench shares the machine with the server, and
/// every frame it reads allocates; the less CPU the bench spends, the more the server has.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = cli::Cli::parse();
    let report = match scenarios::run(cli).await {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = stats::emit(&report.json) {
        eprintln!("error: writing the result: {err:#}");
        return ExitCode::from(2);
    }
    if report.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

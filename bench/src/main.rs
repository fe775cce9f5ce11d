//! `convo-bench`: load benchmark for the Convo homeserver. Parses arguments and runs a scenario.

mod cli;
mod client;
mod message;
mod procfs;
mod scenarios;
mod setup;
mod stats;

use clap::Parser as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = cli::Cli::parse();
    let report = scenarios::run(cli).await?;
    stats::emit(&report.json)?;
    if report.failed {
        std::process::exit(1);
    }
    Ok(())
}

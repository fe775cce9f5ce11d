//! The subcommands of `convoctl`, one file each.

mod status;

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand; the exit code says whether it succeeded.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder()
        .timeout(cli.timeout)
        .user_agent(concat!("convoctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;
    match cli.command {
        Command::Status => Ok(status::run(&client, &cli.server).await),
    }
}

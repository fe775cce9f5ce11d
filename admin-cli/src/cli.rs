//! Command-line arguments of `convoctl`.

use std::time::Duration;

use clap::{Parser, Subcommand};
use reqwest::Url;

/// What `convoctl` is, shown at the top of `--help`.
const ABOUT: &str = "Administer a Convo homeserver through its admin API.";

/// The longer description shown by `--help`.
const LONG_ABOUT: &str = "\
Administer a Convo homeserver through its admin API.

convoctl talks to a running homeserver over HTTP(S): point it at the server with --server \
or the CONVO_SERVER environment variable.";

/// `convoctl`'s arguments.
#[derive(Debug, Parser)]
#[command(
    name = "convoctl",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Base URL of the homeserver.
    #[arg(
        long,
        global = true,
        env = "CONVO_SERVER",
        default_value = "http://127.0.0.1:8008",
        value_name = "URL",
        value_parser = parse_server_url
    )]
    pub server: Url,

    /// How long to wait for each request, in seconds.
    #[arg(
        long,
        global = true,
        default_value = "10",
        value_name = "SECONDS",
        value_parser = parse_timeout
    )]
    pub timeout: Duration,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that the homeserver is alive and its database is ready.
    ///
    /// Exits with status 1 if the server is unreachable or not ready.
    Status,
}

/// Accepts only `http` and `https` URLs without a query or fragment.
fn parse_server_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the scheme must be http or https".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the URL must not have a query or fragment".to_owned());
    }
    Ok(url)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    match s.parse::<u64>() {
        Ok(0) | Err(_) => Err("expected a whole number of seconds, at least 1".to_owned()),
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn server_flag_after_subcommand() {
        let cli =
            Cli::try_parse_from(["convoctl", "status", "--server", "https://chat.example.org"])
                .unwrap();
        assert_eq!(cli.server.as_str(), "https://chat.example.org/");
        assert!(matches!(cli.command, Command::Status));
        assert_eq!(cli.timeout, Duration::from_secs(10));
    }

    #[test]
    fn rejects_bad_arguments() {
        for args in [
            &["convoctl", "status", "--server", "ftp://example.org"][..],
            &["convoctl", "status", "--server", "example.org"],
            &["convoctl", "status", "--server", "http://example.org/?a=b"],
            &["convoctl", "status", "--timeout", "0"],
            &["convoctl", "frobnicate"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn no_arguments_shows_help() {
        let err = Cli::try_parse_from(["convoctl"]).unwrap_err();
        assert_eq!(
            err.kind(),
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
    }
}

//! The `convo` command line: `serve` runs the homeserver, `init` prepares a data folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use convo_federation::{ServerName, ServerSigningKey};

use crate::config::{self, Config, Overrides};
use crate::private_files;
use crate::startup::Application;

/// Convo: a federated, self-hosted chat homeserver.
#[derive(Debug, Parser)]
#[command(name = "convo", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the homeserver. With no options: SQLite in ./convo-data, listening on 127.0.0.1:8008.
    Serve(ServeArgs),
    /// Write a commented config file and a new signing key into a data folder.
    Init(InitArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// TOML config file (see convo.sample.toml).
    #[arg(long, short, env = "CONVO_CONFIG")]
    config: Option<PathBuf>,
    /// Address and port to listen on, e.g. 0.0.0.0:8008.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Folder for the SQLite database and the signing key.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// This server's public name, e.g. chat.example.org.
    #[arg(long)]
    server_name: Option<String>,
    /// sqlite://FILE or postgres://USER:PASS@HOST/DB.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// This server's public name, e.g. chat.example.org. It cannot change later.
    #[arg(long, default_value = "localhost:8008")]
    server_name: String,
    /// Folder to create for the database and the signing key.
    #[arg(long, default_value = "./convo-data")]
    data_dir: PathBuf,
    /// Where to write the config file; default: <data-dir>/convo.toml.
    #[arg(long, short)]
    config: Option<PathBuf>,
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Init(args) => init(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("convo: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once: an error whose message already
/// includes its cause (`cannot listen on …: {source}`) would otherwise print the cause twice.
fn describe(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        server_name: args.server_name,
        database_url: args.database_url,
    };
    let config = config::load(args.config.as_deref(), &overrides)?;
    crate::telemetry::init(&config.log)?;
    rustls_provider();
    // Every client connection is a file descriptor; the usual soft limit (1024) is far too low.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open file limit"),
        Err(err) => tracing::warn!(cause = %err, "cannot raise the open file limit"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let database = describe_database(&config.effective_database_url());
        let server_name = config.server_name.clone();
        let stop = shutdown_signal();
        let app = Application::build(config).await?;
        let addr = app.local_addr();
        tracing::info!(
            "Convo {} serving {server_name} on http://{addr} (API docs: http://{addr}/api/docs), database {database}",
            env!("CARGO_PKG_VERSION")
        );
        app.run_until_stopped(stop).await?;
        Ok(())
    })
}

/// Installs aws-lc-rs as rustls's crypto provider (the only one in the build).
pub fn rustls_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The database URL without credentials, for logs.
fn describe_database(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let location = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{location}")
        }
        None => "(unparseable URL)".into(),
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed now, not
/// on first poll: a signal that arrives once the server says it is listening must not find the
/// default action (exit at once) still in place.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(err), _) | (_, Err(err)) => {
                    tracing::warn!(cause = %err, "cannot listen for SIGINT/SIGTERM");
                    return std::future::pending().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT received; shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("Ctrl-C received; shutting down");
    }
}

#[allow(clippy::print_stdout, reason = "init reports to the person who ran it")]
fn init(args: InitArgs) -> anyhow::Result<()> {
    ServerName::parse(&args.server_name).map_err(|e| anyhow::anyhow!("--server-name: {e}"))?;
    private_files::create_dir_all(&args.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", args.data_dir.display()))?;
    let data_dir = args.data_dir.canonicalize()?;
    let config_path = args.config.unwrap_or_else(|| data_dir.join("convo.toml"));
    let config = Config {
        server_name: args.server_name,
        data_dir: data_dir.clone(),
        ..Config::default()
    };
    let key_path = config.effective_signing_key_path();
    refuse_existing(&key_path, "signing key")?;
    refuse_existing(&config_path, "config file")?;
    let key = ServerSigningKey::generate();
    key.write_new(&key_path)?;
    write_new(&config_path, &config::sample_config(&config))?;
    println!(
        "Wrote {} (signing key {}, mode 0600)",
        key_path.display(),
        key.key_id()
    );
    println!("Wrote {}", config_path.display());
    println!(
        "Start the server with:\n  convo serve --config {}",
        config_path.display()
    );
    Ok(())
}

fn refuse_existing(path: &Path, what: &str) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!(
            "{what} {} already exists; refusing to overwrite it",
            path.display()
        );
    }
    Ok(())
}

fn write_new(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    private_files::create_parent(path)?;
    // Private: the config may come to hold the database password.
    let mut file = private_files::open_options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:1: {source}")]
        struct Bind {
            source: std::io::Error,
        }
        let err = anyhow::Error::new(Bind {
            source: std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use"),
        });
        assert_eq!(
            describe(&err),
            "cannot listen on 127.0.0.1:1: address in use"
        );
        let err = anyhow::anyhow!("outer").context("context");
        assert_eq!(describe(&err), "context: outer");
    }

    #[test]
    fn database_descriptions_hide_credentials() {
        assert_eq!(
            describe_database("postgres://u:secret@db:5432/convo"),
            "postgres://db:5432/convo"
        );
        assert_eq!(
            describe_database("sqlite://./convo-data/convo.db"),
            "sqlite://./convo-data/convo.db"
        );
    }
}

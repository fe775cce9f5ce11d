//! Logging through `tracing`: readable lines in a terminal or one JSON object per line.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Why logging could not be set up as asked.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid configuration: `log.filter`: {0}")]
    Filter(String),
    #[error("invalid RUST_LOG (it overrides `log.filter`): {0}")]
    RustLog(String),
}

/// The filter in effect: `RUST_LOG` when it is set and not empty, else `log.filter`.
pub fn filter(config: &LogConfig) -> Result<EnvFilter, TelemetryError> {
    match std::env::var("RUST_LOG") {
        Ok(env) if !env.trim().is_empty() => {
            EnvFilter::try_new(&env).map_err(|e| TelemetryError::RustLog(format!("{env:?}: {e}")))
        }
        _ => parse_filter(&config.filter).map_err(TelemetryError::Filter),
    }
}

/// Parses a filter in `tracing` syntax; the error says what is wrong with it.
pub fn parse_filter(text: &str) -> Result<EnvFilter, String> {
    EnvFilter::try_new(text).map_err(|e| format!("{text:?}: {e}"))
}

/// Installs the process-wide subscriber, writing to stdout. Colours only when stdout is a
/// terminal and `NO_COLOR` is not set: escape codes in a file or a log collector are noise.
/// Only the binary calls this; tests and embedders install their own.
pub fn init(config: &LogConfig) -> Result<(), TelemetryError> {
    let filter = filter(config)?;
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stdout)
        .with_ansi(colour);
    let installed = match config.format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_err() {
        tracing::debug!("a tracing subscriber was already installed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filters_are_refused_with_the_reason() {
        assert!(parse_filter("info").is_ok());
        assert!(parse_filter("convo_homeserver=debug,info").is_ok());
        let err = parse_filter("info,convo=loud").unwrap_err();
        assert!(err.contains("info,convo=loud"), "{err}");
    }
}

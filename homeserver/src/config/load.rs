//! Reading the configuration: defaults, then a TOML file, then `CONVO__…` environment
//! variables, then command-line flags; the later layer wins.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use convo_federation::ServerName;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use super::Config;

/// Settings given as command-line flags; they override every other layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub server_name: Option<String>,
    pub database_url: Option<String>,
}

/// Why the configuration could not be used. The message names the offending key or file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    FileMissing(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("invalid configuration: `{key}`: {reason}")]
    Value { key: &'static str, reason: String },
}

/// Builds the configuration from all layers and checks the values that serde cannot.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(file) = file {
        if !file.exists() {
            return Err(ConfigError::FileMissing(file.to_path_buf()));
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    figment = figment.merge(Env::prefixed("CONVO__").split("__"));
    if let Some(listen) = overrides.listen {
        figment = figment.merge(("listen", listen));
    }
    if let Some(dir) = &overrides.data_dir {
        figment = figment.merge(("data_dir", dir));
    }
    if let Some(name) = &overrides.server_name {
        figment = figment.merge(("server_name", name));
    }
    if let Some(url) = &overrides.database_url {
        figment = figment.merge(("database_url", url));
    }
    let config: Config = figment
        .extract()
        .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
    validate(&config)?;
    Ok(config)
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    ServerName::parse(&config.server_name).map_err(|e| ConfigError::Value {
        key: "server_name",
        reason: e.to_string(),
    })?;
    crate::telemetry::parse_filter(&config.log.filter).map_err(|reason| ConfigError::Value {
        key: "log.filter",
        reason,
    })?;
    let url = config.database_url.expose();
    if !(url.is_empty() || url.starts_with("sqlite:") || url.starts_with("postgres")) {
        return Err(ConfigError::Value {
            key: "database_url",
            reason: "must start with sqlite:// or postgres://".into(),
        });
    }
    let auth = &config.auth;
    if auth.access_token_ttl_secs == 0 || auth.refresh_token_ttl_days == 0 {
        return Err(ConfigError::Value {
            key: "auth",
            reason: "token lifetimes must be positive".into(),
        });
    }
    if auth.min_password_length == 0 || auth.min_password_length > 128 {
        return Err(ConfigError::Value {
            key: "auth.min_password_length",
            reason: "must be between 1 and 128".into(),
        });
    }
    let http = &config.http;
    if http.max_body_bytes < 1024 {
        return Err(ConfigError::Value {
            key: "http.max_body_bytes",
            reason: "must be at least 1024".into(),
        });
    }
    for (key, value) in [
        (
            "http.header_read_timeout_secs",
            http.header_read_timeout_secs,
        ),
        ("http.idle_timeout_secs", http.idle_timeout_secs),
        (
            "http.max_connections_per_address",
            u64::from(http.max_connections_per_address),
        ),
    ] {
        if value == 0 {
            return Err(ConfigError::Value {
                key,
                reason: "must be at least 1".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_temp(name: &str, contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("convo-config-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("convo.toml");
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn defaults_need_no_file() {
        let config = load(None, &Overrides::default()).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8008");
        assert_eq!(config.server_name, "localhost:8008");
    }

    #[test]
    fn unknown_key_is_named() {
        let path = write_temp(
            "unknown",
            "listen = \"127.0.0.1:9000\"\nlisten_adress = 1\n",
        );
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen_adress"), "{err}");
        let path = write_temp("unknown-nested", "[auth]\naccess_ttl = 5\n");
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("access_ttl"), "{err}");
    }

    #[test]
    fn flags_override_the_file() {
        let path = write_temp("override", "server_name = \"file.example\"\n");
        let overrides = Overrides {
            server_name: Some("flag.example".into()),
            ..Overrides::default()
        };
        assert_eq!(
            load(Some(&path), &overrides).unwrap().server_name,
            "flag.example"
        );
        assert_eq!(
            load(Some(&path), &Overrides::default())
                .unwrap()
                .server_name,
            "file.example"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        let path = write_temp("badname", "server_name = \"not a name\"\n");
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("server_name"), "{err}");
        let err = load(
            Some(Path::new("/nonexistent/convo.toml")),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not exist"), "{err}");
        let path = write_temp("badfilter", "[log]\nfilter = \"info,convo=loud\"\n");
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("log.filter"), "{err}");
        let path = write_temp(
            "badproxy",
            "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
        );
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.trusted_proxies"), "{err}");
        assert!(err.contains("10.0.0.0/33"), "{err}");
    }
}

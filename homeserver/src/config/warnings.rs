//! Settings that work but deserve a word in the log when the server starts.

use super::{Config, RegistrationPolicy};

/// What to warn the operator about, one sentence each.
pub fn warnings(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    // Behind a reverse proxy, a loopback address is as public as the proxy.
    let public = !config.listen.ip().is_loopback() || !config.http.trusted_proxies.is_empty();
    if config.registration.policy == RegistrationPolicy::Open && public {
        out.push(format!(
            "registration is open: anyone who can reach {} (or a proxy in front of it) can \
             create an account. To restrict it, set `policy = \"token\"` (accounts only with a token an admin creates with \
             POST /api/v1/admin/registration-tokens) or `policy = \"closed\"` under \
             [registration] in the config file, or CONVO__REGISTRATION__POLICY=token",
            config.listen
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warned(listen: &str, policy: RegistrationPolicy) -> bool {
        let mut config = Config {
            listen: listen.parse().unwrap(),
            ..Config::default()
        };
        config.registration.policy = policy;
        !warnings(&config).is_empty()
    }

    #[test]
    fn open_registration_is_worth_a_warning_beyond_loopback() {
        assert!(warned("0.0.0.0:8008", RegistrationPolicy::Open));
        assert!(warned("[::]:8008", RegistrationPolicy::Open));
        assert!(warned("192.0.2.7:8008", RegistrationPolicy::Open));
        assert!(!warned("127.0.0.1:8008", RegistrationPolicy::Open));
        assert!(!warned("[::1]:8008", RegistrationPolicy::Open));
        assert!(!warned("0.0.0.0:8008", RegistrationPolicy::Token));
        assert!(!warned("0.0.0.0:8008", RegistrationPolicy::Closed));
        let mut proxied = Config::default();
        proxied.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        assert!(!warnings(&proxied).is_empty(), "public through its proxy");
    }
}

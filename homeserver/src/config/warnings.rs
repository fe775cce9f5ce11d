//! Settings that work but deserve a word in the log when the server starts.

use super::{Config, RegistrationPolicy};

/// What to warn the operator about, one sentence each.
pub fn warnings(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if config.registration.policy == RegistrationPolicy::Open && !config.listen.ip().is_loopback() {
        out.push(format!(
            "registration is open: anyone who can reach {} can create an account. To restrict \
             it, set `policy = \"token\"` (accounts only with a token an admin creates with \
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
    }
}

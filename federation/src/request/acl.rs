//! [`ServerAcl`]: which servers this one federates with (allow and deny lists from config).

use serde::{Deserialize, Serialize};

use crate::{IdError, ServerName};

/// A server, or a family of them: `evil.example` (any port), `evil.example:8448` (that port),
/// `*.evil.example` (every subdomain, any port; not `evil.example` itself).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServerPattern {
    /// `*.` was written before the name.
    wildcard: bool,
    /// The name after `*.`, or the whole pattern.
    name: ServerName,
}

impl ServerPattern {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let (wildcard, name) = match s.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        Ok(Self {
            wildcard,
            name: ServerName::parse(name)?,
        })
    }

    /// Whether `server` is one the pattern names.
    pub fn matches(&self, server: &ServerName) -> bool {
        let host = server.host();
        let suffix = self.name.host();
        let host_matches = if self.wildcard {
            host.strip_suffix(suffix)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
        } else {
            host == suffix
        };
        host_matches
            && self
                .name
                .port()
                .is_none_or(|port| server.port() == Some(port))
    }
}

impl TryFrom<String> for ServerPattern {
    type Error = IdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ServerPattern> for String {
    fn from(pattern: ServerPattern) -> Self {
        if pattern.wildcard {
            format!("*.{}", pattern.name)
        } else {
            pattern.name.into()
        }
    }
}

/// Allow and deny lists of peer servers. A denied server is refused even if allowed; when
/// an allow list is given, only the servers on it are federated with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerAcl {
    /// If given, the only servers federated with.
    #[serde(default)]
    pub allow: Option<Vec<ServerPattern>>,
    /// Servers never federated with.
    #[serde(default)]
    pub deny: Vec<ServerPattern>,
}

impl ServerAcl {
    /// Whether this server federates with `server`.
    pub fn is_allowed(&self, server: &ServerName) -> bool {
        if self.deny.iter().any(|p| p.matches(server)) {
            return false;
        }
        match &self.allow {
            Some(allow) => allow.iter().any(|p| p.matches(server)),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ServerName {
        ServerName::parse(s).unwrap()
    }

    fn pattern(s: &str) -> ServerPattern {
        ServerPattern::parse(s).unwrap()
    }

    #[test]
    fn patterns_match_what_they_say() {
        let cases = [
            ("evil.example", "evil.example", true),
            ("evil.example", "evil.example:8448", true),
            ("evil.example", "sub.evil.example", false),
            ("evil.example:8448", "evil.example:8448", true),
            ("evil.example:8448", "evil.example:9000", false),
            ("evil.example:8448", "evil.example", false),
            ("*.evil.example", "a.evil.example", true),
            ("*.evil.example", "a.b.evil.example:1", true),
            ("*.evil.example", "evil.example", false),
            ("*.evil.example", "notevil.example", false),
            ("*.evil.example", "xevil.example", false),
            ("EVIL.example", "evil.example", true),
            ("[::1]", "[::1]:8448", true),
            ("[::1]:8448", "[::1]:8448", true),
            ("[::1]:8448", "[::1]:1", false),
            ("10.0.0.1", "10.0.0.1:8448", true),
        ];
        for (p, server, expected) in cases {
            assert_eq!(pattern(p).matches(&name(server)), expected, "{p} {server}");
        }
        assert!(ServerPattern::parse("*.").is_err());
        assert!(ServerPattern::parse("bad_name").is_err());
    }

    #[test]
    fn deny_wins_and_allow_restricts() {
        let acl: ServerAcl = serde_json::from_value(serde_json::json!({
            "allow": ["*.partner.example", "friend.example"],
            "deny": ["bad.partner.example"],
        }))
        .unwrap();
        assert!(acl.is_allowed(&name("a.partner.example")));
        assert!(acl.is_allowed(&name("friend.example")));
        assert!(!acl.is_allowed(&name("bad.partner.example")));
        assert!(!acl.is_allowed(&name("stranger.example")));
        let open = ServerAcl {
            allow: None,
            deny: vec![pattern("evil.example")],
        };
        assert!(open.is_allowed(&name("stranger.example")));
        assert!(!open.is_allowed(&name("evil.example:8448")));
        assert!(serde_json::from_str::<ServerAcl>(r#"{"block":[]}"#).is_err());
    }
}
